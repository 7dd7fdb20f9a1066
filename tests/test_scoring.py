"""The array scorer ranks exactly as Whoosh's own matchers do.

The index here is made of the seeds' sentences, alone and in pairs (368 documents), so
common words span several posting blocks; it is written by two processes (two segments),
then some documents are updated and deleted, so segments carry deletions. Every query is
run both ways, through the array scorer and through Whoosh, and must give the same
documents with the same scores and the same total.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from whoosh import query as wq

from danvan_search import SearchIndex, scoring
from danvan_search.filters import Filters
from danvan_search.ingestion import read_sources
from danvan_search.normalization import fold
from danvan_search.query import build_query
from danvan_search.query_syntax import parse_query
from danvan_search.scoring import ArrayScorer, Unsupported, average_field_length, supports

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _sentences() -> list[str]:
    bodies = [doc.body for doc in read_sources([str(SEEDS)])]
    return [
        s.strip() for body in bodies for s in re.split(r"(?<=[.;!?])\s+|\n+", body)
        if len(s.strip()) > 20
    ]


SENTENCES = _sentences()
WORDS = sorted({w.strip(",.;:“”()…") for s in SENTENCES for w in s.split()} - {""})


@pytest.fixture(scope="module")
def sentences_index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sentences")
    docs = [{"id": f"s{i}", "title": s[:60], "body": s} for i, s in enumerate(SENTENCES)]
    docs += [
        {"id": f"p{i}", "body": f"{a}\n{b}", "date": f"20{10 + i % 15}-01-01"}
        for i, (a, b) in enumerate(pairwise(SENTENCES))
    ]
    with SearchIndex.create(path) as ix:
        ix.index_documents(docs, procs=2)
        ix.add([{"id": f"s{i}", "body": SENTENCES[i] + " Dân vận khéo."} for i in range(0, 60, 7)])
        # A few documents written without accents, in one segment only: the folded
        # stream of an accented query counts where they are, and nowhere else.
        ix.add([{"id": f"u{i}", "body": fold(SENTENCES[i])} for i in range(1, 60, 12)])
        ix.delete([f"p{i}" for i in range(3, 90, 11)])
    return path


@pytest.fixture
def sentences_index(sentences_index_path: Path) -> Iterator[SearchIndex]:
    with SearchIndex.open(sentences_index_path) as ix:
        yield ix


def test_the_fixture_has_what_the_scorer_must_handle(sentences_index: SearchIndex) -> None:
    with sentences_index._readings.borrow() as reading:
        searcher = reading.searcher
        segments = [s.reader() for s, _ in searcher.leaf_searchers()]
        assert len(segments) >= 2
        assert any(r.has_deletions() for r in segments)
        assert searcher.doc_frequency("body_f", "dan") > 2 * 128  # several posting blocks
        plain = [r.doc_frequency("plain", "1") for r in segments]
        # (a few seed sentences have no accents either)
        assert 5 in plain and 0 in plain


@given(
    ids=st.sets(st.integers(0, 300), max_size=60),
    of=st.sets(st.integers(0, 300), max_size=60),
)
def test_members_are_found_from_either_side(ids: set[int], of: set[int]) -> None:
    import numpy as np

    ids_array = np.array(sorted(ids), dtype=np.int32)
    of_array = np.array(sorted(of), dtype=np.int32)
    expected = np.flatnonzero(np.isin(ids_array, of_array))
    assert scoring._positions_of_members(ids_array, of_array).tolist() == expected.tolist()


def test_a_pair_term_is_where_the_phrase_of_its_two_syllables_is(
    sentences_index: SearchIndex,
) -> None:
    # Adjacency is scored from the pair fields, without positions: every pair of
    # syllables of the text must find exactly the documents the phrase finds, in both
    # streams, across word boundaries, codes and hyphenated words included.
    pairs = [("dân", "vận"), ("vận", "khéo"), ("công", "tác"), ("tác", "dân"),
             ("của", "ban"), ("tỉnh", "ủy"), ("ban", "dân"), ("nghị", "quyết"),
             ("năm", "2021"), ("số", "25-nq/tw"), ("covid", "19"), ("quyết", "số")]
    checked = 0
    with sentences_index._readings.borrow() as reading:
        searcher = reading.searcher
        for left, right in pairs:
            for stream, (field, pair_field) in enumerate((("body", "body_p"),
                                                          ("body_f", "body_fp"))):
                terms = [fold(left), fold(right)] if stream else [left, right]
                phrase = {h.docnum for h in searcher.search(wq.Phrase(field, terms), limit=None)}
                pair = {h.docnum for h in searcher.search(
                    wq.Term(pair_field, " ".join(terms)), limit=None)}
                assert pair == phrase, (left, right, stream)
                checked += bool(phrase)
    assert checked >= 16  # most of the pairs are in the text


def test_a_two_syllable_phrase_reads_no_positions(
    sentences_index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where two syllables stand together is their pair's term: a phrase of two reads
    the pair field, never positions, and finds what Whoosh's positions find."""
    with sentences_index._readings.borrow() as reading:
        expected = {h.docnum for h in reading.searcher.search(
            wq.Phrase("body_f", ["dan", "van"]), limit=None)}

    def no_positions(*args: object) -> None:
        raise AssertionError("positions read")

    monkeypatch.setattr(scoring._Postings, "positions", no_positions)
    with sentences_index._readings.borrow() as reading:
        ranked = reading.scorer().top(wq.Phrase("body_f", ["dan", "van"]), 1000)
        assert set(ranked.docnums) == expected and len(expected) > 100
        with pytest.raises(AssertionError, match="positions read"):  # three: positions
            reading.scorer().top(wq.Phrase("body_f", ["cong", "tac", "dan"]), 10)


QUERIES = [
    "công tác dân vận",
    "cong tac dan van",
    "dân vận khéo",
    "dan van kheo",
    "Tỉnh uỷ",
    "tỉnh ủy Thanh Hóa",
    "Mặt trận Tổ quốc Việt Nam",
    "MTTQ",
    "Ủy ban nhân dân",
    '"công tác dân vận" chính quyền',
    '"dan van" -"chinh quyen"',
    "dân vận -tôn giáo",
    "tôn giáo OR dân tộc",
    "title:dân vận nhân dân",
    "25-NQ/TW",
    "763-QĐ/TU",
    "hệ thống chính trị từ tỉnh đến cơ sở",
    "Ban Dân vận Tỉnh ủy đã tổ chức những hoạt động gì trong năm 2021 để nâng cao hiệu quả",
    "ban",
    "bàn",
    "của",
    "xyz không có",
    "-dân",
    "-xã khối",  # Whoosh's own AndNot returns a document with "xã" here
]


@pytest.mark.parametrize("options", [{}, {"sort": "date"}, {"facets": True}])
def test_excluded_words_exclude(sentences_index: SearchIndex, options: dict) -> None:
    # Typed without accents, "khoi" finds "khối" and "khỏi"; "-xã" excludes "xã" only.
    hits = sentences_index.search("khoi -xã", limit=50, exact=True, **options)
    assert hits.total == len(hits) > 0
    assert all("xã" not in sentences_index.get(hit.id).body.lower() for hit in hits)
    if options.get("facets"):
        assert sum(count for _, count in hits.facets["year"]) == sum(1 for h in hits if h.date)


def test_date_order_and_facets_cover_the_same_documents_as_the_ranking(
    sentences_index: SearchIndex,
) -> None:
    ranked = sentences_index.search("dân vận", limit=400)
    by_date = sentences_index.search("dân vận", limit=400, sort="date")
    with_facets = sentences_index.search("dân vận", limit=400, facets=True)
    assert {h.id for h in by_date} == {h.id for h in ranked} == {h.id for h in with_facets}
    assert by_date.total == ranked.total == with_facets.total
    dates = [h.date for h in by_date if h.date]
    assert dates == sorted(dates, reverse=True)
    dated = sum(1 for h in ranked if h.date)
    assert sum(count for _, count in with_facets.facets["year"]) == dated


def _whoosh_top(searcher, query, limit, filter=None):
    """Whoosh's ranking of every match, cut to ``limit``: with a limit, Whoosh skips
    blocks by their best possible score and, for AndMaybe queries, drops documents that
    belong in the top. Exclusions are applied here too: Whoosh's AndNot matcher lets
    through documents its own excluded query matches (found by these tests)."""
    excluded: set[int] = set()
    if isinstance(query, wq.AndNot):
        excluded = {hit.docnum for hit in searcher.search(query.b, limit=None)}
        query = query.a
    results = searcher.search(query, limit=None, filter=filter)
    kept = [(hit.docnum, hit.score) for hit in results if hit.docnum not in excluded]
    return kept[:limit], len(kept)


def _assert_same_ranking(ix: SearchIndex, text: str, limit: int, filters: Filters) -> None:
    with ix._readings.borrow() as reading:
        _assert_same_ranking_in(reading.searcher, reading.scorer(), ix, text, limit, filters)


def _assert_same_ranking_in(
    searcher: Any, scorer: Any, ix: SearchIndex, text: str, limit: int, filters: Filters
) -> None:
    plan = build_query(parse_query(text), searcher.reader(), acronyms=ix.acronyms)
    if plan.query is None or not supports(plan.query):
        return
    expected, expected_total = _whoosh_top(searcher, plan.query, limit, filters.query())
    ranked = scorer.top(plan.query, limit, filters.query())
    assert ranked.total == expected_total
    got = list(zip(ranked.docnums, ranked.scores, strict=True))
    assert len(got) == len(expected)
    for (_, score), (_, want) in zip(got, expected, strict=True):
        assert score == pytest.approx(want, rel=1e-9, abs=1e-12)
    # Same documents, except that equal scores may be listed in another order.
    by_score: dict[float, set[int]] = {}
    for docnum, score in expected:
        by_score.setdefault(round(score, 9), set()).add(docnum)
    for docnum, score in got:
        assert docnum in by_score[round(score, 9)] or score == pytest.approx(expected[-1][1])


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize("limit", [1, 10, 400])
def test_same_ranking_as_whoosh(sentences_index: SearchIndex, text: str, limit: int) -> None:
    _assert_same_ranking(sentences_index, text, limit, Filters.build())


@pytest.mark.parametrize("text", QUERIES[:8])
def test_same_ranking_as_whoosh_with_filters(sentences_index: SearchIndex, text: str) -> None:
    _assert_same_ranking(sentences_index, text, 10, Filters.build(since="2015-01-01"))


@given(
    words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=9),
    limit=st.sampled_from([1, 3, 10]),
    folded=st.booleans(),
)
def test_same_ranking_as_whoosh_for_any_words(
    sentences_index_path: Path, words: list[str], limit: int, folded: bool
) -> None:
    text = " ".join(words)
    with SearchIndex.open(sentences_index_path) as ix:
        _assert_same_ranking(ix, fold(text) if folded else text, limit, Filters.build())


def test_phrases_are_checked_by_position_in_every_segment(tmp_path: Path) -> None:
    """The segments are searched as one list of documents: a phrase's positions are
    read from the segment each document is in, and only documents with the words in
    order match, although the others hold each pair of them."""
    with_phrase = "Hội nghị bàn về công tác dân vận của tỉnh."
    scattered = "Công tác xã hội, sáng tác dân ca và dân vận khéo của tỉnh."
    with SearchIndex.create(tmp_path / "ix") as ix:
        for batch in range(3):
            ix.add([{"id": f"{batch}-{i}", "body": with_phrase if i % 2 else scattered}
                    for i in range(6)])
        assert ix.stats().segments == 3
        with ix._readings.borrow() as reading:
            (joined,) = reading.scorer().segments
            assert joined.size == 18
        expected = sorted(f"{batch}-{i}" for batch in range(3) for i in (1, 3, 5))
        assert sorted(h.id for h in ix.search('"công tác dân vận"', limit=50)) == expected
        assert sorted(h.id for h in ix.search('"cong tac dan van"', limit=50)) == expected
        quoted = ix.search('"công tác dân vận" của tỉnh', limit=18, exact=True)
        assert quoted.total == 9 and sorted(h.id for h in quoted) == expected
        # Unquoted, the words together only add to the score: checked in the documents
        # that can reach the top (a pass of its own, by position too).
        loose = ix.search("công tác dân vận của tỉnh", limit=9, exact=True)
        assert loose.total == 18 and sorted(h.id for h in loose) == expected
        for text in ('"công tác dân vận" của tỉnh', "công tác dân vận của tỉnh"):
            for limit in (3, 9, 18):
                _assert_same_ranking(ix, text, limit, Filters.build())


def test_every_query_the_builder_makes_is_scored_over_arrays(
    sentences_index: SearchIndex,
) -> None:
    with sentences_index._readings.borrow() as reading:
        for text in QUERIES:
            plan = build_query(parse_query(text), reading.searcher.reader(),
                               acronyms=sentences_index.acronyms)
            assert plan.query is None or supports(plan.query), text


def test_other_queries_are_left_to_whoosh(sentences_index: SearchIndex) -> None:
    slop = wq.Phrase("body_f", ["dan", "van"], slop=3)
    with sentences_index._readings.borrow() as reading:
        for query in (wq.Every("body"), wq.Prefix("body", "dân"), slop):
            with pytest.raises(Unsupported):
                reading.scorer().top(query, 10)


class _WhooshOnly:
    """A scorer that handles nothing: every search takes Whoosh's own path."""

    def top(self, *args: object, **kwargs: object) -> None:
        raise Unsupported

    matches = top


@pytest.mark.parametrize(
    "text", ["công tác dân vận", "dan van kheo", "tôn giáo OR dân tộc", '"dân vận" Huế']
)
@pytest.mark.parametrize("options", [{}, {"facets": True}, {"since": "2015-01-01"}])
def test_search_results_are_the_same_either_way(
    sentences_index: SearchIndex, text: str, options: dict
) -> None:
    """Through the public API: the array scorer against Whoosh's own matchers (with a
    limit above the number of documents, so Whoosh skips nothing)."""
    from danvan_search.searching import run_search

    fast = sentences_index.search(text, limit=400, **options)
    with sentences_index._readings.borrow() as reading:
        slow = run_search(reading.searcher, text, limit=400,
                          scorer=_WhooshOnly(),  # type: ignore[arg-type]
                          acronyms=sentences_index.acronyms, ranking=sentences_index.ranking,
                          **options)
    assert fast.total == slow.total == len(fast) >= 10
    assert [h.score for h in fast] == pytest.approx([h.score for h in slow], rel=1e-9)
    assert {h.id for h in fast} == {h.id for h in slow}
    assert fast.facets == slow.facets


def test_a_scorer_needs_bm25f(sentences_index_path: Path) -> None:
    from whoosh import index
    from whoosh.scoring import TF_IDF

    whoosh_index = index.open_dir(str(sentences_index_path))
    with whoosh_index.searcher(weighting=TF_IDF()) as searcher, pytest.raises(Unsupported):
        ArrayScorer(searcher)


def test_searches_the_scorer_cannot_rank_are_left_to_whoosh(sentences_index_path: Path) -> None:
    from whoosh import index
    from whoosh.scoring import TF_IDF

    from danvan_search.searching import run_search

    with SearchIndex.open(sentences_index_path) as ix:
        expected = ix.search("dân vận", limit=5, exact=True)
    whoosh_index = index.open_dir(str(sentences_index_path))
    with whoosh_index.searcher(weighting=TF_IDF()) as searcher:
        results = run_search(searcher, "dân vận", limit=5, exact=True)
        by_date = run_search(searcher, "dân vận", limit=5, exact=True, sort="date")
    # Another weighting ranks differently, but matches the same documents.
    assert len(results) == 5 and results.total == by_date.total == expected.total
    dates = [h.date for h in by_date if h.date]
    assert dates == sorted(dates, reverse=True)


def test_the_postings_cache_is_one_budget_over_every_segment(
    sentences_index_path: Path, sentences_index: SearchIndex
) -> None:
    """One budget per searcher (``cached_postings``), over all its segments at once:
    a query reads each term's postings in every segment as one list, kept within the
    budget, and ranks as with the default cache."""
    with SearchIndex.open(sentences_index_path, cached_postings=3_000) as small:
        assert small.stats().segments > 1
        with small._readings.borrow() as reading:
            scorer = reading.scorer()
            assert [(s.size, s.budget) for s in scorer.segments] == [
                (reading.searcher.doc_count_all(), 3_000)]
            (kept,) = scorer.segments
            for text in QUERIES:
                plan = build_query(parse_query(text), reading.searcher.reader(),
                                   acronyms=small.acronyms)
                if plan.query is not None:
                    scorer.top(plan.query, 10)
                scorer.settle()  # as a search does when it gives its reading back
                assert kept._terms.used <= 3_000
            assert kept._terms.used > 0
        for text in QUERIES:
            assert [(h.id, h.score) for h in small.search(text, exact=True)] == [
                (h.id, h.score) for h in sentences_index.search(text, exact=True)]
            # A search settles what it read when it gives its reading back.
            with small._readings.borrow() as reading:
                (kept,) = reading.scorer().segments
                assert len(kept._terms._window) == 0 and 0 < kept._terms.used <= 3_000


@pytest.mark.parametrize("block", [
    ((7, 1, 2, 3, 250), None, (b"\x01", b"\x02", b"\x03", b"\x04", b"\x05")),
    ((300, 1, 1, 1), 2.0, None),
    ((70_000, 5, 9, 255, 1), (1.0, 2.0, 1.0, 3.5, 1.0), (b"a", b"b", b"c", b"d", b"e")),
    ((3, 1, 1, 1, 1, 1, 1, 1), (2.0,) * 8, None),
])
def test_a_block_is_read_without_its_positions_as_unpickled(block: tuple) -> None:
    """Document deltas and weights read from a block's pickle are what unpickling gives."""
    import pickle

    import numpy as np

    ids, weights = scoring._ids_and_weights(pickle.dumps(block, 2), len(block[0]))
    assert ids.tolist() == list(block[0])
    expected = block[1]
    if isinstance(expected, tuple):
        assert weights.tolist() == list(expected)
        assert isinstance(weights, np.ndarray)
    else:
        assert weights == expected


@pytest.mark.parametrize("block", [
    ((1, 2, 3), None, None),  # three postings: a tuple opcode of its own
    ((5, 1, 300, 2), None, None),  # a later delta of 256 or more
    ((5, 1, 2, 3), (1, 2, 3, 4), None),  # weights that are not floats
])
def test_a_block_of_another_layout_is_left_to_unpickling(block: tuple) -> None:
    import pickle

    assert scoring._ids_and_weights(pickle.dumps(block, 2), len(block[0])) is None


def test_a_field_is_averaged_over_the_documents_that_have_it(tmp_path: Path) -> None:
    titled = [
        {"id": "a", "title": "Dân vận khéo", "body": "Hội nghị."},
        {"id": "b", "title": "Công tác dân vận ở cơ sở năm nay", "body": "Tổng kết."},
    ]
    untitled = [{"id": f"u{i}", "body": f"Tin ngắn số {i}."} for i in range(5)]
    averages = []
    for name, docs in (("titled", titled), ("mixed", titled + untitled)):
        with SearchIndex.create(tmp_path / name) as ix:
            ix.add(docs)
            if name == "mixed":
                ix.delete(["u0", "u1"])
            with ix._readings.borrow() as reading:
                searcher = reading.searcher
                averages.append(average_field_length(searcher, "title"))
                assert averages[-1] == pytest.approx(searcher.field_length("title") / 2)
                assert reading.scorer().average_length("title") == averages[-1]
                # Every live document has a body: Whoosh's own average.
                assert average_field_length(searcher, "body") == pytest.approx(
                    searcher.avg_field_length("body"))
    # Documents without a title do not make the titles look longer.
    assert averages[0] == averages[1]

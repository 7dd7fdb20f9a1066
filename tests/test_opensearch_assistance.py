"""Query assistance on an index on the test cluster: the suggestions, corrections and
restored accents of the embedded index (tests/test_assistance.py), from the cluster's
term statistics, in a few rounds of requests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import SEED_SUGGESTIONS, cluster_location
from test_assistance import NEWS

from danvan_search import SearchIndex
from danvan_search.opensearch_assistance import ClusterVocabulary, assist, cluster_keys
from danvan_search.opensearch_query import Lexicon, OpenSearchDialect
from danvan_search.query_builder import QueryBuilder
from danvan_search.ranking import DEFAULT_RANKING


@pytest.fixture(scope="module")
def os_news(opensearch_cluster: Any) -> Iterator[Any]:
    with SearchIndex.create(cluster_location(opensearch_cluster, "news"),
                            overwrite=True) as ix:
        ix.add(NEWS)
        yield ix


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        *SEED_SUGGESTIONS,
        ("dân vận khéo", None), ("Kiên Giang", None), ("25-NQ/TW", None), ("Tỉnh uỷ", None),
        ("2021", None),
    ],
)  # fmt: skip
def test_suggestions_on_the_seeds(os_seeds: Any, seeds_index: SearchIndex, typed: str,
                                  suggested: str | None) -> None:
    assert os_seeds.suggest(typed) == seeds_index.suggest(typed) == suggested
    assert os_seeds.search(typed).suggestion == suggested


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("giá săng", "giá xăng"),  # s/x sound alike: before "giá tăng", commoner
        ("GIÁ SĂNG", "GIÁ XĂNG"),
        ("dan vam", "dân vận"),  # corrected folded, then restored
        ("tổ quôc", "tổ quốc"),
        ("ddangr", "đảng"),  # keystrokes keep their accents ("đang" is commoner)
        ("nguyen tan dung", "nguyễn tấn dũng"),  # one word of the index
        ("gia xang", "giá xăng"),  # two words, next to each other in documents
        ("cup", "cúp"),
        ("tan dung co hoi", "tận dụng cơ hội"),
        # Nothing attests a correction, foreign words, forms as written.
        ("lụt bão", None), ("vậm", None), ("xăng vậm", None), ("covid", None),
        ("iPhone", None), ("'; DROP", None), ("world cup", None), ("Obama", None),
        ("gia", None),
    ],
)  # fmt: skip
def test_corrections_and_restorations_the_index_attests(os_news: Any, typed: str,
                                                        suggested: str | None) -> None:
    assert os_news.suggest(typed) == suggested


def test_the_correction_is_searched_only_when_the_typed_query_finds_nothing(
        os_news: Any, os_seeds: Any) -> None:
    results = os_seeds.search("vieejt")
    assert (results.query, results.corrected_from, results.suggestion) == (
        "viet", "vieejt", "việt")
    assert results.hits and all("việt" in h.snippet.text.lower() for h in results)
    exact = os_seeds.search("vieejt", exact=True)
    assert (exact.query, exact.total, exact.suggestion, exact.corrected_from) == (
        "vieejt", 0, None, None)
    kept = os_news.search("giá săng")
    assert (kept.query, kept.corrected_from, kept.suggestion) == ("giá săng", None, "giá xăng")
    replaced = os_news.search("ddangr booj")
    assert (replaced.query, replaced.corrected_from, replaced.suggestion) == (
        "dang bo", "ddangr booj", "đảng bộ")
    assert replaced[0].id == "dan-van"
    # Judged with the filters: in vanhoa.vn nothing has "nam" or "ddepj".
    assert os_news.search("ddepj nam").corrected_from is None
    filtered = os_news.search("ddepj nam", source="vanhoa.vn")
    assert (filtered.query, filtered.corrected_from, [h.id for h in filtered]) == (
        "dep nam", "ddepj nam", ["viet"])
    nothing = os_news.search("ddepj nam", source="nowhere")
    assert (nothing.query, nothing.corrected_from, nothing.total) == ("ddepj nam", None, 0)


def _restored_scores(ix: Any, query: str) -> dict[str, float]:
    """What the restored accents add to each hit's score (assistance on and off)."""
    assisted = {h.id: h.score for h in ix.search(query)}
    plain = {h.id: h.score for h in ix.search(query, exact=True)}
    assert assisted.keys() == plain.keys()
    return {doc_id: assisted[doc_id] - plain[doc_id] for doc_id in assisted}


def test_restored_accents_rank_as_in_the_embedded_index(opensearch_cluster: Any,
                                                       empty_index: SearchIndex) -> None:
    """The accents restored on a query typed without them add to the score of the
    documents with those accents, as much as in the embedded index (to the rounding of
    lengths)."""
    docs = [
        {"id": "ban", "body": "Hàng bán chạy, bán nhiều, bán hết. Bàn tính."},
        {"id": "ban-dan-van", "body": "Ban Dân vận tỉnh họp."},
        {"id": "ban-dan-van-2", "body": "Ban Dân vận huyện, Ban Dân vận xã."},
        {"id": "dan-van-plain", "body": "Dan van o xa, ban dan van."},
    ]
    empty_index.add(docs)
    with SearchIndex.create(cluster_location(opensearch_cluster, "restored")) as ix:
        ix.add(docs)
        assert ix.suggest("ban dan van") == "ban dân vận"
        found = [h.id for h in ix.search("ban dan van")]
        assert found == [h.id for h in empty_index.search("ban dan van")]
        assert found[-1] == "ban"
        for query in ("ban dan van", "dan van"):
            added = _restored_scores(ix, query)
            expected = _restored_scores(empty_index, query)
            assert sorted(d for d, score in added.items() if score) == [
                "ban-dan-van", "ban-dan-van-2"]
            assert added == pytest.approx(expected, rel=0.02, abs=1e-6)


def test_statistics_are_read_in_a_few_rounds(os_seeds: Any) -> None:
    """A query whose words the index knows, typed with accents, costs one round of term
    statistics; one typed without accents, a round per length of run restored."""
    for query, rounds in (("dân vận khéo", 1), ("tinh uy", 3), ("dan van kheo", 4)):
        vocabulary = ClusterVocabulary(os_seeds.term_statistics)
        assist(query, vocabulary)
        assert vocabulary.reads == rounds, query


def test_term_statistics_are_the_whole_index(os_seeds: Any, seeds_index: SearchIndex) -> None:
    """Summed over the shards: the documents holding a term and its occurrences, as
    the embedded index counts them."""
    vocabulary = ClusterVocabulary(os_seeds.term_statistics)
    vocabulary.speculative = False
    with seeds_index._readings.borrow() as reading:
        reader = reading.searcher.reader()
        for field, term in (("body", "dân"), ("body_f", "dan"), ("body", "dân vận"),
                            ("title", "dân"), ("body_p", "dân vận"), ("body", "zzz")):
            expected = (reader.doc_frequency(field, term), reader.frequency(field, term))
            assert (vocabulary.doc_frequency(field, term),
                    vocabulary.frequency(field, term)) == expected, (field, term)
    assert cluster_keys("body_fp", "dan van") == [("body_pf", "dan\u2060van")]
    # What the word model that splits queries divides by: the embedded fields' lengths.
    lexicon = vocabulary.lexicon([])
    for fields in (("title", "body"), ("title_f", "body_f")):
        assert lexicon.total() == sum(reader.field_length(f) for f in fields)
    assert lexicon.documents == 5


def test_queries_are_split_on_occurrences_as_in_the_embedded_index() -> None:
    """The likeliest split weighs each word by its occurrences over the fields' tokens,
    as the embedded index does: "và" and "phát triển" are common (in few documents, but
    many times), "và phát triển" rare, so the query is two words; by documents it would
    be one."""
    lexicon = Lexicon(
        terms={("body_x", "và"): (2, 40), ("body_x", "phát"): (3, 30),
               ("body_x", "triển"): (3, 30), ("body_wx", "phát_triển"): (3, 30),
               ("body_wx", "và_phát"): (2, 2), ("body_wx", "và_phát_triển"): (2, 2)},
        fields={"id": (4, 4), "length": (4, 100), "body_x": (4, 100), "body_wx": (4, 100)},
    )
    builder = QueryBuilder(OpenSearchDialect(lexicon), None, {}, DEFAULT_RANKING)
    assert builder.words("và phát triển", True) == [("và",), ("phát", "triển")]
    by_documents = Lexicon({key: (df, df) for key, (df, _) in lexicon.terms.items()},
                           lexicon.fields)
    assert QueryBuilder(OpenSearchDialect(by_documents), None, {}, DEFAULT_RANKING).words(
        "và phát triển", True) == [("và", "phát", "triển")]

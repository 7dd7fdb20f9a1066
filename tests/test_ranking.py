"""Ranking rules on small invented documents: what an accented query counts, which tone
styles and streams it matches, what the proximity feature and the ranking configuration
change, and what snippets show for acronyms."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from danvan_search import DEFAULT_RANKING, Ranking, SearchIndex
from danvan_search.normalization import written_without_diacritics

DOCS = [
    {"id": "chong", "body": "Công tác phòng chống tham nhũng là nhiệm vụ trọng tâm.",
     "source": "A"},
    {"id": "tham-nha", "body": "Những người đến thăm nhà văn hóa xã.", "source": "B"},
    {"id": "tham-gia", "body": "Nhưng họ vẫn tham gia đầy đủ các buổi họp.", "source": "B"},
    {"id": "khong-dau", "body": "Cong tac phong chong tham nhung o dia phuong.", "source": "C"},
    {"id": "uy-ban", "body": "Ủy ban nhân dân tỉnh họp bàn về hoà bình.", "source": "A"},
    {"id": "ubnd", "body": "UBND huyện tổ chức hội nghị về hòa bình.", "source": "C"},
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    ix = SearchIndex.create(tmp_path_factory.mktemp("ranking") / "ix")
    ix.add(DOCS)
    yield ix
    ix.close()


def ids(results) -> list[str]:
    return [hit.id for hit in results]


def test_accented_query_counts_only_documents_with_what_was_typed(index: SearchIndex):
    # "những", "nhưng", "thăm" and "tham gia" fold like the query: they are not it.
    results = index.search("tham nhũng", exact=True, facets=True)
    assert results.total == 2
    assert set(ids(results)) == {"chong", "khong-dau"}
    assert dict(results.facets["source"]) == {"A": 1, "C": 1}


def test_accented_word_matches_its_folded_form_only_in_text_without_diacritics(
    index: SearchIndex,
):
    results = index.search("thăm", exact=True)
    assert set(ids(results)) == {"tham-nha", "khong-dau"}


def test_accented_word_matches_either_tone_style(index: SearchIndex):
    assert set(ids(index.search("hoà bình", exact=True))) == {"uy-ban", "ubnd"}
    assert set(ids(index.search("hòa bình", exact=True))) == {"uy-ban", "ubnd"}


def test_unaccented_query_matches_every_accent_form_of_the_word(index: SearchIndex):
    results = index.search("tham nhung", exact=True)
    # "thăm ... những" and "nhưng ... tham" fold alike too; side by side ranks first.
    assert results.total == 4
    assert set(ids(results)[:2]) == {"chong", "khong-dau"}
    assert set(ids(results)[2:]) == {"tham-nha", "tham-gia"}


# "tham nhũng" in nineteen texts; "thăm những" (folded alike) in one.
GRAFT_DOCS = [
    *({"id": f"graft-{i}", "body": f"Vụ án tham nhũng thứ {i} được đưa ra xét xử."}
      for i in range(19)),
    {"id": "visit", "body": "Đoàn đến thăm những gia đình nghèo trong xã."},
]


@pytest.mark.parametrize(
    ("ranking", "exact", "total"),
    [(DEFAULT_RANKING, False, 19), (DEFAULT_RANKING, True, 20),
     (Ranking(restored_share=0.0), False, 20)],
    ids=["restored", "as typed", "restoration not ranked"],
)
def test_a_word_typed_without_accents_is_searched_with_the_index_reading_of_it(
    tmp_path: Path, ranking: Ranking, exact: bool, total: int
):
    # The index reads "tham nhung" as "tham nhũng" wherever it is one word: the query
    # means it, and "thăm những" is not it. Typed as is (``exact``), or with the
    # restoration not used, the folded word matches both.
    with SearchIndex.create(tmp_path / "ix", ranking=ranking) as ix:
        ix.add(GRAFT_DOCS)
        results = ix.search("tham nhung", exact=exact, limit=30)
        assert results.total == total
        assert ("visit" in ids(results)) is (total == 20)


@pytest.mark.parametrize(("share", "total"), [(0.95, 5), (0.6, 3), (0.61, 5)])
def test_a_word_the_index_reads_several_ways_stays_folded(
    tmp_path: Path, share: float, total: int
):
    # "ban" is "bàn" three times in five: sure at a share of 0.6, not above it.
    docs = [*({"id": f"table-{i}", "body": f"Cái bàn số {i} ở trong phòng."} for i in range(3)),
            *({"id": f"sell-{i}", "body": f"Cửa hàng bán số {i} ở ngoài chợ."} for i in range(2))]
    with SearchIndex.create(tmp_path / "ix", ranking=Ranking(restored_share=share)) as ix:
        ix.add(docs)
        results = ix.search("ban", limit=10)
        assert results.total == total
        assert {hit.id.split("-")[0] for hit in results} == (
            {"table"} if total == 3 else {"table", "sell"})


def test_a_word_finds_documents_with_all_its_syllables_however_segmented(tmp_path: Path):
    with SearchIndex.create(tmp_path / "ix") as ix:
        ix.add([
            {"id": "word", "body": "Ban Dân vận Tỉnh ủy họp."},
            # The segmenter makes "vận động" a word here: no "dân vận" term in this text.
            {"id": "split", "body": "Người dân vận động con em đến trường."},
            {"id": "one", "body": "Người dân ở đây rất hiếu khách."},
        ])
        results = ix.search("dân vận", exact=True)
        assert results.total == 2
        assert set(ids(results)) == {"word", "split"}


def test_acronym_matches_are_highlighted(index: SearchIndex):
    expanded = {hit.id: hit for hit in index.search("UBND")}
    assert set(expanded) == {"uy-ban", "ubnd"}
    body = DOCS[4]["body"]
    assert [body[s:e] for s, e in expanded["uy-ban"].highlights] == ["Ủy ban nhân dân"]
    contracted = {hit.id: hit for hit in index.search("Ủy ban nhân dân")}
    assert [DOCS[5]["body"][s:e] for s, e in contracted["ubnd"].highlights] == ["UBND"]


PROXIMITY_DOCS = [
    # The query's syllables apart, in a short text: plain BM25 ranks it first.
    {"id": "apart", "body": "Cây cầu mới. Nước sông dâng cao."},
    # The query's syllables side by side, in a longer text.
    {"id": "together", "body": "Người dân ở hai bên bờ sông đi qua cây cầu sông mới "
                               "mỗi ngày để làm việc và buôn bán ở chợ."},
    {"id": "other", "body": "Chợ phiên họp vào sáng chủ nhật."},
]
#: These texts are all lead (their first 80 syllables), where the query's syllables
#: count again, as plain BM25 counts them: proximity is measured without it.
NO_LEAD = replace(DEFAULT_RANKING, lead_weight=0.0)


@pytest.mark.parametrize(
    ("ranking", "expected"),
    [
        (replace(NO_LEAD, adjacent_weight=0.0, pair_weight=0.0, unaccented_pair_weight=0.0),
         ["apart", "together"]),
        # Either feature does it on its own, given weight enough.
        (replace(NO_LEAD, adjacent_weight=0.5, pair_weight=0.0, unaccented_pair_weight=0.0),
         ["together", "apart"]),
        (replace(NO_LEAD, adjacent_weight=0.0, pair_weight=1.0, unaccented_pair_weight=1.0),
         ["together", "apart"]),
        (NO_LEAD, ["together", "apart"]),
    ],
    ids=["without adjacency", "adjacency bonus alone", "pair term alone",
         "default weights"],
)
@pytest.mark.parametrize("query", ["cầu sông", "cau song"])
def test_syllables_adjacent_in_the_query_rank_first_when_adjacent_in_the_text(
    tmp_path: Path, ranking: Ranking, expected: list[str], query: str
):
    with SearchIndex.create(tmp_path / "ix", ranking=ranking) as ix:
        ix.add(PROXIMITY_DOCS)
        assert ids(ix.search(query, exact=True)) == expected


@pytest.mark.parametrize(("query", "expected"), [("cau song", ["together", "apart"]),
                                               ("cầu sông", ["apart", "together"])])
def test_the_unaccented_pair_weight_weighs_pairs_typed_without_accents_only(
    tmp_path: Path, query: str, expected: list[str]
):
    ranking = replace(NO_LEAD, adjacent_weight=0.0, pair_weight=0.0, unaccented_pair_weight=1.0)
    with SearchIndex.create(tmp_path / "ix", ranking=ranking) as ix:
        ix.add(PROXIMITY_DOCS)
        assert ids(ix.search(query, exact=True)) == expected


def test_title_weight_is_the_rankings(tmp_path: Path):
    docs = [
        {"id": "in-title", "title": "Lũ lụt miền Trung", "body": "Nhiều nhà bị ngập sâu."},
        {"id": "in-body", "title": "Tin tức", "body": "Lũ lụt làm nhiều nhà ở miền núi ngập."},
    ]
    heavy = Ranking(title_weight=3.0)
    with SearchIndex.create(tmp_path / "a", ranking=heavy) as ix:
        ix.add(docs)
        assert ids(ix.search("lũ lụt", exact=True)) == ["in-title", "in-body"]
    without = Ranking(title_weight=0.0)
    with SearchIndex.create(tmp_path / "b", ranking=without) as ix:
        ix.add(docs)
        assert ids(ix.search("lũ lụt", exact=True)) == ["in-body"]


# The same sentence and the same other words in both; only where the sentence stands
# differs: in the first lines, or after the first 80 syllables (a line of its own, so
# the segmenter splits it alike). "late" is added first, so it comes first on a tie.
_FILLER = " ".join(["Bài viết kể về nhiều chuyện khác nhau của đời sống."] * 10)
LEAD_DOCS = [
    {"id": "late", "body": f"{_FILLER}\nĐê điều vỡ ở Hà Tĩnh sau bão."},
    {"id": "early", "body": f"Đê điều vỡ ở Hà Tĩnh sau bão.\n{_FILLER}"},
]


@pytest.mark.parametrize(
    ("ranking", "expected"),
    [(Ranking(lead_weight=0.0), ["late", "early"]), (DEFAULT_RANKING, ["early", "late"])],
    ids=["without the lead", "default"],
)
@pytest.mark.parametrize("query", ["đê điều vỡ", "de dieu vo", "bão Hà Tĩnh"])
def test_query_words_in_the_first_lines_rank_first(
    tmp_path: Path, ranking: Ranking, expected: list[str], query: str
):
    with SearchIndex.create(tmp_path / "ix", ranking=ranking) as ix:
        ix.add(LEAD_DOCS)
        results = ix.search(query)
        assert ids(results) == expected
        if ranking.lead_weight == 0:
            assert results.hits[0].score == results.hits[1].score


def test_the_lead_counts_for_the_body_not_for_a_title_search(tmp_path: Path):
    docs = [{"id": doc["id"], "title": "Đê điều vỡ", "body": doc["body"]} for doc in LEAD_DOCS]
    with SearchIndex.create(tmp_path / "ix") as ix:
        ix.add(docs)
        assert ids(ix.search("title:đê")) == ["late", "early"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Cong tac phong chong tham nhung o dia phuong", True),
        ("World Cup 2026 in America", True),
        ("Công tác phòng chống tham nhũng", False),
        ("Tham nhung, Hà Nội", False),  # one word in four is accented: written with accents
        ("", False),
        ("2021 - 2025", False),
    ],
)
def test_written_without_diacritics(text: str, expected: bool):
    assert written_without_diacritics(text) is expected

"""End to end on the seed articles: ranking, query syntax, snippets, result objects."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from danvan_search import InvalidQueryError, SearchIndex
from danvan_search.normalization import fold
from danvan_search.query import build_query
from danvan_search.query_syntax import MAX_QUERY_CHARS, parse_query

KIEN_GIANG = "004_1d921b9e94ebeb4d"
HUE_2021 = "000_ade4d488ee155d8d"
DVCQ_2018 = "001_53296adb6bb486b7"
LAO_CAI_2022 = "002_6093d6844a4749a0"
THANH_HOA = "003_960197ae100cdfc3"

TOP_HIT = [
    # people
    ("Lê Trường Lưu", HUE_2021),
    ("Nguyễn Xuân Phúc", DVCQ_2018),
    ("Bùi Thị Minh Hoài", LAO_CAI_2022),
    ("Phạm Thị Thanh Thủy", THANH_HOA),
    # places
    ("Kiên Giang", KIEN_GIANG),
    ("Lào Cai", LAO_CAI_2022),
    ("Giồng Riềng", KIEN_GIANG),
    ("Thừa Thiên Huế", DVCQ_2018),
    # document codes
    ("25-NQ/TW", KIEN_GIANG),
    ("763-QĐ/TU", THANH_HOA),
    ("2083-QĐ/TU", HUE_2021),
    ("42/NQ-CP", HUE_2021),
    ("11-QĐi/TW", HUE_2021),
    ("43-kl/tw", KIEN_GIANG),
    # phrases and questions
    ("Năm Dân vận chính quyền", DVCQ_2018),
    ("Thành ủy TP Thanh Hóa", THANH_HOA),
    ("di dời dân cư Kinh thành Huế", HUE_2021),
    ("đoàn giám sát 3135", THANH_HOA),
    ("Quỹ Vì người nghèo", KIEN_GIANG),
    ("Thủ tướng phát biểu tại hội nghị", DVCQ_2018),
    ("Đảng bộ", HUE_2021),
]


@pytest.mark.parametrize(("query", "expected"), TOP_HIT, ids=[q for q, _ in TOP_HIT])
def test_top_hit_accented_and_unaccented(seeds_index: SearchIndex, query: str, expected: str):
    assert seeds_index.search(query, limit=3)[0].id == expected
    assert seeds_index.search(fold(query), limit=3)[0].id == expected


def ids(results) -> list[str]:
    return [hit.id for hit in results]


def test_dan_van_finds_the_word_and_the_compound_dan_van_kheo(seeds_index: SearchIndex):
    # 001 never says "Dân vận khéo" but has "Ban dân vận"; 004 has "dân vận khéo" only
    # inside the compound.
    found = set(ids(seeds_index.search("dân vận", limit=10)))
    assert found == {HUE_2021, DVCQ_2018, LAO_CAI_2022, THANH_HOA, KIEN_GIANG}


@pytest.mark.parametrize(
    "variant", ["DÂN VẬN KHÉO", "dan van kheo", "Dân Vận Khéo", "dân vận khéo"]
)
def test_case_accents_and_nfd_find_the_same_documents(seeds_index: SearchIndex, variant: str):
    reference = ids(seeds_index.search("dân vận khéo", limit=10))
    assert ids(seeds_index.search(variant, limit=10)) == reference
    nfd = unicodedata.normalize("NFD", variant)
    assert ids(seeds_index.search(nfd, limit=10)) == reference


def test_dan_van_kheo_unaccented_does_not_rank_documents_without_it_first(seeds_index):
    top = seeds_index.search("dan van kheo", limit=1)[0]
    assert "dân vận khéo" in top.snippet.text.lower()


def test_unaccented_query_returns_the_same_top_documents(seeds_index: SearchIndex):
    # Every seed is about "công tác dân vận" (their scores differ by 2%): the same
    # documents lead, and the same one first.
    accented = ids(seeds_index.search("công tác dân vận", limit=3))
    unaccented = ids(seeds_index.search("cong tac dan van", limit=3))
    assert unaccented[0] == accented[0]
    assert set(unaccented) == set(accented)


def test_old_tone_style_in_query_finds_new_style_in_text(seeds_index: SearchIndex):
    # 003 writes "Tỉnh ủy" only in the new style; the query uses the old one.
    assert THANH_HOA in ids(seeds_index.search("Tỉnh uỷ", limit=5))
    old_style = ids(seeds_index.search("Tỉnh uỷ", limit=5))
    assert old_style == ids(seeds_index.search("Tỉnh ủy", limit=5))


def test_dang_bo_unaccented_finds_dang_bo(seeds_index: SearchIndex):
    hit = seeds_index.search("dang bo", limit=1)[0]
    spans = hit.highlights
    body = seeds_index.get(hit.id).body
    assert any(body[s:e] == "Đảng bộ" for s, e in spans)


def test_accented_query_ranks_exact_accents_first(empty_index: SearchIndex):
    empty_index.add([
        {"id": "ban-hang", "body": "Cửa hàng bán hàng tạp hóa, bán hàng cả ngày, bán hàng đêm."},
        {"id": "ban-ghe", "body": "Phòng có một bộ bàn ghế gỗ."},
    ])
    # A query typed with accents means those accents: "bàn" is not "bán".
    assert ids(empty_index.search("bàn", limit=2, exact=True)) == ["ban-ghe"]
    assert ids(empty_index.search("bán", limit=2, exact=True)) == ["ban-hang"]
    # Without accents both match; neither is preferred for its accents.
    assert set(ids(empty_index.search("ban", limit=2))) == {"ban-ghe", "ban-hang"}


def test_documents_with_all_words_rank_first(empty_index: SearchIndex):
    empty_index.add([
        {"id": "one-word", "body": "Hội nghị hội nghị hội nghị tổng kết năm."},
        {"id": "both", "body": "Hội nghị bàn về công tác dân vận."},
        {"id": "other", "body": "Công tác dân vận, công tác dân vận ở cơ sở."},
    ])
    assert ids(empty_index.search("hội nghị dân vận", limit=3))[0] == "both"


def test_adjacent_words_rank_above_scattered_ones(empty_index: SearchIndex):
    empty_index.add([
        {"id": "apart", "body": "Vận động nhân dân. Chính quyền địa phương lắng nghe."},
        {"id": "together", "body": "Làm tốt công tác dân vận chính quyền ở địa phương."},
    ])
    assert ids(empty_index.search("dân vận chính quyền", limit=2))[0] == "together"


def test_names_with_hyphens_and_apostrophes_are_found_by_their_parts(empty_index: SearchIndex):
    empty_index.add([
        {"id": "kim", "body": "Chủ tịch Kim Jong-un thị sát nhà máy."},
        {"id": "google",
         "body": "Với công cụ mang tên Google\u2019s Perspective, bình luận được kiểm duyệt."},
        {"id": "other", "body": "Chủ tịch nước thị sát nhà máy và công cụ mới."},
    ])
    # The segmenter keeps "Kim Jong-un" and "Google's Perspective" as words; their
    # syllables' parts are terms too, so a name typed with spaces or alone finds them.
    assert ids(empty_index.search("Jong", limit=3)) == ["kim"]
    assert ids(empty_index.search("kim jong un", limit=3))[0] == "kim"
    assert ids(empty_index.search("Google", limit=3)) == ["google"]
    # Either apostrophe, in the query or the text, is the same term.
    assert ids(empty_index.search("Google's", limit=3)) == ["google"]
    assert ids(empty_index.search('"Google\u2019s Perspective"', limit=3)) == ["google"]
    assert ids(empty_index.search("Google s Perspective", limit=3)) == ["google"]


def test_a_long_question_still_ranks_adjacent_words_first(empty_index: SearchIndex):
    empty_index.add([
        {"id": "apart", "body": "Vận động nhân dân. Chính quyền địa phương lắng nghe."},
        {"id": "together", "body": "Làm tốt công tác dân vận chính quyền ở địa phương."},
    ])
    # A question of 140 syllables, as people paste them (words the index lacks add none).
    question = "dân vận chính quyền " + " ".join(["hỏi", "xin", "ạ", "thưa"] * 34)
    assert ids(empty_index.search(question, limit=2)) == ["together", "apart"]
    assert ids(empty_index.search(fold(question), limit=2)) == ["together", "apart"]


def test_title_is_searched_like_the_body(empty_index: SearchIndex):
    empty_index.add([
        {"id": "body", "title": "Tin tức", "body": "Hội nghị về tôn giáo và dân tộc trong tỉnh."},
        {"id": "title", "title": "Công tác tôn giáo", "body": "Hội nghị trong tỉnh và dân tộc."},
        {"id": "neither", "title": "Tin tức", "body": "Hội nghị trong tỉnh."},
    ])
    assert set(ids(empty_index.search("tôn giáo", limit=3))) == {"body", "title"}


def test_long_natural_question(seeds_index: SearchIndex):
    question = "Ban Dân vận Trung ương tổ chức hội nghị trực tuyến với bao nhiêu điểm cầu?"
    assert seeds_index.search(question, limit=1)[0].id == LAO_CAI_2022


# --- syntax -------------------------------------------------------------------------


def test_quoted_phrase_is_required(seeds_index: SearchIndex):
    assert ids(seeds_index.search('"Dân vận khéo"', limit=10))
    assert set(ids(seeds_index.search('"Dân vận khéo"', limit=10))) == {
        HUE_2021, LAO_CAI_2022, THANH_HOA, KIEN_GIANG,
    }
    assert ids(seeds_index.search('"Giồng Riềng"')) == [KIEN_GIANG]


def test_exclusion(seeds_index: SearchIndex):
    found = ids(seeds_index.search("dân vận -Huế", limit=10))
    assert set(found) == {LAO_CAI_2022, THANH_HOA, KIEN_GIANG}
    found = ids(seeds_index.search('dân vận -"Kiên Giang"', limit=10))
    assert set(found) == {HUE_2021, DVCQ_2018, LAO_CAI_2022, THANH_HOA}


def test_or_between_alternatives(seeds_index: SearchIndex):
    found = ids(seeds_index.search('"Giồng Riềng" OR "Lào Cai"', limit=10))
    assert set(found) == {KIEN_GIANG, LAO_CAI_2022}


def test_title_field(empty_index: SearchIndex):
    empty_index.add([
        {"id": "t", "title": "Dân vận khéo ở Huế", "body": "Nội dung."},
        {"id": "b", "title": "Tin khác", "body": "Dân vận khéo ở Huế."},
    ])
    assert ids(empty_index.search("title:Huế")) == ["t"]
    assert ids(empty_index.search('title:"dan van kheo"')) == ["t"]


def test_malformed_queries_degrade_to_plain_text(seeds_index: SearchIndex):
    plain = ids(seeds_index.search("Giồng Riềng"))
    assert ids(seeds_index.search('"Giồng Riềng')) == plain
    assert ids(seeds_index.search("(Giồng Riềng]")) == plain
    assert ids(seeds_index.search("Giồng Riềng 😀 OR")) == plain


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "\u200b"])
def test_empty_query_is_a_clear_error(seeds_index: SearchIndex, query: str):
    with pytest.raises(InvalidQueryError, match="empty query"):
        seeds_index.search(query)


def test_very_long_query_is_cut(seeds_index: SearchIndex):
    results = seeds_index.search("Giồng Riềng " + "xyz " * 2000)
    # cut at the last space before the limit: 12 characters, then "xyz " 247 times
    assert results.query == "Giồng Riềng " + " ".join(["xyz"] * 247)
    assert len(results.query) == 999 <= MAX_QUERY_CHARS
    assert results[0].id == KIEN_GIANG


# --- results and snippets --------------------------------------------------------------


def test_results_survive_the_index_being_closed(seeds_index_path):
    with SearchIndex.open(seeds_index_path) as ix:
        results = ix.search("Kiên Giang")
    hit = results[0]
    assert hit.id == KIEN_GIANG and hit.score > 0 and hit.rank == 1
    assert "Kiên Giang" in hit.snippet.text
    assert len(results) == results.total == 1
    with pytest.raises(AttributeError):
        hit.id = "x"  # frozen


def test_snippet_highlights_original_text_matched_through_folding(seeds_index: SearchIndex):
    hit = seeds_index.search("giong rieng")[0]
    snippet = hit.snippet
    assert [snippet.text[s:e] for s, e in snippet.highlights] == ["Giồng Riềng"]
    assert "[Giồng Riềng]" in snippet.render()
    assert "<mark>Giồng Riềng</mark>" in snippet.html()
    body = seeds_index.get(hit.id).body
    assert [body[s:e] for s, e in hit.highlights] == ["Giồng Riềng"]


def test_snippet_highlights_a_word_inside_a_compound(seeds_index: SearchIndex):
    hit = seeds_index.search("dân vận", limit=10)
    texts = {h.snippet.text[s:e].lower() for h in hit for s, e in h.snippet.highlights}
    assert texts == {"dân vận"}


def test_accented_query_highlights_only_exact_accents_when_present(empty_index: SearchIndex):
    empty_index.add([{"id": "x", "body": "Bàn ghế để bán, ban ngày có bạn đến xem bàn."}])
    hit = empty_index.search("bàn")[0]
    assert [hit.snippet.text[s:e] for s, e in hit.snippet.highlights] == ["Bàn", "bàn"]


def test_highlights_on_decomposed_text(empty_index: SearchIndex):
    body = unicodedata.normalize("NFD", "Ban Dân vận Tỉnh uỷ họp bàn.")
    empty_index.add([{"id": "nfd", "body": body}])
    hit = empty_index.search("tinh uy")[0]
    assert [unicodedata.normalize("NFC", body[s:e]) for s, e in hit.highlights] == ["Tỉnh uỷ"]


def test_highlights_match_any_case():
    from danvan_search.snippets import MatchRun, find_highlights

    text = "İzmir: Ban DÂN VẬN họp; dân vân, Dân vận."
    runs = [MatchRun(("dân", "vận"), accented=True)]
    assert [text[s:e] for s, e in find_highlights(text, runs)] == ["DÂN VẬN", "Dân vận"]
    folded = [MatchRun(("dan", "van"), accented=False)]
    assert [text[s:e] for s, e in find_highlights(text, folded)] == [
        "DÂN VẬN", "dân vân", "Dân vận"]


def test_every_character_folded_lowercases_to_one():
    # Highlighting matches on the folded text lowercased, with the offsets of the text.
    from danvan_search.snippets import _fold_in_place

    everything = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    folded = _fold_in_place(everything)
    assert len(folded.lower()) == len(folded) == len(everything)
    assert "İ".lower() != "i" and _fold_in_place("İ").lower() == "i"


def test_searching_does_not_load_the_segmenter(seeds_index_path):
    # Queries are split against the index's own words: a one-off search (the CLI) does
    # not pay for importing underthesea and loading its model.
    import subprocess
    import sys

    code = (
        "import sys; from danvan_search import SearchIndex\n"
        f"ix = SearchIndex.open({str(seeds_index_path)!r})\n"
        "assert ix.search('Dân vận khéo').hits and ix.search('dan van kheo').hits\n"
        "print('underthesea' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("Trưởng ban Dân vận Tỉnh ủy", ["trưởng ban", "dân vận", "tỉnh ủy"]),
        ("truong ban dan van tinh uy", ["truong ban", "dan van", "tinh uy"]),
        ("Ban Chấp hành Trung ương", ["ban", "chấp hành trung ương"]),
        ("dan van kheo", ["dan van kheo"]),
    ],
)
def test_queries_split_into_the_words_the_index_makes_likeliest(
    seeds_index: SearchIndex, query: str, words: list[str]
):
    # Longest match would end the first two in "dân vận tỉnh" + "ủy", and start the
    # third with "ban chấp hành trung" + "ương".
    with seeds_index._readings.borrow() as reading:
        plan = build_query(parse_query(query), reading.searcher.reader())
    assert [" ".join(run.syllables) for run in plan.highlight] == words


@given(st.text(alphabet=st.sampled_from("aăâđeêioôơuưyÀẢÃẠÁẤẦẬỆỖỰĐ \n“”–…😀中\U0010ffff"),
               min_size=0, max_size=1500))
@example("Đảng bộ tỉnh “Dân vận khéo” 😀 " * 40)  # long enough for the array path
def test_highlighting_folds_long_and_short_texts_alike(text: str):
    from danvan_search.normalization import FOLD_TABLE
    from danvan_search.snippets import _fold_in_place

    folded = _fold_in_place(text)
    assert folded == text.translate(FOLD_TABLE)
    assert len(folded) == len(text)


def test_a_lexicon_answers_like_the_reader_it_remembers(seeds_index: SearchIndex):
    from danvan_search.query import Lexicon

    with seeds_index._readings.borrow() as reading:
        reader = reading.searcher.reader()
        lexicon = Lexicon(reader)
        for field, term in [("body", "dân vận"), ("body_f", "dan van"), ("body", "không có"),
                            ("title_f", "xyz")]:
            for _ in range(2):  # the second time from memory
                assert ((field, term) in lexicon) == ((field, term) in reader)
                assert lexicon.frequency(field, term) == reader.frequency(field, term)
                assert lexicon.doc_frequency(field, term) == reader.doc_frequency(field, term)
        assert lexicon.doc_count_all() == reader.doc_count_all()
    text = "truong ban dan van tinh uy"
    with_lexicon = build_query(parse_query(text), lexicon)
    assert with_lexicon == build_query(parse_query(text), reader)

"""Query assistance on an index: suggestions, corrections, acronyms, --exact."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SEED_SUGGESTIONS

from danvan_search import SearchIndex, assistance
from danvan_search.assist import InvalidAcronymFileError
from danvan_search.assistance import may_be_misspelt
from danvan_search.cli import main


@pytest.mark.parametrize(
    ("typed", "suggested"),
    SEED_SUGGESTIONS,
)
def test_suggestions(seeds_index: SearchIndex, typed: str, suggested: str):
    assert seeds_index.suggest(typed) == suggested


@pytest.mark.parametrize("query", ["dân vận khéo", "Kiên Giang", "25-NQ/TW", "Tỉnh uỷ", "2021"])
def test_no_suggestion_for_a_correct_query(seeds_index: SearchIndex, query: str):
    assert seeds_index.suggest(query) is None
    assert seeds_index.search(query).suggestion is None


def test_the_correction_is_searched_when_the_typed_query_finds_nothing(
    seeds_index: SearchIndex,
):
    # Typed without accents, searched without (on the folded text), the accents of the
    # keystrokes ranking first and offered.
    results = seeds_index.search("vieejt")
    assert (results.query, results.corrected_from, results.suggestion) == (
        "viet", "vieejt", "việt"
    )
    assert results.hits and all("việt" in h.snippet.text.lower() for h in results)
    exact = seeds_index.search("vieejt", exact=True)
    assert (exact.query, exact.total, exact.suggestion, exact.corrected_from) == (
        "vieejt", 0, None, None
    )


def test_a_query_that_finds_documents_keeps_its_results(seeds_index: SearchIndex):
    # "nam" finds documents: the results stay those of the query as typed, and the
    # decoded keystrokes are offered.
    results = seeds_index.search("vieejt nam")
    assert (results.query, results.corrected_from, results.suggestion) == (
        "vieejt nam", None, "việt nam"
    )
    exact = seeds_index.search("vieejt nam", exact=True)
    assert results.total == exact.total > 0
    assert {h.id for h in results} == {h.id for h in exact}


def test_restored_accents_rank_exact_matches_first(empty_index: SearchIndex):
    empty_index.add([
        {"id": "ban", "body": "Hàng bán chạy, bán nhiều, bán hết. Bàn tính."},
        {"id": "ban-dan-van", "body": "Ban Dân vận tỉnh họp."},
        {"id": "ban-dan-van-2", "body": "Ban Dân vận huyện, Ban Dân vận xã."},
    ])
    assert empty_index.suggest("ban dan van") == "ban dân vận"
    top = [h.id for h in empty_index.search("ban dan van", limit=3)]
    assert top[2] == "ban"


@pytest.fixture
def acronym_index(empty_index: SearchIndex) -> SearchIndex:
    empty_index.add([
        {"id": "short", "body": "Đại hội MTTQ tỉnh khóa mới."},
        {"id": "long", "body": "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh họp."},
        {"id": "ubnd", "body": "UBND huyện ban hành kế hoạch."},
        {"id": "other", "body": "Hội nông dân tổ chức tập huấn."},
    ])
    return empty_index


def test_acronym_finds_its_expansion(acronym_index: SearchIndex):
    assert {h.id for h in acronym_index.search("MTTQ")} == {"short", "long"}
    assert {h.id for h in acronym_index.search("mttq")} == {"short", "long"}


def test_expansion_finds_the_acronym(acronym_index: SearchIndex):
    assert "ubnd" in {h.id for h in acronym_index.search("Ủy ban nhân dân")}
    assert "ubnd" in {h.id for h in acronym_index.search("uy ban nhan dan")}
    assert "short" in {h.id for h in acronym_index.search("Mặt trận Tổ quốc")}


def test_a_word_that_looks_like_an_acronym_is_the_word(empty_index: SearchIndex):
    """"từ" (from) folds to "tu", as "TU" (Tỉnh ủy) does: typed as a word, it is the
    word; only in capitals does it stand for the committee."""
    empty_index.add([
        {"id": "word", "body": "Đoàn đi từ Hà Nội vào Huế."},
        {"id": "committee", "body": "Hội nghị Tỉnh ủy lần thứ năm."},
    ])
    assert [h.id for h in empty_index.search("từ")] == ["word"]
    assert [h.id for h in empty_index.search("Từ đâu")] == ["word"]
    # (Capitals carry no accents: "TU" also matches "từ", as "tu" would.)
    assert {h.id for h in empty_index.search("TU")} == {"word", "committee"}
    assert empty_index.search("từ").total == 1


def test_exact_turns_acronyms_off(acronym_index: SearchIndex):
    assert {h.id for h in acronym_index.search("MTTQ", exact=True)} == {"short"}


def test_user_acronyms_from_a_file(tmp_path: Path):
    table = tmp_path / "acronyms.tsv"
    table.write_text("# ours\nBDV\tBan Dân vận\n", encoding="utf-8")
    path = tmp_path / "ix"
    with SearchIndex.create(path) as ix:
        ix.add([{"id": "bdv", "body": "Ban Dân vận Tỉnh ủy họp."}])
    with SearchIndex.open(path, acronyms=table) as ix:
        assert [h.id for h in ix.search("BDV")] == ["bdv"]
    with SearchIndex.open(path) as ix:
        assert not ix.search("BDV", exact=True).hits
    result = CliRunner().invoke(main, ["search", "--index", str(path), "--acronyms",
                                       str(table), "BDV"])
    assert result.exit_code == 0 and "[bdv]" in result.stdout
    bad = tmp_path / "bad.tsv"
    bad.write_text("no tab here\n", encoding="utf-8")
    with pytest.raises(InvalidAcronymFileError, match=r"bad\.tsv:1"):
        SearchIndex.open(path, acronyms=bad)
    result = CliRunner().invoke(main, ["search", "--index", str(path), "--acronyms",
                                       str(bad), "BDV"])
    assert result.exit_code == 1 and "bad.tsv:1" in result.stderr


def test_cli_shows_the_correction_and_the_suggestion(seeds_index_path: Path):
    runner = CliRunner()
    index = ["--index", str(seeds_index_path)]
    corrected = runner.invoke(main, ["search", *index, "vieejt"])
    assert "Showing results for: việt\n" in corrected.stdout
    assert "Search instead for:  vieejt " in corrected.stdout
    assert "Did you mean" not in corrected.stdout
    suggested = runner.invoke(main, ["search", *index, "dan van kheo"])
    assert "Did you mean: dân vận khéo" in suggested.stdout
    kept = runner.invoke(main, ["search", *index, "vieejt", "nam"])
    assert "Did you mean: việt nam" in kept.stdout
    assert "Showing results for" not in kept.stdout
    plain = runner.invoke(main, ["search", *index, "--exact", "dan van kheo"])
    assert "Did you mean" not in plain.stdout and "[dân vận khéo]" in plain.stdout.lower()


# --- assistance never makes a good query worse -----------------------------------------

# Invented news lines. Each bait is a Vietnamese word within reach of a word typed in
# the tests below (covid → coi, iphone → phòng, Obama → bám, DROP → rợp, lụt → lọt), and
# the frequencies are set so that syllables taken alone would restore wrongly: "nguyên",
# "tận", "dụng" are commoner than "nguyễn", "tấn", "dũng", and so are four other forms
# each of "tan" and "dung"; "gia" is commoner than "giá"; "giá tăng" is commoner than
# "giá xăng".
NEWS = [
    {"id": "xang", "title": "Giá xăng tăng", "body": "Giá xăng tăng mạnh trong tháng này."},
    {"id": "xang-2", "body": "Bộ Tài chính điều chỉnh giá xăng từ chiều nay."},
    *({"id": f"gia-tang-{i}", "body": f"Giá tăng, chợ vắng {i}."} for i in range(3)),
    {"id": "gia-1", "body": "Gia đình văn hóa mới."},
    {"id": "gia-2", "body": "Tham gia bảo hiểm y tế."},
    {"id": "gia-3", "body": "Quốc gia khởi nghiệp."},
    {"id": "gia-4", "body": "Gia đình hạnh phúc."},
    {"id": "gia-5", "body": "Chuyên gia kinh tế nhận định."},
    {"id": "gia-6", "body": "Gia tộc họp mặt."},
    {"id": "bao", "body": "Cơn bão số 5 đổ bộ vào miền Trung."},
    {"id": "lot", "body": "Quả bóng lọt vào lưới."},
    {"id": "thu-tuong", "body": "Thủ tướng Nguyễn Tấn Dũng chỉ đạo các bộ."},
    {"id": "tan-dung-1", "body": "Cần tận dụng cơ hội theo nguyên tắc."},
    {"id": "tan-dung-2", "body": "Tận dụng nguồn lực là nguyên tắc."},
    {"id": "tan-dung-3", "body": "Biết tận dụng thời gian, tìm nguyên nhân."},
    *({"id": f"dung-{i}", "body": f"Người dùng đứng đúng chỗ, dựng lều {i}."} for i in range(2)),
    *({"id": f"tan-{i}", "body": f"Tân binh tán thành, tàn cuộc lúc tan ca {i}."}
      for i in range(2)),
    {"id": "world-cup", "body": "Giải World Cup 2010 diễn ra ở Nam Phi."},
    {"id": "cup-1", "body": "Đội tuyển đoạt cúp vô địch."},
    {"id": "cup-2", "body": "Cúp Quốc gia khởi tranh."},
    {"id": "dan-van", "body": "Công tác dân vận của Đảng bộ tỉnh."},
    {"id": "to-quoc", "body": "Mặt trận Tổ quốc Việt Nam."},
    {"id": "viet", "body": "Tiếng Việt giàu và đẹp.", "source": "vanhoa.vn"},
    {"id": "dang-1", "body": "Người dân đang chờ, đang đợi, đang xem."},
    {"id": "dang-2", "body": "Xe đang chạy."},
    {"id": "coi", "body": "Người dân đến coi hội chợ, coi phim."},
    {"id": "phong", "body": "Phòng họp của ủy ban."},
    {"id": "bam", "body": "Bám sát cơ sở."},
    {"id": "rop", "body": "Bóng cây rợp mát sân trường."},
]


@pytest.fixture(scope="module")
def news_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("news") / "ix"
    with SearchIndex.create(path) as ix:
        ix.add(NEWS)
    return path


@pytest.fixture
def news(news_path: Path) -> Iterator[SearchIndex]:
    with SearchIndex.open(news_path) as ix:
        yield ix


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("vận", True), ("dan", True), ("Săng", True), ("quôc", True), ("ĐƯƠC", True),
        ("covid", False), ("iphone", False), ("Obama", False), ("DROP", False),
        ("UBND", False), ("Müller", False), ("25-NQ", False), ("vie6t5", False),
    ],
)  # fmt: skip
def test_which_words_edit_distance_may_correct(word: str, expected: bool):
    assert may_be_misspelt(word) is expected


@pytest.mark.parametrize(
    "query", ["covid", "iphone", "iPhone", "Obama", "'; DROP", "covid iphone"]
)
def test_foreign_words_are_not_corrected(news: SearchIndex, query: str):
    assert news.suggest(query) is None
    results = news.search(query)
    assert (results.query, results.corrected_from, results.suggestion, results.total) == (
        query, None, None, 0
    )


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("giá săng", "giá xăng"),  # s/x sound alike: before "giá tăng", commoner
        ("GIÁ SĂNG", "GIÁ XĂNG"),
        ("dân vậm", "dân vận"),
        ("dan vam", "dân vận"),  # typed without accents: corrected folded, then restored
        ("tổ quôc", "tổ quốc"),  # Vietnamese letters, a tone left out
        ("cong tacs", "công tác"),  # a Telex tone key left in
        ("ddangr", "đảng"),  # keystrokes keep their accents ("đang" is commoner)
    ],
)
def test_misspellings_attested_by_the_index_are_offered(
    news: SearchIndex, typed: str, suggested: str
):
    assert news.suggest(typed) == suggested


@pytest.mark.parametrize(
    "query",
    [
        "lụt bão",  # "lọt" is in the index, "lọt bão" is not
        "vậm",  # a word alone: no context to attest a correction
        "xăng vậm",  # "vận" is in the index, next to neither neighbour
    ],
)
def test_no_correction_the_context_does_not_attest(news: SearchIndex, query: str):
    assert news.suggest(query) is None
    results = news.search(query)
    assert (results.query, results.corrected_from, results.suggestion) == (query, None, None)


def test_a_query_that_finds_documents_is_searched_as_typed(news: SearchIndex):
    results = news.search("giá săng")
    assert (results.query, results.corrected_from, results.suggestion) == (
        "giá săng", None, "giá xăng"
    )
    exact = news.search("giá săng", exact=True, limit=50)
    assert results.total == exact.total > 0
    assert {h.id for h in news.search("giá săng", limit=50)} == {h.id for h in exact}


def test_the_correction_replaces_a_query_that_finds_nothing(news: SearchIndex):
    results = news.search("ddangr booj")
    assert (results.query, results.corrected_from, results.suggestion) == (
        "dang bo", "ddangr booj", "đảng bộ"
    )
    assert results[0].id == "dan-van"


def test_finding_nothing_is_judged_with_the_filters(news: SearchIndex):
    # Without a filter "nam" finds documents; in vanhoa.vn nothing has "nam" or
    # "ddepj", and "đẹp" is there.
    assert news.search("ddepj nam").corrected_from is None
    results = news.search("ddepj nam", source="vanhoa.vn")
    assert (results.query, results.corrected_from) == ("dep nam", "ddepj nam")
    assert [h.id for h in results] == ["viet"]
    # A correction that finds nothing either does not replace the query.
    nothing = news.search("ddepj nam", source="nowhere")
    assert (nothing.query, nothing.corrected_from, nothing.total) == ("ddepj nam", None, 0)


@pytest.mark.parametrize(
    ("typed", "restored"),
    [
        ("nguyen tan dung", "nguyễn tấn dũng"),  # one word of the index
        ("Nguyen Tan Dung", "Nguyễn Tấn Dũng"),
        ("gia xang", "giá xăng"),  # two words, next to each other in documents
        ("cup", "cúp"),
        ("tan dung co hoi", "tận dụng cơ hội"),
    ],
)
def test_restoration_prefers_sequences_the_index_attests(
    news: SearchIndex, typed: str, restored: str
):
    assert news.suggest(typed) == restored


def test_a_long_query_is_restored_a_window_at_a_time(news: SearchIndex,
                                                     monkeypatch: pytest.MonkeyPatch):
    # Windows of 3 syllables: "nguyen tan dung" and "gia xang", each restored whole.
    monkeypatch.setattr(assistance, "RESTORE_WINDOW", 3)
    assert news.suggest("nguyen tan dung gia xang") == "nguyễn tấn dũng giá xăng"
    # Longer than MAX_RESTORED_SYLLABLES: nothing is restored.
    monkeypatch.setattr(assistance, "MAX_RESTORED_SYLLABLES", 4)
    assert news.suggest("nguyen tan dung gia xang") is None
    assert news.suggest("nguyen tan dung") == "nguyễn tấn dũng"


@pytest.mark.parametrize("query", ["world cup", "World Cup", "Obama", "gia"])
def test_restoration_leaves_foreign_words_and_plain_forms(news: SearchIndex, query: str):
    # "world cup" is in the index as written; "cúp" is commoner than "cup" alone. "gia"
    # is the commonest form of itself.
    assert news.suggest(query) is None

"""Query assistance on an index: suggestions, corrections, acronyms, --exact."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from danvan_search import SearchIndex
from danvan_search.assist import InvalidAcronymFileError
from danvan_search.cli import main


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("dan van kheo", "dân vận khéo"),
        ("tinh uy", "tỉnh ủy"),
        ("mat tran to quoc", "mặt trận tổ quốc"),
        ("Kien Giang", "Kiên Giang"),
        ("dân vậm", "dân vận"),  # did you mean
        ("cong tacs", "công tác"),  # Telex tone key left in
        ("vieejt nam", "việt nam"),  # Telex
        ("ddangr booj", "đảng bộ"),
        ("vie6t5 nam", "việt nam"),  # VNI
        ("d9a3ng bo65", "đảng bộ"),
    ],
)
def test_suggestions(seeds_index: SearchIndex, typed: str, suggested: str):
    assert seeds_index.suggest(typed) == suggested


@pytest.mark.parametrize("query", ["dân vận khéo", "Kiên Giang", "25-NQ/TW", "Tỉnh uỷ", "2021"])
def test_no_suggestion_for_a_correct_query(seeds_index: SearchIndex, query: str):
    assert seeds_index.suggest(query) is None
    assert seeds_index.search(query).suggestion is None


def test_corrected_query_is_searched_and_the_typed_one_kept(seeds_index: SearchIndex):
    results = seeds_index.search("vieejt nam")
    assert results.corrected_from == "vieejt nam"
    assert results.suggestion == "việt nam"
    assert results.hits and all("Việt Nam" in h.snippet.text for h in results)
    exact = seeds_index.search("vieejt nam", exact=True)
    assert exact.query == "vieejt nam"
    assert exact.suggestion is None and exact.corrected_from is None


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
    corrected = runner.invoke(main, ["search", *index, "vieejt", "nam"])
    assert "Showing results for: việt nam" in corrected.stdout
    assert "Search instead for:  vieejt nam" in corrected.stdout
    suggested = runner.invoke(main, ["search", *index, "dan van kheo"])
    assert "Did you mean: dân vận khéo" in suggested.stdout
    plain = runner.invoke(main, ["search", *index, "--exact", "dan van kheo"])
    assert "Did you mean" not in plain.stdout and "[dân vận khéo]" in plain.stdout.lower()

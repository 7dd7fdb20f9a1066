"""Metadata on hits, filters, date sort and facets, through the API and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from danvan_search import InvalidQueryError, SearchIndex
from danvan_search.cli import main

KIEN_GIANG = "004_1d921b9e94ebeb4d"
HUE_2021 = "000_ade4d488ee155d8d"
DVCQ_2018 = "001_53296adb6bb486b7"
LAO_CAI_2022 = "002_6093d6844a4749a0"
THANH_HOA = "003_960197ae100cdfc3"


def ids(results) -> list[str]:
    return [hit.id for hit in results]


def test_hits_carry_extracted_metadata(seeds_index: SearchIndex):
    hit = seeds_index.search("Giồng Riềng")[0]
    assert hit.title == "Kiên Giang tăng cường công tác dân vận trong tình hình mới"
    assert hit.date == dt.date(2023, 10, 3)
    assert hit.author == "Đỗ Quyên"
    assert hit.places == ("Kiên Giang",)
    assert hit.cites == ("25-NQ/TW", "43-KL/TW")
    hit = seeds_index.search("đoàn giám sát 3135")[0]
    assert (hit.source, hit.author, hit.date) == ("baothanhhoa.vn", "Phan Nga", None)


def test_site_chrome_is_not_searchable(seeds_index: SearchIndex):
    for chrome in ['"Sign In"', '"Lượt xem"', '"anh tin bai"', '"Thống kê truy cập"',
                   '"bình luận"', '"Chia sẻ thông tin với bạn bè"']:
        assert not seeds_index.search(chrome).hits, chrome


def test_raw_text_stays_viewable(seeds_index: SearchIndex):
    doc = seeds_index.get(KIEN_GIANG)
    assert doc.raw is not None and doc.raw.startswith("Sign In")
    assert "Sign In" not in doc.body and "Sau 10 năm thực hiện Nghị quyết" in doc.body


def test_date_range(seeds_index: SearchIndex):
    found = ids(seeds_index.search("dân vận", since="2021-01-01", until="2023-12-31", limit=10))
    assert set(found) == {HUE_2021, LAO_CAI_2022, KIEN_GIANG}
    found = ids(seeds_index.search("dân vận", until=dt.date(2019, 12, 31), limit=10))
    assert found == [DVCQ_2018]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"place": "Thừa Thiên Huế"}, {HUE_2021, DVCQ_2018}),
        ({"place": "thua thien hue"}, {HUE_2021, DVCQ_2018}),
        ({"place": "Huế"}, {HUE_2021, DVCQ_2018}),  # the city's name since 2025
        ({"place": "An Giang"}, {KIEN_GIANG}),  # Kiên Giang merged into An Giang
        ({"place": ["Lào Cai", "Thanh Hoá"]}, {LAO_CAI_2022, THANH_HOA}),
        ({"source": "baothanhhoa.vn"}, {THANH_HOA}),
        ({"cites": "25-NQ/TW"}, {KIEN_GIANG}),
        ({"cites": "23-qd/tw"}, {THANH_HOA}),
        ({"cites": "11-qdi/tw"}, {HUE_2021}),
    ],
)
def test_filters(seeds_index: SearchIndex, options: dict, expected: set[str]):
    assert set(ids(seeds_index.search("công tác", limit=10, **options))) == expected


def test_empty_query_with_a_filter_lists_newest_first(seeds_index: SearchIndex):
    results = seeds_index.search("", since="2000-01-01")
    assert ids(results) == [KIEN_GIANG, LAO_CAI_2022, HUE_2021, DVCQ_2018]
    with pytest.raises(InvalidQueryError):
        seeds_index.search("")


def test_sort_by_date(seeds_index: SearchIndex):
    results = seeds_index.search("dân vận", sort="date", limit=10)
    dates = [hit.date for hit in results if hit.date]
    assert dates == sorted(dates, reverse=True) and len(dates) == 4
    assert results[-1].id == THANH_HOA  # undated last


def test_facets(seeds_index: SearchIndex):
    facets = seeds_index.search("dân vận", facets=True).facets
    assert dict(facets["year"]) == {"2019": 1, "2021": 1, "2022": 1, "2023": 1}
    assert facets["source"][0] == ("thuathienhue.gov.vn", 2)
    assert facets["place"][0] == ("Thừa Thiên Huế", 2)
    assert ("25-NQ/TW", 1) in facets["cites"]
    narrowed = seeds_index.search("dân vận", place="Kiên Giang", facets=True).facets
    assert narrowed["place"] == (("Kiên Giang", 1),)
    assert seeds_index.search("dân vận").facets == {}  # only when asked


def test_facets_count_every_match_but_return_only_the_limit(seeds_index: SearchIndex):
    plain = seeds_index.search("dân vận", limit=2)
    with_facets = seeds_index.search("dân vận", limit=2, facets=True)
    assert [h.id for h in with_facets] == [h.id for h in plain]
    assert with_facets.total == plain.total == 5
    assert sum(count for _, count in with_facets.facets["year"]) == 4  # one is undated


@pytest.mark.parametrize(
    "bad",
    [{"since": "2021-13-01"}, {"since": "2021-01-01garbage"}, {"until": "hôm qua"},
     {"since": "2023-01-01", "until": "2022-01-01"}, {"since": "2023", "until": "2022-12"}],
)
def test_bad_filters_are_clear_errors(seeds_index: SearchIndex, bad: dict):
    with pytest.raises(InvalidQueryError):
        seeds_index.search("dân vận", **bad)


def test_jsonl_fields_win_over_extraction(empty_index: SearchIndex, tmp_path: Path):
    from danvan_search.ingestion import read_sources

    page = (Path(__file__).resolve().parent.parent / "seeds" / f"{KIEN_GIANG}.txt").read_text()
    doc = {"id": "k", "body": page, "title": "Tiêu đề riêng", "date": "2024-01-02"}
    path = tmp_path / "docs.jsonl"
    path.write_text(json.dumps(doc, ensure_ascii=False) + "\n", encoding="utf-8")
    empty_index.index_documents(read_sources([str(path)]))
    stored = empty_index.get("k")
    assert stored.title == "Tiêu đề riêng" and stored.date == dt.date(2024, 1, 2)
    assert stored.places == ("Kiên Giang",)  # not given: extracted
    assert "Sign In" not in stored.body and stored.raw == page


def test_cli_filters_facets_and_show(seeds_index_path: Path):
    runner = CliRunner()
    index = ["--index", str(seeds_index_path)]
    result = runner.invoke(main, ["search", *index, "dân", "vận", "--since", "2021-01-01",
                                  "--until", "2023-12-31", "--place", "Thừa Thiên Huế",
                                  "--facets"])
    assert result.exit_code == 0, result.output
    assert HUE_2021 in result.stdout and KIEN_GIANG not in result.stdout
    assert "place:   Thừa Thiên Huế (1)" in result.stdout
    listed = runner.invoke(main, ["search", *index, "--cites", "25-NQ/TW", "--json"])
    data = json.loads(listed.stdout)
    assert [h["id"] for h in data["hits"]] == [KIEN_GIANG]
    assert data["hits"][0]["cites"] == ["25-NQ/TW", "43-KL/TW"]
    by_date = runner.invoke(main, ["search", *index, "dân vận", "--sort", "date", "--json"])
    assert json.loads(by_date.stdout)["hits"][0]["id"] == KIEN_GIANG
    show = runner.invoke(main, ["show", *index, KIEN_GIANG])
    assert "author:  Đỗ Quyên" in show.stdout and "Sign In" not in show.stdout
    raw = runner.invoke(main, ["show", *index, "--raw", KIEN_GIANG])
    assert raw.stdout.splitlines()[-1] != "" and "Sign In" in raw.stdout
    stats = runner.invoke(main, ["stats", *index])
    assert "place:" in stats.stdout and "Thừa Thiên Huế (2)" in stats.stdout
    nothing = runner.invoke(main, ["search", *index])
    assert nothing.exit_code == 2

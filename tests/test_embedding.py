"""What an application embedding the library relies on: filters that hold when nothing
matches, paging, JSON-ready results, typed options, pages read as the command line
reads them, dates as people write them, and short reprs for notebooks."""

from __future__ import annotations

import datetime as dt
import json
import typing
from pathlib import Path

import pytest
from click.testing import CliRunner

import danvan_search.scoring as scoring
from danvan_search import Document, InvalidQueryError, SearchIndex, SearchResults
from danvan_search.cli import main

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
KIEN_GIANG = "004_1d921b9e94ebeb4d"
HUE_2021 = "000_ade4d488ee155d8d"
DVCQ_2019 = "001_53296adb6bb486b7"
LAO_CAI_2022 = "002_6093d6844a4749a0"
THANH_HOA = "003_960197ae100cdfc3"
NO_FACETS = {"year": (), "source": (), "place": (), "cites": ()}


def ids(results) -> list[str]:
    return [hit.id for hit in results]


# --- nothing matches --------------------------------------------------------------------

NOTHING = [
    ("dân vận", {"source": "khongco.vn"}),
    ("dân vận", {"since": "2030-01-01"}),
    ("dân vận", {"source": "khongco.vn", "sort": "date"}),
    ("zzzqqq xyzw", {"sort": "date"}),
    ('"tham nhũng" "world cup"', {"sort": "date"}),
    ("", {"place": "Cà Mau"}),
    ("dân vận", {"cites": "99-NQ/TW", "sort": "date"}),
]


@pytest.mark.parametrize(("query", "options"), NOTHING)
def test_nothing_matches_means_no_hits_and_no_facet_counts(seeds_index, query, options):
    results = seeds_index.search(query, facets=True, **options)
    assert (results.hits, results.total, results.facets) == ((), 0, NO_FACETS)
    assert results.summary() == "No documents match."


@pytest.mark.parametrize(("query", "options"), NOTHING)
def test_nothing_matches_on_whoosh_s_own_path_too(seeds_index, monkeypatch, query, options):
    def unsupported(*args, **kwargs):
        raise scoring.Unsupported("left to Whoosh")

    monkeypatch.setattr(scoring.ArrayScorer, "top", unsupported)
    monkeypatch.setattr(scoring.ArrayScorer, "matches", unsupported)
    results = seeds_index.search(query, facets=True, **options)
    assert (results.hits, results.total, results.facets) == ((), 0, NO_FACETS)
    monkeypatch.undo()
    # The same path with a filter that matches: the filter still applies.
    monkeypatch.setattr(scoring.ArrayScorer, "top", unsupported)
    assert ids(seeds_index.search("dân vận", source="baothanhhoa.vn")) == [THANH_HOA]


def test_cli_says_nothing_matches_and_lists_nothing(seeds_index_path: Path):
    runner = CliRunner()
    for args in (["--source", "khongco.vn", "dân", "vận"], ["--since", "2030-01-01", "dân"],
                 ["--sort", "date", "zzzqqq xyzw"]):
        result = runner.invoke(main, ["search", "--index", str(seeds_index_path), *args])
        assert result.exit_code == 0
        assert result.stdout.startswith("No documents match '") and "[" not in result.stdout


# --- paging -------------------------------------------------------------------------------

@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_pages_follow_each_other(seeds_index: SearchIndex, sort):
    everything = seeds_index.search("dân vận", limit=10, sort=sort)
    assert everything.total == 5
    pages = [seeds_index.search("dân vận", limit=2, page=n, sort=sort) for n in (1, 2, 3)]
    assert [ids(page) for page in pages] == [ids(everything)[0:2], ids(everything)[2:4],
                                             ids(everything)[4:]]
    assert [[hit.rank for hit in page] for page in pages] == [[1, 2], [3, 4], [5]]
    assert [page.total for page in pages] == [5, 5, 5]
    by_offset = seeds_index.search("dân vận", limit=2, offset=3, sort=sort)
    assert ids(by_offset) == ids(everything)[3:5] and by_offset.offset == 3
    assert [hit.score for hit in by_offset] == [hit.score for hit in everything.hits[3:5]]
    assert [p.summary() for p in pages] == ["5 documents match; showing 2.",
                                            "5 documents match; showing 3-4.",
                                            "5 documents match; showing 5."]
    after = seeds_index.search("dân vận", offset=10, sort=sort)
    assert (after.hits, after.total) == ((), 5)
    assert after.summary() == "5 documents match; none after 10."


def test_paging_options_are_checked(seeds_index: SearchIndex):
    with pytest.raises(ValueError, match="search\\(\\): give offset or page, not both"):
        seeds_index.search("dân vận", offset=2, page=2)
    with pytest.raises(ValueError, match="search\\(\\): page counts from 1"):
        seeds_index.search("dân vận", page=0)
    with pytest.raises(ValueError, match="search\\(\\): offset must be 0 or more"):
        seeds_index.search("dân vận", offset=-1)


def test_cli_pages(seeds_index_path: Path):
    runner = CliRunner()
    index = ["--index", str(seeds_index_path)]
    full = runner.invoke(main, ["search", *index, "--json", "dân vận"])
    order = [hit["id"] for hit in json.loads(full.stdout)["hits"]]
    page = runner.invoke(main, ["search", *index, "--limit", "2", "--page", "2", "dân vận"])
    assert page.exit_code == 0
    headings = [line for line in page.stdout.splitlines() if line[:2] in ("3.", "4.", "5.")]
    assert [line.rsplit("[", 1)[1].rstrip("]") for line in headings] == order[2:4]
    assert page.stdout.startswith("5 documents match; showing 3-4.\n")
    offset = runner.invoke(main, ["search", *index, "--offset", "4", "--json", "dân vận"])
    data = json.loads(offset.stdout)
    assert ([hit["id"] for hit in data["hits"]], data["offset"]) == (order[4:], 4)
    both = runner.invoke(main, ["search", *index, "--offset", "1", "--page", "2", "dân"])
    assert both.exit_code == 2 and "not both" in both.stderr


# --- JSON ----------------------------------------------------------------------------------

def test_results_to_dict_is_json_ready_and_complete(seeds_index: SearchIndex):
    results = seeds_index.search("Giồng Riềng", facets=True)
    data = results.to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    hit = results[0]
    assert data["hits"][0] == {
        "rank": 1, "score": hit.score, "id": KIEN_GIANG,
        "title": "Kiên Giang tăng cường công tác dân vận trong tình hình mới",
        "date": "2023-10-03", "source": None, "url": None, "author": "Đỗ Quyên",
        "places": ["Kiên Giang"], "cites": ["25-NQ/TW", "43-KL/TW"],
        "snippet": hit.snippet.text,
        "snippet_highlights": [list(span) for span in hit.snippet.highlights],
        "highlights": [list(span) for span in hit.highlights], "title_highlights": [],
    }
    start, end = data["hits"][0]["snippet_highlights"][0]
    assert data["hits"][0]["snippet"][start:end] == "Giồng Riềng"
    assert {key: value for key, value in data.items() if key != "hits"} == {
        "query": "Giồng Riềng", "suggestion": None, "corrected_from": None, "total": 1,
        "offset": 0,
        "facets": {"year": [["2023", 1]], "source": [], "place": [["Kiên Giang", 1]],
                   "cites": [["25-NQ/TW", 1], ["43-KL/TW", 1]]},
    }


def test_cli_json_is_the_library_s_dict(seeds_index: SearchIndex, seeds_index_path: Path):
    runner = CliRunner()
    index = ["--index", str(seeds_index_path)]
    printed = runner.invoke(main, ["search", *index, "--json", "--limit", "3", "dan van kheo"])
    assert json.loads(printed.stdout) == seeds_index.search("dan van kheo", limit=3).to_dict()
    shown = runner.invoke(main, ["show", *index, "--json", KIEN_GIANG])
    stored = seeds_index.get(KIEN_GIANG)
    assert json.loads(shown.stdout) == stored.to_dict()
    assert stored.to_dict()["date"] == "2023-10-03" and stored.to_dict()["raw"] == stored.raw


# --- typed options --------------------------------------------------------------------------

def test_search_options_are_typed_keywords(seeds_index: SearchIndex):
    hints = typing.get_type_hints(SearchIndex.search)
    assert hints["sort"] == typing.Literal["relevance", "date"]
    assert hints["facets"] is bool and hints["return"] is SearchResults
    with pytest.raises(TypeError, match="search\\(\\) got an unexpected keyword argument 'limt'"):
        seeds_index.search("dân vận", limt=5)  # type: ignore[call-arg]
    with pytest.raises(InvalidQueryError, match='search\\(\\): sort must be "relevance"'):
        seeds_index.search("dân vận", sort="newest")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="search\\(\\): limit must be at least 1"):
        seeds_index.search("dân vận", limit=0)


def test_results_slice_into_hits(seeds_index: SearchIndex):
    results = seeds_index.search("dân vận")
    assert results[:2] == results.hits[:2] and isinstance(results[:2], tuple)
    assert results[1] is results.hits[1] and results[-1].rank == 5


# --- pages through the API --------------------------------------------------------------------

def test_a_page_through_the_api_gives_what_the_cli_stores(tmp_path: Path):
    page = (SEEDS / f"{KIEN_GIANG}.txt").read_text(encoding="utf-8")
    doc = Document.from_page(page, id="kg")
    assert (doc.title, doc.date, doc.author) == (
        "Kiên Giang tăng cường công tác dân vận trong tình hình mới", dt.date(2023, 10, 3),
        "Đỗ Quyên")
    assert (doc.places, doc.cites) == (("Kiên Giang",), ("25-NQ/TW", "43-KL/TW"))
    assert doc.raw == page and "Sign In" not in doc.body
    assert "Sau 10 năm thực hiện Nghị quyết" in doc.body
    given = Document.from_page(page, id="kg", title="Tiêu đề riêng", date="05/03/2021")
    assert (given.title, given.date, given.places) == (
        "Tiêu đề riêng", dt.date(2021, 3, 5), ("Kiên Giang",))
    # The same pages through the command line and through add(..., pages=True).
    lines = [json.dumps({"id": path.stem, "body": path.read_text(encoding="utf-8")},
                        ensure_ascii=False) for path in sorted(SEEDS.glob("*.txt"))]
    (tmp_path / "pages.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["index", "--index", str(tmp_path / "ix"),
                                       str(tmp_path / "pages.jsonl")])
    assert result.stdout.endswith(": 5 added, 0 updated, 0 unchanged, 0 skipped\n")
    with SearchIndex.open(tmp_path / "ix") as ix:
        report = ix.index_documents([json.loads(line) for line in lines], pages=True)
        assert (report.added, report.updated, report.unchanged) == (0, 0, 5)
        assert ix.add([{"id": "kg", "body": page}], pages=True) == 1
        assert ix.get("kg").title == doc.title and ix.get("kg").raw == page
        assert ix.add([doc]) == 0  # Document.from_page made the very same record


# --- dates ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"since": "2022"}, {LAO_CAI_2022, KIEN_GIANG}),
        ({"until": "2021"}, {HUE_2021, DVCQ_2019}),
        ({"since": "2021", "until": "2021"}, {HUE_2021}),
        ({"since": "2021-03", "until": "2021-03"}, {HUE_2021}),
        ({"since": "2021-04", "until": "2022"}, {LAO_CAI_2022}),
        ({"since": "03/2021", "until": "07/2022"}, {HUE_2021, LAO_CAI_2022}),
        ({"since": "05/03/2021", "until": "15/07/2022"}, {HUE_2021, LAO_CAI_2022}),
        ({"since": "06/03/2021", "until": "14/07/2022"}, set()),
        ({"until": "2019-01"}, {DVCQ_2019}),
        ({"until": "2018-12"}, set()),
    ],
)
def test_years_and_months_as_date_bounds(seeds_index: SearchIndex, options, expected):
    assert set(ids(seeds_index.search("dân vận", **options))) == expected


def test_jsonl_dates_in_vietnamese_order_are_read(tmp_path: Path):
    lines = [{"id": "a", "body": "Hội nghị dân vận", "date": "05/03/2021"},
             {"id": "b", "body": "Hội nghị dân vận", "date": "5-3-2021 10:13"},
             {"id": "c", "body": "Hội nghị dân vận", "date": "2021-03-05T10:13:00"},
             {"id": "d", "body": "Hội nghị dân vận", "date": "31/02/2021"}]
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["index", "--index", str(tmp_path / "ix"), str(path)])
    assert result.stdout.endswith(": 3 added, 0 updated, 0 unchanged, 1 skipped\n")
    assert f"skipped {path}:4: document 'd': \"date\" must be a date" in result.stderr
    with SearchIndex.open(tmp_path / "ix") as ix:
        assert [ix.get(i).date for i in "abc"] == [dt.date(2021, 3, 5)] * 3


# --- notebooks ----------------------------------------------------------------------------------

def test_short_reprs_and_an_html_table(seeds_index: SearchIndex):
    results = seeds_index.search("Giồng Riềng")
    assert repr(results) == "<SearchResults 'Giồng Riềng': 1 matching, hit 1>"
    assert repr(seeds_index.search("dân vận", limit=2, page=2)) == (
        "<SearchResults 'dân vận': 5 matching, hits 3-4>")
    hit = repr(results[0])
    assert hit.startswith(f"Hit(rank=1, id='{KIEN_GIANG}', score=")
    assert hit.endswith(", title='Kiên Giang tăng cường công tác dân vận …', date=2023-10-03)")
    assert repr(seeds_index.get(THANH_HOA)) == (
        f"StoredDocument(id='{THANH_HOA}', title='Giám sát việc ban hành Quy chế công tác…', "
        "date=None, body='(Baothanhhoa.vn) - Sáng 26/4, Đoàn giám…')")
    table = results._repr_html_()
    assert table.startswith("<p>1 document matches; showing 1.</p><table>")
    assert "<mark>Giồng Riềng</mark>" in table and table.count("<tr>") == 2

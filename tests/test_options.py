"""Arguments of the wrong type or value fail at the call, with a typed error naming them.

Whatever a web back end or a notebook passes (bytes, numbers, lists of anything, text
with lone surrogates), the library answers or raises an ``ArgumentTypeError`` (a
``TypeError``) or an ``InvalidArgumentError``/``InvalidQueryError`` (``ValueError``s),
all ``DanvanError``s whose message names the argument.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from danvan_search import (
    ArgumentTypeError,
    CorruptIndexError,
    DanvanError,
    DocumentNotFoundError,
    InvalidArgumentError,
    InvalidDocumentError,
    InvalidQueryError,
    SearchIndex,
)

KIEN_GIANG = "004_1d921b9e94ebeb4d"
THANH_HOA = "003_960197ae100cdfc3"

ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20),
    st.binary(max_size=10), st.dates(), st.lists(st.one_of(st.integers(), st.text(max_size=5),
                                                           st.none()), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.tuples(st.integers()), st.just(object()), st.just(b"abc"), st.just([1, 2]),
)


def check_error(error: BaseException, name: str) -> None:
    assert isinstance(error, DanvanError), repr(error)
    assert isinstance(error, (TypeError, ValueError)), repr(error)
    assert name in str(error), (name, str(error))


# --- the cases the report found, one by one ----------------------------------------------


@pytest.mark.parametrize(
    ("options", "kind", "name"),
    [
        ({"source": [1, 2]}, ArgumentTypeError, "source"),
        ({"source": b"abc"}, ArgumentTypeError, "source"),
        ({"place": {"Huế": 1}}, ArgumentTypeError, "place"),
        ({"cites": 25}, ArgumentTypeError, "cites"),
        ({"limit": 2.5}, ArgumentTypeError, "limit"),
        ({"limit": "10"}, ArgumentTypeError, "limit"),
        ({"limit": True}, ArgumentTypeError, "limit"),
        ({"limit": 0}, InvalidQueryError, "limit"),
        ({"sort": "newest"}, InvalidQueryError, "sort"),
        ({"sort": None}, InvalidQueryError, "sort"),
        ({"facets": "yes"}, ArgumentTypeError, "facets"),
        ({"exact": 1}, ArgumentTypeError, "exact"),
        ({"since": "2021-01-01garbage"}, InvalidQueryError, "since"),
        ({"until": "31/02/2021"}, InvalidQueryError, "until"),
        ({"until": "yesterday"}, InvalidQueryError, "until"),
        ({"offset": -1}, InvalidQueryError, "offset"),
        ({"offset": 1.0}, ArgumentTypeError, "offset"),
        ({"page": 0}, InvalidQueryError, "page"),
        ({"page": "2"}, ArgumentTypeError, "page"),
        ({"since": 20210101}, ArgumentTypeError, "since"),
    ],
)
def test_bad_search_options(seeds_index: SearchIndex, options: dict, kind: type, name: str):
    with pytest.raises(kind) as info:
        seeds_index.search("dân vận", **options)
    check_error(info.value, name)


def test_since_is_read_whole_not_by_its_first_ten_characters(seeds_index: SearchIndex):
    with pytest.raises(InvalidQueryError, match="2021-01-01garbage"):
        seeds_index.search("dân vận", since="2021-01-01garbage")
    # A full ISO date-time is a date.
    found = seeds_index.search("dân vận", since="2023-10-03T00:00:00+07:00", limit=10)
    assert [hit.id for hit in found] == [KIEN_GIANG]


@pytest.mark.parametrize("query", [123, b"dan van", ["dân vận"], 1.5])
@pytest.mark.parametrize("options", [{}, {"source": "x"}])
def test_a_query_that_is_not_a_string(seeds_index: SearchIndex, query, options):
    with pytest.raises(ArgumentTypeError, match="query must be a string") as info:
        seeds_index.search(query, **options)
    check_error(info.value, "query")


def test_numpy_integers_are_integers(seeds_index: SearchIndex):
    np = pytest.importorskip("numpy")
    assert len(seeds_index.search("dân vận", limit=np.int64(2))) == 2


def test_suggest_get_delete_arguments(seeds_index_path: Path, tmp_path: Path):
    with SearchIndex.open(seeds_index_path) as ix:
        with pytest.raises(ArgumentTypeError, match="query"):
            ix.suggest(123)  # type: ignore[arg-type]
        with pytest.raises(ArgumentTypeError, match="doc_id"):
            ix.get(5)  # type: ignore[arg-type]
    with SearchIndex.create(tmp_path / "ix") as ix:
        ix.add([{"id": "a", "body": "Dân vận"}, {"id": "b", "body": "Mặt trận"}])
        assert ix.delete("ab") == 0  # one id, not the characters of one
        with pytest.raises(ArgumentTypeError, match="ids"):
            ix.delete([1])  # type: ignore[list-item]
        with pytest.raises(ArgumentTypeError, match="wrap one document in a list"):
            ix.add({"id": "c", "body": "Hội nghị"})  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentError, match="procs"):
            ix.index_documents([], procs=0)
        with pytest.raises(ArgumentTypeError, match="pages"):
            ix.add([{"id": "c", "body": "Hội nghị"}], pages="yes")  # type: ignore[arg-type]
        assert len(ix) == 2  # nothing was deleted or added


@pytest.mark.parametrize(
    ("call", "kind", "name"),
    [
        (lambda p: SearchIndex.open(b"/tmp/x"), ArgumentTypeError, "path"),
        (lambda p: SearchIndex.open(p, lock_timeout="10"), ArgumentTypeError, "lock_timeout"),
        (lambda p: SearchIndex.open(p, lock_timeout=-1), InvalidArgumentError, "lock_timeout"),
        (lambda p: SearchIndex.open(p, acronyms=42), ArgumentTypeError, "acronyms"),
        (lambda p: SearchIndex.create(p, overwrite="yes"), ArgumentTypeError, "overwrite"),
        (lambda p: SearchIndex.exists(None), ArgumentTypeError, "path"),
        (lambda p: SearchIndex.open(p, searchers=0), InvalidArgumentError, "searchers"),
        (lambda p: SearchIndex.open(p, searchers="4"), ArgumentTypeError, "searchers"),
        (lambda p: SearchIndex.open(p, cached_postings=0), InvalidArgumentError,
         "cached_postings"),
        (lambda p: SearchIndex.open(p, cached_postings=1.5), ArgumentTypeError,
         "cached_postings"),
        (lambda p: SearchIndex.open(p, ranking="bm25"), ArgumentTypeError, "ranking"),
        (lambda p: SearchIndex.build(p, 5), ArgumentTypeError, "sources"),
        (lambda p: SearchIndex.build(p, [b"seeds"]), ArgumentTypeError, "sources"),
    ],
)
def test_bad_open_and_create_arguments(seeds_index_path: Path, call, kind, name):
    with pytest.raises(kind) as info:
        call(seeds_index_path)
    check_error(info.value, name)


@pytest.mark.parametrize("content", ["[1, 2, 3]", '"index"', "null", "{", ""])
def test_a_metadata_file_that_is_not_an_object(tmp_path: Path, content: str):
    path = tmp_path / "ix"
    SearchIndex.create(path).close()
    (path / "danvan.json").write_text(content)
    with pytest.raises(CorruptIndexError, match="--overwrite") as info:
        SearchIndex.open(path)
    assert "danvan.json" in str(info.value)


# --- lone surrogates: text that is not text -------------------------------------------------


@pytest.mark.parametrize("query", ["\udcff ng", "dân \ud800vận", '"\udcff"', "-\udcff dân",
                                   "title:\udcff", "\udcff"])
def test_lone_surrogates_in_queries(seeds_index: SearchIndex, query: str):
    plain = query.replace("\udcff", "").replace("\ud800", "")
    results = seeds_index.search(query, limit=10)
    assert "\udcff" not in results.query and "\ud800" not in results.query
    if any(c.isalpha() for c in plain.replace("title:", "")):
        # The stray character is dropped like any symbol: the rest is searched.
        assert [h.id for h in results] == [h.id for h in seeds_index.search(plain, limit=10)]
    else:
        assert (results.total, results.hits) == (0, ())
    replaced = query.replace("\udcff", "\ufffd").replace("\ud800", "\ufffd")
    assert seeds_index.suggest(query) == seeds_index.suggest(replaced)


def test_lone_surrogates_in_ids_and_filters(seeds_index: SearchIndex):
    assert "\udcff" not in seeds_index
    with pytest.raises(DocumentNotFoundError, match="udcff"):
        seeds_index.get("\udcff")
    found = seeds_index.search("dân vận", source="\udcffbaothanhhoa.vn")
    assert found.total == 0
    found = seeds_index.search("dân vận", source=["\udcff", "baothanhhoa.vn"], limit=10)
    assert [h.id for h in found] == [THANH_HOA]


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"id": "a", "body": "Dân vận \ud800"}, "body"),
        ({"id": "a\udcff", "body": "Dân vận"}, "id"),
        ({"id": "a", "body": "Dân vận", "title": "\ud800"}, "title"),
        ({"id": "a", "body": "Dân vận", "places": ["\ud800"]}, "places"),
        ({"id": "a", "body": "Dân vận", "note": "\ud800"}, "extra metadata"),
        ({"id": "a", "body": "Dân vận", "when": dt.date(2021, 1, 1)}, "JSON data"),
    ],
)
def test_documents_holding_what_cannot_be_stored(empty_index: SearchIndex, doc, field):
    with pytest.raises(InvalidDocumentError, match=field):
        empty_index.add([doc])
    report = empty_index.index_documents([doc, {"id": "ok", "body": "Mặt trận"}])
    assert report.added == 1 and len(report.skipped) == 1 and field in report.skipped[0][1]
    assert empty_index.ids() == ["ok"]


# --- property: any value of any option --------------------------------------------------------


OPTIONS = ["limit", "offset", "page", "since", "until", "source", "place", "cites", "sort",
           "facets", "exact"]


@given(name=st.sampled_from(OPTIONS), value=ANYTHING)
@example(name="source", value=[1, 2])
@example(name="source", value=b"abc")
@example(name="limit", value=float("nan"))
@example(name="limit", value=10**20)
@example(name="since", value="2021-01-01garbage")
def test_any_option_value_answers_or_raises_a_typed_error_naming_it(
    seeds_index_path: Path, name: str, value: object
):
    with SearchIndex.open(seeds_index_path) as ix:
        try:
            results = ix.search("dân vận", **{name: value})
        except Exception as error:
            check_error(error, name)
        else:
            assert results.total >= 0 and len(results) <= results.total


@given(query=ANYTHING, options=st.sampled_from([{}, {"source": "x"}, {"since": "2021-01-01"}]))
def test_any_query_value(seeds_index_path: Path, query: object, options: dict):
    with SearchIndex.open(seeds_index_path) as ix:
        try:
            ix.search(query, **options)
        except Exception as error:
            assert isinstance(error, DanvanError), repr(error)
            assert isinstance(error, (TypeError, ValueError))
            assert "query" in str(error)


def test_the_json_metadata_round_trips_as_given(empty_index: SearchIndex):
    extra = {"tags": ["a", "b"], "score": 1.5, "nested": {"x": None, "y": True}}
    empty_index.add([{"id": "m", "body": "Dân vận", **extra}])
    assert json.loads(json.dumps(dict(empty_index.get("m").extra))) == extra

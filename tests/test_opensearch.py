"""The OpenSearch backend against a real 3-node cluster: the seeds give the results the
embedded index gives, writing skips what did not change, errors are typed, and the
command line works with opensearch:// locations."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import cluster_location

from danvan_search import SearchIndex
from danvan_search.analysis import split_syllables
from danvan_search.cli import main
from danvan_search.errors import (
    ClusterUnavailableError,
    IncompatibleIndexError,
    IndexExistsError,
    IndexNotFoundError,
    InvalidArgumentError,
    InvalidQueryError,
)
from danvan_search.normalization import fold
from danvan_search.query_syntax import MAX_QUERY_CHARS
from danvan_search.ranking import DEFAULT_RANKING
from danvan_search.serve import create_app

# The README's queries (its table of what people type), with and without accents.
README_QUERIES = [
    "công tác dân vận", "cong tac dan van", '"Dân vận khéo"', "dân vận -Huế",
    'dân vận -"Kiên Giang"', "Giồng Riềng OR Lào Cai", "title:Huế", 'title:"dân vận"',
    "25-NQ/TW", "23-qd/tw", "dân vận khéo", "dan van kheo", "DAN VAN KHEO", "bàn",
    "tham nhũng", "MTTQ", "Ủy ban nhân dân",
]


def _ranked(results: Any) -> list[tuple[Any, ...]]:
    return [(h.rank, h.id, h.title, h.date, h.source, h.snippet.text, h.snippet.highlights,
             h.highlights, h.title_highlights) for h in results]


@pytest.mark.parametrize("query", README_QUERIES)
def test_readme_queries_give_the_embedded_results(os_seeds: Any, seeds_index: SearchIndex,
                                                  query: str) -> None:
    expected, found = seeds_index.search(query), os_seeds.search(query)
    assert found.total == expected.total
    assert _ranked(found) == _ranked(expected)


def _long_questions() -> list[str]:
    """The longest queries: as many syllables as get every ranking feature, and as many
    characters as a query may have (its syllables then only scored one by one), each
    accented and not."""
    seed = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))[1]
    text = " ".join(seed.read_text(encoding="utf-8").split())
    syllables = split_syllables(text).words
    featured = text[: syllables[DEFAULT_RANKING.max_proximity_syllables - 1].end]
    pasted = text[:MAX_QUERY_CHARS]
    return [featured, fold(featured), pasted, fold(pasted)]


@pytest.mark.parametrize("query", _long_questions(),
                         ids=["featured", "featured-unaccented", "pasted", "pasted-unaccented"])
def test_the_longest_queries_give_the_embedded_results(
    os_seeds: Any, seeds_index: SearchIndex, query: str,
) -> None:
    # Every adjacent pair scored, within a cluster's default limit of 1,024 clauses.
    expected, found = seeds_index.search(query), os_seeds.search(query)
    assert found.total == expected.total
    assert _ranked(found) == _ranked(expected)


def test_a_query_past_the_clause_limit_is_scored_by_its_syllables(
    os_seeds: Any, opensearch_cluster: Any, seeds_index_path: Path,
) -> None:
    """Proximity for every pair of a 250-syllable query passes the cluster's limit of
    1,024 clauses: the search is answered with the syllables alone, as the embedded
    index answers a query longer than its ``max_proximity_syllables``."""
    query = _long_questions()[2]
    every_pair = replace(DEFAULT_RANKING, max_proximity_syllables=300)
    syllables_only = replace(DEFAULT_RANKING, max_proximity_syllables=0)
    with SearchIndex.open(cluster_location(opensearch_cluster, "seeds"),
                          ranking=every_pair) as cluster, \
            SearchIndex.open(seeds_index_path, ranking=syllables_only) as embedded:
        expected, found = embedded.search(query), cluster.search(query)
        assert found.total == expected.total > 0
        assert _ranked(found) == _ranked(expected)


def test_a_refusal_for_too_many_clauses_is_a_query_error_not_an_unreachable_cluster() -> None:
    from opensearchpy import TransportError

    from danvan_search.opensearch_index import Location, _call

    # What a 2.19 cluster answers (the reason is all the client's message keeps).
    reason = "Query contains too many nested clauses; maxClauseCount is set to 1024"
    refusal = TransportError(500, "search_phase_execution_exception", {
        "error": {"root_cause": [{"type": "too_many_nested_clauses", "reason": reason}],
                  "type": "search_phase_execution_exception", "reason": "all shards failed"},
        "status": 500,
    })

    def refused() -> None:
        raise refusal

    with pytest.raises(InvalidQueryError, match=r"indices\.query\.bool\.max_clause_count"):
        _call(Location.parse("opensearch://127.0.0.1:9200/news"), refused)


def test_the_shards_are_asked_at_once_by_threads_that_close_with_the_index(
        opensearch_cluster: Any, os_seeds: Any) -> None:
    before = set(threading.enumerate())

    def shard_threads() -> list[threading.Thread]:
        return [t for t in threading.enumerate()
                if t not in before and t.name.startswith("danvan-shard")]

    ix = SearchIndex.open(cluster_location(opensearch_cluster, "seeds"))
    assert ix.stats().shards == 2
    ix.search("dan van kheo")  # typed without accents: rounds of term statistics
    # (one or two: the pool starts a second thread only if the first is busy)
    assert shard_threads()
    ix.close()
    assert shard_threads() == []


#: Weights of the pair of adjacent syllables (scored as a term) the backends must agree on.
PAIR_WEIGHTS = (0.0, 0.3, 0.5)


@pytest.fixture(scope="module")
def both_rankings(os_seeds: Any, opensearch_cluster: Any,
                  seeds_index_path: Path) -> Iterator[dict[float, tuple[Any, Any]]]:
    """The seeds in both backends, opened with each of :data:`PAIR_WEIGHTS` (a query-time
    weight: the same indexes serve them all)."""
    opened: dict[float, tuple[Any, Any]] = {}
    for weight in PAIR_WEIGHTS:
        ranking = replace(DEFAULT_RANKING, pair_weight=weight, unaccented_pair_weight=weight)
        opened[weight] = (
            SearchIndex.open(seeds_index_path, ranking=ranking),
            SearchIndex.open(cluster_location(opensearch_cluster, "seeds"), ranking=ranking),
        )
    yield opened
    for pair in opened.values():
        for ix in pair:
            ix.close()


@pytest.mark.parametrize("weight", PAIR_WEIGHTS[1:])
@pytest.mark.parametrize("query", README_QUERIES)
def test_readme_queries_give_the_embedded_results_with_pairs_weighed(
        both_rankings: dict[float, tuple[Any, Any]], query: str, weight: float) -> None:
    embedded, cluster = both_rankings[weight]
    expected, found = embedded.search(query), cluster.search(query)
    assert found.total == expected.total
    assert _ranked(found) == _ranked(expected)


def _pair_scores(ix_without: Any, ix_with: Any, query: str) -> dict[str, float]:
    """What the pair terms add to each hit's score."""
    without = {h.id: h.score for h in ix_without.search(query)}
    return {h.id: h.score - without[h.id] for h in ix_with.search(query)}


#: The README queries of two or more free syllables: the ones the pairs score.
PAIR_QUERIES = ["công tác dân vận", "cong tac dan van", "dân vận -Huế", 'dân vận -"Kiên Giang"',
                "Giồng Riềng OR Lào Cai", "dân vận khéo", "dan van kheo", "DAN VAN KHEO",
                "tham nhũng", "Ủy ban nhân dân"]


def test_pairs_add_what_they_add_in_the_embedded_index(
        both_rankings: dict[float, tuple[Any, Any]]) -> None:
    """The pair term's score (BM25 with the pair's own document frequency, frequency in
    the document and the pair field's length) is the embedded index's, to the rounding of
    field lengths each engine stores in a byte (a few per cent at most here)."""
    (embedded_without, cluster_without), (embedded_with, cluster_with) = (
        both_rankings[0.0], both_rankings[0.5])
    scored = []
    for query in README_QUERIES:
        expected = _pair_scores(embedded_without, embedded_with, query)
        found = _pair_scores(cluster_without, cluster_with, query)
        assert found.keys() == expected.keys()
        if any(expected.values()):
            scored.append(query)
        for doc_id, added in expected.items():
            assert found[doc_id] == pytest.approx(added, rel=0.06, abs=1e-6), (query, doc_id)
    assert scored == PAIR_QUERIES


def test_pairs_in_documents_written_without_diacritics(opensearch_cluster: Any,
                                                       tmp_path: Path) -> None:
    """An accented query's pairs count folded in a document written without diacritics,
    and not at all in one where the syllables are apart, as in the embedded index."""
    docs = [
        {"id": "once", "body": "Dân vận. Vận động dân. Dân cư, vận tải, dân số, vận tốc."},
        {"id": "thrice", "body": "Dân vận, dân vận và dân vận trong xã."},
        {"id": "plain", "body": "Dan van, dan van, dan van o xa."},
        {"id": "apart", "body": "Người dân đi vận động, dân làng vận chuyển hàng về làng."},
    ]
    location = cluster_location(opensearch_cluster, "pairs")
    rankings = [replace(DEFAULT_RANKING, pair_weight=w, unaccented_pair_weight=w)
                for w in (0.0, 0.5)]
    with SearchIndex.create(tmp_path / "ix") as ix:
        ix.add(docs)
    with SearchIndex.create(location) as ix:
        ix.add(docs)
    opened = [SearchIndex.open(where, ranking=r) for where in (tmp_path / "ix", location)
              for r in rankings]
    try:
        for query in ("dân vận", "dan van"):
            expected = _pair_scores(opened[0], opened[1], query)
            found = _pair_scores(opened[2], opened[3], query)
            assert sorted(d for d, added in expected.items() if added) == [
                "once", "plain", "thrice"]
            assert found == pytest.approx(expected, rel=0.06, abs=1e-6)
        # The pairs rank "thrice" first in both (without them the embedded index does
        # too, by 3%, and the cluster not, by 0.3%: lengths rounded otherwise). Typed
        # without accents, both add the restored accents.
        assert [h.id for h in opened[3].search("dân vận")] == [
            h.id for h in opened[1].search("dân vận")] == ["thrice", "once", "plain", "apart"]
        assert [h.id for h in opened[3].search("dan van")] == [
            h.id for h in opened[1].search("dan van")] == ["thrice", "plain", "once", "apart"]
    finally:
        for ix in opened:
            ix.close()


def test_syllables_score_as_in_the_embedded_index(opensearch_cluster: Any,
                                                  tmp_path: Path) -> None:
    """A syllable's BM25 score is the embedded index's, to a per cent: the parts of a
    hyphenated word ("covid" of "COVID-19") are the same term as the syllable, counted
    once with it, and a field's length counts its words too, as the embedded index
    counts them (a text of compounds is longer than one of single syllables)."""
    docs = [
        {"id": "hyphen", "body": "Xét nghiệm COVID-19 tại Hà Nội."},
        {"id": "both", "body": "Vaccine COVID 19 không làm bạn dương tính với COVID-19."},
        {"id": "plain", "body": "Bệnh covid lây qua đường hô hấp, covid nguy hiểm."},
        {"id": "compounds", "body": "Công tác dân vận của Ủy ban nhân dân Thành phố Hồ Chí "
                                    "Minh trong phòng chống dịch bệnh covid ở khu dân cư."},
        {"id": "syllables", "body": "covid là gì, ai có biết không nhỉ, ở đâu vậy, sao lại "
                                    "thế, có ai biết chỉ tôi với?"},
    ]
    with _in_both(opensearch_cluster, tmp_path, "lengths", docs) as (embedded, cluster):
        for query, order in (("covid", ["plain", "both", "hyphen", "syllables", "compounds"]),
                             ("COVID 19", ["both", "hyphen", "plain", "syllables",
                                           "compounds"]),
                             ("19", ["both", "hyphen"])):
            _assert_same_scores(embedded, cluster, query, order)


def test_phrases_score_as_in_the_embedded_index(opensearch_cluster: Any,
                                                tmp_path: Path) -> None:
    """A phrase scores the sum of its words' scores where they stand together, as in
    the embedded index, not its own frequency: "often" has the phrase once and its
    words often apart, "twice" the phrase twice and nothing else."""
    apart = " ".join(["Mặt bằng giá cả ổn định, trận đấu đã xong, Tổ quốc ghi ơn."] * 3)
    docs = [
        {"id": "often", "body": f"Ủy ban Mặt trận Tổ quốc họp. {apart}"},
        {"id": "twice", "body": "Mặt trận Tổ quốc tỉnh và Mặt trận Tổ quốc huyện họp bàn "
                                "công tác năm nay ở hội trường lớn của tỉnh."},
        {"id": "none", "body": "Hội nghị tổng kết công tác năm."},
    ]
    with _in_both(opensearch_cluster, tmp_path, "phrases", docs) as (embedded, cluster):
        _assert_same_scores(embedded, cluster, '"Mặt trận Tổ quốc"', ["often", "twice"])
        _assert_same_scores(embedded, cluster, '"mat tran to quoc"', ["often", "twice"])


def test_the_lead_scores_as_in_the_embedded_index(opensearch_cluster: Any,
                                                  tmp_path: Path) -> None:
    """The query's words in the first 80 syllables of the body add what they add in
    the embedded index."""
    from test_ranking import LEAD_DOCS

    with _in_both(opensearch_cluster, tmp_path, "lead", LEAD_DOCS) as (embedded, cluster):
        for query in ("đê điều vỡ", "de dieu vo"):
            _assert_same_scores(embedded, cluster, query, ["early", "late"])


def test_a_sure_restoration_searches_as_in_the_embedded_index(opensearch_cluster: Any,
                                                              tmp_path: Path) -> None:
    """A word typed without accents that the index nearly always reads one way is
    searched with those accents ("tham nhung": not "thăm những"), as in the embedded
    index, with the same scores."""
    from test_ranking import GRAFT_DOCS

    with _in_both(opensearch_cluster, tmp_path, "sure-restored", GRAFT_DOCS) as (
        embedded, cluster
    ):
        expected, found = embedded.search("tham nhung", limit=30), cluster.search(
            "tham nhung", limit=30)
        assert found.total == expected.total == 19
        # Texts of the same length tie, in an order of each engine's: compared by text.
        assert {h.id: h.score for h in found} == pytest.approx(
            {h.id: h.score for h in expected}, rel=0.01)


@contextlib.contextmanager
def _in_both(opensearch_cluster: Any, tmp_path: Path, name: str,
             docs: list[dict[str, str]]) -> Iterator[tuple[Any, Any]]:
    """The same documents in an embedded index and in a cluster index, opened."""
    location = cluster_location(opensearch_cluster, name)
    for where in (tmp_path / name, location):
        with SearchIndex.create(where) as ix:
            ix.add(docs)
    with SearchIndex.open(tmp_path / name) as embedded, SearchIndex.open(location) as cluster:
        yield embedded, cluster


def _assert_same_scores(embedded: Any, cluster: Any, query: str, order: list[str]) -> None:
    """Both backends rank ``query``'s hits in ``order``, with scores within 1%."""
    expected = {h.id: h.score for h in embedded.search(query, exact=True)}
    found = {h.id: h.score for h in cluster.search(query, exact=True)}
    assert list(found) == list(expected) == order
    assert found == pytest.approx(expected, rel=0.01)


def test_titles_score_as_in_the_embedded_index_when_only_some_documents_have_one(
    opensearch_cluster: Any, tmp_path: Path,
) -> None:
    """A title's length is compared with the average title of the documents that have
    one, in both backends (Lucene's BM25 averages that way)."""
    docs = [
        {"id": "short", "title": "Dân vận khéo", "body": "Hội nghị ở xã."},
        {"id": "long", "title": "Phong trào thi đua Dân vận khéo của tỉnh năm nay",
         "body": "Tổng kết ở huyện."},
        {"id": "body", "body": "Mô hình dân vận khéo ở thôn bản."},
        *({"id": f"untitled{i}", "body": f"Tin ngắn số {i} trong ngày."} for i in range(6)),
    ]
    with _in_both(opensearch_cluster, tmp_path, "titles", docs) as (embedded, cluster):
        _assert_same_scores(embedded, cluster, "khéo", ["short", "body", "long"])


def test_readme_query_finds_the_four_articles_in_the_readme_order(os_seeds: Any) -> None:
    results = os_seeds.search("dan van kheo")
    assert [h.id[:3] for h in results] == ["004", "002", "000", "003"]
    assert "[dân vận khéo]" in results[0].snippet.render()


@pytest.mark.parametrize("filters", [
    {"since": "2022"}, {"until": "2021-12-31"}, {"since": "2021-03", "until": "2022-07"},
    {"source": "thuathienhue.gov.vn"}, {"source": ["baothanhhoa.vn", "thuathienhue.gov.vn"]},
    {"place": "An Giang"}, {"place": "thua thien hue"}, {"cites": "25-nq/tw"},
    {"source": "nowhere.example"},
])
def test_filters_and_facets_as_the_embedded_index(os_seeds: Any, seeds_index: SearchIndex,
                                                  filters: dict[str, Any]) -> None:
    for query in ("dân vận", None):
        if query is None and not filters:
            continue
        expected = seeds_index.search(query, facets=True, **filters)
        found = os_seeds.search(query, facets=True, **filters)
        assert [h.id for h in found] == [h.id for h in expected]
        assert found.total == expected.total
        assert dict(found.facets) == dict(expected.facets)


def test_paging_and_sorting_by_date(os_seeds: Any, seeds_index: SearchIndex) -> None:
    for options in ({"page": 2, "limit": 2}, {"offset": 3, "limit": 1}, {"sort": "date"}):
        expected = seeds_index.search("công tác dân vận", **options)
        found = os_seeds.search("công tác dân vận", **options)
        assert [(h.rank, h.id) for h in found] == [(h.rank, h.id) for h in expected]
        assert found.total == expected.total == 5


def test_paging_past_the_result_window(opensearch_cluster: Any) -> None:
    """Pages beyond ``index.max_result_window`` (here 5; OpenSearch's default is 10,000)
    give the hits one long list would: ties broken by id across page boundaries, by
    date too, facets and totals on the deep page, and no point in time left open."""
    location = cluster_location(opensearch_cluster, "deep")
    # Two documents each with 12, 11, ... 7 times "dân vận" in bodies of one length:
    # d00 and d01 first (tied: by id), d10 and d11 last.
    docs = [{"id": f"d{i:02}", "body": " ".join(["dân vận"] * (12 - i // 2)
                                                 + ["nhà"] * (2 * (i // 2))),
             "date": f"2021-01-{i + 1:02}", "source": "a.vn" if i % 3 else "b.vn"}
            for i in range(12)]
    with SearchIndex.create(location) as ix:
        ix.add(docs)
        ix.client.indices.put_settings(index="deep", body={"index": {"max_result_window": 5}})
    with SearchIndex.open(location) as ix:
        assert ix.result_window() == 5
        pages = [ix.search("dân vận", limit=3, page=p) for p in range(1, 6)]
        assert [[h.id for h in page] for page in pages] == [
            ["d00", "d01", "d02"], ["d03", "d04", "d05"], ["d06", "d07", "d08"],
            ["d09", "d10", "d11"], []]
        assert [h.rank for h in pages[3]] == [10, 11, 12]
        assert [page.total for page in pages] == [12] * 5
        scores = [h.score for page in pages for h in page]
        assert scores == sorted(scores, reverse=True)
        assert scores[0] == scores[1] > scores[2] == scores[3] > scores[4]
        # Longer than the window, from the start: read in steps.
        assert [h.id for h in ix.search("dân vận", limit=8)] == [f"d{i:02}" for i in range(8)]
        deep = ix.search("dân vận", sort="date", offset=6, limit=4, facets=True,
                         source="a.vn")
        # a.vn: d01 d02 d04 d05 d07 d08 d10 d11, newest first; after six, d02 and d01.
        assert [(h.rank, h.id) for h in deep] == [(7, "d02"), (8, "d01")]
        assert (deep.total, dict(deep.facets)["source"]) == (8, (("a.vn", 8),))
        assert ix.client.get_all_pits().get("pits", []) == []


def test_documents_stats_and_facets_of_the_whole_index(os_seeds: Any,
                                                       seeds_index: SearchIndex) -> None:
    assert len(os_seeds) == 5
    assert os_seeds.ids() == seeds_index.ids()
    for doc_id in seeds_index.ids():
        assert doc_id in os_seeds
        assert os_seeds.get(doc_id) == seeds_index.get(doc_id)
    assert "missing" not in os_seeds
    assert dict(os_seeds.facets()) == dict(seeds_index.facets())
    stats = os_seeds.stats()
    assert (stats.documents, stats.shards, stats.replicas) == (5, 2, 1)


def test_writing_skips_unchanged_documents_and_counts_updates(opensearch_cluster: Any) -> None:
    location = cluster_location(opensearch_cluster, "edits")
    docs = [{"id": "a", "body": "Phong trào thi đua Dân vận khéo"},
            {"id": "b", "body": "Giá xăng tăng"}]
    with SearchIndex.create(location) as ix:
        assert ix.add(docs) == 2
        again = ix.index_documents(docs)
        assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
        changed = ix.index_documents([{"id": "a", "body": "Giá điện tăng"}, docs[1],
                                      {"id": "c", "body": "x"}, {"id": "c", "body": "y"},
                                      {"body": "no id"}])
        assert (changed.added, changed.updated, changed.unchanged) == (1, 2, 1)
        assert [why for _, why in changed.skipped] == [
            'missing "id": every document needs a non-empty string id']
        assert [h.id for h in ix.search("dien")] == ["a"]
        assert ix.search("dân vận khéo").total == 0
        assert ix.get("c").body == "y"
        assert ix.delete(["a", "nothing"]) == 1
        assert ix.ids() == ["b", "c"]
        with pytest.raises(IndexExistsError, match="already exists"):
            SearchIndex.create(location)


def test_errors_are_typed_and_say_what_to_do(opensearch_cluster: Any) -> None:
    with pytest.raises(IndexNotFoundError, match="danvan-search index --index"):
        SearchIndex.open(cluster_location(opensearch_cluster, "never-made"))
    with pytest.raises(InvalidArgumentError, match="lowercase"):
        SearchIndex.open("opensearch://127.0.0.1:9200/Upper")
    from opensearch_cluster import _free_ports

    closed = _free_ports(1)[0]
    with pytest.raises(ClusterUnavailableError, match="cannot reach OpenSearch"):
        SearchIndex.open(f"opensearch://127.0.0.1:{closed}/news")


def test_an_index_is_opened_with_the_bm25_it_was_created_with(opensearch_cluster: Any) -> None:
    """k1 and b are the index's own settings: another ranking's would score otherwise
    than the embedded index without a word, so opening with them is refused."""
    former = replace(DEFAULT_RANKING, body_b=0.75, title_b=0.75)
    location = cluster_location(opensearch_cluster, "former-bm25")
    with SearchIndex.create(location, overwrite=True, ranking=former) as ix:
        ix.add([{"id": "1", "body": "Công tác dân vận ở cơ sở."}])
    with pytest.raises(IncompatibleIndexError,
                       match=r"k1=1\.2, b=0\.75 .*Ranking\(k1=1\.2, body_b=0\.75, title_b=0\.75\)"):
        SearchIndex.open(location)
    with SearchIndex.open(location, ranking=former) as ix:
        assert [hit.id for hit in ix.search("dân vận")] == ["1"]


def test_command_line_with_an_opensearch_index(opensearch_cluster: Any, tmp_path: Path,
                                               seeds_index_path: Path) -> None:
    location = cluster_location(opensearch_cluster, "cli")
    source = tmp_path / "news.jsonl"
    source.write_text(
        json.dumps({"id": "hue", "title": "Dân vận khéo ở Huế", "body": "Thi đua Dân vận "
                    "khéo", "date": "2021-03-05", "source": "thuathienhue.gov.vn"},
                   ensure_ascii=False) + "\n" + "{broken\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["index", "--index", location, str(source)])
    assert result.exit_code == 0, result.output
    assert f"{location}: 1 added, 0 updated, 0 unchanged, 1 skipped" in result.output
    result = runner.invoke(main, ["search", "--index", location, "--json", "dan van kheo"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert (answer["total"], answer["hits"][0]["id"]) == (1, "hue")
    result = runner.invoke(main, ["show", "--index", location, "hue"])
    assert result.output.splitlines()[:2] == ["id:      hue", "title:   Dân vận khéo ở Huế"]
    result = runner.invoke(main, ["stats", "--index", location])
    assert "documents: 1" in result.output
    result = runner.invoke(main, ["delete", "--index", location, "hue", "gone"])
    assert result.output.strip() == "1 deleted; not in the index: gone"
    # Copying the embedded seeds index, then again: nothing changed the second time.
    target = cluster_location(opensearch_cluster, "exported")
    args = ["export", "--index", str(seeds_index_path), "--to", target]
    result = runner.invoke(main, args)
    assert result.output.strip() == f"{target}: 5 added, 0 updated, 0 unchanged, 0 skipped"
    result = runner.invoke(main, args)
    assert result.output.strip() == f"{target}: 0 added, 0 updated, 5 unchanged, 0 skipped"
    with SearchIndex.open(seeds_index_path) as embedded, SearchIndex.open(target) as copy:
        assert [h.id for h in copy.search("dan van kheo")] == [
            h.id for h in embedded.search("dan van kheo")]


# --- serving a cluster index ------------------------------------------------------------


@contextlib.contextmanager
def _serve_command(location: str) -> Iterator[str]:
    """``danvan-search serve --index LOCATION`` in its own process on a free loopback
    port; yields its base URL once it answers, stops it on the way out."""
    from opensearch_cluster import _free_ports

    port = _free_ports(1)[0]
    process = subprocess.Popen(
        [sys.executable, "-m", "danvan_search", "serve", "--index", location, "--port",
         str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(f"{base}/api/v1/health")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"serve did not start: {process.stderr.read().decode()}") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(10)
        process.stderr.close()


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.headers["content-type"], answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["content-type"], error.read()


def _without_scores(answer: bytes) -> Any:
    """A search's JSON, its hits' scores left out (Lucene's are Whoosh's times a
    constant, up to rounding: the order, not the figure, is what both must agree on)."""
    found = json.loads(answer)
    for hit in found.get("hits", ()):
        hit.pop("score")
    return found


#: What the server is asked, over each index: API searches (with filters, facets,
#: paging), documents, facets, health, and the pages people see.
SERVED = [
    *(f"/api/v1/search?{urllib.parse.urlencode({'q': q, 'facets': 'true'})}"
      for q in README_QUERIES),
    *(f"/api/v1/suggest?{urllib.parse.urlencode({'q': q})}"
      for q in ("dan van kheo", "vieejt nam", "dân vậm", "dân vận")),
    "/api/v1/search?q=vieejt",
    "/?q=dan+van+kheo",
    "/api/v1/search?q=d%C3%A2n+v%E1%BA%ADn&since=2022&source=baothanhhoa.vn&limit=2",
    "/api/v1/search?q=c%C3%B4ng+t%C3%A1c+d%C3%A2n+v%E1%BA%ADn&offset=3&limit=2",
    "/api/v1/search?place=An+Giang&sort=date",
    "/api/v1/search?q=d%C3%A2n+v%E1%BA%ADn&limit=0",
    "/api/v1/documents/004_1d921b9e94ebeb4d",
    "/api/v1/documents/missing",
    "/api/v1/facets",
    "/api/v1/health",
    "/?q=d%C3%A2n+v%E1%BA%ADn+kh%C3%A9o",
    "/?q=d%C3%A2n+v%E1%BA%ADn&page=2",
    "/?q=&source=thuathienhue.gov.vn",
    "/documents/002_6093d6844a4749a0",
]


def test_serve_over_a_cluster_index_answers_as_over_the_embedded_one(
        os_seeds: Any, seeds_index: SearchIndex, serving: Any) -> None:
    """`danvan-search serve --index opensearch://…` over real HTTP on loopback: the same
    status, type and body for each request as the server over the embedded seeds."""
    with _serve_command(os_seeds.path) as cluster, serving(create_app(seeds_index)) as port:
        for path in SERVED:
            expected = _get(f"http://127.0.0.1:{port}{path}")
            found = _get(f"{cluster}{path}")
            assert found[:2] == expected[:2], path
            if path.startswith("/api/v1/search"):
                assert _without_scores(found[2]) == _without_scores(expected[2]), path
            else:
                assert found[2] == expected[2], path
        # Not vacuous: the searches found what they should.
        status, _, body = _get(f"{cluster}{SERVED[0]}")
        assert (status, json.loads(body)["total"]) == (200, 5)

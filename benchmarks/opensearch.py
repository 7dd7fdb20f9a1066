"""The OpenSearch backend beside the embedded (Whoosh) one, in the same run.

* indexing: the same VNTC articles into both; for OpenSearch, the analysis (Python,
  CRF) and the bulk requests timed apart;
* queries: p50/p95 of headlines of other articles, on both, same questions;
* ranking: MRR@10 on the four dev collections (accented and unaccented questions), on
  both, the same sample of questions ``ranking.py --quick`` asks: the target is to be
  within 0.02 of the embedded index.

It starts its own cluster on loopback (``tests/opensearch_cluster.py``, ``--nodes``, 3 by
default; run ``bash scripts/fetch-opensearch.sh`` first), or uses ``--url
opensearch://HOST:PORT``.

    python benchmarks/opensearch.py --articles 2000 --queries 100 --ranking-queries 150
    python benchmarks/opensearch.py --parts ranking --whoosh-index-dir DIR \
        --cache-dir /tmp/danvan-analysis [--url opensearch://… --reuse-cluster]
    python benchmarks/opensearch.py --parts growth --keep DIR --cache-dir /tmp/danvan-analysis \
        --scales 10k,20k,40k,80k,160k [--heap 1g --shards 2 --replicas 1]

``--parts growth`` grows one cluster index through the points of ``scale.py``'s growth
series (``--keep DIR``, built by it), timing the bulk requests and the series' 300
queries at each point beside the embedded index of the same size (see :func:`growth`).

``--whoosh-index-dir`` opens embedded indexes already built (``DIR/<collection>/index``,
as ``ranking.py --index-dir`` keeps them) read-only instead of building them;
``--cache-dir`` keeps the segmentation of each collection's texts (outside the
repository) for the next run; ``--reuse-cluster`` keeps a ranking index of the same
format and size already on the cluster.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from common import (
    COLLECTIONS,
    VNTC_ALL,
    collection_docs,
    collection_queries,
    latency_summary,
    query_words,
    read_jsonl,
    sample,
    slim,
    working_tree,
)
from ranking import first_relevant

from danvan_search import Document, SearchIndex
from danvan_search.analysis import ANALYSIS_VERSION, Analysis, Word, analyze
from danvan_search.opensearch_index import OpenSearchIndex, _send_bulk
from danvan_search.opensearch_schema import document_source


def _articles(count: int) -> list[dict[str, Any]]:
    docs = []
    for doc in read_jsonl(VNTC_ALL):
        docs.append(slim(doc))
        if len(docs) >= count:
            break
    return docs


def _send_sources(ix: OpenSearchIndex, sources: list[dict[str, Any]]) -> None:
    """One bulk request of cluster documents, retried as the library retries."""
    name = ix.location.name
    actions = [{"index": {"_index": name, "_id": s["id"]}} for s in sources]
    payloads = [(json.dumps(s, ensure_ascii=False), s["id"], s["content_hash"])
                for s in sources]
    _send_bulk(ix, actions, payloads)


def indexing(url: str, docs: list[dict[str, Any]], workdir: Path) -> dict[str, Any]:
    """Whoosh build (one process per core, as the library does) vs OpenSearch, analysis
    and bulk timed apart (analysis in this process: one core)."""
    documents = [Document.from_dict(d) for d in docs]
    start = time.perf_counter()
    with SearchIndex.create(workdir / "whoosh") as ix:
        ix.index_documents(docs)
    whoosh_s = time.perf_counter() - start
    start = time.perf_counter()
    sources = [document_source(d, d.content_hash()) for d in documents]
    analysis_s = time.perf_counter() - start
    location = f"{url}/bench"
    with OpenSearchIndex.create(location, overwrite=True) as ix:
        start = time.perf_counter()
        for i in range(0, len(sources), ix.batch_size):
            _send_sources(ix, sources[i : i + ix.batch_size])
        ix.refresh()
        bulk_s = time.perf_counter() - start
        size = ix.stats().size_bytes
    return {
        "articles": len(docs),
        "whoosh_s": round(whoosh_s, 1),
        "whoosh_docs_per_s": round(len(docs) / whoosh_s, 1),
        "opensearch_analysis_s": round(analysis_s, 1),
        "opensearch_analysis_docs_per_s_one_core": round(len(docs) / analysis_s, 1),
        "opensearch_bulk_s": round(bulk_s, 1),
        "opensearch_bulk_docs_per_s": round(len(docs) / bulk_s, 1),
        "opensearch_primary_store_mb": round(size / 1e6, 1),
    }


def latency(url: str, workdir: Path, queries: list[str]) -> dict[str, Any]:
    rows = {}
    with SearchIndex.open(workdir / "whoosh") as whoosh, \
            OpenSearchIndex.open(f"{url}/bench") as cluster:
        for name, ix in (("whoosh", whoosh), ("opensearch", cluster)):
            ix.search(queries[0])  # warm
            seconds = []
            for query in queries:
                start = time.perf_counter()
                ix.search(query, limit=10)
                seconds.append(time.perf_counter() - start)
            rows[name] = latency_summary(seconds)
    return rows


def _analyse_texts(texts: list[str]) -> list[Analysis]:
    return [analyze(t) for t in texts]


def _analysed_sources(collection: str, docs: list[dict[str, Any]],
                      cache_dir: Path | None) -> list[dict[str, Any]]:
    """The OpenSearch documents of a collection. The analysis (the CRF, one process
    per core) is kept in ``cache_dir`` (outside the repository) when given: it takes
    minutes, and only a change to the analysis needs it again, not one to the way the
    cluster is given its results."""
    from concurrent.futures import ProcessPoolExecutor

    documents = [Document.from_dict(d) for d in docs]
    texts = list(dict.fromkeys(t for d in documents for t in (d.title, d.body) if t))
    cached = cache_dir / f"{collection}-analysis{ANALYSIS_VERSION}.jsonl.xz" if cache_dir else None
    if cached is not None and cached.exists():
        analyses = {}
        for row in read_jsonl(cached):
            words = tuple(Word(w[0], w[1], w[2], w[3], tuple(tuple(s) for s in w[4]))
                          for w in row["words"])
            analyses[row["text"]] = Analysis(row["text"], words)
    else:
        step = 100
        parts = [texts[i : i + step] for i in range(0, len(texts), step)]
        with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
            found = [a for part in pool.map(_analyse_texts, parts) for a in part]
        analyses = dict(zip(texts, found, strict=True))
        if cached is not None:
            import lzma

            cache_dir.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(".partial")
            with lzma.open(partial, "wt", encoding="utf-8") as out:
                for text, analysis in analyses.items():
                    row = {"text": text, "words": [list(w) for w in analysis.words]}
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
            partial.rename(cached)
    return [document_source(d, d.content_hash(), analyses.__getitem__) for d in documents]


def _load_cluster_index(location: str, sources: list[dict[str, Any]]) -> None:
    with OpenSearchIndex.create(location, overwrite=True) as ix:
        for i in range(0, len(sources), ix.batch_size):
            _send_sources(ix, sources[i : i + ix.batch_size])
        ix.refresh()


def _first_ranks(ix: Any, questions: list[dict[str, Any]]) -> list[int]:
    ranks = []
    for q in questions:
        text = query_words(q["query"])
        ranked = [h.id for h in ix.search(text, limit=10)] if text else []
        ranks.append(first_relevant(ranked, set(q["relevant_ids"])))
    return ranks


def _mrr(ranks: list[int]) -> float:
    return round(sum(1 / r for r in ranks if r) / len(ranks), 4)


def ranking(url: str, workdir: Path, per_kind: int, *, whoosh_index_dir: Path | None = None,
            cache_dir: Path | None = None, collections: list[str] | None = None,
            reuse_cluster: bool = False) -> dict[str, Any]:
    """MRR@10 of both backends on the same sample of questions per collection (the
    sample ``ranking.py --quick`` asks), accented and unaccented, in one run.

    ``whoosh_index_dir``: embedded indexes already built, ``DIR/<collection>/index``
    (``ranking.py --index-dir``), opened read-only; ``reuse_cluster``: keep a cluster
    index of the collection with as many documents as the collection."""
    result: dict[str, Any] = {}
    for collection in collections or list(COLLECTIONS):
        docs = collection_docs(collection)
        name = collection.replace("_", "-").lower()
        location = f"{url}/rank-{name}"
        kept = whoosh_index_dir / collection / "index" if whoosh_index_dir else None
        whoosh_path = kept if kept is not None and kept.exists() else workdir / f"rank-{name}"
        if whoosh_path != kept:
            with SearchIndex.create(whoosh_path) as ix:
                ix.index_documents(docs)
        if not (reuse_cluster and _reusable(location, len(docs))):
            _load_cluster_index(location, _analysed_sources(collection, docs, cache_dir))
        rows: dict[str, Any] = {"docs": len(docs)}
        with SearchIndex.open(whoosh_path) as whoosh, OpenSearchIndex.open(location) as cluster:
            if len(whoosh) != len(docs):
                raise ValueError(f"{whoosh_path} holds {len(whoosh)} documents, not {len(docs)}")
            for kind, folded in (("accented", False), ("unaccented", True)):
                questions = sample(collection_queries(collection, folded), per_kind,
                                   f"ranking:{collection}")
                ranks = {engine: _first_ranks(ix, questions)
                         for engine, ix in (("whoosh", whoosh), ("opensearch", cluster))}
                for engine, found in ranks.items():
                    rows[f"{engine}_{kind}_mrr@10"] = _mrr(found)
                    rows[f"{engine}_{kind}_ranks"] = found
                rows[f"{kind}_difference"] = round(
                    rows[f"opensearch_{kind}_mrr@10"] - rows[f"whoosh_{kind}_mrr@10"], 4)
                rows["questions_per_kind"] = len(questions)
                rows["qids"] = [q["qid"] for q in questions]
        result[collection] = rows
        print(f"  ranking {collection}: " + ", ".join(
            f"{k} {v}" for k, v in rows.items() if k.endswith(("mrr@10", "difference"))),
            flush=True)
    return result


def _sources_of(docs: list[dict[str, Any]]) -> list[str]:
    """The cluster documents of ``docs`` (segmented here), as JSON lines."""
    out = []
    for d in docs:
        document = Document.from_dict(d)
        out.append(json.dumps(document_source(document, document.content_hash()),
                              ensure_ascii=False))
    return out


def growth_sources(keep: Path, size: int, cache_dir: Path) -> tuple[Path, dict[str, Any]]:
    """The cluster documents of the growth series' ``size`` articles (``scale.py --keep``
    corpus), analysed once, one process per core, into ``cache_dir`` as JSON lines
    streamed to the file (not :func:`_analysed_sources`' analyses, which 80,000 articles
    would make many GB of objects; plain: written and read faster than compressed).
    Returns the file and, when it was made in this run, the analysis throughput."""
    from concurrent.futures import ProcessPoolExecutor

    cached = cache_dir / f"vntc-{size}-sources-analysis{ANALYSIS_VERSION}.jsonl"
    if cached.exists():
        return cached, {"cached": True}
    docs = list(read_jsonl(keep / f"vntc-{size}.jsonl"))
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".partial")
    step = 50
    parts = [docs[i : i + step] for i in range(0, len(docs), step)]
    start = time.perf_counter()
    with ProcessPoolExecutor(os.cpu_count() or 1) as pool, \
            partial.open("w", encoding="utf-8") as out:
        for lines in pool.map(_sources_of, parts):
            out.write("\n".join(lines) + "\n")
    seconds = time.perf_counter() - start
    partial.rename(cached)
    return cached, {"cached": False, "seconds": round(seconds, 1), "processes": os.cpu_count(),
                    "docs_per_s": round(len(docs) / seconds, 1)}


def growth(url: str, keep: Path, scales: list[int], cache_dir: Path, passes: int,
           shards: int, replicas: int) -> dict[str, Any]:
    """The cluster index grown through the points of the growth series (``scale.py
    --keep DIR``), as a collection grows: at each point the articles beyond the last
    are sent in bulk (timed), then the series' 300 queries run once and ``passes`` warm
    passes, on the cluster and, in a fresh process, on the series' embedded index of the
    same size where there is one. A point beyond the largest corpus holds it again,
    under new ids (160,000: VNTC twice)."""
    import scale

    queries_path = keep / "queries.jsonl"
    queries = [q["query"] for q in read_jsonl(queries_path)]
    largest = max(s for s in scales if (keep / f"vntc-{s}.jsonl").exists())
    sources_path, analysis = growth_sources(keep, largest, cache_dir)
    print(f"  growth: analysis {analysis}", flush=True)
    result: dict[str, Any] = {"analysis": analysis, "shards": shards, "replicas": replicas,
                              "passes": passes, "queries": len(queries), "points": {}}
    location = f"{url}/growth"
    with OpenSearchIndex.create(location, overwrite=True, shards=shards,
                                replicas=replicas) as ix, \
            sources_path.open(encoding="utf-8") as lines:
        held = 0
        for size in sorted(scales):
            bulk_s, load = 0.0, [round(os.getloadavg()[0], 2)]
            while held < size:
                batch = []
                for _ in range(min(ix.batch_size, size - held)):
                    line = lines.readline()
                    if not line:  # the corpus again, under new ids
                        lines.seek(0)
                        line = lines.readline()
                    source = json.loads(line)
                    copy = held // largest
                    if copy:
                        source["id"] = source["doc"]["id"] = f"{source['id']}~{copy + 1}"
                    batch.append(source)
                    held += 1
                start = time.perf_counter()
                _send_sources(ix, batch)
                bulk_s += time.perf_counter() - start
            start = time.perf_counter()
            ix.refresh()
            bulk_s += time.perf_counter() - start
            stats = ix.stats()
            point: dict[str, Any] = {
                "documents": stats.documents, "bulk_s": round(bulk_s, 1),
                "primary_store_mb": round(stats.size_bytes / 1e6, 1)}
            point["opensearch"] = scale.time_passes(lambda q: ix.search(q, limit=10),
                                                    queries, passes)[0]
            embedded = keep / f"vntc-{size}"
            if (embedded / "index").exists():
                point["embedded"] = scale.run_worker("queries", "danvan", str(embedded),
                                                     str(queries_path), str(passes))
            load.append(round(os.getloadavg()[0], 2))
            point["load"] = load
            result["points"][str(size)] = point
            warm = point["opensearch"]["warm"]
            print(f"  growth {size}: bulk {bulk_s:.0f} s, cluster warm p50 "
                  f"{warm['p50_ms']:.1f} / p95 {warm['p95_ms']:.1f} ms"
                  + (f", embedded {point['embedded']['warm']['p50_ms']:.1f} / "
                     f"{point['embedded']['warm']['p95_ms']:.1f}" if "embedded" in point else ""),
                  flush=True)
    for engine in ("opensearch", "embedded"):
        for key in ("p50_ms", "p95_ms"):
            series = [(int(size), p[engine]["warm"][key])
                      for size, p in result["points"].items() if engine in p]
            result.setdefault("exponents", {}).setdefault(engine, {})[key] = \
                scale.growth_exponent(series)
    return result


def growth_markdown(result: dict[str, Any]) -> str:
    """The growth table: per point, the bulk time and each backend's latencies."""
    lines = [
        "| articles | bulk s (articles/s) | primary store MB | cluster first run p50 / p95 "
        "| cluster warm p50 / p95 / max | embedded warm p50 / p95 / max | load |",
        "|---|---|---|---|---|---|---|",
    ]
    previous = 0
    for size, point in result["points"].items():
        added = int(size) - previous
        previous = int(size)
        first, warm = point["opensearch"]["first_run"], point["opensearch"]["warm"]
        embedded = point.get("embedded", {}).get("warm")
        lines.append(
            f"| {int(size):,} | {point['bulk_s']:.0f} ({added / point['bulk_s']:.0f}) "
            f"| {point['primary_store_mb']:,.0f} "
            f"| {first['p50_ms']:.1f} / {first['p95_ms']:.1f} "
            f"| {warm['p50_ms']:.1f} / {warm['p95_ms']:.1f} / {warm['max_ms']:.0f} "
            + (f"| {embedded['p50_ms']:.1f} / {embedded['p95_ms']:.1f} / {embedded['max_ms']:.0f} "
               if embedded else "| – ")
            + f"| {point['load'][0]:.1f} → {point['load'][1]:.1f} |")
    exponents = result.get("exponents", {})
    lines.append("")
    lines.append("Fitted growth exponents (warm p50 / p95): " + "; ".join(
        f"{engine} {e['p50_ms']:.2f} / {e['p95_ms']:.2f}"
        for engine, e in exponents.items() if e.get("p50_ms") is not None))
    return "\n".join(lines) + "\n"


def _reusable(location: str, documents: int) -> bool:
    """Whether the cluster holds an index of this version at ``location`` with as many
    documents as the collection."""
    from danvan_search.errors import IncompatibleIndexError, IndexNotFoundError

    try:
        with OpenSearchIndex.open(location) as ix:
            return len(ix) == documents
    except (IncompatibleIndexError, IndexNotFoundError):
        return False


def ranking_markdown(result: dict[str, Any]) -> str:
    lines = [
        "| collection | docs | questions | accented: embedded | OpenSearch | difference "
        "| unaccented: embedded | OpenSearch | difference |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for collection, row in result.items():
        cells = [collection, str(row["docs"]), str(row["questions_per_kind"])]
        for kind in ("accented", "unaccented"):
            cells += [f"{row[f'whoosh_{kind}_mrr@10']:.3f}",
                      f"{row[f'opensearch_{kind}_mrr@10']:.3f}",
                      f"{row[f'{kind}_difference']:+.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="opensearch://HOST:PORT of a running cluster")
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--ranking-queries", type=int, default=150)
    parser.add_argument("--parts", default="indexing,latency,ranking")
    parser.add_argument("--collections", help="comma-separated ranking collections")
    parser.add_argument("--whoosh-index-dir", type=Path,
                        help="embedded indexes already built (DIR/<collection>/index, as "
                        "ranking.py --index-dir keeps them), opened read-only")
    parser.add_argument("--cache-dir", type=Path,
                        help="keep the analysed documents of each collection here "
                        "(outside the repository) and reuse them")
    parser.add_argument("--reuse-cluster", action="store_true",
                        help="with --url: keep a ranking index already on the cluster")
    parser.add_argument("--nodes", type=int, default=3, help="nodes of the cluster started")
    parser.add_argument("--heap", default="512m", help="each started node's heap")
    parser.add_argument("--keep", type=Path,
                        help="--parts growth: the growth series' directory (scale.py --keep)")
    parser.add_argument("--scales", default="10k,20k,40k,80k,160k",
                        help="--parts growth: the points (beyond the largest corpus: it "
                        "again under new ids)")
    parser.add_argument("--passes", type=int, default=3, help="--parts growth: warm passes")
    parser.add_argument("--shards", type=int, default=2, help="--parts growth")
    parser.add_argument("--replicas", type=int, default=1, help="--parts growth")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    cluster = None
    url = args.url
    if url is None:
        from opensearch_cluster import LocalCluster

        cluster = LocalCluster(args.nodes, heap=args.heap)
        cluster.start()
        url = "opensearch://" + ",".join(f"127.0.0.1:{n.http_port}" for n in cluster.nodes)
    parts = set(args.parts.split(","))
    report: dict[str, Any] = {"measured": working_tree(), "load_average_before":
                              [round(x, 2) for x in os.getloadavg()]}
    try:
        with tempfile.TemporaryDirectory(prefix="danvan-bench-os-") as tmp:
            workdir = Path(tmp)
            if parts & {"indexing", "latency"}:
                docs = _articles(args.articles + args.queries)
                articles, held_out = docs[: args.articles], docs[args.articles :]
                report["indexing"] = indexing(url, articles, workdir)
                print(f"  indexing: {report['indexing']}", flush=True)
                if "latency" in parts:
                    queries = [query_words(d["title"]) for d in held_out if d["title"]]
                    report["latency"] = latency(url, workdir, [q for q in queries if q])
                    print(f"  latency: {report['latency']}", flush=True)
            if "growth" in parts:
                if args.keep is None or args.cache_dir is None:
                    parser.error("--parts growth needs --keep and --cache-dir")
                from speed import parse_scales

                report["growth"] = growth(url, args.keep, parse_scales(args.scales) or [],
                                          args.cache_dir, args.passes, args.shards,
                                          args.replicas)
                report["cluster"] = ({"nodes": args.nodes, "heap": args.heap}
                                     if cluster is not None else {"url": url})
                print(growth_markdown(report["growth"]), flush=True)
            if "ranking" in parts:
                report["ranking"] = ranking(
                    url, workdir, args.ranking_queries, whoosh_index_dir=args.whoosh_index_dir,
                    cache_dir=args.cache_dir, reuse_cluster=args.reuse_cluster,
                    collections=args.collections.split(",") if args.collections else None)
                print(ranking_markdown(report["ranking"]), flush=True)
    finally:
        if cluster is not None:
            cluster.stop()
    report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if "ranking" not in parts:
        print(text)
    print(f"load average before {report['load_average_before']}, "
          f"after {report['load_average_after']}")
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

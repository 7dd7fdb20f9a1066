"""The OpenSearch backend beside the embedded (Whoosh) one, in the same run.

* indexing: the same VNTC articles into both; for OpenSearch, the analysis (Python,
  CRF) and the bulk requests timed apart;
* queries: p50/p95 of headlines of other articles, on both, same questions;
* ranking: MRR@10 on the four dev collections (accented and unaccented questions), on
  both: the target is to be within 0.02 of the embedded index.

It starts its own 3-node cluster on loopback (``tests/opensearch_cluster.py``; run
``bash scripts/fetch-opensearch.sh`` first), or uses ``--url opensearch://HOST:PORT``.

    python benchmarks/opensearch.py --articles 2000 --queries 100 --ranking-queries 150
"""

from __future__ import annotations

import argparse
import json
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
)
from ranking import first_relevant

from danvan_search import Document, SearchIndex
from danvan_search.opensearch_index import OpenSearchIndex, _send_bulk
from danvan_search.opensearch_schema import document_source


def _articles(count: int) -> list[dict[str, Any]]:
    docs = []
    for doc in read_jsonl(VNTC_ALL):
        docs.append(slim(doc))
        if len(docs) >= count:
            break
    return docs


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
            part = sources[i : i + ix.batch_size]
            actions = [{"index": {"_index": "bench", "_id": s["id"]}} for s in part]
            payloads = [(json.dumps(s, ensure_ascii=False), s["id"], s["content_hash"])
                        for s in part]
            _send_bulk(ix, actions, payloads)
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


def ranking(url: str, workdir: Path, per_kind: int) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for collection in COLLECTIONS:
        docs = collection_docs(collection)
        name = collection.replace("_", "-").lower()
        whoosh_path = workdir / f"rank-{name}"
        with SearchIndex.create(whoosh_path) as ix:
            ix.index_documents(docs)
        with OpenSearchIndex.create(f"{url}/rank-{name}", overwrite=True) as ix:
            ix.index_documents(docs)
        rows: dict[str, Any] = {"docs": len(docs)}
        with SearchIndex.open(whoosh_path) as whoosh, \
                OpenSearchIndex.open(f"{url}/rank-{name}") as cluster:
            for kind, folded in (("accented", False), ("unaccented", True)):
                questions = sample(collection_queries(collection, folded), per_kind,
                                   f"ranking:{collection}")
                for engine, ix in (("whoosh", whoosh), ("opensearch", cluster)):
                    total = 0.0
                    for q in questions:
                        text = query_words(q["query"])
                        ranked = [h.id for h in ix.search(text, limit=10)] if text else []
                        first = first_relevant(ranked, set(q["relevant_ids"]))
                        total += 1 / first if first else 0.0
                    rows[f"{engine}_{kind}_mrr@10"] = round(total / len(questions), 4)
                rows["questions_per_kind"] = len(questions)
        result[collection] = rows
        print(f"  ranking {collection}: {rows}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="opensearch://HOST:PORT of a running cluster")
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--ranking-queries", type=int, default=150)
    parser.add_argument("--parts", default="indexing,latency,ranking")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    cluster = None
    url = args.url
    if url is None:
        from opensearch_cluster import LocalCluster

        cluster = LocalCluster(3)
        cluster.start()
        url = "opensearch://" + ",".join(f"127.0.0.1:{n.http_port}" for n in cluster.nodes)
    parts = set(args.parts.split(","))
    report: dict[str, Any] = {}
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
            if "ranking" in parts:
                report["ranking"] = ranking(url, workdir, args.ranking_queries)
    finally:
        if cluster is not None:
            cluster.stop()
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""Queries, size and growth on large danvan-search indexes built once and kept.

Building 80,000 VNTC articles takes the best part of an hour on two cores, so the
indexes of the growth series are built once into a directory outside the repository
(``--keep DIR``: ``DIR/vntc-<N>/index``, plus ``DIR/vntc-<N>.jsonl`` and the query set)
and every later run measures them again. Each scale point is a prefix of the seeded
shuffle of all VNTC that ``speed.py`` uses (its query set too); a point beyond VNTC
(160k) holds the largest point's articles again under new ids. An index is built from
the previous point's copy by adding the difference, as a collection grows.

For each point, in fresh subprocesses, one engine after the other in the same run:

- danvan-search: the 300 queries once (first run: nothing the searcher caches read
  yet), then ``--passes`` warm passes, each summarised, and the median of their
  p50/p95/max; peak RSS; the index's size by kind of file and per field
  (``SearchIndex.sizes``) and its segments;
- SQLite FTS5 and tantivy (``engines.py``), built from the same JSONL, the same passes;
- with ``--add 1000``: the time to add that many held-out articles to a copy of the
  index (a commit with its merging), and ``--optimize``: the time to merge the copy's
  segments into one.

Then the growth exponent of p95 (and p50) over the points: the slope of log(latency)
against log(documents), least squares.

    python benchmarks/scale.py --keep /path/outside/repo --scales 10k,20k,40k [--add 1000]

``--rev REV`` measures danvan-search as committed at a revision (exported outside the
repository), so the library can be edited while a long run goes on; ``--cached-postings
N`` gives its searcher that postings budget (a smaller one shows, on a smaller index,
what a larger index does to the default).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import engines
import speed
from common import (
    VNTC_CTXH,
    danvan_origin,
    doc_bytes,
    latency_summary,
    peak_rss_mb,
    read_jsonl,
    slim,
    use_revision,
    working_tree,
    write_jsonl,
)

HELD_OUT_FROM = speed.HELD_OUT_FROM


# --- preparing ------------------------------------------------------------------------------


def prepare(keep: Path, scales: list[int], add: int) -> Path:
    """The corpora (prefixes of the shuffle), the held-out articles to add, the queries."""
    keep.mkdir(parents=True, exist_ok=True)
    queries = keep / "queries.jsonl"
    wanted = [keep / f"vntc-{size}.jsonl" for size in scales] + [queries]
    extra = keep / f"held-out-{add}.jsonl"
    if all(p.exists() for p in wanted) and (not add or extra.exists()):
        return queries
    shuffled = speed._shuffled_vntc()
    within = [size for size in scales if size <= len(shuffled)]
    for size in scales:
        if size <= len(shuffled):
            write_jsonl(shuffled[:size], keep / f"vntc-{size}.jsonl")
        else:  # the largest point again, under new ids, as the cluster's growth series
            write_jsonl(beyond_corpus(shuffled[: max(within)], size),
                        keep / f"vntc-{size}.jsonl")
    if add:  # from the end of the shuffle: never in any scale point, nor a query's source
        write_jsonl(shuffled[-add:], extra)
    ctxh = [slim(d) for d in read_jsonl(VNTC_CTXH)]
    write_jsonl(speed.build_queries(ctxh, shuffled[HELD_OUT_FROM:], speed.QUERIES_PER_KIND),
                queries)
    return queries


def beyond_corpus(docs: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    """``size`` articles: ``docs`` again and again, the n-th copy's ids ending ``~n``
    (160,000: the 80,000 twice, as ``opensearch.py`` grows its cluster index)."""
    if not docs:
        raise ValueError("no articles to repeat")
    return [d if i < len(docs) else {**d, "id": f"{d['id']}~{i // len(docs) + 1}"}
            for i, d in ((i, docs[i % len(docs)]) for i in range(size))]


def build_series(keep: Path, scales: list[int]) -> dict[int, dict[str, Any]]:
    """Each point's index, from the previous point's by adding the difference."""
    built: dict[int, dict[str, Any]] = {}
    previous: Path | None = None
    previous_size = 0
    for size in sorted(scales):
        folder = keep / f"vntc-{size}"
        done = folder / "BUILT.json"
        if not done.exists():
            if folder.exists():
                shutil.rmtree(folder)
            if previous is not None:
                shutil.copytree(previous, folder)
                (folder / "BUILT.json").unlink()
            info = run_worker("grow", str(folder / "index"), str(keep / f"vntc-{size}.jsonl"),
                              str(previous_size))
            done.write_text(json.dumps(info), encoding="utf-8")
        built[size] = json.loads(done.read_text(encoding="utf-8"))
        previous, previous_size = folder, size
    return built


# --- workers (subprocesses) -------------------------------------------------------------------


def worker_grow(index: Path, docs_path: Path, skip: int) -> dict[str, Any]:
    from danvan_search import SearchIndex

    docs = [engines._for_danvan(d) for d in read_jsonl(docs_path)][skip:]
    load, start = os.getloadavg()[0], time.perf_counter()
    ix = SearchIndex.open(index) if skip else SearchIndex.create(index, overwrite=True)
    with ix:
        report = ix.index_documents(docs)
    return {"added": report.added, "seconds": time.perf_counter() - start,
            "load": [load, os.getloadavg()[0]]}


def time_passes(search: Callable[[str], object], queries: list[str],
                passes: int) -> tuple[dict[str, Any], list[float]]:
    """The queries once (the first run), then ``passes`` warm passes: each summarised,
    and the median of the passes' figures; with the last pass's seconds per query."""
    runs = []
    for _ in range(1 + passes):
        times = []
        for query in queries:
            start = time.perf_counter()
            search(query)
            times.append(time.perf_counter() - start)
        runs.append(times)
    warm = [latency_summary(times) for times in runs[1:]]
    return {
        "first_run": latency_summary(runs[0]),
        "warm_passes": warm,
        "warm": {key: statistics.median(p[key] for p in warm) for key in warm[0]},
    }, runs[-1]


def worker_queries(engine_name: str, index_dir: Path, query_path: Path,
                   passes: int, cached_postings: int = 0) -> dict[str, Any]:
    engine = engines.make(engine_name, index_dir)
    if cached_postings and isinstance(engine, engines.DanvanEngine):
        engine.cached_postings = cached_postings
    engine.open()
    queries = [q["query"] for q in read_jsonl(query_path)]
    load = os.getloadavg()[0]
    timed, last = time_passes(lambda q: engine.search(q, speed.TOP_K), queries, passes)
    slowest = sorted(zip(last, queries, strict=True), reverse=True)[:5]
    return {
        **timed,
        **({"library": danvan_origin()} if engine_name == "danvan" else {}),
        "slowest": [{"ms": t * 1000, "query": q[:80]} for t, q in slowest],
        "rss_mb": peak_rss_mb(),
        "load": [load, os.getloadavg()[0]],
    }


def worker_build(engine_name: str, docs_path: Path, index_dir: Path) -> dict[str, Any]:
    engine = engines.make(engine_name, index_dir)
    start = time.perf_counter()
    engine.build(read_jsonl(docs_path))
    return {"seconds": time.perf_counter() - start, "size_mb": engine.size_mb()}


def worker_sizes(index: Path) -> dict[str, Any]:
    from danvan_search import SearchIndex

    with SearchIndex.open(index) as ix:
        stats, sizes = ix.stats(), ix.sizes()
    return {"documents": stats.documents, "segments": stats.segments,
            "bytes": stats.size_bytes, "files": dict(sizes.files),
            "fields": {k: dict(v) for k, v in sizes.fields.items()}}


def worker_add(index: Path, docs_path: Path, optimize: bool) -> dict[str, Any]:
    from danvan_search import SearchIndex

    docs = [engines._for_danvan(d) for d in read_jsonl(docs_path)]
    result: dict[str, Any] = {"load": [os.getloadavg()[0]]}
    with SearchIndex.open(index) as ix:
        result["segments_before"] = ix.stats().segments
        start = time.perf_counter()
        result["added"] = ix.index_documents(docs).added
        result["add_s"] = time.perf_counter() - start
        result["segments_after_add"] = ix.stats().segments
        if optimize:
            start = time.perf_counter()
            ix.optimize()
            result["optimize_s"] = time.perf_counter() - start
            result["segments_after_optimize"] = ix.stats().segments
    result["load"].append(os.getloadavg()[0])
    return result


WORKERS = {
    "grow": lambda a: worker_grow(Path(a[0]), Path(a[1]), int(a[2])),
    "queries": lambda a: worker_queries(a[0], Path(a[1]), Path(a[2]), int(a[3]), int(a[4])),
    "build": lambda a: worker_build(a[0], Path(a[1]), Path(a[2])),
    "sizes": lambda a: worker_sizes(Path(a[0])),
    "add": lambda a: worker_add(Path(a[0]), Path(a[1]), a[2] == "1"),
}


def run_worker(kind: str, *args: str) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "worker", kind, *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"worker {kind} failed ({done.returncode}):\n{tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the series ----------------------------------------------------------------------------------


def growth_exponent(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of log(latency) against log(documents): 1 is linear growth."""
    points = [(n, v) for n, v in points if v > 0]
    if len(points) < 2:
        return None
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(v) for _, v in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def run(keep: Path, scales: list[int], names: list[str], passes: int, add: int,
        optimize: bool, cached_postings: int = 0) -> dict[str, Any]:
    queries = prepare(keep, scales, add)
    built = build_series(keep, scales)
    result: dict[str, Any] = {"passes": passes, "points": {},
                              "cached_postings": cached_postings or "default"}
    for size in scales:
        folder = keep / f"vntc-{size}"
        point: dict[str, Any] = {"built": built[size], "engines": {}}
        point["text_mb"] = sum(doc_bytes(d) for d in read_jsonl(keep / f"vntc-{size}.jsonl")) / 1e6
        point["sizes"] = run_worker("sizes", str(folder / "index"))
        for name in names:
            if not engines.available(name):
                continue
            if name == "danvan":
                where = folder
            else:
                where = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
                point.setdefault("builds", {})[name] = run_worker(
                    "build", name, str(keep / f"vntc-{size}.jsonl"), str(where))
            try:
                point["engines"][name] = run_worker("queries", name, str(where),
                                                    str(queries), str(passes),
                                                    str(cached_postings))
            finally:
                if where != folder:
                    shutil.rmtree(where, ignore_errors=True)
            warm = point["engines"][name]["warm"]
            print(f"{size}: {name} p50 {warm['p50_ms']:.1f} ms, p95 {warm['p95_ms']:.1f} ms",
                  flush=True)
        if add:
            copy = Path(tempfile.mkdtemp(prefix="bench-add-")) / "index"
            try:
                shutil.copytree(folder / "index", copy)
                point["add"] = run_worker("add", str(copy), str(keep / f"held-out-{add}.jsonl"),
                                          "1" if optimize else "0")
            finally:
                shutil.rmtree(copy.parent, ignore_errors=True)
        result["points"][str(size)] = point
    for name in names:
        for key in ("p50_ms", "p95_ms"):
            series = [(size, result["points"][str(size)]["engines"][name]["warm"][key])
                      for size in scales if name in result["points"][str(size)]["engines"]]
            result.setdefault("exponents", {}).setdefault(name, {})[key] = growth_exponent(series)
    return result


def markdown(result: dict[str, Any]) -> str:
    lines = [f"Warm: median of {result['passes']} passes after the first run; top 10.", "",
             "| docs | engine | first run p50 / p95 | warm p50 | warm p95 | warm max | "
             "peak RSS MB | load |",
             "|---|---|---|---|---|---|---|---|"]
    for size, point in result["points"].items():
        for name, q in point["engines"].items():
            first, warm = q["first_run"], q["warm"]
            lines.append(
                f"| {int(size):,} | {name} | {first['p50_ms']:.1f} / {first['p95_ms']:.1f} | "
                f"{warm['p50_ms']:.1f} | {warm['p95_ms']:.1f} | {warm['max_ms']:.1f} | "
                f"{q['rss_mb']:.0f} | {q['load'][0]:.1f} → {q['load'][1]:.1f} |"
            )
    lines += ["", "| docs | index MB | ÷ text | segments | postings MB | dictionary MB | "
              "stored MB |", "|---|---|---|---|---|---|---|"]
    for size, point in result["points"].items():
        s = point["sizes"]
        files = s["files"]
        lines.append(
            f"| {int(size):,} | {s['bytes'] / 1e6:.0f} | "
            f"{s['bytes'] / 1e6 / point.get('text_mb', math.nan):.1f}× | {s['segments']} | "
            f"{files.get('postings (.pst)', 0) / 1e6:.0f} | "
            f"{files.get('term dictionary (.trm)', 0) / 1e6:.0f} | "
            f"{files.get('doc.col', 0) / 1e6:.0f} |"
        )
    for name, exps in result.get("exponents", {}).items():
        if exps.get("p95_ms") is not None:
            lines.append(f"\n{name}: growth exponent p50 {exps['p50_ms']:.2f}, "
                         f"p95 {exps['p95_ms']:.2f}")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "worker":
        print(json.dumps(WORKERS[sys.argv[2]](sys.argv[3:])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", required=True, type=Path,
                        help="directory (outside the repository) for the indexes and data")
    parser.add_argument("--scales", default="10k,20k,40k,80k")
    parser.add_argument("--engines", default="danvan,sqlite,tantivy")
    parser.add_argument("--passes", type=int, default=3, help="warm passes (median taken)")
    parser.add_argument("--add", type=int, default=0,
                        help="also time adding this many held-out articles to each point")
    parser.add_argument("--optimize", action="store_true",
                        help="with --add: also time merging the copy into one segment")
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    parser.add_argument("--rev", help="measure danvan-search as committed at this revision")
    parser.add_argument("--cached-postings", type=int, default=0,
                        help="danvan-search's postings budget (default: the library's)")
    args = parser.parse_args()
    scales = speed.parse_scales(args.scales) or []
    measured = use_revision(args.rev)["source"] if args.rev else working_tree()
    print(f"danvan-search: {measured}", flush=True)
    result = run(args.keep, scales, args.engines.split(","), args.passes, args.add,
                 args.optimize, args.cached_postings)
    result["measured"] = measured
    print(markdown(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()

"""Indexing and query speed, index size and memory, for every engine.

Corpora: the VNTC politics articles (``vntc-ctxh``, 12,537) and scale points drawn from
the whole VNTC corpus (a seeded shuffle, so 1k ⊂ 5k ⊂ 12.5k ⊂ 80k mixes all ten
categories). For each corpus:

- the bound: bare ``word_tokenize`` over every document's title and body, on one
  process and on two (a process pool), in documents and MB (UTF-8) per second;
- for each engine, a subprocess builds the index (its peak RSS is that process's VmHWM,
  plus the largest peak of the worker processes it started, if any), then danvan-search
  indexes the same documents a second time (all unchanged);
- another subprocess opens the index and runs the fixed query set twice, reporting
  p50/p95/p99 of the second pass (warm) and its own peak RSS; the first pass (each
  query's first run, the engine's caches cold for it) is reported too.

Documents are streamed from a plain JSONL copy in a temporary directory (never the
repository), so neither the build nor its memory includes decompressing the corpus.

    python benchmarks/speed.py [--quick] [--scales 1000,5000,12500,80000|none] [--no-bound]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import engines
from common import (
    SEED,
    VNTC_ALL,
    VNTC_CTXH,
    Doc,
    children_peak_rss_mb,
    doc_bytes,
    doc_text,
    fold,
    latency_summary,
    peak_rss_mb,
    read_jsonl,
    sample,
    seed_docs,
    slim,
    viquad_queries,
    write_jsonl,
)

FULL_SCALES = (1000, 5000, 12500, 80000)
QUICK_CTXH_DOCS = 500
QUERIES_PER_KIND = 100
QUICK_QUERIES_PER_KIND = 30
HELD_OUT_FROM = 80000  # shuffled VNTC positions never indexed: their headlines are queries
TOP_K = 10
COLD_RUNS = 5
COLD_QUERY = "công tác dân vận"

_LETTERS = re.compile(r"[^\W\d_]+")


# --- preparing corpora and queries ------------------------------------------------------


def prepare(
    workdir: Path, quick: bool, scales: Sequence[int], politics: bool = True
) -> dict[str, Any]:
    """Write the corpora and the query set as JSONL files under ``workdir``."""
    ctxh = [slim(d) for d in read_jsonl(VNTC_CTXH)]
    corpora: dict[str, Path] = {}
    chosen = sample(ctxh, QUICK_CTXH_DOCS, "speed-ctxh") if quick else ctxh
    if politics:
        corpora[f"vntc-ctxh ({len(chosen):,})"] = _write(workdir / "ctxh.jsonl", chosen)
    shuffled = _shuffled_vntc()
    for size in scales:
        name = f"vntc {size // 1000}k" if size % 1000 == 0 else f"vntc {size / 1000:g}k"
        corpora[name] = _write(workdir / f"vntc-{size}.jsonl", shuffled[:size])
    per_kind = QUICK_QUERIES_PER_KIND if quick else QUERIES_PER_KIND
    queries = build_queries(ctxh, shuffled[HELD_OUT_FROM:], per_kind)
    query_file = workdir / "queries.jsonl"
    write_jsonl(queries, query_file)
    return {"corpora": corpora, "queries": query_file, "query_count": len(queries)}


def _write(path: Path, docs: list[Doc]) -> Path:
    write_jsonl(docs, path)
    return path


def _shuffled_vntc() -> list[Doc]:
    docs = [{**slim(d), "category": d.get("category_code")} for d in read_jsonl(VNTC_ALL)]
    random.Random(f"{SEED}:vntc").shuffle(docs)
    return docs


def build_queries(ctxh: list[Doc], held_out: list[Doc], per_kind: int) -> list[dict[str, str]]:
    """The fixed mixed query set: keywords (half typed without accents), headlines of
    articles not in any index, and natural-language questions."""
    rng = random.Random(f"{SEED}:queries")
    queries = [{"kind": "keywords", "query": q} for q in _keywords(ctxh, per_kind, rng)]
    headlines = [
        d["title"] for d in held_out
        if d["title"] and d.get("category") != "XH" and len(d["title"].split()) >= 4
    ]
    queries += [{"kind": "headline", "query": t} for t in headlines[:per_kind]]
    questions = sample(viquad_queries(False), per_kind, "speed-questions")
    queries += [{"kind": "question", "query": q["query"]} for q in questions]
    return queries


def _keywords(docs: list[Doc], count: int, rng: random.Random) -> list[str]:
    found: list[str] = []
    while len(found) < count:
        words = _LETTERS.findall(rng.choice(docs)["body"])
        if len(words) < 10:
            continue
        size = rng.choice((1, 2, 2, 3))
        start = rng.randrange(len(words) - size)
        query = " ".join(words[start : start + size]).lower()
        found.append(fold(query) if len(found) % 2 else query)
    return found


# --- workers (run in subprocesses) ------------------------------------------------------


def stream_docs(path: Path, counter: dict[str, int] | None = None) -> Iterator[Doc]:
    for doc in read_jsonl(path):
        if counter is not None:
            counter["docs"] += 1
            counter["bytes"] += doc_bytes(doc)
        yield doc


def worker_build(engine_name: str, docs_path: Path, index_dir: Path) -> dict[str, Any]:
    """Build one index; danvan-search then indexes the same documents again."""
    engine = engines.make(engine_name, index_dir)
    segmenting = _time_segmenter() if engine_name == "danvan" else {}
    _warm_up(engine_name)
    segmenting["seconds"] = 0.0
    counter = {"docs": 0, "bytes": 0}
    start, load = time.perf_counter(), os.getloadavg()[0]
    engine.build(stream_docs(docs_path, counter))
    build_s = time.perf_counter() - start
    result: dict[str, Any] = {
        **counter, "build_s": build_s, "size_mb": engine.size_mb(), "rss_mb": peak_rss_mb(),
        "children_rss_mb": children_peak_rss_mb(), "load": [load, os.getloadavg()[0]],
    }
    if isinstance(engine, engines.DanvanEngine):
        result["segmenter_s"] = segmenting["seconds"]
        start = time.perf_counter()
        report = engine.reindex(stream_docs(docs_path))
        result["reindex_s"] = time.perf_counter() - start
        result["reindex_unchanged"] = report.unchanged
    return result


def _time_segmenter() -> dict[str, float]:
    """Count the time danvan-search spends inside ``word_tokenize`` while it indexes:
    the share of the segmenter in the same run, whatever else loads the machine."""
    import underthesea

    spent = {"seconds": 0.0}
    original = underthesea.word_tokenize

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent["seconds"] += time.perf_counter() - start

    underthesea.word_tokenize = timed
    return spent


def _warm_up(engine_name: str) -> None:
    """Load the segmenter's model before timing: it is a one-off cost, not throughput."""
    if engine_name == "danvan":
        from danvan_search.analysis import analyze

        analyze("Khởi động mô hình tách từ.")


def worker_query(engine_name: str, index_dir: Path, query_path: Path) -> dict[str, Any]:
    """Run the query set once untimed, then once timed; latency per kind of query."""
    engine = engines.make(engine_name, index_dir)
    engine.open()
    queries = list(read_jsonl(query_path))
    first_run = []  # each query's first run: nothing it reads has been cached yet
    for query in queries:
        start = time.perf_counter()
        engine.search(query["query"], TOP_K)
        first_run.append(time.perf_counter() - start)
    timings: list[tuple[str, str, float]] = []
    for query in queries:
        start = time.perf_counter()
        engine.search(query["query"], TOP_K)
        timings.append((query["kind"], query["query"], time.perf_counter() - start))
    kinds = sorted({kind for kind, _, _ in timings})
    slowest = sorted(timings, key=lambda t: -t[2])[:10]
    return {
        "all": latency_summary([t for _, _, t in timings]),
        "first_run": latency_summary(first_run),
        "kinds": {k: latency_summary([t for kd, _, t in timings if kd == k]) for k in kinds},
        "slowest": [{"kind": k, "query": q, "ms": t * 1000} for k, q, t in slowest],
        "rss_mb": peak_rss_mb(),
    }


def _segment_one(text: str) -> int:
    from underthesea import word_tokenize

    return len(word_tokenize(text, use_token_normalize=False))


def _pool_ready(_: int) -> None:
    time.sleep(0.2)  # hands one task to each worker: all have loaded the model by then


def worker_segment(docs_path: Path, procs: int) -> dict[str, Any]:
    """Bare ``word_tokenize`` over each document's title and body."""
    _segment_one("Khởi động mô hình tách từ.")
    counter = {"docs": 0, "bytes": 0}
    texts = (doc_text(d) for d in stream_docs(docs_path, counter))
    load = os.getloadavg()[0]
    if procs == 1:
        start = time.perf_counter()
        words = sum(_segment_one(t) for t in texts)
        seconds = time.perf_counter() - start
        return {**counter, "seconds": seconds, "words": words,
                "load": [load, os.getloadavg()[0]]}
    context = multiprocessing.get_context("fork")
    with context.Pool(procs, initializer=_segment_one, initargs=("Khởi động.",)) as pool:
        pool.map(_pool_ready, range(procs), chunksize=1)
        start = time.perf_counter()
        words = sum(pool.imap_unordered(_segment_one, texts, chunksize=8))
        seconds = time.perf_counter() - start
    return {**counter, "seconds": seconds, "words": words, "load": [load, os.getloadavg()[0]]}


def _worker_main(argv: list[str]) -> None:
    kind = argv[0]
    if kind == "build":
        result = worker_build(argv[1], Path(argv[2]), Path(argv[3]))
    elif kind == "query":
        result = worker_query(argv[1], Path(argv[2]), Path(argv[3]))
    elif kind == "segment":
        result = worker_segment(Path(argv[1]), int(argv[2]))
    else:
        raise SystemExit(f"unknown worker {kind!r}")
    print(json.dumps(result))


def run_worker(*args: str) -> dict[str, Any]:
    """Run a worker in a fresh Python process and return its JSON answer."""
    command = [sys.executable, str(Path(__file__).resolve()), "worker", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"worker {args[:2]} failed ({done.returncode}):\n{tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- orchestration ----------------------------------------------------------------------


def measure_corpus(
    docs_path: Path, query_path: Path, names: Sequence[str], seg_procs: Sequence[int]
) -> dict[str, Any]:
    """The segmentation bound and every engine's build and queries on one corpus."""
    result: dict[str, Any] = {"segment": {}, "engines": {}}
    for procs in seg_procs:
        seg = run_worker("segment", str(docs_path), str(procs))
        seg.update(_throughput(seg["docs"], seg["bytes"], seg["seconds"]))
        result["segment"][str(procs)] = seg
        print(f"    segment x{procs}: {seg['docs_per_s']:.1f} docs/s", flush=True)
    for name in names:
        if not engines.available(name):
            result["engines"][name] = {"skipped": "package not installed"}
            continue
        result["engines"][name] = measure_engine(name, docs_path, query_path)
    return result


def measure_engine(name: str, docs_path: Path, query_path: Path) -> dict[str, Any]:
    index_dir = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    try:
        build = run_worker("build", name, str(docs_path), str(index_dir))
        build.update(_throughput(build["docs"], build["bytes"], build["build_s"]))
        query = run_worker("query", name, str(index_dir), str(query_path))
    finally:
        shutil.rmtree(index_dir, ignore_errors=True)
    print(
        f"    {name}: build {build['build_s']:.1f} s ({build['docs_per_s']:.1f} docs/s), "
        f"p50 {query['all']['p50_ms']:.2f} ms, p95 {query['all']['p95_ms']:.2f} ms",
        flush=True,
    )
    return {"build": build, "query": query}


def _throughput(docs: int, size: int, seconds: float) -> dict[str, float]:
    return {"docs_per_s": docs / seconds, "mb_per_s": size / 1e6 / seconds}


def cold_start(workdir: Path) -> dict[str, Any]:
    """Wall time of ``danvan-search search`` on an index of the seeds, best and median."""
    from danvan_search import SearchIndex

    index_dir = workdir / "seeds-index"
    with SearchIndex.create(index_dir, overwrite=True) as ix:
        ix.add(seed_docs())
    exe = Path(sys.executable).with_name("danvan-search")
    command = [str(exe), "search", "--index", str(index_dir), COLD_QUERY]
    if not exe.exists():
        return {"available": False, "reason": f"{exe} not found"}
    first = subprocess.run(command, capture_output=True, text=True, check=False)
    if first.returncode != 0:
        reason = (first.stderr.strip().splitlines() or ["no output"])[-1]
        return {"available": False, "reason": reason[:200]}
    runs = [_wall(command) for _ in range(COLD_RUNS)]
    python = [_wall([sys.executable, "-c", "pass"]) for _ in range(COLD_RUNS)]
    return {
        "available": True,
        "best_s": min(runs),
        "median_s": statistics.median(runs),
        "python_startup_s": min(python),
        "command": f"danvan-search search --index <seeds index> {COLD_QUERY!r}",
    }


def _wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False)
    return time.perf_counter() - start


def run(
    quick: bool = False,
    scales: Sequence[int] | None = None,
    names: Sequence[str] | None = None,
    seg_procs: Sequence[int] = (1, 2),
    politics: bool = True,
) -> dict[str, Any]:
    """Prepare the data, measure every corpus (the politics articles unless
    ``politics=False``, and the scale points), and the CLI's cold start."""
    scales = () if quick else (FULL_SCALES if scales is None else scales)
    names = list(names or engines.ENGINES)
    workdir = Path(tempfile.mkdtemp(prefix="bench-speed-"))
    try:
        prepared = prepare(workdir, quick, scales, politics)
        result: dict[str, Any] = {"quick": quick, "query_count": prepared["query_count"]}
        result["corpora"] = {}
        for label, path in prepared["corpora"].items():
            print(f"  speed: {label}", flush=True)
            result["corpora"][label] = measure_corpus(path, prepared["queries"], names, seg_procs)
        result["cold_start"] = cold_start(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        _worker_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 articles, no scale points")
    parser.add_argument("--scales", help="comma-separated corpus sizes, or 'none'")
    parser.add_argument("--engines", help="comma-separated engine names")
    parser.add_argument("--json", help="write the raw figures to this file")
    parser.add_argument("--no-bound", action="store_true",
                        help="skip the segmentation-only bound (an hour at 80k articles)")
    parser.add_argument("--scales-only", action="store_true",
                        help="only the scale points, not the 12,537 politics articles")
    args = parser.parse_args()
    seg_procs = () if args.no_bound else (1, 2)
    result = run(args.quick, parse_scales(args.scales), _names(args.engines), seg_procs,
                 politics=not args.scales_only)
    import report  # the markdown lives with the report

    print(report.speed_markdown(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")


def parse_scales(text: str | None) -> list[int] | None:
    """``"1000,5000"`` or ``"1k,12.5k"``; ``"none"`` for no scale point."""
    if text is None:
        return None
    parts = [p.strip().lower() for p in text.split(",") if p.strip()]
    if parts in ([], ["none"]):
        return []
    return [int(float(p[:-1]) * 1000) if p.endswith("k") else int(p) for p in parts]


def _names(text: str | None) -> list[str] | None:
    return text.split(",") if text else None


if __name__ == "__main__":
    main()

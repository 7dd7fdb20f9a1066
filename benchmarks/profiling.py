"""Where danvan-search spends its time: cProfile of indexing and of the slowest queries.

Indexes ``--profile-docs`` politics articles under the profiler, adds more (unprofiled)
up to ``--query-docs``, times the fixed query set of ``speed.py`` on that index, then
profiles its slowest queries. Prints, for each, the time by package (our code, Whoosh,
underthesea, the rest) and the top functions by own and cumulative time.

    python benchmarks/profiling.py [--profile-docs 300] [--query-docs 2000] [--slowest 8]
                                   [--rev HEAD]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from common import SEED, VNTC_ALL, VNTC_CTXH, danvan_origin, read_jsonl, slim, use_revision

TOP = 25


def package_of(filename: str) -> str:
    for marker, name in (("danvan_search", "danvan_search"), ("whoosh", "whoosh"),
                         ("underthesea", "underthesea")):
        if marker in filename:
            return name
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins (C)"
    return "other Python"


def by_package(stats: pstats.Stats) -> dict[str, float]:
    """Own time summed by package: C calls are charged to the package calling them."""
    totals: dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, tottime, _, callers) in stats.stats.items():  # type: ignore[attr-defined]
        owner = package_of(filename)
        if owner == "builtins (C)" and callers:
            caller = max(callers.items(), key=lambda item: item[1][2])[0]
            owner = f"{package_of(caller[0])} (C calls)"
        totals[owner] += tottime
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def describe(profile: cProfile.Profile, title: str) -> str:
    stats = pstats.Stats(profile)
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    out = io.StringIO()
    out.write(f"\n## {title}\n\nown time by package (total {total:.2f} s):\n")
    for name, seconds in by_package(stats).items():
        out.write(f"  {seconds:8.3f} s  {seconds / total:6.1%}  {name}\n")
    for order in ("tottime", "cumulative"):
        out.write(f"\ntop {TOP} by {order}:\n")
        pstats.Stats(profile, stream=out).strip_dirs().sort_stats(order).print_stats(TOP)
    return out.getvalue()


def load_docs(count: int) -> list[dict[str, Any]]:
    docs = [slim(d) for d in read_jsonl(VNTC_CTXH)]
    random.Random(f"{SEED}:profiling").shuffle(docs)
    return [{**d, "title": d["title"] or None} for d in docs[:count]]


def profile_indexing(ix: Any, docs: list[dict[str, Any]]) -> str:
    from danvan_search.analysis import analyze

    analyze("Khởi động mô hình tách từ.")
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    try:
        ix.index_documents(docs, procs=1)  # in this process, where the profiler sees it
    except TypeError:  # a version without worker processes
        ix.index_documents(docs)
    profile.disable()
    seconds = time.perf_counter() - start
    return describe(profile, f"indexing {len(docs)} articles ({seconds:.1f} s with profiler)")


def slowest_queries(ix: Any, count: int) -> list[tuple[float, str]]:
    """The ``count`` slowest queries of the speed query set, timed warm."""
    queries = [q["query"] for q in _query_set()]
    for query in queries:
        ix.search(query)
    timed = []
    for query in queries:
        start = time.perf_counter()
        ix.search(query)
        timed.append((time.perf_counter() - start, query))
    return sorted(timed, reverse=True)[:count]


def _query_set() -> list[dict[str, str]]:
    import speed

    ctxh = [slim(d) for d in read_jsonl(VNTC_CTXH)]
    docs = [{**slim(d), "category": d.get("category_code")} for d in read_jsonl(VNTC_ALL)]
    random.Random(f"{SEED}:vntc").shuffle(docs)
    return speed.build_queries(ctxh, docs[speed.HELD_OUT_FROM:], speed.QUERIES_PER_KIND)


def profile_queries(ix: Any, queries: list[str], repeat: int = 3) -> str:
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(repeat):
        for query in queries:
            ix.search(query)
    profile.disable()
    return describe(profile, f"{len(queries)} slowest queries, each run {repeat} times")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile-docs", type=int, default=300)
    parser.add_argument("--query-docs", type=int, default=2000)
    parser.add_argument("--slowest", type=int, default=8)
    parser.add_argument("--rev", help="profile danvan-search as committed at this revision")
    parser.add_argument("--out", help="also write the profile to this file")
    args = parser.parse_args()
    if args.rev:
        use_revision(args.rev)
    from danvan_search import SearchIndex

    docs = load_docs(max(args.profile_docs, args.query_docs))
    parts = [f"danvan-search from {danvan_origin()}"]
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        ix = SearchIndex.create(Path(tmp) / "index", overwrite=True)
        parts.append(profile_indexing(ix, docs[: args.profile_docs]))
        ix.index_documents(docs[args.profile_docs :])
        slow = slowest_queries(ix, args.slowest)
        parts.append(f"\n## slowest queries on {len(docs)} articles (warm)\n")
        parts += [f"  {s * 1000:8.1f} ms  {q[:100]}" for s, q in slow]
        parts.append(profile_queries(ix, [q for _, q in slow]))
        ix.close()
    text = "\n".join(parts)
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()

"""Serve under load: `danvan-search serve` answering concurrent clients.

The command runs as users run it, in a process of its own on a free loopback port, over
an index (the seed articles by default, indexed into a temporary directory; `--index DIR`
for another). A warm-up round, then each of `--clients` clients (default 8, each with its
own connection) sends `--requests` requests (default 200), one after the other, drawn
with a fixed seed from a mix: searches (some with facets, filters, date order, page 2),
suggestions, documents by id, the facet counts and the search page. The queries are 1–3
words of the index's own titles, every other one typed without accents.

Reported: p50/p95/max latency (overall and by kind), requests per second, errors (any
answer but 200, or no answer: must be 0), the server's open files before and after the
run and at most during it (flat: no leak), its memory, and the machine's load average
(the machine is shared: figures taken under load are indicative).

    python benchmarks/load.py                       # seeds, 8 clients x 200 requests
    python benchmarks/load.py --index indexes/news --json load.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
#: The mix of requests: kind and weight.
MIX = {"search": 40, "search+facets": 10, "search+filter": 10, "search page 2": 5,
       "suggest": 15, "document": 10, "facets": 5, "page": 5}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, help="an index directory (default: the seeds)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=200, help="per client")
    parser.add_argument("--workers", type=int, default=4, help="the server's --workers")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=600,
                        help="seconds the measured run may take; requests left are errors")
    parser.add_argument("--json", type=Path, help="also write the report here as JSON")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.requests < 1:
        parser.error("--clients and --requests must be at least 1")
    with contextlib.ExitStack() as stack:
        index = args.index
        if index is None:
            index = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "seeds"
            from danvan_search import SearchIndex

            SearchIndex.build(index, [str(ROOT / "seeds")])
        report = run_load(index, clients=args.clients, requests=args.requests,
                          workers=args.workers, seed=args.seed, time_limit=args.time_limit)
    report["index"] = str(args.index) if args.index else "seeds/ (temporary index)"
    print(format_report(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
    return 0 if report["errors"] == 0 else 1


# --- what to ask --------------------------------------------------------------------------


def request_material(index: Path, seed: int) -> dict[str, list[Any]]:
    """Queries, ids and filter values taken from the index itself."""
    from danvan_search import SearchIndex
    from danvan_search.normalization import fold

    rng = random.Random(seed)
    with SearchIndex.open(index) as ix:
        ids = sorted(ix.ids())
        sample = rng.sample(ids, min(len(ids), 200))
        titles = [doc.title for doc in (ix.get(i) for i in sample[:60]) if doc.title]
        facets = ix.facets()
    queries = []
    for n, title in enumerate(titles * 3):
        words = [w for w in re.findall(r"\w+", title) if not w.isdigit()]
        if not words:
            continue
        size = rng.randint(1, min(3, len(words)))
        start = rng.randrange(len(words) - size + 1)
        query = " ".join(words[start : start + size]).lower()
        queries.append(fold(query) if n % 2 else query)
    filters = [("source", value) for value, _ in facets.get("source", ())[:10]]
    filters += [("place", value) for value, _ in facets.get("place", ())[:10]]
    filters += [("since", value) for value, _ in facets.get("year", ())[:10]]
    return {"queries": queries or ["dân vận"], "ids": sample or ["none"],
            "filters": filters or [("since", "2000")]}


def plan(material: dict[str, list[Any]], count: int, rng: random.Random
         ) -> list[tuple[str, str, dict[str, str]]]:
    """``count`` requests: (kind, path, parameters)."""
    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=count)
    requests = []
    for kind in kinds:
        query = rng.choice(material["queries"])
        if kind == "search":
            requests.append((kind, "/api/v1/search", {"q": query}))
        elif kind == "search+facets":
            requests.append((kind, "/api/v1/search", {"q": query, "facets": "true"}))
        elif kind == "search+filter":
            name, value = rng.choice(material["filters"])
            requests.append((kind, "/api/v1/search", {"q": query, name: value, "sort": "date"}))
        elif kind == "search page 2":
            requests.append((kind, "/api/v1/search", {"q": query, "offset": "10"}))
        elif kind == "suggest":
            requests.append((kind, "/api/v1/suggest", {"q": query}))
        elif kind == "document":
            doc_id = rng.choice(material["ids"])
            requests.append((kind, "/api/v1/documents/" + quote(doc_id, safe=""), {}))
        elif kind == "facets":
            requests.append((kind, "/api/v1/facets", {}))
        else:
            requests.append((kind, "/", {"q": query}))
    return requests


# --- the server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def server(index: Path, workers: int, log: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    """`danvan-search serve` in a process of its own; stopped (SIGTERM, then killed)."""
    port = free_port()
    command = [sys.executable, "-m", "danvan_search", "serve", "--index", str(index),
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(base + "/api/v1/health", timeout=5).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield process, base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def open_files(pid: int) -> int | None:
    """The process's open file descriptors (Linux: /proc), or None where unknown."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def settled_open_files(pid: int) -> int | None:
    """Open files once the count holds for 0.3 s (connections just closed by clients take
    the server a moment to close), at most 3 s."""
    count, deadline = open_files(pid), time.monotonic() + 3
    while time.monotonic() < deadline:
        time.sleep(0.3)
        again = open_files(pid)
        if again == count:
            break
        count = again
    return count


def memory_mb(pid: int) -> dict[str, float | None]:
    """Resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    found: dict[str, float | None] = {"rss": None, "peak": None}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found["rss" if name == "VmRSS" else "peak"] = round(int(value.split()[0]) / 1024)
    return found


# --- the clients --------------------------------------------------------------------------


async def client(base: str, requests: list[tuple[str, str, dict[str, str]]],
                 results: list[tuple[str, float, str | None]]) -> None:
    """One client: its requests one after the other on one connection."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for kind, path, params in requests:
            started = time.perf_counter()
            error = None
            try:
                response = await http.get(path, params=params)
                if response.status_code != 200:
                    error = f"{kind} {path} {params}: {response.status_code} {response.text[:200]}"
            except httpx.HTTPError as failure:
                error = f"{kind} {path} {params}: {failure!r}"
            results.append((kind, time.perf_counter() - started, error))


async def run_clients(base: str, plans: list[list[tuple[str, str, dict[str, str]]]],
                  time_limit: float) -> tuple[list[tuple[str, float, str | None]], float]:
    results: list[tuple[str, float, str | None]] = []
    started = time.perf_counter()
    tasks = [asyncio.create_task(client(base, requests, results)) for requests in plans]
    _, pending = await asyncio.wait(tasks, timeout=time_limit)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in tasks:  # a client that failed outside a request (it should not)
        if not task.cancelled() and task.exception():
            results.append(("client", 0.0, repr(task.exception())))
    seconds = time.perf_counter() - started
    unanswered = sum(len(p) for p in plans) - len(results)
    results += [("unanswered", 0.0, f"time limit of {time_limit} s")] * max(unanswered, 0)
    return results, seconds


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


def latency(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0, "max": 0.0}
    return {"p50": round(percentile(values, 0.50) * 1000, 1),
            "p95": round(percentile(values, 0.95) * 1000, 1),
            "max": round(max(values) * 1000, 1)}


def run_load(index: Path, *, clients: int = 8, requests: int = 200, workers: int = 4,
             seed: int = 0, time_limit: float = 600, warm_up: int = 5) -> dict[str, Any]:
    """Serve ``index`` and load it; the report as a dict."""
    from danvan_search import SearchIndex

    material = request_material(index, seed)
    with SearchIndex.open(index) as ix:
        documents = len(ix)
    rng = random.Random(seed)
    # Warm-up: as many clients at once as the server has workers (or more), so that it
    # opens every searcher it will use before its files are counted.
    warm = [plan(material, warm_up, rng) for _ in range(max(clients, workers))]
    plans = [plan(material, requests, rng) for _ in range(clients)]
    with tempfile.TemporaryDirectory() as folder, server(
            index, workers, Path(folder) / "server.log") as (process, base):
        warm_results, _ = asyncio.run(run_clients(base, warm, time_limit))
        files_before = settled_open_files(process.pid)
        load_before = os.getloadavg()
        most_files = [files_before or 0]
        stop = threading.Event()

        def watch() -> None:  # the most files open at any moment of the run
            while not stop.wait(0.05):
                most_files.append(open_files(process.pid) or 0)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        results, seconds = asyncio.run(run_clients(base, plans, time_limit))
        stop.set()
        watcher.join()
        files_after = settled_open_files(process.pid)
        memory = memory_mb(process.pid)
        load_after = os.getloadavg()
    errors = [error for _, _, error in results if error]
    times = [t for kind, t, error in results if not error]
    by_kind = {}
    for kind in MIX:
        kind_times = [t for k, t, error in results if k == kind and not error]
        by_kind[kind] = {"count": sum(1 for k, _, _ in results if k == kind),
                         **latency(kind_times)}
    return {
        "commit": _commit(),
        "documents": documents,
        "clients": clients,
        "requests_per_client": requests,
        "requests": len(results),
        "errors": len(errors),
        "error_samples": errors[:5],
        "warm_up_errors": sum(1 for *_, error in warm_results if error),
        "seconds": round(seconds, 2),
        "requests_per_second": round(len(results) / seconds, 1) if seconds else 0.0,
        "latency_ms": latency(times),
        "by_kind": by_kind,
        "open_files": {"before": files_before, "after": files_after,
                       "most": max(most_files) if files_before is not None else None},
        "server_memory_mb": memory,
        "server_workers": workers,
        "cpus": os.cpu_count(),
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in load_after],
    }


def _commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True,
                               check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out + ("+changes" if dirty else "")


def format_report(report: dict[str, Any]) -> str:
    lines = [
        f"{report['clients']} clients x {report['requests_per_client']} requests on "
        f"{report['documents']} documents ({report.get('index', '')}), "
        f"server --workers {report['server_workers']}, commit {report['commit']}",
        f"{report['requests']} requests in {report['seconds']} s: "
        f"{report['requests_per_second']} requests/s, {report['errors']} errors",
        "latency ms: p50 {p50}  p95 {p95}  max {max}".format(**report["latency_ms"]),
    ]
    for kind, figures in report["by_kind"].items():
        lines.append(f"  {kind:<14} {figures['count']:>5}  p50 {figures['p50']:>7}  "
                     f"p95 {figures['p95']:>7}  max {figures['max']:>7}")
    files = report["open_files"]
    lines.append(f"server open files: {files['before']} before, {files['most']} at most, "
                 f"{files['after']} after; memory {report['server_memory_mb']['rss']} MB "
                 f"(peak {report['server_memory_mb']['peak']} MB)")
    lines.append(f"load average {report['load_average_before']} -> "
                 f"{report['load_average_after']} on {report['cpus']} CPUs")
    lines += [f"error: {error}" for error in report["error_samples"]]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

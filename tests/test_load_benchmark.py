"""benchmarks/load.py, the load driver of `danvan-search serve`, run with tiny counts so
that it keeps working: the figures themselves belong to the benchmark, not to tests."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from danvan_search import SearchIndex
from danvan_search.serve import create_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def load():
    spec = importlib.util.spec_from_file_location("load", ROOT / "benchmarks" / "load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_driver_loads_the_server_and_reports(seeds_index_path: Path, tmp_path: Path,
                                                load) -> None:
    out = tmp_path / "load.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "load.py"), "--index",
         str(seeds_index_path), "--clients", "2", "--requests", "5", "--json", str(out)],
        capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert (report["clients"], report["requests_per_client"], report["requests"],
            report["documents"]) == (2, 5, 10, 5)
    assert (report["errors"], report["error_samples"], report["warm_up_errors"]) == (0, [], 0)
    assert set(report["by_kind"]) == set(load.MIX)
    assert sum(kind["count"] for kind in report["by_kind"].values()) == 10
    figures = report["latency_ms"]
    assert 0 < figures["p50"] <= figures["p95"] <= figures["max"]
    assert report["seconds"] > 0 and report["requests_per_second"] > 0
    files = report["open_files"]
    assert files["before"] > 0 and files["after"] == files["before"] <= files["most"]
    assert report["server_memory_mb"]["rss"] > 0
    assert len(report["load_average_before"]) == len(report["load_average_after"]) == 3
    assert report["index"] == str(seeds_index_path) and report["commit"]
    assert "10 requests in " in run.stdout and " requests/s, 0 errors\n" in run.stdout


def test_an_answer_but_200_is_an_error(seeds_index_path: Path, serving, load) -> None:
    plans = [[("document", "/api/v1/documents/nope", {}),
              ("search", "/api/v1/search", {"q": "dân vận"})]]
    with SearchIndex.open(seeds_index_path) as ix, serving(create_app(ix)) as port:
        results, seconds = asyncio.run(load.run_clients(f"http://127.0.0.1:{port}", plans, 30))
    assert [(kind, error) for kind, _, error in results] == [
        ("document", "document /api/v1/documents/nope {}: 404 "
                     '{"error":{"status":404,"message":"no document with id \'nope\'"}}'),
        ("search", None)]
    assert seconds > 0


def test_percentiles_are_nearest_rank(load) -> None:
    values = [n / 1000 for n in range(1, 101)]
    assert load.latency(values) == {"p50": 50.0, "p95": 95.0, "max": 100.0}
    assert load.latency([0.007]) == {"p50": 7.0, "p95": 7.0, "max": 7.0}

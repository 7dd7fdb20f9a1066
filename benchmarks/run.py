"""Run the benchmarks and write a dated markdown report (also copied to RESULTS.md).

    python benchmarks/run.py [--quick] [--out benchmarks/reports/]
                             [--parts ranking,speed,analysis] [--scales 1k,5k|none]
                             [--reuse-latest] [--rev HEAD]
                             [--engines danvan,sqlite] [--no-bound] [--scales-only]

``--quick`` takes a few minutes: 250 questions, 500 articles, no scale points, fewer
rounds. ``--reuse-latest`` fills the parts not run now from the newest JSON in the
output folder, so a report can combine, say, a full ranking run with a later speed run.
``--rev`` measures danvan-search as committed at a git revision (exported to a temporary
directory) rather than the working tree, e.g. while the working tree is being edited.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import analysis_speed
import ranking
import report
import speed
from common import (
    REPO_ROOT,
    danvan_origin,
    machine,
    sqlite_version,
    use_revision,
    working_tree,
)

PARTS = ("ranking", "speed", "analysis")
RESULTS = REPO_ROOT / "benchmarks" / "RESULTS.md"
#: The raw figures behind RESULTS.md, kept in the repository beside it.
RESULTS_JSON = REPO_ROOT / "benchmarks" / "RESULTS.json"


def run_part(name: str, args: argparse.Namespace) -> dict[str, Any]:
    runners: dict[str, Callable[[], dict[str, Any]]] = {
        "ranking": lambda: ranking.run(args.quick),
        "speed": lambda: speed.run(
            args.quick, speed.parse_scales(args.scales),
            args.engines.split(",") if args.engines else None,
            () if args.no_bound else (1, 2), politics=not args.scales_only,
        ),
        "analysis": lambda: analysis_speed.run(args.quick),
    }
    return runners[name]()


def latest_parts(out: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The newest stored result of each part, with where it came from."""
    parts: dict[str, Any] = {}
    origins: dict[str, Any] = {}
    for path in sorted(out.glob("*.json"), reverse=True):
        stored = json.loads(path.read_text(encoding="utf-8"))
        for name, value in stored.get("parts", {}).items():
            if name not in parts and value:
                parts[name] = value
                origins[name] = {**stored["origins"][name],
                                 "danvan": stored["machine"].get("danvan", "?")}
    return parts, origins


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run of a few minutes")
    parser.add_argument("--out", default=str(REPO_ROOT / "benchmarks" / "reports"))
    parser.add_argument("--parts", default=",".join(PARTS), help="comma-separated parts")
    parser.add_argument("--scales", help="speed scale points, e.g. 1k,5k,12.5k,80k or none")
    parser.add_argument("--ranking-json", help="take the ranking part from this "
                        "`ranking.py --json` file (run on its own) instead of running it")
    parser.add_argument("--ablation-json", help="add the table of this "
                        "`ablation.py --json` file to the report")
    parser.add_argument("--reuse-latest", action="store_true",
                        help="take the parts not run from the newest stored results")
    parser.add_argument("--rev", help="measure danvan-search as committed at this revision")
    parser.add_argument("--engines", help="speed: only these engines (comma-separated)")
    parser.add_argument("--no-bound", action="store_true",
                        help="speed: skip the segmentation-only bound")
    parser.add_argument("--scales-only", action="store_true",
                        help="speed: only the scale points (with --reuse-latest, corpora "
                             "measured before and not now are kept beside them)")
    args = parser.parse_args()
    measured = use_revision(args.rev)["source"] if args.rev else working_tree()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    parts, origins = latest_parts(out) if args.reuse_latest else ({}, {})
    started = dt.datetime.now()
    stamp = started.strftime("%Y-%m-%d-%H%M")
    mode = "quick" if args.quick else "full"
    for name in filter(None, args.parts.split(",")):
        print(f"== {name} ({mode})", flush=True)
        start, load = time.perf_counter(), os.getloadavg()[0]
        previous, previous_origin = parts.get(name), origins.get(name)
        parts[name] = run_part(name, args)
        origins[name] = {"mode": mode, "when": stamp, "seconds": time.perf_counter() - start,
                         "danvan": measured, "load": [load, os.getloadavg()[0]]}
        if name == "speed" and previous and previous_origin:
            # Keep the corpora measured before and not now (the politics articles, a scale
            # point), each reported with the run it comes from.
            kept = [c for c in previous["corpora"] if c not in parts[name]["corpora"]]
            parts[name]["corpora"] = {**previous["corpora"], **parts[name]["corpora"]}
            origins[name]["kept"] = {**previous_origin, "corpora": kept}

    if args.ranking_json:
        path = Path(args.ranking_json)
        parts["ranking"] = json.loads(path.read_text(encoding="utf-8"))
        origins["ranking"] = {
            "mode": "quick" if parts["ranking"].get("quick") else "full",
            "when": dt.datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d-%H%M"),
            "seconds": float("nan"), "load": None,
            "danvan": parts["ranking"].get("measured", measured),
        }
    if args.ablation_json:
        parts["ablation"] = json.loads(Path(args.ablation_json).read_text(encoding="utf-8"))
    info = {**machine().as_dict(), "sqlite": sqlite_version(),
            "danvan": f"{measured}, imported from {danvan_origin()}"}
    stored = {"when": started.strftime("%Y-%m-%d %H:%M"), "machine": info,
              "parts": {k: parts[k] for k in (*PARTS, "ablation") if k in parts},
              "origins": origins}
    (out / f"{stamp}.json").write_text(json.dumps(stored, indent=2), encoding="utf-8")
    markdown = report.document(stored)
    target = out / f"{stamp}.md"
    target.write_text(markdown, encoding="utf-8")
    shutil.copyfile(target, RESULTS)
    shutil.copyfile(out / f"{stamp}.json", RESULTS_JSON)
    print(report.targets_markdown(stored["parts"]))
    print(f"\nwrote {target}, {RESULTS} and {RESULTS_JSON}")


if __name__ == "__main__":
    main()

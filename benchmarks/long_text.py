"""Indexing one very long line: time and peak memory against the size of the line.

A text file of N MB on a single line (the seed articles, newlines replaced by spaces,
repeated) is indexed by `danvan-search index` in a subprocess of its own; the figures
are its wall time and peak RSS, and whether a phrase from the text is then found.
Segmentation goes in bounded pieces, so the peak should grow far slower than the line
(before pieces, a 10 MB line took 16.2 GB and 135 s).

    python benchmarks/long_text.py --mb 1 10
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The target: a 10 MB line indexes within this peak RSS.
TARGET_MB_FOR_10MB = 1024


def one_line_text(megabytes: float) -> str:
    seeds = " ".join(p.read_text("utf-8") for p in sorted((ROOT / "seeds").glob("*.txt")))
    seeds = " ".join(seeds.split())
    size = len(seeds.encode("utf-8"))
    text = " ".join([seeds] * (int(megabytes * 1e6 / size) + 1))
    return text.encode("utf-8")[: int(megabytes * 1e6)].decode("utf-8", "ignore")


def measure(megabytes: float) -> dict[str, float | bool]:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "long.txt"
        source.write_text(one_line_text(megabytes), encoding="utf-8")
        index = Path(folder) / "ix"
        command = [sys.executable, "-m", "danvan_search", "index", "--index", str(index),
                   str(source)]
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out, err = process.communicate()
        found = subprocess.run(
            [sys.executable, "-m", "danvan_search", "search", "--index", str(index), "--json",
             '"Giồng Riềng"'], capture_output=True, text=True, check=False,
        )
        hits = json.loads(found.stdout)["hits"] if found.returncode == 0 else []
    return {
        "mb": megabytes,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),  # kilobytes on Linux
        "indexed": process.returncode == 0 and b"1 added" in out,
        "found": [h["id"] for h in hits] == [source.resolve().as_posix()],  # its file id
        "error": err.decode("utf-8", "replace").strip()[-300:] if process.returncode else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, nargs="+", default=[1.0, 10.0],
                        help="sizes of the line, in MB (default: 1 10)")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    rows = [measure(mb) for mb in args.mb]
    print("| line MB | seconds | peak RSS MB | indexed | phrase found |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['mb']:g} | {row['seconds']} | {row['peak_rss_mb']} | {row['indexed']} "
              f"| {row['found']} |")
        if row["error"]:
            print(f"  error: {row['error']}")
    for row in rows:
        if row["mb"] == 10:
            met = row["peak_rss_mb"] <= TARGET_MB_FOR_10MB and row["found"]
            print(f"\ntarget: a 10 MB line within {TARGET_MB_FOR_10MB} MB peak RSS: "
                  f"{'met' if met else 'NOT met'}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

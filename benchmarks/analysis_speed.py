"""The cost of danvan-search's analysis against bare ``word_tokenize`` on the same text.

Ours: ``analyze(text)`` (cleaning, line splitting, segmentation, alignment, document
codes) plus both token streams (exact and folded), as indexing does. Bare:
``word_tokenize(text, use_token_normalize=False)``, the way the library calls the
segmenter (the default ``use_token_normalize=True`` is shown for reference). The two are
interleaved in the same process for several rounds, and the ratio reported is the median
of the rounds' ratios. Within a round the two alternate text by text, so load from other
processes weighs on both alike.

    python benchmarks/analysis_speed.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import VNTC_CTXH, doc_text, read_jsonl, sample, seed_docs, slim

FULL = {"docs": 500, "rounds": 5}
QUICK = {"docs": 100, "rounds": 3}
SEED_REPEAT = 5  # the seeds are short: each round goes over them this many times
TARGET_RATIO = 1.15


def bare(text: str) -> None:
    from underthesea import word_tokenize

    word_tokenize(text, use_token_normalize=False)


def bare_default(text: str) -> None:
    from underthesea import word_tokenize

    word_tokenize(text)


def ours(text: str, split: dict[str, float]) -> None:
    """Analysis plus both streams; adds the time of each part to ``split``."""
    from danvan_search.analysis import analyze

    start = time.perf_counter()
    analysis = analyze(text)
    middle = time.perf_counter()
    for _ in analysis.stream("exact"):
        pass
    for _ in analysis.stream("folded"):
        pass
    split["analyze"] += middle - start
    split["streams"] += time.perf_counter() - middle


def _timed(function: Callable[[str], None], text: str) -> float:
    start = time.perf_counter()
    function(text)
    return time.perf_counter() - start


def measure(texts: list[str], rounds: int) -> dict[str, Any]:
    """Rounds over ``texts``, interleaving bare and ours text by text (which goes first
    alternates), so that other load on the machine weighs on both alike."""
    bare("Khởi động mô hình.")
    ours("Khởi động mô hình.", {"analyze": 0.0, "streams": 0.0})
    per_round = []
    for number in range(rounds):
        split = {"analyze": 0.0, "streams": 0.0}
        runs = {"bare": 0.0, "ours": 0.0, "default": 0.0}
        functions: dict[str, Callable[[str], None]] = {
            "bare": bare, "ours": lambda t, s=split: ours(t, s), "default": bare_default
        }
        for index, text in enumerate(texts):
            order = ("bare", "ours", "default") if (index + number) % 2 == 0 else (
                "ours", "bare", "default")
            for name in order:
                runs[name] += _timed(functions[name], text)
        per_round.append({**runs, **split})
    return summarize(per_round, texts)


def summarize(per_round: list[dict[str, float]], texts: list[str]) -> dict[str, Any]:
    ratios = [r["ours"] / r["bare"] for r in per_round]
    return {
        "texts": len(texts),
        "mb": sum(len(t.encode("utf-8")) for t in texts) / 1e6,
        "rounds": per_round,
        "ratio_median": statistics.median(ratios),
        "ratio_first_round": ratios[0],
        "analyze_only_ratio": statistics.median(r["analyze"] / r["bare"] for r in per_round),
        "streams_share": statistics.median(r["streams"] / r["ours"] for r in per_round),
        "default_ratio": statistics.median(r["default"] / r["bare"] for r in per_round),
        "bare_s": statistics.median(r["bare"] for r in per_round),
        "ours_s": statistics.median(r["ours"] for r in per_round),
    }


def run(quick: bool = False) -> dict[str, Any]:
    settings = QUICK if quick else FULL
    docs = sample([slim(d) for d in read_jsonl(VNTC_CTXH)], settings["docs"], "analysis")
    seeds = [doc_text(d) for d in seed_docs()] * SEED_REPEAT
    result = {"quick": quick, "target_ratio": TARGET_RATIO}
    print(f"  analysis: {len(docs)} vntc-ctxh articles", flush=True)
    result["vntc-ctxh"] = measure([doc_text(d) for d in docs], settings["rounds"])
    print("  analysis: seeds", flush=True)
    result["seeds"] = measure(seeds, settings["rounds"])
    return result


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "| text | texts | MB | bare word_tokenize s | ours s | ours ÷ bare (median) "
        "| first round | analyze() only ÷ bare | streams' share of ours "
        "| default word_tokenize ÷ bare |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ("vntc-ctxh", "seeds"):
        r = result[name]
        lines.append(
            f"| {name} | {r['texts']} | {r['mb']:.2f} | {r['bare_s']:.2f} | {r['ours_s']:.2f} "
            f"| **{r['ratio_median']:.3f}** | {r['ratio_first_round']:.3f} "
            f"| {r['analyze_only_ratio']:.3f} | {r['streams_share']:.1%} "
            f"| {r['default_ratio']:.3f} |"
        )
    rounds = len(result["vntc-ctxh"]["rounds"])
    lines += ["", f"{rounds} interleaved rounds; the seeds are gone over "
              f"{SEED_REPEAT} times per round (texts counts each pass)."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 articles, 3 rounds")
    parser.add_argument("--json", help="write the raw figures to this file")
    args = parser.parse_args()
    result = run(args.quick)
    print(markdown(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()

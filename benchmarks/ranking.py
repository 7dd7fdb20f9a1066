"""Ranking quality on UIT-ViQuAD dev: MRR@10, nDCG@10, Recall@10, Recall@100.

Every engine indexes the 1,568 paragraphs once and answers each question twice: as
written (accented) and with every diacritic removed (as typed without accents). A
question's relevant paragraph is the one it was asked about (binary relevance).

    python benchmarks/ranking.py [--quick] [--engines danvan,whoosh,...]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections.abc import Sequence
from typing import Any

import engines
from common import sample, viquad_docs, viquad_queries

DEPTH = 100
QUICK_QUERIES = 250
METRICS = ("mrr@10", "ndcg@10", "recall@10", "recall@100")


def metrics(ranked: Sequence[str], relevant: set[str]) -> dict[str, float]:
    """The metrics of one ranked list against its set of relevant ids."""
    first = next((i for i, doc_id in enumerate(ranked[:10], 1) if doc_id in relevant), None)
    dcg = sum(1 / math.log2(i + 1) for i, d in enumerate(ranked[:10], 1) if d in relevant)
    ideal = sum(1 / math.log2(i + 1) for i in range(1, min(len(relevant), 10) + 1))
    return {
        "mrr@10": 1 / first if first else 0.0,
        "ndcg@10": dcg / ideal if ideal else 0.0,
        "recall@10": len(relevant.intersection(ranked[:10])) / len(relevant),
        "recall@100": len(relevant.intersection(ranked[:100])) / len(relevant),
    }


def evaluate(engine: engines.Engine, queries: list[dict[str, Any]]) -> dict[str, float]:
    """Mean metrics over ``queries`` plus the mean query time (ms, top 100)."""
    totals = dict.fromkeys(METRICS, 0.0)
    seconds = []
    for query in queries:
        start = time.perf_counter()
        ranked = engine.search(query["query"], DEPTH)
        seconds.append(time.perf_counter() - start)
        for name, value in metrics(ranked, set(query["relevant_ids"])).items():
            totals[name] += value
    result = {name: total / len(queries) for name, total in totals.items()}
    result["mean_ms"] = statistics.fmean(seconds) * 1000
    return result


def run(quick: bool = False, names: Sequence[str] | None = None) -> dict[str, Any]:
    """Evaluate each engine on accented and unaccented questions."""
    docs = viquad_docs()
    accented, folded = viquad_queries(False), viquad_queries(True)
    if quick:
        accented = sample(accented, QUICK_QUERIES, "ranking")
        folded = sample(folded, QUICK_QUERIES, "ranking")
    rows: dict[str, Any] = {}
    for name in names or engines.ENGINES:
        if not engines.available(name):
            rows[name] = {"skipped": "package not installed"}
            continue
        rows[name] = _evaluate_engine(name, docs, accented, folded)
        print(f"  ranking {name}: {_brief(rows[name])}", flush=True)
    return {"docs": len(docs), "queries": len(accented), "quick": quick, "engines": rows}


def _evaluate_engine(
    name: str, docs: list[Any], accented: list[dict[str, Any]], folded: list[dict[str, Any]]
) -> dict[str, Any]:
    with engines.make(name) as engine:
        start = time.perf_counter()
        engine.build(docs)
        build_s = time.perf_counter() - start
        return {
            "label": engine.label,
            "build_s": build_s,
            "accented": evaluate(engine, accented),
            "folded": evaluate(engine, folded),
        }


def _brief(row: dict[str, Any]) -> str:
    return (
        f"MRR@10 {row['accented']['mrr@10']:.3f} accented, "
        f"{row['folded']['mrr@10']:.3f} unaccented"
    )


def markdown(result: dict[str, Any]) -> str:
    """Tables of the metrics, then the differences to danvan-search."""
    lines = [
        f"{result['queries']} questions (each accented and unaccented) over "
        f"{result['docs']} paragraphs; top 100 retrieved.",
        "",
        "| engine | queries | MRR@10 | nDCG@10 | R@10 | R@100 | mean ms (top 100) |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = {n: r for n, r in result["engines"].items() if "skipped" not in r}
    for row in rows.values():
        for kind, label in (("accented", "accented"), ("folded", "unaccented")):
            m = row[kind]
            lines.append(
                f"| {row['label']} | {label} | {m['mrr@10']:.3f} | {m['ndcg@10']:.3f} | "
                f"{m['recall@10']:.3f} | {m['recall@100']:.3f} | {m['mean_ms']:.1f} |"
            )
    for name, row in result["engines"].items():
        if "skipped" in row:
            lines.append(f"| {name} | – | skipped: {row['skipped']} | | | | |")
    lines += ["", *_differences(rows)]
    return "\n".join(lines)


def _differences(rows: dict[str, Any]) -> list[str]:
    ours = rows.get("danvan")
    if ours is None:
        return []
    lines = [
        "MRR@10 of danvan-search minus each other engine's (positive: ours is better):",
        "",
        "| vs | accented | unaccented |",
        "|---|---|---|",
    ]
    for name, row in rows.items():
        if name != "danvan":
            acc = ours["accented"]["mrr@10"] - row["accented"]["mrr@10"]
            fol = ours["folded"]["mrr@10"] - row["folded"]["mrr@10"]
            lines.append(f"| {row['label']} | {acc:+.3f} | {fol:+.3f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_QUERIES} questions")
    parser.add_argument("--engines", help="comma-separated engine names")
    parser.add_argument("--json", help="also write the raw figures to this file")
    args = parser.parse_args()
    names = args.engines.split(",") if args.engines else None
    result = run(args.quick, names)
    print(markdown(result))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(result, out, indent=2)


if __name__ == "__main__":
    main()

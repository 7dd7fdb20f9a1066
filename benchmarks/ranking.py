"""Ranking quality on the four ranking collections: MRR@10, nDCG@10, Recall@10, Recall@100.

Every engine indexes each collection once and answers each of its questions twice: as
written (accented) and with every diacritic removed (as typed without accents). Every
engine is given the same text: the question's words, without punctuation
(:func:`common.query_words`). A question's relevant documents are listed with it
(binary relevance).

    python benchmarks/ranking.py [--quick] [--engines danvan,whoosh,...]
                                 [--collections viquad-dev,...] [--index-dir DIR]

``--index-dir`` keeps danvan-search's index of each collection in ``DIR/<collection>``
and reuses it when it is there (for comparing query-side changes; rebuild after any
change to analysis). ``--reuse FILE`` takes the engines a former run (its ``--json``,
with the same questions) measured and does not run them again.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import engines
from common import (
    COLLECTIONS,
    collection_docs,
    collection_queries,
    query_words,
    sample,
    working_tree,
)

DEPTH = 100
QUICK_QUERIES = 150  # per collection and kind
METRICS = ("mrr@10", "ndcg@10", "recall@10", "recall@100")
KINDS = (("accented", "accented"), ("folded", "unaccented"))


def first_relevant(ranked: Sequence[str], relevant: set[str]) -> int:
    """Rank (1-based) of the first relevant document in ``ranked``, 0 if none."""
    return next((i for i, doc_id in enumerate(ranked, 1) if doc_id in relevant), 0)


def metrics(ranked: Sequence[str], relevant: set[str]) -> dict[str, float]:
    """The metrics of one ranked list against its set of relevant ids."""
    first = first_relevant(ranked[:10], relevant)
    dcg = sum(1 / math.log2(i + 1) for i, d in enumerate(ranked[:10], 1) if d in relevant)
    ideal = sum(1 / math.log2(i + 1) for i in range(1, min(len(relevant), 10) + 1))
    return {
        "mrr@10": 1 / first if first else 0.0,
        "ndcg@10": dcg / ideal if ideal else 0.0,
        "recall@10": len(relevant.intersection(ranked[:10])) / len(relevant),
        "recall@100": len(relevant.intersection(ranked[:100])) / len(relevant),
    }


def evaluate(
    search: Callable[[str, int], list[str]], queries: list[dict[str, Any]]
) -> dict[str, Any]:
    """Mean metrics over ``queries``, the mean query time (ms, top 100) and each
    question's first relevant rank (the raw figures, kept with the report)."""
    totals = dict.fromkeys(METRICS, 0.0)
    seconds, ranks = [], []
    for query in queries:
        text = query_words(query["query"])
        start = time.perf_counter()
        ranked = search(text, DEPTH) if text else []
        seconds.append(time.perf_counter() - start)
        relevant = set(query["relevant_ids"])
        for name, value in metrics(ranked, relevant).items():
            totals[name] += value
        ranks.append(first_relevant(ranked, relevant))
    result: dict[str, Any] = {name: total / len(queries) for name, total in totals.items()}
    result["mean_ms"] = statistics.fmean(seconds) * 1000
    result["ranks"] = ranks
    return result


def run(
    quick: bool = False,
    names: Sequence[str] | None = None,
    collections: Sequence[str] | None = None,
    index_dir: str | Path | None = None,
    reuse: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Evaluate each engine on each collection, accented and unaccented questions;
    rows of ``reuse`` (a former result over the same questions) are kept, not re-run."""
    result: dict[str, Any] = {"quick": quick, "depth": DEPTH, "measured": working_tree(),
                              "collections": {}}
    for collection in collections or COLLECTIONS:
        docs = collection_docs(collection)
        accented = collection_queries(collection, False)
        folded = collection_queries(collection, True)
        if quick:
            accented = sample(accented, QUICK_QUERIES, f"ranking:{collection}")
            folded = sample(folded, QUICK_QUERIES, f"ranking:{collection}")
        former = (reuse or {}).get("collections", {}).get(collection, {})
        if former and former["qids"] != [q["qid"] for q in accented]:
            raise ValueError(f"{collection}: the reused run asked other questions")
        rows: dict[str, Any] = dict(former.get("engines", {}))
        for name in names or engines.ENGINES:
            if name in rows:
                continue
            if not engines.available(name):
                rows[name] = {"skipped": "package not installed"}
                continue
            kept = Path(index_dir) / collection if index_dir and name == "danvan" else None
            rows[name] = _evaluate_engine(name, docs, accented, folded, kept)
            print(f"  ranking {collection} {name}: {_brief(rows[name])}", flush=True)
        result["collections"][collection] = {
            "docs": len(docs), "queries": len(accented),
            "qids": [q["qid"] for q in accented], "engines": rows,
        }
    return result


def _evaluate_engine(
    name: str, docs: list[Any], accented: list[dict[str, Any]],
    folded: list[dict[str, Any]], kept: Path | None,
) -> dict[str, Any]:
    with engines.make(name, kept) as engine:
        start = time.perf_counter()
        if kept is not None and (kept / "index").exists():
            engine.open()
        else:
            engine.build(docs)
        build_s = time.perf_counter() - start
        return {
            "label": engine.label,
            "build_s": build_s,
            "accented": evaluate(engine.search, accented),
            "folded": evaluate(engine.search, folded),
        }


def _brief(row: dict[str, Any]) -> str:
    return (
        f"MRR@10 {row['accented']['mrr@10']:.3f} accented, "
        f"{row['folded']['mrr@10']:.3f} unaccented"
    )


# --- the report -------------------------------------------------------------------------


def engine_rows(collection: dict[str, Any]) -> dict[str, Any]:
    return {n: r for n, r in collection["engines"].items() if "skipped" not in r}


def means(result: dict[str, Any]) -> dict[str, dict[str, dict[str, float]]]:
    """Each engine's metrics averaged over the collections (each collection weighs the
    same, however many questions it has): only engines measured on every collection."""
    collections = list(result["collections"].values())
    names = set.intersection(*(set(engine_rows(c)) for c in collections)) if collections else set()
    return {
        name: {
            kind: {m: statistics.fmean(engine_rows(c)[name][kind][m] for c in collections)
                   for m in METRICS}
            for kind, _ in KINDS
        }
        for name in sorted(names)
    }


def best_baseline(rows: dict[str, Any], kind: str, metric: str) -> tuple[str, float]:
    """The other engine with the highest ``metric``, and that figure."""
    others = {n: r[kind][metric] for n, r in rows.items() if n != "danvan"}
    if not others:
        return "", float("nan")
    name = max(others, key=lambda n: others[n])
    return rows[name]["label"], others[name]


def markdown(result: dict[str, Any]) -> str:
    """MRR@10 per collection and engine, the targets per collection, then each
    collection's full table."""
    collections = result["collections"]
    labels = {n: r["label"] for c in collections.values() for n, r in engine_rows(c).items()}
    head = "| engine | queries | " + " | ".join(collections) + " | mean |"
    lines = [
        f"MRR@10, top {result.get('depth', DEPTH)} retrieved"
        f"{' (quick: a sample of the questions)' if result.get('quick') else ''}; "
        "every engine is given the question's words only.",
        "",
        head,
        "|---|---|" + "---|" * (len(collections) + 1),
    ]
    mean = means(result)
    for name, label in labels.items():
        for kind, kind_label in KINDS:
            cells = []
            for collection in collections.values():
                row = engine_rows(collection).get(name)
                cells.append(f"{row[kind]['mrr@10']:.3f}" if row else "–")
            m = mean.get(name)
            cells.append(f"{m[kind]['mrr@10']:.3f}" if m else "–")
            lines.append(f"| {label} | {kind_label} | " + " | ".join(cells) + " |")
    lines += ["", *_target_rows(result), ""]
    for collection_name, collection in collections.items():
        lines += [
            f"### {collection_name}",
            "",
            f"{collection['queries']} questions (each accented and unaccented) over "
            f"{collection['docs']} documents.",
            "",
            "| engine | queries | MRR@10 | nDCG@10 | R@10 | R@100 | mean ms (top 100) |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in engine_rows(collection).values():
            for kind, kind_label in KINDS:
                m = row[kind]
                lines.append(
                    f"| {row['label']} | {kind_label} | {m['mrr@10']:.3f} | "
                    f"{m['ndcg@10']:.3f} | {m['recall@10']:.3f} | {m['recall@100']:.3f} | "
                    f"{m['mean_ms']:.1f} |"
                )
        for name, row in collection["engines"].items():
            if "skipped" in row:
                lines.append(f"| {name} | – | skipped: {row['skipped']} | | | | |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _target_rows(result: dict[str, Any]) -> list[str]:
    lines = [
        "Per collection: danvan-search accented MRR@10 minus the best other engine's "
        "(target ≥ +0.03), unaccented ÷ accented (target ≥ 0.97), accented R@100 minus the "
        "best other engine's R@100 (target ≥ 0).",
        "",
        "| collection | accented MRR@10 vs best other | unaccented ÷ accented "
        "| R@100 vs best other |",
        "|---|---|---|---|",
    ]
    for name, collection in result["collections"].items():
        rows = engine_rows(collection)
        ours = rows.get("danvan")
        if ours is None:
            continue
        acc, fol = ours["accented"]["mrr@10"], ours["folded"]["mrr@10"]
        label, best = best_baseline(rows, "accented", "mrr@10")
        r_label, r_best = best_baseline(rows, "accented", "recall@100")
        r100 = ours["accented"]["recall@100"]
        lines.append(
            f"| {name} | {acc:.3f} vs {best:.3f} {label} ({acc - best:+.3f}) | "
            f"{fol / acc:.3f} | {r100:.3f} vs {r_best:.3f} {r_label} ({r100 - r_best:+.3f}) |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_QUERIES} questions per collection")
    parser.add_argument("--engines", help="comma-separated engine names")
    parser.add_argument("--collections", help="comma-separated collection names")
    parser.add_argument("--index-dir", help="keep and reuse danvan-search's indexes here")
    parser.add_argument("--reuse", help="keep the engines measured in this former --json")
    parser.add_argument("--json", help="also write the raw figures to this file")
    args = parser.parse_args()
    names = args.engines.split(",") if args.engines else None
    collections = args.collections.split(",") if args.collections else None
    reuse = json.loads(Path(args.reuse).read_text(encoding="utf-8")) if args.reuse else None
    result = run(args.quick, names, collections, args.index_dir, reuse)
    print(markdown(result))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(result, out, indent=2)


if __name__ == "__main__":
    main()

"""Each ranking feature on and off, on the four ranking collections (MRR@10).

The default configuration (``danvan_search.DEFAULT_RANKING``) against the same with one
feature switched: off where the default has it, on where it does not. One configuration
serves every collection, so a feature is kept only where it gains on all four.

    python benchmarks/ablation.py --index-dir DIR [--queries 300] [--json FILE]

The indexes are danvan-search's own, kept in ``DIR/<collection>`` (built there when
missing, as ``ranking.py --index-dir`` does): every variant is a query-time setting.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import engines
import ranking
from common import COLLECTIONS, collection_docs, collection_queries, sample

#: (label, changes to the default): what each row switches.
VARIANTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("default", {}),
    ("no adjacency bonus", {"adjacent_weight": 0.0}),
    ("adjacency bonus ×2", {"adjacent_weight": 0.5}),
    ("no pair term", {"pair_weight": 0.0, "unaccented_pair_weight": 0.0}),
    ("no adjacency at all (bonus, pair)",
     {"adjacent_weight": 0.0, "pair_weight": 0.0, "unaccented_pair_weight": 0.0}),
    ("former default: bonus 0.5, no pair term",
     {"adjacent_weight": 0.5, "pair_weight": 0.0, "unaccented_pair_weight": 0.0}),
    ("pair term 1.0", {"pair_weight": 1.0, "unaccented_pair_weight": 1.0}),
    ("unaccented pair as accented (0.4)", {"unaccented_pair_weight": 0.4}),
    ("any syllable finds (not whole words)", {"find_by_words": False}),
    ("compound words score too (0.3)", {"word_weight": 0.3}),
    ("all-words bonus (0.3)", {"all_words_weight": 0.3}),
    ("title ×2", {"title_weight": 2.0}),
    ("no title", {"title_weight": 0.0}),
    ("no restored accents", {"restored_weight": 0.0, "restored_share": 0.0}),
    ("no sure restoration (short queries only)", {"restored_share": 0.0}),
    ("sure restoration at 0.9", {"restored_share": 0.9}),
    ("finding budget 20% of the index", {"finding_budget": 0.2}),
    ("BM25 k1 0.9", {"k1": 0.9}),
    ("BM25 b 0.5", {"body_b": 0.5, "title_b": 0.5}),
    ("no acronyms", {"acronym_weight": 0.0}),
    ("no lead", {"lead_weight": 0.0}),
    ("lead 0.3", {"lead_weight": 0.3}),
)


def run(
    index_dir: Path, queries: int, save: Path | None = None,
    only: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Every variant in turn, or those labelled in ``only`` (the default row always),
    (``save``: the figures so far are written there after each, so a run cut short
    keeps what it measured)."""
    from danvan_search import DEFAULT_RANKING, SearchIndex

    result: dict[str, Any] = {"queries": queries, "default": repr(DEFAULT_RANKING),
                              "variants": {}}
    samples = {
        name: {kind: sample(collection_queries(name, kind == "folded"), queries,
                            f"ablation:{name}") for kind, _ in ranking.KINDS}
        for name in COLLECTIONS
    }
    for name in COLLECTIONS:  # build what is missing first
        kept = index_dir / name
        if not (kept / "index").exists():
            with engines.make("danvan", kept) as engine:
                engine.build(collection_docs(name))
    for label, changes in VARIANTS:
        if only is not None and label != "default" and label not in only:
            continue
        config = replace(DEFAULT_RANKING, **changes)
        row: dict[str, Any] = {"changes": changes}
        for name in COLLECTIONS:
            with SearchIndex.open(index_dir / name / "index", ranking=config) as ix:

                def search(text: str, k: int, ix: Any = ix) -> list[str]:
                    return [hit.id for hit in ix.search(text, limit=min(k, 10))]

                row[name] = {kind: ranking.evaluate(search, samples[name][kind])["mrr@10"]
                             for kind, _ in ranking.KINDS}
        result["variants"][label] = row
        if save is not None:
            save.write_text(json.dumps(result, indent=2), encoding="utf-8")
        print(f"  {label}: " + ", ".join(
            f"{n} {row[n]['accented']:.3f}/{row[n]['folded']:.3f}" for n in COLLECTIONS
        ), flush=True)
    return result


def markdown(result: dict[str, Any]) -> str:
    names = list(COLLECTIONS)
    default = result["variants"]["default"]
    lines = [
        f"MRR@10 accented / unaccented, {result['queries']} questions of each collection "
        "(a fixed sample); rows below the default show the change against it.",
        "",
        "| variant | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for label, row in result["variants"].items():
        cells = []
        for name in names:
            acc, fol = row[name]["accented"], row[name]["folded"]
            if label == "default":
                cells.append(f"{acc:.3f} / {fol:.3f}")
            else:
                cells.append(f"{acc - default[name]['accented']:+.3f} / "
                             f"{fol - default[name]['folded']:+.3f}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", required=True, help="danvan-search's indexes")
    parser.add_argument("--queries", type=int, default=300, help="questions per collection")
    parser.add_argument("--json", help="also write the raw figures to this file")
    parser.add_argument("--only", help="only these variants (labels, separated by ';')")
    args = parser.parse_args()
    only = [label.strip() for label in args.only.split(";")] if args.only else None
    unknown = set(only or ()) - {label for label, _ in VARIANTS}
    if unknown:
        parser.error(f"no such variant: {', '.join(sorted(unknown))}")
    result = run(Path(args.index_dir), args.queries, Path(args.json) if args.json else None,
                 only)
    print(markdown(result))


if __name__ == "__main__":
    main()

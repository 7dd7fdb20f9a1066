"""Query assistance on UIT-ViQuAD dev: accent restoration accuracy and the cost of
assistance on queries that need none.

    python benchmarks/assistance.py [--quick] [--index DIR]

1. Accent restoration: the index is built from the 1,568 paragraphs; each question
   typed without accents (queries-folded.jsonl) goes through ``SearchIndex.suggest``
   and the result is compared, syllable by syllable, with the question as written
   (queries.jsonl). Counted: syllables whose accented form occurs in the index (the
   others cannot be restored from the index's vocabulary). Target: >= 0.90.
2. Overhead: questions typed with accents whose words the index all knows need no
   help; each is searched once both ways (so both find the postings read), then with
   and without assistance (``exact=True``), interleaved, and the median difference is
   reported. Target: <= 1 ms. Also the time of assistance alone on a question seen for
   the first time (no term statistics remembered), its median and 95th percentile.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from danvan_search import SearchIndex
from danvan_search.analysis import exact_term
from danvan_search.assistance import QueryAssistant
from danvan_search.normalization import fold
from danvan_search.query import Lexicon
from danvan_search.query_syntax import prepare_query_text

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "viquad-dev"
WORD = re.compile(r"[^\W\d_]+")


def load(name: str) -> list[dict]:
    with (DATA / name).open(encoding="utf-8") as stream:
        return [json.loads(line) for line in stream]


def build(path: Path) -> SearchIndex:
    if SearchIndex.exists(path):
        return SearchIndex.open(path)
    ix = SearchIndex.create(path)
    docs = load("docs.jsonl")
    ix.index_documents({"id": d["id"], "title": d.get("title"), "body": d["body"]} for d in docs)
    return ix


def restoration(ix: SearchIndex, pairs: list[tuple[str, str]]) -> dict[str, float]:
    with ix._readings.borrow() as reading:  # suggest() borrows another searcher meanwhile
        return _restoration(ix, reading.searcher.reader(), pairs)


def _restoration(ix: SearchIndex, reader: Any, pairs: list[tuple[str, str]]) -> dict[str, float]:
    right = counted = all_right = all_counted = 0
    started = time.perf_counter()
    for folded, accented in pairs:
        restored = ix.suggest(folded) or folded
        got, want = WORD.findall(restored), WORD.findall(accented)
        if len(got) != len(want):
            continue  # a correction changed the words: not a restoration case
        for g, w in zip(got, want, strict=True):
            ok = exact_term(g) == exact_term(w)
            all_right += ok
            all_counted += 1
            if ("body", exact_term(w)) in reader or ("title", exact_term(w)) in reader:
                right += ok
                counted += 1
    return {
        "queries": len(pairs),
        "accuracy_in_index": right / max(1, counted),
        "syllables_in_index": counted,
        "accuracy_all": all_right / max(1, all_counted),
        "ms_per_suggest": (time.perf_counter() - started) / max(1, len(pairs)) * 1000,
    }


def overhead(ix: SearchIndex, queries: list[str], rounds: int) -> dict[str, float]:
    needing_none = [q for q in queries if ix.suggest(q) is None]
    for query in needing_none:  # the first search of a query reads its postings
        ix.search(query, exact=True)
        ix.search(query)
    differences = []
    for _ in range(rounds):
        for query in needing_none:
            a = time.perf_counter()
            ix.search(query, exact=True)
            b = time.perf_counter()
            ix.search(query)
            c = time.perf_counter()
            differences.append((c - b) - (b - a))
    with ix._readings.borrow() as reading:
        first_time = []
        for query in needing_none:
            lexicon = Lexicon(reading.searcher.reader())  # nothing remembered
            started = time.perf_counter()
            QueryAssistant(reading.searcher, lexicon=lexicon).assist(prepare_query_text(query))
            first_time.append(time.perf_counter() - started)
    return {
        "queries": len(needing_none),
        "median_extra_ms": statistics.median(differences) * 1000,
        "mean_extra_ms": statistics.fmean(differences) * 1000,
        "first_time_median_ms": statistics.median(first_time) * 1000,
        "first_time_p95_ms": statistics.quantiles(first_time, n=20)[-1] * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 questions, 1 round")
    parser.add_argument("--index", type=Path, help="reuse (or build) the index here")
    args = parser.parse_args(argv)
    folded = {q["qid"]: q["query"] for q in load("queries-folded.jsonl")}
    accented = {q["qid"]: q["query"] for q in load("queries.jsonl")}
    qids = sorted(folded)[: 300 if args.quick else None]
    with tempfile.TemporaryDirectory() as tmp:
        ix = build(args.index or Path(tmp) / "ix")
        pairs = [(folded[q], accented[q]) for q in qids if fold(accented[q]) == folded[q]]
        figures = {
            "restoration": restoration(ix, pairs),
            "overhead": overhead(ix, [accented[q] for q in qids], 1 if args.quick else 3),
        }
        ix.close()
    json.dump(figures, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

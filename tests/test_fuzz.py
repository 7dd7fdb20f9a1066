"""Any query, with any options, gets an answer that keeps the promises of the results.

Queries mix the seeds' words with query syntax, punctuation, emoji, control characters
and lone surrogates. Every answer is checked: no error but an empty query's, at most
``limit`` hits and no more than ``total``, ranks in order, scores (or dates) in order,
highlight ranges that are non-empty, ordered, inside the text and on a matching word,
facet counts no larger than ``total``, and filters respected.

The default run tries a few hundred queries; ``pytest -m slow`` runs 10,000.
"""

from __future__ import annotations

import datetime as dt
import random
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from danvan_search import InvalidQueryError, SearchIndex
from danvan_search.ingestion import read_sources
from danvan_search.normalization import fold

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
WORDS = sorted({w.strip(',.;:“”()…"') for d in read_sources([str(SEEDS)])
                for w in d.body.split()} - {""})  # fmt: skip
SYNTAX = ['"', "-", "OR", "title:", "(", ")", "*", ".", ",", "“", "”", "AND", "NOT", '-"',
          '"."', "\udcff", "\ud800", "😀", "\x00", "\x07", "\u200b", "  ", "\n", "中", "é"]
DATES = [None, "2019-01-11", "2021-03-05", "2022-07-15", "2023-10-03", "2024-01-01"]


def random_query(rng: random.Random) -> str:
    parts = [rng.choice(WORDS) if rng.random() < 0.6 else rng.choice(SYNTAX)
             for _ in range(rng.randint(1, 7))]
    if rng.random() < 0.2:
        parts = [fold(p) for p in parts]
    return ("" if rng.random() < 0.2 else " ").join(parts)


def random_options(rng: random.Random) -> dict:
    options: dict = {"limit": rng.choice([1, 2, 3, 10, 50])}
    if rng.random() < 0.3:
        options["facets"] = True
    if rng.random() < 0.3:
        options["sort"] = "date"
    if rng.random() < 0.2:
        options["exact"] = True
    since, until = rng.choice(DATES), rng.choice(DATES)
    if since and until and since > until:
        since, until = until, since
    if since and rng.random() < 0.3:
        options["since"] = since
    if until and rng.random() < 0.3:
        options["until"] = until
    if rng.random() < 0.1:
        options["place"] = rng.choice(["Huế", "Kiên Giang", "lao cai", "\udcff"])
    return options


def check_answer(ix: SearchIndex, query: str, options: dict) -> None:
    """Run the query; fail on anything the results promise and do not keep."""
    try:
        results = ix.search(query, **options)
    except InvalidQueryError as error:
        assert "empty query" in str(error), (query, options, error)
        return
    where = (query, options)
    assert "\udcff" not in results.query and "\ud800" not in results.query, where
    if results.total == 0:  # nothing matches: no hits, no facet counts
        assert results.hits == () and not any(results.facets.values()), where
        return
    hits = results.hits
    assert len(hits) <= min(options["limit"], results.total), where
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1)), where
    if options.get("sort") == "date" or not results.query:  # (no query: a listing by date)
        dates = [h.date or dt.date.min for h in hits]
        assert dates == sorted(dates, reverse=True), where
    else:
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores), where
    for hit in hits:
        body = ix.get(hit.id).body
        for spans, text in ((hit.highlights, body), (hit.snippet.highlights, hit.snippet.text)):
            assert all(0 <= s < e <= len(text) for s, e in spans), (where, spans)
            assert all(a[1] <= b[0] for a, b in pairwise(spans)), where
            assert all(any(c.isalnum() for c in text[s:e]) for s, e in spans), where
        since, until = options.get("since"), options.get("until")
        if since or until:
            assert hit.date is not None, where
            assert not since or hit.date >= dt.date.fromisoformat(since), where
            assert not until or hit.date <= dt.date.fromisoformat(until), where
    for name, counts in results.facets.items():
        assert all(0 < count <= results.total for _, count in counts), (where, name)
        if name in ("year", "source"):  # one value per document
            assert sum(count for _, count in counts) <= results.total, (where, name)


@given(data=st.randoms(use_true_random=False))
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_queries_keep_the_promises_of_the_results(seeds_index, data):
    check_answer(seeds_index, random_query(data), random_options(data))


@given(query=st.text(max_size=60), limit=st.integers(1, 20), sort=st.sampled_from(
    ["relevance", "date"]), facets=st.booleans())
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_keeps_the_promises_of_the_results(seeds_index, query, limit, sort, facets):
    check_answer(seeds_index, query, {"limit": limit, "sort": sort, "facets": facets})


@pytest.mark.slow
def test_ten_thousand_random_queries(seeds_index_path: Path):
    rng = random.Random(20261130)
    with SearchIndex.open(seeds_index_path) as ix:
        for _ in range(10_000):
            query = random_query(rng)
            check_answer(ix, query, random_options(rng))
            if rng.random() < 0.1:
                try:
                    suggestion = ix.suggest(query)
                except InvalidQueryError as error:
                    assert "empty query" in str(error)
                else:
                    assert suggestion is None or "\udcff" not in suggestion

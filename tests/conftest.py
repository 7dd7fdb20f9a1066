"""Shared fixtures: an index of the five seed articles, built once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from danvan_search import SearchIndex
from danvan_search.ingestion import read_sources

# No per-example deadline: timing belongs to benchmarks, and a shared machine would make
# a timed test fail at random.
settings.register_profile("danvan", deadline=None)
settings.load_profile("danvan")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def seeds_index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeds-index")
    with SearchIndex.create(path, overwrite=True) as ix:
        report = ix.index_documents(read_sources([str(SEEDS)]))
    assert report.added == 5 and not report.skipped
    return path


@pytest.fixture
def seeds_index(seeds_index_path: Path) -> Iterator[SearchIndex]:
    with SearchIndex.open(seeds_index_path) as ix:
        yield ix


@pytest.fixture
def empty_index(tmp_path: Path) -> Iterator[SearchIndex]:
    with SearchIndex.create(tmp_path / "ix") as ix:
        yield ix

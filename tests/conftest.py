"""Shared fixtures: an index of the five seed articles, built once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from danvan_search import SearchIndex

# No per-example deadline: timing belongs to benchmarks, and a shared machine would make
# a timed test fail at random.
settings.register_profile("danvan", deadline=None)
settings.load_profile("danvan")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def seeds_index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed pages, read as pages as the command line reads them, under short ids
    (their file names without .txt) rather than their absolute paths."""
    path = tmp_path_factory.mktemp("seeds-index")
    pages = [{"id": page.stem, "body": page.read_text(encoding="utf-8")}
             for page in sorted(SEEDS.glob("*.txt"))]
    with SearchIndex.create(path, overwrite=True) as ix:
        report = ix.index_documents(pages, pages=True)
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

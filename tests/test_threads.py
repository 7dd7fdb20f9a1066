"""One open index searched from many threads, however the threads come and go: the
searchers (and their open files) are shared, bounded and closed with the index."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import danvan_search.index as index_module
from danvan_search import IndexClosedError, SearchIndex

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(),
                                reason="counts open files through /proc")


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def two_segments(tmp_path: Path) -> Path:
    path = tmp_path / "ix"
    with SearchIndex.create(path) as ix:
        ix.add([{"id": "1", "body": "Công tác dân vận ở cơ sở"}])
        ix.add([{"id": "2", "body": "Thi đua Dân vận khéo"}])  # a second segment
    return path


def search_in_threads(ix: SearchIndex, threads: int, query: str = "dân vận") -> None:
    for _ in range(threads):  # a new thread per request, one after another
        thread = threading.Thread(target=ix.search, args=(query,))
        thread.start()
        thread.join()


def test_a_thread_per_search_leaks_no_open_files(two_segments: Path):
    before = open_files()
    ix = SearchIndex.open(two_segments)
    search_in_threads(ix, 1)
    one_searcher = open_files()
    assert ix._readings.open_count == 1
    search_in_threads(ix, 200)
    assert open_files() == one_searcher
    assert ix._readings.open_count == 1
    ix.close()
    assert open_files() == before


def test_threads_searching_at_once_share_a_bounded_pool(two_segments: Path, monkeypatch):
    before = open_files()
    ix = SearchIndex.open(two_segments, searchers=3)
    search_in_threads(ix, 1)
    per_searcher = open_files() - before
    inside, release = threading.Semaphore(0), threading.Event()
    run_search = index_module.run_search

    def held_search(*args, **kwargs):
        inside.release()
        release.wait(10)
        return run_search(*args, **kwargs)

    monkeypatch.setattr(index_module, "run_search", held_search)
    threads = [threading.Thread(target=ix.search, args=("dân vận",)) for _ in range(5)]
    for thread in threads:
        thread.start()
    for _ in range(3):
        assert inside.acquire(timeout=10)
    # Three searches hold the three searchers; the other two wait for one.
    assert not inside.acquire(timeout=0.3)
    assert ix._readings.open_count == 3
    assert open_files() == before + 3 * per_searcher
    release.set()
    for thread in threads:
        thread.join()
    monkeypatch.undo()
    assert ix._readings.open_count == 3  # kept for the next searches, caches and all
    with ThreadPoolExecutor(8) as pool:  # a fixed pool larger than the searchers
        totals = set(pool.map(lambda _: ix.search("dân vận").total, range(100)))
    assert totals == {2}
    assert open_files() == before + 3 * per_searcher
    ix.close()
    assert open_files() == before


def test_a_commit_closes_the_searchers_of_the_old_generation(two_segments: Path):
    before = open_files()
    ix = SearchIndex.open(two_segments)
    search_in_threads(ix, 1)
    two_segment_files = open_files() - before
    ix.add([{"id": "3", "body": "Mặt trận Tổ quốc"}])  # a third segment
    search_in_threads(ix, 50, "mặt trận")
    assert ix._readings.open_count == 1
    assert [hit.id for hit in ix.search("mặt trận")] == ["3"]
    assert open_files() - before == two_segment_files * 3 // 2
    ix.close()
    assert open_files() == before


def test_a_closed_index_says_so(two_segments: Path):
    ix = SearchIndex.open(two_segments)
    ix.close()
    with pytest.raises(IndexClosedError, match="closed; open it again"):
        ix.search("dân vận")
    with pytest.raises(IndexClosedError):
        ix.add([{"id": "4", "body": "Hội nghị"}])
    assert isinstance(IndexClosedError("x"), ValueError)

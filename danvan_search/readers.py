"""The searchers of one open index, shared by every thread that uses it.

A searcher holds open files (about ten per segment) and what its queries read (term
statistics; postings as arrays once it ranks). Keeping one per thread until the index
closes leaked both wherever threads come and go (a web server's thread per request).
Here a call borrows a searcher and gives it back when it returns: the number open is the
number of calls running at once, at most the pool's size, whatever the threading model,
and an idle searcher keeps its caches for the next call of any thread. A commit is picked
up by the next call; searchers of older generations close as they come back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from whoosh.index import FileIndex
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from .errors import IndexClosedError
from .query import Lexicon
from .segments import open_searcher

if TYPE_CHECKING:
    from .scoring import ArrayScorer

#: Postings each searcher keeps decoded (12 bytes each, so at most 384 MB), one budget
#: over all its segments: the terms of recent queries, those that save the most reading
#: kept when they do not all fit (:mod:`danvan_search.caching`). The 300 queries of the
#: scale benchmark read about 2.7 million on 10,000 articles, 22 million on 80,000 and
#: 44 million on 160,000; ``SearchIndex.open(path, cached_postings=...)`` chooses.
DEFAULT_CACHED_POSTINGS = 32_000_000


class Reading:
    """One searcher, with what its queries read kept for as long as it lives: term
    statistics (for splitting queries) and, once it has ranked a query, the array
    scorer's postings. Used by one thread at a time."""

    def __init__(self, searcher: Searcher, generation: int,
                 cached_postings: int = DEFAULT_CACHED_POSTINGS) -> None:
        self.searcher = searcher
        self.generation = generation
        self.cached_postings = cached_postings
        self._scorer: ArrayScorer | None = None
        self.lexicon = Lexicon(searcher.reader())

    def scorer(self) -> ArrayScorer:
        if self._scorer is None:
            from .scoring import ArrayScorer  # numpy: imported only to rank

            self._scorer = ArrayScorer(self.searcher, self.cached_postings)
        return self._scorer

    def settle(self) -> None:
        """The call that borrowed this reading is over."""
        if self._scorer is not None:
            self._scorer.settle()

    def close(self) -> None:
        self.searcher.close()


class ReadingPool:
    """At most ``size`` readings, lent to one call at a time; a call that finds every
    one lent waits for one to come back."""

    def __init__(self, ix: FileIndex, size: int, name: str, weighting: BM25F,
                 cached_postings: int = DEFAULT_CACHED_POSTINGS) -> None:
        if size < 1:
            raise ValueError(f"searchers must be at least 1, not {size!r}")
        self._ix = ix
        self._weighting = weighting
        self.size = size
        self.cached_postings = cached_postings
        self._name = name
        self._idle: list[Reading] = []  # the most recently used last: its caches are warm
        self._open = 0  # idle and lent
        self._generation = -1  # the latest seen (lower after an index is rebuilt in place)
        self._closed = False
        self._changed = threading.Condition()

    @contextmanager
    def borrow(self) -> Iterator[Reading]:
        reading = self._take()
        try:
            yield reading
        finally:
            try:
                reading.settle()
            finally:
                self._give_back(reading)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def open_count(self) -> int:
        """Searchers open now, idle or lent."""
        with self._changed:
            return self._open

    def close(self) -> None:
        """Close the idle searchers now, and each lent one when it comes back."""
        with self._changed:
            self._closed = True
            idle, self._idle = self._idle, []
            self._open -= len(idle)
            self._changed.notify_all()
        for reading in idle:
            reading.close()

    def _take(self) -> Reading:
        latest = self._ix.latest_generation()
        stale: list[Reading] = []
        try:
            with self._changed:
                self._generation = latest
                while True:
                    if self._closed:
                        raise IndexClosedError(
                            f"index {self._name} is closed; open it again with "
                            "SearchIndex.open()"
                        )
                    old = [r for r in self._idle if r.generation != latest]
                    if old:
                        self._idle = [r for r in self._idle if r not in old]
                        self._open -= len(old)
                        stale += old
                    if self._idle:
                        return self._idle.pop()
                    if self._open < self.size:
                        self._open += 1
                        break
                    self._changed.wait()
        finally:
            for reading in stale:
                reading.close()
        try:
            reading = Reading(*open_searcher(self._ix, weighting=self._weighting),
                              cached_postings=self.cached_postings)
        except BaseException:
            with self._changed:
                self._open -= 1
                self._changed.notify()
            raise
        with self._changed:
            self._generation = reading.generation  # it read the latest
        return reading

    def _give_back(self, reading: Reading) -> None:
        with self._changed:
            keep = not self._closed and reading.generation == self._generation
            if keep:
                self._idle.append(reading)
            else:
                self._open -= 1
            self._changed.notify()
        if not keep:
            reading.close()

"""A cache of values with sizes, within a budget, that keeps what saves the most reading.

The array scorer keeps each term's decoded postings (:mod:`danvan_search.scoring`).
Kept least recently used first, a cache holds nothing useful once the terms a stream
of queries repeats add up to more than its budget: each term is dropped just before
it is asked for again. That is what happened at 160,000 articles, where the 300
queries of the scale benchmark read about 44 million postings against a budget of 32
million: the warm pass read nearly everything again. (With half the budget on 80,000
articles, the same situation, this cache takes the warm median from 92 to 33 ms;
benchmarks/RESULTS.md.)

So the values one search reads for the first time are held for that search (it reads
a term in several passes) in a *window*; when the search is over (:meth:`settle`),
each enters the *main* part only if there is room, or if keeping it saves more reading
per unit of budget than every value it would push out: its frequency times the cost
of reading it, over its size (frequency-based admission, as in W-TinyLFU, weighed by
cost and size, as in GreedyDual-Size-Frequency). Under a repeating stream larger than
the budget the main part then keeps the same values pass after pass rather than none,
and a term used once does not push out one used all day. Frequencies are halved every
so often, so that what queries stopped asking for does not hold its place for ever.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from itertools import islice
from typing import Generic, TypeVar

V = TypeVar("V")

#: Frequencies are halved after this many requests per value the cache holds (and at
#: least ``_MIN_SAMPLE``), as W-TinyLFU's sample of ten times its capacity.
_SAMPLE_PER_VALUE = 10
_MIN_SAMPLE = 1_000

#: A value that needs room pushes out values of less worth among this many of the least
#: recently used.
_EVICTION_SAMPLE = 16


class SizedCache(Generic[V]):
    """Values by key, ``budget`` units of size in all (``size`` gives a value's) once
    the window is settled.

    A search's window may hold up to the budget again beside the main part (the
    search holds most of those values anyway while it runs); a window that outgrows
    the budget (a long search, or a caller that never settles) is settled then, all
    but its newest value.
    """

    def __init__(self, budget: int, size: Callable[[V], int], read_cost: float = 0.0) -> None:
        """``read_cost``: what reading any value costs besides its size, in units of
        size (reading a value of size ``n`` costs ``read_cost + n``)."""
        self.budget = budget
        self._size = size
        self._read_cost = read_cost
        self._window: OrderedDict[Hashable, V] = OrderedDict()
        self._main: OrderedDict[Hashable, V] = OrderedDict()
        self._window_used = 0
        self._main_used = 0
        self._frequency: dict[Hashable, int] = {}
        self._requests = 0

    @property
    def used(self) -> int:
        """The size of every value kept."""
        return self._window_used + self._main_used

    def __len__(self) -> int:
        return len(self._window) + len(self._main)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._main or key in self._window

    def get(self, key: Hashable) -> tuple[bool, V | None]:
        """``(True, value)`` for a kept key (counted as a request), else ``(False, None)``."""
        found = self.peek(key)
        if found[0]:
            self._count(key)
        return found

    def peek(self, key: Hashable) -> tuple[bool, V | None]:
        """As :meth:`get`, without counting a request: for a look that reads nothing
        when the key is not kept."""
        for part in (self._main, self._window):
            if key in part:
                part.move_to_end(key)
                return True, part[key]
        return False, None

    def put(self, key: Hashable, value: V) -> None:
        """Hold a value just read (its key not kept) until :meth:`settle`."""
        self._count(key)
        self._window[key] = value
        self._window_used += self._size(value)
        if self._window_used > self.budget:
            self.settle(keep_newest=True)

    def settle(self, keep_newest: bool = False) -> None:
        """Offer the window's values to the main part, oldest first."""
        while len(self._window) > (1 if keep_newest else 0):
            key, value = self._window.popitem(last=False)
            self._window_used -= self._size(value)
            self._admit(key, value)

    def _admit(self, key: Hashable, value: V) -> None:
        """Into the main part if there is room, or if it is worth more than every value
        it would push out (:meth:`_worth`); otherwise it is dropped."""
        size = self._size(value)
        if size > self.budget:
            return
        room = self.budget - self._main_used
        victims: list[Hashable] = []
        if room < size:
            # The least worth among the least recently used values go first (a sample:
            # looking through them all for every candidate would cost more than it saves).
            wanted = self._worth(key, size)
            sample = [(old_key, self._size(old))
                      for old_key, old in islice(self._main.items(), _EVICTION_SAMPLE)]
            sample.sort(key=lambda found: self._worth(*found))
            for old_key, old_size in sample:
                if self._worth(old_key, old_size) >= wanted:
                    return  # the candidate loses: the main part keeps what it has
                victims.append(old_key)
                room += old_size
                if room >= size:
                    break
            else:
                return  # not room enough among the values it could push out
        for old_key in victims:
            self._main_used -= self._size(self._main.pop(old_key))
        self._main[key] = value
        self._main_used += size

    def _worth(self, key: Hashable, size: int) -> float:
        """Reading saved per unit of budget by keeping a value."""
        return self._frequency.get(key, 0) * (self._read_cost + size) / max(size, 1)

    def _count(self, key: Hashable) -> None:
        self._frequency[key] = self._frequency.get(key, 0) + 1
        self._requests += 1
        if self._requests >= max(_MIN_SAMPLE, _SAMPLE_PER_VALUE * len(self)):
            self._requests = 0
            self._frequency = {k: n // 2 for k, n in self._frequency.items() if n > 1}

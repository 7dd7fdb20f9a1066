"""The postings cache: a budget of sizes, frequency-based admission."""

from __future__ import annotations

from danvan_search import caching
from danvan_search.caching import SizedCache


def _read_through(cache: SizedCache[str], keys: list[str], sizes: dict[str, int]) -> int:
    """Ask for each key in turn, keeping what was not kept; the number found kept."""
    found = 0
    for key in keys:
        kept, value = cache.get(key)
        if kept:
            assert value == f"value of {key}"
            found += 1
        else:
            cache.put(key, f"value of {key}")
    return found


def _searches(cache: SizedCache[str], keys: list[str]) -> int:
    """Each key read by a search of its own (settled after it); the number found kept."""
    found = 0
    for key in keys:
        found += _read_through(cache, [key], {})
        cache.settle()
    return found


def test_a_repeating_stream_larger_than_the_budget_keeps_finding_most_of_it() -> None:
    """15 values of 10 against a budget of 100, asked for in the same order pass after
    pass: kept least recently used, none would be found again (each is pushed out just
    before its turn); admitted by frequency, the ten first kept are found every pass."""
    keys = [f"k{i}" for i in range(15)]
    cache: SizedCache[str] = SizedCache(100, lambda value: 10)
    assert [_searches(cache, keys) for _ in range(4)] == [0, 10, 10, 10]
    assert list(cache._main) == keys[:10]
    assert cache.used == 100


def test_a_value_asked_for_more_often_takes_the_place_of_one_asked_for_less() -> None:
    cache: SizedCache[str] = SizedCache(100, lambda value: 10)
    _searches(cache, [f"k{i}" for i in range(10)])  # full: ten values asked for once
    _searches(cache, ["hot", "cold"])
    assert "hot" not in cache and "cold" not in cache  # no more worth than those kept
    _searches(cache, ["hot"])
    # Asked for twice, "hot" pushed out k0, the least recently used of those asked
    # for once.
    assert list(cache._main) == [*(f"k{i}" for i in range(1, 10)), "hot"]


def test_the_newest_value_is_kept_even_when_larger_than_the_budget() -> None:
    """A query reads one term in several passes: the one it just read stays."""
    sizes = {"small": 5, "huge": 500}
    cache: SizedCache[str] = SizedCache(100, lambda value: sizes[value.split()[-1]])
    _read_through(cache, ["small", "huge"], sizes)
    assert cache.get("huge") == (True, "value of huge")
    assert "small" in cache._main
    _read_through(cache, ["small"], sizes)
    # Asked for again while the huge one is the newest: still there; the huge one
    # is dropped (it fits nowhere) once something newer comes.
    assert cache.get("small") == (True, "value of small")
    cache.put("other", "value of small")
    assert "huge" not in cache and "other" in cache


def test_frequencies_are_halved_so_what_is_no_longer_asked_for_gives_way() -> None:
    cache: SizedCache[str] = SizedCache(100, lambda value: 10)
    old = [f"k{i}" for i in range(10)]
    for _ in range(3):
        _searches(cache, old)  # ten values asked for three times each
    _searches(cache, ["new", "new"])
    assert "new" not in cache  # asked for twice: less than those kept
    # Enough other requests for the counts to be halved (3 -> 1, 2 -> 1, 1 -> gone).
    _searches(cache, [f"once{i}" for i in range(caching._MIN_SAMPLE)])
    assert cache._frequency.get("k0") == 1 and cache._frequency.get("new") == 1
    assert list(cache._main) == old
    _searches(cache, ["new"])
    assert list(cache._main) == [*old[1:], "new"]


def test_peek_finds_a_kept_value_without_counting_a_request() -> None:
    cache: SizedCache[str] = SizedCache(100, lambda value: 10)
    cache.put("a", "value of a")
    assert cache.peek("a") == (True, "value of a")
    assert cache.peek("b") == (False, None)
    assert cache._frequency == {"a": 1}
    assert cache.get("a") == (True, "value of a")
    assert cache._frequency == {"a": 2}


def test_short_values_displace_a_long_one_when_reading_any_value_costs_something() -> None:
    """Each search settles what it read. With a cost per read (10, in units of size),
    keeping five values of 10 saves more reading than one of 60: the long one goes."""
    sizes = {"big": 60, "a": 10, "b": 10, "c": 10, "d": 10, "e": 10}
    for read_cost, kept in [(10, ["a", "b", "c", "d", "e"]), (0, ["big", "a", "b", "c", "d"])]:
        cache: SizedCache[str] = SizedCache(100, lambda value: sizes[value.split()[-1]],
                                            read_cost=read_cost)
        for key in sizes:
            _read_through(cache, [key], sizes)
            cache.settle()
        assert list(cache._main) == kept
        assert cache._window == {} and cache.used == sum(sizes[k] for k in kept)


def test_a_search_that_reads_more_than_the_budget_keeps_its_newest_value() -> None:
    cache: SizedCache[str] = SizedCache(30, lambda value: 10)
    _read_through(cache, ["a", "b", "c", "d", "e"], {})
    # The window outgrew the budget at "d": a, b and c were settled (and kept, there
    # was room), the newest held; "e" joined it.
    assert list(cache._main) == ["a", "b", "c"] and list(cache._window) == ["d", "e"]
    cache.settle()  # d and e are worth no more than those kept
    assert list(cache._main) == ["a", "b", "c"] and cache._window == {}

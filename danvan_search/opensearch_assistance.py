"""Query assistance (:mod:`danvan_search.assistance`) over an index on a cluster.

The assistant asks for term statistics one at a time, each question depending on the
answers before it: how many documents hold a word as typed, each accented form of a
folded syllable, each run of forms, each candidate correction next to its neighbours.
Over a cluster, one request per question would cost a round trip each. Here the
assistant runs in rounds instead: a statistic not yet known is taken as 0 and noted,
and after a run every statistic noted is read at once (:class:`ClusterVocabulary`);
the assistant runs again, until a run asks for nothing new. That last run saw only
real figures, so its answer is the one the embedded index's assistant gives for the
same statistics. Most queries take two or three rounds.

The statistics come from the shards' term dictionaries: the term vectors of an
artificial document made of the terms asked for, with term statistics, one request per
shard (:meth:`OpenSearchIndex.term_statistics
<danvan_search.opensearch_index.OpenSearchIndex.term_statistics>`), summed. No posting
is read and nothing is kept between queries, so a write is seen by the next query.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from .assistance import Assistance, QueryAssistant
from .opensearch_query import Lexicon
from .opensearch_schema import join_pair, join_word, pair_field, syllable_field, word_field
from .schema import PAIR_FIELDS, STREAM_FIELDS, TEXT_FIELDS

#: A field of the cluster and a term of it.
Key = tuple[str, str]
#: Runs of the assistant before the statistics still missing are read one by one.
MAX_ROUNDS = 8


def cluster_keys(field: str, term: str) -> list[Key]:
    """Where the cluster keeps what the embedded index keeps as ``term`` of ``field``
    (the embedded index's field names, which the assistant asks in): a syllable (or a
    part of a hyphenated word) in the syllable field; a run of syllables in the word
    field; a pair in the pair field."""
    for name in TEXT_FIELDS:
        for position, stream in enumerate(("exact", "folded")):
            if field == STREAM_FIELDS[name][position]:
                parts = term.split(" ")
                if len(parts) == 1:
                    return [(syllable_field(name, stream), term)]
                return [(word_field(name, stream), join_word(parts))]
            if field == PAIR_FIELDS[name][position]:
                left, _, right = term.partition(" ")
                return [(pair_field(name, stream), join_pair(left, right))]
    return []


@dataclass(frozen=True)
class Statistics:
    """What one read of the term dictionaries gives: (field, term) → (documents holding
    it, its occurrences); field → (documents with it, its tokens)."""

    terms: Mapping[Key, tuple[int, int]]
    fields: Mapping[str, tuple[int, int]]


class ClusterVocabulary:
    """Term statistics of an index on a cluster, for one search: for the assistant in
    the embedded index's field names (:class:`~danvan_search.assistance.TermStatistics`),
    read in rounds, and for the query (:meth:`lexicon`).

    ``lookup`` reads the statistics of many (field, term) keys at once, and those of the
    fields. While ``speculative``, a statistic not read yet is 0 and noted for
    :meth:`read_missing`; otherwise it is read when asked.
    """

    def __init__(self, lookup: Callable[[Collection[Key]], Statistics]) -> None:
        self._lookup = lookup
        self._known: dict[Key, tuple[int, int]] = {}
        self._fields: Mapping[str, tuple[int, int]] | None = None
        self._missing: dict[Key, None] = {}
        self.speculative = True
        #: Requests made (rounds of :meth:`read_missing`, and lookups one by one).
        self.reads = 0

    def note(self, keys: Iterable[Key]) -> None:
        """Read ``keys`` (cluster fields and terms) with the next round."""
        self._missing.update((key, None) for key in keys if key not in self._known)

    def lexicon(self, keys: Collection[Key]) -> Lexicon:
        """The statistics of ``keys`` (cluster fields and terms) and of the fields, read
        now if any is not known yet."""
        self.note(keys)
        if self._missing or self._fields is None:
            self._read(list(self._missing))
            self._missing.clear()
        return Lexicon(self._known, self._fields or {})

    def _statistics(self, field: str, term: str) -> tuple[int, int]:
        documents = occurrences = 0
        for key in cluster_keys(field, term):
            if key not in self._known:
                if self.speculative:
                    self._missing[key] = None
                    continue
                self._read([key])
            found, total = self._known[key]
            documents += found
            occurrences += total
        return documents, occurrences

    def doc_frequency(self, field: str, term: str) -> int:
        return self._statistics(field, term)[0]

    def frequency(self, field: str, term: str) -> float:
        return float(self._statistics(field, term)[1])

    def read_missing(self) -> bool:
        """Read every statistic noted as missing; whether there was any."""
        if not self._missing:
            return False
        self._read(list(self._missing))
        self._missing.clear()
        return True

    def _read(self, keys: list[Key]) -> None:
        found = self._lookup(keys)
        self.reads += 1
        self._fields = found.fields
        for key in keys:
            self._known[key] = found.terms.get(key, (0, 0))


def assist(text: str, vocabulary: ClusterVocabulary) -> Assistance:
    """What the assistant makes of ``text`` with the statistics of ``vocabulary``: run
    until a run asks for nothing it does not know (see the module's docstring)."""
    vocabulary.speculative = True
    for _ in range(MAX_ROUNDS):
        answer = QueryAssistant(None, lexicon=vocabulary).assist(text)
        if not vocabulary.read_missing():
            return answer
    vocabulary.speculative = False  # a long chain of questions: the rest one by one
    return QueryAssistant(None, lexicon=vocabulary).assist(text)

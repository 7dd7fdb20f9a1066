"""Scoring queries over posting arrays instead of Whoosh's matcher trees.

Whoosh evaluates a query by walking a tree of matcher objects in Python, several method
calls per posting and clause; on 12.5k news articles that was 97% of the time of a
query. Here each term's postings are read once per searcher into numpy arrays (document
numbers, and BM25F scores computed from term frequencies and field lengths), and the same
query objects are evaluated with array operations over whole segments, to the scores
Whoosh gives. Whoosh stays the index, the query language and the fallback: sorting by a
column, facets and query types not handled here (:func:`supports`) go through it.

An index of several segments is evaluated as one list of documents (each term's
postings in every segment, one after the other), so a query's clauses cost their numpy
calls once, however many segments commits have left.

Phrases need positions, which are costly to read, so a phrase that only adds to the
score (the optional side of an ``AndMaybe``) is checked only in documents that could
still reach the top: its score is bounded first by the scores of its words.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec import whoosh3
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.filedb import structfile
from whoosh.matching import FilterMatcher
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from .caching import SizedCache
from .pairstore import pair_postings
from .query import UnionOr
from .readers import DEFAULT_CACHED_POSTINGS
from .schema import PAIR_FIELD_NAMES, PAIR_FIELDS, STREAM_FIELDS, TEXT_FIELDS
from .storage import DamagedDataError

# Whoosh stores field lengths as one byte each, on a log scale.
_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
# Or subclasses that only pick another matcher for the same scores.
_OR_TYPES = (wq.Or, UnionOr)
#: Blocks of decoded positions kept per term (128 postings each, a few KB).
CACHED_POSITION_BLOCKS = 16
#: Documents whose positions of a term are kept decoded, per term.
CACHED_POSITIONS = 4096


class Unsupported(Exception):
    """The query holds something only Whoosh can evaluate."""


def supports(query: wq.Query) -> bool:
    """Whether :class:`ArrayScorer` can evaluate ``query``."""
    kind = type(query)
    if kind in (wq.Term, wq.Phrase):
        return True
    if kind is wq.Every:
        return query.fieldname is None  # type: ignore[attr-defined]
    if kind is wq.Require:  # scored by its first part, where a term of the second is
        return supports(query.a) and type(query.b) is wq.Term  # type: ignore[attr-defined]
    if kind in _OR_TYPES:
        if query.minmatch or query.scale:  # type: ignore[attr-defined]
            return False
        return all(supports(q) for q in query.subqueries)  # type: ignore[attr-defined]
    if kind is wq.And:
        return all(supports(q) for q in query.subqueries)  # type: ignore[attr-defined]
    if kind in (wq.AndMaybe, wq.AndNot):
        return supports(query.a) and supports(query.b)  # type: ignore[attr-defined]
    return False


@dataclass(frozen=True)
class RankedDocuments:
    """Top documents (global document numbers, best first) and how many matched."""

    docnums: tuple[int, ...]
    scores: tuple[float, ...]
    total: int
    #: Every matching document, when asked for (``top(..., with_matches=True)``).
    matches: frozenset[int] | None = None


class _Postings:
    """One term's postings in one segment: document numbers, BM25F scores, positions
    read block by block on demand."""

    __slots__ = ("_block_offsets", "_block_starts", "_blocks", "_decoded", "_format", "_matcher",
                 "ids", "scores")

    def __init__(self, matcher: Any, fmt: Any) -> None:
        self._format = fmt
        self._blocks: dict[int, tuple[Any, ...]] = {}
        # Positions already decoded, by index: phrases check the same documents again
        # in later passes and later queries.
        self._decoded: dict[int, Sequence[int]] = {}
        if isinstance(matcher, FilterMatcher):  # deletions: the segment's live mask
            matcher = matcher.child
        ids: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        starts: list[int] = []
        offsets: list[int] = []
        if isinstance(matcher, W3LeafMatcher):
            ids, weights, starts, offsets = _read_blocks(matcher)
            self._matcher = matcher
        else:  # postings inlined in the term info (a term found once)
            values = []
            while matcher.is_active():
                ids.append(np.array([matcher.id()], dtype=np.int32))
                weights.append(np.array([matcher.weight()], dtype=np.float64))
                values.append(matcher.value())
                matcher.next()
            starts, offsets = [0], [0]
            self._blocks[0] = tuple(values)
            self._matcher = None
        self._set(np.concatenate(ids) if ids else np.zeros(0, dtype=np.int32),
                  np.concatenate(weights) if weights else np.zeros(0),
                  starts, offsets)

    @classmethod
    def of_arrays(cls, ids: np.ndarray, freqs: np.ndarray) -> _Postings:
        """A pair's postings, from the arrays the index keeps them in (no positions)."""
        postings = cls.__new__(cls)
        postings._format = None
        postings._blocks = {}
        postings._decoded = {}
        postings._matcher = None
        postings._set(ids.astype(np.int32), freqs.astype(np.float64), [0], [0])
        return postings

    def _set(self, ids: np.ndarray, tf: np.ndarray, starts: list[int], offsets: list[int]) -> None:
        self.ids = ids
        self.scores = tf  # until scored
        self._block_starts = np.asarray(starts, dtype=np.int64)
        self._block_offsets = offsets

    def positions(self, indexes: np.ndarray) -> list[Sequence[int]]:
        """Positions of the term in the documents at ``indexes`` of :attr:`ids`."""
        decoded = self._decoded
        if len(decoded) > CACHED_POSITIONS:
            decoded.clear()
        missing = [int(i) for i in indexes if int(i) not in decoded]
        if missing:
            blocks = np.searchsorted(self._block_starts, missing, side="right") - 1
            decode = self._format.decode_positions
            for index, block in zip(missing, blocks.tolist(), strict=True):
                values = self._blocks.get(block)
                if values is None:
                    if len(self._blocks) >= CACHED_POSITION_BLOCKS:  # values are bulky
                        self._blocks.clear()
                    self._matcher._goto(self._block_offsets[block])
                    self._matcher._read_values()
                    values = self._blocks[block] = tuple(self._matcher._values)
                decoded[index] = decode(values[index - int(self._block_starts[block])])
        return [decoded[int(i)] for i in indexes]


def _read_blocks(
    matcher: W3LeafMatcher,
) -> tuple[list[np.ndarray], list[np.ndarray], list[int], list[int]]:
    """Document numbers and term frequencies of every block of a term's postings, read
    in one call to the file, and where each block starts (in postings and in the file).

    Whoosh's matcher decodes a block's document numbers one posting at a time (a
    generator of deltas); here the blocks' deltas are gathered and summed by numpy at
    once. The layout is Whoosh 3's (``W3PostingsWriter._write_block``): per block, its
    length as a signed 32-bit int (negative for the last block), a pickled tuple of
    block information (count, last id, maximum weight, compression, lengths), then the
    pickled and maybe zlib-compressed tuple (id deltas, weights, values). Pickles are
    read through the module attributes the index's restricted unpickling replaces.
    """
    base = matcher._baseoffset
    extent = matcher._length  # (Whoosh reads it from a term info as a 1-tuple)
    end = matcher._startoffset + int(extent[0] if isinstance(extent, tuple) else extent)
    data = bytes(matcher._postfile.get(base, end - base))
    stream = io.BytesIO(data)
    load_info, loads = structfile.load_pickle, whoosh3.loads
    delta_parts: list[np.ndarray] = []
    weight_parts: list[np.ndarray] = []
    starts: list[int] = []
    offsets: list[int] = []
    total = position = 0
    while position < len(data):
        (length,) = _BLOCK_LENGTH.unpack_from(data, position)
        stream.seek(position + _BLOCK_LENGTH.size)
        try:
            info = load_info(stream)
            count, compression = int(info[0]), info[3]
            block = data[stream.tell() : position + _BLOCK_LENGTH.size + abs(length)]
            raw = zlib.decompress(block) if compression else block
            parsed = _ids_and_weights(raw, count)
            if parsed is None:
                ids, block_weights, _ = loads(raw)
            else:
                ids, block_weights = parsed
            ids = np.asarray(ids, dtype=np.int64)
            if block_weights is None:
                block_weights = np.ones(count)
            elif isinstance(block_weights, float):
                block_weights = np.full(count, block_weights)
            else:
                block_weights = np.asarray(block_weights, dtype=np.float64)
        except (TypeError, ValueError, IndexError, zlib.error) as error:
            raise DamagedDataError(f"a block of postings cannot be read ({error})") from None
        if len(ids) != count or len(block_weights) != count:
            raise DamagedDataError("a block of postings holds other than as many ids and "
                                   "weights as its header says")
        starts.append(total)
        offsets.append(base + position)
        delta_parts.append(ids)
        weight_parts.append(block_weights)
        total += count
        position += _BLOCK_LENGTH.size + abs(length)
        if length < 0:
            break
    if not delta_parts:
        return [], [], starts, offsets
    # Each block's first delta is its first document number: a cumulative sum over all
    # blocks, less the sum at the end of the block before, gives every block's numbers.
    summed = np.cumsum(np.concatenate(delta_parts))
    counts = np.diff(np.asarray([*starts, total], dtype=np.int64))
    before = np.zeros(len(starts), dtype=np.int64)
    before[1:] = summed[np.asarray(starts[1:], dtype=np.int64) - 1]
    ids_array = (summed - np.repeat(before, counts)).astype(np.int32)
    return ([ids_array], [np.concatenate(weight_parts).astype(np.float64)], starts, offsets)


_BLOCK_LENGTH = struct.Struct("!i")
_BIG_DOUBLE = np.dtype(">f8")


def _ids_and_weights(raw: bytes, count: int) -> tuple[np.ndarray, Any] | None:
    """A block's document deltas and weights read straight from its pickle, without
    unpickling the positions after them (None: not the common layout; unpickle it).

    A block is the protocol-2 pickle of ``(deltas, weights, values)``. Unpickling it
    makes every posting's positions, each a call to ``_codecs.encode`` (protocol 2 has
    no bytes type): most of the time a query spent reading postings. The common layout
    is read here: ``(`` then the first delta (``K``, ``M`` or ``J``: 1, 2 or 4 bytes),
    every other delta under 256 (``K`` and one byte), ``t`` and a memo; then the
    weights: ``N`` (all 1.0), ``G`` and one big-endian double (all equal), or ``(`` and
    ``G`` with a double for each posting, ``t``.
    """
    if count < 4 or raw[:3] != b"\x80\x02(":  # (shorter tuples have opcodes of their own)
        return None
    opcode = raw[3]
    if opcode == 0x4B:  # K
        first, at = raw[4], 5
    elif opcode == 0x4D:  # M
        first, at = int.from_bytes(raw[4:6], "little"), 6
    elif opcode == 0x4A:  # J
        first, at = int.from_bytes(raw[4:8], "little", signed=True), 8
    else:
        return None
    rest = count - 1
    if len(raw) < at + 2 * rest + 3:
        return None
    pairs = np.frombuffer(raw, dtype=np.uint8, count=2 * rest, offset=at)
    if not (pairs[0::2] == 0x4B).all() or raw[at + 2 * rest : at + 2 * rest + 2] != b"tq":
        return None
    deltas = np.empty(count, dtype=np.int64)
    deltas[0] = first
    deltas[1:] = pairs[1::2]
    at += 2 * rest + 3
    kind = raw[at : at + 1]
    if kind == b"N":
        return deltas, None
    if kind == b"G" and len(raw) >= at + 9:
        return deltas, struct.unpack_from(">d", raw, at + 1)[0]
    if kind == b"(" and raw[at + 1 + 9 * count : at + 2 + 9 * count] == b"t":
        cells = np.frombuffer(raw, dtype=np.uint8, count=9 * count, offset=at + 1).reshape(count, 9)
        if (cells[:, 0] == 0x47).all():  # G
            return deltas, np.ascontiguousarray(cells[:, 1:]).view(_BIG_DOUBLE).ravel()
    return None


def average_field_length(searcher: Searcher, field: str) -> float:
    """The average length of ``field`` over the documents that have it (0 if none has).

    Whoosh divides by every document, so where only some documents have a title, a title
    of average length looked long, and a title match scored less the more documents had
    none. Lucene's BM25 (and so an OpenSearch index) divides by the documents that have
    the field; so does this, and the two backends score titles alike.
    """
    # Deleted documents count until a merge drops them, as their lengths do in the
    # field's total (Whoosh's and Lucene's alike).
    with_field = sum(int(np.count_nonzero(_length_bytes(leaf.reader(), field)))
                     for leaf, _ in searcher.leaf_searchers())
    return searcher.field_length(field) / with_field if with_field else 0.0


class _AverageLengths:
    """BM25's average length of each field (:func:`average_field_length`), read once."""

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        self._known: dict[str, float] = {}

    def __call__(self, field: str) -> float:
        if field not in self._known:
            self._known[field] = average_field_length(self.searcher, field) or 1
        return self._known[field]


def _length_bytes(reader: Any, field: str) -> np.ndarray:
    """The one-byte length of ``field`` in every document of a segment."""
    size = reader.doc_count_all()
    # Whoosh keeps lengths in a hidden one-byte column per field, which its public
    # column_reader() does not open (the name is not in the schema).
    per_document = reader._perdoc
    name = f"_{field}_len"
    if not per_document.has_column(name):
        return np.zeros(size, dtype=np.uint8)
    column = per_document.column_reader(name, LENGTHS_COLUMN)
    try:  # one read instead of one call per document
        raw = column._dbfile.get(column._basepos, column._count)
    except AttributeError:
        raw = bytes(column[d] for d in range(column._count))
    lengths = np.zeros(size, dtype=np.uint8)
    stored = np.frombuffer(raw, dtype=np.uint8)[:size]
    lengths[: len(stored)] = stored
    return lengths


#: Reading a term's postings costs as much as decoding this many postings, besides its
#: postings (looking the term up, a matcher per segment): 0.74 ms and 1.7 µs a posting,
#: fitted over the 5,031 terms the scale benchmark's 300 queries read on 10,000 articles.
#: Keeping many short lists thus saves more reading than keeping one long one.
_TERM_READ_COST = 430


def _kept_size(postings: _Postings | _Joined | None) -> int:
    return len(postings.ids) if postings is not None else 1


class _Source:
    """What a query is evaluated over (one segment, or all of them as one), with the
    postings its queries read last kept: ``budget`` postings in all."""

    size: int
    live: np.ndarray
    offset: int
    schema: Any

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._terms: SizedCache[_Postings | _Joined | None] = SizedCache(
            budget, _kept_size, read_cost=_TERM_READ_COST)
        self._marked: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._within: OrderedDict[tuple[str, str, bytes], _Sparse] = OrderedDict()
        self._marked_cached = 0

    def documents_with(self, field: str, text: str) -> np.ndarray:
        """The documents holding a term of a field that is not scored (a marker).
        Recently used ones are kept."""
        key = (field, text)
        ids = self._marked.get(key)
        if ids is not None:
            self._marked.move_to_end(key)
            return ids
        ids = self._marked[key] = self.read_marked(field, text)
        self._marked_cached += len(ids) + 1
        while self._marked_cached > self.budget and len(self._marked) > 1:
            _, old = self._marked.popitem(last=False)
            self._marked_cached -= len(old) + 1
        return ids

    def postings(self, field: str, text: str, weighting: BM25F) -> _Postings | _Joined | None:
        # Kept by the text as queries have it: a query reads a few hundred terms, most
        # of them kept, and looking the field up in the schema and encoding the text
        # again took more time than the lookup itself.
        key = (field, text)
        kept, postings = self._terms.get(key)
        if not kept:
            postings = self.read_postings(field, text, weighting)
            self._terms.put(key, postings)
        return postings

    def settle(self) -> None:
        """A search is over: what it read enters the budget, if it has earned a place."""
        self._terms.settle()

    def postings_within(
        self, field: str, text: str, weighting: BM25F, docs: np.ndarray
    ) -> _Sparse:
        """A term's scores in ``docs`` alone (a few documents, sorted), without decoding
        its whole postings when they are not kept already (nor keeping them after)."""
        kept, postings = self._terms.peek((field, text))
        if kept:
            if postings is None:
                return _nothing()
            at = _positions_of_members(postings.ids, docs)
            return _Sparse(postings.ids[at], postings.scores[at])
        key = (field, text, docs.tobytes())
        known = self._within.get(key)
        if known is not None:
            self._within.move_to_end(key)
            return known
        known = self._within[key] = self.read_within(field, text, weighting, docs)
        if len(self._within) > _KEPT_WITHIN:
            self._within.popitem(last=False)
        return known

    def read_marked(self, field: str, text: str) -> np.ndarray:
        raise NotImplementedError

    def read_postings(self, field: str, text: str, weighting: BM25F) -> _Postings | _Joined | None:
        raise NotImplementedError

    def read_within(self, field: str, text: str, weighting: BM25F, docs: np.ndarray) -> _Sparse:
        raise NotImplementedError


class _Segment(_Source):
    """The arrays of one segment, read as queries need them."""

    def __init__(self, searcher: Searcher, offset: int, parent: Searcher,
                 average_length: Callable[[str], float],
                 budget: int = DEFAULT_CACHED_POSTINGS) -> None:
        super().__init__(budget)
        self.reader = searcher.reader()
        self.schema = self.reader.schema
        self.parent = parent
        self.average_length = average_length
        self.offset = offset
        self.size = self.reader.doc_count_all()
        self.live = np.ones(self.size, dtype=bool)
        if self.reader.has_deletions():
            self.live[:] = False
            self.live[np.fromiter(self.reader.all_doc_ids(), dtype=np.int64)] = True
        self._lengths: dict[str, np.ndarray] = {}

    def read_marked(self, field: str, text: str) -> np.ndarray:
        btext = self.schema[field].to_bytes(text) if field in self.schema else b""
        found = (field, btext) in self.reader if btext else False
        postings = self.reader.postings(field, btext) if found else None
        return np.unique(np.fromiter(postings.all_ids() if postings else (), dtype=np.int32))

    def lengths(self, field: str) -> np.ndarray:
        lengths = self._lengths.get(field)
        if lengths is None:
            lengths = self._lengths[field] = _LENGTH_OF_BYTE[_length_bytes(self.reader, field)]
        return lengths

    def read_postings(self, field: str, text: str, weighting: BM25F) -> _Postings | None:
        btext = self._held_term(field, text)
        if btext is None:
            return None
        arrays = pair_postings(self.reader, field, btext) if field in PAIR_FIELD_NAMES else None
        if arrays is not None:
            postings = _Postings.of_arrays(*arrays)
        else:
            postings = _Postings(self.reader.postings(field, btext), self.schema[field].format)
        postings.scores = self._bm25(field, btext, postings.ids, postings.scores, weighting)
        return postings

    def read_within(self, field: str, text: str, weighting: BM25F, docs: np.ndarray) -> _Sparse:
        btext = self._held_term(field, text)
        if btext is None:
            return _nothing()
        arrays = pair_postings(self.reader, field, btext) if field in PAIR_FIELD_NAMES else None
        if arrays is not None:  # arrays already: no decoding to spare
            all_ids, freqs = arrays
            at = _positions_of_members(all_ids, docs)
            ids, tf = all_ids[at].astype(np.int32), freqs[at].astype(np.float64)
        else:
            matcher = self.reader.postings(field, btext)
            if isinstance(matcher, FilterMatcher):  # deletions: the segment's live mask
                matcher = matcher.child
            found, weights = [], []
            for doc in docs.tolist():  # each skip reads only the block the document is in
                if not matcher.is_active():
                    break
                matcher.skip_to(doc)
                if matcher.is_active() and matcher.id() == doc:
                    found.append(doc)
                    weights.append(matcher.weight())
            ids = np.array(found, dtype=np.int32)
            tf = np.array(weights, dtype=np.float64)
        return _Sparse(ids, self._bm25(field, btext, ids, tf, weighting))

    def _held_term(self, field: str, text: str) -> bytes | None:
        """The term as the segment keys it, if the segment holds it (None if not);
        :class:`Unsupported` for a term of a field that is not scored."""
        schema = self.schema
        if field not in schema:
            return None
        try:
            btext = schema[field].to_bytes(text)
        except ValueError:
            return None
        if (field, btext) not in self.reader:
            return None
        if not schema[field].scorable:
            raise Unsupported(f"{field} is not scorable")
        return btext

    def _bm25(self, field: str, btext: bytes, ids: np.ndarray, tf: np.ndarray,
              weighting: BM25F) -> np.ndarray:
        idf = self.parent.idf(field, btext)
        avgfl = self.average_length(field)
        b = weighting._field_B.get(field, weighting.B)
        k1 = weighting.K1
        fl = self.lengths(field)[ids]
        # Whoosh's bm25(), operation for operation, so scores agree to the last bit (each
        # document's alike, whether the term's postings are scored whole or in part).
        return idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))


class _Segments(_Source):
    """Every segment of a searcher as one: a term's postings are its postings in each
    segment, one after the other, numbered as the searcher numbers documents.

    A query is evaluated clause by clause, a few numpy calls each; evaluated segment
    by segment, an index grown by commits (8 segments at 80,000 articles) paid those
    calls 8 times, and took about twice as long as the same index merged into one
    (benchmarks/RESULTS.md). The scores are the segments' own (each document's from
    its segment's lengths, with the searcher's statistics), so they are the same.
    """

    def __init__(self, segments: list[_Segment], budget: int) -> None:
        super().__init__(budget)
        self.parts = segments
        self.offset = 0
        self.schema = segments[0].schema
        self.size = sum(s.size for s in segments)
        self.live = np.concatenate([s.live for s in segments])
        self._bounds = np.asarray([s.offset for s in segments] + [self.size], dtype=np.int64)

    def read_marked(self, field: str, text: str) -> np.ndarray:
        return np.concatenate(
            [s.read_marked(field, text) + s.offset for s in self.parts]).astype(np.int32)

    def read_postings(self, field: str, text: str, weighting: BM25F) -> _Joined | None:
        found = [(s.offset, p) for s in self.parts
                 if (p := s.read_postings(field, text, weighting)) is not None]
        return _Joined(found) if found else None

    def read_within(self, field: str, text: str, weighting: BM25F, docs: np.ndarray) -> _Sparse:
        cuts = np.searchsorted(docs, self._bounds)
        ids, scores = [], []
        for segment, start, end in zip(self.parts, cuts[:-1], cuts[1:], strict=True):
            if start == end:
                continue
            part = segment.read_within(field, text, weighting, docs[start:end] - segment.offset)
            ids.append(part.ids + segment.offset)
            scores.append(part.scores)
        if not ids:
            return _nothing()
        return _Sparse(np.concatenate(ids).astype(np.int32), np.concatenate(scores))


_NO_POSTINGS = np.zeros(0)


class _Joined:
    """A term's postings in several segments, as one list (:class:`_Segments`)."""

    __slots__ = ("_parts", "_starts", "ids", "scores")

    def __init__(self, parts: list[tuple[int, _Postings]]) -> None:
        self._parts = [postings for _, postings in parts]
        self._starts = np.cumsum([0, *(len(p.ids) for p in self._parts)])
        self.ids = np.concatenate([p.ids + offset for offset, p in parts]).astype(np.int32)
        self.scores = np.concatenate([p.scores for p in self._parts])
        for part in self._parts:  # kept for their positions only: the arrays are above
            part.ids = part.scores = _NO_POSTINGS

    def positions(self, indexes: np.ndarray) -> list[Sequence[int]]:
        """Positions of the term in the documents at ``indexes`` of :attr:`ids`."""
        indexes = np.asarray(indexes, dtype=np.int64)
        owners = np.searchsorted(self._starts, indexes, side="right") - 1
        found: list[Sequence[int]] = [()] * len(indexes)
        for owner in np.unique(owners).tolist():
            at = np.flatnonzero(owners == owner)
            local = indexes[at] - self._starts[owner]
            for i, positions in zip(at.tolist(), self._parts[owner].positions(local),
                                    strict=True):
                found[i] = positions
        return found


#: Scores of terms in a few documents kept (:meth:`_Source.postings_within`).
_KEPT_WITHIN = 50_000

#: A clause required to be in at most this many documents of the index (the documents
#: written without accents, for the folded stream of an accented query) is evaluated in
#: those alone: each of its terms' postings is then read where those documents are, in
#: a block each, rather than decoded whole and kept.
FEW_DOCUMENTS = 64


def _nothing() -> _Sparse:
    return _Sparse(np.zeros(0, dtype=np.int32), np.zeros(0))


class _Scored:
    """Scores and matches of one query over every document of a segment."""

    __slots__ = ("matched", "scores")

    def __init__(self, scores: np.ndarray, matched: np.ndarray) -> None:
        self.scores = scores
        self.matched = matched


class _Sparse:
    """Scores of the documents one term or phrase matches (sorted, distinct ids): most
    match a small part of the index, so they are added into a compound's arrays rather
    than spread over arrays of their own."""

    __slots__ = ("ids", "scores")

    def __init__(self, ids: np.ndarray, scores: np.ndarray) -> None:
        self.ids = ids
        self.scores = scores


_Result = _Scored | _Sparse


#: How a phrase that only adds to the score is treated in one pass of the evaluation.
_LOWER, _UPPER, _EXACT = "lower", "upper", "exact"


class ArrayScorer:
    """Evaluates queries for one Whoosh searcher, keeping postings between queries.

    Not thread-safe, like the searcher it belongs to: keep one per searcher.
    """

    def __init__(self, searcher: Searcher,
                 cached_postings: int = DEFAULT_CACHED_POSTINGS) -> None:
        if not isinstance(searcher.weighting, BM25F):
            raise Unsupported("only BM25F scoring is evaluated over arrays")
        self.searcher = searcher
        self.weighting = searcher.weighting
        leaves = searcher.leaf_searchers()
        # Not a bound method of this scorer: the segments would hold it, and the cycle
        # would keep their postings, and the mapped files under them, open until the
        # garbage collector ran, past the closing of the index.
        self.average_length = _AverageLengths(searcher)
        segments = [_Segment(leaf, offset, searcher, self.average_length, cached_postings)
                    for leaf, offset in leaves]
        self.segments: list[_Source] = (
            [_Segments(segments, cached_postings)] if len(segments) > 1 else list(segments))

    def top(
        self, query: wq.Query, limit: int, filter: wq.Query | None = None,
        with_matches: bool = False,
    ) -> RankedDocuments:
        """The ``limit`` best documents for ``query`` among those ``filter`` matches,
        ordered like Whoosh orders them (score, then document number); ``with_matches``
        also lists every matching document.

        Raises :class:`Unsupported` for a query :func:`supports` rejects.
        """
        passes = self._first_passes(query, filter)
        total = sum(int(lower.matched.sum()) for _, lower in passes)
        deferred = any(run.deferred_phrases for run, _ in passes)
        final = self._exact_top(query, passes, limit) if deferred else [lo for _, lo in passes]
        docnums, scores = _best(final, [s.offset for s in self.segments], limit)
        matches = self._matches(passes) if with_matches else None
        return RankedDocuments(docnums, scores, total, matches)

    def _exact_top(
        self, query: wq.Query, passes: list[tuple[_Evaluation, _Scored]], limit: int
    ) -> list[_Scored]:
        """Exact scores of the documents that can reach the top ``limit``, checking the
        deferred phrases in as few documents as it takes.

        Every document's score lies between its lower bound (no deferred phrase) and its
        upper bound (every deferred phrase found). Candidates are checked exactly in
        batches, best upper bound first, until the next one's upper bound is below the
        ``limit``-th exact score found: no document left unchecked can reach the top.
        """
        threshold = _kth_largest([lo.scores[lo.matched] for _, lo in passes], limit)
        uppers = []
        for run, lower in passes:
            upper = run.evaluate(query, _UPPER).scores
            uppers.append(np.where(lower.matched & (upper >= threshold), upper, -np.inf))
        # Candidates over all segments, best upper bound first.
        bounds = np.concatenate(uppers) if uppers else np.zeros(0)
        order = np.argsort(-bounds, kind="stable")
        order = order[np.isfinite(bounds[order])]
        sizes = np.cumsum([0, *(s.size for s in self.segments)])
        final = [_Scored(np.zeros(s.size), np.zeros(s.size, dtype=bool)) for s in self.segments]
        start, batch = 0, limit
        while start < len(order):
            chosen = order[start : start + batch]
            start += len(chosen)
            for index, ((run, _), result) in enumerate(zip(passes, final, strict=True)):
                local = chosen[(chosen >= sizes[index]) & (chosen < sizes[index + 1])]
                if not len(local):
                    continue
                mask = np.zeros(result.scores.shape, dtype=bool)
                mask[local - sizes[index]] = True
                exact = run.evaluate(query, _EXACT, mask)
                result.scores[mask] = exact.scores[mask]
                result.matched |= mask
            checked = np.concatenate([r.scores[r.matched] for r in final])
            if start < len(order) and len(checked) >= limit:
                kth = float(np.partition(checked, len(checked) - limit)[len(checked) - limit])
                if bounds[order[start]] < kth:
                    break
            batch *= 2  # the bound was loose: check more at once
        return final

    def settle(self) -> None:
        """Called when a search is over (its postings held until then are kept only
        as the budget allows: :class:`~danvan_search.caching.SizedCache`)."""
        for source in self.segments:
            source.settle()

    def matches(self, query: wq.Query, filter: wq.Query | None = None) -> frozenset[int]:
        """Global numbers of every document ``query`` matches among those ``filter``
        matches (phrases that only add to the score never change which ones)."""
        return self._matches(self._first_passes(query, filter))

    def _matches(self, passes: list[tuple[_Evaluation, _Scored]]) -> frozenset[int]:
        return frozenset(
            int(docnum) + segment.offset
            for segment, (_, lower) in zip(self.segments, passes, strict=True)
            for docnum in np.flatnonzero(lower.matched)
        )

    def _first_passes(
        self, query: wq.Query, filter: wq.Query | None
    ) -> list[tuple[_Evaluation, _Scored]]:
        if not supports(query):
            raise Unsupported(f"cannot evaluate {type(query).__name__} over arrays")
        passes = []
        for segment, mask in zip(self.segments, self._filter_masks(filter), strict=True):
            run = _Evaluation(segment, self.weighting)
            lower = run.evaluate(query, _LOWER)
            lower.matched = lower.matched & mask & segment.live
            passes.append((run, lower))
        return passes

    def _filter_masks(self, filter: wq.Query | None) -> list[np.ndarray]:
        if filter is None:
            return [np.ones(s.size, dtype=bool) for s in self.segments]
        masks = [np.zeros(s.size, dtype=bool) for s in self.segments]
        allowed = np.fromiter(self.searcher.docs_for_query(filter), dtype=np.int64)
        for segment, mask in zip(self.segments, masks, strict=True):
            local = allowed[(allowed >= segment.offset) & (allowed < segment.offset + segment.size)]
            mask[local - segment.offset] = True
        return masks


class _Evaluation:
    """One query over one segment; remembers whether it met a deferred phrase."""

    def __init__(self, segment: _Source, weighting: BM25F) -> None:
        self.segment = segment
        self.weighting = weighting
        self.deferred_seen = 0  # deferred phrases met, over all passes
        # Results of the parts of the query without a deferred phrase: they are the same
        # in every pass, so the later passes only recompute what leads to one.
        self._memo: dict[tuple[int, bool], _Result] = {}
        self._or_sums: dict[tuple[int, bool], tuple[_Scored, list[wq.Query]]] = {}

    @property
    def deferred_phrases(self) -> bool:
        return self.deferred_seen > 0

    def evaluate(
        self, query: wq.Query, mode: str, candidates: np.ndarray | None = None
    ) -> _Scored:
        self.mode, self.candidates = mode, candidates
        return self._dense(self._eval(query, deferred=False))

    def _dense(self, result: _Result) -> _Scored:
        if isinstance(result, _Scored):
            return result
        dense = self._zeros()
        dense.scores[result.ids] = result.scores
        dense.matched[result.ids] = True
        return dense

    def _zeros(self) -> _Scored:
        size = self.segment.size
        return _Scored(np.zeros(size), np.zeros(size, dtype=bool))

    def _eval(self, q: wq.Query, deferred: bool) -> _Result:
        key = (id(q), deferred)  # the query outlives this evaluation: ids are stable
        known = self._memo.get(key)
        if known is not None:
            return known
        seen = self.deferred_seen
        result = self._compute(q, deferred)
        if self.deferred_seen == seen:
            self._memo[key] = result
        return result

    def _compute(self, q: wq.Query, deferred: bool) -> _Result:
        result: _Result
        if isinstance(q, wq.Term):
            result = self._term(q.fieldname, q.text)
        elif isinstance(q, wq.Every):  # every live document, scored by its boost alone
            live = self.segment.live
            result = _Scored(live.astype(np.float64), live.copy())
        elif isinstance(q, wq.Phrase):
            result = self._phrase(q, deferred)
        elif isinstance(q, wq.Require):
            required = self._documents_with(q.b.fieldname, q.b.text)
            if not len(required):
                return _nothing()
            if len(required) <= FEW_DOCUMENTS:
                # The folded stream of an accented query counts only in documents written
                # without accents, few in most collections: its postings, the largest of
                # all, are then read only where those are.
                within = self._within(q.a, required)
                if within is not None:
                    return within
            if isinstance(q.a, wq.And) and len(q.a.subqueries) > 1:
                # (The adjacency bonus: two syllables' scores where their pair is.) The
                # required term's few documents are looked up in each part, rather than
                # the parts intersected in full and then filtered.
                parts = [self._eval(sub, deferred) for sub in q.a.subqueries]
                if all(isinstance(part, _Sparse) for part in parts):
                    return self._boosted(q.a, _sparse_and(parts, within=required))
            found = self._eval(q.a, deferred)
            if isinstance(found, _Sparse):
                keep = _positions_of_members(found.ids, required)
                result = _Sparse(found.ids[keep], found.scores[keep])
            else:
                allowed = np.zeros(self.segment.size, dtype=bool)
                allowed[required] = True
                matched = found.matched & allowed
                result = _Scored(np.where(matched, found.scores, 0.0), matched)
        elif isinstance(q, wq.AndMaybe):
            result = self._dense(self._eval(q.a, deferred))
            result = _Scored(result.scores.copy(), result.matched)
            _add_where(result, self._eval(q.b, True))
        elif isinstance(q, wq.AndNot):
            a = self._dense(self._eval(q.a, deferred))
            b = self._dense(self._eval(q.b, False))  # an exclusion is never a mere bonus
            matched = a.matched & ~b.matched
            result = _Scored(np.where(matched, a.scores, 0.0), matched)
        elif isinstance(q, wq.And):
            result = self._and([self._eval(s, deferred) for s in q.subqueries])
        else:
            result = self._or(q, deferred)
        return self._boosted(q, result)

    def _within(self, q: wq.Query, docs: np.ndarray) -> _Sparse | None:
        """``q``'s scores in ``docs`` alone (a few documents, sorted), the same as its
        full evaluation there; None for a kind of clause evaluated in full only."""
        result: _Sparse | None
        if isinstance(q, wq.Term):
            result = self.segment.postings_within(q.fieldname, q.text, self.weighting, docs)
        elif isinstance(q, wq.Require) and isinstance(q.b, wq.Term):
            where = self._documents_with(q.b.fieldname, q.b.text, within=docs)
            return self._within(q.a, where) if len(where) else _nothing()
        elif isinstance(q, wq.And) and q.subqueries:
            parts = [self._within(sub, docs) for sub in q.subqueries]
            if any(part is None for part in parts):
                return None
            result = _sparse_and(parts)  # type: ignore[arg-type]
        else:
            return None
        return self._boosted(q, result)  # type: ignore[return-value]

    @staticmethod
    def _boosted(q: wq.Query, result: _Result) -> _Result:
        if q.boost == 1.0:
            return result
        if not _boost_ignored(q):
            if isinstance(result, _Sparse):
                result = _Sparse(result.ids, result.scores * q.boost)
            else:
                result = _Scored(result.scores * q.boost, result.matched)
        return result

    def _or(self, q: wq.Query, deferred: bool) -> _Scored:
        """The sum of the parts. Parts without a deferred phrase are added up once, in
        the first pass; later passes add only the others to a copy of that sum."""
        key = (id(q), deferred)
        if key in self._or_sums:
            fixed, varying = self._or_sums[key]
            parts = [self._eval(sub, deferred) for sub in varying]
        else:
            fixed, varying, parts = self._zeros(), [], []
            sparse: list[_Sparse] = []
            for sub in q.subqueries:
                seen = self.deferred_seen
                part = self._eval(sub, deferred)
                if self.deferred_seen != seen:
                    varying.append(sub)
                    parts.append(part)
                elif isinstance(part, _Sparse):
                    sparse.append(part)
                else:
                    _add(fixed, part)
            if sparse:
                # All the lists at once: one pass in C instead of one per part.
                ids = np.concatenate([part.ids for part in sparse])
                scores = np.concatenate([part.scores for part in sparse])
                fixed.scores += np.bincount(ids, weights=scores, minlength=self.segment.size)
                fixed.matched[ids] = True
            self._or_sums[key] = (fixed, varying)
        if not varying:
            return fixed
        result = _Scored(fixed.scores.copy(), fixed.matched.copy())
        for part in parts:
            _add(result, part)
        return result

    def _and(self, parts: list[_Result]) -> _Result:
        if parts and all(isinstance(part, _Sparse) for part in parts):
            return _sparse_and(parts)  # type: ignore[arg-type]
        result = self._zeros()
        if not parts:
            return result
        count = np.zeros(self.segment.size, dtype=np.int32)
        for part in parts:
            _add(result, part)
            if isinstance(part, _Sparse):
                count[part.ids] += 1
            else:
                count += part.matched
        result.matched = count == len(parts)
        result.scores[~result.matched] = 0.0
        return result

    def _documents_with(self, field: str, text: str,
                        within: np.ndarray | None = None) -> np.ndarray:
        """Documents holding a term a ``Require`` asks for (among ``within`` only, if
        given). A scored field's term (a pair of syllables) comes from the postings the
        pair's own score reads too, so it is decoded once; a marker (not scored) is
        read on its own."""
        schema = self.segment.schema
        if field in schema and schema[field].scorable:
            if within is not None:
                return self.segment.postings_within(field, text, self.weighting, within).ids
            postings = self.segment.postings(field, text, self.weighting)
            return postings.ids if postings is not None else np.zeros(0, dtype=np.int32)
        marked = self.segment.documents_with(field, text)
        return marked if within is None else within[_positions_of_members(within, marked)]

    def _term(self, field: str, text: str) -> _Sparse:
        postings = self.segment.postings(field, text, self.weighting)
        if postings is None:
            return _Sparse(np.zeros(0, dtype=np.int32), np.zeros(0))
        return _Sparse(postings.ids, postings.scores)

    def _phrase(self, q: wq.Phrase, deferred: bool) -> _Sparse:
        """Documents with the words at consecutive positions, scored as Whoosh does: the
        sum of the words' scores (times the phrase's boost, applied by the caller)."""
        if q.slop != 1:
            raise Unsupported("phrases with slop are left to Whoosh")
        nothing = _nothing()
        words = [self.segment.postings(q.fieldname, w, self.weighting) for w in q.words]
        if not words or any(p is None for p in words):
            return nothing
        present: list[_Postings] = words  # type: ignore[assignment]
        docs = min((p.ids for p in present), key=len)
        for postings in present:
            docs = docs[_members(docs, postings.ids)]
        # Where each two neighbouring syllables are is the pair field's term: no document
        # without all of them has the phrase, and a two-syllable phrase is exactly where
        # its pair is. (A common phrase, "thanh pho" for TP, is in a third of the
        # documents: checking positions in each took half a second at 80,000 articles.)
        pair_field = _PAIR_FIELD_OF.get(q.fieldname)
        by_pairs = pair_field is not None and not any(" " in word for word in q.words)
        if by_pairs:
            for left, right in pairwise(q.words):
                pair = self.segment.postings(pair_field, f"{left} {right}", self.weighting)
                if pair is None:
                    return nothing
                docs = docs[_members(docs, pair.ids)]
        indexes = [np.searchsorted(p.ids, docs) for p in present]
        scores = _sum(p.scores[ix] for p, ix in zip(present, indexes, strict=True))
        if by_pairs and len(q.words) == 2:
            return _Sparse(docs, scores)  # exact in every pass: nothing to defer
        if deferred:
            self.deferred_seen += 1
            if self.mode == _LOWER:
                return nothing
            if self.mode == _UPPER:
                return _Sparse(docs, scores)  # at most the sum of its words' scores
            if self.candidates is not None:
                keep = self.candidates[docs]
                docs, scores = docs[keep], scores[keep]
                indexes = [ix[keep] for ix in indexes]
        positions = [p.positions(ix) for p, ix in zip(present, indexes, strict=True)]
        found = np.fromiter(
            (_consecutive([word[i] for word in positions]) for i in range(len(docs))),
            dtype=bool,
            count=len(docs),
        )
        return _Sparse(docs[found], scores[found])


#: The pair field of each stream field (:data:`~danvan_search.schema.PAIR_FIELDS`).
_PAIR_FIELD_OF = {
    stream: pair
    for name in TEXT_FIELDS
    for stream, pair in zip(STREAM_FIELDS[name], PAIR_FIELDS[name], strict=True)
}


def _members(ids: np.ndarray, of: np.ndarray) -> np.ndarray:
    """Which of ``ids`` are in ``of`` (both sorted, distinct): a binary search each, so
    the cost is that of the shorter side when ``ids`` is the shorter."""
    if not len(of) or not len(ids):
        return np.zeros(len(ids), dtype=bool)
    at = np.searchsorted(of, ids)
    at[at == len(of)] = 0
    return of[at] == ids


def _positions_of_members(ids: np.ndarray, of: np.ndarray) -> np.ndarray:
    """Where in ``ids`` the members of ``of`` are (both sorted, distinct), in order; at
    the cost of the shorter side's binary searches in the longer. (A folded word's
    documents, thousands, are restricted to those written without accents, often a
    handful: looking each of those up is what costs little.)"""
    if len(ids) <= len(of):
        return np.flatnonzero(_members(ids, of))
    at = np.searchsorted(ids, of)
    inside = at < len(ids)
    at = at[inside]
    return at[ids[at] == of[inside]]


def _sparse_and(parts: list[_Sparse], within: np.ndarray | None = None) -> _Sparse:
    """The documents every part matches (and ``within``, if given), with the sum of
    the parts' scores (added in order, as :meth:`_Evaluation._and` adds them: the same
    floating-point sums), at the cost of the shortest list's lookups in the others
    rather than of the segment's size."""
    lists = [part.ids for part in parts] + ([within] if within is not None else [])
    lists.sort(key=len)
    ids = lists[0]
    for other in lists[1:]:
        ids = ids[_members(ids, other)]
    scores = np.zeros(len(ids))
    for part in parts:
        scores += part.scores[np.searchsorted(part.ids, ids)]
    return _Sparse(ids, scores)


def _add(total: _Scored, part: _Result) -> None:
    if isinstance(part, _Sparse):  # ids are distinct, so fancy-index addition is safe
        total.scores[part.ids] += part.scores
        total.matched[part.ids] = True
    else:
        total.scores += part.scores
        total.matched |= part.matched


def _add_where(total: _Scored, part: _Result) -> None:
    """Add ``part``'s scores where ``total`` already matches (AndMaybe)."""
    if isinstance(part, _Sparse):
        inside = total.matched[part.ids]
        total.scores[part.ids[inside]] += part.scores[inside]
    else:
        total.scores += np.where(total.matched & part.matched, part.scores, 0.0)


def _boost_ignored(q: wq.Query) -> bool:
    # AndMaybe/AndNot/Require push their boost into their parts; and Whoosh builds a
    # compound of one query as that query's own matcher, so the compound's boost is not
    # applied.
    if isinstance(q, (wq.AndMaybe, wq.AndNot, wq.Require)):
        return True
    return isinstance(q, (wq.Or, wq.And)) and len(q.subqueries) == 1


def _consecutive(positions: list[Sequence[int]]) -> bool:
    starts = set(positions[0])
    for offset, later in enumerate(positions[1:], 1):
        starts &= {p - offset for p in later}
        if not starts:
            return False
    return True


def _sum(arrays: Any) -> np.ndarray:
    total = None
    for array in arrays:
        total = array.copy() if total is None else total + array
    return total


def _kth_largest(score_sets: list[np.ndarray], k: int) -> float:
    scores = np.concatenate(score_sets) if score_sets else np.zeros(0)
    if len(scores) <= k:
        return -np.inf
    return float(np.partition(scores, len(scores) - k)[len(scores) - k])


def _best(
    segments: list[_Scored], offsets: list[int], limit: int
) -> tuple[tuple[int, ...], tuple[float, ...]]:
    docnums = np.concatenate(
        [np.flatnonzero(s.matched) + offset for s, offset in zip(segments, offsets, strict=True)]
    )
    scores = np.concatenate([s.scores[s.matched] for s in segments])
    if len(scores) > limit:
        keep = np.argpartition(-scores, limit - 1)[:limit]
        # Ties at the cut: Whoosh keeps the lower document numbers.
        cut = scores[keep].min()
        keep = np.flatnonzero(scores >= cut)
        docnums, scores = docnums[keep], scores[keep]
    order = np.lexsort((docnums, -scores))[:limit]
    return tuple(int(d) for d in docnums[order]), tuple(float(s) for s in scores[order])

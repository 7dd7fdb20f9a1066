"""Writing the pair fields' postings as arrays, without Whoosh's posting pool.

Whoosh hands every posting through a pool: a Python tuple per posting, sorted in
memory, spilled to temporary files in runs of 128 MB and merged back one tuple at a
time. The pair fields hold most of an index's postings (about 830 of a news article's
1,500), and a pair's posting is only a document number and a frequency, so a writer
keeps them as arrays from the start (:class:`PairPostings`, one per pair field):

* each document adds, per pair term, the term's 64-bit hash (:func:`term_hash`), the
  document number and the frequency; a merged segment adds its arrays as they are;
* every :data:`RUN_POSTINGS` postings, the arrays are sorted by hash and put in a
  temporary file (a *run*), with the texts of the run's terms;
* the segment's field (see :mod:`danvan_search.pairstore` for the file) is written from
  the runs a range of hashes at a time, so memory stays bounded whatever the size of
  the segment. Its terms are in the order of their hashes, and a term's documents in
  increasing order: runs are made in the order documents are numbered.
"""

from __future__ import annotations

import contextlib
import os
import uuid
import zlib
from array import array
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .pairstore import MAX_FREQ, SEPARATOR, PairField, pad, term_hash, write_section

if TYPE_CHECKING:
    import numpy as np

#: Postings a field keeps in memory before it writes them out as a run: 14 bytes each,
#: and about 100 bytes for each term new to the run (the text, its hash, a dict entry),
#: some 30 MB a field at most.
RUN_POSTINGS = 250_000
#: Postings sorted at once when the runs are merged into the segment's file.
CHUNK_POSTINGS = 4_000_000
_RUN_PARTS = ("hashes", "docs", "freqs", "terms", "lengths", "texts")


class _Run:
    """A run's arrays, in files of a temporary folder (read back memory-mapped):
    ``hashes``/``docs``/``freqs`` per posting, sorted by hash, then document;
    ``terms``: the run's distinct hashes, sorted; ``lengths``/``texts``: their texts."""

    def __init__(self, folder: str, name: str) -> None:
        self.paths = {part: os.path.join(folder, f"{name}.{part}.npy") for part in _RUN_PARTS}

    def save(self, arrays: dict[str, np.ndarray]) -> None:
        import numpy as np

        for part, path in self.paths.items():
            np.save(path, arrays[part], allow_pickle=False)

    def load(self) -> dict[str, np.ndarray]:
        import numpy as np

        return {part: np.load(path, mmap_mode="r", allow_pickle=False)
                for part, path in self.paths.items()}

    def remove(self) -> None:
        for path in self.paths.values():
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)


class PairPostings:
    """One pair field's postings for the segment a writer is writing."""

    def __init__(self, folder: str, fieldname: str) -> None:
        self.folder = folder
        self.fieldname = fieldname
        self.runs: list[_Run] = []
        self.postings = 0
        self._reset()

    def _reset(self) -> None:
        self._hashes = array("Q")
        self._docs = array("I")
        self._freqs = array("H")
        #: The run's terms and their hashes (each term is hashed once a run).
        self._hash_of: dict[str, int] = {}

    # --- adding ---------------------------------------------------------------------------

    def add(self, docnum: int, counts: Mapping[str, int]) -> None:
        """A document's pair terms and how often each is in it."""
        hash_of = self._hash_of
        hashes, freqs = self._hashes, self._freqs
        for text, freq in counts.items():
            found = hash_of.get(text)
            if found is None:
                found = hash_of[text] = term_hash(text.encode("utf-8"))
            hashes.append(found)
            freqs.append(freq if freq < MAX_FREQ else MAX_FREQ)
        self._docs.extend([docnum] * len(counts))
        self.postings += len(counts)
        if len(hashes) >= RUN_POSTINGS:
            self._spill()

    def add_segment(self, field: PairField | None, docmap: np.ndarray | None,
                    startdoc: int) -> None:
        """A merged segment's postings of this field. ``docmap``: each of its documents'
        new number (negative: deleted); None: ``startdoc`` plus its number."""
        self._spill()  # what was added before has the lower document numbers
        if field is None or not field.terms:
            return
        import numpy as np

        # Its terms in hash order (a file written before terms were kept in hash order
        # has them in text order: ``order`` says which term each sorted hash is).
        texts = field.texts()
        counts = np.diff(field.offsets.astype(np.int64))
        for start in range(0, field.terms, RUN_POSTINGS):
            ordinals = field.order[start : start + RUN_POSTINGS].astype(np.int64)
            hashes = field.hashes[start : start + RUN_POSTINGS]
            picks = _posting_indices(field.offsets, ordinals)
            posting_hashes = np.repeat(hashes, counts[ordinals])
            docs = field.docs[picks].astype(np.int64)
            docs = docs + startdoc if docmap is None else docmap[docs]
            live = docs >= 0
            kept = np.unique(posting_hashes[live])
            if not len(kept):
                continue
            kept_texts = [texts[i] for i in ordinals[np.searchsorted(hashes, kept)].tolist()]
            self._save_run(posting_hashes[live], docs[live].astype(np.uint32),
                           field.freqs[picks][live], kept, kept_texts)
            self.postings += int(live.sum())

    def _spill(self) -> None:
        """Write what is in memory as a run."""
        if not len(self._hashes):
            return
        import numpy as np

        hashes = np.frombuffer(self._hashes, dtype=np.uint64)
        docs = np.frombuffer(self._docs, dtype=np.uint32)
        freqs = np.frombuffer(self._freqs, dtype=np.uint16)
        texts = list(self._hash_of)
        term_hashes = np.fromiter(self._hash_of.values(), dtype=np.uint64, count=len(texts))
        # (Two of a run's terms with one hash, odds about 1 in 10^8, share postings.)
        kept, first = np.unique(term_hashes, return_index=True)
        order = np.argsort(hashes, kind="stable")  # documents stay in increasing order
        self._save_run(hashes[order], docs[order], freqs[order], kept,
                       [texts[i].encode("utf-8") for i in first.tolist()])
        self._reset()

    def _save_run(self, hashes: np.ndarray, docs: np.ndarray, freqs: np.ndarray,
                  terms: np.ndarray, texts: list[bytes]) -> None:
        import numpy as np

        run = _Run(self.folder, f"pairs-{self.fieldname}-{uuid.uuid4().hex}")
        self.runs.append(run)
        run.save({
            "hashes": np.ascontiguousarray(hashes, dtype=np.uint64),
            "docs": np.ascontiguousarray(docs, dtype=np.uint32),
            "freqs": np.ascontiguousarray(freqs, dtype=np.uint16),
            "terms": np.ascontiguousarray(terms, dtype=np.uint64),
            "lengths": np.fromiter(map(len, texts), dtype=np.uint32, count=len(texts)),
            "texts": np.frombuffer(b"".join(texts), dtype=np.uint8),
        })

    # --- writing the segment's field ------------------------------------------------------

    def write(self, file: Any) -> dict[str, Any] | None:
        """Write the field's sections to the segment's file of pairs (at its current
        position); returns where each is, or None when the field has no postings."""
        self._spill()
        if not self.postings:
            self.discard()
            return None
        import numpy as np

        runs = [run.load() for run in self.runs]
        for run in runs:
            run["ends"] = np.cumsum(run["lengths"], dtype=np.int64)
        sections: dict[str, tuple[int, int, str]] = {}
        start = file.tell()
        freq_parts: list[np.ndarray] = []
        term_parts: list[np.ndarray] = []
        count_parts: list[np.ndarray] = []
        texts = zlib.compressobj(6)
        text_parts: list[bytes] = []
        written = 0
        for low, high in _hash_ranges(self.postings):
            spans = [(run, *_span(run["hashes"], low, high)) for run in runs]
            hashes, docs, freqs = (
                np.concatenate([run[part][first:last] for run, first, last in spans])
                for part in ("hashes", "docs", "freqs")
            )
            order = np.lexsort((docs, hashes))
            file.write(docs[order].astype("<u4").tobytes())
            freq_parts.append(freqs[order].astype("<u2"))
            terms, counts = np.unique(hashes[order], return_counts=True)
            term_parts.append(terms)
            count_parts.append(counts)
            written += len(docs)
            chunk_texts = _texts_between(runs, low, high, terms)
            text_parts.append(texts.compress(SEPARATOR.join(chunk_texts) + SEPARATOR
                                             if chunk_texts else b""))
        if written != self.postings:
            raise RuntimeError(f"{self.fieldname}: {written} of {self.postings} postings")
        if written > 0xFFFFFFFF:
            raise OverflowError("a segment holds more than 2^32 postings of a pair field")
        sections["docs"] = (start, written, "<u4")
        pad(file)
        sections["freqs"] = write_section(file, np.concatenate(freq_parts), "<u2")
        counts = np.concatenate(count_parts)
        offsets = np.zeros(len(counts) + 1, dtype="<u4")
        np.cumsum(counts, out=offsets[1:])
        sections["offsets"] = write_section(file, offsets, "<u4")
        sections["hashes"] = write_section(file, np.concatenate(term_parts).astype("<u8"),
                                           "<u8")
        sections["order"] = write_section(file, np.arange(len(counts), dtype="<u4"), "<u4")
        text_parts.append(texts.flush())
        compressed = b"".join(text_parts)
        sections["texts"] = (file.tell(), len(compressed), "bytes")
        file.write(compressed)
        pad(file)
        del runs
        self.discard()
        return {"terms": len(counts), "sections": sections}

    def discard(self) -> None:
        """Remove the runs' files."""
        for run in self.runs:
            run.remove()
        self.runs = []


def _posting_indices(offsets: np.ndarray, ordinals: np.ndarray) -> np.ndarray:
    """The positions in a field's ``docs`` of the postings of ``ordinals``, term after
    term."""
    import numpy as np

    starts = offsets[ordinals].astype(np.int64)
    counts = offsets[ordinals + 1].astype(np.int64) - starts
    total = int(counts.sum())
    # Each posting's index is its term's start plus its rank within the term.
    firsts = np.cumsum(counts) - counts
    return np.repeat(starts - firsts, counts) + np.arange(total, dtype=np.int64)


def _hash_ranges(postings: int) -> Iterator[tuple[int, int | None]]:
    """Ranges of the hash space (terms are hashed evenly), each with about
    :data:`CHUNK_POSTINGS` postings; the last range is open."""
    chunks = max(1, -(-postings // CHUNK_POSTINGS))
    bounds = [(i << 64) // chunks for i in range(chunks)]
    for i, low in enumerate(bounds):
        yield low, bounds[i + 1] if i + 1 < chunks else None


def _span(sorted_hashes: np.ndarray, low: int, high: int | None) -> tuple[int, int]:
    import numpy as np

    first = int(np.searchsorted(sorted_hashes, np.uint64(low), side="left"))
    last = (len(sorted_hashes) if high is None
            else int(np.searchsorted(sorted_hashes, np.uint64(high), side="left")))
    return first, last


def _texts_between(runs: list[dict[str, np.ndarray]], low: int, high: int | None,
                   terms: np.ndarray) -> list[bytes]:
    """The texts of ``terms`` (the distinct hashes of the range), from the first run
    that has each."""
    import numpy as np

    hashes: list[np.ndarray] = []
    texts: list[bytes] = []
    for run in runs:
        first, last = _span(run["terms"], low, high)
        if first == last:
            continue
        ends = run["ends"]
        begin = int(ends[first - 1]) if first else 0
        blob = bytes(run["texts"][begin : int(ends[last - 1])])
        cuts = (ends[first:last] - begin).tolist()
        texts += [blob[a:b] for a, b in zip([0, *cuts[:-1]], cuts, strict=True)]
        hashes.append(run["terms"][first:last])
    if not hashes:
        return []
    found, index = np.unique(np.concatenate(hashes), return_index=True)
    if len(found) != len(terms) or not np.array_equal(found, terms):
        raise RuntimeError("the runs' terms do not match their postings")
    return [texts[i] for i in index.tolist()]

"""The pair fields' postings, stored as arrays beside Whoosh's postings.

The pair fields hold every two adjacent syllables of a text as one term: millions of
terms, most of them in two or three documents. Whoosh gives every term an entry in a
hash table and a block of postings with a pickled header; for pairs that overhead was
two thirds of an index (60 bytes and more for a posting of 6). Here a segment's pair
postings go to one file of plain arrays, ``<segment>.pairs``, written by the same
writer in the same commit as the rest of the segment (the codec below is Whoosh's own
with that one difference; the writer keeps them as arrays, never in Whoosh's posting
pool: :mod:`danvan_search.pairwriting`), so merging, deleting, cancelling, the manifest
of checksums and the crash guarantees treat it like any other file of a segment.

Per pair field, the file holds (little-endian, each section 8-byte aligned):

* ``docs``: the document numbers of every term's postings, term after term (uint32);
* ``freqs``: how often the pair is in each of those documents (uint16; a pair found
  more than 65,535 times in one text counts 65,535: BM25 saturates long before);
* ``offsets``: where each term's postings start in ``docs`` (uint32, one more than
  terms);
* ``hashes``: a 64-bit hash of every term, sorted, and ``order``: the term each
  sorted hash belongs to (uint32). A term is found by hash (a collision between two
  of a segment's terms has odds of about 1 in 10^7 at ten million terms, and would
  only merge two pairs' postings). Terms are written in the order of their hashes
  (:mod:`danvan_search.pairwriting`), so ``order`` counts up; files written by the
  first version of this format have their terms in text order;
* ``texts``: the terms themselves, zlib-compressed, read only to list them (a merge).

A JSON directory of the sections, its length and a magic number end the file. Reading
maps the file into memory: a lookup touches a few pages of ``hashes`` and the term's
postings, nothing is read at open beyond the directory.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import struct
import zlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3TermInfo, W3TermsReader
from whoosh.matching import ListMatcher
from whoosh.reading import TermNotFound
from whoosh.system import pack_uint

from .errors import DamagedDataError
from .schema import PAIR_FIELD_NAMES

if TYPE_CHECKING:
    import numpy as np

    #: A term's document numbers and frequencies.
    _Arrays = tuple[np.ndarray, np.ndarray]
    _Item = tuple[tuple[str, bytes], W3TermInfo]

    from .pairwriting import PairPostings

#: The extension of a segment's file of pair postings.
PAIRS_EXT = ".pairs"
_MAGIC = b"DVPAIRS1"
_TRAILER = struct.Struct("<Q8s")
MAX_FREQ = 0xFFFF
_DTYPES = frozenset({"<u2", "<u4", "<u8"})
#: Terms are separated by this byte in the compressed list of texts (not in any term:
#: the analysis removes control characters).
SEPARATOR = b"\x00"


def term_hash(btext: bytes) -> int:
    """The 64-bit hash a pair term is found by."""
    return int.from_bytes(hashlib.blake2b(btext, digest_size=8).digest(), "little")


class PairCodec(W3Codec):
    """Whoosh's codec, with the pair fields' postings in a ``.pairs`` file of arrays."""

    def field_writer(self, storage: Any, segment: Any) -> W3FieldWriter:
        return _FieldWriter(self, storage, segment)

    def terms_reader(self, storage: Any, segment: Any) -> W3TermsReader:
        reader = super().terms_reader(storage, segment)
        try:
            return _TermsReader(reader, _read_pairs(storage, segment))
        except BaseException:
            reader.close()
            raise


def pad(file: Any) -> None:
    """Pad ``file`` to the next multiple of 8 bytes (every section is aligned)."""
    file.write(b"\x00" * (-file.tell() % 8))


def write_section(file: Any, values: Any, dtype: str) -> tuple[int, int, str]:
    """Write an array as a section; returns its (start, count, dtype)."""
    start = file.tell()
    file.write(values.tobytes())
    pad(file)
    return (start, len(values), dtype)


class _FieldWriter(W3FieldWriter):
    """Whoosh's field writer, and the segment's file of pairs: the writer hands it each
    pair field's postings (:meth:`write_pairs`), never through Whoosh's pool."""

    def __init__(self, codec: PairCodec, storage: Any, segment: Any) -> None:
        super().__init__(codec, storage, segment)
        self._pairs_file = self._create_file(PAIRS_EXT)
        self._pairs_fields: dict[str, Any] = {}

    def start_field(self, fieldname: str, fieldobj: Any) -> None:
        if fieldname in PAIR_FIELD_NAMES:
            raise ValueError(f"the postings of pair field {fieldname} came through "
                             "Whoosh's pool; a pair field is written by write_pairs")
        super().start_field(fieldname, fieldobj)

    def write_pairs(self, fields: Iterable[PairPostings]) -> None:
        """Write each pair field that has postings to the segment's file of pairs."""
        for postings in fields:
            entry = postings.write(self._pairs_file)
            if entry is not None:
                self._pairs_fields[postings.fieldname] = entry

    def close(self) -> None:
        directory = json.dumps({"version": 1, "fields": self._pairs_fields}).encode()
        file = self._pairs_file
        start = file.tell()
        file.write(directory)
        file.write(_TRAILER.pack(file.tell() - start, _MAGIC))
        file.close()
        super().close()


class PairField:
    """One pair field of one segment, over the mapped file."""

    def __init__(self, buffer: Any, entry: dict[str, Any]) -> None:
        import numpy as np

        def section(name: str) -> np.ndarray:
            start, count, dtype = entry["sections"][name]
            if dtype not in _DTYPES:
                raise ValueError(f"{name} has an unknown type")
            return np.frombuffer(buffer, dtype=np.dtype(dtype), count=count, offset=start)

        self.terms = int(entry["terms"])
        self.docs = section("docs")
        self.freqs = section("freqs")
        self.offsets = section("offsets")
        self.hashes = section("hashes")
        self.order = section("order")
        start, length, _ = entry["sections"]["texts"]
        self._texts = (buffer, start, length)
        if not (len(self.offsets) == self.terms + 1 == len(self.hashes) + 1 == len(self.order) + 1
                and len(self.docs) == len(self.freqs) == int(self.offsets[-1])):
            raise DamagedDataError("the sections of a pair field do not agree in length")

    def ordinal(self, btext: bytes) -> int | None:
        """The term's number, or None when the segment does not have it."""
        if not self.terms:
            return None
        import numpy as np

        key = np.uint64(term_hash(btext))
        i = int(np.searchsorted(self.hashes, key))
        if i < self.terms and self.hashes[i] == key:
            return int(self.order[i])
        return None

    def postings(self, ordinal: int) -> tuple[np.ndarray, np.ndarray]:
        """Document numbers and frequencies of term ``ordinal``."""
        start, end = int(self.offsets[ordinal]), int(self.offsets[ordinal + 1])
        return self.docs[start:end], self.freqs[start:end]

    def dictionary_bytes(self) -> int:
        return self.hashes.nbytes + self.order.nbytes + self._texts[2]

    def postings_bytes(self) -> int:
        return self.docs.nbytes + self.freqs.nbytes + self.offsets.nbytes

    def texts(self) -> list[bytes]:
        buffer, start, length = self._texts
        data = zlib.decompress(bytes(buffer[start : start + length]))
        texts = data.split(SEPARATOR)[:-1]
        if len(texts) != self.terms:
            raise DamagedDataError("a pair field lists a different number of terms")
        return texts


def _read_pairs(storage: Any, segment: Any) -> dict[str, PairField]:
    name = segment.make_filename(PAIRS_EXT)
    if not storage.file_exists(name):
        return {}
    with open(storage._fpath(name), "rb") as file:
        size = file.seek(0, 2)
        if size < _TRAILER.size:
            raise DamagedDataError(f"{name} is too short to be a file of pairs")
        buffer = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    length, magic = _TRAILER.unpack_from(buffer, size - _TRAILER.size)
    if magic != _MAGIC or length > size - _TRAILER.size:
        raise DamagedDataError(f"{name} is not a file of pairs")
    try:
        directory = json.loads(bytes(buffer[size - _TRAILER.size - length : size - _TRAILER.size]))
        return {field: PairField(buffer, entry) for field, entry in directory["fields"].items()}
    except (ValueError, KeyError, TypeError) as error:
        raise DamagedDataError(f"{name} cannot be read ({error})") from None


def pair_postings(reader: Any, fieldname: str, btext: bytes) -> _Arrays | None:
    """Document numbers and frequencies of a pair term in a segment reader, as arrays
    (None: the segment does not have it, or keeps its pairs the way Whoosh does)."""
    terms = getattr(reader, "_terms", None)
    if not isinstance(terms, _TermsReader):
        return None
    return terms.pair_postings(fieldname, btext)


class _TermsReader(W3TermsReader):
    """Whoosh's terms reader, answering for the pair fields from their arrays."""

    def __init__(self, base: W3TermsReader, pairs: dict[str, PairField]) -> None:
        self.__dict__.update(base.__dict__)
        self.pairs = pairs

    def pair_postings(self, fieldname: str, btext: bytes) -> _Arrays | None:
        field = self.pairs.get(fieldname)
        ordinal = field.ordinal(btext) if field is not None else None
        return None if ordinal is None else field.postings(ordinal)

    def __contains__(self, term: tuple[str, bytes]) -> bool:
        fieldname, btext = term
        if fieldname in PAIR_FIELD_NAMES:
            field = self.pairs.get(fieldname)
            return field is not None and field.ordinal(btext) is not None
        return super().__contains__(term)

    def indexed_field_names(self) -> Any:
        return [*super().indexed_field_names(), *self.pairs]

    def _pair_items(self, fieldname: str) -> Iterator[_Item]:
        # Listed in text order, as Whoosh lists terms (the file keeps them by hash).
        field = self.pairs[fieldname]
        for btext, ordinal in sorted(zip(field.texts(), range(field.terms), strict=True)):
            yield (fieldname, btext), _term_info(*field.postings(ordinal))

    def terms(self) -> Iterator[tuple[str, bytes]]:
        yield from super().terms()
        for fieldname, field in self.pairs.items():
            for btext in sorted(field.texts()):
                yield fieldname, btext

    def terms_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[str, bytes]]:
        for (name, btext), _ in self.items_from(fieldname, prefix):
            yield name, btext

    def items(self) -> Iterator[_Item]:
        yield from super().items()
        for fieldname in self.pairs:
            yield from self._pair_items(fieldname)

    def items_from(self, fieldname: str, prefix: bytes) -> Iterator[_Item]:
        # Callers read on while the field is theirs: the pair fields' terms are listed
        # by themselves, in order.
        if fieldname in PAIR_FIELD_NAMES:
            if fieldname in self.pairs:
                for item in self._pair_items(fieldname):
                    if item[0][1] >= prefix:
                        yield item
            return
        yield from super().items_from(fieldname, prefix)

    def term_info(self, fieldname: str, btext: bytes) -> W3TermInfo:
        if fieldname in PAIR_FIELD_NAMES:
            found = self.pair_postings(fieldname, btext)
            if found is None:
                raise TermNotFound(f"No term {fieldname}:{btext!r}")
            return _term_info(*found)
        return super().term_info(fieldname, btext)

    def frequency(self, fieldname: str, btext: bytes) -> float:
        if fieldname in PAIR_FIELD_NAMES:
            found = self.pair_postings(fieldname, btext)
            return float(found[1].sum(dtype="int64")) if found is not None else 0
        return super().frequency(fieldname, btext)

    def doc_frequency(self, fieldname: str, btext: bytes) -> int:
        if fieldname in PAIR_FIELD_NAMES:
            found = self.pair_postings(fieldname, btext)
            return len(found[0]) if found is not None else 0
        return super().doc_frequency(fieldname, btext)

    def matcher(self, fieldname: str, btext: bytes, format_: Any, scorer: Any = None) -> Any:
        if fieldname in PAIR_FIELD_NAMES:
            found = self.pair_postings(fieldname, btext)
            if found is None:
                raise TermNotFound(f"No term {fieldname}:{btext!r}")
            docs, freqs = found
            return _PairMatcher(docs.tolist(), [float(f) for f in freqs.tolist()],
                                format=format_, scorer=scorer, term=(fieldname, btext),
                                terminfo=_term_info(docs, freqs))
        return super().matcher(fieldname, btext, format_, scorer)


class _PairMatcher(ListMatcher):
    """A pair's postings for Whoosh's own matching and merging: each posting's value is
    its frequency, encoded as Whoosh's ``Frequency`` format encodes it."""

    def value(self) -> bytes:
        return pack_uint(int(self._weights[self._i]))


def _term_info(docs: np.ndarray, freqs: np.ndarray) -> W3TermInfo:
    import numpy as np

    # Lengths are not kept per posting: the shortest possible length makes Whoosh's
    # score bounds (used to skip blocks) as high as they can be, so never too low.
    return W3TermInfo(
        weight=float(freqs.sum(dtype=np.int64)), df=len(docs), minlength=1, maxlength=255,
        maxweight=float(freqs.max()) if len(freqs) else 0.0,
        minid=int(docs[0]) if len(docs) else 0, maxid=int(docs[-1]) if len(docs) else 0,
    )

"""The index's files: Whoosh's file storage, verified before anything in it is read.

Whoosh keeps parts of an index as Python pickles: the list of segments in its table of
contents (TOC), the header and data of each block of postings, the postings of terms
found once, stored fields. Unpickling runs code named by the data, so reading an index
written by someone else could run their code, and a damaged file fails anywhere with
whatever error its bytes happen to cause. Here:

* every commit writes a manifest of the index's files (size and CRC-32 of each),
  ``danvan-manifest.json``, before its TOC takes effect; opening an index, and every
  reader of a new commit, checks the TOC and the files of its segments against it before
  reading them, so damage (a file truncated, emptied, overwritten, missing or added)
  is a :class:`~danvan_search.errors.CorruptIndexError` that says how to rebuild;
* the schema is never read from the TOC (this library passes its own);
* while this library reads an index, Whoosh's pickles are loaded by an unpickler that
  only builds plain data and the classes a TOC holds (Whoosh's segment and codec, this
  library's codec): a crafted file cannot name any other class or function. (Other
  code using Whoosh in the same process is not affected: the restriction holds only
  inside :func:`reading`.)

The manifest protects against damage, not against someone who rewrites it along with
the files: what keeps a crafted index from running code is the restricted unpickler.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import io
import json
import mmap
import os
import pickle
import re
import struct
import threading
import weakref
import zlib
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import columns as whoosh_columns
from whoosh import index as whoosh_index
from whoosh.codec import whoosh3
from whoosh.filedb import structfile
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex

from .errors import CorruptIndexError, DamagedDataError
from .pairstore import PairCodec

MANIFEST_FILE = "danvan-manifest.json"
INDEX_NAME = "MAIN"
_TOC_NAME = re.compile(rf"^_{INDEX_NAME}_(\d+)\.toc$")
#: Files of segments: MAIN_<id>.<extension>; segment ids are Whoosh's random names.
_SEGMENT_FILE = re.compile(rf"^({INDEX_NAME}_[0-9a-z]+)\.[A-Za-z0-9_.]+$")
#: How often a reader retries when a commit replaced the files it was verifying.
_RETRIES = 10


def rebuild_hint(path: str | os.PathLike[str]) -> str:
    return f"rebuild it with `danvan-search index --index {path} --overwrite FILES...`"


# --- reading with restricted unpickling ---------------------------------------------------

_restricted = contextvars.ContextVar("danvan_restricted_unpickling", default=False)


class UnsafeIndexDataError(pickle.UnpicklingError):
    """A pickle in the index names something other than plain data."""


_ALLOWED: dict[tuple[str, str], Any] = {
    ("whoosh.codec.whoosh3", "W3Segment"): whoosh3.W3Segment,
    ("whoosh.codec.whoosh3", "W3Codec"): whoosh3.W3Codec,
    ("danvan_search.pairstore", "PairCodec"): PairCodec,
    ("collections", "defaultdict"): defaultdict,
    ("builtins", "int"): int,
    ("__builtin__", "int"): int,
    ("builtins", "set"): set,
    ("__builtin__", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("__builtin__", "frozenset"): frozenset,
    # Pickle protocol 2 writes bytes as _codecs.encode(text, "latin1"): one call per
    # posting in a block of positions. str.encode does the same for text, in C, without
    # looking the codec up in the registry at every call (3× faster blocks); it refuses
    # anything but text, and any codec name only imports a module of the encodings
    # package: harmless.
    ("_codecs", "encode"): str.encode,
}


class _DataUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafeIndexDataError(
                f"index data names {module}.{name}, which is not index data"
            ) from None


def _make_loads(original: Callable[..., Any]) -> Callable[..., Any]:
    def loads(data: bytes, *args: Any, **kwargs: Any) -> Any:
        if _restricted.get():
            # Buffered: the C unpickler then prefetches through peek() rather than
            # calling read() for every opcode (twice the speed on a block of postings).
            return _DataUnpickler(io.BufferedReader(io.BytesIO(data))).load()
        return original(data, *args, **kwargs)

    return loads


def _make_load(original: Callable[..., Any]) -> Callable[..., Any]:
    def load(file: Any, *args: Any, **kwargs: Any) -> Any:
        if _restricted.get():
            return _DataUnpickler(file).load()
        return original(file, *args, **kwargs)

    return load


_installed = False
_install_lock = threading.Lock()


def _install() -> None:
    """Route the unpickling of Whoosh's index formats through :func:`_make_loads`."""
    global _installed
    with _install_lock:
        if _installed:
            return
        whoosh3.loads = _make_loads(whoosh3.loads)  # postings, inlined postings, stored
        whoosh_columns.loads = _make_loads(whoosh_columns.loads)  # pickle columns
        structfile.load_pickle = _make_load(structfile.load_pickle)  # TOC, block headers
        _installed = True


#: What a damaged file makes Whoosh raise while decoding it.
DECODING_ERRORS = (
    pickle.UnpicklingError, zlib.error, struct.error, EOFError, whoosh_index.IndexError,
    DamagedDataError,
)


@contextmanager
def reading(path: str | os.PathLike[str]) -> Iterator[None]:
    """Read the index at ``path`` with restricted unpickling; a file that cannot be
    decoded is a :class:`CorruptIndexError`."""
    _install()
    token = _restricted.set(True)
    try:
        yield
    except CorruptIndexError:
        raise
    except UnsafeIndexDataError as error:
        raise CorruptIndexError(
            f"index {path} holds data that is not an index's ({error}): it was not written "
            f"by danvan-search, or is damaged. Use indexes from a trusted source; "
            f"{rebuild_hint(path)}"
        ) from None
    except DECODING_ERRORS as error:
        raise CorruptIndexError(
            f"index {path} is damaged ({type(error).__name__}: {error}); {rebuild_hint(path)}"
        ) from None
    finally:
        _restricted.reset(token)


# --- the manifest ---------------------------------------------------------------------------


def checksum(path: str | os.PathLike[str]) -> tuple[int, str]:
    """(size, CRC-32) of a file. CRC-32 catches damage (truncation, overwritten bytes) at
    twice the speed of SHA-256 here: opening an index reads all of it."""
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        if size < _MAP_FROM:
            data = stream.read()
            return len(data), f"{zlib.crc32(data):08x}"
        with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return len(mapped), f"{zlib.crc32(mapped):08x}"


#: Files from this size are checked through a memory map rather than read.
_MAP_FROM = 1 << 20


def is_index_file(name: str) -> bool:
    return bool(_TOC_NAME.match(name) or _SEGMENT_FILE.match(name))


def read_manifest(folder: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorruptIndexError(
            f"index {folder} has no {MANIFEST_FILE} (the list of its files and their "
            f"checksums): it is damaged or was not written by danvan-search; "
            f"{rebuild_hint(folder)}"
        ) from None
    except (OSError, ValueError) as error:
        raise CorruptIndexError(
            f"cannot read {folder / MANIFEST_FILE} ({error}); {rebuild_hint(folder)}"
        ) from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict) or not all(
        isinstance(entry, dict) and isinstance(entry.get("size"), int)
        and isinstance(entry.get("crc32"), str)
        for entry in files.values()
    ):
        raise CorruptIndexError(
            f"{folder / MANIFEST_FILE} is not a manifest of danvan-search; "
            f"{rebuild_hint(folder)}"
        )
    return files


def write_manifest(folder: Path, renaming: tuple[str, str] | None = None) -> None:
    """Record the size and CRC-32 of every index file in ``folder`` (files already in
    the manifest keep their entry: index files are never rewritten). ``renaming`` is
    a ``(temporary, final)`` file name pair: the temporary file is recorded under its
    final name, the rename being the commit this manifest is for."""
    try:
        previous = read_manifest(folder)
    except CorruptIndexError:
        previous = {}
    files: dict[str, dict[str, Any]] = {}
    names = set(os.listdir(folder))
    if renaming:
        names.discard(renaming[0])
        names.add(renaming[1])
    for name in sorted(names):
        if not is_index_file(name):
            continue
        source = renaming[0] if renaming and name == renaming[1] else name
        if name in previous and source == name:
            files[name] = previous[name]
            continue
        size, crc = checksum(folder / source)
        files[name] = {"size": size, "crc32": crc}
    _store_manifest(folder, files)


def _store_manifest(folder: Path, files: dict[str, dict[str, Any]]) -> None:
    """Replace the manifest by one listing ``files`` (atomically: a rename)."""
    temporary = folder / f"{MANIFEST_FILE}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps({"version": 1, "files": files}, indent=0) + "\n",
                         encoding="utf-8")
    os.replace(temporary, folder / MANIFEST_FILE)


def forget_in_manifest(folder: Path, name: str) -> None:
    """Remove ``name``'s entry from the manifest (the file is gone)."""
    try:
        files = read_manifest(folder)
    except CorruptIndexError:
        return  # no manifest (yet), or a damaged one: opening will say so
    if files.pop(name, None) is None:
        return
    _store_manifest(folder, files)


class _Verified:
    """The files this process has found to match the manifest, by identity (a file
    index files are never rewritten, so a checked file need not be read again)."""

    def __init__(self) -> None:
        self._seen: set[tuple[str, int, int, int, str]] = set()
        self._lock = threading.Lock()

    def check(self, folder: Path, name: str, entry: dict[str, Any]) -> None:
        path = os.path.join(folder, name)
        info = os.stat(path)  # FileNotFoundError: told apart by the caller
        key = (path, info.st_ino, info.st_size, info.st_mtime_ns, entry["crc32"])
        with self._lock:
            if key in self._seen:
                return
        if info.st_size != entry["size"]:
            raise _Mismatch(f"{name} has {info.st_size} bytes, the manifest says "
                            f"{entry['size']}")
        if checksum(path) != (entry["size"], entry["crc32"]):
            raise _Mismatch(f"{name} does not match its checksum")
        with self._lock:
            self._seen.add(key)


_verified = _Verified()


class _Mismatch(Exception):
    pass


# --- stored documents -------------------------------------------------------------------


class _DocumentColumn:
    """The ``doc`` column (stored documents, as JSON) of each segment of a reader, each
    read on its own. (Whoosh's own column reader over several segments would leave out a
    segment whose column file is missing, shifting the documents of the next ones onto
    its document numbers; a searcher's files are kept open by :mod:`.segments`.)"""

    def __init__(self, reader: Any) -> None:
        self._offsets: list[int] = []
        self._columns: list[Any] = []
        for leaf, offset in reader.leaf_readers():
            if leaf.doc_count_all() == 0:
                continue
            if not leaf.has_column("doc"):
                name = f"{leaf.segment().segment_id()}.doc.col"
                raise FileNotFoundError(errno.ENOENT, "the stored documents are missing", name)
            self._offsets.append(offset)
            self._columns.append(leaf.column_reader("doc", translate=False))
        self._lock = threading.Lock()

    def get(self, docnum: int) -> dict[str, Any]:
        at = bisect_right(self._offsets, docnum) - 1
        with self._lock:  # the column's file may be read by several threads
            data = self._columns[at][docnum - self._offsets[at]] if at >= 0 else b""
        try:
            document = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            document = None
        if not isinstance(document, dict) or not isinstance(document.get("id"), str):
            raise DamagedDataError(f"the stored document {docnum} cannot be read")
        return document


_columns: weakref.WeakKeyDictionary[Any, _DocumentColumn] = weakref.WeakKeyDictionary()
_columns_lock = threading.Lock()


def stored_document(reader: Any, docnum: int) -> dict[str, Any]:
    """The stored fields (id, title, body, metadata...) of document ``docnum``."""
    with _columns_lock:
        column = _columns.get(reader)
    if column is None:  # a reader not opened by VerifiedIndex
        column = _DocumentColumn(reader)
        with _columns_lock:
            _columns[reader] = column
    return column.get(docnum)


# --- Whoosh's storage and index, verified -----------------------------------------------------


class _OpenFiles:
    """The files a storage opened, held until closed: a writer that fails part way
    through closing its files (the disk is full) leaves the others open, and drops its
    own references to some of them. (A writer has a storage of its own.)"""

    def __init__(self) -> None:
        self._files: list[structfile.StructFile] = []
        self._lock = threading.Lock()

    def add(self, file: structfile.StructFile) -> None:
        with self._lock:
            self._files = [f for f in self._files if not f.is_closed]
            self._files.append(file)

    def close_all(self) -> None:
        with self._lock:
            files, self._files = self._files, []
        for file in files:
            with contextlib.suppress(Exception):
                if not file.is_closed:
                    file.close()
            with contextlib.suppress(Exception):
                file.file.close()  # when closing failed part way (a flush on a full disk)


class _TempStorage(FileStorage):
    writing: _OpenFiles

    def create_file(self, name: str, *args: Any, **kwargs: Any) -> structfile.StructFile:
        file = super().create_file(name, *args, **kwargs)
        self.writing.add(file)
        return file


class IndexStorage(FileStorage):
    """A Whoosh file storage that writes the manifest with every commit and opens the
    index verified, with the library's schema."""

    def __init__(self, path: str | os.PathLike[str], schema: Any) -> None:
        super().__init__(str(path))
        self.schema = schema
        self.writing = _OpenFiles()
        #: Hold the files opened for reading too (a writer's storage: merging reads).
        self.track_reads = False

    def create_file(self, name: str, *args: Any, **kwargs: Any) -> structfile.StructFile:
        file = super().create_file(name, *args, **kwargs)
        self.writing.add(file)
        return file

    def temp_storage(self, name: str | None = None) -> FileStorage:
        # The posting pool's files: tracked too.
        temp = _TempStorage(os.path.join(self.folder, name or f"{INDEX_NAME}.tmp"))
        temp.writing = self.writing
        return temp.create()

    def close_files_being_written(self) -> None:
        self.writing.close_all()


    def rename_file(self, oldname: str, newname: str, safe: bool = False) -> None:
        # Whoosh commits by renaming the new TOC into place: the manifest comes first, so
        # a reader that sees the TOC finds it in the manifest.
        if _TOC_NAME.match(newname):
            write_manifest(Path(self.folder), renaming=(oldname, newname))
        super().rename_file(oldname, newname, safe)

    def delete_file(self, name: str) -> None:
        super().delete_file(name)
        # A commit lists every index file present when its TOC takes effect, including
        # those it deletes right after (a writer's unused segment, merged segments): the
        # manifest forgets them, so it lists no file that is not there.
        if is_index_file(name):
            forget_in_manifest(Path(self.folder), name)

    def open_file(self, name: str, **kwargs: Any) -> structfile.StructFile:
        if _TOC_NAME.match(name):
            # Read whole (it is small): Whoosh leaves the file open when reading it fails.
            data = Path(self._fpath(name)).read_bytes()
            return structfile.StructFile(io.BytesIO(data), name=name, **kwargs)
        file = super().open_file(name, **kwargs)
        if self.track_reads:
            self.writing.add(file)
        return file

    def open_index(self, indexname: str = INDEX_NAME, schema: Any = None,
                   indexclass: Any = None) -> VerifiedIndex:
        # What the worker processes of a parallel writer call.
        return VerifiedIndex(self, self.schema, indexname)


class VerifiedIndex(FileIndex):
    """A Whoosh index whose TOC and segment files are checked against the manifest each
    time Whoosh reads the TOC (opening it, opening a reader or a writer)."""

    def __init__(self, storage: IndexStorage, schema: Any, indexname: str = INDEX_NAME) -> None:
        # (FileIndex.__init__ would read the TOC without verifying it.)
        self.storage = storage
        self._schema = schema
        self.indexname = indexname
        self._read_toc()

    def _read_toc(self) -> TOC:
        folder = Path(self.storage.folder)
        for _ in range(_RETRIES):
            generation = TOC._latest_generation(self.storage, self.indexname)
            if generation < 0:
                raise CorruptIndexError(
                    f"index {folder} has no table of contents (_{self.indexname}_N.toc); "
                    f"{rebuild_hint(folder)}"
                )
            try:
                return self._verified_toc(folder, generation)
            except FileNotFoundError as error:
                if TOC._latest_generation(self.storage, self.indexname) == generation:
                    raise CorruptIndexError(
                        f"index {folder} is missing {Path(error.filename or '?').name}; "
                        f"{rebuild_hint(folder)}"
                    ) from None
                # else a commit removed this generation's files while they were being
                # checked: read the new one
        raise CorruptIndexError(
            f"index {folder} changed {_RETRIES} times while it was being opened; try again"
        )

    def read_toc(self, generation: int) -> TOC:
        """The TOC of ``generation``, with its files checked; ``FileNotFoundError`` when
        a commit removed them since (the caller reads the new generation)."""
        return self._verified_toc(Path(self.storage.folder), generation)

    def _verified_toc(self, folder: Path, generation: int) -> TOC:
        manifest = read_manifest(folder)
        toc_name = TOC._filename(self.indexname, generation)
        self._check(folder, manifest, toc_name)
        _check_toc_version(folder / toc_name)
        with reading(folder):
            try:
                toc = TOC.read(self.storage, self.indexname, generation, schema=self._schema)
            except AssertionError:  # the generation inside is not the file name's
                raise DamagedDataError(f"{toc_name} is not the TOC of its generation") from None
        names = os.listdir(folder)
        for segment in toc.segments:
            if not isinstance(segment, whoosh3.W3Segment) or not re.fullmatch(
                rf"{self.indexname}_[0-9a-z]+", str(segment.segment_id())
            ):
                raise CorruptIndexError(
                    f"index {folder} lists a segment that is not one ({segment!r}); "
                    f"{rebuild_hint(folder)}"
                )
            prefix = segment.segment_id() + "."
            listed = [name for name in manifest if name.startswith(prefix)]
            present = [name for name in names if name.startswith(prefix)]
            if not listed:
                raise CorruptIndexError(
                    f"index {folder}: the manifest lists no file of segment "
                    f"{segment.segment_id()}; {rebuild_hint(folder)}"
                )
            for name in sorted(set(listed) | set(present)):
                self._check(folder, manifest, name)
        return toc

    def _check(self, folder: Path, manifest: dict[str, Any], name: str) -> None:
        entry = manifest.get(name)
        if entry is None:
            if not (folder / name).exists():
                raise FileNotFoundError(2, "No such file", name)
            raise CorruptIndexError(
                f"index {folder} has a file its manifest does not list ({name}); "
                f"{rebuild_hint(folder)}"
            )
        try:
            _verified.check(folder, name, entry)
        except _Mismatch as error:
            raise CorruptIndexError(
                f"index {folder} is damaged: {error}; {rebuild_hint(folder)}"
            ) from None


# Files a writer makes on the way to a commit: a TOC before its rename, a manifest before
# its rename, the posting pool's directory.
_TEMPORARY = re.compile(
    rf"^(_{INDEX_NAME}_\d+\.toc\.[\d.]+|{re.escape(MANIFEST_FILE)}\.\d+\.tmp|{INDEX_NAME}\.tmp)$"
)


def is_temporary_file(name: str) -> bool:
    """A file a commit writes on its way, left behind when it fails part way."""
    return bool(_TEMPORARY.match(name))


def _check_toc_version(path: Path) -> None:
    """Refuse a TOC of another format before Whoosh reads it: Whoosh reads older formats
    with an unpickler of its own, which the restriction would not cover."""
    try:
        with path.open("rb") as stream:
            header = structfile.StructFile(stream)
            for _ in range(3):
                header.read_varint()  # sizes of int, long and float
            marker, version = header.read_int(), header.read_int()
    except FileNotFoundError:
        raise  # removed by a commit since the listing: the caller reads the new one
    except (OSError, struct.error, EOFError, IndexError) as error:
        raise CorruptIndexError(
            f"cannot read the header of {path} ({error}); {rebuild_hint(path.parent)}"
        ) from None
    if marker != -12345 or version != whoosh_index._CURRENT_TOC_VERSION:
        raise CorruptIndexError(
            f"{path} is not a table of contents this version reads (format {version}); "
            f"{rebuild_hint(path.parent)}"
        )


def create_index(path: Path, schema: Any) -> VerifiedIndex:
    storage = IndexStorage(path, schema)
    try:
        TOC.create(storage, schema, INDEX_NAME)  # the first TOC: its rename writes the manifest
    except BaseException:
        storage.close_files_being_written()
        raise
    return VerifiedIndex(storage, schema, INDEX_NAME)


def open_index(path: Path, schema: Any, for_writing: bool = False) -> VerifiedIndex:
    """The index at ``path``; ``for_writing``: with a storage of its own, which holds
    every file it opens, to close them all if the writer fails."""
    storage = IndexStorage(path, schema)
    storage.track_reads = for_writing
    return VerifiedIndex(storage, schema, INDEX_NAME)

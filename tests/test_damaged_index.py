"""Damaged and untrusted indexes.

Every file of an index, truncated, emptied, overwritten in the middle, removed, or joined
by a file that does not belong, makes opening the index fail with a
``CorruptIndexError`` that says how to rebuild it (the CLI prints it on one line and
exits 1), and the rebuild it suggests works. An index crafted to run code when it is
read runs none.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from danvan_search import CorruptIndexError, DanvanError, IncompatibleIndexError, SearchIndex
from danvan_search.cli import main
from danvan_search.schema import FORMAT_VERSION
from danvan_search.storage import MANIFEST_FILE, is_index_file, reading, write_manifest

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
KIEN_GIANG = "004_1d921b9e94ebeb4d"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the seeds, written in two commits (so it has a deletion too)."""
    path = tmp_path_factory.mktemp("template") / "ix"
    pages = [{"id": page.stem, "body": page.read_text(encoding="utf-8")}
             for page in sorted(SEEDS.glob("*.txt"))]
    with SearchIndex.create(path) as ix:
        ix.index_documents(pages, pages=True)
        ix.add([{"id": "extra", "body": "Mặt trận Tổ quốc", "date": "2020-01-01"}])
        ix.delete(["extra"])
    return path


@pytest.fixture
def copy(template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "ix"
    shutil.copytree(template, path)
    return path


def index_files(path: Path) -> list[str]:
    """One file of each kind: the TOC, the terms and postings, each column."""
    names = sorted(os.listdir(path))
    kinds: dict[str, str] = {}
    for name in names:
        if name.startswith("_MAIN_") or (name.startswith("MAIN_") and "WRITELOCK" not in name):
            kinds.setdefault(name.split(".", 1)[1] if name.startswith("MAIN_") else "toc", name)
    return sorted(kinds.values())


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def empty(path: Path) -> None:
    path.write_bytes(b"")


def garble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    for i in range(middle, min(len(data), middle + 4)):
        data[i] ^= 0x5A  # four bytes flipped in the middle, the size unchanged
    path.write_bytes(bytes(data))


def remove(path: Path) -> None:
    path.unlink()


DAMAGES: dict[str, Callable[[Path], None]] = {
    "truncated": truncate, "emptied": empty, "garbled": garble, "removed": remove,
}


def test_the_template_has_every_kind_of_file(template: Path):
    kinds = {name.split(".", 1)[-1] for name in index_files(template)}
    assert {"toc", "trm", "pst", "pairs", "id.col", "content_hash.col", "doc.col",
            "date.col", "_body_len.col"} <= kinds
    with SearchIndex.open(template) as ix:
        assert len(ix) == 5 and ix.search("Giồng Riềng")[0].id == KIEN_GIANG


def expect_corrupt(path: Path) -> CorruptIndexError:
    with pytest.raises(CorruptIndexError) as info, SearchIndex.open(path) as ix:
        ix.search("dân vận", facets=True)
        ix.get(KIEN_GIANG)
        ix.stats()
    message = str(info.value)
    assert f"danvan-search index --index {path} --overwrite" in message
    return info.value


def rebuild_works(path: Path) -> None:
    """The command the error suggests works (on one small file, to keep tests quick)."""
    source = path.parent / "rebuild.jsonl"
    source.write_text(json.dumps({"id": KIEN_GIANG, "body": "Mô hình ở huyện Giồng Riềng."},
                                 ensure_ascii=False) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["index", "--index", str(path), "--overwrite",
                                       str(source)])
    assert result.exit_code == 0, result.output
    assert "1 added" in result.stdout
    with SearchIndex.open(path) as ix:
        assert [h.id for h in ix.search("Giồng Riềng")] == [KIEN_GIANG]


@pytest.mark.parametrize("damage", list(DAMAGES))
@pytest.mark.parametrize("kind", ["toc", "trm", "pst", "pairs", "id.col", "content_hash.col",
                                  "doc.col", "date.col", "_body_len.col", "_stored.col"])
def test_every_damage_of_every_file_is_reported(copy: Path, kind: str, damage: str):
    name = next(n for n in index_files(copy) if n.endswith("." + kind))
    DAMAGES[damage](copy / name)
    error = expect_corrupt(copy)
    assert isinstance(error, DanvanError)
    rebuild_works(copy)


@pytest.mark.parametrize("damage", ["truncated", "emptied", "garbled", "removed", "not json"])
def test_a_damaged_manifest(copy: Path, damage: str):
    if damage == "not json":
        (copy / MANIFEST_FILE).write_text("[1, 2, 3]")
    else:
        DAMAGES[damage](copy / MANIFEST_FILE)
    expect_corrupt(copy)
    rebuild_works(copy)


def test_the_manifest_lists_exactly_the_files_there(copy: Path):
    """Files a commit deletes right after its TOC takes effect (a writer's unused
    segment, merged segments) leave the manifest too: an entry never names a file that
    is not there, so damage to any entry is noticed."""
    listed = set(json.loads((copy / MANIFEST_FILE).read_text(encoding="utf-8"))["files"])
    assert listed == {name for name in os.listdir(copy) if is_index_file(name)}
    with SearchIndex.open(copy) as ix:
        ix.optimize()
    listed = set(json.loads((copy / MANIFEST_FILE).read_text(encoding="utf-8"))["files"])
    assert listed == {name for name in os.listdir(copy) if is_index_file(name)}


def test_a_file_the_manifest_does_not_list(copy: Path):
    segment = next(n for n in index_files(copy) if n.endswith(".pst")).split(".")[0]
    (copy / f"{segment}.extra.col").write_bytes(b"\x00" * 16)
    assert "does not list" in str(expect_corrupt(copy))
    rebuild_works(copy)


@pytest.mark.parametrize("content", ["[1, 2, 3]", "", '{"format_version": "x"}'])
def test_a_damaged_metadata_file(copy: Path, content: str):
    (copy / "danvan.json").write_text(content)
    with pytest.raises((CorruptIndexError, IncompatibleIndexError), match="--overwrite"):
        SearchIndex.open(copy)
    rebuild_works(copy)


def test_an_index_of_an_older_format_says_how_to_rebuild(copy: Path):
    meta = json.loads((copy / "danvan.json").read_text())
    older = FORMAT_VERSION - 1
    (copy / "danvan.json").write_text(json.dumps({**meta, "format_version": older}))
    pattern = rf"format {older}.*needs format {FORMAT_VERSION}.*--overwrite"
    with pytest.raises(IncompatibleIndexError, match=pattern):
        SearchIndex.open(copy)
    rebuild_works(copy)


@pytest.mark.parametrize("command", [["search", "dân vận"], ["show", KIEN_GIANG], ["stats"],
                                     ["delete", KIEN_GIANG], ["index", str(SEEDS)]])
def test_cli_says_it_in_one_line(copy: Path, command: list[str]):
    garble(copy / next(n for n in index_files(copy) if n.endswith(".pst")))
    result = CliRunner().invoke(main, [command[0], "--index", str(copy), *command[1:]])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: index ")
    assert "--overwrite" in lines[0]


@pytest.mark.parametrize("content", [b"not a file of pairs", b"", b"{}" + bytes(8) + b"DVPAIRS1",
                                     b'{"version": 1, "fields": {"body_p": {"terms": 3}}}'
                                     + (51).to_bytes(8, "little") + b"DVPAIRS1"])
def test_a_pairs_file_that_is_not_one_is_reported_when_the_manifest_agrees(copy: Path,
                                                                          content: bytes):
    """The manifest guards against damage; a file of pairs that is not one (written
    with its checksum) is still reported, not read out of bounds."""
    name = next(n for n in index_files(copy) if n.endswith(".pairs"))
    (copy / name).write_bytes(content)
    (copy / MANIFEST_FILE).unlink()
    write_manifest(copy)
    error = expect_corrupt(copy)
    assert isinstance(error, DanvanError)


def test_damage_after_opening_is_reported_at_the_next_commit(copy: Path):
    with SearchIndex.open(copy) as ix:
        assert len(ix) == 5
        garble(copy / next(n for n in index_files(copy) if n.endswith(".trm")))
        with pytest.raises(CorruptIndexError, match="--overwrite"):
            ix.add([{"id": "new", "body": "Hội nghị"}])


# --- indexes crafted to run code ---------------------------------------------------------------


class _RunsCode:
    """Unpickled, this would create the file ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').close()",))


def write_toc(path: Path, schema_pickle: bytes, segments_pickle: bytes,
              version: int = -111) -> None:
    """A TOC file as Whoosh writes one, with the given pickles in it."""
    from whoosh.filedb.structfile import StructFile
    from whoosh.system import _FLOAT_SIZE, _INT_SIZE, _LONG_SIZE

    buffer = io.BytesIO()
    stream = StructFile(buffer)
    for size in (_INT_SIZE, _LONG_SIZE, _FLOAT_SIZE):
        stream.write_varint(size)
    stream.write_int(-12345)
    stream.write_int(version)
    for number in (2, 7, 5):
        stream.write_varint(number)
    stream.write_string(schema_pickle)
    generation = int(path.name.split("_")[2].split(".")[0])
    stream.write_int(generation)
    stream.write_int(0)
    stream.file.write(segments_pickle)
    path.write_bytes(buffer.getvalue())


def toc_of(path: Path) -> Path:
    return path / next(n for n in os.listdir(path) if n.startswith("_MAIN_"))


def resign(path: Path) -> None:
    """Make the manifest match the files, as someone crafting an index would."""
    (path / MANIFEST_FILE).unlink()
    write_manifest(path)


def test_a_crafted_segment_list_runs_no_code(copy: Path, tmp_path: Path):
    marker = tmp_path / "ran"
    from whoosh.index import TOC

    segments = TOC.read(
        __import__("whoosh.filedb.filestore", fromlist=["x"]).FileStorage(str(copy)), "MAIN"
    ).segments
    write_toc(toc_of(copy), pickle.dumps(None), pickle.dumps([_RunsCode(marker), *segments]))
    resign(copy)
    error = expect_corrupt(copy)
    assert "not index data" in str(error) and "trusted source" in str(error)
    assert not marker.exists()
    rebuild_works(copy)


def test_a_crafted_schema_is_never_read(copy: Path, tmp_path: Path):
    marker = tmp_path / "ran"
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC

    segments = TOC.read(FileStorage(str(copy)), "MAIN").segments
    write_toc(toc_of(copy), pickle.dumps(_RunsCode(marker)), pickle.dumps(segments))
    resign(copy)
    with SearchIndex.open(copy) as ix:  # the library uses its own schema
        assert ix.search("Giồng Riềng")[0].id == KIEN_GIANG
        assert ix.get(KIEN_GIANG).title.startswith("Kiên Giang")
        ix.add([{"id": "new", "body": "Hội nghị"}])  # writers too
    assert not marker.exists()


def test_a_toc_of_an_older_whoosh_format_is_not_read(copy: Path, tmp_path: Path):
    # Whoosh reads format -110 with an unpickler of its own: refused before that.
    marker = tmp_path / "ran"
    write_toc(toc_of(copy), pickle.dumps(_RunsCode(marker)), pickle.dumps([]), version=-110)
    resign(copy)
    assert "not a table of contents this version reads" in str(expect_corrupt(copy))
    assert not marker.exists()


def test_postings_are_unpickled_as_data_only(tmp_path: Path):
    from whoosh.codec import whoosh3
    from whoosh.filedb import structfile

    marker = tmp_path / "ran"
    payload = pickle.dumps(_RunsCode(marker), 2)
    with pytest.raises(CorruptIndexError, match="not index data"), reading(tmp_path):
        whoosh3.loads(payload)
    with pytest.raises(CorruptIndexError, match="not index data"), reading(tmp_path):
        structfile.load_pickle(io.BytesIO(payload))
    assert not marker.exists()
    # What Whoosh writes still reads back.
    data = (3, (1, 2), b"\x00\xff", {4, 5}, 1.5, None)
    with reading(tmp_path):
        assert whoosh3.loads(pickle.dumps(data, 2)) == data


def test_other_whoosh_users_in_the_process_are_not_restricted(tmp_path: Path):
    import datetime as dt

    from whoosh.codec import whoosh3

    SearchIndex.create(tmp_path / "ix").close()  # the restriction is installed by now
    value = {"when": dt.date(2021, 3, 5)}  # a class a danvan index never holds
    assert whoosh3.loads(pickle.dumps(value, 2)) == value

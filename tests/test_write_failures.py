"""A write that fails (a full disk, an interrupt) keeps the index at its last commit,
leaves none of its files behind, says so in one line, and the next run works.

The disk fills up for real in these tests' place: every file Whoosh opens for writing
(in this process, or in the worker processes of a parallel run, which inherit it) fails
with ENOSPC once it has written a given number of bytes.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from danvan_search import DanvanError, IndexWriteError, SearchIndex
from danvan_search.cli import main

DOCS = [
    {"id": f"d{i}", "title": f"Tin số {i}", "body": f"Ban Dân vận Tỉnh ủy họp lần thứ {i}."}
    for i in range(40)
]


class _FullDisk:
    """A file opened for writing whose writes fail once ``budget`` bytes are spent."""

    def __init__(self, file, state: dict) -> None:
        self._file = file
        self._state = state

    def write(self, data) -> int:
        if self._state["applies"]():
            self._state["budget"] -= len(data)
            if self._state["budget"] < 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._file.write(data)

    def __getattr__(self, name):
        return getattr(self._file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self._file.close()


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch):
    """``full_disk(budget, workers_only=False)``: from now on the disk holds ``budget``
    more bytes (in each process); ``full_disk(None)`` frees it."""
    import builtins

    from whoosh.filedb import filestore

    parent = os.getpid()
    state: dict = {"budget": 0, "applies": lambda: False}

    def limited_open(path, mode="r", *args, **kwargs):
        file = builtins.open(path, mode, *args, **kwargs)  # noqa: SIM115 - returned open
        return _FullDisk(file, state) if "w" in mode or "a" in mode else file

    monkeypatch.setattr(filestore, "open", limited_open, raising=False)

    def fill(budget: int | None, workers_only: bool = False) -> None:
        state["budget"] = budget or 0
        if budget is None:
            state["applies"] = lambda: False
        elif workers_only:
            state["applies"] = lambda: os.getpid() != parent
        else:
            state["applies"] = lambda: True

    return fill


def snapshot(path: Path) -> list[str]:
    return sorted(os.listdir(path))


@pytest.fixture
def indexed(tmp_path: Path) -> Path:
    path = tmp_path / "ix"
    with SearchIndex.create(path) as ix:
        ix.add([{"id": "kept", "body": "Công tác dân vận ở cơ sở", "date": "2021-03-05"}])
    return path


def assert_kept(path: Path) -> None:
    with SearchIndex.open(path) as ix:
        assert ix.ids() == ["kept"]
        assert [h.id for h in ix.search("dân vận")] == ["kept"]


@pytest.mark.parametrize("budget", [0, 2_000, 20_000])
@pytest.mark.parametrize("procs", [1, 2])
def test_a_full_disk_keeps_the_last_commit_and_leaves_no_files(
    indexed: Path, full_disk, budget: int, procs: int, capfd: pytest.CaptureFixture
):
    before = snapshot(indexed)
    with SearchIndex.open(indexed) as ix:
        full_disk(budget)
        with pytest.raises(IndexWriteError) as info:
            ix.index_documents(DOCS, procs=procs)
        full_disk(None)
        error = info.value
        assert isinstance(error, DanvanError) and isinstance(error, OSError)
        assert error.errno == errno.ENOSPC
        assert str(error) == (
            f"cannot write to index {indexed} (No space left on device); it keeps its last "
            "commit: free some space and run again"
        )
        assert snapshot(indexed) == before  # no segment, TOC or temporary file left
        assert len(ix) == 1
        # once there is space again, the same run works, in the same process
        assert ix.index_documents(DOCS, procs=procs).added == 40
        assert len(ix) == 41
    assert "Traceback" not in capfd.readouterr().err  # not even from a worker process


def test_a_worker_process_that_fails_fails_the_run(indexed: Path, full_disk, capfd):
    # Whoosh alone would print the worker's traceback, then commit without its documents.
    before = snapshot(indexed)
    with SearchIndex.open(indexed) as ix:
        full_disk(0, workers_only=True)
        with pytest.raises(IndexWriteError, match="No space left on device"):
            ix.index_documents(DOCS, procs=2)
        full_disk(None)
        assert snapshot(indexed) == before and len(ix) == 1
    assert_kept(indexed)
    assert "Traceback" not in capfd.readouterr().err


def test_a_failure_while_committing(indexed: Path, monkeypatch: pytest.MonkeyPatch):
    from danvan_search import storage

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    before = snapshot(indexed)
    with SearchIndex.open(indexed) as ix:
        monkeypatch.setattr(storage, "write_manifest", no_space)  # just before the TOC
        with pytest.raises(IndexWriteError):
            ix.add(DOCS)
        monkeypatch.undo()
        assert snapshot(indexed) == before
        ix.add(DOCS)
        assert len(ix) == 41


def test_creating_an_index_on_a_full_disk_leaves_nothing(tmp_path: Path, full_disk):
    full_disk(0)
    with pytest.raises(IndexWriteError, match="cannot create an index"):
        SearchIndex.create(tmp_path / "new")
    full_disk(None)
    assert not (tmp_path / "new").exists()
    SearchIndex.create(tmp_path / "new").close()


def test_cli_one_line_then_the_next_run_works(indexed: Path, full_disk, tmp_path: Path):
    import json

    docs = tmp_path / "docs.jsonl"
    docs.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in DOCS) + "\n",
                    encoding="utf-8")
    runner = CliRunner()
    full_disk(0)
    result = runner.invoke(main, ["index", "--index", str(indexed), str(docs)])
    full_disk(None)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines() == [
        f"Error: cannot write to index {indexed} (No space left on device); it keeps its "
        "last commit: free some space and run again"
    ]
    assert_kept(indexed)
    again = runner.invoke(main, ["index", "--index", str(indexed), str(docs)])
    assert again.exit_code == 0 and "40 added" in again.stdout


def test_an_interrupted_run_leaves_no_files(indexed: Path):
    before = snapshot(indexed)

    def documents():
        yield from DOCS[:10]
        raise KeyboardInterrupt

    with SearchIndex.open(indexed) as ix:
        with pytest.raises(KeyboardInterrupt):
            ix.index_documents(documents(), procs=1)
        assert snapshot(indexed) == before
        with pytest.raises(KeyboardInterrupt):
            ix.index_documents(documents(), procs=2)
        assert snapshot(indexed) == before
    assert_kept(indexed)


def test_any_failure_of_a_worker_process_fails_the_run(
    indexed: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture
):
    from danvan_search import schema

    parent, analyse = os.getpid(), schema._analysis_of

    def breaks_in_workers(text: str):
        if os.getpid() != parent and "BOOM" in text:
            raise ValueError("cannot analyse BOOM")
        return analyse(text)

    monkeypatch.setattr(schema, "_analysis_of", breaks_in_workers)
    before = snapshot(indexed)
    with SearchIndex.open(indexed) as ix:
        with pytest.raises(IndexWriteError) as info:
            ix.index_documents([*DOCS, {"id": "boom", "body": "BOOM"}], procs=2)
        assert str(info.value) == (
            f"indexing into {indexed} failed in a worker process (ValueError: cannot analyse "
            "BOOM); the index keeps its last commit"
        )
        assert snapshot(indexed) == before and len(ix) == 1
    assert "Traceback" not in capfd.readouterr().err


def test_building_on_a_full_disk(indexed: Path, full_disk, tmp_path: Path):
    import json

    docs = tmp_path / "docs.jsonl"
    docs.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in DOCS) + "\n",
                    encoding="utf-8")
    before = sorted(os.listdir(tmp_path))
    full_disk(0)
    with pytest.raises(IndexWriteError) as info:
        SearchIndex.build(tmp_path / "new", [docs])
    assert str(info.value) == (
        f"cannot build the index at {tmp_path / 'new'} (No space left on device); none was "
        "made: free some space and run again"
    )
    assert sorted(os.listdir(tmp_path)) == before  # no index, no half-built one aside
    with pytest.raises(IndexWriteError, match="it is as it was"):
        SearchIndex.build(indexed, [docs], overwrite=True)
    full_disk(None)
    assert_kept(indexed)
    assert SearchIndex.build(tmp_path / "new", [docs]).added == 40

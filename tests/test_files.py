"""Indexing files: ids that do not depend on how a file was named, keeping an index in
step with a folder, and runs that index nothing leaving nothing behind."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from danvan_search import SearchIndex
from danvan_search.cli import main

ARTICLE = "Ban Dân vận Tỉnh ủy tổ chức hội nghị tổng kết công tác dân vận năm {}."


def run(*args: str, cwd: Path | None = None) -> str:
    previous = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, list(args))
    finally:
        os.chdir(previous)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def news(tmp_path: Path) -> Path:
    root = tmp_path / "news"
    (root / "2006").mkdir(parents=True)
    (root / "2005" / "thang1").mkdir(parents=True)
    (root / "2006" / "index.txt").write_text(ARTICLE.format(2006), encoding="utf-8")
    (root / "2005" / "thang1" / "index.txt").write_text(ARTICLE.format(2005), encoding="utf-8")
    (root / "2005" / "index.md").write_text(ARTICLE.format("2005 md"), encoding="utf-8")
    (root / "2005" / "index.txt").write_text(ARTICLE.format("2005 txt"), encoding="utf-8")
    return root


def test_a_file_has_one_id_however_it_is_named(news: Path, tmp_path: Path):
    index = str(tmp_path / "ix")
    expected = sorted(p.resolve().as_posix() for p in news.rglob("*") if p.is_file())
    assert run("index", "--index", index, "news/", cwd=tmp_path).endswith(
        ": 4 added, 0 updated, 0 unchanged, 0 skipped\n")
    # The same files named another way, from another directory: the same documents.
    for cwd, named in [(news / "2006", "index.txt"), (news, "2005/thang1/index.txt"),
                       (tmp_path, str(news / "2005" / "index.md")),
                       (news / "2005" / "thang1", "../../2006/index.txt")]:
        assert run("index", "--index", index, named, cwd=cwd).endswith(
            ": 0 added, 0 updated, 1 unchanged, 0 skipped\n")
    with SearchIndex.open(index) as ix:
        assert ix.ids() == expected  # index.txt twice and index.md: no two collide
        assert ix.get((news / "2005" / "thang1" / "index.txt").resolve().as_posix()).body == (
            ARTICLE.format(2005))
    shown = run("show", "--index", index, "index.txt", cwd=news / "2006")
    assert ARTICLE.format(2006) in shown


def test_sync_removes_the_documents_of_files_that_are_gone(news: Path, tmp_path: Path):
    index = str(tmp_path / "ix")
    jsonl = tmp_path / "extra.jsonl"
    jsonl.write_text(json.dumps({"id": "j1", "body": "Mặt trận Tổ quốc"}) + "\n",
                     encoding="utf-8")
    run("index", "--index", index, str(news), str(jsonl))
    (news / "2006" / "index.txt").unlink()
    (news / "2005" / "index.md").rename(news / "2005" / "renamed.md")
    (news / "2005" / "index.txt").write_text("", encoding="utf-8")  # now unreadable: kept
    out = run("index", "--index", index, "--sync", str(news))
    assert out.endswith(": 1 added, 0 updated, 1 unchanged, 1 skipped, 2 deleted\n")
    with SearchIndex.open(index) as ix:
        root = news.resolve().as_posix()
        assert ix.ids() == [f"{root}/2005/index.txt", f"{root}/2005/renamed.md",
                            f"{root}/2005/thang1/index.txt", "j1"]
    # Without --sync nothing is removed; with nothing gone, --sync removes nothing.
    (news / "2005" / "renamed.md").unlink()
    assert run("index", "--index", index, str(news)).endswith(
        ": 0 added, 0 updated, 1 unchanged, 1 skipped\n")
    with SearchIndex.open(index) as ix:
        assert len(ix) == 4
        report = ix.index_sources([news], sync=True)
        assert (report.unchanged, report.deleted, len(ix)) == (1, 1, 3)
        assert ix.index_sources([news], sync=True).deleted == 0


def generation(index: Path) -> list[str]:
    return sorted(name for name in os.listdir(index) if name.endswith(".toc"))


def test_a_run_that_indexes_nothing_leaves_nothing(tmp_path: Path):
    runner = CliRunner()
    missing = runner.invoke(main, ["index", "--index", str(tmp_path / "new" / "ix"),
                                   str(tmp_path / "nothing.txt")])
    assert missing.exit_code == 1
    assert missing.stderr.strip().splitlines()[-1] == (
        "Error: no document could be indexed (see the skipped inputs above)")
    assert os.listdir(tmp_path) == []  # no index, no directory made for it


def test_a_run_that_changes_nothing_commits_nothing(news: Path, tmp_path: Path):
    index = tmp_path / "ix"
    run("index", "--index", str(index), str(news))
    files = sorted(os.listdir(index))
    assert generation(index) == ["_MAIN_1.toc"]
    run("index", "--index", str(index), str(news))
    with SearchIndex.open(index) as ix:
        assert ix.delete("not-there") == 0
        assert ix.delete([]) == 0
        assert ix.add([]) == 0
    assert sorted(os.listdir(index)) == files


def test_overwrite_keeps_the_old_index_until_the_new_one_is_complete(news: Path,
                                                                     tmp_path: Path):
    index = tmp_path / "ix"
    run("index", "--index", str(index), str(news))
    failed = CliRunner().invoke(main, ["index", "--index", str(index), "--overwrite",
                                       str(tmp_path / "nothing")])
    assert failed.exit_code == 1
    with SearchIndex.open(index) as ix:
        assert len(ix) == 4
    one = news / "2006" / "index.txt"
    assert run("index", "--index", str(index), "--overwrite", str(one)).endswith(
        ": 1 added, 0 updated, 0 unchanged, 0 skipped\n")
    with SearchIndex.open(index) as ix:
        assert ix.ids() == [one.resolve().as_posix()]
    assert sorted(os.listdir(tmp_path)) == ["ix", "news"]  # nothing left aside


def test_delete_takes_one_id_as_a_string(tmp_path: Path):
    with SearchIndex.create(tmp_path / "ix") as ix:
        ix.add([{"id": "abc", "body": "Dân vận"}, {"id": "a", "body": "Mặt trận"}])
        assert ix.delete("abc") == 1  # not the ids "a", "b", "c"
        assert ix.ids() == ["a"]


def test_an_index_is_never_built_over_other_files(tmp_path: Path):
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "notes.txt").write_text(ARTICLE.format(2020), encoding="utf-8")
    for extra in ([], ["--overwrite"]):
        result = CliRunner().invoke(main, ["index", "--index", str(documents), *extra,
                                           str(documents / "notes.txt")])
        assert result.exit_code == 1
        assert result.stderr == (f"Error: {documents} exists and holds something other than "
                                 "an index; give a new or empty directory for the index\n")
        assert os.listdir(documents) == ["notes.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    run("index", "--index", str(empty), str(documents / "notes.txt"))
    assert SearchIndex.exists(empty)

"""Creating, opening, updating and locking indexes."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from pathlib import Path

import pytest

from danvan_search import (
    DanvanError,
    Document,
    DocumentNotFoundError,
    IncompatibleIndexError,
    IndexExistsError,
    IndexLockedError,
    IndexNotFoundError,
    InvalidDocumentError,
    SearchIndex,
)


def test_create_open_and_exists(tmp_path: Path):
    path = tmp_path / "news"
    assert not SearchIndex.exists(path)
    SearchIndex.create(path).close()
    assert SearchIndex.exists(path)
    with SearchIndex.open(path) as ix:
        assert len(ix) == 0


def test_create_refuses_to_overwrite_unless_asked(tmp_path: Path):
    path = tmp_path / "news"
    with SearchIndex.create(path) as ix:
        ix.add([{"id": "1", "body": "Ban Dân vận"}])
    with pytest.raises(IndexExistsError, match="overwrite"):
        SearchIndex.create(path)
    with pytest.raises(FileExistsError):  # also the matching builtin
        SearchIndex.create(path)
    with SearchIndex.create(path, overwrite=True) as ix:
        assert len(ix) == 0


def test_open_missing_index_says_how_to_create_one(tmp_path: Path):
    with pytest.raises(IndexNotFoundError, match="danvan-search index") as info:
        SearchIndex.open(tmp_path / "nowhere")
    assert isinstance(info.value, FileNotFoundError)
    assert isinstance(info.value, DanvanError)


def test_incompatible_index_says_how_to_rebuild(tmp_path: Path):
    path = tmp_path / "old"
    SearchIndex.create(path).close()
    meta = json.loads((path / "danvan.json").read_text())
    meta["analysis_version"] = 0
    (path / "danvan.json").write_text(json.dumps(meta))
    with pytest.raises(IncompatibleIndexError, match="--overwrite"):
        SearchIndex.open(path)


def test_add_update_delete_and_len(empty_index: SearchIndex):
    assert empty_index.add([
        {"id": "a", "title": "Hội nghị", "body": "Công tác dân vận năm 2021."},
        Document(id="b", body="Mặt trận Tổ quốc", date=dt.date(2023, 10, 3)),
    ]) == 2
    assert len(empty_index) == 2
    # The same id again replaces the document, never duplicates it.
    assert empty_index.add([{"id": "a", "body": "Thi đua Dân vận khéo."}]) == 1
    assert len(empty_index) == 2
    assert empty_index.get("a").body == "Thi đua Dân vận khéo."
    assert [h.id for h in empty_index.search("dân vận khéo")] == ["a"]
    assert not empty_index.search("hội nghị").hits
    # Unchanged documents are not written again.
    report = empty_index.index_documents([{"id": "a", "body": "Thi đua Dân vận khéo."}])
    assert (report.added, report.updated, report.unchanged) == (0, 0, 1)
    assert empty_index.delete(["a", "missing"]) == 1
    assert len(empty_index) == 1 and "a" not in empty_index and "b" in empty_index
    with pytest.raises(DocumentNotFoundError, match="'a'"):
        empty_index.get("a")


def test_metadata_round_trips(empty_index: SearchIndex):
    empty_index.add([{
        "id": "x", "title": "Tiêu đề", "body": "Nội dung", "date": "2021-03-05",
        "source": "thuathienhue.gov.vn", "url": "https://example.org/x", "category": "tin",
    }])
    doc = empty_index.get("x")
    assert doc.date == dt.date(2021, 3, 5) and doc.source == "thuathienhue.gov.vn"
    assert doc.extra == {"category": "tin"}
    hit = empty_index.search("noi dung")[0]
    assert (hit.title, hit.date, hit.url) == ("Tiêu đề", dt.date(2021, 3, 5), doc.url)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"body": "x"}, '"id"'),
        ({"id": "", "body": "x"}, '"id"'),
        ({"id": "1"}, '"body"'),
        ({"id": "1", "body": 3}, '"body"'),
        ({"id": "1", "body": "x", "date": "32/03/2021"}, "such as 2021-03-05 or 05/03/2021"),
        ({"id": "1", "body": "x", "date": "2021-03-05 hôm qua"}, '"date"'),
        ({"id": "1", "body": "x", "title": 5}, '"title"'),
        ("not a dict", "JSON object"),
    ],
)
def test_invalid_documents_raise_and_commit_nothing(empty_index, doc, message):
    with pytest.raises(InvalidDocumentError, match=message):
        empty_index.add([{"id": "good", "body": "Ban Dân vận"}, doc])
    assert len(empty_index) == 0  # the good one was not committed either


def test_invalid_documents_are_skipped_when_asked(empty_index: SearchIndex):
    report = empty_index.index_documents([{"id": "good", "body": "Dân vận"}, {"id": "bad"}])
    assert report.added == 1 and len(report.skipped) == 1
    assert "'bad'" in report.skipped[0][0] and "body" in report.skipped[0][1]


def test_interrupted_run_leaves_the_last_commit(empty_index: SearchIndex):
    empty_index.add([{"id": "kept", "body": "Đảng bộ tỉnh"}])

    def documents():
        yield {"id": "new", "body": "Mặt trận"}
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        empty_index.add(documents())
    assert len(empty_index) == 1 and "kept" in empty_index and "new" not in empty_index
    empty_index.add([{"id": "after", "body": "Hội nghị"}])  # the lock was released
    assert len(empty_index) == 2


def test_second_writer_waits_then_fails_clearly(tmp_path: Path):
    path = tmp_path / "ix"
    SearchIndex.create(path).close()
    first = SearchIndex.open(path)
    second = SearchIndex.open(path, lock_timeout=0.3)
    started, release = threading.Event(), threading.Event()

    def slow_documents():
        yield {"id": "1", "body": "Ban Dân vận"}
        started.set()
        release.wait(10)

    writer = threading.Thread(
        target=first.index_documents, args=(slow_documents(),), kwargs={"procs": 1}
    )
    writer.start()
    try:
        assert started.wait(10)
        with pytest.raises(IndexLockedError, match="locked"):
            second.add([{"id": "2", "body": "Mặt trận"}])
    finally:
        release.set()
        writer.join()
    second.add([{"id": "2", "body": "Mặt trận"}])  # works once the first has finished
    assert len(second) == 2
    first.close()
    second.close()


def test_concurrent_readers_while_one_writer_adds(tmp_path: Path, monkeypatch):
    """Every reader opens a searcher, then the writer commits an update (merging
    segments away and deleting their files at some commits), then every reader ranks,
    reads stored fields and makes snippets with the searcher it opened: in each round,
    each reader sees exactly the documents of the generation it opened."""
    import danvan_search.index as index_module

    commits, readers = 40, 4
    path = tmp_path / "ix"
    with SearchIndex.create(path) as ix:
        ix.add([{"id": "seed", "body": "Công tác dân vận ở cơ sở"}])
    ix = SearchIndex.open(path, searchers=readers)
    opened, committed = threading.Barrier(readers + 1), threading.Barrier(readers + 1)
    run_search = index_module.run_search

    def paused_search(*args, **kwargs):  # called with a searcher borrowed
        opened.wait(10)
        committed.wait(10)
        return run_search(*args, **kwargs)

    monkeypatch.setattr(index_module, "run_search", paused_search)
    seen: list[list[list[tuple[str, str]]]] = [[] for _ in range(readers)]
    errors: list[BaseException] = []

    def reader(number: int) -> None:
        try:
            for _ in range(commits):
                results = ix.search("dân vận", limit=10)
                seen[number].append(sorted((hit.id, hit.snippet.text) for hit in results))
        except BaseException as error:
            errors.append(error)
            opened.abort()
            committed.abort()

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(readers)]
    for thread in threads:
        thread.start()
    rounds_deleting_files = 0
    try:
        for round_ in range(commits):
            opened.wait(10)  # every reader holds a searcher of this round's generation
            before = {name for name in os.listdir(path) if not name.endswith(".toc")}
            ix.add([{"id": "news", "body": f"Dân vận khéo lần {round_}."}])  # an update
            rounds_deleting_files += bool(before - set(os.listdir(path)))
            committed.wait(10)
    except threading.BrokenBarrierError:
        pass  # a reader failed: its error is asserted below
    for thread in threads:
        thread.join()
    assert not errors
    seed = ("seed", "Công tác dân vận ở cơ sở")
    expected = [[seed]] + [
        [("news", f"Dân vận khéo lần {round_}."), seed] for round_ in range(commits - 1)
    ]
    assert all(reader_saw == expected for reader_saw in seen)
    # Every commit after the first merged away the segment of the document it replaced
    # (deleting its files while readers had them); the readers still read them.
    assert rounds_deleting_files == commits - 1
    monkeypatch.undo()
    assert [hit.id for hit in ix.search("dân vận khéo lần")] == ["news", "seed"]
    ix.close()


def test_open_retries_when_a_commit_replaces_the_generation_it_listed(tmp_path: Path,
                                                                    monkeypatch):
    """A commit between listing the latest table of contents and reading it deletes the
    one listed: opening the index, and a searcher, read the newer one."""
    from whoosh.index import TOC

    path = tmp_path / "ix"
    with SearchIndex.create(path) as ix:
        ix.add([{"id": "1", "body": "Ban Dân vận"}])
    writer = SearchIndex.open(path)
    listed = TOC._latest_generation.__func__
    commits_left = [2]
    committing = threading.Lock()

    def list_then_commit(cls, storage, indexname):
        generation = listed(cls, storage, indexname)
        # Once for opening the index, once for a searcher (not within the commit).
        if commits_left[0] and committing.acquire(blocking=False):
            commits_left[0] -= 1
            writer.add([{"id": f"new{commits_left[0]}", "body": "Mặt trận"}])
            committing.release()
        return generation

    monkeypatch.setattr(TOC, "_latest_generation", classmethod(list_then_commit))
    with SearchIndex.open(path) as ix:
        assert ix.ids() == ["1", "new0", "new1"]
    assert commits_left == [0]
    writer.close()


def test_parallel_indexing_matches_one_process(tmp_path: Path):
    docs = [
        {"id": f"d{i}", "title": f"Tin số {i}", "body": f"Ban Dân vận Tỉnh uỷ họp lần {i}."}
        for i in range(40)
    ] + [{"id": "kheo", "body": "Phong trào thi đua “Dân vận khéo” ở cơ sở."}]
    results = []
    for procs in (1, 2):
        with SearchIndex.create(tmp_path / f"p{procs}") as ix:
            report = ix.index_documents(docs, procs=procs)
            assert report.added == 41 and len(ix) == 41
            hits = ix.search("dan van kheo", limit=50)
            results.append(([h.id for h in hits], [round(h.score, 6) for h in hits]))
    assert results[0] == results[1]
    assert results[0][0][0] == "kheo"


def test_repeated_id_within_one_run_updates_never_duplicates(empty_index: SearchIndex):
    report = empty_index.index_documents([
        {"id": "x", "body": "Mặt trận Tổ quốc"},
        {"id": "y", "body": "Hội nghị"},
        {"id": "x", "body": "Dân vận khéo"},
    ])
    assert (report.added, report.updated) == (2, 1)
    assert len(empty_index) == 2
    assert empty_index.get("x").body == "Dân vận khéo"

"""Creating, opening, updating and locking indexes."""

from __future__ import annotations

import datetime as dt
import json
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
        ({"id": "1", "body": "x", "date": "05/03/2021"}, "ISO date"),
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


def test_concurrent_readers_while_one_writer_adds(tmp_path: Path):
    path = tmp_path / "ix"
    with SearchIndex.create(path) as ix:
        ix.add([{"id": "seed", "body": "Công tác dân vận ở cơ sở"}])
    ix = SearchIndex.open(path)
    errors: list[BaseException] = []
    seen_counts: list[int] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                results = ix.search("dân vận", limit=50)
                assert results.hits and results.hits[0].snippet.text
                seen_counts.append(results.total)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    for batch in range(5):
        ix.add([{"id": f"{batch}-{i}", "body": f"Dân vận khéo số {i}"} for i in range(5)])
    stop.set()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(ix) == 26
    assert ix.search("dân vận", limit=50).total == 26
    assert seen_counts and min(seen_counts) >= 1
    ix.close()


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

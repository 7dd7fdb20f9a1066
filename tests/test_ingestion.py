"""Reading files: encodings, JSONL, and bad inputs skipped with a reason."""

from __future__ import annotations

import io
import json
import unicodedata
from pathlib import Path

import pytest

from danvan_search import Document, SearchIndex
from danvan_search.ingestion import decode_text, read_sources

TEXT = "Ban Dân vận Tỉnh uỷ tổ chức hội nghị.\nĐồng chí Nguyễn Chí Tài phát biểu."
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def to_cp1258(text: str) -> bytes:
    """Encode as old office files did: vowel letters precomposed, tones as combining marks."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in parts if c in TONE_MARKS)
        letter = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONE_MARKS))
        out.append(letter + tones)
    return "".join(out).encode("cp1258")


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom", "cp1258"]
)
def test_encodings_are_decoded(encoding: str):
    if encoding == "utf-16-le-bom":
        data = b"\xff\xfe" + TEXT.encode("utf-16-le")
    elif encoding == "utf-16-be-bom":
        data = b"\xfe\xff" + TEXT.encode("utf-16-be")
    elif encoding == "cp1258":
        data = to_cp1258(TEXT)
    else:
        data = TEXT.encode(encoding)
    decoded = decode_text(data)
    assert unicodedata.normalize("NFC", decoded) == TEXT


def test_windows_1258_file_is_indexed_and_found(tmp_path: Path):
    (tmp_path / "old.txt").write_bytes(to_cp1258(TEXT))
    with SearchIndex.create(tmp_path / "ix") as ix:
        report = ix.index_documents(read_sources([str(tmp_path / "old.txt")]))
        assert report.added == 1
        old = (tmp_path / "old.txt").resolve().as_posix()
        assert [h.id for h in ix.search("Tỉnh ủy")] == [old]
        assert [h.id for h in ix.search("nguyen chi tai")] == [old]


def write_corpus(root: Path) -> None:
    (root / "sub").mkdir(parents=True)
    (root / "good.txt").write_text(TEXT, encoding="utf-8")
    (root / "sub" / "bom.txt").write_bytes(TEXT.encode("utf-8-sig"))
    (root / "sub" / "utf16.txt").write_bytes(TEXT.replace("Tài", "Toàn").encode("utf-16"))
    (root / "empty.txt").write_text("  \n", encoding="utf-8")
    (root / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (root / "picture.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    lines = [
        json.dumps({"id": "j1", "title": "Tin", "body": "Mặt trận Tổ quốc"}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "j2"}),
        "",
        json.dumps({"body": "no id"}),
        json.dumps({"id": "j3", "body": "Đảng bộ tỉnh", "date": "2021-03-05"}),
    ]
    (root / "docs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_directory_indexes_good_files_and_reports_bad_ones(tmp_path: Path):
    write_corpus(tmp_path / "in")
    with SearchIndex.create(tmp_path / "ix") as ix:
        report = ix.index_documents(read_sources([str(tmp_path / "in")]))
        root = (tmp_path / "in").resolve().as_posix()
        assert ix.ids() == [f"{root}/good.txt", f"{root}/sub/bom.txt", f"{root}/sub/utf16.txt",
                            "j1", "j3"]
    reasons = {Path(where.split(":")[0]).name + (where[len(where.split(":")[0]):]): why
               for where, why in report.skipped}
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["binary.txt"]
    assert ".jpg" in reasons["picture.jpg"]
    assert "not valid JSON" in reasons["docs.jsonl:2"]
    assert "body" in reasons["docs.jsonl:3"]
    assert '"id"' in reasons["docs.jsonl:5"]
    assert report.added == 5 and len(report.skipped) == 6


def test_missing_and_unreadable_paths_are_reported(world_readable_tmp: Path, read_unprivileged):
    locked = world_readable_tmp / "locked.txt"
    locked.write_text(TEXT, encoding="utf-8")
    locked.chmod(0)
    missing = world_readable_tmp / "missing.txt"
    assert read_unprivileged([str(missing), str(locked)]) == [
        (str(missing), "no such file or directory"),
        (str(locked), "cannot read: Permission denied"),
    ]


def test_stdin_jsonl():
    stream = io.BytesIO(
        (json.dumps({"id": "s1", "body": "Dân vận khéo"}, ensure_ascii=False) + "\nbad\n").encode()
    )
    items = list(read_sources(["-"], stdin=stream))
    assert isinstance(items[0], Document) and items[0].id == "s1"
    assert items[1][0] == "<stdin>:2"


def test_bad_run_keeps_what_the_index_already_held(tmp_path: Path):
    write_corpus(tmp_path / "in")
    with SearchIndex.create(tmp_path / "ix") as ix:
        ix.add([{"id": "before", "body": "Hội nghị tổng kết"}])
        ix.index_documents(read_sources([str(tmp_path / "in" / "docs.jsonl")]))
        assert "before" in ix and len(ix) == 3

"""Hostile input files: each bad input is skipped (or repaired) and reported with its
file and line, and everything else is indexed. Nothing aborts the run."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from danvan_search import SearchIndex
from danvan_search.analysis import MAX_SEGMENT_CHARS, analyze
from danvan_search.cli import main
from danvan_search.ingestion import decode, read_sources

TEXT = "Ban Dân vận Tỉnh ủy tổ chức hội nghị.\nĐồng chí Nguyễn Chí Tài phát biểu."
GOOD_LINE = json.dumps({"id": "good", "body": "Mặt trận Tổ quốc"}, ensure_ascii=False)


def fid(path: Path) -> str:
    """The id of the document read from a text file: its absolute path."""
    return path.resolve().as_posix()


def index(tmp_path: Path, sources: list[str]):
    with SearchIndex.create(tmp_path / "ix", overwrite=True) as ix:
        report = ix.index_documents(read_sources(sources))
        return report, sorted(ix.ids())


def skipped(report) -> dict[str, str]:
    return dict(report.skipped)


# --- long texts -----------------------------------------------------------------------------


def test_a_long_line_is_segmented_in_bounded_pieces(monkeypatch):
    from danvan_search import analysis

    sentence = "Ban Dân vận Tỉnh ủy phát động phong trào thi đua “Dân vận khéo” ở cơ sở. "
    text = sentence * 400  # 30,000 characters, one line
    pieces: list[str] = []
    segment = analysis.segment_words
    monkeypatch.setattr(analysis, "segment_words", lambda t: pieces.append(t) or segment(t))
    result = analyze(text)
    per_piece = MAX_SEGMENT_CHARS // len(sentence)  # whole sentences that fit in one
    assert len(pieces) == -(-400 // per_piece)
    assert max(map(len, pieces)) == per_piece * len(sentence) <= MAX_SEGMENT_CHARS
    # cut after sentences: every piece ends a sentence, so each is segmented as alone
    assert all(piece.rstrip().endswith(".") for piece in pieces)
    # offsets point into the text as given, and every word of it is there
    assert all(result.text[w.start : w.end] == w.text for w in result.words)
    alone = [w.text for w in analyze(sentence).words]
    assert [w.text for w in result.words] == alone * 400


def test_a_long_line_without_sentences_is_cut_at_spaces():
    text = " ".join(["dân vận"] * 3000)  # 20,999 characters, no sentence end
    result = analyze(text)
    assert [w.text.lower() for w in result.words] == ["dân vận"] * 3000
    assert all(result.text[w.start : w.end] == w.text for w in result.words)


def test_a_long_single_line_file_is_indexed_and_highlighted(tmp_path: Path):
    sentence = "Phong trào thi đua Dân vận khéo được triển khai rộng khắp. "
    body = sentence * 300 + "Mô hình ở xã Hòa Lợi, huyện Giồng Riềng. " + sentence * 300
    (tmp_path / "long.txt").write_text(body, encoding="utf-8")
    report, ids = index(tmp_path, [str(tmp_path / "long.txt")])
    assert ids == [fid(tmp_path / "long.txt")] and not report.skipped
    with SearchIndex.open(tmp_path / "ix") as ix:
        hit = ix.search('"Giồng Riềng"')[0]
        stored = ix.get(hit.id).body
        assert [stored[s:e] for s, e in hit.highlights] == ["Giồng Riềng"]


# --- encodings --------------------------------------------------------------------------------


def test_utf8_cut_inside_a_character_is_read_as_utf8_and_reported(tmp_path: Path):
    data = TEXT.encode("utf-8")
    cut = data[: data.rindex("ể".encode()) + 2]  # ends with 2 of the 3 bytes of "ể"
    text, repair = decode(cut)
    assert text == TEXT[: TEXT.rindex("ể")] + "\ufffd"
    assert repair is not None and "cut inside a character" in repair
    (tmp_path / "cut.txt").write_bytes(cut)
    report, ids = index(tmp_path, [str(tmp_path / "cut.txt")])
    assert ids == [fid(tmp_path / "cut.txt")] and not report.skipped
    assert [Path(where).name for where, _ in report.repaired] == ["cut.txt"]
    with SearchIndex.open(tmp_path / "ix") as ix:
        # Not Windows-1258 mojibake: the Vietnamese words are found as written.
        assert [h.id for h in ix.search('"Nguyễn Chí Tài"')] == ids


def test_a_few_damaged_bytes_in_utf8_text(tmp_path: Path):
    data = TEXT.encode("utf-8").replace(b"h\xe1\xbb\x99i", b"h\xff\xfei", 1)  # "hội"
    text, repair = decode(data)
    assert text == TEXT.replace("hội", "h\ufffd\ufffdi", 1)
    assert repair is not None and "2 byte sequence(s)" in repair


def test_cli_reports_the_repair(tmp_path: Path):
    (tmp_path / "cut.txt").write_bytes(TEXT.encode("utf-8")[:-2] + "ể".encode()[:2])
    result = CliRunner().invoke(main, ["index", "--index", str(tmp_path / "ix"),
                                       str(tmp_path / "cut.txt")])
    assert result.exit_code == 0, result.output
    assert "1 added" in result.stdout
    assert "repaired " in result.stderr and "cut.txt: UTF-8 text cut" in result.stderr


# --- JSONL lines that used to abort the run ---------------------------------------------------


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"id": "big", "body": "x", "n": ' + "1" * 5000 + "}", "not usable JSON"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"id": "s", "body": "Dân vận \\ud800"}', '"body" holds a lone surrogate'),
        ('{"id": "s\\udcff", "body": "Dân vận"}', '"id" holds a lone surrogate'),
        ('{"id": "s", "title": "\\ud800", "body": "Dân vận"}', '"title" holds a lone surrogate'),
        ('{"id": "s", "body": "Dân vận", "tags": ["\\udfff"]}', "lone surrogate"),
    ],
)
def test_a_bad_jsonl_line_is_skipped_with_file_and_line(tmp_path: Path, line: str, reason: str):
    path = tmp_path / "docs.jsonl"
    path.write_text(f"{GOOD_LINE}\n{line}\n" + GOOD_LINE.replace("good", "after") + "\n",
                    encoding="utf-8")
    report, ids = index(tmp_path, [str(path)])
    assert ids == ["after", "good"]
    assert list(skipped(report)) == [f"{path}:2"]
    assert reason in skipped(report)[f"{path}:2"]


# --- file names and directories -------------------------------------------------------------


def test_a_file_name_that_is_not_utf8(tmp_path: Path):
    root = tmp_path / "in"
    root.mkdir()
    (root / "good.txt").write_text(TEXT, encoding="utf-8")
    bad = os.fsdecode(os.fsencode(root) + b"/b\xe1o c\xe1o.txt")  # Latin-1 name
    Path(bad).write_text(TEXT, encoding="utf-8")
    jsonl = os.fsdecode(os.fsencode(root) + b"/tin \xff.jsonl")
    Path(jsonl).write_text(GOOD_LINE.replace("good", "from-jsonl") + "\n{oops\n",
                           encoding="utf-8")
    report, ids = index(tmp_path, [str(root)])
    assert ids == [fid(root / "good.txt"), "from-jsonl"]
    reasons = skipped(report)
    assert reasons[f"{root}/b\\xe1o c\\xe1o.txt"].startswith("the file's path is not valid UTF-8")
    assert "not valid JSON" in reasons[f"{root}/tin \\xff.jsonl:2"]
    result = CliRunner().invoke(main, ["index", "--index", str(tmp_path / "cli"), str(root)])
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert "b\\xe1o c\\xe1o.txt: the file's path is not valid UTF-8" in result.stderr


def _deep_directory(base: Path, depth: int, name_length: int = 200) -> int:
    """Create a chain of ``depth`` directories below ``base`` (relative to open directory
    descriptors: the whole path would be too long for the system calls that take one),
    with a text file at the bottom. Returns the length of the file's full path."""
    fd = os.open(base, os.O_RDONLY)
    try:
        for level in range(depth):
            name = f"{level:03d}" + "d" * (name_length - 3)
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
        file_fd = os.open("deep.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(file_fd, TEXT.encode())
        os.close(file_fd)
    finally:
        os.close(fd)
    return len(str(base)) + depth * (name_length + 1) + len("/deep.txt")


def test_a_subtree_deeper_than_the_path_limit_does_not_stop_the_rest(tmp_path: Path):
    root = tmp_path / "in"
    (root / "a").mkdir(parents=True)
    (root / "a" / "first.txt").write_text(TEXT, encoding="utf-8")
    (root / "z.txt").write_text(TEXT, encoding="utf-8")
    assert _deep_directory(root / "a", 25) > os.pathconf("/", "PC_PATH_MAX")
    report, ids = index(tmp_path, [str(root)])
    assert ids == [fid(root / "a" / "first.txt"), fid(root / "z.txt")]
    assert len(report.skipped) == 1
    where, why = report.skipped[0]
    assert where.startswith(f"{root}/a/000d") and why.endswith("File name too long")


def test_unreadable_directory_and_file_are_reported(world_readable_tmp: Path, read_unprivileged):
    root = world_readable_tmp / "in"
    (root / "private").mkdir(parents=True)
    (root / "private" / "secret.txt").write_text(TEXT, encoding="utf-8")
    (root / "locked.txt").write_text(TEXT, encoding="utf-8")
    (root / "open.txt").write_text(TEXT, encoding="utf-8")
    (root / "private").chmod(0)
    (root / "locked.txt").chmod(0)
    try:
        items = read_unprivileged([str(root), str(root / "locked.txt"),
                                   str(root / "missing.txt")])
    finally:
        (root / "private").chmod(0o755)
    assert items == [
        (str(root / "locked.txt"), "cannot read: Permission denied"),
        fid(root / "open.txt"),
        (str(root / "private"), "cannot list directory: Permission denied"),
        (str(root / "locked.txt"), "cannot read: Permission denied"),
        (str(root / "missing.txt"), "no such file or directory"),
    ]


def test_special_files_are_skipped_not_read(tmp_path: Path):
    root = tmp_path / "in"
    root.mkdir()
    (root / "good.txt").write_text(TEXT, encoding="utf-8")
    os.mkfifo(root / "pipe.txt")  # reading it would wait for a writer forever
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(root / "socket.txt"))
    try:
        report, ids = index(tmp_path, [str(root), str(root / "pipe.txt")])
    finally:
        server.close()
    assert ids == [fid(root / "good.txt")]
    assert skipped(report) == {
        str(root / "pipe.txt"): "not a regular file",
        str(root / "socket.txt"): "not a regular file",
    }
    assert len(report.skipped) == 3  # the pipe twice: in the directory, and named


def test_hidden_files_and_directories_are_left_out(tmp_path: Path):
    root = tmp_path / "in"
    (root / ".git" / "objects").mkdir(parents=True)
    (root / ".git" / "objects" / "x.txt").write_text(TEXT, encoding="utf-8")
    (root / ".notes.txt").write_text(TEXT, encoding="utf-8")
    (root / "good.txt").write_text(TEXT, encoding="utf-8")
    report, ids = index(tmp_path, [str(root)])
    assert ids == [fid(root / "good.txt")] and not report.skipped


def test_a_directory_symlink_loop_is_read_once(tmp_path: Path):
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "doc.txt").write_text(TEXT, encoding="utf-8")
    (root / "sub" / "loop").symlink_to(root)
    (root / "link").symlink_to(root / "sub")
    report, ids = index(tmp_path, [str(root)])
    # once, under its own path (ids resolve symbolic links)
    assert ids == [fid(root / "sub" / "doc.txt")] and not report.skipped

"""The command line, through click's CliRunner."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from danvan_search.cli import main

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
KIEN_GIANG_FILE = "004_1d921b9e94ebeb4d.txt"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def seeded_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory like a fresh clone: seeds/ and no index yet."""
    shutil.copytree(SEEDS, tmp_path / "seeds")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DANVAN_INDEX", raising=False)
    return tmp_path


def test_first_search_builds_the_default_index_from_seeds(runner, seeded_cwd):
    result = runner.invoke(main, ["search", "dan van kheo"])
    assert result.exit_code == 0, result.output
    assert "building it from seeds/" in result.stderr
    assert "[dân vận khéo]" in result.stdout.lower()
    assert (seeded_cwd / "indexes" / "default").is_dir()
    again = runner.invoke(main, ["search", "dan van kheo"])
    assert again.exit_code == 0 and "building" not in again.stderr


def test_search_json_is_machine_readable_with_unescaped_vietnamese(runner, seeded_cwd):
    result = runner.invoke(main, ["search", "--json", "--limit", "2", "Kiên", "Giang"])
    assert result.exit_code == 0
    assert "Kiên Giang" in result.stdout  # not \u escapes
    data = json.loads(result.stdout)
    assert data["hits"][0]["id"] == (seeded_cwd / "seeds" / KIEN_GIANG_FILE).as_posix()
    hit = data["hits"][0]
    start, end = hit["snippet_highlights"][0]
    assert hit["snippet"][start:end] == "Kiên Giang"


def test_no_hits_is_success(runner, seeded_cwd):
    result = runner.invoke(main, ["search", "xyzzyqq"])
    assert result.exit_code == 0 and "No documents match" in result.stdout


def test_index_show_stats_delete(runner, tmp_path: Path):
    index = str(tmp_path / "ix")
    result = runner.invoke(main, ["index", "--index", index, str(SEEDS)])
    assert result.exit_code == 0, result.output
    assert "5 added, 0 updated, 0 unchanged, 0 skipped" in result.stdout
    again = runner.invoke(main, ["index", "--index", index, str(SEEDS)])
    assert "0 added, 0 updated, 5 unchanged" in again.stdout
    kien_giang = str(SEEDS / KIEN_GIANG_FILE)
    show = runner.invoke(main, ["show", "--index", index, kien_giang])
    assert show.exit_code == 0 and "Kiên Giang tăng cường" in show.stdout
    assert f"id:      {SEEDS.as_posix()}/{KIEN_GIANG_FILE}" in show.stdout
    stats = runner.invoke(main, ["stats", "--index", index])
    assert stats.exit_code == 0 and "documents: 5" in stats.stdout
    delete = runner.invoke(main, ["delete", "--index", index, kien_giang, "nope"])
    assert delete.exit_code == 0
    assert delete.stdout == "1 deleted; not in the index: nope\n"
    stats = runner.invoke(main, ["stats", "--index", index])
    assert "documents: 4" in stats.stdout


def test_index_reads_jsonl_from_stdin_and_reports_bad_lines(runner, tmp_path: Path):
    lines = '{"id": "1", "body": "Mặt trận Tổ quốc"}\n{oops\n'
    result = runner.invoke(main, ["index", "--index", str(tmp_path / "ix"), "-"], input=lines)
    assert result.exit_code == 0
    assert "1 added" in result.stdout and "1 skipped" in result.stdout
    assert "<stdin>:2" in result.stderr and "not valid JSON" in result.stderr


def test_index_location_from_environment(runner, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("DANVAN_INDEX", str(tmp_path / "env-ix"))
    assert runner.invoke(main, ["index", str(SEEDS / KIEN_GIANG_FILE)]).exit_code == 0
    result = runner.invoke(main, ["search", "Giồng Riềng"])
    assert result.exit_code == 0 and f"[{SEEDS.as_posix()}/{KIEN_GIANG_FILE}]" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "--index", "/nonexistent/ix", "x"], "no index at /nonexistent/ix"),
        (["show", "--index", "/nonexistent/ix", "1"], "no index"),
        (["search", "--index", "{ix}", " "], "empty query"),
        (["show", "--index", "{ix}", "missing-id"], "no document with id 'missing-id'"),
        (["index", "--index", "{ix}", "/nonexistent/file.txt"], "no document could be indexed"),
    ],
)
def test_errors_are_one_line_exit_1(runner, tmp_path: Path, args, message):
    ix = tmp_path / "ix"
    runner.invoke(main, ["index", "--index", str(ix), str(SEEDS / KIEN_GIANG_FILE)])
    result = runner.invoke(main, [a.replace("{ix}", str(ix)) for a in args])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: ") and message in last


def test_usage_errors_exit_2(runner):
    assert runner.invoke(main, ["search"]).exit_code == 2
    assert runner.invoke(main, ["search", "--limit", "0", "x"]).exit_code == 2
    assert runner.invoke(main, ["nope"]).exit_code == 2


@pytest.mark.parametrize("command", ["index", "search", "show", "stats", "delete", "tokenize"])
def test_every_help_shows_an_example(runner, command: str):
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.stdout and f"danvan-search {command}" in result.stdout


def test_tokenize_shows_streams_with_offsets(runner):
    result = runner.invoke(main, ["tokenize", "--json", "Tỉnh uỷ ban hành 25-NQ/TW"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert {"text": "25-NQ/TW", "start": 17, "end": 25, "kind": "code"} in data["words"]
    exact = {t["term"]: (t["start"], t["end"]) for t in data["exact"]}
    assert exact["ủy"] == (5, 7)  # offsets into the text as typed (old tone style)
    folded = [t["term"] for t in data["folded"]]
    assert "tinh uy" in folded and "25-nq/tw" in folded
    plain = runner.invoke(main, ["tokenize", "Tỉnh uỷ"])
    assert "exact stream" in plain.stdout and "folded stream" in plain.stdout


def test_python_dash_m_works():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "danvan_search", "--help"],
                         capture_output=True, text=True, check=True)
    assert "Search Vietnamese text" in out.stdout


def test_a_query_may_start_with_a_dash(runner, seeds_index_path: Path):
    index = ["--index", str(seeds_index_path)]
    everything = runner.invoke(main, ["search", *index, "--json", "dân vận"])
    excluded = runner.invoke(main, ["search", *index, "--json", "-Huế", "dân vận"])
    assert excluded.exit_code == 0, excluded.output
    hue = {"000_ade4d488ee155d8d", "001_53296adb6bb486b7"}
    all_ids = [hit["id"] for hit in json.loads(everything.stdout)["hits"]]
    assert [hit["id"] for hit in json.loads(excluded.stdout)["hits"]] == [
        i for i in all_ids if i not in hue]
    # Options still work around such words, and after --.
    limited = runner.invoke(main, ["search", *index, "-Huế", "dân vận", "--limit", "1", "-q"])
    assert limited.stdout.startswith("3 documents match; showing 1.\n")
    dashed = runner.invoke(main, ["search", *index, "--", "-hà nội"])
    assert dashed.exit_code == 0 and "No such option" not in dashed.output
    assert runner.invoke(main, ["search", *index, "-hà nội"]).stdout == dashed.stdout


def test_a_closed_pipe_ends_output_quietly(seeds_index_path: Path):
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (`| head -1`) is gone before anything is written
    process = subprocess.run(
        [sys.executable, "-m", "danvan_search", "search", "--index", str(seeds_index_path),
         "dân vận"], stdout=write_end, stderr=subprocess.PIPE, check=False,
    )
    os.close(write_end)
    assert (process.returncode, process.stderr) == (1, b"")


def test_lock_timeout(runner, tmp_path: Path):
    import threading

    from danvan_search import SearchIndex

    index = str(tmp_path / "ix")
    runner.invoke(main, ["index", "--index", index, str(SEEDS / KIEN_GIANG_FILE)])
    started, release = threading.Event(), threading.Event()

    def slow_documents():
        yield {"id": "1", "body": "Ban Dân vận"}
        started.set()
        release.wait(10)

    with SearchIndex.open(index) as ix:
        writer = threading.Thread(target=ix.index_documents, args=(slow_documents(),),
                                  kwargs={"procs": 1})
        writer.start()
        try:
            assert started.wait(10)
            for command in (["index", str(SEEDS)], ["delete", "1"]):
                result = runner.invoke(main, [command[0], "--index", index,
                                              "--lock-timeout", "0.2", *command[1:]])
                assert result.exit_code == 1
                assert result.stderr == (
                    f"Error: index {index} is locked by another writer that did not finish "
                    "within 0.2 s; wait for it and try again\n")
        finally:
            release.set()
            writer.join()


def test_quiet(runner, seeded_cwd: Path):
    (seeded_cwd / "empty.txt").write_text("", encoding="utf-8")
    indexed = runner.invoke(main, ["index", "-q", "seeds", "empty.txt"])
    assert (indexed.exit_code, indexed.stdout) == (0, "")
    assert indexed.stderr == f"skipped {Path('empty.txt')}: empty file\n"
    deleted = runner.invoke(main, ["delete", "--quiet", f"seeds/{KIEN_GIANG_FILE}"])
    assert (deleted.exit_code, deleted.stdout) == (0, "")
    (seeded_cwd / "indexes" / "default").rename(seeded_cwd / "elsewhere")
    searched = runner.invoke(main, ["search", "-q", "Giồng Riềng"])  # builds it again
    assert searched.stderr == "" and searched.stdout.startswith("1 document matches;")


def test_indexing_shows_a_progress_bar_on_a_terminal(runner, tmp_path: Path, monkeypatch):
    import danvan_search.cli as cli

    monkeypatch.setattr(cli, "_terminal", lambda: True)
    result = runner.invoke(main, ["index", "--index", str(tmp_path / "ix"), str(SEEDS)])
    assert "indexing:   0%|          | 0/5 [00:00<?, ?doc/s]" in result.stderr  # total, ETA
    assert "5/5 [" in result.stderr and "doc/s]" in result.stderr.rsplit("5/5", 1)[1]
    assert result.stdout.endswith(": 5 added, 0 updated, 0 unchanged, 0 skipped\n")
    quiet = runner.invoke(main, ["index", "-q", "--index", str(tmp_path / "ix"), str(SEEDS)])
    assert quiet.stderr == quiet.stdout == ""


def test_count_grammar(runner, tmp_path: Path):
    index = str(tmp_path / "ix")
    runner.invoke(main, ["index", "--index", index, str(SEEDS / KIEN_GIANG_FILE)])
    one = runner.invoke(main, ["search", "--index", index, "Giồng Riềng"])
    assert one.stdout.startswith("1 document matches; showing 1.\n")


def test_the_help_example_works_outside_a_checkout(runner, tmp_path: Path, monkeypatch):
    import os
    import subprocess
    import sys

    help_text = runner.invoke(main, ["--help"]).stdout
    assert ("in the directory given with --index, else in $DANVAN_INDEX, else in "
            "indexes/default below the current directory") in " ".join(help_text.split())
    example = help_text.split("Example:\n", 1)[1].split("\n\n", 1)[0]
    commands = [line.strip() for line in example.splitlines()]
    assert len(commands) == 2
    monkeypatch.delenv("DANVAN_INDEX", raising=False)
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    outputs = [
        subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True,
                       text=True, check=True, env={**os.environ, "PATH": path}).stdout
        for command in commands
    ]
    default = Path("indexes") / "default"
    assert outputs[0] == f"{default}: 1 added, 0 updated, 0 unchanged, 0 skipped\n"
    lines = outputs[1].splitlines()
    assert "1 document matches; showing 1." in lines
    assert "1. Thi đua Dân vận khéo  [1]" in lines


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds workers in /proc")
def test_ctrl_c_with_worker_processes(tmp_path: Path):
    """Ctrl-C reaches every process of the terminal's group: one line, no worker
    traceback, no worker left, and the index exactly as it was."""
    import os
    import signal
    import subprocess
    import sys
    import time

    docs = tmp_path / "docs.jsonl"
    body = "Ban Dân vận Tỉnh ủy họp về công tác dân vận ở cơ sở lần thứ {0}. " * 8
    docs.write_text("".join(json.dumps({"id": f"d{i}", "body": body.format(i)},
                                       ensure_ascii=False) + "\n" for i in range(3000)),
                    encoding="utf-8")
    index = tmp_path / "ix"
    runner = CliRunner()
    runner.invoke(main, ["index", "--index", str(index), str(SEEDS / KIEN_GIANG_FILE)])
    before = sorted(os.listdir(index))
    # Two workers, whatever the machine's cores; Ctrl-C handled as in a terminal's
    # foreground job, even where this test runs in the background (which ignores it).
    script = ("import os, signal; os.cpu_count = lambda: 2; "
              "signal.signal(signal.SIGINT, signal.default_int_handler); "
              "from danvan_search.cli import main; main(prog_name='danvan-search')")
    process = subprocess.Popen(
        [sys.executable, "-c", script, "index", "--index", str(index), str(docs)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )

    def workers() -> int:
        count = 0
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            count += int(stat.rsplit(")", 1)[1].split()[1]) == process.pid
        return count

    deadline = time.monotonic() + 60
    while workers() < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1)  # the workers are analysing and writing segment files
    assert process.poll() is None
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert (process.returncode, out, err) == (
        1, b"", b"Error: interrupted; the index keeps its last committed state\n")
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # no worker left behind
    assert sorted(os.listdir(index)) == before


@pytest.mark.parametrize(
    ("command", "status", "expected"),
    [
        (["show", "--index", "{ix}", b"\xff"], 1, "Error: no document with id '\ufffd'"),
        (["delete", "--index", "{ix}", b"\xffa"], 0, "0 deleted; not in the index: \ufffda"),
        (["tokenize", b"d\xc3\xa2n \xff"], 0, "words (1):\n      0:3     word   d\u00e2n"),
        (["search", "--index", "{ix}", b"\xff Giang"], 0, "1 document matches"),
    ],
)
def test_bytes_that_are_not_utf8_on_the_command_line(tmp_path: Path, command, status, expected):
    # Python keeps such bytes as lone surrogates, which cannot be printed or indexed.
    import subprocess
    import sys

    ix = tmp_path / "ix"
    assert CliRunner().invoke(
        main, ["index", "--index", str(ix), str(SEEDS / "004_1d921b9e94ebeb4d.txt")]
    ).exit_code == 0
    args = [a.replace("{ix}", str(ix)) if isinstance(a, str) else a for a in command]
    done = subprocess.run([sys.executable, "-m", "danvan_search", *args], capture_output=True,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    output = (done.stdout + done.stderr).decode("utf-8")
    assert done.returncode == status, output
    assert "Traceback" not in output and expected in output

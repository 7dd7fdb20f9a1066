"""The command line, through click's CliRunner."""

from __future__ import annotations

import json
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

"""Segments: merged as an index grows in many runs, and all at once by optimize()."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from danvan_search import SearchIndex
from danvan_search.analysis import analyze, pair_tuples
from danvan_search.index import IndexStats
from danvan_search.schema import PAIR_FIELD_NAMES
from danvan_search.segments import segments_to_merge


def _docs(start: int, count: int) -> list[dict[str, str]]:
    towns = ("Huế", "Kiên Giang", "Lào Cai", "Thanh Hóa")
    return [
        {"id": f"d{n}", "title": f"Tin số {n}",
         "body": f"Ban Dân vận {towns[n % 4]} họp lần {n}; thi đua dân vận khéo."}
        for n in range(start, start + count)
    ]


def _ranked(ix: SearchIndex, query: str) -> list[tuple[float, str]]:
    """Every hit's score and id, best first (documents with equal scores in id order:
    merging renumbers documents, and ties follow document numbers)."""
    hits = ix.search(query, limit=200)
    return sorted(((round(hit.score, 9), hit.id) for hit in hits), key=lambda h: (-h[0], h[1]))


@pytest.mark.parametrize(("counts", "expected"), [
    # Fewer than 8 small segments: nothing to merge.
    ([(500, 500)] * 7, []),
    # 8 in the lowest tier (under 1,000 live documents): merged.
    ([(500, 500)] * 8, list(range(8))),
    # The big segment stays; the small ones make a full tier.
    ([(40_000, 40_000)] + [(900, 900)] * 8, list(range(1, 9))),
    # Merging the lowest tier fills the next (7 + 1): both merged.
    ([(2000, 2000)] * 7 + [(10, 10)] * 8, list(range(15))),
    # ...but not a tier that is not the next one up.
    ([(10_000, 10_000)] * 7 + [(10, 10)] * 8, list(range(7, 15))),
    # A segment with 30% of its documents deleted is rewritten, even alone.
    ([(40_000, 40_000), (1000, 700)], [1]),
    ([(40_000, 40_000), (1000, 701)], []),
    # A lone whole segment is never copied for nothing.
    ([(300, 300)], []),
])
def test_which_segments_a_commit_merges(counts, expected):
    assert segments_to_merge(counts) == expected


def test_many_small_runs_keep_few_segments_and_rank_as_one_run(tmp_path: Path):
    one_run = SearchIndex.create(tmp_path / "one")
    one_run.add(_docs(0, 60))
    assert one_run.stats().segments == 1
    runs = SearchIndex.create(tmp_path / "runs")
    counts = []
    for start in range(0, 60, 2):  # 30 runs of 2 documents
        runs.add(_docs(start, 2))
        counts.append(runs.stats().segments)
    # A commit finding 8 segments in the lowest tier merges them into its own.
    assert counts == [1, 2, 3, 4, 5, 6, 7, 8] * 3 + [1, 2, 3, 4, 5, 6]
    assert len(runs) == 60
    for query in ("dân vận khéo", "hue", "lần 17", "Tin số 3"):
        assert _ranked(runs, query) == _ranked(one_run, query)
    one_run.close()
    runs.close()


def test_updates_do_not_leave_deleted_documents_behind(tmp_path: Path):
    with SearchIndex.create(tmp_path / "ix") as ix:
        ix.add(_docs(0, 10))
        for _ in range(3):  # each run replaces 4 of the 10 documents
            ix.add([{**doc, "body": doc["body"] + " Cập nhật."} for doc in _docs(0, 4)])
            # The segment lost 40% of its documents: rewritten without them, into the
            # segment of the run.
            assert ix.stats().segments == 1
            assert ix._ix.doc_count_all() == len(ix) == 10
        assert sorted(hit.id for hit in ix.search('"cập nhật"', limit=20)) == [
            "d0", "d1", "d2", "d3"
        ]


def test_optimize_merges_everything_and_changes_no_result(tmp_path: Path):
    with SearchIndex.create(tmp_path / "one") as ix:
        ix.add(_docs(0, 30))
        expected = {q: _ranked(ix, q) for q in ("dân vận khéo", "lao cai", "lần 7")}
    with SearchIndex.create(tmp_path / "ix") as ix:
        for start in range(0, 30, 5):
            ix.add(_docs(start, 5))
        ix.add([{"id": "gone", "body": "Dân vận khéo ở Huế"}])
        ix.delete("gone")  # its segment, all deleted, is dropped by that commit
        assert ix.stats().segments == 6
        assert ix.optimize() == 6
        assert ix.stats().segments == 1
        assert len(ix) == 30 and "gone" not in ix
        assert {q: _ranked(ix, q) for q in expected} == expected
        # Nothing left to merge: no commit.
        generation = ix._ix.latest_generation()
        assert ix.optimize() == 1
        assert ix._ix.latest_generation() == generation


def test_optimize_an_empty_index_commits_nothing(empty_index: SearchIndex):
    assert empty_index.optimize() == 0
    assert empty_index.stats().segments == 0


def test_cli_optimize_and_sizes(tmp_path: Path):
    from click.testing import CliRunner

    from danvan_search.cli import main

    index = tmp_path / "ix"
    with SearchIndex.create(index) as ix:
        for start in range(0, 9, 3):
            ix.add(_docs(start, 3))
    runner = CliRunner()
    before = runner.invoke(main, ["stats", "--index", str(index)])
    assert before.exit_code == 0 and "segments:  3\n" in before.stdout
    result = runner.invoke(main, ["optimize", "--index", str(index)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{index}: 3 segments merged into 1\n"
    again = runner.invoke(main, ["optimize", "--index", str(index)])
    assert again.stdout == f"{index}: nothing to merge\n"
    stats = runner.invoke(main, ["stats", "--index", str(index), "--sizes"])
    assert stats.exit_code == 0 and "segments:  1\n" in stats.stdout
    with SearchIndex.open(index) as ix:
        sizes = ix.sizes()
    # Every file counted once; each text stream's postings are in the postings files.
    assert sum(sizes.files.values()) == sum(
        f.stat().st_size for f in index.iterdir() if f.is_file()
    )
    assert sizes.fields["id"]["terms"] == 9
    assert sizes.fields["body"]["terms"] == len(_terms(index, "body"))
    postings = sum(entry["postings"] for name, entry in sizes.fields.items()
                   if name not in PAIR_FIELD_NAMES)
    assert postings == sizes.files["postings (.pst)"]
    # The pairs, in their own file, are listed and counted like any field's terms.
    pairs = sorted({term for doc in _docs(0, 9)
                    for term, *_ in pair_tuples(analyze(doc["body"]), "exact")})
    assert _terms(index, "body_p") == pairs
    assert sizes.fields["body_p"]["terms"] == len(pairs)
    assert "  postings (.pst) " in stats.stdout and "\n  body_p " in stats.stdout
    assert "  pairs (.pairs) " in stats.stdout


def _terms(index: Path, field: str) -> list[str]:
    with SearchIndex.open(index) as ix, ix._readings.borrow() as reading:
        return list(reading.searcher.reader().field_terms(field))



@pytest.mark.parametrize("procs", [1, 2])
def test_a_merge_interrupted_or_failing_leaves_the_last_commit(tmp_path: Path, monkeypatch,
                                                              procs: int):
    """Merging happens inside the commit: a failure or Ctrl-C part way through it keeps
    the index as it was, segments and files alike, and the next run merges."""
    import os

    from whoosh.writing import SegmentWriter

    path = tmp_path / "ix"
    with SearchIndex.create(path) as ix:
        for start in range(0, 16, 2):
            ix.add(_docs(start, 2))
        assert ix.stats().segments == 8
        files = sorted(os.listdir(path))
        expected = _ranked(ix, "dân vận khéo")
    original = SegmentWriter.add_reader
    merged = []

    def failing(writer, reader):
        if merged:
            raise KeyboardInterrupt  # after the first segment is copied
        merged.append(reader)
        return original(writer, reader)

    monkeypatch.setattr(SegmentWriter, "add_reader", failing)
    new = [*_docs(100, 2), *({"id": f"x{n}", "body": f"Tin thêm {n}"} for n in range(300))]
    with SearchIndex.open(path) as ix:
        with pytest.raises(KeyboardInterrupt):
            ix.index_documents(new, procs=procs)
        assert sorted(os.listdir(path)) == files
        assert ix.stats().segments == 8 and len(ix) == 16
        assert _ranked(ix, "dân vận khéo") == expected
    monkeypatch.undo()
    with SearchIndex.open(path) as ix:
        ix.index_documents(new, procs=procs)
        assert len(ix) == 318
        # The 8 merged into the writer's segment; with 2 processes, each worker wrote one.
        assert ix.stats().segments == {1: 1, 2: 3}[procs]


@pytest.mark.parametrize(("documents", "segments", "advised"), [
    (20_000, 4, True), (19_999, 4, False), (20_000, 3, False), (80_000, 8, True)])
def test_merging_is_advised_for_a_large_index_in_several_segments(
    documents: int, segments: int, advised: bool
):
    stats = IndexStats(Path("ix"), documents, 0, 6, 3, segments)
    assert stats.merge_advised is advised


def test_cli_index_advises_merging_once_it_would_help(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from click.testing import CliRunner

    from danvan_search import index as index_module
    from danvan_search.cli import main

    # Four runs make four segments; as if 40 documents were a large index.
    monkeypatch.setattr(index_module, "ADVISE_MERGE_DOCUMENTS", 40)
    index = tmp_path / "ix"
    runner = CliRunner()
    for start in range(0, 40, 10):
        source = tmp_path / f"part-{start}.jsonl"
        source.write_text("".join(json.dumps(doc, ensure_ascii=False) + "\n"
                                  for doc in _docs(start, 10)), encoding="utf-8")
        result = runner.invoke(main, ["index", "--index", str(index), str(source)])
        assert result.exit_code == 0, result.output
        advice = (f"{index}: 4 segments; `danvan-search optimize --index {index}` merges "
                  "them into one: faster first queries\n")
        assert (advice in result.stderr) is (start == 30)
    stats = runner.invoke(main, ["stats", "--index", str(index)])
    assert "segments:  4 (`danvan-search optimize` merges them: faster first queries)\n" in (
        stats.stdout)
    runner.invoke(main, ["optimize", "--index", str(index)])
    merged = runner.invoke(main, ["stats", "--index", str(index)])
    assert "segments:  1\n" in merged.stdout

"""The pair fields' postings, written as arrays: in runs, in ranges of hashes, merged."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from danvan_search import SearchIndex, pairwriting
from danvan_search.analysis import analyze, pair_tuples
from danvan_search.normalization import fold
from danvan_search.pairstore import term_hash

SYLLABLES = ("dân", "vận", "khéo", "ban", "bàn", "bán", "tỉnh", "ủy", "hòa", "giải",
             "mặt", "trận", "tổ", "quốc", "xã", "phường", "họp", "thi", "đua", "năm")


def _docs(start: int, count: int) -> list[dict[str, str]]:
    rng = random.Random(start)
    return [
        {"id": f"d{n}", "title": f"Tin {rng.choice(SYLLABLES)} {rng.choice(SYLLABLES)}",
         "body": " ".join(rng.choice(SYLLABLES) for _ in range(rng.randint(5, 40)))}
        for n in range(start, start + count)
    ]


def _expected(docs: list[dict[str, str]], field: str, stream: str) -> dict[str, dict[str, int]]:
    """term -> {document id: frequency}, from the analysis itself."""
    found: dict[str, dict[str, int]] = {}
    for doc in docs:
        counts = Counter(t for t, *_ in pair_tuples(analyze(doc[field]), stream))
        for term, freq in counts.items():
            found.setdefault(term, {})[doc["id"]] = freq
    return found


def _stored(index: Path, name: str) -> dict[str, dict[str, int]]:
    """term -> {document id: frequency}, read from every segment's file of pairs; checks
    the file's order on the way: hashes ascending, each term's documents ascending."""
    found: dict[str, dict[str, int]] = {}
    with SearchIndex.open(index) as ix, ix._readings.borrow() as reading:
        for leaf, _ in reading.searcher.reader().leaf_readers():
            field = leaf._terms.pairs.get(name)
            if field is None:
                continue
            ids = leaf.column_reader("id")
            assert np.all(np.diff(field.hashes.astype(np.float64)) >= 0)
            assert field.order.tolist() == list(range(field.terms))  # terms in hash order
            for ordinal, btext in enumerate(field.texts()):
                assert term_hash(btext) == int(field.hashes[ordinal])
                docs, freqs = field.postings(ordinal)
                assert np.all(np.diff(docs.astype(np.int64)) > 0)
                live = [(d, f) for d, f in zip(docs.tolist(), freqs.tolist(), strict=True)
                        if not leaf.is_deleted(d)]
                for docnum, freq in live:
                    found.setdefault(btext.decode(), {})[ids[docnum]] = freq
    return found


@pytest.fixture(params=["one run", "many runs"])
def run_size(request, monkeypatch):
    if request.param == "many runs":  # runs of a few postings, written a few at a time
        monkeypatch.setattr(pairwriting, "RUN_POSTINGS", 7)
        monkeypatch.setattr(pairwriting, "CHUNK_POSTINGS", 5)
    return request.param


@pytest.mark.parametrize("procs", [1, 2])
def test_pair_postings_are_those_of_the_documents(tmp_path: Path, run_size, procs: int):
    docs = _docs(0, 40)
    path = tmp_path / "ix"
    with SearchIndex.create(path) as ix:
        ix.index_documents(docs, procs=procs)
    for field, stream, name in (("body", "exact", "body_p"), ("body", "folded", "body_fp"),
                                ("title", "exact", "title_p")):
        assert _stored(path, name) == _expected(docs, field, stream)


def test_merging_keeps_the_pairs_of_live_documents(tmp_path: Path, run_size):
    path = tmp_path / "ix"
    docs = _docs(0, 12) + _docs(100, 12) + _docs(200, 12)
    with SearchIndex.create(path) as ix:
        for start in (0, 12, 24):
            ix.add(docs[start : start + 12])
        deleted = {"d3", "d104", "d105", "d211"}
        assert ix.delete(sorted(deleted)) == 4
        assert ix.stats().segments == 3
        ix.optimize()
        assert ix.stats().segments == 1
    live = [d for d in docs if d["id"] not in deleted]
    assert _stored(path, "body_p") == _expected(live, "body", "exact")
    assert _stored(path, "body_fp") == _expected(live, "body", "folded")
    # Searching after the merge finds exactly the documents that have what was typed:
    # a pair, each syllable (the merged syllable fields), a phrase (their positions).
    with SearchIndex.open(path) as ix:
        hits = {hit.id for hit in ix.search('"dân vận"', limit=100)}
        assert hits == {d["id"] for d in live
                        if "dân vận" in _expected([d], "body", "exact")
                        or "dân vận" in _expected([d], "title", "exact")}
        for syllable in SYLLABLES:
            # (Typed without accents, a syllable matches its accented forms too.)
            spell = (lambda w: fold(w)) if fold(syllable) == syllable else (lambda w: w)
            hits = {hit.id for hit in ix.search(syllable, limit=100)}
            assert hits == {d["id"] for d in live
                            if syllable in map(spell, f"{d['title']} {d['body']}".lower().split())}
        hits = {hit.id for hit in ix.search('"thi đua năm"', limit=100)}
        assert hits == {d["id"] for d in live if "thi đua năm" in d["body"]}


def test_a_cancelled_writer_leaves_no_runs(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(pairwriting, "RUN_POSTINGS", 7)
    path = tmp_path / "ix"
    with SearchIndex.create(path) as ix:
        ix.add(_docs(0, 3))
        before = sorted(p.name for p in path.iterdir())

        def broken(self, docnum, counts):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(pairwriting.PairPostings, "add", broken)
        with pytest.raises(OSError):
            ix.add(_docs(10, 5))
        assert sorted(p.name for p in path.iterdir()) == before
        assert ix.stats().documents == 3


@pytest.mark.parametrize("text", [
    "Ban Dân vận khéo Tỉnh ủy Thừa Thiên Huế, hoà giải ở cơ sở.",
    "Nghị quyết 25-NQ/TW; covid-19 và 19.200 ca; hòa hoà HÒA",
    "Thu\u0302n lơ\u0323i",  # decomposed (NFD) input
    "",
])
def test_position_postings_are_what_whoosh_makes(text: str):
    """The writer's shortcut for the syllable fields makes exactly Whoosh's postings."""
    from danvan_search.schema import STREAM_FIELDS, build_schema, position_postings

    schema = build_schema()
    for name in (n for pair in STREAM_FIELDS.values() for n in pair):
        field = schema[name]
        assert sorted(position_postings(field, text)) == sorted(field.index(text))

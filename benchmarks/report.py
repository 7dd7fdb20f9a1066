"""Markdown for the benchmark report: machine, figures, ratios and the targets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ablation
import analysis_speed
import ranking

LABELS = {"danvan": "danvan-search", "whoosh": "Whoosh (stock)", "sqlite": "SQLite FTS5",
          "tantivy": "tantivy"}
MET, NOT_MET, UNMEASURED = "met", "**NOT met**", "not measured"


# --- speed ------------------------------------------------------------------------------


def speed_markdown(result: dict[str, Any]) -> str:
    lines = [f"Query set: {result['query_count']} queries (keywords, half typed without "
             "accents; headlines of articles in no index; natural questions), top 10, warm."]
    for label, corpus in result["corpora"].items():
        lines += ["", f"### {label}", "", *_indexing_table(corpus), "",
                  *_query_table(corpus), "", *_ratio_table(corpus), "",
                  *_slowest(corpus)]
    lines += ["", "### Cold start of the CLI", "", _cold_line(result.get("cold_start", {}))]
    return "\n".join(lines)


def _indexing_table(corpus: dict[str, Any]) -> list[str]:
    lines = [
        "| indexing | docs | MB | seconds | docs/s | MB/s | index MB | peak RSS MB "
        "| re-index s | first ÷ re-index | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for procs, seg in corpus["segment"].items():
        lines.append(
            f"| bare word_tokenize, {procs} process{'es' if procs != '1' else ''} "
            f"| {seg['docs']} | {seg['bytes'] / 1e6:.1f} | {seg['seconds']:.1f} "
            f"| {seg['docs_per_s']:.1f} | {seg['mb_per_s']:.3f} | – | – | – | – "
            f"| {_load(seg)} |"
        )
    for name, row in _engines(corpus):
        b = row["build"]
        reindex = f"{b['reindex_s']:.2f}" if "reindex_s" in b else "–"
        speedup = f"{b['build_s'] / b['reindex_s']:.0f}×" if "reindex_s" in b else "–"
        lines.append(
            f"| {LABELS[name]} | {b['docs']} | {b['bytes'] / 1e6:.1f} | {b['build_s']:.1f} "
            f"| {b['docs_per_s']:.1f} | {b['mb_per_s']:.3f} | {b['size_mb']:.1f} "
            f"| {_rss(b)} | {reindex} | {speedup} | {_load(b)} |"
        )
    ours = corpus["engines"].get("danvan", {}).get("build")
    if ours and ours.get("segmenter_s") and ours.get("children_rss_mb", 0) <= 1:
        lines.append(
            f"\nInside the danvan-search build, `word_tokenize` took {ours['segmenter_s']:.1f} s"
            f" = **{ours['segmenter_s'] / ours['build_s']:.0%}** of the indexing time (same "
            "process, same moment: not affected by other load)."
        )
    if ours:
        for procs, seg in corpus["segment"].items():
            lines.append(
                f"\ndanvan-search indexing ÷ bare word_tokenize on {procs} process(es): "
                f"**{ours['docs_per_s'] / seg['docs_per_s']:.0%}** of its throughput."
            )
    return lines


def _rss(build: dict[str, Any]) -> str:
    child = build.get("children_rss_mb", 0.0)
    return f"{build['rss_mb']:.0f} + workers ≤ {child:.0f} each" if child > 1 else (
        f"{build['rss_mb']:.0f}")


def build_rss_bound(build: dict[str, Any], cores: int = 2) -> float:
    """Peak RSS of a build, counting each worker process at the largest worker's peak
    (an upper bound: forked workers share pages with their parent)."""
    child = build.get("children_rss_mb", 0.0)
    return build["rss_mb"] + (cores * child if child > 1 else 0.0)


def _load(row: dict[str, Any]) -> str:
    load = row.get("load")
    return f"{load[0]:.1f} → {load[1]:.1f}" if load else "–"


def loaded(row: dict[str, Any], processes: int) -> bool:
    """Whether other work visibly shared the cores during a measurement (the 1-minute
    load average went well above the processes the measurement itself ran)."""
    load = row.get("load")
    return bool(load) and max(load) > processes + 0.6


def _query_table(corpus: dict[str, Any]) -> list[str]:
    lines = [
        "| queries (ms) | p50 | p95 | p99 | mean | max | keywords p50 / p95 "
        "| headlines p50 / p95 | questions p50 / p95 | first run p50 / p95 | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in _engines(corpus):
        q = row["query"]
        kinds = " | ".join(
            f"{q['kinds'][k]['p50_ms']:.2f} / {q['kinds'][k]['p95_ms']:.2f}"
            if k in q["kinds"] else "–"
            for k in ("keywords", "headline", "question")
        )
        a = q["all"]
        first = q.get("first_run")  # absent from reports made before it was measured
        first_cell = f"{first['p50_ms']:.2f} / {first['p95_ms']:.2f}" if first else "–"
        lines.append(
            f"| {LABELS[name]} | {a['p50_ms']:.2f} | {a['p95_ms']:.2f} | {a['p99_ms']:.2f} "
            f"| {a['mean_ms']:.2f} | {a['max_ms']:.1f} | {kinds} | {first_cell} "
            f"| {q['rss_mb']:.0f} |"
        )
    return lines


def _ratio_table(corpus: dict[str, Any]) -> list[str]:
    ours = corpus["engines"].get("danvan")
    if not ours or "skipped" in ours:
        return []
    lines = [
        "danvan-search ÷ other engine (above 1: ours takes more time or space):",
        "",
        "| vs | build time | index size | peak RSS build | query p50 | query p95 |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in _engines(corpus):
        if name == "danvan":
            continue
        ob, rb = ours["build"], row["build"]
        oq, rq = ours["query"]["all"], row["query"]["all"]
        ratios = (ob["build_s"] / rb["build_s"], ob["size_mb"] / rb["size_mb"],
                  build_rss_bound(ob) / build_rss_bound(rb),
                  oq["p50_ms"] / rq["p50_ms"], oq["p95_ms"] / rq["p95_ms"])
        lines.append(f"| {LABELS[name]} | " + " | ".join(map(_ratio, ratios)) + " |")
    return lines


def _ratio(value: float) -> str:
    # Two significant digits below 1, so that 0.024 does not read as 0.0.
    return f"{value:.2g}" if value < 1 else f"{value:.1f}"


def _slowest(corpus: dict[str, Any]) -> list[str]:
    ours = corpus["engines"].get("danvan")
    if not ours or "skipped" in ours:
        return []
    lines = ["Slowest danvan-search queries:", ""]
    for item in ours["query"]["slowest"][:5]:
        lines.append(f"- {item['ms']:.1f} ms ({item['kind']}): {item['query'][:90]}")
    return lines


def _engines(corpus: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(n, r) for n, r in corpus["engines"].items() if "skipped" not in r]


def _cold_line(cold: dict[str, Any]) -> str:
    if not cold:
        return "Not measured."
    if not cold.get("available"):
        return f"Not measured: the CLI is not usable yet ({cold.get('reason')})."
    return (
        f"`{cold['command']}`: best {cold['best_s']:.2f} s, median {cold['median_s']:.2f} s "
        f"of {5} runs (a bare `python -c pass` takes {cold['python_startup_s']:.2f} s)."
    )


# --- targets ----------------------------------------------------------------------------

Target = tuple[str, str, str]  # (target, measured, status)


def targets(parts: dict[str, Any]) -> list[Target]:
    checks: list[Callable[[dict[str, Any]], list[Target]]] = [
        _ranking_targets, _query_targets, _indexing_targets, _memory_targets,
        _cold_targets, _analysis_targets,
    ]
    found: list[Target] = []
    for check in checks:
        found += check(parts)
    return found


def _status(ok: bool) -> str:
    return MET if ok else NOT_MET


def _ranking_targets(parts: dict[str, Any]) -> list[Target]:
    names = ("Ranking: accented MRR@10 ≥ best other engine + 0.03, every collection",
             "Ranking: unaccented MRR@10 ≥ 0.97 × our accented, every collection",
             "Ranking: accented R@100 ≥ best other engine's, every collection")
    collections = (parts.get("ranking") or {}).get("collections", {})
    margins, ratios, recalls = [], [], []
    for name, collection in collections.items():
        rows = ranking.engine_rows(collection)
        ours = rows.get("danvan")
        if ours is None or len(rows) < 2:
            continue
        acc, fol = ours["accented"]["mrr@10"], ours["folded"]["mrr@10"]
        margins.append((name, acc - ranking.best_baseline(rows, "accented", "mrr@10")[1]))
        ratios.append((name, fol / acc if acc else 0.0))
        recall = ours["accented"]["recall@100"]
        recalls.append((name, recall - ranking.best_baseline(rows, "accented", "recall@100")[1]))
    if not margins:
        return [(n, "–", UNMEASURED) for n in names]

    def shown(values: list[tuple[str, float]], signed: bool) -> str:
        return ", ".join(f"{n} {v:+.3f}" if signed else f"{n} {v:.3f}" for n, v in values)

    return [
        (names[0], shown(margins, True), _status(all(v >= 0.03 for _, v in margins))),
        (names[1], shown(ratios, False), _status(all(v >= 0.97 for _, v in ratios))),
        (names[2], shown(recalls, True), _status(all(v >= 0 for _, v in recalls))),
    ]


def _corpus(parts: dict[str, Any], low: int, high: int) -> tuple[str, dict[str, Any]] | None:
    """The corpus with between ``low`` and ``high`` documents that danvan indexed."""
    corpora = (parts.get("speed") or {}).get("corpora", {})
    for label, corpus in corpora.items():
        ours = corpus["engines"].get("danvan", {})
        if "build" in ours and low <= ours["build"]["docs"] <= high:
            return label, ours
    return None


def _query_targets(parts: dict[str, Any]) -> list[Target]:
    found: list[Target] = []
    at_12k = _corpus(parts, 12000, 13000)
    name = "Queries on 12.5k articles: p50 ≤ 10 ms, p95 ≤ 40 ms"
    if at_12k:
        q = at_12k[1]["query"]["all"]
        found.append((name, f"p50 {q['p50_ms']:.1f} ms, p95 {q['p95_ms']:.1f} ms "
                      f"({at_12k[0]})", _status(q["p50_ms"] <= 10 and q["p95_ms"] <= 40)))
    else:
        found.append((name, "–", UNMEASURED + " (no 12.5k corpus in this run)"))
    at_80k = _corpus(parts, 70000, 90000)
    name = "Queries on 80k articles: p95 ≤ 100 ms"
    if at_80k:
        p95 = at_80k[1]["query"]["all"]["p95_ms"]
        found.append((name, f"p95 {p95:.1f} ms", _status(p95 <= 100)))
    else:
        found.append((name, "–", UNMEASURED + " (80k only in the full run)"))
    return found


def _largest(parts: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The largest corpus danvan indexed, preferring those with the segmentation bound
    measured (a scale point may have been run without it)."""
    corpora = (parts.get("speed") or {}).get("corpora", {})
    best = None
    for label, corpus in corpora.items():
        ours = corpus["engines"].get("danvan", {})
        if "build" in ours:
            key = (bool(corpus.get("segment")), ours["build"]["docs"])
            if best is None or key > best[2]:
                best = (label, corpus, key)
    return (best[0], best[1]) if best else None


def _indexing_targets(parts: dict[str, Any]) -> list[Target]:
    names = ("Indexing ≥ 85% of segmentation-only throughput on both cores",
             "Re-indexing unchanged documents ≥ 10× faster than the first pass")
    largest = _largest(parts)
    if largest is None:
        return [(n, "–", UNMEASURED) for n in names]
    label, corpus = largest
    build = corpus["engines"]["danvan"]["build"]
    found: list[Target] = []
    seg = corpus["segment"].get("2")
    if seg:
        share = build["docs_per_s"] / seg["docs_per_s"]
        measured = (f"{share:.0%} ({build['docs_per_s']:.1f} vs {seg['docs_per_s']:.1f} "
                    f"docs/s, {label})")
        if build.get("segmenter_s") and build.get("children_rss_mb", 0) <= 1:
            measured += (f"; word_tokenize is {build['segmenter_s'] / build['build_s']:.0%} "
                         "of the (one-process) indexing time")
        status = _status(share >= 0.85)
        if loaded(seg, 2) or loaded(build, 2):
            status += " (other load on the machine during the measurement: indicative)"
        found.append((names[0], measured, status))
    else:
        found.append((names[0], "–", UNMEASURED + " (one core)"))
    speedup = build["build_s"] / build["reindex_s"]
    found.append((names[1], f"{speedup:.0f}× ({build['build_s']:.1f} s vs "
                  f"{build['reindex_s']:.2f} s, {label})", _status(speedup >= 10)))
    return found


def _memory_targets(parts: dict[str, Any]) -> list[Target]:
    found: list[Target] = []
    at_80k = _corpus(parts, 70000, 90000)
    name = "Peak RSS indexing 80k ≤ 1.5 GB"
    if at_80k:
        rss = build_rss_bound(at_80k[1]["build"])
        found.append((name, f"≤ {rss:.0f} MB ({_rss(at_80k[1]['build'])})",
                      _status(rss <= 1536)))
    else:
        found.append((name, "–", UNMEASURED + " (80k only in the full run)"))
    largest = _largest(parts)
    name = "Peak RSS searching ≤ 400 MB"
    if largest:
        rss = largest[1]["engines"]["danvan"]["query"]["rss_mb"]
        found.append((name, f"{rss:.0f} MB ({largest[0]})", _status(rss <= 400)))
    else:
        found.append((name, "–", UNMEASURED))
    return found


def _cold_targets(parts: dict[str, Any]) -> list[Target]:
    name = "Cold `danvan-search search` on the seeds index ≤ 1.0 s"
    cold = (parts.get("speed") or {}).get("cold_start")
    if not cold or not cold.get("available"):
        reason = (cold or {}).get("reason", "")
        return [(name, "–", UNMEASURED + (f" ({reason[:80]})" if reason else ""))]
    return [(name, f"median {cold['median_s']:.2f} s, best {cold['best_s']:.2f} s",
             _status(cold["median_s"] <= 1.0))]


def _analysis_targets(parts: dict[str, Any]) -> list[Target]:
    name = "analyze() + both streams within 15% of bare word_tokenize"
    result = parts.get("analysis")
    if not result:
        return [(name, "–", UNMEASURED)]
    ratios = {k: result[k]["ratio_median"] for k in ("vntc-ctxh", "seeds")}
    shown = ", ".join(f"{k} {v:.3f}×" for k, v in ratios.items())
    return [(name, shown, _status(max(ratios.values()) <= analysis_speed.TARGET_RATIO))]


def targets_markdown(parts: dict[str, Any]) -> str:
    lines = ["| target | measured | status |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {s} |" for t, m, s in targets(parts)]
    return "\n".join(lines)


# --- whole report -----------------------------------------------------------------------


def machine_markdown(machine: dict[str, Any]) -> str:
    packages = ", ".join(f"{k} {v}" for k, v in machine["packages"].items())
    return "\n".join([
        f"- CPU: {machine['cpu']}, {machine['cores']} cores; RAM {machine['ram_gb']:.1f} GB",
        f"- Python {machine['python']} on {machine['system']}",
        f"- Packages: {packages}; SQLite {machine.get('sqlite', '?')}",
        f"- danvan-search measured: {machine.get('danvan', '?')}",
    ])


def document(report: dict[str, Any]) -> str:
    parts = report["parts"]
    lines = [f"# danvan-search benchmarks — {report['when']}", "",
             machine_markdown(report["machine"]), "", _provenance(report), "",
             "## Targets", "", targets_markdown(parts)]
    if parts.get("ranking"):
        lines += ["", "## Ranking (four collections)", "", ranking.markdown(parts["ranking"])]
    if parts.get("ablation"):
        lines += ["", "## Ranking features on and off", "", ablation.markdown(parts["ablation"])]
    if parts.get("speed"):
        lines += ["", "## Speed, size, memory", "", speed_markdown(parts["speed"])]
    if parts.get("analysis"):
        lines += ["", "## Analysis overhead", "", analysis_speed.markdown(parts["analysis"])]
    lines += ["", "See `benchmarks/README.md` for what each figure means."]
    return "\n".join(lines) + "\n"


def _provenance(report: dict[str, Any]) -> str:
    rows = []
    for name, origin in report["origins"].items():
        load = origin.get("load")
        shown = f", load average {load[0]:.1f} → {load[1]:.1f}" if load else ""
        took = origin["seconds"]
        took_shown = f"{took / 60:.1f} min" if took == took else "run on its own"  # nan
        rows.append(f"- {name}: {origin['mode']} run of {origin['when']} "
                    f"({took_shown}{shown}), danvan-search {origin.get('danvan', '?')}")
        kept = origin.get("kept")
        if kept:
            rows.append(f"  - and, from the {name} run of {kept['when']} (danvan-search "
                        f"{kept.get('danvan', '?')}): {', '.join(kept['corpora'])}")
    return "\n".join(["Parts of this report (the machine has "
                       f"{report['machine']['cores']} cores; a load average above 1 "
                       "means other work shared them):", "", *rows])

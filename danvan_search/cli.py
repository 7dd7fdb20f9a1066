"""The ``danvan-search`` command: a thin layer over :mod:`danvan_search`.

Commands parse options, call the library and format its results; errors become one
line on stderr and exit status 1 (click's usage errors exit with 2).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

DEFAULT_INDEX = Path("indexes") / "default"
SEEDS_DIR = Path("seeds")

INDEX_OPTION = click.option(
    "--index",
    "index_path",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="DANVAN_INDEX",
    default=DEFAULT_INDEX,
    show_default=True,
    help="Index directory (or set $DANVAN_INDEX).",
)


class _Group(click.Group):
    """Turns library and OS errors into one line on stderr and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        from .errors import DanvanError

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except DanvanError as error:
            _fail(str(error))
        except KeyboardInterrupt:
            _fail("interrupted; the index keeps its last committed state")
        except OSError as error:
            _fail(f"{error.strerror or error}: {error.filename or ''}".rstrip(": "))


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="danvan-search")
def main() -> None:
    """Search Vietnamese text: ranked, accent-insensitive, word-aware.

    \b
    Example:
        danvan-search index --index indexes/news seeds/
        danvan-search search --index indexes/news "dan van kheo"
    """


@main.command()
@INDEX_OPTION
@click.option("--overwrite", is_flag=True, help="Delete the index first and build it anew.")
@click.argument("sources", nargs=-1, required=True)
def index(index_path: Path, overwrite: bool, sources: tuple[str, ...]) -> None:
    """Add documents from SOURCES to the index (created if missing).

    A SOURCE is a .txt file (one document), a directory (read recursively), a .jsonl
    file (one JSON document per line: "id" and "body" required; "title", "date",
    "source", "url" optional), or - for JSONL on standard input. A document whose id is
    already indexed is updated; bad inputs are skipped and listed.

    \b
    Examples:
        danvan-search index seeds/
        danvan-search index --index indexes/news articles.jsonl
        cat articles.jsonl | danvan-search index -
    """
    from .index import SearchIndex
    from .ingestion import read_sources

    if overwrite or not SearchIndex.exists(index_path):
        ix = SearchIndex.create(index_path, overwrite=overwrite)
    else:
        ix = SearchIndex.open(index_path)
    with ix:
        report = ix.index_documents(read_sources(list(sources)), on_document=_progress())
    if sys.stderr.isatty():
        click.echo("\r\033[K", nl=False, err=True)
    for where, why in report.skipped:
        click.echo(f"skipped {where}: {why}", err=True)
    click.echo(
        f"{index_path}: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.skipped)} skipped"
    )
    if report.skipped and not (report.written or report.unchanged):
        _fail("no document could be indexed (see the skipped inputs above)")


def _progress() -> Callable[[], None] | None:
    if not sys.stderr.isatty():
        return None
    count = 0

    def tick() -> None:
        nonlocal count
        count += 1
        if count % 50 == 0:
            click.echo(f"\rindexing: {count} documents read", nl=False, err=True)

    return tick


@main.command()
@INDEX_OPTION
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(1, 1000),
              help="Number of hits to show.")
@click.option("--since", metavar="DATE", help="Only documents dated on or after DATE (ISO).")
@click.option("--until", metavar="DATE", help="Only documents dated on or before DATE (ISO).")
@click.option("--source", multiple=True, help="Only documents from this publisher.")
@click.option("--place", multiple=True, help="Only documents about this province or city.")
@click.option("--cites", multiple=True, metavar="CODE", help="Only documents citing CODE.")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance",
              show_default=True, help="Order of the hits (date: newest first).")
@click.option("--facets", is_flag=True, help="Also count hits by year, source, place, citation.")
@click.option("--exact", is_flag=True,
              help="Search the query as typed: no corrections, accent restoration, acronyms.")
@click.option("--acronyms", "acronyms_file", type=click.Path(dir_okay=False, exists=True),
              help="File of more acronyms to expand, one 'ACRONYM<TAB>expansion' a line.")
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
@click.argument("query", nargs=-1)
def search(
    index_path: Path, limit: int, since: str | None, until: str | None,
    source: tuple[str, ...], place: tuple[str, ...], cites: tuple[str, ...], sort: str,
    facets: bool, exact: bool, acronyms_file: str | None, as_json: bool,
    query: tuple[str, ...],
) -> None:
    """Search the index; QUERY may be typed with or without accents.

    Words are all optional (documents with all of them rank first); "quoted phrase",
    -word, -"phrase", OR and title:word are understood. With filters and no QUERY,
    lists the matching documents, newest first. Words typed as Telex/VNI keystrokes or
    misspelt are corrected, accents are restored, acronyms (UBND, MTTQ...) expand both
    ways, unless --exact.

    \b
    Examples:
        danvan-search search "dan van kheo"
        danvan-search search '"Dân vận khéo" -Huế' --limit 3
        danvan-search search dân vận --since 2021-01-01 --place "Thừa Thiên Huế" --facets
        danvan-search search --cites 25-NQ/TW --json
        danvan-search search mttq vieejt nam
    """
    if not query and not (since or until or source or place or cites):
        raise click.UsageError("give a QUERY, or a filter (--since, --place, ...) to list by")
    ix = _open_for_search(index_path, acronyms_file)
    with ix:
        results = ix.search(
            " ".join(query), limit=limit, since=since, until=until, source=source,
            place=place, cites=cites, sort=sort, facets=facets, exact=exact,
        )
    if as_json:
        click.echo(json.dumps(_results_json(results), ensure_ascii=False, indent=2))
        return
    bold = sys.stdout.isatty()
    if results.corrected_from:
        click.echo(f"Showing results for: {results.suggestion or results.query}")
        click.echo(f"Search instead for:  {results.corrected_from}  (--exact)\n")
    elif results.suggestion:
        click.echo(f"Did you mean: {results.suggestion}\n")
    if not results.hits:
        click.echo(f"No documents match {results.query!r}." if results.query
                   else "No documents match these filters.")
    else:
        click.echo(f"{results.total} documents match; showing {len(results)}.\n")
    for hit in results:
        click.echo(_hit_heading(hit, bold))
        click.echo("   " + _render(hit.snippet, bold))
        click.echo()
    if results.facets:
        _print_facets(results.facets)


def _print_facets(facets: Any, top: int = 10) -> None:
    for name, counts in facets.items():
        if counts:
            shown = ", ".join(f"{value} ({count})" for value, count in counts[:top])
            click.echo(f"{name + ':':8} {shown}")


def _open_for_search(index_path: Path, acronyms_file: str | None = None) -> Any:
    from .index import SearchIndex
    from .ingestion import read_sources

    if (
        index_path == DEFAULT_INDEX
        and not SearchIndex.exists(index_path)
        and SEEDS_DIR.is_dir()
    ):
        # The embedded default: the first command of the README works on a fresh clone.
        click.echo(f"No index at {index_path} yet: building it from {SEEDS_DIR}/ …", err=True)
        with SearchIndex.create(index_path) as ix:
            report = ix.index_documents(read_sources([str(SEEDS_DIR)]))
        click.echo(f"Indexed {report.written} documents.", err=True)
    return SearchIndex.open(index_path, acronyms=acronyms_file)


def _hit_heading(hit: Any, bold: bool) -> str:
    title = hit.title or hit.id
    about = ", ".join(str(x) for x in (hit.date, hit.source) if x)
    title = click.style(title, bold=True) if bold else title
    return f"{hit.rank}. {title}" + (f"  ({about})" if about else "") + f"  [{hit.id}]"


def _render(snippet: Any, bold: bool) -> str:
    if bold:
        return snippet.render(before="\033[1m", after="\033[0m")
    return snippet.render(before="[", after="]")


def _results_json(results: Any) -> dict[str, Any]:
    return {
        "query": results.query,
        "suggestion": results.suggestion,
        "corrected_from": results.corrected_from,
        "total": results.total,
        "facets": {name: [list(c) for c in counts] for name, counts in results.facets.items()},
        "hits": [
            {
                "id": hit.id,
                "rank": hit.rank,
                "score": round(hit.score, 4),
                "title": hit.title,
                "date": hit.date.isoformat() if hit.date else None,
                "source": hit.source,
                "url": hit.url,
                "author": hit.author,
                "places": list(hit.places),
                "cites": list(hit.cites),
                "snippet": hit.snippet.text,
                "snippet_highlights": [list(s) for s in hit.snippet.highlights],
                "highlights": [list(s) for s in hit.highlights],
            }
            for hit in results
        ],
    }


@main.command()
@INDEX_OPTION
@click.option("--raw", is_flag=True, help="Print the text as read, before cleaning.")
@click.option("--json", "as_json", is_flag=True, help="Print the document as JSON.")
@click.argument("doc_id")
def show(index_path: Path, raw: bool, as_json: bool, doc_id: str) -> None:
    """Print the stored document DOC_ID: its metadata and (cleaned) text.

    \b
    Examples:
        danvan-search show 004_1d921b9e94ebeb4d
        danvan-search show --raw 004_1d921b9e94ebeb4d
    """
    from .index import SearchIndex

    with SearchIndex.open(index_path) as ix:
        doc = ix.get(doc_id)
    if as_json:
        data = asdict(doc)
        data["date"] = doc.date.isoformat() if doc.date else None
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for label, value in (
        ("id", doc.id), ("title", doc.title), ("date", doc.date), ("source", doc.source),
        ("url", doc.url), ("author", doc.author), ("places", ", ".join(doc.places)),
        ("cites", ", ".join(doc.cites)),
    ):
        if value:
            click.echo(f"{label + ':':8} {value}")
    click.echo()
    click.echo(doc.raw if raw and doc.raw is not None else doc.body)


@main.command()
@INDEX_OPTION
def stats(index_path: Path) -> None:
    """Show what the index holds: size, and its largest facets.

    \b
    Example:
        danvan-search stats --index indexes/news
    """
    from .index import SearchIndex

    with SearchIndex.open(index_path) as ix:
        info, facets = ix.stats(), ix.facets()
    click.echo(f"index:     {info.path}")
    click.echo(f"documents: {info.documents}")
    click.echo(f"size:      {info.size_bytes / 1e6:.1f} MB")
    click.echo(f"format:    {info.format_version} (analysis {info.analysis_version})")
    _print_facets(facets)


@main.command()
@INDEX_OPTION
@click.argument("doc_ids", nargs=-1, required=True)
def delete(index_path: Path, doc_ids: tuple[str, ...]) -> None:
    """Delete the documents DOC_IDS from the index.

    \b
    Example:
        danvan-search delete 004_1d921b9e94ebeb4d
    """
    from .index import SearchIndex

    with SearchIndex.open(index_path) as ix:
        missing = [doc_id for doc_id in doc_ids if doc_id not in ix]
        deleted = ix.delete(d for d in doc_ids if d not in missing)
    note = f"; not in the index: {', '.join(missing)}" if missing else ""
    click.echo(f"{deleted} deleted{note}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the streams as JSON.")
@click.argument("text", nargs=-1, required=True)
def tokenize(as_json: bool, text: tuple[str, ...]) -> None:
    """Show how TEXT is segmented and indexed: its words, then the terms of the exact
    and the folded stream, each with its position and character offsets.

    \b
    Example:
        danvan-search tokenize "Ban Dân vận Tỉnh uỷ theo Nghị quyết 25-NQ/TW"
    """
    from .analysis import analyze

    analysis = analyze(" ".join(text))
    streams = {kind: list(analysis.stream(kind)) for kind in ("exact", "folded")}
    if as_json:
        data = {
            "text": analysis.text,
            "words": [
                {"text": w.text, "start": w.start, "end": w.end, "kind": w.kind}
                for w in analysis.words
            ],
            **{
                kind: [token._asdict() for token in tokens] for kind, tokens in streams.items()
            },
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"words ({len(analysis.words)}):")
    for w in analysis.words:
        click.echo(f"  {w.start:>5}:{w.end:<5} {w.kind:6} {w.text}")
    for kind, tokens in streams.items():
        click.echo(f"\n{kind} stream ({len(tokens)} terms):")
        for token in tokens:
            original = analysis.text[token.start : token.end]
            click.echo(f"  {token.position:>4} {token.start:>5}:{token.end:<5} {token.term}"
                       + (f"  ← {original}" if original != token.term else ""))


if __name__ == "__main__":  # pragma: no cover
    main(prog_name=os.path.basename(sys.argv[0]))

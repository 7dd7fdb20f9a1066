"""The ``danvan-search`` command: a thin layer over :mod:`danvan_search`.

Commands parse options, call the library and format its results; errors become one
line on stderr and exit status 1 (click's usage errors exit with 2).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

DEFAULT_INDEX = Path("indexes") / "default"
SEEDS_DIR = Path("seeds")

def _index_location(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A directory (a Path), or an index on a cluster (``opensearch://HOST:PORT/NAME``,
    kept as it is: a Path would fold its ``//``)."""
    if isinstance(value, str) and value.startswith("opensearch://"):
        return value
    return Path(value)


INDEX_OPTION = click.option(
    "--index",
    "index_path",
    envvar="DANVAN_INDEX",
    default=str(DEFAULT_INDEX),
    show_default=True,
    callback=_index_location,
    metavar="DIR|URL",
    help="Index directory (or set $DANVAN_INDEX); relative to the current directory. "
         "opensearch://HOST:PORT/NAME: an index on an OpenSearch cluster.",
)
LOCK_TIMEOUT_OPTION = click.option(
    "--lock-timeout", type=click.FloatRange(min=0), default=10.0, show_default=True,
    metavar="SECONDS", help="How long to wait for another writer to finish.",
)
QUIET_OPTION = click.option(
    "--quiet", "-q", is_flag=True, help="Print nothing but warnings and errors.",
)


class _Group(click.Group):
    """Turns library and OS errors into one line on stderr and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        from .errors import DanvanError

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:
            raise  # the reader went away (`| head`): click exits quietly
        except DanvanError as error:
            _fail(str(error))
        except KeyboardInterrupt:
            _fail("interrupted; the index keeps its last committed state")
        except OSError as error:
            _fail(f"{error.strerror or error}: {error.filename or ''}".rstrip(": "))


class _QueryCommand(click.Command):
    """A command whose words may start with ``-`` (``search "-hà nội"``): any argument
    that is not one of its options is a word of the query, wherever it stands."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value: dict[str, bool] = {}
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for name in (*param.opts, *param.secondary_opts):
                    takes_value[name] = not (param.is_flag or param.count)
        options: list[str] = []
        words: list[str] = []
        rest = iter(args)
        for arg in rest:
            if arg == "--":
                words += rest
                break
            name = arg.split("=", 1)[0] if arg.startswith("--") else arg
            if name not in takes_value:
                words.append(arg)
                continue
            options.append(arg)
            if takes_value[name] and name == arg:
                options += [value for value in [next(rest, None)] if value is not None]
        return super().parse_args(ctx, [*options, "--", *words])


def _fail(message: str) -> None:
    click.echo(f"Error: {_printable(message)}", err=True)
    sys.exit(1)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _terminal() -> bool:
    return sys.stderr.isatty()


def _printable(text: str) -> str:
    """``text`` with any undecodable byte it carries (a lone surrogate) shown as U+FFFD:
    printing a lone surrogate would raise."""
    from .normalization import replace_lone_surrogates

    return replace_lone_surrogates(text)


def _decoded(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Arguments as text: bytes that were not UTF-8 in the command line (which Python
    keeps as lone surrogates) become U+FFFD, the replacement character."""
    if isinstance(value, tuple):
        return tuple(_decoded(ctx, param, v) for v in value)
    if isinstance(value, str):
        return os.fsencode(value).decode("utf-8", "replace")
    return value


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="danvan-search")
def main() -> None:
    """Search Vietnamese text: ranked, accent-insensitive, word-aware.

    Every command works on the index in the directory given with --index, else in
    $DANVAN_INDEX, else in indexes/default below the current directory.

    \b
    Example:
        echo '{"id": "1", "body": "Thi đua Dân vận khéo"}' | danvan-search index -
        danvan-search search "dan van kheo"
    """


@main.command()
@INDEX_OPTION
@click.option("--overwrite", is_flag=True,
              help="Build the index anew; the old one stays until the new one is complete.")
@click.option("--sync", is_flag=True,
              help="Also remove the documents of files below a SOURCE directory that no "
                   "longer exist.")
@click.option("--dask", "dask_scheduler", is_flag=False, flag_value="local", default=None,
              metavar="[ADDRESS]",
              help="With an opensearch:// index: segment on a Dask cluster (the scheduler "
                   "at ADDRESS, e.g. tcp://scheduler:8786; alone: one process per core).")
@LOCK_TIMEOUT_OPTION
@QUIET_OPTION
@click.argument("sources", nargs=-1, required=True)
def index(index_path: Path | str, overwrite: bool, sync: bool, dask_scheduler: str | None,
          lock_timeout: float, quiet: bool, sources: tuple[str, ...]) -> None:
    """Add documents from SOURCES to the index (created if missing).

    A SOURCE is a .txt file (one document, read as a page from a news site: its title,
    date, source... found, its site chrome dropped; its id is the file's absolute
    path), a directory (read recursively), a .jsonl file (one JSON document per line:
    "id" and "body" required; "title", "date", "source", "url" optional), or - for
    JSONL on standard input. A document whose id is already indexed is updated; bad
    inputs are skipped and listed. A run that indexes nothing creates no index.

    \b
    Examples:
        danvan-search index seeds/
        danvan-search index --sync --index indexes/news news/
        cat articles.jsonl | danvan-search index -
        danvan-search index --index opensearch://127.0.0.1:9200/news --dask news.jsonl
    """
    from tqdm import tqdm

    from .index import SearchIndex
    from .ingestion import count_inputs

    shown = _terminal() and not quiet
    total = count_inputs(sources) if shown else None
    if dask_scheduler is not None:
        if not isinstance(index_path, str):
            raise click.UsageError("--dask indexes into an opensearch:// index only")
        report = _index_on_dask(index_path, sources, overwrite, dask_scheduler)
    else:
        with tqdm(total=total, disable=not shown, unit="doc", desc="indexing", leave=False,
                  file=sys.stderr, dynamic_ncols=True) as bar:
            report = SearchIndex.build(
                index_path, sources, overwrite=overwrite, sync=sync,
                lock_timeout=lock_timeout, on_document=bar.update,
            )
            bar.refresh()  # updates are drawn at most ten times a second: draw the last
    for where, why in report.repaired:
        click.echo(_printable(f"repaired {where}: {why}"), err=True)
    for where, why in report.skipped:
        click.echo(_printable(f"skipped {where}: {why}"), err=True)
    if not quiet:
        deleted = f", {report.deleted} deleted" if sync else ""
        click.echo(
            f"{index_path}: {report.added} added, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.skipped)} skipped{deleted}"
        )
    if report.skipped and not (report.written or report.unchanged):
        _fail("no document could be indexed (see the skipped inputs above)")
    if not quiet and report.written and not isinstance(index_path, str):
        with SearchIndex.open(index_path, lock_timeout=lock_timeout) as ix:
            stats = ix.stats()
        if stats.merge_advised:
            click.echo(f"{index_path}: {stats.segments} segments; `danvan-search optimize "
                       f"--index {index_path}` merges them into one: faster first queries",
                       err=True)


def _index_on_dask(location: str, sources: tuple[str, ...], overwrite: bool,
                   scheduler: str) -> Any:
    from .distributed import index_with_dask
    from .ingestion import read_sources
    from .opensearch_index import OpenSearchIndex

    if overwrite or not OpenSearchIndex.exists(location):
        OpenSearchIndex.create(location, overwrite=overwrite).close()
    return index_with_dask(location, read_sources(list(sources)),
                           scheduler=None if scheduler == "local" else scheduler)


@main.command()
@INDEX_OPTION
@click.option("--to", "target", required=True, metavar="URL",
              help="The OpenSearch index to copy to: opensearch://HOST:PORT/NAME.")
@click.option("--overwrite", is_flag=True, help="Replace the target index if it exists.")
@click.option("--shards", type=click.IntRange(min=1), default=2, show_default=True,
              help="Primary shards of a new target index.")
@click.option("--replicas", type=click.IntRange(min=0), default=1, show_default=True,
              help="Copies of each shard on other nodes, for a new target index.")
@QUIET_OPTION
def export(index_path: Path | str, target: str, overwrite: bool, shards: int, replicas: int,
           quiet: bool) -> None:
    """Copy every document of the index to an OpenSearch index (created if missing).

    \b
    Example:
        danvan-search export --index indexes/news --to opensearch://127.0.0.1:9200/news
    """
    from .index import SearchIndex
    from .opensearch_index import export_index, is_location

    if not is_location(target):
        raise click.BadParameter("give an opensearch://HOST:PORT/NAME location",
                                 param_hint="--to")
    with SearchIndex.open(index_path) as ix:
        report = export_index(ix, target, overwrite=overwrite, shards=shards,
                              replicas=replicas)
    if not quiet:
        click.echo(f"{target}: {report.added} added, {report.updated} updated, "
                   f"{report.unchanged} unchanged, {len(report.skipped)} skipped")


@main.command(cls=_QueryCommand)
@INDEX_OPTION
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(1, 1000),
              help="Number of hits to show.")
@click.option("--offset", type=click.IntRange(min=0), default=0,
              help="Skip this many ranked documents first.")
@click.option("--page", type=click.IntRange(min=1),
              help="Show this page of --limit hits (1 is the first).")
@click.option("--since", metavar="DATE",
              help="Only documents dated on or after DATE (2021-03-05, 05/03/2021, 2021-03, "
                   "2021).")
@click.option("--until", metavar="DATE", help="Only documents dated on or before DATE.")
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
@QUIET_OPTION
@click.argument("query", nargs=-1, callback=_decoded)
def search(
    index_path: Path, limit: int, offset: int, page: int | None, since: str | None,
    until: str | None, source: tuple[str, ...], place: tuple[str, ...],
    cites: tuple[str, ...], sort: str, facets: bool, exact: bool, acronyms_file: str | None,
    as_json: bool, quiet: bool, query: tuple[str, ...],
) -> None:
    """Search the index; QUERY may be typed with or without accents.

    Words are all optional (documents with all of them rank first); "quoted phrase",
    -word, -"phrase", OR and title:word are understood (a QUERY may start with -).
    With filters and no QUERY, lists the matching documents, newest first. Unless
    --exact, words typed as Telex/VNI keystrokes or misspelt are corrected ("Did you
    mean"; searched corrected only when the query as typed finds nothing), accents are
    restored, acronyms (UBND, MTTQ...) expand both ways.

    \b
    Examples:
        danvan-search search "dan van kheo"
        danvan-search search '"Dân vận khéo" -Huế' --limit 3 --page 2
        danvan-search search dân vận --since 2021 --place "Thừa Thiên Huế" --facets
        danvan-search search --cites 25-NQ/TW --json
        danvan-search search mttq vieejt nam
    """
    if not query and not (since or until or source or place or cites):
        raise click.UsageError("give a QUERY, or a filter (--since, --place, ...) to list by")
    if page is not None and offset:
        raise click.UsageError("give --offset or --page, not both")
    ix = _open_for_search(index_path, acronyms_file, quiet)
    with ix:
        results = ix.search(
            " ".join(query), limit=limit, offset=offset, page=page, since=since, until=until,
            source=source, place=place, cites=cites, sort=sort,  # type: ignore[arg-type]
            facets=facets, exact=exact,
        )
    if as_json:
        click.echo(json.dumps(results.to_dict(), ensure_ascii=False, indent=2))
        return
    bold = sys.stdout.isatty()
    if results.corrected_from:
        click.echo(f"Showing results for: {results.suggestion or results.query}")
        click.echo(f"Search instead for:  {results.corrected_from}  (--exact)\n")
    elif results.suggestion:
        click.echo(f"Did you mean: {results.suggestion}\n")
    if not results.total:
        click.echo(f"No documents match {results.query!r}." if results.query
                   else "No documents match these filters.")
    else:
        click.echo(results.summary() + "\n")
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


def _open_for_search(index_path: Path, acronyms_file: str | None = None,
                     quiet: bool = False, cached_postings: int | None = None) -> Any:
    from .index import SearchIndex
    from .readers import DEFAULT_CACHED_POSTINGS

    if (
        index_path == DEFAULT_INDEX
        and not SearchIndex.exists(index_path)
        and SEEDS_DIR.is_dir()
    ):
        # The embedded default: the first command of the README works on a fresh clone.
        if not quiet:
            click.echo(f"No index at {index_path} yet: building it from {SEEDS_DIR}/ …",
                       err=True)
        report = SearchIndex.build(index_path, [str(SEEDS_DIR)])
        if not quiet:
            click.echo(f"Indexed {_count(report.written, 'document')}.", err=True)
    return SearchIndex.open(index_path, acronyms=acronyms_file,
                            cached_postings=cached_postings or DEFAULT_CACHED_POSTINGS)


def _hit_heading(hit: Any, bold: bool) -> str:
    title = hit.title or hit.id
    about = ", ".join(str(x) for x in (hit.date, hit.source) if x)
    title = click.style(title, bold=True) if bold else title
    return f"{hit.rank}. {title}" + (f"  ({about})" if about else "") + f"  [{hit.id}]"


def _render(snippet: Any, bold: bool) -> str:
    if bold:
        return snippet.render(before="\033[1m", after="\033[0m")
    return snippet.render(before="[", after="]")


def _document_id(ix: Any, given: str) -> str:
    """An id as given, or the id of the text file it names (``seeds/x.txt``)."""
    from .ingestion import file_id

    if given not in ix and Path(given).is_file():
        return file_id(given)
    return given


@main.command()
@INDEX_OPTION
@click.option("--raw", is_flag=True, help="Print the text as read, before cleaning.")
@click.option("--json", "as_json", is_flag=True, help="Print the document as JSON.")
@click.argument("doc_id", callback=_decoded)
def show(index_path: Path, raw: bool, as_json: bool, doc_id: str) -> None:
    """Print the stored document DOC_ID (an id, or the text file it was read from): its
    metadata and (cleaned) text.

    \b
    Examples:
        danvan-search show seeds/004_1d921b9e94ebeb4d.txt
        danvan-search show --raw seeds/004_1d921b9e94ebeb4d.txt
    """
    from .index import SearchIndex

    with SearchIndex.open(index_path) as ix:
        doc = ix.get(_document_id(ix, doc_id))
    if as_json:
        click.echo(json.dumps(doc.to_dict(), ensure_ascii=False, indent=2))
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
@click.option("--sizes", is_flag=True,
              help="Also show where the bytes go: by kind of file, and per field.")
def stats(index_path: Path, sizes: bool) -> None:
    """Show what the index holds: size, segments, and its largest facets.

    \b
    Example:
        danvan-search stats --index indexes/news --sizes
    """
    from .index import SearchIndex

    with SearchIndex.open(index_path) as ix:
        if sizes and not hasattr(ix, "sizes"):
            _fail(f"--sizes reads the files of an index on this machine, not {index_path}")
        info, facets = ix.stats(), ix.facets()
        breakdown = ix.sizes() if sizes else None
    click.echo(f"index:     {info.path}")
    click.echo(f"documents: {info.documents}")
    click.echo(f"size:      {info.size_bytes / 1e6:.1f} MB")
    if getattr(info, "segments", 0):  # (an index on a cluster has shards instead)
        advice = " (`danvan-search optimize` merges them: faster first queries)" if getattr(
            info, "merge_advised", False) else ""
        click.echo(f"segments:  {info.segments}{advice}")
    click.echo(f"format:    {info.format_version} (analysis {info.analysis_version})")
    if breakdown is not None:
        _print_sizes(breakdown, info.size_bytes)
    _print_facets(facets)


def _print_sizes(sizes: Any, total: int) -> None:
    click.echo("\nfiles:")
    for kind, size in sorted(sizes.files.items(), key=lambda item: (-item[1], item[0])):
        click.echo(f"  {kind:28} {size / 1e6:9.2f} MB {size / max(total, 1):6.1%}")
    click.echo("\nfields:          terms   dictionary MB   postings MB")
    fields = sorted(sizes.fields.items(),
                    key=lambda item: (-(item[1]["dictionary"] + item[1]["postings"]), item[0]))
    for name, entry in fields:
        click.echo(f"  {name:14} {entry['terms']:>9,} {entry['dictionary'] / 1e6:15.2f} "
                   f"{entry['postings'] / 1e6:13.2f}")


@main.command()
@INDEX_OPTION
@LOCK_TIMEOUT_OPTION
@QUIET_OPTION
def optimize(index_path: Path, lock_timeout: float, quiet: bool) -> None:
    """Merge the index's segments into one (commits already merge some as it grows).

    Rewrites the whole index: minutes for tens of thousands of articles. Searches go
    on meanwhile; another writer waits.

    \b
    Example:
        danvan-search optimize --index indexes/news
    """
    from .index import SearchIndex

    with SearchIndex.open(index_path, lock_timeout=lock_timeout) as ix:
        if not hasattr(ix, "optimize"):
            _fail(f"{index_path} is on a cluster, which merges its own segments")
        before = ix.optimize()
    if quiet:
        return
    if before > 1:
        click.echo(f"{index_path}: {before} segments merged into 1")
    else:
        click.echo(f"{index_path}: nothing to merge")


@main.command()
@INDEX_OPTION
@LOCK_TIMEOUT_OPTION
@QUIET_OPTION
@click.argument("doc_ids", nargs=-1, required=True, callback=_decoded)
def delete(index_path: Path, lock_timeout: float, quiet: bool, doc_ids: tuple[str, ...]) -> None:
    """Delete the documents DOC_IDS (ids, or the text files they were read from).

    \b
    Example:
        danvan-search delete seeds/004_1d921b9e94ebeb4d.txt
    """
    from .index import SearchIndex

    with SearchIndex.open(index_path, lock_timeout=lock_timeout) as ix:
        ids = [_document_id(ix, doc_id) for doc_id in doc_ids]
        missing = [given for given, doc_id in zip(doc_ids, ids, strict=True) if doc_id not in ix]
        deleted = ix.delete([doc_id for doc_id in ids if doc_id in ix])
    note = f"; not in the index: {', '.join(missing)}" if missing else ""
    if not quiet or missing:
        click.echo(f"{deleted} deleted{note}")


LOOPBACK = ("127.0.0.1", "localhost", "::1")


@main.command()
@INDEX_OPTION
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0: every network interface).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=4, show_default=True,
              help="Queries run at once; more wait for one to finish.")
@click.option("--write-token", envvar="DANVAN_WRITE_TOKEN", metavar="TOKEN",
              help="Allow POST/DELETE /api/v1/documents with 'Authorization: Bearer TOKEN' "
                   "(or set $DANVAN_WRITE_TOKEN). Off by default.")
@click.option("--cors", "cors_origin", metavar="ORIGIN",
              help="Let browser pages from ORIGIN (https://example.org) call the API.")
@click.option("--cached-postings", type=click.IntRange(min=1), metavar="N",
              help="Postings each searcher (one per query running) keeps decoded between "
                   "queries, 12 bytes each [default: 32000000]. More answers a large "
                   "index faster.")
def serve(index_path: Path, host: str, port: int, workers: int, write_token: str | None,
          cors_origin: str | None, cached_postings: int | None) -> None:
    """Serve the index over HTTP: a search page at / and a JSON API at /api/v1
    (search, suggest, documents/ID, facets, stats, health; openapi.json describes it).

    Needs the serve extra: pip install "danvan-search[serve]".

    \b
    Examples:
        danvan-search serve --index indexes/news --port 8000
        danvan-search serve --index opensearch://127.0.0.1:9200/news
        curl 'http://127.0.0.1:8000/api/v1/search?q=dan+van+kheo&limit=3'
        DANVAN_WRITE_TOKEN=s3cret danvan-search serve --cors https://example.org
        danvan-search serve --index indexes/vntc --cached-postings 64000000
    """
    try:
        from . import serve as server
    except ImportError as error:
        _fail(f"{error.name or 'a package'} is missing: pip install \"danvan-search[serve]\"")
    if host not in LOOPBACK:
        click.echo(f"Warning: listening on {host}: anyone who can reach this machine can "
                   "search the index" + (" and write to it with the token" if write_token
                                         else ""), err=True)
    with _open_for_search(index_path, cached_postings=cached_postings) as ix:
        server.run(ix, host=host, port=port, workers=workers, write_token=write_token,
                   cors_origin=cors_origin)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the streams as JSON.")
@click.argument("text", nargs=-1, required=True, callback=_decoded)
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

"""``danvan-search serve``: the index behind HTTP, a JSON API for other programs and a
search page for people.

Built on Starlette and run by uvicorn (the ``serve`` extra). Starlette because it is
small (the app is plain functions and routes, no framework to learn), well kept, ASGI (so
uvicorn runs it and the event loop never waits on a query), and it ships a test client
that drives the app without a socket. Queries are synchronous library calls: they run in
worker threads, at most ``workers`` at a time (an anyio capacity limiter), on one index
opened once; the library picks up a commit made by another process at the next query.

Starlette and uvicorn are imported here only, and this module only by the ``serve``
command, so the library and ``danvan-search --help`` stay light.
"""

from __future__ import annotations

import functools
import hmac
import html
import json
import unicodedata
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import anyio
from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from . import __version__
from .errors import (
    ArgumentTypeError,
    DanvanError,
    DocumentNotFoundError,
    IndexLockedError,
    InvalidArgumentError,
    InvalidDocumentError,
)
from .query_syntax import MAX_QUERY_CHARS

if TYPE_CHECKING:
    from .index import SearchIndex
    from .searching import SearchResults, StoredDocument

API = "/api/v1"
#: Largest request body accepted (documents posted for indexing), in bytes.
DEFAULT_MAX_BODY = 10 * 1024 * 1024
#: Hits a page of the search page shows.
PAGE_SIZE = 10
#: Longest query string (the URL after ``?``) answered, in bytes; longer is refused with
#: 414. A query of MAX_QUERY_CHARS accented letters takes up to 9 bytes a character once
#: percent-encoded: this leaves room for it and the filters, and keeps the cost of
#: reading the parameters bounded whatever a client sends.
MAX_QUERY_STRING = 16 * 1024
#: Most values a repeatable filter (source, place, cites) may be given: each one is a
#: term the query must look up.
MAX_FILTER_VALUES = 100
#: Longest value of any parameter, in characters: ``q`` has the library's limit (the
#: library cuts longer queries; a server says so instead of answering another query).
MAX_VALUE_CHARS = MAX_QUERY_CHARS

SEARCH_PARAMETERS = ("q", "limit", "offset", "since", "until", "source", "place", "cites",
                     "sort", "facets", "exact")
REPEATABLE_PARAMETERS = ("source", "place", "cites")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


class HTTPError(Exception):
    """An answer other than 200, with the message the client sees."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# --- errors ---------------------------------------------------------------------------


def _status(error: Exception) -> tuple[int, str]:
    """The status code and message for an error; never a stack trace."""
    if isinstance(error, HTTPError):
        return error.status, str(error)
    if isinstance(error, DocumentNotFoundError):
        return 404, str(error)
    if isinstance(error, (InvalidArgumentError, ArgumentTypeError, InvalidDocumentError)):
        return 400, str(error)
    if isinstance(error, IndexLockedError):
        return 503, str(error)
    if isinstance(error, DanvanError):
        return 500, str(error)
    return 500, "internal error: the server could not answer this request"


def _json_error(error: Exception) -> JSONResponse:
    status, message = _status(error)
    return JSONResponse({"error": {"status": status, "message": message}}, status_code=status)


Endpoint = Callable[[Request], Awaitable[Response]]


def _api(endpoint: Endpoint) -> Endpoint:
    """An API endpoint whose errors are JSON with their status code."""

    @functools.wraps(endpoint)
    async def answer(request: Request) -> Response:
        try:
            _check_query_string(request)
            return await endpoint(request)
        except Exception as error:  # every error is an answer, never a trace
            return _json_error(error)

    return answer


# --- parameters -----------------------------------------------------------------------


def _query_string_size(request: Request) -> int:
    return len(request.scope.get("query_string", b""))


def _check_query_string(request: Request) -> None:
    """Refuse a query string longer than :data:`MAX_QUERY_STRING` bytes (414), before
    any of it is read."""
    size = _query_string_size(request)
    if size > MAX_QUERY_STRING:
        raise HTTPError(414, f"the query string is too long: at most {MAX_QUERY_STRING} "
                             f"bytes, not {size}")


def _query_chars(query: str) -> int:
    """The length of a query as the library counts it (composed: a letter typed as a
    base and combining accents counts once)."""
    return len(unicodedata.normalize("NFC", query))


def _check_values(params: QueryParams, names: tuple[str, ...]) -> None:
    """Each parameter at most once (repeatable filters at most MAX_FILTER_VALUES
    times), each value at most MAX_VALUE_CHARS characters."""
    for name in names:
        values = params.getlist(name)
        most = MAX_FILTER_VALUES if name in REPEATABLE_PARAMETERS else 1
        if len(values) > most:
            raise InvalidArgumentError(
                f"{name} given {len(values)} times: at most {most}" if most > 1 else
                f"{name} given {len(values)} times: give it once")
        for value in values:
            if _query_chars(value) > MAX_VALUE_CHARS:
                raise InvalidArgumentError(
                    f"{name} is too long: at most {MAX_VALUE_CHARS} characters, "
                    f"not {_query_chars(value)}")


def _integer(params: Mapping[str, str], name: str, default: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidArgumentError(f"{name} must be an integer, not {value!r}") from None


def _flag(params: Mapping[str, str], name: str) -> bool:
    value = params.get(name, "").lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidArgumentError(f"{name} must be true or false, not {value!r}")


def _search_options(request: Request) -> dict[str, Any]:
    """The keyword arguments of :meth:`SearchIndex.search` from a query string; unknown
    parameters are refused (a typo would otherwise silently do nothing)."""
    params = request.query_params
    unknown = sorted(set(params) - set(SEARCH_PARAMETERS))
    if unknown:
        raise InvalidArgumentError(
            f"unknown parameter {unknown[0]!r}; known: {', '.join(SEARCH_PARAMETERS)}")
    _check_values(params, SEARCH_PARAMETERS)
    return {
        "query": params.get("q") or None,
        "limit": _integer(params, "limit", 10),
        "offset": _integer(params, "offset", 0),
        "since": params.get("since") or None,
        "until": params.get("until") or None,
        "source": params.getlist("source") or None,
        "place": params.getlist("place") or None,
        "cites": params.getlist("cites") or None,
        "sort": params.get("sort") or "relevance",
        "facets": _flag(params, "facets"),
        "exact": _flag(params, "exact"),
    }


# --- the app --------------------------------------------------------------------------


class _Server:
    """The routes' shared state: the index, the worker pool, the write token."""

    def __init__(self, index: SearchIndex, workers: int, write_token: str | None,
                 max_body: int, page_size: int) -> None:
        self.index = index
        self.workers = workers
        self.write_token = write_token
        self.max_body = max_body
        self.page_size = page_size
        self._limiter: anyio.CapacityLimiter | None = None

    async def run(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``call`` in a worker thread, at most ``workers`` at once (the others wait)."""
        if self._limiter is None:  # made in the event loop, at the first request
            self._limiter = anyio.CapacityLimiter(self.workers)
        return await anyio.to_thread.run_sync(
            functools.partial(call, *args, **kwargs), limiter=self._limiter)

    # --- API ---

    async def health(self, request: Request) -> Response:
        documents = await self.run(len, self.index)
        return JSONResponse({"status": "ok", "version": __version__, "documents": documents})

    async def search(self, request: Request) -> Response:
        options = _search_options(request)
        results = await self.run(self.index.search, **options)
        return JSONResponse(results.to_dict())

    async def suggest(self, request: Request) -> Response:
        _check_values(request.query_params, ("q",))
        query = request.query_params.get("q", "")
        if not query.strip():
            raise InvalidArgumentError("q must be a query to suggest a better form of")
        suggestion = await self.run(self.index.suggest, query)
        return JSONResponse({"query": query, "suggestion": suggestion})

    async def _get(self, doc_id: str) -> StoredDocument:
        try:
            return await self.run(self.index.get, doc_id)
        except DocumentNotFoundError:  # (the library's message names the index's path)
            raise HTTPError(404, f"no document with id {doc_id!r}") from None

    async def document(self, request: Request) -> Response:
        doc = await self._get(request.path_params["id"])
        return JSONResponse(doc.to_dict())

    async def facets(self, request: Request) -> Response:
        facets = await self.run(self.index.facets)
        return JSONResponse({name: [[value, count] for value, count in counts]
                             for name, counts in facets.items()})

    async def stats(self, request: Request) -> Response:
        info = await self.run(self.index.stats)
        # Not the path: the server's file system is none of a client's business.
        return JSONResponse({"documents": info.documents, "size_bytes": info.size_bytes,
                             "format_version": info.format_version,
                             "analysis_version": info.analysis_version})

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi_description(writable=self.write_token is not None))

    # --- writing ---

    def _check_token(self, request: Request) -> None:
        if self.write_token is None:
            raise HTTPError(403, "writing is off: start the server with --write-token TOKEN")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
                given.strip().encode(), self.write_token.encode()):
            raise HTTPError(401, "writing needs the header 'Authorization: Bearer TOKEN' "
                                 "with the server's write token")

    async def _body(self, request: Request) -> bytes:
        """The request body, refused with 413 as soon as it is larger than allowed
        (whether or not the client announced its length)."""
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            raise HTTPError(413, f"request body too large: at most {self.max_body} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body:
                raise HTTPError(413, f"request body too large: at most {self.max_body} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    async def add_documents(self, request: Request) -> Response:
        self._check_token(request)
        docs = _parse_documents(await self._body(request))
        report = await self.run(self.index.index_documents, docs)
        return JSONResponse({
            "added": report.added, "updated": report.updated, "unchanged": report.unchanged,
            "skipped": [{"where": where, "why": why} for where, why in report.skipped],
        })

    async def delete_document(self, request: Request) -> Response:
        self._check_token(request)
        doc_id = request.path_params["id"]
        if not await self.run(self.index.delete, doc_id):
            raise HTTPError(404, f"no document with id {doc_id!r}")
        return JSONResponse({"deleted": 1})

    # --- the page ---

    async def page(self, request: Request) -> Response:
        size = _query_string_size(request)
        if size > MAX_QUERY_STRING:  # not read at all: the form comes back empty
            message = (f"Địa chỉ quá dài: phần sau dấu ? có {size} byte, tối đa "
                       f"{MAX_QUERY_STRING}. Hãy rút ngắn từ khóa hoặc bộ lọc.")
            return HTMLResponse(_layout("Tìm kiếm", _form("", {}) + _error_html(message)),
                                status_code=414)
        params = request.query_params
        query = params.get("q", "")
        filters = {name: params.get(name, "") for name in ("since", "until", "source",
                                                           "place", "cites")}
        body = _form(query, filters)
        status = 200
        if _query_chars(query) > MAX_QUERY_CHARS:
            # Said in words, not searched cut short: the hits would be for another query.
            status = 400
            body += _error_html(f"Từ khóa quá dài: tối đa {MAX_QUERY_CHARS} ký tự, từ khóa "
                                f"này có {_query_chars(query)} ký tự. Hãy rút ngắn từ khóa.")
        elif query.strip() or any(filters.values()):
            try:
                _check_values(params, tuple(filters))
                page = _integer(params, "page", 1)
                if page < 1:
                    raise InvalidArgumentError(f"page counts from 1, not {page}")
                results = await self.run(
                    self.index.search, query or None, self.page_size,
                    offset=(page - 1) * self.page_size, facets=True,
                    **{name: value or None for name, value in filters.items()})
                body += _results_html(results, filters, page)
            except Exception as error:
                status, message = _status(error)
                body += _error_html(f"Lỗi: {message}")
        title = f"{query[:80]} – Tìm kiếm" if query.strip() else "Tìm kiếm"
        return HTMLResponse(_layout(title, body), status_code=status)

    async def document_page(self, request: Request) -> Response:
        try:
            doc = await self._get(request.path_params["id"])
        except Exception as error:
            status, message = _status(error)
            if status == 404:
                message = "Không tìm thấy văn bản này."
            body = _error_html(message) + '<p><a href="/">Trở về trang tìm kiếm</a></p>'
            return HTMLResponse(_layout("Lỗi", body), status_code=status)
        return HTMLResponse(_layout(doc.title or doc.id, _document_html(doc)))


def create_app(
    index: SearchIndex,
    *,
    workers: int = 4,
    write_token: str | None = None,
    cors_origin: str | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    page_size: int = PAGE_SIZE,
) -> Starlette:
    """The web app over an open ``index`` (the caller closes it).

    ``workers``: queries run at once (more wait). ``write_token``: enables
    ``POST /api/v1/documents`` and ``DELETE /api/v1/documents/{id}`` for requests with
    ``Authorization: Bearer <token>``. ``cors_origin``: the one origin whose browser pages
    may call the API (none by default). ``max_body``: largest request body, in bytes.
    ``page_size``: hits on a page of the search page.
    """
    if workers < 1:
        raise InvalidArgumentError(f"workers must be at least 1, not {workers}")
    if page_size < 1:
        raise InvalidArgumentError(f"page_size must be at least 1, not {page_size}")
    if write_token is not None and not write_token.strip():
        raise InvalidArgumentError("write_token must not be empty")
    server = _Server(index, workers, write_token, max_body, page_size)
    routes = [
        Route("/", server.page),
        Route("/documents/{id:path}", server.document_page),
        Route(f"{API}/health", _api(server.health)),
        Route(f"{API}/search", _api(server.search)),
        Route(f"{API}/suggest", _api(server.suggest)),
        Route(f"{API}/facets", _api(server.facets)),
        Route(f"{API}/stats", _api(server.stats)),
        Route(f"{API}/openapi.json", _api(server.openapi)),
        Route(f"{API}/documents", _api(server.add_documents), methods=["POST"]),
        Route(f"{API}/documents/{{id:path}}", _api(server.document), methods=["GET"]),
        Route(f"{API}/documents/{{id:path}}", _api(server.delete_document),
              methods=["DELETE"]),
    ]
    middleware = []
    if cors_origin:
        middleware.append(Middleware(
            CORSMiddleware, allow_origins=[cors_origin],
            allow_methods=["GET", "POST", "DELETE"], allow_headers=["Authorization",
                                                                    "Content-Type"]))

    async def not_found(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(API):
            return _json_error(HTTPError(getattr(exc, "status_code", 404),
                                         getattr(exc, "detail", "not found")))
        return HTMLResponse(_layout("Không tìm thấy", '<p class="error">Không có trang này. '
                                    '<a href="/">Trở về trang tìm kiếm</a></p>'),
                            status_code=getattr(exc, "status_code", 404))

    return Starlette(routes=routes, middleware=middleware,
                     exception_handlers={404: not_found, 405: not_found})


def _parse_documents(body: bytes) -> list[Any]:
    """A JSON array of documents, or JSONL (one document a line)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidArgumentError(f"the body is not UTF-8 (byte {error.start})") from None
    if text.lstrip().startswith("["):
        try:
            docs = json.loads(text)
        except json.JSONDecodeError as error:
            raise InvalidArgumentError(f"the body is not a JSON array: {error}") from None
        return list(docs)
    docs = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                docs.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise InvalidArgumentError(f"line {number} is not JSON: {error}") from None
    if not docs:
        raise InvalidArgumentError("no documents: post a JSON array or JSONL, one a line")
    return docs


def run(index: SearchIndex, host: str = "127.0.0.1", port: int = 8000, **options: Any
        ) -> None:
    """Serve ``index`` with uvicorn until interrupted (options as for :func:`create_app`)."""
    import uvicorn

    uvicorn.run(create_app(index, **options), host=host, port=port, log_level="info")


# --- OpenAPI --------------------------------------------------------------------------


def openapi_description(writable: bool = False) -> dict[str, Any]:
    """The OpenAPI 3 description of the JSON API."""

    def param(name: str, kind: str, about: str, *, array: bool = False,
              where: str = "query", required: bool = False) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": kind}
        if kind == "string" and where == "query":
            schema["maxLength"] = MAX_VALUE_CHARS
        if array:
            schema = {"type": "array", "items": schema, "maxItems": MAX_FILTER_VALUES}
        return {"name": name, "in": where, "required": required, "description": about,
                "schema": schema, **({"explode": True} if array else {})}

    error = {"description": "An error: {\"error\": {\"status\": ..., \"message\": ...}}"}
    ok = {"description": "OK (JSON)"}
    doc_id = param("id", "string", "Document id", where="path", required=True)
    paths: dict[str, Any] = {
        f"{API}/search": {"get": {
            "summary": "Ranked search (accents and case optional)",
            "parameters": [
                param("q", "string", "The query; may be empty with a filter"),
                param("limit", "integer", "Hits to return (default 10)"),
                param("offset", "integer", "Ranked documents to skip (default 0)"),
                param("since", "string", "Dated on or after (2021-03-05, 2021-03, 2021)"),
                param("until", "string", "Dated on or before (inclusive)"),
                param("source", "string", "Publisher (repeatable)", array=True),
                param("place", "string", "Province or city (repeatable)", array=True),
                param("cites", "string", "Cited document, e.g. 25-NQ/TW", array=True),
                param("sort", "string", "relevance (default) or date (newest first)"),
                param("facets", "boolean", "Also count matches by year, source, place"),
                param("exact", "boolean", "No corrections, accents or acronyms"),
            ],
            "responses": {"200": ok, "400": error, "414": error}}},
        f"{API}/suggest": {"get": {
            "summary": "A better form of a query (accents restored, typos corrected)",
            "parameters": [param("q", "string", "The query", required=True)],
            "responses": {"200": ok, "400": error, "414": error}}},
        f"{API}/documents/{{id}}": {"get": {
            "summary": "A stored document", "parameters": [doc_id],
            "responses": {"200": ok, "404": error}}},
        f"{API}/facets": {"get": {"summary": "Facet counts over the whole index",
                                  "responses": {"200": ok}}},
        f"{API}/stats": {"get": {"summary": "Documents, size and format of the index",
                                 "responses": {"200": ok}}},
        f"{API}/health": {"get": {"summary": "Whether the server answers",
                                  "responses": {"200": ok}}},
    }
    if writable:
        auth = {"401": error, "413": error, "400": error}
        paths[f"{API}/documents"] = {"post": {
            "summary": "Index documents (a JSON array, or JSONL); same id = update",
            "security": [{"bearer": []}],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"type": "array", "items": {
                    "type": "object", "required": ["id", "body"]}}},
                "application/x-ndjson": {"schema": {"type": "string"}}}},
            "responses": {"200": ok, **auth}}}
        paths[f"{API}/documents/{{id}}"]["delete"] = {
            "summary": "Delete a document", "parameters": [doc_id],
            "security": [{"bearer": []}], "responses": {"200": ok, "404": error, **auth}}
    description: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "danvan-search", "version": __version__,
                 "description": "Full-text search for Vietnamese text"},
        "paths": paths,
    }
    if writable:
        description["components"] = {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}}
    return description


# --- HTML -----------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:48rem;margin:0 auto;padding:1rem;
line-height:1.5;color:#1a1a1a;background:#fff}
form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}
label{display:flex;flex-direction:column;font-size:.9rem}
input{font-size:1rem;padding:.4rem;border:1px solid #555;border-radius:4px}
#q{min-width:16rem;flex:1}
button{font-size:1rem;padding:.45rem 1rem;background:#0b5394;color:#fff;border:0;
border-radius:4px}
a{color:#0b5394}
a:focus,input:focus,button:focus{outline:3px solid #9a3412;outline-offset:2px}
mark{background:#ffe066;color:#000}
.meta{color:#444;font-size:.9rem}
.error{color:#a00000;font-weight:bold}
ol{padding-left:1.5rem}li{margin-bottom:1rem}
nav a{margin-right:1rem}
h2{font-size:1.25rem}h3{font-size:1.05rem}
dd,li,p,h1,h2{overflow-wrap:anywhere}
.body{white-space:pre-wrap;overflow-wrap:anywhere}
"""


def _layout(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f'<body><header><h1><a href="/">Tìm kiếm văn bản</a></h1></header>'
        f"<main>{body}</main></body></html>"
    )


def _error_html(message: str) -> str:
    return f'<p class="error" role="alert">{html.escape(message)}</p>'


def _form(query: str, filters: Mapping[str, str]) -> str:
    def field(name: str, label: str, value: str, kind: str = "text") -> str:
        return (f'<label for="{name}">{label}<input id="{name}" name="{name}" type="{kind}" '
                f'value="{html.escape(value)}" maxlength="{MAX_VALUE_CHARS}"></label>')

    return (
        '<form method="get" action="/" role="search">'
        + field("q", "Từ khóa", query, "search")
        + field("since", "Từ ngày", filters.get("since", ""))
        + field("until", "Đến ngày", filters.get("until", ""))
        + field("source", "Nguồn", filters.get("source", ""))
        + field("place", "Địa phương", filters.get("place", ""))
        + field("cites", "Trích dẫn", filters.get("cites", ""))
        + '<button type="submit">Tìm</button></form>'
    )


def _search_link(query: str, filters: Mapping[str, str], page: int = 1) -> str:
    params = {"q": query, **{k: v for k, v in filters.items() if v}}
    if page > 1:
        params["page"] = str(page)
    return "/?" + urlencode(params)


def _document_link(doc_id: str) -> str:
    return "/documents/" + quote(doc_id, safe="")


def _about(date: Any, source: str | None) -> str:
    parts = [date.strftime("%d/%m/%Y")] if date else []
    if source:
        parts.append(source)
    return html.escape(" · ".join(parts))


def _results_html(results: SearchResults, filters: Mapping[str, str], page: int) -> str:
    out = ["<h2>Kết quả</h2>"]
    if results.corrected_from:
        out.append(
            f"<p>Hiển thị kết quả cho: <strong>{html.escape(results.query)}</strong>. "
            f"Không có kết quả cho “{html.escape(results.corrected_from)}”.</p>")
    elif results.suggestion:
        out.append(
            f'<p>Có phải bạn muốn tìm: <a href="'
            f'{html.escape(_search_link(results.suggestion, filters))}">'
            f"{html.escape(results.suggestion)}</a></p>")
    if not results.total:
        out.append("<p>Không tìm thấy văn bản nào phù hợp.</p>")
        return "".join(out)
    if not results.hits:
        out.append(f"<p>Có {results.total} văn bản phù hợp, không có trang {page}.</p>")
        return "".join(out)
    first, last = results.hits[0].rank, results.hits[-1].rank
    shown = str(first) if first == last else f"{first}–{last}"
    out.append(f'<p role="status">Tìm thấy {results.total} văn bản (hiển thị {shown}).</p>')
    out.append(f'<ol start="{first}">')
    for hit in results:
        out.append(
            f'<li><a href="{html.escape(_document_link(hit.id))}">'
            f"{html.escape(hit.title or hit.id)}</a>"
            f'<div class="meta">{_about(hit.date, hit.source)}</div>'
            f"<p>{hit.snippet.html()}</p></li>")
    out.append("</ol>")
    links = []
    if page > 1:
        links.append(f'<a href="{html.escape(_search_link(results.query, filters, page - 1))}"'
                     ' rel="prev">« Trang trước</a>')
    if last < results.total:
        links.append(f'<a href="{html.escape(_search_link(results.query, filters, page + 1))}"'
                     ' rel="next">Trang sau »</a>')
    if links:
        out.append(f'<nav aria-label="Trang">{"".join(links)}</nav>')
    out.append(_facets_html(results, filters))
    return "".join(out)


_FACET_LABELS = {"year": "Năm", "source": "Nguồn", "place": "Địa phương", "cites": "Trích dẫn"}


def _facets_html(results: SearchResults, filters: Mapping[str, str], top: int = 10) -> str:
    """Counts of the matches by year, source, place and citation; each a link that adds
    it as a filter (a year is the range from its first to its last day)."""
    groups = []
    for name, label in _FACET_LABELS.items():
        items = []
        for value, count in results.facets.get(name, ())[:top]:
            narrowed = dict(filters)
            if name == "year":
                narrowed.update(since=value, until=value)
            else:
                narrowed[name] = value
            link = html.escape(_search_link(results.query, narrowed))
            items.append(f'<li><a href="{link}">{html.escape(value)}</a> ({count})</li>')
        if items:
            groups.append(f"<h3>{label}</h3><ul>{''.join(items)}</ul>")
    if not groups:
        return ""
    return f'<aside aria-label="Lọc kết quả"><h2>Lọc kết quả</h2>{"".join(groups)}</aside>'



def _document_html(doc: StoredDocument) -> str:
    rows = [("Mã", doc.id), ("Ngày", doc.date.strftime("%d/%m/%Y") if doc.date else None),
            ("Nguồn", doc.source), ("Tác giả", doc.author),
            ("Địa phương", ", ".join(doc.places)), ("Trích dẫn", ", ".join(doc.cites))]
    meta = "".join(f"<dt>{label}</dt><dd>{html.escape(value)}</dd>"
                   for label, value in rows if value)
    if doc.url and doc.url.lower().startswith(("http://", "https://")):  # no javascript:
        url = html.escape(doc.url)
        meta += f'<dt>Địa chỉ</dt><dd><a href="{url}" rel="noopener">{url}</a></dd>'
    return (f"<article><h2>{html.escape(doc.title or doc.id)}</h2><dl>{meta}</dl>"
            f'<div class="body">{html.escape(doc.body)}</div></article>'
            '<p><a href="/">Trở về trang tìm kiếm</a></p>')

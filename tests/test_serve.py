"""The HTTP server: the JSON API, the search page and writing, through Starlette's test
client on a small index; one test over real HTTP on loopback."""

from __future__ import annotations

import contextlib
import html
import json
import socket
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from danvan_search import SearchIndex
from danvan_search.query_syntax import MAX_QUERY_CHARS
from danvan_search.serve import create_app

DOCS = [
    {"id": "hue-2021", "title": "Công tác dân vận đầu nhiệm kỳ",
     "body": "Ban Dân vận Tỉnh uỷ phát động thi đua “Dân vận khéo” <b>trong</b> toàn tỉnh.",
     "date": "2021-03-05", "source": "thuathienhue.gov.vn", "url": "javascript:alert(1)"},
    {"id": "kg/2023", "title": "Kiên Giang tăng cường dân vận",
     "body": "Mô hình dân vận khéo ở xã Hòa Lợi, huyện Giồng Riềng.",
     "date": "2023-10-03", "source": "kiengiang.gov.vn"},
    {"id": "hn-2022", "title": "Hội nghị sơ kết",
     "body": "Hội nghị trực tuyến toàn quốc sơ kết công tác 6 tháng.",
     "date": "2022-07-15", "source": "dangcongsan.vn"},
]
TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("serve") / "ix"
    with SearchIndex.create(path) as ix:
        ix.add(DOCS)
    return path


@pytest.fixture
def client(index_path: Path) -> Iterator[TestClient]:
    with SearchIndex.open(index_path) as ix, TestClient(create_app(ix)) as client:
        yield client


@pytest.fixture
def writable(tmp_path: Path) -> Iterator[tuple[TestClient, SearchIndex]]:
    with SearchIndex.create(tmp_path / "ix") as ix:
        ix.add(DOCS)
        with TestClient(create_app(ix, write_token=TOKEN, max_body=2000)) as client:
            yield client, ix


def error_of(response) -> tuple[int, str]:
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"]["status"] == response.status_code
    return response.status_code, body["error"]["message"]


# --- the JSON API -----------------------------------------------------------------------


def test_health(client: TestClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": "0.1.0", "documents": 3}


def test_search_finds_the_documents_without_accents(client: TestClient) -> None:
    response = client.get("/api/v1/search", params={"q": "dan van kheo"})
    assert response.status_code == 200
    data = response.json()
    assert data["total"] == 2
    assert data["suggestion"] == "dân vận khéo"
    assert [hit["id"] for hit in data["hits"]] == ["hue-2021", "kg/2023"]
    assert [hit["rank"] for hit in data["hits"]] == [1, 2]
    first = data["hits"][0]
    start, end = first["snippet_highlights"][0]
    assert first["snippet"][start:end] == "Dân vận khéo"
    assert first["date"] == "2021-03-05"


def test_search_passes_its_options_to_the_library(client: TestClient,
                                                  index_path: Path) -> None:
    params = {"q": "dân vận", "limit": "1", "offset": "1", "since": "2021", "until": "2023",
              "sort": "date", "facets": "true", "exact": "true"}
    data = client.get("/api/v1/search", params=params).json()
    with SearchIndex.open(index_path) as ix:
        expected = ix.search("dân vận", 1, offset=1, since="2021", until="2023",
                             sort="date", facets=True, exact=True).to_dict()
    assert data == expected
    assert data["offset"] == 1 and [hit["id"] for hit in data["hits"]] == ["hue-2021"]
    assert data["facets"]["year"] == [["2021", 1], ["2023", 1]]


def test_search_filters_by_repeated_sources(client: TestClient) -> None:
    params = [("q", "dân vận"), ("source", "kiengiang.gov.vn"), ("source", "dangcongsan.vn")]
    data = client.get("/api/v1/search", params=params).json()
    assert (data["total"], [hit["id"] for hit in data["hits"]]) == (1, ["kg/2023"])


def test_search_with_only_a_filter_lists_newest_first(client: TestClient) -> None:
    data = client.get("/api/v1/search", params={"since": "2022"}).json()
    assert [hit["id"] for hit in data["hits"]] == ["kg/2023", "hn-2022"]


@pytest.mark.parametrize(("params", "message"), [
    ({"q": "dân", "limit": "x"}, "limit must be an integer, not 'x'"),
    ({"q": "dân", "limit": "0"}, "search(): limit must be at least 1, not 0"),
    ({"q": "dân", "offset": "-1"}, "search(): offset must be 0 or more, not -1"),
    ({"q": "dân", "sort": "bad"}, "search(): sort must be \"relevance\" or \"date\", not 'bad'"),
    ({"q": "dân", "facets": "maybe"}, "facets must be true or false, not 'maybe'"),
    ({"q": "dân", "colour": "red"}, "unknown parameter 'colour'; known: q, limit, offset, "
                                    "since, until, source, place, cites, sort, facets, exact"),
    ({"q": ""}, "empty query: type some words to search for"),
])
def test_bad_search_parameters_are_400(client: TestClient, params: dict[str, str],
                                       message: str) -> None:
    assert error_of(client.get("/api/v1/search", params=params)) == (400, message)


def test_a_bad_date_is_400_naming_it(client: TestClient) -> None:
    status, message = error_of(client.get("/api/v1/search",
                                          params={"q": "dân", "since": "2021-01-01garbage"}))
    assert status == 400
    assert message.startswith("since must be a date") and "'2021-01-01garbage'" in message


def test_suggest(client: TestClient) -> None:
    response = client.get("/api/v1/suggest", params={"q": "dan van kheo"})
    assert response.json() == {"query": "dan van kheo", "suggestion": "dân vận khéo"}
    assert error_of(client.get("/api/v1/suggest")) == (
        400, "q must be a query to suggest a better form of")


def test_document_by_id_even_with_a_slash(client: TestClient) -> None:
    for url in ("/api/v1/documents/kg/2023", "/api/v1/documents/kg%2F2023"):
        data = client.get(url).json()
        assert data["id"] == "kg/2023"
        assert data["body"] == DOCS[1]["body"]
        assert data["date"] == "2023-10-03"


def test_an_unknown_document_is_404(client: TestClient) -> None:
    assert error_of(client.get("/api/v1/documents/nope")) == (
        404, "no document with id 'nope'")


def test_an_unknown_api_path_is_a_json_404(client: TestClient) -> None:
    assert error_of(client.get("/api/v1/nothing")) == (404, "Not Found")


def test_facets_and_stats(client: TestClient) -> None:
    assert client.get("/api/v1/facets").json() == {
        "year": [["2021", 1], ["2022", 1], ["2023", 1]],
        "source": [["dangcongsan.vn", 1], ["kiengiang.gov.vn", 1],
                   ["thuathienhue.gov.vn", 1]],
        "place": [], "cites": [],
    }
    stats = client.get("/api/v1/stats").json()
    assert set(stats) == {"documents", "size_bytes", "format_version", "analysis_version"}
    assert stats["documents"] == 3 and stats["size_bytes"] > 0


def test_openapi_describes_every_read_endpoint(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"] == "3.0.3"
    assert sorted(spec["paths"]) == [
        "/api/v1/documents/{id}", "/api/v1/facets", "/api/v1/health", "/api/v1/search",
        "/api/v1/stats", "/api/v1/suggest"]
    names = [p["name"] for p in spec["paths"]["/api/v1/search"]["get"]["parameters"]]
    assert names == ["q", "limit", "offset", "since", "until", "source", "place", "cites",
                     "sort", "facets", "exact"]
    q, *_, source = spec["paths"]["/api/v1/search"]["get"]["parameters"][:6]
    assert q["schema"] == {"type": "string", "maxLength": 1000}
    assert source["schema"] == {"type": "array", "maxItems": 100,
                                "items": {"type": "string", "maxLength": 1000}}
    assert sorted(spec["paths"]["/api/v1/search"]["get"]["responses"]) == ["200", "400", "414"]


def test_a_library_error_is_a_json_500_with_its_message(index_path: Path) -> None:
    with SearchIndex.open(index_path) as ix:
        client = TestClient(create_app(ix))
    status, message = error_of(client.get("/api/v1/search", params={"q": "dân"}))
    assert status == 500 and "closed" in message and "Traceback" not in message


def test_an_unexpected_error_is_a_json_500_that_tells_nothing(index_path: Path) -> None:
    with SearchIndex.open(index_path) as ix:
        def broken(*args, **kwargs):
            raise RuntimeError("secret internals at /srv/x.py line 3")

        ix.search = broken  # type: ignore[method-assign]
        client = TestClient(create_app(ix))
        response = client.get("/api/v1/search", params={"q": "dân"})
        page = client.get("/", params={"q": "dân"})
    assert error_of(response) == (
        500, "internal error: the server could not answer this request")
    assert page.status_code == 500 and "secret" not in page.text
    assert "Lỗi: internal error: the server could not answer this request" in page.text


def test_a_commit_by_another_writer_shows_in_the_next_search(tmp_path: Path) -> None:
    with SearchIndex.create(tmp_path / "ix") as ix, TestClient(create_app(ix)) as client:
        ix.add(DOCS[:1])
        assert client.get("/api/v1/search", params={"q": "hội nghị"}).json()["total"] == 0
        with SearchIndex.open(tmp_path / "ix") as other:
            other.add(DOCS[2:])
        data = client.get("/api/v1/search", params={"q": "hội nghị"}).json()
        assert [hit["id"] for hit in data["hits"]] == ["hn-2022"]


def test_queries_run_at_most_workers_at_once(index_path: Path) -> None:
    running, most = 0, 0
    lock = threading.Lock()

    with SearchIndex.open(index_path) as ix:
        search = ix.search

        def slow_search(*args, **kwargs):
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            time.sleep(0.05)
            with lock:
                running -= 1
            return search(*args, **kwargs)

        ix.search = slow_search  # type: ignore[method-assign]
        app = create_app(ix, workers=2)
        with TestClient(app) as client:
            threads = [threading.Thread(target=client.get, args=("/api/v1/search",),
                                        kwargs={"params": {"q": "dân"}}) for _ in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    assert most == 2


# --- limits -----------------------------------------------------------------------------


def test_a_query_over_the_librarys_limit_is_400_not_searched(index_path: Path) -> None:
    calls = []
    with SearchIndex.open(index_path) as ix:
        search = ix.search
        ix.search = lambda *a, **k: calls.append(a) or search(*a, **k)  # type: ignore
        client = TestClient(create_app(ix))
        longest = "dân vận " * 124 + "khéo hội"
        assert len(longest) == MAX_QUERY_CHARS == 1000
        assert client.get("/api/v1/search", params={"q": longest}).status_code == 200
        assert client.get("/", params={"q": longest}).status_code == 200
        assert len(calls) == 2
        for query, length in [(longest + "!", 1001), ("x" * 5000, 5000)]:
            assert error_of(client.get("/api/v1/search", params={"q": query})) == (
                400, f"q is too long: at most 1000 characters, not {length}")
            assert error_of(client.get("/api/v1/suggest", params={"q": query})) == (
                400, f"q is too long: at most 1000 characters, not {length}")
            page = client.get("/", params={"q": query})
            assert page.status_code == 400
            assert ('<p class="error" role="alert">Từ khóa quá dài: tối đa 1000 ký tự, từ '
                    f"khóa này có {length} ký tự. Hãy rút ngắn từ khóa.</p>") in page.text
            assert "<ol" not in page.text
        assert len(calls) == 2  # none of the long ones reached the index


def test_a_query_is_measured_composed() -> None:
    import unicodedata

    query = "dân vận khéo " * 76 + "khéo"  # 992 characters, 1,144 decomposed
    decomposed = unicodedata.normalize("NFD", query)
    assert len(decomposed) > MAX_QUERY_CHARS >= len(query)
    with SearchIndex.create(Path(tempfile.mkdtemp()) / "ix") as ix:
        ix.add(DOCS)
        client = TestClient(create_app(ix))
        assert client.get("/api/v1/search", params={"q": decomposed}).json()["total"] == 2


@pytest.mark.parametrize(("params", "message"), [
    ([("q", "dân")] * 2, "q given 2 times: give it once"),
    ([("q", "dân"), ("sort", "date"), ("sort", "relevance")], "sort given 2 times: give it once"),
    ([("q", "dân"), ("source", "x" * 1001)], "source is too long: at most 1000 characters, "
                                              "not 1001"),
    ([("q", "dân"), *[("cites", f"{n}-NQ/TW") for n in range(101)]],
     "cites given 101 times: at most 100"),
])
def test_parameters_repeated_or_too_long_are_400(client: TestClient, params, message) -> None:
    assert error_of(client.get("/api/v1/search", params=params)) == (400, message)


def test_a_hundred_values_of_a_filter_are_fine(client: TestClient) -> None:
    params = [("q", "dân vận"), *[("source", f"s{n}.vn") for n in range(99)],
              ("source", "kiengiang.gov.vn")]
    data = client.get("/api/v1/search", params=params).json()
    assert [hit["id"] for hit in data["hits"]] == ["kg/2023"]


def test_a_query_string_over_16_kib_is_414_everywhere(client: TestClient) -> None:
    padding = "&source=" + "s" * 997  # 1,005 bytes a value: fine one by one
    url = "/api/v1/search?q=d%C3%A2n" + padding * 17
    assert len(url.partition("?")[2]) == 17_095
    assert error_of(client.get(url)) == (
        414, "the query string is too long: at most 16384 bytes, not 17095")
    assert error_of(client.get("/api/v1/health?" + "x" * 16_385)) == (
        414, "the query string is too long: at most 16384 bytes, not 16385")
    page = client.get("/?" + url.partition("?")[2])
    assert page.status_code == 414
    assert ('<p class="error" role="alert">Địa chỉ quá dài: phần sau dấu ? có 17095 byte, '
            "tối đa 16384. Hãy rút ngắn từ khóa hoặc bộ lọc.</p>") in page.text
    assert client.get("/api/v1/health?" + "x" * 16_384).status_code == 200


def test_the_page_refuses_a_filter_value_too_long(client: TestClient) -> None:
    page = client.get("/", params={"q": "dân", "place": "Huế" * 400})
    assert page.status_code == 400
    assert ('<p class="error" role="alert">Lỗi: place is too long: at most 1000 characters, '
            "not 1200</p>") in page.text


def test_a_request_line_beyond_what_the_server_reads_is_refused_and_it_goes_on(
        index_path: Path, serving) -> None:
    with SearchIndex.open(index_path) as ix, serving(create_app(ix)) as port:
        answer = _raw_get(port, "/api/v1/search?q=" + "a" * 1_000_000)
        assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
        assert answer.endswith(b"\r\n\r\nInvalid HTTP request received.")
        answer = _raw_get(port, "/api/v1/health")
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
        assert answer.endswith(b'{"status":"ok","version":"0.1.0","documents":3}')


def _raw_get(port: int, target: str) -> bytes:
    """The whole answer to a GET sent as bytes (a client library would refuse to send a
    URL this long)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        # Refused before it was all sent: the answer is there all the same.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            sock.sendall(request.encode())
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


# --- writing ----------------------------------------------------------------------------


def test_writing_is_off_without_a_token(client: TestClient) -> None:
    response = client.post("/api/v1/documents", json=[{"id": "x", "body": "y"}],
                           headers={"Authorization": f"Bearer {TOKEN}"})
    assert error_of(response) == (
        403, "writing is off: start the server with --write-token TOKEN")
    assert error_of(client.delete("/api/v1/documents/kg/2023"))[0] == 403
    assert client.get("/api/v1/documents/kg/2023").status_code == 200


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN])
def test_writing_needs_the_right_bearer_token(writable, header: str | None) -> None:
    client, ix = writable
    headers = {"Authorization": header} if header else {}
    response = client.post("/api/v1/documents", json=[{"id": "x", "body": "Dân vận"}],
                           headers=headers)
    assert error_of(response) == (401, "writing needs the header 'Authorization: Bearer "
                                       "TOKEN' with the server's write token")
    assert error_of(client.delete("/api/v1/documents/hn-2022", headers=headers))[0] == 401
    assert sorted(ix.ids()) == ["hn-2022", "hue-2021", "kg/2023"]


def test_openapi_describes_writing_when_it_is_on(writable) -> None:
    client, _ = writable
    spec = client.get("/api/v1/openapi.json").json()
    assert sorted(spec["paths"]["/api/v1/documents/{id}"]) == ["delete", "get"]
    assert sorted(spec["paths"]["/api/v1/documents"]) == ["post"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_post_a_json_array_then_jsonl_then_delete(writable) -> None:
    client, ix = writable
    auth = {"Authorization": f"Bearer {TOKEN}"}
    response = client.post("/api/v1/documents", headers=auth, json=[
        {"id": "new-1", "title": "Mặt trận Tổ quốc", "body": "Mặt trận Tổ quốc Việt Nam"},
        {"id": "hn-2022", "body": "Hội nghị đã đổi"},
        {"body": "no id"},
    ])
    report = response.json()
    assert response.status_code == 200
    assert (report["added"], report["updated"], report["unchanged"]) == (1, 1, 0)
    assert len(report["skipped"]) == 1
    lines = json.dumps({"id": "new-2", "body": "Thi đua yêu nước"}, ensure_ascii=False)
    response = client.post("/api/v1/documents", headers=auth, content=(lines + "\n").encode())
    assert response.json() == {"added": 1, "updated": 0, "unchanged": 0, "skipped": []}
    hits = client.get("/api/v1/search", params={"q": "mat tran to quoc"}).json()["hits"]
    assert [hit["id"] for hit in hits] == ["new-1"]
    assert client.delete("/api/v1/documents/new-1", headers=auth).json() == {"deleted": 1}
    assert error_of(client.delete("/api/v1/documents/new-1", headers=auth)) == (
        404, "no document with id 'new-1'")
    assert sorted(ix.ids()) == ["hn-2022", "hue-2021", "kg/2023", "new-2"]


def test_a_body_that_is_not_documents_is_400(writable) -> None:
    client, _ = writable
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert error_of(client.post("/api/v1/documents", headers=auth, content=b"{oops\n")
                    )[1].startswith("line 1 is not JSON")
    assert error_of(client.post("/api/v1/documents", headers=auth, content=b"")) == (
        400, "no documents: post a JSON array or JSONL, one a line")
    assert error_of(client.post("/api/v1/documents", headers=auth, content=b"\xff")) == (
        400, "the body is not UTF-8 (byte 0)")


def test_a_body_over_the_limit_is_413_and_nothing_is_written(writable) -> None:
    client, ix = writable
    auth = {"Authorization": f"Bearer {TOKEN}"}
    big = [{"id": "big", "body": "dân vận " * 400}]
    assert error_of(client.post("/api/v1/documents", headers=auth, json=big)) == (
        413, "request body too large: at most 2000 bytes")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
        yield json.dumps(big).encode()

    assert error_of(client.post("/api/v1/documents", headers=auth, content=chunks()))[0] == 413
    assert "big" not in ix


def test_cors_is_off_unless_an_origin_is_given(index_path: Path) -> None:
    origin = {"Origin": "https://example.org"}
    with SearchIndex.open(index_path) as ix:
        plain = TestClient(create_app(ix))
        assert "access-control-allow-origin" not in plain.get("/api/v1/health",
                                                              headers=origin).headers
        allowed = TestClient(create_app(ix, cors_origin="https://example.org"))
        response = allowed.get("/api/v1/health", headers=origin)
        assert response.headers["access-control-allow-origin"] == "https://example.org"
        other = allowed.get("/api/v1/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


# --- the page ---------------------------------------------------------------------------


def test_the_page_without_a_query_is_the_form(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert '<html lang="vi">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert ('<label for="q">Từ khóa<input id="q" name="q" type="search" value="" '
            'maxlength="1000"></label>') in page
    assert "<ol" not in page and "<script" not in page and "http" not in page


def test_the_page_shows_highlighted_escaped_results(client: TestClient) -> None:
    page = client.get("/", params={"q": "dan van kheo"}).text
    assert 'value="dan van kheo"' in page
    assert ('Có phải bạn muốn tìm: <a href="/?q=d%C3%A2n+v%E1%BA%ADn+kh%C3%A9o">'
            "dân vận khéo</a>") in page
    assert "Tìm thấy 2 văn bản (hiển thị 1–2)." in page
    assert ("thi đua “<mark>Dân vận khéo</mark>” &lt;b&gt;trong&lt;/b&gt; toàn tỉnh.") in page
    assert '<a href="/documents/kg%2F2023">Kiên Giang tăng cường dân vận</a>' in page
    assert '<div class="meta">05/03/2021 · thuathienhue.gov.vn</div>' in page
    assert "<b>trong" not in page


def test_the_page_escapes_the_query(client: TestClient) -> None:
    page = client.get("/", params={"q": '"><script>x</script>'}).text
    assert "<script>x" not in page
    assert 'value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in page


def test_a_page_beyond_the_last_says_so(client: TestClient) -> None:
    page = client.get("/", params={"q": "dân vận", "page": "2"}).text
    assert "Có 2 văn bản phù hợp, không có trang 2." in page


def test_the_page_links_to_the_next_and_previous_pages(tmp_path: Path) -> None:
    docs = [{"id": f"d{n:02}", "body": f"Dân vận khéo số {n}", "date": f"2020-01-{n:02}"}
            for n in range(1, 13)]
    with SearchIndex.create(tmp_path / "ix") as ix:
        ix.add(docs)
        client = TestClient(create_app(ix))
        first = client.get("/", params={"q": "dân vận", "since": "2020"}).text
        assert "Tìm thấy 12 văn bản (hiển thị 1–10)." in first
        assert '<a href="/?q=d%C3%A2n+v%E1%BA%ADn&amp;since=2020&amp;page=2" rel="next">' in first
        assert "rel=\"prev\"" not in first
        second = client.get("/", params={"q": "dân vận", "since": "2020", "page": "2"}).text
        assert "Tìm thấy 12 văn bản (hiển thị 11–12)." in second
        assert second.count('<li><a href="/documents/') == 2
        assert '<a href="/?q=d%C3%A2n+v%E1%BA%ADn&amp;since=2020" rel="prev">' in second
        assert 'rel="next"' not in second


def test_the_page_counts_facets_that_filter_when_followed(client: TestClient) -> None:
    page = client.get("/", params={"q": "dan van kheo"}).text
    year = "/?q=dan+van+kheo&amp;since=2023&amp;until=2023"
    source = "/?q=dan+van+kheo&amp;source=thuathienhue.gov.vn"
    assert f'<li><a href="{year}">2023</a> (1)</li>' in page
    assert f'<li><a href="{source}">thuathienhue.gov.vn</a> (1)</li>' in page
    narrowed = client.get(html.unescape(source)).text
    assert "Tìm thấy 1 văn bản (hiển thị 1)." in narrowed
    assert '<a href="/documents/hue-2021">' in narrowed
    assert '<a href="/documents/kg%2F2023">' not in narrowed
    assert 'id="source" name="source" type="text" value="thuathienhue.gov.vn"' in narrowed


def test_the_page_says_when_nothing_matches(client: TestClient) -> None:
    page = client.get("/", params={"q": "bóng đá", "exact": "1"}).text
    assert "Không tìm thấy văn bản nào phù hợp." in page


def test_the_page_shows_errors_with_their_status(client: TestClient) -> None:
    response = client.get("/", params={"q": "dân", "since": "garbage"})
    assert response.status_code == 400
    assert '<p class="error" role="alert">Lỗi: since must be a date' in response.text
    assert client.get("/", params={"q": "dân", "page": "0"}).status_code == 400


def test_the_document_page(client: TestClient) -> None:
    response = client.get("/documents/hue-2021")
    page = response.text
    assert response.status_code == 200
    assert "<h2>Công tác dân vận đầu nhiệm kỳ</h2>" in page
    assert "<dt>Ngày</dt><dd>05/03/2021</dd>" in page
    assert "“Dân vận khéo” &lt;b&gt;trong&lt;/b&gt; toàn tỉnh." in page
    assert "javascript:" not in page  # a url that is not http(s) is not made a link
    missing = client.get("/documents/nope")
    assert missing.status_code == 404
    assert "Không tìm thấy văn bản này." in missing.text


# --- over real HTTP -----------------------------------------------------------------------


def test_the_server_answers_over_http_on_loopback(index_path: Path, serving) -> None:
    with SearchIndex.open(index_path) as ix, serving(create_app(ix)) as port:
        url = f"http://127.0.0.1:{port}/api/v1/health"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
            assert json.load(response) == {"status": "ok", "version": "0.1.0",
                                           "documents": 3}


# --- the command ------------------------------------------------------------------------


def test_the_serve_command_passes_its_options(index_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from danvan_search import serve
    from danvan_search.cli import main

    calls = []
    monkeypatch.setattr(serve, "run", lambda ix, **options: calls.append((len(ix), options)))
    result = CliRunner().invoke(main, ["serve", "--index", str(index_path), "--port", "8123",
                                       "--write-token", "t", "--cors", "https://a.example"])
    assert result.exit_code == 0, result.output
    assert calls == [(3, {"host": "127.0.0.1", "port": 8123, "workers": 4,
                          "write_token": "t", "cors_origin": "https://a.example"})]
    assert "Warning" not in result.output


def test_serving_on_every_interface_warns(index_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from danvan_search import serve
    from danvan_search.cli import main

    monkeypatch.setattr(serve, "run", lambda ix, **options: None)
    result = CliRunner().invoke(main, ["serve", "--index", str(index_path),
                                       "--host", "0.0.0.0"])
    assert result.exit_code == 0
    assert result.output == ("Warning: listening on 0.0.0.0: anyone who can reach this "
                             "machine can search the index\n")


def test_the_serve_command_help_and_a_missing_index(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from danvan_search.cli import main

    help_text = CliRunner().invoke(main, ["serve", "--help"]).output
    assert "danvan-search serve --index indexes/news --port 8000" in help_text
    result = CliRunner().invoke(main, ["serve", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1


def test_the_command_line_does_not_import_the_server() -> None:
    import subprocess
    import sys

    code = ("import sys, danvan_search.cli; "
            "print(sorted(m for m in ('starlette', 'uvicorn', 'anyio') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out == "[]\n"

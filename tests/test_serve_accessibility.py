"""Accessibility of the search page, read from the HTML and CSS the server sends: the
language, labels, headings and the contrast of every colour the page defines. (Focus,
the keyboard and the rendered colours are checked in a browser: test_serve_browser.py.)"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from starlette.testclient import TestClient

from danvan_search import SearchIndex
from danvan_search.serve import _STYLE, create_app

DOCS = [
    {"id": f"d{n}", "title": f"Dân vận khéo số {n}", "body": f"Phong trào Dân vận khéo {n}.",
     "date": f"202{n}-03-05", "source": "thuathienhue.gov.vn", "places": ["Huế"],
     "url": "https://example.org/" + "a" * 200}
    for n in range(1, 5)
]

#: Pages of every kind the server makes: the form, results (with suggestion, facets,
#: paging), a page past the last, errors, a document, a missing document, no such page.
PAGES = [
    "/", "/?q=dan+van+kheo", "/?q=d%C3%A2n+v%E1%BA%ADn&page=2", "/?q=d%C3%A2n&page=9",
    "/?q=b%C3%B3ng+%C4%91%C3%A1", "/?q=d%C3%A2n&since=garbage", "/?q=" + "x" * 1001,
    "/?" + "x" * 20_000, "/documents/d1", "/documents/nope", "/no/such/page",
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path = tmp_path_factory.mktemp("a11y") / "ix"
    with SearchIndex.create(path) as ix:
        ix.add(DOCS)
        yield TestClient(create_app(ix, page_size=2))


class PageOutline(HTMLParser):
    """What the checks need from a page: its language, headings, controls, labels and
    the text of links and buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.title = ""
        self.headings: list[tuple[int, str]] = []
        self.controls: list[dict[str, str | None]] = []
        self.labels: dict[str, str] = {}  # for= -> its text
        self.named: list[tuple[str, str]] = []  # (tag, text) of links and buttons
        self._open: list[list] = []  # [tag, attrs, text] of elements whose text we want
        self._in_label: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        if tag in ("input", "select", "textarea", "button") and attributes.get(
                "type") != "hidden":
            self.controls.append({**attributes, "tag": tag,
                                  "wrapped": "yes" if self._in_label else None})
        if tag == "label":
            self._in_label.append(attributes.get("for") or "")
        if tag in ("title", "h1", "h2", "h3", "h4", "h5", "h6", "a", "button", "label"):
            self._open.append([tag, attributes, ""])

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._in_label:
            self._in_label.pop()
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                _, attributes, text = self._open.pop(i)
                text = " ".join(text.split())
                for outer in self._open:  # a link's text is also its heading's
                    outer[2] += " " + text
                if tag == "title":
                    self.title = text
                elif tag == "label":
                    self.labels[attributes.get("for") or ""] = text
                elif tag in ("a", "button"):
                    self.named.append((tag, attributes.get("aria-label") or text))
                else:
                    self.headings.append((int(tag[1]), text))
                break

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][2] += data


def outline(client: TestClient, url: str) -> PageOutline:
    response = client.get(url)
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    parser = PageOutline()
    parser.feed(response.text)
    return parser


@pytest.mark.parametrize("url", PAGES, ids=lambda url: url[:40])
def test_every_page_is_in_vietnamese_with_a_title(client: TestClient, url: str) -> None:
    page = outline(client, url)
    assert page.lang == "vi"
    assert page.title


@pytest.mark.parametrize("url", PAGES, ids=lambda url: url[:40])
def test_every_form_control_has_a_label(client: TestClient, url: str) -> None:
    page = outline(client, url)
    for control in page.controls:
        if control["tag"] == "button":
            continue  # named by its text: below
        name = control.get("id") or ""
        assert name and page.labels.get(name), f"{control} has no <label for=...> with text"
    assert all(text for _, text in page.named), f"a link or button without text: {page.named}"


def test_the_form_has_its_six_labelled_fields(client: TestClient) -> None:
    page = outline(client, "/")
    assert page.labels == {"q": "Từ khóa", "since": "Từ ngày", "until": "Đến ngày",
                           "source": "Nguồn", "place": "Địa phương", "cites": "Trích dẫn"}
    assert [c["id"] for c in page.controls if c["tag"] == "input"] == list(page.labels)
    assert ("button", "Tìm") in page.named


@pytest.mark.parametrize("url", PAGES, ids=lambda url: url[:40])
def test_headings_go_down_one_level_at_a_time(client: TestClient, url: str) -> None:
    levels = [level for level, _ in outline(client, url).headings]
    assert levels[0] == 1 and levels.count(1) == 1, levels
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"h{before} then h{after}: {levels}"


def test_the_headings_of_a_results_page(client: TestClient) -> None:
    assert outline(client, "/?q=dan+van+kheo").headings == [
        (1, "Tìm kiếm văn bản"), (2, "Kết quả"), (2, "Lọc kết quả"), (3, "Năm"),
        (3, "Nguồn"), (3, "Địa phương")]
    assert outline(client, "/documents/d1").headings == [
        (1, "Tìm kiếm văn bản"), (2, "Dân vận khéo số 1")]


# --- contrast -------------------------------------------------------------------------------


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a #rgb or #rrggbb colour."""
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    assert re.fullmatch(r"[0-9a-fA-F]{6}", digits), f"not a hex colour: {colour}"
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_formula_on_known_pairs() -> None:
    assert contrast("#000", "#fff") == pytest.approx(21)
    assert contrast("#fff", "#fff") == pytest.approx(1)
    assert contrast("#767676", "#fff") == pytest.approx(4.54, abs=0.01)  # the AA threshold


def css_rules(css: str) -> dict[str, dict[str, str]]:
    """Each selector of a flat style sheet with its declarations."""
    rules: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = dict(
            (name.strip(), value.strip())
            for name, _, value in (d.partition(":") for d in body.split(";") if d.strip()))
        for selector in selectors.split(","):
            rules.setdefault(selector.strip(), {}).update(declarations)
    return rules


def colour_of(value: str) -> str:
    found = re.findall(r"#[0-9a-fA-F]{3,6}\b", value)
    assert len(found) == 1, f"a colour this check cannot read: {value!r}"
    return found[0]


def colour_pairs(css: str) -> list[tuple[str, str, str, float]]:
    """(selector, foreground, background, minimum ratio) for every colour the style sheet
    sets: text against its own background or the page's (4.5:1, WCAG AA); borders and
    outlines against the page (3:1, WCAG 1.4.11, non-text)."""
    rules = css_rules(css)
    page_text, page_background = colour_of(rules["body"]["color"]), colour_of(
        rules["body"]["background"])
    pairs = []
    for selector, declarations in rules.items():
        background = colour_of(declarations.get("background", page_background))
        if "color" in declarations or "background" in declarations:
            text = colour_of(declarations.get("color", page_text))
            pairs.append((selector, text, background, 4.5))
        for name in ("border", "outline"):
            if declarations.get(name, "none") not in ("0", "none"):  # border:0 draws none
                pairs.append((f"{selector} {name}", colour_of(declarations[name]),
                              page_background, 3.0))
    return pairs


def test_every_colour_of_the_page_has_enough_contrast() -> None:
    pairs = colour_pairs(_STYLE)
    weak = [(selector, fg, bg, round(contrast(fg, bg), 2))
            for selector, fg, bg, least in pairs if contrast(fg, bg) < least]
    assert weak == []
    # Every colour written in the style sheet is in some pair checked above.
    checked = {c.lower() for _, fg, bg, _ in pairs for c in (fg, bg)}
    assert {c.lower() for c in re.findall(r"#[0-9a-fA-F]{3,6}\b", _STYLE)} <= checked
    assert len(pairs) >= 8


def test_the_contrast_check_catches_a_pale_colour() -> None:
    pale = _STYLE.replace(".meta{color:#444", ".meta{color:#aaa")
    assert pale != _STYLE
    weak = [(s, fg) for s, fg, bg, least in colour_pairs(pale) if contrast(fg, bg) < least]
    assert weak == [(".meta", "#aaa")]
    amber = _STYLE.replace("outline:3px solid #9a3412", "outline:3px solid #f4b400")
    assert [s for s, fg, bg, least in colour_pairs(amber) if contrast(fg, bg) < least] == [
        "a:focus outline", "input:focus outline", "button:focus outline"]

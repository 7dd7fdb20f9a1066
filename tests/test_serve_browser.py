"""The search page in a real browser: Debian's headless Chromium driven by Selenium, over
the real server (uvicorn on a loopback port) and an index of the seed articles (read as
pages, as the command line reads them; conftest.py's, whose ids are the file names).

Needs the `chromium` and `chromium-driver` packages. Without them these tests are skipped
with the reason, unless DANVAN_REQUIRE_BROWSER=1 (as in CI, whose script installs them):
then they fail.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from danvan_search import SearchIndex
from danvan_search.serve import create_app

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
QUERY = "dan van kheo"
#: Hits a page: small enough that the four matches of QUERY take two pages.
PAGE_SIZE = 2
FOCUS_OUTLINE = ("solid", "3px", "rgb(154, 52, 18)")  # #9a3412, as the style sheet says
HUE = {  # the seed page from thuathienhue.gov.vn, as the document page shows it
    "title": "Tập trung nâng cao hiệu quả hoạt động, phát huy vai trò, vị thế công tác dân "
             "vận ngay từ đầu nhiệm kỳ",
    "meta": [("Mã", "000_ade4d488ee155d8d"), ("Ngày", "05/03/2021"),
             ("Nguồn", "thuathienhue.gov.vn"), ("Địa phương", "Thừa Thiên Huế"),
             ("Trích dẫn", "11-QĐi/TW, 2083-QĐ/TU, 42/NQ-CP")],
}


def _unavailable(reason: str) -> None:
    if os.environ.get("DANVAN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}, and DANVAN_REQUIRE_BROWSER=1 requires the browser tests",
                    pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> tuple[str, str]:
    """The paths of the browser and of its driver."""
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (browser and driver):
        _unavailable("needs Debian's chromium and chromium-driver (apt-get install chromium "
                     "chromium-driver)")
    try:
        import selenium  # noqa: F401  (in the test extra)
    except ImportError:
        _unavailable("needs selenium (pip install -e '.[test]')")
    return browser, driver  # type: ignore[return-value]


def start_browser(chromium: tuple[str, str], *, javascript: bool = True) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium[0]
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=vi"):
        options.add_argument(argument)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2})
    # Given the driver's path, Selenium looks for nothing to download.
    driver = webdriver.Chrome(options=options, service=Service(chromium[1]))
    driver.set_page_load_timeout(20)
    return driver


@pytest.fixture(scope="module")
def site(chromium, seeds_index_path: Path, serving) -> Iterator[str]:
    """The base URL of the server over the index of seeds/."""
    with (SearchIndex.open(seeds_index_path) as ix,
          serving(create_app(ix, page_size=PAGE_SIZE)) as port):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def expected(seeds_index_path: Path) -> dict[str, Any]:
    """What the library answers for QUERY, two hits a page: the browser must show it."""
    with SearchIndex.open(seeds_index_path) as ix:
        pages = [ix.search(QUERY, PAGE_SIZE, page=n) for n in (1, 2)]
    return {"titles": [[hit.title for hit in page] for page in pages],
            "marks": [[[hit.snippet.text[a:b] for a, b in hit.snippet.highlights]
                       for hit in page] for page in pages]}


@pytest.fixture(scope="module")
def browser(chromium) -> Iterator[Any]:
    driver = start_browser(chromium)
    try:
        yield driver
    finally:
        driver.quit()


def test_a_missing_browser_fails_where_it_is_required(monkeypatch) -> None:
    monkeypatch.setenv("DANVAN_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception) as failed:
        _unavailable("needs it")
    assert failed.value.msg == "needs it, and DANVAN_REQUIRE_BROWSER=1 requires the browser tests"
    monkeypatch.delenv("DANVAN_REQUIRE_BROWSER")
    with pytest.raises(pytest.skip.Exception) as skipped:
        _unavailable("needs it")
    assert skipped.value.msg == "needs it"
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "apt-get install -y -qq --no-install-recommends chromium chromium-driver" in ci
    assert "\nexport DANVAN_REQUIRE_BROWSER=1\n" in ci


# --- helpers ----------------------------------------------------------------------------


def css(driver: Any, selector: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def all_css(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def link(driver: Any, text: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.LINK_TEXT, text)


def follow(driver: Any, action: Any) -> None:
    """Do ``action`` (a click, a key) and wait for the page it leads to."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = css(driver, "html")
    action()
    WebDriverWait(driver, 10).until(expected_conditions.staleness_of(old))
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return document.readyState") == "complete")


def status(driver: Any) -> str:
    return css(driver, "[role=status]").text


def hits(driver: Any) -> list[tuple[str, list[str]]]:
    """Each hit's title and the texts marked in its snippet."""
    return [(css(item, "a").text, [m.text for m in all_css(item, "mark")])
            for item in all_css(driver, "main ol > li")]


def shoot(driver: Any, path: Path) -> None:
    driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000


def no_horizontal_scroll(driver: Any) -> tuple[int, int]:
    return tuple(driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"))


# --- a search, as a person makes it -----------------------------------------------------


def test_search_paging_facet_and_document(browser, site: str, expected, tmp_path: Path
                                          ) -> None:
    browser.get(site + "/")
    assert browser.title == "Tìm kiếm"
    box = css(browser, "#q")
    box.send_keys(QUERY)
    follow(browser, css(browser, "button[type=submit]").click)
    shoot(browser, tmp_path / "1-results.png")

    assert browser.title == "dan van kheo – Tìm kiếm"
    assert css(browser, "#q").get_attribute("value") == QUERY
    assert status(browser) == "Tìm thấy 4 văn bản (hiển thị 1–2)."
    suggestion = css(browser, "main > p:first-of-type")
    assert suggestion.text == "Có phải bạn muốn tìm: dân vận khéo"
    assert css(suggestion, "a").get_attribute("href") == (
        site + "/?q=d%C3%A2n+v%E1%BA%ADn+kh%C3%A9o")
    first_page = hits(browser)
    assert first_page == list(zip(expected["titles"][0], expected["marks"][0], strict=True))
    assert [a.text for a in all_css(browser, "nav[aria-label=Trang] a")] == ["Trang sau »"]

    follow(browser, link(browser, "Trang sau »").click)
    shoot(browser, tmp_path / "2-next-page.png")
    assert status(browser) == "Tìm thấy 4 văn bản (hiển thị 3–4)."
    assert css(browser, "main ol").get_attribute("start") == "3"
    second_page = hits(browser)
    assert second_page == list(zip(expected["titles"][1], expected["marks"][1], strict=True))
    assert [a.text for a in all_css(browser, "nav[aria-label=Trang] a")] == ["« Trang trước"]
    # The four seed articles that say it, each once over the two pages, and the one that
    # names the movement in capitals shows it marked so.
    both = dict(first_page + second_page)
    assert len(both) == 4 and "Dân vận khéo" in both[HUE["title"]]

    facets = {h3.text: [li.text for li in all_css(group, "li")]
              for h3, group in zip(all_css(browser, "aside h3"), all_css(browser, "aside ul"),
                                   strict=True)}
    assert facets["Năm"] == ["2021 (1)", "2022 (1)", "2023 (1)"]
    assert facets["Nguồn"] == ["baothanhhoa.vn (1)", "thuathienhue.gov.vn (1)"]
    follow(browser, link(browser, "thuathienhue.gov.vn").click)
    shoot(browser, tmp_path / "3-facet.png")
    assert status(browser) == "Tìm thấy 1 văn bản (hiển thị 1)."
    assert css(browser, "#source").get_attribute("value") == "thuathienhue.gov.vn"
    assert [title for title, _ in hits(browser)] == [HUE["title"]]
    assert all_css(browser, "nav[aria-label=Trang] a") == []

    follow(browser, link(browser, HUE["title"]).click)
    shoot(browser, tmp_path / "4-document.png")
    assert browser.title == HUE["title"]
    assert css(browser, "article h2").text == HUE["title"]
    terms = [(dt.text, dd.text) for dt, dd in zip(all_css(browser, "dl dt"),
                                                  all_css(browser, "dl dd"), strict=True)]
    assert terms == HUE["meta"]
    assert "phong trào thi đua “Năm Dân vận khéo”" in css(browser, "article .body").text

    # Back, and the did-you-mean link searches the accented form, which needs no help.
    browser.back()
    browser.back()
    browser.back()
    assert status(browser) == "Tìm thấy 4 văn bản (hiển thị 1–2)."
    follow(browser, link(browser, "dân vận khéo").click)
    assert css(browser, "#q").get_attribute("value") == "dân vận khéo"
    assert status(browser) == "Tìm thấy 4 văn bản (hiển thị 1–2)."
    assert "Có phải bạn muốn tìm" not in css(browser, "main").text


def test_the_page_needs_no_javascript(chromium, site: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    driver = start_browser(chromium, javascript=False)
    try:
        driver.get(site + "/")
        script_free = ("return [document.scripts.length, [...document.querySelectorAll('*')]"
                       ".filter(e => [...e.attributes].some(a => a.name.startsWith('on')))"
                       ".length]")
        assert driver.execute_script(script_free) == [0, 0]
        follow(driver, lambda: css(driver, "#q").send_keys(QUERY + Keys.ENTER))
        assert status(driver) == "Tìm thấy 4 văn bản (hiển thị 1–2)."
        assert driver.execute_script(script_free) == [0, 0]
        follow(driver, link(driver, "Trang sau »").click)
        assert status(driver) == "Tìm thấy 4 văn bản (hiển thị 3–4)."
        follow(driver, link(driver, "2021").click)
        assert status(driver) == "Tìm thấy 1 văn bản (hiển thị 1)."
        assert (css(driver, "#since").get_attribute("value"),
                css(driver, "#until").get_attribute("value")) == ("2021", "2021")
        follow(driver, link(driver, HUE["title"]).click)
        assert css(driver, "article h2").text == HUE["title"]
        assert driver.execute_script(script_free) == [0, 0]
        shoot(driver, tmp_path / "no-javascript.png")
    finally:
        driver.quit()


# --- the keyboard -----------------------------------------------------------------------


def tab(driver: Any) -> Any:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    ActionChains(driver).send_keys(Keys.TAB).perform()
    return driver.switch_to.active_element


def outline(driver: Any, element: Any) -> tuple[str, str, str]:
    return tuple(driver.execute_script(
        "const s = getComputedStyle(arguments[0]);"
        "return [s.outlineStyle, s.outlineWidth, s.outlineColor]", element))


def test_the_keyboard_alone_searches_and_opens_a_document(browser, site: str, expected,
                                                          tmp_path: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    browser.get(site + "/")
    first = tab(browser)
    assert (first.tag_name, first.text) == ("a", "Tìm kiếm văn bản")  # the heading's link
    assert outline(browser, first) == FOCUS_OUTLINE
    box = tab(browser)
    assert box.get_attribute("id") == "q"
    assert outline(browser, box) == FOCUS_OUTLINE
    shoot(browser, tmp_path / "focus.png")
    follow(browser, lambda: box.send_keys(QUERY + Keys.ENTER))  # Enter submits
    assert status(browser) == "Tìm thấy 4 văn bản (hiển thị 1–2)."

    reached = []
    for _ in range(40):  # the form's six fields and button, the suggestion, then the hits
        element = tab(browser)
        reached.append(element.text or element.get_attribute("id"))
        if element.text == expected["titles"][0][0]:
            break
    assert reached[:8] == ["Tìm kiếm văn bản", "q", "since", "until", "source", "place",
                           "cites", "Tìm"]
    assert reached[8:] == ["dân vận khéo", expected["titles"][0][0]]
    assert outline(browser, element) == FOCUS_OUTLINE
    follow(browser, lambda: element.send_keys(Keys.ENTER))
    assert css(browser, "article h2").text == expected["titles"][0][0]


# --- the screen -------------------------------------------------------------------------


#: A document as `danvan-search index` stores a file: no title, so its id, a long absolute
#: path, stands for it; and a long address. Neither has a space or a hyphen to break at.
LONG_WORDS = {"id": "/srv/tin_tuc/thuathienhue_gov_vn_tap_trung_nang_cao_hieu_qua_hoat_dong"
                    "_cong_tac_dan_van_nhiem_ky_2021.txt",
              "body": "Thi đua Dân vận khéo.",
              "url": "https://thuathienhue.gov.vn/tin?ArticleId=0f1e2d3c4b5a69788796a5b4c3d2e1f0"
                     "a9b8c7d6e5f4"}


def test_a_phone_screen_needs_no_sideways_scrolling(browser, site: str, serving,
                                                    tmp_path: Path) -> None:
    from urllib.parse import quote

    with SearchIndex.create(tmp_path / "ix") as ix:
        ix.add([LONG_WORDS])
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 375, "height": 812, "deviceScaleFactor": 2, "mobile": True})
    try:
        with SearchIndex.open(tmp_path / "ix") as ix, serving(create_app(ix)) as port:
            other = f"http://127.0.0.1:{port}"
            pages = {"form": site + "/", "results": site + "/?q=dan+van+kheo",
                     "document": site + "/documents/000_ade4d488ee155d8d",
                     "error": site + "/?q=" + "x" * 1001,
                     "long-words": other + "/documents/" + quote(LONG_WORDS["id"], safe=""),
                     "long-words-results": other + "/?q=thi+dua"}
            for name, url in pages.items():
                browser.get(url)
                shoot(browser, tmp_path / f"phone-{name}.png")
                assert no_horizontal_scroll(browser) == (375, 375), name
        box = css(browser, "#q").rect  # the search box fits and is wide enough to type in
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375 and box["width"] >= 250
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


_TEXT_COLOURS = """
const opaque = c => c && c !== 'transparent' && !/^rgba\\(.*,\\s*0\\)$/.test(c);
const out = [];
for (const el of document.body.querySelectorAll('*')) {
  const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own && !el.matches('input, button')) continue;
  let back = null;
  for (let e = el; e && !back; e = e.parentElement) {
    const b = getComputedStyle(e).backgroundColor;
    if (opaque(b)) back = b;
  }
  out.push([el.tagName.toLowerCase(), (el.value || el.textContent).trim().slice(0, 30),
            getComputedStyle(el).color, back || 'rgb(255, 255, 255)']);
}
return out;
"""


def _rgb(colour: str) -> tuple[float, ...]:
    found = re.fullmatch(r"rgba?\((\d+), (\d+), (\d+)(?:, 1)?\)", colour)
    assert found, f"a colour this test cannot read: {colour}"
    return tuple(int(v) / 255 for v in found.groups())


def _luminance(colour: str) -> float:
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
              for c in _rgb(colour)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(first: str, second: str) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_every_text_as_rendered_has_contrast(browser, site: str) -> None:
    seen = set()
    for url in ("/?q=dan+van+kheo", "/?q=d%C3%A2n&since=garbage",
                "/documents/002_6093d6844a4749a0"):
        browser.get(site + url)
        texts = browser.execute_script(_TEXT_COLOURS)
        assert len(texts) >= 10
        weak = [(tag, text, fg, bg, round(_contrast(fg, bg), 2))
                for tag, text, fg, bg in texts if _contrast(fg, bg) < 4.5]
        assert weak == [], url
        seen.update(tag for tag, *_ in texts)
    assert {"mark", "a", "button", "input", "p", "h2", "h3", "dt", "dd", "div"} <= seen


# --- limits -----------------------------------------------------------------------------


def test_the_search_box_takes_at_most_1000_characters(browser, site: str) -> None:
    browser.get(site + "/")
    box = css(browser, "#q")
    browser.execute_script("arguments[0].value = 'x'.repeat(995)", box)
    box.send_keys(" dân vận")  # the first five characters go in, the rest do not
    assert box.get_attribute("value") == "x" * 995 + " dân "
    browser.get(site + "/?q=" + "d%C3%A2n+" * 250 + "x")  # 1,001 characters in the URL
    assert css(browser, "[role=alert]").text == (
        "Từ khóa quá dài: tối đa 1000 ký tự, từ khóa này có 1001 ký tự. Hãy rút ngắn từ khóa.")
    assert all_css(browser, "main ol") == []

"""``browse``'s site in a real browser: Debian's headless Chromium driven by
Playwright (``apt-get install -y chromium``; nothing is installed at run time).

Opens the index and a document page from ``file://`` with every non-file request
blocked and recorded, counts the highlighted spans against the release, uses the
filters, the entity details, the sentence toggle and the views, checks the console
stayed clean, and saves a screenshot of each page type to ``build/screenshots/``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from corpus_builder.release.read import read_release

from conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = ROOT / "build" / "screenshots"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed: run `apt-get install -y chromium` to test the site in a browser")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield b
        b.close()


class Page:
    """A page whose console errors, uncaught exceptions and requests are recorded;
    anything not from ``file://`` is blocked."""

    def __init__(self, browser):
        self.page = browser.new_page(viewport={"width": 1280, "height": 1000})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        self.requests.append(url)
        route.continue_() if url.startswith("file://") else route.abort()

    def visible_rows(self) -> int:
        return self.page.locator("#documents tbody tr:visible").count()


def test_site_in_chromium(browser, browsed, release_dir):
    release = read_release(release_dir)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    p = Page(browser)
    page = p.page

    # the index: every document, and each filter leaves exactly the rows it matches
    page.goto((browsed.out / "index.html").as_uri())
    assert p.visible_rows() == len(release.documents)
    for split in ("train", "test"):
        page.select_option("#filter-split", split)
        expected = sum(r["split"] == split for r in release.documents.values())
        assert p.visible_rows() == expected < len(release.documents)
        assert page.inner_text("#shown").startswith(f"{expected} of {len(release.documents)}")
    page.select_option("#filter-split", "")
    rare = min(release.labels, key=lambda label: sum(any(release.labels[e["label"]] == label for e in r["entities"])
                                                      for r in release.documents.values()) or 99)
    page.select_option("#filter-label", rare)
    assert p.visible_rows() == sum(any(release.labels[e["label"]] == rare for e in r["entities"])
                                   for r in release.documents.values())
    page.select_option("#filter-label", "")
    page.select_option("#filter-source", "adjudication")
    assert p.visible_rows() == sum(any(e["source"] == "adjudication" for e in r["entities"])
                                   for r in release.documents.values())
    page.select_option("#filter-source", "")
    page.screenshot(path=str(SCREENSHOTS / "index.png"), full_page=True)

    # a document page: one highlighted span per entity of the release
    doc_id = max(release.documents, key=lambda d: len({e["source"] for e in release.documents[d]["entities"]}))
    entities = release.documents[doc_id]["entities"]
    page.click(f'a[href="doc/{doc_id}.html"]')
    page.wait_for_load_state()
    spans = page.locator("#published mark.entity").count()
    assert spans == len(entities)
    assert page.locator(".sentence:visible").count() == 0
    page.check("#toggle-sentences")
    assert page.locator("#published .sentence:visible").count() == len(release.documents[doc_id]["sentences"]) - 1
    reviewed = next(i for i, e in enumerate(entities) if e["op_ids"])
    page.locator("#published mark.entity").nth(reviewed).click()
    details = page.inner_text("#details")
    assert page.is_visible("#details") and entities[reviewed]["op_ids"].split()[0] in details
    assert release.labels[entities[reviewed]["label"]] in details
    page.screenshot(path=str(SCREENSHOTS / "document.png"))

    page.click("[data-view=model]")
    assert page.is_visible("#model") and not page.is_visible("#published")
    assert page.locator("#gold mark.entity").count() == len(entities)
    assert page.locator("#model mark.entity").count() == page.locator("tr[id^=m-]").count() > 0
    page.screenshot(path=str(SCREENSHOTS / "model-vs-gold.png"))
    page.click("[data-view=changes]")
    assert page.is_visible("#changes")
    page.screenshot(path=str(SCREENSHOTS / "changes.png"))

    assert p.errors == []
    assert p.requests and all(u.startswith("file://") for u in p.requests), p.requests
    shots = sorted(SCREENSHOTS.glob("*.png"))
    print(f"\nbrowser: Chromium {browser.version}; pages opened: index.html, doc/{doc_id}.html; "
          f"highlighted spans {spans} (release: {len(entities)} entities); console errors: {len(p.errors)}; "
          f"requests: {len(p.requests)}, all file://; screenshots: "
          + ", ".join(str(s.relative_to(ROOT)) for s in shots))

#!/usr/bin/env python3
"""Opens the built book in headless Chromium as a reader would, and fails on what a reader
would notice.

Serves book/book on 127.0.0.1 and opens every page in the light and navy themes, at a
desktop width (1280 px) and a phone width (390 px). It fails on:

* any request that leaves the loopback address (such requests are blocked, then reported);
* any response with an error status, or a request that fails;
* an image with zero natural width (a missing or broken figure);
* a JavaScript error or a console error;
* raw TeX in the rendered prose outside code (`$$`, `\\frac`, `\\begin`, ...);
* a KaTeX error element;
* an empty main content;
* a page wider than the window; a table that scrolls sideways (at 1280 px any table, on a
  phone a claims ledger: a wide table of numbers may scroll there); a displayed formula
  that is cut off instead of scrolling.

Then `print.html` must hold every chapter, every figure and all the rendered math, and the
search box must find one characteristic term of each chapter. Screenshots of every chapter
in both themes go to target/screenshots (full pages at 1280 px, the top of each page at
390 px).

Usage: python3 scripts/browser_check.py [--book book/book] [--shots target/screenshots]
Needs the `playwright` package and a Chromium binary (Debian's `chromium`); it never
downloads a browser. scripts/browser_check.sh installs both when missing.
"""

import argparse
import functools
import http.server
import os
import re
import shutil
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright

THEMES = ("light", "navy")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# One characteristic term per chapter: the search box must list the chapter for it.
SEARCH_TERMS = {
    "taylor.html": "Lagrange",
    "newton.html": "IRLS",
    "rectifier.html": "α-rescaling",
    "softmax.html": "NormFace",
    "sphereface.html": "A-Softmax",
    "alignment.html": "Delaunay",
    "oecnn.html": "DeepID2",
    "pca_ae.html": "Baldi",
    "review.html": "Dauphin",
}

# Raw TeX that must not be visible in prose (outside code, outside rendered math).
RAW_TEX = re.compile(r"\$\$|\\frac|\\begin|\\sum|\\left|\\mathrm|\\alpha|\$\\")

# Runs in the page: everything the per-page checks need, in one round trip.
PAGE_PROBE = r"""
() => {
  const main = document.querySelector('main');
  const out = {};
  out.mainText = main ? main.innerText.trim().length : 0;
  out.brokenImages = Array.from(document.images)
      .filter(i => !i.complete || i.naturalWidth === 0)
      .map(i => i.getAttribute('src'));
  out.images = Array.from(document.querySelectorAll('main img')).map(i => i.getAttribute('src'));
  out.katex = document.querySelectorAll('main .katex').length;
  out.katexErrors = Array.from(document.querySelectorAll('.katex-error'))
      .map(e => e.getAttribute('title') || e.textContent).slice(0, 5);
  // Prose text with code, rendered math and collapsed sources taken out.
  let prose = '';
  if (main) {
    const clone = main.cloneNode(true);
    clone.querySelectorAll('pre, code, .katex, .katex-display, script, style, details')
        .forEach(e => e.remove());
    prose = clone.textContent;
  }
  out.prose = prose;
  // Layout: the page must not be wider than the window.
  out.pageOverflow = document.documentElement.scrollWidth - window.innerWidth;
  // Tables may not scroll sideways (a test name out of view is a test name unread): none
  // at a desktop width; on a phone, no claims ledger (a wide table of numbers may scroll).
  const phone = window.innerWidth < 600;
  out.tables = Array.from(document.querySelectorAll('main table')).map((t, k) => {
    const box = t.parentElement;
    const ledger = box.matches('h2[id^="claims-ledger"] ~ .table-wrapper');
    return {k, ledger, table: t.scrollWidth, box: box.clientWidth,
            head: (t.querySelector('th') || {}).textContent || ''};
  }).filter(t => t.table > t.box + 1 && (t.ledger || !phone));
  // Displayed formulas: wider than their box is fine only if the box scrolls.
  out.cutMath = Array.from(document.querySelectorAll('main .katex-display')).filter(d => {
    const style = getComputedStyle(d);
    return d.scrollWidth > d.clientWidth + 1 && !/(auto|scroll)/.test(style.overflowX);
  }).length;
  out.h1 = Array.from(document.querySelectorAll('main h1')).map(h => h.textContent.trim());
  return out;
}
"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(root):
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Page:
    """One browser page with its network and console watched; problems go to `problems`."""

    def __init__(self, browser, origin, theme, viewport, problems):
        self.origin = origin
        self.problems = problems
        self.where = ""
        self.context = browser.new_context(viewport=viewport)
        self.context.add_init_script(
            f"try {{ localStorage.setItem('mdbook-theme', '{theme}'); }} catch (e) {{}}"
            # print.html calls window.print() when it loads; a headless run has no printer.
            "window.print = () => {};")
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.fail(f"JavaScript error: {e}"))
        self.page.on("response", self._response)
        self.page.on("requestfailed", self._failed)

    def fail(self, msg):
        self.problems.append(f"{self.where}: {msg}")

    def _local(self, url):
        u = urlparse(url)
        if u.scheme in ("data", "blob", "about"):
            return True
        return u.scheme in ("http", "https") and u.hostname == "127.0.0.1"

    def _route(self, route):
        url = route.request.url
        if self._local(url):
            route.continue_()
        else:
            self.fail(f"request leaves loopback: {url}")
            route.abort("blockedbyclient")

    def _console(self, msg):
        if msg.type == "error":
            self.fail(f"console error: {msg.text}")

    def _response(self, resp):
        if resp.status >= 400:
            self.fail(f"HTTP {resp.status}: {resp.url}")

    def _failed(self, req):
        if self._local(req.url):
            self.fail(f"request failed ({req.failure}): {req.url}")

    def open(self, name):
        self.where = self.where or name
        self.page.goto(f"{self.origin}/{name}", wait_until="load")
        self.page.wait_for_load_state("networkidle")
        return self.page.evaluate(PAGE_PROBE)

    def close(self):
        self.context.close()


def check_page(name, probe, width, fail):
    if probe["mainText"] < 20:
        fail("the main content is empty")
    for src in probe["brokenImages"]:
        fail(f"image with zero natural width: {src}")
    for err in probe["katexErrors"]:
        fail(f"KaTeX error element: {err}")
    for m in RAW_TEX.finditer(probe["prose"]):
        s = probe["prose"]
        ctx = s[max(0, m.start() - 40): m.end() + 40].replace("\n", " ")
        fail(f"raw TeX in the prose: ...{ctx}...")
        break
    if probe["pageOverflow"] > 1:
        fail(f"the page is {probe['pageOverflow']} px wider than a {width} px window")
    for t in probe["tables"]:
        fail(f"table {t['k']} (first header '{t['head']}') is {t['table']} px wide "
             f"in a {t['box']} px column: the reader must scroll to see all of it")
    if probe["cutMath"]:
        fail(f"{probe['cutMath']} displayed formula(s) are cut off instead of scrolling")


def pages_of(book):
    skip = {"toc.html", "print.html"}
    return sorted(p.name for p in book.glob("*.html") if p.name not in skip)


def chapters_of(book):
    """Chapter pages in the order of the table of contents (from toc.html)."""
    toc = (book / "toc.html").read_text(encoding="utf-8") if (book / "toc.html").exists() else ""
    names = []
    for href in re.findall(r'href="([a-z0-9_-]+\.html)"', toc):
        if href not in names and href != "index.html":
            names.append(href)
    return names or [p for p in pages_of(book) if p not in ("index.html", "404.html")]


def search(page, term):
    """Types `term` into the book's search box; returns the result links."""
    page.keyboard.press("s")
    bar = page.locator("#mdbook-searchbar, #searchbar").first
    bar.wait_for(state="visible", timeout=10_000)
    # The index loads on the first key press: type, wait, then type again if needed.
    results = []
    for _ in range(3):
        bar.fill("")
        bar.type(term, delay=20)
        page.wait_for_timeout(800)
        results = page.eval_on_selector_all(
            "#mdbook-searchresults a, #searchresults a", "as => as.map(a => a.getAttribute('href'))")
        if results:
            break
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--book", default="book/book")
    ap.add_argument("--shots", default="target/screenshots")
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM") or shutil.which("chromium")
                    or shutil.which("chromium-browser") or "/usr/bin/chromium")
    ap.add_argument("--pages", default="",
                    help="comma-separated pages to check (default: all, then print and search)")
    args = ap.parse_args()
    book = Path(args.book)
    shots = Path(args.shots)
    if not (book / "index.html").exists():
        sys.exit(f"browser check: {book}/index.html does not exist; build the book first")
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)

    start = time.time()
    server = serve(book)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    problems = []
    pages = pages_of(book)
    only = [p for p in args.pages.split(",") if p]
    if only:
        pages = [p for p in pages if p in only]
    chapters = chapters_of(book)
    per_page = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        for theme in THEMES:
            for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                t0 = time.time()
                pg = Page(browser, origin, theme, viewport, problems)
                for name in pages:
                    pg.where = f"{name} [{theme}, {viewport['width']} px]"
                    probe = pg.open(name)
                    applied = pg.page.evaluate("document.documentElement.className")
                    if theme not in applied.split():
                        pg.fail(f"theme {theme} not applied (html class '{applied}')")
                    check_page(name, probe, viewport["width"], pg.fail)
                    if theme == "light" and label == "desktop":
                        per_page[name] = probe
                    if name in chapters or name == "index.html":
                        stem = name[:-5]
                        pg.page.screenshot(path=str(shots / f"{stem}-{theme}-{label}.png"),
                                           full_page=(label == "desktop"),
                                           # a long page at full height takes a while
                                           # on a loaded 2-core machine
                                           timeout=180_000)
                pg.close()
                print(f"    {theme}, {viewport['width']} px: {len(pages)} pages "
                      f"({time.time() - t0:.0f} s)")

        if only:
            browser.close()
            server.shutdown()
            return finish(problems, shots, f"{len(pages)} pages", start)

        # print.html: every chapter, every figure, all the math.
        pg = Page(browser, origin, "light", DESKTOP, problems)
        pg.where = "print.html"
        probe = pg.open("print.html")
        check_page("print.html", probe, DESKTOP["width"], pg.fail)
        h1 = set(probe["h1"])
        for name in chapters:
            title = per_page.get(name, {}).get("h1", [])
            if title and title[0] not in h1:
                pg.fail(f"chapter '{title[0]}' ({name}) is missing")
        want_imgs = sum(len(per_page[n]["images"]) for n in chapters if n in per_page)
        if len(probe["images"]) < want_imgs:
            pg.fail(f"{len(probe['images'])} figures, the chapters show {want_imgs}")
        want_math = sum(per_page[n]["katex"] for n in chapters if n in per_page)
        if probe["katex"] < want_math:
            pg.fail(f"{probe['katex']} rendered formulas, the chapters have {want_math}")
        print(f"    print.html: {len(chapters)} chapters, {len(probe['images'])} figures, "
              f"{probe['katex']} formulas")
        pg.close()

        # Search: one characteristic term per chapter.
        pg = Page(browser, origin, "light", DESKTOP, problems)
        pg.where = "search page"
        pg.open("index.html")
        for page_name, term in SEARCH_TERMS.items():
            pg.where = f"search '{term}'"
            hits = search(pg.page, term)
            if not any(h and re.split(r"[?#]", h)[0].endswith(page_name) for h in hits):
                pg.fail(f"no result in {page_name} (results: {hits[:5]})")
            else:
                print(f"    search '{term}': {len(hits)} results, {page_name} among them")
            pg.page.keyboard.press("Escape")
        pg.close()
        browser.close()
    server.shutdown()

    finish(problems, shots, f"{len(pages)} pages x {len(THEMES)} themes x 2 widths, "
           f"print.html, {len(SEARCH_TERMS)} searches", start)


def finish(problems, shots, what, start):
    n_shots = len(list(shots.glob("*.png")))
    print(f"    {what}; {n_shots} screenshots in {shots} ({time.time() - start:.0f} s)")
    if problems:
        for msg in dict.fromkeys(problems):
            print(f"BROWSER CHECK FAILED: {msg}", file=sys.stderr)
        sys.exit(1)
    print("browser check: ok")


if __name__ == "__main__":
    main()

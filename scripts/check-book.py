#!/usr/bin/env python3
"""Checks the built book (after `mdbook build`) the way a reader meets it.

1. Links: every relative link and image in every page points to a file of
   the book, and every `#fragment` to an id in that file.
2. In headless Chromium at 1280 px, for every chapter page: each diagram
   is an <svg> (no raw diagram source, no mermaid error), every chapter
   has one, and no <pre> is wider than its box (nothing scrolls sideways).
   It also measures how many columns of a Rust listing fit the column.
3. Search: `index.html?search=WORD` lists results for each WORD below.

Usage: scripts/check-book.py [BOOK_DIR]    (default: book)
Needs python3 and `chromium` (Debian's package) on PATH.
"""
import concurrent.futures
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

SEARCH_WORDS = ["JoinHandle", "catch_unwind", "SIGKILL"]
WIDTH = 1280

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--window-size={WIDTH},900",
    "--virtual-time-budget=15000",
]

# Runs in each chapter page once it has loaded. It waits (in the browser's
# virtual time) for mermaid to render every diagram, then writes what it
# found into the page as JSON, which --dump-dom hands back.
PROBE = r"""
<script>
(function () {
  function report() {
    const out = {diagrams: [], overflowing: [], columns: null};
    for (const pre of document.querySelectorAll('pre.mermaid')) {
      const svg = pre.querySelector('svg');
      out.diagrams.push({
        svg: !!svg,
        error: !!svg && /Syntax error|Parse error/.test(svg.textContent),
        raw: /^\s*(sequenceDiagram|flowchart|graph|stateDiagram)/.test(pre.textContent),
        start: pre.textContent.trim().slice(0, 60),
      });
    }
    // The box that scrolls is the <pre>, or the <code> in it (highlight.js
    // gives that one overflow-x: auto).
    for (const pre of document.querySelectorAll('#mdbook-content pre')) {
      const code = pre.querySelector(':scope > code');
      for (const box of [pre, code]) {
        if (box && box.scrollWidth > box.clientWidth) {
          out.overflowing.push({
            lang: code ? code.className : '',
            scroll: box.scrollWidth, client: box.clientWidth,
            line: pre.textContent.split('\n').reduce((a, b) => b.length > a.length ? b : a, ''),
          });
          break;
        }
      }
    }
    // How many characters of a Rust listing fit in its box.
    const listing = document.querySelector('#mdbook-content pre > code.language-rust');
    if (listing) {
      const style = getComputedStyle(listing);
      const inner = listing.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      const probe = document.createElement('span');
      probe.textContent = 'x'.repeat(200);
      listing.appendChild(probe);
      const char = probe.getBoundingClientRect().width / 200;
      probe.remove();
      out.columns = Math.floor(inner / char);
    }
    const node = document.createElement('div');
    node.id = 'nsf-report';
    node.textContent = JSON.stringify(out);
    document.body.appendChild(node);
  }
  let waited = 0;
  function poll() {
    const pending = [...document.querySelectorAll('pre.mermaid')]
      .filter(pre => !pre.querySelector('svg'));
    if (pending.length === 0 || waited >= 10000) { report(); return; }
    waited += 100;
    setTimeout(poll, 100);
  }
  window.addEventListener('load', () => setTimeout(poll, 100));
})();
</script>
"""


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            if attrs.get(key) and tag in ("a", "img", "link", "script", "iframe"):
                self.links.append(attrs[key])


def parse(path, cache={}):
    if path not in cache:
        parser = Links()
        parser.feed(path.read_text(encoding="utf-8"))
        cache[path] = parser
    return cache[path]


def check_links(book):
    problems = []
    pages = [p for p in sorted(book.rglob("*.html")) if p.name != "404.html"]
    checked = 0
    for page in pages:
        for link in parse(page).links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith("//"):
                continue  # external: not checked here
            target = page if not parts.path else (page.parent / unquote(parts.path))
            target = Path(os.path.normpath(target))
            if target.is_dir():
                target = target / "index.html"
            checked += 1
            if not target.is_file():
                problems.append(f"{page.relative_to(book)}: broken link {link}")
                continue
            if parts.fragment and target.suffix == ".html":
                if unquote(parts.fragment) not in parse(target).ids:
                    problems.append(f"{page.relative_to(book)}: no anchor #{parts.fragment} in {link}")
    print(f"links: {checked} links in {len(pages)} pages checked, {len(problems)} broken")
    return problems


def chromium(url, profile):
    result = subprocess.run(
        ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True, text=True, timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"chromium failed on {url}: {result.stderr[-2000:]}")
    return result.stdout


def check_page(copy, page):
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        dom = chromium(page.as_uri(), profile)
    found = re.search(r'<div id="nsf-report">(.*?)</div>', dom, re.S)
    name = str(page.relative_to(copy))
    if not found:
        return name, None
    return name, json.loads(html.unescape(found.group(1)))


def check_in_browser(book):
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "book"
        shutil.copytree(book, copy)
        pages = [copy / "introduction.html"] + sorted(copy.glob("[0-9][0-9]-*/index.html"))
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            reports = list(pool.map(lambda p: check_page(copy, p), pages))
    columns = set()
    diagrams = 0
    for name, report in reports:
        if report is None:
            problems.append(f"{name}: the probe never reported (page did not load?)")
            continue
        if name != "introduction.html" and not report["diagrams"]:
            problems.append(f"{name}: no diagram")
        for d in report["diagrams"]:
            diagrams += 1
            if not d["svg"] or d["raw"]:
                problems.append(f"{name}: diagram not rendered, raw source shown: {d['start']!r}")
            elif d["error"]:
                problems.append(f"{name}: mermaid could not parse the diagram {d['start']!r}")
        for o in report["overflowing"]:
            problems.append(
                f"{name}: a {o['lang'] or 'pre'} block scrolls sideways "
                f"({o['scroll']} px in {o['client']} px); longest line: {o['line']!r}"
            )
        if report["columns"] is not None:
            columns.add(report["columns"])
    print(
        f"browser: {len(reports)} pages at {WIDTH} px, {diagrams} diagrams checked; "
        f"a Rust listing line fits {sorted(columns)} columns"
    )
    # tests/book/pages.rs keeps every listing line within LISTING_COLUMNS; that
    # promise holds only while the column really is that wide.
    promised = int(re.search(
        r"const LISTING_COLUMNS: usize = (\d+);",
        (Path(__file__).resolve().parent.parent / "tests/book/pages.rs").read_text(),
    ).group(1))
    if not columns or min(columns) < promised:
        problems.append(
            f"a listing line of {promised} columns (LISTING_COLUMNS in tests/book/pages.rs) "
            f"does not fit: the code column holds {sorted(columns)}"
        )
    return problems


def search_hits(book, word):
    with tempfile.TemporaryDirectory() as profile:
        dom = chromium((book / "index.html").as_uri() + f"?search={word}", profile)
    results = re.search(r'<ul id="mdbook-searchresults">(.*?)</ul>', dom, re.S)
    return len(re.findall(r"<li", results.group(1))) if results else 0


def check_search(book):
    problems = []
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        hits = list(pool.map(lambda word: search_hits(book, word), SEARCH_WORDS))
    for word, count in zip(SEARCH_WORDS, hits):
        print(f"search: {word!r}: {count} results")
        if count == 0:
            problems.append(f"search for {word!r} lists no result")
    return problems


def main():
    book = Path(sys.argv[1] if len(sys.argv) > 1 else "book").resolve()
    if not (book / "index.html").is_file():
        sys.exit(f"{book}: no built book here; run `mdbook build` first")
    if shutil.which("chromium") is None:
        sys.exit("chromium is not installed (apt-get install -y chromium)")
    problems = check_links(book) + check_in_browser(book) + check_search(book)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    print(f"book: {len(problems)} problems" if problems else "book: every check holds")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()

"""Screenshots of built pages, to look at what the book shows a reader.

    .venv/bin/python -m lambdalab_book.screenshots [--site _build/html] [--out _build/screenshots] [--run] [PAGE ...]

Serves the built site on 127.0.0.1 (compressed, as hosts do), opens each page (default: every
page) in Debian's chromium at a desktop size (1366x900) and a phone size (390x844), in light
and dark mode, waits for figures and math, and writes full-page PNGs named
``<page>-<desktop|phone>-<light|dark>.png``. With ``--run``, each page's "Run all above" of its last
live cell is pressed first (Python in the browser, see ``live``) and the shots show the run's outputs
(``<page>-run-...png``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import serve

ROOT = Path(__file__).resolve().parents[2]
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]


RUN_ALL = """() => {
  const data = JSON.parse((document.getElementById("ll-live-data") || {}).textContent || '{"cells": []}');
  const live = data.cells.filter((cell) => cell.live);
  if (!live.length) return null;
  const last = live[live.length - 1].index;
  const bar = document.querySelector(`.ll-live[data-cell="${last}"]`);
  (bar.querySelector(".ll-live-above") || bar.querySelector(".ll-live-run")).click();
  return last;
}"""


def shoot(site: Path, out: Path, pages: list[str], full_page: bool = True, run: bool = False) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with serve.running(site) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        for page_path in pages:
            for size, viewport in SIZES.items():
                for scheme in ("light", "dark"):
                    context = browser.new_context(viewport=viewport, color_scheme=scheme)  # type: ignore[arg-type]
                    page = context.new_page()
                    page.add_init_script(f"localStorage.setItem('mode', '{scheme}');")
                    page.goto(f"{base}/{page_path}", wait_until="networkidle")
                    last = page.evaluate(RUN_ALL) if run else None
                    if last is not None:
                        page.wait_for_function(
                            f"!LambdaLabLive.busy && LambdaLabLive.outputs[{last}] !== undefined", timeout=120_000
                        )
                    page.wait_for_function(
                        "[...document.querySelectorAll('.plotly-graph-div')].every(d => d.dataset.drawn)",
                        timeout=20_000,
                    )
                    page.wait_for_timeout(300)
                    name = page_path.replace("/", "_").removesuffix(".html") + ("-run" if run else "")
                    path = out / f"{name}-{size}-{scheme}.png"
                    page.screenshot(path=str(path), full_page=full_page)
                    written.append(path)
                    context.close()
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "screenshots")
    parser.add_argument("--viewport-only", action="store_true", help="the first screen only, not the full page")
    parser.add_argument("--run", action="store_true", help="press Run all above on the last live cell first")
    parser.add_argument("pages", nargs="*")
    args = parser.parse_args()
    pages = args.pages or sorted(
        p.relative_to(args.site).as_posix()
        for p in args.site.rglob("*.html")
        if "_static" not in p.parts and p.name not in {"genindex.html", "search.html", "index.html"}
    )
    for path in shoot(args.site, args.out, pages, full_page=not args.viewport_only, run=args.run):
        print(path)


if __name__ == "__main__":
    main()

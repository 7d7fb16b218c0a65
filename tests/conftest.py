"""Shared fixtures: the book built once per session, and served on 127.0.0.1."""

from __future__ import annotations

import importlib.abc
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import settings
from playwright.sync_api import Browser, sync_playwright

from browser_support import CHROMIUM, FLAGS
from lambdalab_book import serve

HIDDEN = ("pandas", "numpy")
"""What ``LAMBDALAB_HIDE_PANDAS=1`` makes unimportable, as in the reader's browser (Pyodide, offline)."""


class _Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Sequence[str] | None, target: ModuleType | None = None) -> None:
        if name.partition(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r} (hidden: LAMBDALAB_HIDE_PANDAS=1)", name=name)


if os.environ.get("LAMBDALAB_HIDE_PANDAS") == "1":  # lambdalab imports pandas only when asked
    for loaded in [name for name in sys.modules if name.partition(".")[0] in HIDDEN]:
        del sys.modules[loaded]
    sys.meta_path.insert(0, _Hide())

# In CI the property tests draw the same examples every run (a red CI must be reproducible);
# locally they explore new ones each run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class BuiltBook:
    html: Path
    returncode: int
    log: str

    def pages(self) -> list[Path]:
        """The book's content pages (not Sphinx's search and index pages)."""
        skip = {"search.html", "genindex.html", "index.html"}
        return sorted(p for p in self.html.rglob("*.html") if p.name not in skip and "_static" not in p.parts)


@pytest.fixture(scope="session")
def built_book(tmp_path_factory: pytest.TempPathFactory) -> BuiltBook:
    """``jupyter-book build --all -W -n --keep-going`` into a temporary folder."""
    out = tmp_path_factory.mktemp("book")
    done = serve.build(ROOT, output=out)
    return BuiltBook(out / "_build" / "html", done.returncode, done.stdout + done.stderr)


@pytest.fixture(scope="session")
def site(built_book: BuiltBook) -> Iterator[str]:
    """The built book served on 127.0.0.1 as ``dev.py book`` serves it (gzip included); yields its base URL."""
    if built_book.returncode != 0:
        pytest.fail("the book did not build; see test_book_builds_without_warnings")
    with serve.running(built_book.html, quiet=True) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: 'python3 dev.py test' installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The host's root logger, its level restored after a handler changed it."""
    root = logging.getLogger()
    level = root.level
    yield root
    root.setLevel(level)

"""Browser helpers shared by the browser tests: Debian's chromium, and one page visit that records
what the page logged and requested (requests to other hosts are blocked and recorded)."""

from __future__ import annotations

from typing import Literal

from playwright.sync_api import Browser, ConsoleMessage, Page

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


class Visit:
    """One page opened in a fresh context, with everything it logged and requested."""

    def __init__(
        self,
        browser: Browser,
        base: str,
        path: str,
        viewport: dict[str, int] | None = None,
        color_scheme: Literal["light", "dark"] = "light",
    ) -> None:
        self.context = browser.new_context(
            viewport=viewport or DESKTOP, color_scheme=color_scheme, accept_downloads=True
        )
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.foreign: list[str] = []
        self.failed: list[str] = []
        self.requests: list[str] = []  # every URL of the site the page (or a worker of it) asked for, in order
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"))

        def route(route):  # type: ignore[no-untyped-def]
            if route.request.url.startswith(base):
                self.requests.append(route.request.url)
                route.continue_()
            else:
                self.foreign.append(route.request.url)
                route.abort()

        self.page.route("**/*", route)
        self.response = self.page.goto(f"{base}/{path}", wait_until="networkidle")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)
        elif message.type == "warning":
            self.warnings.append(message.text)

    def close(self) -> None:
        self.context.close()

    def __enter__(self) -> Visit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def switch_theme(page: Page, scheme: Literal["light", "dark"]) -> None:
    """Switch the book's theme and end at once every colour transition that started.

    The theme's buttons fade their colours over 0.15 s (Bootstrap's `.btn`), and a busy machine
    may draw no frame for longer than any fixed pause: axe then measured a colour half-way between
    the two themes (CI, dark mode, the search button). `getAnimations()` brings styles up to date."""
    page.evaluate(
        f"""() => {{
            document.documentElement.dataset.theme = '{scheme}';
            document.getAnimations().filter(a => a instanceof CSSTransition).forEach(a => a.finish());
        }}"""
    )

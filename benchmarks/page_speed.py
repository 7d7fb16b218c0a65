"""Page speed of the built book under a throttled network and CPU (the issue "The chapter page is slow").

Serves a built site with the book's own gzip-serving handler (``lambdalab_book.serve``) on
127.0.0.1, and loads every page in Debian's chromium (``/usr/bin/chromium``, driven by
Playwright over CDP, with the flags of ``tests/browser_support.py``) with:

- ``Network.emulateNetworkConditions``: 10 Mbit/s down and up, 40 ms latency;
- ``Emulation.setCPUThrottlingRate``: 4 (a CPU 4x slower than this machine's);
- the cache disabled, and a fresh browser context for every load.

For each page it measures first contentful paint (the ``paint`` performance entry), the time
until every plotly figure has drawn (each ``.plotly-graph-div`` holds a ``.main-svg``, seen by a
MutationObserver installed by an init script, ``performance.now()``), the load event, the bytes
transferred (CDP ``Network.loadingFinished`` ``encodedDataLength``: bodies as sent, gzipped,
plus headers), the request count, and the render-blocking bytes as the browser classifies
them (``renderBlockingStatus`` of the resource timing entries, gzipped body bytes). Each page is
loaded ``--repeat`` times (pages interleaved) after ``--warmup`` discarded loads; the medians are
judged against the targets and written, with every run, to ``benchmarks/page_speed.md`` and
``.json``. Times are from the start of the navigation to the page (for ``index.html``, which
redirects to the first page with a meta refresh, from the start of the navigation to
``index.html``). Before each load a fixed script is timed without throttling (the "CPU probe"):
on a shared machine it shows how much CPU the browser got, since throttling multiplies any slowdown.

    .venv/bin/python benchmarks/page_speed.py --build     # build the book first, then measure
    .venv/bin/python benchmarks/page_speed.py --site DIR  # measure a site built earlier

It builds nothing unless ``--build`` is given, and never installs a browser.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from playwright.sync_api import Browser, sync_playwright  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError  # noqa: E402

from browser_support import CHROMIUM, DESKTOP, FLAGS  # noqa: E402
from lambdalab_book import serve  # noqa: E402

MBIT = 1_000_000 / 8  # bytes per second
PROFILE = {
    "download_bytes_per_s": 10 * MBIT,
    "upload_bytes_per_s": 10 * MBIT,
    "latency_ms": 40,
    "cpu_slowdown": 4,
}
TARGETS = {"fcp_s": 2.5, "figures_s": 6.0, "bytes": 2_000_000}
BLOCKING_TARGET = 150_000  # gzipped bytes; asserted statically by tests/test_budgets.py, shown here
QUIET_S = 0.5  # no request in flight for this long: the page has finished loading
SKIP_DIRS = {"_static", "_sources", "_images", "jupyter_execute", "_downloads"}

# Runs in every document before its scripts: records when every figure has drawn, and the time
# origin of the first document of the tab (so that a meta-refresh redirect is timed from its start).
INIT_SCRIPT = """
(() => {
  const expected = %(figures)d;
  const state = window.__pageSpeed = {figures: null, expected};
  try {
    if (!sessionStorage.getItem('__pageSpeedOrigin')) {
      sessionStorage.setItem('__pageSpeedOrigin', String(performance.timeOrigin));
    }
  } catch (e) {}
  if (!expected) return;
  const check = () => {
    const divs = document.querySelectorAll('.plotly-graph-div');
    if (divs.length < expected) return false;
    for (const div of divs) if (!div.querySelector('.main-svg')) return false;
    state.figures = performance.now();
    return true;
  };
  const observer = new MutationObserver(() => { if (check()) observer.disconnect(); });
  observer.observe(document, {childList: true, subtree: true});
})();
"""

# A fixed amount of JavaScript work, timed before each load without throttling: it shows how much CPU the
# browser got from a shared machine at the time (lower is faster; compare runs and reports by it).
CPU_PROBE = """() => {
  const t0 = performance.now();
  let x = 0;
  for (let i = 0; i < 20000000; i++) x = (x + i * 7) % 1000003;
  const parts = [];
  for (let i = 0; i < 200000; i++) parts.push({i, s: String(i)});
  JSON.parse(JSON.stringify(parts));
  return performance.now() - t0 + (x < 0 ? 1 : 0);
}"""

READ_METRICS = """() => {
  const origin = Number(sessionStorage.getItem('__pageSpeedOrigin') || performance.timeOrigin);
  const offset = performance.timeOrigin - origin;
  const at = t => (t === null || t === undefined) ? null : t + offset;
  const paint = name => { const e = performance.getEntriesByName(name)[0]; return e ? e.startTime : null; };
  const nav = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource');
  const blocking = resources.filter(r => r.renderBlockingStatus === 'blocking');
  return {
    url: location.href,
    fcp_ms: at(paint('first-contentful-paint')),
    fp_ms: at(paint('first-paint')),
    figures_ms: at(window.__pageSpeed ? window.__pageSpeed.figures : null),
    dcl_ms: nav ? at(nav.domContentLoadedEventStart) : null,
    load_ms: nav ? at(nav.loadEventStart) : null,
    blocking_bytes: blocking.reduce((sum, r) => sum + r.encodedBodySize, 0),
    blocking: blocking.map(r => [r.name, r.encodedBodySize]),
  };
}"""


def pages(site: Path) -> list[str]:
    """Every HTML page of the site, content pages first, then index.html, search.html, genindex.html."""
    last = ["index.html", "search.html", "genindex.html"]
    found = [
        p.relative_to(site).as_posix()
        for p in sorted(site.rglob("*.html"))
        if not SKIP_DIRS & set(p.relative_to(site).parts[:-1])
    ]
    return [p for p in found if p not in last] + [p for p in last if p in found]


def refresh_target(html: str) -> str | None:
    """Where a ``<meta http-equiv="Refresh" content="0; url=...">`` page sends the browser."""
    match = re.search(r"""http-equiv=["']?refresh["']?[^>]*content=["'][^"']*url=([^"'>]+)""", html, re.I)
    return match.group(1).strip() if match else None


def load_once(
    browser: Browser, base: str, site: Path, page_path: str, throttle: bool, timeout_s: float
) -> dict[str, Any]:
    """One uncached, throttled load of one page in a fresh context; its metrics (times in ms)."""
    html = (site / page_path).read_text(encoding="utf-8", errors="replace")
    figures = html.count('class="plotly-graph-div"')
    redirect = refresh_target(html)
    context = browser.new_context(viewport=DESKTOP, color_scheme="light")
    context.add_init_script(INIT_SCRIPT % {"figures": figures})
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        requests: dict[str, str] = {}
        finished: dict[str, float] = {}
        failed: dict[str, str] = {}
        last_event = [time.monotonic()]

        loaders: dict[str, str] = {}  # request id -> the document load it belongs to
        document: list[str] = []  # [frame id, loader id] of the page's current document

        def sent(event: dict[str, Any]) -> None:
            if event.get("type") == "Document" and (not document or event.get("frameId") == document[0]):
                document[:] = [event.get("frameId", ""), event.get("loaderId", "")]
            requests[event["requestId"]] = event["request"]["url"]
            loaders[event["requestId"]] = event.get("loaderId", "")
            last_event[0] = time.monotonic()

        def in_flight() -> set[str]:
            """Requests of the current document not finished yet. A document replaced by another
            (index.html's meta refresh) may leave requests that never report an end (its favicon)."""
            current = document[1] if document else ""
            return {r for r in requests.keys() - finished.keys() - failed.keys() if loaders[r] == current}

        def done(event: dict[str, Any]) -> None:
            finished[event["requestId"]] = event["encodedDataLength"]
            last_event[0] = time.monotonic()

        def fail(event: dict[str, Any]) -> None:
            failed[event["requestId"]] = event.get("errorText", "")
            last_event[0] = time.monotonic()

        def network_quiet(timeout_ms: float) -> None:
            """Until no request has been in flight for QUIET_S, by the CDP events above (Playwright's
            'networkidle' lifecycle event sometimes never came under CPU throttling)."""
            end = time.monotonic() + timeout_ms / 1000
            while time.monotonic() < end:
                if not in_flight() and time.monotonic() - last_event[0] >= QUIET_S:
                    return
                page.wait_for_timeout(100)
            raise PlaywrightTimeoutError("the network did not go quiet")

        # How fast this machine's CPU is right now (other processes share it): a fixed script, unthrottled.
        cpu_ms = page.evaluate(CPU_PROBE)
        cdp.on("Network.requestWillBeSent", sent)
        cdp.on("Network.loadingFinished", done)
        cdp.on("Network.loadingFailed", fail)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        if throttle:
            cdp.send(
                "Network.emulateNetworkConditions",
                {
                    "offline": False,
                    "latency": PROFILE["latency_ms"],
                    "downloadThroughput": PROFILE["download_bytes_per_s"],
                    "uploadThroughput": PROFILE["upload_bytes_per_s"],
                },
            )
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": PROFILE["cpu_slowdown"]})
        deadline = time.monotonic() + timeout_s
        timeouts: list[str] = []  # steps that did not finish in time: a result, not a crash

        def step(name: str, action: Callable[[float], object]) -> None:
            left_ms = max(1.0, (deadline - time.monotonic()) * 1000)
            try:
                action(left_ms)
            except PlaywrightTimeoutError:
                timeouts.append(name)

        started = time.monotonic()
        step("response", lambda ms: page.goto(f"{base}/{page_path}", wait_until="commit", timeout=ms))
        # The load event of the page (of the redirect's target for index.html), polled: more robust than
        # Playwright's lifecycle events under CPU throttling.
        loaded = "document.readyState === 'complete'"
        if redirect:
            loaded += f" && location.pathname.endsWith({json.dumps('/' + redirect)})"
        step("load event", lambda ms: page.wait_for_function(loaded, polling=100, timeout=ms))
        if figures:
            done_js = "window.__pageSpeed.figures !== null"
            step("figures", lambda ms: page.wait_for_function(done_js, polling=100, timeout=ms))
        step("network quiet", network_quiet)
        wall_s = time.monotonic() - started
        metrics: dict[str, Any] = page.evaluate(READ_METRICS)
        abandoned = sorted(requests[r] for r in requests.keys() - finished.keys() - failed.keys() - in_flight())
        cdp.detach()
    finally:
        context.close()
    web = {rid for rid, url in requests.items() if url.startswith(("http://", "https://"))}
    foreign = sorted(url for rid, url in requests.items() if rid in web and not url.startswith(base))
    metrics.update(
        figures=figures,
        timeouts=timeouts,
        pending=sorted(requests[rid].removeprefix(base + "/") for rid in web - finished.keys() - failed.keys()),
        bytes=int(sum(n for rid, n in finished.items() if rid in web)),
        requests=len(web),
        failed=sorted(f"{requests.get(rid, rid).removeprefix(base + '/')} {error}" for rid, error in failed.items()),
        foreign=foreign,
        abandoned=[url.removeprefix(base + "/") for url in abandoned],
        wall_s=round(wall_s, 3),
        cpu_probe_ms=round(cpu_ms, 1),
    )
    metrics["url"] = metrics["url"].removeprefix(base + "/")
    metrics["blocking"] = [[url.removeprefix(base + "/"), n] for url, n in metrics["blocking"]]
    return metrics


def median(values: list[Any]) -> float | None:
    """The median, or None when any run lacks the value (a figure that never drew)."""
    return None if not values or any(v is None for v in values) else float(statistics.median(values))


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = (
        "fcp_ms",
        "figures_ms",
        "load_ms",
        "dcl_ms",
        "bytes",
        "requests",
        "blocking_bytes",
        "wall_s",
        "cpu_probe_ms",
    )
    summary: dict[str, Any] = {key: median([run[key] for run in runs]) for key in keys}
    figures = runs[0]["figures"]
    if not figures:
        summary["figures_ms"] = None
    fcp_ok = summary["fcp_ms"] is not None and summary["fcp_ms"] <= TARGETS["fcp_s"] * 1000
    figures_ok = not figures or (
        summary["figures_ms"] is not None and summary["figures_ms"] <= TARGETS["figures_s"] * 1000
    )
    bytes_ok = summary["bytes"] is not None and summary["bytes"] <= TARGETS["bytes"]
    summary.update(
        figures=figures,
        final_url=runs[0]["url"],
        verdict={"fcp": fcp_ok, "figures": figures_ok, "bytes": bytes_ok, "all": fcp_ok and figures_ok and bytes_ok},
        blocking_ok=summary["blocking_bytes"] is not None and summary["blocking_bytes"] <= BLOCKING_TARGET,
    )
    return summary


def command_line(argv: list[str]) -> str:
    """The command as typed, with the label (quoted at the top of the report) elided."""
    shown = [".venv/bin/python", "benchmarks/page_speed.py"]
    args = iter(argv)
    for arg in args:
        if arg == "--label":
            next(args, None)
            shown.append("--label ...")
        elif arg.startswith("--label="):
            shown.append("--label=...")
        else:
            shown.append(shlex.quote(arg))
    return " ".join(shown)


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def machine(browser: Browser) -> dict[str, Any]:
    cpu = ""
    try:
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if "model name" in line
            ),
            "",
        )
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
    except (OSError, AttributeError, ValueError):
        mem_kb = 0
    return {
        "platform": platform.platform(),
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "chromium": browser.version,
        "playwright": importlib.metadata.version("playwright"),
    }


def seconds(ms: float | None) -> str:
    return "n/a" if ms is None else f"{ms / 1000:.2f}"


def mark(ok: bool) -> str:
    return "PASS" if ok else "**FAIL**"


def markdown(report: dict[str, Any]) -> str:
    p, t = report["profile"], report["targets"]
    m = report["machine"]
    lines = [
        "# Page speed of the built book",
        "",
        *([report["label"], ""] if report["label"] else []),
        f"Measured {report['date']} by `benchmarks/page_speed.py` (`{report['command']}`).",
        (
            f"Site `{report['site']}`, built from commit `{report['commit']}` (`--commit`)."
            if report["commit_given"]
            else f"Site `{report['site']}`; the repository was at commit `{report['commit']}`"
            + (" with uncommitted changes" if report["dirty"] else "")
            + (
                " and the site was built from it (`--build`)."
                if report["built"]
                else " (the site's own build commit is not recorded)."
            )
        ),
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB RAM, {m['platform']}, load average "
        f"{' / '.join(map(str, m['load_average']))} at the start and {' / '.join(map(str, m['load_average_end']))} "
        f"at the end (1, 5, 15 min); Chromium {m['chromium']} (`{CHROMIUM}`, headless), "
        f"Playwright {m['playwright']}, Python {m['python']}.",
        "",
        "Profile: "
        + (
            f"{p['download_bytes_per_s'] * 8 / 1e6:g} Mbit/s down, {p['upload_bytes_per_s'] * 8 / 1e6:g} Mbit/s up, "
            f"{p['latency_ms']} ms latency (CDP `Network.emulateNetworkConditions`), CPU {p['cpu_slowdown']}x slower "
            "(`Emulation.setCPUThrottlingRate`)"
            if report["throttled"]
            else "**no throttling** (`--no-throttle`)"
        )
        + f"; cache disabled; a fresh context per load; {DESKTOP['width']}x{DESKTOP['height']} viewport. "
        "Served by `lambdalab_book.serve.BookHandler` (gzip level 6 for text, HTTP/1.1) on 127.0.0.1. "
        f"Median of {report['repeat']} loads per page, pages interleaved, after {report['warmup']} warm-up load(s).",
        "",
        f"Targets, on every page: first contentful paint <= {t['fcp_s']} s, every figure drawn <= {t['figures_s']} s, "
        f"<= {t['bytes']:,} bytes transferred. Render-blocking bytes (gzipped bodies of the resources Chromium "
        f"marks `renderBlockingStatus: blocking`) are shown against the {BLOCKING_TARGET:,}-byte budget that "
        "`tests/test_budgets.py` asserts statically.",
        "",
        "| Page | Figures | First contentful paint s | Figures drawn s | Load event s | Bytes transferred | Requests "
        "| Render-blocking bytes | All targets |",
        "|---|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for page, s in report["pages"].items():
        v = s["verdict"]
        name = f"`{page}`" + (f" (redirects to `{s['final_url']}`)" if s["final_url"] != page else "")
        figures = f"{seconds(s['figures_ms'])} {mark(v['figures'])}" if s["figures"] else "-"
        lines.append(
            f"| {name} | {s['figures']} | {seconds(s['fcp_ms'])} {mark(v['fcp'])} | {figures} "
            f"| {seconds(s['load_ms'])} | {s['bytes']:,.0f} {mark(v['bytes'])} | {s['requests']:.0f} "
            f"| {s['blocking_bytes']:,.0f} {mark(s['blocking_ok'])} | {mark(v['all'])} |"
        )
    probes = [r["cpu_probe_ms"] for runs in report["runs"].values() for r in runs]
    lines += [
        "",
        f"Every target met on every page: {mark(report['all_pass'])}.",
        "",
        f"CPU probe (a fixed script timed before each load, unthrottled; it rises when other processes take the "
        f"CPU): median {statistics.median(probes):.0f} ms, {min(probes):.0f}-{max(probes):.0f} ms across the "
        f"{len(probes)} loads. Loads with a high probe ran on a busier machine.",
        "",
        "## Every run",
        "",
    ]
    lines += [
        "| Page | Run | FCP s | Figures s | Load s | Bytes | Requests | Wall s | CPU probe ms |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for page, runs in report["runs"].items():
        for i, r in enumerate(runs, 1):
            lines.append(
                f"| `{page}` | {i} | {seconds(r['fcp_ms'])} | {seconds(r['figures_ms']) if r['figures'] else '-'} "
                f"| {seconds(r['load_ms'])} | {r['bytes']:,} | {r['requests']} | {r['wall_s']:.1f} "
                f"| {r['cpu_probe_ms']:.0f} |"
            )
    problems = [
        f"- `{page}` run {i}: "
        + "; ".join(
            filter(
                None,
                [
                    f"failed requests {r['failed']}" if r["failed"] else "",
                    f"other hosts {r['foreign']}" if r["foreign"] else "",
                    f"timed out waiting for {', '.join(r['timeouts'])}" if r["timeouts"] else "",
                    f"requests still pending {r['pending']}" if r["pending"] else "",
                ],
            )
        )
        for page, runs in report["runs"].items()
        for i, r in enumerate(runs, 1)
        if r["failed"] or r["foreign"] or r["timeouts"] or r["pending"]
    ]
    if max(m["load_average"][0], m["load_average_end"][0]) > (m["cores"] or 1):
        lines += [
            "",
            f"**The machine was busy** (load average above its {m['cores']} cores): CPU throttling multiplies the "
            "slowdown, so these timings are pessimistic. Rerun on an idle machine for figures to compare.",
        ]
    if problems:
        lines += ["", "Problems seen:", "", *problems]
    lines += [
        "",
        "Notes: DevTools network emulation adds the latency once per request and shares the bandwidth across "
        "requests; it does not model TCP slow start or connection set-up. CPU throttling slows the page's main "
        "thread, not the server. `Bytes transferred` includes response headers, and counts the requests that "
        "finished before the network went quiet (no request in flight for 0.5 s); whether the browser's own "
        "favicon request falls inside that window varies, hence a request more or less between runs. The JSON "
        "file holds every run and the render-blocking resources of each.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", type=Path, help="the built site (default: _build/html)")
    parser.add_argument("--build", action="store_true", help="build the book into _build/html first")
    parser.add_argument("--repeat", type=int, default=3, help="loads per page (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="discarded loads before measuring (default 1)")
    parser.add_argument("--pages", nargs="*", help="pages to load, relative to the site (default: all)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "page_speed"), help="writes OUT.md and OUT.json")
    parser.add_argument("--commit", help="the commit the site was built from, when not the repository's HEAD")
    parser.add_argument("--label", default="", help="a sentence put at the top of the report")
    parser.add_argument("--timeout", type=float, default=120, help="seconds allowed per load (default 120)")
    parser.add_argument("--no-throttle", action="store_true", help="measure without network and CPU throttling")
    args = parser.parse_args()
    if args.build and args.site:
        parser.error("--build writes _build/html; give either --build or --site")
    if args.build:
        print("[page_speed] building the book (jupyter-book build -W -n --keep-going)", flush=True)
        done = serve.build()
        if done.returncode != 0:
            sys.stderr.write(done.stdout + done.stderr)
            sys.exit(f"[page_speed] the build failed (exit {done.returncode})")
    site = (args.site or ROOT / "_build" / "html").resolve()
    if not (site / "index.html").is_file():
        sys.exit(f"[page_speed] no built site in {site}: build it with --build (or python3 dev.py book --no-serve)")
    if not Path(CHROMIUM).exists():
        sys.exit(f"[page_speed] {CHROMIUM} is missing: 'python3 dev.py test' installs Debian's chromium")
    paths = args.pages or pages(site)
    cache = serve.GzipCache()
    print(f"[page_speed] {site}: {cache.warm(site)} text files gzipped; pages {paths}", flush=True)
    runs: dict[str, list[dict[str, Any]]] = {p: [] for p in paths}
    throttle = not args.no_throttle
    with serve.running(site, cache=cache) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        info = machine(browser)
        for _ in range(args.warmup):
            load_once(browser, base, site, paths[0], throttle, args.timeout)
        for repeat in range(args.repeat):
            for path in paths:
                run = load_once(browser, base, site, path, throttle, args.timeout)
                runs[path].append(run)
                print(
                    f"[page_speed] {repeat + 1}/{args.repeat} {path}: FCP {seconds(run['fcp_ms'])} s, figures "
                    f"{seconds(run['figures_ms'])} s, load {seconds(run['load_ms'])} s, {run['bytes']:,} bytes in "
                    f"{run['requests']} requests (wall {run['wall_s']:.1f} s)",
                    flush=True,
                )
        browser.close()
    info["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    summaries = {path: summarise(page_runs) for path, page_runs in runs.items()}
    commit = args.commit or git("rev-parse", "--short", "HEAD")
    report = {
        "label": args.label,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command_line(sys.argv[1:]),
        "commit": commit,
        "commit_given": bool(args.commit),
        "built": args.build,
        "dirty": not args.commit and bool(git("status", "--porcelain", "--untracked-files=no")),
        "site": os.path.relpath(site, ROOT) if site.is_relative_to(ROOT) else str(site),
        "machine": info,
        "throttled": throttle,
        "profile": PROFILE,
        "targets": TARGETS,
        "blocking_target": BLOCKING_TARGET,
        "repeat": args.repeat,
        "warmup": args.warmup,
        "all_pass": all(s["verdict"]["all"] for s in summaries.values()),
        "pages": summaries,
        "runs": runs,
    }
    text = markdown(report)
    md, js = Path(args.out + ".md"), Path(args.out + ".json")
    md.write_text(text)
    js.write_text(json.dumps(report, indent=1) + "\n")
    print(text)
    print(f"[page_speed] wrote {md} and {js}")


if __name__ == "__main__":
    main()

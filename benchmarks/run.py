#!/usr/bin/env python3
"""Lambda Lab against SimFaaS on the same scenarios: simulated requests per wall-second and peak memory.

    .venv/bin/pip install -r benchmarks/requirements.txt    # once: SimFaaS 0.2.2 and its deps
    .venv/bin/python benchmarks/run.py                      # about 2-3 minutes on 2 cores

Every measurement runs in a fresh subprocess of this script (``--worker``), one after
the other, so no run shares a heap, an import cache or a core with another. The
worker times the simulator's own call with ``time.perf_counter`` (building the
simulator, running it and summarising; not the interpreter's start or the imports)
and reads its own peak resident set size, ``resource.getrusage(RUSAGE_SELF).ru_maxrss``,
once after the imports and once after the run. ``RUSAGE_CHILDREN`` in the parent
is not used: it is the maximum over *all* children waited for so far, so a small run
after a big one would report the big one's peak.

``--simfaas-python PATH`` runs SimFaaS under another interpreter (a venv that has
``simfaas``) while Lambda Lab runs under this one. Results go to stdout and to
``benchmarks/results.md``. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
INSTALL_HINT = "pip install -r benchmarks/requirements.txt"


@dataclass(frozen=True)
class Scenario:
    key: str
    rate: float  # arrivals per second (Poisson)
    warm: float  # mean warm service time, s (exponential)
    cold: float  # mean cold service time, s: SimFaaS's exponential; Lambda Lab's INIT + handler
    idle: float  # idle time before an instance is reaped, s
    concurrency: int  # Lambda Lab --concurrency-limit and SimFaaS maximum_concurrency

    @property
    def init(self) -> float:
        """Lambda Lab's INIT mean: a cold request runs INIT and then the handler."""
        return self.cold - self.warm


SCENARIOS = {
    "a": Scenario("a", rate=10, warm=0.2, cold=1.0, idle=600, concurrency=1000),
    "b": Scenario("b", rate=1000, warm=2.0, cold=2.5, idle=600, concurrency=5000),
}

# Simulated spans (s). Scenario (a) runs at three spans, 10x apart, on both simulators: the middle one
# (100k requests) is the headline comparison; the three together show how memory grows with requests.
# Scenario (b): SimFaaS costs O(instances) per event, so it gets a shorter span (the headline compares
# each simulator's longer span). Lambda Lab's shorter span equals SimFaaS's longer one (the same ramp
# share in both), and each simulator's pair of spans gives a steady-state rate (extra requests / extra
# wall time), free of start-up and of the ramp to ~2,000 instances.
PLANS: dict[str, dict[str, Any]] = {
    "full": {"a": [1_000, 10_000, 100_000], "a_headline": 10_000,
             "b_lambdalab": [30, 300], "b_simfaas": [10, 30]},
    "quick": {"a": [100, 1_000, 10_000], "a_headline": 1_000,
              "b_lambdalab": [6, 20], "b_simfaas": [3, 6]},
}  # fmt: skip
TARGET_A, TARGET_B = 5.0, 50.0
FLAT_TOLERANCE = 0.10  # "flat": peak RSS at the largest span within 10 % of the peak at the smallest


# -- worker side: one simulation in this process ---------------------------------------------------------
def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _run_lambdalab(sc: Scenario, span: float, seed: int) -> dict[str, Any]:
    rss_start = _maxrss_mb()
    # The working tree's lambdalab (installed or not), or the copy that --lambdalab-path names.
    sys.path.insert(0, os.environ.get("LAMBDALAB_BENCH_PATH", str(ROOT)))
    import lambdalab
    from lambdalab.cli import parser, simulate

    argv = ["simulate", "--arrival-rate", f"{sc.rate:g}", "--duration", f"exp:{sc.warm:g}",
            "--init-duration", f"exp:{sc.init:g}", "--idle-timeout", f"const:{sc.idle:g}",
            "--concurrency-limit", str(sc.concurrency), "--sim-seconds", f"{span:g}",
            "--seed", str(seed), "--json"]  # fmt: skip
    args = parser().parse_args(argv)
    rss_imported = _maxrss_mb()
    engine = os.environ.get("LAMBDALAB_BENCH_ENGINE", "auto")
    kwargs: dict[str, Any] = {} if engine == "auto" else {"engine": engine}  # simulate(engine=) is newer
    t0, c0 = time.perf_counter(), time.process_time()
    out = simulate(args, **kwargs)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "requests": out["requests"],
        "wall": wall,
        "cpu": cpu,
        "rss_start": rss_start,
        "rss_imported": rss_imported,
        "rss_peak": _maxrss_mb(),
        "mean_envs": out["mean_environments"],
        "p_cold": out["cold_start_probability"],
        "rejected": out["throttles"],
        "cli": "python -m lambdalab " + " ".join(argv),
        "version": getattr(lambdalab, "__version__", "") or _dist_version("lambdalab"),
        "file": lambdalab.__file__,
        "engine": engine,
    }


def _run_simfaas(sc: Scenario, span: float, seed: int) -> dict[str, Any]:
    import warnings

    rss_start = _maxrss_mb()
    os.environ.setdefault("MPLBACKEND", "Agg")  # simfaas imports matplotlib.pyplot at import time
    import numpy as np
    from simfaas.ServerlessSimulator import ServerlessSimulator  # type: ignore[import-not-found,import-untyped,unused-ignore]

    rss_imported = _maxrss_mb()
    np.random.seed(seed)  # SimFaaS samples from numpy's global generator
    t0, c0 = time.perf_counter(), time.process_time()
    sim = ServerlessSimulator(
        arrival_rate=sc.rate,
        warm_service_rate=1 / sc.warm,
        cold_service_rate=1 / sc.cold,
        expiration_threshold=sc.idle,
        max_time=span,
        maximum_concurrency=sc.concurrency,
    )
    sim.generate_trace(debug_print=False, progress=False)
    with warnings.catch_warnings():  # lifespan_avg is the mean of an empty array when nothing expired
        warnings.simplefilter("ignore", RuntimeWarning)
        out = sim.get_result_dict()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "requests": int(out["reqs_total"]),
        "wall": wall,
        "cpu": cpu,
        "rss_start": rss_start,
        "rss_imported": rss_imported,
        "rss_peak": _maxrss_mb(),
        "mean_envs": float(out["inst_count_avg"]),
        "p_cold": float(out["prob_cold"]),
        "rejected": int(out["reqs_reject"]),
        "version": _dist_version("simfaas"),
        "numpy": np.__version__,
    }


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def worker(simulator: str, scenario: str, span: float, seed: int) -> None:
    sc = SCENARIOS[scenario]
    result = (_run_lambdalab if simulator == "lambdalab" else _run_simfaas)(sc, span, seed)
    result.update(simulator=simulator, scenario=scenario, span=span, python=platform.python_version())
    print(json.dumps(result))


# -- driver side ------------------------------------------------------------------------------------------
def _measure(python: str, simulator: str, scenario: str, span: float, seed: int, repeat: int) -> dict[str, Any]:
    """Run one worker ``repeat`` times; keep the run with the least wall time (best of N)."""
    cmd = [python, str(Path(__file__).resolve()), "--worker", simulator,
           "--scenario", scenario, "--sim-seconds", f"{span:g}", "--seed", str(seed)]  # fmt: skip
    env = {**os.environ, "MPLBACKEND": "Agg"}
    best: dict[str, Any] | None = None
    walls = []
    for _ in range(repeat):
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
        if done.returncode != 0:
            raise SystemExit(f"worker failed: {' '.join(cmd)}\n{done.stderr}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        walls.append(result["wall"])
        if best is None or result["wall"] < best["wall"]:
            best = result
    assert best is not None
    best["repeat"] = repeat
    best["walls"] = walls
    print(
        f"  {simulator:9} ({scenario}) {span:>9,g} s: {best['requests']:>9,} requests in "
        f"{best['wall']:7.2f} s wall (best of {repeat}: {', '.join(f'{w:.2f}' for w in walls)}) = "
        f"{best['requests'] / best['wall']:>8,.0f}/s, peak {best['rss_peak']:6.1f} MB",
        file=sys.stderr,
        flush=True,
    )
    return best


def _has_simfaas(python: str) -> bool:
    """Whether ``python`` can import SimFaaS and everything it imports (numpy, pandas, scipy, matplotlib)."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    try:
        done = subprocess.run([python, "-c", "import simfaas.ServerlessSimulator"], capture_output=True, env=env)
    except OSError:
        return False
    return done.returncode == 0


def _rate(r: dict[str, Any]) -> float:
    return float(r["requests"] / r["wall"])


def _steady_rate(short: dict[str, Any], long: dict[str, Any]) -> float:
    """Extra requests per extra wall-second between two spans: start-up and ramp-up cancel out."""
    return float((long["requests"] - short["requests"]) / (long["wall"] - short["wall"]))


def _row(sc: Scenario, r: dict[str, Any], ratio: str = "") -> str:
    name = "Lambda Lab" if r["simulator"] == "lambdalab" else "SimFaaS"
    return (
        f"| {sc.key} | {name} | {r['span']:,.0f} | {r['requests']:,} | {r['wall']:.2f} | {r['cpu']:.2f} | "
        f"{_rate(r):,.0f} | {r['rss_peak']:.1f} | {r['rss_peak'] - r['rss_imported']:.1f} | "
        f"{r['mean_envs']:,.1f} | {r['p_cold']:.4f} | {r['rejected']:,} | {ratio} |"
    )


def _machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 1024**2:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}"


def _source(lambdalab_file: str) -> str:
    """Where the measured lambdalab came from: this repository (its git state) or another directory."""
    src = Path(lambdalab_file).resolve().parent.parent
    if src != ROOT:
        commit = src / "COMMIT"  # written by the snapshot recipe in benchmarks/README.md
        label = f", a snapshot of commit {commit.read_text().strip()}" if commit.is_file() else ""
        return f"from `{src}`{label}"
    return f"git {_git()}"


def _git() -> str:
    try:
        git = ["git", "-C", str(ROOT)]
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run([*git, "status", "--porcelain", "--", "lambdalab"], capture_output=True, text=True)
    except OSError:
        return "?"
    return f"{head}{' + uncommitted changes in lambdalab/' if dirty.stdout.strip() else ''}" if head else "?"


def report(
    runs: dict[str, Any],
    plan: dict[str, Any],
    seed: int,
    simfaas_python: str,
    load: tuple[float, float],
    command: str,
) -> str:
    a, b = SCENARIOS["a"], SCENARIOS["b"]
    lam_a, sf_a = runs["a"]["lambdalab"], runs["a"]["simfaas"]
    lam_b, sf_b = runs["b"]["lambdalab"], runs["b"]["simfaas"]
    head = plan["a_headline"]
    ratios_a = {span: _rate(lam_a[span]) / _rate(sf_a[span]) for span in plan["a"]}
    cpu_ratio_a = (lam_a[head]["requests"] / lam_a[head]["cpu"]) / (sf_a[head]["requests"] / sf_a[head]["cpu"])
    lam_b_main, sf_b_main = lam_b[plan["b_lambdalab"][-1]], sf_b[plan["b_simfaas"][-1]]
    ratio_b = _rate(lam_b_main) / _rate(sf_b_main)
    cpu_ratio_b = (lam_b_main["requests"] / lam_b_main["cpu"]) / (sf_b_main["requests"] / sf_b_main["cpu"])
    same_span = plan["b_simfaas"][-1]
    ratio_b_same = _rate(lam_b[same_span]) / _rate(sf_b_main)
    steady_lam = _steady_rate(lam_b[plan["b_lambdalab"][0]], lam_b_main)
    steady_sf = _steady_rate(sf_b[plan["b_simfaas"][0]], sf_b_main)
    lam_run, sf_run = lam_a[head], sf_a[head]
    where = "" if simfaas_python == sys.executable else f" (`{simfaas_python}`)"

    lines = [
        "# Lambda Lab vs SimFaaS: results",
        "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `benchmarks/run.py` on {_machine()}; "
        f"1-minute load average {load[0]:.2f} before, {load[1]:.2f} after.",
        f"Lambda Lab {lam_run['version']} ({_source(lam_run['file'])}"
        + ("" if lam_run.get("engine", "auto") == "auto" else f", engine={lam_run['engine']}")
        + f"), Python {lam_run['python']}; "
        f"SimFaaS {sf_run['version']} (numpy {sf_run['numpy']}, Python {sf_run['python']}){where}. Seed {seed}.",
        "",
        (
            f"Each row is the best (least wall time) of {lam_run['repeat']} runs in fresh processes, except the "
            "largest span of (a), run once."
            if lam_run["repeat"] > 1
            else "Each row is one run in a fresh process."
        )
        + " Wall s and CPU s: the simulator's own call (build, run, summarise), "
        "not interpreter start or imports. Peak MB: the worker process's peak RSS (`ru_maxrss`), imports "
        "included; Sim MB: that peak minus the peak after the imports. Ratio: Lambda Lab's requests per "
        "wall-second divided by SimFaaS's in the same scenario. Rejected: Lambda Lab throttles, SimFaaS "
        "rejections.",
        "",
        "| Scenario | Simulator | Simulated s | Requests | Wall s | CPU s | Requests / wall-s | Peak MB | Sim MB "
        "| Mean envs | P(cold) | Rejected | Ratio |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for span in plan["a"]:
        ratio = f"{ratios_a[span]:.1f}x"
        lines.append(_row(a, lam_a[span], f"**{ratio}**" if span == head else ratio))
        lines.append(_row(a, sf_a[span]))
    for span in plan["b_lambdalab"]:
        lines.append(_row(b, lam_b[span], f"**{ratio_b:.1f}x**" if span == plan["b_lambdalab"][-1] else ""))
    for span in plan["b_simfaas"]:
        lines.append(_row(b, sf_b[span]))

    smallest, largest = lam_a[plan["a"][0]], lam_a[plan["a"][-1]]
    growth = largest["rss_peak"] - smallest["rss_peak"]
    flat = growth <= FLAT_TOLERANCE * smallest["rss_peak"]
    sf_small, sf_large = sf_a[plan["a"][0]], sf_a[plan["a"][-1]]
    sim_mb = [lam_a[span]["rss_peak"] - lam_a[span]["rss_imported"] for span in plan["a"]]

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**NOT met**"

    lines += [
        "",
        f"Scenario (a): rate {a.rate:g}/s, warm exp {a.warm:g} s, cold {a.cold:g} s (Lambda Lab: INIT exp "
        f"{a.init:g} s + handler exp {a.warm:g} s), idle {a.idle:g} s. Scenario (b): rate {b.rate:,g}/s, warm exp "
        f"{b.warm:g} s, cold {b.cold:g} s (INIT exp {b.init:g} s + handler exp {b.warm:g} s), idle {b.idle:g} s, "
        f"concurrency limit {b.concurrency:,}. Ratios in bold are the ones the targets are judged on.",
        "",
        f"Scenario (b) at the same span ({same_span:g} simulated s each, the same share of ramp-up): ratio "
        f"{ratio_b_same:.1f}x. In steady state (extra requests / extra wall-seconds between the two spans of "
        f"each simulator, so process start-up and the ramp to ~2,000 instances cancel out): Lambda Lab "
        f"{steady_lam:,.0f}/s, SimFaaS {steady_sf:,.0f}/s, ratio {steady_lam / steady_sf:.1f}x.",
        "",
        "## Targets",
        "",
        f"- (a) Lambda Lab >= {TARGET_A:g}x SimFaaS requests/wall-second: {ratios_a[head]:.1f}x at "
        f"~{lam_a[head]['requests']:,} requests ({', '.join(f'{r:.1f}x' for r in ratios_a.values())} at the three "
        f"spans; {cpu_ratio_a:.1f}x per CPU-second): {verdict(ratios_a[head] >= TARGET_A)}.",
        f"- (b) Lambda Lab >= {TARGET_B:g}x SimFaaS requests/wall-second: {ratio_b:.1f}x "
        f"({lam_b_main['requests']:,} vs {sf_b_main['requests']:,} requests; {cpu_ratio_b:.1f}x per CPU-second; "
        f"same span {ratio_b_same:.1f}x; steady state {steady_lam / steady_sf:.1f}x): "
        f"{verdict(ratio_b >= TARGET_B)}.",
        f"- Lambda Lab's memory flat as requests grow (peak RSS at the largest span within "
        f"{FLAT_TOLERANCE:.0%} of the peak at the smallest): {smallest['rss_peak']:.1f} MB at "
        f"{smallest['requests']:,} requests, {largest['rss_peak']:.1f} MB at {largest['requests']:,} "
        f"({growth:+.1f} MB; the simulation's own share {' -> '.join(f'{m:.1f}' for m in sim_mb)} MB): "
        f"{verdict(flat)}. SimFaaS over the same spans: {sf_small['rss_peak']:.1f} -> {sf_large['rss_peak']:.1f} MB.",
        "",
        "## Every run's wall time (s)",
        "",
    ]
    for key in ("a", "b"):
        for sim_name in ("lambdalab", "simfaas"):
            for span, r in runs[key][sim_name].items():
                walls = ", ".join(f"{w:.2f}" for w in r["walls"])
                lines.append(f"- ({key}) {sim_name}, {span:,.0f} simulated s: {walls}")
    lines += ["", f"Command: `{command}`", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--quick", action="store_true", help="short spans: a smoke test of about a minute")
    cli.add_argument("--seed", type=int, default=0)
    cli.add_argument(
        "--repeat",
        type=int,
        default=2,
        metavar="N",
        help="runs per measurement, best (least wall time) kept (default 2)",
    )
    cli.add_argument(
        "--simfaas-python",
        default=os.environ.get("SIMFAAS_PYTHON", sys.executable),
        metavar="PATH",
        help="interpreter that has simfaas (default: this one; env SIMFAAS_PYTHON)",
    )
    cli.add_argument(
        "--lambdalab-path",
        metavar="DIR",
        help="directory holding the lambdalab package to measure (default: this repository's working tree)",
    )
    cli.add_argument(
        "--lambdalab-engine",
        choices=["auto", "kernel", "general"],
        default="auto",
        help="simulate(engine=...): 'auto' (default) is what the CLI runs; 'general' forces the event engine",
    )
    cli.add_argument("--out", default=str(HERE / "results.md"), help="Markdown file to write ('-': none)")
    cli.add_argument("--worker", choices=["lambdalab", "simfaas"], help=argparse.SUPPRESS)
    cli.add_argument("--scenario", choices=sorted(SCENARIOS), help=argparse.SUPPRESS)
    cli.add_argument("--sim-seconds", type=float, help=argparse.SUPPRESS)
    args = cli.parse_args(argv)  # fmt: skip

    if args.worker:
        if args.lambdalab_path:
            os.environ["LAMBDALAB_BENCH_PATH"] = args.lambdalab_path
        worker(args.worker, args.scenario, args.sim_seconds, args.seed)
        return 0

    if os.sep in args.simfaas_python:
        args.simfaas_python = os.path.abspath(args.simfaas_python)
    if not _has_simfaas(args.simfaas_python):
        print(
            f"benchmarks/run.py: SimFaaS is not importable by {args.simfaas_python}.\n"
            f"Install it (SimFaaS 0.2.2 and what it needs beyond requirements.txt) with:\n\n"
            f"    {sys.executable} -m {INSTALL_HINT}\n\n"
            "or pass --simfaas-python PATH (or set SIMFAAS_PYTHON) to a venv's python that has it.",
            file=sys.stderr,
        )
        return 2

    if args.lambdalab_path:
        os.environ["LAMBDALAB_BENCH_PATH"] = os.path.abspath(args.lambdalab_path)
    os.environ["LAMBDALAB_BENCH_ENGINE"] = args.lambdalab_engine
    plan = PLANS["quick" if args.quick else "full"]
    started = time.perf_counter()
    runs: dict[str, dict[str, dict[float, dict[str, Any]]]] = {
        key: {"lambdalab": {}, "simfaas": {}} for key in ("a", "b")
    }
    # (scenario, simulator, span, repeats), the two simulators interleaved so that a change in the
    # machine's load hits both; the largest span of (a) (memory flatness, ~1M requests) runs once.
    jobs = [(key, name, span) for span in plan["a"] for key, name in (("a", "lambdalab"), ("a", "simfaas"))]
    jobs += [
        job
        for pair in zip(plan["b_lambdalab"], plan["b_simfaas"], strict=True)
        for job in (("b", "lambdalab", pair[0]), ("b", "simfaas", pair[1]))
    ]
    load_before = os.getloadavg()[0]
    print(f"1-minute load average before: {load_before:.2f}", file=sys.stderr)
    for key, name, span in jobs:
        repeat = 1 if key == "a" and span == plan["a"][-1] else args.repeat
        python = sys.executable if name == "lambdalab" else args.simfaas_python
        runs[key][name][span] = _measure(python, name, key, span, args.seed, repeat)
    load = (load_before, os.getloadavg()[0])
    command = " ".join([os.path.relpath(sys.executable, ROOT), "benchmarks/run.py", *sys.argv[1:]])
    text = report(runs, plan, args.seed, args.simfaas_python, load, command)
    text += f"Total time of this benchmark run: {time.perf_counter() - started:.0f} s.\n"
    print(text)
    if args.out != "-":
        Path(args.out).write_text(text)
        print(f"(written to {args.out})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``lambdalab simulate``: Poisson traffic against one statistical function, summarised.

    lambdalab simulate --arrival-rate 10 --duration exp:0.2 --sim-seconds 3600 --json

Options left out take the era's defaults (:mod:`lambdalab.coldstart`). The
function's reserved concurrency is ``--concurrency-limit`` when given (the
account limit is raised to keep 100 unreserved). Means are time averages over
``[0, --sim-seconds]``; an environment that is creating, initialising or
invoking counts as busy. Arrivals stop at ``--sim-seconds``; requests still in
flight then are run to completion, so every request has an outcome.
``cost_usd`` is the requests and billed GB-seconds at the era's x86_64 prices,
without the monthly free tier.

Synchronous scenarios run on :mod:`lambdalab.kernel`, which gives the general
engine's numbers exactly, several times faster; ``--invocation-type Event``
(retries, ``--max-retry-attempts``, ``--dead-letter-queue``) runs on the
general engine.

Bad input is refused before anything runs, with one line on stderr and exit
status 2, as argparse does: numbers must be finite, rates and spans > 0. A
scenario of more than ``--max-requests`` expected requests (default
10,000,000, a minute or so on the kernel) is refused with its size and an
estimate of its wall time, measured on a sample of the same scenario; raise
``--max-requests`` to run it anyway. A run that takes more than a few seconds
shows its progress on stderr. ``--json`` prints strict JSON: a statistic of
no requests (a latency percentile, a probability) is ``null``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import replace
from typing import Any, NoReturn

from .coldstart import cold_start_model
from .distributions import FORMS, MAX_SECONDS, Dist
from .errors import LambdaError
from .kernel import StatisticalKernel
from .pricing import Architecture, usage_cost
from .quotas import Era, quotas
from .service import Lambda
from .sim import Simulation
from .traffic import poisson

MAX_REQUESTS = 10_000_000
"""Default ``--max-requests``: about a minute on the kernel (benchmarks/results.md: ~200,000 requests/s)."""
PROGRESS_AFTER_S = 3.0
"""Wall seconds after which a run shows its progress on stderr."""
_SAMPLE_REQUESTS = 2_000  # expected requests of the sample run that measures a refused scenario's speed


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line: ``lambdalab simulate: error: ...`` and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {_one_line(message)}\n")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _dist(text: str) -> Dist:
    try:
        return Dist.parse(text)
    except (ValueError, TypeError) as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text!r}")
    return value


def _positive(text: str) -> float:
    value = _number(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, not {text!r}")
    return value


def _span(text: str) -> float:
    value = _positive(text)
    if value > MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"must be at most 1e9 simulated seconds (about 32 years), not {text!r}")
    return value


def _probability(text: str) -> float:
    value = _number(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a probability between 0 and 1, not {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    top = _Parser(prog="lambdalab", description="Lambda on a virtual clock.")
    sub = top.add_subparsers(dest="command", required=True)
    sim = sub.add_parser(
        "simulate",
        help="Poisson traffic against one function",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sim.add_argument("--arrival-rate", type=_positive, required=True, metavar="R", help="requests per second")
    sim.add_argument("--duration", type=_dist, required=True, metavar="DIST", help=f"handler duration: {FORMS}")
    sim.add_argument("--init-duration", type=_dist, metavar="DIST", help="INIT phase of a cold start")
    sim.add_argument("--idle-timeout", type=_dist, metavar="DIST", help="how long an idle environment lives")
    sim.add_argument("--concurrency-limit", type=int, metavar="N", help="the function's reserved concurrency")
    sim.add_argument("--memory", type=int, default=128, metavar="MB", help="memory size (default 128)")
    sim.add_argument("--timeout", type=int, default=900, metavar="S", help="function timeout (default 900)")
    sim.add_argument("--era", choices=["2019", "today"], default="today")
    sim.add_argument(
        "--sim-seconds", type=_span, default=3600.0, metavar="S", help="simulated span (default 3600, at most 1e9)"
    )
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--invocation-type", choices=["RequestResponse", "Event"], default="RequestResponse")
    sim.add_argument(
        "--error-rate",
        type=_probability,
        default=0.0,
        metavar="P",
        help="probability that one attempt fails with a function error",
    )
    sim.add_argument(
        "--max-retry-attempts", type=int, metavar="N", help="Event only: retries of a function error, 0-2 (default 2)"
    )
    sim.add_argument(
        "--dead-letter-queue",
        action="store_true",
        help="Event only: send failed events to a dead-letter queue (else they are dropped)",
    )
    sim.add_argument(
        "--max-requests",
        type=_count,
        default=MAX_REQUESTS,
        metavar="N",
        help=f"refuse scenarios of more expected requests (default {MAX_REQUESTS:,}); raise it to run one anyway",
    )
    sim.add_argument("--json", action="store_true", help="print one JSON object (strict JSON: null for no data)")
    return top


def simulate(args: argparse.Namespace, progress: bool = False, engine: str = "auto") -> dict[str, Any]:
    """Run the scenario of ``args``; return the summary as a dict.

    ``engine``: ``"auto"`` runs synchronous scenarios on :mod:`lambdalab.kernel` and the rest on the
    general engine; ``"general"`` or ``"kernel"`` force one (the tests compare them). ``progress``:
    report progress on stderr once the run has taken :data:`PROGRESS_AFTER_S` wall seconds. A scenario
    of more than ``args.max_requests`` expected requests raises ValueError before it runs.
    """
    _check(args)
    limit = getattr(args, "max_requests", MAX_REQUESTS)
    expected = args.arrival_rate * args.sim_seconds
    if limit is not None and expected > limit:
        raise ValueError(_too_big(args, expected, limit, engine))
    limits = quotas(args.era)
    account = limits.account_concurrency
    if args.concurrency_limit is not None:
        account = max(account, args.concurrency_limit + limits.unreserved_min)
    model = cold_start_model(limits.era)
    if args.idle_timeout is not None:
        model = replace(model, idle_lifetime=args.idle_timeout)
    wall = time.perf_counter()
    sim = Simulation(seed=args.seed)
    aws = Lambda(sim, era=limits.era, account_concurrency=account, keep_records=False, logs=False, cold_start=model)
    aws.create_function(
        "simulated",
        duration=args.duration,
        init_duration=args.init_duration,
        memory_size=args.memory,
        timeout=args.timeout,
        reserved_concurrency=args.concurrency_limit,
        error_rate=args.error_rate,
    )
    asynchronous = args.invocation_type == "Event"
    if args.max_retry_attempts is not None:
        if not asynchronous:
            raise ValueError("--max-retry-attempts applies to --invocation-type Event")
        if aws.era is Era.SEMINAR_2019:
            raise ValueError("--max-retry-attempts needs --era today: in 2019 Lambda retried an event twice, fixed")
        aws.put_function_event_invoke_config(FunctionName="simulated", MaximumRetryAttempts=args.max_retry_attempts)
    if args.dead_letter_queue:
        if not asynchronous:
            raise ValueError("--dead-letter-queue applies to --invocation-type Event")
        dlq = aws.create_queue("simulated-dlq")
        aws.update_function_configuration(FunctionName="simulated", DeadLetterConfig={"TargetArn": dlq.arn})
    end = args.sim_seconds
    use_kernel = engine == "kernel" or (engine == "auto" and not asynchronous)
    if use_kernel and asynchronous:
        raise ValueError("the kernel runs synchronous scenarios only")
    if use_kernel:  # the same model as the engine, in one loop (lambdalab.kernel); tested to match exactly
        kernel = StatisticalKernel(
            seed=args.seed,
            quotas=limits,
            cold_start=model,
            duration=args.duration,
            init_duration=args.init_duration,
            error_rate=args.error_rate,
            memory_mb=args.memory,
            timeout=args.timeout,
            reserved=args.concurrency_limit,
            account_limit=account,
            rate=args.arrival_rate,
            until=end,
        )
        advance, rec = kernel.run, kernel.recorder
    else:
        poisson(aws, "simulated", args.arrival_rate, end, payload=b"{}", invocation_type=args.invocation_type)
        advance, rec = sim.run, aws.recorder
    report = _Progress(wall) if progress else None
    chunks = 200 if progress else 1  # chunked or not, the same numbers (tests/test_cli.py checks it)
    for i in range(1, chunks + 1):
        advance(end * i / chunks)
        if report is not None:
            report.show(f"{end * i / chunks:,.0f}/{end:,.0f} simulated s", i / chunks)
    rec.finish(end)
    mean_envs, mean_busy = rec.mean_envs(end), rec.mean_busy(end)
    # Drain: requests in flight at the end, and events still queued or waiting to retry, get their outcome.
    if use_kernel:
        kernel.drain()
    else:

        def done() -> bool:
            return aws.concurrency.total_busy == 0 and aws.ledger.open == 0

        horizon = sim.now
        while not done() and sim.peek() < math.inf:  # in steps, to show progress; the same as one run_until
            horizon += max(end / chunks, 60.0) if report is not None else math.inf
            sim.run_until(done, horizon)
            if report is not None:
                report.show(f"finishing: {aws.ledger.open:,} events still open at {sim.now:,.0f} simulated s", None)
    if report is not None:
        report.close()
    out = rec.outcomes
    attempts = rec.requests_total
    throttles = out["throttled"]
    served = attempts - throttles
    places = aws.ledger.counts()
    requests = sum(places.values()) if asynchronous else attempts
    cost = usage_cost(rec.billed_requests, rec.billed_gb_seconds, Architecture.X86_64, limits.era)
    return {
        "era": limits.era.value,
        "seed": args.seed,
        "sim_seconds": end,
        "requests": requests,
        "cold_starts": rec.cold_starts,
        "cold_start_probability": rec.cold_starts / served if served else math.nan,
        "throttles": throttles,
        "throttle_probability": throttles / attempts if attempts else math.nan,
        "errors": out["error"] + out["timeout"] + out["init_error"],
        "succeeded": places["processed"] if asynchronous else out["success"],
        "retries": aws.ledger.retries,
        "dead_lettered": places["dead_lettered"],
        "dropped": places["dropped"],
        "mean_environments": mean_envs,
        "mean_busy_environments": mean_busy,
        "mean_idle_environments": mean_envs - mean_busy,
        "peak_environments": rec.peak_envs,
        "latency_p50_ms": rec.latency_percentile(0.50),
        "latency_p99_ms": rec.latency_percentile(0.99),
        "billed_gb_seconds": rec.billed_gb_seconds,
        "cost_usd": cost,
        "wall_seconds": time.perf_counter() - wall,
    }


def _check(args: argparse.Namespace) -> None:
    """What the parser's types check, again for a Namespace built by hand (the Python API of this module)."""
    for name in ("arrival_rate", "sim_seconds"):
        value = getattr(args, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
            raise ValueError(f"--{name.replace('_', '-')} must be a finite number > 0, not {value!r}")
    if args.sim_seconds > MAX_SECONDS:
        raise ValueError(f"--sim-seconds must be at most 1e9 (about 32 years), not {args.sim_seconds!r}")
    if args.concurrency_limit is not None and args.concurrency_limit < 0:
        raise ValueError("--concurrency-limit must be >= 0")


def _too_big(args: argparse.Namespace, expected: float, limit: int, engine: str) -> str:
    """Why a scenario is refused: its size, and its wall time at the speed measured on a sample of it."""
    sample = argparse.Namespace(**vars(args))
    sample.sim_seconds = min(args.sim_seconds, min(_SAMPLE_REQUESTS, limit) / args.arrival_rate)
    sample.max_requests = None
    start = time.perf_counter()
    simulate(sample, engine=engine)
    speed = args.arrival_rate * sample.sim_seconds / max(time.perf_counter() - start, 1e-6)
    insist = f", or pass --max-requests {math.ceil(expected)} to run it anyway" if expected < 1e15 else ""
    return (
        f"--arrival-rate {args.arrival_rate:g} for --sim-seconds {args.sim_seconds:g} is {_big(expected)} "
        f"requests, more than --max-requests {limit:,}; at the {speed:,.0f} requests a second measured on a "
        f"sample of this scenario it would take {_duration(expected / speed)}. Lower --arrival-rate or "
        f"--sim-seconds{insist}."
    )


def _big(number: float) -> str:
    """``about 1,234`` or ``about 1.23e+20``; ``more than 1.8e308`` for a number too large for a float."""
    if number == math.inf:
        return "more than 1.8e308"
    return f"about {number:,.0f}" if number < 1e15 else f"about {number:.3g}"


def _duration(seconds: float) -> str:
    for unit, size in (("years", 31_557_600.0), ("days", 86_400.0), ("hours", 3600.0), ("minutes", 60.0)):
        if seconds >= 2 * size:
            return f"{_big(seconds / size)} {unit}"
    return f"about {seconds:,.0f} seconds"


class _Progress:
    """Progress on stderr once a run has taken PROGRESS_AFTER_S: a bar on a terminal; else a line at each tenth
    of the simulated span, and every 10 s."""

    def __init__(self, start: float) -> None:
        self.start = start
        self.tty = sys.stderr.isatty()
        self.shown = False
        self.tenth = 0
        self.last = 0.0

    def show(self, what: str, fraction: float | None) -> None:
        """``fraction``: of the simulated span; None while in-flight requests finish after it."""
        now = time.perf_counter()
        elapsed = now - self.start
        if elapsed < PROGRESS_AFTER_S:
            return
        done = "" if fraction is None else f"{fraction:.0%}: "
        if self.tty:
            bar = "#" * round((1.0 if fraction is None else fraction) * 40)
            print(f"\r[{bar:.<40}] {done}{what} in {elapsed:,.0f} wall s\033[K", end="", file=sys.stderr, flush=True)
        elif (fraction is not None and int(fraction * 10) > self.tenth) or now - self.last >= 10 or not self.shown:
            self.tenth = int(fraction * 10) if fraction is not None else 10
            print(f"lambdalab simulate: {done}{what} in {elapsed:,.0f} wall s", file=sys.stderr, flush=True)
        else:
            return
        self.shown, self.last = True, now

    def close(self) -> None:
        if self.tty and self.shown:
            print(file=sys.stderr)


def strict_json(summary: dict[str, Any]) -> str:
    """``summary`` as strict JSON: a non-finite number (a statistic of no requests) becomes ``null``."""
    clean = {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in summary.items()}
    return json.dumps(clean, allow_nan=False)


def _pct(value: float) -> str:
    return f"{value:.2%}" if math.isfinite(value) else "n/a"


def _ms(value: float) -> str:
    return f"{value:.1f} ms" if math.isfinite(value) else "n/a"


def _text(summary: dict[str, Any]) -> str:
    s = summary
    return "\n".join(
        [
            f"{s['requests']:,} requests in {s['sim_seconds']:,.0f} simulated s ({s['era']} preset, seed {s['seed']})",
            f"  cold starts   {s['cold_starts']:,} ({_pct(s['cold_start_probability'])} of served requests)",
            f"  throttles     {s['throttles']:,} ({_pct(s['throttle_probability'])})",
            f"  errors        {s['errors']:,} (attempts that failed); succeeded {s['succeeded']:,}",
            f"  async         {s['retries']:,} retries, {s['dead_lettered']:,} dead-lettered, {s['dropped']:,} dropped",
            f"  environments  mean {s['mean_environments']:.2f} (busy {s['mean_busy_environments']:.2f}, "
            f"idle {s['mean_idle_environments']:.2f}), peak {s['peak_environments']:,}",
            f"  latency       p50 {_ms(s['latency_p50_ms'])}, p99 {_ms(s['latency_p99_ms'])}",
            f"  billed        {s['billed_gb_seconds']:,.1f} GB-s, ${s['cost_usd']:,.4f} (no free tier)",
            f"  wall time     {s['wall_seconds']:.2f} s",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        summary = simulate(args, progress=True)
    except (ValueError, LambdaError) as error:  # includes the Lambda API's validation errors
        hint = getattr(error, "hint", None)
        message = f"{error} ({hint})" if hint else str(error)
        print(f"lambdalab simulate: error: {_one_line(message)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nlambdalab simulate: interrupted", file=sys.stderr)
        return 130
    try:
        print(strict_json(summary) if args.json else _text(summary), flush=True)
    except BrokenPipeError:  # the reader went away (| head): not an error of the simulation
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0

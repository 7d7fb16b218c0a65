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
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import replace
from typing import Any

from .coldstart import cold_start_model
from .distributions import FORMS, Dist
from .kernel import StatisticalKernel
from .pricing import Architecture, usage_cost
from .quotas import quotas
from .service import Lambda
from .sim import Simulation
from .traffic import poisson


def _dist(text: str) -> Dist:
    try:
        return Dist.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="lambdalab", description="Lambda on a virtual clock.")
    sub = top.add_subparsers(dest="command", required=True)
    sim = sub.add_parser(
        "simulate",
        help="Poisson traffic against one function",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sim.add_argument("--arrival-rate", type=float, required=True, metavar="R", help="requests per second")
    sim.add_argument("--duration", type=_dist, required=True, metavar="DIST", help=f"handler duration: {FORMS}")
    sim.add_argument("--init-duration", type=_dist, metavar="DIST", help="INIT phase of a cold start")
    sim.add_argument("--idle-timeout", type=_dist, metavar="DIST", help="how long an idle environment lives")
    sim.add_argument("--concurrency-limit", type=int, metavar="N", help="the function's reserved concurrency")
    sim.add_argument("--memory", type=int, default=128, metavar="MB", help="memory size (default 128)")
    sim.add_argument("--timeout", type=int, default=900, metavar="S", help="function timeout (default 900)")
    sim.add_argument("--era", choices=["2019", "today"], default="today")
    sim.add_argument("--sim-seconds", type=float, default=3600.0, metavar="S", help="simulated span (default 3600)")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--invocation-type", choices=["RequestResponse", "Event"], default="RequestResponse")
    sim.add_argument(
        "--error-rate",
        type=float,
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
    sim.add_argument("--json", action="store_true", help="print one JSON object")
    return top


def simulate(args: argparse.Namespace, progress: bool = False, engine: str = "auto") -> dict[str, Any]:
    """Run the scenario of ``args``; return the summary as a dict.

    ``engine``: ``"auto"`` runs synchronous scenarios on :mod:`lambdalab.kernel` and the rest on the
    general engine; ``"general"`` or ``"kernel"`` force one (the tests compare them).
    """
    if not args.arrival_rate > 0 or not args.sim_seconds > 0:
        raise ValueError("--arrival-rate and --sim-seconds must be > 0")
    limits = quotas(args.era)
    account = limits.account_concurrency
    if args.concurrency_limit is not None:
        if args.concurrency_limit < 0:
            raise ValueError("--concurrency-limit must be >= 0")
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
    chunks = 50 if progress else 1
    for i in range(1, chunks + 1):
        advance(end * i / chunks)
        if progress:
            bar = "#" * i + "." * (chunks - i)
            print(f"\r[{bar}] {end * i / chunks:,.0f}/{end:,.0f} s", end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    rec.finish(end)
    mean_envs, mean_busy = rec.mean_envs(end), rec.mean_busy(end)
    # Drain: requests in flight at the end, and events still queued or waiting to retry, get their outcome.
    if use_kernel:
        kernel.drain()
    else:
        sim.run_until(lambda: aws.concurrency.total_busy == 0 and aws.ledger.open == 0)
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


def _text(summary: dict[str, Any]) -> str:
    s = summary
    return "\n".join(
        [
            f"{s['requests']:,} requests in {s['sim_seconds']:,.0f} simulated s ({s['era']} preset, seed {s['seed']})",
            f"  cold starts   {s['cold_starts']:,} ({s['cold_start_probability']:.2%} of served requests)",
            f"  throttles     {s['throttles']:,} ({s['throttle_probability']:.2%})",
            f"  errors        {s['errors']:,} (attempts that failed); succeeded {s['succeeded']:,}",
            f"  async         {s['retries']:,} retries, {s['dead_lettered']:,} dead-lettered, {s['dropped']:,} dropped",
            f"  environments  mean {s['mean_environments']:.2f} (busy {s['mean_busy_environments']:.2f}, "
            f"idle {s['mean_idle_environments']:.2f}), peak {s['peak_environments']:,}",
            f"  latency       p50 {s['latency_p50_ms']:.1f} ms, p99 {s['latency_p99_ms']:.1f} ms",
            f"  billed        {s['billed_gb_seconds']:,.1f} GB-s, ${s['cost_usd']:,.4f} (no free tier)",
            f"  wall time     {s['wall_seconds']:.2f} s",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        summary = simulate(args, progress=not args.json and sys.stderr.isatty())
    except ValueError as error:  # includes the Lambda API's validation errors
        print(f"lambdalab: error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(summary) if args.json else _text(summary))
    return 0

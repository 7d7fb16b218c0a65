"""Fuzzing the command line and the public API with hypothesis (issue 8).

Numbers at the edges (0, -0, the smallest and largest floats, huge integers), NaN, infinities, wrong
types and stray strings go everywhere a number goes. What must hold: bad input is refused with a
clear error (ValueError, TypeError or a Lambda API error with a message; on the command line exit
status 2 and one line on stderr, argparse's way), never a hang, another exception or a traceback;
whatever is accepted runs, with a finite clock, and nothing is lost: every request ends in exactly
one outcome, every event in exactly one place of the ledger. Simulations stay small (a few hundred
requests, ``--max-requests``), so each test takes a few seconds; under ``CI`` the examples are
derandomized (tests/conftest.py).
"""

from __future__ import annotations

import itertools
import json
import math
import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import lambdalab as ll
from lambdalab.accounting import PLACES
from lambdalab.cli import main
from lambdalab.distributions import MAX_SECONDS
from lambdalab.errors import LambdaError
from lambdalab.kernel import _draw
from lambdalab.metrics import OUTCOMES

ALLOWED = (ValueError, TypeError, LambdaError)


def fuzz(examples: int) -> settings:
    """Hypothesis settings of a fuzz test (the loaded profile's, e.g. derandomized under CI). ``capsys`` is read
    and so emptied by every example: it may be shared between them."""
    checks = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture]
    return settings(max_examples=examples, deadline=None, suppress_health_check=checks)


EDGES: list[Any] = [math.nan, math.inf, -math.inf, 0, -0.0, -1, 0.5, 1.5, 5e-324, 1e308, -1e308, 10**30, 10**400]
WRONG: list[Any] = [None, True, False, "1", "", [], {}, b"1"]


def edgy(sane: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A sane value most of the time; else an edge number, any float or integer, or a value of the wrong type."""
    return st.one_of(sane, sane, st.sampled_from(EDGES + WRONG), st.floats(), st.integers())


def refused(call: Callable[[], Any]) -> bool:
    """Run ``call``: True if it refused with an allowed, explained error; any other exception fails the test."""
    try:
        call()
    except ALLOWED as error:
        assert str(error).strip(), f"{type(error).__name__} without a message"
        event(f"refused: {type(error).__name__}")
        return True
    event("accepted")
    return False


# -- the command line -------------------------------------------------------------------------------------
NUMBER_TEXT = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "1e400", "-1e400", "0", "-0", "1e-320", "1e308", "-1", "", " "]),
    st.sampled_from(["abc", "1,5", "0x10", "1_000", "\u0661", "+5", "5.", ".5", "1e9", "1e12", "-1e-9", "10**3"]),
    st.floats().map(repr),
    st.integers(-(10**40), 10**40).map(str),
    st.text(max_size=6),
)


def number_text(low: float, high: float) -> st.SearchStrategy[str]:
    return st.one_of(st.floats(low, high).map(lambda x: f"{x:.4g}"), NUMBER_TEXT)


def int_text(low: int, high: int) -> st.SearchStrategy[str]:
    return st.one_of(st.integers(low, high).map(str), NUMBER_TEXT)


SANE_DIST_TEXT = st.sampled_from(["const:0.2", "exp:0.5", "lognormal:0.3,1", "uniform:0.1,2", "const:0", "exp:1e8"])
DIST_TEXT = st.one_of(
    st.builds(
        lambda kind, params: f"{kind}:{','.join(params)}",
        st.sampled_from(["const", "exp", "lognormal", "uniform", "gamma", ""]),
        st.lists(number_text(0, 3), max_size=3),
    ),
    st.sampled_from(["lognormal:1,1000", "lognormal:1,10", "exp:1e9", "uniform:0,1e9", "const:1e10", "lognormal:0,1"]),
    NUMBER_TEXT,
)
OPTIONS: dict[str, tuple[st.SearchStrategy[str], st.SearchStrategy[str]]] = {  # (sane, bad) values
    "--arrival-rate": (st.floats(0.01, 20).map(lambda x: f"{x:.4g}"), NUMBER_TEXT),
    "--duration": (SANE_DIST_TEXT, DIST_TEXT),
    "--sim-seconds": (st.floats(0.1, 15).map(lambda x: f"{x:.4g}"), NUMBER_TEXT),
    "--init-duration": (SANE_DIST_TEXT, DIST_TEXT),
    "--idle-timeout": (SANE_DIST_TEXT, DIST_TEXT),
    "--concurrency-limit": (st.integers(0, 8).map(str), NUMBER_TEXT),
    "--memory": (st.sampled_from(["128", "192", "1024", "10240"]), st.one_of(NUMBER_TEXT, st.just("200"))),
    "--timeout": (st.integers(1, 5).map(str), st.one_of(NUMBER_TEXT, st.just("901"))),
    "--era": (st.sampled_from(["2019", "today"]), st.sampled_from(["2020", "", "TODAY"])),
    "--seed": (st.integers(0, 100).map(str), NUMBER_TEXT),
    "--invocation-type": (st.sampled_from(["RequestResponse", "Event"]), st.sampled_from(["DryRun", "event", ""])),
    "--error-rate": (st.floats(0, 1).map(lambda x: f"{x:.3g}"), NUMBER_TEXT),
    "--max-retry-attempts": (st.integers(0, 2).map(str), st.one_of(NUMBER_TEXT, st.just("3"))),
    "--max-requests": (st.integers(300, 400).map(str), st.one_of(NUMBER_TEXT, st.integers(1, 50).map(str))),
}
USUALLY = ("--arrival-rate", "--duration", "--sim-seconds", "--max-requests")  # left out now and then only
EVENT_ONLY = ("--max-retry-attempts", "--dead-letter-queue")


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    """``simulate`` with a sane value for each option given, but none, one or two bad ones (a bad value, an
    Event-only option on synchronous traffic); now and then a usual option left out, an unknown one, a stray
    word. The span and ``--max-requests`` keep runs to a few hundred requests."""
    names = sorted([*OPTIONS, "--dead-letter-queue"])
    bad = draw(st.one_of(st.just(set()), st.sets(st.sampled_from(names), min_size=1, max_size=2)))
    event = draw(st.booleans())
    argv = ["simulate"]
    for name, (sane, wrong) in OPTIONS.items():
        if name == "--invocation-type" and name not in bad:
            given = event or draw(st.booleans())
            value = "Event" if event else "RequestResponse"
        else:
            given = name in bad or (draw(st.integers(0, 30)) > 0 if name in USUALLY else draw(st.booleans()))
            value = draw(wrong if name in bad else sane)
        if name in EVENT_ONLY and not event and name not in bad:
            given = False
        if given:
            argv += [name, value]
    if draw(st.booleans()) and (event or "--dead-letter-queue" in bad):
        argv.append("--dead-letter-queue")
    if draw(st.booleans()):
        argv.append("--json")
    if draw(st.integers(0, 30)) == 0:
        argv.insert(draw(st.integers(1, len(argv))), draw(st.sampled_from(["--arrival", "--bogus", "stray"])))
    return argv


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exit:  # argparse's own errors
        code = exit.code if isinstance(exit.code, int) else 1
    out = capsys.readouterr()
    return code, out.out, out.err


@fuzz(150)
@given(argv=command_lines())
def test_fuzz_the_command_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(argv, capsys)
    event(f"exit status {code}")
    assert "Traceback" not in err
    if code != 0:
        assert code == 2 and out == ""
        lines = err.splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith(("lambdalab simulate: error: ", "lambdalab: error: ")), err
        return
    assert all(line.startswith("lambdalab simulate: ") and "error" not in line for line in err.splitlines()), err
    if "--json" not in argv:
        assert " requests in " in out and "nan" not in out.lower()
        return

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in the JSON output")

    s = json.loads(out, parse_constant=refuse)
    assert s["requests"] >= 0 and s["wall_seconds"] >= 0
    if s["requests"] == 0:
        assert s["latency_p50_ms"] is None and s["cold_start_probability"] is None
    asynchronous = "Event" in [value for option, value in itertools.pairwise(argv) if option == "--invocation-type"]
    if asynchronous:  # every event in exactly one place
        assert s["succeeded"] + s["dead_lettered"] + s["dropped"] == s["requests"]
    else:  # every request in exactly one outcome
        assert s["succeeded"] + s["errors"] + s["throttles"] == s["requests"]
        assert s["retries"] == 0


# -- the public API ---------------------------------------------------------------------------------------
BAD = st.one_of(st.sampled_from(EDGES + WRONG), st.floats(), st.integers(), st.text(max_size=4))
SANE_DISTS = st.sampled_from(["const:0.2", "exp:0.5", "lognormal:0.3,1", "uniform:0.1,2", "const:0", "exp:1e8"])
DISTS = st.one_of(SANE_DISTS, SANE_DISTS, SANE_DISTS, DIST_TEXT)


@st.composite
def mostly_sane(draw: st.DrawFn, **fields: st.SearchStrategy[Any]) -> dict[str, Any]:
    """A sane value for every field but none, one or two of them, which get a bad one (:data:`BAD`)."""
    bad = draw(st.one_of(st.just(set()), st.sets(st.sampled_from(sorted(fields)), min_size=1, max_size=2)))
    for name in sorted(bad):
        event(f"bad {name}")
    return {name: draw(BAD) if name in bad else draw(values) for name, values in fields.items()}


def settle_and_check(aws: ll.Lambda, ids: list[str], results: list[ll.InvocationResult], kind: str) -> None:
    """Run to the end; then every request has one outcome, every event one place, and the clock is finite."""
    aws.sim.run_until(lambda: aws.concurrency.total_busy == 0 and aws.ledger.open == 0)
    assert math.isfinite(aws.sim.now)
    records = aws.requests()
    assert set(records.outcome) <= set(OUTCOMES)
    if kind == "RequestResponse":
        assert sorted(records.request_id) == sorted(ids) == sorted(r.request_id for r in results)
    else:
        events = aws.events()
        assert sorted(events.event_id) == sorted(ids) and aws.ledger.open == 0
        assert set(events.place) <= set(PLACES) - {"in_flight"}


def ledger_holds(aws: ll.Lambda, entered: int) -> None:
    """Mid-run or at the end: every event entered is in one place or still open, none twice."""
    counts = aws.ledger.counts()
    assert sum(counts.values()) - counts.get("in_flight", 0) + aws.ledger.open == entered
    assert math.isfinite(aws.sim.now)


@fuzz(150)
@given(
    p=mostly_sane(
        era=st.sampled_from(["2019", "today"]),
        account=st.one_of(st.none(), st.integers(100, 3000)),
        region=st.sampled_from(["us-east-1", "eu-west-2", "us-east-2"]),
        memory_size=st.sampled_from([128, 256, 1024]),
        timeout=st.integers(1, 4),
        reserved_concurrency=st.one_of(st.none(), st.integers(0, 4)),
        provisioned=st.sampled_from([0, 0, 1, 2]),
        ephemeral_storage=st.sampled_from([512, 1024]),
        error_rate=st.sampled_from([0.0, 0.3, 1.0]),
        memory_used_mb=st.integers(1, 128),
        duration=DISTS,
        init_duration=st.one_of(st.none(), DISTS),
    ),
    seed=st.integers(0, 2**16),
    arrivals=st.lists(st.floats(0, 30, allow_nan=False), min_size=1, max_size=15),
    kind=st.sampled_from(["RequestResponse", "Event"]),
)
def test_fuzz_creating_and_invoking_functions(p: dict[str, Any], seed: int, arrivals: list[float], kind: str) -> None:
    made: list[ll.Lambda] = []

    def create() -> None:
        aws = ll.Lambda(
            ll.Simulation(seed), era=p.pop("era"), account_concurrency=p.pop("account"), region=p.pop("region")
        )
        provisioned = p.pop("provisioned", 0)
        made.append(aws)
        aws.create_function("f", **p)
        if provisioned:  # requests go to version 1, which keeps environments initialised
            aws.publish_version(FunctionName="f")
            aws.put_provisioned_concurrency_config(
                FunctionName="f", Qualifier="1", ProvisionedConcurrentExecutions=provisioned
            )
            names.append("f:1")

    names: list[str] = []
    if refused(create):
        return
    aws = made[0]
    name = names[0] if names else "f"
    ids: list[str] = []
    results: list[ll.InvocationResult] = []
    for t in sorted(arrivals):
        aws.sim.at(t, lambda: ids.append(aws.submit(name, b"{}", kind, callback=results.append)))
    settle_and_check(aws, ids, results, kind)


@fuzz(80)
@given(
    p=mostly_sane(MaximumRetryAttempts=st.integers(0, 2), MaximumEventAgeInSeconds=st.integers(60, 21600)),
    era=st.sampled_from(["2019", "today"]),
    dead_letters=st.booleans(),
    error_rate=st.sampled_from([0.0, 0.5, 1.0]),
    reserved=st.one_of(st.none(), st.integers(0, 2)),
    count=st.integers(1, 12),
)
def test_fuzz_asynchronous_invocation(
    p: dict[str, Any], era: str, dead_letters: bool, error_rate: float, reserved: int | None, count: int
) -> None:
    aws = ll.Lambda(ll.Simulation(seed=count), era=era)
    aws.create_function("f", duration="exp:2", error_rate=error_rate, timeout=5, reserved_concurrency=reserved)
    if dead_letters:
        dlq = aws.create_queue("dlq")
        aws.update_function_configuration(FunctionName="f", DeadLetterConfig={"TargetArn": dlq.arn})
    if era == "2019":  # the 2019 SDK had no such method (it came on 25 November 2019)
        with pytest.raises(AttributeError, match="put_function_event_invoke_config"):
            aws.put_function_event_invoke_config("f", **p)
    elif refused(lambda: aws.put_function_event_invoke_config("f", **p)):
        return
    ids: list[str] = []
    for i in range(count):
        aws.sim.at(i * 0.5, lambda: ids.append(aws.submit("f", b"{}", "Event")))
    settle_and_check(aws, ids, [], "Event")


@fuzz(100)
@given(
    p=mostly_sane(
        name=st.sampled_from(["orders", "orders-2_b"]),
        visibility_timeout=st.sampled_from([5, 30, 60.5]),
        retention_period=st.sampled_from([60, 600, 345_600]),
        max_receive_count=st.integers(1, 3),
        BatchSize=st.sampled_from([1, 10]),
        MaximumBatchingWindowInSeconds=st.sampled_from([0, 1, 20]),
    ),
    era=st.sampled_from(["2019", "today"]),
    dlq=st.booleans(),
    timeout=st.integers(1, 5),
    error_rate=st.sampled_from([0.0, 0.5, 1.0]),
    messages=st.integers(1, 25),
)
def test_fuzz_sqs_queues_and_their_mappings(
    p: dict[str, Any], era: str, dlq: bool, timeout: int, error_rate: float, messages: int
) -> None:
    aws = ll.Lambda(ll.Simulation(seed=messages), era=era)
    aws.create_function("consumer", duration="exp:0.5", error_rate=error_rate, timeout=timeout)
    made: list[Any] = []
    mapping = {key: p.pop(key) for key in ("BatchSize", "MaximumBatchingWindowInSeconds")}
    if era == "2019" and mapping["MaximumBatchingWindowInSeconds"] == 0:
        del mapping["MaximumBatchingWindowInSeconds"]  # not a 2019 parameter

    def create() -> None:
        dead = aws.create_queue("dead") if dlq else None
        queue = aws.create_queue(p.pop("name"), dead_letter_queue=dead, **p)
        aws.create_event_source_mapping(EventSourceArn=queue.arn, FunctionName="consumer", **mapping)
        made.append(queue)

    if refused(create):
        return
    queue = made[0]
    for i in range(messages):
        aws.sim.at(i * 0.1, lambda: queue.send_message(MessageBody="{}"))
    aws.sim.run(until=900.0)  # a failing consumer without a DLQ retries until the retention period: stop early
    ledger_holds(aws, messages)


@fuzz(100)
@given(
    p=mostly_sane(
        shard_count=st.integers(1, 4),
        BatchSize=st.sampled_from([1, 10, 100]),
        ParallelizationFactor=st.integers(1, 3),
        MaximumRetryAttempts=st.sampled_from([-1, 0, 2]),
        MaximumRecordAgeInSeconds=st.sampled_from([-1, 60, 3600]),
        BisectBatchOnFunctionError=st.booleans(),
        StartingPosition=st.sampled_from(["LATEST", "TRIM_HORIZON"]),
    ),
    kind=st.sampled_from(["kinesis", "dynamodb"]),
    era=st.sampled_from(["2019", "today", "today"]),
    error_rate=st.sampled_from([0.0, 0.5, 1.0]),
    records=st.integers(1, 25),
)
def test_fuzz_streams_and_their_mappings(
    p: dict[str, Any], kind: str, era: str, error_rate: float, records: int
) -> None:
    aws = ll.Lambda(ll.Simulation(seed=records), era=era)
    aws.create_function("reader", duration="exp:0.3", error_rate=error_rate, timeout=3)
    made: list[Any] = []
    shards = p.pop("shard_count")
    if era == "2019":  # the 2019 preset knows no error-handling settings: fuzz what it has
        p = {k: v for k, v in p.items() if k in ("BatchSize", "StartingPosition")}

    def create() -> None:
        stream = aws.create_stream("s", shards, kind=kind)
        aws.create_event_source_mapping(EventSourceArn=stream.arn, FunctionName="reader", **p)
        made.append(stream)

    if refused(create):
        return
    stream = made[0]
    for i in range(records):
        if kind == "kinesis":
            aws.sim.at(i * 0.1, lambda i=i: stream.put_record(b"x", partition_key=f"k{i % 7}"))
        else:
            aws.sim.at(i * 0.1, lambda i=i: stream.put_change("INSERT", {"id": str(i % 7)}, new_image={"n": i}))
    aws.sim.run(until=4000.0)  # a failing batch is retried until its records expire (24 h): stop early
    ledger_holds(aws, records)


@fuzz(150)
@given(
    seed=edgy(st.integers(0, 100)),
    rate=edgy(st.floats(0.01, 20)),
    until=edgy(st.floats(0, 30)),
    start=st.one_of(st.none(), edgy(st.floats(0, 10))),
    times=st.lists(edgy(st.floats(0, 30)), max_size=6),
    horizon=edgy(st.floats(0, 100)),
)
def test_fuzz_the_clock_and_traffic(
    seed: Any, rate: Any, until: Any, start: Any, times: list[Any], horizon: Any
) -> None:
    box: list[ll.Lambda] = []
    if refused(lambda: box.append(ll.Lambda(ll.Simulation(seed), keep_records=True))):
        return
    aws = box[0]
    aws.create_function("f", duration="exp:0.5", timeout=2)
    pending = aws.sim.pending
    if refused(lambda: ll.poisson(aws, "f", rate, until, start=start, max_requests=500)):
        assert aws.sim.pending == pending  # a refused call schedules nothing
    pending = aws.sim.pending
    if refused(lambda: ll.at_times(aws, "f", times)):
        assert aws.sim.pending == pending
    before = aws.sim.now
    if not refused(lambda: aws.sim.run(until=horizon)) and horizon is not None:
        assert aws.sim.now == float(horizon) >= before
    aws.sim.run_until(lambda: aws.concurrency.total_busy == 0)
    aws.sim.run()
    assert math.isfinite(aws.sim.now)
    records = aws.requests()
    assert records.request_id.is_unique and set(records.outcome) <= set(OUTCOMES)
    assert records.end.map(math.isfinite).all()


@fuzz(300)
@given(
    text=st.one_of(DIST_TEXT, edgy(st.floats(0, 5))),
    kind=st.sampled_from(["const", "exp", "lognormal", "uniform", "beta", 3]),
    a=edgy(st.floats(0, 5)),
    b=edgy(st.floats(0, 5)),
    seed=st.integers(0, 1000),
)
def test_fuzz_distributions(text: Any, kind: Any, a: Any, b: Any, seed: int) -> None:
    for make in (lambda: ll.Dist.parse(text), lambda: ll.Dist(kind, a, b)):
        made: list[ll.Dist] = []
        if refused(lambda make=make, made=made: made.append(make())):
            continue
        dist = made[0]
        rng, twin = random.Random(seed), random.Random(seed)
        draw = _draw(dist, twin)
        for _ in range(50):
            x = dist.sample(rng)
            assert 0 <= x <= MAX_SECONDS and x == draw()  # finite, cut at the cap, the kernel's too
        assert math.isfinite(dist.mean) and str(dist)


@fuzz(200)
@given(
    requests=edgy(st.floats(0, 1e9)),
    duration=edgy(st.floats(0, 5000)),
    memory=edgy(st.sampled_from([128, 1024, 10240])),
    era=st.sampled_from(["2019", "today", "1999", 2019]),
    peak=edgy(st.floats(1, 10)),
    utilisation=edgy(st.floats(0.1, 1)),
)
def test_fuzz_pricing(requests: Any, duration: Any, memory: Any, era: Any, peak: Any, utilisation: Any) -> None:
    bills: list[Any] = []
    refused(lambda: bills.append(ll.lambda_cost(ll.LambdaWorkload(requests, duration, memory), era)))
    refused(
        lambda: bills.append(ll.fleet_cost(requests, duration, peak_to_average=peak, target_utilisation=utilisation))
    )
    refused(lambda: bills.append(ll.lambda_vcpus(memory)))
    refused(lambda: bills.append(ll.requests_per_month(requests)))
    for bill in bills:
        total = bill if isinstance(bill, (int, float)) else bill.total
        assert total >= 0 and not math.isnan(total)


JSON_LIKE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.floats(), st.integers(), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=8,
)


@fuzz(150)
@given(
    payload=st.one_of(  # boto3's Payload is bytes or str: JSON text mostly, some objects it refuses
        JSON_LIKE.map(json.dumps),
        JSON_LIKE,
        st.binary(max_size=12),
        st.text(max_size=12),
        st.sampled_from([b"NaN", object()]),
    ),
    kind=st.sampled_from(["RequestResponse", "Event", "DryRun", "Async"]),
    log_type=st.sampled_from(["None", "Tail", "tail"]),
)
def test_fuzz_invoke_payloads(payload: Any, kind: str, log_type: str) -> None:
    aws = ll.Lambda(ll.Simulation(seed=1))
    aws.create_function("echo", lambda event, context: event)
    box: list[dict[str, Any]] = []
    if refused(
        lambda: box.append(aws.invoke(FunctionName="echo", Payload=payload, InvocationType=kind, LogType=log_type))
    ):
        assert len(aws.requests()) == 0 and aws.ledger.open == 0  # a refused request leaves no trace
        return
    response = box[0]
    body = response["Payload"].read()
    if kind == "RequestResponse" and response.get("FunctionError") is None:

        def refuse(constant: str) -> None:
            raise AssertionError(f"{constant} in a response payload")

        json.loads(body, parse_constant=refuse)  # what the handler returned, as strict JSON
    aws.sim.run()
    assert aws.ledger.open == 0 and math.isfinite(aws.sim.now)

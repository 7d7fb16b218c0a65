"""Handler code on virtual time: the clock, CPU, environment variables, logs and failures (lambdalab.runtime)."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from datetime import datetime, timezone
from typing import Any

import pytest

import lambdalab as ll
from lambdalab.invoke import InvocationResult
from support import call, create_from_source, exact_cold_start, messages, source_service

FIXED = exact_cold_start(0.25)
"""A cold start of exactly 0.25 s of INIT, so that times are exact binary fractions."""


service = source_service


create = create_from_source


# -- time ----------------------------------------------------------------------------------------------

SLEEPER = """\
import time


def handler(event, context):
    time.sleep(event["sleep"])
    return "slept"
"""


def test_sleep_advances_virtual_time_without_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    real_sleeps: list[float] = []
    monkeypatch.setattr(time, "sleep", real_sleeps.append)  # what the handler would reach if not swapped
    aws = service()
    create(aws, SLEEPER, timeout=900)
    result = call(aws, event={"sleep": 800})
    assert real_sleeps == []
    assert result.json() == "slept"
    assert result.duration == 800.0
    assert result.end - result.start == 800.0
    report = messages(aws)[-1]
    assert "\tDuration: 800000.00 ms\t" in report


def test_a_long_virtual_sleep_runs_fast() -> None:
    aws = service()
    create(aws, SLEEPER, timeout=900)
    started = time.perf_counter()
    result = call(aws, event={"sleep": 890})
    assert result.duration == 890.0
    assert time.perf_counter() - started < 60  # a real sleep would take 890 s
    assert time.sleep.__module__ == "time"  # the real function is back


CLOCK = """\
import time


def handler(event, context):
    t0, m0, left0 = time.time(), time.monotonic(), context.get_remaining_time_in_millis()
    time.sleep(1.25)
    return {
        "time": [t0, time.time()],
        "time_ns": time.time_ns(),
        "monotonic": [m0, time.monotonic()],
        "perf_counter": time.perf_counter(),
        "left": [left0, context.get_remaining_time_in_millis()],
    }
"""


def test_time_reads_the_virtual_clock() -> None:
    epoch = datetime(2019, 11, 1, tzinfo=timezone.utc)
    aws = service(sim={"epoch": epoch})
    create(aws, CLOCK)
    result = call(aws)
    out = result.json()
    assert result.start == 0.25
    assert out["time"] == [epoch.timestamp() + 0.25, epoch.timestamp() + 1.5]
    assert out["time_ns"] == int((epoch.timestamp() + 1.5) * 1e9)
    assert out["monotonic"] == [0.25, 1.5]
    assert out["perf_counter"] == 1.5


def test_remaining_time_counts_down_in_virtual_time() -> None:
    aws = service()
    create(aws, CLOCK, timeout=3)
    assert call(aws).json()["left"] == [3000, 1750]
    assert call(aws).json()["left"] == [3000, 1750]  # each invocation has its own deadline


def test_sleep_in_init_counts_as_init_duration() -> None:
    source = "import time\n\ntime.sleep(2)\n\n\ndef handler(event, context):\n    return 1\n"
    aws = service()
    create(aws, source)
    result = call(aws)
    assert result.cold
    assert result.init_duration == 2.25  # 0.25 s runtime start + 2 s of module code
    assert result.duration == 0.0
    assert messages(aws)[-1].endswith("\tInit Duration: 2250.00 ms\t")


# -- CPU -----------------------------------------------------------------------------------------------

COMPUTE = """\
import lambdalab


def handler(event, context):
    lambdalab.compute(event["cpu"], threads=event.get("threads", 1))
    return "done"
"""


@pytest.mark.parametrize("memory", [128, 1024, 1769])
def test_compute_takes_1769_over_memory_seconds_below_one_vcpu(memory: int) -> None:
    aws = service()
    create(aws, COMPUTE, memory_size=memory, timeout=900)
    result = call(aws, event={"cpu": 1.0})
    assert result.outcome == "success"
    assert result.duration == pytest.approx(1769 / memory)


@pytest.mark.parametrize(
    ("memory", "threads", "seconds"),
    [
        (1024, 4, 1769 / 1024),  # below one vCPU, threads do not help
        (3538, 1, 1.0),  # one thread never goes faster than one vCPU
        (3538, 2, 0.5),
        (3538, 8, 0.5),  # capped at memory / 1769 = 2 vCPUs
        (10_240, 16, 1769 / 10_240),
    ],
)
def test_compute_threads_help_up_to_memory_over_1769_vcpus(memory: int, threads: int, seconds: float) -> None:
    aws = service()
    create(aws, COMPUTE, memory_size=memory, timeout=900)
    assert call(aws, event={"cpu": 1.0, "threads": threads}).duration == pytest.approx(seconds)


@pytest.mark.parametrize(("era", "one_vcpu_mb"), [("2019", 1792), ("today", 1769)])
def test_one_vcpu_is_1792_mb_in_2019_and_1769_mb_today(era: str, one_vcpu_mb: int) -> None:
    """AWS's 2019 documentation put one vCPU at 1,792 MB; since December 2020 it says 1,769 MB."""
    aws = service(era=era)
    create(aws, COMPUTE, memory_size=896, timeout=900)
    assert call(aws, event={"cpu": 1.0}).duration == pytest.approx(one_vcpu_mb / 896)
    assert ll.lambda_vcpus(one_vcpu_mb, era=era) == 1.0


def test_compute_past_the_timeout_times_out() -> None:
    aws = service()
    create(aws, COMPUTE, memory_size=128, timeout=10)  # 1 s of CPU at 128 MB takes 13.8 s
    result = call(aws, event={"cpu": 1.0})
    assert result.outcome == "timeout"
    assert result.duration == 10.0


def test_compute_outside_a_handler_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="not inside a lambdalab handler"):
        ll.compute(1.0)


# -- environment ---------------------------------------------------------------------------------------

ENVIRON = """\
import os

TABLE_AT_INIT = os.environ.get("TABLE_NAME")


def handler(event, context):
    return {"environ": dict(os.environ), "at_init": TABLE_AT_INIT, "stream": context.log_stream_name}
"""


def test_environ_has_the_function_variables_and_lambdas_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDALAB_HOST_ONLY", "yes")
    aws = service(region="eu-west-1")
    create(aws, ENVIRON, name="orders", memory_size=256, environment={"TABLE_NAME": "orders-table"})
    out = call(aws, "orders").json()
    environ = out["environ"]
    assert environ["TABLE_NAME"] == "orders-table"
    assert out["at_init"] == "orders-table"  # INIT sees the variables too
    assert environ["AWS_LAMBDA_FUNCTION_NAME"] == "orders"
    assert environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert environ["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert environ["AWS_REGION"] == "eu-west-1"
    assert environ["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/orders"
    assert environ["AWS_LAMBDA_LOG_STREAM_NAME"] == out["stream"]
    assert out["stream"] in aws.log_group("orders").streams
    assert environ["_HANDLER"] == "app.handler"
    assert environ["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.14"
    assert environ["LAMBDA_TASK_ROOT"] == "/var/task"
    assert environ["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert "LAMBDALAB_HOST_ONLY" not in environ  # the host's variables stay outside


@pytest.mark.parametrize(
    "body",
    ["return 1", "raise KeyError('x')", "import time; time.sleep(10)", "import sys; sys.exit(1)"],
    ids=["returns", "raises", "times-out", "exits"],
)
def test_environ_is_restored_after_the_handler(body: str) -> None:
    before = dict(os.environ)
    aws = service()
    create(aws, f"import os\n\n\ndef handler(event, context):\n    os.environ['SET_BY_HANDLER'] = '1'\n    {body}\n")
    call(aws)
    assert dict(os.environ) == before


def test_environ_changes_persist_across_warm_invocations() -> None:
    source = """\
import os


def handler(event, context):
    seen = os.environ.get("COUNTER", "0")
    os.environ["COUNTER"] = str(int(seen) + 1)
    return seen
"""
    aws = service()
    create(aws, source)
    assert [call(aws).json() for _ in range(3)] == ["0", "1", "2"]


def test_context_has_the_python_attributes() -> None:
    source = """\
def handler(event, context):
    return {
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "group": context.log_group_name,
    }
"""
    aws = service()
    create(aws, source, name="ctx", memory_size=512)
    result = call(aws, "ctx")
    assert result.json() == {
        "request_id": result.request_id,
        "function_name": "ctx",
        "function_version": "$LATEST",
        "arn": "arn:aws:lambda:us-east-1:123456789012:function:ctx",
        "memory": "512",  # a string, as on AWS
        "group": "/aws/lambda/ctx",
    }


# -- logs ----------------------------------------------------------------------------------------------

LOGGING = """\
import logging
import time

logger = logging.getLogger()


def handler(event, context):
    logger.setLevel(logging.INFO)
    print("hello from print")
    time.sleep(1.5)
    logger.info("hello from %s", "logging")
    logging.getLogger("app.db").debug("below the level: not logged")
    logger.warning("careful")
    return "ok"
"""


def test_print_and_logging_reach_the_log_group_in_the_runtime_format(root_logger: logging.Logger) -> None:
    aws = service()
    create(aws, LOGGING)
    result = call(aws)
    rid = result.request_id
    lines = messages(aws)[1:]  # after INIT_START
    assert lines[0] == f"START RequestId: {rid} Version: $LATEST"
    assert lines[1:4] == [
        "hello from print",
        f"[INFO]\t2026-01-01T00:00:01.750Z\t{rid}\thello from logging",
        f"[WARNING]\t2026-01-01T00:00:01.750Z\t{rid}\tcareful",
    ]
    assert lines[4] == f"END RequestId: {rid}"
    assert lines[5].startswith(f"REPORT RequestId: {rid}\t")
    assert len(lines) == 6


def test_log_events_carry_virtual_timestamps(root_logger: logging.Logger) -> None:
    aws = service()
    create(aws, LOGGING)
    call(aws)
    stamps = {event.message.split("\t")[0]: event.timestamp for _, event in aws.log_group("f").events()}
    epoch_ms = 1_767_225_600_000  # 2026-01-01T00:00:00Z, the simulation's default epoch
    assert stamps["hello from print"] == epoch_ms + 250
    assert stamps["[INFO]"] == epoch_ms + 1750


def test_handler_output_does_not_reach_the_host_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    aws = service()
    create(
        aws, "import sys\n\n\ndef handler(event, context):\n    print('to the log')\n    sys.stderr.write('err\\n')\n"
    )
    before = sys.stdout
    call(aws)
    assert sys.stdout is before
    captured = capsys.readouterr()
    assert "to the log" not in captured.out and "err" not in captured.err
    assert messages(aws)[2:4] == ["to the log", "err"]  # after INIT_START and START


# -- failures ------------------------------------------------------------------------------------------


def test_except_exception_cannot_swallow_the_timeout() -> None:
    source = """\
import time


def handler(event, context):
    try:
        time.sleep(10)
    except Exception:
        return "swallowed"
    return "finished"
"""
    aws = service()
    create(aws, source, timeout=3)
    result = call(aws)
    assert result.outcome == "timeout"
    assert result.function_error == "Unhandled"
    assert result.json() == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {result.request_id} Error: Task timed out after 3.00 seconds",
    }
    assert result.duration == 3.0


def test_bare_except_cannot_swallow_the_timeout() -> None:
    source = """\
import time


def handler(event, context):
    try:
        time.sleep(10)
    except:  # noqa: E722
        return "swallowed"
"""
    aws = service()
    create(aws, source, timeout=3)
    assert call(aws).outcome == "timeout"


def test_a_timeout_resets_the_environment_and_the_next_request_runs_init_in_it() -> None:
    aws = service()
    create(aws, SLEEPER, timeout=3)
    outcomes = [call(aws, event={"sleep": s}) for s in (10, 0, 0)]
    assert [r.outcome for r in outcomes] == ["timeout", "success", "success"]
    assert [r.cold for r in outcomes] == [True, False, False]  # a suppressed init is no cold start
    assert len({r.env_id for r in outcomes}) == 1
    assert [r.duration for r in outcomes] == [3.0, 0.25, 0.0]  # the second ran INIT (0.25 s) inside INVOKE


def test_a_result_that_is_not_json_is_a_marshal_error() -> None:
    aws = service()
    create(aws, "def handler(event, context):\n    return {1, 2}\n")
    result = call(aws)
    assert result.function_error == "Unhandled"
    assert result.outcome == "error"
    payload = result.json()
    assert payload["errorType"] == "Runtime.MarshalError"
    assert payload["errorMessage"] == "Unable to marshal response: Object of type set is not JSON serializable"
    assert payload["stackTrace"] == []


def test_marshal_error_payload_has_the_request_id_today() -> None:
    aws = service()
    create(aws, "def handler(event, context):\n    return {1, 2}\n")
    result = call(aws)
    assert result.json() == {
        "errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
        "errorType": "Runtime.MarshalError",
        "requestId": result.request_id,
        "stackTrace": [],
    }


def test_a_handler_exception_never_escapes_the_simulation() -> None:
    source = """\
def handler(event, context):
    if event.get("fail"):
        raise RuntimeError("bad request")
    return "ok"
"""
    aws = service()
    create(aws, source)
    results: list[InvocationResult] = []
    for fail in (False, True, False):
        aws.submit("f", json.dumps({"fail": fail}), callback=results.append)
    aws.sim.run()  # does not raise
    by_outcome = sorted((r.outcome, r.error_type) for r in results)
    assert by_outcome == [("error", "RuntimeError"), ("success", ""), ("success", "")]
    assert call(aws).json() == "ok"  # the next request works


class _Abort(BaseException):
    """Not an Exception: like KeyboardInterrupt or GeneratorExit."""


def _raise_abort(event: Any, context: Any) -> None:
    raise _Abort("stop")


def test_a_base_exception_from_the_handler_does_not_escape() -> None:
    aws = service()
    aws.create_function("f", _raise_abort)
    response = aws.invoke(FunctionName="f")
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "Runtime.ExitError"


EXITS = """\
import sys


def handler(event, context):
    if event.get("exit"):
        sys.exit(3)
    return "ok"
"""


def test_sys_exit_is_a_runtime_exit_error_and_resets_the_environment() -> None:
    """The runtime process exits; the environment stays, and the next request runs INIT in it again."""
    aws = service()
    create(aws, EXITS)
    first = call(aws)
    exited = call(aws, event={"exit": True})
    after = call(aws)
    assert exited.function_error == "Unhandled"
    assert exited.json() == {
        "errorMessage": f"RequestId: {exited.request_id} Error: Runtime exited with error: exit status 3",
        "errorType": "Runtime.ExitError",
    }
    assert exited.error_type == "Runtime.ExitError"
    assert [first.cold, exited.cold, after.cold] == [True, False, False]
    assert after.env_id == exited.env_id
    assert after.duration == 0.25  # the suppressed init
    assert after.json() == "ok"

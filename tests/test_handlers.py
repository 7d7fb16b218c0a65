"""What the Python runtime gives handler code (lambdalab.runtime, process, virtualtime, guard, context).

Each test names the AWS behaviour it checks and where AWS documents it:
https://docs.aws.amazon.com/lambda/latest/dg/python-context.html (the context object),
https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
(environment variables), and the Python runtime interface client awslambdaric
(https://github.com/aws/aws-lambda-python-runtime-interface-client: ``bootstrap.py``,
``lambda_context.py``, ``lambda_runtime_marshaller.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys
import threading
import time
from typing import Any

import pytest

import lambdalab as ll
from lambdalab.invoke import InvocationResult
from support import SPIN, STUBBORN, call, create_from_source, exact_cold_start, messages, source_service

FIXED = exact_cold_start(0.25)


service = source_service


create = create_from_source


# -- the context object ---------------------------------------------------------------------------------


def test_context_identity_is_an_object_whose_attributes_are_none() -> None:
    """awslambdaric's lambda_context.py: ``identity`` is always a CognitoIdentity, both ids None
    unless a Cognito identity called (python-context.html lists ``identity`` for every invocation)."""
    source = """\
def handler(event, context):
    identity = context.identity
    return [type(identity).__name__, identity.cognito_identity_id, identity.cognito_identity_pool_id]
"""
    aws = service()
    create(aws, source)
    assert call(aws).json() == ["CognitoIdentity", None, None]


# -- environment variables ------------------------------------------------------------------------------

ENVIRON = """\
import os


def handler(event, context):
    return {name: os.environ.get(name) for name in ("LANG", "PATH", "TZ", "TABLE")}
"""


def test_lang_path_and_tz_are_lambdas_defaults() -> None:
    aws = service()
    create(aws, ENVIRON)
    assert call(aws).json() == {
        "LANG": "en_US.UTF-8",
        "PATH": "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
        "TZ": ":UTC",
        "TABLE": None,
    }


def test_lang_path_and_tz_can_be_set_by_the_configuration() -> None:
    """configuration-envvars.html: LANG, PATH and TZ are not reserved; the configuration's value wins."""
    mine = {"LANG": "fr_FR.UTF-8", "PATH": "/opt/tools/bin:/usr/bin", "TZ": "Europe/Paris", "TABLE": "t"}
    aws = service()
    create(aws, ENVIRON, environment=mine)
    assert call(aws).json() == mine


def test_os_environ_is_the_functions_without_touching_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each environment has its own os.environ; the host's (and the C-level environment) stay apart."""
    monkeypatch.setenv("LAMBDALAB_HOST_ONLY", "yes")
    source = """\
import os


def handler(event, context):
    os.environ["SEEN"] = os.environ.get("SEEN", "") + "x"
    return [os.environ["SEEN"], os.getenv("LAMBDALAB_HOST_ONLY"), os.environ.copy()["AWS_LAMBDA_FUNCTION_NAME"]]
"""
    aws = service()
    create(aws, source)
    host = os.environ
    assert call(aws).json() == ["x", None, "f"]
    assert call(aws).json() == ["xx", None, "f"]
    assert os.environ is host and "SEEN" not in os.environ
    assert os.environb.get(b"SEEN") is None  # never putenv'd


# -- the X-Ray trace header -----------------------------------------------------------------------------

TRACE = """\
import os

AT_INIT = os.environ.get("_X_AMZN_TRACE_ID")


def handler(event, context):
    return [AT_INIT, os.environ["_X_AMZN_TRACE_ID"]]
"""
TRACE_HEADER = re.compile(r"Root=1-([0-9a-f]{8})-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0")


def test_each_invocation_has_a_new_trace_header_on_the_virtual_clock() -> None:
    """configuration-envvars.html: _X_AMZN_TRACE_ID is reserved and set by Lambda for every invocation;
    its format is X-Ray's tracing header (xray-concepts.html#xray-concepts-tracingheader), whose root id
    starts with the request's time in Unix epoch seconds, 8 hexadecimal digits. INIT has none."""
    aws = service()
    create(aws, TRACE)
    first, second = call(aws).json(), call(aws).json()
    assert first[0] is None and second[0] is None
    headers = [first[1], second[1]]
    assert headers[0] != headers[1]
    for header in headers:
        match = TRACE_HEADER.fullmatch(header)
        assert match is not None, header
        assert int(match[1], 16) == int(aws.sim.epoch.timestamp() + 0.25)  # 0.25 s of INIT, then no time passes
    again = service()
    create(again, TRACE)
    assert [call(again).json()[1], call(again).json()[1]] == headers  # deterministic


# -- what a handler returns -----------------------------------------------------------------------------


def test_bytes_are_the_response_as_they_are() -> None:
    """lambda_runtime_marshaller.py: ``marshal_response`` returns a bytes result unchanged."""
    aws = service()
    create(aws, "def handler(event, context):\n    return b'\\x89PNG\\r\\n not json'\n")
    result = call(aws)
    assert result.outcome == "success" and result.function_error is None
    assert result.payload == b"\x89PNG\r\n not json"


DECIMALS = """\
from decimal import Decimal


def handler(event, context):
    return {"price": Decimal("1.50"), "count": Decimal(3), "nan": Decimal("NaN"), "big": Decimal("1234567890123.5")}
"""


def test_decimal_is_written_as_a_number() -> None:
    """lambda_runtime_marshaller.py: the encoder writes a Decimal as its digits (RawJSON(str(d))), a NaN
    as NaN."""
    aws = service()
    create(aws, DECIMALS)
    result = call(aws)
    assert result.payload == b'{"price": 1.50, "count": 3, "nan": NaN, "big": 1234567890123.5}'


UNICODE = "def handler(event, context):\n    return {'name': 'Zo\u00eb', 'city': '\u6771\u4eac'}\n"


@pytest.mark.parametrize(
    ("era", "runtime", "payload"),
    [
        ("today", "python3.12", '{"name": "Zo\u00eb", "city": "\u6771\u4eac"}'.encode()),
        ("today", "python3.13", '{"name": "Zo\u00eb", "city": "\u6771\u4eac"}'.encode()),
        ("today", "python3.11", b'{"name": "Zo\\u00eb", "city": "\\u6771\\u4eac"}'),
        ("2019", "python3.7", b'{"name": "Zo\\u00eb", "city": "\\u6771\\u4eac"}'),
    ],
)
def test_non_ascii_text_is_escaped_before_python_3_12(era: str, runtime: str, payload: bytes) -> None:
    """lambda_runtime_marshaller.py: ``ensure_ascii=False`` when AWS_EXECUTION_ENV is python3.12 or later."""
    aws = service(era)
    create(aws, UNICODE, runtime=runtime)
    assert call(aws).payload == payload


def test_a_circular_result_is_a_marshal_error() -> None:
    aws = service()
    create(aws, "def handler(event, context):\n    a = []\n    a.append(a)\n    return a\n")
    payload = call(aws).json()
    assert payload["errorType"] == "Runtime.MarshalError"
    assert payload["errorMessage"] == "Unable to marshal response: Circular reference detected"
    create(aws, "def handler(event, context):\n    return [1]\n", name="g")
    assert call(aws, "g").json() == [1]  # the encoder recovered


# -- virtual time in datetime ---------------------------------------------------------------------------

CLOCKS = """\
import datetime
import time
from datetime import date, datetime as DateTime, timezone


def handler(event, context):
    time.sleep(1.5)
    now = DateTime.now()
    return {
        "now": now.isoformat(),
        "module_now": datetime.datetime.now().isoformat(),
        "utcnow": DateTime.utcnow().isoformat(),
        "aware": DateTime.now(timezone.utc).isoformat(),
        "today": date.today().isoformat(),
        "is_datetime": [isinstance(now, DateTime), type(now) is datetime.datetime.__mro__[1]],
        "strftime": time.strftime("%Y-%m-%d %H:%M:%S"),
        "ctime": time.ctime(),
    }
"""


def test_datetime_now_reads_the_virtual_clock() -> None:
    """Lambda's TZ is :UTC (configuration-envvars.html), so naive now() is UTC; every clock reads virtual time."""
    aws = ll.Lambda(ll.Simulation(seed=1, epoch=dt.datetime(2019, 11, 1, tzinfo=dt.timezone.utc)), cold_start=FIXED)
    create(aws, CLOCKS)
    out = call(aws).json()
    assert out["now"] == out["module_now"] == out["utcnow"] == "2019-11-01T00:00:01.750000"
    assert out["aware"] == "2019-11-01T00:00:01.750000+00:00"
    assert out["today"] == "2019-11-01"
    assert out["is_datetime"] == [True, True]  # instances are plain datetimes
    assert out["strftime"] == "2019-11-01 00:00:01"
    assert out["ctime"].startswith("Fri Nov  1 00:00:01 2019")
    assert dt.datetime.now().year >= 2026  # the host's clock is back
    assert dt.datetime is dt.datetime.now().__class__


def test_naive_now_follows_the_functions_tz() -> None:
    aws = ll.Lambda(ll.Simulation(seed=1, epoch=dt.datetime(2019, 11, 1, tzinfo=dt.timezone.utc)), cold_start=FIXED)
    create(aws, CLOCKS, environment={"TZ": "Europe/Paris"})
    out = call(aws).json()
    assert out["now"] == "2019-11-01T01:00:01.750000"  # UTC+1 in November
    assert out["utcnow"] == "2019-11-01T00:00:01.750000"


def test_datetime_bound_before_the_handler_reads_the_virtual_clock_too() -> None:
    """A module that did ``from datetime import datetime`` long before (a library) is covered while code runs."""
    module = type(sys)("lambdalab_test_library")
    exec("from datetime import datetime\n\ndef stamp():\n    return datetime.now().isoformat()\n", vars(module))
    sys.modules[module.__name__] = module
    try:
        aws = ll.Lambda(ll.Simulation(seed=1, epoch=dt.datetime(2019, 11, 1, tzinfo=dt.timezone.utc)))
        aws.create_function("f", lambda event, context: module.stamp())
        assert aws.invoke(FunctionName="f")["Payload"].read().startswith(b'"2019-11-01T00:00:00.')
        assert module.datetime is dt.datetime  # put back
        assert not module.stamp().startswith("2019")
    finally:
        del sys.modules[module.__name__]


# -- logs -----------------------------------------------------------------------------------------------

INIT_LOGGING = """\
import logging
import sys

handler_made_at_init = logging.StreamHandler(sys.stdout)
handler_made_at_init.setFormatter(logging.Formatter("app %(levelname)s %(message)s"))
app = logging.getLogger("app")
app.addHandler(handler_made_at_init)
app.setLevel(logging.INFO)
app.propagate = False


class Tag(logging.Filter):
    def filter(self, record):
        record.msg = "tagged " + str(record.msg)
        return True


logging.getLogger().handlers[0].addFilter(Tag())
print("printed at INIT")
stdout_at_init = sys.stdout


def handler(event, context):
    app.info("request %s", event["n"])
    logging.getLogger().warning("to the root")
    stdout_at_init.write("kept stdout\\n")
    return event["n"]
"""


def test_stdout_and_the_root_handler_are_set_up_once_per_process(root_logger: logging.Logger) -> None:
    """awslambdaric bootstrap.py: sys.stdout and the root logger's handler are set once, before the handler
    module is imported, so what INIT keeps (a StreamHandler on sys.stdout, a filter on the root
    handler) works in every later invocation."""
    aws = service()
    create(aws, INIT_LOGGING)
    results = [call(aws, event={"n": n}) for n in (1, 2, 3)]
    assert [r.cold for r in results] == [True, False, False]
    lines = [line for line in messages(aws) if not line.startswith(("INIT_START", "START", "END", "REPORT"))]
    assert lines[0] == "printed at INIT"
    rid = results[2].request_id
    assert lines[-3:] == [
        "app INFO request 3",
        f"[WARNING]\t2026-01-01T00:00:00.250Z\t{rid}\ttagged to the root",
        "kept stdout",
    ]
    assert len(lines) == 1 + 3 * 3  # nothing lost, nothing twice


def test_a_logger_made_outside_writes_to_the_functions_log(capsys: pytest.CaptureFixture[str]) -> None:
    """A logger made in the notebook with a StreamHandler on the notebook's stdout, used by a callable
    handler, writes to the function's log while the handler runs, and to the notebook again after."""
    notebook = logging.getLogger("lambdalab.test.notebook")
    stream_handler = logging.StreamHandler(sys.stdout)
    notebook.addHandler(stream_handler)
    notebook.setLevel(logging.INFO)
    notebook.propagate = False
    try:

        def handler(event: Any, context: Any) -> int:
            notebook.info("inside")
            return 1

        aws = service()
        aws.create_function("f", handler)
        call(aws)
        assert "inside" in messages(aws)
        assert "inside" not in capsys.readouterr().out
        notebook.info("outside")
        assert capsys.readouterr().out == "outside\n"
        assert stream_handler.stream is sys.stdout
    finally:
        notebook.removeHandler(stream_handler)


def test_the_root_logger_is_the_environments_own(root_logger: logging.Logger) -> None:
    """The host's root handlers (basicConfig's, say) are not the runtime's: they see nothing while code runs."""
    seen: list[str] = []

    class Host(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    host = Host()
    root_logger.addHandler(host)
    try:
        aws = service()
        create(aws, "import logging\n\ndef handler(event, context):\n    logging.warning('inside')\n")
        call(aws)
        logging.warning("outside")
    finally:
        root_logger.removeHandler(host)
    assert seen == ["outside"]
    assert any(line.endswith("\tinside") for line in messages(aws))


# -- the real-time guard --------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(__import__("signal"), "setitimer"), reason="no interval timers on this platform")
@pytest.mark.parametrize("source", [SPIN, STUBBORN], ids=["spins", "catches-and-spins"])
def test_a_handler_spinning_in_real_time_is_stopped_as_a_timeout(source: str) -> None:
    aws = service(real_time_limit_s=0.3)
    create(aws, source, timeout=5)
    host_environ, host_sleep = os.environ, time.sleep
    started = time.perf_counter()
    result = call(aws)
    assert time.perf_counter() - started < 30
    assert result.outcome == "timeout"
    assert result.json() == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {result.request_id} Error: Task timed out after 5.00 seconds",
    }
    lines = messages(aws)
    assert any(line.startswith("lambdalab: stopped after 0.3 s of real time") for line in lines)
    assert any("Task timed out after 5.00 seconds" in line for line in lines)
    assert os.environ is host_environ and time.sleep is host_sleep
    create(aws, "def handler(event, context):\n    return 'ok'\n", name="next")
    assert call(aws, "next").json() == "ok"  # the guard does not fire later


@pytest.mark.skipif(not hasattr(__import__("signal"), "setitimer"), reason="no interval timers on this platform")
def test_init_spinning_in_real_time_is_stopped() -> None:
    aws = service(real_time_limit_s=0.3)
    create(aws, "while True:\n    pass\n\n\ndef handler(event, context):\n    return 1\n")
    result = call(aws)
    assert result.function_error == "Unhandled"
    assert result.json()["errorType"] == "Sandbox.Timedout"


def test_the_guard_degrades_off_the_main_thread() -> None:
    """Signals reach only the main thread: elsewhere code runs unguarded, and nothing breaks."""
    aws = service(real_time_limit_s=0.3)
    create(aws, "import time\n\ndef handler(event, context):\n    time.sleep(1)\n    return 'ok'\n")
    out: list[InvocationResult] = []
    worker = threading.Thread(target=lambda: out.append(call(aws)))
    worker.start()
    worker.join(60)
    assert out and out[0].json() == "ok"


@pytest.mark.parametrize("limit", [0, -1.0])
def test_the_real_time_limit_is_positive(limit: float) -> None:
    with pytest.raises(ValueError, match="real_time_limit_s"):
        ll.Lambda(real_time_limit_s=limit)


def test_no_guard_with_none() -> None:
    aws = service(real_time_limit_s=None)
    create(aws, "def handler(event, context):\n    return json.dumps(1)\n\nimport json\n")
    assert call(aws).json() == "1"


def test_a_result_round_trip_through_json() -> None:
    assert json.loads(ll.runtime.encode_result({"a": [1, 2.5, None, True]})) == {"a": [1, 2.5, None, True]}


def test_other_threads_keep_real_time_while_a_handler_runs() -> None:
    """A notebook kernel's threads (ipykernel's parent poller sleeps a second at a time) go on in real
    time while handler code runs on the virtual clock: their sleeps neither move the handler's clock nor
    raise its timeout in them."""
    import threading
    import time as real

    seen: dict[str, float] = {}
    started, release = threading.Event(), threading.Event()

    def poller() -> None:
        started.set()
        release.wait(5)
        before = real.monotonic()
        real.sleep(0.05)  # during the handler: a real sleep for this thread
        seen["slept"] = real.monotonic() - before
        seen["wall"] = real.time()

    thread = threading.Thread(target=poller)
    thread.start()
    started.wait(5)

    def handler(event: Any, context: Any) -> float:
        release.set()
        thread.join(5)  # the poller sleeps and reads the clock while this handler runs
        real.sleep(1.0)
        return context.get_remaining_time_in_millis()

    aws = ll.Lambda(ll.Simulation(seed=1))
    aws.create_function("f", handler, timeout=3)
    result = aws.invoke(FunctionName="f")
    assert json.loads(result["Payload"].read()) == 2000  # the handler's own sleep only
    assert 0.04 < seen["slept"] < 2.0  # the poller really slept
    assert abs(seen["wall"] - real.time()) < 60  # and read the real wall clock, not 2026's virtual one

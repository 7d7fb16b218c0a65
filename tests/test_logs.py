"""CloudWatch Logs as Lambda writes them (lambdalab.logs), checked against real AWS lines and payloads.

The fixtures in ``tests/fixtures/aws/`` keep samples from AWS documentation and real invocations;
each names its source.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import lambdalab as ll
from lambdalab import logs as logfmt
from lambdalab.invoke import InvocationResult
from support import call, exact_cold_start, messages

AWS = Path(__file__).parent / "fixtures" / "aws"
STREAM = re.compile(r"(\d{4})/(\d{2})/(\d{2})/\[\$LATEST\][0-9a-f]{32}")


def fixture(name: str) -> Any:
    return json.loads((AWS / f"{name}.json").read_text())


def service(era: str = "today", seed: int = 21, epoch: datetime | None = None, init_s: float = 0.25) -> ll.Lambda:
    sim = ll.Simulation(seed=seed) if epoch is None else ll.Simulation(seed=seed, epoch=epoch)
    return ll.Lambda(sim, era=era, cold_start=exact_cold_start(init_s))


# -- the formatters against AWS's lines ----------------------------------------------------------------


def test_report_line_with_init_duration_is_exactly_aws() -> None:
    sample = fixture("report_line_cold_start")
    line = logfmt.report_line(
        sample["request_id"],
        sample["duration_ms"],
        sample["billed_duration_ms"],
        sample["memory_size_mb"],
        sample["max_memory_used_mb"],
        sample["init_duration_ms"],
    )
    assert line == sample["line"]


def test_report_line_of_a_warm_start_has_no_init_duration() -> None:
    sample = fixture("report_line_cold_start")
    line = logfmt.report_line(sample["request_id"], 15.74, 16, 128, 56)
    assert line == sample["line"].replace("Init Duration: 130.49 ms\t", "")
    assert line.endswith("\tMax Memory Used: 56 MB\t")


def test_report_line_rounds_durations_to_two_decimals() -> None:
    line = logfmt.report_line("id", 1000 / 3, 334, 1024, 60, 85.0)
    assert "\tDuration: 333.33 ms\t" in line
    assert line.endswith("\tInit Duration: 85.00 ms\t")


def test_start_and_end_lines_are_exactly_aws() -> None:
    sample = fixture("start_end_lines")
    assert logfmt.start_line(sample["request_id"], sample["version"]) == sample["start"]
    assert logfmt.start_line(sample["request_id"]) == sample["start"]  # $LATEST by default
    assert logfmt.end_line(sample["request_id"]) == sample["end"]


def test_timeout_line_is_exactly_aws() -> None:
    sample = fixture("timeout_line")
    assert logfmt.timeout_line(sample["timestamp"], sample["request_id"], sample["timeout_s"]) == sample["line"]
    assert logfmt.timeout_line(sample["timestamp"], sample["request_id"], 3.0) == sample["line"]


def test_the_aws_stream_name_has_the_form_lambdalab_uses() -> None:
    sample = fixture("start_end_lines")
    # AWS's documentation example obfuscates 4 of the 32 hex digits as "xmpl".
    assert STREAM.fullmatch(sample["log_stream_name"].replace("xmpl", "0000"))
    assert sample["log_group_name"] == "/aws/lambda/my-function"


def test_tail_is_the_last_4_kb_in_base64() -> None:
    lines = [f"line {i:04d} " + "x" * 90 for i in range(100)]
    data = base64.b64decode(logfmt.tail(lines))
    assert len(data) == 4096
    assert data == "".join(line + "\n" for line in lines).encode()[-4096:]
    assert base64.b64decode(logfmt.tail(["START", "END"])) == b"START\nEND\n"


# -- what an invocation writes -------------------------------------------------------------------------


def test_an_invocation_writes_start_end_and_report_in_aws_form() -> None:
    aws = service()
    aws.create_function("f", lambda event, context: None, memory_size=256, memory_used_mb=56)
    first, second = call(aws), call(aws)
    lines = messages(aws)
    assert lines == [
        logfmt.init_start_line("python3.14", "us-east-1"),  # today: every INIT logs its runtime version first
        logfmt.start_line(first.request_id),
        logfmt.end_line(first.request_id),
        logfmt.report_line(first.request_id, 0.0, 250, 256, 56, 250.0),  # today: INIT billed, 1 ms units
        logfmt.start_line(second.request_id),
        logfmt.end_line(second.request_id),
        logfmt.report_line(second.request_id, 0.0, 1, 256, 56),
    ]
    shape = re.compile(
        r"REPORT RequestId: [0-9a-z-]{36}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: \d+ MB\t"
        r"Max Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms\t"
    )
    assert shape.fullmatch(fixture("report_line_cold_start")["line"])
    assert shape.fullmatch(lines[3])


def test_init_start_is_in_aws_form_today_only_and_not_in_the_tail() -> None:
    """https://docs.aws.amazon.com/lambda/latest/dg/runtime-management-identify.html: INIT_START with the runtime
    version and its ARN, tab-separated as in real log events, in CloudWatch Logs but not in the console."""
    shape = re.compile(
        r"INIT_START Runtime Version: python:3\.14\.v\d+\tRuntime Version ARN: "
        r"arn:aws:lambda:eu-west-2::runtime:[0-9a-f]{64}"
    )
    line = logfmt.init_start_line("python3.14", "eu-west-2")
    assert shape.fullmatch(line) and line == logfmt.init_start_line("python3.14", "eu-west-2")
    assert logfmt.runtime_version("nodejs24.x").startswith("nodejs:24.v")
    assert logfmt.runtime_version("provided.al2023").startswith("provided:al2023.v")
    today = ll.Lambda(ll.Simulation(seed=1), region="eu-west-2", cold_start=exact_cold_start(0.25))
    today.create_function(
        "f",
        ll.Code.from_source("print('loading')\ndef handler(e, c):\n    return 1\n", "app.py"),
        handler="app.handler",
    )
    response = today.invoke(FunctionName="f", LogType="Tail")
    text = today.log_group("f").text().splitlines()
    assert shape.fullmatch(text[0]) and text[1] == "loading" and text[2].startswith("START RequestId: ")
    assert "INIT_START" not in base64.b64decode(response["LogResult"]).decode()
    today.invoke(FunctionName="f")  # warm: no INIT, no INIT_START
    assert sum(line.startswith("INIT_START") for line in today.log_group("f").text().splitlines()) == 1
    seminar = service("2019")
    seminar.create_function("f", lambda event, context: None, runtime="python3.7")
    call(seminar)
    assert not any(line.startswith("INIT_START") for line in messages(seminar))


def test_a_timeout_writes_the_timeout_line_after_the_report() -> None:
    aws = service("2019", epoch=datetime(2019, 11, 1, tzinfo=timezone.utc))
    aws.create_function("f", lambda event, context: __import__("time").sleep(10))
    result = call(aws)
    sample = fixture("timeout_line")
    lines = messages(aws)
    assert lines[-2].startswith(f"REPORT RequestId: {result.request_id}\tDuration: 3000.00 ms\t")
    assert lines[-1] == sample["line"].replace(sample["request_id"], result.request_id)


def test_log_group_has_one_stream_per_environment() -> None:
    aws = service()
    aws.create_function("orders", lambda event, context: __import__("time").sleep(1))
    results: list[InvocationResult] = []
    for _ in range(2):
        aws.submit("orders", b"{}", callback=results.append)
    aws.sim.run_until(lambda: len(results) == 2)
    call(aws, "orders")  # warm: reuses a stream
    group = aws.log_group("orders")
    assert group.name == "/aws/lambda/orders"
    assert len(group.streams) == 2 == len({r.env_id for r in results})
    for name, stream in group.streams.items():
        assert STREAM.fullmatch(name)
        assert name.startswith("2026/01/01/[$LATEST]")
        starts = [e.message for e in stream.events if e.message.startswith("START ")]
        assert 1 <= len(starts) <= 2
    assert sum(len(s.events) for s in group.streams.values()) == 11  # 2 INIT_START, 3 x (START, END, REPORT)


def test_stream_names_follow_the_simulated_date() -> None:
    aws = service(epoch=datetime(2019, 11, 1, tzinfo=timezone.utc))
    aws.create_function("f", lambda event, context: context.log_stream_name)
    name = call(aws).json()
    assert STREAM.fullmatch(name)
    assert name.startswith("2019/11/01/[$LATEST]")
    assert list(aws.log_group("f").streams) == [name]


def test_log_group_of_an_unknown_function_is_not_found() -> None:
    with pytest.raises(ll.ResourceNotFoundException):
        service().log_group("nope")


# -- payloads and runtime lines against real ones ------------------------------------------------------


def keyerror_source() -> str:
    """A lambda_function.py whose lines fall where the fixture's stack trace says."""
    lines = [""] * 110
    lines[0] = "import logging"
    lines[2] = "def lambda_handler(event, context):"
    lines[3] = "    log_event, database_name, account_id = event, 'db', '123456789012'"
    lines[4] = "    logging.warning('No DynamoDB entry found for this database, treating all users as unknown.')"
    lines[72] = "    dam_event = create_event(log_event, database_name, account_id)"
    lines[73] = "    return dam_event"
    lines[99] = "def create_event(log_event, database_name, account_id):"
    lines[100] = "    return {"
    lines[101] = "        'database': database_name,"
    lines[107] = "        \"messageId\": log_event['id']"
    lines[108] = "    }"
    return "\n".join(lines) + "\n"


def keyerror_run() -> tuple[ll.Lambda, InvocationResult]:
    epoch = datetime(2024, 10, 3, 13, 11, 59, 748000, tzinfo=timezone.utc)
    aws = service(epoch=epoch, init_s=0.0001)  # the warning is logged 0.1 ms after .748: no rounding doubt
    aws.create_function("f", ll.Code.from_source(keyerror_source()))
    return aws, call(aws, event={"no": "id"})


def test_unhandled_exception_payload_has_the_runtime_shape() -> None:
    sample = fixture("unhandled_exception_keyerror")["payload"]
    _, result = keyerror_run()
    payload = result.json()
    assert result.function_error == "Unhandled"
    assert list(payload) == list(sample)
    assert (payload["errorMessage"], payload["errorType"]) == (sample["errorMessage"], sample["errorType"])
    assert payload["requestId"] == result.request_id
    assert len(payload["stackTrace"]) == len(sample["stackTrace"])
    for ours, theirs in zip(payload["stackTrace"], sample["stackTrace"], strict=True):
        assert ours.startswith(theirs)  # same frame line and source line


def test_unhandled_exception_stack_trace_is_exactly_the_runtimes() -> None:
    sample = fixture("unhandled_exception_keyerror")["payload"]
    _, result = keyerror_run()
    assert result.json()["stackTrace"] == sample["stackTrace"]


def test_logging_and_error_lines_match_the_runtimes() -> None:
    sample = fixture("unhandled_exception_keyerror")
    aws, result = keyerror_run()
    real_id = sample["payload"]["requestId"]
    lines = messages(aws)[1:]  # after INIT_START
    assert lines[1] == sample["log_lines"]["warning"].replace(real_id, result.request_id)
    error = next(line for line in lines if line.startswith("[ERROR]"))
    assert error.split("\n")[:2] == sample["log_lines"]["error_head"]


def test_init_error_payload_has_the_runtime_shape() -> None:
    sample = fixture("init_error_import_module")
    aws = service()
    aws.create_function("f", ll.Code.from_source("def lambda_handler(event, context):\n    pass\n", "other.py"))
    response = aws.invoke(FunctionName="f")
    payload = json.loads(response["Payload"].read())
    assert (response["StatusCode"], response["FunctionError"]) == (sample["status_code"], sample["function_error"])
    assert list(payload) == list(sample["payload"])
    for key in ("errorMessage", "errorType", "stackTrace"):
        assert payload[key] == sample["payload"][key]
    assert messages(aws)[0].startswith("INIT_START ")  # a failed INIT started all the same
    assert messages(aws)[1] == f"[ERROR] Runtime.ImportModuleError: {sample['payload']['errorMessage']}"

"""Real-world handler code runs unchanged: Powertools for AWS Lambda (Python), as its documentation writes it.

Powertools (https://docs.powertools.aws.dev/lambda/python/latest/) is the library most Python functions
use for structured logs, metrics, tracing, routing and batch processing. It leans on what the Python
runtime sets up (awslambdaric's bootstrap.py: sys.stdout and the root logger's handler once per
process, ``_X_AMZN_TRACE_ID`` per invocation, the runtime's JSON encoder), so each test here checks
one of those through it. Tracer runs with the X-Ray SDK (aws-xray-sdk), pinned with Powertools in
requirements.txt; every trace header says ``Sampled=0``, so nothing is sent to a daemon.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

import lambdalab as ll
from lambdalab import events
from support import call, exact_cold_start, messages

pytest.importorskip("aws_lambda_powertools")

FIXED = exact_cold_start(0.25)
EPOCH_MS = 1_767_225_600_000  # the simulation's default epoch, 2026-01-01T00:00:00Z


def service(**kwargs: Any) -> ll.Lambda:
    return ll.Lambda(ll.Simulation(seed=5), cold_start=FIXED, **kwargs)


def create(aws: ll.Lambda, source: str, name: str = "f", **settings: Any) -> None:
    aws.create_function(name, ll.Code.from_source(source, "app.py"), handler="app.handler", **settings)


def json_lines(aws: ll.Lambda, name: str = "f") -> list[dict[str, Any]]:
    return [json.loads(m) for m in messages(aws, name) if m.startswith("{")]


def runtime_lines(aws: ll.Lambda, name: str = "f") -> list[str]:
    return [m for m in messages(aws, name) if m.startswith("[")]


# -- Logger ---------------------------------------------------------------------------------------------

LOGGER = """\
import time

from aws_lambda_powertools import Logger

logger = Logger(service="orders")


@logger.inject_lambda_context
def handler(event, context):
    time.sleep(0.5)
    logger.info("order received", extra={"order_id": event["id"]})
    return event["id"]
"""


def test_logger_made_at_init_logs_every_invocation_once() -> None:
    """A Logger made at module level keeps INIT's sys.stdout: each record is one JSON line in the
    invocation's log, with virtual time, the context, cold_start and the X-Ray trace id, never
    repeated by the runtime's root handler."""
    aws = service()
    create(aws, LOGGER, environment={"POWERTOOLS_LOGGER_LOG_EVENT": "false"})
    results = [call(aws, event={"id": n}) for n in (1, 2, 3)]
    lines = json_lines(aws)
    assert [line["order_id"] for line in lines] == [1, 2, 3]
    assert [line["cold_start"] for line in lines] == [True, False, False]
    assert [line["function_request_id"] for line in lines] == [r.request_id for r in results]
    assert lines[0]["timestamp"] == "2026-01-01 00:00:00,750+0000"  # 0.25 s INIT + 0.5 s sleep, virtual
    assert lines[0]["function_name"] == "f" and lines[0]["function_memory_size"] == "128"
    starts = ["1-6955b900", "1-6955b900", "1-6955b901"]  # invocations start at 0.25, 0.75 and 1.25 s
    assert [line["xray_trace_id"][:10] for line in lines] == starts
    assert len({line["xray_trace_id"] for line in lines}) == 3
    assert runtime_lines(aws) == []  # not printed a second time in the [INFO] format


def test_each_environment_and_function_has_its_own_cold_start() -> None:
    """Powertools keeps ``cold_start`` in a module: on Lambda each environment is its own process, so the
    first request of every environment (and of every function) is a cold start in its logs."""
    import aws_lambda_powertools  # the host's copy: environments must not share it

    aws = service()
    create(aws, LOGGER, environment={"POWERTOOLS_LOGGER_LOG_EVENT": "false"})
    create(aws, LOGGER, name="g", environment={"POWERTOOLS_LOGGER_LOG_EVENT": "false"})
    for n in (1, 2):  # two at once: two environments
        aws.submit("f", json.dumps({"id": n}))
    aws.sim.run(until=5)
    call(aws, event={"id": 3})
    call(aws, "g", event={"id": 4})
    lines = json_lines(aws)
    assert [(line["order_id"], line["cold_start"]) for line in lines] == [(1, True), (2, True), (3, False)]
    assert len({line["function_request_id"] for line in lines}) == 3
    assert [line["cold_start"] for line in json_lines(aws, "g")] == [True]
    assert aws_lambda_powertools is __import__("aws_lambda_powertools")


def test_logger_made_in_the_notebook_writes_to_the_functions_log(capsys: pytest.CaptureFixture[str]) -> None:
    """A Logger made in the notebook and used by a callable handler logs to the function's log stream
    while the handler runs (once), and to the notebook again afterwards."""
    from aws_lambda_powertools import Logger

    logger = Logger(service="notebook-made")
    try:

        def handler(event: Any, context: Any) -> str:
            logger.info("inside the handler")
            return "ok"

        aws = service()
        aws.create_function("f", handler)
        assert call(aws).json() == "ok"
        assert [line["message"] for line in json_lines(aws)] == ["inside the handler"]
        assert runtime_lines(aws) == []
        assert "inside the handler" not in capsys.readouterr().out
        logger.info("back in the notebook")
        assert "back in the notebook" in capsys.readouterr().out
    finally:
        logging.getLogger("notebook-made").handlers.clear()


# -- Metrics --------------------------------------------------------------------------------------------

METRICS = """\
import time

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

metrics = Metrics(namespace="Shop", service="orders")


@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event, context):
    time.sleep(2)
    metrics.add_metric(name="OrdersPlaced", unit=MetricUnit.Count, value=1)
    return "ok"
"""


def test_metrics_carry_the_virtual_time() -> None:
    """EMF metrics (datetime.now() inside Powertools) are stamped with the invocation's virtual time, the
    log event's own time, not the wall clock."""
    aws = service()
    create(aws, METRICS)
    call(aws)
    call(aws)
    emf = [line for line in json_lines(aws) if "_aws" in line]
    names = [[m["Name"] for m in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]] for line in emf]
    assert names == [["ColdStart"], ["OrdersPlaced"], ["OrdersPlaced"]]
    stamps = {m: e.timestamp for _, e in aws.log_group("f").events() for m in [e.message] if m.startswith("{")}
    for line in emf:
        assert line["_aws"]["Timestamp"] in (EPOCH_MS + 250, EPOCH_MS + 2250, EPOCH_MS + 4250)
    assert sorted(line["_aws"]["Timestamp"] for line in emf[1:]) == [EPOCH_MS + 2250, EPOCH_MS + 4250]
    assert all(abs(stamp - EPOCH_MS) < 10_000 for stamp in stamps.values())


# -- Tracer with the X-Ray SDK --------------------------------------------------------------------------

TRACER = """\
from aws_lambda_powertools import Tracer
from aws_xray_sdk.core import xray_recorder

tracer = Tracer(service="orders")


@tracer.capture_method
def charge(amount):
    tracer.put_annotation(key="amount", value=amount)
    return amount * 2


@tracer.capture_lambda_handler
def handler(event, context):
    segment = xray_recorder.current_segment()
    return {"charged": charge(event["amount"]), "trace_id": segment.trace_id, "sampled": segment.sampled}
"""


def test_tracer_runs_with_the_xray_sdk(caplog: pytest.LogCaptureFixture) -> None:
    """With _X_AMZN_TRACE_ID set per invocation the X-Ray SDK finds its facade segment: no "Lambda worker
    still initializing" warning, and the segment's trace id is the invocation's root id."""
    pytest.importorskip("aws_xray_sdk")
    aws = service()
    create(aws, TRACER)
    with caplog.at_level(logging.WARNING):
        first, second = call(aws, event={"amount": 21}), call(aws, event={"amount": 5})
    assert first.outcome == "success", first.json()
    out = [first.json(), second.json()]
    assert [o["charged"] for o in out] == [42, 10]
    assert all(o["trace_id"].startswith("1-6955b900-") and o["sampled"] is False for o in out)
    assert out[0]["trace_id"] != out[1]["trace_id"]
    warnings = [m for m in messages(aws) if "still initializing" in m]
    warnings += [r.getMessage() for r in caplog.records if "still initializing" in r.getMessage()]
    assert warnings == []


# -- event handler --------------------------------------------------------------------------------------

API = """\
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

app = APIGatewayRestResolver()


@app.get("/orders/<order_id>")
def get_order(order_id):
    return {"order_id": order_id, "path": app.current_event.path}


@app.post("/orders")
def post_order():
    return {"created": app.current_event.json_body["item"]}, 201


def handler(event, context):
    return app.resolve(event, context)
"""


def test_rest_api_resolver_routes_api_gateway_events() -> None:
    aws = service()
    create(aws, API)
    got = events.push(aws, "f", "apigateway-rest", events.api_gateway_rest(method="GET", path="/orders/42"))
    answer = json.loads(got["Payload"].read())
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"order_id": "42", "path": "/orders/42"}
    posted = events.api_gateway_rest(method="POST", path="/orders", body=json.dumps({"item": "book"}))
    answer = json.loads(events.push(aws, "f", "apigateway-rest", posted)["Payload"].read())
    assert answer["statusCode"] == 201 and json.loads(answer["body"]) == {"created": "book"}
    missing = json.loads(
        events.push(aws, "f", "apigateway-rest", events.api_gateway_rest(path="/nope"))["Payload"].read()
    )
    assert missing["statusCode"] == 404


# -- batch processing -----------------------------------------------------------------------------------

BATCH = """\
import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

processor = BatchProcessor(event_type=EventType.SQS)
done = []


def record_handler(record):
    order = json.loads(record.body)
    if order.get("bad"):
        raise ValueError("bad order")
    done.append(order["id"])


def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
"""


def test_batch_processor_reports_partial_failures() -> None:
    """BatchProcessor's response ({"batchItemFailures": [...]}) is what an SQS event source mapping with
    ReportBatchItemFailures reads: only the failed message returns to the queue."""
    aws = service()
    create(aws, BATCH)
    batch = events.sqs_event(
        [
            events.sqs_message(json.dumps({"id": 1}), message_id="m1"),
            events.sqs_message(json.dumps({"id": 2, "bad": True}), message_id="m2"),
            events.sqs_message(json.dumps({"id": 3}), message_id="m3"),
        ]
    )
    assert call(aws, event=batch).json() == {"batchItemFailures": [{"itemIdentifier": "m2"}]}

    queue = aws.create_queue("orders", visibility_timeout=30)
    aws.create_event_source_mapping(
        EventSourceArn=queue.arn, FunctionName="f", BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    for body in ({"id": 4}, {"id": 5, "bad": True}, {"id": 6}):
        queue.send_message(MessageBody=json.dumps(body))
    aws.sim.run(until=aws.sim.now + 20)
    assert len(queue) == 1  # the bad order, back in the queue (not yet visible); the others deleted


# -- data classes and the runtime's encoder -------------------------------------------------------------

STREAM = """\
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent, event_source


@event_source(data_class=DynamoDBStreamEvent)
def handler(event, context):
    return [record.dynamodb.new_image for record in event.records]
"""


def test_dynamodb_images_with_decimals_are_returned() -> None:
    """Powertools' DynamoDB data class deserializes numbers as Decimal; the runtime's encoder writes them
    as numbers (lambda_runtime_marshaller.py), where plain json.dumps would fail."""
    aws = service()
    create(aws, STREAM)
    record = events.dynamodb_record(
        keys={"id": "o-1"}, new_image={"id": "o-1", "price": 12.5, "qty": 3}, sequence_number="100", size_bytes=60
    )
    result = call(aws, event=events.dynamodb_event([record]))
    assert result.outcome == "success", result.json()
    assert result.payload == b'[{"id": "o-1", "price": 12.5, "qty": 3}]'

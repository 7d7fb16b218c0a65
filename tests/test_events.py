"""lambdalab.events: the builders reproduce AWS's published sample events; push() uses each service's invocation type.

The fixtures in tests/fixtures/events/ are AWS's samples as published:
- s3-put.json, apigateway-rest-proxy.json, dynamodb-update.json: the Lambda console's test-event
  templates "s3-put", "apigateway-aws-proxy" and "dynamodb-update" (as ``sam local generate-event``
  also prints them), with account 123456789012 and Region us-east-1;
- s3-notification.json, sns.json, sqs.json, kinesis.json, eventbridge-scheduled.json: the example
  events of the Lambda developer guide's pages with-s3, with-sns, with-sqs, with-kinesis and
  services-cloudwatchevents;
- apigateway-http-v2.json: the payload format 2.0 example of the API Gateway developer guide's
  http-api-develop-integrations-lambda page.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import lambdalab
from lambdalab import events
from lambdalab.config import DEFAULT_ACCOUNT, DEFAULT_REGION

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "events"


def sample(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def same(built: Any, expected: Any) -> None:
    """Equal documents, and equal key by key, so that a failure names the field."""
    assert json.loads(json.dumps(built)) == built, "the event is not plain JSON"
    if isinstance(expected, dict):
        assert isinstance(built, dict) and sorted(built) == sorted(expected)
        for key in expected:
            same(built[key], expected[key])
    elif isinstance(expected, list):
        assert isinstance(built, list) and len(built) == len(expected)
        for b, e in zip(built, expected, strict=True):
            same(b, e)
    else:
        assert built == expected and type(built) is type(expected), (built, expected)


# -- the builders reproduce the published samples ----------------------------------------------------------
def test_api_gateway_rest_matches_console_sample() -> None:
    expected = sample("apigateway-rest-proxy")
    built = events.api_gateway_rest(
        method="POST",
        path="/path/to/resource",
        resource="/{proxy+}",
        body="eyJ0ZXN0IjoiYm9keSJ9",
        is_base64_encoded=True,
        headers=expected["headers"],
        query={"foo": "bar"},
        path_parameters={"proxy": "/path/to/resource"},
        stage_variables={"baz": "qux"},
        stage="prod",
        request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        time_epoch_ms=1428582896000,
        # the template's multiValueHeaders name another host than its headers do
        merge={"multiValueHeaders": {"Host": ["0123456789.execute-api.us-east-1.amazonaws.com"]}},
    )
    same(built, expected)
    assert built["requestContext"]["requestTime"] == "09/Apr/2015:12:34:56 +0000"  # derived from the epoch


def test_api_gateway_rest_defaults_and_multi_values() -> None:
    event = events.api_gateway_rest(query={"q": ["a", "b"]}, headers={"user-agent": "curl/8"})
    assert event["httpMethod"] == "GET" and event["path"] == event["resource"] == "/"
    assert event["queryStringParameters"] == {"q": "b"}  # the last value, as API Gateway does
    assert event["multiValueQueryStringParameters"] == {"q": ["a", "b"]}
    assert event["multiValueHeaders"] == {"user-agent": ["curl/8"]}
    assert event["requestContext"]["identity"]["userAgent"] == "curl/8"
    assert event["requestContext"]["accountId"] == DEFAULT_ACCOUNT
    assert event["requestContext"]["requestTime"] == "01/Jan/1970:00:00:00 +0000"
    assert event["body"] is None and event["pathParameters"] is None and event["stageVariables"] is None


def test_api_gateway_http_matches_developer_guide_sample() -> None:
    expected = sample("apigateway-http-v2")
    context = expected["requestContext"]
    built = events.api_gateway_http(
        method="POST",
        path="/my/path",
        body="Hello from Lambda",
        headers={"Header1": "value1", "Header2": ["value1", "value2"]},
        query={"parameter1": ["value1", "value2"], "parameter2": "value"},
        cookies=["cookie1", "cookie2"],
        path_parameters={"parameter1": "value1"},
        stage_variables={"stageVariable1": "value1", "stageVariable2": "value2"},
        request_id="id",
        time_epoch_ms=1583348638390,
        source_ip="IP",
        # the sample's placeholders: its apiId, domain and time string do not agree with each other
        merge={
            "requestContext": {
                "apiId": "api-id",
                "domainName": "id.execute-api.us-east-1.amazonaws.com",
                "domainPrefix": "id",
                "time": "12/Mar/2020:19:03:58 +0000",
                "http": {"userAgent": "agent"},
                "authentication": context["authentication"],
                "authorizer": context["authorizer"],
            }
        },
    )
    same(built, expected)


def test_api_gateway_http_leaves_out_absent_parts() -> None:
    event = events.api_gateway_http(path="/hi", headers={"user-agent": "curl/8"}, time_epoch_ms=1583817383220)
    assert "body" not in event and "cookies" not in event and "queryStringParameters" not in event
    assert event["rawQueryString"] == "" and event["isBase64Encoded"] is False
    assert event["requestContext"]["http"]["userAgent"] == "curl/8"
    assert event["requestContext"]["time"] == "10/Mar/2020:05:16:23 +0000"
    assert event["requestContext"]["domainName"].endswith(f".execute-api.{DEFAULT_REGION}.amazonaws.com")


def test_s3_put_matches_console_sample() -> None:
    built = events.s3_object_created("example-bucket", "test/key", event_version="2.0")
    same(built, sample("s3-put"))


def test_s3_notification_matches_developer_guide_sample() -> None:
    expected = sample("s3-notification")
    record = expected["Records"][0]
    built = events.s3_object_created(
        "DOC-EXAMPLE-BUCKET",
        "b21b84d653bb07b05b1e6b33684dc11b",
        size=1305107,
        etag="b21b84d653bb07b05b1e6b33684dc11b",
        event_time="2019-09-03T19:37:27.192Z",
        region="us-east-2",
        sequencer="0C0F6F405D6ED209E1",
        merge={
            "userIdentity": record["userIdentity"],
            "requestParameters": record["requestParameters"],
            "responseElements": record["responseElements"],
            "s3": {
                "configurationId": "828aa6fc-f7b5-4305-8584-487c791949c1",
                "bucket": {"ownerIdentity": {"principalId": "A3I5XTEXAMAI3E"}, "arn": record["s3"]["bucket"]["arn"]},
            },
        },
    )
    same(built, expected)


def test_s3_url_encodes_the_key_and_checks_the_event_name() -> None:
    key = events.s3_object_created("b", "photos/my cat+dog.jpg")["Records"][0]["s3"]["object"]["key"]
    assert key == "photos/my+cat%2Bdog.jpg"
    assert events.s3_object_created("b", "k", event_name="ObjectCreated:Copy")["Records"][0]["eventName"]
    with pytest.raises(ValueError, match="not an object-created event"):
        events.s3_object_created("b", "k", event_name="ObjectRemoved:Delete")


def test_sns_matches_developer_guide_sample() -> None:
    expected = sample("sns")
    notification = expected["Records"][0]["Sns"]
    built = events.sns(
        "Hello from SNS!",
        topic_arn="arn:aws:sns:us-east-2:123456789012:sns-lambda",
        subject="TestInvoke",
        message_id="95df01b4-ee98-5cb9-9903-4c221d41eb5e",
        timestamp="2019-01-02T12:45:07.000Z",
        message_attributes=notification["MessageAttributes"],
        # the sample's signature is elided, and its unsubscribe URL names another subscription
        merge={"Sns": {"Signature": notification["Signature"], "UnsubscribeUrl": notification["UnsubscribeUrl"]}},
    )
    same(built, expected)


def test_sns_defaults() -> None:
    record = events.sns("hi")["Records"][0]
    assert record["Sns"]["Subject"] is None and record["Sns"]["Timestamp"] == events.EPOCH_ISO
    assert record["EventSubscriptionArn"].startswith(f"arn:aws:sns:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:")
    assert events.sns("hi")["Records"][0]["Sns"]["MessageId"] == record["Sns"]["MessageId"]  # deterministic
    with pytest.raises(TypeError, match=r"json\.dumps"):
        events.sns({"not": "a string"})  # type: ignore[arg-type]


def test_sqs_matches_developer_guide_sample() -> None:
    expected = sample("sqs")
    records = [
        events.sqs_message(
            r["body"],
            message_id=r["messageId"],
            receipt_handle=r["receiptHandle"],
            sent_timestamp_ms=int(r["attributes"]["SentTimestamp"]),
            queue_arn=r["eventSourceARN"],
            attributes={"ApproximateFirstReceiveTimestamp": r["attributes"]["ApproximateFirstReceiveTimestamp"]},
        )
        for r in expected["Records"]
    ]
    same(events.sqs_event(records), expected)


def test_sqs_md5_of_body_is_the_bodys_md5() -> None:
    for body in ("test", "", "héllo wörld", json.dumps({"order": 42})):
        assert events.sqs_message(body)["md5OfBody"] == hashlib.md5(body.encode()).hexdigest()
    assert events.sqs_message("test")["md5OfBody"] == "098f6bcd4621d373cade4e832627b4f6"


def test_ids_are_deterministic_or_drawn_from_a_seeded_rng() -> None:
    assert events.sqs_message("a")["messageId"] == events.sqs_message("a")["messageId"]
    assert events.sqs_message("a")["messageId"] != events.sqs_message("b")["messageId"]
    drawn = [events.sqs_message("a", rng=random.Random(7))["messageId"] for _ in range(2)]
    assert drawn[0] == drawn[1] != events.sqs_message("a")["messageId"]
    assert events.eventbridge_scheduled("2019-03-01T01:23:45Z", rng=random.Random(1))["id"][14] == "4"  # version 4


def test_kinesis_matches_developer_guide_sample() -> None:
    expected = sample("kinesis")
    records = [
        events.kinesis_record(
            base64.b64decode(r["kinesis"]["data"]),
            r["kinesis"]["partitionKey"],
            r["kinesis"]["sequenceNumber"],
            r["kinesis"]["approximateArrivalTimestamp"],
            stream_arn=r["eventSourceARN"],
            shard_id="shardId-000000000006",
        )
        for r in expected["Records"]
    ]
    same(events.kinesis_event(records), expected)


def test_kinesis_data_round_trips_through_base64() -> None:
    record = events.kinesis_record("Hello, this is a test.", "1", "1", 1545084650.987)
    assert record["kinesis"]["data"] == "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg=="
    blob = bytes(range(256))
    assert base64.b64decode(events.kinesis_record(blob, "k", "2", 0.0)["kinesis"]["data"]) == blob
    assert base64.b64decode(events.kinesis_record("ünï", "k", "3", 0.0)["kinesis"]["data"]).decode() == "ünï"


def test_kinesis_batch_comes_from_one_shard() -> None:
    one = events.kinesis_record(b"a", "k", "1", 0.0, shard_id="shardId-000000000000")
    other = events.kinesis_record(b"b", "k", "2", 0.0, shard_id="shardId-000000000001")
    with pytest.raises(ValueError, match="one shard"):
        events.kinesis_event([one, other])
    with pytest.raises(ValueError, match="empty batch"):
        events.kinesis_event([])
    with pytest.raises(ValueError, match="not an aws:kinesis record"):
        events.kinesis_event([events.sqs_message("x")])


def test_dynamodb_matches_console_sample() -> None:
    expected = sample("dynamodb-update")
    changes = [
        ("INSERT", {"Message": "New item!", "Id": 101}, None),
        ("MODIFY", {"Message": "This item has changed", "Id": 101}, {"Message": "New item!", "Id": 101}),
        ("REMOVE", None, {"Message": "This item has changed", "Id": 101}),
    ]
    records = [
        events.dynamodb_record(
            name,
            {"Id": 101},
            new_image=new,
            old_image=old,
            sequence_number=r["dynamodb"]["SequenceNumber"],
            size_bytes=r["dynamodb"]["SizeBytes"],
            approximate_creation_time=1428537600,
            event_id=r["eventID"],
        )
        for (name, new, old), r in zip(changes, expected["Records"], strict=True)
    ]
    same(events.dynamodb_event(records), expected)


def test_dynamodb_view_types_and_checks() -> None:
    keys, new, old = {"Id": 1}, {"Id": 1, "v": 2}, {"Id": 1, "v": 1}
    only_keys = events.dynamodb_record(
        "MODIFY", keys, new, old, sequence_number="1", size_bytes=9, stream_view_type="KEYS_ONLY"
    )
    assert "NewImage" not in only_keys["dynamodb"] and "OldImage" not in only_keys["dynamodb"]
    new_only = events.dynamodb_record(
        "MODIFY", keys, new, old, sequence_number="1", size_bytes=9, stream_view_type="NEW_IMAGE"
    )
    assert (
        new_only["dynamodb"]["NewImage"] == {"Id": {"N": "1"}, "v": {"N": "2"}}
        and "OldImage" not in new_only["dynamodb"]
    )
    assert len(only_keys["eventID"]) == 32
    with pytest.raises(ValueError, match="INSERT has no old image"):
        events.dynamodb_record("INSERT", keys, new, old, sequence_number="1", size_bytes=9)
    with pytest.raises(ValueError, match="INSERT, MODIFY or REMOVE"):
        events.dynamodb_record("UPDATE", keys, sequence_number="1", size_bytes=9)
    with pytest.raises(ValueError, match="keys"):
        events.dynamodb_record("INSERT", sequence_number="1", size_bytes=9)


def test_to_attribute_value() -> None:
    av = events.to_attribute_value
    assert av("s") == {"S": "s"}
    assert av(101) == {"N": "101"} and av(1.5) == {"N": "1.5"} and av(Decimal("0.10")) == {"N": "0.10"}
    assert av(True) == {"BOOL": True} and av(False) == {"BOOL": False}  # bool before int
    assert av(None) == {"NULL": True}
    assert av([1, "a", None]) == {"L": [{"N": "1"}, {"S": "a"}, {"NULL": True}]}
    assert av({"a": {"b": [True]}}) == {"M": {"a": {"M": {"b": {"L": [{"BOOL": True}]}}}}}
    assert av(b"\x00\x01") == {"B": "AAE="}
    assert av({"x", "y"}) == {"SS": ["x", "y"]} and av({2, 1}) == {"NS": ["1", "2"]}
    with pytest.raises(ValueError, match="finite"):
        av(float("nan"))
    with pytest.raises(TypeError):
        av(object())
    with pytest.raises(TypeError):
        av(set())


def test_eventbridge_matches_developer_guide_sample() -> None:
    built = events.eventbridge_scheduled(
        "2019-03-01T01:23:45Z",
        rule_arn="arn:aws:events:us-east-2:123456789012:rule/my-schedule",
        event_id="cdc73f9d-aea9-11e3-9d5a-835b769c0d9c",
    )
    same(built, sample("eventbridge-scheduled"))


def test_every_fixture_is_exercised() -> None:
    names = {path.stem for path in FIXTURES.glob("*.json")}
    tested = {"apigateway-rest-proxy", "apigateway-http-v2", "s3-put", "s3-notification", "sns", "sqs"}
    assert names == tested | {"kinesis", "dynamodb-update", "eventbridge-scheduled"}


# -- invocation types ---------------------------------------------------------------------------------------
def test_invocation_types_are_the_services() -> None:
    sync, asynchronous = "RequestResponse", "Event"
    assert dict(events.INVOCATION_TYPE) == {
        "apigateway-rest": sync,
        "apigateway-http": sync,
        "s3": asynchronous,
        "sns": asynchronous,
        "eventbridge": asynchronous,
        "sqs": sync,
        "kinesis": sync,
        "dynamodb": sync,
    }
    assert sorted(events.POLL_BASED) == ["dynamodb", "kinesis", "sqs"]
    with pytest.raises(TypeError):
        events.INVOCATION_TYPE["s3"] = sync  # type: ignore[index]


def service() -> tuple[lambdalab.Lambda, list[Any]]:
    seen: list[Any] = []

    def handler(event: Any, context: Any) -> Any:
        seen.append(event)
        return {"statusCode": 200, "body": json.dumps({"path": event.get("path") or event.get("rawPath")})}

    aws = lambdalab.Lambda(lambdalab.Simulation(seed=1))
    aws.create_function("f", handler)
    return aws, seen


@pytest.mark.parametrize(
    "source, event",
    [
        ("apigateway-rest", events.api_gateway_rest(path="/orders")),
        ("apigateway-http", events.api_gateway_http(path="/orders")),
    ],
)
def test_push_api_gateway_waits_for_the_answer(source: str, event: dict[str, Any]) -> None:
    aws, seen = service()
    response = events.push(aws, "f", source, event)
    assert response["StatusCode"] == 200
    assert json.loads(response["Payload"].read()) == {"statusCode": 200, "body": '{"path": "/orders"}'}
    assert seen == [event]
    rows = aws.requests()
    assert list(rows.invocation_type) == ["RequestResponse"] and list(rows.outcome) == ["success"]


@pytest.mark.parametrize(
    "source, event",
    [
        ("s3", events.s3_object_created("example-bucket", "test/key")),
        ("sns", events.sns("Hello from SNS!")),
        ("eventbridge", events.eventbridge_scheduled("2019-03-01T01:23:45Z")),
    ],
)
def test_push_async_sources_hand_over_and_go(source: str, event: dict[str, Any]) -> None:
    aws, seen = service()
    response = events.push(aws, "f", source, event)
    assert response["StatusCode"] == 202 and response["Payload"].read() == b""
    assert seen == []  # accepted, not yet run
    aws.sim.run()
    assert seen == [event]
    rows = aws.requests()
    assert list(rows.function) == ["f"] and rows.request_id[0] == response["ResponseMetadata"]["RequestId"]
    assert list(rows.invocation_type) == ["Event"] and list(rows.outcome) == ["success"]


@pytest.mark.parametrize(
    "source, event",
    [
        ("sqs", events.sqs_event([events.sqs_message("test")])),
        ("kinesis", events.kinesis_event([events.kinesis_record(b"x", "k", "1", 0.0)])),
        (
            "dynamodb",
            events.dynamodb_event([events.dynamodb_record("INSERT", {"Id": 1}, sequence_number="1", size_bytes=9)]),
        ),
    ],
)
def test_push_refuses_poll_based_sources(source: str, event: dict[str, Any]) -> None:
    aws, seen = service()
    with pytest.raises(ValueError, match=r"poll-based.*event source mapping"):
        events.push(aws, "f", source, event)
    aws.sim.run()
    assert seen == [] and len(aws.requests()) == 0


def test_push_refuses_unknown_sources() -> None:
    aws, _ = service()
    with pytest.raises(ValueError, match="unknown event source 'alexa'"):
        events.push(aws, "f", "alexa", {})

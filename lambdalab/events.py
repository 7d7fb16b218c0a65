"""The event documents AWS services send to Lambda, and the invocation type each service uses.

The seminar's point S1.6.3: each service's invocation type is fixed; the user does not choose
it. API Gateway waits for the answer (``RequestResponse``); S3, SNS and EventBridge hand the
event over and go (``Event``); SQS, Kinesis and DynamoDB Streams are poll-based: Lambda's event
source mapping reads a batch and invokes synchronously, so nothing is pushed.

>>> from lambdalab import Lambda, Simulation
>>> aws = Lambda(Simulation(seed=1))
>>> _ = aws.create_function("thumbs", lambda event, context: event["Records"][0]["s3"]["object"]["key"])
>>> event = s3_object_created("photos", "my cat.jpg")
>>> event["Records"][0]["s3"]["object"]["key"]
'my+cat.jpg'
>>> push(aws, "thumbs", "s3", event)["StatusCode"]
202
>>> push(aws, "thumbs", "sqs", sqs_event([sqs_message("hi")]))
Traceback (most recent call last):
ValueError: sqs is poll-based: ...

API Gateway waits for the function's answer; SNS and EventBridge do not:

>>> _ = aws.create_function("api", lambda event, context: {"statusCode": 200, "body": event["path"]})
>>> push(aws, "api", "apigateway-rest", api_gateway_rest(method="GET", path="/orders/7"))["Payload"].read()
b'{"statusCode": 200, "body": "/orders/7"}'
>>> _ = aws.create_function("notify", lambda event, context: event["Records"][0]["Sns"]["Message"])
>>> push(aws, "notify", "sns", sns("order shipped"))["StatusCode"]
202
>>> _ = aws.create_function("nightly", lambda event, context: event["detail-type"])
>>> push(aws, "nightly", "eventbridge", eventbridge_scheduled("2026-01-01T03:00:00Z"))["StatusCode"]
202
>>> aws.sim.run()
>>> sorted(aws.requests().groupby("function").invocation_type.first().items())
[('api', 'RequestResponse'), ('nightly', 'Event'), ('notify', 'Event'), ('thumbs', 'Event')]

Builders are deterministic: times and ids are parameters whose defaults are AWS's sample values
or the epoch; an id left out is derived from the content, or drawn from ``rng`` (a seeded
:class:`random.Random`). ``merge`` deep-merges fields the parameters do not cover.

Sources (AWS documentation):

- https://docs.aws.amazon.com/lambda/latest/dg/lambda-services.html (services and how they invoke)
- https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html, with API Gateway's
  https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html and
  https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
- https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html
- https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html
- https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
- https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
- https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html
- https://docs.aws.amazon.com/lambda/latest/dg/services-cloudwatchevents.html (EventBridge)
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import math
import random
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Protocol
from urllib.parse import quote_plus, urlencode

from .config import DEFAULT_ACCOUNT, DEFAULT_REGION
from .request import EVENT, REQUEST_RESPONSE


class Invoker(Protocol):
    """What :func:`push` needs of the Lambda service: its ``invoke``."""

    def invoke(self, FunctionName: str, Payload: bytes = ..., InvocationType: str = ...) -> dict[str, Any]: ...


Query = Mapping[str, str | Sequence[str]]
"""Query string parameters: a name maps to its value, or to all its values in order."""

INVOCATION_TYPE: Mapping[str, str] = MappingProxyType(
    {
        "apigateway-rest": REQUEST_RESPONSE,
        "apigateway-http": REQUEST_RESPONSE,
        "s3": EVENT,
        "sns": EVENT,
        "eventbridge": EVENT,
        "sqs": REQUEST_RESPONSE,  # polled: the event source mapping invokes synchronously
        "kinesis": REQUEST_RESPONSE,  # polled
        "dynamodb": REQUEST_RESPONSE,  # polled (DynamoDB Streams)
    }
)
"""The invocation type each service uses: the service decides it, not the user."""

POLL_BASED = frozenset({"sqs", "kinesis", "dynamodb"})
"""Sources that Lambda polls through an event source mapping: nothing pushes their events."""

EPOCH_ISO = "1970-01-01T00:00:00.000Z"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_S3_CREATED = ("Put", "Post", "Copy", "CompleteMultipartUpload")
_TABLE_STREAM = (
    f"arn:aws:dynamodb:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:table/ExampleTableWithStream/stream/2015-06-27T00:48:05.899"
)


def _id(rng: random.Random | None, *parts: object) -> str:
    """A version-4 UUID drawn from ``rng``; without one, a name-based UUID of ``parts`` (never random)."""
    if rng is not None:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "lambdalab:" + "|".join(map(str, parts))))


def _arn(arn: str) -> tuple[str, str]:
    """The Region and account of ``arn:partition:service:region:account:resource``."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        raise ValueError(f"not an ARN: {arn!r}")
    return parts[3], parts[4]


def _merge(event: dict[str, Any], extra: Mapping[str, Any] | None) -> dict[str, Any]:
    """``event`` with ``extra`` deep-merged into it (mappings merge; other values replace)."""
    for key, value in (extra or {}).items():
        if isinstance(value, Mapping):
            event[key] = _merge(event[key] if isinstance(event.get(key), dict) else {}, value)
        else:
            event[key] = copy.deepcopy(value)
    return event


def _request_time(epoch_ms: int) -> str:
    """API Gateway's time format, ``09/Apr/2015:12:34:56 +0000`` (English months in any locale)."""
    t = datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)
    return f"{t.day:02d}/{_MONTHS[t.month - 1]}/{t.year}:{t:%H:%M:%S} +0000"


def _pairs(query: Query | None) -> list[tuple[str, str]]:
    return [(name, v) for name, value in (query or {}).items() for v in ([value] if isinstance(value, str) else value)]


def _grouped(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for name, value in pairs:
        groups.setdefault(name, []).append(value)
    return groups


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)


# -- API Gateway (synchronous) ----------------------------------------------------------------------------
def api_gateway_rest(
    *,
    method: str = "GET",
    path: str = "/",
    body: str | None = None,
    headers: Mapping[str, str] | None = None,
    query: Query | None = None,
    path_parameters: Mapping[str, str] | None = None,
    stage: str = "prod",
    request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    time_epoch_ms: int = 0,
    resource: str | None = None,
    stage_variables: Mapping[str, str] | None = None,
    is_base64_encoded: bool = False,
    source_ip: str = "127.0.0.1",
    merge: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A REST API (v1) Lambda proxy integration event.

    ``resource`` is the matched resource (``/{proxy+}``; default ``path``). The multi-value maps
    are derived; ``queryStringParameters`` keeps each name's last value, as API Gateway does.
    """
    headers, pairs, method = dict(headers or {}), _pairs(query), method.upper()
    resource = path if resource is None else resource
    identity = {
        "cognitoIdentityPoolId": None,
        "accountId": None,
        "cognitoIdentityId": None,
        "caller": None,
        "accessKey": None,
        "sourceIp": source_ip,
        "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None,
        "userArn": None,
        "userAgent": _header(headers, "user-agent"),
        "user": None,
    }
    event = {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers or None,
        "multiValueHeaders": {name: [value] for name, value in headers.items()} or None,
        "queryStringParameters": dict(pairs) or None,
        "multiValueQueryStringParameters": _grouped(pairs) or None,
        "pathParameters": dict(path_parameters or {}) or None,
        "stageVariables": dict(stage_variables or {}) or None,
        "requestContext": {
            "accountId": DEFAULT_ACCOUNT,
            "resourceId": "123456",
            "stage": stage,
            "requestId": request_id,
            "requestTime": _request_time(time_epoch_ms),
            "requestTimeEpoch": time_epoch_ms,
            "identity": identity,
            "path": f"/{stage}{path}",
            "resourcePath": resource,
            "httpMethod": method,
            "apiId": "1234567890",
            "protocol": "HTTP/1.1",
        },
        "body": body,
        "isBase64Encoded": is_base64_encoded,
    }
    return _merge(event, merge)


def api_gateway_http(
    *,
    method: str = "GET",
    path: str = "/",
    body: str | None = None,
    headers: Mapping[str, str | Sequence[str]] | None = None,
    query: Query | None = None,
    cookies: Sequence[str] | None = None,
    path_parameters: Mapping[str, str] | None = None,
    stage: str = "$default",
    route_key: str = "$default",
    request_id: str = "JKJaXmPLvHcESHA=",
    time_epoch_ms: int = 0,
    stage_variables: Mapping[str, str] | None = None,
    is_base64_encoded: bool = False,
    source_ip: str = "127.0.0.1",
    merge: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An HTTP API event, payload format version 2.0.

    Repeated headers and query parameters are joined with commas, as HTTP APIs do (they also
    send header names in lower case: pass them so). Absent optional parts are left out.
    """
    pairs, api_id = _pairs(query), "r3pmxmplak"
    header_map = {name: v if isinstance(v, str) else ",".join(v) for name, v in (headers or {}).items()}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": urlencode(pairs),
    }
    if cookies:
        event["cookies"] = list(cookies)
    event["headers"] = header_map
    if pairs:
        event["queryStringParameters"] = {name: ",".join(values) for name, values in _grouped(pairs).items()}
    event["requestContext"] = {
        "accountId": DEFAULT_ACCOUNT,
        "apiId": api_id,
        "domainName": f"{api_id}.execute-api.{DEFAULT_REGION}.amazonaws.com",
        "domainPrefix": api_id,
        "http": {
            "method": method.upper(),
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": _header(header_map, "user-agent") or "",
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": stage,
        "time": _request_time(time_epoch_ms),
        "timeEpoch": time_epoch_ms,
    }
    if body is not None:
        event["body"] = body
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    event["isBase64Encoded"] = is_base64_encoded
    if stage_variables:
        event["stageVariables"] = dict(stage_variables)
    return _merge(event, merge)


# -- S3, SNS, EventBridge (asynchronous) ------------------------------------------------------------------
def s3_object_created(
    bucket: str,
    key: str,
    *,
    size: int = 1024,
    etag: str = "0123456789abcdef0123456789abcdef",
    event_name: str = "ObjectCreated:Put",
    event_time: str = EPOCH_ISO,
    event_version: str = "2.1",
    region: str = DEFAULT_REGION,
    sequencer: str = "0A1B2C3D4E5F678901",
    merge: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An S3 notification of a new object (``merge`` applies to the record). S3 URL-encodes the
    key: a space becomes ``+``. The other fields default to the Lambda console's ``s3-put`` sample."""
    prefix, _, kind = event_name.partition(":")
    if prefix != "ObjectCreated" or kind not in _S3_CREATED:
        raise ValueError(f"{event_name!r} is not an object-created event: ObjectCreated:{'|'.join(_S3_CREATED)}")
    example = "EXAMPLE123/5678abcdefghijklambdaisawesome/mnopqrstuvwxyzABCDEFGH"
    record = {
        "eventVersion": event_version,
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": event_time,
        "eventName": event_name,
        "userIdentity": {"principalId": "EXAMPLE"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": "EXAMPLE123456789", "x-amz-id-2": example},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "testConfigRule",
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": "EXAMPLE"}, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": quote_plus(key, safe="/"), "size": size, "eTag": etag, "sequencer": sequencer},
        },
    }
    return {"Records": [_merge(record, merge)]}


def sns(
    message: str,
    *,
    topic_arn: str = f"arn:aws:sns:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:sns-lambda",
    subject: str | None = None,
    message_id: str | None = None,
    timestamp: str = EPOCH_ISO,
    message_attributes: Mapping[str, Mapping[str, str]] | None = None,
    rng: random.Random | None = None,
    merge: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An SNS notification of one published ``message``, a string (``json.dumps`` a document first);
    ``merge`` applies to the record."""
    if not isinstance(message, str):
        raise TypeError(f"an SNS message is a string, not {type(message).__name__}: json.dumps it first")
    region, _ = _arn(topic_arn)
    subscription = f"{topic_arn}:21be56ed-a058-49f5-8c98-aedd2564c486"
    endpoint = f"https://sns.{region}.amazonaws.com"
    notification = {
        "SignatureVersion": "1",
        "Timestamp": timestamp,
        "Signature": "EXAMPLE",
        "SigningCertUrl": f"{endpoint}/SimpleNotificationService-ac565b8b1a6c5d002d285f9598aa1d9b.pem",
        "MessageId": message_id or _id(rng, topic_arn, timestamp, message),
        "Message": message,
        "MessageAttributes": {name: dict(value) for name, value in (message_attributes or {}).items()},
        "Type": "Notification",
        "UnsubscribeUrl": f"{endpoint}/?Action=Unsubscribe&SubscriptionArn={subscription}",
        "TopicArn": topic_arn,
        "Subject": subject,
    }
    record = {"EventVersion": "1.0", "EventSubscriptionArn": subscription, "EventSource": "aws:sns"}
    return {"Records": [_merge(record | {"Sns": notification}, merge)]}


def eventbridge_scheduled(
    time_iso: str,
    *,
    rule_arn: str = f"arn:aws:events:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:rule/my-schedule",
    event_id: str | None = None,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """The event an EventBridge schedule rule sends at ``time_iso`` (such as ``2019-03-01T01:23:45Z``)."""
    region, account = _arn(rule_arn)
    return {
        "version": "0",
        "id": event_id or _id(rng, rule_arn, time_iso),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": time_iso,
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


# -- SQS, Kinesis, DynamoDB Streams (poll-based) ----------------------------------------------------------
def sqs_message(
    body: str,
    *,
    message_id: str | None = None,
    receipt_handle: str | None = None,
    receive_count: int = 1,
    sent_timestamp_ms: int = 0,
    queue_arn: str = f"arn:aws:sqs:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:my-queue",
    attributes: Mapping[str, str] | None = None,
    message_attributes: Mapping[str, Any] | None = None,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """One SQS message as a record of an event source mapping's batch (see :func:`sqs_event`).

    ``attributes`` adds or replaces system attributes (``ApproximateFirstReceiveTimestamp``,
    ``MessageGroupId`` of FIFO queues, ...).
    """
    region, _ = _arn(queue_arn)
    message_id = message_id or _id(rng, queue_arn, sent_timestamp_ms, body)
    handle = hashlib.sha256(f"{message_id}:{receive_count}".encode()).digest()
    return {
        "messageId": message_id,
        "receiptHandle": receipt_handle or "AQEB" + base64.b64encode(handle).decode(),
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": str(sent_timestamp_ms),
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": str(sent_timestamp_ms),
            **(attributes or {}),
        },
        "messageAttributes": dict(message_attributes or {}),
        "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def kinesis_record(
    data: bytes | str,
    partition_key: str,
    sequence_number: str,
    approximate_arrival_timestamp: float,
    *,
    stream_arn: str = f"arn:aws:kinesis:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:stream/lambda-stream",
    shard_id: str = "shardId-000000000000",
) -> dict[str, Any]:
    """One Kinesis record (``approximate_arrival_timestamp`` in epoch seconds); ``data`` arrives
    base64-encoded, a string encoded as UTF-8 first."""
    region, account = _arn(stream_arn)
    raw = data.encode() if isinstance(data, str) else bytes(data)
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence_number,
            "data": base64.b64encode(raw).decode(),
            "approximateArrivalTimestamp": approximate_arrival_timestamp,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": f"arn:aws:iam::{account}:role/lambda-role",
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }


def to_attribute_value(value: Any) -> dict[str, Any]:
    """A Python value in DynamoDB's attribute-value JSON, where numbers travel as strings.

    >>> to_attribute_value({"id": 101, "tags": ["a", None], "ok": True})
    {'M': {'id': {'N': '101'}, 'tags': {'L': [{'S': 'a'}, {'NULL': True}]}, 'ok': {'BOOL': True}}}
    """
    if value is None or isinstance(value, bool):
        return {"NULL": True} if value is None else {"BOOL": value}
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"DynamoDB numbers are finite, not {value!r}")
    if isinstance(value, (int, float, Decimal)):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (bytes, bytearray)):
        return {"B": base64.b64encode(value).decode()}
    if isinstance(value, Mapping):
        return {"M": {str(k): to_attribute_value(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"L": [to_attribute_value(v) for v in value]}
    if isinstance(value, (set, frozenset)) and value:  # a set of strings, numbers or binaries: SS, NS, BS
        members = [to_attribute_value(v) for v in sorted(value)]
        kinds = {kind for member in members for kind in member}
        if len(kinds) == 1 and kinds <= {"S", "N", "B"}:
            (kind,) = kinds
            return {kind + "S": [member[kind] for member in members]}
    raise TypeError(f"no DynamoDB attribute value for {value!r}")


def dynamodb_record(
    event_name: str = "INSERT",
    keys: Mapping[str, Any] | None = None,
    new_image: Mapping[str, Any] | None = None,
    old_image: Mapping[str, Any] | None = None,
    *,
    sequence_number: str,
    size_bytes: int,
    stream_arn: str = _TABLE_STREAM,
    approximate_creation_time: float = 0,
    stream_view_type: str = "NEW_AND_OLD_IMAGES",
    event_id: str | None = None,
) -> dict[str, Any]:
    """One DynamoDB Streams record. ``keys`` (required) and the images are plain Python values
    (see :func:`to_attribute_value`); the stream's view type decides which images it carries."""
    views = {"KEYS_ONLY": (), "NEW_IMAGE": ("New",), "OLD_IMAGE": ("Old",), "NEW_AND_OLD_IMAGES": ("New", "Old")}
    if event_name not in ("INSERT", "MODIFY", "REMOVE"):
        raise ValueError(f"event_name is INSERT, MODIFY or REMOVE, not {event_name!r}")
    if (event_name == "INSERT" and old_image is not None) or (event_name == "REMOVE" and new_image is not None):
        raise ValueError(f"an {event_name} has no {'old' if event_name == 'INSERT' else 'new'} image")
    if stream_view_type not in views:
        raise ValueError(f"stream_view_type is one of {', '.join(views)}, not {stream_view_type!r}")
    if not keys:
        raise ValueError("a stream record needs the item's keys")
    images = {"NewImage": new_image, "OldImage": old_image}
    digest = hashlib.md5(f"{stream_arn}:{sequence_number}".encode(), usedforsecurity=False).hexdigest()
    return {
        "eventID": event_id or digest,
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": _arn(stream_arn)[0],
        "dynamodb": {
            "Keys": to_attribute_value(keys)["M"],
            **{
                name: to_attribute_value(image)["M"]
                for name, image in images.items()
                if image is not None and name[:3] in views[stream_view_type]
            },
            "ApproximateCreationDateTime": approximate_creation_time,
            "SequenceNumber": sequence_number,
            "SizeBytes": size_bytes,
            "StreamViewType": stream_view_type,
        },
        "eventSourceARN": stream_arn,
    }


def _batch(records: Iterable[dict[str, Any]], source: str, one_of: str) -> dict[str, Any]:
    """A batch as an event source mapping delivers it: records of one queue, shard or stream."""
    batch = list(records)
    if not batch:
        raise ValueError("an event source mapping never invokes with an empty batch")
    for record in batch:
        if record.get("eventSource") != source:
            raise ValueError(f"not an {source} record: {record.get('eventSource')!r}")
    groups = {(r["eventSourceARN"], r["eventID"].split(":")[0] if one_of == "shard" else "") for r in batch}
    if len(groups) > 1:
        raise ValueError(f"a batch holds the records of one {one_of}, not of {len(groups)}")
    return {"Records": batch}


def sqs_event(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The event of one batch of :func:`sqs_message` records from one queue."""
    return _batch(records, "aws:sqs", "queue")


def kinesis_event(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The event of one batch of :func:`kinesis_record` records from one shard."""
    return _batch(records, "aws:kinesis", "shard")


def dynamodb_event(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The event of one batch of :func:`dynamodb_record` records from one stream."""
    return _batch(records, "aws:dynamodb", "stream")


# -- sending ----------------------------------------------------------------------------------------------
def push(aws: Invoker, function_name: str, source: str, event: Any) -> dict[str, Any]:
    """Send ``event`` as the service ``source`` does, with the invocation type that service uses.

    Returns the Invoke response: 200 and the function's result for API Gateway; 202 for S3, SNS
    and EventBridge, whose event runs when the simulation runs on (``aws.sim.run()``).
    """
    if source not in INVOCATION_TYPE:
        raise ValueError(f"unknown event source {source!r}: one of {', '.join(INVOCATION_TYPE)}")
    if source in POLL_BASED:
        raise ValueError(
            f"{source} is poll-based: the service never pushes; Lambda's event source mapping polls it and "
            "invokes the function synchronously with a batch. Use an event source mapping instead."
        )
    payload = json.dumps(event).encode()
    return aws.invoke(FunctionName=function_name, Payload=payload, InvocationType=INVOCATION_TYPE[source])

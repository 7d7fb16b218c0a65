"""Event source mappings: CreateEventSourceMapping's parameters per source and era, the mapping's
UUID and state, and partial batch responses.

The API (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html) takes one
set of parameters for every poll-based source, but each source accepts only some of them: AWS answers
a parameter of another source with ``InvalidParameterValueException`` (``Unsupported
ParallelizationFactor parameter for given event source mapping type``; ``StartingPosition is not valid
for SQS event sources.``), never a crash.

``StartingPosition`` is required for a stream ("Required if the event source is a stream"): without it
AWS answers ``InvalidParameterValueException: 1 validation error detected: Value null at
'startingPosition' failed to satisfy constraint: Member must not be null.``; an unknown value is a
``ValidationException`` (``... Member must satisfy enum value set: [LATEST, AT_TIMESTAMP,
TRIM_HORIZON]``), and ``AT_TIMESTAMP`` on a DynamoDB stream ``InvalidParameterValueException:
Unsupported starting position for arn type: <stream ARN>`` (AWS's answers as recorded against AWS by
LocalStack's validated snapshot tests, ``tests/aws/services/lambda_/test_lambda_api.snapshot.json``,
``test_create_event_source_validation``, 2025). ``AT_TIMESTAMP`` without ``StartingPositionTimestamp`` is
``InvalidParameterValueException: Need to specify a timestamp`` (quoted from AWS in 2019:
https://github.com/awsdocs/aws-cloudformation-user-guide/pull/334).

A parameter that the 2019 SDK knew but whose allowed values changed keeps AWS's answer of the time:
SQS batches above 10 and SQS batching windows came in November 2020
(https://aws.amazon.com/about-aws/whats-new/2020/11/aws-lambda-now-supports-batch-windows-of-up-to-5-minutes-for-functions/);
before, ``Maximum batch size must be between 1 and 10 inclusive``. Today's preset checks names against
today's model (botocore 1.43): a misspelt parameter is the same ``ParamValidationError``.

SQS ``ScalingConfig={"MaximumConcurrency": 2-1000}`` (January 2023,
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html) caps the concurrent invocations
of that one mapping; ``{}`` removes the cap.

A mapping polls while it is ``Enabled`` (``Enabled=False`` at creation, or
:meth:`lambdalab.service.Lambda.update_event_source_mapping`), and starts at creation: an SQS mapping
reads the messages already waiting in its queue (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html:
Lambda polls the queue with long polling).

>>> import lambdalab as ll
>>> aws = ll.Lambda(ll.Simulation(seed=1))
>>> queue = aws.create_queue("orders")
>>> _ = queue.send_message(MessageBody="waiting since before the mapping")
>>> _ = aws.create_function("consumer", lambda event, context: len(event["Records"]))
>>> mapping = aws.create_event_source_mapping(EventSourceArn=queue.arn, FunctionName="consumer")
>>> mapping["State"], mapping["BatchSize"]
('Enabled', 10)
>>> aws.sim.run()
>>> aws.events().place.tolist()
['processed']
>>> aws.create_event_source_mapping(EventSourceArn=queue.arn, FunctionName="consumer", ParallelizationFactor=2)
Traceback (most recent call last):
lambdalab.errors.InvalidParameterValueException: InvalidParameterValueException: Unsupported ParallelizationFactor ...

The 2019 SDK did not know the later parameters:

>>> old = ll.Lambda(ll.Simulation(seed=1), era="2019")
>>> _ = old.create_function("consumer", lambda event, context: None, runtime="python3.7")
>>> try:
...     old.create_event_source_mapping(
...         EventSourceArn=old.create_queue("orders").arn, FunctionName="consumer", ScalingConfig={}
...     )
... except ll.ParamValidationError as error:
...     print(error)
Parameter validation failed:
Unknown parameter in input: "ScalingConfig", must be one of: EventSourceArn, FunctionName, Enabled, ...
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Collection
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

from .errors import (
    InvalidParameterValueException,
    ParamValidationError,
    check_whole_range,
    constraint_error,
    invalid_type,
)
from .quotas import Era
from .sdk import check_event_source_mapping

if TYPE_CHECKING:
    from .accounting import Ledger
    from .destinations import Target
    from .function import Function
    from .invoke import Engine
    from .metrics import Recorder
    from .quotas import Quotas
    from .request import InvocationResult
    from .sim import Simulation


class Service(Protocol):
    """What queues, streams and their event source mappings use of the Lambda service
    (:class:`lambdalab.Lambda`), which makes them: they do not depend on it."""

    sim: Simulation
    engine: Engine
    ledger: Ledger
    recorder: Recorder
    quotas: Quotas
    era: Era
    region: str
    account_id: str
    mappings: list[Any]

    def function(self, name: str) -> Function: ...

    def function_arn(self, FunctionName: str) -> str: ...

    def invoke_batch(
        self, FunctionName: str, records: list[dict[str, Any]], callback: Callable[[InvocationResult], object]
    ) -> None: ...


COMMON = {
    "BatchSize": "batch_size",
    "MaximumBatchingWindowInSeconds": "maximum_batching_window_s",
    "FunctionResponseTypes": "report_batch_item_failures",
    "Enabled": "enabled",
}
"""Parameters of every poll-based source, and the mapping's keyword for each."""
STREAM_ONLY = {
    "StartingPosition": "starting_position",
    "StartingPositionTimestamp": "starting_position_timestamp",
    "ParallelizationFactor": "parallelization_factor",
    "MaximumRetryAttempts": "maximum_retry_attempts",
    "MaximumRecordAgeInSeconds": "maximum_record_age_s",
    "BisectBatchOnFunctionError": "bisect_batch_on_function_error",
    "DestinationConfig": "on_failure",
}
"""Kinesis and DynamoDB Streams only (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html)."""
OTHER_STREAM = ("TumblingWindowInSeconds",)
"""Stream parameters that lambdalab does not model."""
SQS_ONLY = {"ScalingConfig": "maximum_concurrency"}
"""SQS only (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html)."""
STARTING_POSITIONS = ("LATEST", "AT_TIMESTAMP", "TRIM_HORIZON")
"""Where a stream mapping starts: records put from now on, the first record put at or after
``StartingPositionTimestamp`` (Kinesis only), or the oldest record kept; in the order of AWS's message."""
TIMESTAMP_TYPES = "<class 'datetime.datetime'>, timestamp-string"
"""The valid types botocore names for a timestamp parameter (``ParamValidator._validate_timestamp``)."""
SQS_WINDOW_HINT = (
    "SQS batches above 10 messages and SQS batching windows came in November 2020 (era='today'); "
    "in 2019 an SQS mapping read 1-10 messages at a time, as soon as they were there."
)


def unsupported(name: str) -> InvalidParameterValueException:
    """AWS's answer to a parameter that this kind of source does not take."""
    return InvalidParameterValueException(f"Unsupported {name} parameter for given event source mapping type")


def parameters(kind: str, settings: dict[str, Any], era: Era, target: Callable[[str], Target]) -> dict[str, Any]:
    """Check CreateEventSourceMapping's parameters for a source of ``kind`` (``sqs``, ``kinesis`` or
    ``dynamodb``) as boto3 and the API do; return the mapping's keyword arguments."""
    check_event_source_mapping(settings, era)
    stream = kind != "sqs"
    kwargs: dict[str, Any] = {}
    for key, value in settings.items():
        if key in COMMON:
            kwargs[COMMON[key]] = value
        elif key in STREAM_ONLY and stream:
            kwargs[STREAM_ONLY[key]] = value
        elif key in SQS_ONLY and not stream:
            kwargs[SQS_ONLY[key]] = value
        elif key == "StartingPosition":
            raise InvalidParameterValueException("StartingPosition is not valid for SQS event sources.")
        elif key in STREAM_ONLY or key in SQS_ONLY or (key in OTHER_STREAM and not stream):
            raise unsupported(key)
        else:
            raise InvalidParameterValueException(
                f"lambdalab does not model {key}.", hint=f"Leave {key} out: lambdalab polls without it."
            )
    if "report_batch_item_failures" in kwargs:
        kwargs["report_batch_item_failures"] = _response_types(kwargs["report_batch_item_failures"])
    if "on_failure" in kwargs:
        kwargs["on_failure"] = _on_failure(kwargs["on_failure"], target)
    if stream:
        _starting_position(kwargs)
    else:
        _check_sqs_batching(kwargs, era)
        if "maximum_concurrency" in kwargs:
            kwargs["maximum_concurrency"] = _scaling_config(kwargs["maximum_concurrency"])
    return kwargs


def _starting_position(kwargs: dict[str, Any]) -> None:
    """``StartingPosition`` is required for a stream; ``AT_TIMESTAMP`` needs ``StartingPositionTimestamp``
    (which the other positions ignore). The timestamp becomes an aware datetime, as botocore sends it."""
    position = kwargs.get("starting_position")
    if "starting_position_timestamp" in kwargs:
        kwargs["starting_position_timestamp"] = _timestamp(kwargs["starting_position_timestamp"])
    if position is None:
        raise InvalidParameterValueException(
            "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: "
            "Member must not be null.",
            hint="Say where the mapping starts: StartingPosition='LATEST' (records put from now on), "
            "'TRIM_HORIZON' (the oldest record the stream keeps) or 'AT_TIMESTAMP' (Kinesis only).",
        )
    if position not in STARTING_POSITIONS:
        raise constraint_error(
            position, "startingPosition", f"Member must satisfy enum value set: [{', '.join(STARTING_POSITIONS)}]"
        )
    if position == "AT_TIMESTAMP" and kwargs.get("starting_position_timestamp") is None:
        raise InvalidParameterValueException("Need to specify a timestamp")


def _timestamp(value: Any) -> datetime | None:
    """A timestamp as botocore takes it: a datetime (naive is UTC), Unix seconds, or an ISO 8601 or
    numeric string; anything else is botocore's invalid type."""
    if value is None:
        return None
    when: datetime | None = None
    try:
        if isinstance(value, datetime):
            when = value
        elif isinstance(value, str) and value.strip():
            try:
                seconds = float(value)
            except ValueError:
                when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            else:
                when = datetime.fromtimestamp(seconds, timezone.utc) if math.isfinite(seconds) else None
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            when = datetime.fromtimestamp(value, timezone.utc)
    except (ValueError, OverflowError, OSError):
        when = None
    if when is None:
        raise ParamValidationError(invalid_type("StartingPositionTimestamp", value, TIMESTAMP_TYPES))
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _scaling_config(value: Any) -> int | None:
    """SQS ``ScalingConfig``: ``{"MaximumConcurrency": 2-1000}``, or ``{}`` for no cap (the model's
    ``MaximumConcurrency``: an integer, min 2, max 1000)."""
    unknown = [key for key in value if key != "MaximumConcurrency"]
    if unknown:
        raise ParamValidationError(
            "\n".join(
                f'Unknown parameter in ScalingConfig: "{key}", must be one of: MaximumConcurrency' for key in unknown
            )
        )
    maximum = value.get("MaximumConcurrency")
    if maximum is None:
        return None
    if isinstance(maximum, bool) or not isinstance(maximum, int):
        raise ParamValidationError(invalid_type("ScalingConfig.MaximumConcurrency", maximum, "<class 'int'>"))
    if maximum < 2:
        raise constraint_error(
            maximum, "scalingConfig.maximumConcurrency", "Member must have value greater than or equal to 2"
        )
    if maximum > 1000:
        raise constraint_error(
            maximum, "scalingConfig.maximumConcurrency", "Member must have value less than or equal to 1000"
        )
    return maximum


def _response_types(value: Any) -> bool:
    if not isinstance(value, (list, tuple)) or any(v != "ReportBatchItemFailures" for v in value):
        raise constraint_error(
            value, "functionResponseTypes", "Member must satisfy enum value set: [ReportBatchItemFailures]"
        )
    return bool(value)


def _on_failure(value: Any, target: Callable[[str], Target]) -> Target:
    try:
        arn = value["OnFailure"]["Destination"]
    except (TypeError, KeyError):
        raise InvalidParameterValueException(
            "DestinationConfig must be {'OnFailure': {'Destination': <ARN>}}."
        ) from None
    found = target(arn)
    if not found.arn.startswith(("arn:aws:sqs:", "arn:aws:sns:")):
        raise InvalidParameterValueException(
            "The destination of a stream's failed batches must be an SQS queue or an SNS topic.",
            hint="Kinesis and DynamoDB Streams mappings send failure records to SQS, SNS (or S3, Kafka).",
        )
    return found


def _check_sqs_batching(kwargs: dict[str, Any], era: Era) -> None:
    """``BatchSize`` 1-10, or up to 10,000 with a batching window of at least 1 s (today); 1-10 and no
    window in 2019 (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html)."""
    size = kwargs.get("batch_size", 10)
    window = kwargs.get("maximum_batching_window_s", 0)
    check_whole_range(size, "batchSize", "BatchSize", 1, 10_000)
    check_whole_range(window, "maximumBatchingWindowInSeconds", "MaximumBatchingWindowInSeconds", 0, 300)
    if era is Era.SEMINAR_2019:
        if size > 10:
            raise InvalidParameterValueException(
                "Maximum batch size must be between 1 and 10 inclusive", hint=SQS_WINDOW_HINT
            )
        if window:
            error = unsupported("MaximumBatchingWindowInSeconds")
            error.hint = SQS_WINDOW_HINT
            raise error
    elif size > 10 and window < 1:
        raise InvalidParameterValueException(
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
        )


class EventSourceMapping:
    """What every mapping has: a UUID, a state, and its configuration in the API's shape
    (``mapping["UUID"]``, ``mapping["State"]``, as boto3's response reads;
    https://docs.aws.amazon.com/lambda/latest/api/API_EventSourceMappingConfiguration.html)."""

    def __init__(self, aws: Service, source_arn: str, function_arn: str, enabled: bool) -> None:
        self.aws = aws
        self.uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"lambdalab:{source_arn}|{function_arn}|{len(aws.mappings)}"))
        self.source_arn, self.function_arn = source_arn, function_arn
        self.enabled = enabled

    @property
    def state(self) -> str:
        return "Enabled" if self.enabled else "Disabled"

    def configuration(self) -> dict[str, Any]:
        """``UUID``, ``State``, ``EventSourceArn``, ``FunctionArn`` and the source's own settings."""
        return {
            "UUID": self.uuid,
            "State": self.state,
            "EventSourceArn": self.source_arn,
            "FunctionArn": self.function_arn,
            **self.settings(),
        }

    def settings(self) -> dict[str, Any]:
        return {}

    def __getitem__(self, key: str) -> Any:
        return self.configuration()[key]

    def set_enabled(self, enabled: bool) -> None:
        """``UpdateEventSourceMapping(Enabled=...)``: stop starting batches, or start polling again."""
        if not isinstance(enabled, bool):
            raise InvalidParameterValueException(f"Enabled must be true or false, not {enabled!r}.")
        was, self.enabled = self.enabled, enabled
        if enabled and not was:
            self.aws.sim.schedule(0.0, self.resume)

    def resume(self) -> None:
        """Start polling (at creation and whenever enabled)."""


def batch_item_failures(result: InvocationResult, identifiers: Collection[str]) -> set[str] | None:
    """The item identifiers a partial batch response reports as failed, or ``None`` when the response fails
    the whole batch. An empty or null ``batchItemFailures`` (or an empty or null response) is complete
    success; a response that is not a JSON object, or an item whose ``itemIdentifier`` is missing, null,
    empty or not in the batch, is complete failure
    (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html,
    https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html)."""
    try:
        response = result.json()
    except ValueError:
        return None
    if response is None:
        return set()
    if not isinstance(response, dict):
        return None
    items = response.get("batchItemFailures")
    if items is None:
        return set()
    if not isinstance(items, list):
        return None
    failed: set[str] = set()
    for item in items:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or identifier not in identifiers:
            return None
        failed.add(identifier)
    return failed

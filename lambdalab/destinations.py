"""Targets that receive events Lambda has given up on (or, on success, finished): SNS topics and
EventBridge buses here; SQS queues in :mod:`lambdalab.sqs`; a Lambda function by its name.

A destination receives the *invocation record*
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html):
``version``, ``timestamp``, ``requestContext`` (``requestId``, ``functionArn``,
``condition``, ``approximateInvokeCount``), ``requestPayload``,
``responseContext`` and ``responsePayload``. A dead-letter queue receives the
event itself, with the ``RequestID``, ``ErrorCode`` and ``ErrorMessage``
message attributes (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq).

An EventBridge bus receives the record as the ``detail`` of an event from ``"source": "lambda"``
whose ``detail-type`` is ``Lambda Function Invocation Result - Success`` or ``- Failure``
(:func:`invocation_result_event`), so that rules can match on it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from .config import DEFAULT_ACCOUNT, DEFAULT_REGION


class Target(Protocol):
    """Anything with an ARN that accepts a message."""

    @property
    def arn(self) -> str: ...

    def send(self, body: str, now: float, attributes: dict[str, str] | None = None) -> object: ...


@dataclass
class _Collector:
    """A target that keeps what it was sent, in order."""

    name: str
    region: str = DEFAULT_REGION
    account: str = DEFAULT_ACCOUNT
    messages: list[dict[str, Any]] = field(default_factory=list)

    def send(self, body: str, now: float, attributes: dict[str, str] | None = None) -> None:
        self.messages.append({"time": now, "body": body, "attributes": dict(attributes or {})})


class SNSTopic(_Collector):
    """An SNS topic."""

    @property
    def arn(self) -> str:
        return f"arn:aws:sns:{self.region}:{self.account}:{self.name}"


class EventBus(_Collector):
    """An EventBridge event bus."""

    @property
    def arn(self) -> str:
        return f"arn:aws:events:{self.region}:{self.account}:event-bus/{self.name}"


def invocation_result_event(
    record: dict[str, Any], *, success: bool, bus: EventBus, function_arn: str, iso_time: str
) -> dict[str, Any]:
    """The EventBridge event that carries an invocation record to a bus destination
    (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html): the record is the
    ``detail``; ``resources`` name the bus and the function version. ``iso_time`` is the record's
    ``timestamp``; EventBridge's ``time`` keeps whole seconds. The ``id`` is a name-based UUID of the
    request and condition, so that a seeded run repeats it."""
    context = record["requestContext"]
    return {
        "version": "0",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"lambdalab:{context['requestId']}|{context['condition']}")),
        "detail-type": f"Lambda Function Invocation Result - {'Success' if success else 'Failure'}",
        "source": "lambda",
        "account": bus.account,
        "time": iso_time[:19] + "Z",
        "region": bus.region,
        "resources": [bus.arn, function_arn],
        "detail": record,
    }

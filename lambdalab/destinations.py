"""Targets that receive events Lambda has given up on (or, on success, finished): SNS topics and
EventBridge buses here; SQS queues in :mod:`lambdalab.sqs`; a Lambda function by its name.

A destination receives the *invocation record*
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html):
``version``, ``timestamp``, ``requestContext`` (``requestId``, ``functionArn``,
``condition``, ``approximateInvokeCount``), ``requestPayload``,
``responseContext`` and ``responsePayload``. A dead-letter queue receives the
event itself, with the ``RequestID``, ``ErrorCode`` and ``ErrorMessage``
message attributes (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq).
"""

from __future__ import annotations

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

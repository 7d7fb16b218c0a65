"""Asynchronous invocation: the internal event queue, retries, dead-letter queues and destinations.

From https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html and
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html:

- ``Invoke`` with ``InvocationType=Event`` answers 202 and puts the event in
  Lambda's internal queue (S1.6.2).
- A **function error** (exception, timeout, failed INIT) is retried up to
  ``MaximumRetryAttempts`` times (0-2, default 2): the first retry about a
  minute later, the second about two minutes after that (S1.7.3).
- A **throttle** (or a system error) returns the event to the queue; Lambda
  retries with a backoff growing from 1 second to at most 5 minutes, until the
  event is older than ``MaximumEventAgeInSeconds`` (60 s - 6 h, default 6 h;
  https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
  Throttles do not count against ``MaximumRetryAttempts``.
- The maximum age is how long Lambda "keeps an event in the asynchronous event
  queue before discarding it" (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html):
  an event whose next attempt would come later stays queued until it is that
  old, then fails with ``EventAgeExceeded`` (not at its last attempt).
- Then the event goes to the on-failure **destination** (an invocation
  record) or, if none, the **dead-letter queue** (the event itself), or is
  dropped. A success can be sent to the on-success destination. An EventBridge
  bus receives the record inside an event (``"source": "lambda"``,
  ``"detail-type": "Lambda Function Invocation Result - Success"`` or ``- Failure``).
- A function whose **reserved concurrency is 0** gets no retries: since
  August 2021 each throttled event goes at once to the on-failure destination
  or the DLQ, or is dropped (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html;
  AWS's notice of the change is quoted at https://github.com/SummitRoute/aws_breaking_changes/issues/48).
  Before (the 2019 preset) such events were retried like any throttle, for up to six hours. AWS names
  no ``condition`` for these records; lambdalab writes ``RetriesExhausted`` (no retry is allowed) and
  the ledger gives the throttle's ``Reason``.
- Delivery is at least once: rarely, an event is run twice. ``duplicate_probability``
  simulates that (default 0).

2019 (the seminar): two retries, fixed; a DLQ (SQS or SNS); destinations and
the retry/age settings came on 25 November 2019 with PutFunctionEventInvokeConfig, which the 2019
preset's SDK does not have (``AttributeError``, as a missing client method).

>>> import lambdalab as ll
>>> aws = ll.Lambda(ll.Simulation(seed=1))
>>> failures = aws.create_topic("failures")
>>> _ = aws.create_function("flaky", duration="const:0.1", error_rate=1.0)
>>> _ = aws.put_function_event_invoke_config(FunctionName="flaky", MaximumRetryAttempts=1,
...     DestinationConfig={"OnFailure": {"Destination": failures.arn}})
>>> aws.invoke(FunctionName="flaky", Payload=b'{"id": 7}', InvocationType="Event")["StatusCode"]
202
>>> aws.sim.run()
>>> aws.requests().attempt.tolist(), aws.events().place.tolist()
([1, 2], ['destination'])
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .accounting import Ledger
from .concurrency import RESERVED_LIMIT
from .destinations import EventBus, Target, invocation_result_event
from .errors import constraint_error
from .quotas import Era
from .sim import LATE

if TYPE_CHECKING:
    from .invoke import Engine
    from .request import InvocationResult, Request

RETRY_DELAYS_S = (60.0, 120.0)
"""Waits before the first and the second retry of a function error."""
THROTTLE_BACKOFF_S = (1.0, 300.0)
"""First and largest wait between attempts of a throttled event."""


@dataclass(frozen=True)
class EventInvokeConfig:
    """``PutFunctionEventInvokeConfig``: retries, maximum event age and destinations."""

    maximum_retry_attempts: int = 2
    maximum_event_age_s: int = 21600
    on_success: Target | None = None
    on_failure: Target | None = None

    def check(self) -> None:
        retries = self.maximum_retry_attempts
        if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 2:
            raise constraint_error(
                self.maximum_retry_attempts, "maximumRetryAttempts", "Member must have value between 0 and 2"
            )
        age = self.maximum_event_age_s
        if isinstance(age, bool) or not isinstance(age, int) or not 60 <= age <= 21600:
            raise constraint_error(
                self.maximum_event_age_s, "maximumEventAgeInSeconds", "Member must have value between 60 and 21600"
            )


class AsyncInvoker:
    """Runs Event invocations: attempts, retries and the event's final place in the ledger."""

    def __init__(self, engine: Engine, ledger: Ledger) -> None:
        self.engine = engine
        self.ledger = ledger
        self.configs: dict[str, EventInvokeConfig] = {}
        self.dead_letter: dict[str, Target] = {}
        self.duplicate_probability = 0.0
        self.duplicates = 0

    def config(self, function_name: str) -> EventInvokeConfig:
        return self.configs.get(function_name) or _DEFAULT

    def accept(self, req: Request) -> None:
        """A 202: the event joins the queue and is attempted as soon as possible."""
        engine = self.engine
        self.ledger.enter(req.id, "async", req.fn.name, engine.sim.now)
        engine.later(0.0, req)
        if self.duplicate_probability and engine.sim.rng.random() < self.duplicate_probability:
            self.duplicates += 1
            copy = engine.copy(req, request_id=f"{req.id}#duplicate")
            self.ledger.enter(copy.id, "async-duplicate", req.fn.name, engine.sim.now)
            engine.later(0.0, copy)

    def throttled(self, req: Request) -> None:
        """The attempt was throttled: back off and try again, within the maximum event age (today, not at
        all when the function's reserved concurrency is 0)."""
        engine = self.engine
        if engine.quotas.era is Era.TODAY and engine.concurrency.functions[req.fn.name].reserved == 0:
            return self._fail(req, None, "RetriesExhausted", RESERVED_LIMIT)
        delay = req.backoff or THROTTLE_BACKOFF_S[0]
        if self._expires_before(req, delay, None):
            return
        retry = self.engine.copy(req)
        retry.backoff = min(delay * 2, THROTTLE_BACKOFF_S[1])
        self.engine.later(delay, retry)

    def finished(self, req: Request, result: InvocationResult) -> None:
        """An attempt ran: success, or a function error to retry or give up on."""
        now = self.engine.sim.now
        config = self.config(req.fn.name)
        self.ledger.attempt(req.id)
        if result.function_error is None:
            if config.on_success is not None:
                self._deliver(config.on_success, req, result, "Success")
            self.ledger.settle(req.id, "processed", now)
            return
        retries_done = req.attempt - 1
        if retries_done >= config.maximum_retry_attempts:
            return self._fail(req, result, "RetriesExhausted")
        delay = RETRY_DELAYS_S[min(retries_done, len(RETRY_DELAYS_S) - 1)]
        if self._expires_before(req, delay, result):
            return
        self.ledger.retries += 1
        retry = self.engine.copy(req)
        retry.attempt = req.attempt + 1
        retry.backoff = 0.0
        self.engine.later(delay, retry)

    def _expires_before(self, req: Request, delay: float, result: InvocationResult | None) -> bool:
        """True if the event's next attempt, ``delay`` from now, would come after its maximum age: then the event
        stays in the queue until it is that old and is discarded then (``EventAgeExceeded``), not before.
        MaximumEventAgeInSeconds is "the maximum amount of time ... that Lambda keeps an event in the
        asynchronous event queue before discarding it"
        (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html)."""
        sim = self.engine.sim
        expiry = req.received + self.config(req.fn.name).maximum_event_age_s
        if sim.now + delay <= expiry:
            return False
        if expiry <= sim.now:
            self._fail(req, result, "EventAgeExceeded")
        else:
            sim.schedule(expiry - sim.now, lambda: self._fail(req, result, "EventAgeExceeded"), LATE)
        return True

    def _fail(self, req: Request, result: InvocationResult | None, condition: str, reason: str = "") -> None:
        """Give up on the event: ``condition`` goes into the invocation record; ``reason`` (default: the
        condition) into the ledger."""
        now, name = self.engine.sim.now, req.fn.name
        config = self.config(name)
        reason = reason or condition
        if config.on_failure is not None:
            self._deliver(config.on_failure, req, result, condition)
            return self.ledger.settle(req.id, "destination", now, reason)
        dlq = self.dead_letter.get(name)
        if dlq is not None:
            error = result.json() if result is not None and result.payload else {}
            dlq.send(
                req.raw.decode(),
                now,
                {
                    "RequestID": req.id.split("#")[0],
                    "ErrorCode": str(result.status_code if result is not None else 429),
                    "ErrorMessage": str(error.get("errorMessage", reason))[:1000]
                    if isinstance(error, dict)
                    else reason,
                },
            )
            return self.ledger.settle(req.id, "dead_lettered", now, reason)
        self.ledger.settle(req.id, "dropped", now, reason)

    def _deliver(self, target: Target, req: Request, result: InvocationResult | None, condition: str) -> None:
        """Send the invocation record to a destination (to a bus, inside an EventBridge event)."""
        record = self._record(req, result, condition)
        if isinstance(target, EventBus):
            event = invocation_result_event(
                record,
                success=condition == "Success",
                bus=target,
                function_arn=record["requestContext"]["functionArn"],
                iso_time=record["timestamp"],
            )
            target.send(json.dumps(event), self.engine.sim.now)
        else:
            target.send(json.dumps(record), self.engine.sim.now)

    def _record(self, req: Request, result: InvocationResult | None, condition: str) -> dict[str, Any]:
        """The invocation record a destination receives."""
        response: dict[str, Any] = {
            "statusCode": result.status_code if result else 429,
            "executedVersion": req.fn.version,
        }
        if result is not None and result.function_error:
            response["functionError"] = result.function_error
        record = {
            "version": "1.0",
            "timestamp": self.engine.sim.iso(),
            "requestContext": {
                "requestId": req.id.split("#")[0],
                "functionArn": req.invoked_arn
                if req.invoked_arn != req.fn.config.arn
                else f"{req.fn.config.arn}:$LATEST",
                "condition": condition,
                "approximateInvokeCount": req.attempt,
            },
            "requestPayload": req.event,
            "responseContext": response,
            "responsePayload": result.json() if result is not None else None,
        }
        return record


_DEFAULT = EventInvokeConfig()

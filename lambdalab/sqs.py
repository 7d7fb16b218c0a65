"""Amazon SQS queues and the SQS event source mapping (a poll-based source, S1.5.2).

Queue (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/):
a received message becomes invisible for the **visibility timeout**; unless it
is deleted by then, it becomes visible again and its **receive count** grows.
With a **redrive policy**, a message received more than ``maxReceiveCount``
times moves to the dead-letter queue. Messages older than the retention
period (4 days by default) are deleted.

Event source mapping (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html):
Lambda polls the queue and invokes the function **synchronously** with a batch
(``BatchSize`` 1-10, up to 10,000 with a ``MaximumBatchingWindowInSeconds``;
1-10 and no window in 2019). It polls from its creation, so messages already
waiting are read too, and whenever it is enabled. On success it deletes the
batch; on a function error the **whole batch** returns to the queue when the
visibility timeout passes (S1.7.5), unless the function reports partial failures (``ReportBatchItemFailures``: only the
listed ``itemIdentifier`` messages return). Lambda starts with 5 concurrent
batches and adds pollers while messages wait: +300 a minute today (+60 in
2019), up to 1,000. A throttled batch also returns after the visibility
timeout: with low reserved concurrency, messages can reach the DLQ without
ever failing in the function (AWS advises a visibility timeout of at least
six times the function timeout). ``ScalingConfig={"MaximumConcurrency": 2-1000}``
(January 2023, today's preset; https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html)
caps the concurrent invocations of that one mapping: the other messages wait in the
queue instead of being throttled (unless the function's reserved concurrency is lower:
AWS advises reserving at least the sum of the caps).

>>> import lambdalab as ll
>>> aws = ll.Lambda(ll.Simulation(seed=1))
>>> dlq = aws.create_queue("orders-dlq")
>>> orders = aws.create_queue("orders", dead_letter_queue=dlq, max_receive_count=2)
>>> _ = aws.create_function("consumer", duration="const:0.2", error_rate=1.0)
>>> _ = aws.create_event_source_mapping(EventSourceArn=orders.arn, FunctionName="consumer")
>>> _ = orders.send_message(MessageBody='{"order": 1}')
>>> aws.sim.run()
>>> aws.ledger.counts()["dead_lettered"], len(dlq)   # received twice, failed twice, then redriven
(1, 1)
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from functools import partial
from typing import TYPE_CHECKING, Any

from .errors import InvalidParameterValueException
from .mappings import EventSourceMapping, Service, batch_item_failures
from .request import InvocationResult

if TYPE_CHECKING:
    from .sim import Timer

MAX_POLLERS = 1000
_QUEUE_NAME = re.compile(r"[a-zA-Z0-9_-]{1,80}")
THROTTLE_BACKOFF_S = 1.0  # how long a throttled poller waits (a modelling choice; AWS does not publish it)


class Message:
    __slots__ = ("attributes", "body", "first_received", "id", "receipt", "received", "sent", "tracked", "visibility")

    def __init__(self, message_id: str, body: str, sent: float, attributes: dict[str, str], tracked: bool) -> None:
        self.id, self.body, self.sent, self.attributes, self.tracked = message_id, body, sent, attributes, tracked
        self.received = 0
        self.first_received: float | None = None
        self.receipt = ""
        self.visibility: Timer | None = None


class SQSQueue:
    """A standard queue on the simulation's clock. Create it with :meth:`Lambda.create_queue`."""

    def __init__(
        self,
        aws: Service,
        name: str,
        *,
        visibility_timeout: float = 30.0,
        retention_period: float = 345_600.0,
        dead_letter_queue: SQSQueue | None = None,
        max_receive_count: int = 10,
    ) -> None:
        if not isinstance(name, str) or not _QUEUE_NAME.fullmatch(name):
            raise InvalidParameterValueException(
                f"Invalid queue name {name!r}: can only include alphanumeric characters, hyphens, or underscores; "
                "1 to 80 in length."
            )
        for setting, value in (("VisibilityTimeout", visibility_timeout), ("MessageRetentionPeriod", retention_period)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidParameterValueException(f"{setting} must be a number of seconds, not {value!r}.")
        if not 0 <= visibility_timeout <= 43_200:
            raise InvalidParameterValueException("VisibilityTimeout must be between 0 and 43200 seconds (12 hours).")
        if not 60 <= retention_period <= 1_209_600:
            raise InvalidParameterValueException(
                "MessageRetentionPeriod must be between 60 seconds (1 minute) and 1209600 seconds (14 days), "
                f"not {retention_period!r}."
            )
        if dead_letter_queue is not None and not isinstance(dead_letter_queue, SQSQueue):
            raise InvalidParameterValueException(
                f"The dead-letter queue must be an SQS queue, not {dead_letter_queue!r}."
            )
        if isinstance(max_receive_count, bool) or not isinstance(max_receive_count, int):
            raise InvalidParameterValueException(f"maxReceiveCount must be a whole number, not {max_receive_count!r}.")
        if dead_letter_queue is not None and not 1 <= max_receive_count <= 1000:
            raise InvalidParameterValueException("maxReceiveCount must be between 1 and 1000.")
        self.aws, self.name = aws, name
        self.visibility_timeout = visibility_timeout
        self.retention_period = retention_period
        self.dead_letter_queue = dead_letter_queue
        self.max_receive_count = max_receive_count
        self.visible: deque[Message] = deque()
        self.in_flight: dict[str, Message] = {}
        self.listeners: list[Any] = []  # event source mappings waiting for messages
        self.sent = 0

    @property
    def arn(self) -> str:
        return f"arn:aws:sqs:{self.aws.region}:{self.aws.account_id}:{self.name}"

    @property
    def url(self) -> str:
        return f"https://sqs.{self.aws.region}.amazonaws.com/{self.aws.account_id}/{self.name}"

    def __len__(self) -> int:
        return len(self.visible) + len(self.in_flight)

    def send_message(self, MessageBody: str, MessageAttributes: dict[str, str] | None = None) -> dict[str, str]:
        """``SendMessage``: the message enters the ledger and is visible at once."""
        if not isinstance(MessageBody, str) or not MessageBody:
            raise InvalidParameterValueException(f"MessageBody is a non-empty string, not {MessageBody!r}.")
        attributes = MessageAttributes or {}
        if not isinstance(attributes, dict) or not all(isinstance(v, str) for v in attributes.values()):
            raise InvalidParameterValueException(
                f"MessageAttributes are a dict of names to string values here, not {MessageAttributes!r}."
            )
        message_id = self._put(MessageBody, MessageAttributes or {}, tracked=True)
        return {"MessageId": message_id, "MD5OfMessageBody": hashlib.md5(MessageBody.encode()).hexdigest()}

    def send(self, body: str, now: float | None = None, attributes: dict[str, str] | None = None) -> str:
        """Lambda delivering to this queue as a dead-letter queue or destination: the event's ledger entry
        already says where it went, so the message is not a new event."""
        return self._put(body, attributes or {}, tracked=False)

    def _put(self, body: str, attributes: dict[str, str], tracked: bool) -> str:
        engine = self.aws.engine
        message = Message(engine.new_id(), body, self.aws.sim.now, attributes, tracked)
        self.sent += 1
        if tracked:
            self.aws.ledger.enter(message.id, f"sqs:{self.name}", "", self.aws.sim.now)
        self._visible(message)
        return message.id

    def _visible(self, message: Message) -> None:
        message.visibility = None
        self.visible.append(message)
        for listener in list(self.listeners):
            listener.wake()

    def receive(self, max_messages: int = 1) -> list[Message]:
        """``ReceiveMessage``: up to ``max_messages`` visible messages, now invisible for the timeout."""
        sim = self.aws.sim
        batch: list[Message] = []
        while self.visible and len(batch) < max_messages:
            message = self.visible.popleft()
            if sim.now - message.sent > self.retention_period:
                self._settle(message, "dropped", "MessageRetentionPeriodExceeded")
                continue
            if self.dead_letter_queue is not None and message.received >= self.max_receive_count:
                self.dead_letter_queue._put(message.body, message.attributes, tracked=False)
                self._settle(message, "dead_lettered", f"maxReceiveCount {self.max_receive_count} exceeded")
                continue
            message.received += 1
            if message.first_received is None:
                message.first_received = sim.now
            message.receipt = f"{message.id}#{message.received}"
            self.in_flight[message.receipt] = message
            message.visibility = sim.schedule(self.visibility_timeout, partial(self._timeout, message))
            batch.append(message)
        return batch

    def _timeout(self, message: Message) -> None:
        if self.in_flight.pop(message.receipt, None) is not None:
            self._visible(message)

    def delete(self, receipt: str | Message) -> None:
        """``DeleteMessage`` by receipt handle (or a received message's latest one); a stale receipt
        (from an earlier receive) deletes nothing."""
        message = self.in_flight.pop(receipt if isinstance(receipt, str) else receipt.receipt, None)
        if message is None:
            return
        self.aws.sim.cancel(message.visibility)
        self._settle(message, "processed")

    def _settle(self, message: Message, place: str, reason: str = "") -> None:
        if message.tracked:
            self.aws.ledger.settle(message.id, place, self.aws.sim.now, reason)

    def record(self, message: Message) -> dict[str, Any]:
        """The message as a record of Lambda's SQS event (:func:`lambdalab.events.sqs_message`)."""
        from .events import sqs_message

        epoch_ms = self.aws.sim.epoch_ms
        return sqs_message(
            message.body,
            message_id=message.id,
            receipt_handle=message.receipt,
            receive_count=message.received,
            sent_timestamp_ms=epoch_ms(message.sent),
            queue_arn=self.arn,
            attributes={"ApproximateFirstReceiveTimestamp": str(epoch_ms(message.first_received))},
            message_attributes={k: {"stringValue": v, "dataType": "String"} for k, v in message.attributes.items()},
        )


class SQSEventSourceMapping(EventSourceMapping):
    """Lambda's pollers for one queue and one function. Create it with :meth:`Lambda.create_event_source_mapping`
    (which checks the parameters: :mod:`lambdalab.mappings`)."""

    def __init__(
        self,
        aws: Service,
        queue: SQSQueue,
        function_name: str,
        *,
        batch_size: int = 10,
        maximum_batching_window_s: float = 0.0,
        report_batch_item_failures: bool = False,
        maximum_concurrency: int | None = None,
        enabled: bool = True,
    ) -> None:
        fn = aws.function(function_name)
        if queue.visibility_timeout < fn.timeout:
            raise InvalidParameterValueException(
                f"Queue visibility timeout: {queue.visibility_timeout:g} seconds is less than Function timeout: "
                f"{fn.timeout:g} seconds"
            )
        super().__init__(aws, queue.arn, aws.function_arn(function_name), enabled)
        self.queue, self.fn, self.function_name = queue, fn, function_name
        self.batch_size, self.window = batch_size, maximum_batching_window_s
        self.partial = report_batch_item_failures
        self.maximum_concurrency = maximum_concurrency  # ScalingConfig: None is no cap of the mapping's own
        self.scale_per_minute = 300 if aws.quotas.scaling_per_function else 60
        self.pollers = 5  # concurrent batches allowed now
        self.busy = 0
        self.invocations = 0
        self.throttled_batches = 0
        self._tick: Timer | None = None
        self._window_timer: Timer | None = None
        queue.listeners.append(self)
        if enabled:  # the pollers start with the mapping: messages already waiting are read too
            aws.sim.schedule(0.0, self.resume)

    def settings(self) -> dict[str, Any]:
        scaling = (
            {}
            if self.maximum_concurrency is None
            else {"ScalingConfig": {"MaximumConcurrency": self.maximum_concurrency}}
        )
        return {
            "BatchSize": self.batch_size,
            "MaximumBatchingWindowInSeconds": int(self.window),
            "FunctionResponseTypes": ["ReportBatchItemFailures"] if self.partial else [],
            **scaling,
        }

    @property
    def concurrent_batches(self) -> int:
        """Batches allowed at once: the pollers so far, or fewer with ``ScalingConfig.MaximumConcurrency``."""
        cap = self.maximum_concurrency
        return self.pollers if cap is None else min(self.pollers, cap)

    def resume(self) -> None:
        self.wake()

    def wake(self) -> None:
        """Messages are visible: start batches while pollers are free (none while the mapping is disabled)."""
        if not self.enabled:
            return
        queue = self.queue
        while self.busy < self.concurrent_batches and queue.visible:
            if self.window and len(queue.visible) < self.batch_size:
                if self._window_timer is None:  # gather until the batch fills or the window passes
                    self._window_timer = self.aws.sim.schedule(self.window, self._window_closed)
                return
            if self._window_timer is not None:  # the batch filled before its window ended: a new window next
                self.aws.sim.cancel(self._window_timer)
                self._window_timer = None
            self._start(queue.receive(self.batch_size))
        if queue.visible and self._tick is None:
            self._tick = self.aws.sim.schedule(60.0, self._scale)

    def _window_closed(self) -> None:
        self._window_timer = None
        if self.enabled and self.busy < self.concurrent_batches and self.queue.visible:
            self._start(self.queue.receive(self.batch_size))
        self.wake()

    def _scale(self) -> None:
        self._tick = None
        if self.queue.visible:
            self.pollers = min(MAX_POLLERS, self.pollers + self.scale_per_minute)
            self.wake()
        else:
            self.pollers = 5

    def _start(self, batch: list[Message]) -> None:
        if not batch:
            return
        self.busy += 1
        self.invocations += 1
        records = [self.queue.record(m) for m in batch]
        self.aws.invoke_batch(self.function_name, records, lambda result: self._done(batch, result))

    def _done(self, batch: list[Message], result: InvocationResult) -> None:
        self.busy -= 1
        if result.outcome == "throttled":
            # Not deleted: the batch is back after the visibility timeout. The poller backs off a second.
            # It stays busy until then; waking the others here would recurse through every free poller.
            self.throttled_batches += 1
            self.busy += 1
            self.aws.sim.schedule(THROTTLE_BACKOFF_S, self._backed_off)
            return
        if result.function_error is None:
            failed = batch_item_failures(result, [m.id for m in batch]) if self.partial else set()
            if failed is not None:  # None: the response failed the whole batch
                for message in batch:
                    if message.id not in failed:
                        self.queue.delete(message)
        self.wake()

    def _backed_off(self) -> None:
        self.busy -= 1
        self.wake()

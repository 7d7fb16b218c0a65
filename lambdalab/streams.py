"""Kinesis Data Streams and DynamoDB Streams, and their event source mappings (S1.5.2, S1.7.4, S1.10.4).

A stream has shards; a record goes to the shard its partition key hashes to
and keeps its order there. Lambda reads each shard with **one batch at a
time** (``ParallelizationFactor`` 1-10 allows that many, records of one
partition key staying in order), so stream concurrency is shards x
parallelization.

**Polling** (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html and
https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html, "Polling and batching streams"): "Lambda polls
each shard in your Kinesis stream for records at a base rate of once per second. When more records are
available, Lambda keeps processing batches until the function catches up with the stream"; DynamoDB
Streams are polled "at a base rate of 4 times per second" (the 2019 Kinesis page said the same: "polls the
stream periodically (once per second)"). So here each shard (each of its ``ParallelizationFactor`` slices)
reads at the mapping's creation, then:

- records put between two reads arrive together, up to ``BatchSize`` in one batch;
- when a batch ends, the shard is read again at once: records already waiting make the next batch;
- a shard that found nothing is read again one period (1 s, or 0.25 s) after its last read: a record put
  on an idle shard waits for that tick. Ticks are computed when a record arrives, never kept as timers,
  so a simulation without work ends.

Error handling (the same pages):

- by default a failing batch is **retried until its records expire** (24 h
  retention), blocking its shard meanwhile: the iterator age grows;
- ``MaximumRetryAttempts`` (0-10,000) and ``MaximumRecordAgeInSeconds``
  (60-604,800) give up earlier; ``BisectBatchOnFunctionError`` splits a failing
  batch in two to isolate the bad record; a discarded batch's metadata goes to
  the on-failure destination (an SQS queue or SNS topic) if one is set.

Retries wait 1 s, doubling to 60 s (a modelling choice: AWS does not publish
the stream retry interval). 2019 (the seminar): only "retry until the record
expires"; the other settings arrived on 25 November 2019, and the SDK of 2019 did not know them
(:mod:`lambdalab.mappings`).

- ``MaximumBatchingWindowInSeconds`` (0-300, since September 2019:
  https://aws.amazon.com/about-aws/whats-new/2019/09/aws-lambda-now-supports-custom-batch-window-for-kinesis-and-dynamodb-event-sources/)
  gathers records from the read that first finds some until the batch is full or the window has passed;
- ``StartingPosition`` is **required** (the API reference: "Required if the event source is a stream"):
  ``LATEST`` reads records put from now on, ``TRIM_HORIZON`` the oldest records the stream still keeps,
  ``AT_TIMESTAMP`` (Kinesis only) the records put at or after ``StartingPositionTimestamp`` (a datetime
  or Unix seconds; it cannot be in the future; one older than the stream's retention reads from its
  oldest record, as Kinesis's ``GetShardIterator`` does);
- ``FunctionResponseTypes=["ReportBatchItemFailures"]`` (December 2020 for streams): the function
  returns ``{"batchItemFailures": [{"itemIdentifier": "<SequenceNumber>"}]}``; Lambda
  checkpoints before the lowest failed sequence number and retries the batch from it
  (with bisection on, that split is the bisection). An empty or null list is success;
  an identifier that is missing, empty or not in the batch fails the whole batch
  (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html,
  https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html).

>>> import lambdalab as ll
>>> aws = ll.Lambda(ll.Simulation(seed=1))
>>> clicks = aws.create_stream("clicks", shard_count=2)
>>> _ = aws.create_function("reader", lambda event, context: len(event["Records"]))
>>> _ = aws.create_event_source_mapping(
...     EventSourceArn=clicks.arn, FunctionName="reader", StartingPosition="LATEST", BatchSize=100
... )
>>> for n in range(10):
...     _ = clicks.put_record(b"click", partition_key=f"user-{n}")
>>> aws.sim.run()
>>> aws.ledger.counts()["processed"], len(aws.requests())   # one read per shard: one batch each
(10, 2)

A DynamoDB table's stream carries changes:

>>> orders = aws.create_stream("orders", kind="dynamodb")
>>> _ = aws.create_function("audit", lambda event, context: [r["eventName"] for r in event["Records"]])
>>> _ = aws.create_event_source_mapping(EventSourceArn=orders.arn, FunctionName="audit", StartingPosition="LATEST")
>>> _ = orders.put_change("INSERT", {"id": "7"}, new_image={"id": "7", "total": 42})
>>> aws.sim.run()
>>> aws.requests().query("function == 'audit'").outcome.tolist()
['success']
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .destinations import Target
from .errors import InvalidParameterValueException, constraint_error
from .mappings import STARTING_POSITIONS, EventSourceMapping, Service, batch_item_failures
from .request import InvocationResult

if TYPE_CHECKING:
    from .sim import Timer

FIRST_SEQUENCE = 49590338271490256608559692538361571095921575989136588898
RETRY_BACKOFF_S = (1.0, 60.0)
MAX_SHARDS = 20_000  # the default shard quota per account in us-east-1 (provisioned mode)
_NAME = re.compile(r"[a-zA-Z0-9_.-]{1,128}")
_CHANGE = {"event_name", "keys", "new_image", "old_image"}


@dataclass
class StreamRecord:
    sequence_number: str
    partition_key: str
    data: Any
    arrival: float
    shard: int


class Stream:
    """A Kinesis data stream (``kind="kinesis"``) or a DynamoDB stream (``kind="dynamodb"``)."""

    def __init__(
        self, aws: Service, name: str, shard_count: int = 1, *, kind: str = "kinesis", retention_s: float = 86_400.0
    ) -> None:
        if kind not in ("kinesis", "dynamodb"):
            raise ValueError("kind is 'kinesis' or 'dynamodb'")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise constraint_error(
                name, "streamName", "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
            )
        if isinstance(shard_count, bool) or not isinstance(shard_count, int):
            raise InvalidParameterValueException(f"ShardCount must be a whole number of shards, not {shard_count!r}.")
        if shard_count < 1:
            raise InvalidParameterValueException("A stream needs at least one shard.")
        if shard_count > MAX_SHARDS:
            raise InvalidParameterValueException(
                f"ShardCount {shard_count} is above the account's default shard quota of {MAX_SHARDS:,} "
                "(https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html)."
            )
        self.aws, self.name, self.kind, self.shard_count = aws, name, kind, shard_count
        self.retention_s = retention_s
        self.records = 0
        self.mappings: list[StreamEventSourceMapping] = []
        self.retained: deque[StreamRecord] = deque()
        """Records within the retention period, where a TRIM_HORIZON mapping starts. Statistics-only runs
        (``keep_records=False``) keep them only until the first mapping reads the stream: memory stays flat."""

    @property
    def arn(self) -> str:
        where = f"{self.aws.region}:{self.aws.account_id}"
        if self.kind == "kinesis":
            return f"arn:aws:kinesis:{where}:stream/{self.name}"
        return f"arn:aws:dynamodb:{where}:table/{self.name}/stream/2026-01-01T00:00:00.000"

    def shard_id(self, shard: int) -> str:
        return f"shardId-{shard:012d}"

    def shard_of(self, partition_key: str) -> int:
        """Kinesis maps the MD5 of the partition key onto equal hash-key ranges, one per shard."""
        return _key_hash(partition_key) * self.shard_count >> 128

    def put_record(self, data: Any, partition_key: str) -> StreamRecord:
        """``PutRecord`` (Kinesis: ``data`` is bytes or text; DynamoDB: a change, see :meth:`put_change`)."""
        if not isinstance(partition_key, str) or not 1 <= len(partition_key) <= 256:
            raise InvalidParameterValueException(
                f"The partition key is a string of 1-256 characters, not {partition_key!r}."
            )
        if self.kind == "kinesis" and not isinstance(data, (bytes, bytearray, str)):
            raise InvalidParameterValueException(
                f"A Kinesis record's data is bytes or text, not {type(data).__name__}."
            )
        if self.kind == "dynamodb" and not (isinstance(data, dict) and set(data) == _CHANGE):
            raise InvalidParameterValueException("A DynamoDB stream carries table changes: use put_change().")
        record = StreamRecord(
            str(FIRST_SEQUENCE + self.records), partition_key, data, self.aws.sim.now, self.shard_of(partition_key)
        )
        self.records += 1
        retained, now = self.retained, self.aws.sim.now
        while retained and now - retained[0].arrival >= self.retention_s:
            retained.popleft()
        if self.aws.recorder.keep_records or not self.mappings:
            retained.append(record)
        for mapping in self.mappings:
            mapping.add(record)
        return record

    def put_change(
        self,
        event_name: str,
        keys: dict[str, Any],
        new_image: dict[str, Any] | None = None,
        old_image: dict[str, Any] | None = None,
    ) -> StreamRecord:
        """A DynamoDB table change (``INSERT``, ``MODIFY``, ``REMOVE``) as a stream record."""
        if event_name not in ("INSERT", "MODIFY", "REMOVE"):
            raise InvalidParameterValueException(f"event_name is INSERT, MODIFY or REMOVE, not {event_name!r}.")
        if not isinstance(keys, dict) or not keys:
            raise InvalidParameterValueException(f"keys is the item's key attributes as a dict, not {keys!r}.")
        change = {"event_name": event_name, "keys": keys, "new_image": new_image, "old_image": old_image}
        return self.put_record(change, json.dumps(keys, sort_keys=True))

    def record(self, r: StreamRecord) -> dict[str, Any]:
        """The record as Lambda's event shows it."""
        from . import events

        when = self.aws.sim.epoch_ms(r.arrival) / 1000
        if self.kind == "kinesis":
            return events.kinesis_record(
                r.data, r.partition_key, r.sequence_number, when, stream_arn=self.arn, shard_id=self.shard_id(r.shard)
            )
        change = r.data
        return events.dynamodb_record(
            change["event_name"],
            change["keys"],
            new_image=change["new_image"],
            old_image=change["old_image"],
            sequence_number=r.sequence_number,
            size_bytes=len(json.dumps(change)),
            stream_arn=self.arn,
            approximate_creation_time=when,
        )


def _key_hash(partition_key: str) -> int:
    return int(hashlib.md5(partition_key.encode()).hexdigest(), 16)


class _Batch:
    __slots__ = ("attempts", "records", "version")

    def __init__(self, records: list[StreamRecord], attempts: int = 0) -> None:
        self.records, self.attempts = records, attempts
        self.version = "$LATEST"  # the version that ran its last attempt


class _Lane:
    """One batch at a time over the records of one shard (or one slice of it with parallelization)."""

    __slots__ = ("backoff", "busy", "flush", "last_read", "pending", "poll", "splits", "window")

    def __init__(self) -> None:
        self.pending: deque[StreamRecord] = deque()  # put on the shard, not read yet
        self.splits: deque[_Batch] = deque()
        self.busy = False
        self.backoff = 0.0
        self.window: Timer | None = None  # the batching window, while records gather
        self.flush = False  # the window has passed: start with what there is
        self.poll: Timer | None = None  # the next read of an idle lane, once a record waits for it
        self.last_read: float | None = None  # None until the mapping's first read


POLL_PERIOD_S = {"kinesis": 1.0, "dynamodb": 0.25}
"""How often Lambda reads an idle shard: once per second (Kinesis), four times per second (DynamoDB Streams)."""


class StreamEventSourceMapping(EventSourceMapping):
    """Lambda's shard readers for one stream and one function. Create it with
    :meth:`Lambda.create_event_source_mapping` (which checks the parameters: :mod:`lambdalab.mappings`)."""

    def __init__(
        self,
        aws: Service,
        stream: Stream,
        function_name: str,
        *,
        starting_position: str,
        starting_position_timestamp: datetime | None = None,
        batch_size: int = 100,
        maximum_batching_window_s: float = 0,
        parallelization_factor: int = 1,
        maximum_retry_attempts: int = -1,
        maximum_record_age_s: float = -1,
        bisect_batch_on_function_error: bool = False,
        on_failure: Target | None = None,
        report_batch_item_failures: bool = False,
        enabled: bool = True,
    ) -> None:
        if starting_position not in STARTING_POSITIONS:
            raise InvalidParameterValueException(f"StartingPosition is one of {', '.join(STARTING_POSITIONS)}.")
        if starting_position == "AT_TIMESTAMP" and stream.kind == "dynamodb":
            raise InvalidParameterValueException(f"Unsupported starting position for arn type: {stream.arn}")
        start_at = None
        if starting_position == "AT_TIMESTAMP":
            if starting_position_timestamp is None:
                raise InvalidParameterValueException("Need to specify a timestamp")
            start_at = (starting_position_timestamp - aws.sim.epoch).total_seconds()
            if start_at > aws.sim.now:
                raise InvalidParameterValueException(
                    "StartingPositionTimestamp cannot be in the future.",
                    hint=f"The clock reads {aws.sim.iso()}: start at or before it.",
                )
        for name, value in (
            ("BatchSize", batch_size),
            ("MaximumBatchingWindowInSeconds", maximum_batching_window_s),
            ("ParallelizationFactor", parallelization_factor),
            ("MaximumRetryAttempts", maximum_retry_attempts),
            ("MaximumRecordAgeInSeconds", maximum_record_age_s),
        ):
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidParameterValueException(f"{name} must be a whole number, not {value!r}.")
        if not isinstance(bisect_batch_on_function_error, bool):
            raise InvalidParameterValueException(
                f"BisectBatchOnFunctionError must be true or false, not {bisect_batch_on_function_error!r}."
            )
        if not 1 <= batch_size <= 10_000:
            raise InvalidParameterValueException("BatchSize must be between 1 and 10000.")
        if not 0 <= maximum_batching_window_s <= 300:
            raise InvalidParameterValueException("MaximumBatchingWindowInSeconds must be between 0 and 300.")
        if not 1 <= parallelization_factor <= 10:
            raise InvalidParameterValueException("ParallelizationFactor must be between 1 and 10.")
        if not (maximum_retry_attempts == -1 or 0 <= maximum_retry_attempts <= 10_000):
            raise InvalidParameterValueException("MaximumRetryAttempts must be -1 (until expiry) or 0-10000.")
        if not (maximum_record_age_s == -1 or 60 <= maximum_record_age_s <= 604_800):
            raise InvalidParameterValueException("MaximumRecordAgeInSeconds must be -1 or 60-604800.")
        fn = aws.function(function_name)
        super().__init__(aws, stream.arn, aws.function_arn(function_name), enabled)
        self.stream, self.fn, self.function_name = stream, fn, function_name
        self.batch_size, self.factor, self.window = batch_size, parallelization_factor, maximum_batching_window_s
        self.max_retries, self.max_age = maximum_retry_attempts, maximum_record_age_s
        self.bisect, self.on_failure = bisect_batch_on_function_error, on_failure
        self.partial, self.starting_position = report_batch_item_failures, starting_position
        self.starting_position_timestamp = starting_position_timestamp if start_at is not None else None
        self.period = POLL_PERIOD_S[stream.kind]
        self.lanes = [[_Lane() for _ in range(parallelization_factor)] for _ in range(stream.shard_count)]
        self.invocations = 0
        self.max_iterator_age_s = 0.0
        self.iterator_ages: list[tuple[float, int, float]] = []  # (time, shard, age) at each batch start
        stream.mappings.append(self)
        if start_at is not None or starting_position == "TRIM_HORIZON":  # records the stream keeps, oldest first
            for record in stream.retained:
                if not self._expired(record) and (start_at is None or record.arrival >= start_at):
                    self._enqueue(record)
        if enabled:
            aws.sim.schedule(0.0, self.resume)

    def settings(self) -> dict[str, Any]:
        position: dict[str, Any] = {"StartingPosition": self.starting_position}
        if self.starting_position_timestamp is not None:
            position["StartingPositionTimestamp"] = self.starting_position_timestamp
        return {
            **position,
            "BatchSize": self.batch_size,
            "MaximumBatchingWindowInSeconds": int(self.window),
            "ParallelizationFactor": self.factor,
            "MaximumRetryAttempts": self.max_retries,
            "MaximumRecordAgeInSeconds": int(self.max_age),
            "BisectBatchOnFunctionError": self.bisect,
            "DestinationConfig": {"OnFailure": {"Destination": self.on_failure.arn}} if self.on_failure else {},
            "FunctionResponseTypes": ["ReportBatchItemFailures"] if self.partial else [],
        }

    def resume(self) -> None:
        """Read every idle lane now (at creation, and when enabled again)."""
        for shard, lanes in enumerate(self.lanes):
            for lane in lanes:
                if not lane.busy:
                    self._read(shard, lane)

    def add(self, record: StreamRecord) -> None:
        """A new record for this mapping (from LATEST, records put before it existed are not read). An idle
        lane sees it at its next read: one period after its last read."""
        lane = self._enqueue(record)
        if lane.busy or lane.poll is not None or lane.last_read is None or not self.enabled:
            return  # read when the batch ends, at the read already due, or at the first read
        period, last, now = self.period, lane.last_read, self.aws.sim.now
        ticks = max(1, math.ceil((now - last) / period - 1e-9))
        shard = record.shard
        lane.poll = self.aws.sim.at(max(now, last + ticks * period), lambda: self._read(shard, lane))

    def _enqueue(self, record: StreamRecord) -> _Lane:
        self.aws.ledger.enter(
            self._key(record), f"{self.stream.kind}:{self.stream.name}", self.fn.name, self.aws.sim.now
        )
        lanes = self.lanes[record.shard]
        lane = lanes[0] if self.factor == 1 else lanes[_key_hash(record.partition_key) % self.factor]
        lane.pending.append(record)
        return lane

    def _expired(self, record: StreamRecord) -> bool:
        return self.aws.sim.now - record.arrival >= self.stream.retention_s

    def _read(self, shard: int, lane: _Lane) -> None:
        """Read the lane now (a poll, or the read right after a batch ends) and start what it finds."""
        self.aws.sim.cancel(lane.poll)
        lane.poll = None
        if not self.enabled or lane.busy:
            return
        lane.last_read = self.aws.sim.now
        self._next(shard, lane)

    def _next(self, shard: int, lane: _Lane) -> None:
        """Start the lane's next batch: a bisected half first, else the oldest pending records (once the batch
        is full or the batching window has passed)."""
        if not self.enabled:
            return
        while lane.pending and self._expired(lane.pending[0]):  # trimmed from the stream unread
            self._settle(lane.pending.popleft(), "dropped", "RecordExpired")
        if lane.splits:
            batch = lane.splits.popleft()
        elif lane.pending:
            if self.window and len(lane.pending) < self.batch_size and not lane.flush:
                if lane.window is None:
                    lane.window = self.aws.sim.schedule(self.window, lambda: self._window_passed(shard, lane))
                return
            self.aws.sim.cancel(lane.window)
            lane.window, lane.flush = None, False
            batch = _Batch([lane.pending.popleft() for _ in range(min(self.batch_size, len(lane.pending)))])
        else:
            return
        self._invoke(shard, lane, batch)

    def _window_passed(self, shard: int, lane: _Lane) -> None:
        lane.window, lane.flush = None, True
        self._read(shard, lane)

    def _invoke(self, shard: int, lane: _Lane, batch: _Batch) -> None:
        if not self.enabled:  # disabled meanwhile: the batch waits for the mapping to be enabled again
            lane.splits.appendleft(batch)
            lane.busy = False
            return
        now = self.aws.sim.now
        kept = [r for r in batch.records if not self._expired(r)]
        for r in batch.records:
            if self._expired(r):
                self._settle(r, "dropped", "RecordExpired")
        if not kept:
            lane.busy = False
            return self._read(shard, lane)
        batch.records = kept
        age = now - kept[0].arrival
        self.max_iterator_age_s = max(self.max_iterator_age_s, age)
        if self.aws.recorder.keep_records:
            self.iterator_ages.append((now, shard, age))
        lane.busy = True
        self.invocations += 1
        records = [self.stream.record(r) for r in kept]
        self.aws.invoke_batch(self.function_name, records, lambda result: self._done(shard, lane, batch, result))

    def _done(self, shard: int, lane: _Lane, batch: _Batch, result: InvocationResult) -> None:
        sim = self.aws.sim
        batch.version = result.version
        checkpoint, reported = 0, False  # records before the checkpoint succeeded; the rest are retried
        if result.outcome != "throttled" and result.function_error is None:
            checkpoint = len(batch.records)
            if self.partial:
                failed = batch_item_failures(result, [r.sequence_number for r in batch.records])
                if failed is None:  # an unreadable response fails the whole batch
                    checkpoint = 0
                elif failed:  # checkpoint before the lowest failed sequence number
                    checkpoint = min(i for i, r in enumerate(batch.records) if r.sequence_number in failed)
                    reported = True
            for r in batch.records[:checkpoint]:
                self._settle(r, "processed")
            if checkpoint == len(batch.records):
                lane.busy, lane.backoff = False, 0.0
                return self._read(shard, lane)
            batch.records = batch.records[checkpoint:]
        if result.outcome != "throttled":
            if self.bisect and len(batch.records) > 1 and not reported:  # a reported failure splits it there
                half = len(batch.records) // 2
                lane.splits.appendleft(_Batch(batch.records[half:], batch.attempts))
                lane.splits.appendleft(_Batch(batch.records[:half], batch.attempts))
                lane.busy = False
                return self._read(shard, lane)
            batch.attempts += 1
            oldest = sim.now - batch.records[0].arrival
            if 0 <= self.max_retries < batch.attempts:
                return self._discard(shard, lane, batch, "RetryAttemptsExhausted")
            if 0 <= self.max_age <= oldest:
                return self._discard(shard, lane, batch, "RecordAgeExceeded")
        lane.backoff = min(RETRY_BACKOFF_S[1], lane.backoff * 2 or RETRY_BACKOFF_S[0])
        sim.schedule(lane.backoff, lambda: self._invoke(shard, lane, batch))

    def _discard(self, shard: int, lane: _Lane, batch: _Batch, condition: str) -> None:
        place = "destination" if self.on_failure is not None else "dropped"
        if self.on_failure is not None:
            self.on_failure.send(json.dumps(self._failure_record(shard, batch, condition)), self.aws.sim.now)
        for r in batch.records:
            self._settle(r, place, condition)
        lane.busy, lane.backoff = False, 0.0
        self._read(shard, lane)

    def _failure_record(self, shard: int, batch: _Batch, condition: str) -> dict[str, Any]:
        """What the on-failure destination receives: the batch's coordinates, not its data."""
        first, last = batch.records[0], batch.records[-1]
        info_key = "KinesisBatchInfo" if self.stream.kind == "kinesis" else "DDBStreamBatchInfo"
        iso = self.aws.sim.iso
        return {
            "requestContext": {
                "requestId": self.aws.engine.new_id(),
                "functionArn": self.function_arn,
                "condition": condition,
                "approximateInvokeCount": batch.attempts + 1,
            },
            "responseContext": {"statusCode": 200, "executedVersion": batch.version, "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": iso(),
            info_key: {
                "shardId": self.stream.shard_id(shard),
                "startSequenceNumber": first.sequence_number,
                "endSequenceNumber": last.sequence_number,
                "approximateArrivalOfFirstRecord": iso(first.arrival),
                "approximateArrivalOfLastRecord": iso(last.arrival),
                "batchSize": len(batch.records),
                "streamArn": self.stream.arn,
            },
        }

    def _key(self, record: StreamRecord) -> str:
        return f"{self.stream.name}:{record.sequence_number}:{self.fn.name}"

    def _settle(self, record: StreamRecord, place: str, reason: str = "") -> None:
        self.aws.ledger.settle(self._key(record), place, self.aws.sim.now, reason)

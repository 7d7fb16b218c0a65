"""Estimating a function's concurrency from its event source: the seminar's three rules (S1.10.4).

1. **Stream sources** (Kinesis, DynamoDB Streams): one batch per shard at a
   time, so concurrency = shards (x ``ParallelizationFactor``, 1-10, since
   November 2019).
2. **Other poll-based sources** (SQS): Lambda's pollers scale with the
   backlog up to a limit: 5 concurrent batches at first, then +300 a minute
   today (+60 in 2019), up to 1,000 (and never above the function's reserved
   concurrency).
3. **Everything else** (push sources, direct invocations): concurrency =
   requests per second x average duration in seconds (Little's law).

Sources: https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html#estimating-concurrency,
https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-scaling. Each rule is checked
against a simulation in ``tests/test_estimate.py``.
"""

from __future__ import annotations

import math

from .quotas import Era, quotas
from .sqs import MAX_POLLERS


def stream_concurrency(shards: int, parallelization_factor: int = 1) -> int:
    """Concurrent batches of a stream mapping: shards x parallelization factor."""
    if shards < 1 or not 1 <= parallelization_factor <= 10:
        raise ValueError("need shards >= 1 and a parallelization factor of 1-10")
    return shards * parallelization_factor


def sqs_concurrency(minutes_of_backlog: float, era: Era | str = Era.TODAY, limit: int | None = None) -> int:
    """Concurrent batches after the queue has had a backlog for ``minutes_of_backlog`` minutes."""
    if minutes_of_backlog < 0:
        raise ValueError("minutes_of_backlog must be >= 0")
    step = 300 if quotas(era).scaling_per_function else 60
    pollers = min(MAX_POLLERS, 5 + step * math.floor(minutes_of_backlog))
    return pollers if limit is None else min(pollers, limit)


def push_concurrency(requests_per_second: float, average_duration_s: float) -> float:
    """Average concurrency of directly invoked or pushed requests: rate x duration."""
    if requests_per_second < 0 or average_duration_s < 0:
        raise ValueError("rate and duration must be >= 0")
    return requests_per_second * average_duration_s

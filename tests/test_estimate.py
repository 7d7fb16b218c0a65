"""The seminar's three concurrency rules (S1.10.4), each checked against a simulation."""

from __future__ import annotations

import pytest

import lambdalab as ll
from lambdalab.estimate import push_concurrency, sqs_concurrency, stream_concurrency


def test_stream_rule_shards_times_parallelization() -> None:
    for shards, factor in ((1, 1), (4, 1), (3, 2)):
        aws = ll.Lambda(ll.Simulation(seed=shards))
        stream = aws.create_stream("s", shard_count=shards)
        aws.create_function("f", duration="const:5", timeout=10)
        aws.create_event_source_mapping(
            EventSourceArn=stream.arn,
            FunctionName="f",
            StartingPosition="LATEST",
            BatchSize=10,
            ParallelizationFactor=factor,
        )
        for n in range(2000):
            stream.put_record(b"x", partition_key=f"key-{n}")
        aws.sim.run(until=3)
        assert aws.concurrency.total_busy == stream_concurrency(shards, factor)


@pytest.mark.parametrize(("era", "after_one_minute"), [("today", 305), ("2019", 65)])
def test_sqs_rule_pollers_grow_with_the_backlog(era: str, after_one_minute: int) -> None:
    aws = ll.Lambda(ll.Simulation(), era=era, account_concurrency=3000)
    queue = aws.create_queue("q", visibility_timeout=900)
    aws.create_function("f", duration="const:100", timeout=120)
    aws.create_event_source_mapping(EventSourceArn=queue.arn, FunctionName="f", BatchSize=1)
    for _ in range(5000):
        queue.send_message(MessageBody="x")
    aws.sim.run(until=30)
    assert aws.concurrency.total_busy == sqs_concurrency(0.5, era) == 5
    aws.sim.run(until=90)
    assert aws.concurrency.total_busy == sqs_concurrency(1.5, era) == after_one_minute
    assert sqs_concurrency(60, era, limit=50) == 50


def test_push_rule_rate_times_duration() -> None:
    aws = ll.Lambda(ll.Simulation(seed=8), keep_records=False, logs=False)
    aws.create_function("f", duration="exp:0.4", init_duration="const:0")
    ll.poisson(aws, "f", 50, until=2000)
    aws.sim.run(until=2000)
    aws.recorder.finish(2000)
    measured = aws.recorder.mean_busy(2000)
    assert measured == pytest.approx(push_concurrency(50, 0.4), rel=0.03)


def test_rules_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        stream_concurrency(0)
    with pytest.raises(ValueError):
        stream_concurrency(2, 11)
    with pytest.raises(ValueError):
        sqs_concurrency(-1)
    with pytest.raises(ValueError):
        push_concurrency(-1, 1)

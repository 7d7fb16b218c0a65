"""The ledger: every event ends in exactly one place."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lambdalab as ll
from lambdalab.accounting import PLACES, Ledger


def test_ledger_counts_and_refuses_double_settlement() -> None:
    ledger = Ledger()
    ledger.enter("a", "async", "f", 0.0)
    ledger.enter("b", "async", "f", 0.0)
    ledger.settle("a", "processed", 1.0)
    assert ledger.counts() == {"processed": 1, "dead_lettered": 0, "destination": 0, "dropped": 0, "in_flight": 1}
    with pytest.raises(ValueError, match="settled twice"):
        ledger.settle("a", "dropped", 2.0)
    with pytest.raises(ValueError, match="entered twice"):
        ledger.enter("b", "async", "f", 0.0)
    with pytest.raises(ValueError, match="unknown final place"):
        ledger.settle("b", "lost", 2.0)
    frame = ledger.frame()
    assert list(frame.place) == ["processed", "in_flight"]


def test_events_still_queued_when_the_run_stops_are_in_flight() -> None:
    aws = ll.Lambda(ll.Simulation())
    queue = aws.create_queue("q")
    aws.create_function("f", duration="const:1", timeout=5)
    aws.create_event_source_mapping(EventSourceArn=queue.arn, FunctionName="f", BatchSize=1)
    for _ in range(20):
        queue.send_message(MessageBody="x")
    aws.sim.run(until=0.5)
    counts = aws.ledger.counts()
    assert counts["in_flight"] == 20 and sum(counts.values()) == 20
    aws.sim.run()
    assert aws.ledger.counts()["processed"] == 20


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 1000),
    error_rate=st.sampled_from([0.0, 0.3, 1.0]),
    messages=st.integers(1, 40),
    max_receive=st.integers(1, 4),
    batch=st.integers(1, 10),
    reserved=st.one_of(st.none(), st.integers(1, 3)),
)
def test_sqs_messages_are_never_lost_or_settled_twice(
    seed: int, error_rate: float, messages: int, max_receive: int, batch: int, reserved: int | None
) -> None:
    aws = ll.Lambda(ll.Simulation(seed=seed))
    dlq = aws.create_queue("dlq")
    queue = aws.create_queue("q", visibility_timeout=10, dead_letter_queue=dlq, max_receive_count=max_receive)
    aws.create_function("f", duration="exp:0.5", timeout=5, error_rate=error_rate, reserved_concurrency=reserved)
    aws.create_event_source_mapping(EventSourceArn=queue.arn, FunctionName="f", BatchSize=batch)
    for n in range(messages):
        aws.sim.at(n * 0.1, lambda: queue.send_message(MessageBody="m"))
    aws.sim.run()
    counts = aws.ledger.counts()
    assert counts["in_flight"] == 0 and counts["processed"] + counts["dead_lettered"] == messages
    assert len(dlq) == counts["dead_lettered"] and len(queue) == 0
    if error_rate == 1.0:
        assert counts["dead_lettered"] == messages
    assert set(aws.events().place) <= set(PLACES)

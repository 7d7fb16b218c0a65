"""The execution environment's state machine: one table, illegal moves raise."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambdalab.lifecycle import TRANSITIONS, EnvState, ExecutionEnvironment, IllegalTransition


def test_the_documented_paths_are_legal() -> None:
    on_demand = [
        EnvState.INITIALIZING,
        EnvState.INVOKING,
        EnvState.IDLE,
        EnvState.INVOKING,
        EnvState.IDLE,
        EnvState.SHUT_DOWN,
    ]
    env = ExecutionEnvironment("e1", "f", 0.0)
    for state in on_demand:
        env.to(state)
    provisioned = ExecutionEnvironment("e2", "f", 0.0, provisioned=True)
    for state in (EnvState.INITIALIZING, EnvState.IDLE, EnvState.INVOKING, EnvState.SHUT_DOWN):
        provisioned.to(state)


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        ([], EnvState.INVOKING),  # no handler before INIT
        ([EnvState.INITIALIZING, EnvState.INVOKING], EnvState.INITIALIZING),  # INIT runs once
        ([EnvState.SHUT_DOWN], EnvState.IDLE),  # nothing after shutdown
        ([EnvState.INITIALIZING, EnvState.IDLE], EnvState.IDLE),
    ],
)
def test_illegal_transitions_raise(path: list[EnvState], bad: EnvState) -> None:
    env = ExecutionEnvironment("e", "f", 0.0)
    for state in path:
        env.to(state)
    with pytest.raises(IllegalTransition, match=f"-> {bad.value}"):
        env.to(bad)


@given(st.lists(st.sampled_from(list(EnvState)), max_size=30))
def test_any_sequence_is_accepted_exactly_when_the_table_allows_it(steps: list[EnvState]) -> None:
    env = ExecutionEnvironment("e", "f", 0.0)
    for state in steps:
        legal = state in TRANSITIONS[env.state]
        before = env.state
        if legal:
            env.to(state)
            assert env.state is state
        else:
            with pytest.raises(IllegalTransition):
                env.to(state)
            assert env.state is before


def test_busy_states() -> None:
    env = ExecutionEnvironment("e", "f", 0.0)
    assert env.busy
    env.to(EnvState.INITIALIZING)
    env.to(EnvState.IDLE)
    assert not env.busy

"""Duration distributions and their command-line form."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from lambdalab import Dist
from lambdalab.distributions import MAX_SECONDS


@pytest.mark.parametrize(
    ("text", "mean"),
    [("const:0.2", 0.2), ("exp:0.5", 0.5), ("lognormal:1,0.5", 1.1331484530668263), ("uniform:1,3", 2.0), ("0.3", 0.3)],
)
def test_parse_and_mean(text: str, mean: float) -> None:
    dist = Dist.parse(text)
    assert dist.mean == pytest.approx(mean)
    rng = random.Random(1)
    samples = [dist.sample(rng) for _ in range(20_000)]
    assert min(samples) >= 0
    assert statistics.fmean(samples) == pytest.approx(mean, rel=0.03)


@pytest.mark.parametrize(
    "text", ["exp", "exp:", "exp:a", "uniform:3,1", "gamma:1", "lognormal:0,1", "const:-1", "exp:1,2"]
)
def test_bad_forms_say_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match=r"const|exp|uniform|lognormal|median|A <= B|>= 0"):
        Dist.parse(text)


def test_round_trip() -> None:
    for text in ("const:0.2", "exp:0.5", "lognormal:1,0.5", "uniform:1,3"):
        assert str(Dist.parse(text)) == text


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ("lognormal:1,1000", ValueError, "SIGMA must be at most 10"),
        ("lognormal:1,10.5", ValueError, "SIGMA must be at most 10"),
        ("const:1e10", ValueError, "at most 1e9 s"),
        ("uniform:0,2e9", ValueError, "at most 1e9 s"),
        ("exp:1e400", ValueError, "finite"),
        ("exp:nan", ValueError, "finite"),
        (10**400, ValueError, "at most 1e9 s"),
        (float("inf"), ValueError, "finite"),
        (None, TypeError, "a distribution is a string"),
        (True, TypeError, "a distribution is a string"),
        ([1], TypeError, "a distribution is a string"),
    ],
)
def test_parameters_that_would_overflow_are_refused_up_front(value: object, error: type, message: str) -> None:
    """lognormal:1,1000 once passed and then raised OverflowError from inside a simulation (issue 8)."""
    with pytest.raises(error, match=message):
        Dist.parse(value)  # type: ignore[arg-type]


def test_wrong_parameter_types_are_a_type_error() -> None:
    with pytest.raises(TypeError, match="numbers of seconds"):
        Dist("const", "1")  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["lognormal:1,10", "lognormal:1e9,10", "exp:1e9", "exp:1e8", "uniform:0,1e9"])
def test_the_widest_distributions_draw_finite_values_cut_at_the_cap(text: str) -> None:
    dist = Dist.parse(text)
    rng = random.Random(3)
    draws = [dist.sample(rng) for _ in range(20_000)]
    assert all(0 <= d <= MAX_SECONDS for d in draws)
    assert math.isfinite(dist.mean)
    assert dist.may_exceed_cap == (text != "uniform:0,1e9")


def test_the_cap_is_out_of_the_way_of_ordinary_distributions() -> None:
    for text in ("const:0.2", "exp:0.5", "lognormal:1,0.5", "lognormal:0.3,2", "uniform:1,3", "exp:1e7"):
        assert not Dist.parse(text).may_exceed_cap

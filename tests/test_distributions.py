"""Duration distributions and their command-line form."""

from __future__ import annotations

import random
import statistics

import pytest

from lambdalab import Dist


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

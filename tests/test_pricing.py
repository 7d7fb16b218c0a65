"""lambdalab.pricing against hand-computed bills from AWS's published prices."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lambdalab as ll
from lambdalab import pricing


def test_billed_duration_rounds_up_to_the_era_unit() -> None:
    assert pricing.billed_duration_ms(15.74, 1) == 16
    assert pricing.billed_duration_ms(15.74, 100) == 100
    assert pricing.billed_duration_ms(100, 100) == 100
    assert pricing.billed_duration_ms(100.2, 100) == 200
    assert pricing.billed_duration_ms(0, 1) == 1  # at least one unit


def test_today_bill_itemised_by_hand() -> None:
    # 3 M requests of 120 ms at 512 MB: 180,000 GB-s, inside the 400,000 GB-s free tier.
    bill = ll.lambda_cost(ll.LambdaWorkload(3e6, 120, 512), "today")
    assert bill.billed_duration_ms == 120
    assert bill.gb_seconds == pytest.approx(3e6 * 0.120 * 0.5)
    assert bill.request_cost == pytest.approx(0.60)
    assert bill.compute_cost == pytest.approx(180_000 * 0.0000166667)
    assert bill.total == pytest.approx(0.40)  # 2 M requests above the free million


def test_2019_bill_uses_100_ms_units_and_2019_price() -> None:
    bill = ll.lambda_cost(ll.LambdaWorkload(10e6, 120, 1024), "2019", free_tier=False)
    assert bill.billed_duration_ms == 200
    assert bill.gb_seconds == pytest.approx(2e6)
    assert bill.total == pytest.approx(2.0 + 2e6 * 0.00001667)


def test_free_tier_covers_a_small_workload_entirely() -> None:
    assert ll.lambda_cost(ll.LambdaWorkload(1e6, 100, 128)).total == pytest.approx(0)


def test_arm64_is_cheaper_today_and_absent_in_2019() -> None:
    x86 = ll.lambda_cost(ll.LambdaWorkload(1e8, 100, 1024, "x86_64"))
    arm = ll.lambda_cost(ll.LambdaWorkload(1e8, 100, 1024, "arm64"))
    assert arm.total < x86.total
    assert arm.compute_cost / x86.compute_cost == pytest.approx(0.0000133334 / 0.0000166667)
    with pytest.raises(ValueError, match="September 2021"):
        ll.lambda_cost(ll.LambdaWorkload(1e6, 100, 1024, "arm64"), "2019")


def test_volume_tiers_apply_above_six_billion_gb_seconds() -> None:
    sheet = ll.price_sheet("today")
    assert pricing.compute_cost(6e9, "x86_64", sheet) == pytest.approx(6e9 * 0.0000166667)
    assert pricing.compute_cost(16e9, "x86_64", sheet) == pytest.approx(
        6e9 * 0.0000166667 + 9e9 * 0.000015 + 1e9 * 0.0000133334
    )


def test_init_is_billed_today_on_cold_starts_only() -> None:
    cold = ll.LambdaWorkload(1000, 10, 1024, cold_starts=100, init_duration_ms=240.5)
    today = ll.lambda_cost(cold, "today", free_tier=False)
    assert today.gb_seconds == pytest.approx((900 * 10 + 100 * 251) / 1000)
    then = ll.lambda_cost(cold, "2019", free_tier=False)
    assert then.gb_seconds == pytest.approx(1000 * 100 / 1000)


def test_ephemeral_storage_above_512_mb_is_billed_today() -> None:
    base = ll.lambda_cost(ll.LambdaWorkload(1e6, 1000, 1024), free_tier=False)
    big = ll.lambda_cost(ll.LambdaWorkload(1e6, 1000, 1024, ephemeral_storage_mb=10240), free_tier=False)
    assert big.storage_cost == pytest.approx(1e6 * 1.0 * (9728 / 1024) * 0.0000000309)
    assert big.total - base.total == pytest.approx(big.storage_cost)
    with pytest.raises(ValueError, match="512-512"):
        ll.lambda_cost(ll.LambdaWorkload(1e6, 100, 1024, ephemeral_storage_mb=1024), "2019")


@pytest.mark.parametrize(
    ("memory", "era", "error", "text"),
    [
        (64, "today", ll.ValidationException, "greater than or equal to 128"),
        (10_241, "today", ll.ValidationException, "less than or equal to 10240"),
        (4096, "2019", ll.ValidationException, "less than or equal to 3008"),
        (200, "2019", ll.InvalidParameterValueException, "64 MB steps"),
        (1536.5, "today", ll.InvalidParameterValueException, "whole number"),
    ],
)
def test_memory_out_of_range_for_the_era_is_refused(memory: int, era: str, error: type, text: str) -> None:
    with pytest.raises(error, match=text):
        ll.lambda_cost(ll.LambdaWorkload(1e6, 100, memory), era)


def test_accepted_memory_sizes() -> None:
    for memory in (128, 192, 3008):
        ll.lambda_cost(ll.LambdaWorkload(1, 1, memory), "2019")
    for memory in (128, 1769, 10_240):
        ll.lambda_cost(ll.LambdaWorkload(1, 1, memory), "today")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"requests": -1, "duration_ms": 100},
        {"requests": 1, "duration_ms": -5},
        {"requests": math.nan, "duration_ms": 100},
        {"requests": math.inf, "duration_ms": 100},
        {"requests": 10, "duration_ms": 100, "cold_starts": 11},
    ],
)
def test_negative_or_impossible_traffic_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        ll.LambdaWorkload(**kwargs)  # type: ignore[arg-type]


def test_unknown_era_and_architecture_say_what_to_use() -> None:
    with pytest.raises(ValueError, match="'2019'"):
        ll.price_sheet("2020")
    with pytest.raises(ValueError, match="x86_64"):
        ll.lambda_cost(ll.LambdaWorkload(1, 1, 128, "sparc"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ll.LambdaWorkload("many", 1)  # type: ignore[arg-type]


def test_fleet_is_sized_for_the_peak_with_a_redundant_floor() -> None:
    idle = ll.fleet_cost(0, 100)
    assert idle.instances == 2
    assert idle.total == pytest.approx(2 * 0.096 * 730)
    # 1,000 req/s average, peak x2 = 2,000 req/s, 100 ms: 200 in flight, 1 vCPU each,
    # 2 vCPUs x 0.5 utilisation = 1 per instance -> 200 instances.
    busy = ll.fleet_cost(ll.requests_per_month(1000), 100, peak_to_average=2, target_utilisation=0.5)
    assert busy.peak_concurrency == pytest.approx(200)
    assert busy.instances == 200


def test_fleet_with_lambda_cpu_share() -> None:
    assert ll.lambda_vcpus(1769) == pytest.approx(1)
    fleet = ll.fleet_cost(
        ll.requests_per_month(100),
        1000,
        peak_to_average=1,
        target_utilisation=1,
        vcpu_per_request=ll.lambda_vcpus(1769 / 2),
    )
    assert fleet.instances == 25  # 100 in flight x 0.5 vCPU / 2 vCPUs


@pytest.mark.parametrize(
    "kwargs",
    [
        {"peak_to_average": 0.5},
        {"target_utilisation": 0},
        {"target_utilisation": 1.5},
        {"vcpu_per_request": 0},
        {"min_instances": 0},
    ],
)
def test_fleet_refuses_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        ll.fleet_cost(1e6, 100, **kwargs)  # type: ignore[arg-type]


traffic = st.floats(min_value=0, max_value=1e11, allow_nan=False)
durations = st.floats(min_value=0, max_value=900_000, allow_nan=False)
memories = st.integers(min_value=128, max_value=10_240)


@given(traffic, traffic, durations, memories)
def test_bill_grows_with_traffic_and_is_never_negative(a: float, b: float, d: float, m: int) -> None:
    low, high = sorted((a, b))
    bill_low = ll.lambda_cost(ll.LambdaWorkload(low, d, m)).total
    bill_high = ll.lambda_cost(ll.LambdaWorkload(high, d, m)).total
    assert -1e-9 <= bill_low <= bill_high + 1e-9 * max(1.0, bill_high)


@given(traffic, durations, st.integers(min_value=0, max_value=45).map(lambda k: 128 + 64 * k))
def test_2019_never_bills_less_compute_than_today(n: float, d: float, m: int) -> None:
    job = ll.LambdaWorkload(n, d, m)
    then, now = ll.lambda_cost(job, "2019"), ll.lambda_cost(job, "today")
    assert then.gb_seconds >= now.gb_seconds * (1 - 1e-12)
    assert then.billed_duration_ms % 100 == 0
    assert 0 <= then.billed_duration_ms - d < 100 or then.billed_duration_ms == 100


@given(traffic, durations)
def test_fleet_never_runs_below_its_floor_and_covers_the_peak(n: float, d: float) -> None:
    fleet = ll.fleet_cost(n, d)
    assert fleet.instances >= 2
    assert fleet.instances * 2 * 0.7 >= fleet.peak_concurrency * (1 - 1e-9)


# -- provisioned concurrency ------------------------------------------------------------------------------


@pytest.mark.parametrize("era", ["2019", "today"])
def test_provisioned_concurrency_matches_awss_pricing_example(era: str) -> None:
    """https://aws.amazon.com/lambda/pricing/ (Provisioned Concurrency, example 1): 1,024 MB, concurrency 1,000
    configured for two hours, 1.2M requests of 1 s: $30.00 provisioned, $11.67 duration, $0.24 requests.
    Launch prices (December 2019): $0.000004167 and $0.000009722 per GB-s
    (https://aws.amazon.com/blogs/aws/new-provisioned-concurrency-for-lambda-functions/)."""
    workload = ll.LambdaWorkload(requests=1.2e6, duration_ms=1000, memory_mb=1024)
    bill = ll.lambda_cost(workload, era, provisioned=ll.ProvisionedConcurrency(1000, hours=2))
    assert bill.provisioned_gb_seconds == 7_200_000 and bill.requests_provisioned == 1.2e6
    assert round(bill.provisioned_cost, 2) == 30.00
    assert round(bill.compute_cost, 2) == 11.67 and round(bill.request_cost, 2) == 0.24
    assert bill.free_tier_credit == 0  # no free tier for a function with provisioned concurrency
    assert round(bill.total, 2) == 41.91
    rates = ll.price_sheet(era).provisioned[ll.Architecture.X86_64]
    assert (rates.usd_per_gb_second, rates.usd_per_gb_second_duration) == (
        (0.000004167, 0.000009722) if era == "2019" else (0.0000041667, 0.0000097222)
    )


def test_provisioned_concurrency_on_arm64_and_its_five_minute_steps() -> None:
    """Today's arm64 rates: $0.0000033334 per GB-s provisioned, $0.0000077778 per GB-s duration; the configured
    time is rounded up to five minutes (https://aws.amazon.com/lambda/pricing/)."""
    rates = ll.price_sheet("today").provisioned[ll.Architecture.ARM64]
    assert (rates.usd_per_gb_second, rates.usd_per_gb_second_duration) == (0.0000033334, 0.0000077778)
    workload = ll.LambdaWorkload(requests=0, duration_ms=100, memory_mb=2048, architecture="arm64")
    bill = ll.lambda_cost(workload, provisioned=ll.ProvisionedConcurrency(10, hours=1 / 60))  # one minute
    assert bill.provisioned_gb_seconds == 10 * 2 * 300
    assert bill.provisioned_cost == pytest.approx(6000 * 0.0000033334)
    with pytest.raises(ValueError, match="arm64"):
        ll.lambda_cost(
            ll.LambdaWorkload(1, 100, architecture="arm64"), "2019", provisioned=ll.ProvisionedConcurrency(1)
        )


def test_requests_beyond_provisioned_concurrency_run_on_demand() -> None:
    """Requests above the configured concurrency are billed at the on-demand rate
    (https://aws.amazon.com/lambda/pricing/)."""
    hour = ll.LambdaWorkload(requests=36_000, duration_ms=1000, memory_mb=1024)  # 10 in flight for an hour
    pc = ll.ProvisionedConcurrency(4, hours=1)
    bill = ll.lambda_cost(hour, provisioned=pc)
    assert bill.requests_provisioned == 4 * 3600  # four environments busy back to back
    on_demand = (36_000 - 14_400) * 1.0 * 0.0000166667
    assert bill.compute_cost == pytest.approx(14_400 * 0.0000097222 + on_demand)
    assert (
        ll.lambda_cost(
            hour, provisioned=ll.ProvisionedConcurrency(4, hours=1, requests_served=1000)
        ).requests_provisioned
        == 1000
    )
    with pytest.raises(ValueError, match="requests_served"):
        ll.lambda_cost(hour, provisioned=ll.ProvisionedConcurrency(4, hours=1, requests_served=20_000))
    for bad in ({"environments": 0}, {"environments": 1, "hours": 800}, {"environments": 1, "requests_served": -1}):
        with pytest.raises(ValueError):
            ll.ProvisionedConcurrency(**bad)
    assert ll.lambda_cost(hour).provisioned_cost == 0  # without it, the bill is as before

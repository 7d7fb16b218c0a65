"""Lambda's quotas in two presets: the seminar's (2019) and today's.

Every limit that the emulator and the cost model check comes from here, so a
chapter can switch eras with one argument and show what changed.

Sources:
- today: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
  and https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
- 10,240 MB in 1 MB steps (Dec 2020):
  https://aws.amazon.com/about-aws/whats-new/2020/12/aws-lambda-supports-10gb-memory-6-vcpu-cores-lambda-functions/
- configurable /tmp up to 10,240 MB (Mar 2022):
  https://aws.amazon.com/blogs/aws/aws-lambda-now-supports-up-to-10-gb-ephemeral-storage/
- scaling: https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html (today) and
  https://aws.amazon.com/blogs/aws/aws-lambda-functions-now-scale-12-times-faster-when-handling-high-volume-requests/
  (the 2019 rule: an initial burst of 3,000, 1,000 or 500 by Region, then +500 a minute)
- payloads: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
  (async payload raised from 256 KB to 1 MB in October 2025)
- 2019: the seminar's notes (128-3008 MB in 64 MB steps, 900 s) and the limits
  page as archived in 2019.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .errors import InvalidParameterValueException, check_whole_range


class Era(str, Enum):
    """Which preset of Lambda's documented behaviour to follow."""

    SEMINAR_2019 = "2019"
    TODAY = "today"


@dataclass(frozen=True)
class Quotas:
    """Function-configuration quotas of one era."""

    era: Era
    memory_min_mb: int
    memory_max_mb: int
    memory_step_mb: int
    timeout_max_s: int
    ephemeral_storage_min_mb: int
    ephemeral_storage_max_mb: int
    account_concurrency: int
    sync_payload_bytes: int
    """Request and response of a synchronous invocation (6 MB)."""
    async_payload_bytes: int
    """Request of an asynchronous invocation (256 KB, then 1 MB from October 2025)."""
    scaling_per_function: bool
    """True since November 2023: each function scales on its own."""
    burst_concurrency: int
    """2019: environments available at once per account (3,000 / 1,000 / 500 by Region)."""
    scaling_step: int
    """Environments added per scaling period: +500 (2019, a minute) or +1,000 (today, 10 s)."""
    scaling_period_s: float
    init_cap_s: float | None
    """On-demand INIT phase limit (10 s); ``None`` where the era documents none."""
    mb_per_vcpu: int
    """The memory that buys one vCPU: 1,792 MB in 2019's documentation, 1,769 MB since December 2020
    (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html; the 10 GB / 6 vCPU launch,
    https://aws.amazon.com/about-aws/whats-new/2020/12/aws-lambda-supports-10gb-memory-6-vcpu-cores-lambda-functions/)."""
    unreserved_min: int = 100
    env_vars_max_bytes: int = 4096
    tail_log_bytes: int = 4096
    zip_max_bytes: int = 50 * 1024 * 1024
    unzipped_max_bytes: int = 250 * 1024 * 1024

    def check_memory(self, memory_mb: int) -> None:
        """Raise what AWS raises for a ``MemorySize`` this era does not accept."""
        hint = (
            "3,008 MB was the 2019 maximum; Lambda allows up to 10,240 MB since December 2020 (era='today')."
            if self.era is Era.SEMINAR_2019
            else None
        )
        check_whole_range(memory_mb, "memorySize", "MemorySize (MB)", self.memory_min_mb, self.memory_max_mb, hint)
        if (memory_mb - self.memory_min_mb) % self.memory_step_mb:
            raise InvalidParameterValueException(
                f"MemorySize {memory_mb} MB is not allowed in {self.era.value}: memory was set in "
                f"{self.memory_step_mb} MB steps from {self.memory_min_mb} MB (e.g. "
                f"{_nearest_step(memory_mb, self)} MB)."
            )


def _nearest_step(memory_mb: int, q: Quotas) -> int:
    steps = round((memory_mb - q.memory_min_mb) / q.memory_step_mb)
    return min(q.memory_max_mb, q.memory_min_mb + steps * q.memory_step_mb)


QUOTAS_2019 = Quotas(
    era=Era.SEMINAR_2019,
    memory_min_mb=128,
    memory_max_mb=3008,
    memory_step_mb=64,
    timeout_max_s=900,
    ephemeral_storage_min_mb=512,
    ephemeral_storage_max_mb=512,
    account_concurrency=1000,
    sync_payload_bytes=6 * 1024 * 1024,
    async_payload_bytes=256 * 1024,
    scaling_per_function=False,
    burst_concurrency=3000,
    scaling_step=500,
    scaling_period_s=60.0,
    init_cap_s=None,
    mb_per_vcpu=1792,
)

QUOTAS_TODAY = Quotas(
    era=Era.TODAY,
    memory_min_mb=128,
    memory_max_mb=10_240,
    memory_step_mb=1,
    timeout_max_s=900,
    ephemeral_storage_min_mb=512,
    ephemeral_storage_max_mb=10_240,
    account_concurrency=1000,
    sync_payload_bytes=6 * 1024 * 1024,
    async_payload_bytes=1024 * 1024,
    scaling_per_function=True,
    burst_concurrency=1000,
    scaling_step=1000,
    scaling_period_s=10.0,
    init_cap_s=10.0,
    mb_per_vcpu=1769,
)

BURST_BY_REGION_2019 = {
    "us-east-1": 3000,
    "us-west-2": 3000,
    "eu-west-1": 3000,
    "ap-northeast-1": 1000,
    "eu-central-1": 1000,
}
"""2019's initial burst concurrency by Region; 500 in every other Region.

The scaling page of 2019 (https://docs.aws.amazon.com/lambda/latest/dg/scaling.html, "Initial
Concurrency Burst Limits"): 3000 in US West (Oregon), US East (N. Virginia) and EU (Ireland); 1000
in Asia Pacific (Tokyo) and EU (Frankfurt); 500 in other Regions. US East (Ohio) joined the 1,000
group only later (https://docs.aws.amazon.com/lambda/latest/dg/burst-concurrency.html lists it),
so in 2019 it had 500."""

RESERVED_ENV_VARS = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
"""Environment variables a function cannot set
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime)."""


def quotas(era: Era | str) -> Quotas:
    """The quota preset of ``era`` (``"2019"`` or ``"today"``)."""
    try:
        era = Era(era)
    except ValueError:
        raise ValueError(f"Unknown era {era!r}: use '2019' (the seminar's) or 'today'.") from None
    return QUOTAS_2019 if era is Era.SEMINAR_2019 else QUOTAS_TODAY

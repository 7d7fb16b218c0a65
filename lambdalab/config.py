"""A function's configuration, validated the way the Lambda API validates CreateFunction.

Field names follow the API (``FunctionName``, ``MemorySize``, ``Timeout``, ...)
in Python's spelling. :func:`validate` raises what AWS raises for a bad value,
with a message that says what to fix.
Source: https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
and https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from .errors import (
    InvalidParameterValueException,
    check_whole_range,
    constraint_error,
)
from .pricing import Architecture
from .quotas import RESERVED_ENV_VARS, Era, Quotas
from .sdk import CREATE_FUNCTION_2019, check_names

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"

SOURCE_RUNTIMES = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"
SOURCE_2019 = "https://docs.aws.amazon.com/lambda/latest/dg/runtime-support-policy.html (as archived in 2019)"
SOURCE_JAVA_AL2023 = "https://aws.amazon.com/about-aws/whats-new/2026/07/aws-lambda-java-amazon-linux/"
SOURCE_RUBY4 = "https://aws.amazon.com/about-aws/whats-new/2026/04/aws-lambda-adds-ruby/"


@dataclass(frozen=True)
class RuntimeDates:
    """One managed runtime's life on Lambda: released, deprecated, and the dates from which CreateFunction and
    UpdateFunctionConfiguration refuse it (``None``: none announced). ``source`` says where the dates come from."""

    runtime: str
    released: date
    deprecated: date | None
    block_create: date | None
    block_update: date | None
    source: str = SOURCE_RUNTIMES


def _d(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _row(
    runtime: str,
    released: str,
    deprecated: str | None,
    create: str | None,
    update: str | None,
    source: str = SOURCE_RUNTIMES,
) -> RuntimeDates:
    return RuntimeDates(runtime, date.fromisoformat(released), _d(deprecated), _d(create), _d(update), source)


RUNTIME_DATES: tuple[RuntimeDates, ...] = (
    # Deprecation and block dates: the runtimes page (supported and deprecated tables) as of August 2026, as
    # mirrored by AWS's cfn-lint (src/cfnlint/data/AdditionalSpecs/LmbdRuntimeLifecycle.json); the ones blocked by
    # 2019 as the 2019 runtime support policy page gave them. Release dates: AWS's launch announcements.
    _row("nodejs4.3", "2016-04-07", "2018-04-30", "2018-12-15", "2019-04-30", SOURCE_2019),
    _row("nodejs6.10", "2017-03-22", "2019-04-30", "2019-04-30", "2019-08-12", SOURCE_2019),
    _row("nodejs8.10", "2018-04-02", "2019-12-31", "2020-01-06", "2020-02-03", SOURCE_2019),
    _row("nodejs10.x", "2019-05-13", "2021-07-30", "2021-07-30", "2022-02-14"),
    _row("nodejs12.x", "2019-11-18", "2023-03-31", "2023-03-31", "2023-04-30"),
    _row("nodejs14.x", "2021-02-03", "2023-12-04", "2024-01-09", "2027-03-03"),
    _row("nodejs16.x", "2022-05-12", "2024-06-12", "2027-02-01", "2027-03-03"),
    _row("nodejs18.x", "2022-11-18", "2025-09-01", "2027-02-01", "2027-03-03"),
    _row("nodejs20.x", "2023-11-15", "2026-04-30", "2027-02-01", "2027-03-03"),
    _row("nodejs22.x", "2024-11-22", "2027-04-30", "2027-06-01", "2027-07-01"),
    _row("nodejs24.x", "2025-11-25", "2028-04-30", "2028-06-01", "2028-07-01"),
    _row("python2.7", "2015-10-08", "2021-07-15", "2021-07-15", "2022-05-30"),
    _row("python3.6", "2017-04-18", "2022-07-18", "2022-07-18", "2022-08-29"),
    _row("python3.7", "2018-11-19", "2023-12-04", "2024-01-09", "2027-03-03"),
    _row("python3.8", "2019-11-18", "2024-10-14", "2027-02-01", "2027-03-03"),
    _row("python3.9", "2021-08-16", "2025-12-15", "2027-02-01", "2027-03-03"),
    _row("python3.10", "2023-04-18", "2026-10-31", "2027-02-01", "2027-03-03"),
    _row("python3.11", "2023-07-27", "2027-06-30", "2027-07-31", "2027-08-31"),
    _row("python3.12", "2023-12-14", "2028-10-31", "2028-11-30", "2029-01-10"),
    _row("python3.13", "2024-11-13", "2029-06-30", "2029-07-31", "2029-08-31"),
    _row("python3.14", "2025-11-18", "2029-06-30", "2029-07-31", "2029-08-31"),
    _row("java8", "2015-06-15", "2024-01-08", "2024-02-08", "2027-03-03"),
    _row("java8.al2", "2020-08-12", "2027-06-30", "2027-07-31", "2027-08-31"),
    _row("java11", "2019-11-19", "2027-06-30", "2027-07-31", "2027-08-31"),
    _row("java17", "2023-04-27", "2027-06-30", "2027-07-31", "2027-08-31"),
    _row("java21", "2023-11-16", "2029-06-30", "2029-07-31", "2029-08-31"),
    _row("java25", "2025-11-14", "2029-06-30", "2029-07-31", "2029-08-31"),
    # Java 8, 11 and 17 on Amazon Linux 2023, after Amazon Linux 2's end of life (30 June 2026): July 2026
    # (https://aws.amazon.com/about-aws/whats-new/2026/07/aws-lambda-java-amazon-linux/); deprecation 30 June
    # 2029 as the runtimes page gives it; its block dates were not found, so none is modelled.
    _row("java8.al2023", "2026-07-20", "2029-06-30", None, None, SOURCE_JAVA_AL2023),
    _row("java11.al2023", "2026-07-20", "2029-06-30", None, None, SOURCE_JAVA_AL2023),
    _row("java17.al2023", "2026-07-20", "2029-06-30", None, None, SOURCE_JAVA_AL2023),
    _row("dotnetcore1.0", "2016-12-01", "2019-06-27", "2019-06-27", "2019-07-31", SOURCE_2019),
    _row("dotnetcore2.0", "2018-01-15", "2019-04-30", "2019-04-30", "2019-05-30", SOURCE_2019),
    _row("dotnetcore2.1", "2018-07-09", "2022-01-05", "2022-01-05", "2022-04-13"),
    _row("dotnet6", "2022-02-24", "2024-12-20", "2027-02-01", "2027-03-03"),
    _row("dotnet8", "2024-02-22", "2026-11-10", "2027-02-01", "2027-03-03"),
    _row("dotnet10", "2026-01-08", "2028-11-14", "2028-12-14", "2029-01-15"),
    _row("ruby2.5", "2018-11-29", "2021-07-30", "2021-07-30", "2022-03-31"),
    _row("ruby2.7", "2020-02-19", "2023-12-07", "2024-01-09", "2027-03-03"),
    _row("ruby3.2", "2023-06-07", "2026-03-31", "2027-02-01", "2027-03-03"),
    _row("ruby3.3", "2024-04-04", "2027-03-31", "2027-04-30", "2027-05-31"),
    _row("ruby3.4", "2025-03-27", "2028-03-31", "2028-04-30", "2028-05-31"),
    # April 2026 (https://aws.amazon.com/about-aws/whats-new/2026/04/aws-lambda-adds-ruby/; the day is the
    # roadmap issue's announcement, aws/aws-lambda-roadmap#29); its deprecation dates were not found.
    _row("ruby4.0", "2026-04-30", None, None, None, SOURCE_RUBY4),
    _row("go1.x", "2018-01-15", "2024-01-08", "2024-02-08", "2027-03-03"),
    _row("provided", "2018-11-29", "2024-01-08", "2024-02-08", "2027-03-03"),
    _row("provided.al2", "2020-08-12", "2026-07-31", "2027-02-01", "2027-03-03"),
    _row("provided.al2023", "2023-06-12", "2029-06-30", "2029-07-31", "2029-08-31"),
)
"""Every zip-file runtime lambdalab knows, with its dates (container-only ones, such as ``dotnet9``, are left out)."""

ERA_DATES = {Era.SEMINAR_2019: date(2019, 11, 20), Era.TODAY: date(2026, 12, 1)}
"""The day each era's runtime list is taken on: 2019's is after the November 2019 runtimes (``python3.8``,
``nodejs12.x``, ``java11``) and before the features the 2019 preset refuses (destinations, 25 November 2019;
provisioned concurrency, 3 December 2019); today is 1 December 2026."""

RUNTIME_INFO = {r.runtime: r for r in RUNTIME_DATES}


def _available(era: Era) -> tuple[str, ...]:
    day = ERA_DATES[era]
    return tuple(
        r.runtime for r in RUNTIME_DATES if r.released <= day and (r.block_create is None or day < r.block_create)
    )


RUNTIMES = {era: _available(era) for era in Era}
"""Runtimes accepted for new functions in each era: released by :data:`ERA_DATES` and not yet blocked
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html)."""

DEFAULT_RUNTIME = {Era.SEMINAR_2019: "python3.7", Era.TODAY: "python3.14"}
"""The era's Python: 2019's most used, ``python3.7``; today the newest, ``python3.14`` (November 2025)."""


def runtimes_table() -> list[dict[str, object]]:
    """:data:`RUNTIME_DATES` as rows (for a chapter's table), with whether each era accepts the runtime."""
    return [
        {
            "runtime": r.runtime,
            "released": r.released,
            "deprecated": r.deprecated,
            "block_create": r.block_create,
            "block_update": r.block_update,
            "2019": r.runtime in RUNTIMES[Era.SEMINAR_2019],
            "today": r.runtime in RUNTIMES[Era.TODAY],
            "source": r.source,
        }
        for r in RUNTIME_DATES
    ]


_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_ENV_KEY = re.compile(r"[a-zA-Z][a-zA-Z0-9_]+")
_ROLE = re.compile(r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+")


@dataclass(frozen=True)
class VpcConfig:
    """Subnets and security groups of a function attached to a VPC (S1.8, S2.3)."""

    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]


@dataclass(frozen=True)
class FunctionConfig:
    """What ``CreateFunction`` takes, less the code (see :mod:`lambdalab.code`)."""

    function_name: str
    handler: str = "lambda_function.lambda_handler"
    runtime: str | None = None
    """Default: the era's Python (``python3.7`` in 2019, ``python3.14`` today)."""
    architecture: Architecture = Architecture.X86_64
    memory_size: int = 128
    timeout: int = 3
    ephemeral_storage: int = 512
    environment: Mapping[str, str] = field(default_factory=dict)
    role: str = f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/lambda-execution-role"
    vpc_config: VpcConfig | None = None
    reserved_concurrency: int | None = None
    """``PutFunctionConcurrency`` at creation. Provisioned concurrency belongs to a published version or
    alias: :meth:`lambdalab.Lambda.put_provisioned_concurrency_config`."""
    region: str = DEFAULT_REGION
    """Set by the service that creates the function: the Region and account of its endpoint."""
    account_id: str = DEFAULT_ACCOUNT

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"


_DEFAULT_ROLE = FunctionConfig.role


def placed(config: FunctionConfig, region: str, account_id: str) -> FunctionConfig:
    """``config`` in the service's Region and account: a function's ARN (and the default role's)
    names the Region and account of the endpoint that created it, as
    ``arn:aws:lambda:<region>:<account>:function:<name>``
    (https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html)."""
    role = f"arn:aws:iam::{account_id}:role/lambda-execution-role" if config.role == _DEFAULT_ROLE else config.role
    return replace(config, region=region, account_id=account_id, role=role)


def with_defaults(config: FunctionConfig, quotas: Quotas) -> FunctionConfig:
    """``config`` with the era's defaults filled in."""
    return config if config.runtime is not None else replace(config, runtime=DEFAULT_RUNTIME[quotas.era])


LATER_FIELDS = {
    "architecture": ("Architectures", Architecture.X86_64, "came on 29 September 2021 (arm64, Graviton2)"),
    "ephemeral_storage": ("EphemeralStorage", 512, "came on 24 March 2022 (/tmp was 512 MB until then)"),
}
"""The fields whose CreateFunction parameter the 2019 SDK did not have: its name, the one value every 2019 function
had, and when it came (the botocore release that added it: 1.21.51 and 1.24.26;
https://aws.amazon.com/blogs/aws/aws-lambda-functions-powered-by-aws-graviton2-processor-run-your-functions-on-arm-and-get-up-to-34-better-price-performance/,
https://aws.amazon.com/blogs/aws/aws-lambda-now-supports-up-to-10-gb-ephemeral-storage/)."""


def check_era_parameters(config: FunctionConfig, era: Era) -> None:
    """In 2019, a field whose API parameter came later (:data:`LATER_FIELDS`) set to anything but the one value of
    the time is refused as the 2019 SDK refused the unknown parameter, before sending anything: botocore's
    ``ParamValidationError`` ``Unknown parameter in input: "EphemeralStorage", must be one of: FunctionName, ...``
    (one line per parameter), with when it came as lambdalab's hint. A :class:`FunctionConfig` cannot tell a
    field left at its default from one given it: the default counts as left out. Other later parameters
    (``PackageType``/``ImageConfig``, December 2020; ``SnapStart``, November 2022; ``LoggingConfig``, November
    2023) are not fields: ``FunctionConfig`` refuses them as unknown keywords."""
    if era is not Era.SEMINAR_2019:
        return
    later = [(name, when) for key, (name, default, when) in LATER_FIELDS.items() if getattr(config, key) != default]
    if later:
        check_names(
            dict.fromkeys(name for name, _ in later),
            CREATE_FUNCTION_2019,
            hint=" ".join(f"{name} {when}." for name, when in later) + " Leave it out in 2019, or use era='today'.",
        )


def validate(config: FunctionConfig, quotas: Quotas) -> None:
    """Raise the Lambda API's error for the first invalid value in ``config`` (first the SDK's own check of
    the era's parameters, :func:`check_era_parameters`)."""
    check_era_parameters(config, quotas.era)
    if not isinstance(config.function_name, str) or not _NAME.fullmatch(config.function_name):
        raise constraint_error(
            config.function_name,
            "functionName",
            "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+ (1 to 64 characters)",
        )
    check_runtime(config.runtime, quotas.era)
    if not config.handler or re.search(r"\s", config.handler) or len(config.handler) > 128:
        raise constraint_error(config.handler, "handler", "Member must satisfy regular expression pattern: [^\\s]+")
    try:
        Architecture(config.architecture)
    except ValueError:
        raise constraint_error(
            config.architecture, "architectures", "Member must satisfy enum value set: [x86_64, arm64]"
        ) from None
    quotas.check_memory(config.memory_size)
    _check_timeout(config.timeout, quotas)
    _check_storage(config.ephemeral_storage, quotas)
    check_environment(config.environment, quotas)
    if not isinstance(config.role, str) or not _ROLE.fullmatch(config.role):
        raise constraint_error(
            config.role,
            "role",
            "Member must satisfy regular expression pattern: "
            "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+",
        )
    if config.vpc_config is not None and not isinstance(config.vpc_config, VpcConfig):
        raise InvalidParameterValueException(f"VpcConfig must be a VpcConfig, not {config.vpc_config!r}.")
    if config.vpc_config is not None and not (config.vpc_config.subnet_ids and config.vpc_config.security_group_ids):
        raise InvalidParameterValueException("A VPC configuration needs at least one subnet and one security group.")
    if config.reserved_concurrency is not None and (
        isinstance(config.reserved_concurrency, bool)
        or not isinstance(config.reserved_concurrency, int)
        or config.reserved_concurrency < 0
    ):
        raise constraint_error(
            config.reserved_concurrency,
            "reservedConcurrentExecutions",
            "Member must have value greater than or equal to 0",
        )


def check_runtime(runtime: object, era: Era) -> None:
    """Refuse a runtime the era does not accept, as CreateFunction does. A runtime whose "Block function create"
    date has passed: ``InvalidParameterValueException`` with AWS's message, which named the newest runtime of the
    language until 2024 and has said "a supported runtime" since (quoted in GitHub issues: 2019
    ModusCreateOrg/lambda-redirector#14, 2024 aws-samples/amazon-dynamodb-labs#117, 2025
    vittorio-nardone/disposable_app#3). An identifier unknown in the era (not released yet, or never): the API
    model's enum check, a ``ValidationException``."""
    if runtime in RUNTIMES[era]:
        return
    day = ERA_DATES[era]
    info = RUNTIME_INFO.get(runtime) if isinstance(runtime, str) else None
    if info is None or info.released > day or info.block_create is None:
        known = [r.runtime for r in RUNTIME_DATES if r.released <= day]
        error = constraint_error(runtime, "runtime", f"Member must satisfy enum value set: [{', '.join(known)}]")
        if info is not None:
            error.hint = f"{runtime} came to Lambda on {info.released:%d %B %Y}, after this era."
        raise error
    if era is Era.TODAY:
        advice = "We recommend you use a supported runtime while creating or updating functions."
    else:
        family = info.runtime.rstrip("0123456789.x").split(".")[0]
        newest = [r for r in RUNTIMES[era] if r.rstrip("0123456789.x").split(".")[0] == family][-1:]
        advice = f"We recommend you use the new runtime ({newest[0] if newest else RUNTIMES[era][-1]}) while " + (
            "creating or updating functions."
        )
    raise InvalidParameterValueException(
        f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda "
        f"functions. {advice}",
        hint=f"{runtime}: function creation blocked since {info.block_create:%d %B %Y}.",
    )


def _check_timeout(timeout: int, quotas: Quotas) -> None:
    if isinstance(timeout, bool) or not isinstance(timeout, int):
        raise InvalidParameterValueException(f"Timeout must be a whole number of seconds, not {timeout!r}.")
    if timeout < 1:
        raise constraint_error(timeout, "timeout", "Member must have value greater than or equal to 1")
    if timeout > quotas.timeout_max_s:  # AWS's form; lambdalab's advice in the hint
        error = constraint_error(
            timeout, "timeout", f"Member must have value less than or equal to {quotas.timeout_max_s}"
        )
        error.hint = "15 minutes is the most: split the work, or move it to a service without that limit."
        raise error


def _check_storage(size: int, quotas: Quotas) -> None:
    note = "/tmp was fixed at 512 MB until March 2022." if quotas.era is Era.SEMINAR_2019 else ""
    check_whole_range(
        size,
        "ephemeralStorage.size",
        "EphemeralStorage Size (MB)",
        quotas.ephemeral_storage_min_mb,
        quotas.ephemeral_storage_max_mb,
        note,
    )


def check_environment(variables: Mapping[str, str], quotas: Quotas) -> None:
    """Environment variables: names, reserved keys and the 4 KB total, with AWS's messages."""
    if not isinstance(variables, Mapping):
        raise InvalidParameterValueException(
            f"Environment variables are a mapping of names to strings, not {type(variables).__name__}."
        )
    for key, value in variables.items():
        if not isinstance(key, str) or not _ENV_KEY.fullmatch(key):
            raise constraint_error(
                key,
                "environment.variables",
                "Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+",
            )
        if not isinstance(value, str):
            raise InvalidParameterValueException(
                f"Environment variable {key} must be a string, not {type(value).__name__}: convert it with str()."
            )
    reserved = sorted(k for k in variables if k in RESERVED_ENV_VARS)
    if reserved:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment variables you "
            "have provided contains reserved keys that are currently not supported for modification. "
            f"Reserved keys used in this request: {','.join(reserved)}"
        )
    measured = json.dumps(dict(variables), separators=(",", ":"), ensure_ascii=False)
    if len(measured.encode()) > quotas.env_vars_max_bytes:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment variables you "
            "have provided exceeded the 4KB limit. String measured: " + measured
        )

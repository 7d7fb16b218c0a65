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

from .errors import InvalidParameterValueException, check_whole_range, constraint_error
from .pricing import Architecture
from .quotas import RESERVED_ENV_VARS, Era, Quotas

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"

RUNTIMES = {
    Era.SEMINAR_2019: (
        "nodejs8.10",
        "nodejs10.x",
        "nodejs12.x",
        "python2.7",
        "python3.6",
        "python3.7",
        "python3.8",
        "ruby2.5",
        "java8",
        "java11",
        "go1.x",
        "dotnetcore2.1",
        "provided",
    ),
    Era.TODAY: (
        "nodejs18.x",
        "nodejs20.x",
        "nodejs22.x",
        "python3.9",
        "python3.10",
        "python3.11",
        "python3.12",
        "python3.13",
        "java8.al2",
        "java11",
        "java17",
        "java21",
        "dotnet8",
        "ruby3.2",
        "ruby3.3",
        "ruby3.4",
        "provided.al2",
        "provided.al2023",
    ),
}
"""Runtimes accepted for new functions in each era (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html)."""

DEFAULT_RUNTIME = {Era.SEMINAR_2019: "python3.7", Era.TODAY: "python3.12"}

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
    """Default: the era's Python (``python3.7`` in 2019, ``python3.12`` today)."""
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


def validate(config: FunctionConfig, quotas: Quotas) -> None:
    """Raise the Lambda API's error for the first invalid value in ``config``."""
    if not isinstance(config.function_name, str) or not _NAME.fullmatch(config.function_name):
        raise constraint_error(
            config.function_name,
            "functionName",
            "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+ (1 to 64 characters)",
        )
    if config.runtime not in RUNTIMES[quotas.era]:
        raise InvalidParameterValueException(
            f"The runtime parameter of {config.runtime} is not supported for creating functions in "
            f"{quotas.era.value}: use one of {', '.join(RUNTIMES[quotas.era])}."
        )
    if not config.handler or re.search(r"\s", config.handler) or len(config.handler) > 128:
        raise constraint_error(config.handler, "handler", "Member must satisfy regular expression pattern: [^\\s]+")
    try:
        arch = Architecture(config.architecture)
    except ValueError:
        raise constraint_error(
            config.architecture, "architectures", "Member must satisfy enum value set: [x86_64, arm64]"
        ) from None
    if arch is Architecture.ARM64 and quotas.era is Era.SEMINAR_2019:
        raise InvalidParameterValueException("arm64 is not available in 2019: Graviton2 came to Lambda in Sep 2021.")
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

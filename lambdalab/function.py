"""A deployed function version: its configuration, its code or duration model, and its environments.

Idle environments wait in a stack: the most recently used is reused first,
in O(1), and the others age towards their reaping time. Provisioned
environments are kept apart and used before on-demand ones
(https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html).
The ``$LATEST`` version also holds the function's published versions and aliases
(:mod:`lambdalab.versions`).
"""

from __future__ import annotations

import random
from collections import OrderedDict
from dataclasses import dataclass

from .code import Code
from .coldstart import ColdStartModel
from .config import FunctionConfig
from .distributions import Dist
from .lifecycle import ExecutionEnvironment
from .versions import LATEST, Alias


@dataclass(frozen=True)
class DurationModel:
    """For statistical scenarios: handler and INIT durations drawn from distributions, no code.

    ``error_rate`` is the probability that one attempt fails with a function error.
    """

    duration: Dist
    init_duration: Dist | None = None
    error_rate: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.error_rate, bool) or not isinstance(self.error_rate, (int, float)):
            raise TypeError(f"error_rate is a probability in [0, 1], not {self.error_rate!r}")
        if not 0 <= self.error_rate <= 1:
            raise ValueError(f"error_rate must be a probability in [0, 1], got {self.error_rate}")


class Function:
    """One version of a function as the service holds it (``$LATEST`` unless ``version`` is a number)."""

    def __init__(
        self,
        config: FunctionConfig,
        code: Code | None,
        model: DurationModel | None,
        cold_start: ColdStartModel,
        memory_used_mb: int,
        version: str = LATEST,
        *,
        mb_per_vcpu: int,
    ) -> None:
        if (code is None) == (model is None):
            raise ValueError("a function needs either code (Code.from_...) or a duration model, not both")
        self.code = code
        self.model = model
        self.cold_start = cold_start
        self.version = version
        self.memory_used_request = memory_used_mb
        self.mb_per_vcpu = mb_per_vcpu  # the era's memory per vCPU (Quotas.mb_per_vcpu)
        self.idle: OrderedDict[str, ExecutionEnvironment] = OrderedDict()
        self.idle_provisioned: OrderedDict[str, ExecutionEnvironment] = OrderedDict()
        self.environments: dict[str, ExecutionEnvironment] = {}
        self.provisioned_envs = 0  # provisioned environments in ``environments``, whatever their state
        self.provisioned_target = 0  # provisioned environments this version should keep
        self.stale: set[str] = set()  # busy environments of a configuration since replaced: shut down when done
        self.created = 0
        # $LATEST only: the function's published versions and aliases, and what has changed since the last publish
        self.published: dict[str, Function] = {}
        self.aliases: dict[str, Alias] = {}
        self.next_version = 1
        self.revision = 0
        self.published_revision = -1
        self.description = ""
        self.provisioned_span: int | None = None  # this version's open entry in the service's provisioned_spans
        self.configure(config)

    def configure(self, config: FunctionConfig) -> None:
        """Take a new configuration (``$LATEST`` only; the service shuts down environments of the old one)."""
        self.config = config
        self.name = config.function_name  # read on every request: an attribute, not a property
        self.memory_used_mb = min(self.memory_used_request, config.memory_size)
        self.vcpus = config.memory_size / self.mb_per_vcpu
        self.timeout = float(config.timeout)
        self.arn = config.arn if self.version == LATEST else f"{config.arn}:{self.version}"
        """The version's ARN: unqualified for ``$LATEST`` (as ``GetFunction`` gives it), qualified for a number."""
        self.context_constants = (self.name, self.version, str(config.memory_size), config.log_group_name)

    def snapshot(self, version: str) -> Function:
        """A published version: this configuration and code, frozen."""
        return Function(
            self.config,
            self.code,
            self.model,
            self.cold_start,
            self.memory_used_request,
            version,
            mb_per_vcpu=self.mb_per_vcpu,
        )

    def take_idle(self) -> ExecutionEnvironment | None:
        """The environment to reuse: provisioned first, then the most recently used."""
        if self.idle_provisioned:
            return self.idle_provisioned.popitem(last=True)[1]
        if self.idle:
            return self.idle.popitem(last=True)[1]
        return None

    def put_idle(self, env: ExecutionEnvironment) -> None:
        (self.idle_provisioned if env.provisioned else self.idle)[env.id] = env

    def discard(self, env: ExecutionEnvironment) -> None:
        self.idle.pop(env.id, None)
        self.idle_provisioned.pop(env.id, None)
        if self.environments.pop(env.id, None) is not None and env.provisioned:
            self.provisioned_envs -= 1

    def init_duration(self, rng: random.Random) -> float:
        """INIT time not spent in the function's own code (runtime start), or the model's INIT."""
        if self.model is not None and self.model.init_duration is not None:
            return self.model.init_duration.sample(rng)
        return self.cold_start.runtime_init.sample(rng)

    def environment_variables(self, env: ExecutionEnvironment, region: str) -> dict[str, str]:
        """``os.environ`` inside this function: its variables plus Lambda's reserved ones."""
        c = self.config
        runtime_name = f"AWS_Lambda_{c.runtime}"
        reserved = {
            "_HANDLER": c.handler,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EXECUTION_ENV": runtime_name,
            "AWS_LAMBDA_FUNCTION_NAME": c.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(c.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": self.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "provisioned-concurrency" if env.provisioned else "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": c.log_group_name,
            "AWS_LAMBDA_LOG_STREAM_NAME": env.log_stream_name,
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
            "AWS_ACCESS_KEY_ID": "ASIAEXAMPLELAMBDALAB",
            "AWS_SECRET_ACCESS_KEY": "lambdalab-simulated-credentials",
            "AWS_SESSION_TOKEN": "lambdalab-simulated-session-token",
            "LAMBDA_TASK_ROOT": "/var/task",
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
        }
        # Not reserved: the function's configuration may set these (same page, "Unreserved environment variables").
        unreserved = {
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "PATH": "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
        }
        return {**unreserved, **c.environment, **reserved}

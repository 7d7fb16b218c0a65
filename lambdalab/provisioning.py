"""Reserved and provisioned concurrency, as the API sets them.

The part of :class:`lambdalab.Lambda` behind ``PutFunctionConcurrency`` (a function's own pool; 0
throttles it) and ``Put/Get/DeleteProvisionedConcurrencyConfig`` (environments of a published
version or alias kept initialised, https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html).
The admission rules are :mod:`lambdalab.concurrency`'s; the price is in :meth:`lambdalab.Lambda.cost`.
"""

from __future__ import annotations

from typing import Any

from .errors import InvalidParameterValueException, LambdaError, ProvisionedConcurrencyConfigNotFoundException
from .function import Function
from .lifecycle import EnvState
from .names import FunctionNames
from .pricing import Architecture
from .quotas import Era
from .versions import LATEST


class Provisioning(FunctionNames):
    """Reserved and provisioned concurrency of the functions."""

    def put_function_concurrency(self, FunctionName: str, ReservedConcurrentExecutions: int) -> dict[str, int]:
        """Reserve concurrency for a function (all its versions); 0 throttles every request (the console's
        throttle button)."""
        fn = self._unqualified(FunctionName, "PutFunctionConcurrency")
        value = ReservedConcurrentExecutions
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidParameterValueException(f"ReservedConcurrentExecutions must be an integer >= 0, not {value!r}")
        self.concurrency.set_reserved(fn.name, value)
        return {"ReservedConcurrentExecutions": value}

    def delete_function_concurrency(self, FunctionName: str) -> None:
        fn = self._unqualified(FunctionName, "DeleteFunctionConcurrency")
        self.concurrency.set_reserved(fn.name, None)

    def put_provisioned_concurrency_config(
        self, FunctionName: str, ProvisionedConcurrentExecutions: int, Qualifier: str | None = None
    ) -> dict[str, Any]:
        """Keep this many environments of a published version, or of an alias's version(s), initialised
        (era today only: launched December 2019). An alias with weights shares them between its two versions
        by weight. Raising it starts INIT in new environments; lowering it shuts surplus ones down as they
        become idle. It counts against the function's reserved concurrency, or the unreserved pool
        (https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html)."""
        ref = self._ref(FunctionName, Qualifier)
        fn = self._latest(ref)
        if self.era is Era.SEMINAR_2019:
            raise InvalidParameterValueException("Provisioned concurrency launched in December 2019: use era 'today'.")
        qualifier = self._provisioned_qualifier(fn, ref.qualifier)
        wanted = ProvisionedConcurrentExecutions
        if isinstance(wanted, bool) or not isinstance(wanted, int) or wanted < 1:
            raise InvalidParameterValueException(
                f"ProvisionedConcurrentExecutions must be an integer >= 1, not {wanted!r}"
            )
        key = (fn.name, qualifier)
        before = self.provisioned.get(key)
        self.provisioned[key] = wanted
        try:
            self._allocate(fn)
        except LambdaError:
            if before is None:
                del self.provisioned[key]
            else:
                self.provisioned[key] = before
            raise
        return {"RequestedProvisionedConcurrentExecutions": wanted, "Status": "IN_PROGRESS"}

    def _provisioned_qualifier(self, fn: Function, qualifier: str | None) -> str:
        if qualifier is None:
            raise InvalidParameterValueException(
                "Qualifier is required: provisioned concurrency applies to a published version or an alias "
                "(publish_version, create_alias)."
            )
        if qualifier == LATEST:
            raise InvalidParameterValueException(
                "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
            )
        self._check_qualifier(fn, qualifier)
        return qualifier

    def _allocate(self, fn: Function) -> None:
        """Share the function's provisioned concurrency configs out to its versions, then start or retire
        environments to match; a config above what the account or reservation allows raises first."""
        targets: dict[str, int] = {}
        for (name, qualifier), count in self.provisioned.items():
            if name != fn.name:
                continue
            alias = fn.aliases.get(qualifier)
            if alias is None:
                targets[qualifier] = targets.get(qualifier, 0) + count
                continue
            second = round(count * alias.additional_weight) if alias.additional_version else 0
            targets[alias.function_version] = targets.get(alias.function_version, 0) + count - second
            if second:
                assert alias.additional_version is not None
                targets[alias.additional_version] = targets.get(alias.additional_version, 0) + second
        self.concurrency.set_provisioned(fn.name, sum(targets.values()))
        now = self.sim.now
        for version in fn.published.values():
            wanted = targets.get(version.version, 0)
            if wanted == version.provisioned_target:
                continue
            self._close_span(version, now)
            version.provisioned_target = wanted
            if wanted:
                config = version.config
                self.provisioned_spans.append(
                    (now, None, wanted, config.memory_size, Architecture(config.architecture))
                )
                version.provisioned_span = len(self.provisioned_spans) - 1
            for _ in range(wanted - version.provisioned_envs):
                self.engine.provision(version)
            self.engine.retire_provisioned(version)

    def _close_span(self, version: Function, now: float) -> None:
        index = version.provisioned_span
        if index is not None:
            start, _, count, memory, arch = self.provisioned_spans[index]
            self.provisioned_spans[index] = (start, now, count, memory, arch)
            version.provisioned_span = None

    def get_provisioned_concurrency_config(self, FunctionName: str, Qualifier: str | None = None) -> dict[str, Any]:
        """Requested, available (initialised) and allocated environments; ``Status`` is ``READY`` once all are
        initialised (https://docs.aws.amazon.com/lambda/latest/api/API_GetProvisionedConcurrencyConfig.html)."""
        ref = self._ref(FunctionName, Qualifier)
        fn = self._latest(ref)
        requested = self.provisioned.get((fn.name, ref.qualifier or ""))
        if requested is None:
            raise ProvisionedConcurrencyConfigNotFoundException(
                "No Provisioned Concurrency Config found for this function"
            )
        alias = fn.aliases.get(ref.qualifier or "")
        names = [ref.qualifier] if alias is None else [alias.function_version, alias.additional_version]
        ready = sum(
            1
            for name in names
            if name in fn.published
            for env in fn.published[name].environments.values()
            if env.provisioned and env.state in (EnvState.IDLE, EnvState.INVOKING)
        )
        ready = min(requested, ready)
        return {
            "RequestedProvisionedConcurrentExecutions": requested,
            "AvailableProvisionedConcurrentExecutions": ready,
            "AllocatedProvisionedConcurrentExecutions": ready,
            "Status": "READY" if ready == requested else "IN_PROGRESS",
        }

    def delete_provisioned_concurrency_config(self, FunctionName: str, Qualifier: str | None = None) -> None:
        """Remove provisioned concurrency: its environments shut down as they become idle; requests run on
        demand again (https://docs.aws.amazon.com/lambda/latest/api/API_DeleteProvisionedConcurrencyConfig.html)."""
        ref = self._ref(FunctionName, Qualifier)
        fn = self._latest(ref)
        if self.provisioned.pop((fn.name, ref.qualifier or ""), None) is None:
            raise ProvisionedConcurrencyConfigNotFoundException(
                "No Provisioned Concurrency Config found for this function"
            )
        self._allocate(fn)

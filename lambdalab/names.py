"""How the service finds a function, a version or an alias from what the caller gives.

The part of :class:`lambdalab.Lambda` that the others build on: the functions by name (each one's
``$LATEST``, which holds its versions and aliases), and the reading of ``FunctionName`` and
``Qualifier`` (:func:`lambdalab.versions.parse_function_name`,
https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html). It also declares the state the
service's other parts share (:mod:`lambdalab.deployment`, :mod:`lambdalab.provisioning`).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from .errors import InvalidParameterValueException, ResourceNotFoundException
from .function import Function
from .versions import LATEST, FunctionRef, parse_function_name

if TYPE_CHECKING:
    from .asynchronous import AsyncInvoker
    from .concurrency import ConcurrencyManager
    from .destinations import Target
    from .invoke import Engine
    from .pricing import Architecture
    from .quotas import Era, Quotas
    from .sim import Simulation


class FunctionNames:
    """The functions of one account and Region, found by name, ARN and qualifier."""

    functions: dict[str, Function]
    region: str
    account_id: str
    routing: random.Random
    # shared with the service's other parts
    sim: Simulation
    quotas: Quotas
    era: Era
    engine: Engine
    concurrency: ConcurrencyManager
    asynchronous: AsyncInvoker
    provisioned: dict[tuple[str, str], int]
    provisioned_spans: list[tuple[float, float | None, int, int, Architecture]]

    if TYPE_CHECKING:

        def target(self, arn: str) -> Target: ...

        def _allocate(self, fn: Function) -> None: ...

    def function(self, name: str) -> Function:
        """The function (its ``$LATEST``) named by a name or an unqualified ARN."""
        return self._latest(self._ref(name))

    def _ref(self, name: object, qualifier: object = None) -> FunctionRef:
        return parse_function_name(name, self.region, self.account_id, qualifier)

    def _latest(self, ref: FunctionRef) -> Function:
        try:
            return self.functions[ref.name]
        except KeyError:
            raise ResourceNotFoundException(
                f"Function not found: arn:aws:lambda:{self.region}:{self.account_id}:function:{ref.name}"
            ) from None

    def _version(self, latest: Function, qualifier: str) -> Function:
        """The version that ``qualifier`` (a version number, ``$LATEST`` or an alias) names, for requests
        (an alias with weights draws one of its two versions)."""
        if qualifier == LATEST:
            return latest
        alias = latest.aliases.get(qualifier)
        if alias is not None:
            qualifier = alias.pick(self.routing)
            if qualifier == LATEST:
                return latest
        version = latest.published.get(qualifier)
        if version is None:
            raise ResourceNotFoundException(f"Function not found: {latest.config.arn}:{qualifier}")
        return version

    def route(self, FunctionName: str, Qualifier: str | None = None) -> tuple[Function, str]:
        """The version that serves one request to ``FunctionName`` (and ``Qualifier``), and the ARN the
        handler's context sees as ``invoked_function_arn``: qualified when the caller named a version or alias."""
        ref = self._ref(FunctionName, Qualifier)
        latest = self._latest(ref)
        if ref.qualifier is None:
            return latest, latest.config.arn
        return self._version(latest, ref.qualifier), f"{latest.config.arn}:{ref.qualifier}"

    def function_arn(self, FunctionName: str) -> str:
        """The ARN of what ``FunctionName`` names: the function's, or its version's or alias's."""
        ref = self._ref(FunctionName)
        latest = self._latest(ref)
        if ref.qualifier is not None:
            self._check_qualifier(latest, ref.qualifier)
            return f"{latest.config.arn}:{ref.qualifier}"
        return latest.config.arn

    def _check_qualifier(self, latest: Function, qualifier: str) -> None:
        if qualifier != LATEST and qualifier not in latest.published and qualifier not in latest.aliases:
            raise ResourceNotFoundException(f"Function not found: {latest.config.arn}:{qualifier}")

    def _unqualified(self, FunctionName: str, operation: str) -> Function:
        """The ``$LATEST`` that an operation on the unpublished version changes; a version or alias is refused."""
        ref = self._ref(FunctionName)
        if ref.qualifier not in (None, LATEST):
            raise InvalidParameterValueException(
                f"Current operation does not support versions other than $LATEST. Please set version to $LATEST "
                f"or do not set a version in your request. ({operation})"
            )
        return self._latest(ref)

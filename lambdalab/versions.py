"""Versions and aliases: how a function name, an ARN and a qualifier pick the code that runs.

A function has one mutable version, ``$LATEST``, which ``UpdateFunctionConfiguration`` and
``UpdateFunctionCode`` change, and the immutable versions ``1``, ``2``, ... that
``PublishVersion`` snapshots from it (numbers are never reused). An alias is a name for one
version, and may send a share of the traffic to a second one (weighted routing, for canary
releases): ``{"AdditionalVersionWeights": {"2": 0.1}}`` sends 10 % to version 2. Each version
has its own execution environments; ``Invoke`` answers with the ``ExecutedVersion``.

- https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html
- https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html
- https://docs.aws.amazon.com/lambda/latest/dg/lambda-traffic-shifting-using-aliases.html
  (at most two versions; with two, the alias cannot point to ``$LATEST``)
- https://docs.aws.amazon.com/lambda/latest/api/API_CreateAlias.html,
  https://docs.aws.amazon.com/lambda/latest/api/API_AliasRoutingConfiguration.html (patterns, 0.0-1.0)
- https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html (``FunctionName`` as a name, a full or
  partial ARN, with or without a qualifier)

>>> from lambdalab import Lambda, Simulation
>>> aws = Lambda(Simulation(seed=1))
>>> _ = aws.create_function("api", lambda event, context: "v1")
>>> aws.publish_version(FunctionName="api")["Version"]
'1'
>>> _ = aws.update_function_code(FunctionName="api", code=lambda event, context: "v2")
>>> aws.publish_version(FunctionName="api")["Version"]
'2'
>>> _ = aws.create_alias(FunctionName="api", Name="live", FunctionVersion="1",
...                      RoutingConfig={"AdditionalVersionWeights": {"2": 0.25}})
>>> versions = [aws.invoke(FunctionName="api", Qualifier="live")["ExecutedVersion"] for _ in range(400)]
>>> round(versions.count("2") / 400, 1)
0.2
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from .errors import InvalidParameterValueException, ResourceNotFoundException, constraint_error

LATEST = "$LATEST"

FUNCTION_NAME = re.compile(
    r"(arn:(?P<partition>aws[a-zA-Z-]*)?:lambda:)?(?P<region>[a-z]{2}(-gov)?-[a-z]+-\d{1}:)?"
    r"(?P<account>\d{12}:)?(function:)?(?P<name>[a-zA-Z0-9-_]+)(:(?P<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?"
)
"""``FunctionName``'s pattern in the Lambda API reference (``Invoke`` and the others)."""
_ALIAS_NAME = re.compile(r"(?!^[0-9]+$)([a-zA-Z0-9-_]+)")
_VERSION = re.compile(r"\$LATEST|[0-9]+")


@dataclass(frozen=True)
class FunctionRef:
    """A ``FunctionName`` taken apart: the function's name and the qualifier it names, if any."""

    name: str
    qualifier: str | None


def parse_function_name(value: object, region: str, account_id: str, qualifier: object = None) -> FunctionRef:
    """Read ``FunctionName`` (``my-function``, ``my-function:live``, ``123456789012:function:my-function``,
    ``arn:aws:lambda:us-east-1:123456789012:function:my-function:1``) and the ``Qualifier`` parameter.

    An ARN of another Region or account names a function this service does not hold."""
    if not isinstance(value, str) or not FUNCTION_NAME.fullmatch(value) or len(value) > 170:
        raise constraint_error(
            value,
            "functionName",
            "Member must satisfy regular expression pattern: "
            r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?"
            r"([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?",
        )
    match = FUNCTION_NAME.fullmatch(value)
    assert match is not None
    name, derived = match["name"], match["qualifier"]
    if (match["region"] and match["region"][:-1] != region) or (
        match["account"] and match["account"][:-1] != account_id
    ):
        raise ResourceNotFoundException(f"Function not found: {value} (this service is {region}, account {account_id})")
    if qualifier is not None:
        if not isinstance(qualifier, str) or not re.fullmatch(r"[a-zA-Z0-9$_-]{1,128}", qualifier):
            raise constraint_error(
                qualifier, "qualifier", "Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)"
            )
        if derived is not None and derived != qualifier:
            raise InvalidParameterValueException(
                "The derived qualifier from the function name does not match the specified qualifier."
            )
        derived = qualifier
    return FunctionRef(name, derived)


@dataclass(frozen=True)
class Alias:
    """An alias: its name, its version, and at most one more version with a share of the traffic."""

    name: str
    function_version: str
    additional_version: str | None = None
    additional_weight: float = 0.0
    description: str = ""

    def pick(self, rng: random.Random) -> str:
        """The version that serves one request (weighted routing draws for each request)."""
        if self.additional_version is not None and rng.random() < self.additional_weight:
            return self.additional_version
        return self.function_version

    @property
    def routing_config(self) -> dict[str, dict[str, float]]:
        if self.additional_version is None:
            return {}
        return {"AdditionalVersionWeights": {self.additional_version: self.additional_weight}}


def make_alias(
    name: object, function_version: object, routing_config: object, description: object, versions: set[str]
) -> Alias:
    """An alias checked as ``CreateAlias``/``UpdateAlias`` check it; ``versions`` are the function's
    published versions."""
    if not isinstance(name, str) or not 1 <= len(name) <= 128 or not _ALIAS_NAME.fullmatch(name):
        raise constraint_error(
            name, "name", "Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"
        )
    if name == LATEST:
        raise InvalidParameterValueException("$LATEST is the unpublished version, not an alias name.")
    _check_version(function_version, versions, "functionVersion")
    if not isinstance(description, str) or len(description) > 256:
        raise InvalidParameterValueException("Description is text of at most 256 characters.")
    if routing_config is None or routing_config == {}:
        return Alias(name, str(function_version), description=description)
    weights = routing_config.get("AdditionalVersionWeights") if isinstance(routing_config, dict) else None
    if not isinstance(routing_config, dict) or not isinstance(weights, dict) or len(routing_config) != 1:
        raise InvalidParameterValueException(
            "RoutingConfig is {'AdditionalVersionWeights': {'<version>': <weight 0.0-1.0>}}, "
            f"not {routing_config!r}."
        )
    if not weights:
        return Alias(name, str(function_version), description=description)
    if len(weights) > 1:
        raise InvalidParameterValueException(
            "An alias can point to at most two versions: give one version in AdditionalVersionWeights."
        )
    ((second, weight),) = weights.items()
    _check_version(second, versions, "routingConfig.additionalVersionWeights")
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0.0 <= weight <= 1.0:
        raise constraint_error(
            weight, "routingConfig.additionalVersionWeights", "Member must have value between 0.0 and 1.0"
        )
    if LATEST in (function_version, second):
        raise InvalidParameterValueException(
            "Alias with weights can not be used with $LATEST: point it to two published versions."
        )
    if second == function_version:
        raise InvalidParameterValueException(
            f"Invalid function version {second}. Function version {second} is already included in routing "
            "configuration."
        )
    return Alias(name, str(function_version), second, float(weight), description)


def _check_version(version: object, versions: set[str], field: str) -> None:
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        raise constraint_error(version, field, r"Member must satisfy regular expression pattern: (\$LATEST|[0-9]+)")
    if version != LATEST and version not in versions:
        raise ResourceNotFoundException(f"Function not found: version {version} has not been published")

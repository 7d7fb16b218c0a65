"""Deploying: versions, aliases, and changes to ``$LATEST``'s configuration and code.

The part of :class:`lambdalab.Lambda` behind ``PublishVersion``, ``CreateAlias``/``UpdateAlias``
(weighted routing for canary releases), ``UpdateFunctionConfiguration`` and
``UpdateFunctionCode``. A new configuration or code gets new execution environments, as on AWS.
See :mod:`lambdalab.versions` for the rules and their sources.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .code import Code
from .config import VpcConfig, validate
from .errors import (
    InvalidParameterValueException,
    LambdaError,
    ResourceConflictException,
    ResourceNotFoundException,
)
from .function import Function
from .names import FunctionNames
from .quotas import Era
from .sdk import UPDATE_FUNCTION_CONFIGURATION, check_names
from .versions import LATEST, make_alias

LATER_FIELDS = ("EphemeralStorage", "Architectures", "State", "LastUpdateStatus")
"""``FunctionConfiguration`` fields that came after 19 November 2019 (botocore 1.13.20's model): function states
(``State``, ``LastUpdateStatus``) on 25 November 2019, ``Architectures`` in September 2021, ``EphemeralStorage``
in March 2022; the 2019 preset leaves them out of its answers, as that SDK's parser would."""


class Deployment(FunctionNames):
    """Versions, aliases and updates of a function."""

    def configuration(self, fn: Function) -> dict[str, Any]:
        """A version's ``FunctionConfiguration``, as ``GetFunctionConfiguration`` answers
        (https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html)."""
        c = fn.config
        answer: dict[str, Any] = {
            "FunctionName": c.function_name,
            "FunctionArn": fn.arn,
            "Runtime": c.runtime,
            "Role": c.role,
            "Handler": c.handler,
            "Description": fn.description,
            "Timeout": c.timeout,
            "MemorySize": c.memory_size,
            "Version": fn.version,
            "Environment": {"Variables": dict(c.environment)},
            "EphemeralStorage": {"Size": c.ephemeral_storage},
            "Architectures": [str(getattr(c.architecture, "value", c.architecture))],
            "State": "Active",
            "LastUpdateStatus": "Successful",
            "RevisionId": f"{fn.name}-{fn.revision}",
        }
        if c.vpc_config is not None:
            answer["VpcConfig"] = {
                "SubnetIds": list(c.vpc_config.subnet_ids),
                "SecurityGroupIds": list(c.vpc_config.security_group_ids),
            }
        dead_letter = self.asynchronous.dead_letter.get(c.function_name)
        if dead_letter is not None:
            answer["DeadLetterConfig"] = {"TargetArn": dead_letter.arn}
        if self.era is Era.SEMINAR_2019:  # fields the SDK of 19 November 2019 did not know, so did not return
            for later in LATER_FIELDS:
                answer.pop(later)
        return answer

    def get_function_configuration(self, FunctionName: str, Qualifier: str | None = None) -> dict[str, Any]:
        """The configuration of ``$LATEST``, or of the version that a version number or alias names."""
        ref = self._ref(FunctionName, Qualifier)
        latest = self._latest(ref)
        if ref.qualifier is None or ref.qualifier == LATEST:
            return self.configuration(latest)
        alias = latest.aliases.get(ref.qualifier)
        version = latest.published.get(alias.function_version if alias else ref.qualifier)
        if version is None:
            raise ResourceNotFoundException(f"Function not found: {latest.config.arn}:{ref.qualifier}")
        return self.configuration(version)

    def get_function(self, FunctionName: str, Qualifier: str | None = None) -> dict[str, Any]:
        """``GetFunction``: the version's ``Configuration`` (as :meth:`get_function_configuration`), its ``Code``
        and, when the function has one, its reserved ``Concurrency``
        (https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html). AWS's ``Code.Location`` is a
        presigned URL of the deployment package, valid ten minutes; lambdalab's has AWS's form but leads nowhere."""
        configuration = self.get_function_configuration(FunctionName, Qualifier)
        name, version = configuration["FunctionName"], configuration["Version"]
        digest = hashlib.sha256(
            f"{configuration['FunctionArn']}:{version}:{configuration['RevisionId']}".encode()
        ).hexdigest()
        location = (
            f"https://awslambda-{self.region}-tasks.s3.{self.region}.amazonaws.com/snapshots/{self.account_id}/"
            f"{name}-{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
        )
        answer: dict[str, Any] = {
            "Configuration": configuration,
            "Code": {"RepositoryType": "S3", "Location": location},
        }
        reserved = self.concurrency.functions[name].reserved
        if reserved is not None:
            answer["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
        return answer

    def update_function_configuration(self, FunctionName: str, **settings: Any) -> dict[str, Any]:
        """``UpdateFunctionConfiguration`` of ``$LATEST``, with the API's parameter names: ``MemorySize``,
        ``Timeout``, ``Environment={"Variables": {...}}``, ``Handler``, ``Runtime``, ``Role``, ``Description``,
        ``VpcConfig={"SubnetIds": [...], "SecurityGroupIds": [...]}``, ``EphemeralStorage={"Size": MB}``,
        ``DeadLetterConfig={"TargetArn": <SQS queue or SNS topic>}``. Checked as ``CreateFunction`` checks
        them; nothing changes if one is refused. A parameter the era's SDK does not know (``EphemeralStorage``
        in 2019, a misspelt one in any era) is botocore's ``ParamValidationError`` (``Unknown parameter in
        input: ..., must be one of: ...``: :data:`lambdalab.sdk.UPDATE_FUNCTION_CONFIGURATION`), raised before
        anything is sent. It applies at once (AWS answers ``LastUpdateStatus:
        InProgress`` for a few seconds first). The new configuration gets new execution environments, as
        on AWS: idle ones of the old configuration shut down now, busy ones when their request ends
        (https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html). Published
        versions keep theirs."""
        check_names(settings, UPDATE_FUNCTION_CONFIGURATION[self.era])  # the SDK's check, before anything is sent
        fn = self._unqualified(FunctionName, "UpdateFunctionConfiguration")
        for key in settings:
            if key not in _UPDATABLE:
                raise InvalidParameterValueException(
                    f"lambdalab does not model {key}.",
                    hint=f"Leave {key} out: lambdalab takes {', '.join(_UPDATABLE)}.",
                )
        changes = {
            _CONFIG_FIELDS[key]: _config_value(key, value) for key, value in settings.items() if key in _CONFIG_FIELDS
        }
        config = replace(fn.config, **changes)
        validate(config, self.quotas)
        description = settings.get("Description", fn.description)
        if not isinstance(description, str) or len(description) > 256:
            raise InvalidParameterValueException("Description is text of at most 256 characters.")
        if "DeadLetterConfig" in settings:
            self._set_dead_letter(fn, settings["DeadLetterConfig"])
        fn.description = description
        if changes:
            fn.configure(config)
            fn.revision += 1
            self.engine.retire_stale(fn)
        return self.configuration(fn)

    def _set_dead_letter(self, fn: Function, config: object) -> None:
        if not isinstance(config, dict) or not isinstance(config.get("TargetArn"), str):
            raise InvalidParameterValueException(
                f"DeadLetterConfig is {{'TargetArn': <an SQS queue's or SNS topic's ARN>}}, not {config!r}."
            )
        target = self.target(config["TargetArn"])
        if not target.arn.startswith(("arn:aws:sqs:", "arn:aws:sns:")):
            raise InvalidParameterValueException("A dead-letter queue must be an SQS queue or an SNS topic.")
        self.asynchronous.dead_letter[fn.name] = target

    def update_function_code(
        self,
        FunctionName: str,
        ZipFile: bytes | None = None,
        Publish: bool = False,
        *,
        code: Code | Callable[[Any, Any], Any] | None = None,
    ) -> dict[str, Any]:
        """``UpdateFunctionCode`` of ``$LATEST``: a deployment package's bytes (``ZipFile``), or (lambdalab's
        own) ``code=`` a :class:`Code` or a handler function. New code gets new execution environments, as a
        new configuration does; ``Publish=True`` publishes a version of it at once
        (https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionCode.html)."""
        fn = self._unqualified(FunctionName, "UpdateFunctionCode")
        if (ZipFile is None) == (code is None):
            raise InvalidParameterValueException("Give the new code: ZipFile=<a zip file's bytes>, or code=...")
        if fn.model is not None:
            raise InvalidParameterValueException(
                f"{fn.name} is a statistical function (a duration model, no code): create a function with code."
            )
        if not isinstance(Publish, bool):
            raise InvalidParameterValueException(f"Publish is True or False, not {Publish!r}.")
        new = Code.from_zip(ZipFile, self.quotas) if ZipFile is not None else code
        fn.code = new if isinstance(new, Code) else Code.from_callable(new)  # type: ignore[arg-type]
        fn.revision += 1
        self.engine.retire_stale(fn)
        return self.publish_version(fn.name) if Publish else self.configuration(fn)

    def publish_version(self, FunctionName: str, Description: str | None = None) -> dict[str, Any]:
        """``PublishVersion``: freeze ``$LATEST``'s code and configuration as the next version number.
        If nothing has changed since the last version, that version is returned and none is made
        (https://docs.aws.amazon.com/lambda/latest/api/API_PublishVersion.html)."""
        fn = self._unqualified(FunctionName, "PublishVersion")
        if Description is not None and (not isinstance(Description, str) or len(Description) > 256):
            raise InvalidParameterValueException("Description is text of at most 256 characters.")
        if fn.published_revision == fn.revision and fn.published:
            return self.configuration(fn.published[str(fn.next_version - 1)])
        version = fn.snapshot(str(fn.next_version))
        version.description = fn.description if Description is None else Description
        fn.published[version.version] = version
        fn.next_version += 1
        fn.published_revision = fn.revision
        return self.configuration(version)

    def list_versions_by_function(self, FunctionName: str) -> dict[str, Any]:
        fn = self._unqualified(FunctionName, "ListVersionsByFunction")
        return {"Versions": [self.configuration(fn), *(self.configuration(v) for v in fn.published.values())]}

    def create_alias(
        self,
        FunctionName: str,
        Name: str,
        FunctionVersion: str,
        Description: str = "",
        RoutingConfig: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``CreateAlias``: a name for a version, optionally sending ``RoutingConfig``'s share of the
        requests to a second version (:mod:`lambdalab.versions`)."""
        fn = self._unqualified(FunctionName, "CreateAlias")
        alias = make_alias(Name, FunctionVersion, RoutingConfig, Description, set(fn.published))
        if alias.name in fn.aliases:
            raise ResourceConflictException(f"Alias already exists: {fn.config.arn}:{alias.name}")
        fn.aliases[alias.name] = alias
        return self._alias_answer(fn, alias.name)

    def update_alias(
        self,
        FunctionName: str,
        Name: str,
        FunctionVersion: str | None = None,
        Description: str | None = None,
        RoutingConfig: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``UpdateAlias``: point it elsewhere, or change its routing (``RoutingConfig={}`` removes the second
        version). Provisioned concurrency on the alias moves with it."""
        fn = self._unqualified(FunctionName, "UpdateAlias")
        old = self._alias(fn, Name)
        alias = make_alias(
            Name,
            old.function_version if FunctionVersion is None else FunctionVersion,
            old.routing_config if RoutingConfig is None else RoutingConfig,
            old.description if Description is None else Description,
            set(fn.published),
        )
        fn.aliases[Name] = alias
        if (fn.name, Name) in self.provisioned:
            try:
                self._allocate(fn)
            except LambdaError:
                fn.aliases[Name] = old
                raise
        return self._alias_answer(fn, Name)

    def get_alias(self, FunctionName: str, Name: str) -> dict[str, Any]:
        fn = self._unqualified(FunctionName, "GetAlias")
        self._alias(fn, Name)
        return self._alias_answer(fn, Name)

    def list_aliases(self, FunctionName: str) -> dict[str, Any]:
        fn = self._unqualified(FunctionName, "ListAliases")
        return {"Aliases": [self._alias_answer(fn, name) for name in fn.aliases]}

    def delete_alias(self, FunctionName: str, Name: str) -> None:
        fn = self._unqualified(FunctionName, "DeleteAlias")
        self._alias(fn, Name)
        del fn.aliases[Name]
        if self.provisioned.pop((fn.name, Name), None) is not None:
            self._allocate(fn)

    def _alias(self, fn: Function, name: str) -> Any:
        alias = fn.aliases.get(name) if isinstance(name, str) else None
        if alias is None:
            raise ResourceNotFoundException(f"Alias not found: {fn.config.arn}:{name}")
        return alias

    def _alias_answer(self, fn: Function, name: str) -> dict[str, Any]:
        alias = fn.aliases[name]
        answer: dict[str, Any] = {
            "AliasArn": f"{fn.config.arn}:{alias.name}",
            "Name": alias.name,
            "FunctionVersion": alias.function_version,
            "Description": alias.description,
        }
        if alias.routing_config:
            answer["RoutingConfig"] = alias.routing_config
        return answer


_CONFIG_FIELDS = {
    "MemorySize": "memory_size",
    "Timeout": "timeout",
    "Environment": "environment",
    "Handler": "handler",
    "Runtime": "runtime",
    "Role": "role",
    "VpcConfig": "vpc_config",
    "EphemeralStorage": "ephemeral_storage",
}
"""``UpdateFunctionConfiguration``'s parameters that change the function's configuration, and their fields."""
_UPDATABLE = (*_CONFIG_FIELDS, "Description", "DeadLetterConfig")
"""The ``UpdateFunctionConfiguration`` parameters that lambdalab models."""


def _config_value(key: str, value: Any) -> Any:
    """An API parameter's value as the :class:`FunctionConfig` field holds it."""
    if key == "Environment":
        if not isinstance(value, dict) or set(value) - {"Variables"}:
            raise InvalidParameterValueException(f"Environment is {{'Variables': {{name: value}}}}, not {value!r}.")
        return dict(value.get("Variables", {}))
    if key == "EphemeralStorage":
        if not isinstance(value, dict) or set(value) != {"Size"}:
            raise InvalidParameterValueException(f"EphemeralStorage is {{'Size': <MB, 512-10240>}}, not {value!r}.")
        return value["Size"]
    if key == "VpcConfig":
        if not isinstance(value, dict) or set(value) - {"SubnetIds", "SecurityGroupIds"}:
            raise InvalidParameterValueException(
                f"VpcConfig is {{'SubnetIds': [...], 'SecurityGroupIds': [...]}}, not {value!r}."
            )
        subnets, groups = value.get("SubnetIds", []), value.get("SecurityGroupIds", [])
        if not subnets and not groups:
            return None  # empty lists detach the function from its VPC
        return VpcConfig(tuple(subnets), tuple(groups))
    return value

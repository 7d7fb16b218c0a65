"""Versions, aliases, qualified names and configuration updates, as the Lambda API documents them.

- https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html
- https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html
- https://docs.aws.amazon.com/lambda/latest/dg/lambda-traffic-shifting-using-aliases.html
- https://docs.aws.amazon.com/lambda/latest/dg/python-context.html (``invoked_function_arn``, ``function_version``)
- https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html (``FunctionName`` forms, ``ExecutedVersion``)
- https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

import lambdalab as ll
from lambdalab.pricing import PRICES_TODAY, Architecture

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f"


def reveal(event: Any, context: Any) -> dict[str, Any]:
    import os

    return {
        "version": context.function_version,
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "env_version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"],
        "stream": context.log_stream_name,
        "greeting": os.environ.get("GREETING"),
    }


def service(**settings: Any) -> ll.Lambda:
    aws = ll.Lambda(ll.Simulation(seed=7))
    aws.create_function("f", reveal, **settings)
    return aws


def answer(response: dict[str, Any]) -> dict[str, Any]:
    return json.loads(response["Payload"].read())  # type: ignore[no-any-return]


def test_publish_version_numbers_and_freezes_the_configuration() -> None:
    aws = service()
    first = aws.publish_version(FunctionName="f", Description="first")
    assert (first["Version"], first["FunctionArn"], first["Description"]) == ("1", f"{ARN}:1", "first")
    assert aws.publish_version(FunctionName="f")["Version"] == "1"  # nothing changed: no new version
    aws.update_function_configuration(FunctionName="f", MemorySize=512)
    assert aws.publish_version(FunctionName="f")["Version"] == "2"
    assert aws.get_function_configuration(FunctionName="f", Qualifier="1")["MemorySize"] == 128
    assert aws.get_function_configuration(FunctionName="f:2")["MemorySize"] == 512
    assert [v["Version"] for v in aws.list_versions_by_function(FunctionName="f")["Versions"]] == ["$LATEST", "1", "2"]


def test_a_version_runs_as_itself() -> None:
    """The context names the version that ran and the ARN the caller used; the log stream and START line
    name the version."""
    aws = service()
    aws.publish_version(FunctionName="f")
    unqualified = aws.invoke(FunctionName="f")
    assert unqualified["ExecutedVersion"] == "$LATEST"
    assert answer(unqualified)["arn"] == ARN and "[$LATEST]" in answer(aws.invoke(FunctionName="f"))["stream"]
    response = aws.invoke(FunctionName="f", Qualifier="1", LogType="Tail")
    got = answer(response)
    assert response["ExecutedVersion"] == "1" == response["ResponseMetadata"]["HTTPHeaders"]["x-amz-executed-version"]
    assert (got["version"], got["arn"], got["env_version"]) == ("1", f"{ARN}:1", "1")
    assert "/[1]" in got["stream"]
    import base64

    assert "Version: 1" in base64.b64decode(response["LogResult"]).decode()
    assert answer(aws.invoke(FunctionName="f:$LATEST"))["arn"] == f"{ARN}:$LATEST"
    assert set(aws.requests().version) == {"$LATEST", "1"}


def test_function_name_forms() -> None:
    aws = service()
    aws.publish_version(FunctionName="f")
    aws.create_alias(FunctionName="f", Name="live", FunctionVersion="1")
    for name, version, arn in (
        (ARN, "$LATEST", ARN),
        ("123456789012:function:f", "$LATEST", ARN),
        ("f:1", "1", f"{ARN}:1"),
        (f"{ARN}:live", "1", f"{ARN}:live"),
        ("123456789012:function:f:live", "1", f"{ARN}:live"),
    ):
        response = aws.invoke(FunctionName=name)
        assert (response["ExecutedVersion"], answer(response)["arn"]) == (version, arn), name
    with pytest.raises(ll.InvalidParameterValueException, match="derived qualifier"):
        aws.invoke(FunctionName="f:1", Qualifier="live")
    with pytest.raises(ll.ResourceNotFoundException):
        aws.invoke(FunctionName="arn:aws:lambda:eu-west-1:123456789012:function:f")
    with pytest.raises(ll.ResourceNotFoundException):
        aws.invoke(FunctionName="f", Qualifier="7")
    with pytest.raises(ll.ResourceNotFoundException):
        aws.invoke(FunctionName="f:nope")
    with pytest.raises(ll.ValidationException, match="functionName"):
        aws.invoke(FunctionName="f g")


def test_an_alias_runs_its_version_and_says_so() -> None:
    aws = service()
    aws.publish_version(FunctionName="f")
    made = aws.create_alias(FunctionName="f", Name="live", FunctionVersion="1", Description="production")
    assert made == {"AliasArn": f"{ARN}:live", "Name": "live", "FunctionVersion": "1", "Description": "production"}
    got = answer(aws.invoke(FunctionName="f", Qualifier="live"))
    assert (got["version"], got["arn"]) == ("1", f"{ARN}:live")
    assert aws.get_alias(FunctionName="f", Name="live") == made
    assert aws.list_aliases(FunctionName="f")["Aliases"] == [made]
    aws.delete_alias(FunctionName="f", Name="live")
    with pytest.raises(ll.ResourceNotFoundException):
        aws.get_alias(FunctionName="f", Name="live")


def test_weighted_alias_splits_traffic_by_weight() -> None:
    """A canary: 10 % of the requests run version 2, each request drawn on its own; the same seed gives the
    same split."""
    aws = ll.Lambda(ll.Simulation(seed=11))
    aws.create_function("f", lambda event, context: "v1")
    aws.publish_version(FunctionName="f")
    aws.update_function_code(FunctionName="f", code=lambda event, context: "v2", Publish=True)
    alias = aws.create_alias(
        FunctionName="f", Name="live", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}}
    )
    assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.1}}
    n = 4000
    for _ in range(n):
        aws.submit("f:live")
    aws.sim.run()
    frame = aws.requests()
    share = float((frame.version == "2").mean())
    assert abs(share - 0.1) < 4 * math.sqrt(0.1 * 0.9 / n)  # four standard deviations
    assert set(frame.version) == {"1", "2"}
    aws.update_alias(FunctionName="f", Name="live", FunctionVersion="2", RoutingConfig={})
    assert aws.invoke(FunctionName="f:live")["Payload"].read() == b'"v2"'
    assert "RoutingConfig" not in aws.get_alias(FunctionName="f", Name="live")


@pytest.mark.parametrize(
    ("version", "routing", "error", "message"),
    [
        ("$LATEST", {"AdditionalVersionWeights": {"1": 0.5}}, ll.InvalidParameterValueException, r"\$LATEST"),
        ("1", {"AdditionalVersionWeights": {"1": 0.5}}, ll.InvalidParameterValueException, "already included"),
        ("1", {"AdditionalVersionWeights": {"2": 1.5}}, ll.ValidationException, "between 0.0 and 1.0"),
        ("1", {"AdditionalVersionWeights": {"2": 0.1, "3": 0.1}}, ll.InvalidParameterValueException, "two versions"),
        ("1", {"AdditionalVersionWeights": {"9": 0.1}}, ll.ResourceNotFoundException, "9"),
        ("9", None, ll.ResourceNotFoundException, "9"),
        ("1", {"Weights": {}}, ll.InvalidParameterValueException, "RoutingConfig is"),
    ],
)
def test_alias_settings_are_checked(version: str, routing: Any, error: type[Exception], message: str) -> None:
    aws = service()
    aws.publish_version(FunctionName="f")
    aws.update_function_configuration(FunctionName="f", Timeout=5)
    aws.publish_version(FunctionName="f")
    with pytest.raises(error, match=message):
        aws.create_alias(FunctionName="f", Name="live", FunctionVersion=version, RoutingConfig=routing)
    assert aws.list_aliases(FunctionName="f") == {"Aliases": []}


def test_alias_names() -> None:
    aws = service()
    aws.publish_version(FunctionName="f")
    with pytest.raises(ll.ValidationException):
        aws.create_alias(FunctionName="f", Name="123", FunctionVersion="1")  # a number would read as a version
    aws.create_alias(FunctionName="f", Name="blue", FunctionVersion="$LATEST")
    with pytest.raises(ll.ResourceConflictException):
        aws.create_alias(FunctionName="f", Name="blue", FunctionVersion="1")
    with pytest.raises(ll.InvalidParameterValueException, match="versions other than"):
        aws.create_alias(FunctionName="f:1", Name="green", FunctionVersion="1")


def test_a_new_configuration_gets_new_environments() -> None:
    """After UpdateFunctionConfiguration the next request starts cold, with the new settings; a request
    already running finishes in its old environment, which then goes."""
    aws = ll.Lambda(ll.Simulation(seed=2))
    source = (
        "import os, time\n"
        "def lambda_handler(event, context):\n"
        "    time.sleep(event.get('sleep', 0))\n"
        "    return [context.memory_limit_in_mb, os.environ.get('GREETING')]\n"
    )
    aws.create_function("f", ll.Code.from_source(source), timeout=30)
    aws.invoke(FunctionName="f")
    aws.invoke(FunctionName="f")
    slow: list[ll.InvocationResult] = []
    aws.submit("f", b'{"sleep": 10}', callback=slow.append)
    aws.sim.run(until=aws.sim.now + 1)
    answer_ = aws.update_function_configuration(
        FunctionName="f", MemorySize=1024, Environment={"Variables": {"GREETING": "hi"}}
    )
    assert (answer_["MemorySize"], answer_["Environment"], answer_["LastUpdateStatus"]) == (
        1024,
        {"Variables": {"GREETING": "hi"}},
        "Successful",
    )
    assert len(aws.functions["f"].environments) == 1  # the idle one went at once; the busy one is finishing
    assert aws.invoke(FunctionName="f")["Payload"].read() == b'["1024", "hi"]'
    aws.sim.run_until(lambda: bool(slow))
    assert slow[0].json() == ["128", None]
    frame = aws.requests()
    assert frame.cold.tolist() == [True, False, True, False]  # in order of completion: the slow one was warm
    assert slow[0].env_id not in aws.functions["f"].environments
    assert len(aws.functions["f"].environments) == 1


def test_a_refused_configuration_changes_nothing() -> None:
    aws = service()
    before = aws.get_function_configuration(FunctionName="f")
    for settings, error in (
        ({"MemorySize": 100}, ll.ValidationException),
        ({"Timeout": 901}, ll.ValidationException),
        ({"MemorySize": 512, "Environment": {"Variables": {"AWS_REGION": "x"}}}, ll.InvalidParameterValueException),
        ({"EphemeralStorage": {"Size": 20_000}}, ll.ValidationException),
        ({"Memory": 512}, ll.ParamValidationError),  # botocore: Unknown parameter in input
        ({"Environment": {"GREETING": "hi"}}, ll.InvalidParameterValueException),
    ):
        with pytest.raises(error):
            aws.update_function_configuration(FunctionName="f", **settings)
        assert aws.get_function_configuration(FunctionName="f") == before, settings
    with pytest.raises(ll.InvalidParameterValueException, match="versions other than"):
        aws.update_function_configuration(FunctionName="f:1", Timeout=5)


def test_update_function_code_and_publish() -> None:
    aws = ll.Lambda(ll.Simulation(seed=1))
    aws.create_function("f", lambda event, context: "one")
    aws.publish_version(FunctionName="f")
    published = aws.update_function_code(FunctionName="f", code=lambda event, context: "two", Publish=True)
    assert published["Version"] == "2"
    assert aws.invoke(FunctionName="f:1")["Payload"].read() == b'"one"'
    assert aws.invoke(FunctionName="f")["Payload"].read() == b'"two"'
    with pytest.raises(ll.InvalidParameterValueException, match="Give the new code"):
        aws.update_function_code(FunctionName="f")
    aws.create_function("model", duration="const:0.1")
    with pytest.raises(ll.InvalidParameterValueException, match="statistical"):
        aws.update_function_code(FunctionName="model", code=lambda event, context: None)


def test_provisioned_concurrency_on_a_weighted_alias_is_shared_by_weight() -> None:
    aws = ll.Lambda(ll.Simulation(seed=4))
    aws.create_function("f", duration="const:0.1")
    aws.publish_version(FunctionName="f")
    aws.update_function_configuration(FunctionName="f", MemorySize=256)
    aws.publish_version(FunctionName="f")
    aws.create_alias(
        FunctionName="f", Name="live", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.25}}
    )
    aws.put_provisioned_concurrency_config(FunctionName="f", Qualifier="live", ProvisionedConcurrentExecutions=8)
    aws.sim.run(until=60)
    versions = aws.functions["f"].published
    assert (versions["1"].provisioned_envs, versions["2"].provisioned_envs) == (6, 2)
    config = aws.get_provisioned_concurrency_config(FunctionName="f", Qualifier="live")
    assert (config["Status"], config["AvailableProvisionedConcurrentExecutions"]) == ("READY", 8)
    aws.update_alias(FunctionName="f", Name="live", FunctionVersion="2", RoutingConfig={})  # they move with it
    aws.sim.run(until=120)
    assert (versions["1"].provisioned_envs, versions["2"].provisioned_envs) == (0, 8)
    assert aws.concurrency.functions["f"].provisioned == 8


def test_cost_prices_provisioned_concurrency_and_what_it_served() -> None:
    """Provisioned concurrency is billed per GB-second configured (rounded up to 5 minutes), and the requests
    it serves at the provisioned duration price (https://aws.amazon.com/lambda/pricing/)."""
    aws = ll.Lambda(ll.Simulation(seed=5))
    aws.create_function("f", duration="const:0.1", memory_size=1024)
    aws.publish_version(FunctionName="f")
    aws.put_provisioned_concurrency_config(FunctionName="f", Qualifier="1", ProvisionedConcurrentExecutions=1)
    aws.sim.run(until=60)
    for _ in range(10):
        aws.invoke(FunctionName="f:1")
    aws.sim.run(until=400)
    aws.delete_provisioned_concurrency_config(FunctionName="f", Qualifier="1")
    aws.sim.run(until=1000)
    rates = PRICES_TODAY.provisioned[Architecture.X86_64]
    configured = 1 * 1.0 * 600 * rates.usd_per_gb_second  # 400 s, rounded up to 600 s, at 1 GB
    served = 10 * 0.1 * 1.0 * rates.usd_per_gb_second_duration + 10 * PRICES_TODAY.usd_per_request
    assert aws.requests().provisioned.all()
    assert aws.cost() == pytest.approx(configured + served, rel=1e-9)


def test_a_mapping_to_an_alias_runs_the_alias_version() -> None:
    aws = ll.Lambda(ll.Simulation(seed=3))
    aws.create_function("consumer", lambda event, context: len(event["Records"]))
    aws.publish_version(FunctionName="consumer")
    aws.create_alias(FunctionName="consumer", Name="live", FunctionVersion="1")
    queue = aws.create_queue("jobs")
    mapping = aws.create_event_source_mapping(EventSourceArn=queue.arn, FunctionName="consumer:live")
    assert mapping["FunctionArn"].endswith(":function:consumer:live")
    queue.send_message("{}")
    aws.sim.run(until=30)
    assert aws.requests().version.tolist() == ["1"]


def test_traffic_to_an_alias_follows_its_weights() -> None:
    aws = ll.Lambda(ll.Simulation(seed=9))
    aws.create_function("f", duration="const:0.05")
    aws.publish_version(FunctionName="f")
    aws.publish_version(FunctionName="f")  # nothing changed: still version 1
    aws.update_function_configuration(FunctionName="f", MemorySize=256)
    aws.publish_version(FunctionName="f")
    aws.create_alias(
        FunctionName="f", Name="live", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}}
    )
    ll.poisson(aws, "f:live", rate=20, until=100)
    ll.at_times(aws, "f", [1.0, 2.0])
    aws.sim.run()
    versions = aws.requests().version.tolist()
    assert versions.count("$LATEST") == 2
    assert 0.4 < versions.count("2") / (len(versions) - 2) < 0.6
    with pytest.raises(ll.ResourceNotFoundException):
        ll.poisson(aws, "f:nope", rate=1, until=200)

"""Era 2019: CreateFunction and UpdateFunctionConfiguration parameters that AWS added later are refused as the
SDK of November 2019 refused them, before sending anything: botocore's ``ParamValidationError``
(``botocore/validate.py``; the parameter lists from botocore 1.13.20's ``service-2.json``, 19 November 2019).
A parameter that existed in 2019 but whose allowed values changed keeps AWS's validation message."""

from __future__ import annotations

from typing import Any

import pytest

import lambdalab as ll

CREATE_2019 = (
    "FunctionName, Runtime, Role, Handler, Code, Description, Timeout, MemorySize, Publish, VpcConfig, "
    "DeadLetterConfig, Environment, KMSKeyArn, TracingConfig, Tags, Layers"
)
UPDATE_2019 = (
    "FunctionName, Role, Handler, Description, Timeout, MemorySize, VpcConfig, Environment, Runtime, "
    "DeadLetterConfig, KMSKeyArn, TracingConfig, RevisionId, Layers"
)


def lab(era: str) -> ll.Lambda:
    aws = ll.Lambda(ll.Simulation(seed=1), era=era)
    aws.create_function("f", lambda event, context: "ok", runtime="python3.7" if era == "2019" else None)
    return aws


@pytest.mark.parametrize(
    ("settings", "parameters"),
    [
        ({"ephemeral_storage": 1024}, ["EphemeralStorage"]),
        ({"architecture": "arm64"}, ["Architectures"]),
        ({"architecture": "sparc"}, ["Architectures"]),  # the SDK refused the name before any value was read
        ({"architecture": "arm64", "ephemeral_storage": 2048}, ["Architectures", "EphemeralStorage"]),
    ],
)
def test_create_function_parameters_of_later_years_are_unknown_to_the_2019_sdk(
    settings: dict[str, Any], parameters: list[str]
) -> None:
    aws = lab("2019")
    with pytest.raises(ll.ParamValidationError) as caught:
        aws.create_function("g", lambda event, context: None, runtime="python3.7", **settings)
    assert str(caught.value) == "Parameter validation failed:\n" + "\n".join(
        f'Unknown parameter in input: "{name}", must be one of: {CREATE_2019}' for name in parameters
    )
    assert "era='today'" in caught.value.__notes__[0]  # lambdalab's hint, apart from botocore's words
    assert "g" not in aws.functions
    assert isinstance(caught.value, ValueError) and not isinstance(caught.value, ll.LambdaError)


def test_2019_functions_have_the_one_value_of_the_time() -> None:
    aws = lab("2019")
    fn = aws.create_function("g", lambda event, context: None, runtime="python3.7", architecture="x86_64")
    assert (fn.config.architecture, fn.config.ephemeral_storage) == ("x86_64", 512)
    today = lab("today")
    fn = today.create_function("g", lambda event, context: None, architecture="arm64", ephemeral_storage=10_240)
    assert (fn.config.architecture, fn.config.ephemeral_storage) == ("arm64", 10_240)


@pytest.mark.parametrize(
    "settings",
    [
        {"EphemeralStorage": {"Size": 1024}},
        {"SnapStart": {"ApplyOn": "PublishedVersions"}},
        {"LoggingConfig": {"LogFormat": "JSON"}},
        {"ImageConfig": {"Command": ["app.handler"]}},
        {"FileSystemConfigs": []},
    ],
)
def test_update_function_configuration_parameters_of_later_years_are_unknown_in_2019(settings: dict[str, Any]) -> None:
    aws = lab("2019")
    before = aws.get_function_configuration(FunctionName="f")
    with pytest.raises(ll.ParamValidationError) as caught:
        aws.update_function_configuration(FunctionName="f", **settings)
    (name,) = settings
    assert caught.value.report == f'Unknown parameter in input: "{name}", must be one of: {UPDATE_2019}'
    assert aws.get_function_configuration(FunctionName="f") == before


def test_a_misspelt_parameter_is_the_sdks_error_in_both_eras() -> None:
    for era in ("2019", "today"):
        aws = lab(era)
        with pytest.raises(ll.ParamValidationError) as caught:
            aws.update_function_configuration(FunctionName="nope", Memory=512)  # checked before the function
        assert caught.value.report.startswith('Unknown parameter in input: "Memory", must be one of: FunctionName, ')
        assert ("EphemeralStorage" in caught.value.report) is (era == "today")


def test_a_parameter_of_the_model_that_lambdalab_does_not_model_says_so() -> None:
    aws = lab("today")
    with pytest.raises(ll.InvalidParameterValueException, match="lambdalab does not model SnapStart"):
        aws.update_function_configuration(FunctionName="f", SnapStart={"ApplyOn": "PublishedVersions"})
    assert aws.update_function_configuration(FunctionName="f", EphemeralStorage={"Size": 1024})["EphemeralStorage"] == {
        "Size": 1024
    }


@pytest.mark.parametrize(
    ("settings", "error", "message"),
    [
        (
            {"memory_size": 3072},
            ll.ValidationException,
            "1 validation error detected: Value '3072' at 'memorySize' failed to satisfy constraint: "
            "Member must have value less than or equal to 3008",
        ),
        (
            {"timeout": 901},
            ll.ValidationException,
            "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: "
            "Member must have value less than or equal to 900",
        ),
    ],
)
def test_a_2019_parameter_whose_values_changed_keeps_aws_validation(
    settings: dict[str, Any], error: type[ll.LambdaError], message: str
) -> None:
    with pytest.raises(error) as caught:
        lab("2019").create_function("g", lambda event, context: None, runtime="python3.7", **settings)
    assert caught.value.message == message

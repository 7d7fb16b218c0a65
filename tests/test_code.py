"""Where a function's code comes from, and what INIT does with it (lambdalab.code).

Lambda runs a module's top-level code once per execution environment: its globals persist across
the warm invocations of that environment and are never shared with another one. A failed INIT
answers with the Python runtime's error payload and ``FunctionError: Unhandled``.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

import lambdalab as ll
from lambdalab.invoke import InvocationResult
from lambdalab.quotas import QUOTAS_TODAY

COUNTER_APP = """\
import time

count = 0


def handler(event, context):
    global count
    count += 1
    time.sleep(event.get("sleep", 0))
    return count
"""

HELPER_APP = """\
import time

import helper


def handler(event, context):
    helper.calls.append(context.aws_request_id)
    time.sleep(event.get("sleep", 0))
    return len(helper.calls)
"""

LAZY_HELPER_APP = """\
import time


def handler(event, context):
    import lazyhelper

    lazyhelper.calls.append(context.aws_request_id)
    time.sleep(event.get("sleep", 0))
    return len(lazyhelper.calls)
"""

HELPER = "calls = []\n"


def service(era: str = "today", seed: int = 7) -> ll.Lambda:
    return ll.Lambda(ll.Simulation(seed=seed), era=era)


def invoke(aws: ll.Lambda, name: str, event: Any = None) -> tuple[dict[str, Any], Any]:
    """A synchronous invoke: the response and its decoded payload."""
    response = aws.invoke(FunctionName=name, Payload=json.dumps(event or {}))
    return response, json.loads(response["Payload"].read())


def overlapping(aws: ll.Lambda, name: str, n: int = 2, sleep: float = 1.0) -> list[InvocationResult]:
    """Send ``n`` requests at the same instant, each sleeping, so that each needs its own environment."""
    results: list[InvocationResult] = []
    for _ in range(n):
        aws.submit(name, json.dumps({"sleep": sleep}), callback=results.append)
    aws.sim.run_until(lambda: len(results) == n)  # not run(): that would also reap the idle environments
    return sorted(results, key=lambda r: r.end)


def write_package(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def zip_bytes(files: dict[str, str], modes: dict[str, int] | None = None, system: int = 3) -> bytes:
    """A package of ``files``, each ``644`` unless ``modes`` says otherwise, made on Unix (``system`` 3)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.create_system = system
            info.external_attr = 0 if system != 3 else (0o100000 | (modes or {}).get(name, 0o644)) << 16
            archive.writestr(info, text)
    return buffer.getvalue()


# -- from_source ---------------------------------------------------------------------------------------


def test_from_source_defaults_match_the_default_handler() -> None:
    aws = service()
    source = "def lambda_handler(event, context):\n    return {'hi': event['name']}\n"
    aws.create_function("hello", ll.Code.from_source(source))  # lambda_function.py + lambda_function.lambda_handler
    response, payload = invoke(aws, "hello", {"name": "Ada"})
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert payload == {"hi": "Ada"}


def test_module_globals_persist_across_warm_invocations() -> None:
    aws = service()
    aws.create_function("counter", ll.Code.from_source(COUNTER_APP, "app.py"), handler="app.handler")
    counts = [invoke(aws, "counter")[1] for _ in range(3)]
    assert counts == [1, 2, 3]
    records = aws.requests()
    assert records.env_id.nunique() == 1
    assert records.cold.tolist() == [True, False, False]


def test_module_globals_are_not_shared_across_environments() -> None:
    aws = service()
    aws.create_function("counter", ll.Code.from_source(COUNTER_APP, "app.py"), handler="app.handler")
    first, second = overlapping(aws, "counter")
    assert first.env_id != second.env_id
    assert (first.json(), second.json()) == (1, 1)
    assert first.cold and second.cold
    # A third request reuses one of the two warm environments, which has counted one request.
    assert invoke(aws, "counter")[1] == 2


# -- from_directory ------------------------------------------------------------------------------------


def test_from_directory_imports_a_helper_module_from_the_code_folder(tmp_path: Path) -> None:
    folder = write_package(tmp_path / "code", {"app.py": HELPER_APP, "helper.py": HELPER})
    aws = service()
    aws.create_function("f", ll.Code.from_directory(folder), handler="app.handler")
    assert [invoke(aws, "f")[1] for _ in range(3)] == [1, 2, 3]  # warm: helper's state persists


def test_from_directory_helper_module_is_private_to_each_environment(tmp_path: Path) -> None:
    folder = write_package(tmp_path / "code", {"app.py": HELPER_APP, "helper.py": HELPER})
    aws = service()
    aws.create_function("f", ll.Code.from_directory(folder), handler="app.handler")
    first, second = overlapping(aws, "f")
    assert first.env_id != second.env_id
    assert (first.json(), second.json()) == (1, 1)
    # Nothing imported from the code folder stays behind in the host interpreter.
    assert "helper" not in sys.modules
    assert "app" not in sys.modules
    assert str(folder) not in sys.path


def test_from_directory_module_imported_inside_the_handler_is_private(tmp_path: Path) -> None:
    folder = write_package(tmp_path / "code", {"app.py": LAZY_HELPER_APP, "lazyhelper.py": HELPER})
    aws = service()
    aws.create_function("f", ll.Code.from_directory(folder), handler="app.handler")
    try:
        first, second = overlapping(aws, "f")
        assert first.env_id != second.env_id
        assert "lazyhelper" not in sys.modules
        assert (first.json(), second.json()) == (1, 1)
    finally:
        sys.modules.pop("lazyhelper", None)


def test_from_directory_two_functions_with_the_same_module_name_stay_apart(tmp_path: Path) -> None:
    one = write_package(tmp_path / "one", {"app.py": "def handler(event, context):\n    return 'one'\n"})
    two = write_package(tmp_path / "two", {"app.py": "def handler(event, context):\n    return 'two'\n"})
    aws = service()
    aws.create_function("one", ll.Code.from_directory(one), handler="app.handler")
    aws.create_function("two", ll.Code.from_directory(two), handler="app.handler")
    assert [invoke(aws, name)[1] for name in ("one", "two", "one")] == ["one", "two", "one"]


def test_from_directory_needs_an_existing_folder(tmp_path: Path) -> None:
    with pytest.raises(ll.InvalidParameterValueException, match="does not exist"):
        ll.Code.from_directory(tmp_path / "missing")


# -- from_zip ------------------------------------------------------------------------------------------


def test_from_zip_runs_a_package_built_in_memory() -> None:
    package = zip_bytes({"app.py": HELPER_APP, "helper.py": HELPER})
    aws = service()
    aws.create_function("f", ll.Code.from_zip(package), handler="app.handler")
    first, second = overlapping(aws, "f")
    assert (first.json(), second.json()) == (1, 1)  # helper private to each environment
    assert invoke(aws, "f")[1] == 2  # and persistent within one


def test_from_zip_reads_a_file_path(tmp_path: Path) -> None:
    path = tmp_path / "function.zip"
    path.write_bytes(zip_bytes({"app.py": "def handler(event, context):\n    return 42\n"}))
    aws = service()
    aws.create_function("f", ll.Code.from_zip(path), handler="app.handler")
    assert invoke(aws, "f")[1] == 42


def test_a_module_not_world_readable_fails_init_with_permission_denied() -> None:
    # AWS's runtime user does not own the files: a 600 file cannot be read. Python raises PermissionError,
    # which the runtime reports as it is (only ImportError becomes Runtime.ImportModuleError).
    aws = service()
    for name, modes in (("handler", {"app.py": 0o600}), ("helper", {"helper.py": 0o640})):
        package = zip_bytes({"app.py": HELPER_APP, "helper.py": HELPER}, modes)
        aws.create_function(name, ll.Code.from_zip(package), handler="app.handler")
        response, payload = invoke(aws, name)
        path = next(iter(modes))
        assert response["FunctionError"] == "Unhandled"
        assert (payload["errorType"], payload["errorMessage"]) == (
            "PermissionError",
            f"[Errno 13] Permission denied: '/var/task/{path}'",
        )
    assert "app" not in sys.modules and "helper" not in sys.modules


def test_permission_denied_is_linux_errno_13_on_any_host(monkeypatch: pytest.MonkeyPatch) -> None:
    # Lambda runs Linux; Pyodide's Emscripten numbers EACCES 2, and the page's Run button must still show 13.
    import errno

    monkeypatch.setattr(errno, "EACCES", 2)
    aws = service()
    package = zip_bytes({"app.py": HELPER_APP, "helper.py": HELPER}, {"app.py": 0o600})
    aws.create_function("f", ll.Code.from_zip(package), handler="app.handler")
    assert invoke(aws, "f")[1]["errorMessage"] == "[Errno 13] Permission denied: '/var/task/app.py'"


def test_python_zipfile_writestr_with_a_name_stores_600_which_lambda_cannot_read() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("pkg/__init__.py", "")
        archive.writestr("pkg/prices.py", "VAT = 0.08\n")
    package = zip_bytes({"app.py": "def handler(event, context):\n    import pkg.prices\n    return 1\n"})
    merged = io.BytesIO(package)
    with zipfile.ZipFile(merged, "a") as archive, zipfile.ZipFile(buffer) as quick:
        for info in quick.infolist():
            archive.writestr(info, quick.read(info))
    aws = service()
    aws.create_function("f", ll.Code.from_zip(merged.getvalue()), handler="app.handler")
    _, payload = invoke(aws, "f")  # INIT passes; the handler's own import fails, in a package folder
    assert (payload["errorType"], payload["errorMessage"]) == (
        "PermissionError",
        "[Errno 13] Permission denied: '/var/task/pkg/__init__.py'",
    )


@pytest.mark.parametrize(("modes", "system"), [({"app.py": 0o444}, 3), ({"app.py": 0o604}, 3), ({}, 0)])
def test_world_readable_or_windows_made_modules_load(modes: dict[str, int], system: int) -> None:
    # Read-only for everyone is enough; an entry made on Windows (create_system 0) has no Unix mode.
    package = zip_bytes({"app.py": "def handler(event, context):\n    return 42\n"}, modes, system)
    aws = service()
    aws.create_function("f", ll.Code.from_zip(package), handler="app.handler")
    assert invoke(aws, "f")[1] == 42


def test_from_zip_over_the_size_quota_is_too_large() -> None:
    small = dataclasses.replace(QUOTAS_TODAY, zip_max_bytes=1000)
    with pytest.raises(ll.RequestEntityTooLargeException) as caught:
        ll.Code.from_zip(b"\0" * 1001, small)
    assert caught.value.status_code == 413
    assert caught.value.message == "Request must be smaller than 1334 bytes for the CreateFunction operation"


def test_from_zip_over_50_mb_is_refused_before_unzipping() -> None:
    data = b"\0" * (50 * 1024 * 1024 + 1)  # not even a zip: the size check comes first
    with pytest.raises(ll.RequestEntityTooLargeException) as caught:
        ll.Code.from_zip(data)
    assert re.fullmatch(
        r"Request must be smaller than \d+ bytes for the CreateFunction operation", caught.value.message
    )


def test_from_zip_size_message_matches_aws() -> None:
    with pytest.raises(ll.RequestEntityTooLargeException) as caught:
        ll.Code.from_zip(b"\0" * (50 * 1024 * 1024 + 1))
    assert caught.value.message == "Request must be smaller than 69905067 bytes for the CreateFunction operation"


def test_from_zip_unzipped_over_the_quota_is_refused() -> None:
    small = dataclasses.replace(QUOTAS_TODAY, unzipped_max_bytes=100)
    package = zip_bytes({"app.py": "x = 1\n" * 100})
    with pytest.raises(ll.InvalidParameterValueException, match="Unzipped size must be smaller than 100 bytes"):
        ll.Code.from_zip(package, small)


def test_from_zip_bad_zip_is_an_invalid_parameter() -> None:
    with pytest.raises(ll.InvalidParameterValueException) as caught:
        ll.Code.from_zip(b"this is not a zip file")
    assert caught.value.status_code == 400
    assert caught.value.message == "Could not unzip uploaded file. Please check your file, then try to upload again."


# -- from_factory / from_callable ----------------------------------------------------------------------


def test_from_factory_builds_one_handler_per_environment() -> None:
    built: list[int] = []

    def factory() -> Any:
        built.append(1)
        state = {"count": 0}

        def handler(event: Any, context: Any) -> int:
            import time

            state["count"] += 1
            time.sleep(event.get("sleep", 0))
            return state["count"]

        return handler

    aws = service()
    aws.create_function("f", ll.Code.from_factory(factory))
    first, second = overlapping(aws, "f")
    assert len(built) == 2  # INIT ran once in each environment
    assert (first.json(), second.json()) == (1, 1)
    assert invoke(aws, "f")[1] == 2
    assert len(built) == 2  # a warm start runs no INIT


def test_from_factory_returning_a_non_callable_is_handler_not_found() -> None:
    aws = service()
    aws.create_function("f", ll.Code.from_factory(lambda: 42))
    response, payload = invoke(aws, "f")
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.HandlerNotFound"


def test_from_callable_shares_its_module_across_environments() -> None:
    seen: list[str] = []

    def handler(event: Any, context: Any) -> int:
        import time

        seen.append(context.aws_request_id)
        time.sleep(event.get("sleep", 0))
        return len(seen)

    aws = service()
    aws.create_function("f", ll.Code.from_callable(handler))
    first, second = overlapping(aws, "f")
    assert first.env_id != second.env_id
    assert len(seen) == 2
    assert sorted([first.json(), second.json()]) == [1, 2]  # one list for both: one Python module, as documented


def test_a_plain_function_is_wrapped_with_from_callable() -> None:
    aws = service()
    fn = aws.create_function("f", lambda event, context: context.function_name)
    assert fn.code is not None and fn.code.kind == "callable"
    assert invoke(aws, "f")[1] == "f"


@pytest.mark.parametrize("make", [ll.Code.from_callable, ll.Code.from_factory])
def test_callable_sources_reject_non_callables(make: Any) -> None:
    with pytest.raises(TypeError):
        make("handler")


# -- INIT failures -------------------------------------------------------------------------------------

SYNTAX_ERROR = "def handler(event, context)\n    return 1\n"
RAISES_AT_IMPORT = "raise ValueError('missing setting: TABLE_NAME')\n\ndef handler(event, context):\n    return 1\n"
MISSING_DEPENDENCY = "import no_such_dependency_xyz\n\ndef handler(event, context):\n    return 1\n"
GOOD = "def handler(event, context):\n    return 1\n"


INIT_FAILURES = [
    pytest.param(
        GOOD,
        "lambda_function.py",
        "app.handler",
        "Runtime.ImportModuleError",
        "Unable to import module 'app': No module named 'app'",
        id="no-module",
    ),
    pytest.param(
        GOOD, "app.py", "app.nope", "Runtime.HandlerNotFound", "Handler 'nope' missing on module 'app'", id="no-handler"
    ),
    pytest.param(
        GOOD,
        "app.py",
        "app",
        "Runtime.MalformedHandlerName",
        "Bad handler 'app': not enough values to unpack (expected 2, got 1)",
        id="malformed-handler",
    ),
    pytest.param(
        MISSING_DEPENDENCY,
        "app.py",
        "app.handler",
        "Runtime.ImportModuleError",
        "Unable to import module 'app': No module named 'no_such_dependency_xyz'",
        id="missing-dependency",
    ),
    pytest.param(
        RAISES_AT_IMPORT, "app.py", "app.handler", "ValueError", "missing setting: TABLE_NAME", id="module-raises"
    ),
]


@pytest.mark.parametrize(("source", "filename", "handler", "error_type", "message"), INIT_FAILURES)
def test_init_failure_returns_the_runtime_error_payload(
    source: str, filename: str, handler: str, error_type: str, message: str
) -> None:
    aws = service()
    aws.create_function("f", ll.Code.from_source(source, filename), handler=handler)
    response, payload = invoke(aws, "f")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amz-function-error"] == "Unhandled"
    assert list(payload) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert payload["errorType"] == error_type
    assert payload["errorMessage"] == message
    assert isinstance(payload["stackTrace"], list)
    (record,) = aws.requests().itertuples()
    assert (record.outcome, record.error_type, record.cold) == ("init_error", error_type, True)


def test_syntax_error_is_user_code_syntax_error() -> None:
    aws = service()
    aws.create_function("f", ll.Code.from_source(SYNTAX_ERROR, "app.py"), handler="app.handler")
    response, payload = invoke(aws, "f")
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.UserCodeSyntaxError"
    assert payload["errorMessage"].startswith("Syntax error in module 'app': ")
    assert "(app.py, line 1)" in payload["errorMessage"]
    assert payload["stackTrace"][0].startswith('  File "/var/task/app.py" Line 1\n')


def test_exception_raised_by_module_code_keeps_its_stack_trace() -> None:
    aws = service()
    aws.create_function("f", ll.Code.from_source(RAISES_AT_IMPORT, "app.py"), handler="app.handler")
    _, payload = invoke(aws, "f")
    assert payload["errorType"] == "ValueError"
    assert any('File "/var/task/app.py", line 1, in <module>' in line for line in payload["stackTrace"])


def test_directory_without_the_handler_module_is_import_module_error(tmp_path: Path) -> None:
    folder = write_package(tmp_path / "code", {"other.py": GOOD})
    aws = service()
    aws.create_function("f", ll.Code.from_directory(folder), handler="app.handler")
    response, payload = invoke(aws, "f")
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.ImportModuleError"
    assert payload["errorMessage"] == "Unable to import module 'app': No module named 'app'"


def test_zip_module_raising_at_import_leaves_nothing_behind() -> None:
    package = zip_bytes({"app.py": "import helper\nraise RuntimeError('boom')\n", "helper.py": HELPER})
    aws = service()
    aws.create_function("f", ll.Code.from_zip(package), handler="app.handler")
    _, payload = invoke(aws, "f")
    assert (payload["errorType"], payload["errorMessage"]) == ("RuntimeError", "boom")
    assert "app" not in sys.modules and "helper" not in sys.modules


def test_failed_init_resets_the_environment_so_the_next_request_is_cold_again() -> None:
    aws = service()
    aws.create_function("f", ll.Code.from_source(RAISES_AT_IMPORT, "app.py"), handler="app.handler")
    invoke(aws, "f")
    invoke(aws, "f")
    records = aws.requests()
    assert records.cold.tolist() == [True, True]
    assert records.env_id.nunique() == 2
    assert records.outcome.tolist() == ["init_error", "init_error"]
    assert not aws.function("f").environments


def test_init_error_payload_has_the_request_id_today_and_not_in_2019() -> None:
    today, then = service("today"), service("2019")
    today.create_function("f", ll.Code.from_source(GOOD, "app.py"), handler="app.nope")
    then.create_function("f", ll.Code.from_source(GOOD, "app.py"), handler="app.nope", runtime="python3.7")
    _, now_payload = invoke(today, "f")
    _, old_payload = invoke(then, "f")
    assert "requestId" in now_payload
    assert list(old_payload) == ["errorMessage", "errorType", "stackTrace"]
    assert old_payload["errorType"] == "Runtime.HandlerNotFound"


def test_init_error_payload_request_id_is_empty_as_in_the_runtime() -> None:
    aws = service()
    aws.create_function("f", ll.Code.from_source(GOOD, "lambda_function.py"), handler="app.handler")
    _, payload = invoke(aws, "f")
    assert payload == {
        "errorMessage": "Unable to import module 'app': No module named 'app'",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    }


def test_a_handler_module_named_like_a_standard_module_does_not_replace_it(tmp_path: Path) -> None:
    import json as real_json
    import sys

    (tmp_path / "json.py").write_text("def handler(event, context):\n    return 'mine'\n")
    aws = ll.Lambda(ll.Simulation(seed=1))
    aws.create_function("f", ll.Code.from_directory(tmp_path), handler="json.handler")
    assert aws.invoke(FunctionName="f")["Payload"].read() == b'"mine"'
    assert sys.modules["json"] is real_json


def test_a_builtin_module_cannot_be_the_handler_module() -> None:
    aws = ll.Lambda(ll.Simulation(seed=1))
    aws.create_function("f", ll.Code.from_source("def handler(e, c):\n    pass\n", "sys.py"), handler="sys.handler")
    payload = json.loads(aws.invoke(FunctionName="f")["Payload"].read())
    assert payload["errorType"] == "Runtime.BuiltInModuleConflict"
    assert payload["errorMessage"] == "Cannot use built-in module sys as a handler module"

"""Each execution environment's own ``/tmp`` (lambdalab.tmpfs).

https://docs.aws.amazon.com/lambda/latest/dg/configuration-ephemeral-storage.html: every execution
environment has its own ``/tmp``, 512 MB unless the function's ephemeral storage is larger;
https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html: it persists for the
environment's lifetime (a warm invocation finds what an earlier one wrote) and goes with it.
"""

from __future__ import annotations

import builtins
import gc
import glob
import io
import json
import os
import pathlib
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import lambdalab as ll
from lambdalab import tmpfs
from lambdalab.invoke import InvocationResult
from support import call, create_from_source, source_service

NAME = f"lambdalab-test-{uuid.uuid4().hex}"  # the tests' files in /tmp start with it: the host holds none
MiB = 1024 * 1024

COUNTER = f"""\
import pathlib
import time

PATH = pathlib.Path("/tmp/{NAME}")


def handler(event, context):
    count = int(PATH.read_text()) + 1 if PATH.exists() else 1
    PATH.write_text(str(count))
    time.sleep(event.get("sleep", 0))
    return count
"""


class Recording(set[str]):
    """``tmpfs._ROOTS`` that remembers every folder made."""

    def __init__(self, live: set[str]) -> None:
        super().__init__(live)
        self.made: list[str] = []

    def add(self, root: str) -> None:
        self.made.append(root)
        super().add(root)


pytestmark = pytest.mark.skipif(os.name != "posix", reason="lambdalab emulates /tmp on POSIX hosts only")


@pytest.fixture(autouse=True)
def host_tmp_untouched() -> Iterator[None]:
    """The handlers' files never reach the host's /tmp (and if a broken build lets them, they go)."""
    tmpfs.install()
    assert builtins.open is tmpfs._open, "lambdalab's /tmp wrappers are not installed"
    yield
    leaked = glob.glob(f"/tmp/{NAME}*")
    for path in leaked:
        shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.unlink(path)
    assert not leaked, "a handler wrote to the host's /tmp"


@pytest.fixture
def roots(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], list[str]]]:
    """The host folders of the environments made since the test began (deleted ones too)."""
    recording = Recording(tmpfs._ROOTS)
    monkeypatch.setattr(tmpfs, "_ROOTS", recording)
    yield lambda: recording.made


def submit_all(aws: ll.Lambda, events: list[dict[str, Any]], name: str = "f") -> list[InvocationResult]:
    """Send the requests at once (concurrently), run the simulation, return their results in order."""
    results: dict[int, InvocationResult] = {}
    for index, event in enumerate(events):
        aws.submit(name, json.dumps(event), callback=lambda r, i=index: results.__setitem__(i, r))
    aws.sim.run_until(lambda: len(results) == len(events))
    return [results[i] for i in range(len(events))]


# -- one environment's own /tmp, for its lifetime --------------------------------------------------------


def test_a_warm_invocation_finds_what_an_earlier_one_wrote(roots: Callable[[], list[str]]) -> None:
    aws = source_service()
    create_from_source(aws, COUNTER)
    first, second = call(aws), call(aws)
    assert (first.json(), second.json()) == (1, 2)
    assert first.env_id == second.env_id and not second.cold
    (root,) = roots()
    assert Path(root, NAME).read_text() == "2"  # the environment's host folder, not the host's /tmp


def test_what_init_writes_the_handler_reads() -> None:
    source = f"""\
with open("/tmp/{NAME}.bin", "wb") as f:
    f.write(b"weights")


def handler(event, context):
    with open("/tmp/{NAME}.bin", "rb") as f:
        return [f.read().decode(), f.name]
"""
    aws = source_service()
    create_from_source(aws, source)
    assert call(aws).json() == ["weights", f"/tmp/{NAME}.bin"]


def test_two_environments_never_share_their_tmp(roots: Callable[[], list[str]]) -> None:
    aws = source_service()
    create_from_source(aws, COUNTER)
    first, second = submit_all(aws, [{"sleep": 1}, {"sleep": 1}])  # concurrent: two environments
    assert first.env_id != second.env_id
    assert (first.json(), second.json()) == (1, 1)
    assert len(roots()) == 2
    assert call(aws).json() == 2  # warm: one of the two


def test_another_function_does_not_see_it() -> None:
    aws = source_service()
    create_from_source(aws, COUNTER, name="f")
    create_from_source(aws, COUNTER, name="g")
    assert [call(aws, "f").json(), call(aws, "f").json(), call(aws, "g").json()] == [1, 2, 1]


def test_the_host_tmp_is_not_the_handlers(roots: Callable[[], list[str]]) -> None:
    host = Path(f"/tmp/{NAME}-host")
    host.write_text("the host's")
    try:
        source = f"""\
import os


def handler(event, context):
    seen = os.path.exists("/tmp/{NAME}-host")
    with open("/tmp/{NAME}-host", "w") as f:
        f.write("the handler's")
    return seen
"""
        aws = source_service()
        create_from_source(aws, source)
        assert call(aws).json() is False
        assert host.read_text() == "the host's"
    finally:
        host.unlink()


# -- gone with the environment ---------------------------------------------------------------------------


def test_tmp_is_deleted_when_the_idle_environment_is_reaped(roots: Callable[[], list[str]]) -> None:
    aws = source_service()  # idle lifetime: exactly 600 s
    create_from_source(aws, COUNTER)
    assert call(aws).json() == 1
    (root,) = roots()
    assert os.path.isdir(root)
    kept = list(aws.functions["f"].environments.values())  # not garbage: the shutdown itself deletes the folder
    aws.sim.run(until=aws.sim.now + 601)
    assert kept[0].state is ll.EnvState.SHUT_DOWN and not os.path.exists(root)
    again = call(aws)
    assert again.cold and again.json() == 1  # a new environment starts with an empty /tmp


def test_a_timeout_resets_the_environment_but_keeps_its_tmp(roots: Callable[[], list[str]]) -> None:
    """ "The Lambda reset does not clear the /tmp directory content prior to the next init phase"
    (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html, failures during invoke)."""
    aws = source_service()
    create_from_source(aws, COUNTER, timeout=1)
    assert call(aws, event={"sleep": 5}).outcome == "timeout"
    (root,) = roots()
    assert os.path.exists(root)
    assert call(aws).json() == 2  # the timed-out request had written 1
    assert roots() == [root]
    aws.sim.run()  # reaped at last: its /tmp goes with it
    assert not os.path.exists(root)


def test_a_failed_init_leaves_no_folder(roots: Callable[[], list[str]]) -> None:
    source = f"""\
open("/tmp/{NAME}", "w").write("x")
raise RuntimeError("no config")


def handler(event, context):
    return 1
"""
    aws = source_service()
    create_from_source(aws, source)
    assert call(aws).outcome == "init_error"
    (root,) = roots()
    assert not os.path.exists(root)


def test_a_lambda_that_is_garbage_collected_leaves_no_folder(roots: Callable[[], list[str]]) -> None:
    aws = source_service()
    create_from_source(aws, COUNTER)
    call(aws)
    (root,) = roots()
    del aws
    gc.collect()
    assert not os.path.exists(root) and root not in tmpfs._ROOTS


# -- size ------------------------------------------------------------------------------------------------

FULL = """\
import errno
import os
import shutil


def write(path, at=0):
    try:
        with open(path, "wb") as f:
            f.seek(at)
            f.write(b"x")
        return "ok"
    except OSError as error:
        return f"{errno.errorcode[error.errno]} {error}"


def handler(event, context):
    limit = event["mb"] * 1024 * 1024
    usage = shutil.disk_usage("/tmp")
    steps = [usage.total, usage.used]
    steps.append(write("/tmp/big", limit - 1))  # sparse: nothing much reaches the host's disk
    steps.append(shutil.disk_usage("/tmp").free)
    steps.append(write("/tmp/more"))
    try:
        shutil.copyfile("/tmp/big", "/tmp/copy")
    except OSError as error:
        steps.append(str(error))
    os.remove("/tmp/big")
    steps.append(write("/tmp/more"))
    return steps
"""


@pytest.mark.parametrize("mb", [512, 1024])
def test_writing_past_the_ephemeral_storage_is_enospc(mb: int) -> None:
    aws = source_service()
    create_from_source(aws, FULL.replace("/tmp/", f"/tmp/{NAME}-"), ephemeral_storage=mb)
    assert call(aws, event={"mb": mb}).json() == [
        mb * MiB,
        0,
        "ok",
        0,
        "ENOSPC [Errno 28] No space left on device",
        "[Errno 28] No space left on device",
        "ok",
    ]


# -- the usual APIs ---------------------------------------------------------------------------------------

APIS = """\
import glob
import os
import pathlib
import shutil
import sqlite3
import tempfile


def handler(event, context):
    out = {}
    base = pathlib.Path("/tmp/work")
    base.mkdir()
    (base / "a.txt").write_text("alpha")
    out["pathlib"] = [p.name for p in base.iterdir()] + [(base / "a.txt").read_text(), base.is_dir()]
    os.makedirs("/tmp/work/sub/deep")
    shutil.copy("/tmp/work/a.txt", "/tmp/work/sub/b.txt")
    os.rename("/tmp/work/sub/b.txt", "/tmp/work/sub/c.txt")
    os.replace(b"/tmp/work/sub/c.txt", b"/tmp/work/sub/deep/d.txt")
    out["walk"] = [[top, sorted(dirs), sorted(files)] for top, dirs, files in os.walk("/tmp/work", topdown=False)]
    out["scandir"] = sorted(entry.path for entry in os.scandir("/tmp/work"))
    out["glob"] = sorted(glob.glob("/tmp/work/**/*.txt", recursive=True))
    out["stat"] = [os.stat("/tmp/work/a.txt").st_size, os.path.getsize("/tmp/../tmp/work/a.txt"),
                   os.path.isfile("/tmp/work/a.txt"), os.path.exists("/tmp")]
    shutil.rmtree("/tmp/work/sub")
    os.chdir("/tmp/work")
    with open("rel.txt", "w") as f:
        f.write("relative")
    out["cwd"] = [os.getcwd(), os.path.abspath("rel.txt"), sorted(os.listdir())]
    try:
        open("/tmp/work/missing.txt")
    except FileNotFoundError as error:
        out["error"] = str(error)
    db = sqlite3.connect("/tmp/work/db.sqlite")
    db.execute("create table t (x)")
    db.execute("insert into t values (42)")
    db.commit()
    db.close()
    out["sqlite"] = sqlite3.connect("/tmp/work/db.sqlite").execute("select x from t").fetchall()
    with tempfile.NamedTemporaryFile(suffix=".tmp") as named:
        named.write(b"named")
        named.flush()
        out["tempfile"] = [tempfile.gettempdir(), os.path.dirname(named.name), os.path.getsize(named.name)]
    folder = tempfile.mkdtemp()
    out["tempfile"].append(os.path.isdir(folder) and folder.startswith("/tmp/"))
    os.symlink("/tmp/work/a.txt", "/tmp/work/link")
    out["link"] = [os.readlink("/tmp/work/link"), open("/tmp/work/link").read()]
    return out
"""


WORK = f"/tmp/{NAME}"


def test_the_usual_file_apis_reach_the_environments_tmp() -> None:
    aws = source_service()
    create_from_source(aws, APIS.replace("/tmp/work", WORK))
    cwd = os.getcwd()
    out = call(aws).json()
    assert out["pathlib"] == ["a.txt", "alpha", True]
    assert out["walk"] == [
        [f"{WORK}/sub/deep", [], ["d.txt"]],
        [f"{WORK}/sub", ["deep"], []],
        [WORK, ["sub"], ["a.txt"]],
    ]
    assert out["scandir"] == [f"{WORK}/a.txt", f"{WORK}/sub"]
    assert out["glob"] == [f"{WORK}/a.txt", f"{WORK}/sub/deep/d.txt"]
    assert out["stat"] == [5, 5, True, True]
    assert out["cwd"] == [WORK, f"{WORK}/rel.txt", ["a.txt", "rel.txt"]]
    assert out["error"] == f"[Errno 2] No such file or directory: '{WORK}/missing.txt'"
    assert out["sqlite"] == [[42]]
    assert out["tempfile"] == ["/tmp", "/tmp", 5, True]
    assert out["link"] == [f"{WORK}/a.txt", "alpha"]
    assert os.getcwd() == cwd  # the host's current folder did not move


def test_tempfile_follows_the_environments_tmpdir() -> None:
    source = f"""\
import os
import tempfile

os.mkdir("/tmp/{NAME}")


def handler(event, context):
    return [tempfile.gettempdir(), os.path.dirname(tempfile.mkstemp()[1])]
"""
    aws = source_service()
    create_from_source(aws, source, environment={"TMPDIR": f"/tmp/{NAME}"})
    assert call(aws).json() == [f"/tmp/{NAME}", f"/tmp/{NAME}"]


def test_a_callable_handler_has_a_tmp_too() -> None:
    def handler(event: Any, context: Any) -> list[str]:
        path = pathlib.Path(f"/tmp/{NAME}")
        with path.open("a") as f:
            f.write(event["note"])
        return [*sorted(os.listdir("/tmp")), path.read_text()]

    aws = source_service()
    aws.create_function("f", ll.Code.from_callable(handler), handler="app.handler")
    assert call(aws, event={"note": "a"}).json() == [NAME, "a"]
    assert call(aws, event={"note": "b"}).json() == [NAME, "ab"]


def test_a_code_folder_under_the_hosts_tmp_stays_the_hosts(tmp_path: Path) -> None:
    """The code folder (here under the host's /tmp, where pytest keeps it) is /var/task on Lambda, not /tmp."""
    (tmp_path / "data.txt").write_text("data")
    (tmp_path / "app.py").write_text(
        "import os\n"
        "DATA = open(os.path.join(os.path.dirname(__file__), 'data.txt')).read()\n"
        "def handler(event, context):\n"
        f"    open('/tmp/{NAME}', 'w').write(DATA)\n"
        "    return [DATA, open(os.path.join(os.path.dirname(__file__), 'data.txt')).read(), os.listdir('/tmp')]\n"
    )
    aws = source_service()
    aws.create_function("f", ll.Code.from_directory(tmp_path), handler="app.handler")
    assert call(aws).json() == ["data", "data", [NAME]]
    assert {p.name for p in tmp_path.iterdir()} - {"__pycache__"} == {"app.py", "data.txt"}


def test_outside_handler_code_the_file_apis_are_the_hosts(tmp_path: Path) -> None:
    aws = source_service()
    create_from_source(aws, COUNTER)
    call(aws)  # the wrappers are installed
    assert builtins.open is io.open and getattr(builtins.open, "__wrapped__", None) is not None
    path = tmp_path / "host.txt"
    with open(path, "w") as f:
        f.write("host")
    assert path.read_text() == "host" and os.listdir(tmp_path) == ["host.txt"]
    assert os.path.isdir("/tmp") and NAME not in os.listdir("/tmp")
    assert os.stat in os.supports_follow_symlinks  # shutil.rmtree and copystat still use the fd functions


def test_a_handler_reads_host_paths_outside_tmp() -> None:
    source = f"""\
def handler(event, context):
    return open({__file__!r}).readline()
"""
    aws = source_service()
    create_from_source(aws, source)
    assert call(aws).json() == '"""Each execution environment\'s own ``/tmp`` (lambdalab.tmpfs).\n'


def test_a_handler_defined_in_a_notebook_uses_the_tmp_of_its_environment() -> None:
    """A notebook's ``open`` is IPython's wrapper of the ``io.open`` it imported before lambdalab; it reaches the
    environment's /tmp too. And a process that ends with its environments still up leaves no folder behind."""
    pytest.importorskip("IPython.core.interactiveshell")
    script = f"""\
import json, os, sys
from IPython.core.interactiveshell import _modified_open as notebook_open  # imported first, as in Jupyter
sys.path.insert(0, {str(Path(__file__).parent)!r})
import lambdalab as ll
from lambdalab import tmpfs
from support import call, source_service

def handler(event, context):
    with notebook_open("/tmp/{NAME}", "a") as f:
        f.write("x")
    with notebook_open("/tmp/{NAME}") as f:
        return f.read()

aws = source_service()
aws.create_function("f", ll.Code.from_callable(handler), handler="app.handler")
print(json.dumps([call(aws).json(), call(aws).json(), sorted(tmpfs._ROOTS)]))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    first, second, folders = json.loads(done.stdout)
    assert [first, second] == ["x", "xx"] and len(folders) == 1
    assert not os.path.exists(folders[0])  # deleted at exit


def test_the_folders_of_killed_processes_are_swept_away(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = Path(tmpfs._host_tmp, f"lambdalab-tmp-{int(dead.stdout)}-{uuid.uuid4().hex[:12]}")
    mine = Path(tmpfs._host_tmp, f"lambdalab-tmp-{os.getpid()}-{uuid.uuid4().hex[:12]}")
    left.mkdir()
    mine.mkdir()
    try:
        tmpfs._sweep()
        assert not left.exists() and mine.exists()
    finally:
        mine.rmdir()

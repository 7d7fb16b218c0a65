"""Launch buttons that lead somewhere (or are left out), the site's wheel, and downloadable notebooks."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml
from IPython.core.inputtransformer2 import TransformerManager
from playwright.sync_api import Browser
from sphinx.errors import ConfigError

from browser_support import Visit
from conftest import BuiltBook
from lambdalab_book import launch, serve

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "chapters/01_why_serverless"
WHEEL = launch.wheel_name(ROOT)
PLACEHOLDER = "github.com/lambda-lab"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True)


# --- Which repository -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "url"),
    [
        ("git@github.com:owner/repo.git", "https://github.com/owner/repo"),
        ("github.com:owner/repo", "https://github.com/owner/repo"),
        ("ssh://git@github.com/owner/repo.git", "https://github.com/owner/repo"),
        ("ssh://git@github.com:22/owner/repo", "https://github.com/owner/repo"),
        ("https://github.com/owner/repo.git", "https://github.com/owner/repo"),
        ("https://github.com/owner/repo/", "https://github.com/owner/repo"),
        ("https://github.com/owner/repo/tree/main", "https://github.com/owner/repo"),
        ("https://user:secret-token@github.com/owner/repo.git", "https://github.com/owner/repo"),
        ("http://GitHub.com/owner/repo", "https://github.com/owner/repo"),
        ("git://github.com/owner/repo.git", "https://github.com/owner/repo"),
        ("git@gitlab.com:group/sub/repo.git", "https://gitlab.com/group/sub/repo"),
        ("https://gitlab.example.org/course/lambda-lab.git", "https://gitlab.example.org/course/lambda-lab"),
    ],
)
def test_remotes_of_each_form_become_https_urls(remote: str, url: str) -> None:
    assert launch.normalise(remote) == url


@pytest.mark.parametrize(
    "remote",
    [
        "/srv/git/lambda-lab.git",
        "../lambda-lab",
        "lambda-lab",
        "file:///srv/git/lambda-lab.git",
        "C:\\repos\\lambda-lab",
        "C:/repos/lambda-lab",
        "https://example.org/owner/repo",  # Binder and the theme know GitHub and GitLab
        "https://github.com/owner",
        "https://github.com/",
        "",
    ],
)
def test_local_paths_and_other_hosts_are_no_repository(remote: str) -> None:
    assert launch.normalise(remote) is None


def test_the_environment_variable_comes_first(tmp_path: Path) -> None:
    environ = {launch.ENV: "git@github.com:course/lambda-lab.git"}
    assert launch.resolve("https://github.com/other/repo", environ, tmp_path) == (
        "https://github.com/course/lambda-lab",
        launch.ENV,
    )
    assert launch.resolve("https://github.com/other/repo", {launch.ENV: "none"}, tmp_path) == (None, launch.ENV)


def test_then_the_config(tmp_path: Path) -> None:
    url, source = launch.resolve("https://github.com/other/repo/", {launch.ENV: " "}, tmp_path)
    assert url == "https://github.com/other/repo" and "_config.yml" in source


def test_a_setting_that_is_no_repository_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=launch.ENV):
        launch.resolve("", {launch.ENV: "/srv/git/lambda-lab"}, tmp_path)
    with pytest.raises(ConfigError, match=r"_config\.yml"):
        launch.resolve("https://example.org/o/r", {}, tmp_path)


def test_then_the_git_remote(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    assert launch.resolve("", {}, tmp_path) == (None, "none found")  # no origin
    git(tmp_path, "remote", "add", "origin", "git@github.com:course/lambda-lab.git")
    assert launch.resolve("", {}, tmp_path) == ("https://github.com/course/lambda-lab", "git remote origin")
    # Jupyter Book's default repository.url is what a config without one gets: not a setting.
    assert launch.resolve(launch.JUPYTER_BOOK_DEFAULT, {}, tmp_path)[0] == "https://github.com/course/lambda-lab"


def test_a_local_origin_is_no_repository(tmp_path: Path) -> None:
    """CI clones from a local path: its origin is that path."""
    upstream, clone = tmp_path / "upstream", tmp_path / "clone"
    upstream.mkdir()
    git(upstream, "init", "-q")
    git(tmp_path, "clone", "-q", str(upstream), str(clone))
    assert launch.resolve("", {}, clone) == (None, "none found")
    git(clone, "remote", "set-url", "origin", upstream.as_uri())
    assert launch.resolve("", {}, clone) == (None, "none found")
    assert launch.resolve("", {}, tmp_path / "not-a-repository") == (None, "none found")


def test_the_config_ships_no_placeholder_repository() -> None:
    assert PLACEHOLDER not in (ROOT / "_config.yml").read_text()
    assert "repository_url" not in str(yaml.safe_load((ROOT / "_config.yml").read_text()).get("sphinx"))


# --- The wheel ------------------------------------------------------------------------------


def test_the_wheel_is_the_same_bytes_on_every_build(tmp_path: Path) -> None:
    first = launch.build_wheel(ROOT, tmp_path / "a")
    second = launch.build_wheel(ROOT, tmp_path / "b")
    assert first.name == second.name == WHEEL and re.fullmatch(r"lambdalab-[\w.]+-py3-none-any\.whl", WHEEL)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert {info.date_time for info in archive.infolist()} == {launch.ZIP_DATE}
        names = archive.namelist()
        dist_info = WHEEL.split("-py3")[0] + ".dist-info"
        assert "lambdalab/__init__.py" in names and "lambdalab/cli.py" in names
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        assert names[-1] == f"{dist_info}/RECORD"
        record = archive.read(f"{dist_info}/RECORD").decode().splitlines()
        assert sorted(line.split(",")[0] for line in record) == sorted(names)
        for line in record:
            path, digest, size = line.split(",")
            if path.endswith("RECORD"):
                assert digest == size == ""
                continue
            data = archive.read(path)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert digest == f"sha256={expected}" and int(size) == len(data), path
        metadata = archive.read(f"{dist_info}/METADATA").decode()
        assert "Name: lambdalab\n" in metadata and "Requires-Python: >=3.10\n" in metadata
        assert "Tag: py3-none-any\n" in archive.read(f"{dist_info}/WHEEL").decode()


def test_the_wheel_installs_with_pip_and_declares_the_console_script(tmp_path: Path) -> None:
    wheel = launch.build_wheel(ROOT, tmp_path / "dist")
    target = tmp_path / "target"
    pip = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--disable-pip-version-check", "-q"]
    done = subprocess.run([*pip, "--target", str(target), str(wheel)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (target / "bin" / "lambdalab").exists() or (target / "Scripts" / "lambdalab.exe").exists()
    # -S: no site-packages, so not the editable lambdalab of .venv; only the target folder.
    probe = (
        "import importlib.metadata as m, lambdalab, lambdalab.cli;"
        "print(lambdalab.__file__);"
        "print([e.value for e in m.distribution('lambdalab').entry_points if e.group == 'console_scripts'])"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run([sys.executable, "-S", "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    file, scripts = done.stdout.splitlines()
    assert Path(file).is_relative_to(target)
    assert scripts == "['lambdalab.cli:main']"


# --- The downloadable notebook --------------------------------------------------------------


def setup_cell_url(nb: dict[str, Any]) -> str:
    source = "".join(nb["cells"][0]["source"])
    match = re.search(r"%pip install --quiet (\S+\.whl)((?: \S+==\S+)*)$", source, re.M)
    assert match, source
    # The notebook's other imports are installed at the pinned stack's versions.
    pins = set((ROOT / "requirements.txt").read_text().split())
    assert set(match.group(2).split()) <= pins, match.group(2)
    return match.group(1)


def test_the_downloadable_notebook_is_the_notebook_after_a_setup_cell() -> None:
    text = (ROOT / f"{CHAPTER}.ipynb").read_text()
    url = "https://example.org/book/_static/lambdalab/wheels/" + WHEEL
    copy = launch.downloadable(text, url)
    nb, original = json.loads(copy), json.loads(text)
    nbformat.validate(nbformat.reads(copy, as_version=4))
    first = nb["cells"][0]
    assert first["cell_type"] == "code" and first["outputs"] == [] and first["execution_count"] is None
    assert first["source"][0].startswith("# ") and sum(line.lstrip().startswith("#") for line in first["source"]) == 1
    assert setup_cell_url(nb) == url
    assert nb["cells"][1:] == original["cells"]
    assert {k: v for k, v in nb.items() if k != "cells"} == {k: v for k, v in original.items() if k != "cells"}
    assert copy == launch.downloadable(text, url)


def test_the_setup_cell_installs_only_when_lambdalab_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://example.org/_static/lambdalab/wheels/" + WHEEL
    code = TransformerManager().transform_cell(launch.setup_source(url))
    calls: list[tuple[str, str]] = []

    class Shell:
        def run_line_magic(self, name: str, line: str) -> None:
            calls.append((name, line))

    exec(code, {"get_ipython": Shell})  # lambdalab importable: nothing happens
    assert calls == []
    monkeypatch.setitem(sys.modules, "lambdalab", None)  # import raises ImportError
    exec(code, {"get_ipython": Shell})
    assert calls == [("pip", f"install --quiet {url}")]


def test_the_setup_cell_installs_the_notebooks_other_imports_at_the_pinned_versions() -> None:
    nb = json.loads((ROOT / f"{CHAPTER}.ipynb").read_text())
    others = launch.third_party_imports(nb)
    pins = (ROOT / "requirements.txt").read_text().split()
    assert others and all(spec in pins for spec in others.values()), others
    assert "plotly" in others and "lambdalab" not in others and "json" not in others
    source = launch.setup_source("w.whl", others)
    assert f"import lambdalab, {', '.join(sorted(others))}" in source
    assert source.rstrip().endswith(" ".join(["w.whl", *(others[m] for m in sorted(others))]))


def test_the_wheel_url_is_absolute_with_a_base_url_else_relative_to_the_notebook() -> None:
    source = f"_sources/{CHAPTER}.ipynb"
    absolute = launch.wheel_url("https://course.example.org/book/", source, WHEEL)
    assert absolute == f"https://course.example.org/book/_static/lambdalab/wheels/{WHEEL}"
    assert launch.wheel_url("", source, WHEEL) == f"../../_static/lambdalab/wheels/{WHEEL}"


# --- The built site -------------------------------------------------------------------------


def test_without_a_repository_there_are_no_repository_or_launch_buttons(built_book: BuiltBook) -> None:
    configured = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    url, source = launch.resolve(configured, os.environ, ROOT)
    for page in [*built_book.pages(), built_book.html / "index.html", built_book.html / "search.html"]:
        html = page.read_text()
        assert PLACEHOLDER not in html, page.name
        if url is None:  # as in CI, whose clone's origin is a local path
            assert "fa-rocket" not in html and "dropdown-launch-buttons" not in html, page.name
            assert "btn-source-repository-button" not in html and "fab fa-github" not in html, page.name
            chrome = re.sub(r'<article class="bd-article".*?</article>', "", html, flags=re.S)  # a chapter may cite
            assert not re.search(r"href=\"https?://([\w.]*\.)?(github|gitlab)\.com|mybinder\.org", chrome), page.name
        elif page in built_book.pages():  # a clone with a GitHub origin, or the variable set
            assert f'href="{url}"' in html, f"{page.name}: no button for {url} (from {source})"


def test_the_downloadable_notebooks_have_the_setup_cell(built_book: BuiltBook) -> None:
    copy = json.loads((built_book.html / "_sources" / f"{CHAPTER}.ipynb").read_text())
    original = json.loads((ROOT / f"{CHAPTER}.ipynb").read_text())
    assert copy["cells"][0]["id"] == launch.SETUP_CELL_ID
    assert copy["cells"][1:] == original["cells"]
    assert setup_cell_url(copy) == f"../../_static/lambdalab/wheels/{WHEEL}"


def test_the_site_serves_the_wheel(built_book: BuiltBook, site: str, tmp_path: Path) -> None:
    with urllib.request.urlopen(f"{site}/_static/lambdalab/wheels/{WHEEL}") as response:
        assert response.status == 200
        served = response.read()
    assert served == launch.build_wheel(ROOT, tmp_path).read_bytes()  # another build, the same bytes
    assert [p.name for p in (built_book.html / "_static" / "lambdalab" / "wheels").iterdir()] == [WHEEL]


@pytest.mark.browser
def test_a_downloaded_notebook_names_the_sites_wheel(site: str, browser: Browser, tmp_path: Path) -> None:
    with Visit(browser, site, f"{CHAPTER}.html") as visit:
        page = visit.page
        page.click(".dropdown-download-buttons button.dropdown-toggle")
        with page.expect_download() as info:
            page.click('.dropdown-download-buttons a[href$=".ipynb"]')
        download = info.value
        assert download.suggested_filename == Path(CHAPTER).name + ".ipynb"
        download.save_as(tmp_path / download.suggested_filename)
        assert not visit.errors and not visit.foreign and not visit.failed
    nb = json.loads((tmp_path / download.suggested_filename).read_text())
    assert nb["cells"][1:] == json.loads((ROOT / f"{CHAPTER}.ipynb").read_text())["cells"]
    url = setup_cell_url(nb)
    assert url == f"{site}/_static/lambdalab/wheels/{WHEEL}"
    with urllib.request.urlopen(url) as response:
        assert response.status == 200 and response.read()[:2] == b"PK"


@pytest.mark.book
def test_a_repository_setting_gives_the_buttons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(launch.ENV, "git@github.com:some-course/lambda-lab.git")
    done = serve.build(ROOT, output=tmp_path)
    assert done.returncode == 0, (done.stdout + done.stderr)[-5000:]
    html = tmp_path / "_build" / "html"
    chapter = (html / f"{CHAPTER}.html").read_text()
    binder = f"https://mybinder.org/v2/gh/some-course/lambda-lab/main?urlpath=lab/tree/{CHAPTER}.ipynb"
    assert f'href="{binder}"' in chapter and "fa-rocket" in chapter
    for page in (chapter, (html / "intro.html").read_text()):
        assert 'href="https://github.com/some-course/lambda-lab"' in page and "btn-source-repository-button" in page
        assert PLACEHOLDER not in page

"""Launch buttons that lead somewhere, and notebooks that run once downloaded.

- The repository button and the Binder launch button point at the repository named by, in
  order: the ``LAMBDALAB_REPOSITORY_URL`` environment variable, ``repository.url`` in
  ``_config.yml``, or ``git remote get-url origin`` (made an https URL). Only GitHub and GitLab
  repositories are launchable; an origin that is a local path (as in CI's clone) is none. With
  no repository both buttons are left out. ``LAMBDALAB_REPOSITORY_URL=none`` turns them off.
- The site serves ``lambdalab`` as a wheel, ``_static/lambdalab/wheels/NAME.whl``, written here
  from the working tree byte for byte the same on every build (fixed zip dates and order).
- The notebook offered for download (``_sources/PATH.ipynb``) is the repository's notebook with
  a first, set-up cell that installs the wheel when ``lambdalab`` is not importable. The cell
  names the wheel by ``html_baseurl`` when that is set; otherwise by a path relative to the
  notebook, which a small script on the page turns into the absolute URL at download time.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import posixpath
import re
import stat
import subprocess
import sys
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError
from sphinx.util import logging

if sys.version_info >= (3, 11):
    import tomllib
else:  # Sphinx depends on tomli before Python 3.11
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

ENV = "LAMBDALAB_REPOSITORY_URL"
#: Jupyter Book's own default for ``repository.url``: what a config without one gets.
JUPYTER_BOOK_DEFAULT = "https://github.com/executablebooks/jupyter-book"
DEFAULT_BINDERHUB = "https://mybinder.org"
WHEELS = "_static/lambdalab/wheels"
SETUP_CELL_ID = "lambdalab-setup"
SETUP_COMMENT = (
    "# Set-up, added to the copy downloaded from the Lambda Lab site: installs what this notebook imports"
    " (lambdalab from the site, the rest at the versions the book was run with) if any of it is missing."
)
#: The packages (import name -> distribution name) a notebook may import besides the standard
#: library and lambdalab; their versions come from the pinned stack, requirements.txt.
THIRD_PARTY = {"ipywidgets": "ipywidgets", "numpy": "numpy", "pandas": "pandas", "plotly": "plotly"}
PINS = Path(__file__).resolve().parents[2] / "requirements.txt"
INSTALL = "%pip install --quiet "
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
NAME = r"[A-Za-z0-9_.-]+"

LOGGER = logging.getLogger(__name__)


# --- The repository -------------------------------------------------------------------------


def launchable(host: str) -> bool:
    """Hosts that Binder launches from and sphinx-book-theme links to: GitHub and GitLab."""
    return host in ("github.com", "gitlab.com") or host.startswith("gitlab.")


def normalise(remote: str) -> str | None:
    """``https://HOST/OWNER/REPO`` for a git remote or URL on a launchable host, else None.

    >>> normalise("git@github.com:owner/repo.git")
    'https://github.com/owner/repo'
    >>> normalise("/srv/git/lambda-lab.git") is None
    True
    """
    remote = remote.strip()
    scp = re.fullmatch(r"(?:[\w.-]+@)?([\w.-]+):(?!//)(.+)", remote)
    if scp and "/" in scp.group(2) and not re.fullmatch(r"[A-Za-z]", scp.group(1)):  # not C:\ or C:/
        host, path = scp.group(1), scp.group(2)
    else:
        parts = urlsplit(remote)
        if parts.scheme not in ("https", "http", "ssh", "git", "git+ssh") or not parts.hostname:
            return None
        host, path = parts.hostname, parts.path
    host = host.lower()
    segments = [s for s in path.strip("/").removesuffix(".git").split("/") if s]
    if not launchable(host) or len(segments) < 2 or not all(re.fullmatch(NAME, s) for s in segments):
        return None
    if host == "github.com":
        segments = segments[:2]  # github.com/OWNER/REPO/tree/BRANCH is the repository OWNER/REPO
    return f"https://{host}/{'/'.join(segments)}"


def git_origin(root: Path) -> str | None:
    """``git remote get-url origin`` in ``root``, or None."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "remote", "get-url", "origin"], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.SubprocessError):
        return None
    origin = done.stdout.strip()
    return origin if done.returncode == 0 and origin else None


def resolve(configured: str, environ: Mapping[str, str], root: Path) -> tuple[str | None, str]:
    """The repository URL (or None) and where it came from.

    ``configured`` is ``repository.url`` from ``_config.yml``. A setting that is not a GitHub or
    GitLab repository is a configuration error; an origin that is not one is just no repository.
    """
    for value, source in ((environ.get(ENV, ""), ENV), (configured, "repository.url in _config.yml")):
        value = value.strip()
        if source == ENV and value.lower() == "none":
            return None, ENV
        if value and value.rstrip("/") != JUPYTER_BOOK_DEFAULT:
            url = normalise(value)
            if url is None:
                raise ConfigError(f"{source} is {value!r}: give a GitHub or GitLab repository's https URL")
            return url, source
    origin = git_origin(root)
    url = normalise(origin) if origin else None
    return url, "git remote origin" if url else "none found"


def _configure(app: Sphinx, config: Config) -> None:
    """Point the repository and Binder buttons at the repository, or leave them out."""
    options = dict(config.html_theme_options or {})
    launch = dict(options.get("launch_buttons") or {})
    url, source = resolve(str(options.get("repository_url") or ""), os.environ, Path(app.srcdir))
    if url:
        options["repository_url"] = url
        options["repository_branch"] = options.get("repository_branch") or "main"
        options["path_to_docs"] = options.get("path_to_docs") or ""
        options["use_repository_button"] = True
        if "binderhub_url" not in launch:
            launch["binderhub_url"] = DEFAULT_BINDERHUB
        LOGGER.info(f"[lambdalab] repository and launch buttons: {url} (from {source})")
    else:
        options["repository_url"] = ""
        for key in ("use_repository_button", "use_edit_page_button", "use_issues_button", "use_source_button"):
            options[key] = False
        for key in ("binderhub_url", "jupyterhub_url", "colab_url", "deepnote_url", "jupyterlite_url"):
            launch[key] = ""
        launch["thebe"] = False
        LOGGER.info(f"[lambdalab] no repository ({source}): no repository or launch buttons")
    options["launch_buttons"] = launch
    config.html_theme_options = options


# --- The wheel ------------------------------------------------------------------------------


def _metadata(project: dict[str, Any], root: Path) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
    ]
    if "description" in project:
        lines.append(f"Summary: {project['description']}")
    licence = project.get("license")
    if isinstance(licence, dict) and "text" in licence:
        lines.append(f"License: {licence['text']}")
    lines += [f"Classifier: {c}" for c in project.get("classifiers", [])]
    if "requires-python" in project:
        lines.append(f"Requires-Python: {project['requires-python']}")
    lines += [f"Requires-Dist: {r}" for r in project.get("dependencies", [])]
    for extra, requirements in project.get("optional-dependencies", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        for requirement in requirements:
            spec, _, marker = requirement.partition(";")
            condition = f'({marker.strip()}) and extra == "{extra}"' if marker else f'extra == "{extra}"'
            lines.append(f"Requires-Dist: {spec.strip()}; {condition}")
    readme = project.get("readme")
    if isinstance(readme, str) and (root / readme).is_file():
        kind = "text/markdown" if readme.endswith(".md") else "text/plain"
        lines.append(f"Description-Content-Type: {kind}")
        return "\n".join(lines) + "\n\n" + (root / readme).read_text(encoding="utf-8")
    return "\n".join(lines) + "\n"


def _entry_points(project: dict[str, Any]) -> str:
    groups = {"console_scripts": project.get("scripts", {}), "gui_scripts": project.get("gui-scripts", {})}
    groups.update(project.get("entry-points", {}))
    text = ""
    for group, entries in groups.items():
        if entries:
            text += f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in entries.items()) + "\n"
    return text


def wheel_name(root: Path) -> str:
    """The wheel's file name, from ``pyproject.toml``: ``lambdalab-VERSION-py3-none-any.whl``."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return f"{re.sub(r'[-_.]+', '_', project['name']).lower()}-{project['version']}-py3-none-any.whl"


def build_wheel(root: Path, dest: Path) -> Path:
    """Write the pure-Python wheel of the package at ``root`` into ``dest``; return its path.

    The wheel holds the ``.py`` files of the package named like the project, with METADATA,
    WHEEL, entry_points.txt (the console scripts), the licence and RECORD. Entries are sorted and
    dated 1980-01-01, so the same tree gives the same bytes.
    """
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    name = re.sub(r"[-_.]+", "_", project["name"]).lower()
    dist_info = f"{name}-{project['version']}.dist-info"
    package = root / name
    files: list[tuple[str, bytes]] = [
        (p.relative_to(root).as_posix(), p.read_bytes())
        for p in sorted(package.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and (p.suffix == ".py" or p.name == "py.typed")
    ]
    if not files:
        raise FileNotFoundError(f"no Python files in {package}")
    files.append((f"{dist_info}/METADATA", _metadata(project, root).encode()))
    wheel = "Wheel-Version: 1.0\nGenerator: lambdalab_book.launch\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files.append((f"{dist_info}/WHEEL", wheel.encode()))
    entry_points = _entry_points(project)
    if entry_points:
        files.append((f"{dist_info}/entry_points.txt", entry_points.encode()))
    if (root / "LICENSE").is_file():
        files.append((f"{dist_info}/LICENSE", (root / "LICENSE").read_bytes()))
    record = ""
    for path, data in files:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += f"{path},sha256={digest},{len(data)}\n"
    files.append((f"{dist_info}/RECORD", (record + f"{dist_info}/RECORD,,\n").encode()))

    dest.mkdir(parents=True, exist_ok=True)
    target = dest / wheel_name(root)
    with zipfile.ZipFile(target, "w") as archive:
        for path, data in files:
            info = zipfile.ZipInfo(path, date_time=ZIP_DATE)
            info.create_system = 3  # Unix, on every platform: the permission bits below
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)
    return target


# --- The downloadable notebook --------------------------------------------------------------


def setup_source(wheel_url: str, others: Mapping[str, str] | None = None) -> str:
    """The set-up cell: nothing when everything imports, else ``%pip install`` of the wheel and ``others``.

    ``others`` maps the notebook's other third-party imports to their pinned requirements.
    """
    others = dict(sorted((others or {}).items()))
    modules = ", ".join(["lambdalab", *others])
    install = " ".join([wheel_url, *others.values()])
    return f"{SETUP_COMMENT}\ntry:\n    import {modules}\nexcept ImportError:\n    {INSTALL}{install}"


def third_party_imports(nb: Mapping[str, Any], pins: Path = PINS) -> dict[str, str]:
    """The notebook's imports from ``THIRD_PARTY``, each with its pinned requirement (``name==version``)."""
    import ast

    found: set[str] = set()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell.get("source", []))
        code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    pinned = {}
    for line in pins.read_text().splitlines() if pins.exists() else []:
        name, _, version = line.strip().partition("==")
        if version:
            pinned[name.lower().replace("_", "-")] = f"{name}=={version}"
    return {m: pinned.get(THIRD_PARTY[m], THIRD_PARTY[m]) for m in sorted(found & THIRD_PARTY.keys())}


def downloadable(text: str, wheel_url: str) -> str:
    """The notebook ``text`` with the set-up cell first, written as nbformat writes notebooks."""
    nb = json.loads(text)
    lines = setup_source(wheel_url, third_party_imports(nb)).splitlines(keepends=True)
    cell: dict[str, Any] = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {"tags": [SETUP_CELL_ID]},
        "outputs": [],
        "source": lines,
    }
    if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) >= (4, 5):
        cell["id"] = SETUP_CELL_ID
    nb["cells"] = [cell, *nb["cells"]]
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def wheel_url(baseurl: str, source: str, wheel: str) -> str:
    """How the notebook served at ``source`` (relative to the site) names the wheel.

    Absolute when the site's address (``html_baseurl``) is known, else relative to the notebook.
    """
    if baseurl:
        return f"{baseurl.rstrip('/')}/{WHEELS}/{wheel}"
    return posixpath.relpath(f"{WHEELS}/{wheel}", posixpath.dirname(source))


#: On notebook pages: a click on the download button's .ipynb link downloads the notebook with the
#: wheel's relative path in the set-up cell made absolute against the notebook's own URL.
DOWNLOAD_JS = r"""document.addEventListener("click", (event) => {
  const links = '.dropdown-download-buttons a[href$=".ipynb"], a.ll-download-notebook';
  const link = event.target instanceof Element && event.target.closest(links);
  if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  const source = new URL(link.getAttribute("href"), location.href);
  const wheel = /(%pip install --quiet )((?:\.\.\/)+_static\/lambdalab\/wheels\/[\w.+-]+\.whl)/;
  fetch(source)
    .then((response) => { if (!response.ok) throw new Error(response.statusText); return response.text(); })
    .then((text) => {
      const notebook = text.replace(wheel, (_, install, path) => install + new URL(path, source).href);
      const save = document.createElement("a");
      save.href = URL.createObjectURL(new Blob([notebook], { type: "application/x-ipynb+json" }));
      save.download = decodeURIComponent(source.pathname.split("/").pop());
      document.body.append(save);
      save.click();
      save.remove();
      setTimeout(() => URL.revokeObjectURL(save.href), 60000);
    })
    .catch(() => { location.href = source.href; });
});"""


def _notebooks(app: Sphinx) -> dict[str, Path]:
    """The book's notebooks: docname to source file."""
    found = {}
    for docname in sorted(app.env.found_docs):
        path = Path(app.env.doc2path(docname))
        if path.suffix == ".ipynb":
            found[docname] = path
    return found


def _page_script(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    if context.get("page_source_suffix") == ".ipynb" and app.config.html_copy_source:
        app.add_js_file(None, body=DOWNLOAD_JS)


def _write_downloads(app: Sphinx, exception: Exception | None) -> None:
    """Write the wheel into ``_static`` and put the set-up cell into each downloadable notebook."""
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    wheels = outdir / WHEELS
    wheel = build_wheel(Path(app.srcdir), wheels)
    for old in wheels.glob("*.whl"):
        if old != wheel:
            old.unlink()
    if not app.config.html_copy_source:
        return
    for docname, path in _notebooks(app).items():
        suffix = app.config.html_sourcelink_suffix
        source = f"_sources/{docname}.ipynb" + ("" if suffix == ".ipynb" else suffix)
        target = outdir / source
        if target.exists():  # copied by Sphinx; rewritten from the repository's notebook every build
            url = wheel_url(app.config.html_baseurl, source, wheel.name)
            target.write_text(downloadable(path.read_text(encoding="utf-8"), url), encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    """A Sphinx extension of its own, set up by ``lambdalab_book`` (``app.setup_extension``)."""
    app.connect("config-inited", _configure, priority=900)
    app.connect("html-page-context", _page_script)
    app.connect("build-finished", _write_downloads)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

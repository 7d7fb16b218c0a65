"""Re-execute the book's notebooks in place and store clean, reviewable outputs.

Run through ``python3 dev.py execute [NOTEBOOK ...]`` (default: every
``.ipynb`` under ``chapters/`` and ``labs/``). Each notebook runs in a fresh
kernel from its own folder, with widget state saved so that the static site
can show widgets. Then the noise is removed, so that a re-run changes a file
only where an output really changed:

- no execution timestamps (``record_timing=False``) and no Python patch version;
- widget model ids (random uuids) are renamed to ids derived from the
  notebook's path and the order of the widgets.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIRS = ("chapters", "labs")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
UUID_HEX = re.compile(r"[0-9a-f]{32}")


def notebooks(root: Path = ROOT) -> list[Path]:
    """Every notebook of the book, in a stable order."""
    found = [p for d in NOTEBOOK_DIRS for p in (root / d).rglob("*.ipynb")]
    return sorted(p for p in found if ".ipynb_checkpoints" not in p.parts and "_build" not in p.parts)


def widget_ids(nb: nbformat.NotebookNode) -> list[str]:
    """Widget model ids in a deterministic order: displayed views first, then the saved state."""
    ids: list[str] = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view and view["model_id"] not in ids:
                ids.append(view["model_id"])
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    pending = list(ids)
    while pending:  # follow references so that ids get numbers in the order of the widget tree
        text = json.dumps(state.get(pending.pop(0), {}), sort_keys=True)
        for ref in re.findall(r"IPY_MODEL_([0-9a-f]{32})", text):
            if ref not in ids:
                ids.append(ref)
                pending.append(ref)
    ids += [k for k in state if k not in ids]
    return ids


def clean(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Strip run-to-run noise from an executed notebook (see the module docstring)."""
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.get("language_info", {}).pop("version", None)
    for key in ("papermill", "execution"):
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    text = json.dumps(nb)
    for n, old in enumerate(widget_ids(nb)):
        if UUID_HEX.fullmatch(old):
            text = text.replace(old, hashlib.sha1(f"{name}#{n}".encode()).hexdigest()[:32])
    return nbformat.from_dict(json.loads(text))


def execute(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        record_timing=False,
        store_widget_state=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    nb = clean(nb, path.relative_to(ROOT).as_posix())
    nbformat.validate(nb)
    nbformat.write(nb, path)


def main(argv: list[str]) -> None:
    paths = [Path(a).resolve() for a in argv] or notebooks()
    for path in paths:
        print(f"[execute] {path.relative_to(ROOT)}", flush=True)
        execute(path)
    print(f"[execute] {len(paths)} notebook(s) executed", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

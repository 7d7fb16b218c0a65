"""Chapters name the seminar topics they teach, by the IDs of the seminar outline."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
OUTLINE = Path(__file__).parent / "fixtures" / "seminar_outline.md"  # copy of shared/seminar/OUTLINE.md
TOPIC = re.compile(r"\bS[12]\.\d+\.\d+\b")


def outline_ids() -> set[str]:
    return {m.group(1) for m in re.finditer(r"^- (S[12]\.\d+\.\d+)", OUTLINE.read_text(), re.M)}


def chapter_ids() -> dict[str, set[str]]:
    found = {}
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        found[path.name] = set(TOPIC.findall(text))
    return found


def test_outline_copy_is_complete() -> None:
    ids = outline_ids()
    assert len(ids) == 64 and {"S1.1.1", "S1.12.2", "S2.5.5"} <= ids


def test_chapters_name_only_real_topic_ids() -> None:
    known = outline_ids()
    for name, ids in chapter_ids().items():
        assert ids, f"{name} names no seminar topic"
        assert ids <= known, f"{name} names unknown topics {sorted(ids - known)}"


def test_chapter_one_covers_its_topics() -> None:
    ids = chapter_ids()["01_why_serverless.ipynb"]
    assert {"S1.1.1", "S1.1.2", "S1.2.1", "S1.2.2", "S1.2.3", "S1.2.4", "S1.2.5"} <= ids


def test_part_one_teaches_every_topic_of_session_one() -> None:
    """Every S1 topic is named by a chapter (issue 10), and each chapter of Part I is in the book's table
    of contents."""
    named = set().union(*chapter_ids().values())
    missing = sorted(
        (i for i in outline_ids() if i.startswith("S1.")), key=lambda i: [int(n) for n in i[1:].split(".")]
    )
    missing = [i for i in missing if i not in named]
    assert not missing, f"session 1 topics no chapter names: {missing}"
    toc = (ROOT / "_toc.yml").read_text()
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        assert f"chapters/{path.stem}" in toc, f"{path.name} is not in _toc.yml"

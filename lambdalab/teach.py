"""Self-check questions and answer checks for the book's chapters and labs.

Both render wherever the chapter runs: on the static site (the stored HTML output), in Jupyter,
on Binder, and when a reader runs the cell in the browser, with no script and no request to
another host. A :func:`question` is a multiple-choice question whose feedback appears as soon as
a choice is picked (HTML radio buttons and CSS; in a plain console, :meth:`Question.answer`). A
:func:`check` compares an exercise's answer with the expected one and, when it is wrong, says how
and hints at why (known wrong answers can carry their own hint).

>>> q = question(
...     "What does Lambda bill besides requests?",
...     ("GB-seconds of compute", True, "memory times billed duration"),
...     ("Idle servers", False, "there are none to bill"),
... )
>>> print(q.answer("b"))
Not quite. Idle servers: there are none to bill
>>> print(check(6.6667, 100 / 15, name="the ratio"))
Right: the ratio is 6.667.
>>> print(check(100, 100 / 15, name="the ratio", hints={100: "that is the billed duration in ms"}))
Not yet: the ratio is 100: that is the billed duration in ms.
>>> print(check(7.0, 100 / 15, name="the ratio"))
Not yet: the ratio is 7: close, but too large by 5.0 %: check your rounding and units.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Check", "Choice", "Question", "check", "question"]


@dataclass(frozen=True)
class Choice:
    """One answer to a :class:`Question`: its text, whether it is right, and why (shown once picked)."""

    text: str
    correct: bool
    why: str


_STYLE = (
    "<style>"
    ".ll-quiz{border:1px solid var(--pst-color-border,#bbb);border-radius:.4rem;padding:.5rem .9rem .7rem;"
    "margin:.8rem 0}"
    ".ll-quiz legend{padding:0 .3rem;font-weight:600}"
    ".ll-quiz-tag{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;margin-right:.4rem;"
    "color:var(--pst-color-text-muted,#555)}"
    ".ll-quiz-choice{margin:.35rem 0}"
    ".ll-quiz-choice label{margin-left:.35rem;cursor:pointer}"
    ".ll-quiz-feedback{display:none;margin:.2rem 0 .2rem 1.6rem;padding:.25rem .5rem;border-left:4px solid}"
    ".ll-quiz input:checked~.ll-quiz-feedback{display:block}"
    ".ll-quiz-right{border-color:#009e73}.ll-quiz-wrong{border-color:#d55e00}"
    ".ll-quiz input:focus-visible+label{outline:3px solid var(--pst-color-accent,#0072b2);outline-offset:2px}"
    "</style>"
)
_CODE = re.compile(r"`([^`]+)`")


def _inline(text: str) -> str:
    """Text as HTML, with ``code`` in backticks shown as code."""
    return _CODE.sub(r"<code>\1</code>", html.escape(text))


class Question:
    """A multiple-choice question with feedback for every choice (:func:`question` makes one)."""

    def __init__(self, prompt: str, choices: tuple[Choice, ...]) -> None:
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError("a question needs its text")
        if len(choices) < 2:
            raise ValueError("a question needs at least two choices")
        if sum(c.correct for c in choices) != 1:
            raise ValueError("exactly one choice is right")
        for c in choices:
            if not c.text.strip() or not c.why.strip():
                raise ValueError(f"every choice needs its text and why it is right or wrong: {c!r}")
        self.prompt, self.choices = prompt, choices
        self.id = "llq-" + hashlib.sha256(prompt.encode()).hexdigest()[:10]  # the same on every run

    def answer(self, letter: str) -> str:
        """The feedback for choice ``letter`` (``"a"``, ``"b"``, ...), for a console without HTML."""
        index = "abcdefghijklmnopqrstuvwxyz".find(letter.strip().lower()[:1]) if isinstance(letter, str) else -1
        if not 0 <= index < len(self.choices):
            return f"Choose one of {', '.join('abcdefghijklmnopqrstuvwxyz'[: len(self.choices)])}."
        c = self.choices[index]
        return f"{'Right' if c.correct else 'Not quite'}. {c.text}: {c.why}"

    def __repr__(self) -> str:
        lines = [self.prompt]
        lines += [f"  {'abcdefghijklmnopqrstuvwxyz'[i]}) {c.text}" for i, c in enumerate(self.choices)]
        lines.append("Pick one: q.answer('a')")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        parts = [_STYLE, f'<fieldset class="ll-quiz" id="{self.id}">']
        parts.append(f'<legend><span class="ll-quiz-tag">Check yourself</span>{_inline(self.prompt)}</legend>')
        for i, c in enumerate(self.choices):
            key = f"{self.id}-{'abcdefghijklmnopqrstuvwxyz'[i]}"
            verdict = "Right." if c.correct else "Not quite."
            parts.append(
                f'<div class="ll-quiz-choice"><input type="radio" name="{self.id}" id="{key}">'
                f'<label for="{key}">{_inline(c.text)}</label>'
                f'<p class="ll-quiz-feedback {"ll-quiz-right" if c.correct else "ll-quiz-wrong"}" role="status">'
                f"<strong>{verdict}</strong> {_inline(c.why)}</p></div>"
            )
        parts.append("</fieldset>")
        return "".join(parts)


def question(prompt: str, *choices: tuple[str, bool, str]) -> Question:
    """A self-check question: ``choices`` are ``(text, is_right, why)``, exactly one right."""
    return Question(prompt, tuple(Choice(str(t), bool(ok), str(why)) for t, ok, why in choices))


@dataclass(frozen=True)
class Check:
    """The verdict on one answer: ``ok`` and what to tell the learner (``str(check)``)."""

    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        colour = "#009e73" if self.ok else "#d55e00"
        return (
            f'<p style="border-left:4px solid {colour};padding:.2rem .6rem" role="status">{_inline(self.message)}</p>'
        )


def _shown(value: float) -> str:
    return f"{value:,.4g}" if abs(value) < 1e15 else f"{value:.4g}"


def check(
    answer: object,
    expected: float,
    *,
    name: str = "your answer",
    rel: float = 1e-3,
    hints: Mapping[float, str] | None = None,
) -> Check:
    """Compare a numeric ``answer`` with ``expected`` (within ``rel``, relative). When it is off, say how
    (too large or too small, and roughly by how much) without giving the answer away, and give the hint
    of a known wrong answer it matches (``hints``: wrong value -> why), or of a unit slip."""
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        return Check(False, f"Not yet: {name} should be a number, not {answer!r}.")
    if not math.isfinite(answer):
        return Check(False, f"Not yet: {name} is {answer}, not a finite number.")
    if math.isclose(answer, expected, rel_tol=rel, abs_tol=rel * 1e-9):
        return Check(True, f"Right: {name} is {_shown(answer)}.")
    for wrong, why in (hints or {}).items():
        if math.isclose(answer, wrong, rel_tol=rel, abs_tol=rel * 1e-9):
            return Check(False, f"Not yet: {name} is {_shown(answer)}: {why}.")
    return Check(False, f"Not yet: {name} is {_shown(answer)}: {_how_far(float(answer), expected, rel)}.")


def _how_far(answer: float, expected: float, rel: float) -> str:
    """How ``answer`` misses ``expected``, in words that do not give ``expected`` away."""
    if expected == 0 or answer == 0 or (answer > 0) != (expected > 0):
        return "it should be " + ("zero" if expected == 0 else "positive" if expected > 0 else "negative")
    ratio = answer / expected
    for factor, slip in ((1000, "milliseconds for seconds, or MB for GB?"), (1024 / 1000, "Lambda's GB is 1,024 MB")):
        if math.isclose(ratio, factor, rel_tol=rel):
            return f"{_shown(factor)} times too large: {slip}"
        if math.isclose(ratio, 1 / factor, rel_tol=rel):
            return f"{_shown(factor)} times too small: {slip}"
    direction = "too large" if ratio > 1 else "too small"
    off = ratio if ratio > 1 else 1 / ratio
    if off < 1.1:
        return f"close, but {direction} by {(off - 1) * 100:.1f} %: check your rounding and units"
    if off < 2:
        return f"{direction}, by less than a factor of 2"
    if off < 10:
        return f"{direction}, by a factor between 2 and 10"
    return f"{direction}, by more than a factor of 10"

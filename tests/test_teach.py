"""Self-check questions and answer checks (lambdalab.teach)."""

from __future__ import annotations

import re

import pytest

from lambdalab.teach import check, question


def sample() -> object:
    return question(
        "Which event source does Lambda poll?",
        ("Amazon S3", False, "S3 pushes: it invokes the function asynchronously."),
        ("Amazon SQS", True, "an event source mapping polls the queue and invokes the function synchronously."),
        ("Amazon SNS", False, "SNS pushes, asynchronously."),
    )


def test_a_question_renders_accessible_html_that_needs_no_script() -> None:
    q = sample()
    page = q._repr_html_()  # type: ignore[attr-defined]
    assert "<script" not in page and "http" not in page
    assert page.count('type="radio"') == 3 and page.count("<label for=") == 3
    assert re.search(r"<fieldset[^>]*><legend>", page)
    ids = re.findall(r'id="(llq-[0-9a-f]+-[a-c])"', page)
    assert ids == re.findall(r'for="(llq-[0-9a-f]+-[a-c])"', page)  # every choice has its label
    assert page.count("ll-quiz-right") == 2  # the style rule and the one right choice
    assert page == sample()._repr_html_()  # type: ignore[attr-defined]  # the same on every run: stored outputs


def test_a_question_answers_in_a_console() -> None:
    q = sample()
    assert q.answer("b").startswith("Right. Amazon SQS")  # type: ignore[attr-defined]
    assert q.answer("A").startswith("Not quite.")  # type: ignore[attr-defined]
    assert q.answer("z") == "Choose one of a, b, c."  # type: ignore[attr-defined]
    assert "a) Amazon S3" in repr(q)


@pytest.mark.parametrize(
    "choices",
    [
        [("a", True, "why"), ("b", True, "why")],
        [("a", False, "why"), ("b", False, "why")],
        [("a", True, "why")],
        [("a", True, ""), ("b", False, "why")],
    ],
)
def test_a_question_must_be_answerable(choices: list[tuple[str, bool, str]]) -> None:
    with pytest.raises(ValueError):
        question("?", *choices)


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        (6.667, "Right: the ratio is 6.667."),
        (6.6667e3, "1,000 times too large: milliseconds for seconds"),
        (6.6667e-3, "1,000 times too small"),
        (6.6667 * 1.024, "1.024 times too large: Lambda's GB is 1,024 MB"),
        (7.0, "close, but too large by 5.0 %"),
        (10.0, "too large, by less than a factor of 2"),
        (1.0, "too small, by a factor between 2 and 10"),
        (0.1, "too small, by more than a factor of 10"),
        (-1.0, "it should be positive"),
        ("6.7", "should be a number, not '6.7'"),
        (float("nan"), "not a finite number"),
        (100, "that is the billed duration"),
    ],
)
def test_a_check_says_how_an_answer_misses(answer: object, verdict: str) -> None:
    result = check(answer, 100 / 15, name="the ratio", hints={100: "that is the billed duration"})
    assert verdict in str(result)
    assert bool(result) == verdict.startswith("Right")
    assert "6.667" not in str(result) or bool(result)  # a wrong answer never gives the right one away

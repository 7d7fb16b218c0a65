"""The examples in lambdalab's docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import lambdalab

MODULES = sorted(
    m.name for m in pkgutil.iter_modules(lambdalab.__path__, "lambdalab.") if m.name != "lambdalab.__main__"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_public_api_is_declared() -> None:
    assert sorted(lambdalab.__all__) == sorted(set(lambdalab.__all__))
    for name in lambdalab.__all__:
        assert hasattr(lambdalab, name), name

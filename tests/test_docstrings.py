"""Docstring examples are part of the documentation; they must run."""
import doctest
import importlib

import pytest

MODULES = ["common.config", "common.registry", "common.windows", "common.splits", "common.metrics",
           "common.baselines", "common.evaluation", "common.builder"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if name == "common.builder":
        pytest.importorskip("keras")
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0

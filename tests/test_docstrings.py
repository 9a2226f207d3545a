"""Docstring examples are part of the documentation; they must run."""
import doctest
import importlib

import pytest

MODULES = ["common.config", "common.registry", "common.windows", "common.splits", "common.metrics",
           "common.baselines", "common.evaluation", "common.builder", "common.gates"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if name in ("common.builder", "common.gates"):
        pytest.importorskip("keras")
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_readme_config_examples_validate():
    """Every TOML example in the README is a valid run config for its domain."""
    import re
    import tomllib
    from pathlib import Path

    from common.config import from_mapping, RunConfig, validate_options
    from domains import get_domain

    text = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", text, flags=re.S)
    assert blocks
    for block in blocks:
        cfg = from_mapping(RunConfig, tomllib.loads(block))
        domain = get_domain(cfg.domain)
        validate_options(domain.options, cfg.data, domain.name)

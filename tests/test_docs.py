"""docs/adding_a_domain.md stays true: its minimal domain, written out as a package, passes the conformance checks
through the real command line, and every ``common.*`` name the page mentions exists."""
import importlib
import re
import sys
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[1] / "docs" / "adding_a_domain.md"


def test_every_common_name_the_page_mentions_exists():
    names = set(re.findall(r"`(common\.[a-z_]+(?:\.[A-Za-z_]+)*)", PAGE.read_text(encoding="utf-8")))
    assert len(names) > 10
    for name in sorted(names):
        parts = name.split(".")
        for cut in range(len(parts), 1, -1):  # the longest importable module, then attributes
            try:
                obj = importlib.import_module(".".join(parts[:cut]))
            except ModuleNotFoundError:
                continue
            for attr in parts[cut:]:
                assert hasattr(obj, attr), name
                obj = getattr(obj, attr)
            break
        else:
            pytest.fail(f"{name}: no such module")


def test_the_minimal_domain_of_the_page_trains_from_the_command_line(tmp_path, monkeypatch, capsys):
    pytest.importorskip("keras")
    import domains
    from common.cli import main
    from common.config import validate_options
    from common.splits import Standardizer

    code = re.search(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S).group(1)
    package = tmp_path / "docs_example"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "domain.py").write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(domains.DOMAINS, "noisy_sine", ("docs_example.domain", "doc example", ("generated",)))
    module = importlib.import_module("docs_example.domain")
    domain = module.DOMAIN
    cfg = domain.smoke_config()
    prep = domain.prepare(cfg, validate_options(domain.options, cfg.data, domain.name))
    fitted = Standardizer.from_dict(prep.scalers["inputs"])
    reference = Standardizer().fit(prep.scaler_fit_rows["inputs"])
    assert fitted.mean == pytest.approx(reference.mean)  # the scaler's statistics come from the rows handed over
    assert main(["train", "noisy_sine", "--out", str(tmp_path / "runs"), "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "seasonal naive (24)" in out and "ridge on lags" in out and "simulated" in out
    assert "rmse, 95% paired bootstrap over the test set: " in out  # beyond the test set's noise, said at once
    assert main(["train", "noisy_sine", "--set", "data.nn=3"]) == 2  # unknown keys are errors naming the key
    assert "data.nn" in capsys.readouterr().err
    sys.modules.pop("docs_example.domain", None)
    sys.modules.pop("docs_example", None)

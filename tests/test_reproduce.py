"""``lstm-suite reproduce RUN_DIR``: a finished run's saved models, scored again on freshly prepared data, must give
the metrics and predictions the run recorded; anything else is reported, naming what differs."""
import dataclasses
import json
import shutil

import numpy as np
import pytest

from common.config import ConfigError, apply_overrides
from tests import demo_domain

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    pytest.importorskip("keras")
    from common.experiment import run_experiment

    out = tmp_path_factory.mktemp("runs")
    cfg = apply_overrides(demo_domain.DOMAIN.smoke_config(), {"out": str(out), "training.epochs": 1,
                                                              "training.seeds": 2})
    return run_experiment(cfg, demo_domain.DOMAIN, run_name="repro", log=lambda m: None).run_dir


def _copy(run_dir, tmp_path):
    return shutil.copytree(run_dir, tmp_path / run_dir.name)


def test_a_finished_run_is_reproduced_seed_by_seed_and_as_an_ensemble(finished_run):
    from common.reproduce import reproduce_run

    res = reproduce_run(finished_run, domain=demo_domain.DOMAIN, log=lambda m: None)
    assert res.reproduced, res.problems
    assert set(res.table["model"]) == {"lstm_seed0", "lstm_seed1", "lstm_ensemble"}
    recorded = json.loads((finished_run / "metrics.json").read_text())
    seed1 = res.table[res.table["model"] == "lstm_seed1"].set_index("metric")
    for metric, value in recorded["lstm_per_seed"][1].items():  # the table holds what was recorded, not a copy of now
        assert seed1.loc[metric, "recorded"] == value
        assert seed1.loc[metric, "now"] == pytest.approx(value, rel=1e-6)
    assert res.max_prediction_difference < 1e-5


def test_a_replaced_model_file_is_found_and_named(finished_run, tmp_path):
    from common.reproduce import reproduce_run

    run = _copy(finished_run, tmp_path)
    shutil.copy(run / "seed0" / "model.keras", run / "seed1" / "model.keras")
    res = reproduce_run(run, domain=demo_domain.DOMAIN, log=lambda m: None)
    assert not res.reproduced
    assert any("lstm_seed1" in p for p in res.problems) and not any("lstm_seed0" in p for p in res.problems)


def test_data_that_no_longer_prepares_the_same_is_reported(finished_run, tmp_path):
    from common.reproduce import reproduce_run

    run = _copy(finished_run, tmp_path)
    scalers = json.loads((run / "scalers.json").read_text())
    name = next(iter(scalers))
    scalers[name]["mean"][0] += 1.0  # as if the training rows had changed since the run
    (run / "scalers.json").write_text(json.dumps(scalers))
    res = reproduce_run(run, domain=demo_domain.DOMAIN, log=lambda m: None)
    assert not res.reproduced
    assert any(f"scaler {name!r}" in p for p in res.problems)


def test_a_folder_that_is_not_a_finished_run_is_refused_by_name(finished_run, tmp_path):
    from common.reproduce import reproduce_run

    with pytest.raises(ConfigError, match=r"empty.*not a finished run directory.*config\.toml"):
        reproduce_run((tmp_path / "empty").mkdir() or tmp_path / "empty", domain=demo_domain.DOMAIN)
    with pytest.raises(ConfigError, match=r"typo: no such folder"):
        reproduce_run(tmp_path / "typo", domain=demo_domain.DOMAIN)
    report = tmp_path / "engineering-experiments-x"
    (report / "skab").mkdir(parents=True)
    (report / "report.md").write_text("# Engineering experiments\n")
    with pytest.raises(ConfigError, match=r"engineering-experiments-x: the report of named experiments "
                                          r"\(--experiment\); reproduce checks runs of `lstm-suite train` without it"):
        reproduce_run(report, domain=demo_domain.DOMAIN)
    run = _copy(finished_run, tmp_path)
    (run / "seed1" / "model.keras").unlink()
    with pytest.raises(ConfigError, match=r"seed1.model\.keras"):
        reproduce_run(run, domain=demo_domain.DOMAIN)


def test_the_command_line_reports_and_sets_the_exit_status(tmp_path, capsys):
    pytest.importorskip("keras")
    from common.cli import main
    from common.config import apply_overrides as override
    from common.experiment import run_experiment
    from domains import get_domain

    domain = get_domain("engineering")
    cfg = override(domain.smoke_config(), {"out": str(tmp_path), "training.epochs": 1})
    run = run_experiment(cfg, domain, run_name="cli", log=lambda m: None).run_dir
    assert main(["reproduce", str(run)]) == 0
    assert "reproduced" in capsys.readouterr().out
    scalers = json.loads((run / "scalers.json").read_text())
    name = next(iter(scalers))
    scalers[name]["scale"][0] *= 2
    (run / "scalers.json").write_text(json.dumps(scalers))
    assert main(["reproduce", str(run)]) == 1
    assert "NOT reproduced" in capsys.readouterr().out
    assert main(["reproduce", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_a_recorded_null_is_an_undefined_metric_not_a_crash(finished_run, tmp_path):
    """metrics.json writes an undefined metric (NaN) as null; a finite value now against null is a difference."""
    from common.reproduce import compare_scalers, reproduce_run

    run = _copy(finished_run, tmp_path)
    metrics = json.loads((run / "metrics.json").read_text())
    metric = next(iter(metrics["lstm_per_seed"][0]))
    metrics["lstm_per_seed"][0][metric] = None
    (run / "metrics.json").write_text(json.dumps(metrics))
    res = reproduce_run(run, domain=demo_domain.DOMAIN, log=lambda m: None)
    assert res.problems == [f"lstm_seed0 {metric}: recorded nan, now {res.table.iloc[0]['now']:.6g}"]
    assert compare_scalers({"x": {"c": None, "v": [1.0, None]}}, {"x": {"c": float("nan"), "v": [1.0, np.nan]}}) == []


def test_scaler_comparison_tolerates_json_rounding_only():
    from common.reproduce import compare_scalers

    a = {"x": {"mean": [1.0, 2.0], "scale": [0.5, 0.25]}}
    assert compare_scalers(a, json.loads(json.dumps(a))) == []
    b = {"x": {"mean": [1.0, 2.0 + 1e-3], "scale": [0.5, 0.25]}}
    assert compare_scalers(a, b) == ["scaler 'x' differs from the one fitted now (mean, first at index 1: "
                                     "recorded 2, now 2.001)"]
    assert compare_scalers(a, {}) == ["scaler 'x' recorded but not fitted now"]


def test_a_saved_model_with_our_own_layers_loads_in_a_fresh_process(tmp_path):
    """Keras finds our layers only once ``common.builder`` has registered them; ``LSTMEstimator.load`` sees to it
    (before, ``lstm-suite reproduce`` on an instance-normalised model failed: 'Could not locate class
    WindowReference')."""
    pytest.importorskip("keras")
    import subprocess
    import sys

    from common.builder import build_model
    from common.config import ModelSpec

    spec = ModelSpec(units=(4,), head="forecast", n_targets=1, horizon=2, instance_norm="last")
    build_model(spec, n_features=1, timesteps=6).save(tmp_path / "model.keras")
    code = ("import numpy as np; from common.config import ModelSpec, TrainSpec; "
            "from common.training import LSTMEstimator; "
            f"est = LSTMEstimator.load({str(tmp_path / 'model.keras')!r}, ModelSpec(), TrainSpec()); "
            "print(est.predict(np.ones((1, 6, 1), 'float32')).shape)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("(1, 2, 1)") or done.stdout.strip().endswith("(1, 2)")


def test_a_read_only_run_directory_is_checked_without_taking_the_lock(finished_run, monkeypatch):
    import os

    import common.experiment
    from common.reproduce import reproduce_run

    def no_lock(run_dir):
        raise AssertionError("the lock file cannot be written in a read-only folder")

    monkeypatch.setattr(os, "access", lambda path, mode: False)  # as for a read-only archive (root may write anyway)
    monkeypatch.setattr(common.experiment, "run_lock", no_lock)
    assert reproduce_run(finished_run, domain=demo_domain.DOMAIN, log=lambda m: None).reproduced


def test_a_cached_data_file_changed_since_the_run_is_named(tmp_path, monkeypatch):
    """`reproduce` hashes every file the run recorded in data_files.json against the sha256 recorded then (a file
    changed in the cache, or a registry entry changed since the run)."""
    import hashlib

    from common.registry import cache_root
    from common.reproduce import check_data_files

    monkeypatch.setenv("LSTM_SUITE_DATA", str(tmp_path / "cache"))
    path = cache_root() / "tiny" / "a.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"1,2\n")
    used = [{"dataset": "tiny", "file": "a.csv", "sha256": hashlib.sha256(b"1,2\n").hexdigest(), "origin": "mirror"}]
    assert check_data_files(used) == []
    path.write_bytes(b"1,3\n")
    [problem] = check_data_files(used)
    assert "tiny/a.csv" in problem and hashlib.sha256(b"1,3\n").hexdigest()[:12] in problem
    path.unlink()
    assert "not in the cache" in check_data_files(used)[0]


def test_the_run_directory_lists_the_registered_files_it_read(finished_run):
    """The demo domain reads no registered data: an empty list (the real-data runs are covered in the
    conformance tests through reproduce)."""
    assert json.loads((finished_run / "data_files.json").read_text()) == []


def test_user_files_named_in_the_data_options_are_hashed_and_checked(tmp_path):
    """A user's own CSV or FASTA (data.path, data.files, ...) is recorded in data_files.json like registered data,
    so `reproduce` sees when it changed; folders (data.camels_root) are recorded without a hash."""
    import hashlib

    from common.download import user_files
    from common.reproduce import check_data_files

    f = tmp_path / "my.csv"
    f.write_bytes(b"a\n1\n")
    (tmp_path / "folder").mkdir()
    used = user_files({"path": str(f), "files": [str(f)], "camels_root": str(tmp_path / "folder"), "lookback": 5,
                       "target": "a"})
    sha = hashlib.sha256(b"a\n1\n").hexdigest()
    assert {"option": "data.path", "file": str(f.resolve()), "sha256": sha} in used
    assert {"option": "data.camels_root", "folder": str((tmp_path / "folder").resolve())} in used
    assert len(used) == 2  # the same file under two options is listed once; numbers and names are not files
    assert check_data_files(used) == []
    f.write_bytes(b"a\n2\n")
    [problem] = check_data_files(used)
    assert "data.path" in problem and str(f.resolve()) in problem


def test_a_run_that_named_a_relative_path_reproduces_from_another_folder(tmp_path, monkeypatch):
    """Before: a run trained on `--set data.path=d.csv` could be reproduced only from the folder it was started in;
    elsewhere: "d.csv: file not found". data_files.json records the file's absolute path."""
    import pandas as pd

    from common.config import RunConfig, TrainSpec, ModelSpec
    from common.experiment import run_experiment
    from common.reproduce import reproduce_run
    from domains.social.domain import DOMAIN

    work = tmp_path / "work"
    (work / "data").mkdir(parents=True)
    days = pd.date_range("2020-01-01", periods=120, freq="D")
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "y": np.sin(np.arange(120) / 5)}).to_csv(
        work / "data" / "d.csv", index=False)
    monkeypatch.chdir(work)
    cfg = RunConfig(domain="social", dataset="csv", out=str(tmp_path / "runs"),
                    model=ModelSpec(units=(4,), head="forecast"), training=TrainSpec(epochs=1, seeds=1),
                    data={"path": "data/d.csv", "columns": ["y"], "freq": "D", "lookback": 7, "horizon": 2})
    run = run_experiment(cfg, DOMAIN, run_name="rel", log=lambda m: None).run_dir
    monkeypatch.chdir(tmp_path)
    said = []
    res = reproduce_run(run, log=said.append)
    assert res.reproduced, res.problems
    assert f"[reproduce] data.path data/d.csv: read as {work / 'data' / 'd.csv'} (the path the run recorded)" in said


def test_a_run_made_with_other_code_says_which_commit(finished_run, tmp_path):
    """The commit in environment.json is compared with the code that reproduces the run: a difference is said first,
    since it is the first place to look when figures differ."""
    from common.reproduce import reproduce_run
    from common.training import code_version

    if code_version() is None:
        pytest.skip("not a git checkout")
    run = _copy(finished_run, tmp_path)
    env = json.loads((run / "environment.json").read_text())
    env["code"] = {"commit": "0123456789abcdef", "uncommitted_changes": True}
    (run / "environment.json").write_text(json.dumps(env))
    said = []
    reproduce_run(run, domain=demo_domain.DOMAIN, log=said.append)
    assert (f"[reproduce] the run was made with code 0123456789ab (with uncommitted changes); this is "
            f"{code_version()['commit'][:12]}") in said[0]
    said.clear()
    reproduce_run(finished_run, domain=demo_domain.DOMAIN, log=said.append)
    assert not any("was made with code" in s for s in said)


def test_a_relative_glob_pattern_is_read_as_the_files_the_run_recorded(tmp_path, monkeypatch):
    """Before: a run made with `data.basin_files = ["basins/*.csv"]` in one folder could not be reproduced (or its
    model used by `predict`) from another: the pattern matched no file there. Now it is read as the files the run's
    pattern matched, as data_files.json recorded them; a pattern that matches files from here is left as it is."""
    from common.config import RunConfig
    from common.reproduce import recorded_paths

    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    (work / "basins").mkdir(parents=True)
    elsewhere.mkdir()
    files = [work / "basins" / n for n in ("a.csv", "b.csv")]
    for f in files:
        f.write_text("date,q\n")
    (work / "basins" / "notes.txt").write_text("")
    run = tmp_path / "run"
    run.mkdir()
    (run / "data_files.json").write_text(json.dumps(
        [{"option": "data.basin_files", "file": str(f), "sha256": "0" * 64} for f in files]))
    cfg = RunConfig(domain="environmental", dataset="basin_csv",
                    data={"basin_files": ["basins/*.csv"], "flow_column": "q"})
    monkeypatch.chdir(elsewhere)
    said = []
    out = recorded_paths(cfg, run, said.append)
    assert out.data["basin_files"] == [str(files[0]), str(files[1])]
    assert out.data["flow_column"] == "q"
    assert (f"[reproduce] data.basin_files basins/*.csv: read as {files[0]}, {files[1]} (the files the run's pattern "
            "matched, as it recorded them)") in said, said
    up = dataclasses.replace(cfg, data={"basin_files": ["../basins/[b].csv"]})  # started in a sibling folder
    assert recorded_paths(up, run, said.append).data["basin_files"] == [str(files[1])]
    monkeypatch.chdir(work)  # from here the pattern matches: the files of this folder are read, as for a plain name
    assert recorded_paths(cfg, run, said.append).data["basin_files"][0] == "basins/*.csv"


def test_a_pattern_is_read_as_the_very_files_it_matched_when_the_run_recorded_them(tmp_path, monkeypatch):
    """data_files.json records which pattern matched each file: `["*.csv", "/elsewhere/extra.csv"]` is read back as
    the pattern's own files, not also as the listed file, whose name the pattern would match too."""
    from common.config import RunConfig
    from common.download import user_files
    from common.reproduce import recorded_paths

    work, other = tmp_path / "work", tmp_path / "other"
    work.mkdir(), other.mkdir()
    for f in (work / "a.csv", work / "b.csv", other / "extra.csv"):
        f.write_text("date,q\n")
    monkeypatch.chdir(work)
    data = {"basin_files": ["*.csv", str(other / "extra.csv")]}
    recorded = user_files(data)
    assert [(r["file"], r.get("pattern")) for r in recorded] == [
        (str(work / "a.csv"), "*.csv"), (str(work / "b.csv"), "*.csv"), (str(other / "extra.csv"), None)]
    run = tmp_path / "run"
    run.mkdir()
    (run / "data_files.json").write_text(json.dumps(recorded))
    monkeypatch.chdir(tmp_path / "run")
    out = recorded_paths(RunConfig(domain="environmental", dataset="basin_csv", data=data), run, lambda m: None)
    assert out.data["basin_files"] == [str(work / "a.csv"), str(work / "b.csv"), str(other / "extra.csv")]

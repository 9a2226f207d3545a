"""``lstm-suite tabulate``: finished runs side by side, one table per domain and dataset, with the config keys that
differ between them. Run directories are written by the test (config.toml and metrics.json only)."""
import json

import pytest

from common.cli import main
from common.config import ConfigError


def _run(folder, name, *, domain="engineering", dataset="cmapss", units=(64,), rmse=(14.0, 15.0), ensemble=13.9,
         subset="FD001"):
    run = folder / name
    run.mkdir(parents=True)
    units_text = ", ".join(str(u) for u in units)
    (run / "config.toml").write_text(
        f'domain = "{domain}"\ndataset = "{dataset}"\nprofile = "full"\nout = "{folder}"\n\n[model]\n'
        f'units = [{units_text}]\ncell = "lstm"\n\n[training]\nseeds = {len(rmse)}\n\n[data]\nsubset = "{subset}"\n')
    mean = sum(rmse) / len(rmse)
    (run / "metrics.json").write_text(json.dumps({
        "data": "NASA C-MAPSS FD001",
        "lstm_summary": {"rmse": {"mean": mean, "sd": 0.7071 if len(rmse) > 1 else None, "n": len(rmse)},
                         "phm08": {"mean": 300.0, "sd": None, "n": len(rmse)}},
        "lstm_ensemble": {"rmse": ensemble, "phm08": 290.0} if ensemble else None,
        "baselines": {"last value": {"rmse": 40.0, "phm08": 1e4}, "GBM": {"rmse": 12.65, "phm08": 250.0}},
        "seconds": 61.4}))
    return run


def test_runs_of_one_dataset_share_a_table_that_shows_what_differs_sorted_best_first(tmp_path):
    from common.tabulate import tabulate

    _run(tmp_path, "engineering-cmapss-a", units=(64,), rmse=(14.0, 15.0))
    _run(tmp_path, "engineering-cmapss-b", units=(128, 64), rmse=(13.0, 14.0))
    _run(tmp_path, "social-ili-c", domain="social", dataset="ili_national_illness", rmse=(2.0,), ensemble=None)
    tables, skipped = tabulate([tmp_path])
    assert skipped == []
    assert [t.title for t in tables] == ["engineering: cmapss (2 runs)", "social: ili_national_illness (1 run)"]
    eng = tables[0].frame
    assert list(eng["run"]) == ["engineering-cmapss-b", "engineering-cmapss-a"]  # lower RMSE first
    assert list(eng["model.units"]) == ["[128, 64]", "[64]"]
    assert "data.subset" not in eng and "training.seeds" not in eng and "out" not in eng  # the same in both
    assert list(eng["rmse"]) == [13.5, 14.5] and list(eng["rmse sd"]) == [0.7071, 0.7071]
    assert list(eng["seeds"]) == [2, 2] and list(eng["ensemble rmse"]) == [13.9, 13.9]
    assert list(eng["best baseline (rmse)"]) == ["GBM: 12.65", "GBM: 12.65"]
    assert list(eng["seconds"]) == [61.4, 61.4]  # what each run cost, for a sweep
    assert tables[1].frame["ensemble rmse"].isna().all()


def test_a_folder_without_finished_runs_and_a_missing_path_are_named(tmp_path):
    from common.tabulate import tabulate

    (tmp_path / "engineering-cmapss-stopped").mkdir()  # interrupted: no metrics.json
    _run(tmp_path, "engineering-cmapss-done")
    tables, skipped = tabulate([tmp_path])
    assert [t.title for t in tables] == ["engineering: cmapss (1 run)"]
    assert skipped == [tmp_path / "engineering-cmapss-stopped"]
    with pytest.raises(ConfigError, match="nothere: no such run directory or folder"):
        tabulate([tmp_path / "nothere"])
    with pytest.raises(ConfigError, match="no finished run"):
        tabulate([tmp_path / "engineering-cmapss-stopped"])
    (tmp_path / "engineering-cmapss-done" / "metrics.json").write_text("{not json")
    with pytest.raises(ConfigError, match="engineering-cmapss-done.*metrics.json"):
        tabulate([tmp_path])


def test_the_command_prints_each_table_and_writes_a_csv(tmp_path, capsys):
    import pandas as pd

    _run(tmp_path, "engineering-cmapss-a", units=(64,))
    _run(tmp_path, "engineering-cmapss-b", units=(32,), rmse=(16.0, 17.0))
    assert main(["tabulate", str(tmp_path), "--csv", str(tmp_path / "all.csv")]) == 0
    out = capsys.readouterr().out
    assert "engineering: cmapss (2 runs)" in out and "model.units" in out and "14.5 ± 0.7071" in out
    frame = pd.read_csv(tmp_path / "all.csv")
    assert list(frame["run"]) == ["engineering-cmapss-a", "engineering-cmapss-b"]
    assert list(frame["domain"]) == ["engineering"] * 2 and "rmse" in frame and "phm08" in frame
    assert main(["tabulate", str(tmp_path / "nothere")]) == 2


def test_a_csv_path_that_cannot_be_written_is_an_error_before_any_table(tmp_path, capsys):
    _run(tmp_path, "engineering-cmapss-a")
    assert main(["tabulate", str(tmp_path), "--csv", str(tmp_path / "no" / "such" / "x.csv")]) == 2
    captured = capsys.readouterr()
    assert "cannot write" in captured.err and "engineering: cmapss" not in captured.out


def test_runs_made_with_other_code_or_package_versions_say_so(tmp_path):
    from common.tabulate import tabulate

    for name, commit, dirty, keras in [("a", "1" * 40, False, "3.15.1"), ("b", "2" * 40, True, "3.15.1"),
                                       ("c", "1" * 40, False, "3.16.0")]:
        run = _run(tmp_path, f"engineering-cmapss-{name}")
        (run / "environment.json").write_text(json.dumps({
            "packages": {"keras": keras, "tensorflow": "2.21.0"},
            "code": {"commit": commit, "uncommitted_changes": dirty}}))
    _run(tmp_path, "engineering-cmapss-d")  # an older run directory without environment.json
    frame = tabulate([tmp_path])[0][0].frame.set_index("run")
    assert frame.loc["engineering-cmapss-a", "code"] == "111111111111"
    assert frame.loc["engineering-cmapss-b", "code"] == "222222222222 + changes"
    assert frame.loc["engineering-cmapss-d", "code"] == ""
    assert frame.loc["engineering-cmapss-c", "packages"] == "keras 3.16.0"
    assert frame.loc["engineering-cmapss-a", "packages"] == "keras 3.15.1"  # only the packages whose version differs
    one = tabulate([tmp_path / "engineering-cmapss-a"])[0][0].frame
    assert "code" not in one and "packages" not in one  # nothing differs


def test_a_run_named_twice_is_one_row(tmp_path, monkeypatch):
    from common.tabulate import tabulate

    _run(tmp_path, "engineering-cmapss-a")
    monkeypatch.chdir(tmp_path)
    tables, _ = tabulate([tmp_path, "engineering-cmapss-a", tmp_path / "." / "engineering-cmapss-a"])
    assert len(tables) == 1 and len(tables[0].frame) == 1


def test_runs_that_read_different_data_files_say_so(tmp_path):
    """The data label names a file, not its content: a CSV of the user's edited between two runs gave two rows that
    looked comparable. The runs' data_files.json hashes now show, as a short fingerprint, where they differ."""
    from common.tabulate import tabulate

    def files(run, sha):
        (run / "data_files.json").write_text(json.dumps([{"option": "data.path", "file": "/d/my.csv", "sha256": sha}]))

    files(_run(tmp_path, "engineering-cmapss-a"), "a" * 64)
    files(_run(tmp_path, "engineering-cmapss-b"), "b" * 64)
    files(_run(tmp_path, "engineering-cmapss-c"), "a" * 64)
    _run(tmp_path, "engineering-cmapss-d")  # written before data_files.json existed: not known
    frame = tabulate([tmp_path])[0][0].frame.set_index("run")
    prints = frame["data files"]
    assert prints["engineering-cmapss-a"] == prints["engineering-cmapss-c"] != prints["engineering-cmapss-b"]
    assert prints["engineering-cmapss-a"].endswith("(1 file)") and prints["engineering-cmapss-d"] == ""
    same = tabulate([tmp_path / "engineering-cmapss-a", tmp_path / "engineering-cmapss-c",
                     tmp_path / "engineering-cmapss-d"])[0][0].frame
    assert "data files" not in same  # the same files, or not known: nothing to say
    (tmp_path / "engineering-cmapss-a" / "data_files.json").write_text("[{")
    with pytest.raises(ConfigError, match="engineering-cmapss-a.*data_files.json"):
        tabulate([tmp_path])

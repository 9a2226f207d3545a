import os
import re
import subprocess
import sys
import tomllib

import pytest

from common.cli import main


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "common.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)


def test_help_and_list_do_not_import_tensorflow():
    code = ("import sys; from common.cli import main; main(['list']); "
            "bad = [m for m in ('tensorflow', 'keras') if m in sys.modules]; assert not bad, bad")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    listed = res
    code = ("import sys; from domains import DOMAINS, get_domain; [get_domain(n) for n in DOMAINS]; "
            "bad = [m for m in ('tensorflow', 'keras') if m in sys.modules]; assert not bad, bad")
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert imported.returncode == 0, "importing the domains must not import TensorFlow: " + imported.stderr[-500:]
    assert "engineering" in listed.stdout and "cmapss" in listed.stdout
    assert run_cli("--help").returncode == 0


def test_version_names_the_installed_package(capsys):
    from importlib import metadata

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"lstm-suite {metadata.version('lstm-suite')}"


def test_list_shows_cache_state(tmp_path, monkeypatch, capsys):
    mirror = tmp_path / "m"
    monkeypatch.setenv("LSTM_SUITE_MIRROR", str(mirror))
    main(["list"])
    out = capsys.readouterr().out
    assert f"mirror {mirror}" in out and "absent" in out
    assert "  1 file   Weekly influenza-like illness" in out and " 1 files " not in out  # counted in English


def test_fetch_unknown_and_offline_errors_are_clear(capsys, monkeypatch, tmp_path):
    assert main(["fetch", "no_such_set"]) == 1
    assert "unknown dataset id 'no_such_set'" in capsys.readouterr().err
    monkeypatch.setenv("LSTM_SUITE_MIRROR", str(tmp_path / "empty"))
    monkeypatch.setattr("common.download.TIMEOUT_S", 2)
    monkeypatch.setattr("urllib.request.urlopen", lambda *a, **k: (_ for _ in ()).throw(OSError("offline")))
    assert main(["fetch", "ili_national_illness"]) == 1
    err = capsys.readouterr().err
    assert "ili_national_illness" in err and "LSTM_SUITE_MIRROR" in err and "https://" in err


def test_an_option_and_its_value_in_one_word_are_named(capsys):
    """A script passing ["--set data.units=[64]"] (one quoted word) got "unrecognized arguments: --set
    data.units=[64]", which reads as if --set were unknown: argparse takes a word with a space for a value."""
    with pytest.raises(SystemExit) as done:
        main(["train", "engineering", "--set data.units=[64]", "--dry-run"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert ("'--set data.units=[64]' is an option and its value in one argument: give them as two, --set "
            "data.units=[64] (a quoting slip?)") in err, err


def test_bad_config_file_exits_2_with_the_key(tmp_path, capsys):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('domain = "engineering"\n[training]\nepochz = 3\n')
    assert main(["train", "engineering", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "training.epochz" in err and "Traceback" not in err
    cfg.write_text('domain = "social"\n[data]\nhorizon = -3\n')  # a [data] error names the file too
    assert main(["train", "social", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml: domain social: data.horizon: must be >= 0, not -3" in err and "Traceback" not in err
    assert main(["train", "nodomain"]) == 2
    assert "unknown domain 'nodomain'" in capsys.readouterr().err


def test_train_takes_the_domain_from_the_config_file_when_none_is_named(tmp_path, capsys):
    """``lstm-suite train --config run.toml``: the file names its domain; before, argparse refused the command line
    ("the following arguments are required: domain")."""
    cfg = tmp_path / "run.toml"
    cfg.write_text('domain = "social"\n[data]\nhorizon = -3\n')  # stops at validation: the file's domain was used
    assert main(["train", "--config", str(cfg)]) == 2
    assert "run.toml: domain social: data.horizon: must be >= 0, not -3" in capsys.readouterr().err
    cfg.write_text("[data]\nhorizon = 3\n")
    assert main(["train", "--config", str(cfg)]) == 2
    assert "run.toml: no 'domain' key" in capsys.readouterr().err
    assert main(["train"]) == 2
    err = capsys.readouterr().err
    assert "name a domain" in err and "engineering" in err and "Traceback" not in err


def test_train_dry_run_says_what_a_run_would_do_and_writes_nothing(tmp_path, capsys):
    assert main(["train", "engineering", "--dry-run", "--out", str(tmp_path / "runs")]) == 0
    out = capsys.readouterr().out
    assert "samples: train" in out and "parameters" in out and "baselines:" in out and "nothing trained" in out
    assert not (tmp_path / "runs").exists()
    assert main(["train", "mechanisms", "--experiment", "all", "--dry-run"]) == 2
    assert "--dry-run" in capsys.readouterr().err


def test_dry_run_sets_the_arrays_memory_beside_what_the_process_may_use(tmp_path, capsys, monkeypatch):
    """The dry run said what the prepared arrays take, but not against what: a user on a shared node or in a
    container could not tell whether the real run would fit."""
    from common import windows

    monkeypatch.setattr(windows, "memory_limit",
                        lambda: (8e9, "this process may use 8.0 GB (the memory limit of its control group, /x)"))
    assert main(["train", "engineering", "--dry-run", "--out", str(tmp_path / "runs")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"memory: the prepared arrays take [\d.]+ MB \(train .*\); this process may use 8.0 GB \(the "
                     r"memory limit of its control group, /x\)", out), out


def test_config_prints_the_resolved_config_as_a_file_train_takes_back(tmp_path, capsys):
    """``lstm-suite config DOMAIN [--dataset] [--profile] [--set]`` prints the TOML a run would save, so a config file
    can start from a dataset's own settings (a file's missing keys take the generic defaults, not a profile's)."""
    from common.cli import _config
    from common.config import load_config
    from domains import get_domain

    argv = ["environmental", "--dataset", "streamflow_csv", "--profile", "full", "--set", "data.flow_column=Q"]
    assert main(["config", *argv]) == 0
    path = tmp_path / "my.toml"
    path.write_text(capsys.readouterr().out)
    import argparse

    expected = _config(argparse.Namespace(set=["data.flow_column=Q"], seeds=None, epochs=None, out=None,
                                          dataset="streamflow_csv", config=None, profile="full"),
                       get_domain("environmental"))
    assert load_config(path) == expected  # every key written out: nothing falls back to a generic default
    text = path.read_text()
    # the dataset's other [data] options, commented out with their defaults; none of another dataset's
    assert '\n# date_column = "date"\n' in text and "\n# basin_files = []\n" in text and "camels_root" not in text
    assert "\nflow_column = " in text and "# flow_column" not in text  # a set option is written, not commented
    # each with the comment its options class gives it in the source, above it
    assert "# keep every k-th validation day (faster CPU epochs)\n# val_stride = 1\n" in text
    assert main(["config", "environmental", "--dataset", "nope"]) == 2
    assert "dataset 'nope' is not one of environmental's" in capsys.readouterr().err


def test_compare_names_an_unknown_domain_before_anything_else(tmp_path, capsys):
    assert main(["compare", "nodomain", "--out", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert "unknown domain 'nodomain'" in err and "running the default experiment" not in out


def test_an_option_of_another_dataset_is_an_error_not_silently_ignored(tmp_path, capsys):
    # before: `--set data.basins=[...]` on the offline co2 default trained and ignored it
    assert main(["train", "environmental", "--set", 'data.basins=["01022500"]', "--out", str(tmp_path)]) == 2
    assert ("data.basins is not used by dataset 'co2' (it applies to camels)" in capsys.readouterr().err)
    assert main(["train", "engineering", "--dataset", "fusion", "--set", "data.window=20", "--set",
                 "data.subset=FD002", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "data.subset is not used by dataset 'fusion' (it applies to cmapss)" in err
    assert "data.window is not used by dataset 'fusion' (it applies to cmapss, generated)" in err
    cfg = tmp_path / "run.toml"
    cfg.write_text('domain = "social"\ndataset = "macrodata"\n[data]\nweather = "past"\n')
    assert main(["train", "social", "--config", str(cfg)]) == 2
    assert "data.weather is not used by dataset 'macrodata' (it applies to bike_sharing_uci)" in \
        capsys.readouterr().err


@pytest.mark.slow
def test_train_with_flags_and_module_entry_point(tmp_path):
    res = subprocess.run([sys.executable, "-m", "domains.engineering.train", "--epochs", "1", "--out", str(tmp_path),
                          "--set", "data.generated_engines=12", "--set", "data.window=15", "--set", "model.units=[4]",
                          "--run-name", "t"], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    run = tmp_path / "engineering-generated-t"
    config = tomllib.loads((run / "config.toml").read_text())
    assert config["training"]["epochs"] == 1 and config["model"]["units"] == [4]
    assert config["data"] == {"generated_engines": 12, "window": 15}
    assert "constant (mean training RUL)" in (run / "comparison.md").read_text()
    res = run_cli("compare", "engineering", "--out", str(tmp_path))
    assert res.returncode == 0 and "constant (mean training RUL)" in res.stdout and str(run) in res.stdout


@pytest.mark.slow
def test_run_main_job_prints_summary(tmp_path):
    res = run_cli("run", "--out", str(tmp_path), "--profile", "smoke")
    assert res.returncode == 0, res.stderr[-2000:]
    assert "best baseline" in res.stdout and "Summary:" in res.stdout and "LSTM vs baseline" in res.stdout
    summary = next(tmp_path.glob("summary-*.md")).read_text()
    assert "engineering" in summary and "mechanisms/trigger_word" in summary


def test_the_main_jobs_summary_says_whether_the_lstm_is_ahead_of_its_best_baseline():
    """The mission: see at once whether the LSTM beats honest baselines. The summary gave both numbers only."""
    import pandas as pd

    from common.main_job import _best_baseline, _standing

    rows = pd.DataFrame({"model": ["ridge", "GBM", "broken"], "rmse": [17.4, 7.44, float("nan")],
                         "accuracy": [0.70, 0.73, float("nan")]})
    assert _best_baseline(rows, "rmse") == ("GBM: 7.44", 7.44)
    assert _best_baseline(rows, "accuracy") == ("GBM: 0.73", 0.73)
    assert _standing(13.22, 7.44, "rmse") == "behind" and _standing(0.99, 0.73, "accuracy") == "ahead"
    assert _standing(1.0, 1.0, "accuracy") == "level" and _standing(0.5, None, "accuracy") == ""
    assert _best_baseline(rows.iloc[2:], "rmse") == ("", None)


def test_the_standing_says_whether_the_difference_from_the_best_baseline_is_beyond_the_test_sets_noise(tmp_path):
    """A 'behind' within the test set's sampling noise is not a 'behind' a scientist would report."""
    import json

    from common.main_job import _noise

    rows = [{"baseline": "GBM", "verdict": "within noise"}, {"baseline": "ridge: l2", "verdict": "baseline better"}]
    (tmp_path / "significance.json").write_text(json.dumps({"rows": rows}))
    assert _noise(tmp_path, "GBM: 7.44") == ", within noise"
    assert _noise(tmp_path, "ridge: l2: 0.5") == ", beyond noise"  # the name may hold ': ' itself
    assert _noise(tmp_path, "other: 1") == "" and _noise(tmp_path / "absent", "GBM: 1") == ""


def test_a_dataset_with_its_own_model_starts_from_the_domains_dataset_config():
    import argparse

    from common.cli import _config
    from domains import get_domain

    args = argparse.Namespace(set=["training.epochs=2"], seeds=None, epochs=None, out=None, config=None,
                              dataset="bike_sharing_uci", profile=None)
    cfg = _config(args, get_domain("social"))
    assert cfg.model.head == "quantile" and cfg.training.conformal and cfg.training.epochs == 2
    args.dataset = "exchange_rate"
    assert _config(args, get_domain("social")).model.head == "forecast"


def test_list_names_what_each_domain_takes_as_dataset(capsys):
    from domains import DOMAINS

    main(["list"])
    out = capsys.readouterr().out
    for name, (_, _, sets) in DOMAINS.items():
        assert f"--dataset {' | '.join(sets)}" in out, name


def test_output_cut_short_by_a_closed_pipe_is_not_a_traceback():
    """`lstm-suite list | head -1` printed a BrokenPipeError traceback."""
    res = subprocess.run(f"{sys.executable} -m common.cli list | head -1", shell=True, capture_output=True, text=True)
    assert res.stdout.strip() == "Domains:"
    assert "Traceback" not in res.stderr, res.stderr


def test_run_name_and_out_that_would_escape_or_cannot_hold_runs_are_errors(tmp_path, capsys):
    """Before: --run-name ../../x wrote the run outside its folder's naming scheme (out/x), and --out naming a
    file ended in a NotADirectoryError traceback."""
    for name in ("../../x", "a/b", "..", ".hidden", ""):
        with pytest.raises(SystemExit):
            main(["train", "social", "--run-name", name, "--out", str(tmp_path)])
        assert "--run-name" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
    (tmp_path / "afile").write_text("x")
    assert main(["train", "social", "--epochs", "1", "--out", str(tmp_path / "afile")]) == 2
    err = capsys.readouterr().err
    assert "afile is a file, not a folder for run directories" in err and "Traceback" not in err


def test_flags_that_named_experiments_do_not_use_are_errors(tmp_path, capsys):
    """Before: `train engineering --experiment skab --set data.data_dir=/x --seeds 3` ran the registered SKAB set
    with one seed, and said nothing of either flag."""
    base = ["train", "mechanisms", "--experiment", "long_range_memory", "--profile", "smoke", "--out", str(tmp_path)]
    for extra, said in ((["--seeds", "3"], "--seeds"), (["--epochs", "2"], "--epochs"),
                        (["--dataset", "generated"], "--dataset"), (["--config", "x.toml"], "--config")):
        assert main([*base, *extra]) == 2
        assert f"{said} is not used with --experiment" in capsys.readouterr().err
    assert main([*base, "--set", "model.units=[4]"]) == 2
    assert "--set model.units: not a setting of the named experiments of mechanisms (they take none)" in \
        capsys.readouterr().err
    for bad in ("data.window=5", "data.seeds=2"):
        assert main(["train", "engineering", "--experiment", "skab", "--set", bad, "--out", str(tmp_path)]) == 2
        assert f"--set {bad.split('=')[0]}: not a setting of the named experiments of engineering (they take " \
            "data.data_dir)" in capsys.readouterr().err
    assert main([*base[:2], "--experiment", "", "--out", str(tmp_path)]) == 2  # before: trained the default task
    assert "unknown experiment(s) ['']" in capsys.readouterr().err
    assert main(["train", "engineering", "--experiment", "skab", "--seeds", "0", "--out", str(tmp_path)]) == 2
    assert "--seeds must be a positive whole number, not 0" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_an_out_folder_given_by_set_or_config_that_cannot_hold_runs_is_an_error(tmp_path, capsys):
    """Before: only --out was checked; `--set out=FILE` or `out = FILE` in a config file ended in a
    NotADirectoryError traceback after the data were prepared, and an out folder that cannot be made in a
    FileNotFoundError or PermissionError traceback."""
    (tmp_path / "afile").write_text("x")
    cfg = tmp_path / "run.toml"
    cfg.write_text(f'domain = "social"\ndataset = "macrodata"\nout = "{tmp_path / "afile"}"\n')
    for args in (["--set", f"out={tmp_path / 'afile'}"], ["--config", str(cfg)],
                 ["--set", f"out={tmp_path / 'afile' / 'below'}"]):
        assert main(["train", "social", "--epochs", "1", *args]) == 2
        err = capsys.readouterr().err
        assert f"out {tmp_path / 'afile'}" in err and "Traceback" not in err, err
    assert main(["train", "mechanisms", "--experiment", "long_range_memory", "--profile", "smoke", "--out",
                 str(tmp_path / "afile" / "below")]) == 2
    assert f"--out {tmp_path / 'afile' / 'below'}: cannot make the folder for run directories" in \
        capsys.readouterr().err


@pytest.mark.skipif(not os.path.isdir("/sys/kernel"), reason="needs Linux's /sys, which no user may write to")
def test_an_out_folder_nobody_may_write_to_is_refused_before_any_work():
    """Before: the run directory's mkdir raised PermissionError with a traceback (train, named experiments)."""
    from common.config import ConfigError, make_out_folder

    with pytest.raises(ConfigError, match=r"^--out /sys/kernel: cannot write in this folder \("):
        make_out_folder("/sys/kernel", "--out")


def test_compare_skips_a_run_whose_comparison_is_empty_and_says_so(tmp_path, capsys):
    """Before: a run directory whose comparison.md was empty (a run stopped while writing it) was printed as it
    was: a blank table and "(from ...)", without a word about why."""
    import os

    done = tmp_path / "engineering-generated-a"
    done.mkdir()
    (done / "comparison.md").write_text("| model | rmse |\n|---|---|\n| lstm | 1.0 |\n")
    broken = tmp_path / "engineering-generated-b"
    broken.mkdir()
    (broken / "comparison.md").write_text("")
    os.utime(done / "comparison.md", (1, 1))  # the empty one is the newest
    assert main(["compare", "engineering", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"{broken}: comparison.md is empty (the run stopped while writing it?); skipped" in out
    assert "| lstm | 1.0 |" in out and f"(from {done})" in out


def test_a_key_given_twice_on_the_command_line_with_two_values_is_an_error(tmp_path, capsys):
    """Before: `--epochs 1 --set training.epochs=5` trained 1 epoch and `--set model.units=[8] --set
    model.units=[16]` took the last, each without a word about the value left unused."""
    assert main(["train", "social", "--epochs", "1", "--set", "training.epochs=5", "--out", str(tmp_path)]) == 2
    assert "--set training.epochs=5 and --epochs 1 give training.epochs two values; give it once" in \
        capsys.readouterr().err
    assert main(["train", "social", "--set", "model.units=[8]", "--set", "model.units=[16]", "--out",
                 str(tmp_path)]) == 2
    assert "--set model.units=[8] and --set model.units=[16] give model.units two values; give it once" in \
        capsys.readouterr().err
    assert main(["train", "social", "--dataset", "macrodata", "--set", "dataset=co2", "--out", str(tmp_path)]) == 2
    assert "--set dataset=co2 and --dataset macrodata give dataset two values" in capsys.readouterr().err
    assert main(["train", "engineering", "--experiment", "skab", "--set", "data.data_dir=/a", "--set",
                 "data.data_dir=/b", "--out", str(tmp_path)]) == 2
    assert "--set data.data_dir=/a and --set data.data_dir=/b give data.data_dir two values" in capsys.readouterr().err


def test_an_interrupted_run_says_how_to_resume_it(tmp_path, capsys, monkeypatch):
    """Before: Ctrl-C during training ended in a KeyboardInterrupt traceback from inside Keras, without the run
    directory whose per-epoch backups a rerun with the same --run-name resumes."""
    import common.cli
    import common.experiment

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(common.experiment, "_run_in", stop)
    assert main(["train", "social", "--out", str(tmp_path), "--run-name", "mine"]) == 130
    err = capsys.readouterr().err
    assert (f"lstm-suite: interrupted; {tmp_path / 'social-macrodata-mine'} keeps the finished epochs: run the same "
            "command with --run-name mine to resume") in err and "Traceback" not in err
    assert main(["run", "--out", str(tmp_path / "main"), "--profile", "smoke"]) == 130  # `run` has no --run-name
    err = capsys.readouterr().err
    assert err.startswith(f"lstm-suite: interrupted ({tmp_path / 'main'}/engineering-") and "--run-name" not in err
    assert err.endswith(" holds the unfinished run)\n")
    monkeypatch.setitem(common.cli.COMMANDS, "list", stop)
    assert main(["list"]) == 130
    assert capsys.readouterr().err == "lstm-suite: interrupted\n"

    def stop_in_a_progress_bar(*args, **kwargs):
        print("12/61 ━━━━ 0s 9ms/step - loss: 0.0019", end="")  # Keras' bar: its line is not ended yet
        raise KeyboardInterrupt

    monkeypatch.setitem(common.cli.COMMANDS, "list", stop_in_a_progress_bar)
    assert main(["list"]) == 130
    assert capsys.readouterr().out.endswith("loss: 0.0019\n")  # so the message does not run on after the bar


def test_a_relative_path_that_is_not_found_names_the_folder_it_was_read_from(tmp_path, monkeypatch, capsys):
    """Before: "data/d.csv: file not found", with no word that a relative path (from the command line or a config
    file) is read from the current folder, not from the config file's."""
    monkeypatch.chdir(tmp_path)
    base = ["train", "social", "--dataset", "csv", "--set", 'data.columns=["y"]', "--set", "data.freq=D"]
    assert main([*base, "--set", "data.path=data/d.csv"]) == 2
    assert f"data/d.csv: file not found (a relative path, read from the current folder {tmp_path})" in \
        capsys.readouterr().err
    assert main([*base, "--set", f"data.path={tmp_path / 'd.csv'}"]) == 2
    assert capsys.readouterr().err.rstrip().endswith("d.csv: file not found")  # an absolute path needs no folder
    assert main(["train", "genomics", "--dataset", "fasta", "--set", 'data.fasta_train=["x.fa"]', "--set",
                 'data.file_labels=["a"]']) == 2
    assert f"x.fa: FASTA file not found (a relative path, read from the current folder {tmp_path})" in \
        capsys.readouterr().err
    assert main(["train", "engineering", "--dataset", "cmapss", "--set", "data.data_dir=nasa"]) == 2
    assert f"data.data_dir nasa: no such folder (a relative path, read from the current folder {tmp_path})" in \
        capsys.readouterr().err
    assert main(["train", "social", "--config", "my.toml"]) == 2
    assert f"my.toml: config file not found (a relative path, read from the current folder {tmp_path})" in \
        capsys.readouterr().err


def test_a_path_starting_with_a_tilde_is_read_from_the_home_folder(tmp_path, monkeypatch, capsys):
    """Before: `data.path = "~/d.csv"` (a config file's paths pass no shell) gave "~/d.csv: file not found"; FASTA
    and label files likewise. Folder options already expanded it."""
    monkeypatch.setenv("HOME", str(tmp_path))
    days = [f"2020-01-{d:02d}" for d in range(1, 32)] + [f"2020-02-{d:02d}" for d in range(1, 30)]
    (tmp_path / "d.csv").write_text("date,y\n" + "".join(f"{d},{i % 7}\n" for i, d in enumerate(days)))
    assert main(["train", "social", "--dataset", "csv", "--set", "data.path=~/d.csv", "--set", 'data.columns=["y"]',
                 "--set", "data.freq=D", "--set", "data.lookback=7", "--set", "data.horizon=2", "--set",
                 "model.units=[4]", "--epochs", "1", "--out", str(tmp_path / "runs")]) == 0
    from domains.genomics.fasta import labels_from_csv, read_fasta

    (tmp_path / "x.fa").write_text(">a\nACGT\n")
    (tmp_path / "l.csv").write_text("a,enh\n")
    assert read_fasta("~/x.fa")[0].seq == "ACGT" and labels_from_csv("~/l.csv") == {"a": "enh"}


def test_a_folder_given_where_a_file_is_read_is_called_a_folder_not_missing(tmp_path):
    """Before: `lstm-suite predict RUN_DIR some_folder` said "some_folder: FASTA file not found", though it exists."""
    from common.domain import DataError
    from domains.engineering.cmapss import read_rul, read_trajectories
    from domains.genomics.fasta import labels_from_csv, read_fasta
    from domains.social.series import read_csv

    (tmp_path / "d").mkdir()
    folder = tmp_path / "d"
    for read, what in [(read_fasta, "FASTA file"), (labels_from_csv, "label file"), (read_csv, "file"),
                       (read_trajectories, "file"), (lambda p: read_rul(p, 3), "file")]:
        with pytest.raises(DataError) as err:
            read(folder)
        assert str(err.value) == f"{folder}: a folder, not a {what}"


def test_main_jobs_started_in_the_same_second_get_their_own_stamp(tmp_path, monkeypatch):
    """Before: `lstm-suite run` named every run directory and its summary by the second it started, so two main jobs
    started together (a loop over --out folders that are the same, a retry) shared the directories and summary."""
    import time

    from common.main_job import _reserve_summary

    monkeypatch.setattr(time, "strftime", lambda fmt, *a: "20260101-000000")
    first, second = _reserve_summary(tmp_path), _reserve_summary(tmp_path)
    assert (first[0], second[0]) == ("20260101-000000", "20260101-000000-2")
    assert first[1].is_file() and second[1] == tmp_path / "summary-20260101-000000-2.md"


def test_train_help_names_the_domains_and_where_dataset_ids_are_listed(capsys):
    from domains import DOMAINS

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert all(name in out for name in DOMAINS), out
    assert "lstm-suite list" in out


@pytest.mark.parametrize("argv, message", [
    (["train", "enginering"], "unknown domain 'enginering' (did you mean engineering?)"),
    (["train", "social", "--dataset", "ili"], "did you mean ili_national_illness?"),
    (["train", "environmental", "--dataset", "beijing"], "did you mean beijing_pm25 or beijing_multisite?"),
    (["train", "engineering", "--dataset", "cmapps"], "did you mean cmapss?"),
    (["train", "genomics", "--dataset", "cmapss"], "dataset 'cmapss' is not one of genomics's: generated, ienhancer2l"),
    (["fetch", "exchange"], "unknown dataset id 'exchange' (did you mean exchange_rate?)"),
])
def test_a_misspelt_domain_or_dataset_gets_the_nearest_name(argv, message, capsys):
    """Before: only the list of names (a misspelt config key already got 'did you mean')."""
    code = main(argv)
    captured = capsys.readouterr()
    assert code in (1, 2) and message in captured.err + captured.out, captured.err + captured.out


def test_a_config_files_unknown_dataset_names_the_file(tmp_path, capsys):
    path = tmp_path / "run.toml"
    path.write_text('domain = "social"\ndataset = "exchange"\n')
    assert main(["train", "social", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: dataset 'exchange' is not one of social's" in err and "did you mean exchange_rate?" in err


@pytest.mark.parametrize("errno_name", ["ENOSPC", "EACCES", "EROFS"])
def test_a_full_or_read_only_disk_is_one_line_naming_the_file(errno_name, tmp_path, monkeypatch, capsys):
    """Before: a traceback from deep inside the run (disk full while writing a run file)."""
    import errno

    import common.experiment as experiment

    def full(*_args, **_kw):
        code = getattr(errno, errno_name)
        raise OSError(code, os.strerror(code), str(tmp_path / "runs" / "x" / "scalers.json"))

    monkeypatch.setattr(experiment, "write_json", full)
    code = main(["train", "engineering", "--out", str(tmp_path / "runs"), "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    path = tmp_path / "runs" / "x" / "scalers.json"
    assert f"lstm-suite: error: {path}: {os.strerror(getattr(errno, errno_name))}" in err


def test_other_os_errors_still_raise(monkeypatch, tmp_path):
    import common.experiment as experiment

    def broken(*_args, **_kw):
        raise OSError(5, "Input/output error", "somewhere")

    monkeypatch.setattr(experiment, "write_json", broken)
    with pytest.raises(OSError, match="Input/output error"):
        main(["train", "engineering", "--epochs", "1", "--out", str(tmp_path)])

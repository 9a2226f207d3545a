"""data_scripts/verify_mirror.py: a mirror folder checked against the registry, file by file; the benchmark
scripts' --help."""
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from common.registry import DataFile, Dataset

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "data_scripts" / "verify_mirror.py"


def _registry(content: bytes) -> dict:
    files = (DataFile("a.txt", hashlib.sha256(content).hexdigest(), ()), DataFile("sub/b.txt", "0" * 64, ()))
    return {"toy": Dataset("toy", "social", "a toy set", files)}


def test_verify_names_missing_corrupted_and_unregistered_files(tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(SCRIPT.parent))
    import verify_mirror

    monkeypatch.setattr(verify_mirror, "load_registry", lambda: _registry(b"hello\n"))
    (tmp_path / "toy" / "sub").mkdir(parents=True)
    (tmp_path / "toy" / "a.txt").write_bytes(b"hello\n")
    (tmp_path / "toy" / "extra.csv").write_text("x")
    (tmp_path / "other").mkdir()
    assert verify_mirror.verify(tmp_path) == 1
    out = capsys.readouterr().out
    assert "toy: PROBLEM: 1/2 files verify" in out and "missing: sub/b.txt" in out
    assert "not registered: extra.csv" in out and "other: not a registered dataset id (ignored)" in out
    (tmp_path / "toy" / "sub" / "b.txt").write_text("changed")
    assert verify_mirror.verify(tmp_path) == 1
    assert "corrupted: sub/b.txt (expected 0000" in capsys.readouterr().out


@pytest.mark.parametrize("args, code, text", [
    (["--help"], 0, "usage:"),
    (["/no/such/mirror"], 2, "/no/such/mirror: no such folder"),
    ([str(SCRIPT)], 2, "verify_mirror.py: a file, not a folder"),
    ([], 2, "usage:"),
])
def test_the_command_line_gives_usage_and_refuses_a_path_that_is_not_a_folder(args, code, text):
    # before: --help or a mistyped path was taken as a mirror, and every registered file was listed as missing
    run = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == code and text in run.stdout + run.stderr


@pytest.mark.parametrize("script", ["cmapss", "environmental", "genomics", "social"])
def test_benchmark_help_describes_the_benchmark_and_its_defaults(script):
    path = ROOT / "benchmarks" / f"{script}.py"
    run = subprocess.run([sys.executable, str(path), "--help"], capture_output=True, text=True, cwd=ROOT)
    first_line = path.read_text().split('"""')[1].splitlines()[0]
    assert run.returncode == 0 and first_line in run.stdout and "(default: 5)" in run.stdout


@pytest.mark.parametrize("script", ["cmapss", "environmental", "genomics", "social"])
def test_a_benchmark_given_a_bad_setting_says_so_without_a_traceback(script, tmp_path):
    """Before: 'Traceback (most recent call last): ... common.config.ConfigError: training.epochs: must be
    positive', where `lstm-suite` prints one line."""
    env = {**os.environ, "LSTM_SUITE_DATA": str(tmp_path / "cache"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("LSTM_SUITE_MIRROR", None)
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / f"{script}.py"), "--set", "training.epochs=-1",
                          "--out", str(tmp_path / "runs")], capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=120)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1] == f"{script}.py: error: training.epochs: must be positive"


@pytest.mark.parametrize("script, args, message", [
    ("genomics", ["--jobs", "0"], "argument --jobs: must be at least 1, not 0"),
    ("genomics", ["--folds", "1"], "argument --folds: must be at least 2, not 1"),
    ("social", ["--jobs", "-2"], "argument --jobs: must be at least 1, not -2"),
])
def test_a_benchmark_count_below_its_least_is_refused(script, args, message):
    """Before: `--jobs 0` ran everything in one process and reported "with 0 job(s)"; `--folds 1` reached
    scikit-learn's error after the data were prepared."""
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / f"{script}.py"), *args], capture_output=True,
                         text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 2 and message in run.stderr


def test_social_benchmark_horizons_that_a_chosen_dataset_lacks_are_refused():
    """Before: `--datasets ili --horizons 96` ran nothing for ILI (96 is an exchange-rate horizon) and wrote an
    empty table, and `--horizons 7` ran only the rolling part, each without a word."""
    script = str(ROOT / "benchmarks" / "social.py")
    for args, said in ((["--datasets", "ili", "--horizons", "96"], "--horizons 96: not a horizon of ili (24, 36, 48, 60)"),
                       (["--datasets", "ili", "exchange", "--horizons", "24"],
                        "--horizons 24: exchange has horizons 96, 192, 336, 720; none of them was given"),
                       (["--datasets", "ili", "exchange", "--horizons", "24", "7"],
                        "--horizons 7: not a horizon of ili (24, 36, 48, 60) or exchange (96, 192, 336, 720)")):
        run = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert run.returncode == 2 and said in run.stderr, run.stderr[-500:]


def test_social_benchmark_second_lookback_runs_ili_at_36_and_the_exchange_rate_at_336():
    """The social issue names two look-backs per dataset (ILI 36 and 104, the exchange rate 96 and 336); the
    benchmark ran only the first, so the published LSTM row (I = 36) had no like-for-like LSTM of ours."""
    import argparse

    from benchmarks.social import long_configs, lookbacks

    def args(*more, sets=()):
        return argparse.Namespace(second_lookback="second" in more, set=list(sets), horizons=[24, 96], out="o",
                                  seeds=2)

    assert lookbacks("ili", args()) == (104,) and lookbacks("exchange", args()) == (96,)
    assert lookbacks("ili", args("second")) == (104, 36) and lookbacks("exchange", args("second")) == (96, 336)
    assert lookbacks("ili", args(sets=["data.lookback=52"])) == (52,)
    runs = long_configs("ili", args("second"))
    assert sorted(runs) == [("ili", 24, 36), ("ili", 24, 104)]
    assert [runs[k][0].data["lookback"] for k in sorted(runs)] == [36, 104]
    assert [runs[k][1] for k in sorted(runs)] == ["bench-H24-L36", "bench-H24"]
    assert runs[("ili", 24, 36)][0].training.seeds == 2 and runs[("ili", 24, 36)][0].data["horizon"] == 24
    script = str(ROOT / "benchmarks" / "social.py")
    run = subprocess.run([sys.executable, script, "--datasets", "ili", "--second-lookback", "--set",
                          "data.lookback=52"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 2 and "--set data.lookback chooses one" in run.stderr, run.stderr[-500:]


def test_the_streamed_windows_benchmark_reports_what_the_arrays_would_take_against_what_is_held(capsys):
    pytest.importorskip("keras")
    from benchmarks.streamed_windows import main

    report = main(["--basins", "3", "--seq-length", "30", "--batches", "2", "--batch-size", "16"])
    days = sum(report["samples"].values())
    assert report["windows_as_arrays_GB"] == round(days * 30 * 6 * 4 / 1e9, 2)
    assert report["daily_rows_held_GB"] == round(3 * 12418 * 6 * 4 / 1e9, 3)  # 1980-10-01..2014-09-30
    assert report["seconds_per_batch_cut"] > 0 and report["seconds_per_batch_trained"] > 0
    assert report["seconds_to_score_one_model"] >= 0 and report["bootstrap"].startswith("1000 resamples of blocks of 30")
    assert "generated basins (not real data)" in report["data"] and '"peak_memory_GB"' in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--basins", "0"])

"""Engineering: C-MAPSS parser, protocol (engine-grouped, per-condition scaling on training engines only,
one padded test window per engine) and end-to-end runs."""
import numpy as np
import pytest

from common.config import ModelSpec, RunConfig, validate_options
from common.domain import DataError
from domains.engineering.cmapss import (COLUMNS, generate_run_to_failure, load_subset, read_trajectories,
                                        rul_labels, write_nasa_format)
from domains.engineering.domain import DOMAIN, EngineeringOptions, prepare
from tests.conftest import real_data_or_skip


@pytest.fixture
def nasa_folder(tmp_path):
    """A tiny generated subset written in NASA's layout, with one test engine shorter than the window."""
    data = generate_run_to_failure(n_train=12, n_test=6, seed=3, n_conditions=3)
    test = data.test
    short_unit = test["unit"].iloc[-1]
    test = test[(test["unit"] != short_unit) | (test["cycle"] <= 8)]  # 8 cycles < window 15
    write_nasa_format(data.train, tmp_path / "train_FD003.txt")
    write_nasa_format(test, tmp_path / "test_FD003.txt")
    (tmp_path / "RUL_FD003.txt").write_text("\n".join(str(int(v)) for v in data.test_rul) + "\n")
    return tmp_path


def test_parser_reads_trailing_spaces_and_checks_layout(nasa_folder, tmp_path):
    raw = (nasa_folder / "train_FD003.txt").read_text().splitlines()
    assert raw[0].endswith("  ")
    sub = load_subset(nasa_folder, "FD003")
    assert list(sub.train.columns) == COLUMNS and sub.train["unit"].nunique() == 12
    assert len(sub.test_rul) == sub.test["unit"].nunique() == 6
    bad = tmp_path / "bad.txt"
    bad.write_text("1 1 0.1 0.2\n")
    with pytest.raises(DataError, match="bad.txt: expected 26 columns"):
        read_trajectories(bad)
    bad.write_text(" ".join(["1", "1"] + ["0.5"] * 24) + "\n" + " ".join(["1", "2"] + ["0.5"] * 5 + ["x"] * 19) + "\n")
    with pytest.raises(DataError, match="bad.txt: line 2, column 8 holds 'x', not a number"):
        read_trajectories(bad)
    bad.write_text("")
    with pytest.raises(DataError, match="bad.txt: file is empty"):
        read_trajectories(bad)
    bad.write_text(" ".join(["1", "1"] + ["0.5"] * 23 + ["inf"]) + "\n")
    with pytest.raises(DataError, match="bad.txt: missing or non-finite values on line 1"):
        read_trajectories(bad)
    rul = (nasa_folder / "RUL_FD003.txt").read_text()
    (nasa_folder / "RUL_FD003.txt").write_text("\ufeff" + rul)  # a byte order mark (Notepad) is not data
    np.testing.assert_array_equal(load_subset(nasa_folder, "FD003").test_rul, sub.test_rul)
    (nasa_folder / "RUL_FD003.txt").write_text("5\n-3\n7\n8\n9\n10\n")
    with pytest.raises(DataError, match="RUL_FD003.txt: value 2 of 6 is -3.0: a remaining useful life must be >= 0"):
        load_subset(nasa_folder, "FD003")
    (nasa_folder / "RUL_FD003.txt").write_text("5\n")
    with pytest.raises(DataError, match="1 RUL values for 6 test engines"):
        load_subset(nasa_folder, "FD003")


def test_rul_labels_are_piecewise_linear():
    sub = generate_run_to_failure(n_train=3, n_test=2, seed=0)
    rul = rul_labels(sub.train, 125)
    last = sub.train.groupby("unit")["cycle"].transform("max")
    assert (rul[sub.train["cycle"] == last] == 0).all() and rul.max() == 125


def options(**kw):
    return validate_options(EngineeringOptions, kw, "engineering")


def test_protocol_on_a_user_folder(nasa_folder):
    cfg = RunConfig(domain="engineering", dataset="cmapss")
    prep = prepare(cfg, options(subset="FD003", data_dir=str(nasa_folder), window=15, condition_norm="on"))
    # one prediction per test engine, every engine kept (the short one padded and masked)
    assert len(prep.X_test) == 6 and prep.model_overrides["masking"]
    assert "1 test engine shorter than the window 15 is left-padded" in " ".join(prep.audit.notes)
    # validation engines are disjoint from training engines; windows never cross engines
    assert prep.split["fit_engines"] + prep.split["validation_engines"] == 12
    # per-condition scalers were fitted on training-engine rows only
    assert {k for k in prep.scalers} == {f"inputs_condition_{c}" for c in range(prep.split["conditions"])}
    n_fit_rows = sum(len(r) for r in prep.scaler_fit_rows.values())
    sub = load_subset(nasa_folder, "FD003")
    assert n_fit_rows < len(sub.train)
    # test RUL unclipped by default, in cycles after the report-unit conversion
    np.testing.assert_allclose(prep.to_report_units(prep.y_test).ravel(), sub.test_rul)


def test_scaler_ignores_test_and_validation_values(nasa_folder):
    cfg = RunConfig(domain="engineering", dataset="cmapss")
    opts = options(subset="FD003", data_dir=str(nasa_folder), window=15)
    before = prepare(cfg, opts).scalers
    test_file = nasa_folder / "test_FD003.txt"
    sub = load_subset(nasa_folder, "FD003")
    changed = sub.test.copy()
    changed[[c for c in COLUMNS if c.startswith("s")]] *= 50.0
    write_nasa_format(changed, test_file)
    assert prepare(cfg, opts).scalers == before


def test_fd003_without_a_folder_is_a_clear_error():
    with pytest.raises(DataError, match="FD003 is not in the registered mirror"):
        prepare(RunConfig(domain="engineering", dataset="cmapss"), options(subset="FD003"))
    with pytest.raises(DataError, match="subset must be one of"):
        prepare(RunConfig(domain="engineering", dataset="cmapss"), options(subset="FD009"))


@pytest.mark.slow
def test_lstm_beats_the_constant_baseline_on_generated_engines(tmp_path):
    pytest.importorskip("keras")
    from common.config import apply_overrides
    from common.experiment import run_experiment

    cfg = apply_overrides(DOMAIN.default_config("quick"), {"out": str(tmp_path), "data.generated_engines": 40})
    res = run_experiment(cfg, DOMAIN, run_name="t", log=lambda m: None)
    lstm = res.lstm["rmse"]["mean"]
    constant = res.baselines["constant (mean training RUL)"]["rmse"]
    assert lstm < 0.6 * constant, (lstm, constant)  # at least 40% below the constant baseline
    assert (res.run_dir / "rul_per_engine.png").is_file() and (res.run_dir / "rul_over_life.png").is_file()


@pytest.mark.slow
@pytest.mark.realdata
def test_fd001_trains_briefly_through_the_mirror(tmp_path):
    pytest.importorskip("keras")
    real_data_or_skip("cmapss")
    from common.config import apply_overrides
    from common.experiment import run_experiment

    cfg = apply_overrides(DOMAIN.default_config("full"), {
        "out": str(tmp_path), "training.epochs": 2, "training.seeds": 1, "model.units": [16]})
    res = run_experiment(cfg, DOMAIN, run_name="fd001", log=lambda m: None)
    table = (res.run_dir / "comparison.md").read_text()
    assert "Zheng et al. 2017" in table and "NASA C-MAPSS FD001 (real)" in table
    assert np.isfinite(res.lstm["rmse"]["mean"]) and len(res.table) >= 5


def test_fusion_dataset_and_baselines():
    cfg = RunConfig(domain="engineering", dataset="fusion")
    prep = prepare(cfg, options(fusion_sequences=128, fusion_length=30))
    assert prep.X_train.shape == (128, 30, 4) and prep.y_test.shape[1:] == (30, 1)
    assert set(np.unique(prep.X_train[..., 2:])) <= {0.0, 1.0}, "reliability flags are not scaled"
    scores = {}
    for name, model in DOMAIN.baselines(prep, cfg).items():
        pred = model.fit(prep.X_train, prep.y_train).predict(prep.X_test)
        scores[name] = float(np.sqrt(np.mean((pred - prep.y_test) ** 2)))
    assert scores["Kalman filter with flags"] < scores["average of sensors"]


@pytest.mark.slow
def test_fusion_run_writes_the_output_gate_plot(tmp_path):
    pytest.importorskip("keras")
    import json

    from common.config import apply_overrides
    from common.experiment import run_experiment

    cfg = apply_overrides(RunConfig(domain="engineering", dataset="fusion"), {
        "out": str(tmp_path), "training.epochs": 2, "model.units": [8], "data.fusion_sequences": 128,
        "data.fusion_length": 30})
    res = run_experiment(cfg, DOMAIN, run_name="f", log=lambda m: None)
    corr = json.loads((res.run_dir / "output_gate.json").read_text())["corr_mean_output_gate_vs_reliable_fraction"]
    assert -1 <= corr <= 1 and (res.run_dir / "output_gate_vs_reliability.png").is_file()


@pytest.mark.slow
def test_fusion_starts_from_settings_that_train_it_to_beat_the_kalman_filter(tmp_path):
    """Before: `--dataset fusion` took the generated engines' 15 epochs, stopped while the loss still fell, and lost
    to the Kalman filter with flags (RMSE 0.268 vs 0.198, output gate correlation 0.35)."""
    pytest.importorskip("keras")
    import json

    from common.config import apply_overrides
    from common.experiment import run_experiment

    cfg = apply_overrides(DOMAIN.dataset_config("fusion", "quick"), {"out": str(tmp_path)})
    assert cfg.dataset == "fusion" and cfg.profile == "quick"
    res = run_experiment(cfg, DOMAIN, run_name="f", log=lambda m: None)
    assert res.lstm["rmse"]["mean"] < 0.8 * res.baselines["Kalman filter with flags"]["rmse"]
    corr = json.loads((res.run_dir / "output_gate.json").read_text())["corr_mean_output_gate_vs_reliable_fraction"]
    assert corr > 0.5  # the output gate opens with the fraction of reliable sensors
    assert DOMAIN.dataset_config("cmapss", "full") is None  # the other datasets start from the profile's config


def write_skab(path, n=460, anomaly_from=430, seed=0, crlf=True):
    from domains.engineering.skab import FEATURES

    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = np.sin(t[:, None] / 7 + np.arange(8)) + rng.normal(0, 0.05, size=(n, 8))
    values[anomaly_from:] += 3.0  # a planted collective anomaly
    times = [f"2020-03-09 10:{m // 60:02d}:{m % 60:02d}" for m in t]
    label = (t >= anomaly_from).astype(float)
    header = ";".join(["datetime", *FEATURES, "anomaly", "changepoint"])
    lines = [header] + [";".join([times[i], *(f"{v:.5f}" for v in values[i]), f"{label[i]}", "0.0"]) for i in range(n)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n" if crlf else "\n").join(lines).encode())
    return path


def test_skab_parser_and_detectors_on_generated_files(tmp_path):
    from domains.engineering import skab

    files = [write_skab(tmp_path / "valve1" / "0.csv", seed=0), write_skab(tmp_path / "other" / "1.csv", seed=1,
                                                                          crlf=False)]
    (tmp_path / "anomaly-free").mkdir()
    assert skab.anomaly_files(tmp_path) == sorted(files)
    df = skab.read_skab(files[0])
    assert len(df) == 460 and df.index.is_monotonic_increasing
    result = skab.evaluate(files, *skab.detectors("smoke")["PCA T-squared+Q"])[""]
    assert result["test_rows"] == 2 * 60 and result["f1"] > 0.9 and result["mar_percent"] < 10
    bad = tmp_path / "bad.csv"
    bad.write_text("datetime;Current\n2020-01-01 00:00:00;1.0\n")
    with pytest.raises(DataError, match="bad.csv: missing columns"):
        skab.read_skab(bad)
    gap = tmp_path / "gap.csv"
    lines = files[1].read_text().splitlines()
    cells = lines[3].split(";")
    lines[3] = ";".join([cells[0], cells[1], "", *cells[3:]])  # the second sensor of the third row left empty
    gap.write_text("\n".join(lines))
    with pytest.raises(DataError, match=r"gap.csv: 1 missing value: 'Accelerometer2RMS' 1 "
                                        r"\(first at 2020-03-09 10:00:02\); SKAB"):
        skab.read_skab(gap)
    for value, shown in (("inf", "inf"), ("high", "'high'")):
        lines[3] = ";".join([cells[0], cells[1], value, *cells[3:]])
        gap.write_text("\n".join(lines))
        with pytest.raises(DataError, match=rf"gap.csv: column 'Accelerometer2RMS' at 2020-03-09 10:00:02: "
                                            rf"{shown} is not a finite number"):
            skab.read_skab(gap)


def test_skab_rows_must_be_in_time_order_with_readable_dates(tmp_path):
    """Windows follow the row order, so rows out of time order (or repeated) gave windows across a jump without a
    word, and an unreadable datetime was kept as text."""
    from domains.engineering import skab

    lines = write_skab(tmp_path / "a.csv", crlf=False).read_text().splitlines()
    bad = tmp_path / "bad.csv"
    for i, j, said in ((3, 7, r"data row 4 \(2020-03-09 10:00:03\) is not after data row 3 \(2020-03-09 10:00:06\)"),
                       (3, 2, r"data row 3 \(2020-03-09 10:00:01\) is not after data row 2 \(2020-03-09 10:00:01\)")):
        swapped = list(lines)
        swapped[i] = lines[j]
        if j == 7:
            swapped[7] = lines[3]
        bad.write_text("\n".join(swapped))
        with pytest.raises(DataError, match=rf"bad.csv: datetime at {said}; rows must be in time order"):
            skab.read_skab(bad)
    cells = lines[4].split(";")
    bad.write_text("\n".join([*lines[:4], ";".join(["noon", *cells[1:]]), *lines[5:]]))
    with pytest.raises(DataError, match=r"bad.csv: datetime 'noon' at data row 4 is not a date and time"):
        skab.read_skab(bad)


def test_a_skab_file_without_its_datetime_column_says_what_its_header_holds(tmp_path):
    """Before: "not a SKAB file ('datetime' is not in list)", pandas' words, also for a SKAB file saved again
    comma-separated (by a spreadsheet or pandas' default to_csv)."""
    from domains.engineering import skab

    lines = write_skab(tmp_path / "a.csv", crlf=False).read_text().splitlines()
    comma = tmp_path / "comma.csv"
    comma.write_text("\n".join(line.replace(";", ",") for line in lines))
    with pytest.raises(DataError, match=r"comma.csv: not a SKAB file: no 'datetime' column in its header "
                                        r"'datetime,Accelerometer1RMS,.*'; SKAB files are ';'-separated, and this "
                                        r"header is ','-separated"):
        skab.read_skab(comma)
    renamed = tmp_path / "renamed.csv"
    renamed.write_text("\n".join([lines[0].replace("datetime", "time"), *lines[1:]]))
    with pytest.raises(DataError, match=r"renamed.csv: not a SKAB file: no 'datetime' column in its header "
                                        r"'time;Accelerometer1RMS;.*'$"):
        skab.read_skab(renamed)


def test_skab_training_anomalies_are_named_by_their_path_under_the_folder(tmp_path):
    """Before: files were named parent/name, so x/a/0.csv and y/a/0.csv were one entry and one count was lost."""
    from domains.engineering.skab import anomaly_files, training_anomalies

    write_skab(tmp_path / "x" / "a" / "0.csv", anomaly_from=390)
    write_skab(tmp_path / "y" / "a" / "0.csv", anomaly_from=380)
    write_skab(tmp_path / "z" / "0.csv")
    assert training_anomalies(anomaly_files(tmp_path), tmp_path) == {"x/a/0.csv": 10, "y/a/0.csv": 20}


def test_skab_files_without_a_test_anomaly_get_a_note_that_f1_and_mar_mean_nothing(tmp_path):
    """Before: F1 0.0 and MAR nan were printed for files whose test rows hold no anomaly, without a word why."""
    from domains.engineering.skab import NO_TEST_ANOMALY, anomaly_free_test_notes

    calm = [write_skab(tmp_path / "calm" / f"{k}.csv", anomaly_from=460, seed=k) for k in range(2)]
    assert anomaly_free_test_notes(calm) == [NO_TEST_ANOMALY]
    assert "F1 is 0 for any alarm" in NO_TEST_ANOMALY and "MAR is undefined" in NO_TEST_ANOMALY
    assert anomaly_free_test_notes([*calm, write_skab(tmp_path / "x.csv")]) == []


def test_skab_upstream_flag_rule_matches_upstreams_loop():
    """The LSTM-AE rule of upstream's notebook, written as its loop over windows indexed by their first row: row d
    is flagged when windows d-9 .. d-1 are all above the threshold. `flag(..., "all")` indexes windows by their last
    row; it agrees wherever upstream's loop reaches, and leaves the last 8 rows unflagged."""
    from domains.engineering.skab import WINDOW, flag, mean_squared, summed_mean_abs

    rng = np.random.default_rng(0)
    above = rng.random(300) < 0.9  # window ending at row r + 9 of the file, r = 0 .. 299
    file_rows = len(above) + WINDOW - 1
    upstream = np.zeros(file_rows, int)
    for d in range(WINDOW - 1, len(above) - WINDOW + 1):
        if np.all(above[d - WINDOW + 1:d]):
            upstream[d] = 1
    ours = flag(above.astype(float), 0.5, "all")  # per window end: row r + 9
    ours_by_row = np.concatenate([np.zeros(WINDOW - 1, int), ours])
    reach = len(above) - WINDOW + 1
    assert upstream.sum() > 10 and np.array_equal(ours_by_row[WINDOW - 1:reach], upstream[WINDOW - 1:reach])
    assert not ours[-(WINDOW - 2):].any()
    np.testing.assert_array_equal(flag(np.array([0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1.0]), 0.5, "all"),
                                  [0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(flag(np.array([0.2, 0.7]), 0.5), [0, 1])
    errors = np.array([[[1.0, -2.0], [3.0, 0.0]]])  # one window, 2 steps, 2 sensors
    assert summed_mean_abs(errors)[0] == 2.0 + 1.0 and mean_squared(errors)[0] == 14 / 4


def test_skab_labels_must_be_there_and_be_0_or_1(tmp_path):
    """Before: a file without the anomaly column ended in a KeyError traceback, and an empty label (cast to
    -9223372036854775808) or a label of 0.5 (cast to 0) was scored without a word."""
    from domains.engineering import skab

    good = write_skab(tmp_path / "a.csv", crlf=False)
    lines = good.read_text().splitlines()
    nolabel = tmp_path / "nolabel.csv"
    nolabel.write_text("\n".join(";".join(line.split(";")[:9] + line.split(";")[10:]) for line in lines))
    with pytest.raises(DataError, match=r"nolabel.csv: no 'anomaly' column \(the 0/1 labels"):
        skab.read_skab(nolabel)
    assert "anomaly" not in skab.read_skab(nolabel, labels=False).columns
    for value, shown in (("0.5", "0.5"), ("", "empty"), ("yes", "'yes'")):
        cells = lines[5].split(";")
        cells[9] = value
        bad = tmp_path / "bad.csv"
        bad.write_text("\n".join([*lines[:5], ";".join(cells), *lines[6:]]))
        with pytest.raises(DataError, match=rf"bad.csv: 'anomaly' at 2020-03-09 10:00:04 \(data row 5\) is {shown}; "
                                            "labels must be 0 or 1"):
            skab.read_skab(bad)
    assert skab.read_skab(good)["anomaly"].dtype.kind == "i"


@pytest.mark.slow
def test_skab_on_your_own_folder(tmp_path, capsys):
    """`--set data.data_dir=DIR` runs the SKAB comparison on a user's files: the data line names the folder, the
    published rows say they are SKAB's, the F1 check gives no verdict, and training rows labelled anomalous are
    noted. Before, the experiment read only the registered set."""
    pytest.importorskip("keras")
    import pandas as pd

    from common.cli import main
    from common.download import sha256_of
    from domains.engineering.domain import run_experiments

    mine = tmp_path / "my pump"
    write_skab(mine / "a" / "0.csv", seed=0)
    write_skab(mine / "b" / "1.csv", seed=1, anomaly_from=380)
    folder, claims = run_experiments(["skab"], "quick", tmp_path / "runs", log=lambda m: None, run_name="u",
                                     data_dir=str(mine), seeds=2)
    text = (folder / "skab" / "skab.md").read_text()
    table = pd.read_csv(folder / "skab" / "skab.csv")
    ae = table[table["model"] == "LSTM autoencoder"].iloc[0]
    assert ae["source"] == "this run, 2 files, mean of seeds 0-1" and 0 <= ae["F1 sd"] < 0.5
    assert f"Data: your files in {mine}, 2 files." in text
    assert "- b/1.csv: 20 of its 400 training rows are labelled anomalous" in text
    assert "published on SKAB, not on your files" in text and claims[0].held is None
    assert claims[0].measured["files"] == {"a/0.csv": sha256_of(mine / "a" / "0.csv"),
                                           "b/1.csv": sha256_of(mine / "b" / "1.csv")}  # which files, which bytes
    assert f"--profile quick --seeds 2 --set 'data.data_dir={mine}'" in (folder / "report.md").read_text()
    assert main(["train", "engineering", "--experiment", "skab", "--set", f"data.data_dir={tmp_path / 'none'}",
                 "--out", str(tmp_path / "runs")]) == 2
    assert f"data.data_dir {tmp_path / 'none'}: no such folder" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.realdata
def test_skab_smoke_run_through_the_mirror(tmp_path):
    pytest.importorskip("keras")
    real_data_or_skip("skab")
    from domains.engineering.domain import run_experiments

    folder, claims = run_experiments(["skab"], "smoke", tmp_path, log=lambda m: None, run_name="s")
    table = (folder / "skab" / "skab.md").read_text()
    assert "LSTM autoencoder" in table and "Conv-AE" in table and claims[0].held is None


def test_condition_inputs_add_a_one_hot_block(nasa_folder):
    cfg = RunConfig(domain="engineering", dataset="cmapss")
    base = prepare(cfg, options(subset="FD003", data_dir=str(nasa_folder), window=15, condition_norm="on"))
    more = prepare(cfg, options(subset="FD003", data_dir=str(nasa_folder), window=15, condition_norm="on",
                                condition_inputs=True))
    k = base.split["conditions"]
    assert more.X_train.shape[-1] == base.X_train.shape[-1] + k
    np.testing.assert_array_equal(more.X_train[..., -k:].sum(-1), 1.0)


def test_smoothing_is_causal_within_each_engine():
    from domains.engineering.rul import _smooth

    z = np.array([[0.0], [10.0], [0.0], [4.0], [8.0]])
    units = np.array([1, 1, 1, 2, 2])
    s = _smooth(z, units, 0.5)
    np.testing.assert_allclose(s.ravel(), [0.0, 5.0, 2.5, 4.0, 6.0])  # engine 2 starts afresh at its first row
    later = z.copy()
    later[2] = 100.0  # a later cycle never changes an earlier smoothed value
    np.testing.assert_allclose(_smooth(later, units, 0.5)[:2], s[:2])


def test_smoothing_option_is_checked(nasa_folder):
    cfg = RunConfig(domain="engineering", dataset="cmapss")
    with pytest.raises(DataError, match="data.smoothing"):
        prepare(cfg, options(subset="FD003", data_dir=str(nasa_folder), smoothing=1.5))
    smooth = prepare(cfg, options(subset="FD003", data_dir=str(nasa_folder), window=15, smoothing=0.3))
    plain = prepare(cfg, options(subset="FD003", data_dir=str(nasa_folder), window=15))
    assert smooth.X_train.shape == plain.X_train.shape and not np.allclose(smooth.X_train, plain.X_train)


def test_no_sensors_or_a_window_longer_than_every_training_engine_is_a_data_error():
    """Before: data.sensors = [] ended in numpy ('cannot reshape array of size 0'), and data.window = 1000 trained
    on one left-padded window per engine (all at RUL 0) without a word."""
    cfg = RunConfig(domain="engineering", dataset="generated")
    with pytest.raises(DataError, match=r"data.sensors: at least one sensor column is needed"):
        prepare(cfg, options(sensors=[], generated_engines=8))
    with pytest.raises(DataError, match=r"data.window 1000 is longer than every training engine \(the longest has \d+"):
        prepare(cfg, options(window=1000, generated_engines=8))
    lengths = generate_run_to_failure(n_train=8, n_test=10, seed=0).train.groupby("unit").size()
    window = int(np.sort(lengths)[2]) + 1  # longer than three training engines
    notes = " ".join(prepare(cfg, options(window=window, generated_engines=8)).audit.notes)
    assert f"3 training engines shorter than the window {window}" in notes



def test_notes_say_when_no_test_engine_is_short_and_which_sensors_are_constant():
    """Before: "0 test engines shorter than the window 5 are left-padded and masked", and a sensor constant over the
    training engines (as s1, s5, s10, s16, s18 and s19 are in FD001) trained without a word."""
    from domains.engineering.rul import prepare_rul

    sub = generate_run_to_failure(n_train=8, n_test=4, seed=0)
    for frame in (sub.train, sub.test):
        frame["s1"], frame["s5"] = 518.67, 14.62
    notes = prepare_rul(sub, sensors=["s1", "s2", "s5"], window=5, rul_max=125, clip_test_rul=False,
                        condition_norm="off", val_fraction=0.25, seed=0, label="test").audit.notes
    assert any("no test engine is shorter than the window 5" in n for n in notes)
    one = prepare_rul(sub, sensors=["s2"], window=5, rul_max=125, clip_test_rul=False, condition_norm="off",
                      val_fraction=0.1, seed=0, label="test").audit.notes
    assert one[0].startswith("validation = 1 training engine held out by engine;")
    assert "sensors ['s1', 's5'] are constant over the training engines: scaled as they are (scale 1), they carry " \
           "no information" in notes


def test_a_conv_front_end_gets_filled_padding_instead_of_a_mask(nasa_folder):
    """Before: model.conv_filters on a subset with test engines shorter than the window stopped with
    'model.masking: cannot be combined with a Conv1D front-end', which the user could not change."""
    from common.windows import PAD_VALUE

    opts = options(subset="FD003", data_dir=str(nasa_folder), window=15, condition_norm="on")
    cfg = RunConfig(domain="engineering", dataset="cmapss")
    masked = prepare(cfg, opts)
    assert masked.model_overrides["masking"] and (masked.X_test == PAD_VALUE).any()
    conv = RunConfig(domain="engineering", dataset="cmapss", model=ModelSpec(conv_filters=8))
    filled = prepare(conv, opts)
    assert not filled.model_overrides["masking"] and not (filled.X_test == PAD_VALUE).any()
    short = 5  # the last test engine has 8 cycles: its window's first 7 steps repeat its first cycle
    np.testing.assert_allclose(filled.X_test[short][:7], np.repeat(masked.X_test[short][7:8], 7, axis=0))
    assert any("first cycle" in n for n in filled.audit.notes)


def test_a_user_folder_is_labelled_as_the_users_files_unless_it_holds_nasas_registered_files(nasa_folder, tmp_path):
    """Before: `--set data.data_dir=DIR` labelled any folder "NASA C-MAPSS FD001 (real)", and the table set the
    published figures beside it as if the run had used NASA's files."""
    import shutil

    from tests.conftest import real_data_or_skip

    cfg = RunConfig(domain="engineering", dataset="cmapss")
    prep = prepare(cfg, options(subset="FD003", data_dir=str(nasa_folder), window=15))
    assert prep.data_label == (f"your C-MAPSS-layout files FD003 in {nasa_folder} (FD003 has no registered copy to "
                               "check them against: the published rows are for NASA's FD003)")
    mine = tmp_path / "as_fd001"
    mine.mkdir()
    for part in ("train", "test", "RUL"):
        shutil.copy(nasa_folder / f"{part}_FD003.txt", mine / f"{part}_FD001.txt")
    prep = prepare(cfg, options(subset="FD001", data_dir=str(mine), window=15))
    assert prep.data_label == (f"your C-MAPSS-layout files FD001 in {mine} (not NASA's registered FD001 files: "
                               "train_FD001.txt, test_FD001.txt and RUL_FD001.txt differ by sha256, so the published "
                               "rows are for other data)")
    real_data_or_skip("cmapss")
    from common.download import dataset_dir

    nasa = tmp_path / "nasa"
    nasa.mkdir()
    for part in ("train", "test", "RUL"):
        shutil.copy(dataset_dir("cmapss") / f"{part}_FD001.txt", nasa / f"{part}_FD001.txt")
    prep = prepare(cfg, options(subset="FD001", data_dir=str(nasa)))
    assert prep.data_label == f"NASA C-MAPSS FD001 (real; the registered files, read from {nasa})"


def test_a_data_dir_that_is_not_a_folder_says_so(tmp_path):
    """Before: "<path>/train_FD001.txt: file not found" for a folder that does not exist and for NASA's zip file
    given as the folder."""
    import zipfile

    cfg = RunConfig(domain="engineering", dataset="cmapss")
    with pytest.raises(DataError, match=rf"data.data_dir {tmp_path / 'none'}: no such folder"):
        prepare(cfg, options(data_dir=str(tmp_path / "none")))
    with zipfile.ZipFile(tmp_path / "CMAPSSData.zip", "w") as z:
        z.writestr("train_FD001.txt", "1 1\n")
    with pytest.raises(DataError, match=rf"data.data_dir {tmp_path / 'CMAPSSData.zip'}: a zip archive, not a folder: "
                                        "extract it and set data.data_dir to the folder holding train_FD001.txt"):
        prepare(cfg, options(data_dir=str(tmp_path / "CMAPSSData.zip")))


def test_test_engines_not_numbered_1_to_n_are_noted_with_the_pairing_used(nasa_folder):
    """Before: test units numbered 1, 2, 3, 4, 5, 9 were paired with the RUL file's lines in increasing id order
    without a word, while NASA's files pair line k with unit k."""
    path = nasa_folder / "test_FD003.txt"
    rows = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    last = max(float(r[0]) for r in rows)
    path.write_text("\n".join(" ".join(["9"] + r[1:]) if float(r[0]) == last else " ".join(r) for r in rows) + "\n")
    cfg = RunConfig(domain="engineering", dataset="cmapss")
    prep = prepare(cfg, options(subset="FD003", data_dir=str(nasa_folder), window=15))
    assert ("test engines are numbered 1, 2, 3, 4, 5, 9, not 1..6: the RUL file's lines are paired with them in "
            "increasing number (line 6 with engine 9)") in prep.audit.notes


def test_notes_say_whether_the_test_rul_is_clipped_and_how_many_engines_that_concerns():
    """Before: the comparison table put our RMSE (scored against the unclipped true RUL by default) beside published
    rows without a word on which reading it used, though the model never predicts above rul_max."""
    from domains.engineering.rul import prepare_rul

    sub = generate_run_to_failure(n_train=8, n_test=4, seed=0)
    sub.test_rul[:] = [10.0, 130.0, 150.0, 125.0]
    kw = dict(sensors=["s2", "s3"], window=5, rul_max=125, condition_norm="off", val_fraction=0.25, seed=0,
              label="test")
    raw = prepare_rul(sub, clip_test_rul=False, **kw).audit.notes
    assert ("test metrics use the true RUL as given (unclipped): 2 of 4 test engines have more than 125 cycles left "
            "(up to 150), which the model, trained on RUL clipped at 125, cannot predict; data.clip_test_rul = true "
            "scores against min(true RUL, 125)") in raw
    clipped = prepare_rul(sub, clip_test_rul=True, **kw).audit.notes
    assert "test metrics use the true RUL clipped at 125 (data.clip_test_rul): 2 of 4 test engines had more" in clipped

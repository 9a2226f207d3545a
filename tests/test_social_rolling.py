"""Social, rolling origin: origin placement, leak-free splits and scalers, missing targets, the readers'
rules on generated files, the rolling baselines, sub-horizon scoring, and a real-data run per series."""
import numpy as np
import pandas as pd
import pytest

from common.baselines import SeasonalNaive
from common.config import ModelSpec, RunConfig, TrainSpec, validate_options
from common.domain import DataError
from common.experiment import score
from domains.social.domain import DOMAIN
from domains.social.rolling import RollingData, origin_positions, prepare_rolling
from domains.social.rolling_baselines import ETSOnWindow, LagGBM, WindowMedian
from domains.social.sources import calendar_features, read_bike_hourly, read_daily_or_weekly
from tests.conftest import real_data_or_skip


def series(n=400, missing=(), seed=0, freq="D"):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    index = pd.date_range("2020-01-06", periods=n, freq=freq)
    y = 100 + 20 * np.sin(2 * np.pi * t / 7) + 0.1 * t + rng.normal(size=n)
    y[list(missing)] = np.nan
    return RollingData(pd.Series(y, index=index), calendar_features(index, "D"), "generated", 7, (7,),
                       transform="log", sub_horizons=(3,))


def test_origins_end_with_the_series_and_are_evenly_spaced():
    o = origin_positions(500, 20, 10, count=5, step=7)
    assert o.tolist() == [461, 468, 475, 482, 489] and o[-1] + 10 == 499
    with pytest.raises(DataError, match="too short"):
        origin_positions(100, 20, 10, count=5, step=7)
    # before: "the series (100 rows) is too short ...", naming neither the file nor the options to change
    with pytest.raises(DataError, match=r"my.csv: the series \(100 rows\) is too short for 5 origins 7 rows apart "
                                        r"with look-back 20 and horizon 10: the 61 rows before the first origin must "
                                        r"hold at least 3 x look-back \+ horizon = 70 .* set fewer data.origins, a "
                                        r"smaller data.origin_step, or a shorter data.lookback or data.horizon"):
        origin_positions(100, 20, 10, count=5, step=7, label="my.csv")
    with pytest.raises(DataError, match=r"too short for 1 origin 1 row apart"):
        origin_positions(30, 20, 10, count=1, step=1)
    with pytest.raises(DataError, match="origins"):
        origin_positions(500, 20, 10, count=0, step=7)


def test_splits_are_chronological_and_scalers_see_training_rows_only():
    data = series()
    prep = prepare_rolling(data, lookback=28, horizon=10, count=6, step=5)
    t = prep.split["targets"]
    assert t["train"][1] <= t["val"][0] and t["val"][1] == t["test"][0] == prep.extra["origins"][0] + 1
    assert prep.audit.time_overlap_train_test == 0
    assert prep.X_test["sequence"].shape == (6, 28, 2 + 4) and prep.X_test["future"].shape == (6, 10, 4)
    assert prep.y_test.shape == (6, 10, 1)
    # the last origin's targets are the last rows, in the series' own units after to_report_units
    np.testing.assert_allclose(prep.to_report_units(prep.y_test[-1, :, 0]), data.target.to_numpy()[-10:], rtol=1e-4)
    # changing every value after the validation rows leaves the scalers as they were
    changed = series()
    changed.target.iloc[t["val"][0]:] *= 3
    again = prepare_rolling(changed, lookback=28, horizon=10, count=6, step=5)
    assert again.scalers == prep.scalers
    np.testing.assert_allclose(prep.scaler_fit_rows["target"], np.log(data.target.to_numpy()[: t["val"][0]]))


def test_refit_blocks_train_on_everything_before_their_first_origin():
    data = series()
    once = prepare_rolling(data, lookback=28, horizon=10, count=6, step=5)
    refit = prepare_rolling(data, lookback=28, horizon=10, count=6, step=5, refit_every=4)
    assert once.folds is None and len(refit.folds) == 2 and "refit before each block of 4" in refit.split["protocol"]
    np.testing.assert_array_equal(np.concatenate([f.y_test for f in refit.folds]), refit.y_test)
    np.testing.assert_array_equal(refit.folds[0].y_train, once.y_train)
    second = refit.folds[1]
    origin = refit.extra["origins"][4]
    assert len(second.y_train) > len(once.y_train) and second.scalers == once.scalers
    # the last validation window's targets end at the block's first origin
    assert second.to_report_units(second.y_val[-1, -1, 0]) == pytest.approx(data.target.iloc[origin], rel=1e-4)
    assert second.to_report_units(second.y_test[0, 0, 0]) == pytest.approx(data.target.iloc[origin + 1], rel=1e-4)


def test_missing_targets_are_flagged_in_inputs_and_unobserved_in_targets():
    n = 400
    gap = [n - 5, n - 4, 200]
    prep = prepare_rolling(series(n, missing=gap), lookback=28, horizon=10, count=3, step=5)
    last = prep.y_test[-1, :, 0]
    assert np.isnan(last[-5:-3]).all() and np.isfinite(last[:-5]).all()
    assert any("not observed" in note for note in prep.audit.notes)
    # ffill: the input at a gap repeats the last observed value; the flag marks it
    data = series(n, missing=gap)
    data.fill = "zero"
    with pytest.raises(DataError, match="fill = 'zero' needs"):
        prepare_rolling(data, lookback=28, horizon=10, count=3, step=5)
    data.transform = "log1p"
    zero = prepare_rolling(data, lookback=28, horizon=10, count=3, step=5)
    seq = prep.X_train["sequence"]
    k = np.flatnonzero(seq[:, -6, 1] == 1)[0]  # the window with the gap (row 200) six steps before its end
    assert seq[k, -6, 0] == seq[k, -7, 0] and seq[k, -6, 1] == 1
    zero_value = (np.log1p(0) - zero.scalers["target"]["mean"][0]) / zero.scalers["target"]["scale"][0]
    assert zero.X_train["sequence"][k, -6, 0] == pytest.approx(zero_value)


def test_bad_values_and_settings_are_clear_errors():
    data = series()
    data.target.iloc[3] = -1.0
    with pytest.raises(DataError, match="out of range for the log"):
        prepare_rolling(data, 28, 10, 3, 5)
    with pytest.raises(DataError, match="seasonal naive"):
        prepare_rolling(series(), 5, 10, 3, 5)
    data = series()
    data.covariates.iloc[4, 0] = np.nan
    with pytest.raises(DataError, match=r"covariates have 1 missing value: '[^']+' 1 \(first at "):
        prepare_rolling(data, 28, 10, 3, 5)
    # before: "no train windows; shorten data.lookback", with numpy's all-NaN warnings, for a target never observed
    with pytest.raises(DataError, match=r"generated: the target has no observed value"):
        prepare_rolling(series(missing=range(400)), 28, 10, 3, 5)
    with pytest.raises(DataError, match=r"generated: none of the \d+ validation windows has an observed target "
                                        r"\(targets 2020-11-05 00:00:00 to 2021-01-19 00:00:00\)"):
        prepare_rolling(series(missing=range(250, 400)), 28, 10, 3, 5)
    with pytest.raises(DataError, match=r"generated: none of the 3 test windows has an observed target"):
        prepare_rolling(series(missing=range(380, 400)), 28, 10, 3, 5)


def test_values_too_large_to_scale_are_named_not_trained_into_nan():
    from dataclasses import replace
    data = replace(series(), transform="none")
    data.target.iloc[3] = 1e300  # before: scale 1, so the network saw inf and the loss went NaN
    with pytest.raises(DataError, match=r"generated: column 'target' holds values too large to standardise"):
        prepare_rolling(data, 28, 10, 3, 5)
    data = replace(series(), transform="none")
    data.target.iloc[395] = 1e60  # a test value float32 cannot hold once scaled
    with pytest.raises(DataError, match=r"generated: column 'target' row 2021-02-04 00:00:00 holds 1e\+60"):
        prepare_rolling(data, 28, 10, 3, 5)


def test_rolling_baselines_by_hand():
    X = {"sequence": np.zeros((2, 60, 3)), "future": np.zeros((2, 4, 1))}
    X["sequence"][0, :, 0] = np.arange(60)
    X["sequence"][1, :, 0] = 5.0
    X["sequence"][0, -1, 1] = 1  # the last value is missing: the median skips it
    y = np.zeros((2, 4, 1))
    med = WindowMedian(7).fit(X, y).predict(X)
    assert med.shape == (2, 4, 1) and med[0, 0, 0] == np.median(np.arange(53, 59)) and med[1, 3, 0] == 5.0
    week = np.tile(np.arange(7.0), 9)[:60]
    X["sequence"][0, :, 0] = week
    snaive = SeasonalNaive(season=7, target_index=0).fit(X, y).predict(X)
    np.testing.assert_allclose(snaive[0, :, 0], week[53:57])
    ets = ETSOnWindow(7).fit(X, y).predict(X)
    np.testing.assert_allclose(ets[0, :, 0], [4, 5, 6, 0], atol=0.3)


def test_lag_gbm_learns_a_covariate_driven_series():
    rng = np.random.default_rng(1)
    n, L, H = 300, 14, 5
    fut = rng.normal(size=(n, H, 1))
    seq = rng.normal(size=(n, L, 2))
    seq[:, :, 1] = 0
    y = 2 * fut + seq[:, -1:, :1]  # the future covariate plus the last value
    X = {"sequence": seq, "future": fut}
    pred = LagGBM(seasons=(7,)).fit(X, y).predict(X)
    assert pred.shape == y.shape and np.mean((pred - y) ** 2) < 0.1 * np.var(y)


def test_sub_horizons_score_the_first_steps():
    prep = prepare_rolling(series(), lookback=28, horizon=10, count=4, step=5)
    assert "mae@h3" in prep.metrics and prep.step_labels["h3"] == slice(0, 3)
    pred = prep.y_test + 0.1 * np.arange(10)[None, :, None]
    quant = np.stack([pred - 1, pred, pred + 1], axis=-1)
    out = score(prep, pred, quant, (0.1, 0.5, 0.9))
    yt, yp = prep.to_report_units(prep.y_test), prep.to_report_units(pred)
    assert out["mae@h3"] == pytest.approx(np.mean(np.abs(yt - yp)[:, :3]))
    assert out["mae"] == pytest.approx(np.mean(np.abs(yt - yp)))
    assert out["coverage"] == 1.0


def write(tmp_path, rows, header="instant,dteday,hr,holiday,workingday,weathersit,temp,atemp,hum,windspeed,cnt"):
    path = tmp_path / "hour.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_bike_reader_reindexes_absent_hours_and_names_bad_rows(tmp_path):
    rows = [f"{i},2011-01-01,{h},0,0,1,0.2,0.2,0.8,0.1,{10 + h}" for i, h in enumerate([0, 1, 3])]
    frame, note = read_bike_hourly(write(tmp_path, rows))
    assert len(frame) == 4 and np.isnan(frame["cnt"].iloc[2]) and frame["cnt"].iloc[3] == 13
    assert note == "1 of 4 hours absent from the file"
    with pytest.raises(DataError, match="row 3: hour 24"):
        read_bike_hourly(write(tmp_path, [rows[0], rows[1].replace(",1,0,0", ",24,0,0", 1)]))
    with pytest.raises(DataError, match="occurs more than once"):
        read_bike_hourly(write(tmp_path, [rows[0], rows[0]]))
    with pytest.raises(DataError, match="'cnt'"):
        read_bike_hourly(write(tmp_path, [r.rsplit(",", 1)[0] for r in rows], header="instant,dteday,hr,holiday"))
    with pytest.raises(DataError, match="row 2: column 'temp' is empty"):
        read_bike_hourly(write(tmp_path, [rows[0].replace(",0.2,0.2,", ",,0.2,")]))


def test_weekly_reader_reports_gaps(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("DATE,v\n2020-01-05,1\n2020-01-12,2\n2020-01-26,3\n")
    frame, note = read_daily_or_weekly(path, "DATE", "v", "W-SUN")
    assert len(frame) == 4 and np.isnan(frame["v"].iloc[2]) and note == "1 of 4 weeks absent from the file"
    path.write_text("DATE,v,w\n2020-01-05,1,1\n2020-01-12,,2\n")
    with pytest.raises(DataError, match="2020-01-12 has an empty cell"):
        read_daily_or_weekly(path, "DATE", ["v", "w"], "W-SUN")


def test_an_exactly_seasonal_training_series_says_why_mase_is_nan():
    t = np.arange(400)
    index = pd.date_range("2020-01-06", periods=400, freq="D")
    exact = RollingData(pd.Series(100 + 20 * np.sin(2 * np.pi * t / 7), index=index), calendar_features(index, "D"),
                        "generated", 7, (7,), transform="log", sub_horizons=(3,))
    prep = prepare_rolling(exact, lookback=28, horizon=10, count=3, step=5)
    assert any("MASE is undefined" in n for n in prep.audit.notes)
    assert not any("MASE" in n for n in prepare_rolling(series(), 28, 10, 3, 5).audit.notes)


def test_user_csv_runs_the_rolling_protocol(tmp_path):
    days = pd.date_range("2020-01-01", periods=300, freq="D")
    pd.DataFrame({"day": days, "x": np.arange(300.0), "y": 10 + np.sin(np.arange(300) / 3)}).to_csv(
        tmp_path / "u.csv", index=False)
    cfg = RunConfig(domain="social", dataset="csv",
                    data={"path": str(tmp_path / "u.csv"), "date_column": "day", "columns": ["x", "y"], "freq": "D",
                          "protocol": "rolling", "season": 7, "lookback": 21, "horizon": 7, "origins": 5})
    prep = DOMAIN.prepare(cfg, validate_options(DOMAIN.options, cfg.data, "social"))
    assert prep.extra["protocol"] == "rolling" and prep.y_test.shape == (5, 7, 1)
    assert prep.split["protocol"].startswith("rolling origin: 5 origins 1 row apart")
    assert prep.X_test["sequence"].shape[2] == 2 + 1 + 4  # target, flag, x (past only), calendar
    assert set(DOMAIN.baselines(prep, cfg)) >= {"naive (last value)", "seasonal naive (season 7)",
                                                "gradient boosting on lags"}


def test_calendar_features_of_a_daylight_saving_csv_follow_local_time(tmp_path):
    """Before: the dates were read in UTC and the hour-of-day features drifted by one hour at the DST change."""
    from domains.social.rolling_sets import rolling_data

    hours = pd.date_range("2021-03-20", periods=24 * 16, freq="h", tz="Europe/Berlin")  # +01:00, from 28 March +02:00
    pd.DataFrame({"t": [h.isoformat() for h in hours], "y": 10 + np.sin(np.arange(len(hours)))}).to_csv(
        tmp_path / "dst.csv", index=False)
    opt = validate_options(DOMAIN.options, {"path": str(tmp_path / "dst.csv"), "date_column": "t", "columns": ["y"],
                                            "freq": "h", "protocol": "rolling"}, "social")
    data, _ = rolling_data("csv", opt)
    assert str(data.target.index.tz) == "UTC"  # the grid stays regular in UTC
    local_hour = np.asarray(hours.hour, dtype=float)
    np.testing.assert_allclose(data.covariates["hour_sin"], np.sin(2 * np.pi * local_hour / 24), atol=1e-12)
    assert "calendar features in each row's local time" in data.label


@pytest.mark.parametrize("freq, steps, features", [
    ("15min", pd.date_range("2021-01-01", periods=96 * 8, freq="15min"), {"hour", "weekday", "year"}),
    ("2h", pd.date_range("2021-01-01", periods=12 * 30, freq="2h"), {"hour", "weekday", "year"}),
    ("B", pd.bdate_range("2021-01-01", periods=300), {"weekday", "year"}),
    ("MS", pd.date_range("2000-01-01", periods=240, freq="MS"), {"year"}),
])
def test_a_user_csv_gets_the_calendar_features_of_its_own_frequency(freq, steps, features, tmp_path):
    """Before: only 'h', 'D' and 'W' were told apart; 15-minute or 2-hourly data lost the time of day and
    business-day data the weekday, silently (any other frequency got the weekly set: time of year only)."""
    from domains.social.rolling_sets import rolling_data

    pd.DataFrame({"t": steps, "y": 10 + np.sin(np.arange(len(steps)))}).to_csv(tmp_path / "u.csv", index=False)
    opt = validate_options(DOMAIN.options, {"path": str(tmp_path / "u.csv"), "date_column": "t", "columns": ["y"],
                                            "freq": freq, "protocol": "rolling"}, "social")
    data, _ = rolling_data("csv", opt)
    assert {c.rsplit("_", 1)[0] for c in data.covariates.columns} == features
    assert "calendar features: " + ", ".join(sorted(features)) in data.label
    if "hour" in features:  # the time of day to the minute: 15-minute rows differ within an hour
        day = (steps.hour + steps.minute / 60) / 24
        np.testing.assert_allclose(data.covariates["hour_sin"], np.sin(2 * np.pi * day), atol=1e-12)


@pytest.mark.realdata
@pytest.mark.slow
@pytest.mark.parametrize("dataset, rows, absent", [("bike_sharing_uci", 17544, 165),
                                                   ("wikipedia_pageviews_peyton_manning", 2964, 59),
                                                   ("cdc_ilinet", 1305, 4)])
def test_real_series_run_end_to_end(dataset, rows, absent, tmp_path):
    real_data_or_skip(dataset)
    from common.config import apply_overrides
    from common.experiment import run_experiment
    from domains.social.domain import rolling_config

    cfg = apply_overrides(rolling_config(dataset), {"out": str(tmp_path), "training.epochs": 1, "model.units": [8],
                                                   "data.origins": 3, "data.train_stride": 8})
    res = run_experiment(cfg, DOMAIN, run_name="t", log=lambda s: None)
    assert res.table.shape[0] >= 5 and np.isfinite(res.lstm["coverage"]["mean"])
    assert f"{absent} of {rows}" in res.data_label
    if dataset == "cdc_ilinet":  # weeks with no reporting provider are not observations of 0% ILI
        assert "95 off-season weeks" in res.data_label
    assert (res.run_dir / "forecast_band.png").is_file() and (res.run_dir / "comparison.md").is_file()


@pytest.mark.slow
def test_refit_runs_every_model_once_per_block_and_scores_all_origins_and_the_seed_ensemble(tmp_path):
    from common.experiment import run_experiment

    days = pd.date_range("2020-01-01", periods=300, freq="D")
    pd.DataFrame({"day": days, "y": 10 + np.sin(np.arange(300) / 3)}).to_csv(tmp_path / "u.csv", index=False)
    cfg = RunConfig(domain="social", dataset="csv", out=str(tmp_path),
                    model=ModelSpec(units=(4,), head="quantile"),
                    training=TrainSpec(epochs=1, seeds=2),
                    data={"path": str(tmp_path / "u.csv"), "date_column": "day", "columns": ["y"], "freq": "D",
                          "protocol": "rolling", "season": 7, "lookback": 21, "horizon": 7, "origins": 6,
                          "refit_every": 3})
    res = run_experiment(cfg, DOMAIN, run_name="r", log=lambda s: None)
    assert sorted(p.name for p in (res.run_dir / "seed0").iterdir()) == ["fold0", "fold1"]
    frame = pd.read_csv(res.run_dir / "predictions.csv")
    assert frame["sample"].nunique() == 6 and {"lstm_seed0_q0.1", "lstm_seed0_q0.9"} <= set(frame.columns)
    assert np.isfinite(res.lstm["pinball"]["mean"]) and (res.run_dir / "forecast_band.png").is_file()
    # two seeds: an ensemble row whose median is the mean of the seeds' medians, with its own interval metrics
    np.testing.assert_allclose(frame["lstm_ensemble"], (frame["lstm_seed0"] + frame["lstm_seed1"]) / 2, rtol=1e-6)
    ok = frame["y_true"].notna()
    assert res.ensemble["mae"] == pytest.approx(np.mean(np.abs(frame["y_true"] - frame["lstm_ensemble"])[ok]), rel=1e-5)
    assert np.isfinite(res.ensemble["pinball"]) and 0 <= res.ensemble["coverage"] <= 1

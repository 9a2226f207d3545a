"""Social: the long-horizon protocol (split formulas, window counts, scaler on training rows), linear and
ETS baselines, the CSV loader's rules, and the published Repeat rows reproduced from the real files."""
import dataclasses

import numpy as np
import pandas as pd
import pytest

from common.config import RunConfig, validate_options
from common.domain import DataError, describe_missing
from domains.social.domain import DOMAIN
from domains.social.linear import HoltOnTarget, LinearForecaster, MeanReversion, moving_average
from domains.social.ltsf import LTSFData, prepare_ltsf, read_ltsf_csv
from domains.social.series import load_series_csv
from tests.conftest import real_data_or_skip


def frame(n=200, channels=3, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    data = {f"c{k}": np.sin(2 * np.pi * t / (10 + k)) + 0.1 * rng.normal(size=n) + 0.01 * t for k in range(channels)}
    return pd.DataFrame(data)


@pytest.mark.parametrize("n, lookback, horizon", [(966, 36, 24), (966, 104, 60), (7588, 96, 720), (200, 10, 5)])
def test_split_and_window_counts_follow_the_published_formulas(n, lookback, horizon):
    prep = prepare_ltsf(LTSFData(frame(n), "c2", 1, "test"), lookback, horizon)
    n_train, n_test = int(0.7 * n), int(0.2 * n)
    n_val = n - n_train - n_test
    s = prep.split
    assert s["targets"] == {"train": (0, n_train), "val": (n_train, n_train + n_val), "test": (n - n_test, n)}
    assert s["rows"]["test"] == (n - n_test - lookback, n) and s["rows"]["val"] == (n_train - lookback, n_train + n_val)
    assert len(prep.y_test) == n_test - horizon + 1
    assert len(prep.y_val) == n_val - horizon + 1 and len(prep.y_train) == n_train - lookback - horizon + 1
    assert prep.X_test.shape == (n_test - horizon + 1, lookback, 3) and prep.y_test.shape[1:] == (horizon, 3)
    raw = frame(n).to_numpy()
    mean, std = raw[:n_train].mean(0), raw[:n_train].std(0)
    np.testing.assert_allclose(prep.y_test[-1, -1], (raw[-1] - mean) / std, rtol=1e-5)  # last window ends at N
    np.testing.assert_allclose(prep.X_test[0, 0], (raw[n - n_test - lookback] - mean) / std, rtol=1e-5)
    dropped = prepare_ltsf(LTSFData(frame(n), "c2", 1, "test"), lookback, horizon, test_drop_last=32)
    assert len(dropped.y_test) == (n_test - horizon + 1) // 32 * 32


def test_a_channel_constant_in_training_is_named_with_why_its_mase_is_nan():
    data = frame(200).assign(c1=1.0)
    prep = prepare_ltsf(LTSFData(data, "c2", 1, "test"), 24, 12)
    assert any("channel(s) ['c1'] constant over the training rows" in n for n in prep.audit.notes)
    assert np.isfinite(prep.X_train).all()
    assert not any("constant" in n for n in prepare_ltsf(LTSFData(frame(200), "c2", 1, "test"), 24, 12).audit.notes)


def test_values_too_large_to_scale_are_named_not_trained_into_nan():
    train_overflow = frame(200).assign(c1=lambda f: f.c1.where(f.index != 5, 1e300))  # its variance overflows
    with pytest.raises(DataError, match=r"big: column 'c1' .*1e\+300"):
        prepare_ltsf(LTSFData(train_overflow, "c2", 1, "big"), 24, 12)
    test_overflow = frame(200).assign(c0=lambda f: f.c0.where(f.index != 190, 1e60))  # beyond float32 once scaled
    with pytest.raises(DataError, match=r"big: column 'c0' row 190 .*1e\+60"):
        prepare_ltsf(LTSFData(test_overflow, "c2", 1, "big"), 24, 12)


def test_too_short_series_is_a_clear_error():
    with pytest.raises(DataError, match="too short"):
        prepare_ltsf(LTSFData(frame(60), "c0", 1, "tiny"), 36, 24)


def test_a_target_outside_the_columns_names_the_option_and_the_data():
    """Before: "target 'z' is not a column: ['c0', ...]", naming neither the option nor the data set."""
    with pytest.raises(DataError, match=r"tiny: data.target 'z' is not one of its columns \['c0', 'c1', 'c2'\]"):
        prepare_ltsf(LTSFData(frame(600), "z", 1, "tiny"), 36, 24)


def test_moving_average_and_linear_styles():
    x = np.arange(12.0)[None] ** 1.5
    slow = [np.mean(np.r_[[x[0, 0]] * 2, x[0], [x[0, -1]] * 2][i:i + 5]) for i in range(12)]
    np.testing.assert_allclose(moving_average(x, 5)[0], slow)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 12, 2))
    # a shift-equivariant linear map (coefficients sum to 1), which all three styles can represent
    y = np.stack([X[:, -1, :] * 0.8 + X[:, -3, :] * 0.2, X[:, -2, :] * 1.1 - 0.1 * X[:, 0, :]], axis=1)
    for style in ("linear", "nlinear", "dlinear"):
        model = LinearForecaster(style, kernel=5).fit(X, y)
        np.testing.assert_allclose(model.predict(X), y, atol=0.02, err_msg=style)  # exact linear maps recovered
    y0 = X[:, -1:, :] * 0.5  # not shift-equivariant: Linear fits it, NLinear cannot (its forecasts move with the level)
    assert np.abs(LinearForecaster("linear").fit(X, y0).predict(X) - y0).max() < 0.02
    nl = LinearForecaster("nlinear").fit(X, y0)
    np.testing.assert_allclose(nl.predict(X + 3.0), nl.predict(X) + 3.0, atol=1e-4)


def test_mean_reversion_recovers_each_channels_pull_and_level_and_starts_from_repeat():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(500, 6, 2))
    a = np.array([[0.9, 1.0], [0.5, 0.8], [0.2, 0.7]])  # (step, channel)
    b = np.array([[0.1, -1.0], [0.3, 0.0], [0.5, 2.0]])
    y = X[:, -1:, :] * a + b + 0.01 * rng.normal(size=(500, 3, 2))
    model = MeanReversion().fit(X, y)
    np.testing.assert_allclose(model.a_, a, atol=0.01)
    np.testing.assert_allclose(model.b_, b, atol=0.01)
    np.testing.assert_allclose(model.predict(X[:2]), X[:2, -1:, :] * model.a_ + model.b_, rtol=1e-5)
    walk = np.cumsum(rng.normal(size=(4000, 1)), axis=0)  # a random walk: the fit comes back to Repeat
    Xw = np.stack([walk[i:i + 6] for i in range(3990)])
    yw = np.stack([walk[i + 6:i + 8] for i in range(3990)])
    fit = MeanReversion().fit(Xw, yw)
    np.testing.assert_allclose(fit.a_, 1.0, atol=0.02)
    assert MeanReversion().fit(X, y).predict(X).shape == y.shape


def test_holt_baseline_predicts_the_target_and_repeats_the_rest():
    t = np.arange(30, dtype=float)
    X = np.stack([np.stack([t * 0 + 5, 2 * t + 1], axis=1)] * 3)  # channel 1 a straight line
    pred = HoltOnTarget(target_index=1).fit(X, np.zeros((3, 4, 2))).predict(X)
    np.testing.assert_allclose(pred[:, :, 0], 5.0)
    assert (np.diff(pred[0, :, 1]) > 0).all() and pred[0, 0, 1] > 59  # continues the trend


def write(tmp_path, rows, name="s.csv"):
    path = tmp_path / name
    path.write_text("date,a,b\n" + "\n".join(rows) + "\n")
    return path


def test_csv_loader_reports_duplicates_and_gaps_by_rule(tmp_path):
    rows = [f"2024-01-{d:02d},{d},{2 * d}" for d in (1, 2, 3, 3, 5, 6)]
    path = write(tmp_path, rows)
    with pytest.raises(DataError, match=r"s.csv: 1 timestamp occurs more than once, e.g. 2024-01-03 00:00:00; "
                                        r"set data.duplicates = 'mean'"):
        load_series_csv(path, "date", ["a", "b"], "D")
    with pytest.raises(DataError, match=r"1 timestamp missing at frequency 'D', e.g. 2024-01-04 00:00:00; "
                                        r"set data.gaps = 'interpolate'"):
        load_series_csv(path, "date", ["a", "b"], "D", duplicates="mean")
    kept, rep = load_series_csv(path, "date", ["a", "b"], "D", duplicates="mean", gaps="keep")
    assert len(kept) == 6 and np.isnan(kept.loc["2024-01-04", "a"]) and rep.missing_timestamps == 1
    filled, rep = load_series_csv(path, "date", ["a", "b"], "D", duplicates="mean", gaps="interpolate")
    assert filled.loc["2024-01-04", "a"] == pytest.approx(4.0) and len(rep.actions) == 3
    shuffled = write(tmp_path, ["2024-01-03,3,6", "2024-01-01,1,2", "2024-01-02,2,4"], name="shuffled.csv")
    ordered, rep = load_series_csv(shuffled, "date", ["a", "b"], "D")
    assert ordered["a"].tolist() == [1, 2, 3]
    assert rep.actions == ["sorted the rows by time (1 step(s) back in time in the file)"]


def test_a_frequency_finer_than_the_files_dates_is_named_not_filled(tmp_path):
    """Daily rows read with data.freq = 'h' gave "207 timestamps missing at frequency 'h' ...; set data.gaps =
    'interpolate'", advice that would make 23 of every 24 rows up."""
    path = write(tmp_path, [f"2024-01-{d:02d},{d},{2 * d}" for d in range(1, 11)])
    with pytest.raises(DataError, match=r"s.csv: 207 timestamps missing at frequency 'h', e.g. 2024-01-01 01:00:00; "
                                        r"the dates follow 'D' \(pandas' guess\): set data.freq = 'D'$"):
        load_series_csv(path, "date", ["a", "b"], "h")


def test_a_header_name_with_spaces_around_it_is_pointed_out(tmp_path):
    """'date, a, b' (a space after each comma) gave "missing column(s) ['a']; the file has ['date', ' a', ' b']"."""
    path = tmp_path / "spaced.csv"
    path.write_text("date, a, b\n" + "\n".join(f"2024-01-{d:02d},{d},{2 * d}" for d in range(1, 11)) + "\n")
    with pytest.raises(DataError, match=r"missing column\(s\) \['a'\]; the file has \['date', ' a', ' b'\] \(the "
                                        r"file's ' a' differs by the spaces around it: name it so in data.columns\)"):
        load_series_csv(path, "date", ["a"], "D")
    kept, _ = load_series_csv(path, "date", [" a"], "D")
    assert kept[" a"].tolist() == list(range(1, 11))
    path.write_text("Date ,a\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n")
    with pytest.raises(DataError, match=r"no date column 'date'; the file has \['Date ', 'a'\] \(the file's 'Date ' "
                                        r"differs by the spaces around it or by case: name it so in data.date_column"):
        load_series_csv(path, "date", ["a"], "D")


def test_missing_values_are_named_by_column_and_first_place(tmp_path):
    frame = pd.DataFrame({"a": [1.0, np.nan, 3.0, np.nan], "b": [1.0, 2.0, 3.0, 4.0], "c": [np.nan] * 4},
                         index=pd.date_range("2024-01-01", periods=4, freq="D"))
    assert describe_missing(frame) == ("6 missing values: 'a' 2 (first at 2024-01-02), "
                                       "'c' 4 (first at 2024-01-01)")
    assert describe_missing(frame[["b"]]) == ""
    assert describe_missing(frame[["a"]].iloc[:2]) == "1 missing value: 'a' 1 (first at 2024-01-02)"
    path = tmp_path / "gap.csv"
    path.write_text("date,a,b\n2024-01-01,1,2\n2024-01-02,,3\n" + "".join(
        f"2024-01-{d:02d},{d},{d}\n" for d in range(3, 29)))
    cfg = RunConfig(domain="social", dataset="csv",
                    data={"path": str(path), "columns": ["a", "b"], "freq": "D", "gaps": "keep"})
    with pytest.raises(DataError, match="not available here"):
        DOMAIN.prepare(cfg, validate_options(DOMAIN.options, cfg.data, "social"))
    cfg = RunConfig(domain="social", dataset="csv", data={"path": str(path), "columns": ["a", "b"], "freq": "D"})
    with pytest.raises(DataError, match=r"gap.csv: 1 missing value: 'a' 1 \(first at 2024-01-02\); set data.gaps"):
        DOMAIN.prepare(cfg, validate_options(DOMAIN.options, cfg.data, "social"))
    with pytest.raises(DataError, match=r"gap.csv: 1 missing value: 'a' 1 \(first on row 3\); the benchmark"):
        read_ltsf_csv(path)


def test_interpolate_says_which_values_were_interpolated_and_which_carried_from_an_end(tmp_path):
    """Before: a column missing from row 6 to the end was 'interpolated linearly in time' by the report, while
    pandas had copied the last value over the 295 rows (limit_direction='both')."""
    rows = ["2024-01-01,,1", "2024-01-02,2,2", "2024-01-03,,3", "2024-01-04,4,4", "2024-01-05,5,", "2024-01-06,6,"]
    filled, rep = load_series_csv(write(tmp_path, rows, name="ends.csv"), "date", ["a", "b"], "D", gaps="interpolate")
    assert filled["a"].tolist() == [2, 2, 3, 4, 5, 6] and filled["b"].tolist() == [1, 2, 3, 4, 4, 4]
    assert rep.actions == ["interpolated 1 missing value linearly in time ('a' 1); set 3 values at the ends of the "
                           "series to the nearest observed value ('a' 1 leading, 'b' 2 trailing)"]
    with pytest.raises(DataError, match=r"nothing.csv: column 'b' has no value at all; nothing to interpolate from"):
        load_series_csv(write(tmp_path, ["2024-01-01,1,", "2024-01-02,2,"], name="nothing.csv"), "date",
                        ["a", "b"], "D", gaps="interpolate")


def test_dates_off_the_grid_suggest_the_frequency_they_follow(tmp_path):
    """Before: weekly dates on Mondays with data.freq = 'W' (pandas: weeks ending Sunday) gave only '300 timestamps
    are off the 'W' grid', without the remedy."""
    mondays = pd.date_range("2024-01-01", periods=20, freq="W-MON")
    path = write(tmp_path, [f"{d:%Y-%m-%d},{i},{i}" for i, d in enumerate(mondays)], name="weekly.csv")
    with pytest.raises(DataError, match=r"weekly.csv: 20 timestamps are off the 'W' grid, e.g. 2024-01-01 00:00:00; "
                                        r"the dates follow 'W-MON' \(pandas' guess\): set data.freq = 'W-MON'"):
        load_series_csv(path, "date", ["a", "b"], "W")
    assert len(load_series_csv(path, "date", ["a", "b"], "W-MON")[0]) == 20


@pytest.mark.parametrize("rows, problem", [
    (["2024-01-01,1,2", "yesterday,1,2"], r"row 3: date 'yesterday' does not parse"),
    # before: "row 3: date nan does not parse" for a row with an empty date cell (e.g. a trailing ",,")
    (["2024-01-01,1,2", ",1,2"], r"row 3: the date cell is empty"),
    (["2024-01-01,1,2", "2024-01-02,x,2"], r"column 'a' row 3 holds 'x', not a finite number"),
    (["2024-01-01,1,2", "2024-01-02,2,-inf"], r"column 'b' row 3 holds -inf, not a finite number"),
    (["2024-01-01,1,2", "2024-01-01 12:00,1,2"], r"off the 'D' grid"),
    (["2024-01-01,1,2"], r"s.csv: 1 row: too short for a time series"),
])
def test_csv_loader_names_file_row_and_problem(tmp_path, rows, problem):
    with pytest.raises(DataError, match=problem):
        load_series_csv(write(tmp_path, rows), "date", ["a", "b"], "D")
    ok = write(tmp_path, ["2024-01-01,1,2", "2024-01-02,1,2"], "cols.csv")
    # before: a repeated column trained as two channels, and the date column was 'not a finite number'
    with pytest.raises(DataError, match=r"cols.csv: data.columns names 'a' twice"):
        load_series_csv(ok, "date", ["a", "b", "a"], "D")
    with pytest.raises(DataError, match=r"cols.csv: data.columns holds the date column 'date'"):
        load_series_csv(ok, "date", ["date", "a"], "D")
    with pytest.raises(DataError, match=r"missing column\(s\) \['c'\]"):
        load_series_csv(write(tmp_path, ["2024-01-01,1,2", "2024-01-02,1,2"], "ok.csv"), "date", ["c"], "D")


def test_a_semicolon_file_with_decimal_commas_is_read_with_sep_and_decimal(tmp_path):
    """Before: "no date column 'date'; the file has ['date;a;b']", with no way to read the file as it is
    (a spreadsheet export in a locale whose decimal mark is a comma)."""
    path = tmp_path / "eu.csv"
    path.write_text("date;a;b\n" + "\n".join(f"2024-01-0{d};{d},5;2" for d in range(1, 6)) + "\n")
    with pytest.raises(DataError, match=r"eu.csv: no date column 'date': the header reads as one column 'date;a;b'; "
                                        r"set data.sep = \";\""):
        load_series_csv(path, "date", ["a", "b"], "D")
    with pytest.raises(DataError, match=r"column 'a' row 2 holds '1,5'.*set data.decimal = \",\""):
        load_series_csv(path, "date", ["a", "b"], "D", sep=";")
    frame, _ = load_series_csv(path, "date", ["a", "b"], "D", sep=";", decimal=",")
    np.testing.assert_allclose(frame["a"], [1.5, 2.5, 3.5, 4.5, 5.5])
    days = pd.date_range("2020-01-01", periods=120, freq="D")
    pd.DataFrame({"day": days, "y": np.sin(np.arange(120) / 5)}).to_csv(tmp_path / "t.tsv", sep="\t", index=False,
                                                                        decimal=",")
    for protocol in ("ltsf", "rolling"):
        cfg = RunConfig(domain="social", dataset="csv",
                        data={"path": str(tmp_path / "t.tsv"), "date_column": "day", "columns": ["y"], "freq": "D",
                              "lookback": 14, "horizon": 7, "sep": "\t", "decimal": ",", "protocol": protocol})
        prep = DOMAIN.prepare(cfg, validate_options(DOMAIN.options, cfg.data, "social"))
        assert np.isfinite(prep.y_test).all()
    cfg = dataclasses.replace(cfg, data={**cfg.data, "sep": ",", "decimal": ","})
    with pytest.raises(DataError, match=r"data.decimal one character other than data.sep, not ',' / ','"):
        DOMAIN.prepare(cfg, validate_options(DOMAIN.options, cfg.data, "social"))


def test_a_frequency_pandas_no_longer_reads_gets_pandas_advice_and_the_dates_own_frequency(tmp_path):
    """Before: "frequency 'H' is not a pandas offset alias (Invalid frequency: H. Failed to parse with error
    message: ValueError('Invalid frequency: H. Did you mean h?') Did you mean h?)": pandas 3 refuses the
    upper-case aliases of older tutorials ('H', 'T', 'M' for month end)."""
    path = tmp_path / "hourly.csv"
    hours = pd.date_range("2024-01-01", periods=30, freq="h")
    pd.DataFrame({"date": hours, "a": np.arange(30.0)}).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"hourly.csv: data.freq 'H' is not a pandas offset alias \(pandas: "
                                        r"Invalid frequency: H. Did you mean h\?\); the dates follow 'h' \(pandas' "
                                        r"guess\): set data.freq = 'h'$"):
        load_series_csv(path, "date", ["a"], "H")
    months = tmp_path / "monthly.csv"
    pd.DataFrame({"date": pd.date_range("2020-01-31", periods=30, freq="ME"), "a": np.arange(30.0)}).to_csv(
        months, index=False)
    with pytest.raises(DataError, match=r"data.freq 'M' .*'M' is no longer supported for offsets. Please use 'ME' "
                                        r"instead.*set data.freq = 'ME'$"):
        load_series_csv(months, "date", ["a"], "M")


def test_timestamps_whose_utc_offset_changes_are_read_as_utc(tmp_path):
    """Before: a traceback ('Mixed timezones detected') for any export with daylight-saving offsets."""
    hours = pd.date_range("2021-03-27 20:00", periods=10, freq="h", tz="Europe/Berlin")  # +01:00, then +02:00
    path = write(tmp_path, [f"{t.isoformat()},{i},{i}" for i, t in enumerate(hours)], name="dst.csv")
    frame, rep = load_series_csv(path, "date", ["a", "b"], "h")
    assert frame["a"].tolist() == list(range(10)) and frame.index[0] == pd.Timestamp("2021-03-27 19:00", tz="UTC")
    assert rep.actions == ["read the dates in UTC: their UTC offsets differ (+01:00 and +02:00, e.g. daylight saving)"]
    assert list(rep.local_times) == list(hours.tz_localize(None))  # each row's own wall-clock time, for calendars
    zulu = write(tmp_path, [f"2021-03-27T{h:02d}:00:00Z,{h},{h}" for h in range(5)], name="zulu.csv")
    assert load_series_csv(zulu, "date", ["a", "b"], "h")[1].local_times is None  # one offset: nothing to convert
    mixed = write(tmp_path, ["2021-03-27 20:00,1,1", "2021-03-27T21:00:00+01:00,2,2"], name="mixed.csv")
    with pytest.raises(DataError, match=r"mixed.csv: row 2: date '2021-03-27 20:00' has no UTC offset, but row 3's"):
        load_series_csv(mixed, "date", ["a", "b"], "h")


def test_a_date_column_of_numbers_needs_a_format_and_unix_seconds_are_one(tmp_path):
    """Before: 20210101 and 1609459200 were read as nanoseconds after 1970 ('off the grid, e.g. 1970-01-01
    00:00:00.020210102')."""
    days = pd.date_range("2021-01-01", periods=5, freq="D")
    ymd = write(tmp_path, [f"{d:%Y%m%d},{i},{i}" for i, d in enumerate(days)], name="ymd.csv")
    with pytest.raises(DataError, match=r"ymd.csv: date column 'date' holds numbers, not dates \(row 2: 20210101\); "
                                        r"set data.date_format"):
        load_series_csv(ymd, "date", ["a", "b"], "D")
    assert load_series_csv(ymd, "date", ["a", "b"], "D", date_format="%Y%m%d")[0].index.equals(
        pd.DatetimeIndex(days, freq=None, name="date"))
    unix = write(tmp_path, [f"{d.value // 10**9},{i},{i}" for i, d in enumerate(days)], name="unix.csv")
    assert load_series_csv(unix, "date", ["a", "b"], "D", date_format="unix")[0].index.equals(
        pd.DatetimeIndex(days, freq=None, name="date"))
    with pytest.raises(DataError, match=r"ymd.csv: row 2: date '2021-01-01' is not a number of seconds"):
        load_series_csv(write(tmp_path, ["2021-01-01,1,1", "2021-01-02,2,2"], name="ymd.csv"), "date", ["a", "b"],
                        "D", date_format="unix")


def test_day_first_dates_are_not_silently_read_month_first(tmp_path):
    """Before: 01/01..31/12 was read as January 1..12 month-first and the rest by guessing per row, so the
    series was reordered, and with gaps = 'interpolate' trained on shuffled values. Later, dates pandas cannot
    infer one format for (dd.mm.yy, 1/2/24) were still read row by row, month-first where a row allows it:
    two years of daily dd.mm.yy data came back reordered, with no gap or duplicate to betray it."""
    days = pd.date_range("2024-01-01", periods=40, freq="D")
    for fmt, order in (("%d/%m/%Y", "day"), ("%d.%m.%y", "day"), ("%m/%d/%y", "month")):
        rows = [f"{d.strftime(fmt).lstrip('0') if order == 'month' else d.strftime(fmt)},{i},{i}"
                for i, d in enumerate(days)]
        frame, rep = load_series_csv(write(tmp_path, rows, name="ordered.csv"), "date", ["a", "b"], "D")
        assert frame.index[12] == pd.Timestamp("2024-01-13") and frame["a"].tolist() == list(range(40)), fmt
        assert any(f"read the numeric dates {order} first" in a for a in rep.actions), (fmt, rep.actions)
    two_years = pd.date_range("2022-01-01", periods=730, freq="D")
    path = write(tmp_path, [f"{d:%d.%m.%y},{i},{i}" for i, d in enumerate(two_years)], name="two_years.csv")
    assert load_series_csv(path, "date", ["a", "b"], "D")[0]["a"].tolist() == list(range(730))
    # every row fits both orders: the one order that gives a regular series at data.freq, if only one does ...
    twelve = write(tmp_path, [f"{d:%d.%m.%Y},{i},{i}" for i, d in enumerate(days[:12])], name="twelve.csv")
    frame, rep = load_series_csv(twelve, "date", ["a", "b"], "D")
    assert frame.index[1] == pd.Timestamp("2024-01-02") and frame["a"].tolist() == list(range(12))
    assert "read the numeric dates day first (every row fits both orders; only day first gives a regular 'D' " \
           "series)" in rep.actions
    months = pd.date_range("2024-01-01", periods=12, freq="MS")  # before this rule: right by pandas' default only
    us = write(tmp_path, [f"{d:%m/%d/%Y},{i},{i}" for i, d in enumerate(months)], name="us.csv")
    assert load_series_csv(us, "date", ["a", "b"], "MS")[0].index.equals(months)
    # ... else an error, with the formats to choose from in the file's own separator
    ambiguous = write(tmp_path, ["01.02.2024,1,1", "02.03.2024,2,2", "03.04.2024,3,3"], name="ambiguous.csv")
    with pytest.raises(DataError, match=r"ambiguous.csv: row 2: date '01.02.2024' reads as 2024-01-02 month-first "
                                        r"and 2024-02-01 day-first, and every row fits both \(neither order gives a "
                                        r"regular 'D' series\): set data.date_format to the file's order, '%d.%m.%Y' "
                                        r"\(day first\) or '%m.%d.%Y' \(month first\)$"):
        load_series_csv(ambiguous, "date", ["a", "b"], "D", gaps="interpolate")
    frame, _ = load_series_csv(ambiguous, "date", ["a", "b"], "D", gaps="interpolate", date_format="%d.%m.%Y")
    assert frame.loc["2024-03-02", "a"] == 2 and frame.index[0] == pd.Timestamp("2024-02-01")
    # two-digit years with '-' may come first (24-01-13) or last (13-01-24); dateutil read 24-01-13 as 2013-01-24
    yymmdd = write(tmp_path, [f"{d:%y-%m-%d},{i},{i}" for i, d in enumerate(days)], name="yymmdd.csv")
    with pytest.raises(DataError, match=r"yymmdd.csv: row 2: date '24-01-01' may have its two-digit year first or "
                                        r"last: set data.date_format, e.g. '%y-%m-%d' or '%d-%m-%y'"):
        load_series_csv(yymmdd, "date", ["a", "b"], "D")
    assert load_series_csv(yymmdd, "date", ["a", "b"], "D", date_format="%y-%m-%d")[0]["a"].tolist() == list(range(40))
    both = write(tmp_path, ["13/01/2024,1,1", "01/14/2024,2,2"], name="both.csv")
    with pytest.raises(DataError, match=r"both.csv: the numeric dates are written in both orders: row 2 "
                                        r"'13/01/2024' only day first, row 3 '01/14/2024' only month first"):
        load_series_csv(both, "date", ["a", "b"], "D")
    iso = write(tmp_path, [f"{d:%Y-%m-%d},{i},{i}" for i, d in enumerate(days)], name="iso.csv")
    assert load_series_csv(iso, "date", ["a", "b"], "D")[0]["a"].tolist() == list(range(40))
    with pytest.raises(DataError, match=r"row 2: date '01/01/2024' does not match data.date_format"):
        load_series_csv(write(tmp_path, [f"{d:%d/%m/%Y},{i},{i}" for i, d in enumerate(days)], name="dmy.csv"),
                        "date", ["a", "b"], "D", date_format="%Y-%m-%d")


def test_user_csv_dataset_prepares(tmp_path):
    days = pd.date_range("2020-01-01", periods=120, freq="D")
    pd.DataFrame({"day": days, "x": np.sin(np.arange(120) / 5), "y": np.cos(np.arange(120) / 5)}).to_csv(
        tmp_path / "u.csv", index=False)
    cfg = RunConfig(domain="social", dataset="csv", data={"path": str(tmp_path / "u.csv"), "date_column": "day",
                                                          "columns": ["x", "y"], "freq": "D", "lookback": 14,
                                                          "horizon": 7})
    prep = DOMAIN.prepare(cfg, validate_options(DOMAIN.options, cfg.data, "social"))
    assert prep.y_test.shape == (24 - 7 + 1, 7, 2) and prep.metric_context["target_index"] == 1


@pytest.mark.parametrize("protocol", ["ltsf", "rolling"])
def test_user_csv_dataset_names_the_options_it_lacks(tmp_path, protocol):
    """Before: "dataset 'csv' needs data.path, data.columns and data.freq", whichever of the three was set."""
    cfg = RunConfig(domain="social", dataset="csv", data={"path": str(tmp_path / "u.csv"), "protocol": protocol})
    with pytest.raises(DataError, match=r"^dataset 'csv' needs data.path, data.columns and data.freq: data.columns "
                                        r"and data.freq are not set \(e.g. --set 'data.columns=\[\"sales\"\]' "
                                        r"--set data.freq=D\)$"):
        DOMAIN.prepare(cfg, validate_options(DOMAIN.options, cfg.data, "social"))


def ili(**data):
    cfg = RunConfig(domain="social", dataset="ili_national_illness", data=data)
    return DOMAIN.prepare(cfg, validate_options(DOMAIN.options, cfg.data, "social"))


@pytest.mark.realdata
def test_ili_protocol_and_the_published_repeat_rows():
    real_data_or_skip("ili_national_illness")
    prep = ili()
    assert prep.split["n"] == 966 and len(prep.y_test) == 170 and prep.y_test.shape[1:] == (24, 7)
    published = {24: 6.587, 36: 7.130, 48: 6.575, 60: 5.893}  # DLinear paper, Repeat, MSE
    for h, value in published.items():
        all_windows = ili(horizon=h)
        as_published = ili(horizon=h, test_drop_last=32)
        repeat = lambda p: float(np.mean((np.repeat(p.X_test[:, -1:], h, axis=1) - p.y_test) ** 2))  # noqa: E731
        assert repeat(as_published) == pytest.approx(value, abs=5e-4)  # a drop_last loader of batch 32
        assert len(all_windows.y_test) == 193 - h + 1  # our default keeps every window


def test_exchange_rate_starts_from_a_zero_head_model_at_repeat():
    import dataclasses

    import keras

    from common.builder import build_model

    cfg = DOMAIN.dataset_config("exchange_rate", "full")
    assert cfg.dataset == "exchange_rate" and cfg.model.zero_head and cfg.model.instance_norm == "last"
    assert cfg.training.seeds == 5 and DOMAIN.dataset_config("exchange_rate", "quick").training.seeds == 1
    spec = dataclasses.replace(cfg.model, n_targets=3, horizon=4)
    model = build_model(spec, n_features=3, timesteps=6)
    x = np.random.default_rng(0).normal(size=(5, 6, 3)).astype("float32")
    # untrained: every channel forecasts its own last value (Repeat), linear skip included
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x)), np.repeat(x[:, -1:, :], 4, axis=1), atol=1e-6)


def test_benchmark_scores_the_published_codes_windows_by_hand(tmp_path):
    from benchmarks.social import published_windows_mse

    # 34 windows of 2 positions: a drop_last loader of batch 32 scores windows 0..31 only
    sample = np.repeat(np.arange(34), 2)
    truth = np.zeros(68)
    model = np.where(sample < 32, 1.0, 10.0)  # error 1 on the scored windows, 10 on the two dropped ones
    pd.DataFrame({"sample": sample, "position": np.tile([0, 1], 34), "y_true": truth, "m": model}).to_csv(
        tmp_path / "predictions.csv", index=False)
    assert published_windows_mse(tmp_path) == {"m": 1.0}
    assert published_windows_mse(tmp_path, batch=17) == {"m": pytest.approx((32 + 2 * 100) / 34)}


@pytest.mark.realdata
def test_exchange_rate_validation_view_mean_reversion_wins_the_test_period_only():
    real_data_or_skip("exchange_rate")
    from benchmarks.social_validation import scores

    rows = {r["model"]: r for r in scores("exchange_rate", 96)}
    repeat, pull = rows["Repeat (last value)"], rows["Mean reversion (a * last + b per channel and step)"]
    assert repeat["test MSE"] == pytest.approx(0.0811, abs=5e-4)  # every test window (published, drop_last: 0.081)
    assert pull["test MSE"] < repeat["test MSE"] and pull["validation MSE"] > repeat["validation MSE"]
    assert sum(r["validation picks"] == "yes" for r in rows.values()) == 1
    assert sum(r["best on test"] == "yes" for r in rows.values()) == 1


def test_at_or_below_forgives_the_rounding_of_a_mean_of_equal_seeds():
    from benchmarks.social import at_or_below

    # five seeds that all kept Repeat: their mean is one float step above Repeat's own MSE (a real H720 run)
    seeds = [0.8100644174152417] * 5
    assert float(np.mean(seeds)) > seeds[0]
    assert at_or_below(float(np.mean(seeds)), seeds[0])
    assert at_or_below(0.80, 0.81) and not at_or_below(0.8101, 0.8100)


def test_seeds_kept_at_repeat_say_how_many_were_kept_by_rule(tmp_path):
    """At H720 the exchange rate's 41 validation windows give no standard error, so every seed keeps Repeat by rule
    and the target "at or below Repeat" is met by construction there. The benchmark's column said "5 of 5"."""
    import json

    from benchmarks.social import kept_reference

    for k, note in enumerate((None, "too few windows", None)):
        (tmp_path / f"seed{k}").mkdir()
        check = {"kept": "reference (untrained zero head)" if k < 2 else "trained model"}
        (tmp_path / f"seed{k}" / "reference_check.json").write_text(json.dumps({**check, **({"note": note} if note
                                                                                              else {})}))
    assert kept_reference(tmp_path) == "2 of 3 (1 by rule: too few validation windows for a standard error)"
    (tmp_path / "seed1" / "reference_check.json").unlink()
    assert kept_reference(tmp_path) == "1 of 2"


@pytest.mark.parametrize("profile", ["quick", "full"])
def test_each_dataset_starts_from_its_own_settings_in_either_profile(profile):
    """`--profile full --dataset macrodata` took ILI's horizon 24 and stopped ('the val split (21 rows) is too short');
    `--dataset ili_national_illness` (quick) trained the macrodata model; the rolling sets were labelled "full"
    under the quick profile."""
    import argparse

    from common.cli import _config
    from domains.social.rolling_sets import SETTINGS as ROLLING

    for ds in ("macrodata", "ili_national_illness", "exchange_rate", *ROLLING):
        args = argparse.Namespace(set=[], seeds=None, epochs=None, out=None, dataset=ds, config=None, profile=profile)
        cfg = _config(args, DOMAIN)
        assert (cfg.dataset, cfg.profile) == (ds, profile)
        if ds == "ili_national_illness":  # the benchmark's model, one seed when quick
            assert cfg.model.channel_independent and cfg.model.instance_norm == "meanstd"
            assert cfg.training.seeds == (1 if profile == "quick" else 5)
        if ds == "macrodata":
            DOMAIN.prepare(cfg, validate_options(DOMAIN.options, cfg.data, DOMAIN.name))


def test_missing_value_codes_are_read_as_missing_with_data_na_values(tmp_path):
    """Before: a file marking missing values with '.' stopped with "holds '.', not a finite number" and no way to
    read it; one marking them with -999 trained on -999 as a value. data.na_values names such codes."""
    path = tmp_path / "codes.csv"
    rows = [f"2024-01-{d:02d},{d},{2 * d}" for d in range(1, 21)]
    rows[4] = "2024-01-05,.,10"
    rows[9] = "2024-01-10,10,-999.0"
    path.write_text("date,a,b\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError, match=r"column 'a' row 6 holds '.', not a finite number: if it marks a missing "
                                        r"value, set data.na_values = \[\"\.\"\]"):
        load_series_csv(path, "date", ["a", "b"], "D")
    frame, rep = load_series_csv(path, "date", ["a", "b"], "D", gaps="interpolate", na_values=[".", "-999"])
    assert rep.missing_values == 2 and frame.loc["2024-01-05", "a"] == 5 and frame.loc["2024-01-10", "b"] == 20
    assert rep.actions[0] == "cells holding '.' or '-999' read as missing (data.na_values)"  # in the data label
    cfg = RunConfig(domain="social", dataset="csv",
                    data={"path": str(path), "columns": ["a", "b"], "freq": "D", "lookback": 5, "horizon": 2,
                          "na_values": [".", "-999"]})
    with pytest.raises(DataError, match=r"codes.csv: 2 missing values: 'a' 1 \(first at 2024-01-05\), 'b' 1"):
        DOMAIN.prepare(cfg, validate_options(DOMAIN.options, cfg.data, "social"))


def test_a_workbook_or_a_file_not_in_utf8_is_named_as_such(tmp_path):
    """Before: an .xlsx given as data.path, or a CSV saved as UTF-16 or Latin-1, stopped with "not a readable CSV
    file ('utf-8' codec can't decode byte ...)" and no word of what the file was or what to do."""
    import zipfile

    with zipfile.ZipFile(tmp_path / "book.xlsx", "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(DataError, match=r"book.xlsx: an Excel workbook, not a CSV file: save the sheet as CSV"):
        load_series_csv(tmp_path / "book.xlsx", "date", ["y"], "D")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200))
    with pytest.raises(DataError, match=r"old.xls: an Excel workbook, not a CSV file"):
        load_series_csv(tmp_path / "old.xls", "date", ["y"], "D")
    text = "date,y\n2024-01-01,1\n2024-01-02,2\n"
    (tmp_path / "u16.csv").write_text(text, encoding="utf-16")
    with pytest.raises(DataError, match=r"u16.csv: UTF-16 text; save it as UTF-8"):
        load_series_csv(tmp_path / "u16.csv", "date", ["y"], "D")
    assert list(load_series_csv(tmp_path / "u16.csv", "date", ["y"], "D", encoding="utf-16")[0]["y"]) == [1, 2]
    (tmp_path / "latin.csv").write_bytes("date,temp °C\n2024-01-01,1\n2024-01-02,2\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin.csv: not UTF-8 text \(byte 0xb0 on line 1\); save it as UTF-8, or "
                                        r"set data.encoding to the file's, e.g. \"cp1252\" \(Windows, Western Europe\)"):
        load_series_csv(tmp_path / "latin.csv", "date", ["temp °C"], "D")
    frame, _ = load_series_csv(tmp_path / "latin.csv", "date", ["temp °C"], "D", encoding="cp1252")
    assert list(frame["temp °C"]) == [1, 2]
    cfg = RunConfig(domain="social", dataset="csv", data={"path": str(tmp_path / "latin.csv"), "columns": ["temp °C"],
                                                          "freq": "D", "encoding": "klingon"})
    with pytest.raises(DataError, match=r"data.encoding 'klingon' is not an encoding Python knows"):
        DOMAIN.prepare(cfg, validate_options(DOMAIN.options, cfg.data, "social"))


def test_numbers_with_thousands_separators_are_read_with_data_thousands(tmp_path):
    """Before: '1.234,5' in a file with decimal commas (or '1,234.5' in a comma-free layout) stopped the run with a
    hint to declare it a missing-value code."""
    path = tmp_path / "de.csv"
    path.write_text("date;y\n" + "\n".join(f"2024-01-{d:02d};1.{d:03d},5" for d in range(1, 11)) + "\n")
    with pytest.raises(DataError, match=r"column 'y' row 2 holds '1.001,5', not a finite number: if '.' separates "
                                        r"thousands, set data.thousands = \"\.\""):
        load_series_csv(path, "date", ["y"], "D", sep=";", decimal=",")
    frame, _ = load_series_csv(path, "date", ["y"], "D", sep=";", decimal=",", thousands=".")
    assert frame["y"].iloc[0] == 1001.5
    path.write_text("date\ty\n" + "\n".join(f"2024-01-{d:02d}\t1,{d:03d}.5" for d in range(1, 11)) + "\n")
    with pytest.raises(DataError, match=r"holds '1,001.5', not a finite number: if ',' separates thousands, set "
                                        r"data.thousands = \",\""):
        load_series_csv(path, "date", ["y"], "D", sep="\t")
    cfg = RunConfig(domain="social", dataset="csv",
                    data={"path": str(path), "columns": ["y"], "freq": "D", "lookback": 3, "horizon": 1, "sep": "\t",
                          "thousands": ","})
    prep = DOMAIN.prepare(cfg, validate_options(DOMAIN.options, cfg.data, "social"))
    assert np.isfinite(prep.y_test).all()
    bad = dataclasses.replace(cfg, data={**cfg.data, "thousands": "."})
    with pytest.raises(DataError, match=r"data.thousands must be one character other than data.sep and "
                                        r"data.decimal, or empty"):
        DOMAIN.prepare(bad, validate_options(DOMAIN.options, bad.data, "social"))


def test_an_hour_repeated_or_skipped_by_a_clock_change_says_so(tmp_path):
    """Before: local clock times of a file spanning a daylight-saving change stopped with "1 timestamp occurs more
    than once, e.g. 2021-10-31 02:00:00" (autumn) or "1 timestamp missing" (spring), without the likely cause."""
    autumn = pd.date_range("2021-10-30", "2021-11-01", freq="h", tz="Europe/Berlin", inclusive="left")
    spring = pd.date_range("2021-03-27", "2021-03-29", freq="h", tz="Europe/Berlin", inclusive="left")
    hint = (r"Local clock times\? A daylight-saving change repeats or skips an hour: write the times with their UTC "
            r"offset \(e.g. 2021-03-28 03:00\+02:00\) or in UTC")
    for days, problem in ((autumn, "occurs more than once"), (spring, "missing at frequency 'h'")):
        local = days.tz_localize(None).strftime("%Y-%m-%d %H:%M")
        path = tmp_path / "local.csv"
        pd.DataFrame({"time": local, "y": np.arange(len(local))}).to_csv(path, index=False)
        with pytest.raises(DataError, match=rf"1 timestamp {problem}.*{hint}"):
            load_series_csv(path, "time", ["y"], "h")
    days = pd.date_range("2021-06-01", periods=48, freq="h").delete(30)  # a Wednesday: no clock change
    pd.DataFrame({"time": days.strftime("%Y-%m-%d %H:%M"), "y": np.arange(47)}).to_csv(tmp_path / "g.csv", index=False)
    with pytest.raises(DataError) as err:
        load_series_csv(tmp_path / "g.csv", "time", ["y"], "h")
    assert "daylight" not in str(err.value)


def test_a_text_column_among_the_channels_is_named_as_not_numeric(tmp_path):
    """Before: a column of weekday names in data.columns got "holds 'Mon', not a finite number: if it marks a
    missing value, set data.na_values = ["Mon"]", advice that would have emptied the column."""
    days = pd.date_range("2024-01-01", periods=14, freq="D")
    path = tmp_path / "t.csv"
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "day": days.strftime("%a"), "y": range(14)}).to_csv(path,
                                                                                                         index=False)
    with pytest.raises(DataError, match=r"column 'day' holds text, not numbers \(14 of 14 cells, e.g. 'Mon'\): "
                                        r"data.columns takes numeric columns only"):
        load_series_csv(path, "date", ["day", "y"], "D")


@pytest.mark.parametrize("freq, season, said", [
    ("h", 1, "hourly rows ('h') usually have season 24"), ("D", 1, "daily rows ('D') usually have season 7"),
    ("W-SUN", 1, "weekly rows ('W-SUN') usually have season 52"),
    ("MS", 1, "monthly rows ('MS') usually have season 12"),
    ("h", 24, ""), ("2h", 1, "rows every 2 hours ('2h') usually have season 12"), ("7D", 1, ""),
])
def test_a_user_csv_left_at_season_1_gets_a_note_naming_its_frequencys_season(tmp_path, freq, season, said):
    """With ``data.season = 1`` (the default) MASE scales by the naive forecast and there is no seasonal naive
    baseline: for hourly data with a daily cycle that is not the honest comparison, so the notes say which season
    the rows' frequency usually has (nothing is changed: the setting stays the user's)."""
    dates = pd.date_range("2020-01-06", periods=300, freq=freq)
    pd.DataFrame({"date": dates, "y": np.sin(np.arange(300)), "x": np.cos(np.arange(300))}).to_csv(
        tmp_path / "s.csv", index=False)
    cfg = RunConfig(domain="social", dataset="csv", data={"path": str(tmp_path / "s.csv"), "columns": ["x", "y"],
                                                          "freq": freq, "season": season, "lookback": 8,
                                                          "horizon": 2})
    prep = DOMAIN.prepare(cfg, validate_options(DOMAIN.options, cfg.data, DOMAIN.name))
    notes = [n for n in prep.audit.notes if "data.season" in n]
    assert (notes and said in notes[0] and "seasonal naive" in notes[0]) if said else not notes

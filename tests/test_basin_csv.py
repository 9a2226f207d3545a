"""Streamflow from the user's own basin CSV files (environmental dataset ``streamflow_csv``): one CSV per basin with a
date column, forcing columns and observed flow, under the CAMELS protocol of the suite (sequences, periods, masking
of missing flow, per-basin metrics, the same baselines)."""
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from common.config import ModelSpec, RunConfig, TrainSpec, validate_options
from common.domain import DataError
from domains.environmental.domain import DOMAIN

PERIODS = ["2000-01-01", "2003-12-31", "2004-01-01", "2004-12-31", "2005-01-01", "2006-12-31"]


def write_basin(path, seed=0, start="2000-01-01", end="2006-12-31", flow_missing=(), **columns):
    """Flow = the 5-day mean of precipitation plus noise; a seasonal temperature."""
    dates = pd.date_range(start, end, freq="D")
    rng = np.random.default_rng(seed)
    rain = rng.gamma(0.5, 4.0, len(dates))
    flow = np.convolve(rain, np.ones(5) / 5)[: len(dates)] + 0.1 * rng.random(len(dates))
    frame = pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "rain_mm": rain,
                          "temp_c": 10 + 8 * np.sin(2 * np.pi * dates.day_of_year / 365.25), "Q": flow})
    frame.loc[list(flow_missing), "Q"] = np.nan
    for name, value in columns.items():
        frame[name] = value
    frame.to_csv(path, index=False)
    return frame


def config(files, **data):
    base = {"basin_files": [str(f) for f in files], "date_column": "Date", "inputs": ["rain_mm", "temp_c"],
            "flow_column": "Q", "periods": PERIODS, "seq_length": 30}
    return RunConfig(domain="environmental", dataset="streamflow_csv", model=ModelSpec(units=(4,), head="regression"),
                     training=TrainSpec(epochs=1, batch_size=256), data={**base, **data})


def prepare(cfg):
    return DOMAIN.prepare(cfg, validate_options(DOMAIN.options, cfg.data, DOMAIN.name))


def test_basin_csvs_give_per_basin_samples_with_missing_flow_masked_and_the_baselines_sums(tmp_path):
    write_basin(tmp_path / "alpha.csv", flow_missing=range(2000, 2010))
    write_basin(tmp_path / "beta.csv", seed=1)
    prep = prepare(config([tmp_path / "alpha.csv", tmp_path / "beta.csv"]))
    assert prep.X_train.shape[1:] == (30, 2) and prep.metrics[0] == "nse"
    assert set(prep.split["train_basins"]) == {"alpha", "beta"}
    assert np.isnan(prep.y_test).sum() == 10  # days 2000-2009 of alpha lie in 2005-2006: kept, masked by the metrics
    assert "alpha.csv" in prep.data_label and "'Q'" in prep.data_label
    assert prep.target_names == ("flow 'Q' (the files' units)",)  # not CAMELS' mm/day: the files' own units
    assert prep.extra["precipitation"] == "rain_mm"  # found by its name; the baselines sum it over windows
    models = DOMAIN.baselines(prep, config([]))
    assert models["ridge on forcing sums"].precipitation == "rain_mm"
    explicit = prepare(config([tmp_path / "alpha.csv"], inputs=["temp_c", "rain_mm"], precipitation="rain_mm"))
    assert explicit.extra["precipitation"] == "rain_mm"


@pytest.mark.parametrize("windows", ["auto", "stream"])
def test_a_run_trains_scores_and_predict_simulates_the_same_flow(tmp_path, windows):
    pytest.importorskip("keras")
    from common.experiment import run_experiment
    from common.predict import predict_run

    write_basin(tmp_path / "alpha.csv")
    cfg = dataclasses.replace(config([tmp_path / "alpha.csv"], windows=windows), out=str(tmp_path / "runs"))
    res = run_experiment(cfg, DOMAIN, run_name="b", log=lambda m: None)
    import json

    metrics = json.loads((res.run_dir / "metrics.json").read_text())
    assert np.isfinite(metrics["lstm_summary"]["nse"]["mean"])
    assert {"day-of-year climatology", "ridge on forcing sums", "gradient boosting on forcing lags"} <= set(
        metrics["baselines"])
    assert all(np.isfinite(v["nse"]) for v in metrics["baselines"].values())
    got = pd.read_csv(predict_run(res.run_dir, [str(tmp_path / "alpha.csv")], tmp_path / "p.csv", log=lambda m: None))
    saved = pd.read_csv(res.run_dir / "predictions.csv")
    both = saved.merge(got, on="date", suffixes=("", "_new"))
    assert len(both) == len(saved) == 730
    np.testing.assert_allclose(both["lstm_seed0_new"], both["lstm_seed0"], rtol=1e-4, atol=1e-4)
    assert set(got.loc[got["date"].between("2000-01-30", "2003-12-31"), "in_training"]) == {"training period"}


@pytest.mark.parametrize("edit, data, message", [
    ({}, {"periods": []}, "data.periods"),
    ({}, {"flow_column": "flow"}, r"alpha.csv: .*'flow'"),
    ({}, {"basin_files": []}, "data.basin_files"),
    ({"Q": -1.0}, {}, r"alpha.csv: .*negative.*data.na_values"),
    ({"temp_c": np.nan}, {}, r"alpha.csv: .*forcing.*'temp_c'"),
    ({}, {"inputs": ["rain_mm"], "precipitation": "snow"}, r"data.precipitation 'snow'"),
])
def test_bad_basin_files_and_settings_are_errors_naming_them(tmp_path, edit, data, message):
    write_basin(tmp_path / "alpha.csv", **edit)
    with pytest.raises(DataError, match=message):
        prepare(config([tmp_path / "alpha.csv"], **data))


def test_a_missing_day_in_the_forcing_is_named(tmp_path):
    frame = write_basin(tmp_path / "alpha.csv")
    frame.drop(index=100).to_csv(tmp_path / "alpha.csv", index=False)
    with pytest.raises(DataError, match=r"alpha.csv: .*2000-04-10"):
        prepare(config([tmp_path / "alpha.csv"]))


def test_a_camels_basin_written_as_csv_prepares_exactly_as_the_camels_reader_gives_it(tmp_path):
    """The same forcing and flow, read from the CAMELS layout or from a CSV, give the same samples and scalers."""
    from domains.environmental.camels import load_basin
    from tests.test_environmental import make_camels

    make_camels(tmp_path / "camels", basins=("01000001",))
    inputs = ["prcp", "srad", "tmax", "tmin", "vp", "dayl"]
    basin = load_basin(tmp_path / "camels", "01000001", "nldas").frame
    csv = basin[inputs + ["qobs"]].rename_axis("date").reset_index()
    csv["date"] = csv["date"].dt.strftime("%Y-%m-%d")
    csv.to_csv(tmp_path / "01000001.csv", index=False)
    periods = ["1999-10-01", "2008-09-30", "2008-10-01", "2013-09-30", "1994-10-01", "1999-09-30"]
    common = {"periods": periods, "seq_length": 60}
    base = RunConfig(domain="environmental", dataset="camels", model=ModelSpec(units=(4,), head="regression"))
    a = prepare(dataclasses.replace(base, data={"camels_root": str(tmp_path / "camels"), **common}))
    b = prepare(dataclasses.replace(base, dataset="streamflow_csv", data={
        "basin_files": [str(tmp_path / "01000001.csv")], "flow_column": "qobs", "inputs": inputs, **common}))
    for name in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"):
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=1e-6, atol=1e-6, err_msg=name)
    assert b.scalers == a.scalers and b.extra["precipitation"] == "prcp"


def attributes(path, rows):
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_basin_attributes_are_static_inputs_scaled_on_the_training_basins_and_reach_new_basins(tmp_path):
    """``data.attributes_file``: a CSV with a ``basin`` column (the file names' stems) and numeric attributes, the
    static inputs of a regional model (as CAMELS' ``data.static``); scaled on the training basins only."""
    pytest.importorskip("keras")
    from common.experiment import run_experiment
    from common.predict import predict_run

    for k, name in enumerate(("alpha", "beta", "gamma", "delta")):
        write_basin(tmp_path / f"{name}.csv", seed=k)
    table = attributes(tmp_path / "attrs.csv", {"basin": ["alpha", "beta", "gamma", "delta"],
                                                "area_km2": [10.0, 30.0, 50.0, 70.0], "slope": [0.1, 0.2, 0.3, 0.4]})
    files = [tmp_path / f"{n}.csv" for n in ("alpha", "beta", "gamma")]
    cfg = dataclasses.replace(config(files, attributes_file=str(table), ungauged_basins=["gamma"]),
                              model=ModelSpec(units=(4,), head="regression", static_join="step"),
                              out=str(tmp_path / "runs"))
    prep = prepare(cfg)
    assert prep.X_train["static"].shape[1] == 2 and prep.feature_names["static"] == ("area_km2", "slope")
    assert prep.scalers["static"]["mean"] == pytest.approx([20.0, 0.15])  # alpha and beta: the training basins
    res = run_experiment(cfg, DOMAIN, run_name="s", log=lambda m: None)
    got = pd.read_csv(predict_run(res.run_dir, [str(tmp_path / "delta.csv")], tmp_path / "p.csv", log=lambda m: None))
    assert set(got["basin"]) == {"delta"} and got["lstm_seed0"].notna().all()  # a basin the run never saw


@pytest.mark.parametrize("rows, message", [
    ({"basin": ["alpha"], "area": [1.0]}, r"attrs.csv: no attributes for basin\(s\) \['beta'\]"),
    ({"basin": ["alpha", "beta"], "kind": ["x", "y"]}, r"attrs.csv: attribute\(s\) \['kind'\] are not numeric"),
    ({"basin": ["alpha", "beta"], "area": [1.0, None]}, r"attrs.csv: attribute 'area' is missing for basin"),
    ({"name": ["alpha", "beta"], "area": [1.0, 2.0]}, r"attrs.csv: no 'basin' or 'gauge_id' column"),
    ({"basin": ["alpha", "beta", "beta"], "area": [1.0, 2.0, 3.0]}, r"attrs.csv: basin 'beta' has 2 rows"),
])
def test_bad_attribute_files_are_named(tmp_path, rows, message):
    write_basin(tmp_path / "alpha.csv")
    write_basin(tmp_path / "beta.csv", seed=1)
    table = attributes(tmp_path / "attrs.csv", rows)
    with pytest.raises(DataError, match=message):
        prepare(config([tmp_path / "alpha.csv", tmp_path / "beta.csv"], attributes_file=str(table)))


@pytest.mark.realdata
def test_real_camels_basin_01022500_as_csv_prepares_as_the_camels_dataset(tmp_path):
    """The registered CAMELS sample's basin 01022500 written out as a basin CSV: the same samples and scalers as the
    camels dataset under its standard periods (the long test period 1989-1999 included)."""
    from common.download import dataset_dir
    from domains.environmental.camels import load_basin
    from tests.conftest import real_data_or_skip

    real_data_or_skip("camels_us_sample_nldas")
    root = dataset_dir("camels_us_sample_nldas")
    inputs = ["prcp", "srad", "tmax", "tmin", "vp", "dayl"]
    frame = load_basin(root, "01022500", "nldas").frame
    csv = frame[inputs + ["qobs"]].rename_axis("date").reset_index()
    csv["date"] = csv["date"].dt.strftime("%Y-%m-%d")
    csv.to_csv(tmp_path / "01022500.csv", index=False)
    periods = ["1999-10-01", "2008-09-30", "2008-10-01", "2013-09-30", "1989-10-01", "1999-09-30"]
    base = RunConfig(domain="environmental", dataset="camels", model=ModelSpec(units=(4,), head="regression"))
    a = prepare(dataclasses.replace(base, data={"basins": ["01022500"], "seq_length": 365}))
    b = prepare(dataclasses.replace(base, dataset="streamflow_csv", data={
        "basin_files": [str(tmp_path / "01022500.csv")], "flow_column": "qobs", "inputs": inputs,
        "periods": periods, "seq_length": 365}))
    assert len(b.y_test) == len(a.y_test) == 3652
    for name in ("X_train", "y_train", "X_test", "y_test"):
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=1e-6, atol=1e-6, err_msg=name)
    assert b.scalers == a.scalers


def test_sub_daily_rows_are_refused_with_advice_that_fits_basin_files(tmp_path):
    """Before: the social reader's advice 'set data.freq = ...', an option basin files do not have."""
    frame = write_basin(tmp_path / "alpha.csv")
    frame["Date"] = pd.date_range("2000-01-01", periods=len(frame), freq="h").strftime("%Y-%m-%d %H:%M")
    frame.to_csv(tmp_path / "alpha.csv", index=False)
    with pytest.raises(DataError, match=r"alpha.csv: .*off the 'D' grid.*one row per day") as err:
        prepare(config([tmp_path / "alpha.csv"]))
    assert "data.freq" not in str(err.value)


def test_caravan_style_attribute_files_join_on_gauge_id_and_data_attributes_picks_columns(tmp_path):
    """Caravan and NeuralHydrology spread a basin's attributes over several CSV files keyed by ``gauge_id``, some with
    text columns (name, country): ``data.attributes_file`` takes a list of files, joined by basin, and
    ``data.attributes`` picks the columns (in that order); a text column not picked is no error."""
    for k, name in enumerate(("camels_a", "camels_b")):
        write_basin(tmp_path / f"{name}.csv", seed=k)
    other = attributes(tmp_path / "attributes_other.csv", {"gauge_id": ["camels_b", "camels_a"],
                                                           "gauge_name": ["B river", "A creek"], "area": [30.0, 10.0]})
    climate = attributes(tmp_path / "attributes_caravan.csv", {"gauge_id": ["camels_a", "camels_b"],
                                                              "aridity": [0.5, 1.5], "p_mean": [3.0, 2.0]})
    files = [tmp_path / "camels_a.csv", tmp_path / "camels_b.csv"]
    prep = prepare(config(files, attributes_file=[str(other), str(climate)], attributes=["aridity", "area"]))
    assert prep.feature_names["static"] == ("aridity", "area")
    assert prep.scalers["static"]["mean"] == pytest.approx([1.0, 20.0])  # joined by basin, not by row order
    every = prepare(config(files, attributes_file=str(climate)))  # one file, every column: as before
    assert every.feature_names["static"] == ("aridity", "p_mean")


@pytest.mark.parametrize("tables, data, message", [
    ({"x.csv": {"gauge_id": ["alpha", "beta"], "name": ["A", "B"], "area": [1.0, 2.0]}}, {},
     r"x.csv: attribute\(s\) \['name'\] are not numeric.*data.attributes"),
    ({"x.csv": {"gauge_id": ["alpha", "beta"], "area": [1.0, 2.0]}}, {"attributes": ["aera"]},
     r"data.attributes: 'aera' is in none of the attribute files \(x.csv\).*did you mean area"),
    ({"x.csv": {"gauge_id": ["alpha", "beta"], "area": [1.0, 2.0]},
      "y.csv": {"gauge_id": ["alpha", "beta"], "area": [1.0, 2.0]}}, {},
     r"y.csv: attribute 'area' is also in .*x.csv"),
    ({"x.csv": {"gauge_id": ["alpha", "beta"], "area": [1.0, 2.0]}, "y.csv": {"gauge_id": ["alpha"], "slope": [1.0]}},
     {}, r"y.csv: no attributes for basin\(s\) \['beta'\]"),
    ({"x.csv": {"gauge_id": ["alpha", "beta"], "basin": ["alpha", "beta"], "area": [1.0, 2.0]}}, {},
     r"x.csv: both a 'basin' and a 'gauge_id' column"),
])
def test_bad_attribute_lists_are_named(tmp_path, tables, data, message):
    write_basin(tmp_path / "alpha.csv")
    write_basin(tmp_path / "beta.csv", seed=1)
    paths = [str(attributes(tmp_path / name, rows)) for name, rows in tables.items()]
    with pytest.raises(DataError, match=message):
        prepare(config([tmp_path / "alpha.csv", tmp_path / "beta.csv"], attributes_file=paths, **data))


def test_data_attributes_without_an_attributes_file_is_an_error(tmp_path):
    write_basin(tmp_path / "alpha.csv")
    with pytest.raises(DataError, match="data.attributes names columns of data.attributes_file"):
        prepare(config([tmp_path / "alpha.csv"], attributes=["area"]))


def test_attributes_that_look_like_streamflow_signatures_are_flagged_in_the_leakage_notes(tmp_path):
    """CAMELS' hydrological signatures (q_mean, runoff_ratio, baseflow_index, ...) are computed from observed flow
    over years that include the test period: a static input that reads the answer. They are flagged, not refused."""
    write_basin(tmp_path / "alpha.csv")
    write_basin(tmp_path / "beta.csv", seed=1)
    table = attributes(tmp_path / "hydro.csv", {"basin": ["alpha", "beta"], "q_mean": [1.0, 2.0],
                                                "runoff_ratio": [0.3, 0.4], "area": [1.0, 2.0]})
    prep = prepare(config([tmp_path / "alpha.csv", tmp_path / "beta.csv"], attributes_file=str(table)))
    flagged = [n for n in prep.audit.notes if "q_mean" in n]
    assert flagged and "runoff_ratio" in flagged[0] and "area" not in flagged[0] and "observed flow" in flagged[0]


def test_a_period_the_record_covers_only_in_part_is_said(tmp_path):
    """A basin whose record ends inside the test period is scored over the days it has; the notes say how many of
    the period's days that is (before, nothing said it)."""
    write_basin(tmp_path / "alpha.csv", end="2005-06-30")
    write_basin(tmp_path / "beta.csv", seed=1)
    prep = prepare(config([tmp_path / "alpha.csv", tmp_path / "beta.csv"]))
    said = [n for n in prep.audit.notes if n.startswith("alpha:") and "test" in n]
    assert said == ["alpha: the record (2000-01-01..2005-06-30) covers 181 of the 730 test days (2005-01-01.."
                    "2006-12-31)"]
    assert not [n for n in prep.audit.notes if n.startswith("beta:") and "covers" in n]  # beta has every day


@pytest.mark.parametrize("inputs, found", [
    (["temperature_2m_mean", "total_precipitation_sum"], "total_precipitation_sum"),  # Caravan (ERA5-Land)
    (["tmax(C)", "prcp(mm/day)"], "prcp(mm/day)"),  # CAMELS' forcing headers
    (["Rain", "temp"], "Rain"),
    (["temp", "train_speed"], ""),  # a word of the name, not a part of a word
])
def test_the_precipitation_input_is_found_by_a_word_of_its_name(inputs, found):
    from domains.environmental.basin_csv import precipitation_input

    opt = validate_options(DOMAIN.options, {"inputs": inputs}, DOMAIN.name)
    assert precipitation_input(opt) == found


def test_basin_windows_larger_than_memory_are_refused_naming_the_remedies(tmp_path, monkeypatch):
    from common import windows

    write_basin(tmp_path / "alpha.csv")
    monkeypatch.setattr(windows, "physical_memory", lambda: 2**16)  # a 64 kB machine
    monkeypatch.setattr(windows, "cgroup_memory_limit", lambda: None)
    with pytest.raises(DataError, match=r"the windows \(.* samples x 30 steps x 2 inputs, float32\) take .*"
                                        r"data.seq_length.*data.val_stride.*data.windows = 'auto'"):
        prepare(config([tmp_path / "alpha.csv"], windows="arrays"))


def test_windows_too_large_for_memory_are_cut_from_the_daily_rows_batch_by_batch(tmp_path, monkeypatch):
    from common import windows
    from common.lazy_windows import WindowView

    write_basin(tmp_path / "alpha.csv")
    monkeypatch.setattr(windows, "physical_memory", lambda: 2**16)  # a 64 kB machine: the arrays take 607 kB
    monkeypatch.setattr(windows, "cgroup_memory_limit", lambda: None)
    prep = prepare(config([tmp_path / "alpha.csv"]))  # data.windows = "auto"
    assert all(isinstance(x, WindowView) for x in (prep.X_train, prep.X_val, prep.X_test))
    note = next(n for n in prep.audit.notes if "batch by batch" in n)
    assert "would take 606.7 kB" in note and "this machine has 0.0 GB" in note
    with pytest.raises(DataError, match="data.windows must be auto, arrays or stream, not 'lazy'"):
        prepare(config([tmp_path / "alpha.csv"], windows="lazy"))


def test_streamed_windows_hold_the_same_samples_and_give_the_baselines_the_same_predictions(tmp_path):
    from common.lazy_windows import WindowView

    write_basin(tmp_path / "alpha.csv", flow_missing=range(2000, 2010))
    write_basin(tmp_path / "beta.csv", seed=1)
    files = [tmp_path / "alpha.csv", tmp_path / "beta.csv"]
    arrays, stream = prepare(config(files, windows="arrays")), prepare(config(files, windows="stream"))
    assert isinstance(stream.X_train, WindowView) and isinstance(arrays.X_train, np.ndarray)
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(np.asarray(getattr(stream, f"X_{split}")), getattr(arrays, f"X_{split}"))
        np.testing.assert_array_equal(getattr(stream, f"y_{split}"), getattr(arrays, f"y_{split}"))
    assert stream.split["windows"] == "streamed" and arrays.split["windows"] == "arrays"
    cfg = config([])
    for name, model in DOMAIN.baselines(stream, cfg).items():
        got = model.fit(stream.X_train, stream.y_train).predict(stream.X_test)
        want = DOMAIN.baselines(arrays, cfg)[name].fit(arrays.X_train, arrays.y_train).predict(arrays.X_test)
        np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=name)


def long_format(tmp_path, names=("alpha", "beta"), column="station"):
    frames = []
    for k, name in enumerate(names):
        frame = write_basin(tmp_path / f"{name}.csv", seed=k)
        frames.append(frame.assign(**{column: name}))
    path = tmp_path / "all_basins.csv"
    pd.concat(frames).to_csv(path, index=False)
    return path


def test_one_long_file_with_a_basin_column_prepares_as_one_file_per_basin(tmp_path):
    """``data.basin_column``: the files hold many basins, one row per basin and day, the basin named in that column
    (a long table, as a database export gives it); the same samples and scalers as one file per basin."""
    path = long_format(tmp_path)
    wide = prepare(config([tmp_path / "alpha.csv", tmp_path / "beta.csv"]))
    long = prepare(config([path], basin_column="station"))
    assert long.split["train_basins"] == ["alpha", "beta"] and long.scalers == wide.scalers
    for name in ("X_train", "y_train", "X_test", "y_test"):
        np.testing.assert_array_equal(getattr(long, name), getattr(wide, name), err_msg=name)
    assert "all_basins.csv" in long.data_label and "2 basins" in long.data_label


@pytest.mark.parametrize("edit, message", [
    (lambda f: f.drop(columns="station"), r"all_basins.csv: no basin column 'station'"),
    (lambda f: f.drop(index=f.index[(f["station"] == "beta") & (f["Date"] == "2003-05-05")]),
     r"all_basins.csv \(basin 'beta'\): .*2003-05-05"),
    (lambda f: f.assign(station=f["station"].where(f.index % 500 != 7)), r"all_basins.csv: 11 rows without a basin"),
])
def test_bad_long_files_are_named_with_the_basin(tmp_path, edit, message):
    path = long_format(tmp_path)
    edit(pd.read_csv(path)).to_csv(path, index=False)
    with pytest.raises(DataError, match=message):
        prepare(config([path], basin_column="station"))


def test_a_basin_in_two_long_files_is_an_error(tmp_path):
    path = long_format(tmp_path)
    other = tmp_path / "more.csv"
    pd.read_csv(path).query("station == 'beta'").to_csv(other, index=False)
    with pytest.raises(DataError, match=r"basin 'beta' is in .*all_basins.csv and .*more.csv"):
        prepare(config([path, other], basin_column="station"))


def test_predict_reads_every_basin_of_a_long_file(tmp_path):
    pytest.importorskip("keras")
    from common.experiment import run_experiment
    from common.predict import predict_run

    path = long_format(tmp_path)
    cfg = dataclasses.replace(config([path], basin_column="station"), out=str(tmp_path / "runs"))
    res = run_experiment(cfg, DOMAIN, run_name="long", log=lambda m: None)
    got = pd.read_csv(predict_run(res.run_dir, [str(path)], tmp_path / "p.csv", log=lambda m: None))
    assert list(dict.fromkeys(got["basin"])) == ["alpha", "beta"] and got["lstm_seed0"].notna().all()


def test_a_repeated_day_gets_advice_that_fits_basin_files(tmp_path):
    """Before: "set data.duplicates = 'mean'", an option basin files do not have (an unknown key if tried). A long
    file read without data.basin_column repeats every day, once per basin."""
    path = long_format(tmp_path)
    with pytest.raises(DataError) as err:
        prepare(config([path]))
    assert "occur more than once" in str(err.value) and "data.basin_column" in str(err.value)
    assert "data.duplicates" not in str(err.value)


def test_a_dry_run_counts_streamed_windows_by_the_rows_they_hold_and_says_what_arrays_would_take(tmp_path):
    pytest.importorskip("keras")
    import re

    from common.dry_run import dry_run

    write_basin(tmp_path / "alpha.csv")
    said = []
    dry_run(config([tmp_path / "alpha.csv"], windows="stream"), DOMAIN, log=said.append)
    line = next(s for s in said if "memory:" in s)
    held, full = re.search(r"the prepared arrays take ([\d.]+) kB .*windows cut from their rows batch by batch: "
                           r"as arrays they would take ([\d.]+) kB", line).groups()
    # the daily rows (2557 days x 2 inputs, float32: 20.5 kB) count once though all three splits are cut from them,
    # beside the windows' first rows (int64) and the targets (float32): 2528 samples
    assert float(held) == pytest.approx((2557 * 2 * 4 + 2528 * (8 + 4)) / 1e3, abs=0.1) and float(full) > 500, line


def test_new_basin_files_are_simulated_from_their_daily_rows_without_building_every_window(tmp_path):
    """Before: predict built every day's window of every file at once (110 MB per basin of 34 years at 365 days),
    without the memory check the run's own windows have."""
    from common.lazy_windows import WindowView
    from domains.environmental.domain import new_inputs

    write_basin(tmp_path / "alpha.csv")
    cfg = config([tmp_path / "alpha.csv"])
    prep = prepare(cfg)
    new = new_inputs(prep, cfg, validate_options(DOMAIN.options, cfg.data, DOMAIN.name), [str(tmp_path / "alpha.csv")])
    assert isinstance(new.X, WindowView) and len(new.X) == 2557 - 29 == len(new.keys["date"])
    assert new.X.nbytes < new.X.full_nbytes / 10
    np.testing.assert_array_equal(new.X[-1], prep.X_test[-1])  # 2006-12-31: the last test day


def test_basin_files_take_glob_patterns_and_a_pattern_matching_nothing_is_named(tmp_path):
    """A user with the 531 basins of CAMELS as CSV files had to list every file: `data.basin_files = ["b/*.csv"]`
    stopped with "b/*.csv: file not found"."""
    from common.download import user_files

    write_basin(tmp_path / "beta.csv", seed=1)
    write_basin(tmp_path / "alpha.csv")
    prep = prepare(config([tmp_path / "*.csv"]))
    assert prep.split["train_basins"] == ["alpha", "beta"]  # sorted, as the pattern matched them
    recorded = user_files({"basin_files": [str(tmp_path / "*.csv")]})  # data_files.json: each file with its sha256
    assert [Path(r["file"]).name for r in recorded] == ["alpha.csv", "beta.csv"] and all("sha256" in r for r in recorded)
    with pytest.raises(DataError, match=r"data.basin_files .*nope\*.csv: no file matches this pattern"):
        prepare(config([tmp_path / "nope*.csv"]))

"""Environmental domain: CAMELS readers on generated files, the streamflow protocol, hydrology metrics."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from common.domain import DataError
from common.metrics import METRICS
from domains.environmental import camels
from domains.environmental.streamflow import NSE_EPS, PERIODS

AREA = camels.CFS_TO_M3S * 86400 * 1000  # with this area, 1 ft^3/s is exactly 1 mm/day
HEADER = "Year Mnth Day Hr\tDayl(s)\tPRCP(mm/day)\tSRAD(W/m2)\tSWE(mm)\tTmax(C)\tTmin(C)\tVp(Pa)"


def write_forcing(path: Path, dates, values, area=AREA, header=HEADER, sep="\t"):
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["  44.82", " 133.00", f" {area}", header]
    for d, v in zip(dates, values):
        lines.append(f"{d.year} {d.month:02d} {d.day:02d} 12" + sep + sep.join(f"{x:.2f}" for x in v))
    path.write_text("\n".join(lines) + "\n")


def write_flow(path: Path, gauge, dates, q):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{gauge} {d.year} {d.month:02d} {d.day:02d} {x:9.2f} A\n" for d, x in zip(dates, q)))


def make_camels(root: Path, basins=("01000001", "02000002"), start="1993-10-01", end="2013-09-30", missing=()):
    """A CAMELS tree: flow = the 7-day mean of precipitation (plus a basin offset), 7 forcing columns."""
    dates = pd.date_range(start, end, freq="D")
    rng = np.random.default_rng(0)
    for k, g in enumerate(basins):
        prcp = rng.gamma(0.5, 4.0, len(dates))
        doy = dates.day_of_year.to_numpy()
        tmax = 10 + 10 * np.sin(2 * np.pi * doy / 365.25)
        forcing = np.c_[40000 + 5000 * np.sin(2 * np.pi * doy / 365.25), prcp, 200 + tmax, np.zeros(len(dates)),
                        tmax, tmax - 8, 800 + 10 * tmax]
        write_forcing(root / "basin_mean_forcing" / "nldas" / f"{k + 1:02d}" / f"{g}_lump_nldas_forcing_leap.txt",
                      dates, forcing)
        q = np.convolve(prcp, np.ones(7) / 7, "full")[: len(dates)] + k
        for d in missing:
            q[dates.get_loc(pd.Timestamp(d))] = -999.0
        write_flow(root / "usgs_streamflow" / f"{k + 1:02d}" / f"{g}_streamflow_qc.txt", g, dates, q)
    attrs = root / "camels_attributes_v2.0"
    attrs.mkdir(parents=True, exist_ok=True)
    for j, part in enumerate(camels.ATTRIBUTE_FILES):
        cols = camels.KRATZERT_ATTRIBUTES[j::len(camels.ATTRIBUTE_FILES)]
        frame = pd.DataFrame({"gauge_id": list(basins), **{c: np.arange(len(basins)) * 2.0 + i for i, c in enumerate(cols)}})
        frame.to_csv(attrs / f"camels_{part}.txt", sep=";", index=False)
    pd.DataFrame({"gauge_id": list(basins), "q_mean": [1.0] * len(basins)}).to_csv(attrs / "camels_hydro.txt", sep=";", index=False)
    return dates


# --- readers ------------------------------------------------------------------------------------


def test_forcing_reader_handles_the_product_spellings(tmp_path):
    dates = pd.date_range("2000-01-01", periods=4)
    vals = np.arange(28.0).reshape(4, 7)
    write_forcing(tmp_path / "a.txt", dates, vals)
    lower = "Year Mnth Day Hr dayl(s) prcp(mm/day) srad(W/m2) swe(mm) tmax(C) tmin(C) vp(Pa)"
    write_forcing(tmp_path / "b.txt", dates, vals, header=lower, sep=" ")
    (tmp_path / "c.txt").write_text("\ufeff" + (tmp_path / "a.txt").read_text())  # a byte order mark is not data
    for name in ("a.txt", "b.txt", "c.txt"):
        frame, header = camels.read_forcing(tmp_path / name)
        assert list(frame.columns) == list(camels.FORCING_COLUMNS)
        np.testing.assert_allclose(frame.to_numpy(), vals)
        assert frame.index[0] == pd.Timestamp("2000-01-01") and header["area_m2"] == pytest.approx(AREA)


@pytest.mark.parametrize("mutate, message", [
    (lambda t: t.replace(" 133.00", " high"), "line 2 should hold the elevation"),
    (lambda t: t.replace("PRCP(mm/day)", "RAIN(mm/day)"), "line 4 has columns"),
    (lambda t: t.replace("2000 01 02 12\t7.00", "2000 01 02 12\tabc"), "line 6 has a value that is not a number"),
    (lambda t: t.replace("2000 01 02 12\t7.00", "2000 01 02 12\tinf"), "line 6 has a value that is not a number"),
    (lambda t: "\n".join(ln for ln in t.splitlines() if not ln.startswith("2000 01 03")), "1 day missing"),
    (lambda t: t.replace("2000 01 02 12", "2000 02 30 12"), "impossible date"),
    (lambda t: t.splitlines()[0], r"1 line; a forcing file has"),
    # before: a missing-value code in a forcing column was read as a value and fed to the model
    (lambda t: t.replace("2000 01 02 12\t7.00\t8.00", "2000 01 02 12\t7.00\t-999.00"),
     r"line 6: prcp = -999.0 is negative \(a missing-value code\?\); day length, precipitation, radiation, snow water "
     r"equivalent and vapour pressure cannot be negative, and a forcing series must be complete"),
    (lambda t: t.replace("\t11.00\t12.00\t13.00", "\t11.00\t-999.00\t13.00"),
     r"line 6: tmin = -999.0 is below -100 C \(a missing-value code\?\)"),
])
def test_forcing_reader_errors_name_the_file_and_problem(tmp_path, mutate, message):
    write_forcing(tmp_path / "f.txt", pd.date_range("2000-01-01", periods=4), np.arange(28.0).reshape(4, 7))
    path = tmp_path / "f.txt"
    path.write_text(mutate(path.read_text()))
    with pytest.raises(DataError, match=message) as err:
        camels.read_forcing(path)
    assert str(path) in str(err.value)


def test_streamflow_in_mm_per_day_and_missing_as_nan(tmp_path):
    dates = pd.date_range("2000-01-01", periods=4)
    write_flow(tmp_path / "q.txt", "01000001", dates, [10.0, -999.0, 2.5, -1.0])
    q = camels.read_streamflow(tmp_path / "q.txt", AREA, "01000001")
    np.testing.assert_allclose(q.to_numpy(), [10.0, np.nan, 2.5, np.nan])
    # a real area: 100 cfs over 587675987 m^2 (basin 01022500)
    q2 = camels.read_streamflow(tmp_path / "q.txt", 587675987.0)
    assert q2.iloc[0] == pytest.approx(10 * 0.028316846592 * 86400 / 587675987.0 * 1000)
    with pytest.raises(DataError, match="in the file of gauge 09999999"):
        camels.read_streamflow(tmp_path / "q.txt", AREA, "09999999")


def test_attributes_refuse_streamflow_signatures_and_unknown_basins(tmp_path):
    make_camels(tmp_path, start="2000-01-01", end="2000-01-10")
    table = camels.read_attributes(tmp_path, ["02000002"])
    assert table.shape == (1, 27) and table.index.tolist() == ["02000002"]  # leading zeros kept
    with pytest.raises(DataError, match="streamflow signatures"):
        camels.read_attributes(tmp_path, ["01000001"], names=("p_mean", "q_mean"))
    with pytest.raises(DataError, match="no attributes for basin"):
        camels.read_attributes(tmp_path, ["05555555"])


def test_real_forcing_products_parse(tmp_path):
    pytest.importorskip("common.download")
    from common.download import data_available, dataset_dir

    if not data_available("camels_us_nh_testdata"):
        pytest.skip("camels_us_nh_testdata not available (set LSTM_SUITE_MIRROR)")
    root = dataset_dir("camels_us_nh_testdata") / "camels_us"
    for product in ("daymet", "maurer", "maurer_extended", "nldas"):
        b = camels.load_basin(root, "01022500", product)
        assert b.area_m2 == 587675987 and not b.frame.drop(columns="qobs").isna().any().any()


# --- the protocol -------------------------------------------------------------------------------


def _prepare(root, **data):
    from common.config import RunConfig, validate_options
    from domains.environmental.domain import DOMAIN

    cfg = RunConfig(domain="environmental", dataset="camels", data={"camels_root": str(root), "seq_length": 20, **data})
    return DOMAIN.prepare(cfg, validate_options(DOMAIN.options, cfg.data, "environmental")), cfg


def test_windows_end_on_their_target_day_and_missing_flow_is_masked(tmp_path):
    dates = make_camels(tmp_path, missing=("2000-05-05", "1995-03-03"))
    prep, _ = _prepare(tmp_path, basins=["01000001"])
    index = prep.extra["index"]
    b_train, d_train = index(prep.X_train)
    assert pd.Timestamp("2000-05-05") not in set(pd.DatetimeIndex(d_train))  # missing flow: not in the loss
    assert not np.isnan(prep.y_train).any()
    d_test = pd.DatetimeIndex(prep.extra["test_dates"])
    assert d_test.min() == pd.Timestamp(PERIODS["test"][0]) and d_test.max() == pd.Timestamp(PERIODS["test"][1])
    assert np.isnan(prep.y_test[d_test == pd.Timestamp("1995-03-03")]).all()  # kept, masked by the metrics
    assert d_train.min() >= np.datetime64(PERIODS["train"][0]) and d_train.max() <= np.datetime64(PERIODS["train"][1])
    # the last input step is the target day's forcing (scaled with the training scaler)
    frame, _ = camels.read_forcing(tmp_path / "basin_mean_forcing/nldas/01/01000001_lump_nldas_forcing_leap.txt")
    xs = prep.extra["inputs_scaler"]
    i = 100
    day = pd.Timestamp(d_train[i])
    cols = ["prcp", "srad", "tmax", "tmin", "vp", "dayl"]
    np.testing.assert_allclose(prep.X_train[i, -1], xs.transform(frame.loc[day, cols].to_numpy()[None])[0], atol=1e-5)
    np.testing.assert_allclose(prep.X_train[i, 0], xs.transform(frame.loc[day - pd.Timedelta(days=19), cols].to_numpy()[None])[0], atol=1e-5)
    # scalers: fitted on training-period rows only
    rows = frame.loc[PERIODS["train"][0]:PERIODS["train"][1], cols].to_numpy()
    np.testing.assert_allclose(xs.mean, rows.mean(axis=0))
    assert len(dates) > 0 and prep.split["kind"] == "periods"


def test_regional_statics_nse_weights_and_ungauged_mode(tmp_path):
    make_camels(tmp_path)
    prep, _ = _prepare(tmp_path, static=True, loss="nse")
    assert set(prep.X_train) == {"sequence", "static"} and prep.X_train["static"].shape[1] == 27
    w_train, _ = prep.sample_weight
    basins, _ = prep.extra["index"](prep.X_train)
    for b in np.unique(basins):
        std = np.std(prep.y_train[basins == b])
        np.testing.assert_allclose(w_train[basins == b], 1 / (std + NSE_EPS) ** 2, rtol=1e-5)
    assert prep.audit.group_overlap_train_test == 2 and not prep.audit.findings
    ung, _ = _prepare(tmp_path, static=True, ungauged_basins=["02000002"])
    train_b, _ = ung.extra["index"](ung.X_train)
    assert set(train_b) == {"01000001"} and set(ung.metric_groups) == {"02000002"}
    assert "ungauged: 1 basin never trained on" in ung.data_label
    assert prep.data_label.endswith(f"real, read from your folder {tmp_path})")  # before: no word of whose files
    assert ung.split["kind"] == "grouped" and ung.audit.group_overlap_train_test == 0
    assert prep.published_key == ("camels_regional", "") and ung.published_key == ("", "")  # gauged rows only
    # the static scaler saw the training basins only
    assert ung.scaler_fit_rows["static"].shape[0] == 1
    with pytest.raises(DataError, match="not among the loaded basins"):
        _prepare(tmp_path, ungauged_basins=["07777777"])


def test_regional_windows_stream_beside_their_static_attributes(tmp_path):
    from common.lazy_windows import WindowView

    make_camels(tmp_path)
    arrays, _ = _prepare(tmp_path, static=True, loss="nse", windows="arrays")
    stream, _ = _prepare(tmp_path, static=True, loss="nse", windows="stream")
    assert isinstance(stream.X_train["sequence"], WindowView)
    for split in ("train", "val", "test"):
        got, want = getattr(stream, f"X_{split}"), getattr(arrays, f"X_{split}")
        np.testing.assert_array_equal(np.asarray(got["sequence"]), want["sequence"])
        np.testing.assert_array_equal(got["static"], want["static"])
    np.testing.assert_array_equal(stream.sample_weight[0], arrays.sample_weight[0])
    # the basins' daily rows are held once: far less than the windows of 20 days
    assert stream.X_train["sequence"].nbytes < arrays.X_train["sequence"].nbytes / 5
    for a, b in zip(stream.extra["index"](stream.X_test), arrays.extra["index"](arrays.X_test)):
        np.testing.assert_array_equal(a, b)  # the climatology still finds each sample's basin and day


def test_unknown_forcing_input_and_missing_folder_are_clear(tmp_path):
    make_camels(tmp_path, start="2000-01-01", end="2000-03-01")
    with pytest.raises(DataError, match="forcing columns are"):
        _prepare(tmp_path, inputs=["prcp", "rain"])
    with pytest.raises(DataError, match=r"data.camels_root .*nope: no such folder"):
        _prepare(tmp_path / "nope")
    with pytest.raises(DataError, match="no validation samples .*no validation days in the record"):
        _prepare(tmp_path, basins=["01000001"])


def test_climatology_and_forcing_baselines_fit_and_score(tmp_path):
    from common.config import TrainSpec
    from common.experiment import score
    from domains.environmental.domain import DOMAIN

    make_camels(tmp_path)
    prep, cfg = _prepare(tmp_path, basins=["01000001"])
    cfg = cfg.__class__(**{**cfg.__dict__, "training": TrainSpec(seed=0)})
    scores = {name: score(prep, m.fit(prep.X_train, prep.y_train).predict(prep.X_test))
              for name, m in DOMAIN.baselines(prep, cfg).items()}
    # flow is the 7-day mean of precipitation, one of the ridge features; climatology cannot
    assert scores["ridge on forcing sums"]["nse"] > 0.9
    assert scores["day-of-year climatology"]["nse"] < 0.3
    clim = DOMAIN.baselines(prep, cfg)["day-of-year climatology"].fit(prep.X_train, prep.y_train)
    with pytest.raises(ValueError, match="not one of the prepared splits"):
        clim.predict(prep.X_test.copy())


@pytest.mark.slow
def test_end_to_end_run_writes_per_basin_table_and_hydrographs(tmp_path):
    from common.config import ModelSpec, RunConfig, TrainSpec
    from common.experiment import run_experiment
    from domains.environmental.domain import DOMAIN

    make_camels(tmp_path / "camels")
    cfg = RunConfig(domain="environmental", dataset="camels", out=str(tmp_path / "runs"),
                    model=ModelSpec(units=(4,), static_join="step"), training=TrainSpec(epochs=1, batch_size=512),
                    data={"camels_root": str(tmp_path / "camels"), "seq_length": 10, "static": True, "loss": "nse",
                          "val_stride": 5})
    res = run_experiment(cfg, DOMAIN, run_name="t", log=lambda s: None)
    table = pd.read_csv(res.run_dir / "per_basin.csv", dtype={"basin": str})
    assert set(table["basin"]) == {"01000001", "02000002", "median"}
    assert (res.run_dir / "hydrographs.png").stat().st_size > 0
    ridge = table[(table["model"] == "ridge on forcing sums") & (table["basin"] != "median")]["nse"]
    assert res.baselines["ridge on forcing sums"]["nse"] == pytest.approx(np.median(ridge))


def test_hydrographs_of_many_basins_show_a_stated_selection_instead_of_a_panel_per_basin(tmp_path):
    """Before: one panel per basin, 2.4 inches each: these 320 basins gave a 990 x 69120 pixel image (36 s), CAMELS'
    531 about 115,000 pixels high, which no viewer shows usefully."""
    from domains.environmental.plots import HYDROGRAPH_PANELS, hydrograph_basins, hydrographs
    from domains.environmental.streamflow import BasinSeries, prepare_streamflow

    dates = pd.date_range("2000-01-01", periods=90, freq="D")
    rng = np.random.default_rng(0)
    series = [BasinSeries(f"{k:08d}", dates, rng.gamma(1.0, size=(90, 2)), rng.gamma(2.0, size=90) + k % 7)
              for k in range(320)]
    periods = {"train": ("2000-01-03", "2000-01-31"), "val": ("2000-02-01", "2000-02-29"),
               "test": ("2000-03-01", "2000-03-30")}
    prep = prepare_streamflow(series, seq_length=3, periods=periods, windows="arrays")
    y = np.asarray(prep.y_test)
    spread = np.linspace(0.0, 2.0, 320)  # basin k's LSTM error grows with k: the first exact, the last far off
    spread[-1] = 10.0
    noise = np.repeat(spread, 30)[:, None]
    predictions = {"lstm_seed0": y + noise * rng.normal(size=y.shape), "climatology": np.zeros_like(y)}
    chosen, caption = hydrograph_basins(prep, predictions["lstm_seed0"])
    assert len(chosen) == HYDROGRAPH_PANELS == 12 and chosen[0] == "00000000" and chosen[-1] == "00000319"
    assert caption == ("12 of 320 basins, at evenly spaced ranks of the LSTM's NSE (best first); every basin's "
                       "metrics are in per_basin.csv")
    path = hydrographs(prep, predictions, tmp_path)
    from PIL import Image

    assert Image.open(path).size[1] < 12 * 2.4 * 90 + 200  # 12 panels of 2.4 inches at 90 dpi, and the caption
    few = prepare_streamflow(series[:3], seq_length=3, periods=periods, windows="arrays")
    assert hydrograph_basins(few, np.asarray(few.y_test)) == (["00000000", "00000001", "00000002"], "")


# --- metrics ------------------------------------------------------------------------------------


def test_flow_duration_metrics_on_hand_values():
    obs = np.arange(1.0, 101.0)  # top 2%: 100, 99; bottom 30%: 1..30
    sim = obs * 1.1
    assert METRICS["fhv"](obs, sim) == pytest.approx(100 * (0.1 * 199) / 199)
    assert METRICS["fhv"](obs, obs) == 0
    # a constant multiple leaves log-differences to the minimum unchanged: FLV 0
    assert METRICS["flv"](obs, sim) == pytest.approx(0.0, abs=1e-9)
    low = obs.copy()
    low[obs <= 30] = 1.0  # simulated low flows flat at the minimum: FLV = -100 * (0 - qol) / qol = 100
    assert METRICS["flv"](obs, low) == pytest.approx(100.0)


def test_peak_timing_counts_the_offset_of_each_observed_peak():
    t = np.zeros(400)
    t[[50, 200, 350]] = [10.0, 8.0, 9.0]
    sim = np.zeros(400)
    sim[[52, 200, 349]] = [5.0, 5.0, 5.0]
    assert METRICS["peak_timing"](t, sim) == pytest.approx((2 + 0 + 1) / 3)
    assert np.isnan(METRICS["peak_timing"](np.ones(50), np.ones(50)))


@pytest.mark.realdata
def test_sacsma_reference_reproduces_its_published_nse():
    from common.download import data_available

    if not data_available("camels_us_sacsma_13331500"):
        pytest.skip("camels_us_sacsma_13331500 not available (set LSTM_SUITE_MIRROR)")
    from common.config import RunConfig, validate_options
    from common.experiment import score
    from domains.environmental.domain import DOMAIN

    cfg = RunConfig(domain="environmental", dataset="camels_sacsma")
    prep = DOMAIN.prepare(cfg, validate_options(DOMAIN.options, cfg.data, "environmental"))
    sac = DOMAIN.baselines(prep, cfg)["SAC-SMA (CAMELS benchmark run)"]
    s = score(prep, sac.fit(prep.X_train, prep.y_train).predict(prep.X_test))
    assert s["nse"] == pytest.approx(0.808, abs=5e-4) and s["kge"] == pytest.approx(0.796, abs=5e-4)  # SOURCE.md
    dates = pd.DatetimeIndex(prep.extra["test_dates"])
    assert dates.min() == pd.Timestamp("1989-10-01") and dates.max() == pd.Timestamp("1999-09-30")


# --- Beijing PM2.5 ------------------------------------------------------------------------------

AIR_PERIODS = {"train": ("2013-03-01", "2013-03-30 23:00"), "val": ("2013-03-31", "2013-04-14 23:00"),
               "test": ("2013-04-15", "2013-04-29 23:00")}


def write_station(path: Path, station="Alpha", hours=60 * 24, pm_missing=(), drop_hours=(), seed=0):
    """A file in the UCI multi-site layout; PM2.5 follows a daily cycle plus noise."""
    rng = np.random.default_rng(seed)
    t = pd.date_range("2013-03-01", periods=hours, freq="h")
    pm = 80 + 40 * np.sin(2 * np.pi * t.hour / 24) + rng.normal(0, 5, hours)
    frame = pd.DataFrame({"No": np.arange(1, hours + 1), "year": t.year, "month": t.month, "day": t.day, "hour": t.hour,
                          "PM2.5": pm.round(1), **{c: rng.normal(10, 2, hours).round(2) for c in
                                                   ("PM10", "SO2", "NO2", "CO", "O3", "TEMP", "PRES", "DEWP", "RAIN", "WSPM")},
                          "wd": rng.choice(["N", "NE", "SW"], hours), "station": station})
    frame["PM2.5"] = frame["PM2.5"].astype(object)
    for i in pm_missing:
        frame.loc[i, "PM2.5"] = "NA"
    frame = frame.drop(index=list(drop_hours))
    frame.to_csv(path, index=False)
    return frame


def test_station_reader_keeps_missing_hours_and_values_visible(tmp_path):
    from domains.environmental.airquality import read_station

    write_station(tmp_path / "a.csv", pm_missing=(5,), drop_hours=(10, 11))
    st = read_station(tmp_path / "a.csv")
    assert st.kind == "multi-site" and st.name == "Alpha" and len(st.frame) == 60 * 24
    assert st.frame["PM2.5"].isna().sum() == 3  # one NA + two missing hours, none filled
    assert any("2 missing hours added" in n for n in st.notes)
    write_station(tmp_path / "b.csv", drop_hours=(10,))
    assert any("1 missing hour added" in n for n in read_station(tmp_path / "b.csv").notes)
    frame = pd.read_csv(tmp_path / "a.csv", keep_default_na=False, dtype=str)
    frame.loc[7, "SO2"] = ""  # an empty cell, as pandas and spreadsheets write a missing value
    frame.to_csv(tmp_path / "empty_cell.csv", index=False)
    st = read_station(tmp_path / "empty_cell.csv")
    assert np.isnan(st.frame["SO2"].iloc[7]) and st.frame["SO2"].isna().sum() == 3  # + the two missing hours


@pytest.mark.parametrize("edit, message", [
    (lambda f: f.assign(wd=f["wd"].where(f.index != 3, "XYZ")), "unknown directions"),
    (lambda f: f.drop(columns=["PM10"]), "match neither UCI Beijing format"),
    (lambda f: pd.concat([f, f.iloc[[7]]]), "appears more than once"),
    (lambda f: f.assign(TEMP=f["TEMP"].astype(object).where(f.index != 4, "warm")), "column 'TEMP', data row 5"),
    (lambda f: f.assign(TEMP=f["TEMP"].where(f.index != 6, np.inf)), "column 'TEMP', data row 7: .* not a finite"),
    (lambda f: f.assign(SO2=f["SO2"].where(f.index != 8, -2.0)), "column 'SO2', data row 9: -2.0 is negative"),
    (lambda f: f.assign(hour=f["hour"].where(f.index != 10, 24)), "data row 11: hour 24 outside 0..23"),
    # before: a missing-value code in a temperature or pressure column was read as weather
    (lambda f: f.assign(TEMP=f["TEMP"].where(f.index != 12, -999.0)),
     r"column 'TEMP', data row 13: -999.0 is below -100 C \(a missing-value code\?\)"),
    (lambda f: f.assign(PRES=f["PRES"].where(f.index != 14, -999.0)),
     r"column 'PRES', data row 15: -999.0 is below 1 hPa \(a missing-value code\?\)"),
    (lambda f: f.assign(station=f["station"].where(f.index < 20, "Beta")), "rows of 2 stations"),
])
def test_station_reader_errors(tmp_path, edit, message):
    from domains.environmental.airquality import read_station

    frame = write_station(tmp_path / "a.csv", hours=48)
    edit(frame).to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(DataError, match=message) as err:
        read_station(tmp_path / "b.csv")
    assert "b.csv" in str(err.value)


def _air(tmp_path, **kw):
    from domains.environmental.airquality import prepare_air, read_station

    write_station(tmp_path / "a.csv", "Alpha", pm_missing=(800, 1200))
    write_station(tmp_path / "b.csv", "Beta", seed=1)
    stations = [read_station(tmp_path / "a.csv"), read_station(tmp_path / "b.csv")]
    return prepare_air(stations, lookback=30, periods=AIR_PERIODS, label="test", **kw), stations


def test_air_windows_targets_and_masking(tmp_path):
    prep, stations = _air(tmp_path)
    names, origins = prep.extra["index"](prep.X_test)
    alpha = stations[0].frame["PM2.5"]
    scale = prep.to_report_units
    for i in (0, 100, len(names) - 1):
        s = stations[[st.name for st in stations].index(names[i])].frame["PM2.5"]
        for k, h in enumerate((1, 6, 24)):
            want = s.loc[pd.Timestamp(origins[i]) + pd.Timedelta(hours=h)]
            got = scale(prep.y_test[i, k, 0])
            assert (np.isnan(want) and np.isnan(got)) or got == pytest.approx(want, abs=1e-3)
    # the missing hour 1200 of Alpha (2013-04-20 00:00) stays a NaN target at every horizon that reaches it
    t = alpha.index[1200]
    rows = (names == "Alpha") & (pd.DatetimeIndex(origins) == t - pd.Timedelta(hours=6))
    assert np.isnan(prep.y_test[rows, 1, 0]).all()
    # every window's origin and last target lie inside its period
    for split, X in (("train", prep.X_train), ("test", prep.X_test)):
        _, o = prep.extra["index"](X)
        a, b = (pd.Timestamp(v) for v in AIR_PERIODS[split])
        o = pd.DatetimeIndex(o)
        assert o.min() >= a and (o + pd.Timedelta(hours=24)).max() <= b
    assert not np.isnan(prep.X_test).any()  # inputs carried forward, with the missing flag
    flag = prep.extra["features"].index("PM2.5 missing")
    assert prep.X_test[:, :, flag].max() > prep.X_test[:, :, flag].min()


def test_air_baselines_and_per_horizon_metrics(tmp_path):
    from common.experiment import score
    from domains.environmental.air_baselines import OneStepARIMA, SameHourYesterday

    prep, stations = _air(tmp_path)
    shy = SameHourYesterday().fit(prep.X_train, prep.y_train).predict(prep.X_test)
    names, origins = prep.extra["index"](prep.X_test)
    s = stations[0].frame["PM2.5"].ffill()
    i = int(np.flatnonzero(names == "Alpha")[5])
    assert prep.to_report_units(shy[i, 2, 0]) == pytest.approx(s.loc[pd.Timestamp(origins[i])], abs=1e-3)
    scores = score(prep, shy)
    assert set(scores) == set(prep.metrics) and scores["rmse@h1"] > 0
    # a perfect forecast at one horizon only is scored as perfect at that horizon only
    perfect = np.where(np.isnan(prep.y_test), 0.0, prep.y_test)
    perfect[:, 2] = 0.0
    s2 = score(prep, perfect)
    assert s2["rmse@h1"] == pytest.approx(0, abs=1e-6) and s2["rmse@h24"] > 1
    arima = OneStepARIMA(prep.extra["index"], stations, prep.extra["scaler"], AIR_PERIODS["train"])
    pred = arima.fit(prep.X_train, prep.y_train).predict(prep.X_test)
    assert np.isfinite(pred[:, 0]).all() and np.isnan(pred[:, 1:]).all()


def test_a_split_without_any_observed_pm25_is_a_data_error(tmp_path):
    """Before: a station file whose PM2.5 column is all NA trained on nothing, then Ridge raised 'Found array with
    0 sample(s)'."""
    from domains.environmental.airquality import prepare_air, read_station

    write_station(tmp_path / "a.csv", "Alpha", pm_missing=range(60 * 24))
    with pytest.raises(DataError, match=r"test: no observed PM2.5 in the training hours \('2013-03-01'"):
        prepare_air([read_station(tmp_path / "a.csv")], lookback=30, periods=AIR_PERIODS, label="test")
    write_station(tmp_path / "b.csv", "Beta", pm_missing=range(45 * 24, 60 * 24))  # none from 2013-04-15 on
    with pytest.raises(DataError, match=r"test: no observed PM2.5 target in the test windows \('2013-04-15'"):
        prepare_air([read_station(tmp_path / "b.csv")], lookback=30, periods=AIR_PERIODS, label="test")


def test_a_value_too_large_to_scale_names_the_station_column(tmp_path):
    """Before: the scaler took the overflowing variance as 'constant' (scale 1), and the loss went NaN."""
    from domains.environmental.airquality import prepare_air, read_station

    frame = write_station(tmp_path / "a.csv", "Alpha")
    frame.loc[3, "TEMP"] = 1e300
    frame.to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(DataError, match=r"test: column 'TEMP' holds values too large to standardise"):
        prepare_air([read_station(tmp_path / "a.csv")], lookback=30, periods=AIR_PERIODS, label="test")


def test_station_grouped_split(tmp_path):
    prep, _ = _air(tmp_path, test_stations=("Beta",))
    assert set(prep.extra["index"](prep.X_train)[0]) == {"Alpha"}
    assert set(prep.extra["index"](prep.X_test)[0]) == {"Beta"}
    assert prep.split["kind"] == "grouped" and not prep.audit.findings


def test_station_files_of_another_period_take_data_periods(tmp_path):
    """Before: a station file in the UCI layout from other years could not be used: the release's fixed periods
    gave 'no val windows in (2015-09-01, ...)' and no option changed them."""
    from common.config import RunConfig, validate_options
    from domains.environmental.domain import DOMAIN

    write_station(tmp_path / "a.csv", "Alpha")  # 2013-03-01 .. 2013-04-29
    data = {"station_files": [str(tmp_path / "a.csv")], "lookback": 30}

    def prepare(**more):
        cfg = RunConfig(domain="environmental", dataset="beijing_multisite", data={**data, **more})
        return DOMAIN.prepare(cfg, validate_options(DOMAIN.options, cfg.data, "environmental"))

    with pytest.raises(DataError, match=r"no val windows in \('2015-09-01', '2016-02-29 23:00'\).*the files cover "
                                         r"2013-03-01 00:00 to 2013-04-29 23:00; set data.periods"):
        prepare()
    prep = prepare(periods=[a for pair in AIR_PERIODS.values() for a in pair])
    assert prep.split["periods"] == AIR_PERIODS
    times = prep.extra["test_times"]
    assert times.min() >= np.datetime64("2013-04-15") and times.max() <= np.datetime64("2013-04-29T23:00")
    for bad, message in ((["2013-03-01", "2013-03-30"], "six dates"),
                         (["2013-03-01", "2013-03-30 23:00", "2013-03-25", "2013-04-14 23:00", "2013-04-15",
                           "2013-04-29 23:00"], "in increasing order"),
                         (["2013-03-01", "2013-03-30 23:00", "2013-03-31", "2013-04-14 23:00", "mid-April",
                           "2013-04-29 23:00"], "'mid-April' is not a date")):
        with pytest.raises(DataError, match=f"data.periods.*{message}"):
            prepare(periods=bad)


def test_a_gauge_id_that_lost_its_leading_zero_is_named_with_the_8_digit_id(tmp_path):
    """Before: "no nldas forcing file matching '1000001_lump_*_forcing_leap.txt'", with no word on the lost
    zero (a spreadsheet or a TOML number drops it; USGS gauge ids in CAMELS have 8 digits)."""
    make_camels(tmp_path)
    with pytest.raises(DataError, match=r"no nldas forcing file matching '1000001_lump_\*_forcing_leap.txt'.*"
                                        r"'1000001' has 7 digits: CAMELS gauge ids have 8 \(did you mean '01000001'\?"):
        _prepare(tmp_path, basins=["1000001"])


def test_a_forcing_product_the_folder_lacks_names_the_products_it_has(tmp_path):
    """Before: "no daymet forcing file matching '01000001_lump_*_forcing_leap.txt' (CAMELS layout expected)" for a
    folder (such as the registered 14-basin sample) that holds NLDAS forcing only."""
    make_camels(tmp_path)
    with pytest.raises(DataError, match=r"basin_mean_forcing/daymet: no such folder; this CAMELS folder has the "
                                        r"forcing products \['nldas'\] \(data.forcing\)"):
        _prepare(tmp_path, forcing="daymet")


def test_changing_test_period_values_leaves_the_scalers_unchanged(tmp_path):
    make_camels(tmp_path)
    before, _ = _prepare(tmp_path, static=True)
    for path in (tmp_path / "basin_mean_forcing").rglob("*.txt"):  # double every forcing value of 1994-1999
        lines = path.read_text().splitlines()
        out = lines[:4]
        for ln in lines[4:]:
            f = ln.split()
            if 1994 <= int(f[0]) <= 1998:
                f[4:] = [f"{2 * float(v):.2f}" for v in f[4:]]
            out.append(" ".join(f))
        path.write_text("\n".join(out) + "\n")
    after, _ = _prepare(tmp_path, static=True)
    assert before.scalers == after.scalers
    assert not np.allclose(before.X_test["sequence"], after.X_test["sequence"])
    p = before.split["periods"]
    assert p["test"][1] < p["train"][0] and p["train"][1] < p["val"][0]  # never overlapping

    from domains.environmental.airquality import prepare_air, read_station

    write_station(tmp_path / "a.csv")
    st = read_station(tmp_path / "a.csv")
    first = prepare_air([st], lookback=30, periods=AIR_PERIODS, label="t")
    st.frame.loc[AIR_PERIODS["test"][0]:, ["PM2.5", "TEMP"]] *= 3
    second = prepare_air([st], lookback=30, periods=AIR_PERIODS, label="t")
    assert first.scalers == second.scalers and not np.allclose(first.y_test, second.y_test, equal_nan=True)


@pytest.mark.realdata
@pytest.mark.slow
@pytest.mark.parametrize("dataset, data", [
    ("camels", {"basins": ["01022500"], "seq_length": 30, "val_stride": 5}),
    ("beijing_pm25", {"lookback": 24}),
])
def test_real_basin_and_station_train_briefly_to_a_complete_table(tmp_path, dataset, data):
    from common.config import ModelSpec, RunConfig, TrainSpec
    from common.download import data_available
    from common.experiment import run_experiment
    from domains.environmental.domain import DOMAIN

    needed = {"camels": "camels_us_sample_nldas", "beijing_pm25": "beijing_pm25_uci"}[dataset]
    if not data_available(needed):
        pytest.skip(f"{needed} not available (set LSTM_SUITE_MIRROR)")
    head = "forecast" if dataset.startswith("beijing") else "regression"
    cfg = RunConfig(domain="environmental", dataset=dataset, out=str(tmp_path), data=data,
                    model=ModelSpec(units=(8,), head=head), training=TrainSpec(epochs=1, batch_size=512))
    res = run_experiment(cfg, DOMAIN, run_name="real", log=lambda s: None)
    assert all(np.isfinite(v["mean"]) for v in res.lstm.values())
    for name, scores in res.baselines.items():
        finite = {m: v for m, v in scores.items() if np.isfinite(v)}
        assert finite, name
        if not name.startswith("ARIMA"):  # ARIMA forecasts the 1-hour horizon only
            assert len(finite) == len(scores), name
    assert (res.run_dir / "comparison.md").read_text().count("|") > 20


def test_held_out_entities_are_checked_by_name():
    from domains.environmental.streamflow import hold_out

    assert hold_out(["a", "b", "c"], ("b",), "data.x", "basins") == ["a", "c"]
    with pytest.raises(DataError, match="data.x .'z'. are not among the loaded basins"):
        hold_out(["a"], ("z",), "data.x", "basins")
    with pytest.raises(DataError, match="holds out every one of the stations"):
        hold_out(["a"], ("a",), "data.test_stations", "stations")


@pytest.mark.parametrize("profile", ["quick", "full"])
def test_each_dataset_starts_from_its_own_model(profile):
    """`lstm-suite train environmental --dataset camels` used to take the quick profile's CO2 forecaster and stop
    with 'model.instance_norm: needs a forecast or quantile head'; `--dataset beijing_pm25 --profile full` took the
    streamflow model unless four --set flags were given. Each dataset now starts from its own settings."""
    import argparse

    from common.cli import _config
    from domains.environmental.domain import DATASETS, DOMAIN

    heads = {"camels": "regression", "camels_sacsma": "regression", "beijing_pm25": "forecast",
             "beijing_multisite": "forecast", "co2": "forecast", "streamflow_csv": "regression"}
    assert set(heads) == set(DATASETS)
    for ds, head in heads.items():
        args = argparse.Namespace(set=[], seeds=None, epochs=None, out=None, dataset=ds, config=None, profile=profile)
        cfg = _config(args, DOMAIN)
        assert (cfg.dataset, cfg.profile, cfg.model.head) == (ds, profile, head)
        if head == "forecast" and ds != "co2":  # the PM2.5 benchmark's model (benchmarks/environmental.py)
            assert (cfg.model.instance_norm, cfg.model.reference_input, cfg.model.ema) == ("last", True, 0.99)
            assert cfg.training.seeds == (1 if profile == "quick" else 5)


def test_co2_lookback_below_two_is_a_data_error_not_a_statsmodels_traceback():
    """Before: data.lookback = 1 reached statsmodels' ETS ('index 1 is out of bounds for axis 0 with size 1')."""
    from common.config import RunConfig, validate_options
    from domains.environmental.domain import DOMAIN

    cfg = RunConfig(domain="environmental", dataset="co2", data={"lookback": 1, "horizon": 4})
    with pytest.raises(DataError, match=r"data.lookback must be >= 2"):
        DOMAIN.prepare(cfg, validate_options(DOMAIN.options, cfg.data, "environmental"))


def test_a_sequence_longer_than_the_record_names_the_setting(tmp_path):
    """Before: data.seq_length = 100000 said 'no training days with observed flow', as if the flow were missing."""
    make_camels(tmp_path)
    with pytest.raises(DataError, match=r"data.seq_length 100000 days is longer than the forcing record of every "
                                        r"basin \(the longest: \d+ days\)"):
        _prepare(tmp_path, basins=["01000001"], seq_length=100000)


def test_camels_periods_can_be_set_and_must_not_overlap(tmp_path):
    """Before: the CAMELS periods were fixed (train 1999-10..2008-09, validation 2008-10..2013-09, test 1989-10 or
    1994-10..1999-09): a record of other years, such as a regional set ending in 2008, could not be used at all."""
    make_camels(tmp_path, start="1985-10-01", end="2005-09-30")
    periods = ["1990-10-01", "1999-09-30", "1999-10-01", "2002-09-30", "2002-10-01", "2005-09-30"]
    prep, _ = _prepare(tmp_path, basins=["01000001"], periods=periods)
    _, d_train = prep.extra["index"](prep.X_train)
    d_test = pd.DatetimeIndex(prep.extra["test_dates"])
    assert pd.Timestamp(d_train.min()) == pd.Timestamp("1990-10-01")
    assert pd.Timestamp(d_train.max()) == pd.Timestamp("1999-09-30")
    assert d_test.min() == pd.Timestamp("2002-10-01") and d_test.max() == pd.Timestamp("2005-09-30")
    assert "periods" in prep.data_label and prep.split["periods"]["train"] == ("1990-10-01", "1999-09-30")
    # any order (the CAMELS protocol tests on years before training), but never overlapping
    before = ["1995-10-01", "2005-09-30", "1992-10-01", "1995-09-30", "1986-10-01", "1992-09-30"]
    prep, _ = _prepare(tmp_path, basins=["01000001"], periods=before)
    assert pd.DatetimeIndex(prep.extra["test_dates"]).max() == pd.Timestamp("1992-09-30")
    overlap = ["1990-10-01", "2000-09-30", "1999-10-01", "2002-09-30", "2002-10-01", "2005-09-30"]
    with pytest.raises(DataError, match=r"data.periods: train \(1990-10-01..2000-09-30\) and validation "
                                        r"\(1999-10-01..2002-09-30\) overlap"):
        _prepare(tmp_path, basins=["01000001"], periods=overlap)
    with pytest.raises(DataError, match=r"data.test_period = 'long' picks one of the release's test periods; "
                                        r"with data.periods the test period is its last two dates"):
        _prepare(tmp_path, basins=["01000001"], periods=periods, test_period="long")


def test_streamflow_and_pm25_name_every_input_feature(tmp_path):
    """predict's note on inputs beyond the training range names features: each name must match its input column."""
    make_camels(tmp_path / "camels")
    plain, _ = _prepare(tmp_path / "camels")
    assert len(plain.feature_names) == plain.X_train.shape[-1] and plain.feature_names[0] == "prcp"
    regional, _ = _prepare(tmp_path / "camels", static=True)
    for key in ("sequence", "static"):
        assert len(regional.feature_names[key]) == regional.X_train[key].shape[-1]
    assert "area_gages2" in regional.feature_names["static"]
    (tmp_path / "air").mkdir()
    air, _ = _air(tmp_path / "air")
    assert len(air.feature_names) == air.X_train.shape[-1] and air.feature_names[0] == "PM2.5"


def test_no_observed_flow_in_any_test_basin_is_a_data_error(tmp_path):
    """Before: the run trained, then scored every model NaN, and numpy warned 'All-NaN slice encountered'."""
    make_camels(tmp_path, missing=pd.date_range("1994-10-01", "1999-09-30"))  # the test period of this record
    with pytest.raises(DataError, match=r"no test basin has observed flow in its test period.*01000001: "
                                        r"1994-10-01\.\.1999-09-30"):
        _prepare(tmp_path)
    dates = make_camels(tmp_path / "one")  # one basin without test flow beside a scored one: a note, as before
    q = np.where((dates >= "1994-10-01") & (dates <= "1999-09-30"), -999.0, 1.0)
    write_flow(tmp_path / "one" / "usgs_streamflow" / "01" / "01000001_streamflow_qc.txt", "01000001", dates, q)
    prep, _ = _prepare(tmp_path / "one")
    assert "01000001: no observed flow in the test period: not scored" in prep.audit.notes

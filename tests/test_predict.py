"""``lstm-suite predict RUN_DIR FILE...``: a finished run's saved models applied to new inputs, with the run's own
input rules (length, cropping, padding) and every seed's prediction beside their mean."""
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from common.config import ConfigError, ModelSpec, RunConfig, TrainSpec
from common.domain import DataError

pytestmark = pytest.mark.slow

BASES = np.array(list("ACGT"))


def _seqs(rng, n: int, length: int, motif: str = "") -> list[str]:
    out = []
    for _ in range(n):
        s = "".join(rng.choice(BASES, length))
        if motif:
            at = int(rng.integers(0, length - len(motif)))
            s = s[:at] + motif + s[at + len(motif):]
        out.append(s)
    return out


def _fasta(path, seqs, prefix):
    path.write_text("".join(f">{prefix}{i} some header\n{s}\n" for i, s in enumerate(seqs)))
    return path


@pytest.fixture(scope="module")
def genomics_run(tmp_path_factory):
    """A two-seed run on the user's own FASTA files, every sequence 60 bp (a fixed-length model)."""
    pytest.importorskip("keras")
    from common.experiment import run_experiment
    from domains.genomics.domain import DOMAIN

    d = tmp_path_factory.mktemp("fa")
    rng = np.random.default_rng(0)
    files = [_fasta(d / "pos.fa", _seqs(rng, 40, 60, "CACGTGGATA"), "p"), _fasta(d / "neg.fa", _seqs(rng, 40, 60), "n"),
             _fasta(d / "pos_test.fa", _seqs(rng, 10, 60, "CACGTGGATA"), "tp"),
             _fasta(d / "neg_test.fa", _seqs(rng, 10, 60), "tn")]
    cfg = RunConfig(domain="genomics", dataset="fasta", out=str(d / "runs"),
                    model=ModelSpec(units=(4,), head="binary"), training=TrainSpec(epochs=1, seeds=2, batch_size=32),
                    data={"fasta_train": [str(f) for f in files[:2]], "fasta_test": [str(f) for f in files[2:]],
                          "file_labels": ["enh", "bg", "enh", "bg"], "positive": "enh"})
    return run_experiment(cfg, DOMAIN, run_name="pred", log=lambda m: None).run_dir, files


def test_predicting_the_runs_own_test_files_gives_the_recorded_predictions(genomics_run, tmp_path):
    from common.predict import predict_run

    run, files = genomics_run
    out = predict_run(run, [str(files[2]), str(files[3])], tmp_path / "p.csv", log=lambda m: None)
    got = pd.read_csv(out)
    saved = pd.read_csv(run / "predictions.csv")
    assert [f"{f.split('/')[-1]}:{n}:{i}" for f, n, i in zip(got["file"], got["record"], got["id"])] == \
        list(saved["id"])
    for col in ("lstm_seed0", "lstm_seed1", "lstm_ensemble"):
        np.testing.assert_allclose(got[col], saved[col], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["lstm_ensemble"], (got["lstm_seed0"] + got["lstm_seed1"]) / 2, rtol=1e-6)
    assert set(got["predicted"]) <= {"enh", "bg"}
    assert list(got["predicted"]) == ["enh" if p >= 0.5 else "bg" for p in got["lstm_ensemble"]]
    assert set(got["file"]) == {str(files[2]), str(files[3])}
    assert set(got["target"]) == {"label (1 = enh)"}  # what the probabilities are of, as in predictions.csv


def test_training_sequences_are_flagged_on_either_strand_and_longer_ones_cropped(genomics_run, tmp_path):
    from common.predict import predict_run
    from domains.genomics.encoding import crop_center, reverse_complement
    from domains.genomics.fasta import read_fasta

    run, files = genomics_run
    first = read_fasta(files[0])[0]
    rng = np.random.default_rng(5)
    long = "".join(rng.choice(BASES, 80))
    new = tmp_path / "new.fa"
    new.write_text(f">rc\n{reverse_complement(first.seq).lower()}\n>fresh\n{_seqs(rng, 1, 60)[0]}\n>long\n{long}\n"
                   f">long_centre\n{crop_center(long, 60)}\n")
    said = []
    got = pd.read_csv(predict_run(run, [str(new)], tmp_path / "p.csv", log=said.append), keep_default_na=False)
    assert list(got["id"]) == ["rc", "fresh", "long", "long_centre"]
    assert got.loc[0, "in_training"] == f"pos.fa:1:{first.id} (reverse complement)"
    assert got.loc[1, "in_training"] == ""
    assert list(got["length"]) == [60, 60, 80, 60]
    assert got.loc[2, "lstm_ensemble"] == pytest.approx(got.loc[3, "lstm_ensemble"], rel=1e-6)  # centre-cropped
    assert any("1 of the 4 sequences is in the run's training data" in s for s in said), said
    assert any("1 sequence longer than 60 bp was centre-cropped" in s for s in said), said


def test_a_sequence_shorter_than_a_fixed_length_model_reads_is_refused_by_name(genomics_run, tmp_path):
    from common.predict import predict_run

    run, _ = genomics_run
    new = tmp_path / "short.fa"
    new.write_text(">ok\n" + "A" * 60 + "\n>tiny\nACGTACGT\n")
    with pytest.raises(DataError, match=r"short.fa: record 'tiny' has 8 bp; the run's model reads sequences of "
                                        r"exactly 60 bp"):
        predict_run(run, [str(new)], tmp_path / "p.csv", log=lambda m: None)
    new.write_text(">bad\nACGTXACGT\n")
    with pytest.raises(DataError, match=r"record 'bad' has invalid character 'X' at position 5"):
        predict_run(run, [str(new)], tmp_path / "p.csv", log=lambda m: None)


def test_a_domain_without_new_inputs_is_refused_by_name(tmp_path):
    from common.experiment import run_experiment
    from common.config import apply_overrides
    from common.predict import predict_run
    from tests import demo_domain

    cfg = apply_overrides(demo_domain.DOMAIN.smoke_config(), {"out": str(tmp_path), "training.epochs": 1})
    run = run_experiment(cfg, demo_domain.DOMAIN, run_name="x", log=lambda m: None).run_dir
    with pytest.raises(ConfigError, match=r"predict takes new inputs for engineering, genomics, social and environmental runs only.*not demo"):
        predict_run(run, ["x.csv"], tmp_path / "p.csv", domain=demo_domain.DOMAIN, log=lambda m: None)


def test_the_command_line_writes_the_file_and_reports_bad_input(genomics_run, tmp_path, capsys):
    from common.cli import main

    run, files = genomics_run
    out = tmp_path / "sub" / "scores.csv"
    assert main(["predict", str(run), str(files[2]), "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) == 10
    assert f"wrote {out}" in capsys.readouterr().out
    assert main(["predict", str(run), str(tmp_path / "none.fa"), "--out", str(out)]) == 2
    assert "none.fa: FASTA file not found" in capsys.readouterr().err


def test_an_out_path_that_is_a_folder_is_refused_before_any_work(genomics_run, tmp_path):
    from common.predict import predict_run

    run, files = genomics_run
    with pytest.raises(ConfigError, match=r"--out .* is a folder; give the name of the CSV file to write"):
        predict_run(run, [str(files[2])], tmp_path, log=lambda m: None)


@pytest.fixture(scope="module")
def cmapss_run(tmp_path_factory):
    """A two-seed run on generated engines written in NASA's layout (3 operating conditions, so the test file's rows
    are assigned to conditions by the k-means fitted on training rows), no test engine shorter than the window."""
    pytest.importorskip("keras")
    from common.experiment import run_experiment
    from domains.engineering.cmapss import generate_run_to_failure, write_nasa_format
    from domains.engineering.domain import DOMAIN

    d = tmp_path_factory.mktemp("cmapss")
    sub = generate_run_to_failure(n_train=16, n_test=12, seed=3)
    sizes = sub.test.groupby("unit").size()
    keep = sizes.index[sizes >= 15]
    test = sub.test[sub.test["unit"].isin(keep)].copy()
    test["unit"] = test["unit"].map({u: i + 1 for i, u in enumerate(keep)})
    write_nasa_format(sub.train, d / "train_FD001.txt")
    write_nasa_format(test, d / "test_FD001.txt")
    (d / "RUL_FD001.txt").write_text("".join(f"{int(r)}\n" for r in sub.test_rul[np.asarray(keep) - 1]))
    cfg = RunConfig(domain="engineering", dataset="cmapss", out=str(d / "runs"), model=ModelSpec(units=(4,)),
                    training=TrainSpec(epochs=1, seeds=2, batch_size=256), data={"data_dir": str(d), "window": 15})
    return run_experiment(cfg, DOMAIN, run_name="pred", log=lambda m: None).run_dir, d, sub


def test_cmapss_predicting_the_runs_own_test_file_gives_the_recorded_predictions(cmapss_run, tmp_path):
    from common.predict import predict_run

    run, d, _ = cmapss_run
    got = pd.read_csv(predict_run(run, [str(d / "test_FD001.txt")], tmp_path / "p.csv", log=lambda m: None))
    saved = pd.read_csv(run / "predictions.csv")
    assert list(got["engine"]) == list(saved["engine"])
    assert set(got["target"]) == {"RUL (cycles)"}
    for col in ("lstm_seed0", "lstm_seed1", "lstm_ensemble"):  # in cycles, as predictions.csv
        np.testing.assert_allclose(got[col], saved[col], rtol=1e-5, atol=1e-4)
    sizes = pd.read_csv(d / "test_FD001.txt", sep=r"\s+", header=None).groupby(0).size()
    assert list(got["cycles"]) == list(sizes)


def test_cmapss_short_engines_are_refused_by_a_model_without_mask_and_training_prefixes_flagged(cmapss_run, tmp_path):
    from common.predict import predict_run
    from domains.engineering.cmapss import write_nasa_format

    run, _, sub = cmapss_run
    prefix = sub.train[sub.train["unit"] == 2].iloc[:20].copy()
    other = sub.train[sub.train["unit"] == 5].iloc[3:40].copy()  # not from its first cycle: not a prefix
    other["cycle"] -= 3
    prefix["unit"], other["unit"] = 1, 2
    write_nasa_format(pd.concat([prefix, other]), tmp_path / "mine.txt")
    said = []
    got = pd.read_csv(predict_run(run, [str(tmp_path / "mine.txt")], tmp_path / "p.csv", log=said.append),
                      keep_default_na=False)
    assert list(got["in_training"]) == ["training engine 2 (its first 20 cycles)", ""]
    assert any("1 of the 2 engines is the start of a training engine" in s for s in said), said
    short = sub.train[sub.train["unit"] == 3].iloc[:9].copy()
    write_nasa_format(pd.concat([prefix, short.assign(unit=7)]), tmp_path / "short.txt")
    with pytest.raises(DataError, match=r"short.txt: engine 7 has 9 cycles, fewer than the run's window of 15; the "
                                        r"run's model was built without a padding mask"):
        predict_run(run, [str(tmp_path / "short.txt")], tmp_path / "p.csv", log=lambda m: None)


def test_engines_unlike_the_training_engines_are_said_to_be_extrapolations(cmapss_run, tmp_path):
    """Before: a run on generated engines predicted NASA's FD002 file (RUL -51 cycles for engine 1) without a word."""
    from common.predict import predict_run
    from domains.engineering.cmapss import write_nasa_format

    run, d, sub = cmapss_run
    said = []
    predict_run(run, [str(d / "test_FD001.txt")], tmp_path / "p.csv", log=said.append)
    assert not any("beyond the range of the training inputs" in s for s in said), said
    far = sub.train[sub.train["unit"].isin([1, 2])].copy()
    far.loc[far["unit"] == 2, "s2"] *= 10  # one sensor of one engine far off its training range
    write_nasa_format(far, tmp_path / "far.txt")
    said = []
    predict_run(run, [str(tmp_path / "far.txt")], tmp_path / "p.csv", log=said.append)
    note = next(s for s in said if "beyond the range of the training inputs" in s)
    assert "in 1 of 2 samples and 1 of 14 features" in note and "most often beyond: s2 (" in note, note


def test_a_negative_rul_is_written_unchanged_and_said(cmapss_run, tmp_path, monkeypatch):
    """Before: a predicted RUL below 0 cycles (an engine past its predicted failure) was written without a word,
    while a PM2.5 forecast below 0 was said."""
    from common.predict import predict_run
    from common.training import LSTMEstimator

    run, d, _ = cmapss_run
    monkeypatch.setattr(LSTMEstimator, "predict", lambda self, X: np.where(np.arange(len(X)) == 0, -0.1, 0.5)[:, None])
    said = []
    got = pd.read_csv(predict_run(run, [str(d / "test_FD001.txt")], tmp_path / "p.csv", log=said.append))
    assert got["lstm_ensemble"].iloc[0] < 0 and (got["lstm_ensemble"].iloc[1:] > 0).all()
    assert any(f"1 of the {len(got)} engines has a predicted RUL below 0 cycles (engine 1;" in s for s in said), said


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory):
    """A two-seed long-horizon run on a user's daily CSV of two channels (look-back 7, horizon 2)."""
    pytest.importorskip("keras")
    from common.experiment import run_experiment
    from domains.social.domain import DOMAIN

    d = tmp_path_factory.mktemp("csv")
    days = pd.date_range("2020-01-01", periods=120, freq="D")
    t = np.arange(120)
    pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "y": np.sin(t / 5) + 10, "z": np.cos(t / 7) * 3}).to_csv(
        d / "d.csv", index=False)
    cfg = RunConfig(domain="social", dataset="csv", out=str(d / "runs"), model=ModelSpec(units=(4,), head="forecast"),
                    training=TrainSpec(epochs=1, seeds=2),
                    data={"path": str(d / "d.csv"), "date_column": "day", "columns": ["y", "z"], "freq": "D",
                          "lookback": 7, "horizon": 2})
    return run_experiment(cfg, DOMAIN, run_name="pred", log=lambda m: None).run_dir, d


def test_a_forecast_from_the_end_of_a_csv_continues_the_series_in_its_own_units(csv_run, tmp_path):
    """Cut the CSV two rows before its end: the forecast from there is the run's last test window, which
    predictions.csv holds in scaled units."""
    import json

    from common.predict import predict_run
    from common.splits import Standardizer

    run, d = csv_run
    frame = pd.read_csv(d / "d.csv")
    frame.iloc[:-2].to_csv(tmp_path / "cut.csv", index=False)
    said = []
    got = pd.read_csv(predict_run(run, [str(tmp_path / "cut.csv")], tmp_path / "p.csv", log=said.append))
    assert any("2 steps after the last row (2020-04-27) of" in s for s in said), said  # the date, as in the CSV
    assert list(got["step"]) == [1, 1, 2, 2] and list(got["channel"]) == ["y", "z", "y", "z"]
    assert list(got["time"]) == ["2020-04-28", "2020-04-28", "2020-04-29", "2020-04-29"]  # the two rows cut off
    saved = pd.read_csv(run / "predictions.csv")
    last = saved[saved["sample"] == saved["sample"].max()]  # target names "y +1", "z +1", "y +2", "z +2"
    scaler = Standardizer.from_dict(json.loads((run / "scalers.json").read_text())["channels"])
    for col in ("lstm_seed0", "lstm_seed1", "lstm_ensemble"):
        expected = scaler.inverse_transform(last[col].to_numpy().reshape(2, 2)).ravel()
        np.testing.assert_allclose(got[col], expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got.loc[got["channel"] == "y", "last_observed"], frame["y"].iloc[-3])


def test_a_forecast_needs_the_lookback_and_the_runs_columns(csv_run, tmp_path):
    from common.predict import predict_run

    run, d = csv_run
    frame = pd.read_csv(d / "d.csv")
    frame.iloc[:5].to_csv(tmp_path / "few.csv", index=False)
    with pytest.raises(DataError, match=r"few.csv: 5 rows; the run's model reads the last 7 rows"):
        predict_run(run, [str(tmp_path / "few.csv")], tmp_path / "p.csv", log=lambda m: None)
    frame.drop(columns="z").to_csv(tmp_path / "noz.csv", index=False)
    with pytest.raises(DataError, match=r"noz.csv.*'z'"):
        predict_run(run, [str(tmp_path / "noz.csv")], tmp_path / "p.csv", log=lambda m: None)
    with pytest.raises(DataError, match=r"a forecast continues one series: give one CSV, not 2"):
        predict_run(run, [str(d / "d.csv")] * 2, tmp_path / "p.csv", log=lambda m: None)


@pytest.fixture(scope="module")
def air_run(tmp_path_factory):
    """A two-seed PM2.5 run on two generated station files in the UCI multi-site layout."""
    pytest.importorskip("keras")
    from common.experiment import run_experiment
    from domains.environmental.domain import DOMAIN
    from tests.test_environmental import AIR_PERIODS, write_station

    d = tmp_path_factory.mktemp("air")
    write_station(d / "a.csv", "Alpha")
    write_station(d / "b.csv", "Beta", seed=1)
    cfg = RunConfig(domain="environmental", dataset="beijing_multisite", out=str(d / "runs"),
                    model=ModelSpec(units=(4,), head="forecast"), training=TrainSpec(epochs=1, seeds=2),
                    data={"station_files": [str(d / "a.csv"), str(d / "b.csv")], "lookback": 30,
                          "periods": [a for pair in AIR_PERIODS.values() for a in pair]})
    return run_experiment(cfg, DOMAIN, run_name="pred", log=lambda m: None).run_dir, d


def test_pm25_forecast_from_a_station_file_cut_at_an_origin_is_the_runs_forecast_there(air_run, tmp_path):
    from common.predict import predict_run

    run, d = air_run
    saved = pd.read_csv(run / "predictions.csv")
    origin = "2013-04-20 11:00:00"
    frame = pd.read_csv(d / "a.csv", keep_default_na=False, dtype=str)
    stamp = pd.to_datetime(frame[["year", "month", "day", "hour"]].astype(int))
    frame[stamp <= origin].to_csv(tmp_path / "cut.csv", index=False)
    said = []
    got = pd.read_csv(predict_run(run, [str(tmp_path / "cut.csv")], tmp_path / "p.csv", log=said.append))
    assert list(got["horizon_h"]) == [1, 6, 24]
    assert list(got["time"]) == ["2013-04-20 12:00:00", "2013-04-20 17:00:00", "2013-04-21 11:00:00"]
    assert set(got["station"]) == {"Alpha"} and set(got["origin"]) == {origin}
    rows = saved[(saved["station"] == "Alpha") & (pd.to_datetime(saved["origin"]) == pd.Timestamp(origin))]
    assert len(rows) == 3
    for col in ("lstm_seed0", "lstm_seed1", "lstm_ensemble"):  # ug/m3, as predictions.csv
        np.testing.assert_allclose(got[col], rows[col], rtol=1e-5, atol=1e-3)
    assert got["last_observed"].iloc[0] == pytest.approx(float(frame[stamp <= origin]["PM2.5"].iloc[-1]))


def test_pm25_forecast_says_when_pm25_was_last_observed_and_refuses_another_layout(air_run, tmp_path):
    from common.predict import predict_run

    run, d = air_run
    frame = pd.read_csv(d / "b.csv", keep_default_na=False, dtype=str).iloc[:600]
    frame.loc[590:, "PM2.5"] = "NA"
    frame.loc[597:, "TEMP"] = "NA"
    frame.to_csv(tmp_path / "gap.csv", index=False)
    said = []
    predict_run(run, [str(tmp_path / "gap.csv")], tmp_path / "p.csv", log=said.append)
    assert any("Beta: missing in the last 30 hours, which the forecast reads, and carried forward as in training: "
               "PM2.5 10, TEMP 3" in s for s in said), said
    assert any("Beta: PM2.5 last observed at 2013-03-25 13:00, 10 hours before the forecast origin "
               "2013-03-25 23:00" in s for s in said), said
    single = tmp_path / "single.csv"
    single.write_text("No,year,month,day,hour,pm2.5,DEWP,TEMP,PRES,cbwd,Iws,Is,Ir\n" +
                      "".join(f"{i + 1},2010,1,{1 + i // 24},{i % 24},50,-10,0,1020,NW,1.0,0,0\n" for i in range(48)))
    with pytest.raises(DataError, match=r"single.csv: a station file of the UCI single-site layout; the run's model "
                                        r"reads the multi-site layout"):
        predict_run(run, [str(single)], tmp_path / "p.csv", log=lambda m: None)


def test_a_negative_pm25_forecast_is_written_unchanged_and_said(air_run, tmp_path, monkeypatch):
    from common.predict import predict_run
    from common.training import LSTMEstimator

    run, d = air_run
    monkeypatch.setattr(LSTMEstimator, "predict", lambda self, X: np.full((len(X), 3, 1), -50.0))
    said = []
    got = pd.read_csv(predict_run(run, [str(d / "a.csv")], tmp_path / "p.csv", log=said.append))
    assert (got["lstm_ensemble"] < 0).all()
    assert any("lstm_seed0, lstm_seed1, lstm_ensemble: some forecasts are below 0 ug/m3" in s for s in said), said


@pytest.fixture(scope="module")
def camels_run(tmp_path_factory):
    """A two-seed regional run with catchment attributes on two of the three basins of a generated CAMELS tree."""
    pytest.importorskip("keras")
    from common.experiment import run_experiment
    from domains.environmental.domain import DOMAIN
    from tests.test_environmental import make_camels

    root = tmp_path_factory.mktemp("camels")
    make_camels(root, basins=("01000001", "02000002", "03000003"))
    cfg = RunConfig(domain="environmental", dataset="camels", out=str(root / "runs"),
                    model=ModelSpec(units=(4,), static_join="step"), training=TrainSpec(epochs=1, seeds=2,
                                                                                        batch_size=512),
                    data={"camels_root": str(root), "basins": ["01000001", "02000002"], "seq_length": 10,
                          "static": True, "val_stride": 5})
    return run_experiment(cfg, DOMAIN, run_name="pred", log=lambda m: None).run_dir, root


def _forcing(root, basin):
    return next(root.glob(f"basin_mean_forcing/nldas/*/{basin}_lump_nldas_forcing_leap.txt"))


def test_camels_simulation_of_a_run_basin_gives_the_runs_test_predictions_and_flags_fitted_days(camels_run, tmp_path):
    from common.predict import predict_run

    run, root = camels_run
    said = []
    got = pd.read_csv(predict_run(run, [str(_forcing(root, "01000001"))], tmp_path / "p.csv", log=said.append),
                      dtype={"basin": str}, keep_default_na=False)
    saved = pd.read_csv(run / "predictions.csv", dtype={"basin": str})
    saved = saved[saved["basin"] == "01000001"]
    both = saved.merge(got, on=["basin", "date"], suffixes=("", "_new"))
    assert len(both) == len(saved) > 0
    for col in ("lstm_seed0", "lstm_seed1", "lstm_ensemble"):  # mm/day, as predictions.csv
        np.testing.assert_allclose(both[col + "_new"], both[col], rtol=1e-4, atol=1e-4)
    assert got["date"].iloc[0] == "1993-10-10"  # the first day with 9 days of earlier forcing
    assert set(got["target"]) == {"streamflow (mm/day)"}
    assert set(got.loc[got["date"].between("1999-10-01", "2008-09-30"), "in_training"]) == {"training period"}
    assert set(got.loc[got["date"].between("2008-10-01", "2013-09-30"), "in_training"]) == {"validation period"}
    assert set(both["in_training"]) == {""}
    assert any("01000001: 5114 of the" in s and "days lie in the run's training or validation period" in s
               for s in said), said


def test_camels_a_basin_the_run_never_saw_takes_its_attributes_from_the_runs_folder(camels_run, tmp_path):
    import shutil

    from common.predict import predict_run

    run, root = camels_run
    got = pd.read_csv(predict_run(run, [str(_forcing(root, "03000003"))], tmp_path / "p.csv", log=lambda m: None),
                      dtype={"basin": str}, keep_default_na=False)
    assert set(got["basin"]) == {"03000003"} and set(got["in_training"]) == {""}
    assert np.isfinite(got["lstm_ensemble"]).all()
    shutil.copy(_forcing(root, "03000003"), tmp_path / "my_forcing.txt")
    with pytest.raises(DataError, match=r"my_forcing.txt: the run's model reads catchment attributes, looked up by "
                                        r"the 8-digit gauge id the file name starts with"):
        predict_run(run, [str(tmp_path / "my_forcing.txt")], tmp_path / "p.csv", log=lambda m: None)


def test_a_run_refitted_on_folds_forecasts_with_each_seeds_last_models(tmp_path):
    """Before: refused ("a run refitted on several folds has a model per fold and seed"), and earlier still "not a
    finished run directory (missing seed0/model.keras)". The last block's models (seed*/fold1, fitted on the most
    rows) forecast: cut at the run's last origin, the file gives the run's own forecast there."""
    from common.experiment import run_experiment
    from common.predict import predict_run
    from domains.social.domain import DOMAIN

    days = pd.date_range("2020-01-01", periods=200, freq="D")
    frame = pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "y": 10 + np.sin(np.arange(200) / 3)})
    frame.to_csv(tmp_path / "u.csv", index=False)
    cfg = RunConfig(domain="social", dataset="csv", out=str(tmp_path), model=ModelSpec(units=(4,), head="quantile"),
                    training=TrainSpec(epochs=1, seeds=2),
                    data={"path": str(tmp_path / "u.csv"), "date_column": "day", "columns": ["y"], "freq": "D",
                          "protocol": "rolling", "season": 7, "lookback": 21, "horizon": 7, "origins": 4,
                          "refit_every": 2})
    run = run_experiment(cfg, DOMAIN, run_name="r", log=lambda s: None).run_dir
    assert (run / "seed1" / "fold1" / "model.keras").is_file()
    saved = pd.read_csv(run / "predictions.csv")
    origin = saved["origin"].iloc[-1]
    frame[pd.to_datetime(frame["day"]) <= pd.Timestamp(origin)].to_csv(tmp_path / "cut.csv", index=False)
    said = []
    got = pd.read_csv(predict_run(run, [str(tmp_path / "cut.csv")], tmp_path / "p.csv", log=said.append))
    there = saved[saved["origin"] == origin]
    for col in ("lstm_seed0", "lstm_seed1", "lstm_ensemble", "lstm_seed0_q0.9"):
        np.testing.assert_allclose(got[col], there[col], rtol=1e-5)
    assert any("the run refitted its models on 2 folds; the prediction uses each seed's last (fold1)" in s
               for s in said), said


def test_a_rolling_origin_forecast_from_a_file_cut_at_an_origin_is_the_runs_forecast_there(tmp_path):
    """Before: KeyError: 'columns' from domains/social/forecast.py for a rolling-origin run without refits (page
    views, a rolling CSV). Now the forecast continues the series: cut at one of the run's origins, the file gives
    the run's own median and (conformal) band there, in the series' units."""
    from common.experiment import run_experiment
    from common.predict import predict_run
    from domains.social.domain import DOMAIN

    days = pd.date_range("2020-01-01", periods=200, freq="D")
    y = 10 + np.sin(np.arange(200) / 3) + np.random.default_rng(0).normal(0, 0.2, 200)
    frame = pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "y": y})
    frame.loc[190, "y"] = np.nan  # a gap inside the last window: carried forward and flagged, as in training
    frame.to_csv(tmp_path / "u.csv", index=False)
    cfg = RunConfig(domain="social", dataset="csv", out=str(tmp_path), model=ModelSpec(units=(4,), head="quantile"),
                    training=TrainSpec(epochs=2, seeds=2, conformal=True),
                    data={"path": str(tmp_path / "u.csv"), "date_column": "day", "columns": ["y"], "freq": "D",
                          "protocol": "rolling", "season": 7, "lookback": 21, "horizon": 7, "origins": 4,
                          "transform": "log"})
    run = run_experiment(cfg, DOMAIN, run_name="r", log=lambda s: None).run_dir
    saved = pd.read_csv(run / "predictions.csv")
    origin = saved["origin"].iloc[-1]  # the last origin: its forecast ends with the series
    frame[pd.to_datetime(frame["day"]) <= pd.Timestamp(origin)].to_csv(tmp_path / "cut.csv", index=False)
    said = []
    got = pd.read_csv(predict_run(run, [str(tmp_path / "cut.csv")], tmp_path / "p.csv", log=said.append))
    there = saved[saved["origin"] == origin]
    assert list(got["time"]) == [str(d.date()) for d in pd.date_range(pd.Timestamp(origin), periods=8)[1:]]
    for col in ("lstm_seed0", "lstm_seed0_q0.1", "lstm_seed0_q0.9", "lstm_ensemble"):
        np.testing.assert_allclose(got[col], there[col], rtol=1e-5)
    assert list(got.columns) == ["step", "time", "last_observed", "lstm_seed0", "lstm_seed0_q0.1", "lstm_seed0_q0.5",
                                 "lstm_seed0_q0.9", "lstm_seed1", "lstm_seed1_q0.1", "lstm_seed1_q0.5",
                                 "lstm_seed1_q0.9", "lstm_ensemble", "lstm_ensemble_q0.1", "lstm_ensemble_q0.5",
                                 "lstm_ensemble_q0.9"]
    assert (got["lstm_ensemble_q0.1"] <= got["lstm_ensemble"]).all()
    assert (got["lstm_ensemble"] <= got["lstm_ensemble_q0.9"]).all()
    assert any(f"forecast of y, 7 steps after the last row ({pd.Timestamp(origin).date()}) of" in s for s in said), said
    with_baselines = pd.read_csv(predict_run(run, [str(tmp_path / "cut.csv")], tmp_path / "b.csv", log=said.append,
                                             baselines=True))
    names = [c for c in saved.columns if c not in got.columns and c not in ("sample", "origin", "position", "target",
                                                                             "y_true") and "_q" not in c]
    assert names and all(n in with_baselines for n in names), (names, list(with_baselines.columns))
    for name in names:  # every baseline, refitted, forecasts what it forecast at that origin in the run
        np.testing.assert_allclose(with_baselines[name], there[name], rtol=1e-5, err_msg=name)
    # a window without any observed value, and a value the run's log transform cannot take
    frame.assign(y=np.where(np.arange(200) >= 170, np.nan, y)).to_csv(tmp_path / "empty.csv", index=False)
    with pytest.raises(DataError, match=r"empty.csv: the last 21 rows, which the forecast reads, hold no observed"):
        predict_run(run, [str(tmp_path / "empty.csv")], tmp_path / "p.csv", log=lambda m: None)
    frame.assign(y=np.where(np.arange(200) == 195, 0.0, y)).to_csv(tmp_path / "zero.csv", index=False)
    with pytest.raises(DataError, match=r"zero.csv: value 0.0 at 2020-07-14 00:00:00 is out of range for the run's "
                                        r"log"):
        predict_run(run, [str(tmp_path / "zero.csv")], tmp_path / "p.csv", log=lambda m: None)


def test_a_rolling_run_whose_calendar_is_in_local_time_is_refused_with_the_reason(tmp_path):
    from common.experiment import run_experiment
    from common.predict import predict_run
    from domains.social.domain import DOMAIN

    stamps = pd.date_range("2021-03-25 00:00", periods=200, freq="h", tz="Europe/Berlin")  # +01:00, then +02:00
    pd.DataFrame({"t": stamps.strftime("%Y-%m-%d %H:%M:%S%z"), "y": 10 + np.sin(np.arange(200) / 3)}).to_csv(
        tmp_path / "local.csv", index=False)
    cfg = RunConfig(domain="social", dataset="csv", out=str(tmp_path), model=ModelSpec(units=(4,), head="quantile"),
                    training=TrainSpec(epochs=1, seeds=1),
                    data={"path": str(tmp_path / "local.csv"), "date_column": "t", "columns": ["y"], "freq": "h",
                          "protocol": "rolling", "season": 7, "lookback": 21, "horizon": 7, "origins": 4})
    run = run_experiment(cfg, DOMAIN, run_name="r", log=lambda s: None).run_dir
    with pytest.raises(DataError, match=r"its calendar was taken in each row's local time"):
        predict_run(run, [str(tmp_path / "local.csv")], tmp_path / "p.csv", log=lambda m: None)


@pytest.mark.realdata
def test_page_views_forecast_from_the_file_cut_at_the_last_origin_is_the_runs_forecast_there(tmp_path):
    """Real page views (59 absent days, log scale, one model): the registered file cut at the run's last origin
    gives the run's own forecast and band there."""
    from common.download import dataset_dir
    from common.experiment import run_experiment
    from common.predict import predict_run
    from domains.social.domain import DOMAIN, rolling_config
    from tests.conftest import real_data_or_skip

    real_data_or_skip("wikipedia_pageviews_peyton_manning")
    cfg = rolling_config("wikipedia_pageviews_peyton_manning", seeds=1)
    cfg = dataclasses.replace(cfg, out=str(tmp_path), model=dataclasses.replace(cfg.model, units=(8,)),
                              training=dataclasses.replace(cfg.training, epochs=1))
    run = run_experiment(cfg, DOMAIN, run_name="pv", log=lambda m: None).run_dir
    saved = pd.read_csv(run / "predictions.csv")
    origin = pd.Timestamp(saved["origin"].iloc[-1])
    source = dataset_dir("wikipedia_pageviews_peyton_manning") / "example_wp_peyton_manning.csv"
    rows = pd.read_csv(source)
    rows[pd.to_datetime(rows["ds"]) <= origin].to_csv(tmp_path / "cut.csv", index=False)
    got = pd.read_csv(predict_run(run, [str(tmp_path / "cut.csv")], tmp_path / "p.csv", log=lambda m: None))
    there = saved[pd.to_datetime(saved["origin"]) == origin]
    assert len(got) == len(there) == 64
    for col in ("lstm_seed0", "lstm_seed0_q0.1", "lstm_seed0_q0.9"):
        np.testing.assert_allclose(got[col], there[col], rtol=1e-4)


@pytest.mark.realdata
def test_fd002_engines_get_the_runs_predictions_and_training_engines_are_flagged(tmp_path):
    """Real C-MAPSS FD002 (6 operating conditions, short test engines left-padded and masked): predicting NASA's own
    test file repeats the run's predictions; the training file's engines are all flagged as fitted."""
    from common.download import dataset_dir
    from common.experiment import run_experiment
    from common.predict import predict_run
    from domains.engineering.domain import DOMAIN
    from tests.conftest import real_data_or_skip

    real_data_or_skip("cmapss")
    cfg = RunConfig(domain="engineering", dataset="cmapss", out=str(tmp_path), model=ModelSpec(units=(8,)),
                    training=TrainSpec(epochs=1, seeds=1, batch_size=512), data={"subset": "FD002"})
    run = run_experiment(cfg, DOMAIN, run_name="fd2", log=lambda m: None).run_dir
    folder = dataset_dir("cmapss")
    said = []
    got = pd.read_csv(predict_run(run, [str(folder / "test_FD002.txt"), str(folder / "train_FD002.txt")],
                                  tmp_path / "p.csv", log=said.append), keep_default_na=False)
    test = got[got["file"].str.endswith("test_FD002.txt")]
    saved = pd.read_csv(run / "predictions.csv")
    assert len(test) == len(saved) == 259
    np.testing.assert_allclose(test["lstm_seed0"], saved["lstm_seed0"], rtol=1e-5, atol=1e-4)
    train = got[got["file"].str.endswith("train_FD002.txt")]
    assert len(train) == 260 and (train["in_training"] != "").all() and (test["in_training"] == "").all()
    assert any("260 of the 519 engines are the start of a training engine" in s for s in said), said


def test_a_folder_of_named_experiments_is_refused_in_predicts_own_words(tmp_path):
    """Before: "... reproduce checks runs of `lstm-suite train` without it", from `lstm-suite predict`."""
    from common.predict import predict_run

    (tmp_path / "report.md").write_text("# experiments\n")
    with pytest.raises(ConfigError, match=r"the report of named experiments \(--experiment\); predict takes runs of "
                                          r"`lstm-suite train` without it"):
        predict_run(tmp_path, ["x.fa"], tmp_path / "p.csv", log=lambda m: None)


def test_a_run_on_sequences_of_varying_length_pads_new_ones_as_it_did(tmp_path):
    """Sequences of 50-70 bp: the model masks right-padding. A new sequence equal to a test record gets the
    recorded prediction; a shorter one than any seen is padded and scored, a longer one centre-cropped."""
    from common.experiment import run_experiment
    from common.predict import predict_run
    from domains.genomics.domain import DOMAIN
    from domains.genomics.fasta import read_fasta

    rng = np.random.default_rng(1)

    def varied(n, motif=""):
        return [s[: int(rng.integers(50, 71))] for s in _seqs(rng, n, 70, motif)]

    files = [_fasta(tmp_path / "p.fa", varied(30, "CACGTG"), "p"), _fasta(tmp_path / "n.fa", varied(30), "n"),
             _fasta(tmp_path / "tp.fa", varied(8, "CACGTG"), "tp"), _fasta(tmp_path / "tn.fa", varied(8), "tn")]
    cfg = RunConfig(domain="genomics", dataset="fasta", out=str(tmp_path / "runs"),
                    model=ModelSpec(units=(4,), head="binary"), training=TrainSpec(epochs=1, seeds=1),
                    data={"fasta_train": [str(f) for f in files[:2]], "fasta_test": [str(f) for f in files[2:]],
                          "file_labels": ["enh", "bg", "enh", "bg"], "positive": "enh"})
    run = run_experiment(cfg, DOMAIN, run_name="v", log=lambda m: None).run_dir
    record = read_fasta(files[2])[3]
    new = tmp_path / "new.fa"
    new.write_text(f">same\n{record.seq}\n>short\nACGTACGTACGTACGTACGT\n>long\n{'ACGT' * 30}\n")
    got = pd.read_csv(predict_run(run, [str(new)], tmp_path / "o.csv", log=lambda m: None))
    saved = pd.read_csv(run / "predictions.csv")
    recorded = saved.loc[saved["id"] == f"tp.fa:4:{record.id}", "lstm_seed0"].item()
    assert got.loc[0, "lstm_seed0"] == pytest.approx(recorded, rel=1e-5)
    assert np.isfinite(got["lstm_seed0"]).all() and list(got["length"]) == [len(record.seq), 20, 120]


def test_seeds_that_kept_their_reference_start_are_named(tmp_path):
    """With model.zero_head, a seed whose trained weights did not beat the reference on validation keeps the
    untrained start (Repeat under instance norm "last"): its forecast is flat, and predict says why."""
    import json

    from common.experiment import run_experiment
    from common.predict import predict_run
    from domains.social.domain import DOMAIN

    days = pd.date_range("2020-01-01", periods=150, freq="D")
    rng = np.random.default_rng(0)
    pd.DataFrame({"day": days, "y": np.cumsum(rng.normal(size=150))}).to_csv(tmp_path / "w.csv", index=False)
    cfg = RunConfig(domain="social", dataset="csv", out=str(tmp_path),
                    model=ModelSpec(units=(4,), head="forecast", instance_norm="last", zero_head=True),
                    training=TrainSpec(epochs=1, seeds=2),
                    data={"path": str(tmp_path / "w.csv"), "date_column": "day", "columns": ["y"], "freq": "D",
                          "lookback": 10, "horizon": 3})
    run = run_experiment(cfg, DOMAIN, run_name="z", log=lambda s: None).run_dir
    kept = [k for k in (0, 1) if json.loads((run / f"seed{k}" / "reference_check.json").read_text())["kept"]
            .startswith("reference")]
    said = []
    got = pd.read_csv(predict_run(run, [str(tmp_path / "w.csv")], tmp_path / "p.csv", log=said.append))
    for k in kept:
        np.testing.assert_allclose(got[f"lstm_seed{k}"], got["last_observed"], rtol=1e-5)
    assert kept, "a random walk after one epoch: the check should keep the reference"
    [named] = [s for s in said if "kept the untrained start" in s]
    assert all(f"lstm_seed{k}" in named for k in kept) and "reference_check.json" in named


def test_predict_speaks_in_its_own_name_about_moved_paths_and_other_code(csv_run, tmp_path, monkeypatch):
    """Before: a run's relative data path read from its recorded place was said as "[reproduce] ..." by predict, and
    a run made with other code was not mentioned at all (its input rules may have changed with the code)."""
    import json
    import shutil

    from common.predict import predict_run
    from common.training import code_version

    run, d = csv_run
    copy = shutil.copytree(run, tmp_path / "run")
    cfg = (copy / "config.toml").read_text()
    (copy / "config.toml").write_text(cfg.replace(str(d / "d.csv"), "d.csv"))  # as if given relative, in d
    env = json.loads((copy / "environment.json").read_text())
    env["code"] = {"commit": "0123456789abcdef", "uncommitted_changes": False}
    (copy / "environment.json").write_text(json.dumps(env))
    monkeypatch.chdir(tmp_path)
    said = []
    predict_run(copy, [str(d / "d.csv")], tmp_path / "p.csv", log=said.append)
    assert f"[predict] data.path d.csv: read as {d / 'd.csv'} (the path the run recorded)" in said, said
    if code_version() is not None:
        assert any(s.startswith("[predict] the run was made with code 0123456789ab; this is ") for s in said), said
    assert not any(s.startswith("[reproduce]") for s in said)


def test_the_target_names_class_1_for_the_registered_and_generated_sets_too():
    """Before: "label" alone for iEnhancer and the generated sets, so a probability column did not say of what."""
    from common.config import validate_options
    from domains.genomics.domain import DOMAIN

    cfg = DOMAIN.smoke_config()
    prep = DOMAIN.prepare(cfg, validate_options(DOMAIN.options, cfg.data, "genomics"))
    assert prep.target_names == ("label (1 = enhancer)",)


def test_how_the_series_was_read_is_said_and_a_filled_end_is_not_passed_off_as_observed(tmp_path):
    """With data.gaps = "interpolate", missing values at the end of the series are set to the last observed value;
    the forecast then starts from values nobody observed. Before: predict said nothing of how the file was read."""
    from common.experiment import run_experiment
    from common.predict import predict_run
    from domains.social.domain import DOMAIN

    days = pd.date_range("2020-01-01", periods=120, freq="D")
    y = np.sin(np.arange(120) / 5) + 10
    pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "y": y}).to_csv(tmp_path / "d.csv", index=False)
    cfg = RunConfig(domain="social", dataset="csv", out=str(tmp_path / "runs"),
                    model=ModelSpec(units=(4,), head="forecast"), training=TrainSpec(epochs=1, seeds=1),
                    data={"path": str(tmp_path / "d.csv"), "date_column": "day", "columns": ["y"], "freq": "D",
                          "lookback": 7, "horizon": 2, "gaps": "interpolate"})
    run = run_experiment(cfg, DOMAIN, run_name="g", log=lambda m: None).run_dir
    y[-2:] = np.nan
    pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "y": y}).to_csv(tmp_path / "new.csv", index=False)
    said = []
    predict_run(run, [str(tmp_path / "new.csv")], tmp_path / "p.csv", log=said.append)
    assert any("new.csv: set 2 values at the ends of the series to the nearest observed value ('y' 2 trailing)" in s
               for s in said), said
    assert any("new.csv: 2 of the values in the last 7 rows, which the forecast reads, were missing and filled "
               "(data.gaps = 'interpolate'): the forecast reads them as observed" in s for s in said), said


def _ltsf_new_inputs(tmp_path, rows: pd.DataFrame):
    """The social hook on a benchmark-layout file, for a run on the ILI benchmark with look-back 4, horizon 2."""
    from types import SimpleNamespace

    from common.splits import Standardizer
    from domains.social.forecast import new_inputs

    columns = ["a", "OT"]
    scaler = Standardizer().fit(np.array([[0.0, 1.0], [2.0, 3.0]]), names=columns)
    prep = SimpleNamespace(extra={"lookback": 4, "horizon": 2, "columns": columns},
                           scalers={"channels": scaler.to_dict()})
    rows.to_csv(tmp_path / "new.csv", index=False)
    return new_inputs(prep, SimpleNamespace(dataset="ili_national_illness"), SimpleNamespace(freq=""),
                      [str(tmp_path / "new.csv")])


def _weekly(n: int) -> pd.DataFrame:
    dates = pd.date_range("2020-01-07", periods=n, freq="7D").strftime("%Y-%m-%d %H:%M:%S")
    return pd.DataFrame({"date": dates, "a": np.arange(n, dtype=float), "OT": np.arange(n, dtype=float) + 1})


def test_a_benchmark_layout_file_out_of_time_order_is_refused_not_read_backwards(tmp_path):
    """Before: a file with its newest week first was read as it stood, and the forecast started 'after' its oldest
    row, from a window running backwards in time."""
    with pytest.raises(DataError, match=r"new\.csv: the dates are not in increasing order: row 3 \(2020-02-04 00:00:00\) is earlier than row 2 "
                       r"\(2020-02-11 00:00:00\)"):
        _ltsf_new_inputs(tmp_path, _weekly(6).iloc[::-1])


def test_a_benchmark_layout_file_with_a_repeated_date_is_refused(tmp_path):
    rows = _weekly(6)
    rows = pd.concat([rows, rows.iloc[[-1]]])
    with pytest.raises(DataError, match=r"new\.csv: row 8 repeats the date 2020-02-11 00:00:00 of row 7"):
        _ltsf_new_inputs(tmp_path, rows)


def test_a_benchmark_forecast_of_a_regular_series_is_dated(tmp_path):
    """Before: the steps were labelled '2020-02-11 00:00:00 +1', '+2' though the file's step is a week."""
    new = _ltsf_new_inputs(tmp_path, _weekly(6))
    table = new.table({"lstm_seed0": np.zeros((1, 2, 2))})
    assert list(table["time"]) == ["2020-02-18", "2020-02-18", "2020-02-25", "2020-02-25"]
    irregular = _weekly(6)
    irregular.loc[5, "date"] = "2020-02-12 00:00:00"
    table = _ltsf_new_inputs(tmp_path, irregular).table({"lstm_seed0": np.zeros((1, 2, 2))})
    assert list(table["time"]) == ["2020-02-12 00:00:00 +1"] * 2 + ["2020-02-12 00:00:00 +2"] * 2


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux's /sys, which no user may write to")
def test_an_out_file_that_cannot_be_written_is_refused_before_any_work():
    """Before: the models predicted, then pandas raised PermissionError with a traceback."""
    from common.predict import _out_file

    with pytest.raises(ConfigError, match=r"^--out /sys/kernel/p\.csv: cannot write this file \("):
        _out_file("/sys/kernel/p.csv")
    assert not Path("/sys/kernel/p.csv").exists()


def test_benchmark_layout_dates_with_mixed_utc_offsets_are_read_not_a_traceback(tmp_path):
    """pandas refuses to parse dates with two UTC offsets into one column (ValueError): the order check must not."""
    rows = _weekly(6)
    rows["date"] = [f"2020-01-{d:02d} 00:00:00+0{1 + d % 2}:00" for d in range(1, 7)]
    table = _ltsf_new_inputs(tmp_path, rows).table({"lstm_seed0": np.zeros((1, 2, 2))})
    assert list(table["time"])[0] == "2020-01-06 00:00:00+01:00 +1"


def test_baselines_refitted_on_the_runs_training_data_predict_beside_the_lstm(genomics_run, cmapss_run, tmp_path,
                                                                            capsys):
    """``--baselines``: the run's baselines (not saved by a run) are fitted again on its training data, as the run
    fitted them, and predict the new inputs in columns named as in predictions.csv; on the run's own test files
    they give the recorded baseline predictions."""
    from common.cli import main
    from common.predict import predict_run

    run, files = genomics_run
    said = []
    got = pd.read_csv(predict_run(run, [str(files[2]), str(files[3])], tmp_path / "g.csv", log=said.append,
                                  baselines=True))
    saved = pd.read_csv(run / "predictions.csv")
    for name in ("GC content (logistic)", "k-mer 1..6 (logistic)", "k-mer 1..6 (gradient boosting)"):
        np.testing.assert_allclose(got[name], saved[name], rtol=1e-6, atol=1e-9, err_msg=name)
    assert "plain CNN (no recurrence)" in got
    np.testing.assert_allclose(got["lstm_ensemble"], saved["lstm_ensemble"], rtol=1e-5, atol=1e-6)
    assert list(got["predicted"]) == ["enh" if p >= 0.5 else "bg" for p in got["lstm_ensemble"]]  # the LSTM's
    assert any("refitted on the run's training data" in s for s in said), said
    run, d, _ = cmapss_run
    out = tmp_path / "e.csv"
    assert main(["predict", str(run), str(d / "test_FD001.txt"), "--out", str(out), "--baselines"]) == 0
    got, saved = pd.read_csv(out), pd.read_csv(run / "predictions.csv")
    for name in ("constant (mean training RUL)", "ridge on the last window", "gradient boosting on window statistics"):
        np.testing.assert_allclose(got[name], saved[name], rtol=1e-6, atol=1e-6, err_msg=name)
    assert "constant (mean training RUL)" not in pd.read_csv(predict_run(run, [str(d / "test_FD001.txt")],
                                                                          tmp_path / "n.csv", log=said.append))


def test_a_forecast_with_baselines_gives_repeat_as_the_last_observed_value(csv_run, tmp_path):
    from common.predict import predict_run

    run, d = csv_run
    got = pd.read_csv(predict_run(run, [str(d / "d.csv")], tmp_path / "p.csv", log=lambda m: None, baselines=True))
    np.testing.assert_allclose(got["Repeat (last value)"], got["last_observed"], rtol=1e-6)  # float32 inputs
    assert {"Linear (ridge)", "lstm_seed0", "lstm_ensemble"} <= set(got.columns)


def test_baselines_that_look_up_the_runs_own_samples_are_left_out_by_name(air_run, camels_run, tmp_path):
    """The one-step ARIMA reads the run's own station series and the climatology the run's sample calendar, by
    sample: they cannot forecast a new file, so --baselines leaves them out and says so; the others predict."""
    from common.predict import predict_run

    run, d = air_run
    said = []
    got = pd.read_csv(predict_run(run, [str(d / "a.csv")], tmp_path / "a.csv", log=said.append, baselines=True))
    assert {"persistence", "same hour yesterday"} <= set(got.columns)
    assert not [c for c in got.columns if "ARIMA" in c]
    assert any("left out" in s and "ARIMA" in s for s in said), said
    np.testing.assert_allclose(got.loc[got["horizon_h"] == 1, "persistence"],
                               got.loc[got["horizon_h"] == 1, "last_observed"], rtol=1e-5)
    run, root = camels_run
    said = []
    got = pd.read_csv(predict_run(run, [str(_forcing(root, "01000001"))], tmp_path / "c.csv", log=said.append,
                                  baselines=True), dtype={"basin": str}, keep_default_na=False)
    assert not [c for c in got.columns if "climatology" in c] and any("climatology" in s for s in said), said
    assert {"ridge on forcing sums", "gradient boosting on forcing lags", "lstm_ensemble"} <= set(got.columns)

"""Beijing PM2.5 forecasting: hourly station files of the UCI single-site (US Embassy, 2010-2014) and multi-site
(2013-2017) releases, PM2.5 at horizons 1, 6 and 24 h from the previous hours of every variable.

Timestamps are rebuilt from year/month/day/hour; missing hours become rows of NaN (counted, never dropped).
"NA" and empty cells are missing values; a negative concentration, rainfall or wind speed, a temperature or dew
point below -100 C and a pressure below 1 hPa are errors (a missing-value code such as -999 read as weather).
Inputs: numeric columns carried forward over gaps (a 0/1 channel marks hours whose PM2.5 was missing), the
wind direction one-hot (missing: all zeros), and the hour of day as sine/cosine. Targets are never filled:
a missing PM2.5 target is left out of the loss and of every metric. A window belongs to a split when its
forecast origin and all its target hours lie in that split's period (inputs may reach back before it).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from common.domain import DataError, Prepared, count_of, first_non_finite
from common.evaluation import audit
from common.splits import Standardizer

from .streamflow import SampleIndex, hold_out

HORIZONS = (1, 6, 24)
METRICS = tuple(f"{m}@h{h}" for h in HORIZONS for m in ("rmse", "mae", "smape"))
FORMATS = {  # name -> (PM2.5 column, numeric inputs, wind column, wind categories)
    "single-site": ("pm2.5", ("DEWP", "TEMP", "PRES", "Iws", "Is", "Ir"), "cbwd", ("NE", "NW", "SE", "cv")),
    "multi-site": ("PM2.5", ("PM10", "SO2", "NO2", "CO", "O3", "TEMP", "PRES", "DEWP", "RAIN", "WSPM"), "wd",
                   ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW")),
}
LOWEST = {"TEMP": (-100.0, "is below -100 C (a missing-value code?)"),  # colder than ever measured
          "DEWP": (-100.0, "is below -100 C (a missing-value code?)"),
          "PRES": (1.0, "is below 1 hPa (a missing-value code?)")}
SINGLE_PERIODS = {"train": ("2010-01-01", "2012-12-31 23:00"), "val": ("2013-01-01", "2013-12-31 23:00"),
                  "test": ("2014-01-01", "2014-12-31 23:00")}
MULTI_PERIODS = {"train": ("2013-03-01", "2015-08-31 23:00"), "val": ("2015-09-01", "2016-02-29 23:00"),
                 "test": ("2016-03-01", "2017-02-28 23:00")}


@dataclass
class Station:
    name: str
    kind: str  # single-site | multi-site
    frame: pd.DataFrame  # hourly DatetimeIndex, no gaps
    notes: list[str] = field(default_factory=list)


def read_station(path: str | Path) -> Station:
    path = Path(path)
    try:
        # missing values: "NA" in the UCI files, "" in files re-saved by pandas or a spreadsheet
        raw = pd.read_csv(path, na_values=["NA", ""], keep_default_na=False, low_memory=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise DataError(f"{path}: cannot read as CSV ({str(err).splitlines()[0]})") from None
    kind = next((k for k, (pm, num, wind, _) in FORMATS.items() if {pm, wind, *num} <= set(raw.columns)), None)
    if kind is None:
        want = {k: [v[0], *v[1], v[2]] for k, v in FORMATS.items()}
        raise DataError(f"{path}: columns {list(raw.columns)} match neither UCI Beijing format {want}")
    pm, numeric, wind, cats = FORMATS[kind]
    for col in ("year", "month", "day", "hour"):
        if col not in raw.columns:
            raise DataError(f"{path}: no {col!r} column")
    parts = raw[["year", "month", "day", "hour"]].apply(pd.to_numeric, errors="coerce")
    off = ~parts["hour"].between(0, 23)  # to_datetime would roll hour 24 into the next day
    if off.any():
        row = int(np.flatnonzero(off.to_numpy())[0])
        raise DataError(f"{path}: data row {row + 1}: hour {raw['hour'].iloc[row]} outside 0..23")
    when = pd.to_datetime(parts, errors="coerce")
    if when.isna().any():
        raise DataError(f"{path}: data row {int(np.flatnonzero(when.isna().to_numpy())[0]) + 1} has an impossible date/hour")
    frame = raw[[pm, *numeric, wind]].copy()
    values = frame[[pm, *numeric]].apply(pd.to_numeric, errors="coerce").astype(float)
    bad = first_non_finite(frame[[pm, *numeric]], values)
    if bad:
        row, col, shown = bad
        raise DataError(f"{path}: column {col!r}, data row {row + 1}: {shown} is not a finite number")
    frame[[pm, *numeric]] = values
    for col in (pm, *numeric):
        low, why = LOWEST.get(col, (0.0, "is negative (a concentration, precipitation or wind speed cannot be)"))
        below = (values[col] < low).to_numpy()
        if below.any():
            row = int(np.flatnonzero(below)[0])
            raise DataError(f"{path}: column {col!r}, data row {row + 1}: {values[col].iloc[row]} {why}")
    unknown = sorted(set(frame[wind].dropna()) - set(cats))
    if unknown:
        raise DataError(f"{path}: column {wind!r} has unknown directions {unknown[:5]}; expected {list(cats)}")
    frame.index = pd.DatetimeIndex(when, name="time")
    if frame.index.has_duplicates:
        raise DataError(f"{path}: hour {frame.index[frame.index.duplicated()][0]} appears more than once")
    frame = frame.sort_index()
    full = pd.date_range(frame.index[0], frame.index[-1], freq="h")
    notes = []
    if len(full) != len(frame):
        notes.append(f"{path.name}: {count_of(len(full) - len(frame), 'missing hour')} added as empty rows")
        frame = frame.reindex(full)
    names = list(raw["station"].dropna().unique()) if "station" in raw.columns else []
    if len(names) > 1:
        raise DataError(f"{path}: rows of {len(names)} stations ({names[:4]}); one station per file")
    name = str(names[0]) if names else ("US Embassy" if kind == "single-site" else path.stem)
    notes.append(f"{name}: PM2.5 missing in {int(frame[pm].isna().sum())} of {len(frame)} hours "
                 "(never filled as a target; carried forward in the inputs with a missing flag)")
    return Station(name, kind, frame, notes)


def encode(station: Station) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(hours, features) inputs with NaN where a numeric value is missing (filled after scaling) and the raw
    PM2.5 target; feature names."""
    pm, numeric, wind, cats = FORMATS[station.kind]
    f = station.frame
    num = f[[pm, *numeric]].to_numpy(float)
    flag = f[pm].isna().to_numpy(float)[:, None]
    onehot = (f[wind].to_numpy()[:, None] == np.array(cats)[None, :]).astype(float)
    hour = f.index.hour.to_numpy()
    day = f.index.day_of_year.to_numpy()
    cyc = np.c_[np.sin(2 * np.pi * hour / 24), np.cos(2 * np.pi * hour / 24),
                np.sin(2 * np.pi * day / 365.25), np.cos(2 * np.pi * day / 365.25)]
    names = [pm, *numeric, f"{pm} missing", *[f"{wind}={c}" for c in cats], "hour sin", "hour cos",
             "day-of-year sin", "day-of-year cos"]
    return np.hstack([num, flag, onehot, cyc]), f[pm].to_numpy(float), names


def _fill_forward(z: np.ndarray) -> np.ndarray:
    """Carry every column's last value forward over NaN; leading NaN become 0 (the training mean)."""
    out = pd.DataFrame(z).ffill().fillna(0.0).to_numpy(np.float32)
    return out


def prepare_air(stations: list[Station], *, lookback: int = 48, periods: dict | None = None,
                test_stations: tuple[str, ...] = (), label: str = "") -> Prepared:
    if lookback < 24:
        raise DataError("data.lookback must be at least 24 hours (the same-hour-yesterday baseline reads it)")
    kinds = {s.kind for s in stations}
    if len(kinds) != 1:
        raise DataError("stations of the single-site and multi-site releases cannot be mixed in one model")
    periods = periods or (SINGLE_PERIODS if kinds == {"single-site"} else MULTI_PERIODS)
    names = [s.name for s in stations]
    train_names = hold_out(names, test_stations, "data.test_stations", "stations")
    train_st = [s for s in stations if s.name in train_names]
    enc = {s.name: encode(s) for s in stations}
    feature_names = enc[names[0]][2]
    in_period = {s.name: {k: (s.frame.index >= pd.Timestamp(a)) & (s.frame.index <= pd.Timestamp(b))
                          for k, (a, b) in periods.items()} for s in stations}
    fit_rows = np.concatenate([enc[s.name][0][in_period[s.name]["train"]] for s in train_st])
    if len(fit_rows) == 0:
        raise DataError(f"{label}: no training hours in {periods['train']}")
    if np.isnan(fit_rows[:, 0]).all():  # the PM2.5 column comes first
        raise DataError(f"{label}: no observed PM2.5 in the training hours {periods['train']}")
    # NaN-ignoring: the PM2.5 column's statistics = observed PM2.5's
    scaler = Standardizer().fit(fit_rows, names=feature_names, label=label)
    mean, scale = scaler.mean[0], scaler.scale[0]
    H = np.asarray(HORIZONS)
    index, sets, meta = SampleIndex(), {}, {}
    inputs = {s.name: _fill_forward(scaler.transform(enc[s.name][0])) for s in stations}
    for split in ("train", "val", "test"):
        Xs, ys, names_, times = [], [], [], []
        for s in stations:
            if test_stations and (s.name in test_stations) != (split == "test"):
                continue  # station-grouped split: test stations are only tested, the others only trained on
            z, q = inputs[s.name], enc[s.name][1]
            inside = in_period[s.name][split]
            origins = np.arange(lookback - 1, len(z) - H.max())
            ok = inside[origins] & inside[origins + H.max()]
            origins = origins[ok]
            if not len(origins):
                continue
            win = sliding_window_view(z, lookback, axis=0)
            Xs.append(np.moveaxis(win[origins - lookback + 1], -1, 1))
            ys.append(((q[origins[:, None] + H[None, :]] - mean) / scale)[..., None].astype(np.float32))
            names_.append(np.full(len(origins), s.name))
            times.append(s.frame.index[origins].to_numpy())
        if not Xs:
            first, last = min(s.frame.index[0] for s in stations), max(s.frame.index[-1] for s in stations)
            raise DataError(f"{label}: no {split} windows in {periods[split]} (look-back {lookback} h, horizon 24 h); "
                            f"the files cover {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M}; set data.periods "
                            "(train start, end, validation start, end, test start, end) for other periods")
        X = np.concatenate(Xs)
        if np.isnan(np.concatenate(ys)).all():
            word = {"val": "validation"}.get(split, split)
            raise DataError(f"{label}: no observed PM2.5 target in the {word} windows {periods[split]}")
        sets[split] = (X, np.concatenate(ys))
        meta[split] = (np.concatenate(names_), np.concatenate(times))
        index.register(X, *meta[split])
    key = {k: np.char.add(np.char.add(meta[k][0].astype(str), "|"), np.datetime_as_string(meta[k][1], "h")) for k in meta}
    rep = audit(train_times=key["train"], test_times=key["test"], train_groups=meta["train"][0],
                test_groups=meta["test"][0], expect_shared_groups=not test_stations)
    rep.notes.extend(n for s in stations for n in s.notes)
    missing_test = int(np.isnan(sets["test"][1]).sum())
    rep.notes.append(f"{missing_test} of {sets['test'][1].size} test targets missing (left out of the metrics)")
    return Prepared(
        X_train=sets["train"][0], y_train=sets["train"][1], X_val=sets["val"][0], y_val=sets["val"][1],
        X_test=sets["test"][0], y_test=sets["test"][1], metrics=METRICS, data_label=label,
        model_overrides={"head": "forecast", "horizon": len(HORIZONS), "n_targets": 1},
        bootstrap_block=int(max(HORIZONS)),  # hourly windows whose 24 h targets overlap are resampled together
        scalers={"inputs": scaler.to_dict()}, scaler_fit_rows={"inputs": fit_rows},
        split={"kind": "grouped" if test_stations else "periods", "periods": periods, "lookback": lookback,
               "horizons": list(HORIZONS), "test_stations": list(test_stations) or names,
               "windows": {k: len(v[1]) for k, v in sets.items()}},
        audit=rep, to_report_units=lambda a: np.asarray(a, float) * scale + mean,
        step_labels={f"h{h}": i for i, h in enumerate(HORIZONS)},
        test_keys={"station": meta["test"][0], "origin": pd.DatetimeIndex(meta["test"][1]).astype(str).to_numpy()},
        target_names=tuple(f"PM2.5 +{h}h" for h in HORIZONS), feature_names=tuple(feature_names),
        extra={"index": index, "features": feature_names, "horizons": HORIZONS, "lookback": lookback,
               "test_times": meta["test"][1], "test_stations": meta["test"][0], "stations": stations,
               "scaler": scaler})

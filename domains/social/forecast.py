"""A forecast beyond the end of a series from a finished long-horizon run (``lstm-suite predict RUN_DIR FILE``; a
rolling-origin run goes to ``rolling_forecast``).

The file is read as the run read its data (your CSV with the run's ``data.*`` reading options; a benchmark file
with its ``date`` column), the run's channels are taken by name, and the last ``lookback`` rows, scaled with the
run's scaler, give a forecast of every channel for steps 1..horizon after the last row, in the series' own units.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from common.domain import DataError, Prepared


def _series(cfg, opt, path: str, columns: list[str], lookback: int) -> tuple[pd.DataFrame, list[str]]:
    """The series as the run read its data, and notes on how it was read (a user CSV's rules, values filled where
    the forecast reads them)."""
    from .domain import BENCHMARKS
    from .ltsf import read_ltsf_csv
    from .series import csv_format, fill_gaps, load_series_csv

    if cfg.dataset == "csv":  # gaps are filled after counting those in the window the forecast reads
        gaps = "keep" if opt.gaps == "interpolate" else opt.gaps
        frame, rep = load_series_csv(path, opt.date_column, opt.columns, opt.freq, opt.duplicates, gaps,
                                     opt.date_format, **csv_format(opt))
        filled = int(frame.iloc[-lookback:].isna().sum().sum())
        if opt.gaps == "interpolate" and rep.missing_values:
            frame = fill_gaps(frame, rep, path)
        notes = [f"{path}: {action}" for action in rep.actions]
        if filled and opt.gaps == "interpolate":
            notes.append(f"{path}: {filled} of the values in the last {lookback} rows, which the forecast reads, were "
                         "missing and filled (data.gaps = 'interpolate'): the forecast reads them as observed")
        return frame, notes
    if (cfg.dataset or "ili_national_illness") in BENCHMARKS:
        frame = read_ltsf_csv(path)
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise DataError(f"{path}: no column {', '.join(map(repr, missing))}; the run's model reads {columns}")
        return frame[columns], []
    raise DataError(f"predict continues a series read from a file; the {cfg.dataset!r} run's data come from an "
                    "installed package (retrain on a CSV with --dataset csv to forecast your own series)")


def _step_times(labels: pd.Index, horizon: int) -> pd.DatetimeIndex | None:
    """Dates of the forecast steps when the window's dates advance by one fixed step, else None."""
    from .ltsf import as_dates

    parsed = as_dates(labels)
    if parsed is None:
        return None
    dates = pd.DatetimeIndex(parsed)
    steps = set(dates[1:] - dates[:-1])
    if len(steps) != 1 or min(steps) <= pd.Timedelta(0):
        return None
    step = steps.pop()
    return pd.DatetimeIndex([dates[-1] + step * h for h in range(1, horizon + 1)])


def _shown(stamps: pd.DatetimeIndex) -> list[str]:
    """Forecast times as written in the CSV: the date alone at midnight."""
    return [str(t.date()) if t == t.normalize() else str(t) for t in stamps]


def new_inputs(prep: Prepared, cfg, opt, files: list[str]):
    from common.predict import NewInputs
    from common.splits import Standardizer

    if prep.extra.get("protocol") == "rolling":
        from .rolling_forecast import rolling_new_inputs

        return rolling_new_inputs(prep, cfg, opt, files)
    if len(files) != 1:
        raise DataError(f"a forecast continues one series: give one CSV, not {len(files)}")
    path, columns = files[0], prep.extra["columns"]
    lookback, horizon = prep.extra["lookback"], prep.extra["horizon"]
    frame, notes = _series(cfg, opt, path, columns, lookback)
    if len(frame) < lookback:
        raise DataError(f"{path}: {len(frame)} rows; the run's model reads the last {lookback} rows")
    window = frame.iloc[-lookback:]
    if window.isna().any().any():
        first = window.index[window.isna().any(axis=1).to_numpy()][0]
        raise DataError(f"{path}: the last {lookback} rows, which the forecast reads, have a missing value at {first}")
    scaler = Standardizer.from_dict(prep.scalers["channels"])
    X = scaler.transform(window.to_numpy(float))[None].astype(np.float32)
    last = frame.index[-1]
    stamps = (pd.date_range(last, periods=horizon + 1, freq=opt.freq)[1:]
              if isinstance(frame.index, pd.DatetimeIndex) and opt.freq else _step_times(window.index, horizon))
    times = _shown(stamps) if stamps is not None else [f"{last} +{h}" for h in range(1, horizon + 1)]

    def table(outputs: dict[str, np.ndarray]) -> pd.DataFrame:
        out = {"step": np.repeat(np.arange(1, horizon + 1), len(columns)), "time": np.repeat(times, len(columns)),
               "channel": np.tile(columns, horizon),
               "last_observed": np.tile(window.to_numpy(float)[-1], horizon)}
        for name, values in outputs.items():
            out[name] = scaler.inverse_transform(np.asarray(values, dtype=float).reshape(horizon, len(columns))).ravel()
        return pd.DataFrame(out)

    shown = _shown(pd.DatetimeIndex([last]))[0] if isinstance(last, pd.Timestamp) else last
    notes.append(f"forecast of {len(columns)} channel(s), {horizon} steps after the last row ({shown}) of {path}")
    return NewInputs(X=X, table=table, notes=notes)

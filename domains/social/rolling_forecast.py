"""A forecast beyond the end of a series from a finished rolling-origin run (``lstm-suite predict RUN_DIR FILE``).

The file is read as the run read its data (page views and ILINet in their registered layouts, a CSV with the run's
``data.*`` options). Its last ``lookback`` rows become the encoder's window exactly as in training (target
transformed and scaled with the run's scalers, a missing value filled by the run's rule and flagged); the decoder
reads the calendar of the ``horizon`` steps after the last row. A run refitted before each block of origins
forecasts with each seed's last models (fitted on the most rows). Only runs whose forecast-step covariates are
calendar features can be continued: bikes read the holiday flags and weather of the forecast hours, and a CSV read
in UTC (changing UTC offsets) takes its calendar in local time, which offsets alone do not give for future dates.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from common.domain import DataError, Prepared


def rolling_new_inputs(prep: Prepared, cfg, opt, files: list[str]):
    from common.predict import NewInputs
    from common.splits import Standardizer

    from .forecast import _shown
    from .rolling import TRANSFORMS, input_rows
    from .rolling_sets import rolling_series
    from .sources import calendar_features, calendar_resolution

    ex = prep.extra
    if not ex.get("calendar_freq"):
        why = ("its decoder reads the holiday and working-day flags and the weather of the forecast hours, which a "
               "file of past hours does not hold" if cfg.dataset == "bike_sharing_uci" else
               "its calendar was taken in each row's local time (changing UTC offsets), which offsets alone do not "
               "give for dates after the file")
        raise DataError(f"predict cannot continue this rolling-origin run: {why}")
    if len(files) != 1:
        raise DataError(f"a forecast continues one series: give one file, not {len(files)}")
    path, lookback, horizon = files[0], ex["lookback"], ex["horizon"]
    data = rolling_series(cfg.dataset, opt, path)
    target_scaler = Standardizer.from_dict(prep.scalers["target"])
    cov_scaler = Standardizer.from_dict(prep.scalers["covariates"])
    past = data.past if data.past is not None else pd.DataFrame(index=data.target.index)
    known = [str(c) for c in data.covariates.columns]
    if known != list(ex["covariates"]) or past.shape[1] + len(known) != len(cov_scaler.mean):
        raise DataError(f"{path}: read as the run's data, it gives the covariates {known}; the run's model reads "
                        f"{list(ex['covariates'])}")
    y = data.target.to_numpy(dtype=float)
    if len(y) < lookback:
        raise DataError(f"{path}: {len(y)} rows; the run's model reads the last {lookback} rows")
    window = slice(len(y) - lookback, len(y))
    seen = np.flatnonzero(~np.isnan(y[window]))
    if not len(seen):
        raise DataError(f"{path}: the last {lookback} rows, which the forecast reads, hold no observed value")
    fwd, inv = TRANSFORMS[ex["transform"]]
    with np.errstate(divide="ignore", invalid="ignore"):
        yt = fwd(y)
    if np.isinf(yt).any() or (np.isnan(yt) & ~np.isnan(y)).any():
        bad = data.target.index[np.flatnonzero(~np.isfinite(yt) & ~np.isnan(y))[0]]
        raise DataError(f"{path}: value {data.target[bad]} at {bad} is out of range for the run's {ex['transform']} "
                        "transform")
    z = target_scaler.transform(yt[:, None])[:, 0]
    cov_z = cov_scaler.transform(np.c_[past.to_numpy(float), data.covariates.to_numpy(float)])
    sequence = input_rows(z, np.isnan(yt), cov_z, past.shape[1], ex["fill"], target_scaler, fwd)[0][window]
    last = data.target.index[-1]
    steps = pd.date_range(last, periods=horizon + 1, freq=ex["calendar_freq"])[1:]
    future = calendar_features(steps, calendar_resolution(ex["calendar_freq"]))
    padded = np.c_[np.zeros((horizon, past.shape[1])), future.to_numpy(float)]  # past-only columns: not read
    X = {"sequence": sequence[None],
         "future": cov_scaler.transform(padded)[:, past.shape[1]:][None].astype(np.float32)}
    shown = _shown(pd.DatetimeIndex([last]))[0]
    notes = [f"forecast of {data.target.name or 'the target'}, {horizon} steps after the last row ({shown}) of {path}"]
    if seen[-1] != lookback - 1:
        at = data.target.index[window][seen[-1]]
        notes.append(f"{path}: the target was last observed at {at}; the "
                     f"{lookback - 1 - seen[-1]} later rows enter the window as the run filled them ({ex['fill']})")
    observed = y[window][seen[-1]]

    def table(outputs: dict[str, np.ndarray]) -> pd.DataFrame:
        out = {"step": np.arange(1, horizon + 1), "time": _shown(steps), "last_observed": np.full(horizon, observed)}
        for name, values in outputs.items():
            scaled = np.asarray(values, dtype=float).reshape(horizon)
            out[name] = inv(scaled * target_scaler.scale[0] + target_scaler.mean[0])
        return pd.DataFrame(out)

    return NewInputs(X=X, table=table, notes=notes, bands=True, last_fold=True)

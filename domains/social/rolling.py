"""Rolling-origin evaluation of one series: forecasts from several origins at the end of the series.

An origin ``t`` is the last row a forecaster may see; it predicts rows ``t+1 .. t+H``. The ``count`` origins are
``step`` rows apart and the last one is ``n - 1 - H`` (its forecast ends with the series). Models are fitted
on what is known at the first origin: training windows have every target row before the validation rows, which
are the last ``val_fraction`` of the rows up to the origin. With ``refit_every = k`` the origins form blocks of k,
and every model is fitted again before each block on all rows up to the block's first origin (the same rule for
validation); the scalers (target after its transform, covariates) stay those fitted on the first block's training
rows, so every forecast is in the same units.

Inputs of a window: past steps ``t-L+1 .. t`` of [target (transformed, scaled; missing values filled by the
stated rule), missing flag, past-only covariates, known-future covariates] and, for the forecast steps, the
known-future covariates (read by the LSTM's decoder). Targets that were not observed are NaN: left out of the
loss and the metrics, counted in the leakage notes. Metrics are in the series' own units.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from common.domain import DataError, Prepared, count_of, describe_missing
from common.evaluation import audit
from common.metrics import naive_scale
from common.splits import Standardizer, float32_or_error

POINT = ("mae", "smape", "mase")
TRANSFORMS = {"none": (lambda a: a, lambda a: a), "log": (np.log, np.exp), "log1p": (np.log1p, np.expm1)}


@dataclass
class RollingData:
    target: pd.Series  # original units on a regular DatetimeIndex; NaN = not observed
    covariates: pd.DataFrame  # known over the forecast steps too (calendar, or observed weather standing in for a forecast)
    label: str
    season: int  # MASE denominator season
    seasons: tuple[int, ...]  # seasonal-naive baselines
    transform: str = "none"  # none | log | log1p: the models work on the transformed, standardised target
    fill: str = "ffill"  # how a missing target enters the inputs: ffill (last observed value) | zero
    past: pd.DataFrame | None = None  # covariates known only up to the origin
    sub_horizons: tuple[int, ...] = ()  # also score the first h steps (e.g. 24 of 168 hours)
    key: tuple[str, str] = ("", "")
    notes: list[str] = field(default_factory=list)
    # how the covariates of steps after the series can be built (``lstm-suite predict``): the pandas step of the
    # series when they are calendar features at ``sources.calendar_resolution(freq)``, "" when they are not
    calendar_freq: str = ""


def origin_positions(n: int, lookback: int, horizon: int, count: int, step: int, label: str = "") -> np.ndarray:
    """Row positions of the ``count`` forecast origins, ``step`` apart, the last at ``n - 1 - horizon``."""
    if count < 1 or step < 1:
        raise DataError(f"data.origins ({count}) and data.origin_step ({step}) must be >= 1")
    last = n - 1 - horizon
    first = last - step * (count - 1)
    if first < 3 * lookback + horizon:
        raise DataError(f"{label or 'series'}: the series ({n} rows) is too short for {count_of(count, 'origin')} "
                        f"{count_of(step, 'row')} apart with look-back {lookback} and horizon {horizon}: the "
                        f"{max(first, 0)} rows before the first origin must hold at least 3 x look-back + horizon = "
                        f"{3 * lookback + horizon} for training and validation; set fewer data.origins, a smaller "
                        "data.origin_step, or a shorter data.lookback or data.horizon")
    return np.arange(first, last + 1, step)


def _check_values(data: RollingData) -> np.ndarray:
    y = data.target.to_numpy(dtype=float)
    ok = ~np.isnan(y)
    if not ok.any():
        raise DataError(f"{data.label}: the target has no observed value")
    if data.transform not in TRANSFORMS:
        raise DataError(f"unknown transform {data.transform!r}; choose one of {sorted(TRANSFORMS)}")
    if data.fill not in ("ffill", "zero"):
        raise DataError(f"data.fill must be 'ffill' or 'zero', not {data.fill!r}")
    if data.fill == "zero" and data.transform == "log":
        raise DataError("data.fill = 'zero' needs a target transform that allows 0 (none or log1p), not log")
    low = {"log": 0.0, "log1p": -1.0}.get(data.transform)
    if low is not None and (y[ok] <= low).any():
        bad = data.target.index[np.flatnonzero(ok & (y <= low))[0]]
        raise DataError(f"{data.label}: value {data.target[bad]} at {bad} is out of range for the {data.transform} "
                        "transform")
    for covariates in (data.covariates, data.past):
        if covariates is not None and covariates.isna().any().any():
            raise DataError(f"{data.label}: covariates have {describe_missing(covariates)}; fill them (stating the "
                            "rule) before windowing")
    return y


def input_rows(z: np.ndarray, missing: np.ndarray, cov_z: np.ndarray, n_past: int, fill: str,
               target_scaler: Standardizer, fwd) -> tuple[np.ndarray, np.ndarray]:
    """Per row: what the encoder reads (the scaled target with its missing values filled by ``fill``, the missing
    flag, every scaled covariate) and what the decoder reads (the known-future covariates, after the ``n_past``
    past-only ones). ``fwd`` is the target transform, for the value 0 that ``fill = "zero"`` stands in."""
    if fill == "zero":
        z_in = np.where(missing, target_scaler.transform(np.array([[fwd(0.0)]]))[0, 0], z)
    else:
        z_in = pd.Series(z).ffill().fillna(0.0).to_numpy()  # leading gaps: the training mean
    return np.c_[z_in, missing.astype(float), cov_z].astype(np.float32), cov_z[:, n_past:].astype(np.float32)


def prepare_rolling(data: RollingData, lookback: int, horizon: int, count: int, step: int,
                    val_fraction: float = 0.2, train_stride: int = 1, refit_every: int = 0) -> Prepared:
    y_raw = _check_values(data)
    n = len(y_raw)
    if lookback < 2 or horizon < 1 or train_stride < 1 or not 0 < val_fraction < 1:
        raise DataError("data.lookback >= 2, data.horizon >= 1, data.train_stride >= 1, 0 < val_fraction < 1 required")
    if any(s > lookback for s in data.seasons):
        raise DataError(f"seasonal naive with seasons {data.seasons} needs data.lookback >= {max(data.seasons)}")
    origins = origin_positions(n, lookback, horizon, count, step, data.label)
    if refit_every < 0:
        raise DataError("data.refit_every must be >= 0 (0: fit once, before the first origin)")
    first = int(origins[0])

    def val_start_of(origin):  # validation target rows [val_start, origin]
        return origin + 1 - max(horizon, int(round(val_fraction * (origin + 1))))

    val_start = val_start_of(first)
    fwd, inv = TRANSFORMS[data.transform]
    with np.errstate(divide="ignore", invalid="ignore"):
        yt = fwd(y_raw)
    missing = np.isnan(yt)
    past = data.past.to_numpy(float) if data.past is not None else np.zeros((n, 0))
    fut = data.covariates.to_numpy(float)
    cov = np.c_[past, fut]
    target_name = [str(data.target.name or "target")]
    cov_names = [str(c) for c in (*(data.past.columns if data.past is not None else []), *data.covariates.columns)]
    target_scaler = Standardizer().fit(yt[:val_start], names=target_name, label=data.label)
    cov_scaler = Standardizer().fit(cov[:val_start], names=cov_names, label=data.label)
    z = target_scaler.transform(yt[:, None])[:, 0]
    float32_or_error(z, yt, target_name, data.target.index, data.label)  # a check only: z stays float64
    cov_z = cov_scaler.transform(cov)
    float32_or_error(cov_z, cov, cov_names, data.target.index, data.label)
    seq_rows, fut_rows = input_rows(z, missing, cov_z, past.shape[1], data.fill, target_scaler, fwd)
    back, ahead = np.arange(-lookback + 1, 1), np.arange(1, horizon + 1)

    def windows(ends):
        X = {"sequence": seq_rows[ends[:, None] + back], "future": fut_rows[ends[:, None] + ahead]}
        return X, z[ends[:, None] + ahead][..., None].astype(np.float32)

    def fold_sets(origin, test_origins, notes):
        vs = val_start_of(origin)
        ends = {"train": np.arange(lookback - 1, vs - horizon, train_stride),
                "val": np.arange(vs - 1, origin - horizon + 1), "test": np.asarray(test_origins)}
        sets = {k: windows(v) for k, v in ends.items()}
        for name in ("train", "val"):
            keep = ~np.isnan(sets[name][1]).all(axis=(1, 2))
            if len(keep) and not keep.any():
                first_t, last_t = (data.target.index[ends[name][i] + j] for i, j in ((0, 1), (-1, horizon)))
                raise DataError(f"{data.label}: none of the {len(keep)} {'validation' if name == 'val' else name} "
                                f"windows has an observed target (targets {first_t} to {last_t})")
            if not keep.all():
                notes.append(f"{count_of(int((~keep).sum()), name + ' window')} without any observed target left out"
                             + (f" (block from {data.target.index[origin]})" if origin != first else ""))
                sets[name] = ({k: v[keep] for k, v in sets[name][0].items()}, sets[name][1][keep])
                ends[name] = ends[name][keep]
            if not len(sets[name][1]):
                raise DataError(f"{data.label}: no {name} windows; shorten data.lookback or use fewer origins")
        return sets, ends

    notes = list(data.notes)
    sets, ends = fold_sets(first, origins, notes)
    blocks = [origins[i: i + refit_every] for i in range(0, len(origins), refit_every)] if refit_every else []
    folds = [fold_sets(int(b[0]), b, notes) for b in blocks] if len(blocks) > 1 else []
    unobserved = int(np.isnan(sets["test"][1]).sum())
    if unobserved == sets["test"][1].size:
        raise DataError(f"{data.label}: none of the {len(origins)} test windows has an observed target (origins "
                        f"{data.target.index[origins[0]]} to {data.target.index[origins[-1]]})")
    if unobserved:
        notes.append(f"{unobserved} of {sets['test'][1].size} test target values not observed: left out of the metrics")
    if np.isnan(naive_scale(y_raw[:val_start], data.season)):
        notes.append(f"the seasonal naive (season {data.season}) has no error over the training rows, so MASE is "
                     "undefined (nan)")
    index = data.target.index
    rep = audit(train_times=index[(ends["train"][:, None] + ahead).ravel()],
                test_times=index[(ends["test"][:, None] + ahead).ravel()])
    rep.notes.extend(notes)

    def report_units(a):
        return inv(np.asarray(a, dtype=float) * target_scaler.scale[0] + target_scaler.mean[0])

    metrics = (*POINT, "pinball", "coverage",
               *(f"{m}@h{h}" for h in data.sub_horizons if h < horizon for m in POINT))
    prep = Prepared(
        X_train=sets["train"][0], y_train=sets["train"][1], X_val=sets["val"][0], y_val=sets["val"][1],
        X_test=sets["test"][0], y_test=sets["test"][1], metrics=metrics, data_label=data.label,
        model_overrides={"head": "quantile", "horizon": horizon, "n_targets": 1},
        bootstrap_block=-(-horizon // step),  # forecasts whose target rows overlap are resampled together
        scalers={"target": target_scaler.to_dict(), "covariates": cov_scaler.to_dict()},
        scaler_fit_rows={"target": yt[:val_start], "covariates": cov[:val_start]},
        split={"kind": "chronological",
               "protocol": f"rolling origin: {count_of(count, 'origin')} {count_of(step, 'row')} apart, "
               + (f"refit before each block of {refit_every}" if folds else "no refit"),
               "n": n, "lookback": lookback, "horizon": horizon,
               "targets": {"train": (lookback, val_start), "val": (val_start, first + 1), "test": (first + 1, n)},
               "origins": [str(index[o]) for o in origins], "windows": {k: len(v[1]) for k, v in sets.items()}},
        audit=rep, to_report_units=report_units,
        metric_context={"y_train": y_raw[:val_start], "season": data.season},
        step_labels={f"h{h}": slice(0, h) for h in data.sub_horizons if h < horizon},
        test_keys={"origin": pd.Index(index[origins]).astype(str).to_numpy()},
        target_names=tuple(f"{data.target.name or 'target'} +{h}" for h in ahead), published_key=data.key,
        extra={"protocol": "rolling", "index": index, "origins": origins, "lookback": lookback, "horizon": horizon,
               "seasons": data.seasons, "series": y_raw, "transform": data.transform, "fill": data.fill,
               "covariates": list(data.covariates.columns), "calendar_freq": data.calendar_freq})
    if folds:  # one Prepared per block: its own training and validation windows, its origins as test windows
        prep.folds = [dataclasses.replace(prep, X_train=f[0]["train"][0], y_train=f[0]["train"][1], X_val=f[0]["val"][0],
                                          y_val=f[0]["val"][1], X_test=f[0]["test"][0], y_test=f[0]["test"][1],
                                          test_keys={"origin": pd.Index(index[f[1]["test"]]).astype(str).to_numpy()})
                      for f in folds]
    return prep

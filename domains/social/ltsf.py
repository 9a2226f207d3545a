"""The long-horizon forecasting protocol of the Autoformer / DLinear / PatchTST code (``Dataset_Custom``):
train = int(0.7 N) rows, test = int(0.2 N) rows, validation the rest; validation and test windows look back
into the preceding split; a standard scaler fitted on the training rows (all channels); every channel
predicted; every stride-1 test window kept (N_test - horizon + 1 of them); MSE and MAE on scaled data.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from common.domain import DataError, Prepared, describe_missing
from common.evaluation import audit
from common.splits import Standardizer, chronological_split, float32_or_error
from common.windows import make_windows, window_ends

METRICS = ("mse", "mae", "mse_target", "mae_target", "mae@original", "mase@original")


@dataclass
class LTSFData:
    frame: pd.DataFrame  # numeric channels in column order; the target channel included
    target: str
    season: int  # for MASE and the seasonal-naive baseline
    label: str
    key: tuple[str, str] = ("", "")


def read_ltsf_csv(path, date_column: str = "date") -> pd.DataFrame:
    """A benchmark CSV: a date column (a synthetic index in these files: kept as the row labels, as written, and
    never an input) and numeric channels."""
    from .series import numeric_columns, read_csv

    frame = read_csv(path)
    if date_column not in frame.columns:
        raise DataError(f"{path}: no {date_column!r} column; the file has {list(frame.columns)}")
    cols = [c for c in frame.columns if c != date_column]
    values = numeric_columns(frame, cols, path)
    if values.isna().any().any():
        rows = values.set_axis(values.index + 2)  # the file's row: the header is row 1
        raise DataError(f"{path}: {describe_missing(rows, 'on row')}; the benchmark files have none")
    labels = pd.Index(frame[date_column].astype(str), name=date_column)  # as written in the file
    check_time_order(labels, path)
    return values.set_axis(labels)


def as_dates(labels: pd.Index, utc: bool = False) -> pd.Series | None:
    """Row labels as dates, or None where one of them is not a date (or pandas cannot put them in one column, e.g.
    two UTC offsets without ``utc``)."""
    try:
        dates = pd.to_datetime(pd.Series(labels), errors="coerce", utc=utc)
    except (ValueError, TypeError):
        return None
    return None if dates.isna().any() else dates


def check_time_order(labels: pd.Index, path: str) -> None:
    """A benchmark-layout file's rows are read as they stand, so its dates (where they parse as dates) must increase:
    a file with its newest row first, or a row written twice, is an error naming the row."""
    dates = as_dates(labels, utc=True)  # in UTC, so that rows with other UTC offsets compare as instants
    if dates is None:
        return
    step = dates.diff().to_numpy()[1:]
    bad = np.flatnonzero(step <= np.timedelta64(0))
    if len(bad):
        k = int(bad[0]) + 1  # the file's rows: the header is row 1, so label k is on row k + 2
        if step[bad[0]] == np.timedelta64(0):
            raise DataError(f"{path}: row {k + 2} repeats the date {labels[k]} of row {k + 1}")
        raise DataError(f"{path}: the dates are not in increasing order: row {k + 2} ({labels[k]}) is earlier than "
                        f"row {k + 1} ({labels[k - 1]})")


def prepare_ltsf(data: LTSFData, lookback: int, horizon: int, test_drop_last: int = 0) -> Prepared:
    """Windows of the protocol. ``test_drop_last = b > 0`` keeps only the first floor(n / b) * b test windows,
    as a test loader with batch size b and ``drop_last=True`` does (some published tables were computed so);
    the default keeps every window."""
    if lookback < 2 or horizon < 1:
        raise DataError(f"{data.label}: data.lookback must be >= 2 and data.horizon >= 1, not {lookback} and {horizon}")
    x = data.frame.to_numpy(dtype=np.float64)
    n, channels = x.shape
    if data.target not in data.frame.columns:
        raise DataError(f"{data.label}: data.target {data.target!r} is not one of its columns "
                        f"{list(data.frame.columns)}")
    try:
        split = chronological_split(n, 0.7, 0.2, lookback)
    except ValueError as err:
        raise DataError(f"{data.label}: {err}") from None
    for name in ("train", "val", "test"):
        a, b = split.targets(name)
        if b - a < horizon or (name == "train" and b - lookback - horizon + 1 < 1):
            raise DataError(f"{data.label}: the {name} split ({b - a} rows) is too short for look-back {lookback} "
                            f"and horizon {horizon}")
    scaler = Standardizer().fit(x[: split.n_train], names=list(data.frame.columns), label=data.label)
    z = float32_or_error(scaler.transform(x), x, list(data.frame.columns), data.frame.index, data.label)
    sets = {name: make_windows(z, lookback, horizon, start=split.targets(name)[0], stop=split.targets(name)[1])
            for name in ("train", "val", "test")}
    n_test_windows = len(sets["test"][1])
    if test_drop_last > 0:
        keep = (n_test_windows // test_drop_last) * test_drop_last
        if keep == 0:
            raise DataError(f"test_drop_last = {test_drop_last} would drop all {n_test_windows} test windows")
        sets["test"] = (sets["test"][0][:keep], sets["test"][1][:keep])
    first_targets = window_ends(n, lookback, horizon, *split.targets("test"))[:len(sets["test"][1])]
    origins = data.frame.index[first_targets - 1].astype(str).to_numpy()  # the last input row of each test window
    names = [f"{c} +{h}" for h in range(1, horizon + 1) for c in data.frame.columns]  # y is (horizon, channel)
    target_index = list(data.frame.columns).index(data.target)
    original_train = x[: split.n_train]
    t = np.arange(n)
    ends = {name: np.arange(split.targets(name)[0], split.targets(name)[1]) for name in sets}
    rep = audit(train_times=t[ends["train"]], test_times=t[ends["test"]])
    flat = [c for c, d in zip(data.frame.columns, np.abs(np.diff(original_train, axis=0)).sum(axis=0)) if d == 0]
    if flat:  # its MASE denominator (the training naive error) is 0, so MASE is undefined: say why, not just nan
        rep.notes.append(f"channel(s) {flat} constant over the training rows: scaled as they are (scale 1), and "
                         "MASE is undefined (nan) since the naive forecast has no training error")
    if test_drop_last:
        rep.notes.append(f"test windows as a drop_last loader of batch {test_drop_last} sees them: "
                         f"{len(sets['test'][1])} of {n_test_windows} (not the default protocol)")
    return Prepared(
        X_train=sets["train"][0], y_train=sets["train"][1], X_val=sets["val"][0], y_val=sets["val"][1],
        X_test=sets["test"][0], y_test=sets["test"][1], metrics=METRICS, data_label=data.label,
        bootstrap_block=horizon,  # consecutive stride-1 windows share horizon - 1 target steps
        model_overrides={"head": "forecast", "horizon": horizon, "n_targets": channels},
        scalers={"channels": scaler.to_dict()}, scaler_fit_rows={"channels": original_train},
        split={"kind": "chronological", "protocol": "LTSF Dataset_Custom 7:1:2", "n": n, "lookback": lookback,
               "horizon": horizon, "rows": {"train": split.train, "val": split.val, "test": split.test},
               "targets": {k: split.targets(k) for k in ("train", "val", "test")},
               "windows": {k: len(v[1]) for k, v in sets.items()}, "test_windows_dropped": n_test_windows - len(sets["test"][1])},
        audit=rep, metric_context={"target_index": target_index}, test_keys={"origin": origins},
        target_names=tuple(names), feature_names=tuple(map(str, data.frame.columns)),
        original_units=scaler.inverse_transform,
        original_context={"y_train": original_train, "season": data.season, "target_index": target_index},
        published_key=data.key,
        extra={"columns": list(data.frame.columns), "target_index": target_index, "season": data.season,
               "lookback": lookback, "horizon": horizon})

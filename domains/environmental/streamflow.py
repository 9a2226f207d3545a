"""Rainfall-runoff windows under the CAMELS protocol of Kratzert et al. (2019) / NeuralHydrology.

Each sample is one basin-day: the previous ``seq_length`` days of forcing (the day itself included) and the
observed flow of that day (mm/day). Periods are water years; training days whose flow is missing are left out
(the loss never sees them, nothing is filled); test days without flow are kept and masked by the metrics.
Scalers are fitted on the training basins' training period only (inputs: every day; target: observed days). Metrics are
computed per basin (samples in time order) and the median over basins is reported.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from common import windows as windowing
from common.domain import DataError, Prepared, count_of
from common.evaluation import audit
from common.lazy_windows import WindowView
from common.splits import Standardizer

METRICS = ("nse", "kge", "fhv", "flv", "peak_timing")
PERIODS = {"train": ("1999-10-01", "2008-09-30"), "val": ("2008-10-01", "2013-09-30"),
           "test": ("1994-10-01", "1999-09-30")}
LONG_TEST = ("1989-10-01", "1999-09-30")  # the published test period, where a basin's record covers it
NSE_EPS = 0.1  # Kratzert et al. (2019), eq. 4


@dataclass
class BasinSeries:
    basin: str
    dates: pd.DatetimeIndex
    x: np.ndarray  # (days, inputs) raw forcing
    q: np.ndarray  # (days,) observed flow, NaN = missing
    notes: list[str] = field(default_factory=list)


class SampleIndex:
    """Which basin and date each sample of a split is, found by the identity of the split's input object, so
    baselines that need the calendar (climatology) or a stored reference simulation keep the fit/predict shape."""

    def __init__(self):
        self._meta = {}

    def register(self, X, basins: np.ndarray, dates: np.ndarray) -> None:
        self._meta[id(X)] = (X, basins, dates)

    def __call__(self, X) -> tuple[np.ndarray, np.ndarray]:
        hit = self._meta.get(id(X))
        if hit is None or hit[0] is not X:
            raise ValueError("these inputs are not one of the prepared splits; calendar baselines need the "
                             "Prepared arrays themselves")
        return hit[1], hit[2]


def hold_out(names: list[str], held_out, option: str, what: str) -> list[str]:
    """The entities left for training when ``held_out`` are never trained on (an entity-grouped split);
    held-out names that were not loaded, or holding out all of them, are errors naming ``option``."""
    unknown = sorted(set(held_out) - set(names))
    if unknown:
        raise DataError(f"{option} {unknown} are not among the loaded {what} {names}")
    train = [n for n in names if n not in set(held_out)]
    if not train:
        raise DataError(f"{option} holds out every one of the {what}: nothing left to train on")
    return train


def _test_period(series: BasinSeries, seq_length: int, test: str, periods: dict | None = None) -> tuple[str, str]:
    if periods is not None:  # data.periods
        return periods["test"]
    if test == "standard":
        return PERIODS["test"]
    if test == "long":
        return LONG_TEST
    first = series.dates[0] + pd.Timedelta(days=seq_length - 1)
    return LONG_TEST if first <= pd.Timestamp(LONG_TEST[0]) else PERIODS["test"]  # "auto"


def _rows(series: BasinSeries, period: tuple[str, str], seq_length: int, need_flow: bool, notes: list[str],
          split: str) -> np.ndarray:
    d = series.dates
    inside = np.flatnonzero((d >= pd.Timestamp(period[0])) & (d <= pd.Timestamp(period[1])))
    if len(inside) == 0:
        notes.append(f"{series.basin}: no {split} days in the record ({period[0]}..{period[1]})")
        return inside
    days = (pd.Timestamp(period[1]) - pd.Timestamp(period[0])).days + 1
    if len(inside) < days:  # scored over the days it has: said, not silent
        notes.append(f"{series.basin}: the record ({d[0].date()}..{d[-1].date()}) covers {len(inside)} of the {days} "
                     f"{split} days ({period[0]}..{period[1]})")
    warm = inside[inside >= seq_length - 1]
    if len(warm) < len(inside):
        notes.append(f"{series.basin}: {count_of(len(inside) - len(warm), split + ' day')} without "
                     f"{seq_length - 1} days of "
                     "earlier forcing (left out)")
    if need_flow:
        observed = warm[~np.isnan(series.q[warm])]
        if len(observed) < len(warm):
            notes.append(f"{series.basin}: {count_of(len(warm) - len(observed), split + ' day')} without observed flow "
                         "(left out of the loss)")
        return observed
    if np.isnan(series.q[warm]).all():
        notes.append(f"{series.basin}: no observed flow in the {split} period: not scored")
    return warm


def _streamed(windows: str, samples: int, steps: int, features: int, label: str, notes: list[str]) -> bool:
    """Whether to cut the windows from the daily rows on demand (``data.windows``), said in ``notes``; "arrays"
    that would not fit in memory are refused before they are built."""
    need, limit = samples * steps * features * 4, windowing.memory_limit()
    if windows == "arrays" or (windows == "auto" and (limit is None or need <= limit[0] / 2)):
        windowing.check_window_memory(samples, steps, features, label,
                                      "use fewer basins, a shorter data.seq_length, data.val_stride = k to keep every "
                                      "k-th validation day, or data.windows = 'auto' to cut the windows from the "
                                      "daily rows batch by batch")
        return False
    why = f", more than half of the memory ({limit[1]})" if windows == "auto" else ""
    notes.append(f"the windows are cut from the basins' daily rows batch by batch (data.windows = {windows!r}): as "
                 f"arrays they would take {windowing.size_text(need)}{why}")
    return True


def prepare_streamflow(series: list[BasinSeries], *, seq_length: int = 365, statics: pd.DataFrame | None = None,
                       test_basins: tuple[str, ...] = (), test: str = "auto", loss: str = "mse",
                       val_stride: int = 1, label: str = "", reference: dict[str, pd.Series] | None = None,
                       published_key: tuple[str, str] = ("", ""), input_names: tuple[str, ...] = (),
                       periods: dict[str, tuple[str, str]] | None = None, windows: str = "auto") -> Prepared:
    """``test_basins`` non-empty: the ungauged mode (those basins are never trained on and are scored over
    their test period). ``reference``: a stored simulation per basin (e.g. SAC-SMA), aligned to test samples.
    ``periods``: train / val / test (start, end) instead of ``PERIODS`` and ``test`` (``data.periods``).
    ``windows``: "arrays" builds every window; "stream" keeps the basins' scaled daily rows and cuts windows from them
    on demand (``WindowView``); "auto" streams when the arrays would take more than half the memory."""
    if seq_length < 2:
        raise DataError("data.seq_length must be at least 2")
    if loss not in ("mse", "nse"):
        raise DataError(f"data.loss must be 'mse' or 'nse', not {loss!r}")
    if windows not in ("auto", "arrays", "stream"):
        raise DataError(f"data.windows must be auto, arrays or stream, not {windows!r}")
    if test not in ("auto", "standard", "long"):
        raise DataError(f"data.test_period must be auto, standard or long, not {test!r}")
    if periods is not None and test != "auto":
        raise DataError(f"data.test_period = {test!r} picks one of the release's test periods; with data.periods the "
                        "test period is its last two dates")
    own = periods or PERIODS
    longest = max(len(s.dates) for s in series)
    if seq_length > longest:
        raise DataError(f"data.seq_length {seq_length} days is longer than the forcing record of every basin "
                        f"(the longest: {longest} days)")
    train_names = hold_out([s.basin for s in series], test_basins, "data.ungauged_basins", "basins")
    train_series = [s for s in series if s.basin in train_names]
    notes = [n for s in series for n in s.notes]
    rows = {"train": {}, "val": {}, "test": {}}
    for s in series:
        if s.basin not in test_basins:
            rows["train"][s.basin] = _rows(s, own["train"], seq_length, True, notes, "train")
            rows["val"][s.basin] = _rows(s, own["val"], seq_length, True, notes, "validation")[::val_stride]
        if not test_basins or s.basin in test_basins:
            rows["test"][s.basin] = _rows(s, _test_period(s, seq_length, test, periods), seq_length, False, notes,
                                          "test")
    if sum(len(r) for r in rows["train"].values()) == 0:
        raise DataError(f"{label}: no training days with observed flow in {own['train']}")
    streamed = _streamed(windows, sum(len(r) for split in rows.values() for r in split.values()), seq_length,
                         series[0].x.shape[1], label, notes)
    period = {s.basin: (s.dates >= pd.Timestamp(own["train"][0])) & (s.dates <= pd.Timestamp(own["train"][1]))
              for s in train_series}
    fit_x = np.concatenate([s.x[period[s.basin]] for s in train_series])  # every training-period day
    fit_q = np.concatenate([s.q[rows["train"][s.basin]] for s in train_series])[:, None]
    xs = Standardizer().fit(fit_x, names=list(input_names) or None, label=label)
    qs = Standardizer().fit(fit_q, names=["streamflow"], label=label)
    scalers, fit_rows = {"inputs": xs.to_dict(), "target": qs.to_dict()}, {"inputs": fit_x, "target": fit_q}
    static_z = None
    if statics is not None:
        ss = Standardizer().fit(statics.loc[[s.basin for s in train_series]].to_numpy(float))
        static_z = pd.DataFrame(ss.transform(statics.to_numpy(float)), index=statics.index).astype(np.float32)
        scalers["static"] = ss.to_dict()
        fit_rows["static"] = statics.loc[[s.basin for s in train_series]].to_numpy(float)
    index, sets, meta = SampleIndex(), {}, {}
    scaled = {s.basin: (xs.transform(s.x).astype(np.float32), qs.transform(s.q[:, None])[:, 0]) for s in series}
    if streamed:  # every basin's daily rows, one after another, held once for all splits
        all_rows = np.concatenate([scaled[s.basin][0] for s in series])
        offset = dict(zip([s.basin for s in series], np.cumsum([0] + [len(s.x) for s in series[:-1]])))
    for split, by_basin in rows.items():
        Xs, ys, bs, ds, ws = [], [], [], [], []
        for s in series:
            r = by_basin.get(s.basin)
            if r is None or len(r) == 0:
                continue
            z, qz = scaled[s.basin]
            if streamed:
                Xs.append(offset[s.basin] + r - seq_length + 1)  # the first row of each window
            else:
                win = sliding_window_view(z, seq_length, axis=0)  # (days - L + 1, features, L)
                Xs.append(np.moveaxis(win[r - seq_length + 1], -1, 1))
            ys.append(qz[r].astype(np.float32))
            bs.append(np.full(len(r), s.basin))
            ds.append(s.dates[r].to_numpy())
            train_q = qz[rows["train"].get(s.basin, np.arange(0))]
            ws.append(np.full(len(r), 1.0 / (np.nanstd(train_q) + NSE_EPS) ** 2 if len(train_q) else 1.0))
        if not Xs:
            word = {"val": "validation"}.get(split, split)
            raise DataError(f"{label}: no {word} samples (see: {'; '.join(notes[-3:])})")
        X = WindowView(all_rows, np.concatenate(Xs), seq_length) if streamed else np.concatenate(Xs)
        basins = np.concatenate(bs)
        if static_z is not None:
            X = {"sequence": X, "static": static_z.loc[basins].to_numpy(np.float32)}
        sets[split] = (X, np.concatenate(ys)[:, None], np.concatenate(ws))
        meta[split] = (basins, np.concatenate(ds))
        index.register(X, *meta[split])
    tested = {s.basin: _test_period(s, seq_length, test, periods) for s in series if s.basin in rows["test"]}
    if np.isnan(sets["test"][1]).all():  # nothing to score: say so before training, not after
        spans = ", ".join(f"{basin}: {'..'.join(span)}" for basin, span in tested.items())
        raise DataError(f"{label}: no test basin has observed flow in its test period ({spans}); every metric would "
                        "be undefined. Choose the test years with data.periods or data.test_period, or other basins")
    key = {k: np.char.add(np.char.add(meta[k][0].astype(str), "|"), np.datetime_as_string(meta[k][1], "D"))
           for k in meta}
    rep = audit(train_times=key["train"], test_times=key["test"], train_groups=meta["train"][0],
                test_groups=meta["test"][0], expect_shared_groups=not test_basins)
    rep.notes.extend(notes)
    test_ref = None
    if reference:
        test_ref = np.array([reference[b].get(d, np.nan) if b in reference else np.nan
                             for b, d in zip(*meta["test"])], dtype=float)
    split_info = {"kind": "grouped" if test_basins else "periods", "seq_length": seq_length,
                  "periods": {**own, "test_per_basin": tested},
                  "train_basins": [s.basin for s in train_series], "test_basins": sorted(rows["test"]),
                  "samples": {k: len(v[1]) for k, v in sets.items()}, "val_stride": val_stride,
                  "windows": "streamed" if streamed else "arrays"}
    overrides = {"head": "regression", "n_targets": 1}
    return Prepared(
        X_train=sets["train"][0], y_train=sets["train"][1], X_val=sets["val"][0], y_val=sets["val"][1],
        X_test=sets["test"][0], y_test=sets["test"][1], metrics=METRICS, data_label=label,
        model_overrides=overrides, scalers=scalers, scaler_fit_rows=fit_rows, split=split_info, audit=rep,
        to_report_units=lambda a: qs.inverse_transform(np.asarray(a, float).reshape(-1, 1)).reshape(np.shape(a)),
        published_key=published_key, metric_groups=meta["test"][0],
        bootstrap_block=30,  # a month of days: a basin's daily flow errors are autocorrelated over days to weeks
        test_keys={"basin": meta["test"][0], "date": pd.DatetimeIndex(meta["test"][1]).strftime("%Y-%m-%d").to_numpy()},
        target_names=("streamflow (mm/day)",),
        feature_names={"sequence": tuple(input_names), "static": tuple(map(str, statics.columns))}
        if static_z is not None else tuple(input_names),
        sample_weight=(sets["train"][2], sets["val"][2]) if loss == "nse" else None,
        extra={"index": index, "test_basins": meta["test"][0], "test_dates": meta["test"][1],
               "reference": test_ref, "inputs_scaler": xs, "has_static": static_z is not None})

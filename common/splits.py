"""Leak-free splits and scalers fitted on training rows only.

>>> s = chronological_split(100, train=0.7, test=0.2, lookback=10)
>>> (s.train, s.val, s.test)
((0, 70), (60, 80), (70, 100))
>>> s.targets("test")
(80, 100)
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .domain import DataError


@dataclass(frozen=True)
class ChronoSplit:
    """Row ranges ``[a, b)`` of each split, including the look-back context borrowed from the split before.

    ``n_train``, ``n_val`` and ``n_test`` count the rows whose targets belong to each split.
    """

    n: int
    lookback: int
    n_train: int
    n_val: int
    n_test: int

    @property
    def train(self) -> tuple[int, int]:
        return 0, self.n_train

    @property
    def val(self) -> tuple[int, int]:
        return self.n_train - self.lookback, self.n_train + self.n_val

    @property
    def test(self) -> tuple[int, int]:
        return self.n - self.n_test - self.lookback, self.n

    def targets(self, name: str) -> tuple[int, int]:
        """Rows whose values are targets of split ``name`` (no overlap between splits)."""
        return {"train": (0, self.n_train), "val": (self.n_train, self.n_train + self.n_val),
                "test": (self.n - self.n_test, self.n)}[name]


def chronological_split(n: int, train: float = 0.7, test: float = 0.2, lookback: int = 0) -> ChronoSplit:
    """Train = int(train * n) first rows, test = int(test * n) last rows, validation the rest.

    This is the split of the long-horizon forecasting code (Autoformer/DLinear/PatchTST ``Dataset_Custom``):
    validation and test windows may look back ``lookback`` rows into the preceding split.
    """
    n_train, n_test = int(n * train), int(n * test)
    n_val = n - n_train - n_test
    if min(n_train, n_val, n_test) <= 0:
        raise ValueError(f"series of {n} rows is too short for a {train:.0%}/{1 - train - test:.0%}/{test:.0%} split")
    if lookback > n_train:
        raise ValueError(f"look-back {lookback} exceeds the {n_train} training rows of a {n}-row series")
    return ChronoSplit(n=n, lookback=lookback, n_train=n_train, n_val=n_val, n_test=n_test)


def date_split(dates, periods: dict[str, tuple[str, str]]) -> dict[str, np.ndarray]:
    """Boolean row masks for named inclusive date periods; overlapping periods are an error."""
    import pandas as pd

    dates = pd.DatetimeIndex(dates)
    masks = {name: np.asarray((dates >= pd.Timestamp(a)) & (dates <= pd.Timestamp(b))) for name, (a, b) in periods.items()}
    shared = overlapping_periods(periods)
    if shared:
        a, b, lo, hi = shared
        raise ValueError(f"periods {a} and {b} overlap ({lo.date()}..{hi.date()})")
    return masks


def overlapping_periods(periods: dict[str, tuple[str, str]]):
    """The first two named inclusive periods that share a moment, with the shared span (a, b, start, end), or None."""
    import pandas as pd

    names = list(periods)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            lo = max(pd.Timestamp(periods[a][0]), pd.Timestamp(periods[b][0]))
            hi = min(pd.Timestamp(periods[a][1]), pd.Timestamp(periods[b][1]))
            if lo <= hi:
                return a, b, lo, hi
    return None


def date_periods(dates: Sequence[str], chronological: bool = True) -> dict[str, tuple[str, str]] | None:
    """The periods of a ``data.periods`` option (train start, end, validation start, end, test start, end; inclusive),
    checked; None when no dates are given. ``chronological``: each period after the one before (forecasting);
    otherwise any order (simulation, such as the CAMELS protocol that tests on years before training), but each
    period must end after it starts and no two may overlap."""
    import pandas as pd

    if not dates:
        return None
    if len(dates) != 6:
        raise DataError(f"data.periods takes six dates (train start, end, validation start, end, test start, end), "
                        f"not {len(dates)}")
    stamps = []
    for d in dates:
        try:
            stamps.append(pd.Timestamp(d))
        except (ValueError, TypeError):
            raise DataError(f"data.periods: {d!r} is not a date (e.g. '2016-03-01' or '2017-02-28 23:00')") from None
    periods = {k: (dates[2 * i], dates[2 * i + 1]) for i, k in enumerate(("train", "val", "test"))}
    if chronological:
        if any(b <= a for a, b in zip(stamps, stamps[1:])):
            raise DataError(f"data.periods {list(dates)}: the dates must be in increasing order, each period after "
                            "the one before")
        return periods
    word = {"train": "train", "val": "validation", "test": "test"}
    for i, (k, (start, end)) in enumerate(periods.items()):
        if stamps[2 * i + 1] <= stamps[2 * i]:
            raise DataError(f"data.periods: the {word[k]} period ends ({end}) before it starts ({start})")
    shared = overlapping_periods(periods)
    if shared:
        a, b = shared[:2]
        raise DataError(f"data.periods: {word[a]} ({periods[a][0]}..{periods[a][1]}) and {word[b]} "
                        f"({periods[b][0]}..{periods[b][1]}) overlap")
    return periods


def group_split(groups, val_fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Split entities (engines, basins, stations), not rows: returns boolean row masks (train, val)."""
    groups = np.asarray(groups)
    uniq = np.unique(groups)
    if len(uniq) < 2:
        raise ValueError("a grouped split needs at least two entities")
    n_val = min(len(uniq) - 1, max(1, int(round(val_fraction * len(uniq)))))
    val_ids = np.random.default_rng(seed).choice(uniq, size=n_val, replace=False)
    val = np.isin(groups, val_ids)
    return ~val, val


def stratified_folds(labels, k: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified k-fold (train index, validation index) pairs (scikit-learn's StratifiedKFold, shuffled)."""
    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray(labels)
    return list(StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(len(labels)), labels))


def constant_columns(rows: np.ndarray) -> np.ndarray:
    """True for each column (of 2-D ``rows``) without a real spread: a standard deviation of at most 1e-12 times
    its largest magnitude (floating-point rounding gives a constant 14.62 a std of 3.6e-15, not 0), or no
    observed value (NaN ignored)."""
    rows = np.asarray(rows, dtype=float)
    with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: their std and peak are NaN
        std, peak = np.nanstd(rows, axis=0), np.nanmax(np.abs(rows), axis=0)
    return ~np.isfinite(std) | (std <= 1e-12 * peak)


@dataclass
class Standardizer:
    """Per-feature z-score fitted on training rows only; NaNs are ignored when fitting and kept when applying.

    Features without training variance (``constant_columns``: zero, or rounding noise) get scale 1 (they carry no
    information, and dividing by zero, or by 1e-15, would turn them into NaN or huge values). A feature whose
    variance overflows (values beyond about 1e154) is a DataError
    naming it (``names``, else its index) after ``label`` (the data set or file): scaled by 1 it would reach the
    network as infinities.
    """

    mean: np.ndarray | None = None
    scale: np.ndarray | None = None

    def fit(self, rows: np.ndarray, names: Sequence[str] | None = None, label: str = "") -> "Standardizer":
        rows = np.asarray(rows, dtype=float)
        rows = rows.reshape(-1, rows.shape[-1]) if rows.ndim > 1 else rows[:, None]
        self.mean = np.nanmean(rows, axis=0)
        with np.errstate(over="ignore", invalid="ignore"):
            std = np.nanstd(rows, axis=0)
        overflow = np.flatnonzero(np.isinf(std) | np.isinf(self.mean))
        if len(overflow):
            k = overflow[0]
            where = (f"{label}: " if label else "") + (f"column {names[k]!r}" if names is not None else f"feature {k}")
            raise DataError(f"{where} holds values too large to standardise (largest magnitude "
                            f"{np.nanmax(np.abs(rows[:, k])):.3g}; its variance overflows): check it for a unit or "
                            "typing error")
        self.scale = np.where(constant_columns(rows), 1.0, std)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=float) - self.mean) / self.scale

    def inverse_transform(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=float) * self.scale + self.mean

    def to_dict(self) -> dict:
        return {"kind": "standard", "mean": self.mean.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "Standardizer":
        return cls(mean=np.asarray(d["mean"]), scale=np.asarray(d["scale"]))


def float32_or_error(z: np.ndarray, x: np.ndarray, names: Sequence[str], rows: Sequence, label: str) -> np.ndarray:
    """Scaled rows ``z`` (of raw rows ``x``) as float32, or a DataError naming the first finite raw value that
    float32 cannot hold once scaled (about 3.4e38 training standard deviations from the training mean)."""
    z, x = np.asarray(z, dtype=float), np.asarray(x, dtype=float)
    z, x = (a[:, None] if a.ndim == 1 else a for a in (z, x))
    with np.errstate(over="ignore"):
        z32 = z.astype(np.float32)
    bad = np.argwhere(np.isinf(z32) & np.isfinite(x))
    if len(bad):
        row, col = bad[0]
        raise DataError(f"{label}: column {names[col]!r} row {rows[row]} holds {x[row, col]:.3g}, {z[row, col]:.3g} "
                        "training standard deviations from the training mean, beyond what float32 holds: check it "
                        "for a unit or typing error")
    return z32

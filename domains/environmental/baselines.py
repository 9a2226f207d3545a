"""Streamflow baselines with the LSTM's fit/predict shape.

- ``DayOfYearClimatology``: each basin's mean training flow per day of year (31-day circular smoothing);
  a basin never trained on (ungauged mode) gets the mean climatology of the training basins.
- ``forcing_sums_ridge``: ridge regression on precipitation sums and temperature / radiation / humidity means
  over windows of 1..365 days (and the static attributes when the data has them).
- ``forcing_lags_gbm``: gradient boosting on the last 7 days of every forcing plus the same window sums.
- ``ReferenceSimulation``: a stored simulation (the CAMELS SAC-SMA run) looked up per test sample.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from common.lazy_windows import WindowView

SUM_WINDOWS = (1, 3, 7, 15, 30, 60, 90, 180, 365)
MEAN_WINDOWS = (1, 7, 30, 90)


def forcing_features(X, inputs: tuple[str, ...], lags: int = 0, precipitation: str = "prcp",
                     chunk: int = 4096) -> np.ndarray:
    """Window features from (scaled) forcing windows: sums of the ``precipitation`` input (name compared without
    case; "" for none) over ``SUM_WINDOWS`` days, means of the other inputs over ``MEAN_WINDOWS`` days, optionally the
    last ``lags`` days raw, and the statics. Windows cut on demand (a ``WindowView``) are read ``chunk`` at a time."""
    seq = X["sequence"] if isinstance(X, dict) else X
    if isinstance(seq, WindowView):
        static = X.get("static") if isinstance(X, dict) else None
        parts = []
        for first in range(0, len(seq), chunk):
            part = seq[first:first + chunk]
            if static is not None:
                part = {"sequence": part, "static": static[first:first + chunk]}
            parts.append(forcing_features(part, inputs, lags, precipitation))
        return np.concatenate(parts)
    L = seq.shape[1]
    cols = []
    csum = np.cumsum(seq[:, ::-1, :], axis=1, dtype=np.float64)  # csum[:, k-1] = sum of the last k days
    for j, name in enumerate(inputs):
        summed = bool(precipitation) and name.lower() == precipitation.lower()
        for w in (SUM_WINDOWS if summed else MEAN_WINDOWS):
            if w <= L:
                cols.append(csum[:, w - 1, j] / (1 if summed else w))
    feats = [np.stack(cols, axis=1)]
    if lags:
        feats.append(seq[:, -lags:, :].reshape(len(seq), -1))
    if isinstance(X, dict) and "static" in X:
        feats.append(np.asarray(X["static"], dtype=np.float64))
    return np.concatenate(feats, axis=1)


class ForcingFeatureModel(BaseEstimator):
    def __init__(self, estimator, inputs: tuple[str, ...], lags: int = 0, precipitation: str = "prcp"):
        self.estimator, self.inputs, self.lags, self.precipitation = estimator, inputs, lags, precipitation

    def _features(self, X) -> np.ndarray:
        return forcing_features(X, self.inputs, self.lags, self.precipitation)

    def fit(self, X, y):
        self.estimator.fit(self._features(X), np.asarray(y, float).ravel())
        return self

    def predict(self, X):
        return self.estimator.predict(self._features(X))[:, None]


def forcing_sums_ridge(inputs, alpha: float = 1.0, precipitation: str = "prcp") -> ForcingFeatureModel:
    return ForcingFeatureModel(make_pipeline(StandardScaler(), Ridge(alpha=alpha)), tuple(inputs),
                               precipitation=precipitation)


def forcing_lags_gbm(inputs, seed: int = 0, precipitation: str = "prcp") -> ForcingFeatureModel:
    return ForcingFeatureModel(HistGradientBoostingRegressor(max_iter=300, learning_rate=0.05, random_state=seed),
                               tuple(inputs), lags=7, precipitation=precipitation)


class DayOfYearClimatology(BaseEstimator):
    # it looks up each sample's basin and date in the run's prepared splits, so it cannot take new inputs
    predicts_new_inputs = False

    def __init__(self, index, smooth: int = 31):
        self.index, self.smooth = index, smooth

    def fit(self, X, y):
        basins, dates = self.index(X)
        doy = _doy(dates)
        y = np.asarray(y, float).ravel()
        self.table_ = {}
        for b in np.unique(basins):
            rows = basins == b
            sums = np.bincount(doy[rows], weights=y[rows], minlength=366)
            counts = np.bincount(doy[rows], minlength=366).astype(float)
            k = np.ones(self.smooth)
            pad = self.smooth // 2
            s = np.convolve(np.r_[sums[-pad:], sums, sums[:pad]], k, "valid")
            c = np.convolve(np.r_[counts[-pad:], counts, counts[:pad]], k, "valid")
            self.table_[b] = np.where(c > 0, s / np.maximum(c, 1), np.nan)
        self.pooled_ = np.nanmean(np.stack(list(self.table_.values())), axis=0)
        return self

    def predict(self, X):
        basins, dates = self.index(X)
        doy = _doy(dates)
        out = np.array([self.table_.get(b, self.pooled_)[d] for b, d in zip(basins, doy)])
        return out[:, None]


def _doy(dates) -> np.ndarray:
    import pandas as pd

    return np.minimum(pd.DatetimeIndex(dates).day_of_year.to_numpy() - 1, 365)


class ReferenceSimulation(BaseEstimator):
    """Returns a stored simulation for the test samples (in the target's training units); nothing is fitted."""

    predicts_new_inputs = False  # the stored simulation covers the run's test samples only

    def __init__(self, X_test, values):
        self.X_test, self.values = X_test, values

    def fit(self, X, y):
        return self

    def predict(self, X):
        if X is not self.X_test:
            raise ValueError("a stored simulation exists for the test samples only")
        return np.asarray(self.values, float)[:, None]

"""Baselines of the rolling-origin protocol, on its windows (``X["sequence"]``: channel 0 the scaled target with
gaps filled, channel 1 its missing flag; ``X["future"]``: the known-future covariates). Naive and seasonal naive
come from ``common.baselines``; these are the ones particular to it.
"""
from __future__ import annotations

import warnings

import numpy as np

from common.baselines import Baseline


def _target(X) -> tuple[np.ndarray, np.ndarray]:
    seq = np.asarray(X["sequence"], dtype=float)
    return seq[:, :, 0], seq[:, :, 1] > 0.5


class WindowMedian(Baseline):
    """The median of the last ``length`` observed values, for every forecast step (the "median of the previous
    7 weeks" that the 2nd-place Kaggle Web Traffic write-up found hard to beat, with ``length=49`` days)."""

    def __init__(self, length: int = 49):
        self.length = length

    def fit(self, X, y, **_):
        self._remember(y)
        return self

    def predict(self, X):
        values, missing = _target(X)
        tail = np.where(missing, np.nan, values)[:, -self.length:]
        med = np.nanmedian(np.where(np.isnan(tail).all(axis=1, keepdims=True), values[:, -self.length:], tail), axis=1)
        h, k = self._horizon_targets()
        return self._shape(np.repeat(med[:, None], h * k, axis=1))


class ETSOnWindow(Baseline):
    """Exponential smoothing (statsmodels) fitted on each window's target: additive damped trend and, when the
    window holds two full seasons, additive seasonality of period ``season`` (Holt-Winters); else damped Holt."""

    def __init__(self, season: int = 1):
        self.season = season

    def fit(self, X, y, **_):
        self._remember(y)
        return self

    def predict(self, X):
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        values, _ = _target(X)
        h, k = self._horizon_targets()
        seasonal = self.season > 1 and values.shape[1] >= 2 * self.season
        out = np.empty((len(values), h))
        for i, series in enumerate(values):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    model = ExponentialSmoothing(series, trend="add", damped_trend=True,
                                                 seasonal="add" if seasonal else None,
                                                 seasonal_periods=self.season if seasonal else None,
                                                 initialization_method="estimated")
                    fc = model.fit().forecast(h)
                except (ValueError, np.linalg.LinAlgError):
                    fc = np.full(h, series[-1])
            out[i] = np.where(np.isfinite(fc), fc, series[-1])
        return self._shape(np.repeat(out[:, :, None], k, axis=2))


class LagGBM(Baseline):
    """Gradient boosting on lags, one model for all forecast steps (direct, pooled): each (window, step h) row
    holds h, the known-future covariates at that step, the last value, the value one season before the target
    step for each season, and the means of the last ``season`` values. Rows with a missing target are skipped;
    at most ``max_rows`` training rows (evenly spaced windows) keep fitting fast."""

    def __init__(self, seasons=(1,), max_rows: int = 200_000, seed: int = 0):
        self.seasons = seasons
        self.max_rows = max_rows
        self.seed = seed

    def _features(self, X) -> np.ndarray:
        values, _ = _target(X)
        fut = np.asarray(X["future"], dtype=float)
        n, L = values.shape
        h = fut.shape[1]
        steps = np.arange(1, h + 1)
        cols = [np.broadcast_to(steps, (n, h)), np.broadcast_to(values[:, -1:], (n, h))]
        for m in self.seasons:
            pos = L - 1 + steps - m * np.ceil(steps / m).astype(int)
            cols.append(values[:, pos])
            cols.append(np.broadcast_to(values[:, -m:].mean(axis=1, keepdims=True), (n, h)))
        return np.concatenate([np.stack(cols, axis=-1), fut], axis=-1).reshape(n * h, -1)

    def fit(self, X, y, **_):
        from sklearn.ensemble import HistGradientBoostingRegressor

        y = self._remember(y)
        n, h = y.shape[0], y.shape[1]
        keep = np.linspace(0, n - 1, min(n, max(1, self.max_rows // h))).round().astype(int)
        F = self._features({k: np.asarray(v)[keep] for k, v in X.items()})
        t = y[keep, :, 0].ravel()
        ok = ~np.isnan(t)
        self.model_ = HistGradientBoostingRegressor(max_iter=300, learning_rate=0.1, early_stopping=True,
                                                    random_state=self.seed).fit(F[ok], t[ok])
        return self

    def predict(self, X):
        n = len(X["sequence"])
        h, k = self._horizon_targets()
        return self._shape(self.model_.predict(self._features(X)).reshape(n, h, 1).repeat(k, axis=2))

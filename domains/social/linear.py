"""Baselines of the long-horizon benchmark, with the LSTM's ``fit(X, y)`` / ``predict(X)`` shape
(X: (n, lookback, channels), y: (n, horizon, channels), all channels predicted).

- ``LinearForecaster``: one linear map from the look-back to the horizon, shared by all channels
  (LTSF-Linear with ``individual=False``), in three styles: ``"linear"``; ``"nlinear"`` (subtract the
  window's last value first, add it back after); ``"dlinear"`` (moving-average trend, kernel 25 with
  replicated ends, and remainder, each with its own map). Fitted in closed form as ridge regression,
  the penalty chosen from a grid on the last 20% of the training windows (chronological) and then refitted
  on all of them. The papers fit the same models with Adam; closed form is deterministic and fast, and
  the penalty plays the part of their early stopping. Reference: Zeng et al. (2023), AAAI, "Are
  Transformers Effective for Time Series Forecasting?".
- ``MeanReversion``: each channel's forecast h steps ahead is a_{h,c} * (last value) + b_{h,c}, least squares
  per channel and step on the training windows: on scaled data (training mean 0), a < 1 pulls the forecast back
  toward a fixed level. Repeat is a = 1, b = 0. It tests whether a model's gain over Repeat is only
  reversion to the training level (the direct-forecast form of an AR(1) with intercept; see Meese & Rogoff
  (1983), J. Int. Econ. 14, on the random walk as the benchmark for exchange rates).
- ``HoltOnTarget``: statsmodels' damped-trend exponential smoothing (ETS(A,Ad,N)) fitted on each test
  window's look-back of the target channel; other channels repeat their last value.
"""
from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator

ALPHAS = (1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0)


def moving_average(x: np.ndarray, kernel: int = 25) -> np.ndarray:
    """(rows, L) -> (rows, L): mean over a centred window, ends padded by repeating the first/last value."""
    front, back = (kernel - 1) // 2, kernel - 1 - (kernel - 1) // 2
    padded = np.concatenate([np.repeat(x[:, :1], front, axis=1), x, np.repeat(x[:, -1:], back, axis=1)], axis=1)
    c = np.cumsum(np.pad(padded, ((0, 0), (1, 0))), axis=1)
    return (c[:, kernel:] - c[:, :-kernel]) / kernel


class LinearForecaster(BaseEstimator):
    def __init__(self, style: str = "dlinear", kernel: int = 25, alphas=ALPHAS):
        self.style, self.kernel, self.alphas = style, kernel, alphas

    def _rows(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Per (window, channel) rows of features and the reference added back to the forecast."""
        X = np.asarray(X, dtype=np.float64)
        rows = np.moveaxis(X, 2, 1).reshape(-1, X.shape[1])  # (n * C, L)
        ref = rows[:, -1:] if self.style == "nlinear" else np.zeros((len(rows), 1))
        rows = rows - ref
        if self.style == "dlinear":
            trend = moving_average(rows, min(self.kernel, rows.shape[1]))
            rows = np.concatenate([rows - trend, trend], axis=1)
        elif self.style not in ("linear", "nlinear"):
            raise ValueError(f"unknown linear style {self.style!r}")
        return np.concatenate([rows, np.ones((len(rows), 1))], axis=1), ref

    @staticmethod
    def _solve(F, T, alpha):
        reg = alpha * np.eye(F.shape[1])
        reg[-1, -1] = 0.0  # no penalty on the intercept
        return np.linalg.solve(F.T @ F + reg, F.T @ T)

    def fit(self, X, y):
        y = np.asarray(y, dtype=np.float64)
        n, h, c = y.shape
        F, ref = self._rows(X)
        T = np.moveaxis(y, 2, 1).reshape(-1, h) - ref
        cut = int(n * 0.8) * c  # rows are window-major: the first 80% of windows fit, the rest choose alpha
        scores = [np.mean((F[cut:] @ self._solve(F[:cut], T[:cut], a) - T[cut:]) ** 2) for a in self.alphas]
        self.alpha_ = self.alphas[int(np.argmin(scores))]
        self.W_ = self._solve(F, T, self.alpha_)
        return self

    def predict(self, X):
        X = np.asarray(X)
        F, ref = self._rows(X)
        out = (F @ self.W_ + ref).reshape(X.shape[0], X.shape[2], -1)
        return np.moveaxis(out, 1, 2).astype(np.float32)


class MeanReversion(BaseEstimator):
    def fit(self, X, y):
        last = np.asarray(X, dtype=np.float64)[:, -1, :]  # (n, C)
        y = np.asarray(y, dtype=np.float64)  # (n, H, C)
        centred_x = last - last.mean(axis=0)
        spread = np.maximum((centred_x ** 2).sum(axis=0), 1e-12)
        self.a_ = np.einsum("nc,nhc->hc", centred_x, y - y.mean(axis=0)) / spread
        self.b_ = y.mean(axis=0) - self.a_ * last.mean(axis=0)
        return self

    def predict(self, X):
        last = np.asarray(X, dtype=np.float64)[:, -1:, :]
        return (last * self.a_ + self.b_).astype(np.float32)


class HoltOnTarget(BaseEstimator):
    def __init__(self, target_index: int = -1):
        self.target_index = target_index

    def fit(self, X, y):
        self.horizon_ = np.asarray(y).shape[1]
        return self

    def predict(self, X):
        from statsmodels.tsa.holtwinters import Holt

        X = np.asarray(X, dtype=np.float64)
        out = np.repeat(X[:, -1:, :], self.horizon_, axis=1)
        for i, series in enumerate(X[:, :, self.target_index]):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    fc = Holt(series, damped_trend=True, initialization_method="estimated").fit().forecast(self.horizon_)
                except (ValueError, np.linalg.LinAlgError):
                    fc = np.full(self.horizon_, series[-1])
            out[i, :, self.target_index] = np.where(np.isfinite(fc), fc, series[-1])
        return out.astype(np.float32)

"""Generic baselines with the LSTM's fit/predict shape: ``fit(X, y)`` then ``predict(X)`` on windows.

``X`` is (n, lookback, features) (or a dict with a ``sequence`` entry); ``y`` is (n, targets) or
(n, horizon, targets). Predictions have ``y``'s shape, so comparison code never special-cases a baseline.

>>> import numpy as np
>>> X = np.arange(12.0).reshape(2, 6, 1)
>>> LastValue().fit(X, np.zeros((2, 3, 1))).predict(X)[:, :, 0].tolist()
[[5.0, 5.0, 5.0], [11.0, 11.0, 11.0]]
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator


def sequence_of(X) -> np.ndarray:
    """The window array; left-padded steps (``PAD_VALUE`` in every feature) are filled with the first real
    step, so classical models never see the padding sentinel."""
    from .windows import PAD_VALUE

    seq = np.asarray(X["sequence"] if isinstance(X, dict) else X, dtype=float)
    pad = np.all(seq == PAD_VALUE, axis=-1) if seq.ndim == 3 else None
    if pad is None or not pad.any():
        return seq
    first = np.argmax(~pad, axis=1)
    fill = seq[np.arange(len(seq)), first]
    return np.where(pad[..., None], fill[:, None, :], seq)


class Baseline(BaseEstimator):
    """Remembers the target shape seen in ``fit`` so ``predict`` can return the same layout."""

    def _remember(self, y) -> np.ndarray:
        y = np.asarray(y, dtype=float)
        self.target_shape_ = y.shape[1:]
        return y

    def _horizon_targets(self) -> tuple[int, int]:
        shape = self.target_shape_
        return (shape[0], shape[1]) if len(shape) == 2 else (1, shape[0] if shape else 1)

    def _shape(self, pred: np.ndarray) -> np.ndarray:
        return pred.reshape((len(pred),) + tuple(self.target_shape_))


class LastValue(Baseline):
    """Persistence: every future step equals the last observed value of the target feature(s)."""

    def __init__(self, target_index=0):
        self.target_index = target_index

    def fit(self, X, y, **_):
        self._remember(y)
        return self

    def predict(self, X):
        seq = sequence_of(X)
        h, k = self._horizon_targets()
        idx = np.atleast_1d(self.target_index)
        last = seq[:, -1, idx]
        if len(idx) != k:
            last = np.repeat(last[:, :1], k, axis=1)
        return self._shape(np.repeat(last[:, None, :], h, axis=1))


class SeasonalNaive(Baseline):
    """Seasonal naive: yhat_{t+h} = y_{t+h-m*ceil(h/m)}, the value one season before (needs lookback >= m)."""

    def __init__(self, season=7, target_index=0):
        self.season = season
        self.target_index = target_index

    def fit(self, X, y, **_):
        self._remember(y)
        if sequence_of(X).shape[1] < self.season:
            raise ValueError(f"seasonal naive with season {self.season} needs a look-back of at least {self.season}")
        return self

    def predict(self, X):
        seq = sequence_of(X)
        h, k = self._horizon_targets()
        idx = np.atleast_1d(self.target_index)
        lookback, m = seq.shape[1], self.season
        steps = np.arange(1, h + 1)
        pos = lookback + steps - 1 - m * np.ceil(steps / m).astype(int)
        vals = seq[:, pos][:, :, idx]
        if len(idx) != k:
            vals = np.repeat(vals[:, :, :1], k, axis=2)
        return self._shape(vals)


class MeanBaseline(Baseline):
    """Climatology / constant: the training mean of each target position (NaNs ignored)."""

    def fit(self, X, y, **_):
        y = self._remember(y)
        self.mean_ = np.nanmean(y, axis=0)
        return self

    def predict(self, X):
        n = len(sequence_of(X))
        return np.broadcast_to(self.mean_, (n,) + self.mean_.shape).copy()


class MajorityClass(Baseline):
    """Predicts the training frequency of class 1 (binary) or the class frequencies (multiclass)."""

    def __init__(self, n_classes=2):
        self.n_classes = n_classes

    def fit(self, X, y, **_):
        labels = np.asarray(y).ravel().astype(int)
        freq = np.bincount(labels, minlength=self.n_classes) / len(labels)
        self.scores_ = freq[1:2] if self.n_classes == 2 else freq
        return self

    def predict(self, X):
        n = len(sequence_of(X))
        return np.broadcast_to(self.scores_, (n, len(self.scores_))).copy()


class LagFeatureModel(Baseline):
    """Any scikit-learn estimator on flattened windows (the last ``n_lags`` steps of every feature)."""

    def __init__(self, estimator=None, n_lags=None, classifier=False):
        self.estimator = estimator
        self.n_lags = n_lags
        self.classifier = classifier

    def _features(self, X) -> np.ndarray:
        seq = sequence_of(X)
        if self.n_lags:
            seq = seq[:, -self.n_lags:]
        flat = seq.reshape(len(seq), -1)
        if isinstance(X, dict) and "static" in X:
            flat = np.hstack([flat, np.asarray(X["static"], dtype=float)])
        return np.nan_to_num(flat)

    def fit(self, X, y, **_):
        from sklearn.base import clone

        y = self._remember(y)
        self.model_ = clone(self.estimator)
        F = self._features(X)
        if self.classifier:
            self.model_.fit(F, y.ravel().astype(int))
            return self
        Y = y.reshape(len(y), -1)
        keep = ~np.isnan(Y).any(axis=1)
        if Y.shape[1] > 1 and not _native_multioutput(self.model_):
            from sklearn.multioutput import MultiOutputRegressor

            self.model_ = MultiOutputRegressor(self.model_)
        self.model_.fit(F[keep], Y[keep] if Y.shape[1] > 1 else Y[keep, 0])
        return self

    def predict(self, X):
        F = self._features(X)
        if self.classifier:
            proba = self.model_.predict_proba(F)
            return proba[:, 1:2] if proba.shape[1] == 2 else proba
        return self._shape(np.asarray(self.model_.predict(F)).reshape(len(F), -1))


def _native_multioutput(est) -> bool:
    return est.__class__.__name__ in ("Ridge", "LinearRegression", "KNeighborsRegressor", "RandomForestRegressor")


def ridge_on_lags(alpha: float = 1.0, n_lags: int | None = None) -> LagFeatureModel:
    from sklearn.linear_model import Ridge

    return LagFeatureModel(Ridge(alpha=alpha), n_lags=n_lags)


def gbm_on_lags(n_lags: int | None = None, seed: int = 0, max_iter: int = 200) -> LagFeatureModel:
    from sklearn.ensemble import HistGradientBoostingRegressor

    return LagFeatureModel(HistGradientBoostingRegressor(max_iter=max_iter, random_state=seed), n_lags=n_lags)


def logistic_on_lags(n_lags: int | None = None, C: float = 1.0) -> LagFeatureModel:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return LagFeatureModel(make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000)), n_lags=n_lags,
                           classifier=True)

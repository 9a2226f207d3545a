"""Engineering baselines with the LSTM's fit/predict shape."""
from __future__ import annotations

import numpy as np

from common.baselines import Baseline, sequence_of


class WindowStatsGBM(Baseline):
    """Gradient boosting on per-sensor window summaries: last value, mean, standard deviation and slope."""

    def __init__(self, seed: int = 0, max_iter: int = 300):
        self.seed, self.max_iter = seed, max_iter

    @staticmethod
    def features(X) -> np.ndarray:
        seq = sequence_of(X)
        t = np.arange(seq.shape[1]) - (seq.shape[1] - 1) / 2
        slope = np.tensordot(t, seq, axes=([0], [1])) / np.sum(t ** 2)
        return np.hstack([seq[:, -1], seq.mean(axis=1), seq.std(axis=1), slope])

    def fit(self, X, y, **_):
        from sklearn.ensemble import HistGradientBoostingRegressor

        y = self._remember(y)
        self.model_ = HistGradientBoostingRegressor(max_iter=self.max_iter, random_state=self.seed)
        self.model_.fit(self.features(X), y.reshape(len(y), -1)[:, 0])
        return self

    def predict(self, X):
        return self._shape(self.model_.predict(self.features(X))[:, None])


class CNN1D(Baseline):
    """A 1-D CNN regressor in the style of Babu et al. (2016): two convolution + pooling stages over time,
    then a dense output; no recurrence. Trained with Adam on MSE, 10% of the training windows for early stopping."""

    def __init__(self, epochs: int = 30, seed: int = 0, batch_size: int = 256):
        self.epochs, self.seed, self.batch_size = epochs, seed, batch_size

    def fit(self, X, y, **_):
        import keras

        from common.training import fit_verbosity, set_seed

        y = self._remember(y)
        seq = sequence_of(X).astype("float32")
        set_seed(self.seed)
        self.model_ = keras.Sequential([
            keras.Input(seq.shape[1:]),
            keras.layers.Conv1D(8, 9, padding="same", activation="relu"),
            keras.layers.AveragePooling1D(2),
            keras.layers.Conv1D(14, 5, padding="same", activation="relu"),
            keras.layers.AveragePooling1D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(int(np.prod(self.target_shape_)))])
        self.model_.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
        self.model_.fit(seq, y.reshape(len(y), -1), epochs=self.epochs, batch_size=self.batch_size,
                        validation_split=0.1, verbose=fit_verbosity(),
                        callbacks=[keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)])
        return self

    def predict(self, X):
        return self._shape(self.model_.predict(sequence_of(X).astype("float32"), verbose=0))

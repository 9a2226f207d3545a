"""Genomics baselines, with the same ``fit(X, y)`` / ``predict(X)`` shape as the LSTM (X: one-hot
(n, length, 4); predict returns P(class 1) as (n, 1)).

- ``GCContent``: logistic regression on the GC fraction alone (the benchmark's known shortcut).
- ``KmerModel``: strand-symmetric k-mer frequencies (k = 1..6, each sequence plus its reverse
  complement) with logistic regression or gradient boosting. Hyperparameters are fixed, not tuned.
- ``PlainCNN``: Conv1D -> max-pool -> Conv1D -> global max-pool -> dense, no recurrence; trained with
  reverse-complement augmentation and early stopping on a 10% hold-out taken before augmenting.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from .encoding import decode, gc_content, kmer_frequencies, reverse_complement, reverse_complement_one_hot


def _proba(model, F) -> np.ndarray:
    return model.predict_proba(F)[:, 1:2].astype(np.float32)


class GCContent(BaseEstimator):
    def fit(self, X, y):
        from sklearn.linear_model import LogisticRegression

        self.model_ = LogisticRegression().fit(gc_content(decode(X)), np.ravel(y).astype(int))
        return self

    def predict(self, X):
        return _proba(self.model_, gc_content(decode(X)))


def symmetric_kmers(X, ks=(1, 2, 3, 4, 5, 6)) -> np.ndarray:
    seqs = decode(X)
    return kmer_frequencies(seqs, ks) + kmer_frequencies([reverse_complement(s) for s in seqs], ks)


class KmerModel(BaseEstimator):
    def __init__(self, kind: str = "logistic", ks=(1, 2, 3, 4, 5, 6), C: float = 0.01, max_iter: int = 300,
                 seed: int = 0):
        self.kind, self.ks, self.C, self.max_iter, self.seed = kind, ks, C, max_iter, seed

    def fit(self, X, y):
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        if self.kind == "logistic":
            self.model_ = make_pipeline(StandardScaler(), LogisticRegression(C=self.C, max_iter=2000))
        elif self.kind == "gbm":
            self.model_ = HistGradientBoostingClassifier(max_iter=self.max_iter, learning_rate=0.05,
                                                         max_leaf_nodes=15, random_state=self.seed)
        else:
            raise ValueError(f"unknown k-mer model {self.kind!r}")
        self.model_.fit(symmetric_kmers(X, self.ks), np.ravel(y).astype(int))
        return self

    def predict(self, X):
        return _proba(self.model_, symmetric_kmers(X, self.ks))


class PlainCNN(BaseEstimator):
    def __init__(self, filters: int = 64, epochs: int = 30, batch_size: int = 64, seed: int = 0):
        self.filters, self.epochs, self.batch_size, self.seed = filters, epochs, batch_size, seed

    def _build(self, length: int):
        import keras
        from keras import layers

        x = inp = keras.Input((length, 4), name="sequence")
        x = layers.Conv1D(self.filters, 9, padding="same", activation="relu")(x)
        x = layers.MaxPooling1D(4)(x)
        x = layers.Dropout(0.2)(x)
        x = layers.Conv1D(self.filters, 5, padding="same", activation="relu")(x)
        x = layers.GlobalMaxPooling1D()(x)
        x = layers.Dropout(0.3)(x)
        x = layers.Dense(32, activation="relu")(x)
        model = keras.Model(inp, layers.Dense(1, activation="sigmoid", dtype="float32")(x), name="plain_cnn")
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
        return model

    def fit(self, X, y):
        import keras

        from common.training import fit_verbosity, set_seed

        set_seed(self.seed)
        X = np.where(np.asarray(X) < 0, 0.0, X).astype(np.float32)  # mask padding -> zero rows
        y = np.asarray(y, dtype=np.float32).reshape(-1, 1)
        rng = np.random.default_rng(self.seed)
        order = rng.permutation(len(X))
        n_val = max(1, len(X) // 10)
        val, tr = order[:n_val], order[n_val:]
        Xtr = np.concatenate([X[tr], reverse_complement_one_hot(X[tr])])
        ytr = np.concatenate([y[tr], y[tr]])
        self.model_ = self._build(X.shape[1])
        self.model_.fit(Xtr, ytr, validation_data=(X[val], y[val]), epochs=self.epochs, batch_size=self.batch_size,
                        callbacks=[keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)],
                        verbose=fit_verbosity())
        return self

    def predict(self, X):
        X = np.where(np.asarray(X) < 0, 0.0, X).astype(np.float32)
        return np.asarray(self.model_.predict(X, verbose=0, batch_size=1024), dtype=np.float32)

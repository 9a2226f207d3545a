"""Keras batches built on demand from inputs that hold a ``WindowView`` (see ``common.lazy_windows``).

Training (``shuffle=True``): an endless stream, every window once per pass and the order reshuffled each pass
(seeded by the pass number, so batch ``i`` is the same whenever it is asked for), the last batch of a pass smaller;
``fit(..., steps_per_epoch=s)`` takes epochs of ``s`` batches from it, as from ``training._window_stream``.
Validation and prediction (``shuffle=False``): one pass in order.
"""
from __future__ import annotations

import numpy as np
from keras.utils import PyDataset

from .lazy_windows import rows_of


class WindowBatches(PyDataset):
    def __init__(self, X, y=None, sample_weight=None, *, batch_size: int, seed: int = 0, shuffle: bool = False):
        super().__init__()
        self.X, self.batch_size, self.seed, self.shuffle = X, int(batch_size), int(seed), shuffle
        self.y = None if y is None else np.asarray(y, dtype=np.float32)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float32)
        self.n = len(next(iter(X.values()))) if isinstance(X, dict) else len(X)
        self.per_pass = -(-self.n // self.batch_size)  # batches in one pass over the windows
        self._order: tuple[int, np.ndarray] | None = None

    @property
    def num_batches(self) -> int | None:
        return None if self.shuffle else self.per_pass

    def indices(self, i: int) -> np.ndarray:
        """The samples of batch ``i``."""
        passed, at = divmod(int(i), self.per_pass)
        if not self.shuffle:
            if passed:
                raise IndexError(f"batch {i} of {self.per_pass}")
            order = None
        else:
            if self._order is None or self._order[0] != passed:
                self._order = (passed, np.random.default_rng([self.seed, passed]).permutation(self.n))
            order = self._order[1]
        span = np.arange(at * self.batch_size, min((at + 1) * self.batch_size, self.n))
        return span if order is None else order[span]

    def __getitem__(self, i: int):
        idx = self.indices(i)
        x = rows_of(self.X, idx)
        if self.y is None:
            return (x,)
        return (x, self.y[idx]) if self.sample_weight is None else (x, self.y[idx], self.sample_weight[idx])

"""Windows cut on demand from one array of rows, for data whose windows would not fit in memory as one array.

A ``WindowView`` holds the rows (e.g. every basin's scaled daily forcing, basins one after another) and the first
row of each window; indexing it builds just the windows asked for. CAMELS' 531 basins with 365-day windows take
about 34 GB as float32 arrays, but their daily rows take about 0.1 GB. The estimator streams a view to Keras batch
by batch (``common.window_batches``), baselines read it a chunk at a time (``chunks``), and ``np.asarray`` builds
all of it (refused, with the sizes, where it would not fit: ``windows.check_window_memory``).

>>> import numpy as np
>>> view = WindowView(np.arange(6.0)[:, None], np.array([0, 3]), 3)
>>> view.shape, view[1][:, 0].tolist()
((2, 3, 1), [3.0, 4.0, 5.0])
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np


class WindowView:
    """``len(starts)`` windows of ``length`` rows: window ``i`` is ``rows[starts[i]:starts[i] + length]``. Indexes
    like the (samples, length, features) array it stands for: an integer, a slice, integer or boolean arrays, and
    a tuple whose first entry picks samples."""

    def __init__(self, rows: np.ndarray, starts: np.ndarray, length: int):
        rows, starts = np.asarray(rows), np.asarray(starts, dtype=np.int64)
        if rows.ndim != 2 or starts.ndim != 1:
            raise ValueError("a window view takes rows (n, features) and window starts (samples,)")
        if length < 1:
            raise ValueError(f"a window's length must be at least 1, not {length}")
        if len(starts) and (starts.min() < 0 or starts.max() > len(rows) - length):
            raise ValueError(f"window starts must lie in 0..{len(rows) - length} ({len(rows)} rows, windows of "
                             f"{length}); they span {starts.min()}..{starts.max()}")
        self.rows, self.starts, self.length = rows, starts, int(length)

    @property
    def shape(self) -> tuple[int, int, int]:
        return len(self.starts), self.length, self.rows.shape[1]

    @property
    def dtype(self) -> np.dtype:
        return self.rows.dtype

    ndim = 3

    @property
    def nbytes(self) -> int:
        """The bytes this view holds (its rows and window starts)."""
        return self.rows.nbytes + self.starts.nbytes

    @property
    def full_nbytes(self) -> int:
        """The bytes of the windows as one array."""
        return int(np.prod(self.shape)) * self.rows.itemsize

    def __len__(self) -> int:
        return len(self.starts)

    def take(self, indices) -> np.ndarray:
        """The windows ``indices`` (an integer array) as a (len(indices), length, features) array."""
        first = self.starts[np.asarray(indices, dtype=np.int64)]
        return self.rows[first[:, None] + np.arange(self.length)]

    def __getitem__(self, key):
        rest = ()
        if isinstance(key, tuple):
            key, rest = key[0], key[1:]
        if isinstance(key, (int, np.integer)):
            out = self.take([range(len(self))[key]])[0]  # range: negative keys and bounds as a list's
            return out[rest] if rest else out
        picked = np.arange(*key.indices(len(self))) if isinstance(key, slice) else np.arange(len(self))[key]
        out = self.take(picked)
        return out[(slice(None), *rest)] if rest else out

    def __array__(self, dtype=None, copy=None):
        from .windows import check_window_memory

        n, length, features = self.shape
        check_window_memory(n, length, features, itemsize=self.rows.itemsize)
        out = self.take(np.arange(n))
        return out if dtype is None else out.astype(dtype, copy=False)

    def chunks(self, size: int = 4096) -> Iterator[np.ndarray]:
        """The windows in order, ``size`` at a time."""
        for first in range(0, len(self), size):
            yield self.take(np.arange(first, min(first + size, len(self))))

    def covered_rows(self) -> np.ndarray:
        """Every row that some window takes, once each, in row order (e.g. for the inputs' range)."""
        edges = np.zeros(len(self.rows) + 1, dtype=np.int64)
        np.add.at(edges, self.starts, 1)
        np.add.at(edges, self.starts + self.length, -1)
        return self.rows[np.cumsum(edges[:-1]) > 0]

    def __repr__(self) -> str:
        return f"WindowView({len(self)} windows of {self.length} rows from {self.rows.shape[0]} rows x " \
               f"{self.rows.shape[1]} features)"


def is_streamed(X) -> bool:
    """Whether ``X`` (an array, a view, or a dict of inputs) holds a ``WindowView``."""
    return any(isinstance(v, WindowView) for v in (X.values() if isinstance(X, dict) else (X,)))


def rows_of(X, indices: np.ndarray) -> object:
    """Samples ``indices`` of ``X`` (an array, a view, or a dict of them) as float32 arrays."""
    if isinstance(X, dict):
        return {k: rows_of(v, indices) for k, v in X.items()}
    if isinstance(X, WindowView):
        return X.take(indices).astype(np.float32, copy=False)
    return np.asarray(X[indices], dtype=np.float32)

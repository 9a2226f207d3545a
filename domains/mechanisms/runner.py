"""Shared pieces of the mechanism experiments: profiles and quiet training (claims live in common.claims)."""
from __future__ import annotations

import numpy as np

from common.claims import Claim, run_claim, write_report  # noqa: F401  (re-exported for the experiments)
from common.config import ModelSpec

PROFILES = ("smoke", "quick", "full")  # smoke: seconds, for tests; quick: < 2 min each; full: the real thing
LEARNED = 0.9  # test accuracy from which a model counts as having learned a task (below: its gates decide nothing)


def pick(profile: str, smoke, quick, full):
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, not {profile!r}")
    return {"smoke": smoke, "quick": quick, "full": full}[profile]


CELLS = ("simple_rnn", "gru", "lstm", "gru_chrono", "lstm_chrono")  # the memory and gradient experiments' cells


def cell_spec(name: str, T: int, **kwargs):
    """The ModelSpec of a cell named in ``CELLS``: "<cell>_chrono" is that cell with ``chrono_init = T``, the others
    keep Keras' default biases."""
    return ModelSpec(cell=name.removesuffix("_chrono"), chrono_init=T if name.endswith("_chrono") else 0, **kwargs)


def learning_rate(profile: str) -> float:
    """Adam's step for the experiments' models. The full profile's larger models and data did not fit the tasks at
    1e-2 (test accuracy at chance: trigger_word 0.52 / 0.485 for seeds 0 / 1, full-window truncated BPTT 0.50, the
    32-unit LSTM of long_range_memory 0.49 at T = 30), and did at 1e-3 (1.0 / 1.0, 1.0, 1.0); the smaller quick and
    smoke models learn in fewer epochs at 1e-2."""
    return pick(profile, 1e-2, 1e-2, 1e-3)


def fit(spec, X, y, *, epochs: int, seed: int, batch_size: int = 64, X_val=None, y_val=None):
    """Build the common builder's model for ``spec`` and fit it quietly with a fixed seed."""
    from common.builder import build_model
    from common.training import set_seed

    set_seed(seed)
    model = build_model(spec, X.shape[-1], X.shape[1])
    model.fit(X, y, epochs=epochs, batch_size=batch_size, verbose=0, shuffle=True,
              validation_data=(X_val, y_val) if X_val is not None else None)
    return model


def binary_accuracy(model, X, y) -> float:
    p = model.predict(X, verbose=0, batch_size=1024).reshape(-1)
    return float(np.mean((p >= 0.5) == (np.asarray(y).reshape(-1) >= 0.5)))




def minibatch_epochs(step, x, y, epochs: int, batch: int, seed: int) -> None:
    """Call ``step(x_batch, y_batch)`` over shuffled full minibatches for ``epochs`` epochs (custom loops)."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x) - batch + 1, batch):
            idx = order[start:start + batch]
            step(tf.constant(x[idx]), tf.constant(y[idx]))

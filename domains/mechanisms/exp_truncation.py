"""Experiment 5: truncated backpropagation through time. The label depends on a symbol D steps before the
end; gradients are cut every k steps (the state still flows forward). With k < D no gradient links the
symbol to the loss, so learning should fail; with k >= D it should succeed."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .runner import Claim, learning_rate, minibatch_epochs, pick
from .tasks import delayed_symbol


def train_truncated(x, y, k: int, units: int, epochs: int, seed: int, batch: int = 32, lr: float = 1e-2):
    """Train an LSTM + sigmoid head with BPTT truncated to the last ``k`` steps; return a predict function."""
    import keras
    import tensorflow as tf

    from common.training import set_seed

    set_seed(seed)
    T = x.shape[1]
    layer = keras.layers.LSTM(units, return_state=True)
    head = keras.layers.Dense(1, activation="sigmoid")
    layer.build((None, None, x.shape[-1]))
    head.build((None, units))
    opt = keras.optimizers.Adam(lr)
    bounds = list(range(T, 0, -k))[::-1]  # chunk ends, so that the last chunk is exactly k steps long
    starts = [max(0, b - k) for b in bounds]
    variables = layer.trainable_variables + head.trainable_variables

    @tf.function
    def step(xb, yb):
        h = c = tf.zeros((tf.shape(xb)[0], units))
        for a, b in zip(starts[:-1], bounds[:-1]):
            _, h, c = layer(xb[:, a:b], initial_state=[h, c])
            h, c = tf.stop_gradient(h), tf.stop_gradient(c)
        with tf.GradientTape() as tape:
            out, _, _ = layer(xb[:, starts[-1]:], initial_state=[h, c])
            loss = tf.reduce_mean(keras.losses.binary_crossentropy(yb, head(out)))
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    minibatch_epochs(step, x, y, epochs, batch, seed)

    def predict(xs):
        out, _, _ = layer(tf.constant(xs))
        return head(out).numpy()

    return predict


def run(profile: str, out: Path, seed: int = 0) -> Claim:
    T, D, windows, n, epochs, units = pick(profile, (20, 12, (5, 20), 256, 1, 8), (40, 25, (10, 30, 40), 2048, 10, 16),
                                           (100, 60, (10, 30, 70, 100), 8192, 20, 32))
    x, y = delayed_symbol(n, T, D, seed=seed)
    xt, yt = delayed_symbol(1000, T, D, seed=seed + 999)
    acc = {}
    for k in windows:
        predict = train_truncated(x, y, k, units, epochs, seed, lr=learning_rate(profile))
        acc[k] = float(np.mean((predict(xt)[:, 0] >= 0.5) == (yt[:, 0] >= 0.5)))
    short = [acc[k] for k in windows if k < D]
    long_ = [acc[k] for k in windows if k >= D]
    held = bool(short and long_ and max(short) < 0.6 and min(long_) > 0.9)
    fig = out / "truncation.png"
    _plot(acc, D, fig)
    summary = f"dependency D={D} steps in T={T}: accuracy by truncation window " + ", ".join(
        f"k={k}{' (< D)' if k < D else ''}: {a:.2f}" for k, a in acc.items())
    full = acc.get(T)
    if full is not None and full <= 0.9:  # the control: when no window learns the task, short ones show nothing
        held = None
        summary = (f"full backpropagation through time (k = T = {T}) did not learn the task either (accuracy "
                   f"{full:.2f}, not above 0.9), so short windows cannot show the claim; {summary}")
    return Claim("truncated_bptt",
                 "Truncated BPTT cannot learn a dependency longer than its truncation window (accuracy < 0.6 for every "
                 "k < D) and learns it once the window covers it (> 0.9 for every k >= D); undecided when full "
                 "backpropagation (k = T) does not learn it either.",
                 {"T": T, "D": D, "units": units, "accuracy_by_window": acc}, held, summary, [str(fig)])


def _plot(acc, D, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ks = list(acc)
    ax.bar([str(k) for k in ks], [acc[k] for k in ks], color=["tab:red" if k < D else "tab:green" for k in ks])
    ax.axhline(0.5, color="grey", ls=":", lw=0.8)
    ax.set_xlabel(f"truncation window k (dependency D = {D})")
    ax.set_ylabel("test accuracy")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

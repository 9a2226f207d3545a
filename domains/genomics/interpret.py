"""Interpretation plots for a fitted sequence model: in-silico mutagenesis along one test sequence, and the
LSTM's gate activity along the same sequence (gate traces from ``common.gates``)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from common.domain import Prepared


def chosen_sequence(prep: Prepared, est) -> int:
    """The true enhancer (class 1) of the test set the model scores highest."""
    p = np.asarray(est.predict(prep.X_test)).ravel()
    pos = np.flatnonzero(np.asarray(prep.y_test).ravel() == 1)
    return int(pos[np.argmax(p[pos])]) if len(pos) else int(np.argmax(p))


def mutagenesis(est, x: np.ndarray, max_positions: int = 2000, chunk_bytes: int = 64 * 2**20) -> np.ndarray:
    """(length, 4): change of P(class 1) when the base at each position is replaced by each base
    (0 for the base already there); positions beyond ``max_positions`` or padding are left NaN. The variants
    are built and scored about ``chunk_bytes`` at a time (a 20 kb sequence has 8000 variants of 320 kB)."""
    x = np.asarray(x, dtype=np.float32)
    valid = np.flatnonzero(((x >= 0).all(axis=1)) & (x.sum(axis=1) > 0))[:max_positions]
    base = float(np.asarray(est.predict(x[None])).ravel()[0])
    per_chunk = max(1, chunk_bytes // x.nbytes)
    jobs = [(pos, b) for pos in valid for b in range(4)]
    delta = []
    for start in range(0, len(jobs), per_chunk):
        part = jobs[start: start + per_chunk]
        variants = np.repeat(x[None], len(part), axis=0)
        for k, (pos, b) in enumerate(part):
            variants[k, pos] = np.eye(4, dtype=np.float32)[b]
        delta.append(np.asarray(est.predict(variants)).ravel() - base)
    out = np.full((len(x), 4), np.nan)
    if len(valid):
        out[valid] = np.concatenate(delta).reshape(len(valid), 4)
    return out


def importance_track(delta: np.ndarray) -> np.ndarray:
    """Per position, how much the worst substitution lowers P(class 1); NaN where nothing was mutated."""
    out = np.full(len(delta), np.nan)
    ok = ~np.isnan(delta).all(axis=1)
    out[ok] = -delta[ok].min(axis=1)
    return out


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def mutagenesis_plot(prep: Prepared, i: int, delta: np.ndarray, run_dir: Path) -> Path:
    """Plot (and save as CSV) the mutagenesis ``delta`` of test sequence ``i``."""
    importance = importance_track(delta)
    plt = _plt()
    fig, axes = plt.subplots(2, 1, figsize=(11, 4.5), sharex=True, gridspec_kw={"height_ratios": [1, 1.4]})
    axes[0].plot(importance, lw=0.8, color="C3")
    axes[0].set_ylabel("drop in P(class 1)")
    axes[1].imshow(np.nan_to_num(delta.T), aspect="auto", cmap="RdBu_r", vmin=-np.nanmax(np.abs(delta)) or -1,
                   vmax=np.nanmax(np.abs(delta)) or 1, interpolation="nearest")
    axes[1].set_yticks(range(4), list("ACGT"))
    axes[1].set_xlabel("position (bp)")
    name = prep.extra.get("test_ids", [f"test {i}"])[i]
    fig.suptitle(f"in-silico mutagenesis of {name} ({prep.data_label})", fontsize=9)
    fig.tight_layout()
    path = run_dir / "mutagenesis.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    np.savetxt(run_dir / "mutagenesis.csv", delta, delimiter=",", header="A,C,G,T (change of P(class 1))")
    return path


def gate_plot(prep: Prepared, est, i: int, delta: np.ndarray, run_dir: Path) -> Path | None:
    """Forward-direction gate activity of the first LSTM layer along the chosen sequence, under the
    mutagenesis importance pooled to the LSTM's steps (a Conv1D front-end with pooling shortens the sequence)."""
    from common.gate_plots import plot_mean_gates
    from common.gates import trace_model

    if est.spec.cell != "lstm":
        return None
    traces = trace_model(est.model, prep.X_test[i:i + 1])
    key = next(iter(traces))
    trace = traces[key]
    steps = trace.gates["i"].shape[1]
    importance = np.nan_to_num(importance_track(delta))
    pool = max(1, len(importance) // steps)
    pooled = importance[: steps * pool].reshape(steps, pool).max(axis=1)
    return plot_mean_gates(trace, pooled[None], run_dir / "gates.png", sample=0,
                           input_label="ISM importance\n(pooled)", title=f"{key} along the chosen sequence")

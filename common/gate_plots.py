"""Plots of gate traces: heatmaps of gate activity per unit over time, and mean gate curves under the input."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .gates import GateTrace

ORDER = {"lstm": ("i", "f", "o", "c"), "gru": ("z", "r", "hh", "h")}
LABELS = {"i": "input gate i", "f": "forget gate f", "o": "output gate o", "c": "cell state c", "g": "candidate g",
          "h": "hidden state h", "z": "update gate z", "r": "reset gate r", "hh": "candidate hh"}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_gate_heatmaps(trace: GateTrace, path: str | Path, sample: int = 0, title: str = "") -> Path:
    """One heatmap per gate (units x time) for one sample."""
    plt = _plt()
    names = ORDER[trace.kind]
    fig, axes = plt.subplots(len(names), 1, figsize=(10, 1.6 * len(names) + 0.8), sharex=True)
    for ax, name in zip(axes, names):
        data = trace.gates[name][sample].T
        bounded = name not in ("c", "h", "hh")
        im = ax.imshow(data, aspect="auto", interpolation="nearest", cmap="viridis" if bounded else "coolwarm",
                       vmin=0 if bounded else -np.nanmax(np.abs(data)), vmax=1 if bounded else np.nanmax(np.abs(data)))
        ax.set_ylabel(f"{LABELS[name]}\nunit", fontsize=8)
        fig.colorbar(im, ax=ax, pad=0.01)
    axes[-1].set_xlabel("time step")
    fig.suptitle(title or f"{trace.layer} ({trace.direction}), sample {sample}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def _mean_with_gaps(a: np.ndarray, axis) -> np.ndarray:
    """``np.nanmean``, NaN (a gap in the curve) where every value is NaN (masked steps), without numpy's warning."""
    a = np.asarray(a, dtype=float)
    count = np.sum(~np.isnan(a), axis=axis)
    total = np.nansum(a, axis=axis)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def plot_mean_gates(trace: GateTrace, inputs: np.ndarray, path: str | Path, sample: int | None = 0,
                    marks: dict[str, int] | None = None, input_label: str = "input", title: str = "") -> Path:
    """Mean over units of each gate against time, under the input; ``sample=None`` averages the batch too.
    ``marks`` draws labelled vertical lines (e.g. {"trigger": 12})."""
    plt = _plt()
    names = ORDER[trace.kind]
    fig, axes = plt.subplots(2, 1, figsize=(10, 5), sharex=True, gridspec_kw={"height_ratios": [1, 2]})
    x = np.asarray(inputs)
    x = x[sample] if sample is not None else _mean_with_gaps(x, axis=0)
    axes[0].plot(x if x.ndim == 1 else x, lw=0.8)
    axes[0].set_ylabel(input_label)
    state_ax = axes[1].twinx()  # cell/hidden states are unbounded: their own axis, so gates stay readable
    for k, name in enumerate(names):
        g = trace.gates[name]
        curve = _mean_with_gaps(g[sample], axis=-1) if sample is not None else _mean_with_gaps(g, axis=(0, 2))
        bounded = name not in ("c", "h", "hh")
        (axes[1] if bounded else state_ax).plot(curve, label=LABELS[name], color=f"C{k}", ls="-" if bounded else "--")
    state_ax.set_ylabel("state (dashed)")
    axes[1].set_ylim(-0.02, 1.02)
    for label, step in (marks or {}).items():
        for ax in axes:
            ax.axvline(step, color="k", ls="--", lw=0.8)
        axes[0].annotate(label, (step, axes[0].get_ylim()[1]), fontsize=8, ha="left", va="top")
    axes[1].set_ylabel("mean over units")
    axes[1].set_xlabel("time step")
    handles = axes[1].get_legend_handles_labels()
    extra = state_ax.get_legend_handles_labels()
    axes[1].legend(handles[0] + extra[0], handles[1] + extra[1], fontsize=8, ncol=4, loc="lower left")
    fig.suptitle(title or f"{trace.layer} ({trace.direction})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)

"""Forecast-vs-truth plot of the rolling-origin protocol: three origins (first, middle, last), the recent
history, the truth, the LSTM's median with its outermost quantile band, and the seasonal-naive forecast."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def band_plot(prep, est, predictions: dict, run_dir: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    index, origins, series = prep.extra["index"], prep.extra["origins"], prep.extra["series"]
    H = prep.extra["horizon"]
    back = min(prep.extra["lookback"], 3 * H)
    picks = sorted({0, len(origins) // 2, len(origins) - 1})
    qs = est.spec.quantiles
    lo, hi = (prep.to_report_units(np.asarray(v)[:, :, 0]) for v in (
        next(v for k, v in predictions.items() if k.startswith("lstm_seed") and k.endswith(f"_q{q:g}"))
        for q in (qs[0], qs[-1])))
    median = next(k for k in predictions if k.startswith("lstm_seed") and "_q" not in k)
    naive = next((k for k in predictions if k.startswith("seasonal naive")), "naive (last value)")
    fig, axes = plt.subplots(len(picks), 1, figsize=(10, 3 * len(picks)), squeeze=False)
    for ax, i in zip(axes[:, 0], picks):
        t = int(origins[i])
        ax.plot(index[t - back + 1: t + 1], series[t - back + 1: t + 1], "k-", lw=0.8, label="history")
        ahead = index[t + 1: t + H + 1]
        ax.plot(ahead, series[t + 1: t + H + 1], "k--", lw=0.8, label="truth")
        ax.fill_between(ahead, lo[i], hi[i], color="C0", alpha=0.25,
                        label=f"LSTM {int(qs[0] * 100)}-{int(qs[-1] * 100)}% band")
        ax.plot(ahead, prep.to_report_units(np.asarray(predictions[median])[i, :, 0]), "C0-", lw=1, label="LSTM median")
        if naive in predictions:
            ax.plot(ahead, prep.to_report_units(np.asarray(predictions[naive])[i, :, 0]), "C1-", lw=0.8, label=naive)
        ax.set_title(f"origin {index[t]}", fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
    axes[0, 0].legend(fontsize=7, ncol=3)
    fig.tight_layout()
    path = Path(run_dir) / "forecast_band.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path

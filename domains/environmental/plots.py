"""Run-directory outputs for streamflow: a per-basin metric table and observed-vs-simulated hydrographs."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from common.domain import Prepared
from common.experiment import score_by_group


def per_basin_table(prep: Prepared, predictions: dict, run_dir: Path) -> Path:
    """``per_basin.md`` / ``.csv``: every model's metrics per basin, then the median row of each model."""
    rows = []
    for model, pred in predictions.items():
        for basin, vals in score_by_group(prep, pred).items():
            rows.append({"model": model, "basin": basin, **vals})
    table = pd.DataFrame(rows)
    medians = table.groupby("model", sort=False)[list(prep.metrics)].median().reset_index().assign(basin="median")
    full = pd.concat([table, medians], ignore_index=True)
    full.to_csv(run_dir / "per_basin.csv", index=False)
    path = run_dir / "per_basin.md"
    path.write_text("# Test metrics per basin (NaN: no observed flow in the test period)\n\n"
                    + full.to_markdown(index=False, floatfmt=".3f") + "\n", encoding="utf-8")
    return path


HYDROGRAPH_PANELS = 12  # the most basins the hydrograph figure draws (a panel of 2.4 inches each)


def hydrograph_basins(prep: Prepared, lstm_pred: np.ndarray) -> tuple[list[str], str]:
    """The basins the hydrograph figure draws and the caption that says which: every test basin where there are at
    most ``HYDROGRAPH_PANELS`` (no caption), else that many at evenly spaced ranks of the LSTM's NSE, best first
    (basins without an NSE last), so the figure shows the spread of the results and not only its best."""
    names = list(dict.fromkeys(prep.extra["test_basins"].tolist()))
    if len(names) <= HYDROGRAPH_PANELS:
        return names, ""
    nse = {b: v["nse"] for b, v in score_by_group(prep, lstm_pred).items()}
    ranked = sorted(names, key=lambda b: -nse[b] if np.isfinite(nse[b]) else np.inf)
    picks = np.unique(np.round(np.linspace(0, len(ranked) - 1, HYDROGRAPH_PANELS)).astype(int))
    return [ranked[i] for i in picks], (f"{len(picks)} of {len(names)} basins, at evenly spaced ranks of the LSTM's "
                                        "NSE (best first); every basin's metrics are in per_basin.csv")


def hydrographs(prep: Prepared, predictions: dict, run_dir: Path) -> Path:
    """Observed vs simulated flow over each basin's test period (first LSTM seed and the best baseline by NSE); with
    many basins, a selection of them (``hydrograph_basins``), said in the figure's title."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    basins, dates = prep.extra["test_basins"], pd.DatetimeIndex(prep.extra["test_dates"])
    inv = prep.to_report_units
    obs = inv(np.asarray(prep.y_test, float)).ravel()
    lstm_name = next(k for k in predictions if k.startswith("lstm_seed"))
    base = {k: v for k, v in predictions.items() if not k.startswith("lstm")}
    best = max(base, key=lambda k: np.nanmedian([v["nse"] for v in score_by_group(prep, base[k]).values()])) if base else None
    names, caption = hydrograph_basins(prep, predictions[lstm_name])
    ranked = {b: v["nse"] for b, v in score_by_group(prep, predictions[lstm_name]).items()} if caption else {}
    fig, axes = plt.subplots(len(names), 1, figsize=(11, 2.4 * len(names)), squeeze=False)
    for ax, b in zip(axes[:, 0], names):
        rows = basins == b
        ax.plot(dates[rows], obs[rows], "k-", lw=0.8, label="observed")
        ax.plot(dates[rows], inv(np.asarray(predictions[lstm_name], float)).ravel()[rows], lw=0.8, label=f"LSTM ({lstm_name})")
        if best:
            ax.plot(dates[rows], inv(np.asarray(base[best], float)).ravel()[rows], lw=0.8, alpha=0.8, label=best)
        ax.set_title(f"basin {b}" + (f", LSTM NSE {ranked[b]:.2f}" if b in ranked else ""), fontsize=9)
        ax.set_ylabel(prep.target_names[0] if prep.target_names else "flow", fontsize=8)
    axes[0, 0].legend(fontsize=8, loc="upper right")
    if caption:
        fig.suptitle(caption, fontsize=9)
        fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / (2.4 * len(names))))  # room for the caption above the panels
    else:
        fig.tight_layout()
    path = run_dir / "hydrographs.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def pm25_week(prep: Prepared, predictions: dict, run_dir: Path) -> Path:
    """PM2.5 forecast vs truth over one test week per horizon (first test station, first LSTM seed, persistence)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stations = prep.extra["test_stations"]
    rows = np.flatnonzero(stations == stations[0])
    start = len(rows) // 3  # the week a third into the test period
    rows = rows[start:start + 24 * 7]
    origins = pd.DatetimeIndex(prep.extra["test_times"][rows])
    inv = prep.to_report_units
    lstm_name = next(k for k in predictions if k.startswith("lstm_seed"))
    fig, axes = plt.subplots(len(prep.extra["horizons"]), 1, figsize=(11, 7), sharex=True)
    for k, (ax, h) in enumerate(zip(axes, prep.extra["horizons"])):
        when = origins + pd.Timedelta(hours=h)
        ax.plot(when, inv(np.asarray(prep.y_test, float))[rows, k, 0], "k-", lw=1, label="observed")
        for name in (lstm_name, "persistence"):
            if name in predictions:
                ax.plot(when, inv(np.asarray(predictions[name], float))[rows, k, 0], lw=1, label=name)
        ax.set_ylabel(f"PM2.5 +{h} h")
    axes[0].set_title(f"{stations[0]}: forecasts at horizons {list(prep.extra['horizons'])} h, one test week", fontsize=9)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    path = run_dir / "pm25_week.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path

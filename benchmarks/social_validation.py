"""The long-horizon baselines scored on the validation windows beside the test windows, per horizon: which
model the validation period would choose, and whether the test period agrees. It runs in seconds (closed-form
fits; the per-window ETS baseline is left out for time). Reports its time.

    LSTM_SUITE_MIRROR=/path/to/mirror python benchmarks/social_validation.py [--datasets ili exchange]

Why: on the exchange rate, a model that pulls each forecast back toward the training level (``MeanReversion``)
beats Repeat on the test windows at every horizon, by more the longer the horizon, while losing to it on the
validation windows. A gain over Repeat that the validation period contradicts is a property of the test
period, not evidence of skill; the published linear models' long-horizon gains over Repeat can be read the
same way (their DLinear H720 0.643 vs Repeat 0.823).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

SETTINGS = {"ili": "ili_national_illness", "exchange": "exchange_rate"}  # horizons: the domain's BENCHMARKS


def scores(dataset: str, horizon: int) -> list[dict]:
    """Validation and test MSE (scaled data, every window) of each closed-form baseline at one horizon."""
    from common.config import apply_overrides, validate_options
    from common.metrics import mse
    from domains.social.domain import DOMAIN

    cfg = apply_overrides(DOMAIN.dataset_config(dataset, "full") or DOMAIN.default_config("full"),
                          {"dataset": dataset, "data.horizon": horizon})
    prep = DOMAIN.prepare(cfg, validate_options(DOMAIN.options, cfg.data, "social"))
    rows = []
    for name, model in DOMAIN.baselines(prep, cfg).items():
        if name.startswith("Holt"):
            continue
        model.fit(prep.X_train, prep.y_train)
        rows.append({"model": name, "validation MSE": mse(prep.y_val, model.predict(prep.X_val)),
                     "test MSE": mse(prep.y_test, model.predict(prep.X_test))})
    best_val = min(rows, key=lambda r: r["validation MSE"])["model"]
    best_test = min(rows, key=lambda r: r["test MSE"])["model"]
    for r in rows:
        r.update({"H": horizon, "validation picks": "yes" if r["model"] == best_val else "",
                  "best on test": "yes" if r["model"] == best_test else ""})
    return rows


def main(argv=None):
    import pandas as pd

    from domains.social.domain import BENCHMARKS

    p = argparse.ArgumentParser()
    p.add_argument("--datasets", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    p.add_argument("--out", default="runs/benchmarks")
    args = p.parse_args(argv)
    start = time.perf_counter()
    report = "# Long-horizon baselines: validation windows beside test windows\n\n"
    for short in args.datasets:
        dataset = SETTINGS[short]
        frame = pd.DataFrame([r for h in BENCHMARKS[dataset][4] for r in scores(dataset, h)])
        frame = frame[["H", "model", "validation MSE", "test MSE", "validation picks", "best on test"]]
        report += f"## {short}\n\n{frame.to_markdown(index=False, floatfmt='.4f')}\n\n"
    report += f"Took {(time.perf_counter() - start) / 60:.1f} minutes.\n"
    out = Path(args.out) / "social-validation"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    from common.cli import run_benchmark

    sys.exit(run_benchmark(main, __file__))

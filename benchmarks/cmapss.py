"""C-MAPSS benchmark: the full protocol (5 seeds, all baselines) on FD001, FD002 and FD004, against the
targets of the engineering issue. Reports each subset's time.

The targets are checked against the true test RUL clipped at R_max (as rul-datasets scores it): with R_max = 125
no model trained on clipped targets can get below the unclipped floor sqrt(mean(max(0, RUL - 125)^2)) = 18.32 on
FD002 and 19.53 on FD004, so targets of 17 and 20 only have a meaning for the clipped scoring. The table also gives
the LSTM's RMSE against the unclipped true RUL.

    LSTM_SUITE_MIRROR=/path/to/mirror python benchmarks/cmapss.py [--subsets FD001 FD002] [--seeds 5]
"""
from __future__ import annotations

import sys
import time

TARGETS = {"FD001": 12.5, "FD002": 17.0, "FD003": 12.5, "FD004": 20.0}  # RMSE, mean over 5 seeds
ZHENG_2017 = {"FD001": 16.14, "FD002": 24.49, "FD003": 16.18, "FD004": 28.17}
FD001_MINUTES = 10.0  # FD001, 5 seeds, all baselines, 2 CPU cores


def unclipped(run_dir, subset: str, data_dir: str = "") -> float:
    """Mean over seeds of the LSTM's RMSE against the unclipped true RUL (read from the run's predictions)."""
    from pathlib import Path

    import numpy as np

    from common.download import dataset_dir
    from common.experiment import read_predictions
    from domains.engineering.cmapss import read_rul

    preds = read_predictions(run_dir)
    rul = read_rul(Path(data_dir or dataset_dir("cmapss")) / f"RUL_{subset}.txt", len(preds))
    seeds = [c for c in preds if c.startswith("lstm_seed")]
    return float(np.mean([np.sqrt(np.mean((preds[c] - rul) ** 2)) for c in seeds]))


def main(argv=None):
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from common.cli import benchmark_parser

    p = benchmark_parser(__doc__)
    p.add_argument("--subsets", nargs="+", default=["FD001", "FD002", "FD004"],
                   choices=["FD001", "FD002", "FD003", "FD004"],
                   help="C-MAPSS subsets (FD003 is not in the registered mirror: give data.data_dir)")
    p.add_argument("--seeds", type=int, default=5, help="seeds per setting (each target is a mean over seeds)")
    p.add_argument("--out", default="runs/benchmarks", help="folder for the run directories")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="config overrides, as for lstm-suite train")
    args = p.parse_args(argv)

    from common.config import apply_overrides, parse_override
    from common.evaluation import mean_sd, rows_table
    from common.experiment import run_experiment
    from domains.engineering.domain import DOMAIN

    rows = []
    for subset in args.subsets:
        overrides = {"out": args.out, "training.seeds": args.seeds, "data.subset": subset,
                     "data.clip_test_rul": True, **dict(parse_override(s) for s in args.set)}
        cfg = apply_overrides(DOMAIN.default_config("full"), overrides)
        t0 = time.perf_counter()
        res = run_experiment(cfg, DOMAIN, run_name=f"bench-{subset}")
        minutes = (time.perf_counter() - t0) / 60
        s = res.lstm["rmse"]
        clipped = bool(cfg.data.get("clip_test_rul"))
        best_base = min(res.baselines.items(), key=lambda kv: kv[1]["rmse"])
        raw = unclipped(res.run_dir, subset, cfg.data.get("data_dir", ""))
        row = {"subset": subset, "test RUL": f"clipped at {cfg.data.get('rul_max', 125):g}" if clipped else "unclipped",
               "LSTM RMSE": mean_sd(s, ".2f"), "PHM08": f"{res.lstm['phm08']['mean']:.0f}",
               "target": TARGETS[subset], "met": s["mean"] <= TARGETS[subset] if clipped else "(clipped only)",
               "ensemble RMSE": f"{res.ensemble['rmse']:.2f}" if res.ensemble else "",
               "LSTM RMSE, unclipped true RUL": f"{raw:.2f}", "Zheng 2017 LSTM": ZHENG_2017[subset],
               "best baseline": f"{best_base[0]}: {best_base[1]['rmse']:.2f}",
               "minutes": round(minutes, 1), "run": str(res.run_dir)}
        if subset == "FD001" and args.seeds == 5:
            row["time target"] = f"<= {FD001_MINUTES:g} min: {minutes <= FD001_MINUTES}"
        rows.append(row)
    table = rows_table(rows)
    print("\n" + table.to_markdown(index=False))


if __name__ == "__main__":
    from common.cli import run_benchmark

    sys.exit(run_benchmark(main, __file__))

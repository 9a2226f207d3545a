"""C-MAPSS benchmark: the full protocol (5 seeds, all baselines) on FD001, FD002 and FD004, against the
targets of the engineering issue. Reports each subset's time.

    LSTM_SUITE_MIRROR=/path/to/mirror python benchmarks/cmapss.py [--subsets FD001 FD002] [--seeds 5]
"""
from __future__ import annotations

import argparse
import time

TARGETS = {"FD001": 12.5, "FD002": 17.0, "FD003": 12.5, "FD004": 20.0}  # RMSE, mean over 5 seeds
ZHENG_2017 = {"FD001": 16.14, "FD002": 24.49, "FD003": 16.18, "FD004": 28.17}


def main(argv=None):
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    p = argparse.ArgumentParser()
    p.add_argument("--subsets", nargs="+", default=["FD001", "FD002", "FD004"])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--out", default="runs/benchmarks")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = p.parse_args(argv)

    import pandas as pd

    from common.config import apply_overrides, parse_override
    from domains.engineering.domain import DOMAIN
    from common.experiment import run_experiment

    rows = []
    for subset in args.subsets:
        overrides = {"out": args.out, "training.seeds": args.seeds, "data.subset": subset,
                     **dict(parse_override(s) for s in args.set)}
        cfg = apply_overrides(DOMAIN.default_config("full"), overrides)
        t0 = time.perf_counter()
        res = run_experiment(cfg, DOMAIN, run_name=f"bench-{subset}")
        s = res.lstm["rmse"]
        best_base = min(res.baselines.items(), key=lambda kv: kv[1]["rmse"])
        rows.append({"subset": subset, "LSTM RMSE": f"{s['mean']:.2f} ± {s['sd']:.2f}",
                     "PHM08": f"{res.lstm['phm08']['mean']:.0f}", "target": TARGETS[subset],
                     "met": s["mean"] <= TARGETS[subset], "Zheng 2017 LSTM": ZHENG_2017[subset],
                     "best baseline": f"{best_base[0]}: {best_base[1]['rmse']:.2f}",
                     "minutes": round((time.perf_counter() - t0) / 60, 1), "run": str(res.run_dir)})
    table = pd.DataFrame(rows)
    print("\n" + table.to_markdown(index=False))


if __name__ == "__main__":
    main()

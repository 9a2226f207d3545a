"""Social benchmark: the long-horizon protocol on ILI (horizons 24/36/48/60) and the exchange rate
(96/192/336/720), LSTM (several seeds) against our baselines and the published rows, checked against the
targets of the social issue. Reports its time.

    LSTM_SUITE_MIRROR=/path/to/mirror python benchmarks/social.py [--datasets ili exchange] [--seeds 5]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

SETTINGS = {"ili": ("ili_national_illness", (24, 36, 48, 60)), "exchange": ("exchange_rate", (96, 192, 336, 720))}


def main(argv=None):
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    p = argparse.ArgumentParser()
    p.add_argument("--datasets", nargs="+", default=["ili", "exchange"], choices=list(SETTINGS))
    p.add_argument("--horizons", nargs="+", type=int, default=None, help="a subset of each dataset's horizons")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--out", default="runs/benchmarks")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = p.parse_args(argv)
    start = time.perf_counter()

    import pandas as pd

    from common.config import apply_overrides, parse_override
    from common.evaluation import load_published
    from common.experiment import run_experiment
    from domains.social.domain import DOMAIN, PUBLISHED

    rows = []
    for short in args.datasets:
        dataset, horizons = SETTINGS[short]
        means = []
        for h in [h for h in horizons if args.horizons is None or h in args.horizons]:
            overrides = {"out": args.out, "dataset": dataset, "training.seeds": args.seeds, "data.horizon": h,
                         **dict(parse_override(s) for s in args.set)}
            cfg = apply_overrides(DOMAIN.default_config("full"), overrides)
            t0 = time.perf_counter()
            res = run_experiment(cfg, DOMAIN, run_name=f"bench-H{h}")
            pub = load_published(PUBLISHED, dataset, f"H{h}")
            pub = {(m, k): v for m, k, v in zip(pub["model"], pub["metric"], pub["value"])}
            lstm = res.lstm["mse"]["mean"]
            means.append(lstm)
            repeat = res.baselines["Repeat (last value)"]["mse"]
            linear = min(v["mse"] for k, v in res.baselines.items() if "Linear" in k)
            dlinear_pub = next(v for (m, k), v in pub.items() if m.startswith("DLinear") and k == "mse")
            target = (f"below DLinear {dlinear_pub} and our linear {linear:.3f}: "
                      f"{lstm < dlinear_pub and lstm < linear}" if short == "ili"
                      else f"at or below Repeat {repeat:.3f}: {lstm <= repeat}")
            rows.append({"dataset": short, "H": h, "L": cfg.data.get("lookback") or {"ili": 104, "exchange": 96}[short],
                         "LSTM MSE": f"{lstm:.3f} ± {res.lstm['mse']['sd']:.3f}",
                         "LSTM MAE": f"{res.lstm['mae']['mean']:.3f}", "Repeat": f"{repeat:.3f}",
                         "best linear (ours)": f"{linear:.3f}",
                         "published LSTM": next(v for (m, k), v in pub.items() if m.startswith("LSTM") and k == "mse"),
                         "published DLinear": dlinear_pub, "target": target,
                         "minutes": round((time.perf_counter() - t0) / 60, 1)})
        if short == "ili" and len(means) == 4:
            rows.append({"dataset": "ili", "H": "mean", "LSTM MSE": f"{sum(means) / 4:.3f}",
                         "target": f"<= 1.6: {sum(means) / 4 <= 1.6}"})
    table = pd.DataFrame(rows).fillna("")
    minutes = (time.perf_counter() - start) / 60
    report = f"# Social benchmark (long-horizon protocol)\n\n{table.to_markdown(index=False)}\n\nTook {minutes:.1f} minutes.\n"
    out = Path(args.out) / "social-benchmark"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()

"""Environmental benchmark. CAMELS-US streamflow: the single-basin LSTM on 01022500 (the published test
period 1989-1999), the LSTM against the CAMELS SAC-SMA run on 13331500 (same inputs, same period), one regional
LSTM over every basin of the sample with static attributes and the NSE loss, optionally the ungauged mode.
Beijing PM2.5: the single-site LSTM at 1 / 6 / 24 h against persistence, optionally the multi-site model on a
time split and on a station-grouped split. Checked against the targets of the environmental issue; reports
its time.

    LSTM_SUITE_MIRROR=/path/to/mirror python benchmarks/environmental.py [--seeds 1] [--pm25-seeds 5] [--parts single sacsma regional pm25]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

PARTS = ("single", "sacsma", "regional", "ungauged", "pm25", "multisite", "multisite_station")
AIR_PARTS = ("pm25", "multisite", "multisite_station")  # start from the domain's PM2.5 model (``air_config``)


def _base(part: str):
    """The config a part starts from: the domain's own setting for its dataset."""
    from domains.environmental.domain import DOMAIN

    if part in AIR_PARTS:
        return DOMAIN.dataset_config("beijing_pm25" if part == "pm25" else "beijing_multisite", "full")
    return DOMAIN.default_config("full")


def _overrides(part: str, args) -> dict:
    common = {"out": args.out, "training.seeds": args.seeds}
    if part == "single":
        return {**common, "dataset": "camels", "data.basins": ["01022500"]}
    if part == "sacsma":
        return {**common, "dataset": "camels_sacsma"}
    if part == "pm25":
        return {**common, "training.seeds": args.pm25_seeds}
    if part.startswith("multisite"):
        station = {"data.test_stations": [args.test_station]} if part == "multisite_station" else {}
        return {**common, **station}
    regional = {**common, "dataset": "camels", "data.basins": [], "data.static": True, "data.loss": "nse",
                "data.seq_length": args.regional_seq, "data.val_stride": 3, "model.units": [args.regional_units],
                "model.static_join": "step", "model.learning_rate": 0.003, "training.epochs": args.regional_epochs,
                "training.patience": 5}
    if part == "ungauged":  # without the catchment attributes: with only the sample's 9 training basins they act as
        # basin labels, and a new basin's attributes lie outside them (median NSE of the 5 held-out basins, one seed:
        # 0.088 with the attributes, 0.580 without; gradient boosting on forcing lags 0.436 / 0.452)
        regional.update({"data.ungauged_basins": args.ungauged, "data.static": False, "model.static_join": "none"})
    return regional


def _air_row(part, res, seconds) -> dict:
    from common.evaluation import mean_sd

    persist = res.baselines["persistence"]
    row = {"part": part}
    for h, cut in ((1, None), (6, 0.15), (24, 0.25)):
        lstm = res.lstm[f"rmse@h{h}"]["mean"]
        row[f"LSTM RMSE {h} h"] = mean_sd(res.lstm[f"rmse@h{h}"], ".2f")
        row[f"persistence {h} h"] = f"{persist[f'rmse@h{h}']:.2f}"
        if cut:
            gain = 1 - lstm / persist[f"rmse@h{h}"]
            row[f"below persistence {h} h"] = f"{100 * gain:.1f}% (target {100 * cut:.0f}%: {gain >= cut})"
    best = min(((k, v["rmse@h24"]) for k, v in res.baselines.items() if v["rmse@h24"] == v["rmse@h24"]),
               key=lambda kv: kv[1])
    row["best baseline 24 h"] = f"{best[0]} {best[1]:.2f}"
    row["minutes"] = round(seconds / 60, 1)
    return row


def main(argv=None):
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from common.cli import benchmark_parser

    p = benchmark_parser(__doc__)
    p.add_argument("--parts", nargs="+", default=["single", "sacsma", "regional", "pm25"], choices=PARTS)
    p.add_argument("--seeds", type=int, default=1, help="seeds per setting (each target is a mean over seeds)")
    p.add_argument("--pm25-seeds", type=int, default=5,
                   help="seeds of the single-site PM2.5 part: its 6 h margin is within one seed's spread of the "
                        "target (5 seeds: 15.3%% below persistence; seed 0 alone 16.1%%, seed 3 alone 14.3%%), so the "
                        "verdict needs several")
    p.add_argument("--regional-units", type=int, default=64, help="LSTM units of the regional model")
    p.add_argument("--regional-seq", type=int, default=270, help="input sequence length of the regional model (days)")
    p.add_argument("--regional-epochs", type=int, default=20, help="training epochs of the regional model")
    p.add_argument("--ungauged", nargs="+", default=["01013500", "03010655", "07291000", "09035900", "10259000"],
                   help="basins held out of training in the ungauged part")
    p.add_argument("--test-station", default="Changping", help="held-out station of the station-grouped part")
    p.add_argument("--out", default="runs/benchmarks", help="folder for the run directories")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="config overrides, as for lstm-suite train")
    args = p.parse_args(argv)
    start = time.perf_counter()

    import numpy as np
    import pandas as pd

    from common.config import apply_overrides, parse_override
    from common.evaluation import rows_table
    from common.experiment import run_experiment
    from domains.environmental.domain import DOMAIN

    rows, air_rows = [], []
    for part in args.parts:
        cfg = apply_overrides(_base(part), {**_overrides(part, args),
                                                              **dict(parse_override(s) for s in args.set)})
        t0 = time.perf_counter()
        res = run_experiment(cfg, DOMAIN, run_name=f"bench-{part}")
        if part in AIR_PARTS:
            air_rows.append(_air_row(part, res, time.perf_counter() - t0))
            continue
        per_basin = pd.read_csv(res.run_dir / "per_basin.csv", dtype={"basin": str})
        lstm_rows = per_basin[per_basin["model"].str.startswith("lstm_seed") & (per_basin["basin"] != "median")]
        nse_basin = lstm_rows.groupby("basin")["nse"].mean()  # mean over seeds per basin
        lstm = res.lstm["nse"]["mean"]
        best_name, best = max(((k, v["nse"]) for k, v in res.baselines.items()), key=lambda kv: kv[1])
        if part == "single":
            target = f"NSE >= 0.78 on 01022500: {lstm >= 0.78}"
        elif part == "sacsma":
            sac = res.baselines["SAC-SMA (CAMELS benchmark run)"]["nse"]
            target = f"above SAC-SMA {sac:.3f}: {lstm > sac}"
        elif part == "regional":
            b = nse_basin.get("01022500", np.nan)
            target = (f"median >= 0.70: {lstm >= 0.70}; 01022500 {b:.3f} >= 0.78: {b >= 0.78}; "
                      f"above every baseline's median: {lstm > best}")
        else:
            target = f"ungauged basins {sorted(nse_basin.index)}"
        rows.append({"part": part, "basins scored": f"{int(nse_basin.notna().sum())} of {len(nse_basin)}","LSTM NSE (median over basins)": f"{lstm:.3f}",
                     "sd over seeds": f"{res.lstm['nse']['sd']:.3f}" if args.seeds > 1 else "",
                     "LSTM ensemble NSE": f"{res.ensemble['nse']:.3f}" if res.ensemble else "",
                     "LSTM KGE": f"{res.lstm['kge']['mean']:.3f}", "best baseline": f"{best_name} {best:.3f}",
                     "target": target, "minutes": round((time.perf_counter() - t0) / 60, 1)})
    minutes = (time.perf_counter() - start) / 60
    report = "# Environmental benchmark\n\n"
    if rows:
        report += f"## CAMELS-US streamflow (test NSE)\n\n{rows_table(rows).to_markdown(index=False)}\n\n"
    if air_rows:
        report += f"## Beijing PM2.5 (test RMSE, ug/m3)\n\n{rows_table(air_rows).to_markdown(index=False)}\n\n"
    report += f"Took {minutes:.1f} minutes (target: the whole environmental benchmark within 30).\n"
    out = Path(args.out) / "environmental-benchmark"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    from common.cli import run_benchmark

    sys.exit(run_benchmark(main, __file__))

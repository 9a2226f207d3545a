"""Streamed windows at CAMELS scale: many generated basins prepared with data.windows = "stream", and what that costs.

    python benchmarks/streamed_windows.py [--basins 531] [--seq-length 365] [--batches 20] [--batch-size 256]

Prepares ``--basins`` basins of generated daily data (6 forcing inputs and 27 static attributes, 1980-10-01 to
2014-09-30 as the NLDAS record; flow a smoothed precipitation), labelled as generated: the point is the memory and
time of the pipeline, not a score. Reports the windows' size as arrays against the bytes held, the process's peak
memory, the seconds to prepare, to cut one training batch from the daily rows, to train one batch of the regional
LSTM (64 units, static attributes at every step) on it, to score one model's test predictions (per-basin metrics and
their median) and to run the paired bootstrap of the comparison (the LSTM and 3 baselines; stand-in predictions:
the observed flow plus noise), and prints one JSON report.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def generated_basins(n: int, seed: int = 0):
    from domains.environmental.streamflow import BasinSeries

    dates = pd.date_range("1980-10-01", "2014-09-30", freq="D")
    rng = np.random.default_rng(seed)
    season = np.sin(2 * np.pi * dates.day_of_year.to_numpy() / 365.25)
    out = []
    for k in range(n):
        prcp = rng.gamma(0.5, 4.0, len(dates))
        x = np.c_[prcp, 200 + 50 * season, 10 + 10 * season, 2 + 10 * season, 800 + 100 * season,
                  40000 + 5000 * season] + rng.normal(0, 0.5, (len(dates), 6))
        q = np.convolve(prcp, np.ones(7) / 7, "full")[: len(dates)] + k % 5
        out.append(BasinSeries(f"{k:08d}", dates, x, q))
    return out


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--basins", type=int, default=531, help="generated basins")
    p.add_argument("--seq-length", type=int, default=365, help="input sequence length (days)")
    p.add_argument("--batches", type=int, default=20, help="batches cut and trained for the timings")
    p.add_argument("--batch-size", type=int, default=256)
    args = p.parse_args(argv)
    if min(args.basins, args.seq_length, args.batches, args.batch_size) < 1:
        p.error("--basins, --seq-length, --batches and --batch-size must be at least 1")

    from domains.environmental.streamflow import prepare_streamflow

    start = time.perf_counter()
    series = generated_basins(args.basins)
    names = [s.basin for s in series]
    statics = pd.DataFrame(np.random.default_rng(1).normal(size=(len(names), 27)), index=names)
    generated = time.perf_counter() - start
    prep = prepare_streamflow(series, seq_length=args.seq_length, statics=statics, loss="nse", windows="stream",
                              label=f"{args.basins} generated basins")
    prepared = time.perf_counter() - start - generated
    views = [getattr(prep, f"X_{s}")["sequence"] for s in ("train", "val", "test")]
    report = {"data": f"{args.basins} generated basins (not real data), 1980-10-01..2014-09-30, 6 inputs, 27 statics",
              "samples": prep.split["samples"], "seq_length": args.seq_length,
              "windows_as_arrays_GB": round(sum(v.full_nbytes for v in views) / 1e9, 2),
              "daily_rows_held_GB": round(views[0].rows.nbytes / 1e9, 3),
              "seconds_to_generate": round(generated, 1), "seconds_to_prepare": round(prepared, 1)}

    from common.builder import build_model
    from common.config import ModelSpec
    from common.window_batches import WindowBatches

    batches = WindowBatches(prep.X_train, prep.y_train, prep.sample_weight[0], batch_size=args.batch_size, shuffle=True)
    t = time.perf_counter()
    got = [batches[i] for i in range(args.batches)]
    report["seconds_per_batch_cut"] = round((time.perf_counter() - t) / args.batches, 4)
    model = build_model(ModelSpec(units=(64,), head="regression", static_join="step"), 6,
                        args.seq_length, 27)
    model.train_on_batch(*got[0])  # warm-up: tracing
    t = time.perf_counter()
    for x, y, w in got[1:]:
        model.train_on_batch(x, y, sample_weight=w)
    report["seconds_per_batch_trained"] = round((time.perf_counter() - t) / max(1, len(got) - 1), 4)
    # the test set's scoring at this size, on stand-in predictions (observed flow plus noise, not a model's)
    from common.experiment import score
    from common.significance import compare_to_baselines

    rng = np.random.default_rng(2)
    observed = np.nan_to_num(prep.y_test)
    columns = {name: observed + rng.normal(0, noise, observed.shape)
               for name, noise in (("lstm", 0.3), ("a", 0.4), ("b", 0.5), ("c", 0.6))}
    t = time.perf_counter()
    score(prep, columns["lstm"])
    report["seconds_to_score_one_model"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    check = compare_to_baselines(prep, columns, "lstm", ["a", "b", "c"])
    report["seconds_for_the_paired_bootstrap"] = round(time.perf_counter() - t, 1)
    report["bootstrap"] = f"{check['resamples']} resamples of {check['unit']}, median NSE, the LSTM and 3 baselines"
    report["peak_memory_GB"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 2)  # kB on Linux
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()

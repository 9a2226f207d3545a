"""Genomics benchmark: iEnhancer-2L layer 1 under the full protocol, against the targets of the genomics issue.

1. Model selection: 5-fold stratified (strand-grouped) cross-validation of the LSTM-family candidates on
   the training set only; the candidate with the best mean CV AUROC is selected.
2. The selected model, 5 seeds, plus all baselines, scored once on the independent test set, on the
   standard split and on the leak-free split (training minus the 100 test sequences it contains).
``--jobs 2`` (the default) fits two CV folds at a time, and runs the two splits side by side, in worker processes
that share the cores (``common.training.in_workers``); ``--jobs 1`` runs everything in this process.
Writes ``<out>/genomics-benchmark/report.md`` and prints it, with the time taken.

    LSTM_SUITE_MIRROR=/path/to/mirror python benchmarks/genomics.py [--seeds 5] [--folds 5] [--jobs 2]
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

TARGET = {"accuracy": 0.80, "mcc": 0.60}
BEST_PUBLISHED_NON_PRETRAINED = {"accuracy": 0.825, "mcc": 0.651}  # iEnhancer-DCSA (published.csv)
MINUTES = 20.0  # the whole benchmark, 5 seeds and all baselines, on 2 CPU cores


def run_split(cfg, split: str):
    """One split's experiment (a module-level function, so that a worker process can run it)."""
    from common.experiment import run_experiment
    from domains.genomics.domain import DOMAIN

    return run_experiment(cfg, DOMAIN, run_name=f"bench-{split}")


def main(argv=None):
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from common.cli import at_least, benchmark_parser

    p = benchmark_parser(__doc__)
    p.add_argument("--seeds", type=int, default=5, help="seeds per setting (each target is a mean over seeds)")
    p.add_argument("--folds", type=at_least(2), default=5, help="stratified cross-validation folds for choosing the LSTM model")
    p.add_argument("--candidates", default="danq,bilstm", help="comma-separated: danq, danq_wide, bilstm")
    p.add_argument("--out", default="runs/benchmarks", help="folder for the run directories")
    p.add_argument("--jobs", type=at_least(1), default=2, help="worker processes (1: everything in this process)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="config overrides, as for lstm-suite train")
    args = p.parse_args(argv)
    start = time.perf_counter()

    import dataclasses

    import pandas as pd

    from common.config import apply_overrides, parse_override
    from common.download import dataset_dir
    from common.evaluation import mean_sd
    from common.training import in_workers
    from domains.genomics.data import load_ienhancer
    from domains.genomics.domain import CANDIDATES, DOMAIN
    from domains.genomics.selection import cross_validate, select

    base = apply_overrides(DOMAIN.default_config("full"),
                           {"out": args.out, "training.seeds": args.seeds, **dict(parse_override(s) for s in args.set)})
    candidates = {n: CANDIDATES[n]() for n in args.candidates.split(",")}
    train, _ = load_ienhancer(dataset_dir("ienhancer2l"), 1)
    cv = cross_validate(candidates, base.training, train, args.folds, seed=base.training.seed, jobs=args.jobs)
    chosen = select(cv)
    cv_rows = [{"candidate": n, **{f"CV {m}": round(v, 4) for m, v in r["mean"].items()},
                "fit minutes (sum over folds)": round(r["seconds"] / 60, 1), "selected": n == chosen} for n, r in cv.items()]

    splits = ("standard", "leak_free")
    configs = [dataclasses.replace(apply_overrides(base, {"data.split": split}), model=candidates[chosen])
               for split in splits]
    results = in_workers(run_split, list(zip(configs, splits)), args.jobs)
    rows, tables = [], []
    for split, res in zip(splits, results):
        s = res.lstm
        rows.append({"split": split, "model": chosen,
                     **{m: mean_sd(s[m], ".4f") for m in ("accuracy", "mcc", "auroc", "auprc")},
                     "target met": all(s[m]["mean"] >= t for m, t in TARGET.items()) if split == "standard"
                     else "n/a (reported beside)",
                     "leakage audit": json.loads((res.run_dir / "leakage.json").read_text())["findings"] or "none"})
        tables.append(f"### {split} split\n\n" + (res.run_dir / "comparison.md").read_text(encoding="utf-8"))
    minutes = (time.perf_counter() - start) / 60
    report = ("# Genomics benchmark: iEnhancer-2L layer 1\n\n"
              f"Targets (standard split, mean over {args.seeds} seeds): accuracy >= {TARGET['accuracy']}, "
              f"MCC >= {TARGET['mcc']}. Took {minutes:.1f} minutes with {args.jobs} job(s) (target: within "
              f"{MINUTES:g} minutes on 2 CPU cores: {minutes <= MINUTES}).\n\n"
              f"## Model selection ({args.folds}-fold CV on the training set, selected by mean CV AUROC)\n\n"
              + pd.DataFrame(cv_rows).to_markdown(index=False) + "\n\n## Independent test\n\n"
              + pd.DataFrame(rows).to_markdown(index=False) + "\n\n" + "\n\n".join(tables) + "\n")
    out = Path(args.out) / "genomics-benchmark"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text(report, encoding="utf-8")
    print(report)
    print(f"report: {out / 'report.md'}; took {minutes:.1f} minutes")


if __name__ == "__main__":
    from common.cli import run_benchmark

    sys.exit(run_benchmark(main, __file__))

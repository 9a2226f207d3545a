"""Evaluation harness: multi-seed summaries, the leakage audit, published figures and the comparison table.

>>> s = summarize_seeds([{"rmse": 1.0}, {"rmse": 3.0}])
>>> s["rmse"]["mean"], s["rmse"]["n"]
(2.0, 2)
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

PUBLISHED_COLUMNS = ["dataset", "setting", "model", "metric", "value", "citation"]


# --- multi-seed summaries -----------------------------------------------------------------------


def summarize_seeds(per_seed: list[Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """Mean, sample standard deviation and a 95% t-interval of each metric over seeds.

    ci95 = mean +/- t_{0.975, n-1} * sd / sqrt(n) (NaN for a single seed: one run gives no interval).
    """
    from scipy import stats

    out = {}
    for name in per_seed[0] if per_seed else []:
        vals = np.asarray([m[name] for m in per_seed], dtype=float)
        n = len(vals)
        defined = ~np.isnan(vals)  # an infinite metric (a diverged seed) stays in: the mean is then inf
        mean = float(np.mean(vals[defined])) if defined.any() else float("nan")
        spread = defined.sum() > 1 and np.isfinite(vals[defined]).all()
        sd = float(np.std(vals[defined], ddof=1)) if spread else float("nan")
        half = float(stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)) if n > 1 else float("nan")
        out[name] = {"mean": mean, "sd": sd, "ci95_low": mean - half, "ci95_high": mean + half, "n": n,
                     "values": vals.tolist()}
    return out


def rows_table(rows: list[Mapping]) -> pd.DataFrame:
    """A report table from row dicts, a cell a row lacks left blank (cast to object first: pandas refuses a
    string fill in a float column)."""
    return pd.DataFrame(rows).astype(object).fillna("")


def mean_sd(stat: Mapping[str, float], spec: str) -> str:
    """'mean ± sd' of one metric's ``summarize_seeds`` entry in the format ``spec``; 'mean (1 seed)' when a single
    seed gives no sd."""
    if stat.get("n", 0) > 1 and np.isfinite(stat["sd"]):
        return f"{stat['mean']:{spec}} ± {stat['sd']:{spec}}"
    return f"{stat['mean']:{spec}} ({stat.get('n', 1)} seed)"


# --- leakage audit ------------------------------------------------------------------------------


def _row_hashes(X) -> list[str]:
    arr = np.ascontiguousarray(np.asarray(X))
    arr = arr.reshape(len(arr), -1)
    return [hashlib.sha1(row.tobytes()).hexdigest() for row in arr]


@dataclass
class LeakageReport:
    """What the audit found; ``findings`` lists each problem in words (empty: nothing found)."""

    duplicates_train_test: int = 0
    duplicates_train_val: int = 0
    time_overlap_train_test: int = 0
    group_overlap_train_test: int = 0
    findings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        return "; ".join(self.findings) if self.findings else "no leakage found"


def audit(*, train_samples=None, test_samples=None, val_samples=None, train_times=None, test_times=None,
          train_groups=None, test_groups=None, expect_shared_groups: bool = False,
          test_keys: Iterable[str] | None = None, train_keys: Iterable[str] | None = None) -> LeakageReport:
    """Exact duplicate samples shared between splits, time overlap of target periods, shared entities.

    Samples are compared byte for byte (or through ``*_keys``, e.g. sequences in canonical strand form).
    Times are the timestamps of the *targets* of each split (look-back inputs may legitimately reach back).
    """
    rep = LeakageReport()
    if train_keys is not None and test_keys is not None:
        train_set = set(train_keys)
        rep.duplicates_train_test = sum(k in train_set for k in test_keys)
    elif train_samples is not None and test_samples is not None:
        train_set = set(_row_hashes(train_samples))
        rep.duplicates_train_test = sum(h in train_set for h in _row_hashes(test_samples))
        if val_samples is not None and len(val_samples):
            rep.duplicates_train_val = sum(h in train_set for h in _row_hashes(val_samples))
    if rep.duplicates_train_test:
        rep.findings.append(f"{_times(rep.duplicates_train_test, 'test sample', 'appears')} in training")
    if rep.duplicates_train_val:
        rep.findings.append(f"{_times(rep.duplicates_train_val, 'validation sample', 'appears')} in training")
    if train_times is not None and test_times is not None:
        tr, te = pd.Index(train_times), pd.Index(test_times)
        rep.time_overlap_train_test = int(te.isin(tr).sum())
        if rep.time_overlap_train_test:
            rep.findings.append(f"{_times(rep.time_overlap_train_test, 'test target time', 'occurs')} in training")
    if train_groups is not None and test_groups is not None:
        shared = set(np.unique(train_groups)) & set(np.unique(test_groups))
        rep.group_overlap_train_test = len(shared)
        from .domain import count_of  # common.domain imports this module

        entities = count_of(len(shared), "entity", "entities")
        if shared and not expect_shared_groups:
            rep.findings.append(f"{entities} {'appears' if len(shared) == 1 else 'appear'} in both training and test")
        elif shared:
            rep.notes.append(f"{entities} in both training and test (a time split within entities)")
    return rep


def _times(n: int, noun: str, verb: str) -> str:
    """'1 test sample also appears' / '3 test samples also appear'."""
    from .domain import count_of  # common.domain imports this module

    return f"{count_of(n, noun)} also {verb if n == 1 else verb[:-1]}"


# --- published figures and the comparison table -------------------------------------------------


def load_published(path: str | Path | None, dataset: str, setting: str = "") -> pd.DataFrame:
    """Published results (one row per model/metric, each with its citation) for a dataset and setting."""
    if path is None or not Path(path).is_file():
        return pd.DataFrame(columns=PUBLISHED_COLUMNS)
    df = pd.read_csv(path, dtype={"setting": str}, keep_default_na=False)
    missing = set(PUBLISHED_COLUMNS) - set(df.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    df["value"] = pd.to_numeric(df["value"], errors="raise")
    return df[(df["dataset"] == dataset) & ((df["setting"] == setting) | (df["setting"] == ""))]


def comparison_table(lstm: Mapping[str, dict], baselines: Mapping[str, Mapping[str, float]], published: pd.DataFrame,
                     metrics: list[str], lstm_name: str = "LSTM", ensemble: Mapping[str, float] | None = None) -> pd.DataFrame:
    """One row per model: this run's LSTM (mean +/- sd over seeds), the ensemble of its seeds (their mean
    prediction, when given), each baseline, each published figure."""
    rows = []
    n = max((v["n"] for v in lstm.values()), default=0)
    row = {"model": lstm_name, "source": f"this run, {n} seed{'s' if n != 1 else ''}"}
    for m in metrics:
        s = lstm.get(m)
        row[m] = _fmt(s["mean"]) + (f" ± {_fmt(s['sd'])}" if s and n > 1 and np.isfinite(s["sd"]) else "") if s else ""
    rows.append(row)
    if ensemble:
        rows.append({"model": f"{lstm_name}, ensemble", "source": f"this run, mean prediction of the {n} seeds",
                     **{m: _fmt(ensemble.get(m)) for m in metrics}})
    for name, vals in baselines.items():
        rows.append({"model": name, "source": "this run, baseline", **{m: _fmt(vals.get(m)) for m in metrics}})
    for (model, citation), grp in published.groupby(["model", "citation"], sort=False):
        vals = dict(zip(grp["metric"], grp["value"]))
        rows.append({"model": model, "source": f"published: {citation}", **{m: _fmt(vals.get(m)) for m in metrics}})
    return pd.DataFrame(rows, columns=["model", "source", *metrics])


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "" if v is None else str(v)  # "nan" (undefined) or "inf" / "-inf" (e.g. a diverged model)
    v = float(v)
    return f"{v:.4g}" if abs(v) < 1e5 else f"{v:.4e}"


def write_table(df: pd.DataFrame, run_dir: Path, stem: str = "comparison", header: str = "",
                footer: str = "") -> str:
    """Write the table as Markdown (between ``header`` and ``footer``) and CSV in ``run_dir``; return the Markdown
    text."""
    md = (header + "\n\n" if header else "") + df.to_markdown(index=False) + "\n" + ("\n" + footer if footer else "")
    (run_dir / f"{stem}.md").write_text(md, encoding="utf-8")
    df.to_csv(run_dir / f"{stem}.csv", index=False)
    return md

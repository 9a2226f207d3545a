"""Is the LSTM's difference from a baseline larger than the test set's sampling noise?

A paired bootstrap (Efron & Tibshirani 1993, ch. 13, percentile interval): the test samples are resampled with
replacement, both models are scored on each resample with the table's own metric (``experiment.score``: per entity
and the median over entities where the data have entities), and the 2.5 and 97.5 percentiles of the resampled
differences give the 95% interval. Samples are drawn in blocks of ``Prepared.bootstrap_block`` consecutive samples
(the moving-block bootstrap, Kunsch 1989), because overlapping forecast windows share target steps and a basin's
daily flow is autocorrelated; with ``Prepared.metric_groups`` each entity is resampled from its own samples only,
so every resample holds the same basins (the question is the test period's noise, not the choice of basins).
The same resamples serve every baseline. The interval says nothing about seed-to-seed variation (the table's
``± sd`` does); an interval that excludes 0 is a difference the test set supports. scipy's ``stats.bootstrap``
has no block or per-entity resampling, hence the few lines here.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .domain import count_of

N_RESAMPLES = 1000
LEVEL = 0.95
# a resample's value follows from per-sample sums and counts (per entity, then their median, where the data have
# entities): no ``score`` call per resample
FAST_METRICS = ("mse", "rmse", "mae", "nse")
BUDGET_S = 10.0  # other metrics score every resample: fewer resamples (not below MIN_RESAMPLES) where that is slow
MIN_RESAMPLES = 200


def group_members(groups: np.ndarray) -> list[np.ndarray]:
    """The samples of each group, in increasing order, the groups in first-seen order (one sort, not a scan of every
    sample per group)."""
    codes, uniques = pd.factorize(np.asarray(groups))
    order = np.argsort(codes, kind="stable")
    return np.split(order, np.cumsum(np.bincount(codes, minlength=len(uniques)))[:-1])


def block_resample(groups: np.ndarray, block: int, rng: np.random.Generator,
                   members: list[np.ndarray] | None = None) -> np.ndarray:
    """Indices of one resample: within each group (samples in order, each group contiguous or not), blocks of
    ``block`` consecutive samples of that group, starting anywhere a whole block fits, drawn with replacement until
    the group's size, cut to it. ``block`` 1: the ordinary bootstrap. ``members``: ``group_members(groups)``, found
    once for many resamples."""
    out = []
    for m in group_members(groups) if members is None else members:
        n = len(m)
        b = max(1, min(block, n))
        starts = rng.integers(0, n - b + 1, size=-(-n // b))
        out.append(m[(starts[:, None] + np.arange(b)).ravel()[:n]])
    return np.concatenate(out)


def _unit(prep, n: int, groups) -> str:
    entities = len(set(np.asarray(groups).tolist()))
    block = f"blocks of {prep.bootstrap_block} consecutive test samples" if prep.bootstrap_block > 1 else \
        "test samples"
    where = f" within each entity ({count_of(entities, 'entity', 'entities')}; " if prep.metric_groups is not None \
        else " ("
    return f"{block}{where}{n} test samples)"


class _SumScores:
    """``FAST_METRICS`` of resamples from per-sample sums in reporting units (missing targets masked), per entity
    and then their median where the data have entities, as ``experiment.score`` gives them: an entity with fewer
    than two observed values is NaN; NSE's denominator is taken about the resample's own mean (two passes)."""

    def __init__(self, prep, metric: str, groups: np.ndarray | None):
        from .experiment import _report_units

        y = _report_units(prep, np.asarray(prep.y_test, dtype=float)).reshape(len(prep.y_test), -1)
        self.prep, self.metric, self.observed = prep, metric, ~np.isnan(y)
        self.y, self.count = np.where(self.observed, y, 0.0), self.observed.sum(axis=1)
        self.grouped = groups is not None
        self.codes, self.k = np.zeros(len(y), dtype=np.int64), 1
        if groups is not None:
            codes, uniques = pd.factorize(np.asarray(groups))
            self.codes, self.k = codes, len(uniques)

    def errors(self, pred) -> np.ndarray:
        """Per test sample: the sum of squared (absolute, for mae) errors over its observed targets."""
        from .experiment import _report_units

        p = _report_units(self.prep, np.asarray(pred, dtype=float)).reshape(self.y.shape)
        err = np.where(self.observed, self.y - p, 0.0)
        return (np.abs(err) if self.metric == "mae" else err ** 2).sum(axis=1)

    def context(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """What every model's value on resample ``idx`` shares: each sample's entity, each entity's number of
        observed values, and (NSE) each entity's sum of squared deviations from its resample mean."""
        g = self.codes[idx]
        n = np.bincount(g, weights=self.count[idx], minlength=self.k)
        if self.metric != "nse":
            return g, n, None
        with np.errstate(all="ignore"):
            mean = np.bincount(g, weights=self.y[idx].sum(axis=1), minlength=self.k) / n
        dev = np.where(self.observed[idx], self.y[idx] - mean[g][:, None], 0.0)
        return g, n, np.bincount(g, weights=(dev ** 2).sum(axis=1), minlength=self.k)

    def value(self, errors: np.ndarray, idx: np.ndarray, context) -> float:
        g, n, sst = context
        e = np.bincount(g, weights=errors[idx], minlength=self.k)
        with np.errstate(all="ignore"):
            if self.metric == "nse":
                v = np.where(sst > 0, 1 - e / np.where(sst > 0, sst, 1.0), np.nan)
            else:
                v = e / n
                v = np.sqrt(v) if self.metric == "rmse" else v
        if not self.grouped:
            return float(v[0])
        v = np.where(n >= 2, v, np.nan)
        return float(np.nanmedian(v)) if np.isfinite(v).any() else float("nan")


def _scored(prep, pred: np.ndarray, idx: np.ndarray, groups: np.ndarray | None, metric: str) -> float:
    """The metric on resample ``idx`` by the table's own ``score`` (the path for metrics without sums)."""
    from .experiment import score

    sub = dataclasses.replace(prep, metrics=(metric,), y_test=np.asarray(prep.y_test)[idx],
                              metric_groups=None if groups is None else groups[idx])
    with np.errstate(all="ignore"):
        return score(sub, np.asarray(pred)[idx])[metric]


def compare_to_baselines(prep, columns: dict, lstm: str, baselines: list[str], *, resamples: int = N_RESAMPLES,
                         seed: int = 0, fast: bool = True, metric: str = "") -> dict:
    """The LSTM's column ``lstm`` against each of ``baselines`` (columns of test predictions, in training units) on
    ``metric`` (default: the first of ``prep.metrics``): the difference LSTM - baseline, its 95% interval, and a
    verdict. Off the fast path every resample is scored; where one score takes long, fewer resamples are drawn so
    that all models together take about ``BUDGET_S`` seconds (at least ``MIN_RESAMPLES``)."""
    import time

    from .experiment import score
    from .metrics import GREATER_IS_BETTER

    metric = metric or prep.metrics[0]
    n = len(prep.y_test)
    groups = np.asarray(prep.metric_groups) if prep.metric_groups is not None else np.zeros(n, int)
    fast_path = fast and metric in FAST_METRICS
    if not fast_path:
        start = time.perf_counter()
        score(dataclasses.replace(prep, metrics=(metric,)), columns[lstm])
        each = (time.perf_counter() - start) * (1 + len(baselines))
        resamples = min(resamples, max(MIN_RESAMPLES, int(BUDGET_S / max(each, 1e-9))))
    rng, members = np.random.default_rng(seed), group_members(groups)
    models = [lstm, *baselines]
    own = np.asarray(prep.metric_groups) if prep.metric_groups is not None else None
    sums = _SumScores(prep, metric, own) if fast_path else None
    errors = {m: sums.errors(columns[m]) for m in models} if fast_path else {}
    resampled = {m: np.empty(resamples) for m in models}
    for r in range(resamples):  # each resample drawn once and scored for every model, never all kept at once
        idx = block_resample(groups, prep.bootstrap_block, rng, members)
        shared = sums.context(idx) if fast_path else None
        for m in models:
            resampled[m][r] = (sums.value(errors[m], idx, shared) if fast_path
                               else _scored(prep, columns[m], idx, own, metric))
    one = dataclasses.replace(prep, metrics=(metric,))
    whole = {m: score(one, columns[m])[metric] for m in models}
    sign = 1 if GREATER_IS_BETTER.get(metric, False) else -1
    rows = []
    for name in baselines:
        diff, spread = whole[lstm] - whole[name], resampled[lstm] - resampled[name]
        if not np.isfinite(diff) or not np.isfinite(spread).any():
            rows.append({"baseline": name, "difference": float("nan"), "low": float("nan"), "high": float("nan"),
                         "verdict": "undefined"})
            continue
        low, high = np.nanpercentile(spread, [100 * (1 - LEVEL) / 2, 100 * (1 + LEVEL) / 2])
        if low <= 0 <= high:
            verdict = "within noise"
        else:  # the whole interval on one side of 0: above 0 is the LSTM's lead where greater is better
            verdict = "LSTM better" if (low > 0) == (sign > 0) else "baseline better"
        rows.append({"baseline": name, "difference": float(diff), "low": float(low), "high": float(high),
                     "verdict": verdict})
    return {"metric": metric, "lstm": lstm, "unit": _unit(prep, n, groups), "resamples": resamples,
            "level": LEVEL, "seed": seed, "rows": rows}


def significance_metrics(prep) -> list[str]:
    """The metrics the check reports: the first of ``prep.metrics`` and, where the data score forecast steps apart
    (``Prepared.step_labels``), the same metric at its other steps (Beijing PM2.5: rmse@h1, rmse@h6, rmse@h24)."""
    first = prep.metrics[0]
    base = first.split("@")[0]
    return [first, *(m for m in prep.metrics if m != first and "@" in m and m.split("@")[0] == base
                     and m.split("@")[1] in prep.step_labels)]


def compare_all(prep, columns: dict, lstm: str, baselines: list[str], **kw) -> dict:
    """``compare_to_baselines`` for every metric of ``significance_metrics``: the first metric's result, with the
    others under ``more`` (the same resamples' seed for each)."""
    metrics = significance_metrics(prep)
    first = compare_to_baselines(prep, columns, lstm, baselines, metric=metrics[0], **kw)
    first["more"] = [compare_to_baselines(prep, columns, lstm, baselines, metric=m, **kw) for m in metrics[1:]]
    return first


def _table(result: dict) -> list[str]:
    lines = ["| baseline | LSTM - baseline | 95% interval | verdict |", "|---|---|---|---|"]
    for r in result["rows"]:
        shown = "n/a" if not np.isfinite(r["difference"]) else f"{r['difference']:.4g}"
        interval = "n/a" if not np.isfinite(r["low"]) else f"[{r['low']:.4g}, {r['high']:.4g}]"
        lines.append(f"| {r['baseline']} | {shown} | {interval} | {r['verdict']} |")
    return lines


def markdown(result: dict) -> str:
    """The comparison as a Markdown section for ``comparison.md``."""
    lines = ["## The LSTM against each baseline, beyond the test set's noise?", "",
             f"{result['metric']} of the LSTM ({result['lstm']}) minus each baseline's, with a "
             f"{result['level']:.0%} paired bootstrap interval ({result['resamples']} resamples of "
             f"{result['unit']}; `common/significance.py`). An interval that excludes 0 is a difference the test "
             "set supports; seed-to-seed variation is the table's sd, not part of this interval.", "",
             *_table(result)]
    for more in result.get("more", []):
        lines += ["", f"{more['metric']} ({more['resamples']} resamples):", "", *_table(more)]
    return "\n".join(lines) + "\n"


def summary_line(result: dict) -> str:
    """The verdicts, a line per metric, for the console after a run's table."""
    words = {"LSTM better": "LSTM better than", "within noise": "within noise of",
             "baseline better": "baseline better:", "undefined": "undefined for"}
    lines = []
    for res in [result, *result.get("more", [])]:
        by = {}
        for r in res["rows"]:
            by.setdefault(r["verdict"], []).append(r["baseline"])
        parts = [f"{words[v]} {', '.join(by[v])}" for v in words if v in by]
        lines.append(f"{res['metric']}, 95% paired bootstrap over the test set: " + "; ".join(parts))
    return "\n".join(lines)

"""Model selection by stratified k-fold cross-validation on the training set only (the test set is not
touched). Folds are strand-grouped (a sequence and its reverse complement never straddle a fold) and each
fold's early-stopping hold-out is taken from its own training part."""
from __future__ import annotations

import dataclasses
import time

import numpy as np

from common.config import ModelSpec, TrainSpec
from common.metrics import compute

from .data import SequenceSet, folds, holdout
from .encoding import one_hot, reverse_complement_one_hot

CV_METRICS = ("accuracy", "mcc", "auroc")


def _fit_score(spec: ModelSpec, train: TrainSpec, fit: SequenceSet, held: SequenceSet, seed: int) -> dict:
    from common.training import LSTMEstimator

    inner, stop = holdout(fit, 0.1, seed)
    length = max(len(s) for s in fit.seqs + held.seqs)
    enc = lambda s: one_hot(s.seqs, length)  # noqa: E731
    col = lambda s: s.y.astype(np.float32).reshape(-1, 1)  # noqa: E731
    X = enc(inner)
    est = LSTMEstimator(dataclasses.replace(spec, head="binary"), train, seed=seed)
    est.fit(np.concatenate([X, reverse_complement_one_hot(X)]), np.concatenate([col(inner), col(inner)]),
            enc(stop), col(stop))
    Xh = enc(held)
    p = (np.asarray(est.predict(Xh)) + np.asarray(est.predict(reverse_complement_one_hot(Xh)))) / 2
    return compute(CV_METRICS, col(held), p)


def cross_validate(candidates: dict[str, ModelSpec], train: TrainSpec, data: SequenceSet, n_folds: int = 5,
                   seed: int = 0, log=print) -> dict[str, dict]:
    """name -> {"folds": [metrics per fold], "mean": {metric: mean}, "seconds": s}."""
    splits = folds(data, n_folds, seed)
    out = {}
    for name, spec in candidates.items():
        t0, per = time.perf_counter(), []
        for k, (fit_idx, held_idx) in enumerate(splits):
            per.append(_fit_score(spec, train, data.take(fit_idx), data.take(held_idx), seed + k))
            log(f"[cv] {name} fold {k + 1}/{n_folds}: " + ", ".join(f"{m}={v:.3f}" for m, v in per[-1].items()))
        out[name] = {"folds": per, "mean": {m: float(np.mean([p[m] for p in per])) for m in CV_METRICS},
                     "seconds": time.perf_counter() - t0}
    return out


def select(results: dict[str, dict], metric: str = "auroc") -> str:
    return max(results, key=lambda name: results[name]["mean"][metric])

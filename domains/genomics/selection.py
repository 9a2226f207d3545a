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
    """Fit on ``fit`` (early stopping on 10% of it) and score on ``held``; also returns the fit's seconds."""
    from common.training import LSTMEstimator

    t0 = time.perf_counter()
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
    return {**compute(CV_METRICS, col(held), p), "seconds": time.perf_counter() - t0}


def cross_validate(candidates: dict[str, ModelSpec], train: TrainSpec, data: SequenceSet, n_folds: int = 5,
                   seed: int = 0, log=print, jobs: int = 1) -> dict[str, dict]:
    """name -> {"folds": [metrics per fold], "mean": {metric: mean}, "seconds": summed fit seconds}.
    ``jobs > 1`` fits that many folds at a time in worker processes (``common.training.in_workers``)."""
    from common.training import in_workers

    splits = folds(data, n_folds, seed)
    calls = [(spec, train, data.take(fit_idx), data.take(held_idx), seed + k)
             for spec in candidates.values() for k, (fit_idx, held_idx) in enumerate(splits)]
    results = iter(in_workers(_fit_score, calls, jobs))
    out = {}
    for name in candidates:
        per = [next(results) for _ in splits]
        for k, r in enumerate(per):
            log(f"[cv] {name} fold {k + 1}/{n_folds}: " + ", ".join(f"{m}={r[m]:.3f}" for m in CV_METRICS))
        out[name] = {"folds": [{m: r[m] for m in CV_METRICS} for r in per],
                     "mean": {m: float(np.mean([r[m] for r in per])) for m in CV_METRICS},
                     "seconds": float(sum(r["seconds"] for r in per))}
    return out


def select(results: dict[str, dict], metric: str = "auroc") -> str:
    return max(results, key=lambda name: results[name]["mean"][metric])

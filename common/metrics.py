"""Metrics registry: pure functions sharing one signature ``fn(y_true, y_pred, **context) -> float``.

Regression metrics ignore pairs whose ``y_true`` is NaN (missing observations are masked, never filled).
Classification metrics take scores or probabilities in ``y_pred`` (class labels for multiclass argmax
when ``y_pred`` is 2-D) and threshold binary scores at ``threshold`` (default 0.5).

>>> round(METRICS["rmse"]([1, 2, 3], [1, 2, 5]), 4)
1.1547
>>> sorted(METRICS)[:4]
['accuracy', 'auprc', 'auroc', 'coverage']
"""
from __future__ import annotations

from typing import Callable

import numpy as np

METRICS: dict[str, Callable[..., float]] = {}
GREATER_IS_BETTER: dict[str, bool] = {}


def metric(name: str, greater_is_better: bool):
    def register(fn):
        METRICS[name] = fn
        GREATER_IS_BETTER[name] = greater_is_better
        return fn
    return register


def _pairs(y_true, y_pred):
    t = np.asarray(y_true, dtype=float).ravel()
    p = np.asarray(y_pred, dtype=float).ravel()
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} values but y_pred {p.size}")
    keep = ~np.isnan(t)
    return t[keep], p[keep]


# --- regression ---------------------------------------------------------------------------------


@metric("mse", greater_is_better=False)
def mse(y_true, y_pred, **_) -> float:
    """Mean squared error: mean((y - yhat)^2).

    Reference: Hyndman & Koehler (2006), Int. J. Forecasting 22(4), 679-688 (scale-dependent measures).
    """
    t, p = _pairs(y_true, y_pred)
    return float(np.mean((t - p) ** 2))


@metric("rmse", greater_is_better=False)
def rmse(y_true, y_pred, **_) -> float:
    """Root mean squared error: sqrt(mean((y - yhat)^2)).

    Reference: Hyndman & Koehler (2006), Int. J. Forecasting 22(4), 679-688 (scale-dependent measures).
    """
    return float(np.sqrt(mse(y_true, y_pred)))


@metric("mae", greater_is_better=False)
def mae(y_true, y_pred, **_) -> float:
    """Mean absolute error: mean(|y - yhat|).

    Reference: Hyndman & Koehler (2006), Int. J. Forecasting 22(4), 679-688 (scale-dependent measures).
    """
    t, p = _pairs(y_true, y_pred)
    return float(np.mean(np.abs(t - p)))


@metric("mape", greater_is_better=False)
def mape(y_true, y_pred, **_) -> float:
    """Mean absolute percentage error in %: 100 * mean(|y - yhat| / |y|), over y != 0.

    Reference: Hyndman & Koehler (2006), Int. J. Forecasting 22(4), 679-688.
    """
    t, p = _pairs(y_true, y_pred)
    nz = t != 0
    return float(100 * np.mean(np.abs(t[nz] - p[nz]) / np.abs(t[nz]))) if nz.any() else float("nan")


@metric("smape", greater_is_better=False)
def smape(y_true, y_pred, **_) -> float:
    """Symmetric MAPE in % (0..200): 100 * mean(2 |y - yhat| / (|y| + |yhat|)); 0/0 terms count as 0.

    Reference: Makridakis (1993), Int. J. Forecasting 9(4), 527-529; M4 competition definition.
    """
    t, p = _pairs(y_true, y_pred)
    den = np.abs(t) + np.abs(p)
    ratio = np.divide(2 * np.abs(t - p), den, out=np.zeros_like(den), where=den > 0)
    ratio[np.isnan(p)] = np.nan  # a missing forecast is not a perfect one
    return float(100 * np.mean(ratio))


@metric("mase", greater_is_better=False)
def mase(y_true, y_pred, *, y_train=None, season: int = 1, **_) -> float:
    """Mean absolute scaled error: mean(|y - yhat|) / mean_t(|x_t - x_{t-m}|) over the training series x.

    ``y_train`` (in the same units) and ``season`` m are required; the MASE is undefined (nan) when the
    denominator is zero up to rounding (1e-12 of the series' mean size). With several channels (``y_train`` of
    shape (T, C) and channels on the last axis of ``y``) each channel is scaled by its own denominator and
    the channel MASEs are averaged. Reference: Hyndman & Koehler (2006), IJF 22(4).
    """
    if y_train is None:
        raise ValueError("mase needs y_train (the training series) and season")
    x = np.asarray(y_train, dtype=float)
    if x.ndim == 2 and x.shape[1] > 1:
        yt, yp = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
        return float(np.mean([mase(yt[..., c], yp[..., c], y_train=x[:, c], season=season)
                              for c in range(x.shape[1])]))
    return float(mae(y_true, y_pred) / naive_scale(x, season))


def naive_scale(y_train, season: int = 1) -> float:
    """MASE's denominator: mean_t |x_t - x_{t-m}| over the training series x; nan when it is zero up to rounding
    (an exactly repeating series: 1e-12 of the series' mean size), so MASE is nan there, not 1e13."""
    x = np.asarray(y_train, dtype=float).ravel()
    diffs = np.abs(x[season:] - x[:-season])
    scale = np.nanmean(diffs) if diffs.size else np.nan
    tiny = 1e-12 * max(1.0, float(np.nanmean(np.abs(x)))) if x.size else 0.0
    return float(scale) if np.isfinite(scale) and scale > tiny else float("nan")


@metric("mse_target", greater_is_better=False)
def mse_target(y_true, y_pred, *, target_index: int = -1, **_) -> float:
    """MSE on one channel only: mean over windows and steps of (y[..., k] - yhat[..., k])^2, k = ``target_index``
    (e.g. ``OT``, the target column of the long-horizon benchmark files).

    Reference: Zhou et al. (2021), Informer, AAAI 35(12), 11106-11115 (MSE / MAE on the target 'OT' alone).
    """
    return mse(np.asarray(y_true)[..., target_index], np.asarray(y_pred)[..., target_index])


@metric("mae_target", greater_is_better=False)
def mae_target(y_true, y_pred, *, target_index: int = -1, **_) -> float:
    """MAE on one channel only: mean |y[..., k] - yhat[..., k]|, k = ``target_index``.

    Reference: Zhou et al. (2021), Informer, AAAI 35(12), 11106-11115 (MSE / MAE on the target 'OT' alone).
    """
    return mae(np.asarray(y_true)[..., target_index], np.asarray(y_pred)[..., target_index])


@metric("nse", greater_is_better=True)
def nse(y_true, y_pred, **_) -> float:
    """Nash-Sutcliffe efficiency: 1 - sum((y - yhat)^2) / sum((y - mean(y))^2).

    Reference: Nash & Sutcliffe (1970), J. Hydrology 10(3), 282-290.
    """
    t, p = _pairs(y_true, y_pred)
    den = np.sum((t - t.mean()) ** 2)
    return float(1 - np.sum((t - p) ** 2) / den) if den > 0 else float("nan")


@metric("kge", greater_is_better=True)
def kge(y_true, y_pred, **_) -> float:
    """Kling-Gupta efficiency: 1 - sqrt((r - 1)^2 + (alpha - 1)^2 + (beta - 1)^2),
    r = Pearson correlation, alpha = std(yhat)/std(y), beta = mean(yhat)/mean(y).

    Reference: Gupta et al. (2009), J. Hydrology 377(1-2), 80-91.
    """
    t, p = _pairs(y_true, y_pred)
    if t.std() == 0 or p.std() == 0 or t.mean() == 0:
        return float("nan")
    r = np.corrcoef(t, p)[0, 1]
    alpha, beta = p.std() / t.std(), p.mean() / t.mean()
    return float(1 - np.sqrt((r - 1) ** 2 + (alpha - 1) ** 2 + (beta - 1) ** 2))


def _fdc(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    t, p = _pairs(y_true, y_pred)
    return np.sort(t)[::-1], np.sort(p)[::-1]  # flow duration curves: each series sorted high to low


@metric("fhv", greater_is_better=False)
def fhv(y_true, y_pred, *, h: float = 0.02, **_) -> float:
    """Peak-flow bias of the flow duration curve in %: 100 * sum(yhat_H - y_H) / sum(y_H), where y_H and yhat_H
    are the top ``h`` fraction (default 2%) of the observed and simulated flows, each sorted on its own.
    0 is best; report its absolute value when ranking.

    Reference: Yilmaz, Gupta & Wagener (2008), Water Resour. Res. 44, W09417, doi:10.1029/2007WR006716.
    """
    t, p = _fdc(y_true, y_pred)
    k = max(1, int(round(h * len(t))))
    den = np.sum(t[:k])
    return float(100 * np.sum(p[:k] - t[:k]) / den) if den != 0 else float("nan")


@metric("flv", greater_is_better=False)
def flv(y_true, y_pred, *, low: float = 0.3, eps: float = 1e-6, **_) -> float:
    """Low-flow bias of the flow duration curve in %, in log space: over the lowest ``low`` fraction (default
    30%) of each sorted series, with flows floored at ``eps``,
    FLV = -100 * (sum(log yhat_L - log min yhat_L) - sum(log y_L - log min y_L)) / sum(log y_L - log min y_L).
    0 is best.

    Reference: Yilmaz, Gupta & Wagener (2008), Water Resour. Res. 44, W09417, doi:10.1029/2007WR006716.
    """
    t, p = _fdc(y_true, y_pred)
    k = max(2, int(round(low * len(t))))
    lt, lp = np.log(np.maximum(t[-k:], eps)), np.log(np.maximum(p[-k:], eps))
    qol, qsl = np.sum(lt - lt.min()), np.sum(lp - lp.min())
    return float(-100 * (qsl - qol) / qol) if qol > 0 else float("nan")


@metric("peak_timing", greater_is_better=False)
def peak_timing(y_true, y_pred, *, window: int = 3, distance: int = 100, **_) -> float:
    """Mean peak-timing error in time steps: peaks of the observed series are found with
    ``scipy.signal.find_peaks`` (at least ``distance`` steps apart, prominence >= the observed standard
    deviation); for each, the simulated maximum within +-``window`` steps is located and |offset| averaged.
    Inputs must be one series in time order (missing observations are dropped first). NaN when no peak.

    Reference: Kratzert et al. (2021), HESS 25, 2685-2703, doi:10.5194/hess-25-2685-2021 (peak-timing metric).
    """
    from scipy.signal import find_peaks

    t, p = _pairs(y_true, y_pred)
    if len(t) < 3:
        return float("nan")
    peaks, _ = find_peaks(t, distance=distance, prominence=np.std(t))
    offsets = []
    for i in peaks:
        lo, hi = max(0, i - window), min(len(p), i + window + 1)
        offsets.append(abs(lo + int(np.argmax(p[lo:hi])) - i))
    return float(np.mean(offsets)) if offsets else float("nan")


@metric("pinball", greater_is_better=False)
def pinball(y_true, y_pred, *, quantiles=(0.1, 0.5, 0.9), **_) -> float:
    """Pinball (quantile) loss averaged over quantiles and points:
    mean_{i,q} max(q (y_i - yhat_iq), (q - 1)(y_i - yhat_iq)); ``y_pred`` has the quantiles on its last axis.

    Reference: Koenker & Bassett (1978), Econometrica 46(1), 33-50.
    """
    q = np.asarray(quantiles, dtype=float)
    p = np.asarray(y_pred, dtype=float).reshape(-1, len(q))
    t = np.asarray(y_true, dtype=float).reshape(-1)
    keep = ~np.isnan(t)
    diff = t[keep, None] - p[keep]
    return float(np.mean(np.maximum(q * diff, (q - 1) * diff)))


@metric("coverage", greater_is_better=True)
def coverage(y_true, y_pred, **_) -> float:
    """Interval coverage: fraction of y with lo <= y <= hi, ``y_pred`` = (..., 2) holding [lo, hi] last.

    Reference: Gneiting & Raftery (2007), JASA 102(477), 359-378 (calibration of interval forecasts).
    """
    p = np.asarray(y_pred, dtype=float).reshape(-1, 2)
    t = np.asarray(y_true, dtype=float).reshape(-1)
    keep = ~np.isnan(t)
    return float(np.mean((t[keep] >= p[keep, 0]) & (t[keep] <= p[keep, 1])))


@metric("phm08", greater_is_better=False)
def phm08(y_true, y_pred, **_) -> float:
    """PHM08 challenge score: sum_i s_i, d_i = yhat_i - y_i, s_i = exp(-d/13) - 1 if d < 0 else exp(d/10) - 1.

    Late predictions (d > 0) cost more. Reference: Saxena et al. (2008), PHM08, doi:10.1109/PHM.2008.4711414.
    """
    t, p = _pairs(y_true, y_pred)
    d = p - t
    with np.errstate(over="ignore"):  # an error of thousands of cycles (a diverged model) scores inf, as it should
        return float(np.sum(np.where(d < 0, np.exp(-d / 13.0) - 1, np.exp(d / 10.0) - 1)))


# --- classification -----------------------------------------------------------------------------


def _labels(y_true, y_pred, threshold: float):
    t = np.asarray(y_true).ravel().astype(int)
    p = np.asarray(y_pred, dtype=float)
    if p.ndim == 2 and p.shape[1] > 1:
        return t, p.argmax(axis=1)
    return t, (p.ravel() >= threshold).astype(int)


def _confusion(y_true, y_pred, threshold):
    t, p = _labels(y_true, y_pred, threshold)
    return (np.sum((t == 1) & (p == 1)), np.sum((t == 0) & (p == 0)),
            np.sum((t == 0) & (p == 1)), np.sum((t == 1) & (p == 0)))


@metric("accuracy", greater_is_better=True)
def accuracy(y_true, y_pred, *, threshold: float = 0.5, **_) -> float:
    """Accuracy: (TP + TN) / N (multiclass: fraction of argmax equal to the label).

    Reference: Fawcett (2006), Pattern Recognition Letters 27(8), 861-874 (ROC analysis; its Fig. 1 gives the formulas).
    """
    t, p = _labels(y_true, y_pred, threshold)
    return float(np.mean(t == p))


@metric("sensitivity", greater_is_better=True)
def sensitivity(y_true, y_pred, *, threshold: float = 0.5, **_) -> float:
    """Sensitivity (recall, true-positive rate): TP / (TP + FN).

    Reference: Fawcett (2006), Pattern Recognition Letters 27(8), 861-874 (ROC analysis; its Fig. 1 gives the formulas).
    """
    tp, _, _, fn = _confusion(y_true, y_pred, threshold)
    return float(tp / (tp + fn)) if tp + fn else float("nan")


@metric("specificity", greater_is_better=True)
def specificity(y_true, y_pred, *, threshold: float = 0.5, **_) -> float:
    """Specificity (true-negative rate): TN / (TN + FP) = 1 - false-positive rate.

    Reference: Fawcett (2006), Pattern Recognition Letters 27(8), 861-874 (ROC analysis; its Fig. 1 gives the formulas).
    """
    _, tn, fp, _ = _confusion(y_true, y_pred, threshold)
    return float(tn / (tn + fp)) if tn + fp else float("nan")


@metric("mcc", greater_is_better=True)
def mcc(y_true, y_pred, *, threshold: float = 0.5, **_) -> float:
    """Matthews correlation coefficient: (TP TN - FP FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)); 0 if undefined.

    Reference: Matthews (1975), Biochim. Biophys. Acta 405(2), 442-451.
    """
    tp, tn, fp, fn = (float(v) for v in _confusion(y_true, y_pred, threshold))
    den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return float((tp * tn - fp * fn) / den) if den else 0.0


@metric("f1", greater_is_better=True)
def f1(y_true, y_pred, *, threshold: float = 0.5, **_) -> float:
    """F1 score: 2 TP / (2 TP + FP + FN), the harmonic mean of precision and recall.

    Reference: van Rijsbergen (1979), Information Retrieval, 2nd ed., ch. 7 (the F measure with beta = 1).
    """
    tp, _, fp, fn = _confusion(y_true, y_pred, threshold)
    return float(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else float("nan")


@metric("auroc", greater_is_better=True)
def auroc(y_true, y_pred, **_) -> float:
    """Area under the ROC curve = P(score of a random positive > score of a random negative), ties 1/2.

    Computed by scikit-learn's ``roc_auc_score``. Reference: Hanley & McNeil (1982), Radiology 143(1).
    """
    from sklearn.metrics import roc_auc_score

    t = np.asarray(y_true).ravel()
    return float(roc_auc_score(t, np.asarray(y_pred, dtype=float).ravel())) if len(np.unique(t)) == 2 else float("nan")


@metric("auprc", greater_is_better=True)
def auprc(y_true, y_pred, **_) -> float:
    """Area under the precision-recall curve as average precision: sum_n (R_n - R_{n-1}) P_n.

    Computed by scikit-learn's ``average_precision_score``. Reference: Davis & Goadrich (2006), ICML.
    """
    from sklearn.metrics import average_precision_score

    t = np.asarray(y_true).ravel()
    if len(np.unique(t)) != 2:
        return float("nan")
    return float(average_precision_score(t, np.asarray(y_pred, dtype=float).ravel()))


def compute(names, y_true, y_pred, **context) -> dict[str, float]:
    """Evaluate the named metrics; an unknown name is an error listing the registry."""
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise KeyError(f"unknown metric(s) {unknown}; known: {sorted(METRICS)}")
    return {n: METRICS[n](y_true, y_pred, **context) for n in names}

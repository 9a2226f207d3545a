"""C-MAPSS remaining-useful-life protocol: labels, per-condition scaling fitted on training engines only,
engine-grouped validation, windows that never cross engines, one (left-padded) test window per engine."""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from common.domain import Prepared, count_of
from common.evaluation import audit
from common.splits import Standardizer, constant_columns, group_split
from common.windows import windows_by_group

from .cmapss import SETTINGS, Subset, rul_labels


def condition_ids(train: pd.DataFrame, mode: str) -> tuple[np.ndarray, Callable[[pd.DataFrame], np.ndarray], int]:
    """Operating-condition cluster of every training row, learned from training settings only (k-means), the function
    that assigns the rows of any other frame (test, a user's new engines) to those clusters, and their number.

    ``mode="auto"`` turns it on when the training settings form several distinct conditions (FD002, FD004).
    """
    from sklearn.cluster import KMeans

    rounded = np.column_stack([train["setting1"].round(0), train["setting2"].round(2), train["setting3"].round(0)])
    k = len(np.unique(rounded, axis=0))
    if mode == "off" or (mode == "auto" and k == 1):
        return np.zeros(len(train), int), lambda frame: np.zeros(len(frame), int), 1
    k = max(k, 2)
    km = KMeans(n_clusters=k, n_init=10, random_state=0).fit(train[SETTINGS].to_numpy())
    return km.labels_, lambda frame: km.predict(frame[SETTINGS].to_numpy()), k


def _smooth(z: np.ndarray, units: np.ndarray, alpha: float) -> np.ndarray:
    """Exponentially weighted mean s_t = alpha * z_t + (1 - alpha) * s_(t-1) per engine, started at its first row."""
    return pd.DataFrame(z).groupby(units, sort=False).transform(
        lambda col: col.ewm(alpha=alpha, adjust=False).mean()).to_numpy()


def prepare_rul(data: Subset, *, sensors, window: int, rul_max: float, clip_test_rul: bool, condition_norm: str,
                val_fraction: float, seed: int, label: str, condition_inputs: bool = False,
                smoothing: float = 0.0, repeat_padding: bool = False) -> Prepared:
    """``repeat_padding``: windows of engines shorter than the window repeat the engine's first cycle instead of
    carrying the padding mask (for a Conv1D front-end, which cannot skip masked steps), as the baselines' do."""
    train, test = data.train, data.test
    cond_tr, conditions, k = condition_ids(train, condition_norm)
    units = train["unit"].to_numpy()
    fit_mask, val_mask = group_split(units, val_fraction, seed)
    assert set(units[fit_mask]).isdisjoint(units[val_mask])
    x_tr = train[list(sensors)].to_numpy(float)
    z_tr = np.empty_like(x_tr)
    scalers, fit_rows, fitted = {}, {}, []
    flat = np.ones(len(sensors), dtype=bool)  # sensors without a spread in every condition's training rows
    for c in range(k):
        rows = fit_mask & (cond_tr == c)  # training engines only: validation and test never shape the scaler
        if not rows.any():
            raise ValueError(f"operating condition {c} has no rows in the training engines")
        flat &= constant_columns(x_tr[rows])
        sc = Standardizer().fit(x_tr[rows], names=list(sensors))
        name = "inputs" if k == 1 else f"inputs_condition_{c}"
        scalers[name], fit_rows[name] = sc.to_dict(), x_tr[rows]
        fitted.append(sc)
        z_tr[cond_tr == c] = sc.transform(x_tr[cond_tr == c])

    def scaled(frame: pd.DataFrame, cond: np.ndarray) -> np.ndarray:
        """A frame's sensors as the model reads them, with the scalers fitted above (test rows, a user's engines)."""
        x = frame[list(sensors)].to_numpy(float)
        z = np.empty_like(x)
        for c, sc in enumerate(fitted):
            z[cond == c] = sc.transform(x[cond == c])
        if smoothing:
            z = _smooth(z, frame["unit"].to_numpy(), smoothing)
        return np.hstack([z, np.eye(k)[cond]]) if condition_inputs and k > 1 else z

    if smoothing:  # causal exponential smoothing within each engine (no future cycle enters a value)
        z_tr = _smooth(z_tr, units, smoothing)
    if condition_inputs and k > 1:  # one-hot operating condition beside the scaled sensors
        z_tr = np.hstack([z_tr, np.eye(k)[cond_tr]])
    z_te = scaled(test, conditions(test))
    y_tr = rul_labels(train, rul_max) / rul_max
    fit_w = windows_by_group(z_tr[fit_mask], y_tr[fit_mask], units[fit_mask], window)
    val_w = windows_by_group(z_tr[val_mask], y_tr[val_mask], units[val_mask], window)
    test_units = test["unit"].to_numpy()
    test_w = windows_by_group(z_te, np.zeros(len(test)), test_units, window, last_only=True)
    true_rul = np.minimum(data.test_rul, rul_max) if clip_test_rul else data.test_rul
    short = int((test_w.padded > 0).sum())
    repeat = repeat_padding and short > 0
    if repeat:
        from common.baselines import sequence_of

        fit_w.X, val_w.X, test_w.X = (sequence_of(w.X) for w in (fit_w, val_w, test_w))
    rep = audit(train_samples=fit_w.X, test_samples=test_w.X, val_samples=val_w.X)

    def last_windows(frame: pd.DataFrame):
        """Each engine's last window of a frame in NASA's layout, under this run's rules (``lstm-suite predict``)."""
        w = windows_by_group(scaled(frame, conditions(frame)), np.zeros(len(frame)), frame["unit"].to_numpy(), window,
                             last_only=True)
        if repeat:
            from common.baselines import sequence_of

            w.X = sequence_of(w.X)
        return w

    padding = ("left-padded with their first cycle repeated (a Conv1D front-end cannot skip masked steps)"
               if repeat else "left-padded and masked")
    rep.notes.append(f"validation = {count_of(len(set(units[val_mask])), 'training engine')} held out by engine; "
                     + (f"{count_of(short, 'test engine')} shorter than the window {window} "
                        f"{'is' if short == 1 else 'are'} {padding}, none dropped" if short else
                        f"no test engine is shorter than the window {window}"))
    above = np.asarray(data.test_rul) > rul_max
    if above.any():
        n_above = f"{int(above.sum())} of {count_of(len(above), 'test engine')}"
        rep.notes.append(
            f"test metrics use the true RUL clipped at {rul_max:g} (data.clip_test_rul): {n_above} had more" if
            clip_test_rul else
            f"test metrics use the true RUL as given (unclipped): {n_above} "
            f"{'has' if above.sum() == 1 else 'have'} more than {rul_max:g} cycles left (up to "
            f"{np.max(data.test_rul):g}), which the model, trained on RUL clipped at {rul_max:g}, cannot predict; "
            f"data.clip_test_rul = true scores against min(true RUL, {rul_max:g})")
    short_train = int((fit_w.padded > 0).sum() + (val_w.padded > 0).sum())
    if short_train:
        rep.notes.append(f"{count_of(short_train, 'training engine')} shorter than the window {window} "
                         + ("gives only its last cycle" if short_train == 1 else "give only their last cycle")
                         + " as a (left-padded) window")
    constant = [name for name, f in zip(sensors, flat) if f]
    if constant:
        rep.notes.append(f"{'sensor' if len(constant) == 1 else 'sensors'} {constant} "
                         f"{'is' if len(constant) == 1 else 'are'} constant over the training engines"
                         + (" within each operating condition" if k > 1 else "")
                         + ": scaled as they are (scale 1), "
                         + ("it carries" if len(constant) == 1 else "they carry") + " no information")
    ids = np.unique(test["unit"]).astype(int)
    if not np.array_equal(ids, np.arange(1, len(ids) + 1)):  # NASA's RUL files pair line k with unit k
        shown = ", ".join(map(str, ids)) if len(ids) <= 12 else f"{', '.join(map(str, ids[:10]))}, ..., {ids[-1]}"
        rep.notes.append(f"test engines are numbered {shown}, not 1..{len(ids)}: the RUL file's lines are paired with "
                         f"them in increasing number (line {len(ids)} with engine {ids[-1]})")
    # a few test engines over their whole recorded life, for the life plot
    life_units = list(np.unique(test_units)[np.argsort(-test.groupby("unit").size().to_numpy())[:3]])
    life = {}
    for u in life_units:
        rows = test_units == u
        w = windows_by_group(z_te[rows], np.zeros(rows.sum()), test_units[rows], window)
        last_cycle = rows.sum()
        life[int(u)] = {"X": w.X, "cycle": w.ends, "true": data.test_rul[list(np.unique(test_units)).index(u)]
                        + last_cycle - w.ends}
    return Prepared(
        X_train=fit_w.X, y_train=fit_w.y, X_val=val_w.X, y_val=val_w.y, X_test=test_w.X,
        y_test=(true_rul / rul_max)[:, None], metrics=("rmse", "phm08", "mae"), data_label=label,
        model_overrides={"head": "regression", "n_targets": 1, "masking": bool(short) and not repeat},
        scalers=scalers, scaler_fit_rows=fit_rows,
        split={"kind": "grouped", "fit_engines": int(len(set(units[fit_mask]))),
               "validation_engines": int(len(set(units[val_mask]))), "test_engines": int(len(test_w.X)),
               "conditions": k, "test_rul_clipped": clip_test_rul, "rul_max": rul_max},
        audit=rep, to_report_units=lambda a: np.asarray(a) * rul_max, published_key=(data.name, ""),
        test_keys={"engine": test_w.groups.astype(int)}, target_names=("RUL (cycles)",),
        feature_names=(*sensors, *([f"condition {j}" for j in range(k)] if condition_inputs and k > 1 else [])),
        extra={"life": life, "rul_max": rul_max, "test_units": np.unique(test_units), "last_windows": last_windows,
               "window": window, "padding": "repeat" if repeat else "mask" if short else "none", "train_frame": train})

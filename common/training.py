"""Training: seeding, callbacks, the LSTM estimator (same fit/predict shape as the baselines), run records.

``LSTMEstimator.fit`` uses early stopping on validation loss with best-weight restore, an optional
learning-rate schedule, ``TerminateOnNaN`` (turned into a clear ``TrainingDiverged`` error), a per-epoch
backup so an interrupted run resumes where it stopped, and a per-epoch history CSV.
"""
from __future__ import annotations

import json
import os
import platform
from functools import partial
from importlib import metadata
from pathlib import Path

import numpy as np

from .config import ModelSpec, TrainSpec
from .lazy_windows import is_streamed

PREDICT_BATCH = 1024  # samples per batch when predicting or validating


class TrainingDiverged(RuntimeError):
    pass


def quiet() -> bool:
    return bool(os.environ.get("CI"))


def fit_verbosity() -> int | str:
    """Keras ``fit`` verbosity: silent under CI; the live progress bar on a terminal; one plain line per epoch when
    the output goes to a file or a pipe (Keras' bar writes colour codes and a line per update there)."""
    import sys

    if quiet():
        return 0
    return "auto" if getattr(sys.stdout, "isatty", lambda: False)() else 2


def set_seed(seed: int, deterministic: bool = True) -> None:
    """Seed Python, NumPy and the backend (``keras.utils.set_random_seed``) and enable TF op determinism."""
    import logging

    import keras
    import tensorflow as tf

    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices from many small models
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def _inputs(X):
    if isinstance(X, dict):
        return {k: np.asarray(v, dtype="float32") for k, v in X.items()}
    return np.asarray(X, dtype="float32")


def _shapes(X) -> tuple[int, int, int, int]:
    seq = X["sequence"] if isinstance(X, dict) else X
    n_static = X["static"].shape[1] if isinstance(X, dict) and "static" in X else 0
    n_future = X["future"].shape[2] if isinstance(X, dict) and "future" in X else 0
    return seq.shape[1], seq.shape[2], n_static, n_future


def _window_stream(X, y, sample_weight, batch_size: int, seed: int):
    """An endless stream of training batches: every window once per pass, the order reshuffled each pass (seeded),
    the last batch of a pass smaller. ``fit(..., steps_per_epoch=s)`` then takes epochs of s batches from it."""
    import tensorflow as tf

    parts = (_inputs(X), np.asarray(y, dtype="float32")) + (() if sample_weight is None else (sample_weight,))
    data = tf.data.Dataset.from_tensor_slices(parts)
    return data.shuffle(len(parts[1]), seed=seed, reshuffle_each_iteration=True).batch(batch_size).repeat()


class LSTMEstimator:
    """The shared builder's model wrapped as an estimator: ``fit(X, y, X_val, y_val)``, ``predict(X)``.

    For a quantile head ``predict`` returns the median (point forecast) and ``predict_quantiles`` all
    quantiles; for classification heads it returns probabilities (binary: (n, 1)).
    """

    def __init__(self, spec: ModelSpec, train: TrainSpec, run_dir: str | Path | None = None, seed: int | None = None,
                 fixed_length: bool = True):
        self.spec, self.train, self.run_dir = spec, train, Path(run_dir) if run_dir else None
        self.seed = train.seed if seed is None else seed
        self.fixed_length = fixed_length
        self.model = None
        self.conformal_offsets: np.ndarray | None = None
        self.history: dict[str, list[float]] = {}

    def fit(self, X, y, X_val=None, y_val=None, sample_weight=None, val_sample_weight=None):
        import keras

        from .builder import build_model
        from .resume import ResumableEarlyStopping, ResumableReduceLROnPlateau

        set_seed(self.seed, self.train.deterministic)
        self.conformal_offsets = None
        timesteps, n_features, n_static, n_future = _shapes(X)
        self.model = build_model(self.spec, n_features, timesteps if self.fixed_length else None, n_static,
                                 n_future=n_future)
        y = np.asarray(y, dtype="float32")  # NaN targets (missing observations) are masked by the builder's loss
        has_val = X_val is not None and y_val is not None and len(y_val) > 0
        monitor = "val_loss" if has_val else "loss"
        calibrate = self.train.conformal and self.spec.head == "quantile"
        if calibrate and not has_val:
            raise ValueError("training.conformal needs validation windows to calibrate on")
        callbacks = [keras.callbacks.TerminateOnNaN()]
        if self.run_dir:  # before the weight-average swap: a backup holds the weights being trained, not the average
            self.run_dir.mkdir(parents=True, exist_ok=True)
            callbacks += [keras.callbacks.BackupAndRestore(str(self.run_dir / "backup")),
                          keras.callbacks.CSVLogger(str(self.run_dir / "history.csv"), append=True)]
        if self.spec.ema > 0:  # validation and the stopper see the averaged weights (swapped in at epoch end); the
            # stopper's restore runs after fit() has written the optimizer's averages into the model
            callbacks.append(keras.callbacks.SwapEMAWeights(swap_on_epoch=True))
        # with a backup, the stopper and the schedule keep their state in it too, so a resumed fit continues them
        stopper = (partial(ResumableEarlyStopping, self.run_dir / "backup") if self.run_dir
                   else keras.callbacks.EarlyStopping)
        callbacks.append(stopper(monitor=monitor, patience=self.train.patience, restore_best_weights=True))
        if self.train.lr_schedule == "plateau":
            plateau = (partial(ResumableReduceLROnPlateau, self.run_dir / "backup") if self.run_dir
                       else keras.callbacks.ReduceLROnPlateau)
            callbacks.append(plateau(monitor=monitor, factor=0.5, patience=max(1, self.train.patience // 2)))
        elif self.train.lr_schedule == "cosine":
            base, epochs = self.spec.learning_rate, self.train.epochs
            callbacks.append(keras.callbacks.LearningRateScheduler(
                lambda e, lr: float(base * 0.5 * (1 + np.cos(np.pi * e / epochs)))))
        validation = None
        if has_val and is_streamed(X_val):
            from .window_batches import WindowBatches

            validation = WindowBatches(X_val, y_val, val_sample_weight, batch_size=PREDICT_BATCH)
        elif has_val:
            validation = (_inputs(X_val), np.asarray(y_val, "float32"))
            if val_sample_weight is not None:
                validation += (np.asarray(val_sample_weight, "float32"),)
        initial = None
        if self.spec.zero_head and has_val:  # the untrained model is the reference forecast: a candidate too
            initial = (self._raw(X_val), self.model.get_weights())
        weights = None if sample_weight is None else np.asarray(sample_weight, "float32")
        per_pass = -(-len(y) // self.train.batch_size)  # batches in one pass over the windows
        if is_streamed(X):  # windows cut from their rows batch by batch (too many to build at once)
            from .window_batches import WindowBatches

            source = {"x": WindowBatches(X, y, weights, batch_size=self.train.batch_size, seed=self.seed,
                                         shuffle=True), "shuffle": False,
                      "steps_per_epoch": max(1, -(-per_pass // self.train.epoch_split))}
        elif self.train.epoch_split > 1:  # the stream shuffles itself; Keras takes steps_per_epoch batches per epoch
            source = {"x": _window_stream(X, y, weights, self.train.batch_size, self.seed), "shuffle": False,
                      "steps_per_epoch": max(1, -(-per_pass // self.train.epoch_split))}
        else:
            source = {"x": _inputs(X), "y": y, "sample_weight": weights, "batch_size": self.train.batch_size,
                      "shuffle": True}
        hist = self.model.fit(**source, validation_data=validation, epochs=self.train.epochs, callbacks=callbacks,
                              verbose=fit_verbosity())
        self.history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
        losses = self.history.get("loss", [])
        if losses and not np.isfinite(losses[-1]):
            raise TrainingDiverged(
                f"training loss became {losses[-1]} at epoch {len(losses)} (TerminateOnNaN stopped it); "
                "lower model.learning_rate, set model.clipnorm, or check the inputs for NaN/inf values")
        if initial is not None:
            gain = reference_gain(initial[0], self._raw(X_val), np.asarray(y_val, float), self.spec.loss == "mae")
            self.history["validation_gain_over_reference"] = list(gain)
            kept = not gain[0] > gain[1]  # not better than the reference forecast by more than one standard error
            if kept:
                self.model.set_weights(initial[1])
                self.history["kept_initial"] = [1.0]
            if self.run_dir:
                check = {"validation_gain_over_reference": gain[0], "standard_error": gain[1],
                         "kept": "reference (untrained zero head)" if kept else "trained model"}
                if not np.isfinite(gain[1]):  # kept by rule, not by evidence
                    check["note"] = (f"{len(y_val)} validation windows make fewer than two blocks of "
                                     f"{gain_block(np.asarray(y_val))} (the "
                                     "horizon; windows that far apart share no target step): no standard error, so "
                                     "the reference is kept whatever the gain")
                write_json(self.run_dir / "reference_check.json", check)
        if calibrate:
            self.conformal_offsets = conformal_offsets(self._raw(X_val), np.asarray(y_val, float),
                                                       self.spec.quantiles[-1] - self.spec.quantiles[0])
        return self

    def _raw(self, X) -> np.ndarray:
        if self.model is None:
            raise RuntimeError("call fit() before predict()")
        if is_streamed(X):
            from .window_batches import WindowBatches

            return np.asarray(self.model.predict(WindowBatches(X, batch_size=PREDICT_BATCH), verbose=0))
        return np.asarray(self.model.predict(_inputs(X), verbose=0, batch_size=PREDICT_BATCH))

    def predict(self, X) -> np.ndarray:
        out = self._raw(X)  # the median of a quantile head is never moved by conformal calibration
        if self.spec.head == "quantile":
            qs = np.asarray(self.spec.quantiles)
            return out[..., int(np.argmin(np.abs(qs - 0.5)))]
        return out

    def predict_quantiles(self, X) -> np.ndarray:
        """All quantiles, the outermost ones moved by the conformal offsets when ``training.conformal``."""
        out = self._raw(X)
        if self.conformal_offsets is not None:
            out = out.copy()
            out[..., 0] = np.minimum(out[..., 0] - self.conformal_offsets, out[..., 1:].min(axis=-1))
            out[..., -1] = np.maximum(out[..., -1] + self.conformal_offsets, out[..., :-1].max(axis=-1))
        return out

    @classmethod
    def load(cls, path: str | Path, spec: ModelSpec, train: TrainSpec, fixed_length: bool = True) -> "LSTMEstimator":
        """The estimator ``save`` wrote to ``path`` (with its conformal offsets, when it had them), ready to predict."""
        import keras

        from . import builder  # noqa: F401  (registers our layers with Keras, which load_model needs)

        est = cls(spec, train, fixed_length=fixed_length)
        est.model = keras.saving.load_model(str(path), compile=False)
        offsets = Path(path).with_name("conformal_offsets.json")
        if offsets.is_file():
            est.conformal_offsets = np.asarray(json.loads(offsets.read_text(encoding="utf-8")), dtype=float)
        return est

    def save(self, path: str | Path) -> None:
        self.model.save(str(path))
        if self.conformal_offsets is not None:
            write_json(Path(path).with_name("conformal_offsets.json"), self.conformal_offsets.tolist())


def gain_block(y: np.ndarray) -> int:
    """Windows per block of ``reference_gain``'s batch means: the horizon of (windows, horizon, ...) targets, since
    windows ``horizon`` apart share no target step; 1 for one target per window."""
    return y.shape[1] if y.ndim > 2 else 1


def reference_gain(reference: np.ndarray, trained: np.ndarray, y: np.ndarray, absolute: bool = False):
    """Mean over validation windows of loss(reference) - loss(trained) and its standard error, each window's
    loss the mean squared (``absolute``: absolute) error over its observed targets. ``model.zero_head`` keeps the
    trained model only when the mean exceeds one standard error (the one-standard-error rule of Hastie,
    Tibshirani & Friedman, Elements of Statistical Learning, 2nd ed., 7.10: prefer the simpler model unless the
    complex one is clearly better). ``y`` is (windows, horizon, ...) in time order; consecutive windows share
    target steps, so the standard error comes from the means of blocks of ``horizon`` windows (batch means);
    fewer than two blocks give an infinite standard error."""
    def per_window(pred):
        err = (np.abs(pred - y) if absolute else (pred - y) ** 2).reshape(len(y), -1)
        seen = np.isfinite(err).sum(axis=1)  # a window with no observed target gets NaN, left out below
        return np.where(seen > 0, np.nansum(err, axis=1) / np.maximum(seen, 1), np.nan)

    d = per_window(reference) - per_window(trained)
    block = gain_block(y)
    means = np.array([np.nanmean(b) for b in np.array_split(d, np.arange(block, len(d), block))
                      if np.isfinite(b).any()])
    if len(means) < 2:
        return float(np.nanmean(d)) if np.isfinite(d).any() else 0.0, np.inf
    return float(np.nanmean(d)), float(means.std(ddof=1) / np.sqrt(len(means)))


def conformal_offsets(q: np.ndarray, y: np.ndarray, nominal: float) -> np.ndarray:
    """Conformalized quantile regression (Romano, Patterson & Candes 2019, NeurIPS): with conformity scores
    E = max(lo - y, y - hi) on calibration windows, the offset is the ceil((n + 1) * nominal) / n empirical
    quantile of E, so that [lo - offset, hi + offset] covers ``nominal`` of exchangeable new points. ``q`` is
    (n, *steps, n_quantiles) and ``y`` (n, *steps); one offset per step, missing targets left out."""
    scores = np.maximum(q[..., 0] - y, y - q[..., -1])
    out = np.zeros(scores.shape[1:])
    for idx in np.ndindex(*scores.shape[1:]):
        e = scores[(slice(None), *idx)]
        e = np.sort(e[np.isfinite(e)])
        if len(e):
            k = min(len(e), int(np.ceil((len(e) + 1) * nominal))) - 1
            out[idx] = e[k]
    return out


def in_workers(fn, calls: list[tuple], jobs: int = 1) -> list:
    """``[fn(*args) for args in calls]``; with ``jobs > 1`` in that many worker processes (joblib's loky backend),
    each worker's TensorFlow limited to (usable cores) // jobs threads so that the workers share the cores instead
    of oversubscribing them. Small recurrent models keep about 1.3 of 2 cores busy on their own, so two fits side
    by side finish sooner than one after the other. Results come back in call order; ``fn`` and the arguments must
    be picklable (a module-level function is). ``jobs=1`` runs the calls here, one after the other.
    A worker's different thread count changes the order of some floating-point sums inside TensorFlow, so a fit in
    a worker agrees with the same fit here up to that rounding (tiny models: exactly), not always bit for bit."""
    if jobs <= 1 or len(calls) <= 1:
        return [fn(*args) for args in calls]
    from joblib import Parallel, cpu_count, delayed

    threads = max(1, cpu_count() // jobs)  # joblib's count honours CPU affinity and container CPU quotas
    return Parallel(n_jobs=min(jobs, len(calls)), backend="loky")(
        delayed(_limited_call)(threads, fn, args) for args in calls)


def _limited_call(threads: int, fn, args: tuple):
    import tensorflow as tf

    try:  # must precede the first TensorFlow op in this worker; a reused worker keeps its first setting
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        pass
    return fn(*args)


def code_version() -> dict | None:
    """The git commit of the checkout this code runs from, and whether tracked files differ from it; None when the
    code is not a git checkout of its own (an installed wheel) or git is not available."""
    import subprocess

    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str | None:
        try:
            run = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.SubprocessError):
            return None
        return run.stdout.strip() if run.returncode == 0 else None

    top = git("rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != root:  # a wheel inside some other repository is not that repository
        return None
    changed = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "HEAD"), "uncommitted_changes": None if changed is None else bool(changed)}


def environment_record(seed: int | None = None) -> dict:
    """Package versions, Python, platform, the code's git commit, seed and the devices TensorFlow sees."""
    packages = {}
    for name in ("tensorflow", "keras", "numpy", "pandas", "scikit-learn", "scipy", "statsmodels", "biopython",
                 "lstm-suite"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    record = {"python": platform.python_version(), "platform": platform.platform(), "processor": platform.processor(),
              "cpu_count": os.cpu_count(), "packages": packages, "code": code_version(), "seed": seed}
    try:
        import tensorflow as tf

        record["devices"] = [f"{d.device_type}:{d.name}" for d in tf.config.list_physical_devices()]
        record["cuda_build"] = bool(tf.test.is_built_with_cuda())
    except Exception as err:  # pragma: no cover - recorded, not fatal
        record["devices"] = f"unavailable: {err}"
    return record


def write_json(path: Path, obj) -> None:
    """``obj`` as strict JSON: NaN and infinities (undefined metrics) become null, numpy values plain ones."""
    path.write_text(json_text(obj), encoding="utf-8")


def json_text(obj, indent: int = 2, fallback=None) -> str:
    return json.dumps(strict_json(obj, fallback), indent=indent, allow_nan=False)


def strict_json(o, fallback=None):
    """``o`` with numpy values made plain, paths made strings and non-finite floats made None; any other
    type goes through ``fallback`` (e.g. ``str``), else is a TypeError."""
    if isinstance(o, dict):
        return {k: strict_json(v, fallback) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [strict_json(v, fallback) for v in o]
    if isinstance(o, np.ndarray):
        return strict_json(o.tolist(), fallback)
    if isinstance(o, np.generic):
        return strict_json(o.item(), fallback)
    if isinstance(o, float):
        return o if np.isfinite(o) else None
    if isinstance(o, Path):
        return str(o)
    if o is None or isinstance(o, (str, int)):
        return o
    if fallback is not None:
        return fallback(o)
    raise TypeError(f"cannot serialise {type(o).__name__}")

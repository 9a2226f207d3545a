"""One experiment, end to end: config -> prepare -> build -> fit (per seed) -> evaluate -> run directory.

The run directory holds: ``config.toml`` (resolved), ``data_files.json`` (the registered files read, with their
sha256), ``scalers.json``, ``leakage.json``,
``environment.json``, ``metrics.json`` (per seed, summary, baselines), ``predictions.csv`` (``.csv.gz`` when large),
``comparison.md`` / ``comparison.csv``, and per seed ``seed<k>/model.keras`` and ``seed<k>/history.csv``.
Running again with the same ``run_name`` resumes interrupted seeds from their per-epoch backups.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .config import (ConfigError, RunConfig, check_run_name, dotted_keys, make_out_folder, new_run_dir, save_config,
                     validate_options)
from .domain import Domain, Prepared
from .download import record_fetches, user_files
from .evaluation import comparison_table, load_published, summarize_seeds, write_table
from .significance import compare_all, group_members
from .significance import markdown as significance_markdown
from .metrics import compute
from .training import LSTMEstimator, environment_record, write_json

PLAIN_CSV_MAX_ROWS = 1_000_000  # a larger predictions table is written gzip-compressed (predictions.csv.gz)
PREDICTION_FILES = ("predictions.csv", "predictions.csv.gz")
REQUIRED_RUN_FILES = ("config.toml", "scalers.json", "leakage.json", "environment.json", "metrics.json",
                      "predictions.csv", "comparison.md", "comparison.csv", "data_files.json")


class RunDirectoryBusy(RuntimeError):
    pass


@contextlib.contextmanager
def run_lock(run_dir: Path):
    """Hold ``run_dir/.lock`` (our pid) while a run writes there; a lock left by a dead process is taken over,
    so an interrupted run can be resumed, but two live runs never share a directory."""
    lock = Path(run_dir) / ".lock"
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        try:
            pid = int(lock.read_text().strip() or 0)
            os.kill(pid, 0)
        except (ValueError, ProcessLookupError):
            lock.unlink(missing_ok=True)  # stale: its process is gone
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except PermissionError:
            raise RunDirectoryBusy(f"{run_dir} is in use by process {pid}; choose another --run-name") from None
        else:
            raise RunDirectoryBusy(f"{run_dir} is in use by process {pid}; choose another --run-name")
    with os.fdopen(fd, "w") as fh:
        fh.write(str(os.getpid()))
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


@dataclass
class ExperimentResult:
    run_dir: Path
    table: pd.DataFrame
    lstm: dict
    baselines: dict
    data_label: str
    seconds: float
    ensemble: dict | None = None  # scores of the mean prediction over seeds (None with one seed)


def _report_units(prep: Prepared, a: np.ndarray) -> np.ndarray:
    return prep.to_report_units(a) if prep.to_report_units else a


def _point_metrics(prep: Prepared) -> list[str]:
    """The plain point metrics of a domain (not interval metrics, not ``<metric>@<variant>``)."""
    return [m for m in prep.metrics if m not in ("pinball", "coverage") and "@" not in m]


def score_by_group(prep: Prepared, y_pred: np.ndarray) -> dict[str, dict[str, float]]:
    """Point metrics of one model per entity of ``prep.metric_groups`` (entity -> metric -> value).
    An entity without at least two observed test values gets NaN for every metric."""
    groups = np.asarray(prep.metric_groups)
    y_true = _report_units(prep, np.asarray(prep.y_test, dtype=float))
    point = _report_units(prep, np.asarray(y_pred, dtype=float))
    names = _point_metrics(prep)
    out = {}
    for rows in group_members(groups):  # first-seen order
        g = groups[rows[0]].item()
        if np.sum(~np.isnan(y_true[rows])) < 2:
            out[g] = {m: float("nan") for m in names}
            continue
        with np.errstate(all="ignore"):
            out[g] = compute(names, y_true[rows], point[rows], **prep.metric_context)
    return out


def score(prep: Prepared, y_pred: np.ndarray, y_quantiles: np.ndarray | None = None,
          quantiles: tuple[float, ...] = ()) -> dict[str, float]:
    """Metrics of one model's test predictions, in reporting units; interval metrics need quantiles.
    With ``prep.metric_groups`` every point metric is the median over entities (NaN entities left out)."""
    if prep.metric_groups is not None:
        per = score_by_group(prep, y_pred)
        return {m: float(np.nanmedian([v[m] for v in per.values()])) if any(np.isfinite(v[m]) for v in per.values())
                else float("nan") for m in next(iter(per.values()))}
    y_true = _report_units(prep, np.asarray(prep.y_test, dtype=float))
    point = _report_units(prep, np.asarray(y_pred, dtype=float))
    out = compute(_point_metrics(prep), y_true, point, **prep.metric_context)
    for m in (m for m in prep.metrics if "@" in m and m.split("@")[1] in prep.step_labels):  # one forecast step
        base, k = m.split("@")[0], prep.step_labels[m.split("@")[1]]
        out[m] = compute([base], y_true[:, k], point[:, k], **prep.metric_context)[base]
    for m in (m for m in prep.metrics if m.endswith("@original")):  # the same metric in the data's own units
        if prep.original_units is None:
            raise ValueError(f"metric {m} needs Prepared.original_units")
        base = m.split("@")[0]
        out[m] = compute([base], prep.original_units(np.asarray(prep.y_test, dtype=float)),
                         prep.original_units(np.asarray(y_pred, dtype=float)), **prep.original_context)[base]
    for m in ("pinball", "coverage"):
        if m not in prep.metrics:
            continue
        if y_quantiles is None:
            out[m] = float("nan")
            continue
        q = np.moveaxis(_report_units(prep, np.moveaxis(np.asarray(y_quantiles, float), -1, 0)), 0, -1)
        out[m] = compute([m], y_true, q if m == "pinball" else q[..., [0, -1]], quantiles=quantiles)[m]
    return out


CELL_NAMES = {"lstm": "LSTM", "gru": "GRU", "simple_rnn": "SimpleRNN"}  # the table's name of the trained model


def describe(spec) -> str:
    """A short name of the model a spec builds, e.g. ``Conv1D + bidirectional lstm 32``."""
    parts = (["channel-independent"] if spec.channel_independent else []) + (["Conv1D +"] if spec.conv_filters else []) \
        + (["bidirectional"] if spec.bidirectional else []) + [spec.cell, "x".join(str(u) for u in spec.units)]
    if spec.linear_skip:
        parts.append("+ linear skip")
    if spec.instance_norm != "none":
        parts.append(f"(instance norm: {spec.instance_norm})")
    if spec.precision != "float32":
        parts.append(f"({spec.precision})")
    return " ".join(parts)


def predict_views(prep: Prepared, model, X) -> np.ndarray:
    """``model.predict(X)``, averaged over ``prep.test_views(X)`` when the domain defines views."""
    if prep.test_views is None:
        return np.asarray(model.predict(X))
    return np.mean([np.asarray(model.predict(v), dtype=float) for v in prep.test_views(X)], axis=0)


def _predictions_frame(prep: Prepared, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per test sample and position of its target: ``sample``, the sample's keys (``prep.test_keys``),
    ``position``, ``target`` (its name), ``y_true``, then one column per model, in reporting units."""
    y = np.asarray(prep.y_test, dtype=float)
    n = len(y)
    y2 = _report_units(prep, y).reshape(n, -1)
    width = y2.shape[1]
    names = list(prep.target_names) or (["y"] if width == 1 else [f"y{i}" for i in range(width)])
    if len(names) != width or any(len(v) != n for v in prep.test_keys.values()):
        raise ValueError(f"target_names has {len(names)} names for {width} positions, or a test key's length is "
                         f"not the {n} test samples")
    frame = {"sample": np.repeat(np.arange(n), width),
             **{key: np.repeat(np.asarray(v), width) for key, v in prep.test_keys.items()},
             "position": np.tile(np.arange(width), n), "target": np.tile(names, n), "y_true": y2.ravel()}
    for name, pred in columns.items():
        frame[name] = _report_units(prep, np.asarray(pred, dtype=float)).reshape(n, -1).ravel()
    return pd.DataFrame(frame)


def write_predictions(frame: pd.DataFrame, run_dir: Path) -> Path:
    """Write the predictions table with nine significant digits (the recurrent model's outputs are float32, about
    seven); above ``PLAIN_CSV_MAX_ROWS`` rows as ``predictions.csv.gz`` (gzip level 1, which pandas and ``zcat``
    read as it is; exchange rate H96, one seed: 43 MB against 199 MB of full-precision plain CSV, both written in
    6.9 s). The other name, left by an earlier run of the same name, is removed: a run directory holds one table."""
    name = PREDICTION_FILES[len(frame) > PLAIN_CSV_MAX_ROWS]
    path = Path(run_dir) / name
    compression = {"method": "gzip", "compresslevel": 1} if name.endswith(".gz") else None
    frame.to_csv(path, index=False, float_format="%.9g", compression=compression)
    for other in PREDICTION_FILES:
        if other != name:
            (Path(run_dir) / other).unlink(missing_ok=True)
    return path


def predictions_path(run_dir: Path) -> Path:
    """The run directory's predictions table, plain or compressed."""
    for name in PREDICTION_FILES:
        if (Path(run_dir) / name).is_file():
            return Path(run_dir) / name
    raise FileNotFoundError(f"{run_dir}: no predictions.csv (or predictions.csv.gz); not a finished run directory")


def read_predictions(run_dir: Path, **kwargs) -> pd.DataFrame:
    """The predictions table of a run directory, plain or compressed (``kwargs`` go to ``pandas.read_csv``)."""
    return pd.read_csv(predictions_path(run_dir), **kwargs)


def run_experiment(cfg: RunConfig, domain: Domain, *, run_name: str | None = None,
                   log: Callable[[str], None] = print) -> ExperimentResult:
    start = time.perf_counter()
    options = validate_options(domain.options, cfg.data, domain.name)
    dataset = cfg.dataset or "default"
    out = make_out_folder(cfg.out)
    if run_name is not None:
        run_dir = out / f"{domain.name}-{dataset}-{check_run_name(run_name)}"
        _same_config_or_new(cfg, run_dir)  # before preparing the data, which can take a while
    with record_fetches() as data_files:
        prep = domain.prepare(cfg, options)
    spec = dataclasses.replace(cfg.model, **prep.model_overrides)
    if run_name is None:
        run_dir = new_run_dir(out, f"{domain.name}-{dataset}")
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        with run_lock(run_dir):
            resuming = _fresh_or_resumed(run_dir)
            write_json(run_dir / "data_files.json", data_files + user_files(cfg.data))
            return _run_in(cfg, domain, prep, spec, dataset, run_dir, start, log, resuming)
    except KeyboardInterrupt:
        raise RunInterrupted(run_dir, run_dir.name.removeprefix(f"{domain.name}-{dataset}-")) from None


def _has_backups(run_dir: Path) -> bool:
    """True when a seed of the run in ``run_dir`` was interrupted: its per-epoch backup is still there."""
    return any(p.is_dir() and any(p.iterdir()) for p in Path(run_dir).glob("seed*/**/backup"))


def _fresh_or_resumed(run_dir: Path) -> bool:
    """Whether the run in ``run_dir`` resumes an interrupted one (True) or starts afresh. Afresh, the seed folders
    of an earlier run of that name are removed first, so a later resume can take every saved model it finds for
    one this run trained."""
    import re
    import shutil

    if _has_backups(run_dir):
        return True
    for old in run_dir.glob("seed*"):
        if old.is_dir() and re.fullmatch(r"seed\d+", old.name):
            shutil.rmtree(old)
    return False


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run: its directory keeps the per-epoch backups that the same ``run_name`` resumes."""

    def __init__(self, run_dir: Path, run_name: str):
        super().__init__(str(run_dir))
        self.run_dir, self.run_name = run_dir, run_name


def _same_config_or_new(cfg: RunConfig, run_dir: Path) -> None:
    """A reused run directory (``run_name``) whose interrupted seeds left backups resumes them, so it must hold the
    same experiment: any difference but the number of seeds is then an error naming the first differing key.
    Without backups (every seed finished) a rerun trains afresh and overwrites, as before."""
    old_file = run_dir / "config.toml"
    if not old_file.is_file() or not _has_backups(run_dir):
        return
    import tomllib

    import tomli_w

    old = dotted_keys(tomllib.loads(old_file.read_text(encoding="utf-8")))
    new = dotted_keys(tomllib.loads(tomli_w.dumps(cfg.to_dict())))
    free = {"training.seeds", "out"}  # more seeds carry the experiment on; out may name the folder another way
    differ = sorted(k for k in old.keys() | new.keys() if k not in free and old.get(k) != new.get(k))
    if differ:
        k = differ[0]
        raise ConfigError(f"{run_dir} was made with another config ({k}: {old.get(k, '(unset)')} there, "
                          f"{new.get(k, '(unset)')} now); choose another run name or remove the folder")


def _run_in(cfg, domain, prep, spec, dataset, run_dir, start, log, resuming: bool = False) -> ExperimentResult:
    save_config(cfg, run_dir / "config.toml")
    write_json(run_dir / "scalers.json", prep.scalers)
    write_json(run_dir / "leakage.json", prep.audit.to_dict())
    write_json(run_dir / "environment.json", environment_record(cfg.training.seed))
    log(f"[{domain.name}] data: {prep.data_label}; leakage audit: {prep.audit.summary()}")
    for note in prep.audit.notes:
        log(f"[{domain.name}] note: {note}")

    if prep.sample_weight is not None and prep.augment:
        raise ValueError("Prepared.sample_weight cannot be combined with Prepared.augment")
    weights = prep.sample_weight or (None, None)
    if prep.folds and (prep.sample_weight is not None or prep.augment or prep.test_views):
        raise ValueError("Prepared.folds cannot be combined with sample weights, augmentation or test views")
    folds = prep.folds or [prep]
    per_seed, columns, first_est, seed_quantiles = [], {}, None, []
    for k in range(cfg.training.seeds):
        seed = cfg.training.seed + k
        preds, quants = [], []
        for f, fold in enumerate(folds):  # one fold unless the protocol refits (e.g. rolling origin with refit)
            fold_dir = run_dir / f"seed{k}" / (f"fold{f}" if len(folds) > 1 else "")
            which = f"[{domain.name}] seed {seed}" + (f" fold {f}" if len(folds) > 1 else "")
            if resuming and (fold_dir / "model.keras").is_file() and not (fold_dir / "backup").exists():
                log(f"{which}: finished before the interruption; its saved model is used")
                est = LSTMEstimator.load(fold_dir / "model.keras", spec, cfg.training, fixed_length=prep.fixed_length)
            else:
                backup = fold_dir / "backup" / "training_metadata.json"
                if backup.is_file():
                    log(f"{which}: resumes from its backup after epoch "
                        f"{json.loads(backup.read_text(encoding='utf-8'))['epoch']}")
                est = LSTMEstimator(spec, cfg.training, run_dir=fold_dir, seed=seed, fixed_length=prep.fixed_length)
                X_fit, y_fit = fold.augment(fold.X_train, fold.y_train) if fold.augment else (fold.X_train,
                                                                                            fold.y_train)
                est.fit(X_fit, y_fit, fold.X_val, fold.y_val, sample_weight=weights[0], val_sample_weight=weights[1])
                est.save(fold_dir / "model.keras")
            preds.append(predict_views(fold, est, fold.X_test))
            if spec.head == "quantile":
                quants.append(est.predict_quantiles(fold.X_test))
            first_est = first_est or est
        pred = np.concatenate(preds)
        quant = np.concatenate(quants) if quants else None
        per_seed.append(score(prep, pred, quant, spec.quantiles))
        columns[f"lstm_seed{seed}"] = pred
        if quant is not None:
            seed_quantiles.append(quant)
        log(f"[{domain.name}] LSTM seed {seed}: " + ", ".join(f"{m}={v:.4g}" for m, v in per_seed[-1].items()))
    lstm = summarize_seeds(per_seed)
    ensemble = None
    if len(per_seed) > 1:  # the mean prediction of all seeds (for quantiles: each quantile averaged), scored as one model
        columns["lstm_ensemble"] = np.mean([np.asarray(v, dtype=float) for v in columns.values()], axis=0)  # seeds only so far
        ens_q = np.mean(seed_quantiles, axis=0) if seed_quantiles else None
        ensemble = score(prep, columns["lstm_ensemble"], ens_q, spec.quantiles)
        log(f"[{domain.name}] LSTM ensemble of {len(per_seed)} seeds: " + ", ".join(f"{m}={v:.4g}" for m, v in ensemble.items()))

    base_scores = {}
    fold_models = [domain.baselines(fold, cfg) for fold in folds]  # fresh baselines for every fold
    for name in fold_models[0]:
        preds = []
        for fold, models in zip(folds, fold_models):
            models[name].fit(fold.X_train, fold.y_train)
            preds.append(predict_views(fold, models[name], fold.X_test))
        columns[name] = np.concatenate(preds)
        base_scores[name] = score(prep, columns[name])
    published = load_published(domain.published, *prep.published_key)
    table = comparison_table(lstm, base_scores, published, list(prep.metrics),
                             lstm_name=f"{CELL_NAMES[spec.cell]} ({describe(spec)})", ensemble=ensemble)
    write_json(run_dir / "metrics.json", {"data": prep.data_label, "lstm_per_seed": per_seed, "lstm_summary": lstm,
                                          "lstm_ensemble": ensemble,
                                          "baselines": base_scores, "leakage": prep.audit.to_dict(),
                                          "seconds": time.perf_counter() - start})
    if seed_quantiles:  # the first seed's quantiles beside its median
        columns.update({f"lstm_seed{cfg.training.seed}_q{q:g}": seed_quantiles[0][..., j] for j, q in enumerate(spec.quantiles)})
    write_predictions(_predictions_frame(prep, columns), run_dir)
    header = (f"# {domain.name}: {dataset}\n\nData: {prep.data_label}. Test-set metrics. "
              f"Leakage audit: {prep.audit.summary()}.")
    if prep.audit.notes:  # what the data preparation did or found (crops, gaps, held-out entities, flat channels)
        header += "\n\nNotes on the data:\n" + "\n".join(f"- {n}" for n in prep.audit.notes)
    lstm_column = "lstm_ensemble" if "lstm_ensemble" in columns else f"lstm_seed{cfg.training.seed}"
    significance = compare_all(prep, columns, lstm_column, list(base_scores), seed=cfg.training.seed)
    write_json(run_dir / "significance.json", significance)
    write_table(table, run_dir, header=header, footer=significance_markdown(significance))
    if domain.plots is not None and first_est is not None:
        figures = domain.plots(prep, first_est, columns, run_dir)
        log(f"[{domain.name}] plots: {', '.join(str(f) for f in figures)}")
    seconds = time.perf_counter() - start
    return ExperimentResult(run_dir, table, lstm, base_scores, prep.data_label, seconds, ensemble)

"""Apply a finished run's saved models to new inputs: ``lstm-suite predict RUN_DIR FILE... [--out CSV]``.

The run's data are prepared again from its ``config.toml``, as ``reproduce`` does, because the models' input rules
come from there (sequence length, cropping, padding, fitted scalers); the scalers prepared now must equal the recorded
ones, or the models would read differently scaled inputs. The domain turns the new files into model inputs under
those rules (``Domain.new_inputs``), every seed's model predicts them (averaged over the domain's test views, e.g. both
DNA strands), and the CSV holds each seed's prediction and their mean, named as in ``predictions.csv``.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from .config import ConfigError, validate_options


@dataclass
class NewInputs:
    """What a domain's ``new_inputs(prepared, config, options, files)`` returns: model inputs, a column per key that
    names each sample (file, id, ...), how to turn the seeds' mean into further columns (e.g. the predicted class),
    and notes for the user (crops, inputs the run trained on)."""

    X: Any
    keys: dict[str, list] = field(default_factory=dict)
    label: Callable[[np.ndarray], dict[str, list]] | None = None
    notes: list[str] = field(default_factory=list)
    # the CSV from each model column's raw outputs, for inputs that are not one row each (e.g. a forecast: a row per
    # step and channel); None: a row per sample, ``keys`` then the outputs in the domain's reporting units
    table: Callable[[dict[str, np.ndarray]], pd.DataFrame] | None = None
    # with a quantile head: also every seed's quantiles and the ensemble's (each quantile averaged over the seeds),
    # as columns ``lstm_seed<k>_q<q>`` and ``lstm_ensemble_q<q>`` beside the medians (only with ``table``)
    bands: bool = False
    # a run refitted on folds in time order (rolling origin with refits): each seed's last fold's model, fitted last
    # and on the most rows, makes the prediction; otherwise such a run is refused (a model per fold and seed)
    last_fold: bool = False


def domains_with_new_inputs() -> list[str]:
    from domains import DOMAINS, get_domain

    return [name for name in DOMAINS if get_domain(name).new_inputs is not None]


def predict_run(run_dir: str | Path, files: list[str], out: str | Path, domain=None,
                log: Callable[[str], None] = print, baselines: bool = False) -> Path:
    """Write the saved models' predictions for ``files`` to ``out`` (CSV) and return its path. With ``baselines``,
    the run's baselines (a run saves none) are fitted again on its training data, as the run fitted them, and their
    predictions follow the LSTM's, in columns named as in ``predictions.csv``."""
    from .experiment import predict_views
    from .reproduce import (check_data_files, check_finished, compare_scalers, load_run, recorded_paths,
                            say_other_code)
    from .training import LSTMEstimator

    run_dir = Path(run_dir)
    out = _out_file(out)
    cfg, domain = load_run(run_dir, domain, "predict takes")
    if domain.new_inputs is None:
        names = domains_with_new_inputs()
        listed = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
        raise ConfigError(f"{run_dir}: predict takes new inputs for {listed} runs "
                          f"only, not {domain.name} runs")
    say_other_code(run_dir, log, "predict")
    cfg = recorded_paths(cfg, run_dir, log, "predict")
    check_finished(run_dir, cfg.training.seeds, None)  # before preparing the data, which can take a while
    options = validate_options(domain.options, cfg.data, domain.name)
    prep = domain.prepare(cfg, options)
    check_finished(run_dir, cfg.training.seeds, len(prep.folds) if prep.folds else 1)
    differ = compare_scalers(json.loads((run_dir / "scalers.json").read_text(encoding="utf-8")), prep.scalers)
    if differ:
        raise ConfigError(f"{run_dir}: its data no longer prepare as they did for the run ({differ[0]}), so the "
                          "saved models would read inputs scaled otherwise than in training; "
                          f"`lstm-suite reproduce {run_dir}` names what changed")
    used = run_dir / "data_files.json"
    for problem in check_data_files(json.loads(used.read_text(encoding="utf-8"))) if used.is_file() else []:
        log(f"[predict] note: {problem}")
    new = domain.new_inputs(prep, cfg, options, [str(f) for f in files])
    if prep.folds and not new.last_fold:
        raise ConfigError(f"{run_dir}: a run refitted on several folds has a model per fold and seed; predict takes "
                          "runs with one model per seed")
    fold = f"fold{len(prep.folds) - 1}" if prep.folds else ""
    if fold:
        new.notes.append(f"the run refitted its models on {len(prep.folds)} folds; the prediction uses each seed's "
                         f"last ({fold}), fitted last and on the most rows")
    spec = dataclasses.replace(cfg.model, **prep.model_overrides)
    # an instance-normalised model reads each window relative to its own level (and scale), not the raw range
    trained = prep.folds[-1] if prep.folds else prep
    outside = (None if spec.instance_norm != "none"
               else extrapolation_note(trained.X_train, new.X, names=prep.feature_names))
    if outside:
        new.notes.append(outside)
    columns, kept, bands = {}, [], {}
    for k in range(cfg.training.seeds):
        est = LSTMEstimator.load(run_dir / f"seed{k}" / fold / "model.keras", spec, cfg.training,
                                 fixed_length=prep.fixed_length)
        columns[f"lstm_seed{cfg.training.seed + k}"] = np.asarray(predict_views(prep, est, new.X), dtype=float)
        if new.bands and spec.head == "quantile":
            bands[f"lstm_seed{cfg.training.seed + k}"] = np.asarray(est.predict_quantiles(new.X), dtype=float)
        check = run_dir / f"seed{k}" / "reference_check.json"
        if check.is_file() and json.loads(check.read_text(encoding="utf-8"))["kept"].startswith("reference"):
            kept.append(f"lstm_seed{cfg.training.seed + k}")
    if kept:
        reference = "the last value" if spec.instance_norm == "last" else "the window mean"
        new.notes.append(f"{', '.join(kept)} kept the untrained start, whose forecast repeats {reference} of each "
                         "window, because the trained weights did not beat it on the validation windows "
                         "(seed*/reference_check.json)")
    mean = np.mean(list(columns.values()), axis=0)
    if cfg.training.seeds > 1:
        columns["lstm_ensemble"] = mean
    if bands and cfg.training.seeds > 1:
        bands["lstm_ensemble"] = np.mean(list(bands.values()), axis=0)
    if baselines:
        columns.update(_refitted_baselines(domain, trained, cfg, new, log))
    if new.table is not None:
        outputs = {}
        for name, values in columns.items():  # each model's median, then its quantiles
            outputs[name] = values
            if name in bands:
                outputs.update({f"{name}_q{q:g}": bands[name][..., j] for j, q in enumerate(spec.quantiles)})
        frame = new.table(outputs)
    else:
        outputs = {}
        for name, values in columns.items():
            outputs.update(_report(prep, name, values))
        frame = pd.DataFrame({**new.keys, **outputs, **(new.label(mean) if new.label else {})})
    for note in new.notes:  # after the table, which may add notes on the predictions
        log(f"[predict] {note}")
    frame.to_csv(out, index=False)
    return out


def _refitted_baselines(domain, trained, cfg, new: NewInputs, log) -> dict[str, np.ndarray]:
    """Each baseline of the run fitted again on the run's training data (the last fold's, for a run refitted on
    folds) and its prediction for the new inputs, averaged over the domain's test views as in the run."""
    import time

    from .experiment import predict_views

    start, out, left_out = time.perf_counter(), {}, []
    for name, model in domain.baselines(trained, cfg).items():
        if not getattr(model, "predicts_new_inputs", True):  # it looks up the run's own samples (calendar, series)
            left_out.append(name)
            continue
        log(f"[predict] fitting baseline {name} on the run's training data")
        model.fit(trained.X_train, trained.y_train)
        out[name] = np.asarray(predict_views(trained, model, new.X), dtype=float)
    if out:
        new.notes.append(f"baselines {', '.join(out)} refitted on the run's training data, as the run fitted them (a "
                         f"run saves no baseline), in {time.perf_counter() - start:.0f} s")
    if left_out:
        new.notes.append(f"baselines left out: {', '.join(left_out)} (they look up the run's own samples, such as "
                         "their dates or the run's station series, so they cannot predict new inputs)")
    return out


def _ranges(X: np.ndarray, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature (last axis) min and max over every real value of ``X``: padded steps (``PAD_VALUE`` in every
    feature) and NaN left out, a chunk of samples at a time."""
    from .windows import PAD_VALUE

    lo, hi = np.full(X.shape[-1], np.inf), np.full(X.shape[-1], -np.inf)
    for start in range(0, len(X), chunk):
        part = np.asarray(X[start:start + chunk], dtype=float).reshape(-1, X.shape[-1])
        part = part[~np.all(part == PAD_VALUE, axis=1)]
        if len(part):
            with np.errstate(invalid="ignore"):
                lo, hi = np.fmin(lo, np.nanmin(part, axis=0)), np.fmax(hi, np.nanmax(part, axis=0))
    return lo, hi


def extrapolation_note(X_train, X_new, margin: float = 0.1, names=(), chunk: int = 4096) -> str | None:
    """A note when new inputs lie beyond the per-feature range of the training inputs by more than ``margin`` of
    its width (padded steps ignored; a dict of inputs is checked key by key; ``chunk`` new samples at a time); None
    when none do. ``names`` (the run's ``Prepared.feature_names``: a name per feature, or a dict of them per input
    key) lets the note name the features most often beyond their range."""
    from .lazy_windows import WindowView
    from .windows import PAD_VALUE

    keys = [k for k in X_new if k in X_train] if isinstance(X_new, dict) and isinstance(X_train, dict) else [None]
    values = beyond = features = n_features = 0
    samples = np.zeros(len(next(iter(X_new.values())) if isinstance(X_new, dict) else X_new), dtype=bool)
    shares = []  # (share of the feature's values beyond its range, name)
    for key in keys:
        train, new = (X_train, X_new) if key is None else (X_train[key], X_new[key])
        if isinstance(train, WindowView):  # windows cut from rows: their range is that of the rows they take
            train = train.covered_rows()[:, None, :]
        if not isinstance(train, np.ndarray) or np.ndim(new) < 2 or np.shape(train)[-1] != np.shape(new)[-1]:
            continue
        lo, hi = _ranges(train)
        width = np.where(np.isfinite(hi - lo), hi - lo, 0.0)
        n_in = np.shape(new)[-1]
        real_steps, out_counts = 0, np.zeros(n_in, dtype=np.int64)
        for first in range(0, len(new), chunk):  # windows cut on demand are never built all at once
            part = np.asarray(new[first:first + chunk], dtype=float)
            part = part.reshape(len(part), -1, n_in)
            real = ~np.all(part == PAD_VALUE, axis=-1)
            out = ((part < lo - margin * width) | (part > hi + margin * width)) & real[..., None]
            real_steps += int(real.sum())
            out_counts += out.sum(axis=(0, 1))
            samples[first:first + len(part)] |= out.any(axis=(1, 2))
        values += real_steps * n_in
        beyond += int(out_counts.sum())
        features += int((out_counts > 0).sum())
        n_features += n_in
        named = names.get(key, ()) if isinstance(names, dict) else names if key is None else ()
        if len(named) == n_in and real_steps:
            shares += [(n / real_steps, name) for n, name in zip(out_counts, named) if n]
    if not beyond:
        return None
    shares.sort(key=lambda t: -t[0])  # stable: ties keep the order of the inputs
    most = ", ".join(f"{name} ({100 * share:.1f}%{' of its values' if i == 0 else ''})"
                     for i, (share, name) in enumerate(shares[:5]))
    return (f"{beyond} of {values} input values ({100 * beyond / values:.1f}%), in {int(samples.sum())} of "
            f"{len(samples)} samples and {features} of {n_features} features, lie beyond the range of the training "
            f"inputs (per feature, by more than {margin:g} of its width, after the run's scaling"
            + (f"; most often beyond: {most}" + (f" and {len(shares) - 5} more" if len(shares) > 5 else "")
               if shares else "")
            + "): the predictions for them are extrapolations; check that the files are the kind of data the run was "
            "trained on")


def _out_file(out: str | Path) -> Path:
    """The CSV to write, its folder made; a ConfigError before any data are prepared when that cannot be."""
    path = Path(out).expanduser()
    if path.is_dir():
        raise ConfigError(f"--out {out} is a folder; give the name of the CSV file to write")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"--out {out}: cannot make its folder ({err.strerror})") from None
    existed = path.exists()
    try:  # open it now, as writing it will, so that a file nobody may write is refused before the models run
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as err:
        raise ConfigError(f"--out {out}: cannot write this file ({err.strerror})") from None
    if not existed:
        path.unlink()
    return path


def _report(prep, name: str, values: np.ndarray) -> dict[str, np.ndarray]:
    """A model's predictions in the domain's reporting units: one column ``name`` when a sample has one output, else
    one per output, named ``name`` and the target's name (``prep.target_names``)."""
    values = prep.to_report_units(values) if prep.to_report_units is not None else values
    values = np.asarray(values, dtype=float).reshape(len(values), -1)
    if values.shape[1] == 1:
        return {name: values[:, 0]}
    names = list(prep.target_names) if len(prep.target_names) == values.shape[1] else range(values.shape[1])
    return {f"{name} {t}": values[:, i] for i, t in enumerate(names)}

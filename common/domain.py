"""The small interface every domain exposes, so one conformance test covers them all.

A domain module defines ``DOMAIN = Domain(...)``:

- ``datasets``: the registry ids it uses (each must be in ``common/datasets.toml``);
- ``options``: a frozen dataclass of its ``[data]`` config options (validated strictly);
- ``default_config(profile)``: a ``RunConfig`` for ``"quick"`` (``lstm-suite run``) or ``"full"``;
- ``dataset_config`` (optional): ``(dataset, profile) -> RunConfig | None``, the config to start from when
  ``--dataset`` names a dataset that needs another model than the default (None: use ``default_config``);
- ``prepare(config, options)``: data -> ``Prepared`` (splits, fitted scalers, leakage audit);
- ``baselines(prepared, config)``: name -> estimator with ``fit(X, y)`` / ``predict(X)``;
- ``smoke_config()``: a tiny config (generated fixtures or a small slice) for the conformance test;
- ``published``: path of its published-results CSV (facts with citations), or None;
- ``experiments`` (optional): named extra experiments, run by ``train DOMAIN --experiment NAME``;
- ``new_inputs`` (optional): ``(prepared, config, options, files) -> common.predict.NewInputs``, the user's new files
  as model inputs under the run's own rules, for ``lstm-suite predict``.
"""
from __future__ import annotations

import importlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from .evaluation import LeakageReport


class DataError(ValueError):
    """Bad input data (malformed file, missing column, too-short series); the message names file and problem."""


def read_from(path: str | Path) -> str:
    """For a message about a path that was not found: where a relative path was looked for."""
    import os

    return "" if Path(path).expanduser().is_absolute() else \
        f" (a relative path, read from the current folder {os.getcwd()})"


def not_found(path: str | Path, what: str) -> str:
    """The message for a ``what`` (e.g. "FASTA file") that is not at ``path``: a folder is called a folder, and a
    relative path says where it was looked for."""
    if Path(path).expanduser().is_dir():
        return f"{path}: a folder, not a {what}"
    return f"{path}: {what} not found{read_from(path)}"


GLOB_CHARS = "*?["
PATTERN_OPTIONS = ("basin_files",)  # [data] options whose entries may be glob patterns (expand_patterns)


def expand_patterns(entries, key: str = "") -> list[str]:
    """``entries`` with every glob pattern (a name holding ``*``, ``?`` or ``[``; ``~`` expanded) replaced by the
    files it matches, sorted; a pattern that matches no file is a DataError naming ``key`` and the pattern."""
    import glob

    out = []
    for entry in entries:
        if not isinstance(entry, str) or not any(c in entry for c in GLOB_CHARS):
            out.append(entry)
            continue
        found = sorted(p for p in glob.glob(str(Path(entry).expanduser())) if Path(p).is_file())
        if not found:
            raise DataError(f"{key + ' ' if key else ''}{entry}: no file matches this pattern{read_from(entry)}")
        out += found
    return out


def user_folder(text: str, key: str, holding: str) -> Path:
    """The folder a ``data.*`` option names, or a DataError saying what the path is instead (missing, a zip
    archive to extract, a file); ``holding`` names what the folder should hold, for the advice."""
    path = Path(text).expanduser()
    if path.is_dir():
        return path
    if not path.exists():
        raise DataError(f"{key} {path}: no such folder{read_from(path)}")
    if zipfile.is_zipfile(path):
        raise DataError(f"{key} {path}: a zip archive, not a folder: extract it and set {key} to the folder "
                        f"holding {holding}")
    raise DataError(f"{key} {path}: a file, not a folder (the folder holding {holding})")


def count_of(n: int, noun: str, plural: str = "") -> str:
    """``n`` and the noun, plural unless n is 1: ``count_of(1, "file")`` is "1 file", ``count_of(3, "file")``
    "3 files"; ``plural`` for a noun whose plural is not noun + "s" (``count_of(2, "entry", "entries")``)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def describe_missing(frame: pd.DataFrame, where: str = "at") -> str:
    """Where the missing values are: their count, then per column its count and the first index label holding one
    ("" when there are none), so an error can name the place instead of only a total. ``where`` words the place
    ("at" a date; "on row" where the index is a file row number)."""
    import pandas as pd

    counts = frame.isna().sum()
    total = int(counts.sum())
    if not total:
        return ""
    parts = []
    for col in counts.index[counts > 0]:
        first = frame.index[frame[col].isna().to_numpy()][0]
        first = first.date() if isinstance(first, pd.Timestamp) and first == first.normalize() else first
        parts.append(f"{col!r} {int(counts[col])} (first {where} {first})")
    return f"{total} missing value{'s' if total > 1 else ''}: " + ", ".join(parts)


def first_non_finite(raw, values) -> tuple[int, str, str] | None:
    """The first cell that is present in ``raw`` (a frame as read) but not a finite number in ``values`` (its
    numeric parse, NaN where parsing failed): (row position, column, the raw value as shown), or None."""
    import numpy as np

    bad = (values.isna().to_numpy() & raw.notna().to_numpy()) | np.isinf(values.to_numpy(dtype=float))
    if not bad.any():
        return None
    row, col = np.argwhere(bad)[0]
    value = raw.iloc[row, col]
    return int(row), str(raw.columns[col]), repr(value) if isinstance(value, str) else str(value)


class UnknownDomain(ValueError):
    pass


@dataclass
class Prepared:
    """Model-ready splits. ``y_*`` are in training units; ``to_report_units`` maps targets and predictions
    to the units metrics are reported in (identity when None).

    ``scaler_fit_rows`` maps each scaler name to the raw training rows it was fitted on, and ``scalers`` holds
    the fitted statistics (saved with the run), so the conformance test can check that nothing else was used.
    ``extra`` carries domain-specific material for the domain's own plots.
    ``augment`` enlarges the LSTM's training data (e.g. reverse complements); baselines get the plain training
    data and augment themselves if they need to. ``test_views`` turns test inputs into several views whose
    predictions are averaged, for every model alike (e.g. both DNA strands).
    ``metric_groups`` makes every metric a median over entities; ``sample_weight`` weights the LSTM's loss per
    sample (e.g. the NSE loss of Kratzert et al. 2019: 1 / (std of the sample's basin + eps)^2).
    """

    X_train: Any
    y_train: np.ndarray
    X_val: Any
    y_val: np.ndarray
    X_test: Any
    y_test: np.ndarray
    metrics: tuple[str, ...]
    data_label: str
    model_overrides: Mapping[str, Any] = field(default_factory=dict)
    scalers: Mapping[str, dict] = field(default_factory=dict)
    scaler_fit_rows: Mapping[str, np.ndarray] = field(default_factory=dict)
    split: Mapping[str, Any] = field(default_factory=dict)
    audit: LeakageReport = field(default_factory=LeakageReport)
    metric_context: Mapping[str, Any] = field(default_factory=dict)
    to_report_units: Callable[[np.ndarray], np.ndarray] | None = None
    published_key: tuple[str, str] = ("", "")  # (dataset, setting) rows of the published table
    fixed_length: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict)
    unscaled_reason: str = ""  # why there is no scaler (e.g. one-hot inputs); required when ``scalers`` is empty
    augment: Callable[[Any, np.ndarray], tuple[Any, np.ndarray]] | None = None  # LSTM training data only
    test_views: Callable[[Any], list] | None = None  # every model's prediction is the mean over these views
    original_units: Callable[[np.ndarray], np.ndarray] | None = None  # for metrics named "<metric>@original"
    original_context: Mapping[str, Any] = field(default_factory=dict)  # their context (e.g. y_train, season)
    metric_groups: np.ndarray | None = None  # entity of each test sample: every metric is computed per entity
    # (samples of one entity in time order) and the table reports the median over entities (e.g. basins)
    step_labels: Mapping[str, int] = field(default_factory=dict)  # metric "<m>@<label>" = m on forecast step
    # y[:, index] only (e.g. {"h6": 1} when the steps are horizons 1, 6, 24 h)
    sample_weight: tuple[np.ndarray, np.ndarray] | None = None  # LSTM loss weights of (train, val) samples
    test_keys: Mapping[str, Any] = field(default_factory=dict)  # columns that identify each test sample in
    # predictions.csv (e.g. "id" of a sequence, "engine", "basin", "origin": the time of the last input row)
    target_names: tuple[str, ...] = ()  # a name per position of one test sample's y (flattened), e.g. "OT +3"
    feature_names: Any = ()  # a name per input feature (the last axis of X), or a dict of them per key of a dict X;
    # predict's note on inputs beyond the training range names them
    bootstrap_block: int = 1  # consecutive test samples the significance check resamples together: forecast windows
    # that share target steps (the horizon), or days of one basin's autocorrelated flow; 1: independent samples
    folds: list | None = None  # refitting evaluation (e.g. rolling origin with refit): Prepared objects whose test
    # sets, concatenated in order, are this one's; every model is fitted on each fold's training data in turn


@dataclass(frozen=True)
class Domain:
    name: str
    description: str
    datasets: tuple[str, ...]
    options: type
    default_config: Callable[[str], Any]
    prepare: Callable[[Any, Any], Prepared]
    baselines: Callable[[Prepared, Any], Mapping[str, Any]]
    smoke_config: Callable[[], Any] | None = None  # tiny, fast config for the conformance test
    published: Path | None = None
    generated: bool = False  # True when the default data are generated (labelled as simulated)
    experiments: Mapping[str, Callable] = field(default_factory=dict)  # extra named experiments (--experiment)
    run_experiments: Callable | None = None  # (names, profile, out, run_name=, **settings) -> (folder, results)
    # what named experiments take (their **settings): "seeds" from --seeds, any other name from --set data.NAME=
    experiment_settings: tuple[str, ...] = ()
    experiments_in_main_job: bool = False  # `lstm-suite run` runs them too (only for offline, quick experiments)
    dataset_config: Callable | None = None  # (dataset, profile) -> RunConfig | None
    plots: Callable | None = None  # (prepared, fitted LSTM estimator, {model: test predictions}, run_dir) -> [paths]
    new_inputs: Callable | None = None  # (prepared, config, options, files) -> NewInputs, for `lstm-suite predict`


def load_domain(module: str) -> Domain:
    return importlib.import_module(module).DOMAIN

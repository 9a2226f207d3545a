"""Reproduce a finished run: prepare its data again from its saved ``config.toml``, load every seed's saved model,
predict the test set again and compare with what the run recorded (``metrics.json``, ``predictions.csv``,
``scalers.json``). ``lstm-suite reproduce RUN_DIR`` prints the comparison; the exit status is 0 only when everything
agrees. Baselines are refitted by every run, not saved, so they are not part of the check.

What it catches: a data file whose content differs from the one the run read (``data_files.json``: a registered file
whose registry entry changed since the run, and the user's own files named in ``[data]``, which no registry checks; a
cached copy that fails its registered sha256 is fetched again while the data are prepared), data that no longer
prepare the same way (another
library version's parsing: the refitted scalers or the predictions differ), a model file that is not the one the
run saved, and a run directory edited by hand.
"""
from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import glob
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .config import ConfigError, load_config, validate_options
from .domain import GLOB_CHARS, PATTERN_OPTIONS

RTOL = 1e-5  # a reloaded float32 model predicts what it predicted before up to float32 rounding


@dataclass
class Reproduction:
    run_dir: Path
    table: pd.DataFrame  # model, metric, recorded, now, difference
    max_prediction_difference: float
    problems: list[str] = field(default_factory=list)

    @property
    def reproduced(self) -> bool:
        return not self.problems


def _number(value) -> float:
    """A recorded figure: null (how metrics.json writes an undefined value) and absent are NaN."""
    return float("nan") if value is None else value


def _undefined(value) -> bool:
    """NaN, or null: how the JSON files write NaN."""
    return value is None or (isinstance(value, float) and np.isnan(value))


def compare_scalers(recorded: dict, now: dict) -> list[str]:
    """A message for each scaler that differs between ``scalers.json`` and the data prepared now."""
    out = []
    for name in dict.fromkeys([*recorded, *now]):
        if name not in now:
            out.append(f"scaler {name!r} recorded but not fitted now")
            continue
        if name not in recorded:
            out.append(f"scaler {name!r} fitted now but not recorded")
            continue
        for key in dict.fromkeys([*recorded[name], *now[name]]):
            a, b = recorded[name].get(key), now[name].get(key)
            if isinstance(a, list) and isinstance(b, list):
                a, b = np.ravel(np.asarray(a, dtype=float)), np.ravel(np.asarray(b, dtype=float))
                if a.shape != b.shape:
                    out.append(f"scaler {name!r} differs from the one fitted now ({key}: {a.size} values "
                               f"recorded, {b.size} now)")
                    continue
                bad = np.flatnonzero(~np.isclose(a, b, rtol=1e-9, atol=0.0, equal_nan=True))
                if bad.size:
                    i = int(bad[0])
                    out.append(f"scaler {name!r} differs from the one fitted now ({key}, first at index {i}: "
                               f"recorded {a[i]:.6g}, now {b[i]:.6g})")
            elif a != b and not (_undefined(a) and _undefined(b)):
                out.append(f"scaler {name!r} differs from the one fitted now ({key}: recorded {a!r}, now {b!r})")
    return out


def check_data_files(used: list[dict]) -> list[str]:
    """A message for each file of ``data_files.json`` (registered data in the cache, or a user's file) whose
    content now differs from what the run read."""
    from .download import sha256_of
    from .registry import cache_root

    out = []
    for u in used:
        if "option" in u:  # a user's file (folders are listed, not hashed)
            if "file" not in u:
                continue
            path = Path(u["file"])
            now = sha256_of(path) if path.is_file() else None
            if now is None:
                out.append(f"{u['option']} file {path} no longer exists")
            elif now != u["sha256"]:
                out.append(f"{u['option']} file {path} has sha256 {now[:12]}... now; the run read "
                           f"{u['sha256'][:12]}...")
            continue
        path = cache_root() / u["dataset"] / u["file"]
        if not path.is_file():
            out.append(f"data file {u['dataset']}/{u['file']} is not in the cache ({path})")
            continue
        now = sha256_of(path)
        if now != u["sha256"]:
            out.append(f"data file {u['dataset']}/{u['file']} has sha256 {now[:12]}... now; the run read "
                       f"{u['sha256'][:12]}... ({path})")
    return out


def check_finished(run_dir: Path, seeds: int, folds: int | None) -> None:
    """Refuse a run directory without the files a finished run leaves (``folds=None``: not known yet)."""
    from .experiment import PREDICTION_FILES

    files = [run_dir / n for n in ("metrics.json", "scalers.json")]
    if not any((run_dir / n).is_file() for n in PREDICTION_FILES):
        files.append(run_dir / PREDICTION_FILES[0])
    for k in range(seeds):
        if folds is None and any((run_dir / f"seed{k}").glob("fold*/model.keras")):
            continue  # the number of folds is known once the data are prepared
        files += [run_dir / f"seed{k}" / (f"fold{f}" if folds and folds > 1 else "") / "model.keras"
                  for f in range(folds or 1)]
    missing = [str(p.relative_to(run_dir)) for p in files if not p.is_file()]
    if missing:
        raise ConfigError(f"{run_dir}: not a finished run directory (missing {', '.join(missing[:3])}"
                          f"{' and more' if len(missing) > 3 else ''})")


def load_run(run_dir: Path, domain, command: str = "reproduce checks"):
    """The run's config and domain; ``command`` words what the calling command does with runs, for the refusal of a
    folder of named experiments."""
    if not run_dir.is_dir():
        raise ConfigError(f"{run_dir}: no such folder")
    if not (run_dir / "config.toml").is_file() and (run_dir / "report.md").is_file():
        raise ConfigError(f"{run_dir}: the report of named experiments (--experiment); {command} runs of "
                          "`lstm-suite train` without it")
    if not (run_dir / "config.toml").is_file():
        raise ConfigError(f"{run_dir}: not a finished run directory (no config.toml; `lstm-suite train` writes one)")
    cfg = load_config(run_dir / "config.toml")
    if domain is None:
        from domains import get_domain

        domain = get_domain(cfg.domain)
    return cfg, domain


def say_other_code(run_dir: Path, log: Callable[[str], None], command: str = "reproduce") -> None:
    """When environment.json names another git commit than the code reproducing the run: the first place to look if
    the figures differ (``command`` names the command speaking)."""
    from .training import code_version

    env = run_dir / "environment.json"
    then = (json.loads(env.read_text(encoding="utf-8")).get("code") or {}) if env.is_file() else {}
    now = code_version() or {}
    if then.get("commit") and now.get("commit") and then["commit"] != now["commit"]:
        dirty = " (with uncommitted changes)" if then.get("uncommitted_changes") else ""
        log(f"[{command}] the run was made with code {then['commit'][:12]}{dirty}; this is {now['commit'][:12]}")


def recorded_paths(cfg, run_dir: Path, log: Callable[[str], None], command: str = "reproduce"):
    """A relative path of the user's in ``[data]`` that does not exist from here (the run was started in another
    folder) is read as the absolute path ``data_files.json`` recorded for that option; a relative glob pattern that
    matches nothing from here, as the recorded files it matched (``command`` names the command speaking)."""
    used = run_dir / "data_files.json"
    if not used.is_file():
        return cfg
    recorded: dict[str, list[Path]] = {}
    by_pattern: dict[tuple[str, str], list[Path]] = {}  # (option, pattern): the files it matched
    for u in json.loads(used.read_text(encoding="utf-8")):
        if "option" in u:
            key, path = u["option"].removeprefix("data."), Path(u.get("file") or u["folder"])
            recorded.setdefault(key, []).append(path)
            if "pattern" in u:
                by_pattern.setdefault((key, u["pattern"]), []).append(path)

    def absolute(key: str, value) -> list:
        if not isinstance(value, str) or not value or Path(value).expanduser().is_absolute():
            return [value]
        tail = tuple(p for p in Path(os.path.normpath(value)).parts if p != "..")
        if key in PATTERN_OPTIONS and any(c in value for c in GLOB_CHARS):
            if glob.glob(value):
                return [value]
            matched = by_pattern.get((key, value)) or [  # runs made before patterns were recorded: by name
                p for p in recorded.get(key, []) if len(p.parts) >= len(tail)
                and all(fnmatch.fnmatchcase(a, b) for a, b in zip(p.parts[-len(tail):], tail))]
            if matched:
                shown = ", ".join(map(str, matched[:3])) + (f", ... ({len(matched)} files)" if len(matched) > 3 else "")
                log(f"[{command}] data.{key} {value}: read as {shown} (the files the run's pattern matched, as it "
                    "recorded them)")
                return [str(p) for p in matched]
            return [value]
        if Path(value).exists():
            return [value]
        for path in recorded.get(key, []):
            if path.parts[-len(tail):] == tail:
                log(f"[{command}] data.{key} {value}: read as {path} (the path the run recorded)")
                return [str(path)]
        return [value]

    data = {k: [y for x in v for y in absolute(k, x)] if isinstance(v, (list, tuple)) else absolute(k, v)[0]
            for k, v in cfg.data.items()}
    return dataclasses.replace(cfg, data=data)


def reproduce_run(run_dir: str | Path, domain=None, log: Callable[[str], None] = print) -> Reproduction:
    """Score the saved models of ``run_dir`` again; ``domain`` defaults to the one its config names."""
    from .experiment import predict_views, run_lock, score
    from .training import LSTMEstimator

    run_dir = Path(run_dir)
    cfg, domain = load_run(run_dir, domain)
    say_other_code(run_dir, log)
    cfg = recorded_paths(cfg, run_dir, log)
    check_finished(run_dir, cfg.training.seeds, None)  # before preparing the data, which can take a while
    writable = os.access(run_dir, os.W_OK)  # a read-only archive of runs is checked without the lock
    with run_lock(run_dir) if writable else contextlib.nullcontext():  # a run still writing here would change files
        prep = domain.prepare(cfg, validate_options(domain.options, cfg.data, domain.name))
        folds = prep.folds or [prep]
        check_finished(run_dir, cfg.training.seeds, len(folds))
        log(f"[reproduce] {run_dir}: data prepared again ({prep.data_label})")
        recorded = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
        problems = compare_scalers(json.loads((run_dir / "scalers.json").read_text(encoding="utf-8")), prep.scalers)
        used = run_dir / "data_files.json"  # absent in runs made before it was written
        problems += check_data_files(json.loads(used.read_text(encoding="utf-8"))) if used.is_file() else []
        spec = dataclasses.replace(cfg.model, **prep.model_overrides)
        columns, now_scores = {}, {}
        for k in range(cfg.training.seeds):
            seed = cfg.training.seed + k
            preds, quants = [], []
            for f, fold in enumerate(folds):
                path = run_dir / f"seed{k}" / (f"fold{f}" if len(folds) > 1 else "") / "model.keras"
                est = LSTMEstimator.load(path, spec, cfg.training, fixed_length=prep.fixed_length)
                preds.append(predict_views(fold, est, fold.X_test))
                if spec.head == "quantile":
                    quants.append(est.predict_quantiles(fold.X_test))
            columns[f"lstm_seed{seed}"] = np.concatenate(preds)
            quant = np.concatenate(quants) if quants else None
            now_scores[f"lstm_seed{seed}"] = (score(prep, columns[f"lstm_seed{seed}"], quant, spec.quantiles), quant)
        recorded_scores = {f"lstm_seed{cfg.training.seed + k}": s for k, s in enumerate(recorded["lstm_per_seed"])}
        if cfg.training.seeds > 1:
            columns["lstm_ensemble"] = np.mean([np.asarray(v, dtype=float) for v in columns.values()], axis=0)
            qs = [q for _, q in now_scores.values() if q is not None]
            now_scores["lstm_ensemble"] = (score(prep, columns["lstm_ensemble"], np.mean(qs, axis=0) if qs else None,
                                                 spec.quantiles), None)
            recorded_scores["lstm_ensemble"] = recorded.get("lstm_ensemble") or {}
    rows = []
    for model, (now, _) in now_scores.items():
        for metric, value in now.items():
            old = _number(recorded_scores.get(model, {}).get(metric))
            rows.append({"model": model, "metric": metric, "recorded": old, "now": value, "difference": value - old})
            same = np.isclose(value, old, rtol=RTOL, atol=1e-9) or (np.isnan(value) and np.isnan(old))
            if not same:
                problems.append(f"{model} {metric}: recorded {old:.6g}, now {value:.6g}")
    max_diff = _prediction_difference(run_dir, prep, columns, problems)
    return Reproduction(run_dir, pd.DataFrame(rows), max_diff, problems)


def _prediction_difference(run_dir: Path, prep, columns: dict, problems: list[str]) -> float:
    """Largest absolute difference between the saved predictions table (``predictions.csv`` or ``.csv.gz``) and the
    predictions made now (reporting units)."""
    from .experiment import _predictions_frame, predictions_path

    path = predictions_path(run_dir)
    saved = pd.read_csv(path)
    now = _predictions_frame(prep, columns)
    if len(saved) != len(now):
        problems.append(f"{path.name} has {len(saved)} rows, the data prepared now give {len(now)}")
        return float("inf")
    worst = 0.0
    for name in ["y_true", *columns]:
        if name not in saved:
            problems.append(f"{path.name} has no column {name}")
            continue
        a, b = saved[name].to_numpy(float), now[name].to_numpy(float)
        scale = np.nanmax(np.abs(a)) if np.isfinite(a).any() else 1.0
        diff = np.abs(a - b)
        both_nan = np.isnan(a) & np.isnan(b)
        d = float(np.max(np.where(both_nan, 0.0, diff), initial=0.0))
        d = np.inf if np.isnan(d) else d
        worst = max(worst, d)
        if d > RTOL * max(scale, 1.0):
            problems.append(f"{path.name} column {name}: largest difference {d:.3g}")
    return worst


def print_reproduction(res: Reproduction) -> None:
    with pd.option_context("display.float_format", "{:.6g}".format):
        print(res.table.to_string(index=False))
    print(f"largest prediction difference: {res.max_prediction_difference:.3g}")
    if res.reproduced:
        print(f"{res.run_dir}: reproduced (every seed's metrics and predictions agree with the recorded ones)")
    else:
        print(f"{res.run_dir}: NOT reproduced:")
        for p in res.problems:
            print(f"  - {p}")

"""``lstm-suite train ... --dry-run``: what a run does before training, and nothing after. The config is resolved and
validated, the data read, prepared and audited for leakage, the model built and the baselines named, exactly as
``run_experiment`` would; then nothing is trained and no run directory is written. For checking one's own files
and settings in seconds before a long run."""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from . import windows
from .config import RunConfig, validate_options
from .domain import Domain, Prepared, count_of
from .experiment import describe
from .lazy_windows import WindowView, is_streamed


@dataclass
class DryRun:
    prep: Prepared
    spec: Any  # the ModelSpec after the data's overrides (head, targets)
    model: Any  # the built, untrained keras.Model
    baselines: list[str]


def _names(names, most: int = 8) -> str:
    names = [str(n) for n in names]
    return ", ".join(names[:most]) + (f", ... ({len(names)} in all)" if len(names) > most else "")


def _describe_inputs(prep: Prepared, X) -> str:
    seq = X["sequence"] if isinstance(X, dict) else X
    steps = f"{seq.shape[1]} steps" if prep.fixed_length else f"up to {seq.shape[1]} steps (masked)"
    names = prep.feature_names
    seq_names = names.get("sequence", ()) if isinstance(names, dict) else names
    text = f"{steps} x {count_of(seq.shape[2], 'feature')}" + (f" ({_names(seq_names)})" if seq_names else "")
    for part in ("static", "future"):
        if isinstance(X, dict) and part in X:
            part_names = names.get(part, ()) if isinstance(names, dict) else ()
            text += f"; {part}: {X[part].shape[-1]}" + (f" ({_names(part_names)})" if part_names else "")
    return text


def settings_text(cfg: RunConfig, width: int = 118) -> str:
    """The resolved config, one table per paragraph of ``key = value`` pairs (values as JSON, which reads as TOML for
    these), lines broken between pairs at ``width``."""
    import json

    def paragraph(head: str, pairs: list[str]) -> str:
        lines = [head]
        for pair in pairs:
            if len(lines[-1]) + len(pair) + 2 > width and lines[-1].strip():
                lines[-1] += ","
                lines.append("    " + pair)
            else:
                lines[-1] += (", " if lines[-1].strip() and lines[-1] != head else "") + pair
        return "\n".join(lines)

    tree = cfg.to_dict()
    out = [paragraph("", [f"{k} = {json.dumps(v)}" for k, v in tree.items() if not isinstance(v, dict)])]
    for key, table in tree.items():
        if isinstance(table, dict):
            pairs = [f"{k} = {json.dumps(v)}" for k, v in table.items()] or ["(empty: the defaults)"]
            out.append(paragraph(f"[{key}] ", pairs))
    return "\n".join(out)


def _bytes(X, full: bool = False, seen: set | None = None) -> int:
    """The bytes ``X`` holds (windows cut on demand: their rows, counted once over the calls that share ``seen``), or
    with ``full`` the bytes as built arrays."""
    if isinstance(X, dict):
        return sum(_bytes(v, full, seen) for v in X.values())
    if isinstance(X, WindowView):
        if full:
            return X.full_nbytes
        shared = seen is not None and id(X.rows) in seen
        if seen is not None:
            seen.add(id(X.rows))
        return X.starts.nbytes if shared else X.nbytes
    return np.asarray(X).nbytes


def _batch_seconds(model, X, y, batch: int, batches: int = 10) -> float:
    """Seconds per training batch: ``model.fit`` over the first ``batches`` batches, timed after the same fit once as
    a warm-up (tracing); Keras' own per-step work is included. The weights change, which is fine for a model that
    is thrown away."""
    from .training import _inputs

    n = batch * batches
    xb = {k: v[:n] for k, v in X.items()} if isinstance(X, dict) else X[:n]
    xb, yb = _inputs(xb), np.asarray(y[:n], dtype="float32")
    steps = math.ceil(len(yb) / batch)
    model.fit(xb, yb, batch_size=batch, epochs=1, verbose=0, shuffle=False)
    start = time.perf_counter()
    model.fit(xb, yb, batch_size=batch, epochs=1, verbose=0, shuffle=False)
    return (time.perf_counter() - start) / steps


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min" if seconds < 7200 else \
        f"{seconds / 3600:.1f} h"


def dry_run(cfg: RunConfig, domain: Domain, log: Callable[[str], None] = print) -> DryRun:
    from .builder import build_model
    from .training import _shapes

    start = time.perf_counter()
    prep = domain.prepare(cfg, validate_options(domain.options, cfg.data, domain.name))
    spec = dataclasses.replace(cfg.model, **prep.model_overrides)
    fold = (prep.folds or [prep])[0]
    timesteps, n_features, n_static, n_future = _shapes(fold.X_train)
    model = build_model(spec, n_features, timesteps if prep.fixed_length else None, n_static, n_future=n_future)
    baselines = list(domain.baselines(fold, cfg))
    name, t = f"[{domain.name}]", cfg.training
    log(f"{name} config (what the run's config.toml would hold):\n{settings_text(cfg)}")
    log(f"{name} data: {prep.data_label}; leakage audit: {prep.audit.summary()}")
    for note in prep.audit.notes:
        log(f"{name} note: {note}")
    folds = f" (fold 1 of {len(prep.folds)})" if prep.folds else ""
    log(f"{name} samples{folds}: train {len(fold.y_train)}, validation {len(fold.y_val)}, test {len(fold.y_test)}; "
        f"inputs: {_describe_inputs(prep, fold.X_train)}")
    seen: set = set()  # rows that windows of several splits are cut from are held once
    sizes = [sum(_bytes(getattr(f, f"{x}_{split}"), seen=seen) for f in (prep.folds or [prep]) for x in "Xy")
             for split in ("train", "val", "test")]
    splits = [getattr(f, f"X_{split}") for f in (prep.folds or [prep]) for split in ("train", "val", "test")]
    size = windows.size_text
    streamed = ("; windows cut from their rows batch by batch: as arrays they would take "
                f"{size(sum(_bytes(X, full=True) for X in splits))}") if any(map(is_streamed, splits)) else ""
    log(f"{name} memory: the prepared arrays take {size(sum(sizes))} (train {size(sizes[0])}, validation "
        f"{size(sizes[1])}, test {size(sizes[2])}" + (f", over {len(prep.folds)} folds" if prep.folds else "")
        + streamed + ")" + (f"; {limit[1]}" if (limit := windows.memory_limit()) else ""))
    cudnn = "yes" if spec.cudnn_eligible else "no (a simple RNN cell or recurrent dropout)"
    log(f"{name} model: {describe(spec)}, {spec.head} head, {model.count_params():,} parameters; Keras' cuDNN kernel "
        f"on a GPU: {cudnn}")
    X_fit, y_fit = fold.augment(fold.X_train, fold.y_train) if fold.augment else (fold.X_train, fold.y_train)
    steps = math.ceil(math.ceil(len(y_fit) / t.batch_size) / t.epoch_split)
    per_batch = _batch_seconds(model, X_fit, y_fit, t.batch_size)
    most = per_batch * steps * t.epochs * t.seeds
    log(f"{name} training: {count_of(t.seeds, 'seed')} from {t.seed}, up to {t.epochs} epochs of about {steps} "
        f"batches of {t.batch_size}" + (f" (1/{t.epoch_split} of a pass each)" if t.epoch_split > 1 else "")
        + f", patience {t.patience}; about {per_batch * steps:.1f} s per epoch on this machine (up to 10 batches "
        f"timed after a warm-up; validation not counted), so at most about {_duration(most)} for all seeds if no "
        "epoch stops early")
    log(f"{name} baselines: {', '.join(baselines) or 'none'}")
    log(f"{name} dry run: nothing trained, no run directory written ({time.perf_counter() - start:.1f} s)")
    return DryRun(prep, spec, model, baselines)

"""Callbacks whose state survives an interrupted fit, kept beside Keras' ``BackupAndRestore`` backup.

``BackupAndRestore`` saves the weights (with the optimizer's state) and the epoch count, but Keras keeps
``EarlyStopping``'s best value, patience count and best weights, and ``ReduceLROnPlateau``'s counters, in
memory only. A fit resumed from the backup would restart them: it could run past its patience and end on the
best epoch after the resume, discarding a better one found before the interruption. These subclasses write
their state into the backup folder at every epoch end and read it back when the fit resumes; Keras deletes
the folder, and with it the state, when the fit finishes.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import keras
import numpy as np


class _StateInBackup:
    """Mixin: the attributes named in ``_kept`` are written to ``<backup_dir>/<state_name>.json`` at every epoch end
    and read back at the start of a fit that ``BackupAndRestore`` resumes (its metadata file is there). A best
    value that is unset or infinite is stored as null and left at the callback's own reset value."""

    _kept: tuple[str, ...] = ()
    state_name = ""

    def _state_file(self) -> Path:
        return self.backup_dir / f"{self.state_name}.json"

    def _resumed(self) -> bool:
        return (self.backup_dir / "training_metadata.json").is_file() and self._state_file().is_file()

    def _restore_state(self) -> None:
        for key, value in json.loads(self._state_file().read_text(encoding="utf-8")).items():
            if value is not None:
                setattr(self, key, value)

    def _keep_state(self) -> None:
        self.backup_dir.mkdir(parents=True, exist_ok=True)
        state = {}
        for key in self._kept:
            value = getattr(self, key)
            state[key] = (None if value is None or not math.isfinite(float(value)) else float(value) if key == "best"
                          else int(value))
        tmp = self._state_file().with_suffix(".tmp")
        tmp.write_text(json.dumps(state), encoding="utf-8")
        tmp.replace(self._state_file())  # a Ctrl-C while writing leaves the previous state whole


class ResumableEarlyStopping(_StateInBackup, keras.callbacks.EarlyStopping):
    """``keras.callbacks.EarlyStopping`` that continues its best value, patience count and best weights across
    an interruption (``backup_dir``: the ``BackupAndRestore`` folder of the same fit)."""

    _kept, state_name = ("wait", "best_epoch", "best"), "early_stopping"

    def __init__(self, backup_dir: str | Path, **kwargs):
        super().__init__(**kwargs)
        self.backup_dir = Path(backup_dir)
        self._weights = self.backup_dir / "early_stopping.npz"

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self._resumed():
            self._restore_state()
            if self.restore_best_weights and self._weights.is_file():
                with np.load(self._weights) as saved:
                    self.best_weights = [saved[f"arr_{i}"] for i in range(len(saved.files))]

    def on_epoch_end(self, epoch, logs=None):
        best_before = self.best_epoch if self.best_weights is not None else None
        super().on_epoch_end(epoch, logs)
        if self.restore_best_weights and self.best_weights is not None and self.best_epoch != best_before:
            self.backup_dir.mkdir(parents=True, exist_ok=True)
            tmp = self.backup_dir / "early_stopping.tmp.npz"
            np.savez(tmp, *self.best_weights)
            tmp.replace(self._weights)
        self._keep_state()  # after the weights: the state names the best epoch they hold


class ResumableReduceLROnPlateau(_StateInBackup, keras.callbacks.ReduceLROnPlateau):
    """``keras.callbacks.ReduceLROnPlateau`` that continues its best value and counters across an interruption
    (the learning rate itself is an optimizer variable, restored with the backup's weights)."""

    _kept, state_name = ("wait", "cooldown_counter", "best"), "reduce_lr_on_plateau"

    def __init__(self, backup_dir: str | Path, **kwargs):
        super().__init__(**kwargs)
        self.backup_dir = Path(backup_dir)

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self._resumed():
            self._restore_state()

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        self._keep_state()

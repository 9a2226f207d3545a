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


def _resumed(backup_dir: Path) -> bool:
    """True when ``BackupAndRestore`` found a backup to resume from (its metadata file is written per epoch)."""
    return (backup_dir / "training_metadata.json").is_file()


def _save(path: Path, state: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({k: (None if v is None else float(v) if k == "best" else int(v))
                               for k, v in state.items()}), encoding="utf-8")
    tmp.replace(path)  # a Ctrl-C while writing leaves the previous state whole


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """``keras.callbacks.EarlyStopping`` that continues its best value, patience count and best weights across
    an interruption (``backup_dir``: the ``BackupAndRestore`` folder of the same fit)."""

    def __init__(self, backup_dir: str | Path, **kwargs):
        super().__init__(**kwargs)
        self.backup_dir = Path(backup_dir)
        self._state, self._weights = self.backup_dir / "early_stopping.json", self.backup_dir / "early_stopping.npz"

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if _resumed(self.backup_dir) and self._state.is_file():
            state = _load(self._state)
            self.wait, self.best_epoch, self.best = state["wait"], state["best_epoch"], state["best"]
            if self.restore_best_weights and self._weights.is_file():
                with np.load(self._weights) as saved:
                    self.best_weights = [saved[f"arr_{i}"] for i in range(len(saved.files))]

    def on_epoch_end(self, epoch, logs=None):
        best_before = self.best_epoch if self.best_weights is not None else None
        super().on_epoch_end(epoch, logs)
        self.backup_dir.mkdir(parents=True, exist_ok=True)
        if self.restore_best_weights and self.best_weights is not None and self.best_epoch != best_before:
            tmp = self.backup_dir / "early_stopping.tmp.npz"
            np.savez(tmp, *self.best_weights)
            tmp.replace(self._weights)
        best = self.best if self.best is None or math.isfinite(float(self.best)) else None
        _save(self._state, {"wait": self.wait, "best_epoch": self.best_epoch, "best": best})


class ResumableReduceLROnPlateau(keras.callbacks.ReduceLROnPlateau):
    """``keras.callbacks.ReduceLROnPlateau`` that continues its best value and counters across an interruption
    (the learning rate itself is an optimizer variable, restored with the backup's weights)."""

    def __init__(self, backup_dir: str | Path, **kwargs):
        super().__init__(**kwargs)
        self.backup_dir = Path(backup_dir)
        self._state = self.backup_dir / "reduce_lr_on_plateau.json"

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if _resumed(self.backup_dir) and self._state.is_file():
            state = _load(self._state)
            self.wait, self.cooldown_counter = state["wait"], state["cooldown_counter"]
            if state["best"] is not None:
                self.best = state["best"]

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        self.backup_dir.mkdir(parents=True, exist_ok=True)
        best = float(self.best) if math.isfinite(float(self.best)) else None
        _save(self._state, {"wait": self.wait, "cooldown_counter": self.cooldown_counter, "best": best})

"""Streamflow simulated from new forcing files by a finished CAMELS run (``lstm-suite predict RUN_DIR FILE...``);
a ``streamflow_csv`` run passes its own readers of basin CSV files and of its attributes file.

Each file is a CAMELS forcing file (the layout the run's product uses); the run's inputs are scaled with its scaler,
and every day with ``seq_length - 1`` days of earlier forcing gets a simulated flow in mm/day. A model that reads
catchment attributes takes them from the run's CAMELS folder by the 8-digit gauge id the file name starts with, so
a basin the run never saw can be simulated (the ungauged use). Days of the run's training basins that lie in its
training or validation period are flagged: the model was fitted (or early-stopped) on them.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from common.domain import DataError, Prepared, count_of
from common.lazy_windows import WindowView


def _gauge(path: str) -> str:
    match = re.match(r"(\d{8})_", Path(path).name)
    return match.group(1) if match else ""


def _camels_forcing(path: str) -> list:
    from .camels import read_forcing

    return [(read_forcing(path)[0], _gauge(path))]


def streamflow_inputs(prep: Prepared, opt, root: Path | None, files: list[str], read=_camels_forcing, attributes=None):
    """``read(file) -> [(daily forcing frame holding the run's inputs, basin name), ...]`` (one per basin the file
    holds): CAMELS forcing files by default
    (the basin is the gauge id the name starts with); ``attributes(basin) -> one-row frame`` of a model with static
    inputs: the CAMELS attributes of the run's folder by default. A basin CSV run passes its own of both."""
    from common.predict import NewInputs
    from common.splits import Standardizer

    from .camels import KRATZERT_ATTRIBUTES, read_attributes

    length, scaler = prep.split["seq_length"], prep.extra["inputs_scaler"]
    periods, trained = prep.split["periods"], set(prep.split["train_basins"])
    static = Standardizer.from_dict(prep.scalers["static"]) if prep.extra.get("has_static") else None
    seqs, statics, keys, notes = [], [], {"basin": [], "date": [], "in_training": []}, []
    for f, forcing, basin in ((f, forcing, basin) for f in files for forcing, basin in read(f)):
        if static is not None and not basin:
            raise DataError(f"{f}: the run's model reads catchment attributes, looked up by the 8-digit gauge id the "
                            "file name starts with (as in <gauge>_lump_nldas_forcing_leap.txt); this name has none")
        if len(forcing) < length:
            raise DataError(f"{f}: {count_of(len(forcing), 'day')} of forcing; the run's model reads {length} days")
        seqs.append(scaler.transform(forcing[list(opt.inputs)].to_numpy(float)).astype(np.float32))
        dates = forcing.index[length - 1:]
        if static is not None:
            row = (attributes(basin) if attributes is not None
                   else read_attributes(root, [basin], KRATZERT_ATTRIBUTES))
            attrs = static.transform(row.to_numpy(float))
            statics.append(np.repeat(attrs.astype(np.float32), len(dates), axis=0))
        flag = np.full(len(dates), "", dtype=object)
        if basin in trained:
            for name, (a, b) in (("training period", periods["train"]), ("validation period", periods["val"])):
                flag[(dates >= pd.Timestamp(a)) & (dates <= pd.Timestamp(b))] = name
            fitted = int((flag != "").sum())
            if fitted:
                notes.append(f"{basin}: {fitted} of the {count_of(len(dates), 'simulated day')} lie in the run's "
                             "training or validation period (column in_training): fitted values, not predictions")
        keys["basin"] += [basin or Path(f).stem] * len(dates)
        keys["date"] += list(dates.strftime("%Y-%m-%d"))
        keys["in_training"] += list(flag)
    keys["target"] = [prep.target_names[0]] * len(keys["date"])
    # every day's window, cut from the files' daily rows when asked for (a basin of 34 years: 110 MB of windows)
    first = np.cumsum([0] + [len(z) for z in seqs[:-1]])
    X = WindowView(np.concatenate(seqs), np.concatenate([f + np.arange(len(z) - length + 1)
                                                         for f, z in zip(first, seqs)]), length)
    if static is not None:
        X = {"sequence": X, "static": np.concatenate(statics)}
    return NewInputs(X=X, keys=keys, notes=notes)

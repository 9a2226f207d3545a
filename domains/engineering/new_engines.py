"""Engines in service as inputs of a finished C-MAPSS run (``lstm-suite predict RUN_DIR FILE...``).

A file in NASA's layout (the test files' shape: each engine's cycles so far) is read with the same parser; its rows
are assigned to the operating conditions found on the run's training rows and scaled with the run's scalers; each
engine gives its last window, padded as in the run. An engine shorter than the window is refused when the run's
model has no padding mask (none of its test engines was that short). An engine whose cycles are the first cycles of
a training engine is flagged: its prediction is a fitted value, not a forecast.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from common.domain import DataError, Prepared, count_of

from .cmapss import COLUMNS, read_trajectories


def _training_prefix(engine: np.ndarray, train: dict[int, np.ndarray]) -> str:
    """The training engine whose first cycles equal this engine's rows (settings and sensors), or ''."""
    for unit, rows in train.items():
        if len(rows) >= len(engine) and np.array_equal(rows[:len(engine)], engine):
            part = f"all its {len(rows)} cycles" if len(rows) == len(engine) else \
                f"its first {count_of(len(engine), 'cycle')}"
            return f"training engine {unit} ({part})"
    return ""


def new_inputs(prep: Prepared, cfg, opt, files: list[str]):
    from common.predict import NewInputs

    if "last_windows" not in prep.extra:
        raise DataError(f"predict reads engines in NASA's C-MAPSS layout for runs on 'cmapss' or 'generated', not on "
                        f"{cfg.dataset!r}")
    window = prep.extra["window"]
    values = COLUMNS[2:]  # settings and sensors
    train = {int(u): g[values].to_numpy() for u, g in prep.extra["train_frame"].groupby("unit", sort=False)}
    X, keys, flagged = [], {"file": [], "engine": [], "cycles": [], "in_training": []}, 0
    for f in files:
        frame = read_trajectories(f)
        sizes = frame.groupby("unit", sort=False).size()
        if prep.extra["padding"] == "none" and (sizes < window).any():
            unit = int(sizes.index[sizes < window][0])
            raise DataError(f"{f}: engine {unit} has {int(sizes[unit])} cycles, fewer than the run's window of "
                            f"{window}; the run's model was built without a padding mask (none of its test engines was that "
                            "short), so it cannot read a padded window")
        X.append(prep.extra["last_windows"](frame).X)
        for unit, g in frame.groupby("unit", sort=False):
            found = _training_prefix(g[values].to_numpy(), train)
            flagged += bool(found)
            keys["file"].append(f)
            keys["engine"].append(int(unit))
            keys["cycles"].append(len(g))
            keys["in_training"].append(found)
    n = len(keys["engine"])
    keys["target"] = [prep.target_names[0]] * n
    notes = [f"{flagged} of the {count_of(n, 'engine')} {'is' if flagged == 1 else 'are'} the start of a training "
             "engine (column in_training): their predictions are fitted values, not forecasts"] if flagged else []

    def below_zero(mean: np.ndarray) -> dict:  # no column of its own: a note on the seeds' mean
        rul = np.asarray(prep.to_report_units(mean) if prep.to_report_units else mean, dtype=float).reshape(n)
        low = np.flatnonzero(rul < 0)
        if len(low):
            named = [f"{Path(keys['file'][i]).name} " * (len(files) > 1) + str(keys["engine"][i]) for i in low[:5]]
            notes.append(f"{len(low)} of the {count_of(n, 'engine')} {'has' if len(low) == 1 else 'have'} a predicted "
                         f"RUL below 0 cycles ({'engine' if len(low) == 1 else 'engines'} {', '.join(named)}"
                         f"{', ...' if len(low) > 5 else ''}; the model's output is not bounded, and the run's metrics "
                         "score such values as they are), written unchanged")
        return {}

    return NewInputs(X=np.concatenate(X), keys=keys, notes=notes, label=below_zero)

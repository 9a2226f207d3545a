"""PM2.5 forecasts past the end of station files from a finished Beijing run (``lstm-suite predict RUN_DIR FILE...``).

Each file is read with the run's station reader (its layout must be the run's), encoded and scaled with the run's
scaler, carried forward over gaps as in training, and its last ``lookback`` hours give PM2.5 at 1, 6 and 24 h after
its last hour, in ug/m3.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from common.domain import DataError, Prepared


def air_inputs(prep: Prepared, files: list[str]):
    from common.predict import NewInputs

    from .airquality import FORMATS, _fill_forward, encode, read_station

    kind, lookback, horizons = prep.extra["stations"][0].kind, prep.extra["lookback"], prep.extra["horizons"]
    scaler = prep.extra["scaler"]
    X, stations, origins, last_seen, notes = [], [], [], [], []
    for f in files:
        station = read_station(f)
        if station.kind != kind:
            raise DataError(f"{f}: a station file of the UCI {station.kind} layout; the run's model reads the {kind} "
                            "layout")
        if len(station.frame) < lookback:
            raise DataError(f"{f}: {len(station.frame)} hours; the run's model reads the last {lookback}")
        inputs, pm, names = encode(station)
        X.append(_fill_forward(scaler.transform(inputs))[-lookback:])
        gaps = np.isnan(inputs[-lookback:]).sum(axis=0)
        if gaps.any():
            notes.append(f"{station.name}: missing in the last {lookback} hours, which the forecast reads, and carried "
                         "forward as in training: " + ", ".join(f"{n} {int(k)}" for n, k in zip(names, gaps) if k))
        origin = station.frame.index[-1]
        seen = np.flatnonzero(~np.isnan(pm))
        if not len(seen):
            raise DataError(f"{f}: no observed {FORMATS[kind][0]} value to forecast from")
        when = station.frame.index[seen[-1]]
        if when != origin:
            hours = int((origin - when) / pd.Timedelta(hours=1))
            notes.append(f"{station.name}: PM2.5 last observed at {when:%Y-%m-%d %H:%M}, {hours} hours before the "
                         f"forecast origin {origin:%Y-%m-%d %H:%M} (carried forward, as in training)")
        stations.append(station.name)
        origins.append(origin)
        last_seen.append(pm[seen[-1]])

    def table(outputs: dict[str, np.ndarray]) -> pd.DataFrame:
        n, k = len(stations), len(horizons)
        out = {"station": np.repeat(stations, k), "origin": np.repeat([str(o) for o in origins], k),
               "horizon_h": np.tile(horizons, n),
               "time": [str(o + pd.Timedelta(hours=int(h))) for o in origins for h in horizons],
               "last_observed": np.repeat(last_seen, k)}
        for name, values in outputs.items():
            out[name] = prep.to_report_units(np.asarray(values, dtype=float).reshape(n, k)).ravel()
        below = [name for name in outputs if (out[name] < 0).any()]
        if below:
            notes.append(f"{', '.join(below)}: some forecasts are below 0 ug/m3 (the model's output is not bounded; "
                         "the run's metrics score such values as they are), written unchanged")
        return pd.DataFrame(out)

    return NewInputs(X=np.stack(X), table=table, notes=notes)

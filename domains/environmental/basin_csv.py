"""Streamflow from the user's own basin files (dataset ``streamflow_csv``): one CSV per basin, daily rows with a date
column, the forcing columns named in ``data.inputs`` and observed flow in ``data.flow_column``.

The files go through the suite's CSV reader (``domains.social.series.load_series_csv``: separators, decimal marks,
encodings, dates, duplicate days), then the CAMELS protocol of ``streamflow.prepare_streamflow``: sequences of
``data.seq_length`` days, the periods of ``data.periods`` (required: the CAMELS water years are the CAMELS
release's), training days without flow left out of the loss, test days without flow masked in the metrics. Rules:
- the basin is named after its file (``alpha.csv`` -> ``alpha``);
- a missing day, or a missing forcing value, is an error naming the file and the date (a forcing is never filled);
- missing flow is masked, never filled; negative flow is an error (a code for missing flow, such as -999, goes in
  ``data.na_values``);
- flow is taken in the files' own units (NSE, KGE, FHV, FLV and peak timing do not depend on them).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from common.domain import DataError, Prepared, count_of, describe_missing
from common.splits import date_periods

from .camels import numeric_attributes
from .streamflow import BasinSeries, prepare_streamflow

DAILY = "basin files hold one row per day: sum or average sub-daily data to days first"
PRECIPITATION_NAMES = ("prcp", "precip", "precipitation", "rain", "rainfall")  # case-insensitive


def precipitation_input(opt) -> str:
    """The input the baselines sum over windows: ``data.precipitation``, else the input whose name is one of
    ``PRECIPITATION_NAMES`` or starts with one followed by ``_`` (``rain_mm``); "" when there is none."""
    if opt.precipitation:
        if opt.precipitation not in opt.inputs:
            raise DataError(f"data.precipitation {opt.precipitation!r} is not one of data.inputs {list(opt.inputs)}")
        return opt.precipitation
    for name in opt.inputs:
        low = name.lower()
        if low in PRECIPITATION_NAMES or any(low.startswith(p + "_") for p in PRECIPITATION_NAMES):
            return name
    return ""


def _daily(path: str, opt, columns: list[str]):
    """The file's ``columns`` on the full daily calendar (a missing day becomes a row of NaN) and the reader's report;
    a missing forcing value (``data.inputs``), on such a day or in a cell, is an error naming the file and date."""
    from domains.social.series import csv_format, load_series_csv

    frame, report = load_series_csv(path, opt.date_column, columns, "D", gaps="keep", freq_remedy=DAILY,
                                    **csv_format(opt))
    missing = describe_missing(frame[list(opt.inputs)])
    if missing:
        raise DataError(f"{path}: forcing {missing}; a forcing value is never filled: give every day its forcing")
    return frame, report


def read_basin(path: str, opt) -> BasinSeries:
    inputs, flow = list(opt.inputs), opt.flow_column
    if flow in inputs:
        raise DataError(f"data.flow_column {flow!r} is among data.inputs: the observed flow is the target, never an "
                        "input (the model would read the answer)")
    frame, report = _daily(path, opt, [*inputs, flow])
    notes = [f"{Path(path).name}: {a}" for a in report.actions]
    q = frame[flow].to_numpy(float)
    negative = np.flatnonzero(q < 0)
    if len(negative):
        raise DataError(f"{path}: flow {q[negative[0]]:g} on {frame.index[negative[0]].date()} is negative "
                        f"({count_of(len(negative), 'day')}); if it is a code for missing flow, name it in "
                        "data.na_values")
    absent = int(np.isnan(q).sum())
    if absent:
        notes.append(f"{Path(path).name}: {count_of(absent, 'day')} without observed flow (masked, never filled)")
    return BasinSeries(Path(path).stem, frame.index, frame[inputs].to_numpy(float), q, notes)


def prepare_basin_csv(opt) -> Prepared:
    import dataclasses

    if not opt.basin_files:
        raise DataError("data.basin_files: name your basin CSV files (one per basin: a date column, the forcing "
                        "columns of data.inputs and observed flow in data.flow_column)")
    if not opt.flow_column:
        raise DataError("data.flow_column: name the column of observed flow in your basin files")
    if not opt.periods:
        raise DataError("data.periods: give the six dates [train start, end, validation start, end, test start, end] "
                        "of your files' years (the default periods are the CAMELS release's)")
    names = [Path(f).stem for f in opt.basin_files]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise DataError(f"data.basin_files: two files name basin {twice[0]!r} (a basin is named after its file)")
    precipitation = precipitation_input(opt)
    series = [read_basin(f, opt) for f in opt.basin_files]
    statics = read_basin_attributes(opt, names) if opt.attributes_file else None
    shown = ", ".join(Path(f).name for f in opt.basin_files[:3]) + (", ..." if len(opt.basin_files) > 3 else "")
    label = (f"your basin CSV files ({count_of(len(series), 'basin')}: {shown}; flow {opt.flow_column!r} in the "
             f"files' units; inputs {list(opt.inputs)}"
             + (f"; static attributes {list(statics.columns)} from {Path(opt.attributes_file).name}"
                if statics is not None else "") + f"; periods {list(opt.periods)})")
    prep = prepare_streamflow(series, seq_length=opt.seq_length, test_basins=opt.ungauged_basins, loss=opt.loss,
                              statics=statics,
                              val_stride=opt.val_stride, label=label, input_names=tuple(opt.inputs),
                              periods=date_periods(opt.periods, chronological=False))
    if not precipitation:
        prep.audit.notes.append(f"no input is named as precipitation ({', '.join(PRECIPITATION_NAMES)}, or "
                                "data.precipitation): the forcing baselines average every input over their windows")
    return dataclasses.replace(prep, extra={**prep.extra, "precipitation": precipitation},
                               target_names=(f"flow {opt.flow_column!r} (the files' units)",))


def read_basin_attributes(opt, basins: list[str]):
    """The numeric attributes of ``basins`` (rows, in that order) from ``data.attributes_file``: a ``basin`` column
    holding the basin files' names and one column per attribute."""
    from domains.social.series import csv_format, read_csv

    path = opt.attributes_file
    fmt = csv_format(opt)
    table = read_csv(path, **{**fmt, "dtype": {"basin": str}})
    if "basin" not in table.columns:
        raise DataError(f"{path}: no 'basin' column (the basin files' names, e.g. 'alpha' for alpha.csv); the file has "
                        f"{list(table.columns)}")
    table = table.set_index("basin")
    repeated = table.index[table.index.duplicated()]
    if len(repeated):
        raise DataError(f"{path}: basin {repeated[0]!r} has {int((table.index == repeated[0]).sum())} rows; one row "
                        "per basin")
    return numeric_attributes(table, basins, path)


def read_new_forcing(path: str, opt):
    """A new basin file for ``lstm-suite predict``: the run's forcing columns (flow not needed) and the basin name."""
    return _daily(path, opt, list(opt.inputs))[0], Path(path).stem

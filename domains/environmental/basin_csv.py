"""Streamflow from the user's own basin files (dataset ``streamflow_csv``): one CSV per basin, daily rows with a date
column, the forcing columns named in ``data.inputs`` and observed flow in ``data.flow_column``.

The files go through the suite's CSV reader (``domains.social.series.load_series_csv``: separators, decimal marks,
encodings, dates, duplicate days), then the CAMELS protocol of ``streamflow.prepare_streamflow``: sequences of
``data.seq_length`` days, the periods of ``data.periods`` (required: the CAMELS water years are the CAMELS
release's), training days without flow left out of the loss, test days without flow masked in the metrics. Rules:
- the basin is named after its file (``alpha.csv`` -> ``alpha``), or, with ``data.basin_column``, each file is a long
  table of many basins, one row per basin and day, the basin named in that column;
- a missing day, or a missing forcing value, is an error naming the file and the date (a forcing is never filled);
- missing flow is masked, never filled; negative flow is an error (a code for missing flow, such as -999, goes in
  ``data.na_values``);
- flow is taken in the files' own units (NSE, KGE, FHV, FLV and peak timing do not depend on them).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from common.domain import DataError, Prepared, count_of, describe_missing, expand_patterns
from common.splits import date_periods

from .camels import numeric_attributes
from .streamflow import BasinSeries, prepare_streamflow

DAILY = "basin files hold one row per day: sum or average sub-daily data to days first"
REPEATED = ("a basin file holds one row per day; a file of many basins needs data.basin_column, the column that "
            "names each row's basin")
PRECIPITATION_NAMES = ("prcp", "precip", "precipitation", "rain", "rainfall")  # case-insensitive


def precipitation_input(opt) -> str:
    """The input the baselines sum over windows: ``data.precipitation``, else the first input with a word of its name
    (split at anything but letters and digits) in ``PRECIPITATION_NAMES``: ``rain_mm``, Caravan's
    ``total_precipitation_sum``, CAMELS' ``prcp(mm/day)``; "" when there is none."""
    if opt.precipitation:
        if opt.precipitation not in opt.inputs:
            raise DataError(f"data.precipitation {opt.precipitation!r} is not one of data.inputs {list(opt.inputs)}")
        return opt.precipitation
    for name in opt.inputs:
        if set(re.split(r"[^a-z0-9]+", name.lower())) & set(PRECIPITATION_NAMES):
            return name
    return ""


def _daily(where: str, opt, columns: list[str], frame=None):
    """The ``columns`` of a basin's rows (the file ``where``, or ``frame`` read from it) on the full daily calendar
    (a missing day becomes a row of NaN) and the reader's report; a missing forcing value (``data.inputs``), on such
    a day or in a cell, is an error naming the file, the basin of a long file, and the date."""
    from domains.social.series import csv_format, load_series_csv

    frame, report = load_series_csv(where, opt.date_column, columns, "D", gaps="keep", freq_remedy=DAILY,
                                    duplicates_remedy=REPEATED, frame=frame, **csv_format(opt))
    missing = describe_missing(frame[list(opt.inputs)])
    if missing:
        raise DataError(f"{where}: forcing {missing}; a forcing value is never filled: give every day its forcing")
    return frame, report


def basin_parts(files, opt) -> list[tuple[str, str, object]]:
    """(basin, where: the file or "file (basin 'x')", rows already read or None) for every basin of ``files``: one
    per file named after it, or with ``data.basin_column`` every basin of each long file."""
    if not opt.basin_column:
        names = [Path(f).stem for f in files]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise DataError(f"data.basin_files: two files name basin {twice[0]!r} (a basin is named after its file)")
        return [(name, str(f), None) for name, f in zip(names, files)]
    from domains.social.series import csv_format, read_csv

    column, out, seen = opt.basin_column, [], {}
    for f in files:
        table = read_csv(f, **{**csv_format(opt), "dtype": {column: str}})
        if column not in table.columns:
            raise DataError(f"{f}: no basin column {column!r} (data.basin_column); the file has {list(table.columns)}")
        blank = table[column].isna().to_numpy()
        if blank.any():
            raise DataError(f"{f}: {count_of(int(blank.sum()), 'row')} without a basin in column {column!r} (first: "
                            f"data row {int(blank.argmax()) + 1})")
        for basin, rows in table.groupby(column, sort=False):
            if basin in seen:
                raise DataError(f"basin {basin!r} is in {seen[basin]} and {f}; each basin's rows in one file")
            seen[basin] = f
            out.append((basin, f"{f} (basin {basin!r})", rows.drop(columns=column)))
    return out


def read_basin(basin: str, where: str, opt, rows=None) -> BasinSeries:
    inputs, flow = list(opt.inputs), opt.flow_column
    if flow in inputs:
        raise DataError(f"data.flow_column {flow!r} is among data.inputs: the observed flow is the target, never an "
                        "input (the model would read the answer)")
    frame, report = _daily(where, opt, [*inputs, flow], rows)
    shown = Path(where).name
    notes = [f"{shown}: {a}" for a in report.actions]
    q = frame[flow].to_numpy(float)
    negative = np.flatnonzero(q < 0)
    if len(negative):
        raise DataError(f"{where}: flow {q[negative[0]]:g} on {frame.index[negative[0]].date()} is negative "
                        f"({count_of(len(negative), 'day')}); if it is a code for missing flow, name it in "
                        "data.na_values")
    absent = int(np.isnan(q).sum())
    if absent:
        notes.append(f"{shown}: {count_of(absent, 'day')} without observed flow (masked, never filled)")
    return BasinSeries(basin, frame.index, frame[inputs].to_numpy(float), q, notes)


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
    opt = dataclasses.replace(opt, basin_files=tuple(expand_patterns(opt.basin_files, "data.basin_files")))
    parts = basin_parts(opt.basin_files, opt)
    names = [basin for basin, _, _ in parts]  # each once: basin_parts refuses a basin named twice
    precipitation = precipitation_input(opt)
    series = [read_basin(basin, where, opt, rows) for basin, where, rows in parts]
    if opt.attributes and not attribute_files(opt):
        raise DataError("data.attributes names columns of data.attributes_file, which is not set")
    statics = read_basin_attributes(opt, names) if attribute_files(opt) else None
    shown = ", ".join(Path(f).name for f in opt.basin_files[:3]) + (", ..." if len(opt.basin_files) > 3 else "")
    label = (f"your basin CSV files ({count_of(len(series), 'basin')} in {shown}; flow {opt.flow_column!r} in the "
             f"files' units; inputs {list(opt.inputs)}"
             + (f"; static attributes {list(statics.columns)} from "
                f"{', '.join(Path(f).name for f in attribute_files(opt))}"
                if statics is not None else "") + f"; periods {list(opt.periods)})")
    prep = prepare_streamflow(series, seq_length=opt.seq_length, test_basins=opt.ungauged_basins, loss=opt.loss,
                              statics=statics, val_stride=opt.val_stride, windows=opt.windows, label=label,
                              input_names=tuple(opt.inputs),
                              periods=date_periods(opt.periods, chronological=False))
    if statics is not None and flow_signature_note(statics.columns):
        prep.audit.notes.append(flow_signature_note(statics.columns))
    if not precipitation:
        prep.audit.notes.append(f"no input is named as precipitation ({', '.join(PRECIPITATION_NAMES)}, or "
                                "data.precipitation): the forcing baselines average every input over their windows")
    return dataclasses.replace(prep, extra={**prep.extra, "precipitation": precipitation},
                               target_names=(f"flow {opt.flow_column!r} (the files' units)",))


ID_COLUMNS = ("basin", "gauge_id")  # the suite's name, and Caravan's / NeuralHydrology's
# CAMELS' hydrological signatures (Addor et al. 2017), computed from observed flow over years that include the test
# period; names containing FLOW_WORDS are flagged too
FLOW_SIGNATURES = ("q_mean", "runoff_ratio", "slope_fdc", "baseflow_index", "stream_elas", "q5", "q95", "high_q_freq",
                   "high_q_dur", "low_q_freq", "low_q_dur", "zero_q_freq", "hfd_mean")
FLOW_WORDS = ("runoff", "streamflow", "discharge", "baseflow")


def attribute_files(opt) -> list[str]:
    """``data.attributes_file``: one path or a list of them."""
    value = opt.attributes_file
    return [value] if isinstance(value, str) and value else list(value or ())


def _attribute_table(path: str, fmt: dict, basins: list[str]):
    from domains.social.series import read_csv

    table = read_csv(path, **{**fmt, "dtype": dict.fromkeys(ID_COLUMNS, str)})
    ids = [c for c in ID_COLUMNS if c in table.columns]
    if not ids:
        raise DataError(f"{path}: no 'basin' or 'gauge_id' column (the basin files' names, e.g. 'alpha' for "
                        f"alpha.csv); the file has {list(table.columns)}")
    if len(ids) == 2:
        raise DataError(f"{path}: both a 'basin' and a 'gauge_id' column; keep the one that holds the basin files' "
                        "names")
    table = table.set_index(ids[0])
    repeated = table.index[table.index.duplicated()]
    if len(repeated):
        raise DataError(f"{path}: basin {repeated[0]!r} has {int((table.index == repeated[0]).sum())} rows; one row "
                        "per basin")
    absent = [b for b in basins if b not in table.index]
    if absent:
        raise DataError(f"{path}: no attributes for basin(s) {absent}")
    return table.loc[basins]


def read_basin_attributes(opt, basins: list[str]):
    """The numeric attributes of ``basins`` (rows, in that order) from the files of ``data.attributes_file``, joined by
    basin: each has a ``basin`` or ``gauge_id`` column holding the basin files' names and one column per attribute;
    ``data.attributes`` picks the columns (default: every column, which must then all be numeric)."""
    import pandas as pd

    from common.config import nearest_names
    from domains.social.series import csv_format

    fmt, files = csv_format(opt), attribute_files(opt)
    tables, owners = [], {}
    for path in files:
        table = _attribute_table(path, fmt, basins)
        for column in table.columns:
            owners.setdefault(column, []).append(path)
        tables.append(table)
    wanted = list(opt.attributes) or list(owners)
    unknown = [a for a in wanted if a not in owners]
    if unknown:
        shown = ", ".join(Path(f).name for f in files)
        raise DataError(f"data.attributes: {unknown[0]!r} is in none of the attribute files ({shown})"
                        f"{nearest_names(unknown[0], owners)}")
    twice = [a for a in wanted if len(owners[a]) > 1]
    if twice:
        first, second = owners[twice[0]][:2]
        raise DataError(f"{second}: attribute {twice[0]!r} is also in {first}; an attribute the model reads must come "
                        "from one file (rename one, or leave it out of data.attributes)")
    owner = {a: owners[a][0] for a in wanted}
    picked = []
    for path, table in zip(files, tables):
        columns = [c for c in wanted if owner[c] == path]
        text = [c for c in columns if not pd.api.types.is_numeric_dtype(table[c])]
        if text and not opt.attributes:
            raise DataError(f"{path}: attribute(s) {text} are not numeric; name the attributes to use in "
                            "data.attributes")
        picked.append(numeric_attributes(table[columns], basins, path))
    return pd.concat(picked, axis=1)[wanted]


def flow_signature_note(columns) -> str:
    """A leakage note for attributes named like streamflow signatures, or ""."""
    named = [c for c in map(str, columns)
             if c.lower() in FLOW_SIGNATURES or any(w in c.lower() for w in FLOW_WORDS)]
    if not named:
        return ""
    return (f"attribute(s) {named} look like streamflow signatures, computed from observed flow (CAMELS computes "
            "them over years that include the test period): a static input that reads the target; leave them out "
            "unless computed from training years only")


def read_new_forcing(path: str, opt) -> list:
    """A new basin file for ``lstm-suite predict``: (the run's forcing columns, flow not needed; the basin name) of its
    basin, or of each basin of a long file when the run has ``data.basin_column``."""
    return [(_daily(where, opt, list(opt.inputs), rows)[0], basin) for basin, where, rows in basin_parts([path], opt)]

"""Readers of the rolling-origin series (bike sharing, Wikipedia page views, CDC ILINet) and calendar features.

Every reader returns a frame on the full regular calendar of its frequency: timestamps missing from the file
become rows of NaN (counted in the returned note), never silently skipped. Problems in a file (missing
columns, unparsable dates or numbers, duplicated timestamps, values off the calendar) are ``DataError``s
naming the file and the row.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from common.domain import DataError

from .series import load_series_csv, numeric_columns, read_csv

BIKE_WEATHER = ("weathersit", "temp", "atemp", "hum", "windspeed")  # temp..windspeed min-max scaled by UCI
BIKE_CALENDAR = ("holiday", "workingday")


def read_bike_hourly(path: str | Path) -> tuple[pd.DataFrame, str]:
    """UCI bike sharing ``hour.csv``: ``cnt`` (rentals per hour), the day-type flags and the weather, on the
    full hourly calendar. Hours absent from the file (no rentals recorded, or outages) are NaN rows."""
    frame = read_csv(path)
    cols = ["hr", "cnt", *BIKE_CALENDAR, *BIKE_WEATHER]
    if "dteday" not in frame.columns:
        raise DataError(f"{path}: no 'dteday' column; the file has {list(frame.columns)}")
    values = numeric_columns(frame, cols, path)
    if values.isna().any().any():
        row, col = np.argwhere(values.isna().to_numpy())[0]
        raise DataError(f"{path}: row {row + 2}: column {cols[col]!r} is empty")
    if not values["hr"].between(0, 23).all() or (values["hr"] % 1 != 0).any():
        row = int(np.flatnonzero(~values["hr"].isin(range(24)).to_numpy())[0])
        raise DataError(f"{path}: row {row + 2}: hour {frame['hr'].iloc[row]} is not 0..23")
    if (values["cnt"] < 0).any():
        row = int(np.flatnonzero((values["cnt"] < 0).to_numpy())[0])
        raise DataError(f"{path}: row {row + 2}: negative count {values['cnt'].iloc[row]}")
    days = pd.to_datetime(frame["dteday"], errors="coerce", format="%Y-%m-%d")
    if days.isna().any():
        row = int(np.flatnonzero(days.isna().to_numpy())[0])
        raise DataError(f"{path}: row {row + 2}: date {frame['dteday'].iloc[row]!r} is not YYYY-MM-DD")
    index = pd.DatetimeIndex(days + pd.to_timedelta(values["hr"].astype(int), unit="h"), name="time")
    values = values.drop(columns="hr").set_axis(index)
    dup = index.duplicated()
    if dup.any():
        raise DataError(f"{path}: hour {index[dup][0]} occurs more than once")
    values = values.sort_index()
    full = pd.date_range(values.index[0], values.index[-1], freq="h", name="time")
    missing = len(full) - len(values)
    return values.reindex(full), f"{missing} of {len(full)} hours absent from the file"


def read_daily_or_weekly(path: str | Path, date_column: str, columns, freq: str) -> tuple[pd.DataFrame, str]:
    """Value column(s) of a CSV on the full ``freq`` calendar (missing timestamps -> NaN rows; empty cells in
    rows that are present are an error)."""
    columns = [columns] if isinstance(columns, str) else list(columns)
    frame, rep = load_series_csv(path, date_column, columns, freq, duplicates="error", gaps="keep")
    empty = frame.notna().any(axis=1) & frame.isna().any(axis=1)
    if empty.any():
        raise DataError(f"{path}: the row of {frame.index[empty][0].date()} has an empty cell in {columns}")
    return frame, f"{rep.missing_timestamps} of {len(frame)} {_unit(freq)} absent from the file"


def _unit(freq: str) -> str:
    return {"h": "hours", "D": "days"}.get(freq, "weeks" if freq.startswith("W") else "periods")


def calendar_resolution(freq: str) -> str:
    """'h' for a step shorter than a day, 'D' for daily or business-daily steps, 'W' for anything longer: the
    ``freq`` argument of ``calendar_features`` for data at the pandas frequency ``freq``."""
    offset = pd.tseries.frequencies.to_offset(freq)
    if isinstance(offset, (pd.offsets.BusinessDay, pd.offsets.CustomBusinessDay)):
        return "D"
    try:
        step = pd.Timedelta(offset.nanos)
    except ValueError:  # months, quarters, years, weeks anchored on a day: longer than a day
        return "W"
    return "h" if step < pd.Timedelta(days=1) else "D" if step == pd.Timedelta(days=1) else "W"


def calendar_features(index: pd.DatetimeIndex, freq: str) -> pd.DataFrame:
    """Sine/cosine encodings of the position in the day (freq 'h': any step shorter than a day, to the second),
    week ('h', 'D') and year (always)."""
    out = {}
    if freq == "h":
        out["hour"] = (index.hour + index.minute / 60 + index.second / 3600) / 24
    if freq in ("h", "D"):
        out["weekday"] = index.day_of_week / 7
    out["year"] = (index.day_of_year - 1) / 365.25
    cols = {}
    for name, phase in out.items():
        cols[f"{name}_sin"] = np.sin(2 * np.pi * np.asarray(phase, dtype=float))
        cols[f"{name}_cos"] = np.cos(2 * np.pi * np.asarray(phase, dtype=float))
    return pd.DataFrame(cols, index=index)

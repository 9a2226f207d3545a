"""Reading time series from CSV files with stated rules for bad input.

``load_series_csv`` reads any user CSV: the user names the date column, the value columns and the
frequency (and, for a file that is not comma-separated with decimal points, the separator and decimal mark:
``sep``, ``decimal``, ``thousands``, ``encoding``, passed to ``pandas.read_csv``, as are ``na_values``, codes that
mark a missing value beside pandas' own). Problems are reported, never silently dropped:
- rows whose date does not parse, or whose values are not numbers, are errors naming file and row;
- duplicate timestamps: ``duplicates="error"`` (default) names them; ``"mean"`` averages them;
- gaps (missing timestamps for the frequency): ``gaps="error"`` names them; ``"keep"`` reindexes to the
  full calendar and leaves NaN (models mask NaN targets out of loss and metrics);
  ``"interpolate"`` fills them linearly in time, and leading or trailing runs with the nearest observed
  value (the report counts each kind per column); a column with no value at all is an error.
Each rule applied is recorded in the returned ``SeriesReport``.
"""
from __future__ import annotations

import codecs
import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from common.domain import DataError, count_of, first_non_finite, not_found


@dataclass
class SeriesReport:
    rows_read: int = 0
    duplicate_timestamps: int = 0
    missing_timestamps: int = 0
    missing_values: int = 0
    actions: list[str] = field(default_factory=list)
    local_times: pd.DatetimeIndex | None = None  # each row's wall-clock time when the dates were read in UTC


def read_csv(path: str | Path, **kwargs) -> pd.DataFrame:
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(not_found(path, "file"))
    encoding = kwargs.get("encoding") or "utf-8"
    _refuse_other_formats(path, encoding)
    try:
        return pd.read_csv(path, **kwargs)
    except UnicodeDecodeError as err:
        where = f"byte 0x{err.object[err.start]:02x}"
        try:
            path.read_bytes().decode(encoding)
        except UnicodeDecodeError as whole:  # the file as stored (pandas counts within a chunk)
            line = whole.object[:whole.start].count(b"\n") + 1
            where = f"byte 0x{whole.object[whole.start]:02x} on line {line}"
        raise DataError(f"{path}: not {'UTF-8' if codecs.lookup(encoding).name == 'utf-8' else encoding} text "
                        f"({where}); save it as UTF-8, or set data.encoding to the file's, e.g. \"cp1252\" (Windows, "
                        "Western Europe)") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise DataError(f"{path}: not a readable CSV file ({err})") from None


def _refuse_other_formats(path: Path, encoding: str) -> None:
    """A spreadsheet workbook, or UTF-16 text read as another encoding, named as such (pandas would report a byte it
    cannot decode)."""
    import zipfile

    with open(path, "rb") as fh:
        head = fh.read(8)
    workbook = head.startswith(b"\xd0\xcf\x11\xe0")  # Excel 97-2003 (OLE2)
    if head.startswith(b"PK") and zipfile.is_zipfile(path):  # an Office Open XML workbook is a zip
        with zipfile.ZipFile(path) as archive:
            workbook = "xl/workbook.xml" in archive.namelist()
    if workbook:
        raise DataError(f"{path}: an Excel workbook, not a CSV file: save the sheet as CSV (UTF-8)")
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") and not codecs.lookup(encoding).name.startswith("utf-16"):
        raise DataError(f"{path}: UTF-16 text; save it as UTF-8 (in Excel: CSV UTF-8), or set "
                        'data.encoding = "utf-16"')


def numeric_columns(frame: pd.DataFrame, columns: list[str], path) -> pd.DataFrame:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing}; the file has {list(frame.columns)}"
                        + _near_names(missing, frame.columns, "data.columns"))
    out = frame[columns].apply(pd.to_numeric, errors="coerce")
    for col in columns:  # a column of words (weekday names, categories) is not a channel
        failed = frame[col][out[col].isna() & frame[col].notna()]
        words = failed[failed.map(lambda v: isinstance(v, str) and re.search(r"[^\W\d_]", v) is not None)]
        present = int(frame[col].notna().sum())
        if len(words) > present / 2:
            raise DataError(f"{path}: column {col!r} holds text, not numbers ({len(words)} of {present} cells, "
                            f"e.g. {words.iloc[0]!r}): data.columns takes numeric columns only")
    bad = first_non_finite(frame[columns], out)
    if bad:
        row, col, shown = bad
        raise DataError(f"{path}: column {col!r} row {row + 2} holds {shown}, not a finite number"
                        + _reading_hint(shown, frame[col].iloc[row]))
    return out


def _near_names(wanted: list[str], columns, key: str) -> str:
    """The file's column names that differ from a wanted one only by the spaces around them or by case (a header
    written 'date, a, b'), named so the user can write them as the file has them."""
    near = [c for w in wanted for c in columns if isinstance(c, str) and c != w and c.strip().lower() == w.lower()]
    if not near:
        return ""
    one = len(near) == 1
    how = "the spaces around " + ("it" if one else "them")
    how += "" if all(c.strip() in wanted for c in near) else " or by case"
    names = ", ".join(repr(c) for c in near)
    return (f" (the file's {names} {'differs' if one else 'differ'} by {how}: name {'it' if one else 'them'} so in "
            f"{key})")


def _reading_hint(shown: str, cell) -> str:
    """The option that may read a cell that is not a number: a decimal comma, a thousands separator, a missing-value
    code (``shown``: the cell as the error shows it, quoted when it is text)."""
    if re.fullmatch(r"'[+-]?\d*,\d+'", shown):
        return ': if "," is the file\'s decimal mark, set data.decimal = ","'
    grouped = re.fullmatch(r"'[+-]?\d{1,3}(?:([.,' ])\d{3})+(?:(?!\1)[.,]\d+)?'", shown)
    if grouped:
        return f": if {grouped.group(1)!r} separates thousands, set data.thousands = {json.dumps(grouped.group(1))}"
    if isinstance(cell, str):
        return f": if it marks a missing value, set data.na_values = [{json.dumps(cell)}]"
    return ""


_OFFSET = r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})\s*$"  # a time followed by a UTC offset


def utc_offsets(column: pd.Series) -> pd.Series:
    """The UTC offset written after each date's time ('Z', '+01:00', '-0530') as a Timedelta; NaT where none."""
    found = column.astype(str).str.extract(_OFFSET, expand=False)
    parts = found.str.extract(r"^([+-])(\d{2}):?(\d{2})$")
    minutes = (parts[1].astype(float) * 60 + parts[2].astype(float)) * parts[0].map({"+": 1.0, "-": -1.0})
    return pd.to_timedelta(minutes.where(found != "Z", 0.0).where(found.notna()), unit="min")


def parse_dates(path, column: pd.Series, date_format: str = "", actions: list[str] | None = None,
                freq: str = "") -> pd.Series:
    """Timestamps of a date column. With ``date_format`` (strftime codes) every row must match it. Without,
    pandas infers one format from the first row; rows written differently are then read one by one. Numeric
    dates (``01/02/2024``, ``1.2.24``) are read in the one order, day or month first, that every such row allows
    (``actions`` says which, and the row that decides); when every row fits both orders, the one order that
    gives a regular series at ``freq``; otherwise, or when no order fits every row, it is an error asking for
    ``date_format``: guessing per row would mix the two orders. Dates
    whose UTC offsets differ (daylight saving) are read in UTC, and ``actions`` says so; dates with and without
    an offset in one column are an error. A column of numbers needs ``date_format`` (``"unix"``: seconds since
    1970), never read as nanoseconds."""
    if date_format == "unix":  # seconds since 1970-01-01 UTC
        seconds = pd.to_numeric(column, errors="coerce")
        if seconds.isna().any():
            raise _bad_date(path, column, seconds, "is not a number of seconds (data.date_format = 'unix')")
        return pd.to_datetime(seconds, unit="s")
    if pd.api.types.is_numeric_dtype(column):
        if not date_format:
            raise DataError(f"{path}: date column {column.name!r} holds numbers, not dates (row 2: {column.iloc[0]}); "
                            "set data.date_format: e.g. '%Y%m%d' for 20240131, or 'unix' for seconds since 1970")
        column = column.astype(str)
    text = column.astype(str)
    offsets = text.str.extract(_OFFSET, expand=False)
    utc = False
    if offsets.notna().any():
        if offsets.isna().any():
            bare, marked = int(np.flatnonzero(offsets.isna())[0]), int(np.flatnonzero(offsets.notna())[0])
            raise DataError(f"{path}: row {bare + 2}: date {column.iloc[bare]!r} has no UTC offset, but row "
                            f"{marked + 2}'s {column.iloc[marked]!r} has one; write every date the same way")
        kinds = sorted(set(offsets.str.replace(r"^([+-]\d{2})(\d{2})$", r"\1:\2", regex=True)))
        if len(kinds) > 1:
            utc = True
            if actions is not None:
                actions.append(f"read the dates in UTC: their UTC offsets differ ({' and '.join(kinds[:3])}"
                               f"{', ...' if len(kinds) > 3 else ''}, e.g. daylight saving)")
    if date_format:
        dates = pd.to_datetime(column, errors="coerce", format=date_format, utc=utc)
        if dates.isna().any():
            raise _bad_date(path, column, dates, f"does not match data.date_format {date_format!r}")
        return dates
    first = text[column.notna()].iloc[0] if column.notna().any() else ""
    with warnings.catch_warnings():  # pandas warns about day-first guesses and reading rows one by one
        warnings.simplefilter("ignore", UserWarning)
        guessed = guess_datetime_format(str(first).strip())
        numeric = _numeric_dates(path, text, freq)  # 01/02/2024-like rows: the one order they allow, or an error
        if numeric is not None and actions is not None:
            actions.append(numeric[2])
        if guessed and numeric is None:
            dates = pd.to_datetime(column, errors="coerce", utc=utc, format=guessed)
            if not dates.isna().any():
                return dates  # every row in the one format pandas read from the first row
        dates = pd.to_datetime(column, errors="coerce", format="mixed", utc=utc)
        if numeric is not None:
            rows, day_first, _ = numeric
            dates[rows] = pd.to_datetime(column[rows], errors="coerce", format="mixed", dayfirst=day_first, utc=utc)
    if dates.isna().any():
        raise _bad_date(path, column, dates, "does not parse")
    return dates


def _bad_date(path, column: pd.Series, parsed: pd.Series, problem: str) -> DataError:
    """The error for the first row whose date did not parse (NaN in ``parsed``), naming the file's row."""
    row = int(np.flatnonzero(parsed.isna().to_numpy())[0])
    cell = column.iloc[row]
    if pd.isna(cell) or not str(cell).strip():
        return DataError(f"{path}: row {row + 2}: the date cell is empty")
    return DataError(f"{path}: row {row + 2}: date {cell!r} {problem}")


def _regular(dates: pd.Series, freq: str) -> bool:
    """Whether ``dates`` are every step of the ``freq`` grid from the first to the last, each once."""
    index = pd.DatetimeIndex(dates).sort_values()
    try:
        return bool(freq) and not index.has_duplicates and index.equals(
            pd.date_range(index[0], index[-1], freq=freq, tz=index.tz))
    except ValueError:  # not a frequency pandas reads: load_series_csv names it
        return False


def _numeric_dates(path, text: pd.Series, freq: str = "") -> tuple[np.ndarray, bool, str] | None:
    """For rows such as 01/02/2024 or 1.2.24: the rows, whether they are day first (the one order every such row
    allows; when every row fits both, the one order that gives a regular series at ``freq``) and a line saying
    so; an error when no order is decided so, or no order fits every row. None when there are no such rows."""
    parts = text.str.extract(r"^\s*(\d{1,2})([/.\-])(\d{1,2})[/.\-](\d{2,4})\b")
    rows = parts[0].notna().to_numpy()
    if not rows.any():
        return None
    a, b = parts.loc[rows, 0].astype(int).to_numpy(), parts.loc[rows, 2].astype(int).to_numpy()
    where = np.flatnonzero(rows)
    year_first = np.flatnonzero(((parts[1] == "-") & (parts[3].str.len() == 2)).to_numpy())
    if len(year_first):
        k = int(year_first[0])
        raise DataError(f"{path}: row {k + 2}: date {text.iloc[k].strip()!r} may have its two-digit year first or "
                        "last: set data.date_format, e.g. '%y-%m-%d' or '%d-%m-%y'")
    month_first, day_first = bool((a <= 12).all()), bool((b <= 12).all())
    if month_first and day_first and (a != b).any():
        regular = [d for d in (False, True) if _regular(pd.to_datetime(text[rows], format="mixed", dayfirst=d), freq)]
        if len(regular) == 1:
            order = "day" if regular[0] else "month"
            return rows, regular[0], (f"read the numeric dates {order} first (every row fits both orders; only "
                                      f"{order} first gives a regular {freq!r} series)")
        k = int(where[np.flatnonzero(a != b)[0]])
        value = text.iloc[k].strip()
        sep, year = parts.iloc[k, 1], "%Y" if len(parts.iloc[k, 3]) == 4 else "%y"
        mf, df = (pd.to_datetime(value, format="mixed", dayfirst=d) for d in (False, True))
        grid = f" (neither order gives a regular {freq!r} series)" if freq else ""
        raise DataError(f"{path}: row {k + 2}: date {value!r} reads as {mf:%Y-%m-%d} month-first and {df:%Y-%m-%d} "
                        f"day-first, and every row fits both{grid}: set data.date_format to the file's order, "
                        f"'%d{sep}%m{sep}{year}' (day first) or '%m{sep}%d{sep}{year}' (month first)")
    if not month_first and not day_first:
        only_day, only_month = int(where[np.flatnonzero(a > 12)[0]]), int(where[np.flatnonzero(b > 12)[0]])
        raise DataError(f"{path}: the numeric dates are written in both orders: row {only_day + 2} "
                        f"{text.iloc[only_day].strip()!r} only day first, row {only_month + 2} "
                        f"{text.iloc[only_month].strip()!r} only month first; write them one way")
    proof = int(where[np.flatnonzero((a > 12) if day_first else (b > 12))[0]]) if month_first != day_first else None
    order = "day" if day_first and not month_first else "month"
    said = f"read the numeric dates {order} first" + (
        f" (row {proof + 2}, {text.iloc[proof].strip()!r}, fits no other order)" if proof is not None else "")
    return rows, order == "day", said


def require_csv_options(opt) -> None:
    """Dataset 'csv' reads nothing without its file, channels and frequency: say which of them are not set."""
    unset = [f"data.{key}" for key in ("path", "columns", "freq") if not getattr(opt, key)]
    if unset:
        said = " and ".join([", ".join(unset[:-1]), unset[-1]] if len(unset) > 1 else unset)
        raise DataError(f"dataset 'csv' needs data.path, data.columns and data.freq: {said} "
                        f"{'is' if len(unset) == 1 else 'are'} not set (e.g. --set 'data.columns=[\"sales\"]' "
                        "--set data.freq=D)")


def csv_format(opt) -> dict:
    """``sep``, ``decimal`` and ``na_values`` for ``pandas.read_csv`` from the options ``data.sep`` /
    ``data.decimal`` / ``data.na_values`` (codes that mark a missing value, beside pandas' own)."""
    if not opt.sep or len(opt.decimal) != 1 or opt.decimal == opt.sep:
        raise DataError(f"data.sep must be non-empty and data.decimal one character other than data.sep, "
                        f"not {opt.sep!r} / {opt.decimal!r}")
    if opt.thousands and (len(opt.thousands) != 1 or opt.thousands in (opt.sep, opt.decimal)):
        raise DataError(f"data.thousands must be one character other than data.sep and data.decimal, or empty; "
                        f"not {opt.thousands!r} (sep {opt.sep!r}, decimal {opt.decimal!r})")
    try:
        codecs.lookup(opt.encoding)
    except LookupError:
        raise DataError(f"data.encoding {opt.encoding!r} is not an encoding Python knows (e.g. 'utf-8', 'cp1252', "
                        "'latin-1')") from None
    return {"sep": opt.sep, "decimal": opt.decimal, "na_values": list(opt.na_values),
            "thousands": opt.thousands or None, "encoding": opt.encoding}


def _separator_hint(columns) -> str:
    """When the header was read as one column holding another separator: which ``data.sep`` reads it."""
    if len(columns) != 1:
        return ""
    found = [sep for sep in (";", "\t", "|") if sep in str(columns[0])]
    return (f": the header reads as one column {str(columns[0])!r}; set data.sep = {json.dumps(found[0])}"
            if found else "")


def load_series_csv(path: str | Path, date_column: str, columns: list[str] | tuple[str, ...], freq: str,
                    duplicates: str = "error", gaps: str = "error", date_format: str = "", freq_remedy: str = "",
                    frame: pd.DataFrame | None = None, duplicates_remedy: str = "",
                    **read_kwargs) -> tuple[pd.DataFrame, SeriesReport]:
    """A regular time-indexed frame of ``columns`` at frequency ``freq`` (a pandas offset alias such as
    ``"h"``, ``"D"``, ``"W-SUN"``), with the rules of the module docstring; dates as ``parse_dates``.
    ``freq_remedy``: the advice when the dates follow another frequency, for a caller whose frequency is fixed
    (default: set ``data.freq`` to the one pandas guesses); ``duplicates_remedy`` likewise for repeated timestamps
    (default: set ``data.duplicates``). ``frame``: the rows as already read (part of a file); ``path`` then only
    names them in messages."""
    if duplicates not in ("error", "mean") or gaps not in ("error", "keep", "interpolate"):
        raise DataError(f"duplicates must be error|mean and gaps error|keep|interpolate, not {duplicates!r}/{gaps!r}")
    repeated = sorted({c for c in columns if list(columns).count(c) > 1})
    if repeated:
        raise DataError(f"{path}: data.columns names {repeated[0]!r} twice; each channel once")
    if date_column in columns:
        raise DataError(f"{path}: data.columns holds the date column {date_column!r}; it indexes the rows")
    frame = read_csv(path, **read_kwargs) if frame is None else frame.reset_index(drop=True)
    rep = SeriesReport(rows_read=len(frame))
    codes = list(read_kwargs.get("na_values") or [])
    if codes:
        said = " or ".join(repr(c) for c in codes)
        rep.actions.append(f"cells holding {said} read as missing (data.na_values)")
    if date_column not in frame.columns:
        raise DataError(f"{path}: no date column {date_column!r}"
                        + (_separator_hint(frame.columns) or f"; the file has {list(frame.columns)}"
                           + _near_names([date_column], frame.columns, "data.date_column")))
    if len(frame) < 2:
        raise DataError(f"{path}: {count_of(len(frame), 'row')}: too short for a time series")
    dates = parse_dates(path, frame[date_column], date_format, rep.actions, freq)
    values = numeric_columns(frame, list(columns), path)
    values.index = pd.DatetimeIndex(dates, name=date_column)
    offsets = None  # each row's UTC offset, kept only when they differ (the dates were read in UTC)
    if values.index.tz is not None:
        offsets = pd.Series(utc_offsets(frame[date_column]).to_numpy(), index=values.index)
        offsets = offsets if offsets.nunique() > 1 else None
    if not values.index.is_monotonic_increasing:
        back = int((np.diff(values.index.asi8) < 0).sum())
        values = values.sort_index(kind="stable")
        offsets = offsets.sort_index(kind="stable") if offsets is not None else None
        rep.actions.append(f"sorted the rows by time ({back} step(s) back in time in the file)")
    dup = values.index.duplicated(keep=False)
    if dup.any():
        rep.duplicate_timestamps = int(values.index[dup].nunique())
        if duplicates == "error":
            n = rep.duplicate_timestamps
            raise DataError(f"{path}: {count_of(n, 'timestamp')} {'occurs' if n == 1 else 'occur'} more than once, "
                            f"e.g. {values.index[dup][0]}; "
                            + (duplicates_remedy or "set data.duplicates = 'mean' to average their rows")
                            + _clock_change_hint(values.index[dup]))
        values = values.groupby(level=0).mean()
        offsets = offsets.groupby(level=0).first() if offsets is not None else None
        rep.actions.append(f"averaged the rows of {rep.duplicate_timestamps} duplicated timestamps")
    try:
        full = pd.date_range(values.index[0], values.index[-1], freq=freq)
    except ValueError as err:
        inner = re.search(r"ValueError\((['\"])(.*)\1\)", str(err))  # pandas nests its advice in the message
        advice = (inner.group(2) if inner else str(err)).split(". Failed to parse")[0].rstrip(".")
        raise DataError(f"{path}: data.freq {freq!r} is not a pandas offset alias (pandas: {advice})"
                        + _frequency_hint(values.index, freq, freq_remedy)) from None
    off_grid = values.index.difference(full)
    if len(off_grid):
        raise DataError(f"{path}: {count_of(len(off_grid), 'timestamp')} {'is' if len(off_grid) == 1 else 'are'} "
                        f"off the {freq!r} grid, e.g. {off_grid[0]}"
                        + _frequency_hint(values.index, freq, freq_remedy))
    rep.missing_timestamps = len(full) - len(values)
    if rep.missing_timestamps:
        if gaps == "error":
            missing = full.difference(values.index)
            other = _guessed_freq(values.index) not in ("", freq)  # daily rows read at 'h': not gaps to fill
            raise DataError(f"{path}: {count_of(rep.missing_timestamps, 'timestamp')} missing at frequency {freq!r}, "
                            f"e.g. {missing[0]}" + (_frequency_hint(values.index, freq, freq_remedy) if other else
                                                    "; set data.gaps = 'interpolate'" + _clock_change_hint(missing)))
        values = values.reindex(full)
        rep.actions.append(f"reindexed to the full {freq!r} calendar: {rep.missing_timestamps} missing timestamps")
    rep.missing_values = int(values.isna().sum().sum())
    if gaps == "interpolate" and rep.missing_values:
        values = fill_gaps(values, rep, path)
    values.index.name = date_column
    if offsets is not None:  # an inserted gap row takes the offset of the row before it
        local = values.index.tz_localize(None) + pd.TimedeltaIndex(offsets.reindex(values.index).ffill().bfill())
        rep.local_times = pd.DatetimeIndex(local, name=date_column)
    return values, rep


def _clock_change_hint(stamps: pd.DatetimeIndex) -> str:
    """When a repeated or missing time is a night hour of a Sunday in a month when clocks change (March / April,
    September to November, both hemispheres): the likely cause, local clock times, and the remedy."""
    if stamps.tz is not None:
        return ""
    night = (stamps.day_of_week == 6) & (stamps.hour <= 3) & stamps.month.isin([3, 4, 9, 10, 11])
    if not night.any() or (stamps.minute + stamps.hour * 60 == 0).all():
        return ""
    return (". Local clock times? A daylight-saving change repeats or skips an hour: write the times with their UTC "
            "offset (e.g. 2021-03-28 03:00+02:00) or in UTC")


def _guessed_freq(index: pd.DatetimeIndex) -> str:
    """The frequency pandas infers from the first rows (e.g. 'W-MON' for weekly dates on Mondays); "" where it
    cannot say (fewer than 3 dates, or not regular enough)."""
    try:
        with warnings.catch_warnings():  # pandas 3 warns that infer_freq will return an offset, not a string
            warnings.simplefilter("ignore", DeprecationWarning)
            guess = pd.infer_freq(index[:200])
    except (TypeError, ValueError):
        return ""
    return getattr(guess, "freqstr", guess) or ""


def _frequency_hint(index: pd.DatetimeIndex, freq: str, remedy: str = "") -> str:
    """The frequency pandas infers from the first rows, as a remedy (``remedy`` instead of setting ``data.freq`` to
    it, where the caller's frequency is fixed)."""
    guess = _guessed_freq(index)
    if not guess or guess == freq:
        return f"; {remedy}" if remedy else ""
    return f"; the dates follow {guess!r} (pandas' guess): " + (remedy or f"set data.freq = {guess!r}")


def fill_gaps(values: pd.DataFrame, rep: SeriesReport, path) -> pd.DataFrame:
    """Interior gaps linearly in time; leading and trailing runs take the nearest observed value. The
    report counts each kind per column, so a column missing to the end is not called interpolated."""
    inner, ends = [], []
    for name in values.columns:
        seen = values[name].notna().to_numpy()
        if not seen.any():
            raise DataError(f"{path}: column {name!r} has no value at all; nothing to interpolate from")
        first, last = int(seen.argmax()), len(seen) - 1 - int(seen[::-1].argmax())
        n_inner = int((~seen[first:last + 1]).sum())
        if n_inner:
            inner.append((name, n_inner))
        ends += [f"{name!r} {n} {where}" for n, where in ((first, "leading"), (len(seen) - 1 - last, "trailing")) if n]
    filled = values.interpolate(method="time", limit_area="inside").ffill().bfill()
    parts = []
    if inner:
        n = sum(k for _, k in inner)
        parts.append(f"interpolated {n} missing value{'s' * (n != 1)} linearly in time ("
                     + ", ".join(f"{c!r} {k}" for c, k in inner) + ")")
    if ends:
        n = rep.missing_values - sum(k for _, k in inner)
        parts.append(f"set {n} value{'s' * (n != 1)} at the ends of the series to the nearest observed value ("
                     + ", ".join(ends) + ")")
    rep.actions.append("; ".join(parts))
    return filled



def usual_season(freq: str) -> tuple[int, str]:
    """The season rows of frequency ``freq`` usually have, and how to name the rows: hours and minutes a day,
    days a week, weeks, months and quarters a year, business days a week; (1, "") when there is none or the step
    does not divide the cycle (e.g. "7D": one row a week on a daily grid)."""
    from pandas.tseries.frequencies import to_offset

    try:
        offset = to_offset(freq)
    except ValueError:
        return 1, ""
    kind, n = type(offset).__name__, offset.n
    cycles = {"Hour": (24, "hour"), "Minute": (1440, "minute"), "Day": (7, "day"), "BusinessDay": (5, "business day"),
              "Week": (52, "week"), "MonthBegin": (12, "month"), "MonthEnd": (12, "month"),
              "QuarterBegin": (4, "quarter"), "QuarterEnd": (4, "quarter")}
    if kind not in cycles:
        return 1, ""
    cycle, unit = cycles[kind]
    if n == 1:
        adjective = {"hour": "hourly", "minute": "minute", "day": "daily", "business day": "business-day",
                     "week": "weekly", "month": "monthly", "quarter": "quarterly"}[unit]
        return cycle, f"{adjective} rows"
    if kind in ("Hour", "Minute") and cycle % n == 0 and cycle // n > 1:
        return cycle // n, f"rows every {n} {unit}s"
    return 1, ""


def season_note(freq: str, season: int) -> str:
    """A note for ``data.season = 1`` on rows whose frequency usually has a season; "" otherwise."""
    usual, rows = usual_season(freq)
    if season != 1 or usual <= 1:
        return ""
    return (f"data.season = 1: MASE scales by the naive forecast's error and there is no seasonal naive baseline; "
            f"{rows} ({freq!r}) usually have season {usual}: set data.season = {usual} for both")

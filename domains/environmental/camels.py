"""CAMELS-US readers: basin-mean forcing, USGS streamflow, catchment attributes, the SAC-SMA benchmark output.

Works on the official CAMELS folder layout (``basin_mean_forcing/<product>/<HUC02>/<gauge>_lump_*_forcing_leap.txt``,
``usgs_streamflow/<HUC02>/<gauge>_streamflow_qc.txt``, ``camels_attributes_v2.0/camels_*.txt``) and on copies
without the HUC folders, for any gauge id. Every problem is a ``DataError`` naming the file.

Streamflow is converted from ft^3/s to mm/day with the basin area of the forcing header:
``q_mm = q_cfs * 0.028316846592 * 86400 / area_m2 * 1000``. Missing flow (-999, or any negative value) is NaN,
never filled.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from common.domain import DataError, count_of

FORCING_PRODUCTS = {"daymet": "cida", "maurer": "maurer", "maurer_extended": "maurer", "nldas": "nldas",
                    "nldas_extended": "nldas"}  # folder -> the word in the file name
FORCING_COLUMNS = ("dayl", "prcp", "srad", "swe", "tmax", "tmin", "vp")
CFS_TO_M3S = 0.028316846592
# The 27 static attributes of Kratzert et al. (2019), HESS 23:5089, table 1. Never the signatures of
# camels_hydro.txt: those are computed from observed streamflow (1989-2009), which overlaps every test period.
KRATZERT_ATTRIBUTES = (
    "p_mean", "pet_mean", "aridity", "p_seasonality", "frac_snow", "high_prec_freq", "high_prec_dur",
    "low_prec_freq", "low_prec_dur", "elev_mean", "slope_mean", "area_gages2", "frac_forest", "lai_max",
    "lai_diff", "gvf_max", "gvf_diff", "soil_depth_pelletier", "soil_depth_statsgo", "soil_porosity",
    "soil_conductivity", "max_water_content", "sand_frac", "silt_frac", "clay_frac", "carbonate_rocks_frac",
    "geol_permeability")
ATTRIBUTE_FILES = ("clim", "geol", "soil", "topo", "vege")  # not hydro


@dataclass
class BasinData:
    gauge_id: str
    frame: pd.DataFrame  # daily, DatetimeIndex; forcing columns + "qobs" (mm/day, NaN = missing)
    latitude: float
    elevation_m: float
    area_m2: float
    notes: list[str] = field(default_factory=list)


def _find(root: Path, pattern: str, what: str, gauge_id: str = "") -> Path:
    hits = sorted(root.rglob(pattern)) if root.is_dir() else []
    if not hits:
        short = gauge_id.isdigit() and len(gauge_id) < 8
        raise DataError(f"{root}: no {what} file matching {pattern!r} (CAMELS layout expected)"
                        + (f"; {gauge_id!r} has {len(gauge_id)} digits: CAMELS gauge ids have 8 (did you mean "
                           f"{gauge_id.zfill(8)!r}? a spreadsheet or an unquoted number drops leading zeros)"
                           if short else ""))
    if len(hits) > 1:
        raise DataError(f"{root}: several {what} files match {pattern!r}: {[str(h) for h in hits]}")
    return hits[0]


def forcing_path(root: Path, gauge_id: str, product: str = "nldas") -> Path:
    if product not in FORCING_PRODUCTS:
        raise DataError(f"unknown forcing product {product!r}; CAMELS has {sorted(FORCING_PRODUCTS)}")
    folder = Path(root) / "basin_mean_forcing"
    if folder.is_dir() and not (folder / product).is_dir():
        present = sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name in FORCING_PRODUCTS)
        raise DataError(f"{folder / product}: no such folder; this CAMELS folder has the forcing products {present} "
                        "(data.forcing)")
    return _find(folder / product, f"{gauge_id}_lump_*_forcing_leap.txt", f"{product} forcing", gauge_id)


def streamflow_path(root: Path, gauge_id: str) -> Path:
    return _find(Path(root) / "usgs_streamflow", f"{gauge_id}_streamflow_qc.txt", "streamflow", gauge_id)


def read_forcing(path: str | Path) -> tuple[pd.DataFrame, dict[str, float]]:
    """One basin's forcing file: 3 header lines (latitude, elevation in m, area in m^2), then a table
    ``Year Mnth Day Hr Dayl(s) PRCP(mm/day) SRAD(W/m2) SWE(mm) Tmax(C) Tmin(C) Vp(Pa)`` (any case, tabs or
    spaces). Returns the daily frame (lower-case names without units) and the header values."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig", errors="strict").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot read ({err})") from None
    if len(lines) < 5:
        raise DataError(f"{path}: {count_of(len(lines), 'line')}; a forcing file has 3 header lines, a column line "
                        "and data")
    header = {}
    for i, name in enumerate(("latitude", "elevation_m", "area_m2")):
        try:
            header[name] = float(lines[i].strip())
        except ValueError:
            raise DataError(f"{path}: line {i + 1} should hold the {name.replace('_', ' ')}, found {lines[i]!r}") from None
    if not header["area_m2"] > 0:
        raise DataError(f"{path}: basin area (line 3) must be positive, found {header['area_m2']}")
    names = [c.split("(")[0].strip().lower() for c in lines[3].split()]
    expected = ["year", "mnth", "day", "hr", *FORCING_COLUMNS]
    if names != expected:
        raise DataError(f"{path}: line 4 has columns {names}; expected {expected} (units in brackets)")
    rows = [ln.split() for ln in lines[4:] if ln.strip()]
    bad = next((i for i, r in enumerate(rows) if len(r) != len(expected)), None)
    if bad is not None:
        raise DataError(f"{path}: line {bad + 5} has {count_of(len(rows[bad]), 'field')}, expected {len(expected)}")
    frame = pd.DataFrame(rows, columns=expected)
    values = frame.apply(pd.to_numeric, errors="coerce")
    broken = ~np.isfinite(values.to_numpy(dtype=float)).all(axis=1)  # not a number, or inf
    if broken.any():
        i = int(np.flatnonzero(broken)[0])
        raise DataError(f"{path}: line {i + 5} has a value that is not a number: {' '.join(rows[i])!r}")
    _check_physical(values, path)
    dates = pd.to_datetime(dict(year=values["year"], month=values["mnth"], day=values["day"]), errors="coerce")
    if dates.isna().any():
        i = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise DataError(f"{path}: line {i + 5} has an impossible date: {' '.join(rows[i])!r}")
    out = values[list(FORCING_COLUMNS)].astype(float).set_index(pd.DatetimeIndex(dates, name="date"))
    _check_daily(out.index, path)
    return out, header


def _check_physical(values: pd.DataFrame, path: Path) -> None:
    """No negative amount (a -999 or -99 missing-value code would otherwise be read as weather) and no temperature
    below -100 C (colder than any ever measured)."""
    for col in ("dayl", "prcp", "srad", "swe", "vp", "tmax", "tmin"):
        low = -100.0 if col in ("tmax", "tmin") else 0.0
        bad = np.flatnonzero(values[col].to_numpy(dtype=float) < low)
        if len(bad):
            v = float(values[col].iloc[bad[0]])
            why = ("is below -100 C (a missing-value code?); a temperature colder than any ever measured"
                   if low else "is negative (a missing-value code?); day length, precipitation, radiation, snow water "
                   "equivalent and vapour pressure cannot be negative")
            raise DataError(f"{path}: line {bad[0] + 5}: {col} = {v} {why}, and a forcing series must be complete "
                            f"({count_of(len(bad), 'such row')} in {col})")


def _check_daily(index: pd.DatetimeIndex, path: Path) -> None:
    if index.has_duplicates:
        raise DataError(f"{path}: date {index[index.duplicated()][0].date()} appears more than once")
    if not index.is_monotonic_increasing:
        raise DataError(f"{path}: dates are not in increasing order")
    full = pd.date_range(index[0], index[-1], freq="D")
    if len(full) != len(index):
        missing = full.difference(index)
        raise DataError(f"{path}: {count_of(len(missing), 'day')} missing between {index[0].date()} and "
                        f"{index[-1].date()} "
                        f"(first {missing[0].date()}); a forcing series must be complete")


def read_streamflow(path: str | Path, area_m2: float, gauge_id: str | None = None) -> pd.Series:
    """USGS daily streamflow ``gauge year month day Q flag`` in ft^3/s -> mm/day; -999 and negatives -> NaN."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, sep=r"\s+", header=None, dtype=str, engine="python")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise DataError(f"{path}: cannot parse as a CAMELS streamflow file ({str(err).splitlines()[0]})") from None
    if frame.shape[1] not in (5, 6):
        raise DataError(f"{path}: {count_of(frame.shape[1], 'column')}; expected 'gauge year month day Q flag'")
    if gauge_id is not None and set(frame[0]) != {gauge_id}:
        others = sorted(set(frame[0]) - {gauge_id})
        raise DataError(f"{path}: rows of gauge(s) {others[:3]} in the file of gauge {gauge_id}")
    nums = frame[[1, 2, 3, 4]].apply(pd.to_numeric, errors="coerce")
    broken = ~np.isfinite(nums.to_numpy(dtype=float)).all(axis=1)  # not a number, or inf
    if broken.any():
        i = int(np.flatnonzero(broken)[0])
        raise DataError(f"{path}: line {i + 1} has a value that is not a number: {' '.join(frame.iloc[i].dropna())!r}")
    dates = pd.to_datetime(dict(year=nums[1], month=nums[2], day=nums[3]), errors="coerce")
    if dates.isna().any():
        raise DataError(f"{path}: line {int(np.flatnonzero(dates.isna().to_numpy())[0]) + 1} has an impossible date")
    q = nums[4].to_numpy(dtype=float)
    q = np.where(q < 0, np.nan, q) * CFS_TO_M3S * 86400 / area_m2 * 1000
    series = pd.Series(q, index=pd.DatetimeIndex(dates, name="date"), name="qobs")
    if series.index.has_duplicates:
        raise DataError(f"{path}: date {series.index[series.index.duplicated()][0].date()} appears more than once")
    return series.sort_index()


def load_basin(root: str | Path, gauge_id: str, product: str = "nldas") -> BasinData:
    """Forcing and streamflow of one basin on the forcing's days; days without a flow record are NaN (reported)."""
    root = Path(root)
    fpath = forcing_path(root, gauge_id, product)
    forcing, header = read_forcing(fpath)
    flow = read_streamflow(streamflow_path(root, gauge_id), header["area_m2"], gauge_id)
    frame = forcing.copy()
    frame["qobs"] = flow.reindex(forcing.index)
    notes = []
    outside = int((~flow.index.isin(forcing.index)).sum())
    if outside:
        notes.append(f"{gauge_id}: {outside} flow days outside the forcing record (not used)")
    missing = int(frame["qobs"].isna().sum())
    if missing:
        notes.append(f"{gauge_id}: {missing} of {len(frame)} forcing days without observed flow (masked, never filled)")
    return BasinData(gauge_id, frame, header["latitude"], header["elevation_m"], header["area_m2"], notes)


def read_attributes(root: str | Path, gauge_ids, names=KRATZERT_ATTRIBUTES) -> pd.DataFrame:
    """Static attributes (rows = gauge ids as strings, leading zeros kept) from ``camels_attributes_v2.0``.
    Hydrological signatures (camels_hydro.txt) are refused: they are computed from observed flow."""
    folder = Path(root) / "camels_attributes_v2.0"
    hydro = set()
    hydro_file = folder / "camels_hydro.txt"
    if hydro_file.exists():
        hydro = set(pd.read_csv(hydro_file, sep=";", nrows=0).columns) - {"gauge_id"}
    leaked = sorted(set(names) & hydro)
    if leaked:
        raise DataError(f"attributes {leaked} are streamflow signatures (camels_hydro.txt), computed from observed "
                        "flow over 1989-2009: they would leak the test period into the inputs")
    tables = []
    for part in ATTRIBUTE_FILES:
        path = folder / f"camels_{part}.txt"
        if not path.exists():
            raise DataError(f"{path}: missing (CAMELS attributes v2.0 expected in {folder})")
        tables.append(pd.read_csv(path, sep=";", dtype={"gauge_id": str}).set_index("gauge_id"))
    table = pd.concat(tables, axis=1)
    unknown = [n for n in names if n not in table.columns]
    if unknown:
        raise DataError(f"{folder}: no attribute(s) {unknown}")
    return numeric_attributes(table[list(names)], [str(g) for g in gauge_ids], folder)


def numeric_attributes(table: pd.DataFrame, basins: list[str], where) -> pd.DataFrame:
    """The rows of ``basins`` (in that order) of an attribute table indexed by basin, as floats; a basin without a
    row, a column that is not numeric or a missing value is an error naming ``where`` (the file or folder)."""
    absent = [b for b in basins if b not in table.index]
    if absent:
        raise DataError(f"{where}: no attributes for basin(s) {absent}")
    out = table.loc[basins]
    non_numeric = [c for c in out.columns if not pd.api.types.is_numeric_dtype(out[c])]
    if non_numeric:
        raise DataError(f"{where}: attribute(s) {non_numeric} are not numeric")
    if out.isna().any().any():
        col = out.columns[out.isna().any()][0]
        raise DataError(f"{where}: attribute {col!r} is missing for basin(s) {list(out.index[out[col].isna()])}")
    return out.astype(float)


def read_sacsma_output(path: str | Path) -> pd.DataFrame:
    """A CAMELS benchmark model-output file (``YR MNTH DY HR SWE PRCP RAIM TAIR PET ET MOD_RUN OBS_RUN``,
    mm/day except TAIR in deg C); OBS_RUN < 0 is missing (NaN)."""
    path = Path(path)
    expected = ["YR", "MNTH", "DY", "HR", "SWE", "PRCP", "RAIM", "TAIR", "PET", "ET", "MOD_RUN", "OBS_RUN"]
    try:
        frame = pd.read_csv(path, sep=r"\s+")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise DataError(f"{path}: cannot parse ({str(err).splitlines()[0]})") from None
    if list(frame.columns) != expected:
        raise DataError(f"{path}: columns {list(frame.columns)}; expected {expected}")
    dates = pd.to_datetime(dict(year=frame["YR"], month=frame["MNTH"], day=frame["DY"]), errors="coerce")
    if dates.isna().any():
        raise DataError(f"{path}: impossible date on data line {int(np.flatnonzero(dates.isna().to_numpy())[0]) + 1}")
    out = frame[expected[4:]].astype(float).set_index(pd.DatetimeIndex(dates, name="date"))
    _check_daily(out.index, path)
    out.loc[out["OBS_RUN"] < 0, "OBS_RUN"] = np.nan
    return out

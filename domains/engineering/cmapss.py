"""NASA C-MAPSS turbofan data: parser for any FD00x file (or a user's file in the same layout), labels,
operating conditions, and a generated run-to-failure set in the same layout for offline use.

Layout: 26 whitespace-separated columns, no header: unit, cycle, 3 operational settings, 21 sensors
(rows end with trailing spaces). ``test_*`` trajectories stop before failure; ``RUL_*`` gives, one per line in
unit order, the true RUL after each test engine's last cycle.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from common.domain import DataError, not_found

SETTINGS = ["setting1", "setting2", "setting3"]
SENSORS = [f"s{i}" for i in range(1, 22)]
COLUMNS = ["unit", "cycle", *SETTINGS, *SENSORS]
INFORMATIVE = ["s2", "s3", "s4", "s7", "s8", "s9", "s11", "s12", "s13", "s14", "s15", "s17", "s20", "s21"]
SUBSETS = ("FD001", "FD002", "FD003", "FD004")


def read_trajectories(path: str | Path) -> pd.DataFrame:
    """Parse one train/test file; every problem names the file (and the line where it can)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(not_found(path, "file"))
    try:
        df = pd.read_csv(path, sep=r"\s+", header=None, dtype=float, engine="python")
    except pd.errors.EmptyDataError:  # a ValueError too, so caught first
        raise DataError(f"{path}: file is empty") from None
    except ValueError as err:
        raise DataError(f"{path}: {_first_non_number(path) or f'not a C-MAPSS table of numbers ({err})'}") from None
    if df.shape[1] != 26:
        raise DataError(f"{path}: expected 26 columns (unit, cycle, 3 settings, 21 sensors), found {df.shape[1]}")
    df.columns = COLUMNS
    broken = ~np.isfinite(df.to_numpy()).all(axis=1)
    if broken.any():
        row = int(np.flatnonzero(broken)[0])
        raise DataError(f"{path}: missing or non-finite values on line {row + 1}")
    df[["unit", "cycle"]] = df[["unit", "cycle"]].astype(int)
    bad = (df.groupby("unit")["cycle"].diff().dropna() != 1)
    if bad.any():
        raise DataError(f"{path}: cycles of unit {int(df.loc[bad[bad].index[0], 'unit'])} are not consecutive")
    if not df["unit"].is_monotonic_increasing:
        raise DataError(f"{path}: rows of each unit must be contiguous and units in increasing order")
    return df


def _first_non_number(path: Path) -> str:
    """Where a whitespace-separated table first holds a field that is not a number ('' if nowhere)."""
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        for line_no, line in enumerate(fh, 1):
            for col, field in enumerate(line.split(), 1):
                try:
                    float(field)
                except ValueError:
                    return f"line {line_no}, column {col} holds {field[:20]!r}, not a number"
    return ""


def read_rul(path: str | Path, n_units: int) -> np.ndarray:
    path = Path(path)
    if not path.is_file():
        raise DataError(not_found(path, "file"))
    try:
        rul = np.loadtxt(path, ndmin=1, encoding="utf-8-sig")
    except ValueError as err:
        raise DataError(f"{path}: not one number per line ({_first_non_number(path) or err})") from None
    if len(rul) != n_units:
        raise DataError(f"{path}: {len(rul)} RUL values for {n_units} test engines")
    bad = np.flatnonzero(~(np.isfinite(rul) & (rul >= 0)))
    if len(bad):
        raise DataError(f"{path}: value {bad[0] + 1} of {len(rul)} is {rul[bad[0]]}: "
                        "a remaining useful life must be >= 0")
    return rul.astype(float)


@dataclass
class Subset:
    name: str
    train: pd.DataFrame
    test: pd.DataFrame
    test_rul: np.ndarray  # true RUL after the last test cycle, one per test unit in unit order
    source: str


def load_subset(folder: str | Path, subset: str) -> Subset:
    folder = Path(folder)
    train = read_trajectories(folder / f"train_{subset}.txt")
    test = read_trajectories(folder / f"test_{subset}.txt")
    rul = read_rul(folder / f"RUL_{subset}.txt", test["unit"].nunique())
    return Subset(subset, train, test, rul, str(folder))


def rul_labels(df: pd.DataFrame, rul_max: float | None, final_rul: np.ndarray | None = None) -> np.ndarray:
    """Remaining cycles at every row: (last cycle + final RUL) - cycle, clipped at ``rul_max`` (piecewise linear)."""
    last = df.groupby("unit")["cycle"].transform("max").to_numpy()
    extra = 0.0 if final_rul is None else pd.Series(final_rul, index=np.unique(df["unit"])).loc[df["unit"]].to_numpy()
    rul = last + extra - df["cycle"].to_numpy()
    return np.minimum(rul, rul_max) if rul_max else rul.astype(float)


def generate_run_to_failure(n_train: int = 60, n_test: int = 40, seed: int = 0,
                            n_conditions: int = 3) -> Subset:
    """Simulated engines in the C-MAPSS layout (labelled as such wherever shown).

    Each unit starts with random initial wear and degrades exponentially at its own rate under randomly
    switching operating conditions; sensors respond to wear (some up, some down) plus condition offsets and
    noise; a unit fails when its health index crosses 1. Test units are cut at a random point before failure.
    """
    rng = np.random.default_rng(seed)
    conditions = rng.uniform([0, 0, 60], [42, 0.84, 100], size=(n_conditions, 3)).round(2)
    sens_gain = rng.normal(0, 1, size=21)
    sens_gain[[0, 4, 9, 15, 17, 18]] = 0.0  # constant sensors, as in the real data
    cond_offset = rng.normal(0, 3, size=(n_conditions, 21))
    base = rng.uniform(5, 500, size=21)

    def unit_rows(unit):
        wear0, rate = rng.uniform(0.02, 0.2), rng.uniform(0.012, 0.03)
        life = int(np.ceil(np.log(1.0 / wear0) / rate))  # health wear0 * exp(rate * t) reaches 1
        cycles = np.arange(1, life + 1)
        health = np.minimum(1.0, wear0 * np.exp(rate * cycles))
        cond = rng.integers(0, n_conditions, size=life)
        sensors = base + np.outer(health, sens_gain * 20) + cond_offset[cond] + rng.normal(0, 0.5, size=(life, 21))
        settings = conditions[cond] + rng.normal(0, 0.001, size=(life, 3))
        return pd.DataFrame(np.column_stack([np.full(life, unit), cycles, settings, sensors]), columns=COLUMNS)

    train = pd.concat([unit_rows(u) for u in range(1, n_train + 1)], ignore_index=True)
    tests, rul = [], []
    for u in range(1, n_test + 1):
        full = unit_rows(u)
        cut = int(rng.integers(max(10, len(full) // 4), len(full) - 5))
        tests.append(full.iloc[:cut])
        rul.append(len(full) - cut)
    test = pd.concat(tests, ignore_index=True)
    for df in (train, test):
        df[["unit", "cycle"]] = df[["unit", "cycle"]].astype(int)
    return Subset("generated", train, test, np.asarray(rul, float), "generated (simulated) run-to-failure engines")


def write_nasa_format(df: pd.DataFrame, path: str | Path) -> None:
    """Write trajectories the way NASA does: space separated, two trailing spaces, no header."""
    lines = [" ".join(f"{v:g}" if i > 1 else str(int(v)) for i, v in enumerate(row)) + "  "
             for row in df[COLUMNS].to_numpy()]
    Path(path).write_text("\n".join(lines) + "\n", encoding="ascii")

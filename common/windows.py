"""Sliding windows over one or many series, without Python loops over windows.

A window ending at row ``t`` (exclusive) takes inputs ``x[t - lookback:t]`` and targets
``y[t:t + horizon]`` (``horizon=0``: the target is the row ``t - 1`` itself, as in RUL or
classification per window). Entities shorter than the window are left-padded with ``PAD_VALUE``
(masked by the builder's Masking layer), never dropped.

>>> import numpy as np
>>> X, y = make_windows(np.arange(6.0)[:, None], lookback=3, horizon=2)
>>> X[:, :, 0].tolist(), y[:, :, 0].tolist()
([[0.0, 1.0, 2.0], [1.0, 2.0, 3.0]], [[3.0, 4.0], [4.0, 5.0]])
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

PAD_VALUE = -99.0  # same constant as common.builder.PAD_VALUE (kept here so windows need no TensorFlow)


def _as_2d(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    return a[:, None] if a.ndim == 1 else a


def make_windows(x: np.ndarray, lookback: int, horizon: int = 1, y: np.ndarray | None = None,
                 stride: int = 1, start: int = 0, stop: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All windows of one series whose targets lie in rows ``[start, stop)``.

    Inputs may reach back before ``start`` (the look-back context of the long-horizon protocol).
    Returns ``X`` (n, lookback, features) and ``y`` (n, horizon, targets), or (n, targets) when
    ``horizon == 0``. ``y`` defaults to ``x``.
    """
    if lookback < 1 or horizon < 0 or stride < 1:
        raise ValueError("lookback >= 1, horizon >= 0 and stride >= 1 are required")
    x = _as_2d(x)
    y = x if y is None else _as_2d(y)
    if len(x) != len(y):
        raise ValueError(f"inputs have {len(x)} rows but targets {len(y)}")
    n = len(x)
    stop = n if stop is None else stop
    ends = window_ends(n, lookback, horizon, start, stop)[::stride]
    check_window_memory(len(ends), lookback, x.shape[1], itemsize=x.itemsize)
    Xw = sliding_window_view(x, lookback, axis=0)  # (n - lookback + 1, features, lookback)
    X = np.moveaxis(Xw[ends - lookback], -1, 1)
    if horizon == 0:
        return X, y[ends - 1]
    Yw = sliding_window_view(y, horizon, axis=0)
    return X, np.moveaxis(Yw[ends], -1, 1)


def window_ends(n: int, lookback: int, horizon: int, start: int = 0, stop: int | None = None) -> np.ndarray:
    """End positions ``t`` of every full window whose target rows fall in ``[start, stop)``."""
    stop = n if stop is None else min(stop, n)
    if horizon == 0:
        first, last = max(lookback, start + 1), stop  # target row t - 1 in [start, stop)
    else:
        first, last = max(lookback, start), stop - horizon
    return np.arange(first, last + 1) if last >= first else np.arange(0)


@dataclass
class GroupWindows:
    """Windows over many entities: inputs, targets, the entity of each window and its end row."""

    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    ends: np.ndarray
    padded: np.ndarray  # number of padded steps per window (0 for full windows)


def windows_by_group(x: np.ndarray, y: np.ndarray, groups: np.ndarray, lookback: int, *,
                     last_only: bool = False, pad_short: bool = True) -> GroupWindows:
    """Windows with ``horizon=0`` per entity (rows must be time-ordered within each entity).

    Windows never cross entities. ``last_only`` keeps only the last window of each entity (one test
    prediction per engine). Entities shorter than ``lookback`` give one left-padded window when
    ``pad_short`` (else a ValueError naming them), never silently vanish.
    """
    x, y, groups = _as_2d(x), _as_2d(y), np.asarray(groups)
    if not (len(x) == len(y) == len(groups)):
        raise ValueError("x, y and groups must have the same number of rows")
    # pad every entity on the left with lookback - 1 rows; then every row has a full window
    order = np.unique(groups, return_index=True)[1]
    uniq = groups[np.sort(order)]
    starts = np.r_[0, np.flatnonzero(groups[1:] != groups[:-1]) + 1]
    if len(starts) != len(uniq):
        raise ValueError("rows of each entity must be contiguous")
    lengths = np.diff(np.r_[starts, len(groups)])
    short = uniq[lengths < lookback]
    if len(short) and not pad_short:
        raise ValueError(f"entities shorter than the window ({lookback}): {list(short)}")
    pad = lookback - 1
    padded_x = np.full((len(x) + pad * len(starts), x.shape[1]), PAD_VALUE, dtype=float)
    new_starts = starts + pad * np.arange(len(starts)) + pad
    row_pos = np.repeat(new_starts - starts, lengths) + np.arange(len(x))
    padded_x[row_pos] = x
    if last_only:
        rows = starts + lengths - 1
    else:
        # full windows where possible; an entity shorter than the window contributes its last row only
        full = np.arange(len(x)) - np.repeat(starts, lengths) >= lookback - 1
        is_last = np.zeros(len(x), bool)
        is_last[starts + lengths - 1] = True
        rows = np.flatnonzero(full | (is_last & np.repeat(lengths < lookback, lengths)))
    check_window_memory(len(rows), lookback, x.shape[1], itemsize=padded_x.itemsize)
    Xw = sliding_window_view(padded_x, lookback, axis=0)
    X = np.moveaxis(Xw[row_pos[rows] - lookback + 1], -1, 1)
    within = rows - np.repeat(starts, lengths)[rows]
    return GroupWindows(X=X, y=y[rows], groups=groups[rows], ends=within + 1,
                        padded=np.maximum(lookback - (within + 1), 0))


def size_text(n: float) -> str:
    """Bytes in words: ``size_text(1.5e9)`` is "1.5 GB", ``size_text(640)`` "640.0 bytes"."""
    return next(f"{n / f:.1f} {unit}" for f, unit in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB"), (1, "bytes"))
                if n >= f or unit == "bytes")


def physical_memory() -> int | None:
    """The machine's physical memory in bytes (``os.sysconf``; on Windows, ``windows_memory``), or None where the
    system does not say."""
    import os

    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return windows_memory()


def windows_memory(kernel32=None) -> int | None:
    """The physical memory Windows reports (``GlobalMemoryStatusEx``, read by ctypes), or None elsewhere or when the
    call fails; ``kernel32`` stands in for ``ctypes.windll.kernel32`` (tests)."""
    import ctypes

    class MemoryStatusEx(ctypes.Structure):  # MEMORYSTATUSEX of the Windows API
        _fields_ = [("dwLength", ctypes.c_uint32), ("dwMemoryLoad", ctypes.c_uint32),  # DWORD: 32 bits
                    *((name, ctypes.c_ulonglong) for name in (
                        "ullTotalPhys", "ullAvailPhys", "ullTotalPageFile", "ullAvailPageFile", "ullTotalVirtual",
                        "ullAvailVirtual", "ullAvailExtendedVirtual"))]

    if kernel32 is None:
        windll = getattr(ctypes, "windll", None)
        if windll is None:
            return None
        kernel32 = windll.kernel32
    status = MemoryStatusEx()
    status.dwLength = ctypes.sizeof(MemoryStatusEx)
    try:
        ok = kernel32.GlobalMemoryStatusEx(ctypes.byref(status))
    except (AttributeError, OSError):
        return None
    return int(status.ullTotalPhys) if ok and status.ullTotalPhys else None


def cgroup_memory_limit(root: str | Path = "/sys/fs/cgroup", own: str | Path = "/proc/self/cgroup"
                        ) -> tuple[int, str] | None:
    """The memory limit of this process's control group (a container's ``--memory``, a batch job's allocation) in
    bytes and the file that sets it, or None where there is none: the smallest ``memory.max`` (cgroup v2) or
    ``memory.limit_in_bytes`` (v1, under ``memory/``) from the process's own group (``own``) up to the mount's root.
    "max", v1's huge "unlimited" number and unreadable files count as no limit."""
    try:
        lines = Path(own).read_text().splitlines()
    except OSError:
        return None
    places = []  # (mount folder, the group's path, limit file name) of each hierarchy with a memory controller
    for line in lines:
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        if controllers == "":
            places.append((Path(root), path, "memory.max"))
        elif "memory" in controllers.split(","):
            places.append((Path(root) / "memory", path, "memory.limit_in_bytes"))
    found = []
    for base, path, name in places:
        parts = [p for p in path.strip().split("/") if p]
        for depth in range(len(parts), -1, -1):
            file = base.joinpath(*parts[:depth], name)
            try:
                text = file.read_text().strip()
            except OSError:
                continue
            if text.isdigit() and int(text) < 2**60:
                found.append((int(text), str(file)))
    return min(found) if found else None


def memory_limit() -> tuple[float, str] | None:
    """The bytes this process may use, and how to say where that figure comes from: the machine's physical memory,
    or its control group's limit where that is smaller; None where neither is known."""
    machine, group = physical_memory(), cgroup_memory_limit()
    if group is not None and (machine is None or group[0] < machine):
        also = f"; the machine has {machine / 1e9:.1f} GB" if machine is not None else ""
        return group[0], (f"this process may use {group[0] / 1e9:.1f} GB (the memory limit of its control group, "
                          f"{group[1]}{also})")
    return (machine, f"this machine has {machine / 1e9:.1f} GB of memory") if machine is not None else None


def check_window_memory(samples: int, steps: int, features: int, what: str = "", remedy: str = "",
                        itemsize: int = 4, noun: str = "windows") -> None:
    """Refuse, before building them, windows (``samples`` x ``steps`` x ``features`` values of ``itemsize`` bytes)
    that would not fit in the machine's physical memory or the process's container limit (``memory_limit``): numpy
    would stop with a MemoryError, the kernel would kill the process, or the system would swap for hours. ``what``
    names the data, ``remedy`` says what to change."""
    need, limit = samples * steps * features * itemsize, memory_limit()
    if limit is not None and need > limit[0]:
        from .domain import DataError

        dtype = {4: "float32", 8: "float64"}.get(itemsize, f"{itemsize} bytes each")
        raise DataError(f"{what + ': ' if what else ''}the {noun} ({samples:,} samples x {steps} steps x {features} "
                        f"inputs, {dtype}) take {need / 1e9:.1f} GB; {limit[1]}"
                        + (f": {remedy}" if remedy else " (a shorter look-back, fewer inputs or fewer rows fit)"))

"""Get a registered file: cache -> mirror -> download to a temporary file, verify sha256, atomic rename.

Errors name the dataset, the file and what went wrong:
- ``ChecksumError``: the bytes do not match the registry (the bad file is removed).
- ``DatasetUnavailable``: no cache, no mirror copy and no download worked (offline); names the URLs
  and both environment variables.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import shutil
import sys
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Mapping

from .registry import DataFile, Dataset, Source, cache_root, get_dataset, mirror_root

CHUNK = 1 << 20
TIMEOUT_S = 60


class ChecksumError(RuntimeError):
    pass


class DatasetUnavailable(RuntimeError):
    pass


class UnsafeArchive(RuntimeError):
    pass


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _verify(tmp: Path, entry: DataFile, what: str) -> None:
    found = sha256_of(tmp)
    if found != entry.sha256:
        tmp.unlink(missing_ok=True)
        raise ChecksumError(f"{what}: sha256 mismatch for {entry.path}: expected {entry.sha256}, found {found}; "
                            "the bad copy was removed")


def _temp_beside(target: Path) -> Path:
    root = cache_root()
    if root.exists() and not root.is_dir():
        raise DatasetUnavailable(f"cannot write the cache: LSTM_SUITE_DATA={root} is a file, not a folder")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DatasetUnavailable(f"cannot write the cache folder {target.parent} (LSTM_SUITE_DATA={root}): {err}") \
            from None
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    return Path(name)


def _install(tmp: Path, target: Path, entry: DataFile, what: str) -> Path:
    """Verify ``tmp`` against ``entry`` and atomically move it to ``target``."""
    try:
        _verify(tmp, entry, what)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _VERIFIED.add(_version(target))
    return target


_VERIFIED: set[tuple[str, int, int]] = set()  # versions of cached files whose sha256 matched, in this process


def _version(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path), st.st_size, st.st_mtime_ns


def _cached_copy_ok(target: Path, entry: DataFile, verify: bool) -> bool:
    """The cached file has the registered sha256: hashed once per version (path, size, modification time) in a
    process, or every time with ``verify``. The whole registered cache (69 MB) hashes in about 0.13 s."""
    version = _version(target)
    if entry.bytes is not None and version[1] != entry.bytes:
        return False
    if version in _VERIFIED and not verify:
        return True
    if sha256_of(target) != entry.sha256:
        return False
    _VERIFIED.add(version)
    return True


def check_member_name(name: str, archive: str) -> str:
    """Refuse archive members that are absolute or climb out of the target folder."""
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or (pure.parts and ":" in pure.parts[0]):
        raise UnsafeArchive(f"{archive}: member {name!r} would be written outside the target folder; refused")
    return name


def safe_extract_all(archive: str | Path, target: str | Path) -> list[Path]:
    """Extract a zip into ``target`` after checking every member name (nothing is written if one is unsafe)."""
    target = Path(target).resolve()
    with zipfile.ZipFile(archive) as zf:
        names = [check_member_name(n, str(archive)) for n in zf.namelist()]
        for n in names:
            if not (target / n).resolve().is_relative_to(target):
                raise UnsafeArchive(f"{archive}: member {n!r} would be written outside {target}; refused")
        zf.extractall(target)
    return [target / n for n in names if not n.endswith("/")]


def _download(url: str, dest: Path) -> None:
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response, open(dest, "wb") as out:
        shutil.copyfileobj(response, out, CHUNK)


def _from_source(source: Source, tmp: Path) -> None:
    """Download ``source`` and leave the (extracted) file bytes in ``tmp``."""
    if not source.archive:
        _download(source.url, tmp)
        return
    raw = tmp.with_suffix(".archive")
    try:
        _download(source.url, raw)
        if source.archive == "gzip":
            with gzip.open(raw, "rb") as src, open(tmp, "wb") as out:
                shutil.copyfileobj(src, out, CHUNK)
        else:
            check_member_name(source.member, source.url)
            with zipfile.ZipFile(raw) as zf, zf.open(source.member) as src, open(tmp, "wb") as out:
                shutil.copyfileobj(src, out, CHUNK)
    finally:
        raw.unlink(missing_ok=True)


@dataclass
class FetchReport:
    dataset: str
    path: str
    origin: str  # "cache", "mirror" or the URL


def fetch_file(dataset: Dataset, entry: DataFile, *, verify_cache: bool = False,
               log: Callable[[str], None] | None = None) -> tuple[Path, str]:
    """Return (local path, origin) of one registered file, getting it if needed."""
    target = cache_root() / dataset.id / entry.path
    what = f"dataset {dataset.id}"
    removed = ""
    if target.is_file():
        if _cached_copy_ok(target, entry, verify_cache):
            return target, "cache"
        said = f"{what}: cached {entry.path} does not match its registered sha256; fetching it again"
        if log:
            log(said)
        else:  # a repair is never silent
            print(f"lstm-suite: {said}", file=sys.stderr)
        target.unlink()
        removed = f"The cached copy {target} did not match its sha256 and was removed. "
    mirror = mirror_root()
    if mirror is not None:
        mirrored = mirror / dataset.id / entry.path
        if mirrored.is_file():
            tmp = _temp_beside(target)
            shutil.copyfile(mirrored, tmp)
            _install(tmp, target, entry, f"{what} (mirror file {mirrored})")
            return target, "mirror"
        if log:
            where = f"mirror {mirror}" if mirror.is_dir() else f"mirror {mirror} ({_not_a_folder(mirror)})"
            log(f"{what}: {entry.path} not in {where}; trying download")
    errors = []
    for source in entry.sources:
        tmp = _temp_beside(target)
        try:
            _from_source(source, tmp)
        except (OSError, zipfile.BadZipFile, KeyError, EOFError) as err:
            tmp.unlink(missing_ok=True)
            errors.append(f"{source.url}: {err}")
            continue
        return _install(tmp, target, entry, f"{what} (downloaded from {source.url})"), source.url
    urls = "; ".join(errors) or "no download source registered"
    absent = f", {_not_a_folder(mirror)}" if mirror is not None and not mirror.is_dir() else ""
    if mirror is not None and (mirror / entry.path).is_file():  # the dataset's own folder instead of the mirror's
        absent = (f", which holds {entry.path} itself: point it at the folder above, {mirror.parent}, laid out "
                  "<dataset id>/<file>")
    raise DatasetUnavailable(
        f"{what}: cannot get {entry.path}. {removed}Not in the cache ({cache_root()}, set by LSTM_SUITE_DATA), "
        f"not in a mirror (LSTM_SUITE_MIRROR={os.environ.get('LSTM_SUITE_MIRROR', '(unset)')}{absent}), "
        f"and the download failed: {urls}")


def _not_a_folder(path: Path) -> str:
    return "a file, not a folder" if path.exists() else "a folder that does not exist"


_RECORDERS: list[list[dict]] = []


@contextlib.contextmanager
def record_fetches():
    """Inside the block, list every registered file that ``fetch_dataset`` hands out (once each): dataset, file,
    the registry's sha256 (which the file matched when it entered the cache) and where it came from. A run
    directory keeps this list as ``data_files.json``; ``lstm-suite reproduce`` hashes the files against it."""
    used: list[dict] = []
    _RECORDERS.append(used)
    try:
        yield used
    finally:
        _RECORDERS.remove(used)


def user_files(data: dict) -> list[dict]:
    """The user's own files and folders named in the ``[data]`` options (a CSV, FASTA files, a label file, a
    CAMELS folder): files with their sha256, folders by path only (too large to hash on every run)."""
    from .domain import PATTERN_OPTIONS, DataError, expand_patterns

    out, seen = [], set()
    for key, value in data.items():
        pairs = [(v, None) for v in (value if isinstance(value, (list, tuple)) else [value])]
        if key in PATTERN_OPTIONS:  # glob patterns: the files they match, each recorded with its pattern
            expanded = []
            for v, _ in pairs:
                try:
                    found = expand_patterns([v])
                except DataError:  # a pattern that matches nothing is the data's error to raise, not the record's
                    found = []
                expanded += [(f, v if f != v else None) for f in found]
            pairs = expanded
        for v, pattern in pairs:
            if not isinstance(v, str) or not v:
                continue
            path = Path(v).expanduser()
            if not path.exists() or path.resolve() in seen:
                continue
            seen.add(path.resolve())
            entry = {"option": f"data.{key}", "file" if path.is_file() else "folder": str(path.resolve())}
            if path.is_file():
                entry["sha256"] = sha256_of(path)
            if pattern is not None:
                entry["pattern"] = pattern
            out.append(entry)
    return out


def fetch_dataset(dataset_id: str, registry: Mapping[str, Dataset] | None = None, *, verify_cache: bool = False,
                  log: Callable[[str], None] | None = None) -> tuple[Path, list[FetchReport]]:
    """Make every file of a dataset available in the cache; return its folder and where each file came from."""
    dataset = get_dataset(dataset_id, registry)
    reports = []
    for entry in dataset.files:
        _, origin = fetch_file(dataset, entry, verify_cache=verify_cache, log=log)
        reports.append(FetchReport(dataset.id, entry.path, origin))
        for used in _RECORDERS:
            if not any(u["dataset"] == dataset.id and u["file"] == entry.path for u in used):
                used.append({"dataset": dataset.id, "file": entry.path, "sha256": entry.sha256, "origin": origin})
    return cache_root() / dataset.id, reports


def dataset_dir(dataset_id: str) -> Path:
    """The cache folder of a dataset with all its files present (fetched if needed)."""
    return fetch_dataset(dataset_id)[0]


def data_available(dataset_id: str) -> bool:
    """True when the dataset can be had without a network: fully cached, or complete in the mirror."""
    from .registry import cached_state

    dataset = get_dataset(dataset_id)
    if cached_state(dataset) == "cached":
        return True
    mirror = mirror_root()
    return mirror is not None and all((mirror / dataset.id / f.path).is_file() for f in dataset.files)

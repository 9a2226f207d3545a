"""Dataset registry: one entry per dataset id, each file with its size, sha256 and download sources.

The facts live in ``datasets.toml`` beside this module (taken from each dataset's SOURCE.md).
Resolution of a file (see ``common.download``): cache -> mirror -> download, always sha256-checked.

>>> reg = load_registry()
>>> "cmapss" in reg and reg["cmapss"].domain
'engineering'
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Mapping

REGISTRY_FILE = Path(__file__).with_name("datasets.toml")


class UnknownDataset(KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; we want plain text
        return str(self.args[0])


@dataclass(frozen=True)
class Source:
    """One place a file can be downloaded from; ``archive`` is ``zip`` (take ``member``) or ``gzip``."""

    url: str
    archive: str = ""
    member: str = ""


@dataclass(frozen=True)
class DataFile:
    path: str
    sha256: str
    sources: tuple[Source, ...]
    bytes: int | None = None


@dataclass(frozen=True)
class Dataset:
    id: str
    domain: str
    title: str
    files: tuple[DataFile, ...]
    citation: str = ""
    homepage: str = ""

    def file(self, path: str) -> DataFile:
        for f in self.files:
            if f.path == path:
                return f
        raise UnknownDataset(f"dataset {self.id} has no file {path!r}; it has: {', '.join(f.path for f in self.files)}")


def _safe_relative(path: str, where: str) -> str:
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise ValueError(f"{where}: file path {path!r} must be relative and stay inside the dataset folder")
    return path


def parse_registry(raw: Mapping, where: str = "registry") -> dict[str, Dataset]:
    out: dict[str, Dataset] = {}
    for ds_id, entry in raw.items():
        files = []
        for f in entry.get("files", []):
            sources = tuple(Source(**s) for s in f.get("sources", []))
            for s in sources:
                if s.archive not in ("", "zip", "gzip") or (s.archive == "zip") != bool(s.member):
                    raise ValueError(f"{where}: {ds_id}/{f['path']}: bad source {s}")
            files.append(DataFile(path=_safe_relative(f["path"], f"{where}: {ds_id}"), sha256=f["sha256"].lower(),
                                  sources=sources, bytes=f.get("bytes")))
        out[ds_id] = Dataset(id=ds_id, domain=entry["domain"], title=entry["title"], files=tuple(files),
                             citation=entry.get("citation", ""), homepage=entry.get("homepage", ""))
    return out


@lru_cache(maxsize=1)
def load_registry(path: str | None = None) -> dict[str, Dataset]:
    file = Path(path) if path else REGISTRY_FILE
    with file.open("rb") as fh:
        return parse_registry(tomllib.load(fh), where=str(file))


def get_dataset(dataset_id: str, registry: Mapping[str, Dataset] | None = None) -> Dataset:
    registry = load_registry() if registry is None else registry
    try:
        return registry[dataset_id]
    except KeyError:
        from .config import nearest_names

        raise UnknownDataset(f"unknown dataset id {dataset_id!r}{nearest_names(dataset_id, sorted(registry))}; "
                             f"registered: {', '.join(sorted(registry))}") from None


def cache_root() -> Path:
    """``$LSTM_SUITE_DATA`` or ``~/.cache/lstm-suite``."""
    return Path(os.environ.get("LSTM_SUITE_DATA") or Path.home() / ".cache" / "lstm-suite").expanduser()


def mirror_root() -> Path | None:
    """``$LSTM_SUITE_MIRROR``: a folder laid out ``<dataset id>/<relative path>``, or None."""
    value = os.environ.get("LSTM_SUITE_MIRROR")
    return Path(value).expanduser() if value else None


def cached_state(dataset: Dataset) -> str:
    """'cached', 'partial' or 'absent', by the presence and size of the files in the cache (no hashing)."""
    root = cache_root() / dataset.id
    present = [(root / f.path).is_file() and (f.bytes is None or (root / f.path).stat().st_size == f.bytes)
               for f in dataset.files]
    return "cached" if all(present) else ("partial" if any(present) else "absent")

"""``lstm-suite tabulate``: finished runs side by side, read from their ``config.toml`` and ``metrics.json``.

One table per domain and dataset (metrics of different datasets do not compare): a row per run, the config keys
whose values differ between the runs of the table, the LSTM's mean and sd over seeds for every metric the runs
recorded, the seed ensemble and the best baseline on the first metric, and the run's time, best run first; where
the runs differ in them, the data label, a fingerprint of the data files' content (their sha256 in
``data_files.json``: a CSV edited between two runs), the git commit of the code and the versions of the packages.
Nothing is recomputed: ``lstm-suite reproduce`` checks a run's figures against its saved models.
"""
from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .config import ConfigError, dotted_keys
from .evaluation import _fmt
from .metrics import GREATER_IS_BETTER

NOT_COMPARED = ("domain", "dataset", "out")  # the table's own key, and where the run was written


@dataclass
class RunsTable:
    title: str
    frame: pd.DataFrame  # numbers as numbers: the CSV
    metrics: list[str]

    def printable(self) -> pd.DataFrame:
        """Mean and sd joined as "mean ± sd", numbers to four significant digits."""
        out = self.frame.drop(columns=["domain", "dataset", *(f"{m} sd" for m in self.metrics)])  # in the title
        for m in self.metrics:
            out[m] = [_fmt(v) + (f" ± {_fmt(s)}" if pd.notna(s) else "")
                      for v, s in zip(self.frame[m], self.frame[f"{m} sd"])]
        first = f"ensemble {self.metrics[0]}"
        out[first] = [_fmt(v) if pd.notna(v) else "" for v in self.frame[first]]
        out["seconds"] = [f"{v:.0f}" if pd.notna(v) else "" for v in self.frame["seconds"]]
        return out


def _environment(run: Path) -> dict:
    """The run's ``environment.json`` (``{}`` for a run directory written before it existed)."""
    path = run / "environment.json"
    if not path.is_file():
        return {}
    try:
        env = json.loads(path.read_text(encoding="utf-8"))
        code = env.get("code") or {}
        commit = (code.get("commit") or "")[:12]
        return {"code": commit + (" + changes" if commit and code.get("uncommitted_changes") else ""),
                "packages": dict(env.get("packages") or {})}
    except (OSError, ValueError, AttributeError, TypeError) as err:
        raise ConfigError(f"{path}: not a run's environment record ({type(err).__name__}: {err})") from None


def _data_files(run: Path) -> str:
    """A short fingerprint of the content of the data files the run read (their sha256 in ``data_files.json``), e.g.
    ``3f2a9c1d (2 files)``; ``""`` for a run directory written before that record existed."""
    path = run / "data_files.json"
    if not path.is_file():
        return ""
    try:
        hashes = sorted(e["sha256"] for e in json.loads(path.read_text(encoding="utf-8")) if "sha256" in e)
    except (OSError, ValueError, KeyError, AttributeError, TypeError) as err:
        raise ConfigError(f"{path}: not a run's data file record ({type(err).__name__}: {err})") from None
    if not hashes:
        return "no files"
    digest = hashlib.sha256("\n".join(hashes).encode()).hexdigest()[:8]
    return f"{digest} ({len(hashes)} file{'s' * (len(hashes) != 1)})"


def _read(run: Path) -> tuple[dict, dict]:
    try:
        config = tomllib.loads((run / "config.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{run / 'config.toml'}: cannot be read ({err})") from None
    try:
        metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
        metrics["lstm_summary"].items()
    except (OSError, ValueError, KeyError, AttributeError, TypeError) as err:
        raise ConfigError(f"{run / 'metrics.json'}: not a run's metrics file ({type(err).__name__}: {err})") from None
    metrics["environment"] = _environment(run)
    metrics["data_files"] = _data_files(run)
    return config, metrics


def find_runs(paths: list[str | Path]) -> tuple[list[Path], list[Path]]:
    """Finished run directories among ``paths`` (a run directory, or a folder of them) and the folders skipped for
    want of a ``metrics.json`` (an unfinished run, a named experiment's folder)."""
    runs, skipped = [], []
    for path in map(Path, paths):
        if not path.is_dir():
            raise ConfigError(f"{path}: no such run directory or folder")
        if (path / "config.toml").is_file():
            if not (path / "metrics.json").is_file():
                raise ConfigError(f"{path}: no finished run (no metrics.json: stopped before the end?)")
            runs.append(path)
            continue
        for child in sorted(p for p in path.iterdir() if p.is_dir()):
            finished = (child / "metrics.json").is_file() and (child / "config.toml").is_file()
            (runs if finished else skipped).append(child)
        if not any(r.parent == path for r in runs):
            raise ConfigError(f"{path}: no finished run directory in it (none holds config.toml and metrics.json)")
    unique: dict[Path, Path] = {}
    for run in runs:  # one row per run, however it was named
        unique.setdefault(run.resolve(), run)
    return list(unique.values()), skipped


def _table(rows: list[tuple[Path, dict, dict]]) -> RunsTable:
    metrics = list(dict.fromkeys(m for _, _, met in rows for m in met["lstm_summary"]))
    first = metrics[0]
    flat = [{k: json.dumps(v) if isinstance(v, list) else str(v) for k, v in dotted_keys(cfg).items()}
            for _, cfg, _ in rows]
    keys = sorted({k for f in flat for k in f} - set(NOT_COMPARED))
    differing = [k for k in keys if len({f.get(k, "") for f in flat}) > 1]
    envs = [met["environment"] for _, _, met in rows]
    packages = sorted({p for e in envs for p in e.get("packages", {})})
    known = [e["packages"] for e in envs if e.get("packages")]  # a run without environment.json: not known, not moved
    moved = [p for p in packages if len({k.get(p, "") for k in known}) > 1]
    records = []
    for (run, cfg, met), f in zip(rows, flat):
        rec = {"run": run.name, "domain": cfg.get("domain", ""), "dataset": cfg.get("dataset", ""),
               "data": met.get("data", ""), "data files": met["data_files"]}
        rec.update({k: f.get(k, "") for k in differing})
        env = met["environment"]
        rec["code"] = env.get("code", "")
        if moved:  # only the packages whose version differs between the runs
            rec["packages"] = ", ".join(f"{p} {env['packages'][p]}" for p in moved if p in env.get("packages", {}))
        for m in metrics:
            s = met["lstm_summary"].get(m) or {}
            rec[m], rec[f"{m} sd"] = s.get("mean"), s.get("sd")
        rec["seeds"] = (met["lstm_summary"].get(first) or {}).get("n")
        rec[f"ensemble {first}"] = (met.get("lstm_ensemble") or {}).get(first)
        scored = [(v[first], name) for name, v in (met.get("baselines") or {}).items()
                  if isinstance(v, dict) and v.get(first) is not None]
        best = (max if GREATER_IS_BETTER.get(first, False) else min)(scored) if scored else None
        rec[f"best baseline ({first})"] = f"{best[1]}: {_fmt(best[0])}" if best else ""
        rec["seconds"] = met.get("seconds")
        records.append(rec)
    frame = pd.DataFrame(records)
    for same in ("data", "code"):  # shown only where the runs differ in it
        if frame[same].nunique() == 1:
            frame = frame.drop(columns=same)
    if frame.loc[frame["data files"] != "", "data files"].nunique() < 2:  # a run without the record: not known
        frame = frame.drop(columns="data files")
    frame = frame.sort_values(first, ascending=not GREATER_IS_BETTER.get(first, False), na_position="last",
                              kind="stable").reset_index(drop=True)
    domain, dataset = records[0]["domain"], records[0]["dataset"]
    return RunsTable(f"{domain}: {dataset} ({len(rows)} run{'s' * (len(rows) != 1)})", frame, metrics)


def tabulate(paths: list[str | Path]) -> tuple[list[RunsTable], list[Path]]:
    runs, skipped = find_runs(paths)
    groups: dict[tuple[str, str], list] = {}
    for run in runs:
        cfg, met = _read(run)
        groups.setdefault((str(cfg.get("domain", "")), str(cfg.get("dataset", ""))), []).append((run, cfg, met))
    return [_table(groups[key]) for key in sorted(groups)], skipped

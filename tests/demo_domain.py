"""Test fixture domain (the demo that stood in before real domains landed; registered only in tests).

Generated series: y_t = level + daily cycle + 0.8 * driver_{t-3} + AR(1) noise, hourly.

The driver (a smooth random walk, observed) pushes the target three steps later, so a model that uses
the inputs beats persistence and the seasonal naive forecast; the task is multi-horizon.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from common import baselines as B
from common.config import ModelSpec, RunConfig, TrainSpec
from common.domain import DataError, Domain, Prepared
from common.evaluation import audit
from common.splits import Standardizer, chronological_split
from common.windows import make_windows

SEASON = 24


@dataclass(frozen=True)
class DemoOptions:
    n: int = 3000
    lookback: int = 48
    horizon: int = 6
    noise: float = 0.3
    seed: int = 0


def generate(n: int, noise: float = 0.3, seed: int = 0) -> np.ndarray:
    """Columns: target, driver, sin(hour), cos(hour)."""
    if n < 10 * SEASON:
        raise ValueError(f"demo series needs at least {10 * SEASON} rows, got {n}")
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    driver = np.convolve(rng.normal(size=n + 20), np.ones(20) / 20 ** 0.5, mode="valid")[:n]
    eps = np.zeros(n)
    shocks = rng.normal(scale=noise, size=n)
    for i in range(1, n):
        eps[i] = 0.7 * eps[i - 1] + shocks[i]
    phase = 2 * np.pi * t / SEASON
    y = 5 + 2 * np.sin(phase) + 0.8 * np.r_[np.zeros(3), driver[:-3]] + eps
    return np.column_stack([y, driver, np.sin(phase), np.cos(phase)])


def prepare(cfg: RunConfig, opt: DemoOptions) -> Prepared:
    if (cfg.dataset or "generated") != "generated":
        raise DataError(f"demo has one dataset, 'generated', not {cfg.dataset!r}")
    raw = generate(opt.n, opt.noise, opt.seed)
    split = chronological_split(len(raw), 0.7, 0.2, lookback=opt.lookback)
    scaler = Standardizer().fit(raw[slice(*split.train)])
    data = scaler.transform(raw)
    parts = {}
    for name in ("train", "val", "test"):
        a, b = getattr(split, name)
        t0 = split.targets(name)[0] - a
        parts[name] = make_windows(data[a:b], opt.lookback, opt.horizon, y=data[a:b, :1], start=t0)
    times = {name: np.arange(*split.targets(name)) for name in ("train", "val", "test")}
    mean, scale = scaler.mean[0], scaler.scale[0]
    rep = audit(train_times=times["train"], test_times=times["test"])
    return Prepared(
        X_train=parts["train"][0], y_train=parts["train"][1], X_val=parts["val"][0], y_val=parts["val"][1],
        X_test=parts["test"][0], y_test=parts["test"][1],
        metrics=("rmse", "mae", "smape", "mase"),
        data_label="generated (simulated) seasonal series, not real data",
        model_overrides={"head": "forecast", "horizon": opt.horizon, "n_targets": 1},
        scalers={"inputs": scaler.to_dict()}, scaler_fit_rows={"inputs": raw[slice(*split.train)]},
        split={"kind": "chronological", "inputs": {k: getattr(split, k) for k in ("train", "val", "test")},
               "targets": {k: split.targets(k) for k in ("train", "val", "test")}},
        audit=rep,
        metric_context={"y_train": raw[slice(*split.train), 0], "season": SEASON},
        to_report_units=lambda a: np.asarray(a) * scale + mean,
    )


def baselines(prep: Prepared, cfg: RunConfig) -> dict:
    return {"last value": B.LastValue(0), f"seasonal naive ({SEASON})": B.SeasonalNaive(SEASON, 0),
            "mean": B.MeanBaseline(), "ridge on lags": B.ridge_on_lags(), "gbm on lags": B.gbm_on_lags(n_lags=SEASON)}


def default_config(profile: str = "quick") -> RunConfig:
    quick = profile == "quick"
    return RunConfig(domain="demo", dataset="generated", profile=profile,
                     model=ModelSpec(units=(32,) if quick else (64, 64)),
                     training=TrainSpec(epochs=8 if quick else 40, batch_size=64, patience=3 if quick else 8,
                                        seeds=1 if quick else 5),
                     data={} if quick else {"n": 8000})


def smoke_config() -> RunConfig:
    return RunConfig(domain="demo", dataset="generated", model=ModelSpec(units=(4,)),
                     training=TrainSpec(epochs=1, batch_size=64), data={"n": 400, "lookback": 24, "horizon": 3})


DOMAIN = Domain(name="demo", description=__doc__.splitlines()[0], datasets=(), options=DemoOptions,
                default_config=default_config, prepare=prepare, baselines=baselines, smoke_config=smoke_config,
                published=None, generated=True)

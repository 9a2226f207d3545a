"""Generators for the mechanism experiments, each with parameters that its statistics can be checked against.

All return float32 arrays: inputs (n, T, features) and targets; plus the ground truth a claim needs
(trigger positions, jump steps, reliability flags).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def long_range(n: int, T: int, seed: int = 0, noise: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """A symbol s in {-1, +1} at step 0 (channel 0, marked by channel 1), noise elsewhere; label = (s > 0).

    The label depends only on the first step, so a model must carry it across T - 1 steps of distraction.
    """
    if T < 2:
        raise ValueError("long_range needs T >= 2")
    rng = np.random.default_rng(seed)
    s = rng.choice([-1.0, 1.0], size=n)
    x = np.zeros((n, T, 2), np.float32)
    x[:, :, 0] = rng.normal(scale=noise, size=(n, T))
    x[:, 0, 0] = s
    x[:, 0, 1] = 1.0
    return x, (s > 0).astype(np.float32)[:, None]


def delayed_symbol(n: int, T: int, delay: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Like ``long_range`` but the symbol sits ``delay`` steps before the end (the dependency length)."""
    if not 0 < delay < T:
        raise ValueError("need 0 < delay < T")
    rng = np.random.default_rng(seed)
    s = rng.choice([-1.0, 1.0], size=n)
    x = np.zeros((n, T, 2), np.float32)
    x[:, :, 0] = rng.normal(size=(n, T))
    x[:, T - delay, 0] = s
    x[:, T - delay, 1] = 1.0
    return x, (s > 0).astype(np.float32)[:, None]


@dataclass
class TriggerData:
    x: np.ndarray
    y: np.ndarray
    trigger_pos: np.ndarray  # -1 where there is no trigger


def trigger_task(n: int, T: int, vocab: int = 6, p_trigger: float = 0.5, window: float = 0.25,
                 seed: int = 0) -> TriggerData:
    """Random tokens 1..vocab-1 (one-hot); with probability ``p_trigger`` token 0 (the trigger) appears once,
    uniformly in the first ``window`` of the sequence; label = trigger present."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, vocab, size=(n, T))
    has = rng.random(n) < p_trigger
    last = max(1, int(window * T))
    pos = np.where(has, rng.integers(0, last, size=n), -1)
    tokens[has, pos[has]] = 0
    x = np.eye(vocab, dtype=np.float32)[tokens]
    return TriggerData(x, has.astype(np.float32)[:, None], pos)


@dataclass
class PulseData:
    x: np.ndarray
    y: np.ndarray
    jumps: np.ndarray  # bool (n, T): the level changes at this step (step 0 counts as a jump)


def pulse_task(n: int, T: int, p_jump: float = 0.05, seed: int = 0, noise: float = 0.0) -> PulseData:
    """A piecewise-constant level (uniform in [-1, 1]) that jumps with probability ``p_jump`` per step;
    input = the level (+ optional noise), target = the level."""
    rng = np.random.default_rng(seed)
    jumps = rng.random((n, T)) < p_jump
    jumps[:, 0] = True
    levels = rng.uniform(-1, 1, size=(n, T))
    idx = np.maximum.accumulate(np.where(jumps, np.arange(T), 0), axis=1)
    y = np.take_along_axis(levels, idx, axis=1).astype(np.float32)
    x = (y + rng.normal(scale=noise, size=y.shape)).astype(np.float32) if noise else y.copy()
    return PulseData(x[..., None], y[..., None], jumps)


@dataclass
class FusionData:
    x: np.ndarray  # (n, T, 4): sensor 1, sensor 2, reliable 1, reliable 2
    y: np.ndarray  # (n, T, 1): hidden signal
    reliable: np.ndarray  # (n, T, 2) bool


def sensor_fusion(n: int, T: int, p_fail: float = 0.03, p_recover: float = 0.1, noise: float = 0.05,
                  bad_noise: float = 1.0, seed: int = 0) -> FusionData:
    """A hidden smooth signal read by two sensors whose reliability switches (a Markov chain: a reliable sensor
    fails with probability ``p_fail`` per step, an unreliable one recovers with ``p_recover``; stationary
    reliability p_recover / (p_fail + p_recover)).

    A reliable sensor reads signal + N(0, noise^2); an unreliable episode is either heavy noise
    N(0, bad_noise^2) around the signal or a value stuck at the episode's first reading (chosen at random).
    The reliability flags are inputs.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(T)
    freq = rng.uniform(0.02, 0.08, size=(n, 2))
    phase = rng.uniform(0, 2 * np.pi, size=(n, 2))
    s = (np.sin(2 * np.pi * freq[:, :1] * t + phase[:, :1]) + 0.5 * np.sin(2 * np.pi * freq[:, 1:] * t + phase[:, 1:]))
    reliable = np.ones((n, T, 2), bool)
    state = rng.random((n, 2)) < p_recover / (p_fail + p_recover)
    for k in range(T):
        flip = rng.random((n, 2)) < np.where(state, p_fail, p_recover)
        state = np.where(flip, ~state, state)
        reliable[:, k] = state
    readings = s[..., None] + rng.normal(scale=noise, size=(n, T, 2))
    heavy = s[..., None] + rng.normal(scale=bad_noise, size=(n, T, 2))
    out = np.where(reliable, readings, heavy)
    stuck = np.zeros((n, 2), bool)
    stuck_val = np.zeros((n, 2))
    for k in range(T):  # an unreliable episode starts: choose its mode; stuck episodes repeat their first reading
        starts = ~reliable[:, k] & (reliable[:, k - 1] if k else True)
        stuck = np.where(starts, rng.random((n, 2)) < 0.5, stuck)
        stuck_val = np.where(starts, readings[:, k], stuck_val)
        out[:, k] = np.where(~reliable[:, k] & stuck, stuck_val, out[:, k])
    x = np.concatenate([out, reliable.astype(float)], axis=-1).astype(np.float32)
    return FusionData(x, s[..., None].astype(np.float32), reliable)


# --- sensor-fusion baselines (same fit/predict shape as the LSTM; sequence targets) --------------


class SensorAverage:
    """Average of both sensors, ignoring the flags."""

    def fit(self, X, y, **_):
        return self

    def predict(self, X):
        return X[..., :2].mean(axis=-1, keepdims=True)


class ReliabilityWeighted:
    """Average of the sensors flagged reliable; when neither is, hold the previous estimate."""

    def fit(self, X, y, **_):
        return self

    def predict(self, X):
        w = X[..., 2:4]
        est = np.zeros(X.shape[:2])
        prev = X[:, 0, :2].mean(axis=-1)
        for k in range(X.shape[1]):
            tot = w[:, k].sum(axis=-1)
            cur = np.where(tot > 0, (X[:, k, :2] * w[:, k]).sum(axis=-1) / np.maximum(tot, 1), prev)
            est[:, k] = prev = cur
        return est[..., None]


class FlagKalman:
    """Kalman filter on a random-walk state; each sensor's measurement variance comes from its flag
    (``r_good`` when reliable, ``r_bad`` when not); process variance ``q`` is fitted on training targets."""

    def __init__(self, r_good: float = 0.05 ** 2, r_bad: float = 1e3):
        self.r_good, self.r_bad = r_good, r_bad

    def fit(self, X, y, **_):
        self.q_ = float(np.var(np.diff(np.asarray(y)[..., 0], axis=1)))
        return self

    def predict(self, X):
        n, T = X.shape[:2]
        m = X[:, 0, :2].mean(axis=-1)
        p = np.ones(n)
        out = np.zeros((n, T))
        for k in range(T):
            p = p + self.q_
            for j in range(2):
                r = np.where(X[:, k, 2 + j] > 0.5, self.r_good, self.r_bad)
                gain = p / (p + r)
                m = m + gain * (X[:, k, j] - m)
                p = (1 - gain) * p
            out[:, k] = m
        return out[..., None]

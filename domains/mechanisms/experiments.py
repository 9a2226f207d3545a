"""The registry of mechanism experiments and the runner that writes their report page."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import importlib

from common.claims import Claim, run_named


def _lazy(module: str, function: str) -> Callable:
    """Import the experiment only when it runs, so importing this package does not import Keras."""
    def run(profile: str, out: Path, seed: int = 0) -> Claim:
        return getattr(importlib.import_module(f"{__package__}.{module}"), function)(profile, out, seed)

    run.__name__ = f"{module}.{function}"
    return run


EXPERIMENTS: dict[str, Callable] = {
    "vanishing_gradient": _lazy("exp_gradients", "run"),
    "long_range_memory": _lazy("exp_memory", "run"),
    "trigger_word": _lazy("exp_gates", "run_trigger"),
    "leaky_integrator": _lazy("exp_gates", "run_leaky"),
    "truncated_bptt": _lazy("exp_truncation", "run"),
    "pulse_writing": _lazy("exp_pulse", "run"),
    "output_gate_reliability": _lazy("exp_gates", "run_reliability"),
    "gru_vs_lstm": _lazy("exp_gru", "run"),
}


def run_experiments(names: list[str], profile: str, out: str | Path, seed: int = 0,
                    log: Callable[[str], None] = print, run_name: str | None = None) -> tuple[Path, list[Claim]]:
    return run_named(EXPERIMENTS, names, profile, out, domain="mechanisms", seed=seed, run_name=run_name, log=log,
                     title="Mechanisms: the source text's LSTM claims, measured")

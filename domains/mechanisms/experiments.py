"""The registry of mechanism experiments and the runner that writes their report page."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from common.claims import Claim, run_named

from . import exp_gates, exp_gradients, exp_gru, exp_memory, exp_pulse, exp_truncation

EXPERIMENTS: dict[str, Callable] = {
    "vanishing_gradient": exp_gradients.run,
    "long_range_memory": exp_memory.run,
    "trigger_word": exp_gates.run_trigger,
    "leaky_integrator": exp_gates.run_leaky,
    "truncated_bptt": exp_truncation.run,
    "pulse_writing": exp_pulse.run,
    "output_gate_reliability": exp_gates.run_reliability,
    "gru_vs_lstm": exp_gru.run,
}


def run_experiments(names: list[str], profile: str, out: str | Path, seed: int = 0,
                    log: Callable[[str], None] = print, run_name: str | None = None) -> tuple[Path, list[Claim]]:
    return run_named(EXPERIMENTS, names, profile, out, domain="mechanisms", seed=seed, run_name=run_name, log=log,
                     title="Mechanisms: the source text's LSTM claims, measured")

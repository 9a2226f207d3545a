"""The registry of mechanism experiments and the runner that writes their report page."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from . import exp_gates, exp_gradients, exp_gru, exp_memory, exp_pulse, exp_truncation
from .runner import Claim, run_claim, write_report

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
    """Run the named experiments (``["all"]`` for every one); write each result and ``report.md``."""
    if names == ["all"]:
        names = list(EXPERIMENTS)
    unknown = [n for n in names if n not in EXPERIMENTS]
    if unknown:
        from common.domain import UnknownDomain

        raise UnknownDomain(f"unknown experiment(s) {unknown}; known: {', '.join(EXPERIMENTS)}")
    folder = Path(out) / f"mechanisms-experiments-{run_name or time.strftime('%Y%m%d-%H%M%S')}"
    claims = []
    for name in names:
        claim = run_claim(name, EXPERIMENTS[name], profile, folder, seed)
        verdict = {True: "held", False: "did NOT hold", None: "undecided"}[claim.held]
        log(f"[mechanisms] {name} ({profile}, {claim.seconds}s): {verdict}: {claim.summary}")
        claims.append(claim)
    report = write_report(claims, folder)
    log(f"[mechanisms] report: {report}")
    return folder, claims

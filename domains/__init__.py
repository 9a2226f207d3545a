"""Registered domains: name -> (module, one-line description).

Kept as plain strings so that ``lstm-suite list`` answers without importing any domain (or TensorFlow).
"""
from __future__ import annotations

DOMAINS: dict[str, tuple[str, str]] = {
    "engineering": ("domains.engineering", "turbofan remaining useful life, NASA C-MAPSS (offline default: generated engines)"),
    "genomics": ("domains.genomics", "enhancer identification from DNA, iEnhancer-2L (offline default: generated motif grammar)"),
    "social": ("domains.social", "long-horizon forecasting, ILI and exchange rate (offline default: statsmodels macrodata)"),
    "environmental": ("domains.environmental", "CAMELS-US streamflow and Beijing PM2.5 (offline default: statsmodels Mauna Loa CO2)"),
    "mechanisms": ("domains.mechanisms", "the source text's LSTM claims as self-checking experiments (generated data)"),
}


def get_domain(name: str):
    from common.domain import UnknownDomain, load_domain

    if name not in DOMAINS:
        raise UnknownDomain(f"unknown domain {name!r}; registered: {', '.join(DOMAINS)}")
    return load_domain(DOMAINS[name][0])

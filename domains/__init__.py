"""Registered domains: name -> (module, one-line description, the names ``--dataset`` takes; the quick default first).

Kept as plain strings so that ``lstm-suite list`` answers without importing any domain (or TensorFlow).
"""
from __future__ import annotations

DOMAINS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "engineering": ("domains.engineering", "turbofan remaining useful life, NASA C-MAPSS; SKAB anomalies "
                    "(--experiment skab) (offline default: generated engines)", ("generated", "cmapss", "fusion")),
    "genomics": ("domains.genomics", "enhancer identification from DNA, iEnhancer-2L or your FASTA "
                 "(offline default: generated motif grammar)", ("generated", "ienhancer2l", "long_range", "fasta")),
    "social": ("domains.social", "long-horizon forecasting (ILI, exchange rate), rolling-origin quantile forecasts "
               "(bikes, page views, ILINet), your CSV (offline default: statsmodels macrodata)",
               ("macrodata", "ili_national_illness", "exchange_rate", "bike_sharing_uci",
                "wikipedia_pageviews_peyton_manning", "cdc_ilinet", "csv")),
    "environmental": ("domains.environmental", "CAMELS-US streamflow or your basin CSVs, Beijing PM2.5 (offline "
                      "default: statsmodels Mauna Loa CO2)", ("co2", "camels", "camels_sacsma", "beijing_pm25", "beijing_multisite",
                                            "streamflow_csv")),
    "mechanisms": ("domains.mechanisms", "the source text's LSTM claims as self-checking experiments (generated data; "
                   "--experiment NAME|all)", ("long_range",)),
}


def get_domain(name: str):
    from common.config import nearest_names
    from common.domain import UnknownDomain, load_domain

    if name not in DOMAINS:
        raise UnknownDomain(f"unknown domain {name!r}{nearest_names(name, DOMAINS)}; registered: {', '.join(DOMAINS)}")
    return load_domain(DOMAINS[name][0])

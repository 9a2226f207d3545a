"""Social time series: long-horizon benchmark (ILI, exchange rate); offline default statsmodels macrodata."""
from .domain import DOMAIN

__all__ = ["DOMAIN"]

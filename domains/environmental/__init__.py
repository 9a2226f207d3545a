"""Environmental series: CAMELS-US streamflow and an offline CO2 forecast."""
from .domain import DOMAIN

__all__ = ["DOMAIN"]

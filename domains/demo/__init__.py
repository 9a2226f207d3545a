"""Demo domain: a generated seasonal series with an exogenous driver (simulated data, labelled as such).

It stands in for the real domains in the conformance and CLI tests until they land.
"""
from .domain import DOMAIN

__all__ = ["DOMAIN"]

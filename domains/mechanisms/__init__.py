"""Mechanisms: gate traces at work on the source text's LSTM experiments (all data generated)."""
from .domain import DOMAIN

__all__ = ["DOMAIN"]

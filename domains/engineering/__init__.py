"""Engineering sensors: turbofan remaining useful life (C-MAPSS) and its offline generated twin."""
from .domain import DOMAIN

__all__ = ["DOMAIN"]

"""Genomics: enhancer identification from DNA sequence (iEnhancer-2L; generated motif tasks offline)."""
from .domain import DOMAIN

__all__ = ["DOMAIN"]

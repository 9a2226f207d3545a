"""Simulated enhancer tasks for the offline default (labelled as simulated wherever shown).

``motif_grammar``: sequences in a background whose GC fraction is drawn from the same distribution for
both classes, each with an AP-1 site ``TGACTCA`` and a pair of planted elements 8..30 bp apart, so that
GC content carries no signal. The label is the *grammar*: an enhancer has an E-box ``CACGTG`` followed
by a GATA site ``AGATAA``; half the non-enhancers carry the same two sites in the other order (only
order separates them, which k-mer counts and a max-pooled CNN cannot see), the other half carry
shuffled decoys with the same letters (so GC content is identical).

``long_range``: sequences of varying length (up to several thousand bp) whose label is decided only by
one element planted near the *start* (far from the end a left-to-right reader finishes at): AP-1
``TGACTCA`` for an enhancer, the same letters shuffled (``TCAGTCA``, same composition) otherwise. The
other of the two is planted further in, so both classes hold one of each: counts (k-mers) carry no
signal, only the position does.
"""
from __future__ import annotations

import numpy as np

EBOX, GATA, AP1, AP1_DECOY = "CACGTG", "AGATAA", "TGACTCA", "TCAGTCA"
EBOX_DECOY, GATA_DECOY = "CGTCAG", "AATGAA"  # the same letters shuffled: GC content unchanged


def _background(rng: np.random.Generator, length: int, gc: float) -> list[str]:
    p = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
    return list(np.array(list("ACGT"))[rng.choice(4, size=length, p=p)])


def _plant(seq: list[str], site: str, pos: int) -> None:
    seq[pos:pos + len(site)] = list(site)


def motif_grammar(n: int = 2000, length: int = 200, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """``n`` sequences (half enhancers) and labels 0/1; see the module docstring."""
    if length < 120:
        raise ValueError("motif_grammar needs length >= 120")
    rng = np.random.default_rng(seed)
    seqs, labels = [], np.zeros(n, dtype=np.int64)
    for i in range(n):
        y = i % 2
        s = _background(rng, length, rng.uniform(0.35, 0.6))
        _plant(s, AP1, int(rng.integers(0, length - len(AP1))))  # a site both classes carry
        if y == 1:
            first, second, gap = EBOX, GATA, int(rng.integers(8, 31))
        elif rng.random() < 0.5:
            first, second, gap = GATA, EBOX, int(rng.integers(8, 31))  # the same sites in the wrong order
        else:
            first, second, gap = EBOX_DECOY, GATA_DECOY, int(rng.integers(8, 31))  # same letters, no sites
        span = len(first) + gap + len(second)
        start = int(rng.integers(0, length - span + 1))
        _plant(s, first, start)
        _plant(s, second, start + len(first) + gap)
        seqs.append("".join(s))
        labels[i] = y
    order = rng.permutation(n)
    return [seqs[j] for j in order], labels[order]


def long_range(n: int = 1000, min_length: int = 500, max_length: int = 3000, seed: int = 0
               ) -> tuple[list[str], np.ndarray]:
    """``n`` sequences of lengths in [min_length, max_length]; the deciding element sits in the first
    50 bp, so it lies at least ``min_length - 50`` bp from the end."""
    rng = np.random.default_rng(seed)
    seqs, labels = [], np.zeros(n, dtype=np.int64)
    for i in range(n):
        y = i % 2
        length = int(rng.integers(min_length, max_length + 1))
        s = _background(rng, length, rng.uniform(0.38, 0.55))
        first, other = (AP1, AP1_DECOY) if y else (AP1_DECOY, AP1)
        _plant(s, first, int(rng.integers(0, 50 - len(AP1))))
        _plant(s, other, int(rng.integers(100, length - len(other))))  # so both classes carry one of each
        seqs.append("".join(s))
        labels[i] = y
    order = rng.permutation(n)
    return [seqs[j] for j in order], labels[order]

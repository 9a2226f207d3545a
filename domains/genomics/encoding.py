"""Sequence encodings: one-hot (N as the uniform column), reverse complement, k-mer counts, GC content.

Channel order is A, C, G, T, so the complement of a one-hot row is the row reversed and the reverse
complement of a one-hot sequence is ``X[:, ::-1, ::-1]``.
"""
from __future__ import annotations

import numpy as np

from common.windows import PAD_VALUE, check_window_memory

ALPHABET = "ACGT"
_COMPLEMENT = str.maketrans("ACGTN", "TGCAN")
_CODE = np.full(256, -1, dtype=np.int8)
for _i, _b in enumerate(ALPHABET):
    _CODE[ord(_b)] = _i


def reverse_complement(seq: str) -> str:
    return seq.translate(_COMPLEMENT)[::-1]


def canonical(seq: str) -> str:
    """The strand-independent key of a sequence: the smaller of it and its reverse complement."""
    return min(seq, reverse_complement(seq))


def codes(seq: str) -> np.ndarray:
    """0..3 for A, C, G, T and -1 for N."""
    return _CODE[np.frombuffer(seq.encode("ascii"), dtype=np.uint8)]


def one_hot(seqs: list[str], length: int | None = None, pad: str = "zero") -> np.ndarray:
    """(n, length, 4) float32. ``N`` -> 0.25 in every channel (no information). Shorter sequences are
    right-padded with zero rows (``pad="zero"``, for convolutional models) or ``PAD_VALUE`` rows
    (``pad="mask"``, skipped by the builder's Masking layer). Longer sequences are an error here:
    crop them first with ``crop_center``."""
    length = length or max(len(s) for s in seqs)
    check_window_memory(len(seqs), length, 4, remedy="data.max_length crops every sequence to that many bases around "
                        "its centre", noun="one-hot sequences")
    fill = {"zero": 0.0, "mask": PAD_VALUE}[pad]
    out = np.full((len(seqs), length, 4), fill, dtype=np.float32)
    for i, s in enumerate(seqs):
        if len(s) > length:
            raise ValueError(f"sequence {i} has length {len(s)} > {length}; crop it first")
        c = codes(s)
        block = np.zeros((len(s), 4), dtype=np.float32)
        known = c >= 0
        block[np.flatnonzero(known), c[known]] = 1.0
        block[~known] = 0.25
        out[i, :len(s)] = block
    return out


def decode(X: np.ndarray) -> list[str]:
    """Inverse of ``one_hot`` (padding rows dropped, uniform rows back to ``N``)."""
    out = []
    for x in X:
        keep = (x >= 0).all(axis=1) & (x.sum(axis=1) > 0)
        rows = x[keep]
        letters = np.array(list(ALPHABET))[rows.argmax(axis=1)]
        letters[np.isclose(rows.max(axis=1), 0.25)] = "N"
        out.append("".join(letters))
    return out


def reverse_complement_one_hot(X: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(X)[:, ::-1, ::-1])


def crop_center(seq: str, length: int) -> str:
    """The central ``length`` bases (the stated rule for sequences longer than ``data.max_length``)."""
    if len(seq) <= length:
        return seq
    start = (len(seq) - length) // 2
    return seq[start:start + length]


def kmer_counts(seqs: list[str], k: int) -> np.ndarray:
    """(n, 4**k) counts of every k-mer (lexicographic order over ACGT); k-mers containing N are skipped."""
    out = np.zeros((len(seqs), 4 ** k), dtype=np.float32)
    weights = 4 ** np.arange(k - 1, -1, -1)
    for i, s in enumerate(seqs):
        c = codes(s).astype(np.int64)
        if len(c) < k:
            continue
        win = np.lib.stride_tricks.sliding_window_view(c, k)
        ok = (win >= 0).all(axis=1)
        out[i] = np.bincount(win[ok] @ weights, minlength=4 ** k)
    return out


def kmer_frequencies(seqs: list[str], ks=(1, 2, 3, 4, 5, 6)) -> np.ndarray:
    """Counts for each k normalised to frequencies per sequence, concatenated over ``ks``."""
    blocks = []
    for k in ks:
        c = kmer_counts(seqs, k)
        blocks.append(c / np.maximum(c.sum(axis=1, keepdims=True), 1.0))
    return np.concatenate(blocks, axis=1)


def gc_content(seqs: list[str]) -> np.ndarray:
    """(n, 1) fraction of G or C among the non-N bases."""
    out = np.zeros((len(seqs), 1), dtype=np.float32)
    for i, s in enumerate(seqs):
        known = len(s) - s.count("N")
        out[i, 0] = (s.count("G") + s.count("C")) / known if known else 0.5
    return out

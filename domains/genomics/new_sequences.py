"""New FASTA sequences as inputs of a finished genomics run (``lstm-suite predict RUN_DIR FILE...``).

The run's rules apply: the same reader (upper case, ``N`` uninformative, any other character an error), longer
sequences centre-cropped to the run's length, shorter ones padded as in the run, or refused when every training
sequence had one length (such a model never saw padding). A sequence found in the run's training data, on either
strand, is flagged: its score is a fitted value, not a prediction.
"""
from __future__ import annotations

import numpy as np

from common.domain import DataError, Prepared, count_of

from .data import find_shared
from .encoding import crop_center, one_hot
from .fasta import read_fasta


def new_inputs(prep: Prepared, cfg, opt, files: list[str]):
    from common.predict import NewInputs

    records = [r for f in files for r in read_fasta(f)]
    length = prep.extra["length"]
    if prep.fixed_length:
        short = next((r for r in records if len(r.seq) < length), None)
        if short is not None:
            raise DataError(f"{short.source}: record {short.id!r} has {len(short.seq)} bp; the run's model reads "
                            f"sequences of exactly {length} bp (every training sequence had that length, so it never "
                            "saw padding); longer sequences are centre-cropped, shorter ones cannot be scored")
    seqs = [r.seq for r in records]
    X = one_hot([crop_center(s, length) for s in seqs], length, pad=prep.extra["pad"])
    shared = find_shared(prep.extra["train_seqs"], seqs)
    in_training = [""] * len(records)
    train_ids = prep.extra["train_ids"]
    for j, i, strand in zip(shared.test_index, shared.train_index, shared.strand):
        in_training[j] = f"{train_ids[i]} ({'same strand' if strand == 'same' else strand})"
    notes = []
    if len(shared):
        notes.append(f"{len(shared)} of the {count_of(len(records), 'sequence')} "
                     f"{'is' if len(shared) == 1 else 'are'} in the run's training data (column in_training): "
                     "their scores are fitted values, not predictions")
    cropped = sum(len(s) > length for s in seqs)
    if cropped:
        notes.append(f"{count_of(cropped, 'sequence')} longer than {length} bp {'was' if cropped == 1 else 'were'} "
                     f"centre-cropped to {length} bp, as in the run")
    negative, positive = prep.extra["classes"]

    def label(p: np.ndarray) -> dict[str, list]:
        return {"predicted": [positive if v >= 0.5 else negative for v in np.ravel(p)]}

    keys = {"file": [r.source for r in records], "record": [r.number for r in records], "id": [r.id for r in records],
            "length": [len(s) for s in seqs], "in_training": in_training,
            "target": [prep.target_names[0]] * len(records)}
    return NewInputs(X=X, keys=keys, label=label, notes=notes)

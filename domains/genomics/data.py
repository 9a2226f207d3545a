"""Labelled sequence sets: the iEnhancer-2L benchmark, user FASTA files, the generated tasks; the
train/test duplicate audit on both strands, the leak-free variant and the stratified validation split."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from common.domain import DataError, count_of
from common.evaluation import LeakageReport

from .encoding import canonical
from .fasta import label_records, labels_from_csv, read_fasta

IENHANCER_FILES = {"strong": ("train_strong_enhancers.txt", "test_strong_enhancers.txt"),
                   "weak": ("train_weak_enhancers.txt", "test_weak_enhancers.txt"),
                   "non": ("train_non_enhancers.txt", "test_non_enhancers.txt")}


@dataclass
class SequenceSet:
    seqs: list[str]
    y: np.ndarray  # 0/1
    ids: list[str] = field(default_factory=list)
    classes: tuple[str, ...] = ()  # the label names of class 0 and class 1, where the data came with names

    def __post_init__(self):
        self.y = np.asarray(self.y, dtype=np.int64)
        if not self.ids:
            self.ids = [f"seq{i}" for i in range(len(self.seqs))]
        if not (len(self.seqs) == len(self.y) == len(self.ids)):
            raise DataError("sequences, labels and ids differ in number")

    def take(self, idx) -> "SequenceSet":
        idx = np.asarray(idx, dtype=np.int64)
        return SequenceSet([self.seqs[i] for i in idx], self.y[idx], [self.ids[i] for i in idx], self.classes)

    def __len__(self) -> int:
        return len(self.seqs)


def load_ienhancer(folder: Path, layer: int) -> tuple[SequenceSet, SequenceSet]:
    """Layer 1: enhancers (strong + weak) = 1 vs non-enhancers = 0. Layer 2: strong = 1 vs weak = 0."""
    classes = {1: {"strong": 1, "weak": 1, "non": 0}, 2: {"strong": 1, "weak": 0}}[layer]
    parts = {}
    for which, col in (("train", 0), ("test", 1)):
        seqs, ys, ids = [], [], []
        for cls, label in classes.items():
            recs = read_fasta(Path(folder) / IENHANCER_FILES[cls][col])
            seqs += [r.seq for r in recs]
            ys += [label] * len(recs)
            ids += [f"{cls}:{r.number}:{r.id}" for r in recs]
        parts[which] = SequenceSet(seqs, np.array(ys), ids)
    return parts["train"], parts["test"]


def load_user_fasta(files: tuple[str, ...], file_labels: tuple[str, ...], label_csv: str, header_pattern: str,
                    positive: str, classes: tuple[str, ...] = (), looked_up: set[str] | None = None) -> SequenceSet:
    """User FASTA files with labels from one of: a label per file, an ``id,label`` CSV, a header pattern.
    Exactly two label values are allowed; ``positive`` names class 1 (default: the later one in sort order).
    ``classes`` (a test set): the training set's class names, which the labels must come from (one is enough).
    ``looked_up``: a set that collects the record ids looked up in the label CSV."""
    ways = [bool(file_labels), bool(label_csv), bool(header_pattern)]
    if sum(ways) != 1:
        raise DataError("user FASTA data needs exactly one of data.file_labels, data.label_csv, data.header_pattern")
    if file_labels and len(file_labels) != len(files):
        raise DataError(f"data.file_labels has {count_of(len(file_labels), 'entry', 'entries')} "
                        f"for {count_of(len(files), 'FASTA file')}")
    table = labels_from_csv(label_csv) if label_csv else None
    seqs, labels, ids = [], [], []
    for i, f in enumerate(files):
        recs = read_fasta(f)
        if file_labels:
            lab = label_records(recs, label=file_labels[i])
        elif table is not None:
            lab = label_records(recs, labels=table)
            if looked_up is not None:
                looked_up.update(r.id for r in recs)
        else:
            lab = label_records(recs, header_pattern=header_pattern)
        seqs += [r.seq for r in recs]
        labels += lab
        ids += [f"{Path(f).name}:{r.number}:{r.id}" for r in recs]
    values = sorted(set(labels))
    if classes:
        unknown = sorted(set(values) - set(classes))
        if unknown:
            raise DataError(f"{', '.join(files)}: test label(s) {unknown} are not among the training labels "
                            f"{sorted(classes)}")
        pos = classes[1]
    else:
        if len(values) != 2:
            raise DataError(f"{', '.join(files)}: expected exactly two label values, found {values}")
        pos = positive or values[1]
        if pos not in values:
            raise DataError(f"data.positive = {pos!r} is not one of the labels {values}")
    names = tuple(classes) or (next(v for v in values if v != pos), pos)
    return SequenceSet(seqs, np.array([int(v == pos) for v in labels]), ids, names)


def unused_labels(label_csv: str, looked_up: set[str]) -> list[str]:
    """A note when ids of the label CSV name no record of the FASTA files read (a file left out of the lists?)."""
    table = labels_from_csv(label_csv)
    extra = [rid for rid in table if rid not in looked_up]
    if not extra:
        return []
    one = len(extra) == 1
    return [f"{label_csv}: {len(extra)} of its {count_of(len(table), 'labelled id')} {'names' if one else 'name'} no "
            f"record of the FASTA files (e.g. {extra[:3]}); {'it was' if one else 'they were'} not used"]


@dataclass
class SharedSequences:
    """Test sequences that also occur in training, on either strand."""

    test_index: list[int]
    train_index: list[int]
    strand: list[str]  # "same" or "reverse complement"

    def __len__(self) -> int:
        return len(self.test_index)


def find_shared(train: list[str], test: list[str]) -> SharedSequences:
    keys: dict[str, int] = {}
    for i, s in enumerate(train):
        keys.setdefault(canonical(s), i)
    found = SharedSequences([], [], [])
    for j, s in enumerate(test):
        i = keys.get(canonical(s))
        if i is not None:
            found.test_index.append(j)
            found.train_index.append(i)
            found.strand.append("same" if train[i] == s else "reverse complement")
    return found


def audit_sequences(train: SequenceSet, fit: SequenceSet, val: SequenceSet, test: SequenceSet, removed: int,
                    layer2_note: bool) -> tuple[LeakageReport, dict]:
    """Exact duplicates (both strands) of test in all training data (``train``), of validation in the part
    the model is fitted on (``fit``), and training or test sequences that carry both labels."""
    rep = LeakageReport()
    shared = find_shared(train.seqs, test.seqs)
    rep.duplicates_train_test = len(shared)
    if len(shared):
        rc = shared.strand.count("reverse complement")
        by_class = {int(c): int(np.sum(test.y[shared.test_index] == c)) for c in (0, 1)}
        rep.findings.append(f"{len(shared)} of {len(test)} test sequences also occur in training "
                            f"({rc} of them as reverse complements; by test class {by_class})")
        if layer2_note:
            rep.findings.append("layer-2 results on this split are inflated by the leak")
    rep.duplicates_train_val = len(find_shared(fit.seqs, val.seqs)) if len(val) else 0
    if rep.duplicates_train_val:
        n = rep.duplicates_train_val
        rep.findings.append(f"{count_of(n, 'validation sequence')} also {'occurs' if n == 1 else 'occur'} in training")
    if removed:
        rep.notes.append(f"leak-free split: {count_of(removed, 'training sequence')} that "
                         f"{'occurs' if removed == 1 else 'occur'} in the test set removed")
    for name, part in (("training", train), ("test", test)):
        conflicts = _both_labels(part)
        if conflicts:
            rep.findings.append(f"{count_of(conflicts, name + ' sequence')} {'occurs' if conflicts == 1 else 'occur'} "
                                f"with both labels")
    listing = {"test_ids": [test.ids[j] for j in shared.test_index],
               "train_ids": [train.ids[i] for i in shared.train_index], "strand": shared.strand}
    return rep, listing


def _both_labels(data: SequenceSet) -> int:
    """How many distinct sequences (either strand) of ``data`` carry both labels."""
    labels: dict[str, set] = {}
    for s, y in zip(data.seqs, data.y):
        labels.setdefault(canonical(s), set()).add(int(y))
    return sum(len(v) > 1 for v in labels.values())


def drop_leaked(train: SequenceSet, test: SequenceSet) -> tuple[SequenceSet, int]:
    """The leak-free variant: training minus every sequence that occurs in test on either strand."""
    test_keys = {canonical(s) for s in test.seqs}
    keep = [i for i, s in enumerate(train.seqs) if canonical(s) not in test_keys]
    return train.take(keep), len(train) - len(keep)


def stratified_groups(data: SequenceSet) -> np.ndarray:
    """Group id per sequence = its canonical form, so a sequence and its reverse complement never split."""
    index: dict[str, int] = {}
    return np.array([index.setdefault(canonical(s), len(index)) for s in data.seqs])


def folds(data: SequenceSet, n_splits: int, seed: int, what: str = ""):
    """Stratified, strand-grouped folds: (train_idx, held_idx) pairs. ``what`` names the data in errors."""
    from sklearn.model_selection import StratifiedGroupKFold

    where = f"{what}: " if what else ""
    groups = stratified_groups(data)
    distinct = [len(set(groups[data.y == c].tolist())) for c in (0, 1)]
    if min(distinct) < n_splits:
        raise DataError(f"{where}{_count(distinct[0], 'distinct sequence')} of class 0 and {distinct[1]} of class 1 "
                        f"(a sequence and its reverse complement count once); a {n_splits}-fold stratified, "
                        f"strand-grouped split needs at least {n_splits} of each class "
                        f"(records per class {np.bincount(data.y, minlength=2).tolist()})")
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return list(cv.split(np.zeros(len(data)), data.y, groups))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def holdout(data: SequenceSet, fraction: float, seed: int, what: str = "") -> tuple[SequenceSet, SequenceSet]:
    """A stratified, strand-grouped hold-out of about ``fraction`` of ``data``."""
    n_splits = max(2, int(round(1 / fraction)))
    tr, held = folds(data, n_splits, seed, what)[0]
    return data.take(tr), data.take(held)

"""Genomics: enhancer identification from DNA sequence, iEnhancer-2L (offline default: generated motif grammar).

Datasets: ``ienhancer2l`` (real; layer 1 enhancer vs non-enhancer, layer 2 strong vs weak; ``data.split``
standard or leak_free), ``generated`` (simulated motif grammar), ``long_range`` (simulated, the deciding
element far from the sequence end), ``fasta`` (your own FASTA files and labels).
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.config import ModelSpec, RunConfig, TrainSpec, option
from common.domain import DataError, Domain, Prepared, count_of

from .baselines import GCContent, KmerModel, PlainCNN
from .data import (SequenceSet, audit_sequences, drop_leaked, holdout, load_ienhancer, load_user_fasta,
                   unused_labels)
from .encoding import crop_center, one_hot, reverse_complement_one_hot
from .generated import long_range, motif_grammar
from .new_sequences import new_inputs

PUBLISHED = Path(__file__).with_name("published.csv")
METRICS = ("accuracy", "mcc", "auroc", "auprc", "sensitivity", "specificity")
SIMULATED = "simulated, not real data"
FASTA = ("fasta",)
CLASSES = {("ienhancer2l", 1): ("non-enhancer", "enhancer"), ("ienhancer2l", 2): ("weak enhancer", "strong enhancer"),
           ("generated", 1): ("background", "enhancer"), ("long_range", 1): ("decoy site first", "AP-1 site first")}


@dataclass(frozen=True)
class GenomicsOptions:
    """The ``[data]`` options; ``option(datasets=...)`` names the datasets one applies to (setting it for another
    dataset is an error)."""

    layer: int = option(1, datasets=("ienhancer2l",))  # 1 = enhancer vs non-enhancer, 2 = strong vs weak enhancer
    split: str = "standard"  # standard | leak_free (training minus sequences found in test, on either strand)
    val_fraction: float = 0.1  # stratified, strand-grouped hold-out of training for early stopping
    seed: int = 0  # data seed (generation, validation hold-out)
    rc_augment: bool = True  # add reverse complements to the LSTM's training data
    strand_average: bool = True  # average each model's prediction over both strands at test time
    max_length: int = 0  # 0: the longest sequence; longer sequences are centre-cropped to this length
    generated_sequences: int = option(3000, min=20, datasets=("generated",))
    generated_length: int = option(200, min=120, datasets=("generated",))  # the motif grammar needs 120 bp
    long_range_sequences: int = option(800, min=20, datasets=("long_range",))
    # the long-range task's longest sequence; its shortest is a quarter of it, which must leave room for the decoy
    long_range_length: int = option(2000, min=440, datasets=("long_range",))
    fasta_train: tuple[str, ...] = option((), datasets=FASTA)  # training FASTA files
    # optional; without it a stratified 20% of fasta_train is held out
    fasta_test: tuple[str, ...] = option((), datasets=FASTA)
    # one label per FASTA file (train files, then test files) ...
    file_labels: tuple[str, ...] = option((), datasets=FASTA, repeats=True)
    label_csv: str = option("", datasets=FASTA)  # ... or an id,label CSV ...
    # ... or a regex whose first group, matched on the header, is the label
    header_pattern: str = option("", datasets=FASTA)
    # the label value that is class 1 (default: the later of the two in sort order)
    positive: str = option("", datasets=FASTA)


def _sets(cfg: RunConfig, opt: GenomicsOptions) -> tuple[SequenceSet, SequenceSet, str, tuple[str, str], int,
                                                          list[str]]:
    """Training and test sets, their label and published-results key, the number of training sequences the
    leak-free split removed (every dataset: those found in test on either strand), and notes on the data read."""
    train, test, label, key, notes = _raw_sets(cfg, opt)
    if opt.split != "leak_free":
        return train, test, label, key, 0, notes
    train, removed = drop_leaked(train, test)
    return train, test, f"{label}; leak-free: {removed} training sequences found in test removed", key, removed, notes


def _raw_sets(cfg: RunConfig, opt: GenomicsOptions) -> tuple[SequenceSet, SequenceSet, str, tuple[str, str],
                                                              list[str]]:
    dataset = cfg.dataset or "ienhancer2l"
    if dataset == "ienhancer2l":
        if opt.layer not in (1, 2):
            raise DataError(f"data.layer must be 1 or 2, not {opt.layer}")
        from common.download import dataset_dir

        train, test = load_ienhancer(dataset_dir("ienhancer2l"), opt.layer)
        task = "enhancer vs non-enhancer" if opt.layer == 1 else "strong vs weak enhancer"
        label = f"iEnhancer-2L train / iEnhancer-EL independent test (real), layer {opt.layer}: {task}, {opt.split} split"
        return train, test, label, ("ienhancer2l", f"layer{opt.layer}"), []
    if dataset == "generated":
        seqs, y = motif_grammar(opt.generated_sequences, opt.generated_length, opt.seed)
        label = f"generated motif-grammar enhancers ({SIMULATED})"
    elif dataset == "long_range":
        seqs, y = long_range(opt.long_range_sequences, opt.long_range_length // 4, opt.long_range_length, opt.seed)
        label = f"generated long-range task, deciding element far from the end ({SIMULATED})"
    elif dataset == "fasta":
        if not opt.fasta_train:
            raise DataError("dataset 'fasta' needs data.fasta_train (a list of FASTA files)")
        n_train = len(opt.fasta_train)
        labels = opt.file_labels
        n_files = n_train + len(opt.fasta_test)
        if labels and len(labels) != n_files:
            raise DataError(f"data.file_labels has {count_of(len(labels), 'entry', 'entries')} "
                            f"for {count_of(n_files, 'FASTA file')} ({n_train} training, "
                            f"{len(opt.fasta_test)} test): one label per file, the training files first")
        source = f"user FASTA {', '.join(opt.fasta_train)}"
        looked_up: set[str] = set()
        train = load_user_fasta(opt.fasta_train, labels[:n_train], opt.label_csv, opt.header_pattern, opt.positive,
                                looked_up=looked_up)
        test = None
        if opt.fasta_test:
            test = load_user_fasta(opt.fasta_test, labels[n_train:], opt.label_csv, opt.header_pattern,
                                   opt.positive, classes=train.classes, looked_up=looked_up)
        notes = unused_labels(opt.label_csv, looked_up) if opt.label_csv else []
        negative, positive = train.classes
        if not opt.positive and re.match(r"non|(not|no|neg|negative|background|bg|false|other)\b", positive,
                                         re.IGNORECASE):
            notes.append(f"class 1 (the positive class of sensitivity and AUPRC) is {positive!r}, the later label in "
                         f"sort order; set data.positive = {negative!r} if that is the class to detect")
        if test is None:
            train, test = holdout(train, 0.2, opt.seed, what=source)
        return train, test, source, ("", ""), notes
    else:
        raise DataError(f"genomics has datasets 'ienhancer2l', 'generated', 'long_range' and 'fasta', not {dataset!r}")
    data = SequenceSet(seqs, y)
    train, test = holdout(data, 0.2, opt.seed, what=label)
    return train, test, label, ("", ""), []


def prepare(cfg: RunConfig, opt: GenomicsOptions) -> Prepared:
    if opt.split not in ("standard", "leak_free"):
        raise DataError(f"data.split must be standard or leak_free, not {opt.split!r}")
    if not 0 < opt.val_fraction < 0.5:
        raise DataError("data.val_fraction must be in (0, 0.5)")
    train_all, test, label, key, removed, data_notes = _sets(cfg, opt)
    train, val = holdout(train_all, opt.val_fraction, opt.seed, what=f"the training set of {label} (validation split)")
    lengths = [len(s) for s in train_all.seqs + test.seqs]
    length = opt.max_length or max(lengths)
    cropped = sum(n > length for n in lengths)
    varying = len(set(lengths)) > 1
    pad = "mask" if varying and not cfg.model.conv_filters else "zero"

    def encode(s: SequenceSet) -> np.ndarray:
        return one_hot([crop_center(q, length) for q in s.seqs], length, pad=pad)

    audit, shared = audit_sequences(train_all, train, val, test, removed, layer2_note=key[1] == "layer2" and opt.split == "standard")
    audit.notes.extend(data_notes)
    if len(set(test.y.tolist())) == 1:
        audit.notes.append(f"the test set holds class {int(test.y[0])} only: AUROC, AUPRC and the other class's rate are "
                           "undefined (nan), and MCC is 0 by convention")
    if cropped:
        audit.notes.append(f"{count_of(cropped, 'sequence')} longer than {length} bp "
                           f"{'was' if cropped == 1 else 'were'} "
                           f"centre-cropped to {length} bp")
    Xtr, Xva, Xte = encode(train), encode(val), encode(test)
    col = lambda s: s.y.astype(np.float32).reshape(-1, 1)  # noqa: E731
    overrides = {"head": "binary", "n_targets": 1}
    if pad == "mask":
        overrides["masking"] = True
    augment = (lambda X, y: (np.concatenate([X, reverse_complement_one_hot(X)]), np.concatenate([y, y]))) \
        if opt.rc_augment else None
    views = (lambda X: [X, reverse_complement_one_hot(X)]) if opt.strand_average else None
    classes = train_all.classes or CLASSES.get((cfg.dataset or "ienhancer2l", opt.layer), ("class 0", "class 1"))
    split = {"kind": "stratified", "n_train": len(train), "n_val": len(val), "n_test": len(test),
             "class_counts_train": np.bincount(train.y, minlength=2).tolist(),
             "class_counts_test": np.bincount(test.y, minlength=2).tolist(), "removed_leaked": removed,
             "length": length, "padding": pad if varying else "none", "shared_with_training": shared}
    return Prepared(X_train=Xtr, y_train=col(train), X_val=Xva, y_val=col(val), X_test=Xte, y_test=col(test),
                    metrics=METRICS, data_label=label, model_overrides=overrides, split=split, audit=audit,
                    published_key=key, fixed_length=not varying,
                    unscaled_reason="one-hot DNA needs no scaling", augment=augment, test_views=views,
                    test_keys={"id": list(test.ids)},
                    target_names=(f"label (1 = {classes[1]})",),
                    extra={"test_ids": test.ids, "test_seqs": [crop_center(q, length) for q in test.seqs],
                           "task": cfg.dataset or "ienhancer2l", "length": length, "pad": pad,
                           "train_seqs": train_all.seqs, "train_ids": train_all.ids,
                           "classes": classes})


def baselines(prep: Prepared, cfg: RunConfig) -> dict:
    quick = cfg.profile == "quick"
    return {"GC content (logistic)": GCContent(),
            "k-mer 1..6 (logistic)": KmerModel("logistic"),
            "k-mer 1..6 (gradient boosting)": KmerModel("gbm", max_iter=150 if quick else 300),
            "plain CNN (no recurrence)": PlainCNN(epochs=10 if quick else 30, seed=cfg.training.seed)}


def danq(units: int = 32, filters: int = 64, dropout: float = 0.3) -> ModelSpec:
    """DanQ-style: Conv1D motif scanner -> max-pool -> bidirectional LSTM -> dense head."""
    return ModelSpec(conv_filters=filters, conv_kernel=9, conv_pool=4, units=(units,), bidirectional=True,
                     dropout=dropout, head="binary", head_units=32)


def bilstm(units: int = 32, dropout: float = 0.2) -> ModelSpec:
    return ModelSpec(units=(units,), bidirectional=True, dropout=dropout, head="binary", head_units=32)


CANDIDATES = {"danq": danq, "danq_wide": lambda: danq(units=64, filters=128), "bilstm": bilstm}  # CV candidates


def default_config(profile: str = "quick") -> RunConfig:
    if profile == "quick":
        return RunConfig(domain="genomics", dataset="generated", profile="quick",
                         model=dataclasses.replace(danq(), learning_rate=0.003),
                         training=TrainSpec(epochs=20, batch_size=64, patience=6))
    return RunConfig(domain="genomics", dataset="ienhancer2l", profile="full", model=danq(),
                     training=TrainSpec(epochs=40, batch_size=64, patience=6, lr_schedule="plateau", seeds=5),
                     data={"layer": 1, "split": "standard"})


def smoke_config() -> RunConfig:
    return RunConfig(domain="genomics", dataset="generated", model=danq(units=4, filters=4),
                     training=TrainSpec(epochs=1, batch_size=128),
                     data={"generated_sequences": 120, "generated_length": 120})


def plots(prep: Prepared, est, predictions: dict, run_dir: Path) -> list[Path]:
    from .interpret import chosen_sequence, gate_plot, mutagenesis, mutagenesis_plot

    i = chosen_sequence(prep, est)
    delta = mutagenesis(est, prep.X_test[i])
    figures = [mutagenesis_plot(prep, i, delta, run_dir)]
    gates = gate_plot(prep, est, i, delta, run_dir)
    return figures + ([gates] if gates else [])


DOMAIN = Domain(name="genomics", description=__doc__.splitlines()[0], datasets=("ienhancer2l",),
                options=GenomicsOptions, default_config=default_config, prepare=prepare, baselines=baselines,
                smoke_config=smoke_config, published=PUBLISHED, generated=True, plots=plots,
                new_inputs=new_inputs)

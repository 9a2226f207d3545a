"""Genomics: FASTA parsing and labels, encodings, the both-strand duplicate audit, the leak-free split,
generated tasks, and end-to-end runs (generated; real iEnhancer-2L through the mirror)."""
import itertools

import numpy as np
import pytest

from common.config import RunConfig, validate_options
from common.domain import DataError
from domains.genomics.data import SequenceSet, audit_sequences, drop_leaked, find_shared, holdout, load_user_fasta
from domains.genomics.domain import DOMAIN
from domains.genomics.encoding import (canonical, crop_center, decode, gc_content, kmer_counts, one_hot,
                                       reverse_complement, reverse_complement_one_hot)
from domains.genomics.fasta import label_records, labels_from_csv, read_fasta
from domains.genomics.generated import EBOX, GATA, long_range, motif_grammar
from tests.conftest import real_data_or_skip

RNG = np.random.default_rng(7)


def random_seq(n: int) -> str:
    return "".join(RNG.choice(list("ACGT"), n))


def write(path, text: str, crlf: bool = False):
    path.write_bytes(text.replace("\n", "\r\n").encode() if crlf else text.encode())
    return path


# --- FASTA --------------------------------------------------------------------------------------


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_record_or_id(tmp_path):
    # Notepad and Excel write one; before, the FASTA was "not FASTA" and the label CSV's first id never matched
    bom = "\ufeff"
    fa = tmp_path / "bom.fa"
    fa.write_text(bom + ">r0\nACGT\n>r1\nGGCC\n", encoding="utf-8")
    assert [(r.id, r.seq) for r in read_fasta(fa)] == [("r0", "ACGT"), ("r1", "GGCC")]
    for text in ("r0,enh\nr1,bg\n", "id,label\nr0,enh\nr1,bg\n"):
        (tmp_path / "labels.csv").write_text(bom + text, encoding="utf-8")
        assert labels_from_csv(tmp_path / "labels.csv") == {"r0": "enh", "r1": "bg"}


def test_reads_wrapped_unwrapped_crlf_and_lower_case(tmp_path):
    a, b = random_seq(130), random_seq(70)
    wrapped = "\n".join(a[i:i + 60] for i in range(0, len(a), 60))
    f = write(tmp_path / "x.fa", f">one first record\n{wrapped.lower()}\n>two\n{b}\n", crlf=True)
    recs = read_fasta(f)
    assert [r.id for r in recs] == ["one", "two"]
    assert recs[0].seq == a and recs[1].seq == b  # upper-cased, line breaks and CR removed


def test_gzipped_fasta_is_read_as_the_plain_file(tmp_path):
    """Before: a .fa.gz (how genomes and sequence sets are usually shipped; bgzip writes several gzip members)
    stopped with "not a text FASTA file ('utf-8' codec can't decode byte 0x8b ...)"."""
    import gzip

    text = ">one\nACGTACGT\nacgt\n>two\nGGCCNN\n"
    plain = write(tmp_path / "x.fa", text, crlf=True)
    packed = tmp_path / "x.fa.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()[:14]) + gzip.compress(plain.read_bytes()[14:]))
    assert [(r.id, r.seq) for r in read_fasta(packed)] == [(r.id, r.seq) for r in read_fasta(plain)]
    (tmp_path / "broken.fa.gz").write_bytes(gzip.compress(text.encode())[:-12])
    with pytest.raises(DataError, match=r"broken.fa.gz: a gzip file that does not decompress \(.*\)"):
        read_fasta(tmp_path / "broken.fa.gz")


def test_n_is_kept_and_encoded_as_uniform(tmp_path):
    recs = read_fasta(write(tmp_path / "n.fa", ">s\nACNNgt\n"))
    assert recs[0].seq == "ACNNGT"
    X = one_hot([recs[0].seq])
    np.testing.assert_allclose(X[0, 2], [0.25] * 4)
    np.testing.assert_allclose(X[0, 0], [1, 0, 0, 0])


@pytest.mark.parametrize("text, problem", [
    (">s\nACGTXAC\n", r"record 's' has invalid character 'X' at position 5 \(only A, C, G, T and N are accepted\)$"),
    (">s\nACGUAC\n", r"invalid character 'U' at position 4 \(only A, C, G, T and N are accepted; an RNA sequence\? "
                     r"write T for U\)"),
    (">s\nACGTRYAC\n", r"invalid character 'R' at position 5 \(only A, C, G, T and N are accepted; 'R' is an IUPAC "
                       r"ambiguity code: write N for it, as for any base not known\)"),
    (">s\nACGT\n>t\n\n>u\nAC\n", r"record 't' has an empty sequence"),
    (">s\nACGT\n>s\nAC\n", r"duplicate record header 's'"),
    ("ACGT\n>s\nAC\n", r"first non-empty line does not start with '>'"),
    ("", r"empty file: no FASTA records"),
    ("\n  \n", r"empty file: no FASTA records"),
])
def test_bad_fasta_names_file_record_and_problem(tmp_path, text, problem):
    with pytest.raises(DataError, match=problem) as err:
        read_fasta(write(tmp_path / "bad.fa", text))
    assert "bad.fa" in str(err.value)


@pytest.mark.parametrize("content, problem", [
    (b"id,label\na,1\nb,\n", r"line 3: empty id or label"),
    (b"id,label\n,1\n", r"line 2: empty id or label"),
    (b"id,label\na,1\na,0\n", r"id 'a' is labelled twice \(line 3\)"),
    (b"id,label\na,caf\xe9\n", r"not a UTF-8 text file"),
    (b"a,1,2\n", r"line 1 has 3 fields"),
    (b"id;label\na;1\n", r"line 1 has 1 field; expected 'id,label' \(comma-separated; this line holds ';'\)"),
])
def test_bad_label_csv_names_file_line_and_problem(tmp_path, content, problem):
    (tmp_path / "labels.csv").write_bytes(content)
    with pytest.raises(DataError, match=problem) as err:
        labels_from_csv(tmp_path / "labels.csv")
    assert "labels.csv" in str(err.value)


def test_labels_from_file_csv_and_header_pattern(tmp_path):
    f = write(tmp_path / "x.fa", ">a class=pos\nACGT\n>b class=neg\nGGCC\n")
    recs = read_fasta(f)
    assert label_records(recs, label="pos") == ["pos", "pos"]
    csv = write(tmp_path / "labels.csv", "id,label\na,1\nb,0\n")
    assert label_records(recs, labels=labels_from_csv(csv)) == ["1", "0"]
    same_id = read_fasta(write(tmp_path / "same.fa", ">a range=1\nACGT\n>a range=2\nGGCC\n"))
    assert [r.number for r in same_id] == [1, 2]  # repeated ids with distinct headers are read ...
    with pytest.raises(DataError, match="occur more than once"):  # ... but cannot be labelled by id
        label_records(same_id, labels={"a": "1"})
    data = load_user_fasta((str(f),), (), "", r"class=(\w+)", "pos")
    assert data.y.tolist() == [1, 0] and all(":" in i for i in data.ids)
    write(tmp_path / "partial.csv", "a,1\n")
    with pytest.raises(DataError, match="1 record has no label"):
        load_user_fasta((str(f),), (), str(tmp_path / "partial.csv"), "", "")
    with pytest.raises(DataError, match="does not match pattern") as err:
        load_user_fasta((str(f),), (), "", r"kind=(\w+)", "")
    # the pattern as the user wrote it (its repr doubled each backslash: 'kind=(\\w+)')
    assert "pattern 'kind=(\\w+)'" in str(err.value), str(err.value)
    for pattern, problem in ((r"kind=\w+", "needs one capturing group"), (r"kind=(\w+", "not a valid regular")):
        with pytest.raises(DataError, match=problem) as err:
            load_user_fasta((str(f),), (), "", pattern, "")
        assert f"pattern '{pattern}'" in str(err.value), str(err.value)
    with pytest.raises(DataError, match="exactly two label values"):
        load_user_fasta((str(f),), ("x",), "", "", "")


def test_a_test_file_takes_the_training_classes(tmp_path):
    """Before: the test files had to hold both labels themselves ('expected exactly two label values, found
    ['enh']' for a test set of enhancers only), and class 1 was chosen again from the test labels."""
    pos = write(tmp_path / "pos.fa", "".join(f">p{i}\n{random_seq(30)}\n" for i in range(30)))
    neg = write(tmp_path / "neg.fa", "".join(f">n{i}\n{random_seq(30)}\n" for i in range(30)))
    train = load_user_fasta((str(pos), str(neg)), ("enh", "bg"), "", "", "")
    assert train.classes == ("bg", "enh") and train.y.tolist() == [1] * 30 + [0] * 30
    test = load_user_fasta((str(pos),), ("enh",), "", "", "", classes=train.classes)
    assert test.y.tolist() == [1] * 30 and test.classes == train.classes
    from common.config import RunConfig, validate_options
    from domains.genomics.domain import DOMAIN

    data = {"fasta_train": [str(pos), str(neg)], "fasta_test": [str(pos)], "file_labels": ["enh", "bg", "enh"]}
    cfg = RunConfig(domain="genomics", dataset="fasta", data=data)
    notes = DOMAIN.prepare(cfg, validate_options(DOMAIN.options, data, "genomics")).audit.notes
    assert any("the test set holds class 1 only" in n for n in notes)
    with pytest.raises(DataError, match=r"pos.fa: test label\(s\) \['other'\] are not among the training labels "
                                        r"\['bg', 'enh'\]"):
        load_user_fasta((str(pos),), ("other",), "", "", "", classes=train.classes)


def test_headers_never_reach_the_features(tmp_path):
    seq = random_seq(50)
    one = read_fasta(write(tmp_path / "1.fa", f">chr1_100_150 strong\n{seq}\n"))
    two = read_fasta(write(tmp_path / "2.fa", f">whatever\n{seq.lower()}\n"))
    np.testing.assert_array_equal(one_hot([one[0].seq]), one_hot([two[0].seq]))


# --- encodings ----------------------------------------------------------------------------------


def test_one_hot_and_reverse_complement_round_trip():
    seqs = [random_seq(40), random_seq(25) + "N" + random_seq(4)]
    X = one_hot(seqs, pad="zero")
    assert decode(X) == seqs
    rc = reverse_complement_one_hot(X)
    assert decode(rc) == [reverse_complement(s) for s in seqs]
    np.testing.assert_array_equal(reverse_complement_one_hot(rc), X)
    assert reverse_complement("AACGN") == "NCGTT"
    masked = one_hot(seqs, pad="mask")
    assert decode(masked) == seqs and (masked[1, 30:] < 0).all()


def test_kmer_counts_match_a_slow_reference():
    seqs = [random_seq(int(RNG.integers(3, 60))) for _ in range(20)] + ["ACGNNACG", "AC"]
    for k in (1, 2, 3, 4):
        fast = kmer_counts(seqs, k)
        index = {"".join(p): i for i, p in enumerate(itertools.product("ACGT", repeat=k))}
        for s, row in zip(seqs, fast):
            slow = np.zeros(4 ** k)
            for i in range(len(s) - k + 1):
                if "N" not in s[i:i + k]:
                    slow[index[s[i:i + k]]] += 1
            np.testing.assert_array_equal(row, slow)


def test_gc_content_and_crop_rule():
    np.testing.assert_allclose(gc_content(["GGCA", "NNGA"]).ravel(), [0.75, 0.5])
    assert crop_center("AACCGGTT", 4) == "CCGG" and crop_center("ACG", 5) == "ACG"


# --- leakage ------------------------------------------------------------------------------------


def test_audit_finds_planted_duplicates_on_both_strands():
    train = [random_seq(30) for _ in range(10)]
    test = [random_seq(30) for _ in range(6)]
    test[1] = train[3]
    test[4] = reverse_complement(train[7])
    shared = find_shared(train, test)
    assert shared.test_index == [1, 4] and shared.train_index == [3, 7]
    assert shared.strand == ["same", "reverse complement"]
    tr = SequenceSet(train, np.arange(10) % 2)
    te = SequenceSet(test, np.arange(6) % 2)
    rep, listing = audit_sequences(tr, tr, SequenceSet([], []), te, 0, layer2_note=False)
    assert rep.duplicates_train_test == 2 and "1 of them as reverse complements" in rep.summary()
    clean, removed = drop_leaked(tr, te)
    assert removed == 2 and len(find_shared(clean.seqs, test)) == 0
    assert canonical("AAC") == canonical("GTT")


def test_audit_counts_sequences_with_both_labels_in_training_and_in_test():
    train = [random_seq(30) for _ in range(8)]
    test = [random_seq(30) for _ in range(6)]
    train[5] = reverse_complement(train[0])  # labels 0 and 1 (index parity): a contradiction in training
    test[3] = test[0]  # labels 1 and 0: no model can classify both test copies correctly
    tr, te = SequenceSet(train, np.arange(8) % 2), SequenceSet(test, (np.arange(6) + 1) % 2)
    rep, _ = audit_sequences(tr, tr, SequenceSet([], []), te, 0, layer2_note=False)
    assert "1 training sequence occurs with both labels" in rep.summary()
    assert "1 test sequence occurs with both labels" in rep.summary()
    clean, _ = audit_sequences(tr.take([0, 1, 2, 3]), tr.take([0, 1, 2, 3]), SequenceSet([], []), te.take([0, 1, 2]),
                               0, layer2_note=False)
    assert "both labels" not in clean.summary()


def test_holdout_keeps_a_sequence_and_its_reverse_complement_together():
    base = [random_seq(20) for _ in range(40)]
    seqs = base + [reverse_complement(s) for s in base[:10]]
    data = SequenceSet(seqs, np.r_[np.arange(40) % 2, np.arange(10) % 2])
    fit, val = holdout(data, 0.2, seed=0)
    assert len(find_shared(fit.seqs, val.seqs)) == 0 and len(fit) + len(val) == 50


def test_too_few_distinct_sequences_for_the_split_is_a_data_error_naming_the_files(tmp_path):
    # 80 records, but one sequence: sklearn used to raise "n_splits=5 greater than the number of groups: 1"
    pos = write(tmp_path / "pos.fa", "".join(f">p{i}\nGATTACAGATTACA\n" for i in range(40)))
    neg = write(tmp_path / "neg.fa", "".join(f">n{i}\nTGTAATCTGTAATC\n" for i in range(40)))  # its reverse complement
    with pytest.raises(DataError, match=r"pos.fa, .*neg.fa: 1 distinct sequence of class 0 and 1 of class 1 \(a "
                                        r"sequence and its reverse complement count once\); a 5-fold stratified"):
        prepare("fasta", fasta_train=[str(pos), str(neg)], file_labels=["enh", "bg"])
    data = SequenceSet([random_seq(20) for _ in range(6)] + ["ACGTAC"] * 6, [1] * 6 + [0] * 6)
    with pytest.raises(DataError, match=r"my set: 1 distinct sequence of class 0 and 6 of class 1"):
        holdout(data, 0.2, seed=0, what="my set")


# --- generated tasks and the domain -------------------------------------------------------------


def test_generated_tasks_follow_their_rules():
    seqs, y = motif_grammar(2000, 150, seed=1)
    for s, label in zip(seqs, y):
        i = s.find(EBOX)
        ordered = i >= 0 and 8 <= s.find(GATA, i + 6) - (i + 6) <= 30
        assert ordered == bool(label) or s.count(EBOX) + s.count(GATA) > 2  # a chance site can blur the rule
    gc = gc_content(seqs).ravel()
    assert abs(gc[y == 1].mean() - gc[y == 0].mean()) < 0.012  # GC matched (4 standard errors)
    seqs, y = long_range(40, 400, 900, seed=2)
    assert min(map(len, seqs)) >= 400 and max(map(len, seqs)) <= 900 and len(set(map(len, seqs))) > 1
    assert all(("TGACTCA" in s[:50]) == bool(t) for s, t in zip(seqs, y))
    assert all(s.count("TGACTCA") >= 1 and s.count("TCAGTCA") >= 1 for s in seqs)  # both classes hold both


def prepare(dataset="generated", model=None, **data):
    cfg = RunConfig(domain="genomics", dataset=dataset, data=data, **({"model": model} if model else {}))
    return DOMAIN.prepare(cfg, validate_options(DOMAIN.options, cfg.data, "genomics"))


def test_variable_lengths_are_padded_and_masked_never_dropped():
    from common.config import ModelSpec

    prep = prepare("long_range", model=ModelSpec(units=(4,)), long_range_sequences=40, long_range_length=800)
    assert prep.model_overrides["masking"] and not prep.fixed_length
    assert len(prep.y_train) + len(prep.y_val) + len(prep.y_test) == 40
    assert (prep.X_test < 0).any()
    cropped = prepare("long_range", model=ModelSpec(units=(4,)), long_range_sequences=40, long_range_length=800,
                      max_length=300)
    assert cropped.X_train.shape[1] == 300 and "centre-cropped" in " ".join(cropped.audit.notes)


def test_one_cropped_sequence_is_counted_in_the_singular(tmp_path):
    pos = write(tmp_path / "pos.fa", "".join(f">p{i}\n{random_seq(80 if i == 0 else 60)}\n" for i in range(30)))
    neg = write(tmp_path / "neg.fa", "".join(f">n{i}\n{random_seq(60)}\n" for i in range(30)))
    prep = prepare("fasta", fasta_train=[str(pos), str(neg)], file_labels=["enh", "bg"], max_length=60)
    assert "1 sequence longer than 60 bp was centre-cropped to 60 bp" in prep.audit.notes


def test_user_fasta_dataset_end_to_end_prepare(tmp_path):
    pos = write(tmp_path / "pos.fa", "".join(f">p{i}\n{random_seq(60)}\n" for i in range(30)))
    neg = write(tmp_path / "neg.fa", "".join(f">n{i}\n{random_seq(60)}\n" for i in range(30)))
    prep = prepare("fasta", fasta_train=[str(pos), str(neg)], file_labels=["enhancer", "background"],
                   positive="enhancer")
    assert prep.X_train.shape[1:] == (60, 4) and prep.split["n_test"] == 12
    with pytest.raises(DataError, match="exactly one of"):
        prepare("fasta", fasta_train=[str(pos)])


def test_file_labels_must_cover_training_and_test_files(tmp_path):
    pos = write(tmp_path / "pos.fa", "".join(f">p{i}\n{random_seq(60)}\n" for i in range(10)))
    neg = write(tmp_path / "neg.fa", "".join(f">n{i}\n{random_seq(60)}\n" for i in range(10)))
    # two labels for two training files and one test file: it used to say "needs exactly one of ..."
    with pytest.raises(DataError, match=r"data.file_labels has 2 entries for 3 FASTA files \(2 training, 1 test\)"):
        prepare("fasta", fasta_train=[str(pos), str(neg)], fasta_test=[str(pos)], file_labels=["a", "b"])
    with pytest.raises(DataError, match=r"data.file_labels has 1 entry for 2 FASTA files \(2 training, 0 test\)"):
        prepare("fasta", fasta_train=[str(pos), str(neg)], file_labels=["a"])


def test_leak_free_split_works_on_user_fasta_with_a_test_file(tmp_path):
    train_seqs = [random_seq(60) for _ in range(40)]
    planted = reverse_complement(train_seqs[3])  # a training sequence, on the other strand
    train = write(tmp_path / "train.fa", "".join(f">t{i}|{i % 2}\n{q}\n" for i, q in enumerate(train_seqs)))
    test = write(tmp_path / "test.fa", f">x0|1\n{planted}\n" + "".join(f">x{i}|{i % 2}\n{random_seq(60)}\n"
                                                                        for i in range(1, 10)))
    files = {"fasta_train": [str(train)], "fasta_test": [str(test)], "header_pattern": r"\|(\d)$"}
    standard = prepare("fasta", **files)
    assert standard.audit.duplicates_train_test == 1
    leak_free = prepare("fasta", split="leak_free", **files)
    assert leak_free.split["removed_leaked"] == 1 and leak_free.audit.duplicates_train_test == 0
    assert "1 training sequences found in test removed" in leak_free.data_label


@pytest.mark.slow
def test_lstm_beats_gc_content_on_the_motif_grammar(tmp_path):
    """Stated margin: the LSTM's test AUROC is at least 0.2 above the GC-content baseline's."""
    from common.config import apply_overrides
    from common.experiment import run_experiment

    cfg = apply_overrides(DOMAIN.default_config("quick"), {
        "out": str(tmp_path), "data.generated_sequences": 1500, "data.generated_length": 120,
        "training.epochs": 12, "model.learning_rate": 0.003})
    res = run_experiment(cfg, DOMAIN, run_name="margin", log=lambda m: None)
    gc = res.baselines["GC content (logistic)"]["auroc"]
    assert abs(gc - 0.5) < 0.1, "GC content should carry no signal on the generated task"
    assert res.lstm["auroc"]["mean"] >= gc + 0.2
    assert (res.run_dir / "mutagenesis.png").is_file() and (res.run_dir / "gates.png").is_file()


@pytest.mark.realdata
def test_ienhancer_parsing_protocol_and_leak(tmp_path):
    real_data_or_skip("ienhancer2l")
    prep = prepare("ienhancer2l")
    n = prep.split
    assert n["n_train"] + n["n_val"] == 2968 and n["n_test"] == 400 and prep.X_test.shape[1:] == (200, 4)
    assert prep.audit.duplicates_train_test == 100  # all 100 test strong enhancers occur in training
    leak_free = prepare("ienhancer2l", split="leak_free")
    assert leak_free.split["removed_leaked"] == 100 and leak_free.audit.duplicates_train_test == 0
    layer2 = prepare("ienhancer2l", layer=2)
    assert layer2.split["n_test"] == 200 and "inflated by the leak" in layer2.audit.summary()


@pytest.mark.realdata
@pytest.mark.slow
def test_ienhancer_brief_training_writes_a_complete_comparison_table(tmp_path):
    real_data_or_skip("ienhancer2l")
    from common.config import apply_overrides
    from common.experiment import run_experiment

    cfg = apply_overrides(DOMAIN.default_config("full"), {"out": str(tmp_path), "training.epochs": 2, "profile": "quick",
                                                          "training.seeds": 1})
    res = run_experiment(cfg, DOMAIN, run_name="brief", log=lambda m: None)
    models = list(res.table["model"])
    assert models[0].startswith("LSTM") and any("iEnhancer-EL" in m for m in models)
    assert {"GC content (logistic)", "k-mer 1..6 (logistic)", "plain CNN (no recurrence)"} <= set(models)
    assert "100 of 400 test sequences also occur in training" in (res.run_dir / "comparison.md").read_text()


def test_every_model_is_scored_on_both_strands_and_only_the_lstm_is_augmented():
    from common.experiment import predict_views

    prep = prepare("generated", generated_sequences=200, generated_length=120)
    assert len(prep.X_train) == len(prep.y_train)  # baselines see the plain training data
    X_aug, y_aug = prep.augment(prep.X_train, prep.y_train)
    assert len(X_aug) == 2 * len(prep.X_train)
    np.testing.assert_array_equal(X_aug[len(prep.X_train):], reverse_complement_one_hot(prep.X_train))

    class FirstBaseIsA:
        def predict(self, X):
            return X[:, :1, 0]

    pred = predict_views(prep, FirstBaseIsA(), prep.X_test)
    expected = (prep.X_test[:, 0, 0] + prep.X_test[:, -1, 3]) / 2  # the other strand starts with the last base's complement
    np.testing.assert_allclose(pred.ravel(), expected)


@pytest.mark.slow
def test_cross_validation_in_two_worker_processes_matches_one_process():
    from common.config import TrainSpec
    from domains.genomics.domain import bilstm, danq
    from domains.genomics.selection import cross_validate, select

    seqs, y = motif_grammar(120, 120, seed=3)
    data = SequenceSet(seqs, y)
    candidates = {"danq": danq(units=4, filters=4), "bilstm": bilstm(units=4)}
    train = TrainSpec(epochs=1, batch_size=64)
    here = cross_validate(candidates, train, data, n_folds=2, log=lambda _: None)
    workers = cross_validate(candidates, train, data, n_folds=2, log=lambda _: None, jobs=2)
    assert list(workers) == list(candidates) and all(len(r["folds"]) == 2 for r in workers.values())
    for name in candidates:  # the same folds, seeds and models, fitted in worker processes with one thread each
        np.testing.assert_allclose([list(f.values()) for f in workers[name]["folds"]],
                                   [list(f.values()) for f in here[name]["folds"]], atol=1e-6)
    assert select(workers) == select(here)


def test_mutagenesis_in_chunks_gives_the_same_track():
    """A 20 kb sequence made 8000 full-length variants at once (2.6 GB, 20.7 GB peak for the run); the variants are
    now built and scored a chunk at a time, with the same result."""
    from domains.genomics.encoding import one_hot
    from domains.genomics.interpret import mutagenesis

    class GCScore:  # a stand-in model: P(class 1) = GC fraction of the sequence, recording batch sizes
        sizes: list = []

        def predict(self, X):
            self.sizes.append(len(X))
            return X[..., 1:3].sum(axis=(1, 2)) / X.shape[1]

    x = one_hot([random_seq(60)], 60)[0]
    whole = mutagenesis(GCScore(), x, chunk_bytes=10**9)
    model = GCScore()
    model.sizes = []
    chunked = mutagenesis(model, x, chunk_bytes=60 * 4 * 4 * 10)  # 10 variants per chunk
    np.testing.assert_allclose(chunked, whole)
    assert max(model.sizes[1:]) == 10 and sum(model.sizes[1:]) == 240
    assert np.allclose(np.nanmax(whole, axis=1)[x[:, 0] == 1], 1 / 60)  # A -> C or G raises GC by one base


def test_label_file_ids_that_name_no_record_are_counted_in_the_notes(tmp_path):
    """Before: ids of the label CSV that matched no record of the FASTA files were ignored without a word, so a
    FASTA file left out of data.fasta_train / fasta_test (its labels still in the CSV) went unnoticed."""
    pos = write(tmp_path / "pos.fa", "".join(f">p{i}\n{random_seq(60)}\n" for i in range(30)))
    neg = write(tmp_path / "neg.fa", "".join(f">n{i}\n{random_seq(60)}\n" for i in range(30)))
    labels = tmp_path / "labels.csv"
    rows = [f"p{i},enh" for i in range(30)] + [f"n{i},bg" for i in range(30)]
    labels.write_text("id,label\n" + "\n".join(rows + [f"q{i},enh" for i in range(12)]) + "\n")
    prep = prepare("fasta", fasta_train=[str(pos), str(neg)], label_csv=str(labels))
    assert (f"{labels}: 12 of its 72 labelled ids name no record of the FASTA files (e.g. ['q0', 'q1', 'q2']); "
            "they were not used") in prep.audit.notes
    test = write(tmp_path / "test.fa", "".join(f">t{i}\n{random_seq(60)}\n" for i in range(10)))
    labels.write_text("\n".join(rows + [f"t{i},{'enh' if i % 2 else 'bg'}" for i in range(10)]) + "\n")
    both = prepare("fasta", fasta_train=[str(pos), str(neg)], fasta_test=[str(test)], label_csv=str(labels))
    assert not any("name no record" in n for n in both.audit.notes)  # one CSV for training and test: all used


def test_a_default_positive_class_that_reads_as_the_negative_one_is_noted(tmp_path):
    """Before: labels 'enhancer' / 'non-enhancer' made 'non-enhancer' class 1 (the later in sort order), so
    sensitivity, specificity and AUPRC were about non-enhancers, said only in the target's name."""
    pos = write(tmp_path / "pos.fa", "".join(f">p{i}\n{random_seq(60)}\n" for i in range(30)))
    neg = write(tmp_path / "neg.fa", "".join(f">n{i}\n{random_seq(60)}\n" for i in range(30)))
    prep = prepare("fasta", fasta_train=[str(pos), str(neg)], file_labels=["enhancer", "non-enhancer"])
    assert ("class 1 (the positive class of sensitivity and AUPRC) is 'non-enhancer', the later label in sort order; "
            "set data.positive = 'enhancer' if that is the class to detect") in prep.audit.notes
    chosen = prepare("fasta", fasta_train=[str(pos), str(neg)], file_labels=["enhancer", "non-enhancer"],
                     positive="enhancer")
    assert not any("sort order" in n for n in chosen.audit.notes)
    plain = prepare("fasta", fasta_train=[str(pos), str(neg)], file_labels=["bg", "enh"])
    assert not any("sort order" in n for n in plain.audit.notes)


def test_one_hot_sequences_larger_than_memory_are_refused_naming_data_max_length(monkeypatch):
    from common import windows
    from common.domain import DataError
    from domains.genomics.encoding import one_hot

    monkeypatch.setattr(windows, "physical_memory", lambda: 1000)
    with pytest.raises(DataError, match=r"the one-hot sequences \(3 samples x 200 steps x 4 inputs, float32\).*"
                                        r"data.max_length"):
        one_hot(["ACGT" * 50] * 3)

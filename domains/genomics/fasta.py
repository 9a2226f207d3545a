"""FASTA input with labels, parsed with Biopython and checked strictly.

Every file is read through Biopython's ``SimpleFastaParser`` (wrapped or one-line records, CRLF or LF; a gzip or
bgzip file is decompressed first).
Bases are upper-cased (soft-masked repeats are lower case; the case must never become a feature),
``N`` is kept (encoded as an uninformative column), any other character is an error naming the file,
record and 1-based position. Empty records, repeated header lines and text before the first header are errors too; a repeated id
(first word of the header) is an error where labels are looked up by id (the iEnhancer-EL test files
repeat ids such as ``hg19_ct_UserTrack_3545_54`` with different ranges).
Headers are used only to attach labels; they never reach the features.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from common.domain import DataError, count_of, not_found

VALID = frozenset("ACGTN")


@dataclass(frozen=True)
class Record:
    id: str  # first word of the header
    seq: str  # upper case, only A/C/G/T/N
    source: str  # file it came from
    header: str = ""  # the full header line (without '>')
    number: int = 0  # 1-based position in the file


def read_fasta(path: str | Path) -> list[Record]:
    """All records of one FASTA file, validated (see the module docstring)."""
    from Bio.SeqIO.FastaIO import SimpleFastaParser

    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(not_found(path, "FASTA file"))
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":  # gzip (also bgzip, whose blocks are gzip members)
        import gzip
        import zlib

        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise DataError(f"{path}: a gzip file that does not decompress ({err})") from None
    try:
        text = raw.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not a text FASTA file ({err})") from None
    first = next((line for line in text.splitlines() if line.strip()), None)
    if first is None:
        raise DataError(f"{path}: empty file: no FASTA records")
    if not first.startswith(">"):
        raise DataError(f"{path}: not FASTA: the first non-empty line does not start with '>' ({first[:40]!r})")
    import io

    records, seen = [], {}
    for title, raw in SimpleFastaParser(io.StringIO(text)):
        rid = title.split(None, 1)[0] if title.strip() else ""
        if not rid:
            raise DataError(f"{path}: record {len(records) + 1} has an empty header")
        if title in seen:
            raise DataError(f"{path}: duplicate record header {title!r} (records {seen[title]} and {len(records) + 1})")
        seen[title] = len(records) + 1
        seq = raw.replace(" ", "").upper()
        if not seq:
            raise DataError(f"{path}: record {rid!r} has an empty sequence")
        bad = next((i for i, ch in enumerate(seq) if ch not in VALID), None)
        if bad is not None:
            raise DataError(f"{path}: record {rid!r} has invalid character {seq[bad]!r} at position {bad + 1} "
                            f"(only A, C, G, T and N are accepted{_character_hint(seq[bad])})")
        records.append(Record(rid, seq, str(path), title, len(records) + 1))
    if not records:
        raise DataError(f"{path}: no FASTA records")
    return records


def labels_from_csv(path: str | Path) -> dict[str, str]:
    """``id,label`` rows (a header row ``id,label`` is allowed); duplicate ids are an error."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(not_found(path, "label file"))
    out: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not a UTF-8 text file ({err.reason} at byte {err.start})") from None
    for n, row in enumerate(rows, start=1):
        if not row or not "".join(row).strip():
            continue
        if len(row) != 2:
            other = [sep for sep in (";", "\t") if len(row) == 1 and sep in row[0]]
            raise DataError(f"{path}: line {n} has {count_of(len(row), 'field')}; expected 'id,label'"
                            + (f" (comma-separated; this line holds {other[0]!r})" if other else ""))
        rid, label = row[0].strip(), row[1].strip()
        if n == 1 and (rid.lower(), label.lower()) == ("id", "label"):
            continue
        if not rid or not label:
            raise DataError(f"{path}: line {n}: empty id or label ({','.join(row)!r})")
        if rid in out:
            raise DataError(f"{path}: id {rid!r} is labelled twice (line {n})")
        out[rid] = label
    if not out:
        raise DataError(f"{path}: no labels")
    return out


def label_records(records: list[Record], *, label: str | None = None, labels: dict[str, str] | None = None,
                  header_pattern: str | None = None) -> list[str]:
    """One label per record: a fixed ``label`` for the whole file, a lookup in ``labels`` (id -> label),
    or the first group of ``header_pattern`` searched in the full header.
    A record without a label is an error naming it (never silently dropped)."""
    if sum(x is not None for x in (label, labels, header_pattern)) != 1:
        raise DataError("give exactly one of: a label for the file, a label file, or a header pattern")
    if label is not None:
        return [label] * len(records)
    if labels is not None:
        ids = [r.id for r in records]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise DataError(f"{records[0].source}: record ids {repeated[:3]} occur more than once, so labels "
                            "cannot be looked up by id")
        missing = [r.id for r in records if r.id not in labels]
        if missing:
            raise DataError(f"{records[0].source}: {count_of(len(missing), 'record')} "
                            f"{'has' if len(missing) == 1 else 'have'} no label in the label file, "
                            f"e.g. {missing[:3]}")
        return [labels[r.id] for r in records]
    try:
        rx = re.compile(header_pattern)
    except re.error as err:
        raise DataError(f"header pattern '{header_pattern}' is not a valid regular expression: {err}") from None
    if rx.groups < 1:
        raise DataError(f"header pattern '{header_pattern}' needs one capturing group holding the label")
    out = []
    for r in records:
        m = rx.search(r.header or r.id)
        if not m:
            raise DataError(f"{r.source}: header of record {r.id!r} does not match pattern '{header_pattern}'")
        out.append(m.group(1))
    return out


def _character_hint(ch: str) -> str:
    """What a non-ACGTN letter likely is: RNA's U, or an IUPAC ambiguity code (R = A/G, Y = C/T, ...)."""
    if ch == "U":
        return "; an RNA sequence? write T for U"
    if ch in "RYSWKMBDHV":
        return f"; {ch!r} is an IUPAC ambiguity code: write N for it, as for any base not known"
    return ""

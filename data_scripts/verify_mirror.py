"""Check a mirror folder (laid out ``<dataset id>/<path>``) against the registry, without copying anything.

    python data_scripts/verify_mirror.py /path/to/mirror

Reports, per dataset, files that are missing, corrupted (sha256 differs) or not registered.
Exit status 0 only when every registered file is present and verifies.
"""
import sys
from pathlib import Path

from common.download import sha256_of
from common.registry import load_registry

IGNORED = {"SOURCE.md", "README.md"}


def verify(root: Path) -> int:
    problems = 0
    registry = load_registry()
    for ds_id, ds in sorted(registry.items()):
        missing, bad = [], []
        for f in ds.files:
            path = root / ds_id / f.path
            if not path.is_file():
                missing.append(f.path)
            elif sha256_of(path) != f.sha256:
                bad.append(f"{f.path} (expected {f.sha256}, found {sha256_of(path)})")
        folder = root / ds_id
        known = {f.path for f in ds.files}
        extra = sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                       if p.is_file() and p.name not in IGNORED and str(p.relative_to(folder)) not in known) if folder.is_dir() else []
        status = "ok" if not (missing or bad) else "PROBLEM"
        problems += bool(missing or bad)
        print(f"{ds_id}: {status}: {len(ds.files) - len(missing) - len(bad)}/{len(ds.files)} files verify")
        for label, items in (("missing", missing), ("corrupted", bad), ("not registered", extra)):
            for item in items:
                print(f"    {label}: {item}")
    unknown = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name not in registry) if root.is_dir() else []
    for name in unknown:
        print(f"{name}: not a registered dataset id (ignored)")
    return 1 if problems else 0


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Check a mirror folder (laid out <dataset id>/<path>) against the "
                                     "registry: missing, corrupted (sha256 differs) and unregistered files. Exit "
                                     "status 0 only when every registered file is present and verifies.")
    parser.add_argument("mirror", help="the mirror folder, e.g. the one LSTM_SUITE_MIRROR points at")
    root = Path(parser.parse_args(argv).mirror).expanduser()
    if not root.exists():
        parser.error(f"{root}: no such folder")
    if not root.is_dir():
        parser.error(f"{root}: a file, not a folder")
    return verify(root)


if __name__ == "__main__":
    sys.exit(main())

"""Fetch one dataset, several, or all into the cache (``$LSTM_SUITE_DATA``), verifying every sha256.

    python data_scripts/fetch.py all
    python data_scripts/fetch.py cmapss ienhancer2l

Files come from the cache, else ``$LSTM_SUITE_MIRROR``, else the canonical URLs in common/datasets.toml.
"""
import sys

from common.cli import main

if __name__ == "__main__":
    ids = sys.argv[1:] or ["all"]
    sys.exit(max(main(["fetch", ds]) for ds in ids))

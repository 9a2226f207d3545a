"""``python -m domains.genomics.train [options]``: the same as ``lstm-suite train genomics [options]``."""
import sys

from common.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", "genomics", *sys.argv[1:]]))

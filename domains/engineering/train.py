"""``python -m domains.engineering.train [options]``: the same as ``lstm-suite train engineering [options]``."""
import sys

from common.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", "engineering", *sys.argv[1:]]))

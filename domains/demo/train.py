"""``python -m domains.demo.train [options]``: the same as ``lstm-suite train demo [options]``."""
import sys

from common.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", "demo", *sys.argv[1:]]))

"""``python -m domains.environmental.train [options]``: the same as ``lstm-suite train environmental [options]``."""
import sys

from common.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", "environmental", *sys.argv[1:]]))

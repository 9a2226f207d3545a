"""``python -m domains.social.train [options]``: the same as ``lstm-suite train social [options]``."""
import sys

from common.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", "social", *sys.argv[1:]]))

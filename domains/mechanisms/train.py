"""``python -m domains.mechanisms.train [--experiment NAME|all] [options]``: same as ``lstm-suite train mechanisms``."""
import sys

from common.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", "mechanisms", *sys.argv[1:]]))

"""``python -m detectors [--language en|zh] [--config DIR]``: the detection filter."""

from __future__ import annotations

import argparse
import pathlib
import sys

from detectors.config import default_config_dir
from detectors.filter import run_filter


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m detectors", description=__doc__)
    parser.add_argument("--language", choices=["en", "zh"], default=None)
    parser.add_argument("--config", type=pathlib.Path, default=default_config_dir())
    args = parser.parse_args(argv)
    return run_filter(sys.stdin, sys.stdout, args.language, args.config)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Run onnx.checker (full check, with shape inference) on each model given; exit 1 on the first failure."""
import sys

import onnx


def main(paths):
    for path in paths:
        try:
            onnx.checker.check_model(onnx.load(path), full_check=True)
        except Exception as e:  # the checker raises several exception types
            print(f"{path}: {type(e).__name__}: {e}".replace("\n", " "), file=sys.stderr)
            return 1
        print(f"ok {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/python3
"""Latency of a torchvision model in PyTorch eager mode (a dense baseline of scripts/bench-models.sh).

  scripts/bench-pytorch.py MODEL THREADS [--runs 20] [--batch 1]

Prints one JSON object: model, threads, batch, pytorch_ms (median of the timed runs after 5 warm-up
runs), torch version. Debian's python3-torch; run with /usr/bin/python3.
"""
import argparse
import json
import statistics
import time

import torch
import torchvision


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("threads", type=int)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--batch", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = getattr(torchvision.models, args.model)(weights=None).eval()
    x = torch.randn(args.batch, 3, 224, 224)
    with torch.no_grad():
        for _ in range(5):
            model(x)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - start) * 1000)
    print(json.dumps({"model": args.model, "threads": args.threads, "batch": args.batch,
                      "pytorch_ms": statistics.median(times), "runs": args.runs,
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()

"""PyTorch's F.interpolate on the inputs ops_resize_test writes: the reference for Resize.

Usage: resize_torch_reference.py DIR. DIR/cases.txt has one case per line,
    NAME MODE ALIGN_CORNERS SCALE_H SCALE_W SIZE_H SIZE_W
(MODE: nearest, nearest-exact, bilinear, bicubic; ALIGN_CORNERS 0/1, or -1 for the nearest
modes, which take none; either the two scales or the two sizes are 0). The input is DIR/NAME.in.npy
(float32 NCHW); the output is written to DIR/NAME.out.npy.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F


def main(directory):
    with open(os.path.join(directory, "cases.txt")) as f:
        for line in f:
            if not line.strip():
                continue
            name, mode, align, sh, sw, oh, ow = line.split()
            x = torch.from_numpy(np.load(os.path.join(directory, name + ".in.npy")))
            kwargs = {"mode": mode}
            if int(align) >= 0:
                kwargs["align_corners"] = bool(int(align))
            if float(sh) > 0:
                # As torch.onnx exports it: the given scale in the coordinate formulas.
                kwargs["scale_factor"] = (float(sh), float(sw))
                kwargs["recompute_scale_factor"] = False
            else:
                kwargs["size"] = (int(oh), int(ow))
            y = F.interpolate(x, **kwargs)
            np.save(os.path.join(directory, name + ".out.npy"), y.numpy().astype(np.float32))


if __name__ == "__main__":
    main(sys.argv[1])

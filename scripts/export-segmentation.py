#!/usr/bin/python3
"""Export segmentation CNNs nobody tuned onexn for, with PyTorch's outputs as references.

Run with Debian's /usr/bin/python3 (python3-torch, python3-torchvision, python3-onnx).

  scripts/export-segmentation.py --out-dir models                # every model below
  scripts/export-segmentation.py --out-dir models unet unet_fp16
  scripts/export-segmentation.py --out-dir models --dynamic-batch fcn_resnet50

Models (batch 1, 3x320x320, fixed-seed random weights, no downloads):
  fcn_resnet50, deeplabv3_mobilenet_v3_large, lraspp_mobilenet_v3_large   torchvision 0.14's builders
      with weights=None, weights_backbone=None (their defaults download)
  unet            the U-Net defined below: ConvTranspose (stride 2, output_padding; grouped), bilinear
                  and nearest upsampling (F.interpolate, nn.Upsample), dilated 3x3 convs, a grouped
                  conv, skip concatenations, a BatchNormalization after a ConvTranspose; two outputs
  unet_opset11    the same module exported at opset 11
  unet_opset9     exported at opset 9 (Upsample instead of Resize; its aux head upsamples with
                  align_corners=False, which opset 9 can express): judged by ONNX Runtime, since opset
                  9's Upsample does not compute what PyTorch's interpolate does
  MODEL_fp16      for unet, deeplabv3_mobilenet_v3_large, lraspp_mobilenet_v3_large: initializers
                  stored as float16, cast to float by nodes appended at the end of the graph
                  (scripts/onnx-fp16-weights.py); judged by ONNX Runtime

Every BatchNorm gets non-trivial running statistics and affine parameters (torch.onnx folds those
after convs into the conv weights; the one after the U-Net's ConvTranspose stays a node).
Files, for each MODEL: MODEL.onnx, MODEL.input.npy (the input "input"), and for the models PyTorch
judges MODEL.output.NAME.npy for every output NAME ("out"; the U-Net also "aux").
With --dynamic-batch, dimension 0 of the input and of every output is a symbolic "batch" (the
saved input and outputs keep batch 1); without it every dimension is fixed, as the model tests
expect. Prints one line per model: its path and size. With --reuse, models this same version of the
script (and of scripts/onnx-fp16-weights.py) already wrote into OUT_DIR are kept, not re-exported.
"""
import argparse
import hashlib
import importlib.util
import os
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

SIZE = 320
TORCHVISION = ("fcn_resnet50", "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large")
FP16_BASES = ("unet", "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large")
ALL = TORCHVISION + ("unet", "unet_opset11", "unet_opset9") + tuple(b + "_fp16" for b in FP16_BASES)


def load_sibling(module, file):
    """A module of this folder whose file name has dashes."""
    spec = importlib.util.spec_from_file_location(module, os.path.join(os.path.dirname(os.path.abspath(__file__)), file))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


# Non-trivial BatchNorm statistics and affine parameters, as for the torchvision classifiers.
randomize_batchnorm = load_sibling("export_torchvision", "export-torchvision.py").randomize_batchnorm


def conv_bn_relu(c_in, c_out, stride=1, dilation=1, groups=1):
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride, padding=dilation, dilation=dilation, groups=groups, bias=False),
        nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class UNet(nn.Module):
    """A small U-Net with the layers real segmentation networks use.

    Resolutions for a 320x320 input: 320 (enc1) -> 160 (enc2) -> 80 (enc3, dilated) -> 40
    (bottleneck), then back up through a ConvTranspose (40 -> 80), bilinear (80 -> 160) and nearest
    (160 -> 320) upsampling, each followed by a concatenation with the encoder's features at that
    resolution. The aux head upsamples the bottleneck with a grouped ConvTranspose and then resizes
    bilinearly to the input size.
    """

    def __init__(self, classes=5, aux_align_corners=True):
        super().__init__()
        self.aux_align_corners = aux_align_corners
        self.enc1 = nn.Sequential(conv_bn_relu(3, 16), conv_bn_relu(16, 16))
        self.pool = nn.MaxPool2d(2)
        self.enc2 = nn.Sequential(conv_bn_relu(16, 32), conv_bn_relu(32, 32, groups=4))
        self.down3 = conv_bn_relu(32, 64, stride=2)
        self.enc3 = nn.Sequential(conv_bn_relu(64, 64, dilation=2), conv_bn_relu(64, 64, dilation=4))
        self.bottleneck = nn.Sequential(conv_bn_relu(64, 128), conv_bn_relu(128, 128, dilation=2))
        self.up3 = nn.ConvTranspose2d(128, 64, 3, stride=2, padding=1, output_padding=1)
        self.up3_bn = nn.BatchNorm2d(64)
        self.dec3 = conv_bn_relu(64 + 64, 64)
        self.dec2 = conv_bn_relu(64 + 32, 32)
        self.up1 = nn.Upsample(scale_factor=2, mode="nearest")
        self.dec1 = conv_bn_relu(32 + 16, 16)
        self.head = nn.Conv2d(16, classes, 1)
        self.aux_up = nn.ConvTranspose2d(128, 32, 4, stride=2, padding=1, groups=2)
        self.aux_head = nn.Conv2d(32, classes, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        e3 = self.enc3(self.down3(e2))
        b = self.bottleneck(self.pool(e3))
        d3 = self.dec3(torch.cat([F.relu(self.up3_bn(self.up3(b))), e3], 1))
        up2 = F.interpolate(d3, scale_factor=2, mode="bilinear", align_corners=False)
        d2 = self.dec2(torch.cat([up2, e2], 1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], 1))
        aux = self.aux_head(F.relu(self.aux_up(b)))
        aux = F.interpolate(aux, size=x.shape[-2:], mode="bilinear", align_corners=self.aux_align_corners)
        return self.head(d1), aux


class OutputTuple(nn.Module):
    """torchvision's segmentation models return a dict; export its "out" entry as a plain output."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


def build(base, seed, **unet_args):
    """The module and its input, both from `seed`."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    if base == "unet":
        model, outputs = UNet(**unet_args), ["out", "aux"]
    else:
        builder = getattr(torchvision.models.segmentation, base)
        model, outputs = OutputTuple(builder(weights=None, weights_backbone=None)), ["out"]
    with torch.no_grad():
        randomize_batchnorm(model, gen)
    model.eval()
    x = torch.randn(1, 3, SIZE, SIZE, generator=gen)
    return model, x, outputs


def save_npy(path, array):
    tmp = path + ".tmp.npy"
    np.save(tmp, np.ascontiguousarray(array))
    os.replace(tmp, path)


def export(name, out_dir, seed, dynamic_batch=False):
    base, opset, judged_by_pytorch = name, 13, True
    unet_args = {}
    if name in ("unet_opset11", "unet_opset9"):
        base, opset = "unet", int(name[len("unet_opset"):])
        if opset == 9:
            unet_args["aux_align_corners"] = False
            judged_by_pytorch = False
    model, x, outputs = build(base, seed, **unet_args)
    path = os.path.join(out_dir, f"{name}.onnx")
    tmp = path + ".tmp"
    with torch.no_grad():
        dynamic_axes = {n: {0: "batch"} for n in ["input"] + outputs} if dynamic_batch else None
        torch.onnx.export(model, x, tmp, opset_version=opset, input_names=["input"], output_names=outputs,
                          dynamic_axes=dynamic_axes)
    os.replace(tmp, path)
    save_npy(os.path.join(out_dir, f"{name}.input.npy"), x.numpy())
    if judged_by_pytorch:
        with torch.no_grad():
            ys = model(x)
        ys = ys if isinstance(ys, tuple) else (ys,)
        for out_name, y in zip(outputs, ys):
            save_npy(os.path.join(out_dir, f"{name}.output.{out_name}.npy"), y.numpy())
    print(f"{path} {os.path.getsize(path)} bytes")


def export_fp16(name, out_dir):
    base = name[:-len("_fp16")]
    fp16 = load_sibling("onnx_fp16_weights", "onnx-fp16-weights.py")
    import onnx
    model = onnx.load(os.path.join(out_dir, f"{base}.onnx"))
    fp16.convert(model)
    path = os.path.join(out_dir, f"{name}.onnx")
    onnx.save(model, path + ".tmp")
    os.replace(path + ".tmp", path)
    x = np.load(os.path.join(out_dir, f"{base}.input.npy"))
    save_npy(os.path.join(out_dir, f"{name}.input.npy"), x)
    print(f"{path} {os.path.getsize(path)} bytes")


def script_version(seed, dynamic_batch):
    """What the exported files depend on: these scripts' text, the seed, the batch axis, torch's version."""
    here = os.path.dirname(os.path.abspath(__file__))
    h = hashlib.sha256(f"{seed} {dynamic_batch} {torch.__version__} {torchvision.__version__}".encode())
    for name in ("export-segmentation.py", "export-torchvision.py", "onnx-fp16-weights.py"):
        with open(os.path.join(here, name), "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def up_to_date(name, out_dir, version):
    stamp = os.path.join(out_dir, f"{name}.stamp")
    if not os.path.exists(os.path.join(out_dir, f"{name}.onnx")) or not os.path.exists(stamp):
        return False
    with open(stamp) as f:
        return f.read().strip() == version


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="*", help="any of " + ", ".join(ALL) + " (default: all)")
    parser.add_argument("--out-dir", default="models")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reuse", action="store_true", help="keep models this script version already wrote")
    parser.add_argument("--dynamic-batch", action="store_true",
                        help="make dimension 0 of the input and the outputs a symbolic 'batch'")
    args = parser.parse_args()
    unknown = [m for m in args.models if m not in ALL]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)} (choose from {', '.join(ALL)})")
    os.makedirs(args.out_dir, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    # torch.onnx's tracer warnings (constant shapes, opset-9 Upsample) are expected here.
    warnings.filterwarnings("ignore")
    version = script_version(args.seed, args.dynamic_batch)
    wanted = args.models or list(ALL)
    if args.reuse:
        for name in [n for n in wanted if up_to_date(n, args.out_dir, version)]:
            print(f"{os.path.join(args.out_dir, name + '.onnx')} up to date")
            wanted.remove(name)
    # An fp16 variant is made from its base model's file: export the base first when not asked for
    # (or when the one there was written by another version or with the other batch axis).
    for name in wanted:
        if name.endswith("_fp16"):
            base = name[:-len("_fp16")]
            if base not in wanted and not up_to_date(base, args.out_dir, version):
                export(base, args.out_dir, args.seed, args.dynamic_batch)
                with open(os.path.join(args.out_dir, f"{base}.stamp"), "w") as f:
                    f.write(version + "\n")
    for name in wanted:
        if not name.endswith("_fp16"):
            export(name, args.out_dir, args.seed, args.dynamic_batch)
    for name in wanted:
        if name.endswith("_fp16"):
            export_fp16(name, args.out_dir)
    for name in wanted:
        with open(os.path.join(args.out_dir, f"{name}.stamp"), "w") as f:
            f.write(version + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

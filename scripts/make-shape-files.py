#!/usr/bin/python3
"""Write the distinct convolutions of torchvision models as benchdnn conv shape lines.

Run with Debian's /usr/bin/python3 (python3-torch, python3-torchvision):
  scripts/make-shape-files.py bench/shapes
writes resnet50.txt (the convs the default layer set prunes), resnet50_first.txt (the first conv),
mobilenetv2_pointwise.txt and mobilenetv2_depthwise_first.txt (the first conv and the depthwise
convs, which are not pruned), all at 224x224, batch 1. A shape seen several times is written once,
named after its first occurrence, with the count in a comment.
"""
import os
import sys

import torch
import torchvision


def conv_shapes(model, size=224):
    seen = {}
    order = []

    def hook(module, inputs, output):
        x = inputs[0]
        key = (x.shape[1], x.shape[2], x.shape[3], module.out_channels, output.shape[2],
               output.shape[3], module.kernel_size, module.stride, module.padding, module.groups)
        if key not in seen:
            seen[key] = [module._onexn_name, 0]
            order.append(key)
        seen[key][1] += 1

    for name, m in model.named_modules():
        if isinstance(m, torch.nn.Conv2d):
            m._onexn_name = name
            m.register_forward_hook(hook)
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    return [(key, seen[key][0], seen[key][1]) for key in order]


def line(key, name, count):
    ic, ih, iw, oc, oh, ow, (kh, kw), (sh, sw), (ph, pw), g = key
    text = f"mb1ic{ic}ih{ih}"
    if iw != ih:
        text += f"iw{iw}"
    text += f"oc{oc}oh{oh}"
    if ow != oh:
        text += f"ow{ow}"
    text += f"kh{kh}"
    if kw != kh:
        text += f"kw{kw}"
    text += f"sh{sh}"
    if sw != sh:
        text += f"sw{sw}"
    text += f"ph{ph}"
    if pw != ph:
        text += f"pw{pw}"
    if g != 1:
        text = f"g{g}" + text
    return f'{text}n"{name}"  # x{count}'


def write(path, title, rows):
    with open(path, "w") as f:
        f.write(f"# {title}\n# benchdnn conv syntax; written by scripts/make-shape-files.py\n")
        for key, name, count in rows:
            f.write(line(key, name, count) + "\n")
    print(f"{path}: {len(rows)} shapes")


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    r50 = conv_shapes(torchvision.models.resnet50(weights=None))
    first = [r for r in r50 if r[0][0] == 3]
    write(os.path.join(out_dir, "resnet50.txt"),
          "torchvision ResNet-50, 224x224, batch 1: every distinct conv the default layer set prunes",
          [r for r in r50 if r[0][0] != 3])
    write(os.path.join(out_dir, "resnet50_first.txt"),
          "torchvision ResNet-50, 224x224, batch 1: the first conv (not pruned by default)", first)
    mb = conv_shapes(torchvision.models.mobilenet_v2(weights=None))
    pointwise = [r for r in mb if r[0][6] == (1, 1) and r[0][9] == 1]
    write(os.path.join(out_dir, "mobilenetv2_pointwise.txt"),
          "torchvision MobileNetV2, 224x224, batch 1: every distinct pointwise conv (all pruned by default)",
          pointwise)
    write(os.path.join(out_dir, "mobilenetv2_depthwise_first.txt"),
          "torchvision MobileNetV2, 224x224, batch 1: the first conv and the depthwise convs (not pruned)",
          [r for r in mb if r not in pointwise])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "bench/shapes"))

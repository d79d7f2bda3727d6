#!/usr/bin/python3
"""Export reference CNNs to ONNX, with a random input and PyTorch's logits.

These are the oracles for netc's end-to-end tests: netc imports the ONNX
initializers as weights, runs the same input, and compares against the logits
PyTorch computed. Weights are random (no pretrained weights are reachable), so
BatchNorm running statistics are randomized too; otherwise every BN would be
the identity and a bug in netc's BN would go unnoticed.

Usage: /usr/bin/python3 tools/export_torchvision.py OUT_DIR [--models resnet20,resnet18]
Writes OUT_DIR/<model>.onnx, <model>.input.npy, <model>.logits.npy.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MODELS = ("resnet20", "resnet18", "resnet50", "vgg11")


class BasicBlockA(nn.Module):
    """CIFAR ResNet basic block with the parameter-free option-A shortcut."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.pad = cout - cin  # channels the shortcut adds as zeros
        self.stride = stride

    def shortcut(self, x):
        if self.stride == 1 and self.pad == 0:
            return x
        x = x[:, :, ::self.stride, ::self.stride]
        # Zero channels split evenly before and after, as in He et al.
        return F.pad(x, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x))


class ResNet20(nn.Module):
    """ResNet-20 for 3x32x32 CIFAR-10 inputs (He et al. 2016, option A).
    in_channels=1 gives the 1x28x28 Fashion-MNIST variant (global pooling
    makes the rest independent of the image size)."""

    def __init__(self, num_classes=10, blocks_per_stage=3, in_channels=3):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, cin = [], 16
        for stage, cout in enumerate((16, 32, 64)):
            for b in range(blocks_per_stage):
                stride = 2 if stage > 0 and b == 0 else 1
                layers.append(BasicBlockA(cin, cout, stride))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layers(x)
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(x)


def build(name):
    if name == "resnet20":
        return ResNet20(), (3, 32, 32)
    import torchvision.models as tvm
    return getattr(tvm, name)(weights=None), (3, 224, 224)


def randomize_batchnorm_and_biases(model, gen):
    """Give every BN non-trivial running stats and affine parameters, and
    every bias random values. torchvision zero-inits some biases (VGG), and
    the ONNX exporter merges initializers with equal values into one plus
    Identity nodes, which would break importing weights in graph order."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None:
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.05)
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=gen) * 0.5 + 0.75)
                m.weight.copy_(torch.rand(c, generator=gen) * 0.5 + 0.75)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.1)


def randomize_biases(model, gen):
    """torchvision starts VGG's conv biases at zero; make them count."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None:
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)


def check_one_initializer_per_parameter(onnx_path, model):
    """Fails if the exporter renamed, merged or dropped any parameter."""
    import onnx
    graph = onnx.load(onnx_path).graph
    names = [t.name for t in graph.initializer]
    expected = [k for k in model.state_dict() if not k.endswith("num_batches_tracked")]
    if sorted(names) != sorted(expected):
        sys.exit(f"{onnx_path}: initializers do not match the parameters one to one: "
                 f"missing {sorted(set(expected) - set(names))[:5]}, "
                 f"extra {sorted(set(names) - set(expected))[:5]}")


def export(name, out_dir, batch, seed):
    torch.manual_seed(seed)
    model, chw = build(name)
    randomize_batchnorm_and_biases(model, torch.Generator().manual_seed(seed + 1))
    randomize_biases(model, torch.Generator().manual_seed(seed + 3))
    model.eval()
    x = torch.randn((batch,) + chw, generator=torch.Generator().manual_seed(seed + 2))
    with torch.no_grad():
        logits = model(x)
    path = os.path.join(out_dir, name)
    # TrainingMode.PRESERVE on an eval-mode model exports inference-mode BN
    # but skips the EVAL peephole pass, which would fold BN into the convs.
    torch.onnx.export(model, x, path + ".onnx", opset_version=13,
                      do_constant_folding=False, export_params=True,
                      training=torch.onnx.TrainingMode.PRESERVE,
                      input_names=["input"], output_names=["logits"])
    check_one_initializer_per_parameter(path + ".onnx", model)
    np.save(path + ".input.npy", x.numpy().astype(np.float32))
    np.save(path + ".logits.npy", logits.numpy().astype(np.float32))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--models", default=",".join(MODELS),
                    help="comma-separated subset of " + ",".join(MODELS))
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)  # torch defaults to 1 here
    os.makedirs(args.out_dir, exist_ok=True)
    for name in args.models.split(","):
        if name not in MODELS:
            sys.exit(f"unknown model '{name}'; choose from {', '.join(MODELS)}")
        t0 = time.time()
        export(name, args.out_dir, args.batch, args.seed)
        print(f"{name}: {time.time() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()

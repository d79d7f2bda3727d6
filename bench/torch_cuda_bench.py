#!/usr/bin/env python3
"""PyTorch on CUDA: the baseline for netc's CUDA libraries (make gpu-check).

Times, on the first CUDA device, the models gpu_check runs:
  r20  CIFAR ResNet-20 (option A), 3x32x32, forward at batch 1 and 64
  r50  ResNet-50 (stride in the 3x3 convs, as torchvision), 3x224x224,
       forward at batch 1 and 16; both: a training step at batch 64
       (forward, cross-entropy, backward, SGD lr 0.1 momentum 0.9 weight
       decay 1e-4)
each in fp32 with TF32 off and with TF32 on (matmul and cuDNN), eager mode,
cudnn.benchmark on. Forward: eval mode under torch.inference_mode(), two
times per row:
  gpu    input already on the device, output left there (torch.cuda.Event)
  e2e    from a host tensor to a host tensor (upload, forward, download),
         as netc's NAME_forward does (wall clock after synchronize)
Median of --iterations after --warmup; images/s and TFLOP/s from the MACs
`netc summary --json` gives (a training step counted as 3x the forward).
Random weights and inputs (seeded): speed does not depend on them.

Self-contained (torch only, no torchvision): copy it anywhere.
usage: python3 torch_cuda_bench.py [--iterations 30] [--warmup 5] [--json FILE] [--skip-train]
Exit 1 with "no usable GPU" when CUDA is not available.
"""
import argparse
import json
import statistics
import sys
import time

MACS = {"r20": 40551040, "r50": 4089184256}  # per image, netc summary --json


def models(nn, F):
    class BasicBlockA(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.pad, self.stride = cout - cin, stride

        def forward(self, x):
            y = F.relu(self.bn1(self.conv1(x)))
            y = self.bn2(self.conv2(y))
            s = x
            if self.stride != 1 or self.pad:
                s = F.pad(x[:, :, ::self.stride, ::self.stride],
                          (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
            return F.relu(y + s)

    class ResNet20(nn.Module):
        def __init__(self, classes=10):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(16)
            layers, cin = [], 16
            for stage, cout in enumerate((16, 32, 64)):
                for b in range(3):
                    layers.append(BasicBlockA(cin, cout, 2 if stage > 0 and b == 0 else 1))
                    cin = cout
            self.layers = nn.Sequential(*layers)
            self.fc = nn.Linear(64, classes)

        def forward(self, x):
            x = self.layers(F.relu(self.bn1(self.conv1(x))))
            return self.fc(torch_flatten(F.adaptive_avg_pool2d(x, 1)))

    class Bottleneck(nn.Module):
        def __init__(self, cin, width, stride):
            super().__init__()
            cout = width * 4
            self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(width)
            self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)  # stride in the 3x3
            self.bn2 = nn.BatchNorm2d(width)
            self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
            self.bn3 = nn.BatchNorm2d(cout)
            self.down = None
            if stride != 1 or cin != cout:
                self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                          nn.BatchNorm2d(cout))

        def forward(self, x):
            y = F.relu(self.bn1(self.conv1(x)))
            y = F.relu(self.bn2(self.conv2(y)))
            y = self.bn3(self.conv3(y))
            return F.relu(y + (x if self.down is None else self.down(x)))

    class ResNet50(nn.Module):
        def __init__(self, classes=1000):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            layers, cin = [], 64
            for stage, (width, blocks) in enumerate(((64, 3), (128, 4), (256, 6), (512, 3))):
                for b in range(blocks):
                    layers.append(Bottleneck(cin, width, 2 if stage > 0 and b == 0 else 1))
                    cin = width * 4
            self.layers = nn.Sequential(*layers)
            self.fc = nn.Linear(2048, classes)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
            x = self.layers(x)
            return self.fc(torch_flatten(F.adaptive_avg_pool2d(x, 1)))

    return {"r20": (ResNet20, (3, 32, 32)), "r50": (ResNet50, (3, 224, 224))}


def torch_flatten(x):
    return x.flatten(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--json", help="also write the rows to this file")
    ap.add_argument("--skip-train", action="store_true")
    a = ap.parse_args()
    try:
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
    except ImportError as e:
        sys.exit(f"torch_cuda_bench: PyTorch is not installed: {e}")
    if not torch.cuda.is_available():
        print("torch_cuda_bench: no usable GPU (torch.cuda.is_available() is False)", file=sys.stderr)
        sys.exit(1)
    dev = torch.device("cuda:0")
    p = torch.cuda.get_device_properties(dev)
    print(f"device: {p.name}, compute capability {p.major}.{p.minor}, "
          f"{p.total_memory / 2**30:.1f} GiB; torch {torch.__version__}, CUDA {torch.version.cuda}, "
          f"cuDNN {torch.backends.cudnn.version()}")
    print(f"median of {a.iterations} after {a.warmup} warm-up; cudnn.benchmark on; eager fp32")
    torch.backends.cudnn.benchmark = True
    defs = models(nn, F)
    rows = []

    def median_ms(fn, events=True):
        for _ in range(a.warmup):
            fn()
        torch.cuda.synchronize()
        t = []
        for _ in range(a.iterations):
            if events:
                s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                s.record()
                fn()
                e.record()
                e.synchronize()
                t.append(s.elapsed_time(e))
            else:
                t0 = time.perf_counter()
                fn()
                torch.cuda.synchronize()
                t.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(t)

    def row(model, mode, precision, batch, ms, flops_per_image):
        r = {"model": model, "mode": mode, "precision": precision, "batch": batch,
             "median_ms": round(ms, 4), "images_per_s": round(batch / ms * 1e3, 1),
             "tflops": round(flops_per_image * batch / ms / 1e9, 3)}
        rows.append(r)
        print(f"{model:4} {mode:11} {precision:9} {batch:5} {ms:10.3f} {r['images_per_s']:11.1f} "
              f"{r['tflops']:8.3f}", flush=True)

    print(f"{'net':4} {'mode':11} {'precision':9} {'batch':>5} {'median ms':>10} {'images/s':>11} "
          f"{'TFLOP/s':>8}")
    for tf32 in (False, True):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        prec = "tf32" if tf32 else "fp32"
        for name, batches in (("r20", (1, 64)), ("r50", (1, 16))):
            cls, chw = defs[name]
            torch.manual_seed(0)
            m = cls().to(dev).eval()
            for b in batches:
                x_host = torch.randn((b,) + chw)
                x = x_host.to(dev)
                with torch.inference_mode():
                    ms = median_ms(lambda: m(x))
                    row(name, "fwd gpu", prec, b, ms, 2 * MACS[name])
                    ms = median_ms(lambda: m(x_host.to(dev)).cpu(), events=False)
                    row(name, "fwd e2e", prec, b, ms, 2 * MACS[name])
            del m
        for name, classes in (("r20", 10), ("r50", 1000)):
            if a.skip_train:
                break
            cls, chw = defs[name]
            torch.manual_seed(0)
            m = cls().to(dev).train()
            opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
            b = 64
            x = torch.randn((b,) + chw, device=dev)
            y = torch.randint(0, classes, (b,), device=dev)

            def step():
                opt.zero_grad(set_to_none=True)
                F.cross_entropy(m(x), y).backward()
                opt.step()

            row(name, "train step", prec, b, median_ms(step), 6 * MACS[name])
            del m, opt
        torch.cuda.empty_cache()
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"device": p.name, "torch": torch.__version__, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()

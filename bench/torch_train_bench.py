#!/usr/bin/python3
"""PyTorch 1.13 training-step speed: the baseline for netc's trainer.

Times full SGD steps (train mode: forward, cross-entropy, backward,
SGD(lr 0.1, momentum 0.9, weight decay 5e-4) update) on one synthetic batch,
after 3 warm-up steps, and reports the median step time as images/s and the
process's peak RSS. The models are the ones tools/torch_train_reference.py
checks netc's training step against:
  resnet20          CIFAR ResNet-20 (option A), 3x32x32   (examples/cifar/resnet.net)
  resnet56          CIFAR ResNet-56, 9 blocks per stage    (-D n=9)
  resnet20-fashion  the same on 1x28x28                   (-D input=1x28x28)
  small-vgg         tests/train/small-vgg.net, 3x32x32
Eager mode (no TorchScript: it does not speed up training here), fp32,
torch.set_num_threads(T), LD_PRELOAD=libtcmalloc_minimal.so.4 as in
bench/compare.py (the script re-executes itself with it).

Usage: /usr/bin/python3 bench/torch_train_bench.py [--model resnet20] [--batch 128]
           [--threads 1] [--steps 10] [--json]
--json prints one object: model, batch, threads, steps, images_per_s,
median_step_ms, peak_rss_mib, tcmalloc, torch.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TCMALLOC = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"
WARMUP = 3


def reexec_with_tcmalloc():
    """Restart this script with tcmalloc preloaded (once; the marker variable
    stops a loop where the library is missing or ignored)."""
    if os.environ.get("NETC_TORCH_BENCH_CHILD") or TCMALLOC in os.environ.get("LD_PRELOAD", ""):
        return
    if not os.path.exists(TCMALLOC):
        print(f"warning: {TCMALLOC} missing; PyTorch runs with glibc malloc", file=sys.stderr)
        return
    env = dict(os.environ, NETC_TORCH_BENCH_CHILD="1")
    env["LD_PRELOAD"] = TCMALLOC + (":" + env["LD_PRELOAD"] if env.get("LD_PRELOAD") else "")
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="resnet20",
                    choices=["resnet20", "resnet56", "resnet20-fashion", "small-vgg"])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=10, help="timed steps (after 3 warm-up steps)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    a = ap.parse_args()
    if a.steps < 1 or a.batch < 2:
        sys.exit("need --steps >= 1 and --batch >= 2")
    reexec_with_tcmalloc()

    import torch
    import torch.nn.functional as F
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import torch_train_reference as ref

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    chw = ref.MODELS[a.model][0]
    model = ref.build(a.model)
    ref.initialise(model, torch.Generator().manual_seed(a.seed))
    model.train()
    gen = torch.Generator().manual_seed(a.seed + 1)
    for m in model.modules():  # small-vgg's dropout: a fresh mask every step
        if isinstance(m, ref.MaskedDropout):
            m.mask_source = lambda name, shape, p=m.p: (torch.rand(shape, generator=gen) >= p).float()
    x = torch.randn((a.batch,) + chw, generator=gen)
    y = torch.randint(0, ref.CLASSES, (a.batch,), generator=gen)
    opt = torch.optim.SGD(model.parameters(), lr=ref.LR, momentum=ref.MOMENTUM,
                          weight_decay=ref.WEIGHT_DECAY)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(WARMUP):
        step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: KiB
    res = {"model": a.model, "batch": a.batch, "threads": torch.get_num_threads(),
           "steps": a.steps, "images_per_s": a.batch / med, "median_step_ms": med * 1e3,
           "peak_rss_mib": peak_kib / 1024.0,
           "tcmalloc": TCMALLOC in os.environ.get("LD_PRELOAD", ""),
           "final_loss": float(loss), "torch": torch.__version__}
    if a.json:
        print(json.dumps(res))
    else:
        print(f"{a.model}: batch {a.batch}, {res['threads']} thread(s): "
              f"{res['images_per_s']:.1f} images/s, median step {res['median_step_ms']:.1f} ms, "
              f"peak RSS {res['peak_rss_mib']:.0f} MiB"
              f"{'' if res['tcmalloc'] else ' (glibc malloc)'}")


if __name__ == "__main__":
    main()

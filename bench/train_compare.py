#!/usr/bin/python3
"""netc vs PyTorch 1.13 training steps: the same models, batch and threads.

For every model, in one run, alternating netc and PyTorch `--rounds` times:
  netc     `netc train NET --bench --json --threads T --batch B --steps S`
           (forward in training mode, loss, backward, SGD with momentum and
           weight decay; median step after 3 warm-up steps; synthetic data)
  PyTorch  bench/torch_train_bench.py: eager mode, train(), CrossEntropyLoss,
           SGD(momentum 0.9, weight decay), torch.set_num_threads(T),
           tcmalloc, median step after 3 warm-up steps
and prints one table: images/s (the median over rounds), the ratio
netc / PyTorch, and each process's peak resident memory.

Models:
  resnet20          examples/cifar/resnet.net (3x32x32, option A)
  resnet56          examples/cifar/resnet.net -D n=9
  resnet20-fashion  examples/fashion/resnet20.net (1x28x28)
  small-vgg         tests/train/small-vgg.net (3x32x32, maxpool, dropout)

Usage: /usr/bin/python3 bench/train_compare.py [--netc PATH] [--threads 1]
           [--models resnet20,resnet20-fashion] [--batch 128] [--steps 10]
           [--rounds 3] [--json FILE]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# name: (netc file, netc defines); bench/torch_train_bench.py builds the same model
MODELS = {
    "resnet20": ("examples/cifar/resnet.net", []),
    "resnet56": ("examples/cifar/resnet.net", ["n=9"]),
    "resnet20-fashion": ("examples/fashion/resnet20.net", []),
    "small-vgg": ("tests/train/small-vgg.net", []),
}


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_netc(netc, model, batch, threads, steps):
    path, defines = MODELS[model]
    cmd = [netc, "train", os.path.join(ROOT, path), "--bench", "--json",
           "--threads", str(threads), "--batch", str(batch), "--steps", str(steps)]
    for d in defines:
        cmd += ["-D", d]
    env = dict(os.environ)
    env.pop("NETC_PROFILE", None)  # the trainer's own profile: not wanted here
    return run_json(cmd, env)


def run_torch(model, batch, threads, steps):
    return run_json(["/usr/bin/python3", os.path.join(ROOT, "bench", "torch_train_bench.py"),
                     "--model", model, "--batch", str(batch), "--threads", str(threads),
                     "--steps", str(steps), "--json"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--netc", default=os.path.join(ROOT, "build", "tools", "netc", "netc"))
    ap.add_argument("--threads", default="1")
    ap.add_argument("--models", default="resnet20,resnet20-fashion")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", help="also write the results here")
    a = ap.parse_args()
    if not os.access(a.netc, os.X_OK):
        sys.exit(f"no netc binary at {a.netc} (build it, or pass --netc)")
    rows = []
    for t in [int(x) for x in a.threads.split(",") if x]:
        for m in [x for x in a.models.split(",") if x]:
            if m not in MODELS:
                sys.exit(f"unknown model '{m}' (known: {', '.join(MODELS)})")
            n_ips, p_ips, n_rss, p_rss = [], [], [], []
            for r in range(a.rounds):
                print(f"[{time.strftime('%H:%M:%S')}] {m}, {t} thread(s), round {r + 1}",
                      file=sys.stderr, flush=True)
                n = run_netc(a.netc, m, a.batch, t, a.steps)
                p = run_torch(m, a.batch, t, a.steps)
                n_ips.append(n["images_per_s"])
                p_ips.append(p["images_per_s"])
                n_rss.append(n["peak_rss_mib"])
                p_rss.append(p["peak_rss_mib"])
            rows.append({"model": m, "batch": a.batch, "threads": t,
                         "netc_img_s": statistics.median(n_ips),
                         "torch_img_s": statistics.median(p_ips),
                         "ratio": statistics.median(n_ips) / statistics.median(p_ips),
                         "netc_rss_mib": max(n_rss), "torch_rss_mib": max(p_rss),
                         "netc_rounds": n_ips, "torch_rounds": p_ips})
    print(f"\ntraining steps, batch {a.batch}; median of {a.rounds} rounds, each the median "
          f"of {a.steps} steps after warm-up; PyTorch eager + tcmalloc")
    hdr = (f"{'model':<17} {'threads':>7} {'netc img/s':>11} {'torch img/s':>12} "
           f"{'netc/torch':>11} {'netc RSS MiB':>13} {'torch RSS MiB':>14}")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        print(f"{r['model']:<17} {r['threads']:>7} {r['netc_img_s']:>11.1f} "
              f"{r['torch_img_s']:>12.1f} {r['ratio']:>10.2f}x {r['netc_rss_mib']:>13.0f} "
              f"{r['torch_rss_mib']:>14.0f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()

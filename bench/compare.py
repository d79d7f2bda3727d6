#!/usr/bin/python3
"""netc vs PyTorch 1.13 on the same models, batch and thread counts.

One command times, for every model and thread count:
  netc     `netc run NET --bench --json --threads T` (median after warm-up;
           compile_seconds = building the executor: every distinct kernel is
           JIT-compiled in-process, the disk kernel cache is off unless --cache)
  PyTorch  its best CPU inference configuration here: eval + no_grad,
           torch.jit.trace -> torch.jit.freeze -> torch.jit.optimize_for_inference
           (oneDNN), torch.set_num_threads(T), LD_PRELOAD=libtcmalloc_minimal.so.4,
           median after warm-up
and prints one table: img/s for both and the ratio netc / PyTorch.

Models (random weights: speed does not depend on their values):
  resnet50  examples/resnet/resnet50.net -D stride_in=3x3  vs torchvision resnet50 (4.09 GMAC)
  resnet18  examples/resnet/resnet18.net                   vs torchvision resnet18
  vgg16     examples/vgg/d.net                             vs torchvision vgg16

Usage: /usr/bin/python3 bench/compare.py [--netc PATH] [--threads 1,2]
           [--models resnet50,resnet18,vgg16] [--batch 1] [--json FILE] [--cache]
Each measurement runs in its own process, one after the other (thread counts
in the given order, 1 first: the second core of this machine is often busy).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TCMALLOC = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"

# name: (netc file, netc defines, torchvision constructor, GMAC per image)
MODELS = {
    "resnet50": ("examples/resnet/resnet50.net", ["stride_in=3x3"], "resnet50", 4.09),
    "resnet18": ("examples/resnet/resnet18.net", [], "resnet18", 1.82),
    "vgg16": ("examples/vgg/d.net", [], "vgg16", 15.47),
}


def iterations_for(gmac, threads):
    """About 3 s of timed passes per measurement at ~50 GFLOP/s, at least 10."""
    per_pass = 2 * gmac / (50.0 * threads)
    return max(10, min(50, int(3.0 / per_pass)))


# ---- PyTorch worker (runs in a child with tcmalloc preloaded) ------------

def torch_worker(model, batch, threads, iters):
    import torch
    import torchvision

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = getattr(torchvision.models, model)().eval()
    x = torch.randn(batch, 3, 224, 224)
    t0 = time.perf_counter()
    with torch.no_grad():
        traced = torch.jit.trace(net, x)
        frozen = torch.jit.freeze(traced)
        opt = torch.jit.optimize_for_inference(frozen)
        for _ in range(5):  # warm-up: the profiling executor specialises here
            opt(x)
        prep = time.perf_counter() - t0
        times = []
        for _ in range(iters):
            s = time.perf_counter()
            opt(x)
            times.append(time.perf_counter() - s)
    med = statistics.median(times)
    print(json.dumps({"median_ms": med * 1e3, "images_per_second": batch / med,
                      "prepare_seconds": prep, "threads": torch.get_num_threads(),
                      "torch": torch.__version__}))


def run_torch(model, batch, threads, iters):
    env = dict(os.environ)
    if os.path.exists(TCMALLOC):
        env["LD_PRELOAD"] = TCMALLOC
    else:
        print(f"warning: {TCMALLOC} missing; PyTorch runs with glibc malloc", file=sys.stderr)
    cmd = ["/usr/bin/python3", os.path.abspath(__file__), "--torch-worker", model,
           str(batch), str(threads), str(iters)]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


# ---- netc ------------------------------------------------------------------

def parse_profile(text):
    """The NETC_PROFILE=1 table (runtime/Executor.cpp, ~Executor) from netc's
    stderr: {"passes", "batch", "steps": [{"step", "ms", "percent", "gflops"
    (None for steps without FLOPs), "layer", "op"}], "io_ms", "total_ms",
    "total_gflops"}, or None if there is none. Each row is "STEP MS % [GFLOP/s]
    LAYER  OP": the mean per pass over every forward pass, warm-up included."""
    lines = text.splitlines()
    start = next((k for k, l in enumerate(lines) if l.startswith("netc profile:")), None)
    if start is None:
        return None
    head = re.match(r"netc profile: (\d+) forward passes, batch (\d+)", lines[start])
    prof = {"passes": int(head.group(1)), "batch": int(head.group(2)), "steps": []}
    num = r"([0-9.]+)"
    for line in lines[start + 2:]:
        m = re.match(rf"^\s*(\d+)\s+{num}\s+{num}\s+(?:{num}\s+)?(\S+)  (.*)$", line)
        if m:
            prof["steps"].append({"step": int(m.group(1)), "ms": float(m.group(2)),
                                  "percent": float(m.group(3)),
                                  "gflops": float(m.group(4)) if m.group(4) else None,
                                  "layer": m.group(5), "op": m.group(6).strip()})
        elif m := re.match(rf"^\s+{num}\s+{num}\s+NCHW<->NHWC", line):
            prof["io_ms"] = float(m.group(1))
        elif m := re.match(rf"^\s+{num}\s+{num}\s+{num}\s+total", line):
            prof["total_ms"] = float(m.group(1))
            prof["total_gflops"] = float(m.group(3))
            break
    return prof


def run_netc(netc, name, batch, threads, iters, cache, profile=False):
    """`netc run --bench --json`'s object (outputs dropped); with profile=True
    also NETC_PROFILE=1's per-step table, parsed, as "profile"."""
    path, defines, _, _ = MODELS[name]
    cmd = [netc, "run", os.path.join(ROOT, path), "--bench", "--json", "--threads", str(threads),
           "--batch", str(batch), "--iterations", str(iters)]
    for d in defines:
        cmd += ["-D", d]
    env = dict(os.environ)
    if not cache:
        env["NETC_CACHE"] = "off"  # cold: compile every kernel in this process
    if profile:
        env["NETC_PROFILE"] = "1"
    else:
        env.pop("NETC_PROFILE", None)
    res = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    j = json.loads(res.stdout)
    j.pop("outputs", None)
    if profile:
        j["profile"] = parse_profile(res.stderr)
    return j


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--torch-worker":
        m, b, t, n = sys.argv[2:6]
        torch_worker(m, int(b), int(t), int(n))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--netc", default=os.path.join(ROOT, "build", "tools", "netc", "netc"))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--models", default="resnet50,resnet18,vgg16")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--cache", action="store_true",
                    help="let netc use its disk kernel cache (compile time is then warm)")
    a = ap.parse_args()
    if not os.access(a.netc, os.X_OK):
        sys.exit(f"no netc binary at {a.netc} (build it, or pass --netc)")
    models = [m for m in a.models.split(",") if m]
    for m in models:
        if m not in MODELS:
            sys.exit(f"unknown model '{m}' (known: {', '.join(MODELS)})")
    threads = [int(t) for t in a.threads.split(",") if t]

    rows = []
    for t in threads:
        for m in models:
            iters = iterations_for(MODELS[m][3] * a.batch, t)
            print(f"[{time.strftime('%H:%M:%S')}] {m}, batch {a.batch}, {t} thread(s): netc ...",
                  file=sys.stderr, flush=True)
            n = run_netc(a.netc, m, a.batch, t, iters, a.cache)
            print(f"[{time.strftime('%H:%M:%S')}] {m}, batch {a.batch}, {t} thread(s): PyTorch ...",
                  file=sys.stderr, flush=True)
            p = run_torch(MODELS[m][2], a.batch, t, iters)
            rows.append({"model": m, "batch": a.batch, "threads": t, "iterations": iters,
                         "netc_img_s": n["images_per_second"], "netc_ms": n["median_ms"],
                         "netc_compile_s": n["compile_seconds"],
                         "torch_img_s": p["images_per_second"], "torch_ms": p["median_ms"],
                         "ratio": n["images_per_second"] / p["images_per_second"]})

    print(f"\nbatch {a.batch}; medians after warm-up; PyTorch {p['torch']} "
          "(trace+freeze+optimize_for_inference, tcmalloc)")
    hdr = (f"{'model':<10} {'threads':>7} {'netc img/s':>11} {'torch img/s':>12} "
           f"{'netc/torch':>11} {'netc ms':>9} {'torch ms':>9} {'netc compile s':>15}")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        print(f"{r['model']:<10} {r['threads']:>7} {r['netc_img_s']:>11.2f} {r['torch_img_s']:>12.2f} "
              f"{r['ratio']:>10.2f}x {r['netc_ms']:>9.1f} {r['torch_ms']:>9.1f} "
              f"{r['netc_compile_s']:>15.2f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""The whole benchmark table, netc vs PyTorch 1.13, in one run (`make bench`).

Three sections, every measurement in its own process, one after the other
(1 thread first: the second core of this machine is often busy):

  inference  bench/compare.py: `netc run NET --bench --json` vs PyTorch
             trace + freeze + optimize_for_inference (tcmalloc); ResNet-50
             (torchvision v1.5 strides), ResNet-18, VGG-16 at batch 1 and 8
  training   bench/train_compare.py: `netc train NET --bench --json` vs
             bench/torch_train_bench.py (eager, SGD with momentum); CIFAR
             ResNet-20 and ResNet-56 (examples/cifar/resnet.net -D n=9), batch 128
  per layer  NETC_PROFILE=1 on the ResNet-50 inference runs: GFLOP/s of every
             conv and fc step and its % of the fp32 FMA peak (117.2 GFLOP/s
             per thread on this Zen 4, times the thread count)

and prints one markdown table per section, netc / PyTorch per row (medians).

Usage: /usr/bin/python3 bench/table.py [--netc PATH] [--threads 1,2]
           [--models resnet50,resnet18,vgg16] [--batches 1,8] [--iterations N]
           [--rounds 1] [--train-models resnet20,resnet56] [--train-batch 128] [--train-steps 10]
           [--train-rounds 3] [--profile-model resnet50] [--tuning-db PATH]
           [--cache] [--quick] [--json FILE] [--markdown FILE]
       /usr/bin/python3 bench/table.py --from-json FILE   (reprint a saved run)
An empty list skips a section (--models "" : no inference; --train-models "" :
no training; --profile-model "" : no per-layer table). --quick: ResNet-18 and
ResNet-50 at batch 1, ResNet-20 training, 1 thread, 3 passes / 2 steps, 1
round (a smoke test, about 1 minute; its numbers are noisy).
"""
import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402
import train_compare  # noqa: E402

ROOT = compare.ROOT
PEAK_PER_THREAD = 117.2  # GFLOP/s: fp32 FMA peak of one Zen 4 core here (bench/README.md)
T0 = time.time()


def log(msg):
    el = time.time() - T0
    print(f"[{time.strftime('%H:%M:%S')} +{el / 60:4.1f} min] {msg}", file=sys.stderr, flush=True)


def csv(s, conv=str):
    return [conv(x) for x in s.split(",") if x.strip()] if s else []


def error_text(e):
    if isinstance(e, subprocess.CalledProcessError):
        tail = (e.stderr or "").strip().splitlines()[-3:]
        return f"exit {e.returncode}: {' | '.join(tail)}"
    return f"{type(e).__name__}: {e}"


# ---- what the runs see -------------------------------------------------------

def cache_dir():
    """netc's kernel disk cache directory (compiler/halide/KernelCache.cpp)."""
    if os.environ.get("NETC_CACHE", "").lower() in ("off", "0", "no", "false"):
        return None
    for var, suffix in (("NETC_CACHE_DIR", ""), ("XDG_CACHE_HOME", "/netc"), ("HOME", "/.cache/netc")):
        if os.environ.get(var):
            return os.environ[var] + suffix
    return None


def tuning_db(cache_on):
    """The tuning database a netc process would read (schedules/tuning/TuningDb.cpp:
    $NETC_TUNING_DB, else tuning.json in the kernel cache directory, none with the
    cache off) and what it holds."""
    path = os.environ.get("NETC_TUNING_DB") or None
    if not path and cache_on and cache_dir():
        path = os.path.join(cache_dir(), "tuning.json")
    info = {"path": path, "exists": bool(path and os.path.exists(path)), "conv_entries": 0,
            "by_section": {}}
    if info["exists"]:
        try:
            with open(path) as f:
                db = json.load(f)
            for section, entries in db.items():
                if section == "version":
                    continue
                info["conv_entries"] += len(entries)
                counts = info["by_section"].setdefault(section, {})
                for k in entries:  # "...|threads=1|batch=128[|train]"
                    t = "threads=" + k.rsplit("threads=", 1)[-1]
                    counts[t] = counts.get(t, 0) + 1
        except (OSError, ValueError, AttributeError) as e:
            info["error"] = str(e)
    return info


def describe_db(info):
    if not info["path"]:
        return "none (NETC_CACHE=off, NETC_TUNING_DB unset)"
    if not info["exists"]:
        return f"none (`{info['path']}` does not exist)"
    if "error" in info:
        return f"`{info['path']}` (unreadable: {info['error']})"
    if not info["conv_entries"]:
        return f"`{info['path']}` (empty)"
    per = "; ".join(section + ": " + ", ".join(f"{n} for {t}" for t, n in sorted(c.items()))
                    for section, c in sorted(info["by_section"].items()))
    return f"`{info['path']}` ({info['conv_entries']} tuned kernels; {per})"


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def git_rev():
    try:
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return rev + ("+changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def loadavg():
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


# ---- the runs ----------------------------------------------------------------

def busy_seconds():
    """CPU seconds the whole machine has spent busy (every CPU; /proc/stat:
    user, nice, system, irq, softirq, steal), or None."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return (v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def timed(fn, *args, **kw):
    """fn's result and the other load while it ran: the cores that work other
    than fn's child process kept busy, on average (the machine's busy CPU
    seconds less the child's, over the wall seconds; about 0 on a quiet host,
    near 1 when something else took a whole core)."""
    r0, b0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), busy_seconds(), time.perf_counter()
    res = fn(*args, **kw)
    r1, b1 = resource.getrusage(resource.RUSAGE_CHILDREN), busy_seconds()
    wall = time.perf_counter() - t0
    mine = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if b0 is None or b1 is None or wall <= 0:
        return res, None
    return res, max(0.0, (b1 - b0 - mine) / wall)


def median_or_none(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def inference(a, rows):
    for t in a.threads:
        for b in a.batches:
            for m in a.models:
                gmac = compare.MODELS[m][3]
                iters = a.iterations or compare.iterations_for(gmac * b, t)
                row = {"model": m, "batch": b, "threads": t, "iterations": iters,
                       "rounds": a.rounds}
                prof = m == a.profile_model
                n_ips, p_ips, n_ms, p_ms, n_comp, n_cores, p_cores = [], [], [], [], [], [], []
                try:
                    for r in range(a.rounds):
                        what = f"inference {m}, batch {b}, {t} thread(s), {iters} passes" + (
                            f", round {r + 1}/{a.rounds}" if a.rounds > 1 else "")
                        log(f"{what}: netc" + (" (NETC_PROFILE=1)" if prof and r == 0 else ""))
                        n, cores = timed(compare.run_netc, a.netc, m, b, t, iters, a.cache,
                                         profile=prof and r == 0)
                        n_ips.append(n["images_per_second"])
                        n_ms.append(n["median_ms"])
                        n_comp.append(n["compile_seconds"])
                        n_cores.append(cores)
                        if prof and r == 0:
                            row["profile"] = n.get("profile")
                        log(f"{what}: PyTorch")
                        p, cores = timed(compare.run_torch, compare.MODELS[m][2], b, t, iters)
                        p_ips.append(p["images_per_second"])
                        p_ms.append(p["median_ms"])
                        p_cores.append(cores)
                        row["torch"] = p["torch"]
                    med = statistics.median
                    row.update(netc_img_s=med(n_ips), netc_ms=med(n_ms), netc_compile_s=med(n_comp),
                               torch_img_s=med(p_ips), torch_ms=med(p_ms),
                               netc_other_load=median_or_none(n_cores),
                               torch_other_load=median_or_none(p_cores),
                               netc_rounds=n_ips, torch_rounds=p_ips)
                    row["ratio"] = row["netc_img_s"] / row["torch_img_s"]
                except Exception as e:  # keep going: one failed row should not lose the rest
                    row["error"] = error_text(e)
                    log(f"  failed: {row['error']}")
                rows.append(row)


def training(a, rows):
    for t in a.threads:
        for m in a.train_models:
            row = {"model": m, "batch": a.train_batch, "threads": t, "steps": a.train_steps,
                   "rounds": a.train_rounds}
            n_ips, p_ips, n_ms, p_ms, n_rss, p_rss = [], [], [], [], [], []
            n_cores, p_cores = [], []
            try:
                for r in range(a.train_rounds):
                    log(f"training {m}, batch {a.train_batch}, {t} thread(s), round {r + 1}/"
                        f"{a.train_rounds}: netc")
                    n, cores = timed(train_compare.run_netc, a.netc, m, a.train_batch, t,
                                     a.train_steps)
                    n_cores.append(cores)
                    log(f"training {m}, batch {a.train_batch}, {t} thread(s), round {r + 1}/"
                        f"{a.train_rounds}: PyTorch")
                    p, cores = timed(train_compare.run_torch, m, a.train_batch, t, a.train_steps)
                    p_cores.append(cores)
                    n_ips.append(n["images_per_s"])
                    p_ips.append(p["images_per_s"])
                    n_ms.append(n["median_step_ms"])
                    p_ms.append(p["median_step_ms"])
                    n_rss.append(n["peak_rss_mib"])
                    p_rss.append(p["peak_rss_mib"])
                    row["torch"] = p.get("torch")
                row.update(netc_img_s=statistics.median(n_ips), torch_img_s=statistics.median(p_ips),
                           netc_ms=statistics.median(n_ms), torch_ms=statistics.median(p_ms),
                           netc_rss_mib=max(n_rss), torch_rss_mib=max(p_rss),
                           netc_rounds=n_ips, torch_rounds=p_ips,
                           netc_other_load=median_or_none(n_cores),
                           torch_other_load=median_or_none(p_cores))
                row["ratio"] = row["netc_img_s"] / row["torch_img_s"]
            except Exception as e:
                row["error"] = error_text(e)
                log(f"  failed: {row['error']}")
            rows.append(row)


# ---- the tables --------------------------------------------------------------

def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def ratio_summary(rows, threads):
    parts = []
    for t in threads:
        g = geomean([r.get("ratio") for r in rows if r["threads"] == t])
        if g:
            parts.append(f"{t} thread{'s' if t > 1 else ''} **{g:.2f}x**")
    return "geometric mean of netc / PyTorch: " + ", ".join(parts) if parts else ""


CORES_NOTE = ("`other load`: the cores that other processes kept busy while netc's and "
              "PyTorch's process ran (machine-wide busy CPU time from /proc/stat less the "
              "measured process's own, over the wall time; median over rounds): about 0 on a "
              "quiet host; near 1 or more, that row shared its cores with other work and is not "
              "to be trusted, least of all at 2 threads.")


def cores(r):
    if r.get("netc_other_load") is None or r.get("torch_other_load") is None:
        return "-"
    return f"{r['netc_other_load']:.2f} / {r['torch_other_load']:.2f}"


def inference_md(a, rows):
    out = ["## Inference: `netc run --bench` vs PyTorch jit (trace, freeze, optimize_for_inference)",
           "",
           "Random weights, 3x224x224 input; each side the median of the given number of timed "
           "passes after warm-up (netc 3, PyTorch 5)"
           + (f", then the median over {a.rounds} alternating rounds" if getattr(a, "rounds", 1) > 1
              else "") + ". `netc compile s`: building the executor "
           + ("(kernels from the disk cache where present)." if a.cache else
              "with every kernel JIT-compiled in-process (`NETC_CACHE=off`, cold).")
           + " " + CORES_NOTE,
           "",
           "| model | batch | threads | netc img/s | PyTorch img/s | netc / PyTorch | netc ms | "
           "PyTorch ms | passes | netc compile s | other load netc / PyTorch |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "error" in r:
            out.append(failed_row(r))
            continue
        out.append(f"| {r['model']} | {r['batch']} | {r['threads']} | {r['netc_img_s']:.2f} | "
                   f"{r['torch_img_s']:.2f} | **{r['ratio']:.2f}x** | {r['netc_ms']:.1f} | "
                   f"{r['torch_ms']:.1f} | {r['iterations']} | {r['netc_compile_s']:.2f} | "
                   f"{cores(r)} |")
    out += ["", ratio_summary(rows, a.threads), ""]
    return out


def failed_row(r):
    """A table row for a measurement that failed: its error, the rest blank."""
    return (f"| {r['model']} | {r['batch']} | {r['threads']} | failed: "
            f"{r['error'].replace('|', '/')} | | | | | | | |")


def training_md(a, rows):
    out = [f"## Training: `netc train --bench` vs PyTorch eager, batch {a.train_batch}",
           "",
           "One SGD step (train-mode forward, cross-entropy, backward, momentum 0.9 and weight "
           f"decay), synthetic data; each number the median over {a.train_rounds} alternating "
           f"round(s) of the median of {a.train_steps} steps after 3 warm-up steps. RSS: the "
           "largest peak resident memory of a round. " + CORES_NOTE,
           "",
           "| model | batch | threads | netc img/s | PyTorch img/s | netc / PyTorch | "
           "netc ms/step | PyTorch ms/step | netc RSS MiB | PyTorch RSS MiB | other load netc / PyTorch |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "error" in r:
            out.append(failed_row(r))
            continue
        out.append(f"| {r['model']} | {r['batch']} | {r['threads']} | {r['netc_img_s']:.1f} | "
                   f"{r['torch_img_s']:.1f} | **{r['ratio']:.2f}x** | {r['netc_ms']:.1f} | "
                   f"{r['torch_ms']:.1f} | {r['netc_rss_mib']:.0f} | {r['torch_rss_mib']:.0f} | "
                   f"{cores(r)} |")
    out += ["", ratio_summary(rows, a.threads), ""]
    return out


def profile_md(a, rows):
    runs = [r for r in rows if r["model"] == a.profile_model and r.get("profile")]
    if not runs:
        return []
    runs.sort(key=lambda r: (r["threads"], r["batch"]))
    cols = [f"b{r['batch']} t{r['threads']}" for r in runs]
    peak = {id(r): PEAK_PER_THREAD * r["threads"] for r in runs}
    out = [f"## {a.profile_model} per layer (netc, `NETC_PROFILE=1`)",
           "",
           "Each cell: GFLOP/s of the step (2 x MACs over its time) and its share of the fp32 FMA "
           f"peak, {PEAK_PER_THREAD} GFLOP/s per thread times the threads (`bN tT`: batch N, T "
           "threads). The time is the mean per pass over the timed passes of the inference run "
           "above (`netc run --bench` resets the profile after its warm-up passes). Steps without FLOPs (pools, softmax) are summed in `other`.",
           "",
           "| step | layer | op | " + " | ".join(cols) + " |",
           "|---:|---|---|" + "---:|" * len(cols)]
    steps = runs[0]["profile"]["steps"]
    for k, s in enumerate(steps):
        if s["gflops"] is None:
            continue
        cells = []
        for r in runs:
            st = r["profile"]["steps"]
            g = st[k]["gflops"] if k < len(st) and st[k]["layer"] == s["layer"] else None
            cells.append("-" if g is None else f"{g:.1f} ({100 * g / peak[id(r)]:.0f}%)")
        out.append(f"| {s['step']} | {s['layer']} | {s['op']} | " + " | ".join(cells) + " |")
    other = []
    for r in runs:
        p = r["profile"]
        ms = sum(s["ms"] for s in p["steps"] if s["gflops"] is None) + p.get("io_ms", 0)
        other.append(f"{ms:.2f} ms ({100 * ms / p['total_ms']:.1f}%)" if p.get("total_ms") else "-")
    out.append("| | other | pools, softmax, NCHW<->NHWC copies | " + " | ".join(other) + " |")
    tot = []
    for r in runs:
        p = r["profile"]
        g = p.get("total_gflops")
        tot.append(f"{g:.1f} ({100 * g / peak[id(r)]:.0f}%), {p['total_ms']:.1f} ms" if g else "-")
    out.append("| | **total** | whole pass | " + " | ".join(tot) + " |")
    # The same by kind of step ("conv 1x1/1", "conv 3x3/2", "fc"): summed FLOPs over summed time.
    kinds = []
    for s in steps:
        k = " ".join(s["op"].split()[:2]) if s["op"].startswith("conv") else s["op"].split()[0]
        if s["gflops"] is not None and k not in kinds:
            kinds.append(k)
    out += ["", "By kind of step: GFLOP/s over all such steps (% of peak), and their share of the "
            "pass's time.", "", "| kind | steps | " + " | ".join(cols) + " |",
            "|---|---:|" + "---:|" * len(cols)]
    for k in kinds:
        cells, count = [], 0
        for r in runs:
            p = r["profile"]
            sel = [s for s in p["steps"] if s["gflops"] is not None and
                   (" ".join(s["op"].split()[:2]) if s["op"].startswith("conv")
                    else s["op"].split()[0]) == k]
            count = len(sel)
            ms = sum(s["ms"] for s in sel)
            gflop = sum(s["gflops"] * s["ms"] * 1e-3 for s in sel)
            g = gflop / (ms * 1e-3) if ms > 0 else 0
            cells.append(f"{g:.1f} ({100 * g / peak[id(r)]:.0f}%), "
                         f"{100 * ms / p['total_ms']:.0f}% of time")
        out.append(f"| {k} | {count} | " + " | ".join(cells) + " |")
    out.append("")
    return out


def render(a, meta, inf_rows, train_rows):
    """The markdown report of one run."""
    torch_v = meta.get("torch", "?")
    db_inf, db_train = meta["tuning_db_inference"], meta["tuning_db_training"]
    md = ["# netc vs PyTorch " + torch_v + (" (--quick: a smoke test, noisy)" if meta["quick"]
                                           else ""), "",
          f"{meta['date']}; {meta['cpu']}, {meta['cpus']} CPUs; netc {meta['netc_rev']}; "
          f"PyTorch {torch_v} with tcmalloc; 1-minute load average {meta['load_start']:.2f} "
          f"at the start, {meta['load_end']:.2f} at the end; this run took "
          f"{meta['wall_seconds'] / 60:.1f} min.", ""]
    if describe_db(db_inf) == describe_db(db_train):
        md += [f"netc tuning database: {describe_db(db_inf)}.", ""]
    else:
        md += [f"netc tuning database: inference {describe_db(db_inf)}; "
               f"training {describe_db(db_train)}.", ""]
    md += ["The ratio is netc's images/s over PyTorch's (above 1: netc is faster).", ""]
    if inf_rows:
        md += inference_md(a, inf_rows)
    if train_rows:
        md += training_md(a, train_rows)
    if a.profile_model:
        md += profile_md(a, inf_rows)
    return "\n".join(md).rstrip() + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 2)[2])
    ap.add_argument("--netc", default=os.path.join(ROOT, "build", "tools", "netc", "netc"))
    ap.add_argument("--threads", help="thread counts, in order (default 1,2)")
    ap.add_argument("--models", help="inference models (default resnet50,resnet18,vgg16)")
    ap.add_argument("--batches", help="inference batches (default 1,8)")
    ap.add_argument("--iterations", type=int,
                    help="timed inference passes (default: about 3 s worth, 10 to 50)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="inference: alternating netc/PyTorch rounds, median over them (default 1)")
    ap.add_argument("--train-models", help="training models (default resnet20,resnet56)")
    ap.add_argument("--train-batch", type=int, default=128)
    ap.add_argument("--train-steps", type=int, help="timed steps per round (default 10)")
    ap.add_argument("--train-rounds", type=int, help="alternating netc/PyTorch rounds (default 3)")
    ap.add_argument("--profile-model", help="inference model profiled per layer (default resnet50)")
    ap.add_argument("--tuning-db", help="netc's tuning database (sets NETC_TUNING_DB)")
    ap.add_argument("--cache", action="store_true",
                    help="inference: let netc use its kernel disk cache (warm compile time; "
                         "also its tuning.json unless --tuning-db)")
    ap.add_argument("--quick", action="store_true", help="a smoke test: few models and passes")
    ap.add_argument("--json", help="also write every result here")
    ap.add_argument("--markdown", help="also write the tables here")
    ap.add_argument("--from-json", metavar="FILE",
                    help="measure nothing: print the report of an earlier --json FILE")
    a = ap.parse_args()
    if a.from_json:
        with open(a.from_json) as f:
            saved = json.load(f)
        for k, v in saved["meta"]["args"].items():
            setattr(a, k, v)
        print(render(a, saved["meta"], saved["inference"], saved["training"]), end="")
        return

    q = a.quick
    a.threads = csv(a.threads if a.threads is not None else ("1" if q else "1,2"), int)
    a.models = csv(a.models if a.models is not None else
                   ("resnet18,resnet50" if q else "resnet50,resnet18,vgg16"))
    a.batches = csv(a.batches if a.batches is not None else ("1" if q else "1,8"), int)
    a.train_models = csv(a.train_models if a.train_models is not None else
                         ("resnet20" if q else "resnet20,resnet56"))
    a.iterations = a.iterations or (3 if q else None)
    a.train_steps = a.train_steps or (2 if q else 10)
    a.train_rounds = a.train_rounds or (1 if q else 3)
    if a.profile_model is None:
        a.profile_model = "resnet50"
    for m in a.models:
        if m not in compare.MODELS:
            sys.exit(f"unknown inference model '{m}' (known: {', '.join(compare.MODELS)})")
    for m in a.train_models:
        if m not in train_compare.MODELS:
            sys.exit(f"unknown training model '{m}' (known: {', '.join(train_compare.MODELS)})")
    if a.profile_model and a.profile_model not in a.models:
        print(f"note: --profile-model {a.profile_model} is not among --models: no per-layer table",
              file=sys.stderr)
    if not os.access(a.netc, os.X_OK):
        sys.exit(f"no netc binary at {a.netc} (build it, or pass --netc)")
    a.netc = os.path.abspath(a.netc)
    if a.tuning_db:
        if not os.path.exists(a.tuning_db):
            sys.exit(f"--tuning-db {a.tuning_db}: no such file")
        os.environ["NETC_TUNING_DB"] = os.path.abspath(a.tuning_db)

    # Inference runs with NETC_CACHE=off unless --cache; training with netc's default
    # cache (train_compare.py): each may see a different tuning database.
    db_inf, db_train = tuning_db(a.cache), tuning_db(True)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpu": cpu_name(),
            "cpus": os.cpu_count(), "netc": a.netc, "netc_rev": git_rev(),
            "peak_gflops_per_thread": PEAK_PER_THREAD, "quick": q,
            "tuning_db_inference": db_inf, "tuning_db_training": db_train,
            "load_start": loadavg(), "args": {k: v for k, v in vars(a).items()
                                              if k not in ("json", "markdown")}}
    log(f"netc {meta['netc_rev']} ({a.netc}); tuning DB: inference {describe_db(db_inf)}, "
        f"training {describe_db(db_train)}")

    inf_rows, train_rows = [], []
    if a.models:
        inference(a, inf_rows)
    if a.train_models:
        training(a, train_rows)
    meta["load_end"] = loadavg()
    meta["wall_seconds"] = time.time() - T0
    torch_v = next((r["torch"] for r in inf_rows + train_rows if r.get("torch")), "?")
    meta["torch"] = torch_v

    text = render(a, meta, inf_rows, train_rows)
    print(text, end="")
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(text)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"meta": meta, "inference": inf_rows, "training": train_rows}, f, indent=2)
    failed = sum("error" in r for r in inf_rows + train_rows)
    if failed:
        print(f"{failed} measurement(s) failed", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

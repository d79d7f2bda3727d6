#!/usr/bin/env python3
"""Assembles the PTX inside CUDA libraries with NVIDIA's ptxas, when there is one.

Halide embeds each kernel's PTX in the library as text; the driver JIT-compiles
it on the GPU. What would fail there first (too many registers or too much
shared memory for a block, a PTX the assembler rejects) fails here instead.
Prints, per library and architecture, the kernels, the most registers any
kernel uses, and the kernels that spill; exit 1 if ptxas rejects one.
Without ptxas (CUDA is not a Debian package) it says so and exits 0.

usage: ptxas_check.py ARCH[,ARCH...] LIB.a [LIB.a ...]     (e.g. sm_80,sm_90)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile


def ptxas_path():
    for p in (shutil.which("ptxas"), "/usr/local/cuda/bin/ptxas"):
        if p and os.access(p, os.X_OK):
            return p
    return None


def kernels(lib):
    data = open(lib, "rb").read()
    for m in re.finditer(rb"\.version \d+\.\d+", data):
        end = data.index(b"\0", m.start())
        yield data[m.start():end]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    ptxas = ptxas_path()
    if not ptxas:
        print("ptxas_check: no ptxas here (CUDA toolkit not installed): skipped")
        return 0
    archs = sys.argv[1].split(",")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for lib in sys.argv[2:]:
            ptx = list(kernels(lib))
            if not ptx:
                print(f"FAIL {lib}: no PTX")
                ok = False
                continue
            for arch in archs:
                regs, spills = 0, []
                for i, text in enumerate(ptx):
                    path = os.path.join(tmp, f"k{i}.ptx")
                    with open(path, "wb") as f:
                        f.write(text)
                    r = subprocess.run([ptxas, f"-arch={arch}", "-v", path, "-o", os.devnull],
                                       capture_output=True, text=True)
                    if r.returncode != 0:
                        print(f"FAIL {lib} kernel {i} for {arch}:\n{r.stderr.strip()}")
                        ok = False
                        continue
                    for line in r.stderr.splitlines():
                        if "Compiling entry function" in line:
                            entry = line.split("'")[1] if "'" in line else line
                        m = re.search(r"Used (\d+) registers", line)
                        if m:
                            regs = max(regs, int(m.group(1)))
                        m = re.search(r"(\d+) bytes spill stores", line)
                        if m and int(m.group(1)) > 0:
                            spills.append(entry)
                print(f"{os.path.basename(lib)} {arch}: {len(ptx)} kernels assembled, at most "
                      f"{regs} registers, {len(spills)} spilling"
                      + (f" ({', '.join(spills[:4])})" if spills else ""))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

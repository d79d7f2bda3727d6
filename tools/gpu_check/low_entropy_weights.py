#!/usr/bin/python3
"""Rewrite a .nw weights file in place with seeded, low-entropy random values.

`netc weights init --init he` gives i.i.d. floats: ResNet-50's 98 MB of them do
not compress, so they cannot travel to a machine that takes 64 MiB. Here every
tensor of rank >= 2 (conv, fc weights) becomes s * (+1 or -1) with random
signs, s its He scale sqrt(2 / fan_in): full-rank, random, and entropy about
one bit per weight, so NAME.weights of a library built from it compresses
~20x with xz whatever the kernels' layout. Rank-1 tensors (BN gamma, beta,
running mean and variance, biases) get random values from a few levels, so
no BN is the identity and a bug in BN or its folding shows.

Only the float data changes: the flatbuffer (runtime/weights.fbs) is parsed
just enough to find each tensor's name, shape and data vector, and the new
values are written over the old ones, so the file stays valid for netc.

usage: low_entropy_weights.py FILE.nw SEED [FC_SCALE (0.1)]
"""
import struct
import sys

import numpy as np


def u32(b, at):
    return struct.unpack_from("<I", b, at)[0]


def field(b, table, index):
    """Absolute position of field `index` of the table at `table`, or None."""
    vt = table - struct.unpack_from("<i", b, table)[0]
    vt_size = struct.unpack_from("<H", b, vt)[0]
    slot = 4 + 2 * index
    if slot >= vt_size:
        return None
    off = struct.unpack_from("<H", b, vt + slot)[0]
    return table + off if off else None


def deref(b, at):
    return at + u32(b, at)


def tensors(b):
    """(name, shape, data offset, count) of every tensor in the Weights table."""
    root = deref(b, 0)
    vec = deref(b, field(b, root, 3))  # Weights.tensors
    for i in range(u32(b, vec)):
        t = deref(b, vec + 4 + 4 * i)
        name_at = deref(b, field(b, t, 0))
        name = bytes(b[name_at + 4:name_at + 4 + u32(b, name_at)]).decode()
        shape = []
        if field(b, t, 1) is not None:
            s = deref(b, field(b, t, 1))
            shape = list(struct.unpack_from("<%dq" % u32(b, s), b, s + 4))
        d = deref(b, field(b, t, 3))
        yield name, shape, d + 4, u32(b, d)


def main():
    path, seed = sys.argv[1], int(sys.argv[2])
    fc_scale = float(sys.argv[3]) if len(sys.argv) > 3 else 0.1
    b = bytearray(open(path, "rb").read())
    if b[4:8] != b"NETW":
        sys.exit(f"{path}: not a netc weights file")
    rng = np.random.default_rng(seed)
    n = 0
    for name, shape, at, count in tensors(b):
        if count != int(np.prod(shape, dtype=np.int64)):
            sys.exit(f"{path}: tensor {name}: {count} values for shape {shape}")
        if len(shape) >= 2:
            fan_in = count // shape[0]
            # He scale for convs; fc (rank 2) FC_SCALE times that, so the
            # logits stay O(1) and the softmax at the end is not saturated
            # (a saturated one would hide errors).
            scale = np.sqrt(2.0 / fan_in) * (fc_scale if len(shape) == 2 else 1.0)
            v = np.where(rng.random(count) < 0.5, -1.0, 1.0) * scale
        else:
            levels = rng.integers(0, 8, count)
            leaf = name.rsplit(".", 1)[-1]
            if "var" in leaf:
                v = 0.5 + 0.25 * levels      # running variance in [0.5, 2.25]
            elif leaf in ("gamma", "weight", "scale"):
                v = 0.625 + 0.125 * levels   # gamma in [0.625, 1.5]
            else:
                v = 0.05 * (levels - 3.5)    # beta, running mean, bias in [-0.175, 0.175]
        b[at:at + 4 * count] = v.astype("<f4").tobytes()
        n += count
    with open(path, "wb") as f:
        f.write(b)
    print(f"{path}: {n} values rewritten (seed {seed})")


if __name__ == "__main__":
    main()

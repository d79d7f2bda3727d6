#!/usr/bin/env python3
"""Reference for tests/train/SgdTest.cpp: four steps of torch.optim.SGD
(momentum 0.9, weight decay 1e-4, dampening 0, no Nesterov) with the lr
changing between steps, on seeded random parameters and gradients.

Writes to OUTDIR, for each parameter i and step s (0..3), float32 .npy:
  p{i}_init.npy, g{i}_{s}.npy, p{i}_{s}.npy (after step s), buf{i}_{s}.npy
The learning rates are LRS below; SgdTest.cpp uses the same list.
"""
import os
import sys

import numpy as np
import torch

LRS = [0.1, 0.1, 0.01, 0.001]  # keep in sync with kLrs in SgdTest.cpp
SHAPES = [(7,), (3, 4, 5), (16 * 256 * 3 + 5,)]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(1234)
    params = [torch.nn.Parameter(torch.randn(s)) for s in SHAPES]
    for i, p in enumerate(params):
        np.save(os.path.join(out, f"p{i}_init.npy"), p.detach().numpy().astype(np.float32))
    opt = torch.optim.SGD(params, lr=LRS[0], momentum=0.9, weight_decay=1e-4)
    for s, lr in enumerate(LRS):
        for g in opt.param_groups:
            g["lr"] = lr
        for i, p in enumerate(params):
            p.grad = torch.randn(p.shape)
            np.save(os.path.join(out, f"g{i}_{s}.npy"), p.grad.numpy().astype(np.float32))
        opt.step()
        for i, p in enumerate(params):
            np.save(os.path.join(out, f"p{i}_{s}.npy"), p.detach().numpy().astype(np.float32))
            buf = opt.state[p]["momentum_buffer"]
            np.save(os.path.join(out, f"buf{i}_{s}.npy"), buf.numpy().astype(np.float32))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""PyTorch oracle for netc's training step: a few SGD steps from seeded weights.

The model is built exactly like the matching netc network, initialised with
seeded random weights, exported to ONNX (netc binds ONNX initialisers to its
parameters in graph order, runtime/OnnxImport.cpp), then trained for --steps
SGD steps on fresh random batches, in float32 (netc's precision); the model
after the last step is exported again. A float64 twin of the same run
measures how far float32 rounding alone moves the results, so a test can set
its tolerance from meta.json.

Models (netc file and defines in meta.json):
  resnet20          examples/cifar/resnet.net                      3x32x32
  resnet56          examples/cifar/resnet.net -D n=9               3x32x32
  resnet20-fashion  examples/cifar/resnet.net -D input=1x28x28     1x28x28
  small-vgg         tests/train/small-vgg.net                      3x32x32
                    (conv3-16, maxpool, conv3-32, maxpool, FC-64, dropout 0.5, FC-10)

Usage: /usr/bin/python3 tools/torch_train_reference.py OUTDIR
           --model resnet20|resnet56|resnet20-fashion|small-vgg [--steps 2] [--batch 8] [--seed 0]

Writes, for steps k = 0 .. steps-1:
  initial.onnx        the model before training (eval-mode export, opset 13,
                      BN running stats 0/1 as initialisers)
  input_k.npy         float32 [batch, C, H, W], N(0, 1)
  labels_k.npy        int32 [batch], uniform in [0, classes)
  mask_dropout1_k.npy (small-vgg only) float32 [batch, 64] keep-mask, 0 or 1:
                      dropout1's output is x * mask / (1 - p) for step k
  loss_k.npy          float64 scalar (shape ()): mean cross-entropy of step k,
                      computed on the weights before step k's update
  logits_0.npy        float32 [batch, classes]: train-mode logits of step 0
  after.onnx          the model after all steps (eval-mode export: the updated
                      running statistics are its BN initialisers)
  meta.json           settings, parameter count and float32-vs-float64 diffs

Training semantics (torch.optim.SGD, dampening 0, no Nesterov):
  g = grad + wd * w   (every parameter: conv/fc weights and biases, BN gamma/beta)
  v = g on step 0, else momentum * v + g;   w -= lr * v
  BN in train mode: batch mean and biased batch variance normalise; running
  stats r = (1 - 0.1) * r + 0.1 * batch_stat with the UNBIASED variance
  (n / (n - 1), n = N*H*W); eps 1e-5.
Deterministic: same arguments give the same files (one thread).
"""
import argparse
import copy
import json
import math
import os
import sys
import time
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_torchvision import ResNet20  # noqa: E402  (the e2e tests' option-A ResNet-20)

MODELS = {
    # name: (input CHW, netc file, netc defines)
    "resnet20": ((3, 32, 32), "examples/cifar/resnet.net", []),
    "resnet56": ((3, 32, 32), "examples/cifar/resnet.net", ["n=9"]),
    "resnet20-fashion": ((1, 28, 28), "examples/cifar/resnet.net", ["input=1x28x28"]),
    "small-vgg": ((3, 32, 32), "tests/train/small-vgg.net", []),
}
CLASSES = 10
LR, MOMENTUM, WEIGHT_DECAY = 0.1, 0.9, 5e-4
OPSET = 13


class MaskedDropout(nn.Module):
    """nn.Dropout with an externally supplied keep-mask, so netc can apply the
    very same mask: train mode gives x * (mask / (1 - p)), as ATen's dropout
    does with its Bernoulli noise; eval mode is the identity."""

    def __init__(self, p, name):
        super().__init__()
        self.p, self.name = p, name
        self.mask_source = None  # callable(name, shape) -> float keep-mask

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        mask = self.mask_source(self.name, tuple(x.shape)).to(x.dtype)
        return x * (mask * (1.0 / (1.0 - self.p)))


class SmallVGG(nn.Module):
    """tests/train/small-vgg.net: conv3-16, maxpool, conv3-32, maxpool,
    FC-64 (+ReLU), dropout 0.5, FC-10; conv biases, no BN."""

    def __init__(self, num_classes=CLASSES, p=0.5):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1)
        self.conv2 = nn.Conv2d(16, 32, 3, 1, 1)
        self.fc1 = nn.Linear(32 * 8 * 8, 64)
        self.dropout1 = MaskedDropout(p, "dropout1")  # netc's layer name
        self.fc2 = nn.Linear(64, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = self.dropout1(F.relu(self.fc1(x)))
        return self.fc2(x)


def build(name):
    if name == "resnet20":
        return ResNet20(num_classes=CLASSES, in_channels=3)
    if name == "resnet56":
        return ResNet20(num_classes=CLASSES, blocks_per_stage=9, in_channels=3)
    if name == "resnet20-fashion":
        return ResNet20(num_classes=CLASSES, in_channels=1)
    if name == "small-vgg":
        return SmallVGG()
    raise ValueError(name)


def initialise(model, gen):
    """He normal (fan_in, gain sqrt 2) for convs; PyTorch's default for fc
    weights and all biases, U(-1/sqrt(fan_in), 1/sqrt(fan_in)); BN gamma in
    [0.75, 1.25), beta ~ N(0, 0.1^2); BN running stats stay 0 / 1. Every
    value comes from `gen`, in module order."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                if isinstance(m, nn.Conv2d):
                    m.weight.copy_(torch.randn(m.weight.shape, generator=gen) *
                                   math.sqrt(2.0 / fan_in))
                else:
                    bound = 1.0 / math.sqrt(fan_in)
                    m.weight.copy_((torch.rand(m.weight.shape, generator=gen) * 2 - 1) * bound)
                if m.bias is not None:
                    bound = 1.0 / math.sqrt(fan_in)
                    m.bias.copy_((torch.rand(m.bias.shape, generator=gen) * 2 - 1) * bound)
            elif isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(torch.rand(c, generator=gen) * 0.5 + 0.75)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.1)
                m.reset_running_stats()


def export_onnx(model, example, path):
    """Eval-mode export as tools/export_torchvision.py does it (opset 13, no
    constant folding, TrainingMode.PRESERVE so BN is not folded into convs)."""
    was_training = model.training
    model.eval()
    with warnings.catch_warnings():  # the exporter's notes on the shortcut's Slice/Pad
        warnings.simplefilter("ignore", UserWarning)
        torch.onnx.export(model, example, path, opset_version=OPSET,
                          do_constant_folding=False, export_params=True,
                          training=torch.onnx.TrainingMode.PRESERVE,
                          input_names=["input"], output_names=["logits"])
    model.train(was_training)


def _pb_fields(buf):
    """Yields (field number, wire type, value) of one protobuf message: ints
    for varint/fixed fields, bytes for length-delimited ones."""
    i, n = 0, len(buf)

    def varint():
        nonlocal i
        v = shift = 0
        while True:
            b = buf[i]
            i += 1
            v |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return v

    while i < n:
        key = varint()
        field, wire = key >> 3, key & 7
        if wire == 0:
            yield field, wire, varint()
        elif wire == 1:
            yield field, wire, int.from_bytes(buf[i:i + 8], "little")
            i += 8
        elif wire == 2:
            ln = varint()
            yield field, wire, buf[i:i + ln]
            i += ln
        elif wire == 5:
            yield field, wire, int.from_bytes(buf[i:i + 4], "little")
            i += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")


def _pb_varints(wire, value):
    """A repeated int64 field's entries (packed or not)."""
    if wire == 0:
        return [value]
    out, i = [], 0
    while i < len(value):
        v = shift = 0
        while True:
            b = value[i]
            i += 1
            v |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        out.append(v)
    return out


def read_onnx(path):
    """A minimal ONNX reader (the onnx package is not installed here):
    returns (nodes, initialisers) with nodes as (op_type, inputs, outputs) and
    float32 initialisers as numpy arrays by name."""
    with open(path, "rb") as f:
        model = f.read()
    graph = next(v for k, w, v in _pb_fields(model) if k == 7)  # ModelProto.graph
    nodes, inits = [], {}
    for k, w, v in _pb_fields(graph):
        if k == 1:  # NodeProto: input 1, output 2, op_type 4
            ins, outs, op = [], [], ""
            for f, _, x in _pb_fields(v):
                if f == 1:
                    ins.append(x.decode())
                elif f == 2:
                    outs.append(x.decode())
                elif f == 4:
                    op = x.decode()
            nodes.append((op, ins, outs))
        elif k == 5:  # TensorProto: dims 1, data_type 2, float_data 4, name 8, raw_data 9
            dims, dtype, name, raw, floats = [], 0, "", None, []
            for f, fw, x in _pb_fields(v):
                if f == 1:
                    dims += _pb_varints(fw, x)
                elif f == 2:
                    dtype = x
                elif f == 4:
                    floats += (list(np.frombuffer(x, "<f4")) if fw == 2
                               else [np.frombuffer(x.to_bytes(4, "little"), "<f4")[0]])
                elif f == 8:
                    name = x.decode()
                elif f == 9:
                    raw = x
            if dtype != 1:  # FLOAT only (the model's parameters)
                continue
            arr = np.frombuffer(raw, "<f4") if raw is not None else np.array(floats, np.float32)
            inits[name] = arr.reshape(dims).copy()
    return nodes, inits


def onnx_parameters_in_graph_order(path):
    """What runtime/OnnxImport.cpp binds: inputs after the first of every
    Conv, Gemm and BatchNormalization node, through Identity chains."""
    nodes, inits = read_onnx(path)
    ident = {outs[0]: ins[0] for op, ins, outs in nodes
             if op == "Identity" and len(ins) == 1 and len(outs) == 1}
    out = []
    for op, ins, _ in nodes:
        if op not in ("Conv", "Gemm", "BatchNormalization"):
            continue
        for name in ins[1:]:
            for _ in range(64):
                if name not in ident:
                    break
                name = ident[name]
            if name in inits:
                out.append(inits[name])
    return out


def netc_order(model):
    """The model's tensors in the order netc's parameters come: per layer,
    conv/fc weight [, bias]; BN gamma, beta, running mean, running var."""
    return [(k, v) for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")]


def verify_export(path, model):
    """Reads the ONNX file back and checks it holds exactly the model's
    tensors, bit for bit, in the order netc binds them. Returns the count."""
    got = onnx_parameters_in_graph_order(path)
    want = netc_order(model)
    if len(got) != len(want):
        sys.exit(f"{path}: {len(got)} parameter tensors in graph order, model has {len(want)}")
    for (name, w), g in zip(want, got):
        w = w.detach().float().numpy()
        if g.shape != w.shape or not np.array_equal(g, w):
            sys.exit(f"{path}: the tensor in the place of '{name}' differs from the model's")
    return len(got)


def rel_diff(a, b):
    """max |a - b| / max |b| (normwise; b is the float64 result)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    den = float(np.max(np.abs(b))) if b.size else 0.0
    num = float(np.max(np.abs(a - b))) if b.size else 0.0
    return num / den if den > 0 else num


def train(model, batches, dtype, mask_source):
    """SGD steps in train mode; returns (losses, logits of step 0)."""
    model = model.to(dtype).train()
    for m in model.modules():
        if isinstance(m, MaskedDropout):
            m.mask_source = mask_source
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM,
                          weight_decay=WEIGHT_DECAY)
    losses, logits0 = [], None
    for k, (x, y) in enumerate(batches):
        if hasattr(mask_source, "step"):
            mask_source.step = k
        opt.zero_grad(set_to_none=True)
        logits = model(x.to(dtype))
        loss = F.cross_entropy(logits, y.long())
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
        if k == 0:
            logits0 = logits.detach().double().numpy()
    return model, losses, logits0


class MaskRecorder:
    """Draws each dropout layer's keep-mask from a seeded generator on first
    use in a step and replays it afterwards (the float64 run)."""

    def __init__(self, gen, p):
        self.gen, self.p, self.step = gen, p, 0
        self.masks = {}  # (step, layer) -> float32 tensor of 0/1

    def __call__(self, name, shape):
        key = (self.step, name)
        if key not in self.masks:
            self.masks[key] = (torch.rand(shape, generator=self.gen) >= self.p).float()
        return self.masks[key]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--model", required=True, choices=sorted(MODELS))
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    if a.steps < 1 or a.batch < 2:
        sys.exit("need --steps >= 1 and --batch >= 2 (BN's unbiased variance needs 2 images)")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)  # nothing should draw from it; pinned anyway
    t0 = time.time()
    os.makedirs(a.outdir, exist_ok=True)
    out = lambda name: os.path.join(a.outdir, name)  # noqa: E731

    chw, netc_file, netc_defines = MODELS[a.model]
    model = build(a.model)
    initialise(model, torch.Generator().manual_seed(a.seed))
    nparams = sum(p.numel() for p in model.parameters())
    start = copy.deepcopy(model)  # the float64 twin starts here

    data_gen = torch.Generator().manual_seed(a.seed + 1)
    batches = []
    for k in range(a.steps):
        x = torch.randn((a.batch,) + chw, generator=data_gen)
        y = torch.randint(0, CLASSES, (a.batch,), generator=data_gen, dtype=torch.int64)
        batches.append((x, y))
        np.save(out(f"input_{k}.npy"), x.numpy().astype(np.float32))
        np.save(out(f"labels_{k}.npy"), y.numpy().astype(np.int32))

    export_onnx(model, batches[0][0], out("initial.onnx"))
    check_initial = verify_export(out("initial.onnx"), model)

    dropout_p = [m.p for m in model.modules() if isinstance(m, MaskedDropout)]
    masks = MaskRecorder(torch.Generator().manual_seed(a.seed + 2), dropout_p[0] if dropout_p else 0)

    model, losses, logits0 = train(model, batches, torch.float32, masks)
    for k, loss in enumerate(losses):
        np.save(out(f"loss_{k}.npy"), np.array(loss, dtype=np.float64))
    np.save(out("logits_0.npy"), logits0.astype(np.float32))
    mask_files = []
    for (k, name), m in sorted(masks.masks.items()):
        f = f"mask_{name}_{k}.npy"
        np.save(out(f), m.numpy().astype(np.float32))
        mask_files.append(f)
    export_onnx(model, batches[0][0], out("after.onnx"))
    check_after = verify_export(out("after.onnx"), model)

    # The same run in float64: same start, data and masks.
    ref, losses64, logits64 = train(start, batches, torch.float64, masks)
    s32, s64 = dict(netc_order(model)), dict(netc_order(ref))
    s_init = dict(netc_order(_initial_state(a)))
    per_tensor = {k: rel_diff(s32[k].numpy(), s64[k].numpy()) for k in s32}
    worst = max(per_tensor, key=per_tensor.get)
    update = {k: rel_diff(s64[k].numpy(), s_init[k].double().numpy()) for k in s64}
    diffs = {
        "definition": "max|float32 - float64| / max|float64|, per tensor or quantity",
        "loss": [abs(l32 - l64) / abs(l64) for l32, l64 in zip(losses, losses64)],
        "logits_0": rel_diff(logits0, logits64),
        "after_max_over_tensors": per_tensor[worst],
        "after_worst_tensor": worst,
        "after_per_tensor": per_tensor,
        "update_min_over_tensors": min(update.values()),
        "update_note": "max|after64 - initial| / max|after64|: how much training moved "
                       "each tensor (the float32 error must be well below it)",
    }

    meta = {
        "model": a.model, "netc_file": netc_file, "netc_defines": netc_defines,
        "input_shape": list(chw), "classes": CLASSES,
        "steps": a.steps, "batch": a.batch, "seed": a.seed,
        "lr": LR, "momentum": MOMENTUM, "weight_decay": WEIGHT_DECAY,
        "nesterov": False, "dampening": 0.0,
        "weight_decay_applies_to": "all parameters (conv/fc weights and biases, BN gamma and beta)",
        "loss": "cross-entropy, mean over the batch",
        "bn": {"momentum": 0.1, "eps": 1e-5, "running_var": "unbiased batch variance"},
        "init": "conv He normal fan_in; fc weight and all biases U(+-1/sqrt(fan_in)); "
                "BN gamma U[0.75,1.25), beta N(0,0.1^2), running mean 0 / var 1",
        "params": nparams,
        "tensor_order": [k for k, _ in netc_order(model)],
        "dropout": ({"p": dropout_p[0], "layers": sorted({n for _, n in masks.masks}),
                     "mask_files": mask_files,
                     "semantics": "out = x * mask / (1 - p), mask in {0,1}"}
                    if dropout_p else None),
        "losses": losses,
        "losses_float64": losses64,
        "float32_vs_float64": diffs,
        "onnx_opset": OPSET,
        "onnx_tensors_checked": {"initial": check_initial, "after": check_after},
        "torch": torch.__version__,
        "files": sorted(["initial.onnx", "after.onnx", "logits_0.npy", "meta.json"] + mask_files +
                        [f"{s}_{k}.npy" for k in range(a.steps) for s in ("input", "labels", "loss")]),
    }
    with open(out("meta.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"{a.model}: {a.steps} steps, batch {a.batch}, losses "
          f"{', '.join(f'{l:.6f}' for l in losses)}; float32 vs float64: "
          f"logits {diffs['logits_0']:.2e}, after {diffs['after_max_over_tensors']:.2e} "
          f"({worst}); {time.time() - t0:.1f} s", flush=True)


def _initial_state(a):
    """The initial model again (same seed): the reference for 'update'."""
    m = build(a.model)
    initialise(m, torch.Generator().manual_seed(a.seed))
    return m


if __name__ == "__main__":
    main()

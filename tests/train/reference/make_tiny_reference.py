#!/usr/bin/env python3
"""Independent PyTorch reference for Cairn's decoder on the `tiny` and `tiny-xielu` presets.

Writes tiny.json and tiny-xielu.json beside this file: the loss, the logits (per-row
statistics and fixed samples) and every parameter's gradient (statistics and fixed
samples) of one forward/backward in float64 on the CPU. tests/train/test_torch_reference.cpp
runs Cairn's CpuModel on the same weights and batch and compares.

The model is written here from the math (FIELD.md, Cairn's op headers state the same
conventions), with torch ops and autograd; nothing of Cairn's hand-written backward:
  x = embed[tokens]
  per layer (pre-norm):
    h = rmsnorm(x) * attn_norm ; [q | k | v] = h Wqkv^T       (rows of Wqkv: q, k, v)
    q, k: per head rmsnorm over head_dim, one gain vector shared by the heads (QK-norm)
    q, k: RoPE on interleaved pairs (x[2p], x[2p+1]) at angle t * theta^(-2p/head_dim)
    a = causal softmax(q k^T / sqrt(head_dim)) v, query head h reads kv head h // (H/KV)
    x = x + a Wo^T
    h = rmsnorm(x) * mlp_norm ; u = h Wup^T
    swiglu: [g | u] = u (first ffn columns g) ; m = silu(g) * u
    xielu:  m = where(u > 0, ap u^2 + b u, an (expm1(min(u, eps)) - u) + b u),
            ap = softplus(a_p), an = b + softplus(a_n), b = 0.5, eps = -1e-6
    x = x + m Wdown^T
  logits = (rmsnorm(x) * final_norm) Whead^T ; loss = mean cross-entropy over targets >= 0
RMSNorm everywhere: y = x / sqrt(mean(x^2) + 1e-5) * w. RoPE theta 500000.

Weights and tokens come from a counter-based generator (train/rng.h's hash3, written
out below), so no weight dump is committed; the C++ test implements the same few lines.
  splitmix64(x): x += 0x9e3779b97f4a7c15; x = (x ^ x>>30) * 0xbf58476d1ce4e5b9;
                 x = (x ^ x>>27) * 0x94d049bb133111eb; return x ^ x>>31   (mod 2^64)
  hash3(s, stream, i) = splitmix64(splitmix64(splitmix64(s) ^ stream) ^ i)
  sym(stream, i) = 2 * ((hash3(SEED, stream, i) >> 11) + 0.5) / 2^53 - 1      in (-1, 1)
Parameter tensor k (0-based, ParameterLayout order), element i (row-major):
  value = center + scale * sym(k, i), by the tensor's name:
    embed.weight                center 0, scale 1
    *norm.weight (every gain)   center 1, scale 0.5
    mlp.xielu.a_p, a_n          center log(expm1(0.8)), log(expm1(0.3)) (Cairn's init),
                                scale 0.5
    any other matrix [out, in]  center 0, scale sqrt(3 / in)   (variance 1 / in)
Tokens: input i = (hash3(SEED, INPUT_STREAM, i) >> 11) % vocab, target i likewise with
TARGET_STREAM; targets at flat positions IGNORED are -1 (left out of the loss).
Projections: each gradient tensor k is also dotted with sym(GRAD_PROJECTION + k, i), and
logits row r with sym(LOGIT_PROJECTION, r * vocab + v): one number that every entry
moves.

Regenerate (from the repository root; the README beside this file names the torch
version the committed fixtures came from):
  python3 tests/train/reference/make_tiny_reference.py
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

SEED = 2026
BATCH, SEQ = 2, 16
IGNORED = (5, 21)  # flat positions of the -1 targets
INPUT_STREAM = 1 << 32
TARGET_STREAM = (1 << 32) + 1
LOGIT_PROJECTION = 2 << 32
GRAD_PROJECTION = 3 << 32
SAMPLES = 16        # gradient entries kept per tensor
LOGIT_SAMPLES = 8   # logits kept per row

MASK = (1 << 64) - 1

PRESETS = {
    # name: layers, d_model, heads, kv_heads, mlp, ffn, vocab (train/config.cpp)
    "tiny": (2, 64, 4, 2, "swiglu", 192, 256),
    "tiny-xielu": (2, 64, 4, 2, "xielu", 256, 256),
}
NORM_EPS = 1e-5
ROPE_THETA = 500000.0
XIELU_BETA, XIELU_EPS, XIELU_ALPHA_INIT = 0.5, -1e-6, 0.8


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def hash3(seed, stream, index):
    return splitmix64(splitmix64(splitmix64(seed) ^ stream) ^ index)


def sym(stream, n):
    """n values in (-1, 1): sym(stream, 0..n-1), as a float64 tensor."""
    base = splitmix64(splitmix64(SEED) ^ stream)
    out = [2.0 * ((splitmix64(base ^ i) >> 11) + 0.5) / 9007199254740992.0 - 1.0 for i in range(n)]
    return torch.tensor(out, dtype=torch.float64)


def tokens(stream, n, vocab):
    return [(hash3(SEED, stream, i) >> 11) % vocab for i in range(n)]


def parameter_layout(L, d, H, KV, mlp, ffn, V):
    """(name, shape) in ParameterLayout order (train/parameter_layout.cpp)."""
    hd = d // H
    up = 2 * ffn if mlp == "swiglu" else ffn
    out = [("embed.weight", (V, d))]
    for l in range(L):
        p = f"layers.{l}."
        out += [(p + "attn_norm.weight", (d,)), (p + "attn.qkv.weight", ((H + 2 * KV) * hd, d)),
                (p + "attn.q_norm.weight", (hd,)), (p + "attn.k_norm.weight", (hd,)),
                (p + "attn.o.weight", (d, d)), (p + "mlp_norm.weight", (d,)),
                (p + "mlp.up.weight", (up, d))]
        if mlp == "xielu":
            out += [(p + "mlp.xielu.a_p", (1,)), (p + "mlp.xielu.a_n", (1,))]
        out += [(p + "mlp.down.weight", (d, ffn))]
    out += [("final_norm.weight", (d,)), ("head.weight", (V, d))]
    return out


def center_and_scale(name, shape):
    if name == "embed.weight":
        return 0.0, 1.0
    if name.endswith("norm.weight"):
        return 1.0, 0.5
    if name.endswith("xielu.a_p"):
        return math.log(math.expm1(XIELU_ALPHA_INIT)), 0.5
    if name.endswith("xielu.a_n"):
        return math.log(math.expm1(XIELU_ALPHA_INIT - XIELU_BETA)), 0.5
    return 0.0, math.sqrt(3.0 / shape[1])


def make_weights(layout):
    weights = {}
    for k, (name, shape) in enumerate(layout):
        center, scale = center_and_scale(name, shape)
        w = center + scale * sym(k, math.prod(shape))
        weights[name] = w.reshape(shape).clone().requires_grad_(True)
    return weights


def rms_norm(x, w):
    return F.rms_norm(x, (x.shape[-1],), w, NORM_EPS)


def rope(x, T, hd):
    """x: [B, T, heads, hd]; interleaved pairs."""
    inv_freq = ROPE_THETA ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
    angle = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq)  # [T, hd/2]
    cos, sin = angle.cos()[None, :, None, :], angle.sin()[None, :, None, :]
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1).flatten(-2)


def xielu(x, a_p, a_n):
    alpha_p = F.softplus(a_p)
    alpha_n = XIELU_BETA + F.softplus(a_n)
    neg = alpha_n * (torch.expm1(torch.clamp(x, max=XIELU_EPS)) - x) + XIELU_BETA * x
    return torch.where(x > 0, alpha_p * x * x + XIELU_BETA * x, neg)


def forward(W, inputs, targets, L, d, H, KV, mlp, ffn, V):
    B, T = inputs.shape
    hd = d // H
    x = F.embedding(inputs, W["embed.weight"])
    for l in range(L):
        p = f"layers.{l}."
        h = rms_norm(x, W[p + "attn_norm.weight"])
        q, k, v = (h @ W[p + "attn.qkv.weight"].T).split([H * hd, KV * hd, KV * hd], dim=-1)
        q = rms_norm(q.view(B, T, H, hd), W[p + "attn.q_norm.weight"])
        k = rms_norm(k.view(B, T, KV, hd), W[p + "attn.k_norm.weight"])
        q, k = rope(q, T, hd), rope(k, T, hd)
        v = v.view(B, T, KV, hd)
        # GQA: query head h reads kv head h // (H / KV).
        k = k.repeat_interleave(H // KV, dim=2)
        v = v.repeat_interleave(H // KV, dim=2)
        a = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2),
                                           is_causal=True)
        x = x + a.transpose(1, 2).reshape(B, T, d) @ W[p + "attn.o.weight"].T
        u = rms_norm(x, W[p + "mlp_norm.weight"]) @ W[p + "mlp.up.weight"].T
        if mlp == "swiglu":
            g, u = u.chunk(2, dim=-1)
            m = F.silu(g) * u
        else:
            m = xielu(u, W[p + "mlp.xielu.a_p"], W[p + "mlp.xielu.a_n"])
        x = x + m @ W[p + "mlp.down.weight"].T
    logits = (rms_norm(x, W["final_norm.weight"]) @ W["head.weight"].T).reshape(B * T, V)
    loss = F.cross_entropy(logits, targets.reshape(-1), ignore_index=-1, reduction="mean")
    return logits, loss


def sample_indices(name, numel, d, inputs):
    """SAMPLES fixed flat indices of a tensor (all of them for small tensors). The
    embedding's gradient is zero outside the rows of the input tokens: sample those."""
    if numel <= SAMPLES:
        return list(range(numel))
    if name == "embed.weight":
        return [inputs[j] * d + (5 * j) % d for j in range(SAMPLES)]
    return [(7919 * j + 13) % numel for j in range(SAMPLES)]


def reference(preset):
    L, d, H, KV, mlp, ffn, V = PRESETS[preset]
    layout = parameter_layout(L, d, H, KV, mlp, ffn, V)
    W = make_weights(layout)
    n = BATCH * SEQ
    inputs = tokens(INPUT_STREAM, n, V)
    targets = tokens(TARGET_STREAM, n, V)
    for i in IGNORED:
        targets[i] = -1
    logits, loss = forward(W, torch.tensor(inputs).view(BATCH, SEQ), torch.tensor(targets),
                           L, d, H, KV, mlp, ffn, V)
    loss.backward()

    z = logits.detach()
    proj = sym(LOGIT_PROJECTION, n * V).view(n, V)
    index = [r * V + (37 * r + 61 * j) % V for r in range(n) for j in range(LOGIT_SAMPLES)]
    logit_doc = {
        "rows": n, "vocab": V,
        "lse": torch.logsumexp(z, dim=1).tolist(),
        "l2_norm": z.norm(dim=1).tolist(),
        "sum": z.sum(dim=1).tolist(),
        "projection": (z * proj).sum(dim=1).tolist(),
        "sample_index": index,
        "sample_value": [z.view(-1)[i].item() for i in index],
    }
    grads = []
    for k, (name, shape) in enumerate(layout):
        g = W[name].grad.reshape(-1)
        idx = sample_indices(name, g.numel(), d, inputs)
        grads.append({
            "name": name, "shape": list(shape),
            "l2_norm": g.norm().item(), "sum": g.sum().item(),
            "projection": (g * sym(GRAD_PROJECTION + k, g.numel())).sum().item(),
            "sample_index": idx, "sample_value": [g[i].item() for i in idx],
        })
    return {
        "schema": "cairn.torch_reference", "schema_version": 1,
        "preset": preset, "torch_version": torch.__version__, "dtype": "float64",
        "seed": SEED, "batch": BATCH, "seq_len": SEQ,
        "inputs": inputs, "targets": targets,
        "loss": loss.item(), "logits": logit_doc, "gradients": grads,
    }


def main():
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)  # summation order fixed: the fixtures regenerate bit for bit
    here = os.path.dirname(os.path.abspath(__file__))
    for preset in PRESETS:
        doc = reference(preset)
        path = os.path.join(here, preset + ".json")
        with open(path, "w") as f:
            json.dump(doc, f, separators=(",", ":"))
            f.write("\n")
        print(f"{path}: loss {doc['loss']:.12f}, {os.path.getsize(path)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()

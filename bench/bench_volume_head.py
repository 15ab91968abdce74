#!/usr/bin/env python
"""Micro-benchmark of PARA's volume head alone: a 1x1 projection hidden -> T*H_BINS at S x S followed by the
cross-entropy over H_BINS*S*S against an 8-entry bilinear target (the memory-bound part of PARA's loss), forward +
backward, at the `cpu` preset's sizes (batch 16, hidden 32, S 32, T 12, 32 bins), on channels-last features as the
backbone now delivers them. Compares what PARAModel did before (Conv2d + logsumexp − gather, plain autograd) with what
it does now (`PARAModel.volume_logits`, one batched matmul, + `soft_cross_entropy`, one-pass backward), and a Linear on
NHWC features.

Usage: python bench/bench_volume_head.py [--threads 2] [--n 20] [--out bench/results/volume_head.json]
"""
from __future__ import annotations
import argparse, datetime, os, sys, time
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path: sys.path.insert(0, ROOT)
import torch
from para_wb.files import save_json

def timed(f, n: int, warmup: int = 3) -> float:
    for _ in range(warmup): f()
    t = time.perf_counter()
    for _ in range(n): f()
    return (time.perf_counter() - t) / n * 1000

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2); ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "volume_head.json"))
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    B, C, S, T, NH = 16, 32, 32, 12, 32
    x = torch.randn(B, C, S, S).contiguous(memory_format=torch.channels_last).requires_grad_()
    conv, lin = torch.nn.Conv2d(C, T * NH, 1), torch.nn.Linear(C, T * NH)
    idx = torch.randint(0, NH * S * S, (B, T, 8)); w = torch.rand(B, T, 8); w = w / w.sum(-1, keepdim=True)
    from para_wb.policies.para import soft_cross_entropy
    def conv_form():          # before: Conv2d → (B, T, NH·S·S), logsumexp − Σ w·gather (autograd's stock backward)
        y = conv(x).reshape(B, T, -1); (torch.logsumexp(y, -1) - (y.gather(2, idx) * w).sum(-1)).sum().backward()
    def matmul_soft_ce():     # now: W @ feats as one batched matmul (logits written in the softmax's layout) + soft CE
        f = x.permute(0, 2, 3, 1).reshape(B, S * S, C)
        y = torch.baddbmm(conv.bias.view(1, -1, 1).expand(B, -1, 1), conv.weight.view(-1, C).expand(B, -1, -1), f.transpose(1, 2))
        soft_cross_entropy(y.view(B, T, -1), idx, w).sum().backward()
    def linear_nhwc():        # the same function as a Linear on (B, S*S, C), logsumexp over pixels and bins in place
        y = lin(x.permute(0, 2, 3, 1).reshape(B, S * S, C)).view(B, S * S, T, NH); torch.logsumexp(y, dim=(1, 3)).sum().backward()
    res = {name: round(timed(f, a.n), 2) for name, f in (("conv_logsumexp_ms", conv_form), ("matmul_soft_ce_ms", matmul_soft_ce),
                                                              ("linear_nhwc_logsumexp_ms", linear_nhwc))}
    out = dict(created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), threads=a.threads,
               sizes=dict(batch=B, hidden=C, S=S, T=T, height_bins=NH), logits_per_batch=B * T * NH * S * S,
               loadavg=os.getloadavg(), **res)
    print(out); save_json(a.out, out)

if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Sorts the samples of a `perf record --call-graph` profile into where the time goes.

Usage: perf script -i perf.data | python3 scripts/profile-categories.py [--within FRAME]

Only samples between the first and the last whose stack holds FRAME (default `bench::time`, the
timed part of `vsgae bench`) are counted, on every thread, so that work on rayon's threads counts. Each sample goes to the first category whose rule matches its stack, innermost
frame first for the kind of work and outer frames for the operation that asked for it.
"""
import argparse
import collections
import re
import sys

def leaf(stack):
    """The function the sample's instruction is in, with the frames inlined into it."""
    frames = []
    for frame in stack:
        frames.append(frame)
        if "(inlined)" not in frame:
            break
    return " | ".join(frames)


# (category, rule on the whole stack, innermost first). The first rule that matches wins.
RULES = [
    ("optimizer (Adam)", lambda s: any("burn_optim" in f for f in s)),
    ("allocation: kernel page faults, mmap/munmap", lambda s: "[k]" in leaf(s)),
    ("allocation: malloc/free", lambda s: re.search(r"\b(_int_malloc|_int_free|malloc|free|cfree|realloc|mi_\w+)\b", leaf(s)) is not None),
    ("matmul: batched, one small product per graph", lambda s: re.search("gemm|microkernel", leaf(s)) and any("matmul_batched_gemm" in f for f in s)),
    ("matmul: 2-D products", lambda s: re.search("gemm|microkernel", leaf(s))),
    ("zeroing (memset)", lambda s: "memset" in leaf(s)),
    ("copies: cat", lambda s: "memmove" in leaf(s) and any("cat" in f for f in s[:12])),
    ("copies: slice/narrow/chunk", lambda s: "memmove" in leaf(s) and any(re.search(r"slice|narrow|chunk", f) for f in s[:12])),
    ("copies: select/gather/repeat", lambda s: "memmove" in leaf(s) and any(re.search(r"select|gather|repeat|expand", f) for f in s[:12])),
    ("copies: other (contiguous layouts, reshape)", lambda s: "memmove" in leaf(s) or "memcpy" in leaf(s) or "into_contiguous" in leaf(s) or "copy" in leaf(s)),
    ("reductions (sum_dim, mean)", lambda s: "reduce" in leaf(s)),
    ("element-wise maths", lambda s: re.search(r"unary|binary|zip|expf|expm1|tanh|log1p|exp|sigmoid|relu|scalar|powi|mask", leaf(s)) is not None),
    ("autodiff bookkeeping", lambda s: any("burn_autodiff" in f for f in s[:6])),
    ("host-side batch building", lambda s: any("GraphBatch" in f or "TensorData" in f for f in s)),
]


# Where in the model a sample's work was asked for: forward by module, or the backward pass.
PHASES = [
    ("backward pass", lambda s: any("backward" in f and "burn_autodiff" in f for f in s)),
    ("forward: messages", lambda s: any("MessagePassing::messages" in f for f in s)),
    ("forward: GRU", lambda s: any("GruCell::forward" in f for f in s)),
    ("forward: readout", lambda s: any("GatedSum::forward" in f for f in s)),
    ("forward: decoder heads", lambda s: any("Decoder::" in f for f in s)),
    ("forward: other", lambda s: any("forward" in f and "vsgae::" in f for f in s)),
    ("optimizer", lambda s: any("burn_optim" in f for f in s)),
]


def samples(stream):
    """(timestamp, stack) of each sample of `perf script`'s output."""
    stack, stamp = [], 0.0
    for line in stream:
        line = line.rstrip("\n")
        if not line.strip():
            if stack:
                yield stamp, stack
            stack = []
            continue
        if not line.startswith((" ", "\t")):
            found = re.search(r"\s(\d+\.\d+):", line)
            stamp = float(found.group(1)) if found else stamp
            continue
        if line.startswith((" ", "\t")):
            parts = line.strip().split(" ", 1)
            if len(parts) == 2:
                frame = parts[1]
                if "[kernel" in frame:
                    frame = "[k] " + frame
                stack.append(frame)
    if stack:
        yield stamp, stack


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--within", default="bench::time")
    args = parser.parse_args()
    counts = collections.Counter()
    phases = collections.Counter()
    total = 0
    every = list(samples(sys.stdin))
    inside = [stamp for stamp, stack in every if any(args.within in f for f in stack)]
    if not inside:
        sys.exit(f"no sample holds {args.within}")
    first, last = min(inside), max(inside)
    for stamp, stack in every:
        if not first <= stamp <= last:
            continue
        total += 1
        phase = next((name for name, rule in PHASES if rule(stack)), "elsewhere (threads without a model frame)")
        phases[phase] += 1
        for name, rule in RULES:
            if rule(stack):
                counts[name] += 1
                break
        else:
            counts["other: " + leaf(stack)[-90:]] += 1
    print(f"{total} samples within {args.within}")
    other = sum(c for n, c in counts.items() if n.startswith("other"))
    for name, count in counts.most_common():
        if name.startswith("other"):
            continue
        print(f"{100 * count / max(total, 1):6.1f} %  {name}")
    print(f"{100 * other / max(total, 1):6.1f} %  other")
    print("by phase:")
    for name, count in phases.most_common():
        print(f"{100 * count / max(total, 1):6.1f} %  {name}")
    for name, count in counts.most_common(8):
        if name.startswith("other"):
            print(f"         {100 * count / max(total, 1):5.1f} %  {name}")


if __name__ == "__main__":
    main()

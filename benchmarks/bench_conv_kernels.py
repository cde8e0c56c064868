"""Time huoba's array-level conv/pool kernels (forward + backward) against torch (CPU).

    PYTHONPATH=src python benchmarks/bench_conv_kernels.py [--repeats 15]

Prints median times and the ratio huoba/torch per layer (torch threads left
at their default).
"""
import argparse
import time

import numpy as np

try:
    from huoba.ops import _conv_kernels as K
except Exception:  # pragma: no cover - package __init__ under construction
    import importlib
    import pathlib
    import sys
    import types
    src = pathlib.Path(__file__).resolve().parents[1] / "src" / "huoba"
    for k in [k for k in sys.modules if k.startswith("huoba")]:
        del sys.modules[k]
    for name, path in (("huoba", src), ("huoba.ops", src / "ops")):
        mod = types.ModuleType(name)
        mod.__path__ = [str(path)]
        sys.modules[name] = mod
    K = importlib.import_module("huoba.ops._conv_kernels")


def median_ms(fn, repeats):
    fn()
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def bench_conv(name, x_shape, w_shape, padding, need_x, repeats, torch, F):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape, dtype=np.float32)
    w = rng.standard_normal(w_shape, dtype=np.float32) * 0.1
    b = rng.standard_normal(w_shape[0], dtype=np.float32)
    y = K.conv2d_forward(x, w, b, 1, padding, 1, 1)
    gy = rng.standard_normal(y.shape, dtype=np.float32)

    def ours_fwd():
        K.conv2d_forward(x, w, b, 1, padding, 1, 1)

    def ours():
        y, cache = K.conv2d_forward(x, w, b, 1, padding, 1, 1, keep_cols=True)
        K.conv2d_backward(gy, x, w, 1, padding, 1, 1, need_x=need_x, need_w=True, need_b=True, cache=cache)

    tx = torch.from_numpy(x).requires_grad_(need_x)
    tw = torch.from_numpy(w).requires_grad_(True)
    tb = torch.from_numpy(b).requires_grad_(True)
    tgy = torch.from_numpy(gy)

    def theirs_fwd():
        with torch.no_grad():
            F.conv2d(tx, tw, tb, 1, padding)

    def theirs():
        out = F.conv2d(tx, tw, tb, 1, padding)
        out.backward(tgy)

    report(name, median_ms(ours_fwd, repeats), median_ms(theirs_fwd, repeats),
           median_ms(ours, repeats), median_ms(theirs, repeats))


def bench_pool(name, x_shape, repeats, torch, F):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape, dtype=np.float32)
    y, idx = K.max_pool2d_forward(x, 2)
    gy = rng.standard_normal(y.shape, dtype=np.float32)

    def ours_fwd():
        K.max_pool2d_forward(x, 2)

    def ours():
        y, idx = K.max_pool2d_forward(x, 2)
        K.max_pool2d_backward(gy, idx, x.shape)

    tx = torch.from_numpy(x).requires_grad_(True)
    tgy = torch.from_numpy(gy)

    def theirs_fwd():
        with torch.no_grad():
            F.max_pool2d(tx, 2, return_indices=True)

    def theirs():
        out = F.max_pool2d(tx, 2)
        out.backward(tgy)

    report(name, median_ms(ours_fwd, repeats), median_ms(theirs_fwd, repeats),
           median_ms(ours, repeats), median_ms(theirs, repeats))


def report(name, of, tf, ob, tb):
    print(f"{name:<38} fwd {of:8.3f} ms vs {tf:8.3f} ms  ratio {of / tf:5.2f}   "
          f"fwd+bwd {ob:8.3f} ms vs {tb:8.3f} ms  ratio {ob / tb:5.2f}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--skip-big", action="store_true")
    args = ap.parse_args()
    import torch
    import torch.nn.functional as F
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}; numpy {np.__version__}")
    r = args.repeats
    bench_conv("conv1 100x1x28x28 1->6 k5 (no gx)", (100, 1, 28, 28), (6, 1, 5, 5), 0, False, r, torch, F)
    bench_conv("conv2 100x6x12x12 6->12 k5", (100, 6, 12, 12), (12, 6, 5, 5), 0, True, r, torch, F)
    bench_pool("maxpool 2x2 100x6x24x24", (100, 6, 24, 24), r, torch, F)
    bench_pool("maxpool 2x2 100x12x8x8", (100, 12, 8, 8), r, torch, F)
    if not args.skip_big:
        bench_conv("conv 32x64x32x32 64->64 k3 p1", (32, 64, 32, 32), (64, 64, 3, 3), 1, True,
                   max(3, r // 3), torch, F)


if __name__ == "__main__":
    main()

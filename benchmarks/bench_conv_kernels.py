"""Time huoba's array-level conv/pool kernels (forward + backward) against torch (CPU).

    PYTHONPATH=src python benchmarks/bench_conv_kernels.py [--repeats 30] [--threads N] [--skip-big]

For each layer it prints the median (and the minimum) wall time of huoba's
forward and forward+backward next to torch's, and the ratios huoba/torch.
Torch's thread count is left at its default unless --threads is given (then
OpenBLAS, used by NumPy, gets the same count; with --threads 1 the times are
per-thread CPU times, which a busy machine disturbs much less).  The two
sides run in alternating blocks (see timings()).  On a shared machine trust
the --threads 1 numbers more: multi-threaded BLAS/OpenMP calls slow down by
up to 10x (scheduler quanta) when other processes compete for the cores.
"""
import argparse
import os
import sys
import time


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--skip-big", action="store_true")
    return ap.parse_args()


ARGS = parse() if __name__ == "__main__" else None
if ARGS is not None and ARGS.threads:
    # must happen before NumPy loads OpenBLAS
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402

try:
    from huoba.ops import _conv_kernels as K
except Exception:  # pragma: no cover - the package __init__ is under construction
    import importlib
    import pathlib
    import types
    src = pathlib.Path(__file__).resolve().parents[1] / "src" / "huoba"
    for k in [k for k in sys.modules if k.startswith("huoba")]:
        del sys.modules[k]
    for name, path in (("huoba", src), ("huoba.ops", src / "ops")):
        mod = types.ModuleType(name)
        mod.__path__ = [str(path)]
        sys.modules[name] = mod
    K = importlib.import_module("huoba.ops._conv_kernels")

CLOCK = time.perf_counter


def timings(fns, repeats, rounds=3):
    """(median, min) in ms of each function.  Each function runs in blocks of
    repeats // rounds calls (NumPy's OpenBLAS and torch's OpenMP threads
    spin for a while after each call and would fight over the cores if the
    two alternated call by call); the blocks alternate between functions,
    with a pause after each, so that a noisy neighbour slows them alike."""
    times = [[] for _ in fns]
    per = max(1, repeats // rounds)
    for _ in range(rounds):
        for fn, ts in zip(fns, times):
            fn()
            fn()
            for _ in range(per):
                t0 = CLOCK()
                fn()
                ts.append(CLOCK() - t0)
            time.sleep(0.3)   # let OpenBLAS worker threads stop spinning (~0.1 s)
    return [(1e3 * float(np.median(ts)), 1e3 * float(np.min(ts))) for ts in times]


def report(name, fwd, fb):
    (om, on), (tm, tn) = fwd
    (obm, obn), (tbm, tbn) = fb
    print(f"{name:<36} fwd {om:8.3f} vs {tm:8.3f} ms ratio {om / tm:5.2f} (min {on / tn:5.2f})   "
          f"fwd+bwd {obm:8.3f} vs {tbm:8.3f} ms ratio {obm / tbm:5.2f} (min {obn / tbn:5.2f})", flush=True)
    return obm, tbm


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
        tw.grad = tb.grad = tx.grad = None

    return report(name, timings([ours_fwd, theirs_fwd], repeats), timings([ours, theirs], repeats))


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
        tx.grad = None

    return report(name, timings([ours_fwd, theirs_fwd], repeats), timings([ours, theirs], repeats))


def main(args):
    global CLOCK
    import torch
    import torch.nn.functional as F
    if args.threads:
        torch.set_num_threads(args.threads)
        if args.threads == 1:
            CLOCK = time.thread_time
    print(f"torch {torch.__version__} threads {torch.get_num_threads()}; numpy {np.__version__}; "
          f"clock {'thread CPU time' if CLOCK is time.thread_time else 'wall'}; {os.cpu_count()} CPUs")
    r = args.repeats
    lenet = [
        bench_conv("conv1 100x1x28x28 1->6 k5 (no gx)", (100, 1, 28, 28), (6, 1, 5, 5), 0, False, r, torch, F),
        bench_pool("maxpool 2x2 100x6x24x24", (100, 6, 24, 24), r, torch, F),
        bench_conv("conv2 100x6x12x12 6->12 k5", (100, 6, 12, 12), (12, 6, 5, 5), 0, True, r, torch, F),
        bench_pool("maxpool 2x2 100x12x8x8", (100, 12, 8, 8), r, torch, F),
    ]
    ours, theirs = sum(o for o, _ in lenet), sum(t for _, t in lenet)
    print(f"{'LeNet conv+pool layers, fwd+bwd':<36} {ours:8.3f} vs {theirs:8.3f} ms ratio {ours / theirs:5.2f}")
    if not args.skip_big:
        bench_conv("conv 32x64x32x32 64->64 k3 p1", (32, 64, 32, 32), (64, 64, 3, 3), 1, True,
                   max(3, r // 4), torch, F)


if __name__ == "__main__":
    main(ARGS)

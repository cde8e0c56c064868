"""Side-by-side timing: the same workload in huoba and in PyTorch, in one process run.

Each case is timed alternately (huoba, torch, huoba, torch, ...) so both see the
same machine load; we report medians and the ratio huoba / torch.  Absolute
times on shared machines are noise, the ratio is the figure that counts.
"""
import statistics
import sys
import time
import pathlib

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "src"))


def time_call(fn, number):
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def compare(name, huoba_fn, torch_fn, number=1, repeats=7, warmup=1):
    """Median seconds per call for both, and their ratio."""
    for _ in range(warmup):
        huoba_fn()
        torch_fn()
    h, t = [], []
    for _ in range(repeats):
        h.append(time_call(huoba_fn, number))
        t.append(time_call(torch_fn, number))
    mh, mt = statistics.median(h), statistics.median(t)
    return {"case": name, "huoba_s": mh, "torch_s": mt, "ratio": mh / mt}


def report(rows, title):
    print(f"\n{title}")
    print(f"{'case':<44} {'huoba':>11} {'torch':>11} {'ratio':>7}")
    for r in rows:
        print(f"{r['case']:<44} {_fmt(r['huoba_s']):>11} {_fmt(r['torch_s']):>11} {r['ratio']:>6.2f}x")


def _fmt(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"

"""Per-op overhead, a 1024x1024 matmul, and import cost: huoba vs PyTorch.

    python benchmarks/bench_ops.py
"""
import json
import subprocess
import sys

from harness import compare, report

import numpy as np
import torch
import huoba


def op_cases():
    rows = []
    a_t, b_t = torch.ones(10), torch.ones(10)
    a_h, b_h = huoba.ones(10), huoba.ones(10)
    rows.append(compare("add, 10 floats, no grad", lambda: a_h + b_h, lambda: a_t + b_t, number=20000))
    ag_t, ag_h = torch.ones(10, requires_grad=True), huoba.ones(10, requires_grad=True)
    rows.append(compare("add, 10 floats, requires_grad", lambda: ag_h + b_h, lambda: ag_t + b_t, number=20000))
    rows.append(compare("mul+sum+backward, 10 floats", lambda: (ag_h * b_h).sum().backward(),
                        lambda: (ag_t * b_t).sum().backward(), number=3000))
    x = np.random.RandomState(0).rand(1024, 1024).astype(np.float32)
    y = np.random.RandomState(1).rand(1024, 1024).astype(np.float32)
    mh1, mh2 = huoba.from_numpy(x), huoba.from_numpy(y)
    mt1, mt2 = torch.from_numpy(x), torch.from_numpy(y)
    rows.append(compare("matmul 1024x1024 float32", lambda: mh1 @ mh2, lambda: mt1 @ mt2, number=5, repeats=9))
    return rows


def import_cost(module):
    # VmHWM (peak resident memory) is per address space, so unlike ru_maxrss it is not
    # inherited from the parent across fork+exec
    code = ("import time; t=time.perf_counter(); import %s; d=time.perf_counter()-t; "
            "hwm=[l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]; "
            "print(d, hwm)" % module)
    times, mems = [], []
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1] / "src"))
        t, m = out.stdout.split()
        times.append(float(t))
        mems.append(int(m) / 1024)
    return sorted(times)[2], sorted(mems)[2]


if __name__ == "__main__":
    rows = op_cases()
    report(rows, "per-op overhead and matmul (median of repeats)")
    ht, hm = import_cost("huoba")
    tt, tm = import_cost("torch")
    print(f"\nimport: huoba {ht:.3f} s, {hm:.0f} MiB peak RSS; torch {tt:.3f} s, {tm:.0f} MiB "
          f"(ratio {ht / tt:.2f}x time, {hm / tm:.2f}x memory)")
    if "--json" in sys.argv:
        print(json.dumps(rows))

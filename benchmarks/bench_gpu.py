"""The seed lab's CPU-vs-GPU comparison: LeNet on 8,000 MNIST images with the data on the GPU.

    python benchmarks/bench_gpu.py [--epochs 3] [--device cuda:0] [--threads 1]

Three runs of the same training epoch (batch 100, SGD lr 0.1, same initial weights,
data already in device memory), timed alternately so that they see the same machine:

* huoba on CUDA (CuPy) vs PyTorch on CUDA: the median ratio (the issue's target is
  <= 1.5x PyTorch's time);
* huoba on CUDA vs huoba on the CPU: the lab's comparison (the lab's figure: the GPU
  trains the small CNN about 3x faster than the CPU).

Every CUDA epoch ends with `synchronize()`, and one warm-up epoch per run is not
counted (CuPy compiles its kernels on first use).  It also checks that huoba and
PyTorch reach similar test accuracy on the last 2,000 images.

Needs a GPU, CuPy (`pip install huoba[cuda]`) and, for the PyTorch column, a CUDA build
of PyTorch.  Without CuPy or a GPU it prints why and exits with status 0; without a
CUDA PyTorch it still reports huoba CUDA vs huoba CPU.  When MNIST is not found at
../shared/data/mnist it uses random images of the same shape (timings only).

Not run yet: this file was written in a session without a GPU (only the fake CUDA
backend of tests/fake_cupy.py was available), so its figures have never been taken.
"""
import argparse
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from harness import report  # noqa: E402  (also puts ../src on the path)

import numpy as np  # noqa: E402
import huoba  # noqa: E402


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _gpu_or_exit(device):
    try:
        import cupy  # noqa: F401
    except ImportError:
        print("bench_gpu: CuPy is not installed (pip install 'huoba[cuda]'); nothing to measure.", file=sys.stderr)
        sys.exit(0)
    if not huoba.cuda.is_available():
        print("bench_gpu: CuPy is installed but no usable CUDA GPU was found; nothing to measure.", file=sys.stderr)
        sys.exit(0)
    dev = huoba.device(device)
    if dev.type != "cuda" or (dev.index or 0) >= huoba.cuda.device_count():
        print(f"bench_gpu: no such GPU: {device} ({huoba.cuda.device_count()} visible)", file=sys.stderr)
        sys.exit(2)
    return dev


def load():
    """(x_train, y_train, x_test, y_test) as NumPy arrays: real MNIST when present, else random."""
    try:
        import bench_lenet
        if bench_lenet.DATA.exists():
            return bench_lenet.load(), True
    except Exception as e:  # noqa: BLE001 - fall back to random data
        print(f"(MNIST not loaded: {e})")
    r = np.random.default_rng(0)
    x = r.standard_normal((10000, 1, 28, 28)).astype(np.float32)
    y = r.integers(0, 10, 10000).astype(np.int64)
    return (x[:8000], y[:8000], x[8000:], y[8000:]), False


def define(nn, F):
    class Network(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, kernel_size=5)
            self.conv2 = nn.Conv2d(6, 12, kernel_size=5)
            self.fc1 = nn.Linear(12 * 4 * 4, 120)
            self.fc2 = nn.Linear(120, 60)
            self.out = nn.Linear(60, 10)

        def forward(self, t):
            t = F.max_pool2d(F.relu(self.conv1(t)), kernel_size=2, stride=2)
            t = F.max_pool2d(F.relu(self.conv2(t)), kernel_size=2, stride=2)
            t = t.reshape(-1, 12 * 4 * 4)
            t = F.relu(self.fc1(t))
            t = F.relu(self.fc2(t))
            return self.out(t)
    return Network()


class Run:
    """One library on one device: network, optimizer, data in that device's memory."""

    def __init__(self, name, lib, device, state, arrays, sync):
        self.name, self.lib, self.sync = name, lib, sync
        self.net = define(lib.nn, lib.nn.functional).to(device)
        self.net.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
        self.opt = lib.optim.SGD(self.net.parameters(), lr=0.1)
        self.data = [lib.from_numpy(a.copy()).to(device) for a in arrays]
        self.times = []

    def epoch(self, batch=100):
        F = self.lib.nn.functional
        x, y = self.data[0], self.data[1]
        start = time.perf_counter()
        for i in range(0, len(x), batch):
            loss = F.cross_entropy(self.net(x[i:i + batch]), y[i:i + batch])
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
        self.sync()
        return time.perf_counter() - start

    def accuracy(self):
        with self.lib.no_grad():
            return (self.net(self.data[2]).argmax(1) == self.data[3]).float().mean().item()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per run (after one warm-up epoch)")
    parser.add_argument("--device", default="cuda:0")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for the CPU runs (0: defaults)")
    args = parser.parse_args()
    dev = _gpu_or_exit(args.device)
    torch = _torch()
    torch_cuda = torch is not None and torch.cuda.is_available()
    if args.threads > 0:
        huoba.set_num_threads(args.threads)
        if torch is not None:
            torch.set_num_threads(args.threads)

    import cupy
    print(f"device: {dev} = {huoba.cuda.get_device_name(dev)} (compute capability "
          f"{'.'.join(map(str, huoba.cuda.get_device_capability(dev)))}), CuPy {cupy.__version__}, "
          f"PyTorch {torch.__version__ if torch is not None else 'not installed'}"
          f"{'' if torch_cuda else ' (no CUDA: PyTorch column skipped)'}")
    arrays, real = load()
    print(f"data: {'MNIST' if real else 'random images'}, 8000 training images, batch 100, SGD lr 0.1")

    huoba.manual_seed(0)
    state = {k: v.detach().numpy().copy() for k, v in define(huoba.nn, huoba.nn.functional).state_dict().items()}
    runs = [Run("huoba cuda", huoba, dev, state, arrays, lambda: huoba.cuda.synchronize(dev)),
            Run("huoba cpu", huoba, "cpu", state, arrays, lambda: None)]
    if torch_cuda:
        tdev = torch.device(str(dev))
        runs.insert(1, Run("torch cuda", torch, tdev, state, arrays, lambda: torch.cuda.synchronize(tdev)))

    for run in runs:              # warm-up: kernel compilation, memory pools, caches
        run.epoch()
    for e in range(args.epochs):
        line = []
        for run in runs:
            run.times.append(run.epoch())
            line.append(f"{run.name} {run.times[-1]:.2f} s")
        print(f"epoch {e + 1}: " + ", ".join(line))
    med = {run.name: statistics.median(run.times) for run in runs}
    for run in runs:
        print(f"{run.name}: median epoch {med[run.name]:.3f} s, test accuracy {run.accuracy():.4f}")

    rows = []
    if torch_cuda:
        rows.append({"case": "LeNet epoch: huoba cuda / torch cuda", "huoba_s": med["huoba cuda"],
                     "torch_s": med["torch cuda"], "ratio": med["huoba cuda"] / med["torch cuda"]})
    if rows:
        report(rows, "huoba CUDA vs PyTorch CUDA (target <= 1.50x)")
    speedup = med["huoba cpu"] / med["huoba cuda"]
    print(f"\nthe lab's comparison: huoba on the GPU trains {speedup:.2f}x as fast as huoba on the CPU "
          f"({med['huoba cuda']:.3f} s vs {med['huoba cpu']:.3f} s per epoch)")
    if torch_cuda:
        print(f"huoba cuda / torch cuda = {med['huoba cuda'] / med['torch cuda']:.2f}x "
              f"({'within' if med['huoba cuda'] / med['torch cuda'] <= 1.5 else 'over'} the 1.5x target)")


if __name__ == "__main__":
    main()

"""The seed lab's LeNet on real MNIST: huoba vs PyTorch, side by side.

    python benchmarks/bench_lenet.py [--epochs 3] [--threads 1]

Trains on the first 8,000 images of the MNIST test set (../shared/data/mnist),
batch 100, SGD lr 0.1, tensors already in memory; both frameworks start from the
same weights.  Prints the median epoch-time ratio, conv2d forward+backward
ratios, and both test accuracies on the last 2,000 images.

--threads N gives both libraries N threads (torch.set_num_threads, and
huoba.set_num_threads, which sets the BLAS NumPy runs on); the default 1 keeps
the comparison meaningful on a shared machine, where multi-threaded BLAS / OpenMP
pools can be many times slower than one thread.  --threads 0 leaves both at their
defaults.
"""
import argparse
import gzip
import pathlib
import statistics
import sys
import time

from harness import compare, report

import numpy as np
import torch
import huoba

DATA = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


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


def _read_idx(path):
    """An IDX file of unsigned bytes (MNIST's format) as a NumPy array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(data[3])]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


def load():
    """The MNIST test set as normalised float32 (N, 1, 28, 28) images (the lab's mean/std), int64 labels."""
    x = (_read_idx(str(DATA / "t10k-images-idx3-ubyte.gz")).astype(np.float32) / 255.0)[:, None]
    x = np.ascontiguousarray((x - np.float32(0.1307)) / np.float32(0.3081), dtype=np.float32)
    y = _read_idx(str(DATA / "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    return x[:8000], y[:8000], x[8000:], y[8000:]


def epoch(lib, net, opt, x, y, batch=100):
    F = lib.nn.functional
    for i in range(0, len(x), batch):
        loss = F.cross_entropy(net(x[i:i + batch]), y[i:i + batch])
        opt.zero_grad()
        loss.backward()
        opt.step()


def accuracy(lib, net, x, y):
    with lib.no_grad():
        return (net(x).argmax(1) == y).float().mean().item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="threads for both libraries (0: their defaults)")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
        huoba.set_num_threads(args.threads)
    print(f"threads: torch {torch.get_num_threads()}, huoba (BLAS) {huoba.get_num_threads()}")
    if not DATA.exists():
        sys.exit(f"MNIST not found at {DATA}")
    xtr, ytr, xte, yte = load()
    torch.manual_seed(0)
    tnet = define(torch.nn, torch.nn.functional)
    hnet = define(huoba.nn, huoba.nn.functional)
    hnet.load_state_dict({k: huoba.from_numpy(v.detach().numpy().copy()) for k, v in tnet.state_dict().items()})
    topt = torch.optim.SGD(tnet.parameters(), lr=0.1)
    hopt = huoba.optim.SGD(hnet.parameters(), lr=0.1)
    data_t = [torch.from_numpy(a) for a in (xtr, ytr, xte, yte)]
    data_h = [huoba.from_numpy(a) for a in (xtr, ytr, xte, yte)]

    times_h, times_t = [], []
    for e in range(args.epochs):
        s = time.perf_counter(); epoch(huoba, hnet, hopt, data_h[0], data_h[1]); times_h.append(time.perf_counter() - s)
        s = time.perf_counter(); epoch(torch, tnet, topt, data_t[0], data_t[1]); times_t.append(time.perf_counter() - s)
        print(f"epoch {e + 1}: huoba {times_h[-1]:.2f} s (acc {accuracy(huoba, hnet, data_h[2], data_h[3]):.4f}), "
              f"torch {times_t[-1]:.2f} s (acc {accuracy(torch, tnet, data_t[2], data_t[3]):.4f})")
    print(f"LeNet epoch, 8000 MNIST images: median ratio huoba/torch = "
          f"{statistics.median(times_h) / statistics.median(times_t):.2f}x")

    rows = []
    for name, shape, cin, cout, k in [("conv1 1->6 k5, 100x1x28x28", (100, 1, 28, 28), 1, 6, 5),
                                      ("conv2 6->12 k5, 100x6x12x12", (100, 6, 12, 12), 6, 12, 5),
                                      ("conv 64->64 k3 p1, 32x64x32x32", (32, 64, 32, 32), 64, 64, 3)]:
        x = np.random.RandomState(0).randn(*shape).astype(np.float32)
        tconv = torch.nn.Conv2d(cin, cout, k, padding=k // 2 if k == 3 else 0)
        hconv = huoba.nn.Conv2d(cin, cout, k, padding=k // 2 if k == 3 else 0)
        hconv.load_state_dict({k2: huoba.from_numpy(v.detach().numpy().copy()) for k2, v in tconv.state_dict().items()})
        tx = torch.from_numpy(x).requires_grad_()
        hx = huoba.from_numpy(x.copy()).requires_grad_()
        rows.append(compare(name + " fwd+bwd", lambda: hconv(hx).sum().backward(),
                            lambda: tconv(tx).sum().backward(), number=3, repeats=5))
    report(rows, "conv2d forward+backward (median of repeats)")


if __name__ == "__main__":
    main()

"""The data `huoba train` uses: MNIST IDX files when present, else scikit-learn's digits."""
import gzip
import os

import numpy as np

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def _read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 8 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ValueError(f"{path} is truncated: expected {int(np.prod(dims))} values, found {body.size}")
    return body.reshape(dims)


def _find(data_dir, stem):
    for folder in (os.path.join(data_dir, "MNIST", "raw"), os.path.join(data_dir, "mnist"), data_dir):
        for suffix in ("", ".gz"):
            path = os.path.join(folder, stem + suffix)
            if os.path.exists(path):
                return path
    return None


def _normalise(images):
    x = images.astype(np.float32)[:, None] / 255.0
    return (x - MNIST_MEAN) / MNIST_STD


def load_mnist(data_dir):
    test_x, test_y = _find(data_dir, "t10k-images-idx3-ubyte"), _find(data_dir, "t10k-labels-idx1-ubyte")
    train_x, train_y = _find(data_dir, "train-images-idx3-ubyte"), _find(data_dir, "train-labels-idx1-ubyte")
    if not (test_x and test_y):
        raise FileNotFoundError(f"no MNIST files in {data_dir}: place t10k-images-idx3-ubyte.gz and "
                                f"t10k-labels-idx1-ubyte.gz (and the train-* files) in {data_dir}/MNIST/raw")
    xte, yte = _read_idx(test_x), _read_idx(test_y).astype(np.int64)
    if train_x and train_y:
        xtr, ytr = _read_idx(train_x), _read_idx(train_y).astype(np.int64)
        desc = f"MNIST from {os.path.dirname(train_x)}"
    else:  # only the test set: split it 8,000 / 2,000 as the benchmarks do
        xtr, ytr, xte, yte = xte[:8000], yte[:8000], xte[8000:], yte[8000:]
        desc = f"MNIST test set from {os.path.dirname(test_x)} split 8000/2000"
    return _normalise(xtr), ytr, _normalise(xte), yte, desc


def load_digits():
    try:
        from sklearn.datasets import load_digits as sk_digits
    except ImportError:
        raise ImportError("no MNIST files found and scikit-learn is not installed; "
                          "install huoba[lab] or pass --data-dir with MNIST") from None
    digits = sk_digits()
    images = digits.images.astype(np.float32) / 16.0  # 8x8, values 0..16
    # nearest-neighbour upscale 8x8 -> 24x24, then pad to 28x28 like MNIST's centred digits
    big = images.repeat(3, axis=1).repeat(3, axis=2)
    big = np.pad(big, ((0, 0), (2, 2), (2, 2)))
    x = ((big[:, None] - MNIST_MEAN) / MNIST_STD).astype(np.float32)
    y = digits.target.astype(np.int64)
    rng = np.random.RandomState(0)
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    split = int(len(x) * 0.8)
    return x[:split], y[:split], x[split:], y[split:], "scikit-learn digits (8x8 upscaled to 28x28)"


def load(name, data_dir):
    if name in ("mnist", "auto"):
        try:
            return load_mnist(data_dir)
        except FileNotFoundError:
            if name == "mnist":
                raise
    if name in ("digits", "auto"):
        return load_digits()
    raise ValueError(f"unknown dataset '{name}' (expected mnist, digits or auto)")

"""Small on-disk fixtures in the real datasets' formats, and a guard against network use."""
import gzip
import hashlib
import io
import os
import pickle
import tarfile
import urllib.error
import urllib.request

import numpy as np

CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def idx_bytes(arr):
    """An IDX ("SN3 pascalvincent") file of uint8 data: magic 0x0000 08 <ndim>, big-endian dims, data."""
    arr = np.asarray(arr, dtype=np.uint8)
    header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return header + arr.tobytes()


def write_mnist(root, name="MNIST", n_train=12, n_test=7, gz=False, seed=0, splits=("train", "t10k")):
    """root/<name>/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]; returns {split: (images, labels)}."""
    rng = np.random.default_rng(seed)
    raw = os.path.join(root, name, "raw")
    os.makedirs(raw, exist_ok=True)
    out = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        if split not in splits:
            continue
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, (n,), dtype=np.uint8)
        for kind, arr in (("images-idx3", images), ("labels-idx1", labels)):
            data = idx_bytes(arr)
            path = os.path.join(raw, f"{split}-{kind}-ubyte")
            if gz:
                data = gzip.compress(data)
                path += ".gz"
            with open(path, "wb") as f:
                f.write(data)
        out[split] = (images, labels)
    return out


def cifar_batches(seed=0, sizes=(3, 2, 2, 2, 2), test=4, hundred=False):
    """{file name: pickled bytes} for a tiny CIFAR-10 (or CIFAR-100) python-version dataset."""
    rng = np.random.default_rng(seed)
    files = {}
    expected = {}
    if hundred:
        names = [("train", sum(sizes)), ("test", test)]
    else:
        names = [(f"data_batch_{i + 1}", n) for i, n in enumerate(sizes)] + [("test_batch", test)]
    for name, n in names:
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = rng.integers(0, 100 if hundred else 10, (n,)).tolist()
        entry = {"batch_label": f"batch {name}", "data": data, "filenames": [f"img{i}.png" for i in range(n)]}
        if hundred:
            entry["fine_labels"] = labels
            entry["coarse_labels"] = [v // 5 for v in labels]
        else:
            entry["labels"] = labels
        files[name] = pickle.dumps(entry, protocol=2)
        expected[name] = (data, labels)
    if hundred:
        files["meta"] = pickle.dumps({"fine_label_names": [f"class{i}" for i in range(100)],
                                      "coarse_label_names": [f"super{i}" for i in range(20)]}, protocol=2)
    else:
        files["batches.meta"] = pickle.dumps({"label_names": CIFAR10_CLASSES, "num_cases_per_batch": 3,
                                              "num_vis": 3072}, protocol=2)
    return files, expected


def write_cifar(root, hundred=False, seed=0):
    files, expected = cifar_batches(seed, hundred=hundred)
    folder = os.path.join(root, "cifar-100-python" if hundred else "cifar-10-batches-py")
    os.makedirs(folder, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    return expected


def cifar_archive(hundred=False, seed=0):
    """The bytes of a cifar-*-python.tar.gz holding the tiny batches."""
    files, expected = cifar_batches(seed, hundred=hundred)
    folder = "cifar-100-python" if hundred else "cifar-10-batches-py"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue(), expected


def md5(data):
    return hashlib.md5(data).hexdigest()


class NetworkGuard:
    """Replaces urllib.request.urlopen: records URLs and raises like an offline machine (or serves `files`)."""

    def __init__(self, files=None):
        self.files = files or {}
        self.urls = []

    def __call__(self, request, *args, **kwargs):
        url = request.full_url if isinstance(request, urllib.request.Request) else request
        self.urls.append(url)
        for suffix, data in self.files.items():
            if url.endswith(suffix):
                return _Response(data)
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")


class _Response(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.length = len(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def files_under(path):
    out = []
    for root, _, names in os.walk(path):
        out += [os.path.relpath(os.path.join(root, n), path) for n in names]
    return sorted(out)

"""Running the `huoba` command as a user would, plus small fixtures shared by the CLI tests."""
import gzip
import os
import pathlib
import subprocess
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"


def huoba_cmd(*args, cwd, env=None, timeout=120):
    """`huoba ARGS...` in a fresh process (python -m huoba), with huoba importable from src/."""
    full_env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), **(env or {}))
    full_env.pop("HUOBA_DATA", None)
    if env and "HUOBA_DATA" in env:
        full_env["HUOBA_DATA"] = env["HUOBA_DATA"]
    return subprocess.run([sys.executable, "-m", "huoba", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=full_env, timeout=timeout)


def conv_available():
    import huoba
    try:
        huoba.nn.Conv2d(1, 1, 3)(huoba.zeros(1, 1, 5, 5))
        huoba.nn.MaxPool2d(2)(huoba.zeros(1, 1, 4, 4))
        return True
    except (NotImplementedError, ModuleNotFoundError, ImportError, AttributeError):
        return False


def write_idx(path, array):
    """An IDX file (gzip-compressed when `path` ends in .gz) holding a uint8 array."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


def fake_mnist(folder, n_train=120, n_test=60, seed=0):
    """Tiny MNIST-format files: class k is a bright k-th row band, so it is learnable."""
    rng = np.random.RandomState(seed)
    os.makedirs(folder, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.randint(0, 10, n).astype(np.uint8)
        images = rng.randint(0, 40, (n, 28, 28)).astype(np.uint8)
        for i, k in enumerate(labels):
            images[i, 2 + 2 * k:4 + 2 * k, 4:24] = 250
        write_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"), images)
        write_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"), labels)

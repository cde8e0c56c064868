"""The data `huoba train` and `huoba bench` use, as whole NumPy arrays.

Every loader returns a `LabData`: float32 images (N, C, H, W) normalised with
per-channel mean/std (the lab's (0.1307,), (0.3081,) for MNIST), int64 labels,
class names and a one-line description.  Images are read once into memory;
batches are then cut from them by index (`ArrayDataset.__getitems__`), which
keeps the per-image Python cost out of the training loop.

Sources: huoba.vision's MNIST / FashionMNIST / CIFAR10 / ImageFolder datasets
where they can read the files, else this module's own IDX / CIFAR-pickle
readers; scikit-learn's handwritten digits are read straight from the CSV file
that ships inside the scikit-learn wheel (no scikit-learn import, which is slow).
"""
import gzip
import importlib.util
import os
import pickle

import numpy as np

__all__ = ["LabData", "DataError", "load", "ArrayDataset", "collate_batch"]

MNIST_CLASSES = [str(i) for i in range(10)]
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot"]
CIFAR10_CLASSES = ["plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
STATS = {"mnist": ((0.1307,), (0.3081,)), "fashion-mnist": ((0.2860,), (0.3530,)),
         "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))}
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".ppm", ".pgm", ".tif", ".tiff", ".webp")


class DataError(Exception):
    """Data that is missing or unreadable: `huoba train` reports it in one line."""


class LabData:
    """Train and test arrays plus what is needed to describe and display them."""

    def __init__(self, name, train_x, train_y, test_x, test_y, classes, mean, std, description):
        self.name = name
        self.train_x, self.train_y, self.test_x, self.test_y = train_x, train_y, test_x, test_y
        self.classes = list(classes)
        self.mean, self.std = tuple(float(m) for m in mean), tuple(float(s) for s in std)
        self.description = description

    @property
    def image_shape(self):
        return tuple(self.train_x.shape[1:])

    def limit(self, n):
        """Keep at most `n` training and `n` test images."""
        if n:
            self.train_x, self.train_y = self.train_x[:n], self.train_y[:n]
            self.test_x, self.test_y = self.test_x[:n], self.test_y[:n]
        return self

    def denormalise(self, x):
        """Normalised (N, C, H, W) images back to [0, 1]."""
        mean = np.asarray(self.mean, np.float32).reshape(1, -1, 1, 1)
        std = np.asarray(self.std, np.float32).reshape(1, -1, 1, 1)
        return np.clip(x * std + mean, 0.0, 1.0)


# --------------------------------------------------------------------------- datasets for the DataLoader

class ArrayDataset:
    """(image tensor, label) pairs over two NumPy arrays; `__getitems__` cuts a whole batch
    at once, so a DataLoader with `collate_fn=collate_batch` gets (images, labels) tensors."""

    def __init__(self, images, labels):
        self.images, self.labels = images, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        from .. import from_numpy
        return from_numpy(np.array(self.images[index])), int(self.labels[index])

    def __getitems__(self, indices):
        from .. import from_numpy
        idx = np.asarray(indices, dtype=np.int64)
        return from_numpy(self.images[idx]), from_numpy(self.labels[idx])


def collate_batch(batch):
    """The batch `ArrayDataset.__getitems__` made is already collated."""
    return batch


# --------------------------------------------------------------------------- normalisation

def _to_float(images_uint8, mean, std):
    """uint8 (N, H, W) or (N, H, W, C) -> normalised float32 (N, C, H, W)."""
    x = images_uint8.astype(np.float32) / 255.0
    x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)
    return _normalise(x, mean, std)


def _normalise(x, mean, std):
    m = np.asarray(mean, np.float32).reshape(1, -1, 1, 1)
    s = np.asarray(std, np.float32).reshape(1, -1, 1, 1)
    return np.ascontiguousarray((x - m) / s, dtype=np.float32)


def _stats_of(x):
    """Per-channel mean and std of float (N, C, H, W) images in [0, 1]."""
    mean = x.mean(axis=(0, 2, 3), dtype=np.float64)
    std = x.std(axis=(0, 2, 3), dtype=np.float64)
    return tuple(round(float(m), 4) for m in mean), tuple(round(max(float(s), 1e-3), 4) for s in std)


# --------------------------------------------------------------------------- MNIST and Fashion-MNIST

def _read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as err:
        raise DataError(f"cannot read {path}: {err}") from None
    if len(data) < 8 or data[0] != 0 or data[1] != 0 or data[2] != 8:
        raise DataError(f"{path} is not an IDX file of unsigned bytes (bad magic number)")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise DataError(f"{path} is truncated: expected {int(np.prod(dims))} values, found {body.size}")
    return body.reshape(dims)


def _find(folders, stem):
    for folder in folders:
        for suffix in ("", ".gz"):
            path = os.path.join(folder, stem + suffix)
            if os.path.isfile(path):
                return path
    return None


_IDX_FOLDERS = {"mnist": ("MNIST/raw", "MNIST", "mnist/raw", "mnist", "."),
                "fashion-mnist": ("FashionMNIST/raw", "FashionMNIST", "fashion-mnist", "fashion_mnist",
                                  "fashionmnist", ".")}


def _idx_split(name, data_dir, train):
    """(images, labels) uint8/int64 arrays of one split, or None when the files are not there."""
    cls_name = "MNIST" if name == "mnist" else "FashionMNIST"
    try:  # torchvision's layout, through huoba.vision when it is there
        from ..vision import datasets as vdatasets
        ds = getattr(vdatasets, cls_name)(data_dir, train=train, download=False)
        return np.asarray(ds.data.numpy(), np.uint8), np.asarray(ds.targets.numpy(), np.int64)
    except (ImportError, AttributeError, RuntimeError, OSError, ValueError):
        pass
    folders = [os.path.join(data_dir, f) for f in _IDX_FOLDERS[name]]
    prefix = "train" if train else "t10k"
    images, labels = _find(folders, f"{prefix}-images-idx3-ubyte"), _find(folders, f"{prefix}-labels-idx1-ubyte")
    if not (images and labels):
        return None
    x, y = _read_idx(images), _read_idx(labels).astype(np.int64)
    if len(x) != len(y):
        raise DataError(f"{images} has {len(x)} images but {labels} has {len(y)} labels")
    return x, y


def _download(name, data_dir):
    try:
        from ..vision import datasets as vdatasets
    except ImportError as err:
        raise DataError(f"downloading needs huoba.vision ({err})") from None
    cls = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "cifar10": "CIFAR10"}[name]
    for train in (True, False):
        try:
            getattr(vdatasets, cls)(data_dir, train=train, download=True)
        except Exception as err:  # network errors of every kind
            raise DataError(f"could not download {cls} into {data_dir}: {err}") from None


def load_idx(name, data_dir, download=False):
    label = "MNIST" if name == "mnist" else "Fashion-MNIST"
    if download:
        _download(name, data_dir)
    test = _idx_split(name, data_dir, train=False)
    if test is None:
        where = "MNIST/raw" if name == "mnist" else "FashionMNIST/raw"
        raise DataError(f"no {label} files in '{data_dir}': put t10k-images-idx3-ubyte.gz and "
                        f"t10k-labels-idx1-ubyte.gz (and the train-* files) in {os.path.join(data_dir, where)}, "
                        f"pass --download, or use --dataset digits")
    train = _idx_split(name, data_dir, train=True)
    mean, std = STATS[name]
    if train is not None:
        (xtr, ytr), (xte, yte) = train, test
        desc = f"{label} from {data_dir}"
    else:  # only the test set: split it 8,000 / 2,000
        x, y = test
        xtr, ytr, xte, yte = x[:8000], y[:8000], x[8000:], y[8000:]
        desc = f"{label} test set from {data_dir}, split 8000 train / {len(xte)} test (no train-* files found)"
    classes = MNIST_CLASSES if name == "mnist" else FASHION_CLASSES
    return LabData(name, _to_float(xtr, mean, std), ytr, _to_float(xte, mean, std), yte, classes, mean, std, desc)


# --------------------------------------------------------------------------- CIFAR10

def load_cifar10(data_dir, download=False):
    if download:
        _download("cifar10", data_dir)
    mean, std = STATS["cifar10"]
    splits = []
    for train in (True, False):
        arrays = None
        try:
            from ..vision.datasets import CIFAR10
            ds = CIFAR10(data_dir, train=train, download=False)
            arrays = np.asarray(ds.data, np.uint8), np.asarray(ds.targets, np.int64)
        except (ImportError, RuntimeError, OSError, ValueError):
            arrays = _read_cifar_batches(data_dir, train)
        if arrays is None:
            raise DataError(f"no CIFAR10 files in '{data_dir}': put the extracted cifar-10-batches-py folder "
                            f"there, or pass --download")
        splits.append(arrays)
    (xtr, ytr), (xte, yte) = splits
    return LabData("cifar10", _to_float(xtr, mean, std), ytr, _to_float(xte, mean, std), yte, CIFAR10_CLASSES,
                   mean, std, f"CIFAR10 from {data_dir}")


def _read_cifar_batches(data_dir, train):
    folder = os.path.join(data_dir, "cifar-10-batches-py")
    names = [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]
    if not all(os.path.isfile(os.path.join(folder, n)) for n in names):
        return None
    xs, ys = [], []
    for n in names:
        try:
            with open(os.path.join(folder, n), "rb") as f:
                entry = pickle.load(f, encoding="latin1")
        except Exception as err:
            raise DataError(f"cannot read {os.path.join(folder, n)}: {err}") from None
        xs.append(np.asarray(entry["data"], np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        ys.extend(entry.get("labels", entry.get("fine_labels", [])))
    return np.concatenate(xs), np.asarray(ys, np.int64)


# --------------------------------------------------------------------------- scikit-learn's digits

def _resize_matrix(n_in, n_out):
    """(n_out, n_in) bilinear interpolation weights (half-pixel centres, edges clamped)."""
    pos = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    w = pos - lo
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.arange(n_out), lo), 1 - w)
    np.add.at(m, (np.arange(n_out), hi), w)
    return m


def _digits_arrays():
    """(1797, 8, 8) floats 0..16 and labels, from the CSV inside scikit-learn (or its loader)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.origin:
        raise DataError("no MNIST files found and scikit-learn (which ships the digits set) is not installed: "
                        "pip install 'huoba[lab]', or pass --data-dir with the MNIST files")
    path = os.path.join(os.path.dirname(spec.origin), "datasets", "data", "digits.csv.gz")
    if os.path.isfile(path):
        raw = np.loadtxt(path, delimiter=",", dtype=np.float64)
        return raw[:, :64].reshape(-1, 8, 8), raw[:, 64].astype(np.int64)
    from sklearn.datasets import load_digits  # a layout other than the one known here
    digits = load_digits()
    return digits.images.astype(np.float64), digits.target.astype(np.int64)


def load_digits():
    """scikit-learn's 1,797 handwritten digits, made to look like MNIST: each 8x8 image is
    resized (bilinear) to 20x20 and centred in 28x28, as MNIST's digits are; 80/20 split."""
    images, labels = _digits_arrays()
    r = _resize_matrix(8, 20)
    big = np.einsum("ij,njk,lk->nil", r, images / 16.0, r)
    big = np.pad(big, ((0, 0), (4, 4), (4, 4)))[:, None].astype(np.float32)
    order = np.random.RandomState(0).permutation(len(big))  # a fixed split, the same on every machine
    big, labels = big[order], labels[order]
    split = int(len(big) * 0.8)
    mean, std = _stats_of(big[:split])
    return LabData("digits", _normalise(big[:split], mean, std), labels[:split], _normalise(big[split:], mean, std),
                   labels[split:], MNIST_CLASSES, mean, std,
                   "scikit-learn's handwritten digits (8x8 resized to 28x28)")


# --------------------------------------------------------------------------- an image folder

def _list_folder(root):
    """([(path, class index)], classes) for root/<class>/<image>."""
    try:
        from ..vision.datasets.folder import make_dataset, find_classes
        classes, class_to_idx = find_classes(root)
        return make_dataset(root, class_to_idx, extensions=IMAGE_EXTENSIONS, allow_empty=True), classes
    except ImportError:
        pass
    except FileNotFoundError as err:
        raise DataError(str(err)) from None
    classes = sorted(e.name for e in os.scandir(root) if e.is_dir())
    if not classes:
        raise DataError(f"Couldn't find any class folder in {root}.")
    samples = []
    for i, c in enumerate(classes):
        for dirpath, _, files in sorted(os.walk(os.path.join(root, c), followlinks=True)):
            samples += [(os.path.join(dirpath, f), i) for f in sorted(files) if f.lower().endswith(IMAGE_EXTENSIONS)]
    return samples, classes


def _read_images(samples, size, mode):
    from PIL import Image
    out = np.empty((len(samples), size, size, 3 if mode == "RGB" else 1), np.uint8)
    for i, (path, _) in enumerate(samples):
        try:
            with Image.open(path) as img:
                img = img.convert(mode).resize((size, size), Image.BILINEAR)
                out[i] = np.asarray(img).reshape(size, size, -1)
        except OSError as err:
            raise DataError(f"cannot read image {path}: {err}") from None
    return out


def load_folder(root, channels=None, size=None):
    """Images under root/<class>/ (or root/train/<class>/ and root/test|val/<class>/), resized to
    `size` pixels square, grayscale when `channels` is 1 (default: grayscale 28x28 when every
    image is grayscale, else RGB 32x32).  Without train/test folders 20% is held out for testing."""
    if not os.path.isdir(root):
        raise DataError(f"no such folder: '{root}'")
    try:
        import PIL  # noqa: F401
    except ImportError:
        raise DataError("--dataset folder:PATH needs Pillow: pip install 'huoba[lab]'") from None
    test_dir = next((os.path.join(root, d) for d in ("test", "val") if os.path.isdir(os.path.join(root, d))), None)
    if os.path.isdir(os.path.join(root, "train")) and test_dir:
        train, classes = _list_folder(os.path.join(root, "train"))
        test, test_classes = _list_folder(test_dir)
        if test_classes != classes:
            raise DataError(f"the class folders of {os.path.join(root, 'train')} and {test_dir} differ")
        split_note = f"{os.path.basename(test_dir)}/ held out"
    else:
        samples, classes = _list_folder(root)
        order = np.random.RandomState(0).permutation(len(samples))
        cut = len(samples) - max(1, len(samples) // 5)
        train, test = [samples[i] for i in order[:cut]], [samples[i] for i in order[cut:]]
        split_note = "20% held out"
    if len(train) < 1 or len(test) < 1:
        raise DataError(f"found {len(train) + len(test)} images in {root}: need images in <class>/ folders")
    if channels is None:
        from PIL import Image
        gray = True
        for path, _ in train[:200]:
            with Image.open(path) as img:
                if img.mode not in ("1", "L", "LA", "I", "I;16", "F"):
                    gray = False
                    break
        channels = 1 if gray else 3
    size = size or (28 if channels == 1 else 32)
    mode = "L" if channels == 1 else "RGB"
    xtr = _read_images(train, size, mode).transpose(0, 3, 1, 2).astype(np.float32) / 255.0
    xte = _read_images(test, size, mode).transpose(0, 3, 1, 2).astype(np.float32) / 255.0
    ytr = np.asarray([c for _, c in train], np.int64)
    yte = np.asarray([c for _, c in test], np.int64)
    order = np.random.RandomState(0).permutation(len(xtr))
    xtr, ytr = xtr[order], ytr[order]
    mean, std = _stats_of(xtr)
    return LabData("folder", _normalise(xtr, mean, std), ytr, _normalise(xte, mean, std), yte, classes, mean, std,
                   f"image folder {root} ({len(classes)} classes, {mode} {size}x{size}, {split_note})")


# --------------------------------------------------------------------------- choosing

DATASETS = ("mnist", "fashion-mnist", "cifar10", "digits", "folder:PATH")


def load(name, data_dir, download=False, channels=None, size=None):
    """The LabData for `--dataset name` ('auto': MNIST when its files are in data_dir, else digits)."""
    if name == "auto":
        try:
            return load_idx("mnist", data_dir)
        except DataError:
            data = load_digits()
            data.description = f"no MNIST files in '{data_dir}', so {data.description}"
            return data
    if name in ("mnist", "fashion-mnist"):
        return load_idx(name, data_dir, download)
    if name == "cifar10":
        return load_cifar10(data_dir, download)
    if name == "digits":
        return load_digits()
    if name.startswith("folder:"):
        return load_folder(os.path.expanduser(name[len("folder:"):]), channels, size)
    raise DataError(f"unknown dataset '{name}' (expected one of {', '.join(DATASETS)})")

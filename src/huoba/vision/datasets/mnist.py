"""MNIST, FashionMNIST and KMNIST: 28x28 grayscale digits/clothes/characters in IDX files.

On disk (torchvision's layout): `root/<ClassName>/raw/` holds
`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`
and `t10k-labels-idx1-ubyte`, or the same names with `.gz` (read directly).
`download=True` fetches the missing `.gz` files of the split from the
official mirrors (MD5-checked) and unpacks them; files already present are
used without any network access.
"""
import gzip
import os
import warnings
import zlib

import numpy as np

from ...tensor import Tensor, _wrap
from .utils import DownloadError, _decompress, download_url
from .vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "KMNIST", "read_sn3_pascalvincent_tensor", "read_image_file",
           "read_label_file"]


class MNIST(VisionDataset):
    """The MNIST handwritten digits: 60000 training and 10000 test images of 28x28 pixels.

    `data` is a (N, 28, 28) uint8 tensor, `targets` an int64 tensor; items are
    (PIL image in mode "L", int label) passed through the transforms.
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    training_file = "training.pt"
    test_file = "test.pt"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    @property
    def train_labels(self):
        warnings.warn("train_labels has been renamed targets")
        return self.targets

    @property
    def test_labels(self):
        warnings.warn("test_labels has been renamed targets")
        return self.targets

    @property
    def train_data(self):
        warnings.warn("train_data has been renamed data")
        return self.data

    @property
    def test_data(self):
        warnings.warn("test_data has been renamed data")
        return self.data

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if self._check_legacy_exist():
            self.data, self.targets = self._load_legacy_data()
            return
        if download:
            self.download()
        if not self._check_exists():
            raise RuntimeError("Dataset not found. You can use download=True to download it")
        self.data, self.targets = self._load_data()

    # -- files ------------------------------------------------------------
    @property
    def raw_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def processed_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "processed")

    @property
    def class_to_idx(self):
        return {_class: i for i, _class in enumerate(self.classes)}

    def _split_resources(self):
        prefix = "train" if self.train else "t10k"
        return [(f, m) for f, m in self.resources if f.startswith(prefix + "-")]

    def _find(self, gz_name):
        """The path of a raw file, uncompressed or gzipped, or None."""
        raw = os.path.join(self.raw_folder, os.path.splitext(gz_name)[0])
        if os.path.isfile(raw):
            return raw
        gz = os.path.join(self.raw_folder, gz_name)
        return gz if os.path.isfile(gz) else None

    def _check_exists(self):
        return all(self._find(f) is not None for f, _ in self._split_resources())

    def _check_legacy_exist(self):
        if not os.path.exists(self.processed_folder):
            return False
        return all(os.path.isfile(os.path.join(self.processed_folder, f)) for f in (self.training_file, self.test_file))

    def _load_legacy_data(self):
        from ... import serialization
        path = os.path.join(self.processed_folder, self.training_file if self.train else self.test_file)
        try:
            data, targets = serialization.load(path, weights_only=True)
        except Exception as err:
            raise RuntimeError(f"{path} could not be loaded ({err}); delete the 'processed' folder to read the raw "
                               "files instead") from None
        return data, targets

    def _load_data(self):
        prefix = "train" if self.train else "t10k"
        data = read_image_file(self._find(f"{prefix}-images-idx3-ubyte.gz"))
        targets = read_label_file(self._find(f"{prefix}-labels-idx1-ubyte.gz"))
        if data.shape[0] != targets.shape[0]:
            raise RuntimeError(f"{self.__class__.__name__} files in {self.raw_folder} do not match: "
                               f"{data.shape[0]} images but {targets.shape[0]} labels")
        return data, targets

    def download(self):
        """Fetch and unpack the split's files that are missing; nothing happens when they are all there."""
        needed = self._split_resources()
        if all(os.path.isfile(os.path.join(self.raw_folder, os.path.splitext(f)[0])) for f, _ in needed):
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in needed:
            raw = os.path.join(self.raw_folder, os.path.splitext(filename)[0])
            if os.path.isfile(raw):
                continue
            gz = os.path.join(self.raw_folder, filename)
            if not os.path.isfile(gz):
                errors = []
                for mirror in self.mirrors:
                    try:
                        download_url(f"{mirror}{filename}", self.raw_folder, filename=filename, md5=md5)
                    except DownloadError as err:
                        errors.append(str(err))
                        continue
                    break
                else:
                    missing = [f for f, _ in self.resources if self._find(f) is None]
                    raise RuntimeError(f"{self.__class__.__name__} download failed ({'; '.join(errors)}). "
                                       f"Place {', '.join(missing)} in {self.raw_folder} and run again.")
            _decompress(gz, raw)

    # -- items --------------------------------------------------------------
    def __getitem__(self, index):
        from PIL import Image
        data, targets = self.data, self.targets
        if isinstance(index, Tensor):
            index = int(index)
        img = data._data[index] if isinstance(data, Tensor) else np.asarray(data[index])
        if hasattr(img, "get"):
            img = img.get()
        target = int(targets._data[index]) if isinstance(targets, Tensor) else int(targets[index])
        img = Image.fromarray(np.ascontiguousarray(img, dtype=np.uint8))
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"


class FashionMNIST(MNIST):
    """Fashion-MNIST: 28x28 grayscale images of 10 kinds of clothing, in MNIST's format."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST: 28x28 images of 10 cursive Japanese characters, in MNIST's format."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


# ---------------------------------------------------------------- IDX ("SN3 pascalvincent") files

_IDX_TYPES = {8: np.uint8, 9: np.int8, 11: np.dtype(">i2"), 12: np.dtype(">i4"), 13: np.dtype(">f4"),
              14: np.dtype(">f8")}


def _read_bytes(path):
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":              # gzip, whatever the file is called
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as err:
            raise RuntimeError(f"{path} is corrupt or truncated: it is not a complete gzip file ({err}). Delete it "
                               "and download or copy it again.") from None
    return raw


def _read_idx(path, strict=True):
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise RuntimeError(f"{path} is not an MNIST (IDX) file: it holds only {len(raw)} bytes")
    magic = int.from_bytes(raw[:4], "big")
    nd, ty = magic % 256, magic // 256
    if raw[:2] != b"\x00\x00" or not (1 <= nd <= 3) or ty not in _IDX_TYPES:
        raise RuntimeError(f"{path} is not an MNIST (IDX) file: bad magic number 0x{magic:08x}")
    header = 4 * (nd + 1)
    if len(raw) < header:
        raise RuntimeError(f"{path} is truncated: its header is incomplete")
    dims = [int.from_bytes(raw[4 * (i + 1):4 * (i + 2)], "big") for i in range(nd)]
    dt = np.dtype(_IDX_TYPES[ty])
    expected = int(np.prod(dims)) * dt.itemsize
    got = len(raw) - header
    if got < expected or (strict and got != expected):
        raise RuntimeError(f"{path} is truncated or corrupt: its header announces {'x'.join(map(str, dims))} values "
                           f"({expected} bytes) but it holds {got} bytes of data. Delete it and download or copy it "
                           "again.")
    arr = np.frombuffer(bytearray(raw[header:header + expected]), dtype=dt).reshape(dims)
    return arr.astype(dt.newbyteorder("="), copy=False)


def read_sn3_pascalvincent_tensor(path, strict=True):
    """Read an IDX file (optionally gzipped) into a tensor of its stored type and shape."""
    return _wrap(_read_idx(path, strict))


def read_label_file(path):
    x = _read_idx(path)
    if x.dtype != np.uint8:
        raise TypeError(f"x should be of dtype torch.uint8 instead of {_wrap(x).dtype}")
    if x.ndim != 1:
        raise ValueError(f"x should have 1 dimension instead of {x.ndim}")
    return _wrap(x.astype(np.int64))


def read_image_file(path):
    x = _read_idx(path)
    if x.dtype != np.uint8:
        raise TypeError(f"x should be of dtype torch.uint8 instead of {_wrap(x).dtype}")
    if x.ndim != 3:
        raise ValueError(f"x should have 3 dimension instead of {x.ndim}")
    return _wrap(x)

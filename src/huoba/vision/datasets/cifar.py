"""CIFAR10 and CIFAR100: 32x32 colour images in the "python version" pickled batches.

On disk: `root/cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}`
(CIFAR100: `root/cifar-100-python/{train, test, meta}`).  `download=True`
fetches and unpacks the official archive when the folder is missing (an
archive already sitting in `root` is unpacked without any network access).
The batches are unpickled with a loader that accepts only arrays and plain
containers, so a tampered file cannot run code.
"""
import os

import numpy as np

from .utils import DownloadError, download_url, extract_archive, load_pickle
from .vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100"]


class CIFAR10(VisionDataset):
    """CIFAR-10: 50000 training and 10000 test images in 10 classes.

    `data` is a (N, 32, 32, 3) uint8 NumPy array, `targets` a list of ints;
    items are (PIL RGB image, int label) passed through the transforms.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names", "md5": "5ff9c542aee3614f3951f8cda6e48888"}

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_integrity():
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to download it")
        downloaded_list = self.train_list if self.train else self.test_list
        self.data = []
        self.targets = []
        for file_name, _ in downloaded_list:
            path = os.path.join(self.root, self.base_folder, file_name)
            entry = load_pickle(path)
            try:
                self.data.append(np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
                labels = entry["labels"] if "labels" in entry else entry["fine_labels"]
            except (KeyError, TypeError, ValueError) as err:
                raise RuntimeError(f"{path} is not a CIFAR batch file ({type(err).__name__}: {err})") from None
            if len(labels) != self.data[-1].shape[0]:
                raise RuntimeError(f"{path} is corrupt: {self.data[-1].shape[0]} images but {len(labels)} labels")
            self.targets.extend(int(t) for t in labels)
        self.data = np.vstack(self.data).reshape(-1, 3, 32, 32)
        self.data = self.data.transpose((0, 2, 3, 1))  # to HWC
        self._load_meta()

    def _load_meta(self):
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        if not os.path.isfile(path):
            raise RuntimeError("Dataset metadata file not found or corrupted. You can use download=True to download it")
        data = load_pickle(path)
        try:
            self.classes = list(data[self.meta["key"]])
        except (KeyError, TypeError) as err:
            raise RuntimeError(f"{path} is not a CIFAR metadata file (missing {err})") from None
        self.class_to_idx = {_class: i for i, _class in enumerate(self.classes)}

    def __getitem__(self, index):
        from PIL import Image
        img, target = self.data[int(index)], self.targets[int(index)]
        img = Image.fromarray(np.ascontiguousarray(img))
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)

    def _files(self):
        return [f for f, _ in self.train_list + self.test_list] + [self.meta["filename"]]

    def _check_integrity(self):
        """All batch files exist (their contents are checked when loaded, not by MD5, so a rebuilt copy works)."""
        folder = os.path.join(self.root, self.base_folder)
        return all(os.path.isfile(os.path.join(folder, f)) for f in self._files()[:-1])

    def download(self):
        if self._check_integrity() and os.path.isfile(os.path.join(self.root, self.base_folder,
                                                                   self.meta["filename"])):
            return
        archive = os.path.join(self.root, self.filename)
        if not os.path.isfile(archive):
            try:
                download_url(self.url, self.root, filename=self.filename, md5=self.tgz_md5)
            except DownloadError as err:
                raise RuntimeError(f"{self.__class__.__name__} download failed ({err}). Place {self.filename} in "
                                   f"{self.root} (or its unpacked folder {self.base_folder}) and run again.") from None
        extract_archive(archive, self.root)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100: like CIFAR-10 with 100 fine classes (`targets` are the fine labels)."""

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names", "md5": "7973b15100ade9c7d40fb424638fde48"}

"""torchvision.datasets on huoba: on-disk layouts, attributes, items, reprs, downloads and bad files.

No test touches the network: `urllib.request.urlopen` is replaced by a guard that
either serves fixture bytes or fails like an offline machine.
"""
import gzip
import os
import pickle
import shutil
import sys
import urllib.request

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

import huoba  # noqa: E402
from huoba.vision import datasets, transforms  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from vision_helpers import (CIFAR10_CLASSES, NetworkGuard, cifar_archive, files_under, idx_bytes, md5,  # noqa: E402
                            write_cifar, write_mnist)
from conftest import SHARED_DATA  # noqa: E402

MNIST_TEST_DIR = SHARED_DATA / "mnist"


@pytest.fixture
def offline(monkeypatch):
    guard = NetworkGuard()
    monkeypatch.setattr(urllib.request, "urlopen", guard)
    return guard


def normalize_compose():
    return transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])


# ------------------------------------------------------------------------------------------- MNIST


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_raw_and_gz_files(tmp_path, offline, gz):
    expected = write_mnist(tmp_path, gz=gz)
    for train, split in ((True, "train"), (False, "t10k")):
        ds = datasets.MNIST(str(tmp_path), train=train)
        images, labels = expected[split]
        assert len(ds) == len(images)
        assert isinstance(ds.data, huoba.Tensor) and ds.data.dtype == huoba.uint8
        assert tuple(ds.data.shape) == images.shape
        np.testing.assert_array_equal(ds.data.numpy(), images)
        assert ds.targets.dtype == huoba.int64
        np.testing.assert_array_equal(ds.targets.numpy(), labels.astype(np.int64))
        img, target = ds[3]
        assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
        np.testing.assert_array_equal(np.asarray(img), images[3])
        assert type(target) is int and target == labels[3]
    assert offline.urls == []


def test_mnist_attributes_and_classes(tmp_path):
    write_mnist(tmp_path)
    ds = datasets.MNIST(tmp_path, train=False)
    assert ds.classes == ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
                          "7 - seven", "8 - eight", "9 - nine"]
    assert ds.class_to_idx == {c: i for i, c in enumerate(ds.classes)}
    assert ds.raw_folder == os.path.join(str(tmp_path), "MNIST", "raw")
    with pytest.warns(UserWarning, match="test_labels has been renamed targets"):
        assert ds.test_labels is ds.targets
    with pytest.warns(UserWarning, match="train_data has been renamed data"):
        assert ds.train_data is ds.data
    write_mnist(tmp_path, name="FashionMNIST")
    write_mnist(tmp_path, name="KMNIST")
    assert datasets.FashionMNIST(tmp_path).classes == ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                       "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    assert datasets.KMNIST(tmp_path).classes == ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


def test_mnist_repr_matches_torchvision(tmp_path):
    write_mnist(tmp_path)
    root = str(tmp_path)
    ds = datasets.MNIST(root, train=False, transform=normalize_compose())
    assert repr(ds) == (
        "Dataset MNIST\n"
        "    Number of datapoints: 7\n"
        f"    Root location: {root}\n"
        "    Split: Test\n"
        "    StandardTransform\n"
        "Transform: Compose(\n"
        "               ToTensor()\n"
        "               Normalize(mean=(0.1307,), std=(0.3081,))\n"
        "           )")
    ds = datasets.MNIST(root, transform=transforms.ToTensor(), target_transform=transforms.Lambda(lambda y: y))
    assert repr(ds) == (f"Dataset MNIST\n    Number of datapoints: 12\n    Root location: {root}\n    Split: Train\n"
                        "    StandardTransform\nTransform: ToTensor()\nTarget transform: Lambda()")
    assert repr(datasets.MNIST(root)) == (f"Dataset MNIST\n    Number of datapoints: 12\n    Root location: {root}\n"
                                          "    Split: Train")
    write_mnist(tmp_path, name="FashionMNIST")
    assert repr(datasets.FashionMNIST(root, train=False)).startswith("Dataset FashionMNIST\n    Number of datapoints: 7")


def test_mnist_items_through_transforms_equal_torch_math(tmp_path):
    expected = write_mnist(tmp_path)
    images, labels = expected["t10k"]
    ds = datasets.MNIST(tmp_path, train=False, transform=normalize_compose(),
                        target_transform=transforms.Lambda(lambda y: huoba.zeros(10, dtype=huoba.float).scatter_(
                            0, huoba.tensor(y), value=1)))
    x, y = ds[5]
    ref = torch.from_numpy(images[5]).unsqueeze(0).to(torch.float32).div(255).sub_(0.1307).div_(0.3081)
    assert x.dtype == huoba.float32 and tuple(x.shape) == (1, 28, 28)
    np.testing.assert_array_equal(x.numpy(), ref.numpy())
    onehot = torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(int(labels[5])), value=1)
    np.testing.assert_array_equal(y.numpy(), onehot.numpy())


def test_mnist_missing_without_download(tmp_path):
    with pytest.raises(RuntimeError, match="^Dataset not found. You can use download=True to download it$"):
        datasets.MNIST(tmp_path)


def test_mnist_download_offline_error_and_no_partial_files(tmp_path, offline):
    root = os.path.join(str(tmp_path), "dataset_mnist")
    with pytest.raises(RuntimeError) as info:
        datasets.MNIST(root, train=True, download=True)
    msg = str(info.value)
    raw = os.path.join(root, "MNIST", "raw")
    assert msg.startswith("MNIST download failed (")
    assert "Temporary failure in name resolution" in msg
    assert msg.endswith(f"Place train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
                        f"t10k-labels-idx1-ubyte.gz in {raw} and run again.")
    # both official mirrors were tried for the first file, then it gave up
    assert offline.urls == ["https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz",
                            "http://yann.lecun.com/exdb/mnist/train-images-idx3-ubyte.gz"]
    assert files_under(root) == []


def test_mnist_existing_files_need_no_network(tmp_path, offline):
    write_mnist(tmp_path, gz=True)
    for train in (True, False):
        ds = datasets.MNIST(tmp_path, train=train, download=True, transform=transforms.ToTensor())
        assert len(ds) == (12 if train else 7)
    assert offline.urls == []
    # download=True unpacked the .gz files next to them, as torchvision does
    assert files_under(tmp_path / "MNIST" / "raw") == sorted(
        [f"{s}-{k}-ubyte{e}" for s in ("train", "t10k") for k in ("images-idx3", "labels-idx1") for e in ("", ".gz")])


def test_mnist_download_fetches_verifies_and_unpacks(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, (5,), dtype=np.uint8)
    blobs = {"t10k-images-idx3-ubyte.gz": gzip.compress(idx_bytes(images)),
             "t10k-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(labels))}
    resources = [(name, md5(blobs.get(name, b"x"))) for name, _ in datasets.MNIST.resources]
    monkeypatch.setattr(datasets.MNIST, "resources", resources)
    guard = NetworkGuard({"/mnist/" + k: v for k, v in blobs.items()})
    monkeypatch.setattr(urllib.request, "urlopen", guard)
    ds = datasets.MNIST(tmp_path, train=False, download=True)
    np.testing.assert_array_equal(ds.data.numpy(), images)
    np.testing.assert_array_equal(ds.targets.numpy(), labels)
    assert guard.urls == ["https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz",
                          "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz"]
    assert files_under(tmp_path) == ["MNIST/raw/t10k-images-idx3-ubyte", "MNIST/raw/t10k-images-idx3-ubyte.gz",
                                     "MNIST/raw/t10k-labels-idx1-ubyte", "MNIST/raw/t10k-labels-idx1-ubyte.gz"]
    # a second construction uses the files: no more requests
    datasets.MNIST(tmp_path, train=False, download=True)
    assert len(guard.urls) == 2


def test_mnist_download_md5_mismatch_leaves_nothing(tmp_path, monkeypatch):
    guard = NetworkGuard({".gz": b"not the real file"})
    monkeypatch.setattr(urllib.request, "urlopen", guard)
    with pytest.raises(RuntimeError, match=r"MD5 mismatch, expected 9fb629c4189551a2d022fa330f9573f3.*"
                                           r"Place train-images-idx3-ubyte.gz, .*t10k-labels-idx1-ubyte.gz in"):
        datasets.MNIST(tmp_path, train=False, download=True)
    assert files_under(tmp_path) == []


def test_mnist_truncated_and_corrupt_files_name_the_file(tmp_path):
    write_mnist(tmp_path)
    path = tmp_path / "MNIST" / "raw" / "t10k-images-idx3-ubyte"
    data = path.read_bytes()
    path.write_bytes(data[:-100])
    with pytest.raises(RuntimeError, match=f"{path} is truncated or corrupt: its header announces 7x28x28 values "
                                           r"\(5488 bytes\) but it holds 5388 bytes of data"):
        datasets.MNIST(tmp_path, train=False)
    path.write_bytes(b"\x12\x34\x56\x78" + data[4:])
    with pytest.raises(RuntimeError, match=f"{path} is not an MNIST \\(IDX\\) file: bad magic number 0x12345678"):
        datasets.MNIST(tmp_path, train=False)
    path.unlink()
    gz = tmp_path / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz"
    gz.write_bytes(gzip.compress(data)[:200])
    with pytest.raises(RuntimeError, match=f"{gz} is corrupt or truncated: it is not a complete gzip file"):
        datasets.MNIST(tmp_path, train=False)
    with pytest.raises(RuntimeError, match=f"{gz} is corrupt or truncated and cannot be decompressed"):
        datasets.MNIST(tmp_path, train=False, download=True)
    assert sorted(os.listdir(gz.parent)) == sorted(["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte",
                                                    "train-images-idx3-ubyte", "train-labels-idx1-ubyte"])


def test_mnist_images_and_labels_must_match(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(3, np.uint8)))
    with pytest.raises(RuntimeError, match="do not match: 7 images but 3 labels"):
        datasets.MNIST(tmp_path, train=False)


def test_mnist_dataloader_batches(tmp_path):
    expected = write_mnist(tmp_path, n_train=10)
    ds = datasets.MNIST(tmp_path, transform=transforms.ToTensor())
    loader = huoba.utils.data.DataLoader(ds, batch_size=4, shuffle=False)
    batches = list(loader)
    assert [tuple(x.shape) for x, _ in batches] == [(4, 1, 28, 28), (4, 1, 28, 28), (2, 1, 28, 28)]
    x, y = batches[0]
    assert x.dtype == huoba.float32 and y.dtype == huoba.int64
    np.testing.assert_array_equal(y.numpy(), expected["train"][1][:4])
    np.testing.assert_allclose(x.numpy()[:, 0], expected["train"][0][:4] / np.float32(255), rtol=0, atol=0)


def test_mnist_data_can_be_replaced_by_a_subset(tmp_path):
    write_mnist(tmp_path)
    ds = datasets.MNIST(tmp_path)
    ds.data, ds.targets = ds.data[:5], ds.targets[:5]
    assert len(ds) == 5
    assert ds[4][1] == int(ds.targets[4])


def test_mnist_legacy_processed_files(tmp_path, offline):
    processed = tmp_path / "MNIST" / "processed"
    processed.mkdir(parents=True)
    data = torch.randint(0, 256, (5, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    targets = torch.tensor([3, 1, 4, 1, 5])
    torch.save((data, targets), processed / "training.pt")          # what torchvision < 0.9 wrote
    torch.save((data[:2], targets[:2]), processed / "test.pt")
    ds = datasets.MNIST(tmp_path, train=True, download=True)
    assert len(ds) == 5 and ds.data.dtype == huoba.uint8 and ds.targets.dtype == huoba.int64
    np.testing.assert_array_equal(ds.data.numpy(), data.numpy())
    assert [ds[i][1] for i in range(5)] == [3, 1, 4, 1, 5]
    assert len(datasets.MNIST(tmp_path, train=False)) == 2
    assert offline.urls == []


@pytest.mark.skipif(not (MNIST_TEST_DIR / "t10k-images-idx3-ubyte.gz").exists(),
                    reason="the real MNIST test set is not on this machine")
def test_real_mnist_test_set(tmp_path, offline):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(MNIST_TEST_DIR / name, raw / name)
    ds = datasets.MNIST(str(tmp_path), train=False, transform=normalize_compose())
    assert len(ds) == 10000
    assert offline.urls == []
    targets = ds.targets.numpy()
    assert targets[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(targets).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    x, y = ds[0]
    raw0 = ds.data[0].numpy()
    ref = torch.from_numpy(raw0.copy()).unsqueeze(0).float().div(255).sub(0.1307).div(0.3081)
    np.testing.assert_array_equal(x.numpy(), ref.numpy())
    assert y == 7
    assert abs(ds.data.numpy().mean() / 255 - 0.1325) < 1e-3


# ------------------------------------------------------------------------------------------- CIFAR


@pytest.mark.parametrize("hundred", [False, True])
def test_cifar_reads_pickled_batches(tmp_path, offline, hundred):
    expected = write_cifar(tmp_path, hundred=hundred)
    cls = datasets.CIFAR100 if hundred else datasets.CIFAR10
    train = cls(str(tmp_path), train=True)
    test = cls(str(tmp_path), train=False, transform=transforms.ToTensor())
    train_files = ["train"] if hundred else [f"data_batch_{i}" for i in range(1, 6)]
    data = np.vstack([expected[f][0] for f in train_files]).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    assert isinstance(train.data, np.ndarray) and train.data.dtype == np.uint8 and train.data.shape == data.shape
    np.testing.assert_array_equal(train.data, data)
    assert train.targets == sum((expected[f][1] for f in train_files), [])
    assert isinstance(train.targets, list) and len(train) == 11
    classes = [f"class{i}" for i in range(100)] if hundred else CIFAR10_CLASSES
    assert train.classes == classes and train.class_to_idx == {c: i for i, c in enumerate(classes)}
    img, target = train[2]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (32, 32)
    np.testing.assert_array_equal(np.asarray(img), data[2])
    x, y = test[1]
    test_data = expected["test" if hundred else "test_batch"][0].reshape(-1, 3, 32, 32)
    np.testing.assert_array_equal(x.numpy(), torch.from_numpy(test_data[1]).float().div(255).numpy())
    assert y == expected["test" if hundred else "test_batch"][1][1]
    assert offline.urls == []


def test_cifar_repr_and_seed_lab_normalize(tmp_path):
    write_cifar(tmp_path)
    t = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    ds = datasets.CIFAR10(root=str(tmp_path), train=False, download=True, transform=t)
    assert repr(ds) == (f"Dataset CIFAR10\n    Number of datapoints: 4\n    Root location: {tmp_path}\n"
                        "    Split: Test\n    StandardTransform\nTransform: Compose(\n"
                        "               ToTensor()\n"
                        "               Normalize(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))\n"
                        "           )")
    x, _ = ds[0]
    assert float(x.min()) >= -1 and float(x.max()) <= 1
    loader = huoba.utils.data.DataLoader(ds, batch_size=4, shuffle=False)
    images, labels = next(iter(loader))
    assert tuple(images.shape) == (4, 3, 32, 32) and labels.dtype == huoba.int64


def test_cifar_missing_and_offline_download(tmp_path, offline):
    with pytest.raises(RuntimeError, match="^Dataset not found or corrupted. You can use download=True to download it$"):
        datasets.CIFAR10(tmp_path)
    with pytest.raises(RuntimeError) as info:
        datasets.CIFAR10(str(tmp_path), download=True)
    assert str(info.value) == (
        "CIFAR10 download failed (https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz: [Errno -3] Temporary "
        f"failure in name resolution). Place cifar-10-python.tar.gz in {tmp_path} (or its unpacked folder "
        "cifar-10-batches-py) and run again.")
    assert files_under(tmp_path) == []


def test_cifar_archive_in_root_is_unpacked_without_network(tmp_path, offline):
    archive, expected = cifar_archive()
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(archive)
    ds = datasets.CIFAR10(str(tmp_path), train=False, download=True)
    assert offline.urls == []
    assert len(ds) == 4 and ds.targets == expected["test_batch"][1]
    assert sorted(os.listdir(tmp_path / "cifar-10-batches-py")) == sorted(
        ["batches.meta", "test_batch"] + [f"data_batch_{i}" for i in range(1, 6)])


def test_cifar_download_from_mirror(tmp_path, monkeypatch):
    archive, expected = cifar_archive(hundred=True)
    monkeypatch.setattr(datasets.CIFAR100, "tgz_md5", md5(archive))
    guard = NetworkGuard({"cifar-100-python.tar.gz": archive})
    monkeypatch.setattr(urllib.request, "urlopen", guard)
    ds = datasets.CIFAR100(str(tmp_path), train=True, download=True)
    assert guard.urls == ["https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"]
    assert ds.targets == expected["train"][1]
    assert [n for n in files_under(tmp_path) if ".part" in n or ".extract" in n] == []


def test_cifar_rejects_pickles_that_run_code(tmp_path):
    write_cifar(tmp_path)

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(pickle.dumps({"data": Evil()}, protocol=2))
    with pytest.raises(RuntimeError, match="test_batch is corrupt or truncated or not a dataset pickle "
                                           r"\(global '(posix|os)\.system' is not allowed"):
        datasets.CIFAR10(tmp_path, train=False)


def test_cifar_truncated_batch(tmp_path):
    write_cifar(tmp_path)
    path = tmp_path / "cifar-10-batches-py" / "data_batch_3"
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(RuntimeError, match="data_batch_3 is corrupt or truncated"):
        datasets.CIFAR10(tmp_path)


# ------------------------------------------------------------------------------------- folders, fake data


def make_folder(root):
    rng = np.random.default_rng(1)
    arrays = {}
    for cls in ("dog", "cat"):
        (root / cls / "nested").mkdir(parents=True)
        for name in ("b.png", "a.PNG", "nested/c.bmp"):
            arr = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
            Image.fromarray(arr).save(root / cls / name)
            arrays[f"{cls}/{name}"] = arr
        (root / cls / "notes.txt").write_text("not an image")
    return arrays


def test_image_folder(tmp_path):
    arrays = make_folder(tmp_path)
    ds = datasets.ImageFolder(str(tmp_path), transform=transforms.ToTensor())
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    rel = [(os.path.relpath(p, tmp_path).replace(os.sep, "/"), t) for p, t in ds.samples]
    assert rel == [("cat/a.PNG", 0), ("cat/b.png", 0), ("cat/nested/c.bmp", 0),
                   ("dog/a.PNG", 1), ("dog/b.png", 1), ("dog/nested/c.bmp", 1)]
    assert ds.targets == [0, 0, 0, 1, 1, 1] and ds.imgs is ds.samples
    x, y = ds[4]
    np.testing.assert_array_equal(x.numpy(), torch.from_numpy(arrays["dog/b.png"]).permute(2, 0, 1).float()
                                  .div(255).numpy())
    assert y == 1
    assert repr(ds) == (f"Dataset ImageFolder\n    Number of datapoints: 6\n    Root location: {tmp_path}\n"
                        "    StandardTransform\nTransform: ToTensor()")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"^Found no valid file for the classes empty. Supported extensions "
                                                r"are: .jpg, .jpeg, .png, .ppm, .bmp, .pgm, .tif, .tiff, .webp$"):
        datasets.ImageFolder(tmp_path)
    assert len(datasets.ImageFolder(tmp_path, allow_empty=True)) == 6


def test_dataset_folder_custom_loader(tmp_path):
    for cls in ("x", "y"):
        (tmp_path / cls).mkdir()
        for i in range(2):
            (tmp_path / cls / f"{i}.txt").write_text(f"{cls}{i}")
    ds = datasets.DatasetFolder(tmp_path, loader=lambda p: open(p).read(), extensions=(".txt",))
    assert [ds[i] for i in range(len(ds))] == [("x0", 0), ("x1", 0), ("y0", 1), ("y1", 1)]
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None or not None"):
        datasets.DatasetFolder(tmp_path, loader=open)
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder in"):
        datasets.DatasetFolder(tmp_path / "x", loader=open, extensions=".txt")


def test_fake_data_matches_torch_generator():
    ds = datasets.FakeData(size=4, image_size=(3, 6, 5), num_classes=7, transform=transforms.PILToTensor())
    assert repr(ds) == "Dataset FakeData\n    Number of datapoints: 4\n    StandardTransform\nTransform: PILToTensor()"
    huoba.manual_seed(123)
    state = huoba.get_rng_state()
    for i in range(4):
        img, target = ds[i]
        torch.manual_seed(i)
        ref = torch.randn(3, 6, 5)
        ref_target = torch.randint(0, 7, size=(1,), dtype=torch.long)[0].item()
        ref_img = (ref.permute(1, 2, 0).numpy() * 255).astype(np.uint8).transpose(2, 0, 1)
        np.testing.assert_array_equal(img.numpy(), ref_img)
        assert target == ref_target
    np.testing.assert_array_equal(np.asarray(huoba.get_rng_state()), np.asarray(state))   # state restored
    with pytest.raises(IndexError, match="FakeData index out of range"):
        ds[4]

"""`huoba train` driven as a user drives it: files written, numbers sane, resume exact, clear errors."""
import csv
import json
import math
import os

import numpy as np
import pytest

import huoba
from huoba.cli import main

from cli_helpers import huoba_cmd, conv_available, fake_mnist, SHARED_MNIST

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ARTEFACTS = ("metrics.json", "metrics.csv", "curves.png", "confusion.png", "samples.png", "checkpoint.pth",
             "model.pth")


def _train(tmp_path, capsys, *args):
    """`huoba train ARGS` in this process (the subprocess tests cover the real command line)."""
    code = main(["train", "--quiet", "--no-figures", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def _history(out_dir, drop_time=True):
    with open(os.path.join(out_dir, "metrics.json")) as f:
        rows = json.load(f)["history"]
    return [{k: v for k, v in r.items() if not (drop_time and k == "time")} for r in rows]


def test_train_digits_end_to_end(tmp_path):
    out = tmp_path / "run"
    result = huoba_cmd("train", "--dataset", "digits", "--limit", "300", "--epochs", "1", "--model", "mlp",
                       "--out", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    text = result.stdout
    assert "scikit-learn's handwritten digits" in text
    assert "300 training and 300 test images of 1x28x28" in text
    assert "train loss" in text and "test acc" in text
    assert "per-class test accuracy" in text
    for name in ARTEFACTS:
        assert (out / name).is_file(), name
    for name in ("curves.png", "confusion.png", "samples.png"):
        data = (out / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 10_000, name

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["model"] == "mlp" and metrics["config"]["dataset"] == "digits"
    assert metrics["train_images"] == 300 and metrics["test_images"] == 300
    (row,) = metrics["history"]
    assert row["epoch"] == 1
    assert math.isfinite(row["train_loss"]) and 0 < row["train_loss"] < 2.5
    assert 0.2 < row["test_acc"] <= 1.0 and 0.0 <= row["train_acc"] <= 1.0   # chance is 0.1
    per_class = metrics["per_class_accuracy"]
    assert list(per_class) == [str(i) for i in range(10)]
    confusion = np.array(metrics["confusion_matrix"])
    assert confusion.shape == (10, 10) and confusion.sum() == 300
    assert np.isclose(np.trace(confusion) / 300, row["test_acc"])
    assert metrics["final"]["test_acc"] == row["test_acc"]

    with open(out / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr", "time"]
    assert float(rows[0]["test_acc"]) == row["test_acc"]

    ckpt = huoba.load(out / "checkpoint.pth", weights_only=True)
    assert ckpt["epoch"] == 1 and ckpt["config"]["epochs"] == 1
    assert set(ckpt) >= {"model", "optimizer", "scheduler", "rng_state", "history", "config"}
    assert isinstance(ckpt["rng_state"], huoba.Tensor) and ckpt["rng_state"].dtype == huoba.uint8

    # the files are PyTorch's format: the weights fit a PyTorch twin, the RNG state is torch's
    torch = pytest.importorskip("torch")
    state = torch.load(out / "model.pth", weights_only=True)
    twin = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512),
                               torch.nn.ReLU(), torch.nn.Linear(512, 10))
    twin.load_state_dict({k.replace("layers.", ""): v for k, v in state.items()})
    ckpt = torch.load(out / "checkpoint.pth", weights_only=True)
    assert ckpt["rng_state"].dtype == torch.uint8 and ckpt["rng_state"].numel() == 5056
    torch.set_rng_state(ckpt["rng_state"])


def test_resume_gives_the_uninterrupted_result(tmp_path, capsys):
    common = ["--dataset", "digits", "--limit", "100", "--model", "mlp", "--momentum", "0.9", "--lr", "0.02",
              "--scheduler", "step", "--batch-size", "25"]
    full, part, killed = tmp_path / "full", tmp_path / "part", tmp_path / "killed"
    assert _train(tmp_path, capsys, *common, "--epochs", "2", "--out", full)[0] == 0
    # 1 epoch, then resume to 2
    assert _train(tmp_path, capsys, *common, "--epochs", "1", "--out", part)[0] == 0
    code, out, err = _train(tmp_path, capsys, "--resume", "--epochs", "2", "--out", part)
    assert code == 0, err
    assert "resuming from" in out and "(epoch 1 of 2)" in out
    # a run of 2 epochs stopped (as if killed) after the first one, then resumed
    code, out, _ = _train(tmp_path, capsys, *common, "--epochs", "2", "--stop-after", "1", "--out", killed)
    assert code == 0 and "--resume" in out
    assert not (killed / "model.pth").exists()
    assert _train(tmp_path, capsys, "--resume", str(killed / "checkpoint.pth"), "--out", killed)[0] == 0

    expected = _history(full)
    assert len(expected) == 2
    a = huoba.load(full / "model.pth")
    for other in (part, killed):
        assert _history(other) == expected
        b = huoba.load(other / "model.pth")
        assert list(a) == list(b)
        for k in a:
            assert huoba.equal(a[k], b[k]), k
        ca, cb = huoba.load(full / "checkpoint.pth"), huoba.load(other / "checkpoint.pth")
        assert ca["epoch"] == cb["epoch"] == 2
        assert ca["scheduler"] == cb["scheduler"]
        for key, buf in ca["optimizer"]["state"].items():
            assert huoba.equal(buf["momentum_buffer"], cb["optimizer"]["state"][key]["momentum_buffer"])
        assert huoba.equal(ca["rng_state"], cb["rng_state"])


def test_resume_of_a_finished_run_only_reports(tmp_path, capsys):
    out_dir = tmp_path / "r"
    assert _train(tmp_path, capsys, "--dataset", "digits", "--limit", "50", "--epochs", "1", "--model", "mlp",
                  "--out", out_dir)[0] == 0
    before = _history(out_dir)
    code, out, err = _train(tmp_path, capsys, "--resume", "--out", out_dir, "--lr", "0.5")
    assert code == 0
    assert "--lr ignored" in err
    assert _history(out_dir) == before
    assert "per-class test accuracy" in out


def test_workers_give_the_same_result(tmp_path, capsys):
    common = ["--dataset", "digits", "--limit", "60", "--epochs", "1", "--model", "mlp"]
    assert _train(tmp_path, capsys, *common, "--out", tmp_path / "a")[0] == 0
    assert _train(tmp_path, capsys, *common, "--workers", "2", "--out", tmp_path / "b")[0] == 0
    assert _history(tmp_path / "a") == _history(tmp_path / "b")


def test_no_arguments_falls_back_to_digits_and_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HUOBA_DATA", raising=False)
    code, out, _ = _train(tmp_path, capsys, "--epochs", "1", "--limit", "40", "--model", "mlp")
    assert code == 0
    assert "no MNIST files in 'data', so scikit-learn's handwritten digits" in out
    assert (tmp_path / "runs" / "latest" / "metrics.json").is_file()
    cfg = json.loads((tmp_path / "runs" / "latest" / "metrics.json").read_text())["config"]
    assert cfg["dataset"] == "digits" and cfg["batch_size"] == 32 and cfg["lr"] == 0.1


def test_default_data_is_mnist_when_its_files_are_there(tmp_path, capsys):
    fake_mnist(tmp_path / "data" / "MNIST" / "raw")
    code, out, _ = _train(tmp_path, capsys, "--data-dir", tmp_path / "data", "--epochs", "2", "--model", "mlp",
                          "--out", tmp_path / "r")
    assert code == 0
    assert "MNIST from" in out and "120 training and 60 test images" in out
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["config"]["dataset"] == "mnist" and metrics["config"]["batch_size"] == 100
    assert metrics["history"][-1]["test_acc"] > 0.3


def test_mnist_files_in_a_plain_folder(tmp_path, capsys):
    """The IDX files directly in --data-dir (or in data-dir/mnist) are found too."""
    fake_mnist(tmp_path / "plain")
    code, out, _ = _train(tmp_path, capsys, "--dataset", "mnist", "--data-dir", tmp_path / "plain", "--epochs", "1",
                          "--model", "mlp", "--out", tmp_path / "r")
    assert code == 0 and "120 training and 60 test images" in out


def test_fashion_mnist_and_cifar10_files(tmp_path, capsys):
    import pickle
    fake_mnist(tmp_path / "data" / "FashionMNIST" / "raw", n_train=40, n_test=20)
    code, out, err = _train(tmp_path, capsys, "--dataset", "fashion-mnist", "--data-dir", tmp_path / "data",
                            "--epochs", "1", "--model", "mlp", "--out", tmp_path / "f")
    assert code == 0, err
    assert "Fashion-MNIST from" in out and "Ankle boot" in out
    folder = tmp_path / "data" / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.RandomState(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        with open(folder / name, "wb") as f:
            pickle.dump({"data": rng.randint(0, 256, (8, 3072)).astype(np.uint8),
                         "labels": rng.randint(0, 10, 8).tolist()}, f)
    code, out, err = _train(tmp_path, capsys, "--dataset", "cifar10", "--data-dir", tmp_path / "data", "--epochs",
                            "1", "--model", "mlp", "--out", tmp_path / "c")
    assert code == 0, err
    assert "40 training and 8 test images of 3x32x32" in out and "SGD lr=0.01, momentum=0.9" in out
    metrics = json.loads((tmp_path / "c" / "metrics.json").read_text())
    assert metrics["classes"][:3] == ["plane", "car", "bird"] and metrics["config"]["model"] == "mlp"


def test_image_folder_dataset(tmp_path, capsys):
    from PIL import Image
    rng = np.random.RandomState(0)
    for cls in ("bars", "dots"):
        (tmp_path / "imgs" / cls).mkdir(parents=True)
        for i in range(10):
            a = rng.randint(0, 30, (20, 20)).astype(np.uint8)
            if cls == "bars":
                a[:, 8:12] = 255
            else:
                a[8:12, 8:12] = 255
            Image.fromarray(a, mode="L").save(tmp_path / "imgs" / cls / f"{i}.png")
    code, out, err = _train(tmp_path, capsys, "--dataset", f"folder:{tmp_path / 'imgs'}", "--model", "mlp",
                            "--epochs", "3", "--out", tmp_path / "r")
    assert code == 0, err
    assert "2 classes, L 28x28, 20% held out" in out and "16 training and 4 test images" in out
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["classes"] == ["bars", "dots"]


@pytest.mark.skipif(not conv_available(), reason="huoba's Conv2d / MaxPool2d forward is not available yet")
def test_lenet_learns_digits(tmp_path, capsys):
    code, out, err = _train(tmp_path, capsys, "--dataset", "digits", "--limit", "300", "--epochs", "2",
                            "--optimizer", "adam", "--lr", "0.003", "--out", tmp_path / "r")
    assert code == 0, err
    assert "model: lenet (32,998 parameters)" in out
    assert _history(tmp_path / "r")[-1]["test_acc"] > 0.25


@pytest.mark.skipif(not (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").exists(), reason="real MNIST not present")
def test_real_mnist(tmp_path, capsys):
    model = "lenet" if conv_available() else "mlp"
    code, out, err = _train(tmp_path, capsys, "--data-dir", SHARED_MNIST.parent, "--limit", "500", "--epochs", "2",
                            "--model", model, "--optimizer", "adam", "--lr", "0.003", "--batch-size", "25",
                            "--out", tmp_path / "r")
    assert code == 0, err
    assert "MNIST test set" in out and "split 8000 train" in out
    assert _history(tmp_path / "r")[-1]["test_acc"] > 0.6   # 75.8% with LeNet, seed 0


# --------------------------------------------------------------------------- errors: one line, exit 2

def _one_line_error(result, *fragments):
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("huoba train: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_model_is_one_line(tmp_path):
    _one_line_error(huoba_cmd("train", "--model", "vgg99", cwd=tmp_path), "invalid choice: 'vgg99'", "lenet")


def test_missing_mnist_is_one_line(tmp_path):
    _one_line_error(huoba_cmd("train", "--dataset", "mnist", "--data-dir", tmp_path / "nothing", cwd=tmp_path),
                    "no MNIST files in", "--dataset digits")


@pytest.mark.skipif(huoba.cuda.is_available(), reason="a CUDA device is available here")
def test_unavailable_cuda_is_one_line(tmp_path):
    _one_line_error(huoba_cmd("train", "--device", "cuda", "--dataset", "digits", cwd=tmp_path),
                    "device 'cuda' is not available", "--device cpu")


@pytest.mark.parametrize("args, fragment", [
    (["--epochs", "0"], "argument --epochs: expected a positive integer, got '0'"),
    (["--batch-size", "ten"], "argument --batch-size: expected a positive integer, got 'ten'"),
    (["--lr", "-1"], "argument --lr: expected a positive number"),
    (["--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
    (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["--dataset", "imagenet"], "unknown dataset 'imagenet'"),
    (["--dataset", "folder:/no/such/folder"], "no such folder"),
    (["--dataset", "cifar10", "--data-dir", "/no/such/folder"], "no CIFAR10 files"),
    (["--device", "tpu"], "unknown device 'tpu'"),
    (["--resume"], "cannot resume: no checkpoint at"),
])
def test_bad_arguments_in_process(tmp_path, capsys, monkeypatch, args, fragment):
    monkeypatch.chdir(tmp_path)
    try:
        code = main(["train", *args])
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    out, err = capsys.readouterr()
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("huoba train: error: ") and fragment in lines[0], err


def test_corrupt_checkpoint_is_one_line(tmp_path, capsys):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "checkpoint.pth").write_bytes(b"not a checkpoint")
    code = main(["train", "--resume", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "is not a readable checkpoint" in err and len(err.strip().splitlines()) == 1


# --------------------------------------------------------------------------- the cuda code path (fake GPU)

def test_training_on_a_fake_gpu_matches_the_cpu(tmp_path, capsys):
    """Through tests/fake_cupy.py (host memory dressed as two CUDA devices) the --device cuda path
    runs on every commit: same numbers as the CPU, checkpoints that resume, the bench table."""
    fake_cupy = pytest.importorskip("fake_cupy")
    common = ["--dataset", "digits", "--limit", "60", "--model", "mlp", "--momentum", "0.5"]
    assert _train(tmp_path, capsys, *common, "--epochs", "2", "--out", tmp_path / "cpu")[0] == 0
    with fake_cupy.installed():
        code, out, err = _train(tmp_path, capsys, *common, "--epochs", "2", "--device", "cuda:1",
                                "--stop-after", "1", "--out", tmp_path / "gpu")
        assert code == 0, err
        assert "device cuda:1" in out
        code, out, err = _train(tmp_path, capsys, "--resume", "--device", "cuda", "--out", tmp_path / "gpu")
        assert code == 0, err
        code = main(["bench", "devices", "--limit", "50", "--model", "mlp", "--dataset", "digits", "--quiet"])
        out = capsys.readouterr().out
        assert code == 0
        table = out[out.index("\ndevice "):].strip().splitlines()
        assert [line.split()[0] for line in table[2:5]] == ["cpu", "cuda:0", "cuda:1"]
        assert table[2].endswith("1.00x") and "Fake CUDA Device" in table[3]
        assert "trains" in out and "as fast as the CPU" in out
        code = main(["train", "--device", "cuda:2", "--dataset", "digits"])
        assert code == 2
        assert "device 'cuda:2' is not available: this machine has 2 CUDA device(s)" in capsys.readouterr().err
    assert _history(tmp_path / "gpu") == _history(tmp_path / "cpu")

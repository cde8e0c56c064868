"""huoba.device against PyTorch: parsing, repr/str, equality, hashing, errors, and the device
of tensors made by factories and moved with to()/cpu()."""
import pickle

import pytest

torch = pytest.importorskip("torch")
import huoba  # noqa: E402

SPECS = [("cpu",), ("cuda",), ("cuda:0",), ("cuda:1",), ("cuda", 1), ("cpu", 0)]


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_device_objects(spec):
    h, t = huoba.device(*spec), torch.device(*spec)
    assert repr(h) == repr(t) and str(h) == str(t)
    assert h.type == t.type and h.index == t.index
    assert pickle.loads(pickle.dumps(h)) == h


def test_equality_and_hashing():
    assert huoba.device("cpu") == huoba.device("cpu") and huoba.device("cuda:0") != huoba.device("cuda")
    assert hash(huoba.device("cuda", 1)) == hash(huoba.device("cuda:1"))
    assert huoba.device(huoba.device("cpu")) == huoba.device("cpu")
    assert {huoba.device("cpu"): 1}[huoba.device("cpu")] == 1
    assert (huoba.device("cpu") == "cpu") == (torch.device("cpu") == "cpu")


BAD = [("gpu",), ("cuda:x",), ("cuda:-1",), ("cuda:0", 1), ("cpu:0:1",), ("",), ("cuda:01",), (0,), (2,)]


@pytest.mark.parametrize("spec", BAD, ids=str)
def test_device_errors(spec):
    with pytest.raises(Exception) as h:
        huoba.device(*spec)
    with pytest.raises(Exception) as t:
        torch.device(*spec)
    assert type(h.value) is type(t.value)
    assert str(h.value).split(":")[0] == str(t.value).split(":")[0]


def test_devices_are_immutable():
    d = huoba.device("cpu")
    with pytest.raises(AttributeError):
        d.type = "cuda"


def test_tensor_devices():
    x = huoba.ones(2, device="cpu")
    assert x.device == huoba.device("cpu") and repr(x.device) == repr(torch.ones(2).device)
    assert x.is_cpu and not x.is_cuda
    assert x.to("cpu") is x and x.cpu() is x and x.to(huoba.device("cpu")) is x
    assert huoba.zeros(2, device=huoba.device("cpu")).device.type == "cpu"
    assert huoba.tensor([1], device="cpu").device == huoba.device("cpu")
    assert x.to("cpu", huoba.float64).dtype is huoba.float64
    assert x.to(device="cpu", dtype=huoba.int64).dtype is huoba.int64
    y = x.to(huoba.ones(1, dtype=huoba.float16))
    assert y.dtype is huoba.float16
    with pytest.raises(RuntimeError):
        huoba.ones(2, device="gpu")

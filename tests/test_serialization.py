"""huoba.save / huoba.load against real torch.save / torch.load (files in both directions)."""
import collections
import copy
import io
import os
import pickle
import signal
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import huoba
import huoba.serialization as ser
from huoba.nn.parameter import Parameter
from huoba.tensor import _view_of, _wrap

torch = pytest.importorskip("torch")

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def values(name, shape, seed=0):
    rng = np.random.default_rng(seed)
    if name == "bool":
        return rng.random(shape) > 0.5
    if name.startswith("float"):
        return (rng.standard_normal(shape) * 10).astype(name)
    info = np.iinfo(name)
    return rng.integers(max(info.min, -1000), min(info.max, 1000), size=shape, endpoint=True).astype(name)


def h(array):
    return huoba.from_numpy(np.array(array))


def t(array):
    return torch.from_numpy(np.array(array))


def same(a, b):
    """A huoba and a torch tensor (either order) with equal dtype, shape, values and requires_grad."""
    assert str(a.dtype) == str(b.dtype)
    assert tuple(a.shape) == tuple(b.shape)
    assert a.requires_grad == b.requires_grad
    np.testing.assert_array_equal(np.asarray(a.detach().numpy()), np.asarray(b.detach().numpy()))


def torch_storage_ptr(x):
    return x.untyped_storage().data_ptr()


# ----------------------------------------------------------------------------------------------
# huoba -> torch
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype_huoba_to_torch_and_back(tmp_path, dtype):
    arrays = {"m": values(dtype, (3, 4)), "scalar": values(dtype, ()), "empty": values(dtype, (0,)),
              "empty3": values(dtype, (2, 0, 3))}
    path = tmp_path / "x.pt"
    huoba.save({k: h(v) for k, v in arrays.items()}, path)
    loaded = torch.load(path, weights_only=True)
    for k, v in arrays.items():
        assert loaded[k].dtype == getattr(torch, dtype)
        np.testing.assert_array_equal(loaded[k].numpy(), v)
    back = huoba.load(path)
    for k, v in arrays.items():
        assert back[k].dtype is getattr(huoba, dtype)
        assert back[k].shape == v.shape
        np.testing.assert_array_equal(back[k].numpy(), v)


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype_torch_to_huoba(tmp_path, dtype):
    arrays = {"m": values(dtype, (5, 2), 1), "scalar": values(dtype, (), 2), "empty": values(dtype, (0, 4))}
    path = tmp_path / "x.pt"
    torch.save({k: t(v) for k, v in arrays.items()}, path)
    loaded = huoba.load(path)
    for k, v in arrays.items():
        assert loaded[k].dtype is getattr(huoba, dtype)
        assert loaded[k].shape == huoba.Size(v.shape)
        np.testing.assert_array_equal(loaded[k].numpy(), v)


def test_state_dict_pickle_is_byte_identical_to_torch(tmp_path):
    w, b, rm = values("float32", (4, 3)), values("float32", (4,)), values("float32", (4,), 3)
    nb = np.array(7, dtype=np.int64)
    hw = h(w)
    hsd = collections.OrderedDict([("fc.weight", Parameter(hw)), ("fc.bias", Parameter(h(b))),
                                   ("bn.running_mean", h(rm)), ("bn.num_batches_tracked", h(nb)),
                                   ("fc.weight_t", hw.t()), ("row", hw[1])])
    tw = torch.nn.Parameter(t(w))
    tsd = collections.OrderedDict([("fc.weight", tw), ("fc.bias", torch.nn.Parameter(t(b))),
                                   ("bn.running_mean", t(rm)), ("bn.num_batches_tracked", t(nb)),
                                   ("fc.weight_t", tw.data.t()), ("row", tw.data[1])])
    huoba.save(hsd, tmp_path / "m.pt")
    torch.save(tsd, tmp_path / "m2.pt")
    ours, theirs = zipfile.ZipFile(tmp_path / "m.pt"), zipfile.ZipFile(tmp_path / "m2.pt")
    assert ours.read("m/data.pkl") == theirs.read("m2/data.pkl")
    names = [n.replace("m2/", "m/") for n in theirs.namelist()]
    assert ours.namelist() == names
    for name in names:
        if not name.endswith("serialization_id"):
            assert ours.read(name) == theirs.read(name.replace("m/", "m2/"))


def test_zip_layout_matches_torch_writer(tmp_path):
    huoba.save({"a": h(values("float32", (7,))), "e": h(values("float32", (0,)))}, tmp_path / "w.pt")
    data = (tmp_path / "w.pt").read_bytes()
    zf = zipfile.ZipFile(tmp_path / "w.pt")
    assert zf.testzip() is None
    assert zf.namelist() == ["w/data.pkl", "w/.format_version", "w/.storage_alignment", "w/byteorder",
                             "w/data/0", "w/data/1", "w/version", "w/.data/serialization_id"]
    assert zf.read("w/version") == b"3\n" and zf.read("w/byteorder") == b"little"
    assert len(zf.read("w/.data/serialization_id")) == 40
    for info in zf.infolist():
        assert info.compress_type == zipfile.ZIP_STORED
        n, m = np.frombuffer(data[info.header_offset + 26:info.header_offset + 30], "<u2")
        start = info.header_offset + 30 + n + m
        assert start % 64 == 0                                   # payloads are 64-byte aligned
        assert data[info.header_offset + 30 + n:][:2] == b"FB"  # by torch's padding field


def test_archive_name_follows_file_name_and_buffers_use_archive(tmp_path):
    huoba.save(h([1.0]), tmp_path / "my.model.pth")
    assert zipfile.ZipFile(tmp_path / "my.model.pth").namelist()[0] == "my.model/data.pkl"
    buf = io.BytesIO()
    huoba.save(h([1.0]), buf)
    assert zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist()[0] == "archive/data.pkl"
    buf.seek(0)
    assert torch.load(buf).tolist() == [1.0]


def test_views_share_storage_huoba_to_torch(tmp_path):
    base = h(np.arange(12, dtype=np.float32).reshape(3, 4))
    tb = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    elem = _view_of(base, base.numpy()[2, 3, ...])     # a 0-d view (what base[2, 3] is in torch)
    views = {"base": base, "row": base[1], "col": base[:, 2], "tr": base.t(), "blk": base[1:, 1:3],
             "elem": elem, "step": base.reshape(-1)[1::3]}
    tviews = {"base": tb, "row": tb[1], "col": tb[:, 2], "tr": tb.t(), "blk": tb[1:, 1:3], "elem": tb[2, 3],
              "step": tb.reshape(-1)[1::3]}
    huoba.save(views, tmp_path / "v.pt")
    loaded = torch.load(tmp_path / "v.pt", weights_only=True)
    ptr = torch_storage_ptr(loaded["base"])
    for k, tv in tviews.items():
        assert torch_storage_ptr(loaded[k]) == ptr, k
        assert loaded[k].storage_offset() == tv.storage_offset(), k
        assert loaded[k].stride() == tv.stride(), k
        assert loaded[k].is_contiguous() == tv.is_contiguous(), k
        np.testing.assert_array_equal(loaded[k].numpy(), tv.numpy())
    assert [n for n in zipfile.ZipFile(tmp_path / "v.pt").namelist() if "/data/" in n] == ["v/data/0"]
    loaded["col"][0] = -5
    assert loaded["base"][0, 2].item() == -5 and loaded["tr"][2, 0].item() == -5


def test_views_share_storage_torch_to_huoba(tmp_path):
    tb = torch.arange(24, dtype=torch.float64).reshape(2, 3, 4)
    tv = {"base": tb, "perm": tb.permute(2, 0, 1), "sl": tb[:, 1], "nc": tb[..., ::2], "flat": tb.view(-1)[5:9]}
    torch.save(tv, tmp_path / "v.pt")
    loaded = huoba.load(tmp_path / "v.pt")
    for k, v in tv.items():
        assert loaded[k].shape == huoba.Size(v.shape)
        assert loaded[k].stride() == v.stride(), k
        assert loaded[k].storage_offset() == v.storage_offset(), k
        assert loaded[k].is_contiguous() == v.is_contiguous(), k
        np.testing.assert_array_equal(loaded[k].numpy(), v.numpy())
    loaded["nc"][1, 2, 1] = 1000.0    # element (1, 2, 2) of base
    assert loaded["base"].numpy()[1, 2, 2] == 1000.0
    assert loaded["perm"].numpy()[2, 1, 2] == 1000.0
    loaded["flat"].zero_() if hasattr(loaded["flat"], "zero_") else loaded["flat"].numpy().fill(0)
    assert loaded["base"].numpy().reshape(-1)[5:9].tolist() == [0, 0, 0, 0]


def test_non_contiguous_and_negative_stride_tensors(tmp_path):
    a = np.arange(30, dtype=np.int32).reshape(5, 6)
    flipped = _wrap(a[::-1, ::2])                # a layout torch cannot express: saved as a copy
    fortran = huoba.from_numpy(np.asfortranarray(a))
    huoba.save({"flipped": flipped, "fortran": fortran}, tmp_path / "n.pt")
    loaded = torch.load(tmp_path / "n.pt")
    np.testing.assert_array_equal(loaded["flipped"].numpy(), a[::-1, ::2])
    np.testing.assert_array_equal(loaded["fortran"].numpy(), a)
    assert loaded["fortran"].stride() == (1, 5)
    back = huoba.load(tmp_path / "n.pt")
    np.testing.assert_array_equal(back["flipped"].numpy(), a[::-1, ::2])
    assert back["fortran"].stride() == (1, 5)


def test_views_of_one_buffer_with_different_dtypes_error_like_torch(tmp_path):
    base = h(np.zeros(4, dtype=np.float32))
    other = huoba.from_numpy(base.numpy().view(np.int32))
    with pytest.raises(RuntimeError, match="Cannot save multiple tensors or storages that view the same data "
                                           "as different types"):
        huoba.save([base, other], tmp_path / "x.pt")
    tbase = torch.zeros(4)
    with pytest.raises(RuntimeError, match="as different types"):
        torch.save([tbase, tbase.view(torch.int32)], io.BytesIO())


def test_parameters_and_requires_grad(tmp_path):
    p = Parameter(h(values("float32", (2, 3))))
    frozen = Parameter(h(values("float64", (2,))), requires_grad=False)
    g = h(values("float32", (3,))).requires_grad_()
    huoba.save({"p": p, "frozen": frozen, "g": g}, tmp_path / "p.pt")
    loaded = torch.load(tmp_path / "p.pt", weights_only=True)
    assert type(loaded["p"]) is torch.nn.Parameter and loaded["p"].requires_grad
    assert type(loaded["frozen"]) is torch.nn.Parameter and not loaded["frozen"].requires_grad
    assert type(loaded["g"]) is torch.Tensor and loaded["g"].requires_grad
    same(p, loaded["p"])
    back = huoba.load(tmp_path / "p.pt")
    assert type(back["p"]) is Parameter and back["p"].requires_grad and back["p"].is_leaf
    assert type(back["frozen"]) is Parameter and not back["frozen"].requires_grad
    assert type(back["g"]) is huoba.Tensor and back["g"].requires_grad and back["g"].is_leaf
    same(back["p"], loaded["p"])

    torch.save({"p": torch.nn.Parameter(torch.ones(2, 2)), "q": torch.nn.Parameter(torch.zeros(1), False)},
               tmp_path / "t.pt")
    tl = huoba.load(tmp_path / "t.pt")
    assert type(tl["p"]) is Parameter and tl["p"].requires_grad
    assert type(tl["q"]) is Parameter and not tl["q"].requires_grad


def test_optimizer_state_dict_torch_to_huoba(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(2):
        opt.zero_grad()
        model(torch.randn(5, 3)).sum().backward()
        opt.step()
    sd = opt.state_dict()
    torch.save({"model": model.state_dict(), "optim": sd, "epoch": 2}, tmp_path / "ckpt.pt")
    loaded = huoba.load(tmp_path / "ckpt.pt")
    assert loaded["epoch"] == 2
    assert list(loaded["model"].keys()) == list(model.state_dict().keys())
    assert isinstance(loaded["model"], collections.OrderedDict)
    for k, v in model.state_dict().items():
        same(loaded["model"][k], v)
    assert sorted(loaded["optim"]["state"]) == sorted(sd["state"])
    for i, st in sd["state"].items():
        assert set(loaded["optim"]["state"][i]) == set(st)
        for k, v in st.items():
            same(loaded["optim"]["state"][i][k], v)
    assert loaded["optim"]["param_groups"] == sd["param_groups"]


def test_optimizer_like_nested_state_huoba_to_torch(tmp_path):
    state = {"state": {0: {"step": h(np.array(3.0, np.float32)), "exp_avg": h(values("float32", (2, 2))),
                           "momentum_buffer": None},
                       1: {"step": h(np.array(3.0, np.float32)), "exp_avg_sq": h(values("float64", (4,)))}},
             "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1], "amsgrad": False,
                               "name": "all", "weight_decay": 0, "extra": {1, 2}, "blob": b"\x00\xff"}]}
    huoba.save(state, tmp_path / "o.pt")
    loaded = torch.load(tmp_path / "o.pt", weights_only=True)
    assert loaded["param_groups"] == state["param_groups"]
    assert loaded["state"][0]["momentum_buffer"] is None
    for i in (0, 1):
        for k, v in state["state"][i].items():
            if v is not None:
                same(v, loaded["state"][i][k])
    back = huoba.load(tmp_path / "o.pt")
    assert back["param_groups"] == state["param_groups"]
    same(back["state"][1]["exp_avg_sq"], loaded["state"][1]["exp_avg_sq"])


def test_network_state_dicts_both_ways(tmp_path):
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.BatchNorm2d(3), torch.nn.Flatten(),
                              torch.nn.Linear(12, 2))
    net(torch.randn(2, 1, 4, 4))    # moves the batch-norm statistics
    torch.save(net.state_dict(), tmp_path / "net.pth")
    sd = huoba.load(tmp_path / "net.pth")
    for k, v in net.state_dict().items():
        same(sd[k], v)
    # and back: huoba's copy read by torch into a fresh network
    huoba.save(sd, tmp_path / "net2.pth")
    twin = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.BatchNorm2d(3), torch.nn.Flatten(),
                               torch.nn.Linear(12, 2))
    twin.load_state_dict(torch.load(tmp_path / "net2.pth", weights_only=True))
    for k, v in net.state_dict().items():
        assert torch.equal(twin.state_dict()[k], v)


def test_huoba_module_state_dict_round_trip(tmp_path):
    nn = pytest.importorskip("huoba.nn")
    if not hasattr(nn, "Linear"):
        pytest.skip("huoba.nn.Linear is not available yet")
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    huoba.save(model.state_dict(), tmp_path / "h.pth")
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    tmodel.load_state_dict(torch.load(tmp_path / "h.pth", weights_only=True))
    for k, v in model.state_dict().items():
        same(v, tmodel.state_dict()[k])
    model2 = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    model2.load_state_dict(huoba.load(tmp_path / "h.pth"))
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(model2.state_dict()[k].detach().numpy(), v.detach().numpy())


# ----------------------------------------------------------------------------------------------
# Legacy (pre-1.6) format
# ----------------------------------------------------------------------------------------------

def test_legacy_torch_files_read(tmp_path):
    base = torch.arange(10, dtype=torch.float32)
    obj = {"a": base, "b": base[3:7], "i": torch.tensor([[1, 2], [3, 4]], dtype=torch.int16).t(),
           "flag": torch.tensor(True), "e": torch.zeros(0, dtype=torch.int64), "p": torch.nn.Parameter(torch.ones(2)),
           "meta": [1, 2.5, "x", None, (3,)]}
    torch.save(obj, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    assert not zipfile.is_zipfile(tmp_path / "old.pt")
    loaded = huoba.load(tmp_path / "old.pt")
    for k in ("a", "b", "i", "flag", "e", "p"):
        same(loaded[k], obj[k])
    assert loaded["i"].stride() == obj["i"].stride()
    assert type(loaded["p"]) is Parameter
    assert loaded["meta"] == obj["meta"]
    loaded["b"].numpy()[0] = -1.0
    assert loaded["a"].numpy()[3] == -1.0       # sharing survives the legacy format too
    with open(tmp_path / "old.pt", "rb") as f:   # and a file object works as well as a path
        assert huoba.load(f)["b"].tolist() == [3.0, 4.0, 5.0, 6.0]


def test_legacy_huoba_files_read_by_torch(tmp_path):
    base = h(np.arange(8, dtype=np.float64))
    huoba.save({"a": base, "v": base[2:5], "u": h(np.array([1, 200], np.uint8))}, tmp_path / "old.pt",
               _use_new_zipfile_serialization=False)
    loaded = torch.load(tmp_path / "old.pt", weights_only=True)
    assert loaded["v"].tolist() == [2.0, 3.0, 4.0] and loaded["u"].dtype == torch.uint8
    assert torch_storage_ptr(loaded["v"]) == torch_storage_ptr(loaded["a"])
    back = huoba.load(tmp_path / "old.pt")
    same(back["v"], loaded["v"])


# ----------------------------------------------------------------------------------------------
# Safety: weights_only
# ----------------------------------------------------------------------------------------------

MARKER = None


class RunsShell:
    def __reduce__(self):
        return (os.system, (f"touch {MARKER}",))


class Evals:
    def __reduce__(self):
        return (eval, (f"open({MARKER!r}, 'w')",))


class Execs:
    def __reduce__(self):
        return (exec, (f"open({MARKER!r}, 'w')",))


class Spawns:
    def __reduce__(self):
        return (subprocess.call, (["touch", MARKER],))


class Opens:
    """Harmless when it runs: it only creates the marker file."""

    def __reduce__(self):
        return (open, (MARKER, "w"))


class Point:
    def __init__(self, x=0, y=0):
        self.x, self.y = x, y


@pytest.fixture
def marker(tmp_path):
    global MARKER
    MARKER = str(tmp_path / "PWNED")
    yield MARKER
    MARKER = None


@pytest.mark.parametrize("evil", [RunsShell, Evals, Execs, Spawns, Opens])
@pytest.mark.parametrize("legacy", [False, True])
def test_malicious_pickles_are_refused_and_never_run(tmp_path, marker, evil, legacy):
    path = tmp_path / "evil.pt"
    huoba.save({"weights": h([1.0, 2.0]), "payload": evil()}, path, _use_new_zipfile_serialization=not legacy)
    with pytest.raises(pickle.UnpicklingError) as ours:
        huoba.load(path)
    assert not os.path.exists(marker)
    with pytest.raises(pickle.UnpicklingError) as theirs:
        torch.load(path)
    assert not os.path.exists(marker)
    assert str(ours.value) == str(theirs.value)
    assert "Weights only load failed" in str(ours.value)


def test_refusal_message_names_the_global_and_how_to_allow_it(tmp_path):
    huoba.save({"p": Point(1, 2)}, tmp_path / "p.pt")
    with pytest.raises(pickle.UnpicklingError) as e:
        huoba.load(tmp_path / "p.pt")
    name = f"{__name__}.Point"
    assert f"Unsupported global: GLOBAL {name} was not an allowed global by default." in str(e.value)
    assert f"`torch.serialization.add_safe_globals([{name}])`" in str(e.value)
    assert "`weights_only` set to `False`" in str(e.value)


def test_crafted_protocol4_and_raw_pickles_are_refused(tmp_path, marker):
    # a zip checkpoint whose data.pkl was written by the standard pickler at protocol 4 (STACK_GLOBAL)
    with zipfile.ZipFile(tmp_path / "p4.pt", "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps({"x": Opens()}, protocol=4))
        z.writestr("archive/version", "3\n")
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL io.open was not an allowed global"):
        huoba.load(tmp_path / "p4.pt")
    # persistent ids other than storages are refused too
    class PidPickler(pickle.Pickler):
        def persistent_id(self, obj):
            return ("module", "x") if obj == "pid" else None
    buf = io.BytesIO()
    PidPickler(buf, protocol=2).dump(["pid"])
    with zipfile.ZipFile(tmp_path / "pid.pt", "w") as z:
        z.writestr("archive/data.pkl", buf.getvalue())
    with pytest.raises(pickle.UnpicklingError, match="Only persistent_load of storage is allowed"):
        huoba.load(tmp_path / "pid.pt")
    assert not os.path.exists(marker)


def test_weights_only_false_loads_arbitrary_objects(tmp_path, marker):
    huoba.save({"p": Point(3, 4), "w": h([1, 2])}, tmp_path / "obj.pt")
    loaded = huoba.load(tmp_path / "obj.pt", weights_only=False)
    assert isinstance(loaded["p"], Point) and (loaded["p"].x, loaded["p"].y) == (3, 4)
    assert loaded["w"].tolist() == [1, 2]
    # ... which is exactly why it is not the default: code in the file runs
    huoba.save({"payload": Opens()}, tmp_path / "opens.pt")
    huoba.load(tmp_path / "opens.pt", weights_only=False)
    assert os.path.exists(marker)


def test_whole_object_with_tensors_and_modules_weights_only_false(tmp_path):
    model = {"net": Point(h([1.0]), Parameter(h(values("float32", (2,))))), "cfg": {"depth": 3}}
    huoba.save(model, tmp_path / "whole.pt")
    loaded = huoba.load(tmp_path / "whole.pt", weights_only=False)
    assert type(loaded["net"].y) is Parameter
    same(loaded["net"].y, torch.load(tmp_path / "whole.pt", weights_only=False)["net"].y)


def test_safe_globals_allowlist(tmp_path):
    huoba.save({"p": Point(5, 6)}, tmp_path / "p.pt")
    ser.clear_safe_globals()
    try:
        with ser.safe_globals([Point]):
            assert Point in ser.get_safe_globals()
            assert huoba.load(tmp_path / "p.pt")["p"].x == 5
        assert Point not in ser.get_safe_globals()
        with pytest.raises(pickle.UnpicklingError):
            huoba.load(tmp_path / "p.pt")
        ser.add_safe_globals([(Point, f"{__name__}.Point")])
        assert huoba.load(tmp_path / "p.pt")["p"].y == 6
        assert ser.get_unsafe_globals_in_checkpoint(tmp_path / "p.pt") == []
        ser.clear_safe_globals()
        assert ser.get_unsafe_globals_in_checkpoint(tmp_path / "p.pt") == [f"{__name__}.Point"]
        # os and sys stay blocked even when allowlisted
        huoba.save({"x": RunsShell()}, tmp_path / "sh.pt")
        ser.add_safe_globals([os.system])
        with pytest.raises(pickle.UnpicklingError, match="whose module posix is blocked"):
            huoba.load(tmp_path / "sh.pt")
    finally:
        ser.clear_safe_globals()


def test_explicit_pickle_module_means_weights_only_false(tmp_path):
    huoba.save({"p": Point(1, 1)}, tmp_path / "p.pt")
    assert huoba.load(tmp_path / "p.pt", pickle_module=pickle)["p"].x == 1
    with pytest.raises(RuntimeError) as ours:
        huoba.load(tmp_path / "p.pt", pickle_module=pickle, weights_only=True)
    with pytest.raises(RuntimeError) as theirs:
        torch.load(tmp_path / "p.pt", pickle_module=pickle, weights_only=True)
    assert str(ours.value) == str(theirs.value)


# ----------------------------------------------------------------------------------------------
# Damaged files
# ----------------------------------------------------------------------------------------------

def _expect_invalid(path, what=None):
    with pytest.raises(ser.InvalidCheckpointError) as e:
        huoba.load(path)
    msg = str(e.value)
    assert "is not a valid checkpoint" in msg and msg.endswith("(truncated or corrupted)") or "empty" in msg
    assert isinstance(e.value, RuntimeError) and isinstance(e.value, pickle.UnpicklingError)
    if what:
        assert what in msg, msg
    return msg


def test_empty_random_text_and_plain_pickle_files(tmp_path):
    (tmp_path / "empty.pt").write_bytes(b"")
    assert "the file is empty" in _expect_invalid(tmp_path / "empty.pt")
    (tmp_path / "rand.pt").write_bytes(np.random.default_rng(0).bytes(4096))
    _expect_invalid(tmp_path / "rand.pt", "neither a zip archive nor a legacy torch.save file")
    (tmp_path / "text.pt").write_text("epoch,loss\n1,0.5\n")
    _expect_invalid(tmp_path / "text.pt", "neither a zip archive nor a legacy torch.save file")
    (tmp_path / "plain.pkl").write_bytes(pickle.dumps({"a": 1}, protocol=2))
    _expect_invalid(tmp_path / "plain.pkl", "invalid magic number")
    with pytest.raises(FileNotFoundError):
        huoba.load(tmp_path / "missing.pt")
    with pytest.raises(ser.InvalidCheckpointError, match="the file is empty"):
        huoba.load(io.BytesIO())


def test_truncated_and_corrupted_zip_files(tmp_path):
    huoba.save({"w": h(values("float32", (64, 64)))}, tmp_path / "good.pt")
    data = (tmp_path / "good.pt").read_bytes()
    for cut in (10, len(data) // 2, len(data) - 5):
        (tmp_path / "cut.pt").write_bytes(data[:cut])
        _expect_invalid(tmp_path / "cut.pt", "zip archive cannot be read")
    bad = bytearray(data)
    info = zipfile.ZipFile(tmp_path / "good.pt").getinfo("good/data/0")
    bad[info.header_offset + 200] ^= 0x55         # one flipped byte inside the tensor data
    (tmp_path / "flip.pt").write_bytes(bytes(bad))
    _expect_invalid(tmp_path / "flip.pt", "CRC-32 check failed for record 'flip/data/0'".replace("flip", "good"))
    with zipfile.ZipFile(tmp_path / "nopkl.pt", "w") as z:
        z.writestr("archive/data/0", b"\x00" * 8)
    _expect_invalid(tmp_path / "nopkl.pt", "no data.pkl record")
    # a data.pkl that refers to a storage record the archive lacks
    with zipfile.ZipFile(tmp_path / "good.pt") as src, zipfile.ZipFile(tmp_path / "nodata.pt", "w") as dst:
        for n in src.namelist():
            if "data/0" not in n:
                dst.writestr(n.replace("good/", "nodata/"), src.read(n))
    _expect_invalid(tmp_path / "nodata.pt", "record 'nodata/data/0' is missing")
    # garbage in place of data.pkl
    with zipfile.ZipFile(tmp_path / "junk.pt", "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02}q\x00(X\x01")
    _expect_invalid(tmp_path / "junk.pt", "cannot be unpickled")


def test_truncated_legacy_file(tmp_path):
    torch.save({"w": torch.ones(100)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    data = (tmp_path / "old.pt").read_bytes()
    for cut in (len(data) - 7, len(data) - 400, 30):
        (tmp_path / "cut.pt").write_bytes(data[:cut])
        _expect_invalid(tmp_path / "cut.pt")


def test_storage_too_small_for_tensor_is_refused(tmp_path, monkeypatch):
    # a crafted file whose tensor claims more elements than its storage holds
    orig = ser._StorageTable.locate

    def lying_locate(self, array, dtype):
        rec, offset, size, stride = orig(self, array, dtype)
        return rec, offset, (size[0] + 5,), stride
    monkeypatch.setattr(ser._StorageTable, "locate", lying_locate)
    huoba.save(h(np.zeros(3, np.float32)), tmp_path / "bad.pt")
    monkeypatch.undo()
    with pytest.raises(RuntimeError, match=r"setStorage: sizes \[8\], strides \[1\], storage offset 0, and "
                                           r"itemsize 4 requiring a storage size of 32 are out of bounds for "
                                           r"storage of allocated size 12"):
        huoba.load(tmp_path / "bad.pt")


# ----------------------------------------------------------------------------------------------
# Atomic saving
# ----------------------------------------------------------------------------------------------

def _old_checkpoint(path):
    huoba.save({"version": 1, "w": h(np.full(1000, 1.0, np.float32))}, path)
    return path.read_bytes()


def _assert_untouched(path, old_bytes):
    assert path.read_bytes() == old_bytes
    assert huoba.load(path)["version"] == 1
    assert sorted(os.listdir(path.parent)) == [path.name], os.listdir(path.parent)


@pytest.mark.parametrize("anonymous", [True, False])
def test_unpicklable_object_leaves_old_file(tmp_path, monkeypatch, anonymous):
    if not anonymous:
        monkeypatch.setattr(ser, "_anonymous_linker", lambda directory: None)
    path = tmp_path / "ckpt.pt"
    old = _old_checkpoint(path)
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        huoba.save({"version": 2, "w": h([2.0]), "fn": lambda x: x}, path)
    _assert_untouched(path, old)
    buf = io.BytesIO(b"keep")
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        huoba.save({"fn": lambda x: x}, buf)
    assert buf.getvalue() == b"keep"        # nothing is written before pickling succeeded


@pytest.mark.parametrize("anonymous", [True, False])
def test_writer_failing_halfway_leaves_old_file(tmp_path, monkeypatch, anonymous):
    if not anonymous:
        monkeypatch.setattr(ser, "_anonymous_linker", lambda directory: None)
    path = tmp_path / "ckpt.pt"
    old = _old_checkpoint(path)
    orig = ser._ZipWriter.write_record

    def failing(self, name, size, chunks):
        if name == "data/1":
            raise OSError(28, "No space left on device")
        return orig(self, name, size, chunks)
    monkeypatch.setattr(ser._ZipWriter, "write_record", failing)
    with pytest.raises(OSError, match="No space left"):
        huoba.save({"version": 2, "a": h(np.zeros(10)), "b": h(np.zeros(10))}, path)
    monkeypatch.undo()
    _assert_untouched(path, old)
    # and a successful save replaces it
    huoba.save({"version": 3}, path)
    assert huoba.load(path) == {"version": 3}
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]


def test_save_keeps_permissions_and_follows_symlinks(tmp_path):
    target = tmp_path / "real.pt"
    _old_checkpoint(target)
    os.chmod(target, 0o640)
    link = tmp_path / "link.pt"
    os.symlink(target, link)
    huoba.save({"version": 5}, link)
    assert os.path.islink(link) and huoba.load(target) == {"version": 5}
    assert os.stat(target).st_mode & 0o777 == 0o640
    new = tmp_path / "new.pt"
    huoba.save({}, new)
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(new).st_mode & 0o777 == 0o666 & ~umask
    with pytest.raises(RuntimeError, match="Parent directory .* does not exist."):
        huoba.save({}, tmp_path / "nodir" / "x.pt")


KILL_SCRIPT = """
import sys, time
sys.path.insert(0, {src!r})
import numpy as np, huoba, huoba.serialization as ser
ser._CHUNK = 1 << 20
orig = ser._ZipWriter._write
count = [0]
def slow_write(self, data):
    orig(self, data)
    if memoryview(data).nbytes == ser._CHUNK:
        count[0] += 1
        if count[0] == 3:
            print("writing", flush=True)
            time.sleep(60)
ser._ZipWriter._write = slow_write
huoba.save({{"version": 2, "w": huoba.from_numpy(np.ones(8 << 20, np.float32))}}, {path!r})
print("finished", flush=True)
"""


@pytest.mark.parametrize("anonymous", [True, False])
def test_process_killed_mid_save_leaves_old_file(tmp_path, anonymous):
    path = tmp_path / "ckpt.pt"
    old = _old_checkpoint(path)
    script = KILL_SCRIPT.format(src=SRC, path=str(path))
    if not anonymous:
        script = script.replace("ser._CHUNK = 1 << 20", "ser._CHUNK = 1 << 20\nser._anonymous_linker = lambda d: None")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "writing", line
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert path.read_bytes() == old
    assert huoba.load(path)["version"] == 1
    leftovers = sorted(os.listdir(tmp_path))
    if anonymous and ser._anonymous_linker(str(tmp_path)) is not None:
        assert leftovers == ["ckpt.pt"]          # an unnamed temporary file dies with its process
    else:
        # a named temporary file may stay behind; the next save to this path removes it
        huoba.save({"version": 3}, path)
        assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]


# ----------------------------------------------------------------------------------------------
# map_location, CUDA-tagged files, mmap, buffers
# ----------------------------------------------------------------------------------------------

@pytest.fixture
def cuda_file(tmp_path, monkeypatch):
    """A checkpoint whose storages are tagged 'cuda:0', as a GPU run would write it."""
    orig = ser._StorageTable._record

    def cuda_record(self, root, lo, nbytes, dtype, location):
        return orig(self, root, lo, nbytes, dtype, "cuda:0")
    monkeypatch.setattr(ser._StorageTable, "_record", cuda_record)

    def make(legacy=False):
        path = tmp_path / ("cuda_legacy.pt" if legacy else "cuda.pt")
        base = h(np.arange(6, dtype=np.float32))
        huoba.save({"w": base, "v": base[2:4]}, path, _use_new_zipfile_serialization=not legacy)
        return path
    yield make
    monkeypatch.undo()


@pytest.mark.parametrize("legacy", [False, True])
def test_cuda_saved_file_needs_map_location(cuda_file, legacy):
    if huoba._backend.cupy() is not None:
        pytest.skip("a GPU is present")
    path = cuda_file(legacy)
    with pytest.raises(RuntimeError) as ours:
        huoba.load(path)
    with pytest.raises(RuntimeError) as theirs:
        torch.load(path)
    assert str(ours.value) == str(theirs.value)
    assert str(ours.value).startswith("Attempting to deserialize object on a CUDA device but "
                                      "torch.cuda.is_available() is False.")
    for loc in ("cpu", huoba.device("cpu"), {"cuda:0": "cpu"}, lambda storage, location: storage):
        loaded = huoba.load(path, map_location=loc)
        assert loaded["w"].device == huoba.device("cpu")
        assert loaded["v"].tolist() == [2.0, 3.0]
        tl = torch.load(path, map_location=loc if not isinstance(loc, huoba.device) else torch.device("cpu"))
        assert tl["v"].tolist() == [2.0, 3.0]
    seen = []

    def record(storage, location):
        seen.append((location, storage.device.type, storage.nbytes()))
        return None if location == "cpu" else storage.cpu()
    huoba.load(path, map_location=record)
    assert seen == [("cuda:0", "cpu", 24)]
    with pytest.raises(RuntimeError, match="torch.cuda.is_available"):
        huoba.load(path, map_location={"cuda:1": "cpu"})     # the key does not match: still cuda:0


def test_map_location_on_cpu_files(tmp_path):
    huoba.save({"w": h([1.0, 2.0])}, tmp_path / "c.pt")
    assert huoba.load(tmp_path / "c.pt", map_location="cpu")["w"].tolist() == [1.0, 2.0]
    assert huoba.load(tmp_path / "c.pt", map_location=lambda s, loc: None)["w"].tolist() == [1.0, 2.0]
    if huoba._backend.cupy() is None:
        with pytest.raises(RuntimeError, match="torch.cuda.is_available"):
            huoba.load(tmp_path / "c.pt", map_location="cuda")
        with pytest.raises(RuntimeError, match="torch.cuda.is_available"):
            huoba.load(tmp_path / "c.pt", map_location={"cpu": "cuda:0"})


def test_mmap_loading(tmp_path):
    w = values("float32", (256, 16))
    hw = h(w)
    huoba.save({"w": hw, "row": hw[3], "n": 7}, tmp_path / "m.pt")
    loaded = huoba.load(tmp_path / "m.pt", mmap=True)
    np.testing.assert_array_equal(loaded["w"].numpy(), w)
    np.testing.assert_array_equal(loaded["row"].numpy(), w[3])
    assert loaded["n"] == 7
    loaded["row"].numpy()[0] = 1234.0                     # copy-on-write: visible through views ...
    assert loaded["w"].numpy()[3, 0] == 1234.0
    assert huoba.load(tmp_path / "m.pt")["w"].numpy()[3, 0] == w[3, 0]   # ... but never written back
    torch_file = tmp_path / "t.pt"
    torch.save({"x": torch.arange(5)}, torch_file)
    assert huoba.load(torch_file, mmap=True)["x"].tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="f must be a file path in order to use the mmap argument"):
        huoba.load(io.BytesIO(torch_file.read_bytes()), mmap=True)
    torch.save({"x": torch.arange(5)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError) as ours:
        huoba.load(str(tmp_path / "old.pt"), mmap=True)
    with pytest.raises(RuntimeError) as theirs:
        torch.load(str(tmp_path / "old.pt"), mmap=True)
    assert str(ours.value) == str(theirs.value)


def test_bytesio_both_ways():
    buf = io.BytesIO()
    huoba.save({"x": h(values("int64", (3,)))}, buf)
    buf.seek(0)
    assert torch.load(buf, weights_only=True)["x"].tolist() == values("int64", (3,)).tolist()
    tbuf = io.BytesIO()
    torch.save([torch.ones(2, dtype=torch.float16), "s"], tbuf)
    tbuf.seek(0)
    loaded = huoba.load(tbuf)
    assert loaded[0].dtype is huoba.float16 and loaded[1] == "s"
    # a stream positioned after other data, and one that cannot seek
    prefixed = io.BytesIO(b"header" + tbuf.getvalue())
    prefixed.read(6)
    assert huoba.load(prefixed)[1] == "s"

    class Stream(io.RawIOBase):
        def __init__(self, data):
            self._src = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            return self._src.readinto(b)
    assert huoba.load(io.BufferedReader(Stream(tbuf.getvalue())))[1] == "s"


def test_big_endian_byteorder_record_is_honoured(tmp_path, monkeypatch):
    x = np.arange(6, dtype=np.int32) * 1000
    swapped = huoba.from_numpy(x.byteswap())
    monkeypatch.setattr(sys, "byteorder", "big")
    huoba.save({"x": swapped}, tmp_path / "be.pt")
    monkeypatch.undo()
    assert zipfile.ZipFile(tmp_path / "be.pt").read("be/byteorder") == b"big"
    assert huoba.load(tmp_path / "be.pt")["x"].tolist() == x.tolist()
    assert torch.load(tmp_path / "be.pt")["x"].tolist() == x.tolist()


def test_zip64_records(tmp_path, monkeypatch):
    # sizes and offsets past 4 GiB need zip64 records; lower the threshold to exercise them cheaply
    monkeypatch.setattr(ser, "_ZIP64_LIMIT", 100)
    w = values("float64", (40,))
    huoba.save({"w": h(w), "tail": h(w)[30:]}, tmp_path / "z.pt")
    monkeypatch.undo()
    assert zipfile.ZipFile(tmp_path / "z.pt").testzip() is None
    loaded = torch.load(tmp_path / "z.pt", weights_only=True)
    np.testing.assert_array_equal(loaded["tail"].numpy(), w[30:])
    np.testing.assert_array_equal(huoba.load(tmp_path / "z.pt")["w"].numpy(), w)


def test_other_python_objects_torch_writes(tmp_path):
    obj = {"dtype": torch.float64, "dev": torch.device("cpu"), "size": torch.Size([2, 3]), "set": {1, 2},
           "bytes": b"\x00\x01", "bytearray": bytearray(b"ab"), "complex": 1 + 2j, "tuple": (1, (2, 3)),
           "counter": collections.Counter("aab"), "od": collections.OrderedDict(a=1), "big": 2 ** 70,
           "neg": -5, "f": 0.1, "none": None}
    torch.save(obj, tmp_path / "o.pt")
    loaded = huoba.load(tmp_path / "o.pt")
    assert loaded["dtype"] is huoba.float64
    assert loaded["dev"] == huoba.device("cpu") and isinstance(loaded["dev"], huoba.device)
    assert loaded["size"] == huoba.Size([2, 3]) and type(loaded["size"]) is huoba.Size
    for k in ("set", "bytes", "bytearray", "complex", "tuple", "counter", "od", "big", "neg", "f", "none"):
        assert loaded[k] == obj[k] and type(loaded[k]) is type(obj[k]), k
    hobj = {"dtype": huoba.int8, "dev": huoba.device("cuda", 1), "size": huoba.Size([4])}
    huoba.save(hobj, tmp_path / "h.pt")
    tl = torch.load(tmp_path / "h.pt", weights_only=True)
    assert tl == {"dtype": torch.int8, "dev": torch.device("cuda", 1), "size": torch.Size([4])}


def test_save_argument_errors(tmp_path):
    with pytest.raises(AttributeError, match="expected 'f' to be string, path, or a file-like object with a "
                                             "'write' attribute"):
        huoba.save(h([1.0]), 3)
    with pytest.raises(IsADirectoryError):
        huoba.save(h([1.0]), tmp_path)


# ----------------------------------------------------------------------------------------------
# Plain pickling (pickle, copy, multiprocessing)
# ----------------------------------------------------------------------------------------------

def test_plain_pickle_and_copy_of_tensors():
    x = h(values("float32", (3, 4)))
    y = pickle.loads(pickle.dumps(x))
    assert type(y) is huoba.Tensor and y.dtype is huoba.float32
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    g = pickle.loads(pickle.dumps(h([1.0, 2.0]).requires_grad_(), protocol=5))
    assert g.requires_grad and g.is_leaf
    v = pickle.loads(pickle.dumps(x.t()))
    np.testing.assert_array_equal(v.numpy(), x.numpy().T)
    p = pickle.loads(pickle.dumps(Parameter(h([1.0]))))
    assert type(p) is Parameter and p.requires_grad
    c = copy.copy(x)                 # like torch: a shallow copy shares memory
    c.numpy()[0, 0] = 42.0
    assert x.numpy()[0, 0] == 42.0
    tx = torch.ones(2)
    tc = copy.copy(tx)
    tc[0] = 42.0
    assert tx[0].item() == 42.0


def test_whole_torch_module_loads_as_huoba_module(tmp_path):
    pytest.importorskip("huoba.nn.modules.linear")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))
    torch.save(model, tmp_path / "whole.pt")
    with pytest.raises(pickle.UnpicklingError, match="torch.nn.modules.container.Sequential was not an allowed"):
        huoba.load(tmp_path / "whole.pt")
    loaded = huoba.load(tmp_path / "whole.pt", weights_only=False)
    assert type(loaded).__module__.startswith("huoba.nn")
    x = np.array([[0.5, -1.0]], np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(loaded(huoba.from_numpy(x)).detach().numpy(), expected, rtol=1e-6)


def test_unsupported_torch_tensor_kinds_are_named(tmp_path):
    torch.save({"s": torch.eye(2).to_sparse()}, tmp_path / "sparse.pt")
    with pytest.raises(RuntimeError, match="huoba cannot load sparse tensors"):
        huoba.load(tmp_path / "sparse.pt")
    torch.save({"b": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "bf16.pt")
    with pytest.raises(RuntimeError, match="huoba does not support tensors of dtype torch.bfloat16"):
        huoba.load(tmp_path / "bf16.pt")


def test_higher_pickle_protocols_round_trip(tmp_path):
    base = h(values("float32", (4,)))
    for protocol in (2, 3, 4, 5):
        huoba.save({"a": base, "b": base[1:], "d": huoba.float16}, tmp_path / "p.pt", pickle_protocol=protocol)
        loaded = huoba.load(tmp_path / "p.pt")
        np.testing.assert_array_equal(loaded["b"].numpy(), base.numpy()[1:])
        assert loaded["d"] is huoba.float16
        assert torch.load(tmp_path / "p.pt", weights_only=False)["b"].tolist() == base.numpy()[1:].tolist()


def test_whole_huoba_module_round_trip(tmp_path):
    nn = pytest.importorskip("huoba.nn")
    if not hasattr(nn, "Linear") or not hasattr(nn, "Sequential"):
        pytest.skip("huoba.nn.Linear is not available yet")
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    huoba.save(model, tmp_path / "m.pt")
    with pytest.raises(pickle.UnpicklingError, match="huoba.nn.modules.container.Sequential was not an allowed"):
        huoba.load(tmp_path / "m.pt")
    loaded = huoba.load(tmp_path / "m.pt", weights_only=False)
    x = huoba.from_numpy(np.array([[1.0, -2.0]], np.float32))
    np.testing.assert_array_equal(loaded(x).detach().numpy(), model(x).detach().numpy())
    assert all(type(p) is Parameter for p in loaded.parameters())

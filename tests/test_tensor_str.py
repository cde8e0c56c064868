"""huoba._tensor_str against PyTorch's own printing (torch is the oracle).

The tensors here are a minimal stand-in (`FakeT`) holding a NumPy array, so
the printing code is checked independently of huoba's Tensor class.
"""
import contextlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, HealthCheck, strategies as st  # noqa: E402

from huoba import dtypes  # noqa: E402
from huoba import _tensor_str as ts  # noqa: E402


# --------------------------------------------------------------------------
# helpers

class FakeDevice:
    def __init__(self, type="cpu", index=None):
        self.type = type
        self.index = index

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"


class FakeGradFn:
    def __init__(self, name):
        self._name = name

    def name(self):
        return self._name


class FakeT:
    def __init__(self, array, requires_grad=False, grad_fn_name=None, device=None):
        self._data = array
        self.dtype = dtypes.from_numpy_dtype(array.dtype)
        self.device = device or FakeDevice()
        self.grad_fn = FakeGradFn(grad_fn_name) if grad_fn_name else None
        self.requires_grad = requires_grad or self.grad_fn is not None
        self.is_leaf = self.grad_fn is None


def torch_repr(array, requires_grad=False, grad_fn=False):
    t = torch.from_numpy(array.copy())
    if requires_grad or grad_fn:
        t.requires_grad_()
    if grad_fn:
        t = t * 1  # same values, grad_fn=<MulBackward0>
    return repr(t)


def check(array, requires_grad=False, grad_fn=False):
    fake = FakeT(array, requires_grad=requires_grad,
                 grad_fn_name="MulBackward0" if grad_fn else None)
    expected = torch_repr(array, requires_grad, grad_fn)
    got = ts.tensor_repr(fake)
    assert got == expected, f"\n--- huoba ---\n{got}\n--- torch ---\n{expected}"


@contextlib.contextmanager
def both_printoptions(**kwargs):
    saved_t = torch._tensor_str.get_printoptions()
    saved_h = ts.get_printoptions()
    torch.set_printoptions(**kwargs)
    ts.set_printoptions(**kwargs)
    try:
        yield
    finally:
        torch.set_printoptions(**saved_t)
        ts.set_printoptions(**saved_h)


@contextlib.contextmanager
def both_default_dtype(name):
    saved_t, saved_h = torch.get_default_dtype(), dtypes.get_default_dtype()
    torch.set_default_dtype(getattr(torch, name))
    dtypes.set_default_dtype(getattr(dtypes, name))
    try:
        yield
    finally:
        torch.set_default_dtype(saved_t)
        dtypes.set_default_dtype(saved_h)


FLOATS = ["float16", "float32", "float64"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]
ALL = FLOATS + INTS + ["bool"]


@st.composite
def arrays(draw, max_dims=4, max_side=12):
    dtype = draw(st.sampled_from(ALL))
    ndim = draw(st.integers(0, max_dims))
    shape = tuple(draw(st.lists(st.integers(0, max_side), min_size=ndim, max_size=ndim)))
    if draw(st.integers(0, 9)) == 0 and ndim:  # now and then a long row
        shape = shape[:-1] + (draw(st.integers(1000, 1500)),)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape, dtype=np.int64))
    style = draw(st.sampled_from(["normal", "whole", "tiny", "huge", "mixed", "few"]))
    if dtype == "bool":
        data = rng.random(n) < draw(st.sampled_from([0.0, 0.5, 1.0]))
    elif dtype in INTS:
        info = np.iinfo(dtype)
        hi = draw(st.sampled_from([2, 10, 1000, int(info.max)]))
        lo = 0 if info.min == 0 else -hi
        hi = min(hi, int(info.max))
        lo = max(lo, int(info.min))
        data = rng.integers(lo, hi, size=n, endpoint=True, dtype=dtype)
    else:
        scale = 10.0 ** draw(st.integers(-6, 9))
        if style == "whole":
            data = np.round(rng.standard_normal(n) * scale)
        elif style == "tiny":
            data = rng.standard_normal(n) * 1e-5
        elif style == "huge":
            data = rng.standard_normal(n) * 1e8
        elif style == "mixed":
            data = rng.standard_normal(n) * 10.0 ** rng.integers(-5, 9, size=n)
        elif style == "few":
            data = rng.choice([0.0, -0.0, 1.0, -2.5, 0.1, 100.0], size=n)
        else:
            data = rng.standard_normal(n) * scale
        if n and draw(st.booleans()):
            specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0])
            k = draw(st.integers(1, 3))
            data[rng.integers(0, n, size=k)] = rng.choice(specials, size=k)
        with np.errstate(over="ignore"):
            data = data.astype(dtype)
    return np.asarray(data, dtype=dtype).reshape(shape)


FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --------------------------------------------------------------------------
# property tests

@FAST
@given(arrays())
def test_matches_torch(array):
    check(array)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays(max_dims=3, max_side=8), st.sampled_from(["requires_grad", "grad_fn"]))
def test_autograd_suffixes(array, kind):
    if array.dtype.kind != "f":
        return  # only floating tensors can require grad
    check(array, requires_grad=kind == "requires_grad", grad_fn=kind == "grad_fn")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays(max_dims=3, max_side=8))
def test_default_dtype_float64(array):
    with both_default_dtype("float64"):
        check(array)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays(max_dims=3, max_side=10),
       st.integers(0, 8), st.sampled_from([3, 10, 50, 1000]), st.integers(0, 4),
       st.integers(10, 150), st.sampled_from([None, True, False]))
def test_printoptions(array, precision, threshold, edgeitems, linewidth, sci_mode):
    with both_printoptions(precision=precision, threshold=threshold, edgeitems=edgeitems,
                           linewidth=linewidth, sci_mode=sci_mode):
        check(array, grad_fn=array.dtype.kind == "f" and precision % 2 == 0)


# --------------------------------------------------------------------------
# fixed cases

EDGE = [
    np.array([1.0, 2.0], np.float32),
    np.array(3.5, np.float32),
    np.array(3.0, np.float32),
    np.array(-0.0, np.float32),
    np.array(np.nan, np.float32),
    np.array(7, np.int64),
    np.array(True),
    np.array([], np.float32),
    np.array([], np.float64),
    np.array([], np.int64),
    np.array([], np.bool_),
    np.zeros((0, 3), np.float32),
    np.zeros((2, 0, 4), np.int32),
    np.zeros((0,), np.uint8),
    np.array([True, False, True]),
    np.array([-0.0, 0.0, 1.0], np.float32),
    np.array([-0.0, 0.5], np.float32),
    np.array([np.nan, np.inf, -np.inf], np.float32),
    np.array([np.nan, 1.5, -np.inf], np.float32),
    np.array([1e-5, 1.0], np.float32),
    np.array([1e8, 1.0], np.float32),
    np.array([1e9], np.float32),
    np.array([123456789.0], np.float64),
    np.array([0.0001, 0.1], np.float32),
    np.array([1.0, 1000.0], np.float32),
    np.array([1.0, 1001.0], np.float32),
    np.array([9.99996, 1.0], np.float32),
    np.array([65504.0, -1.0], np.float16),
    np.array([0.1, 0.2, 0.30004], np.float16),
    np.arange(1001, dtype=np.float32),
    np.arange(1000, dtype=np.int64),
    np.arange(2000, dtype=np.int64).reshape(20, 100),
    np.arange(4096, dtype=np.float32).reshape(8, 8, 8, 8) / 3,
    np.arange(60, dtype=np.int16).reshape(3, 4, 5),
    np.arange(200, dtype=np.float64) * 1.5,
    np.full((3, 2000), 2.5, np.float32),
    np.array([-5, 3, 127], np.int8),
    np.array([0, 255], np.uint8),
    np.array([2**62, -2**62], np.int64),
]


@pytest.mark.parametrize("array", EDGE, ids=lambda a: f"{a.dtype}{a.shape}")
def test_edge_cases(array):
    check(array)
    with both_default_dtype("float64"):
        check(array)
    if array.dtype.kind == "f":
        check(array, requires_grad=True)
        check(array, grad_fn=True)


@pytest.mark.parametrize("profile", ["default", "short", "full"])
def test_profiles(profile):
    a = np.linspace(-3, 3, 1500).astype(np.float32).reshape(30, 50)
    with both_printoptions(profile=profile):
        check(a)
        assert ts.get_printoptions() == torch._tensor_str.get_printoptions()


def test_get_set_printoptions_roundtrip():
    saved = ts.get_printoptions()
    assert saved == {"precision": 4, "threshold": 1000, "edgeitems": 3,
                     "linewidth": 80, "sci_mode": None}
    try:
        ts.set_printoptions(precision=2, sci_mode=True)
        assert ts.get_printoptions()["precision"] == 2
        assert ts.get_printoptions()["sci_mode"] is True
        ts.set_printoptions(linewidth=100)  # sci_mode resets, as in PyTorch
        assert ts.get_printoptions()["sci_mode"] is None
        with ts.printoptions(threshold=5):
            assert ts.get_printoptions()["threshold"] == 5
        assert ts.get_printoptions()["threshold"] == 1000
    finally:
        ts.set_printoptions(**saved)
    assert ts.get_printoptions() == saved


def _torch_layout_with_device(array, device, requires_grad=False):
    """What PyTorch would print for `array` on `device` (a CPU-only torch
    cannot make the tensor, so its own suffix logic is driven by hand)."""
    t = torch.from_numpy(array.copy())
    T = torch._tensor_str
    suffixes = [f"device='{device}'"]
    if t.numel() == 0:
        if t.dim() != 1:
            suffixes.append("size=" + str(tuple(t.shape)))
        if t.dtype != torch.get_default_dtype():
            suffixes.append("dtype=" + str(t.dtype))
        body = "[]"
    else:
        if t.dtype not in (torch.get_default_dtype(), torch.int64, torch.bool):
            suffixes.append("dtype=" + str(t.dtype))
        body = T._tensor_str(t, len("tensor("))
    if requires_grad:
        suffixes.append("requires_grad=True")
    return T._add_suffixes("tensor(" + body, suffixes, len("tensor("), False)


@pytest.mark.parametrize("array", [
    np.array([1.0, 2.0], np.float32),
    np.array(2.5, np.float64),
    np.arange(40, dtype=np.float64).reshape(2, 20) / 3,
    np.arange(17, dtype=np.float64) / 7,
    np.zeros((0, 2), np.int32),
    np.arange(12, dtype=np.int64),
])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_device_suffix(array, requires_grad):
    if requires_grad and array.dtype.kind != "f":
        return
    fake = FakeT(array, requires_grad=requires_grad, device=FakeDevice("cuda", 0))
    assert ts.tensor_repr(fake) == _torch_layout_with_device(array, "cuda:0", requires_grad)


def test_device_suffix_literal():
    fake = FakeT(np.array([1.0, 2.0], np.float32), device=FakeDevice("cuda", 0))
    assert ts.tensor_repr(fake) == "tensor([1., 2.], device='cuda:0')"
    fake = FakeT(np.array([1.0, 2.0], np.float32), requires_grad=True,
                 device=FakeDevice("cuda", 1))
    assert ts.tensor_repr(fake) == "tensor([1., 2.], device='cuda:1', requires_grad=True)"


def test_tensor_contents_override():
    a = np.array([1.0, 2.0], np.float64)
    fake = FakeT(a, requires_grad=True)
    t = torch.from_numpy(a.copy()).requires_grad_()
    assert ts.tensor_repr(fake, tensor_contents="[X]") == t.__repr__(tensor_contents="[X]")


def test_parameter_repr():
    a = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
    p = torch.nn.Parameter(torch.from_numpy(a.copy()))
    assert ts.parameter_repr(FakeT(a, requires_grad=True)) == repr(p)


@pytest.mark.parametrize("shape", [(), (0,), (2, 3), (1, 0, 5), (7,)])
def test_size_repr(shape):
    assert ts.size_repr(shape) == repr(torch.Size(shape)) == str(torch.Size(shape))

"""Factories against PyTorch: torch.tensor's dtype inference and errors for ragged data,
arange/linspace exact values, eye/full/zeros/ones/empty, *_like and new_*, memory shared with
NumPy by from_numpy/as_tensor/numpy(), the legacy FloatTensor-style constructors and t.type().
Random factories are checked for shapes and dtypes only."""
import os
import sys
import warnings

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from _optable import torch, huoba, check_same, check_error, assert_same, run_both  # noqa: E402

# NumPy's floating-point warnings (log(0), 1/0, ...) are silenced inside huoba, but pytest
# resets warning filters around each test
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

TENSOR_DATA = [
    "[[1, 2], [3, 4]]", "[1, 2.5]", "[True, False]", "[True, 1]", "[True, 2.5]", "[[1, 2], (3, 4)]", "(1, 2)",
    "3", "3.5", "True", "[]", "[[]]", "[[], []]", "[(), ()]", "[[[1.5]]]", "np.float64(0.3)", "np.float32(0.3)",
    "np.int32(3)", "np.bool_(True)", "[np.float32(1), 2]", "[np.int32(1), 2]", "[np.float64(1), 2]",
    "[np.float16(1), 2.5]", "[np.uint8(3), True]", "np.array([1, 2], dtype=np.int32)", "np.array([[1.5]])",
    "np.array(2.5, dtype=np.float16)", "range(4)", "[-1, 0, 2 ** 62]", "[1e30, -1e-30]", "[float('nan'), float('inf')]",
]


@pytest.mark.parametrize("expr", TENSOR_DATA)
@pytest.mark.parametrize("dtype", [None, "float64", "int32", "uint8", "bool", "float16"])
def test_tensor_inference_and_casts(expr, dtype):
    def fn(lib):
        data = eval(expr)
        return lib.tensor(data) if dtype is None else lib.tensor(data, dtype=getattr(lib, dtype))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_same(fn)


def test_tensor_from_tensors_and_python_dtypes():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in (lambda lib: lib.tensor([lib.tensor(1.0), lib.tensor(2.0)]),
                  lambda lib: lib.tensor([lib.tensor(1), 2.5]),
                  lambda lib: lib.tensor([lib.tensor(1, dtype=lib.int32), 2]),
                  lambda lib: lib.tensor([lib.tensor([1.5]), 2]),
                  lambda lib: lib.tensor(lib.ones(2), dtype=lib.int64),
                  lambda lib: lib.tensor([1, 2], dtype=float), lambda lib: lib.tensor([1, 2], dtype=int),
                  lambda lib: lib.tensor([1, 2], dtype=bool), lambda lib: lib.tensor([1.7, -1.7], dtype=lib.int32),
                  lambda lib: lib.tensor([-200], dtype=lib.uint8), lambda lib: lib.tensor([1e6], dtype=lib.float16),
                  lambda lib: lib.tensor([[1.0, 2.0]], requires_grad=True),
                  lambda lib: lib.tensor(np.array([1.5]), dtype=lib.int64)):
            check_same(f)


def test_tensor_warns_when_copying_a_tensor():
    for lib in (torch, huoba):
        with pytest.warns(UserWarning, match="To copy construct from a tensor"):
            lib.tensor(lib.ones(2))


TENSOR_ERRORS = [
    "[[1, 2], [3]]", "[[1, 2], [3, 4, 5]]", "[[1, 2], 3]", "[1, [2, 3]]", "[1.0, [2]]", "[True, [2]]",
    "[[1], 2.0]", "[[1, 2], [3, [4]]]", "[[1, 2], []]", "[[[1]], [2]]", "[[[1, 2]], [[3, 4], [5, 6]]]",
    "'a'", "None", "[1, None]", "[1, 'a']", "2 ** 63", "[2 ** 63]",
]


@pytest.mark.parametrize("expr", TENSOR_ERRORS)
def test_tensor_errors(expr):
    check_error(lambda lib: lib.tensor(eval(expr)))


def test_tensor_dtype_errors():
    for f in (lambda lib: lib.tensor([300], dtype=lib.uint8), lambda lib: lib.tensor([2 ** 31], dtype=lib.int32),
              lambda lib: lib.tensor([-129], dtype=lib.int8), lambda lib: lib.tensor([1, 2], dtype="float32"),
              lambda lib: lib.tensor([lib.tensor([1, 2]), lib.tensor([3, 4])])):
        check_error(f)


# ---- arange / linspace / logspace / eye -------------------------------------------------------
RANGES = [
    "arange(5)", "arange(5.)", "arange(0, 1, 0.1)", "arange(1, 2.5, 0.5)", "arange(0, -3, -1)", "arange(0, 10, 3)",
    "arange(0.5, 10)", "arange(0, 1, 0.3, dtype=lib.float64)", "arange(0, 5, dtype=lib.float16)",
    "arange(1, 4, dtype=lib.int32)", "arange(-1.5, 1.5)", "arange(lib.tensor(3))", "arange(0, 10, 2.5)",
    "arange(1e-9, 1e-8, 1e-9)", "arange(0.1, 0.4, 0.1)", "arange(0, 5, 2, dtype=lib.float32)", "arange(-5, 5, 3)",
    "arange(True, 5)", "arange(0, np.float64(1.5), 0.5)", "arange(-0.7, 3.14, 0.33)", "arange(10, 0, -0.75)",
    "arange(0, 1, 1 / 3)", "arange(0.0, 2.0, 0.2)", "arange(3, dtype=lib.float64)",
    "linspace(0, 1, 5)", "linspace(0, 1, 7)", "linspace(0, 1, 10)", "linspace(-1, 1, 1)", "linspace(0, 1, 0)",
    "linspace(3, -3, 6)", "linspace(0, 10, 4, dtype=lib.int64)", "linspace(0, 1, 3, dtype=lib.int32)",
    "linspace(-2, 7, 10, dtype=lib.float64)", "linspace(0, 1, 5, dtype=lib.float16)", "linspace(0.1, 0.9, 11)",
    "linspace(lib.tensor(0.), lib.tensor(1.), 3)", "linspace(-3.3, 7.7, 8)",
    "logspace(0, 2, 3)", "logspace(0, 3, 4, base=2)", "logspace(-1, 1, 5, dtype=lib.float64)",
    "eye(3)", "eye(2, 3)", "eye(3, dtype=lib.int64)", "eye(0)", "eye(2, 0)",
    "range(0, 3)", "range(1, 2, 0.25)",
]


@pytest.mark.parametrize("expr", RANGES)
def test_ranges_exact_values(expr):
    def fn(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = eval("lib." + expr)
        return t, t.tolist()

    h, t = run_both(fn, (), ())
    if isinstance(t, Exception):
        raise t
    assert_same(h[0], t[0], rtol=0, atol=0)
    assert h[1] == t[1]  # bit for bit


RANGE_ERRORS = ["arange(10, 0, 3)", "arange(0, 5, 0)", "arange(0, 2.5, 0.5, dtype=lib.int64)",
                "arange(5, dtype=lib.bool)", "linspace(0, 1, -1)", "eye(-1)", "eye(3, -1)"]


@pytest.mark.parametrize("expr", RANGE_ERRORS)
def test_range_errors(expr):
    check_error(lambda lib: eval("lib." + expr))


# ---- zeros / ones / empty / full ------------------------------------------------------------------
FILLED = [
    "zeros(2, 3)", "zeros((2, 3))", "zeros([2, 3])", "zeros(lib.Size([2, 3]))", "ones(2, dtype=lib.int64)",
    "empty(2, 0).shape", "zeros(())", "zeros([])", "zeros(2, 3, dtype=lib.bool)", "zeros(np.int64(3))",
    "zeros(lib.tensor(3))", "ones(4, 1, dtype=lib.float16)", "full((2, 3), 7)", "full((2,), 1.5)",
    "full((2,), True)", "full([2, 2], 3, dtype=lib.float32)", "full((2,), lib.tensor(3.))",
    "full((3,), 2.7, dtype=lib.int32)", "empty(3, dtype=lib.int64).shape", "ones(2, 3, requires_grad=True)",
    "scalar_tensor(3)", "scalar_tensor(True)", "tril_indices(3, 3)", "triu_indices(3, 4, 1)",
]


@pytest.mark.parametrize("expr", FILLED)
def test_filled_factories(expr):
    check_same(lambda lib: eval("lib." + expr))


FILLED_ERRORS = ["zeros(-1)", "ones(2, -1)", "empty(-1)", "full((-1,), 1)", "zeros(2, 'a')", "zeros(2.5)",
                 "ones(2, 3.0)", "full(2, 1.)", "rand(-1)", "rand(2, dtype=lib.int64)",
                 "zeros(2, dtype=lib.float32, out=None, device='tpu')"]


@pytest.mark.parametrize("expr", FILLED_ERRORS)
def test_filled_factory_errors(expr):
    check_error(lambda lib: eval("lib." + expr))


def test_out_argument():
    def fn(lib):
        out = lib.empty(2)
        r = lib.zeros(3, out=out)
        a = lib.empty(0, dtype=lib.int64)
        lib.arange(4, out=a)
        return r is out, out, a

    check_same(fn)


# ---- *_like and new_* ----------------------------------------------------------------------------
LIKE = [
    "zeros_like(lib.ones(2, dtype=lib.int32))", "ones_like(lib.ones(2), dtype=lib.float64)",
    "full_like(lib.ones(2, dtype=lib.int64), 2.7)", "full_like(lib.ones(2, 3), 5)", "empty_like(lib.ones(2, 3)).shape",
    "zeros_like(lib.ones(2, 3).t()).stride()", "ones_like(lib.ones(2, 3)[:, ::2]).stride()",
    "ones_like(lib.ones(2), requires_grad=True)",
    "ones(2).new_ones(5, 3, dtype=lib.double)", "ones(2, dtype=lib.int32).new_zeros((2, 2))",
    "ones(2).new_full((2,), 3)", "ones(2).new_tensor([1, 2])", "ones(2, dtype=lib.int64).new_tensor([1.5, 2])",
    "ones(2).new_empty(3).shape", "ones(2, dtype=lib.float64).new_ones(2)", "ones(2).new_zeros(lib.Size([1, 2]))",
    "ones(2, dtype=lib.float16).new_tensor(3)",
]


@pytest.mark.parametrize("expr", LIKE)
def test_like_and_new(expr):
    check_same(lambda lib: eval("lib." + expr))


def test_random_factories_shapes_and_dtypes():
    """Values belong to huoba.random; here only what the factories return around them."""
    exprs = ["rand(5, 3)", "rand((2, 2))", "randn(2, 3)", "randn(4, dtype=lib.float64)", "rand(2, 3, dtype=lib.float16)",
             "randint(0, 10, (3,))", "randint(10, (2, 2))", "randint(3, 5, (2,), dtype=lib.int32)", "randperm(4)",
             "rand_like(lib.ones(2, 3))", "randn_like(lib.ones(2, 3, dtype=lib.float64), dtype=lib.float)",
             "randint_like(lib.ones(2, 3), 5)", "rand(2, requires_grad=True)", "normal(0.0, 1.0, (2, 3))",
             "normal(lib.zeros(3), 1.0)", "empty(2, 3).uniform_()", "empty(3).normal_(2, 0.5)",
             "ones(4).bernoulli_(0.5)", "zeros(3).random_(0, 5)", "ones(2).exponential_()"]
    for expr in exprs:
        h, t = run_both(lambda lib: eval("lib." + expr), (), ())
        assert str(h.dtype) == str(t.dtype), expr
        assert tuple(h.shape) == tuple(t.shape), expr
        assert h.requires_grad == t.requires_grad, expr
    for f in (lambda lib: lib.rand_like(lib.ones(2, dtype=lib.int64)), lambda lib: lib.randn(2, dtype=lib.int32)):
        check_error(f)


# ---- memory shared with NumPy ----------------------------------------------------------------------
def test_from_numpy_shares_memory_both_ways():
    def fn(lib):
        a = np.arange(6.0).reshape(2, 3)
        t = lib.from_numpy(a)
        a[0, 0] = 100          # seen by the tensor
        t[1] += 1              # seen by the array
        np.add(a, 1, out=a)    # the labs' np.add(a, 1, out=a)
        n = t.numpy()
        n[0, 1] = -5
        return t, a.tolist(), t.dtype, t.numpy() is a or np.shares_memory(t.numpy(), a)

    check_same(fn)
    check_same(lambda lib: lib.from_numpy(np.arange(6).reshape(2, 3).T).stride())
    check_same(lambda lib: lib.from_numpy(np.array(5.0)))
    check_same(lambda lib: lib.from_numpy(np.arange(3, dtype=np.int16)))


def test_from_numpy_errors():
    for f in (lambda lib: lib.from_numpy([1, 2]), lambda lib: lib.from_numpy(np.array(["a"])),
              lambda lib: lib.from_numpy(np.arange(3)[::-1])):
        check_error(f)


def test_as_tensor_shares_when_it_can():
    def fn(lib):
        a = np.zeros(3)
        same = lib.as_tensor(a)
        cast = lib.as_tensor(a, dtype=lib.float32)
        a[0] = 7
        t = lib.ones(2)
        return (same, cast, lib.as_tensor(t) is t, lib.as_tensor([1, 2]), lib.as_tensor(3.5),
                lib.as_tensor(t, dtype=lib.int64), lib.asarray(a), lib.asarray([1.5]))

    check_same(fn)


def test_numpy_view_of_tensor_and_item():
    def fn(lib):
        x = lib.ones(5)
        a = x.numpy()
        x.add_(1)
        y = lib.tensor([[1.5]])
        return a.tolist(), x.item() if x.numel() == 1 else x.sum().item(), y.item(), type(y.item()).__name__, \
            lib.tensor(3).item(), lib.tensor(True).item()

    check_same(fn)
    check_error(lambda lib: lib.ones(2).item())
    check_error(lambda lib: lib.ones(2, requires_grad=True).numpy())


# ---- legacy constructors and type() ------------------------------------------------------------
LEGACY = [
    "FloatTensor(2, 3).shape", "FloatTensor([1, 2])", "LongTensor([1.7, 2])", "LongTensor(3).dtype",
    "Tensor([1, 2])", "Tensor(2, 2).shape", "Tensor()", "DoubleTensor([[1]])", "ByteTensor([1, 2])",
    "BoolTensor([1, 0])", "IntTensor([1]).type()", "ones(2).type()", "ones(2).type(lib.int64)",
    "ones(2).type('torch.DoubleTensor')", "ones(2, dtype=lib.float16).type()", "LongTensor(np.array([1, 2]))",
    "Tensor(lib.ones(2, dtype=lib.int64))", "ones(2, dtype=lib.uint8).type()", "ones(2, dtype=lib.bool).type()",
    "ones(2).long().type()", "ones(2).int().type()",
    "HalfTensor(2).dtype", "ShortTensor([1]).dtype", "CharTensor([1]).dtype",
]


@pytest.mark.parametrize("expr", LEGACY)
def test_legacy_constructors(expr):
    check_same(lambda lib: eval("lib." + expr))


def test_legacy_isinstance_and_errors():
    def fn(lib):
        return (isinstance(lib.ones(2), lib.FloatTensor), isinstance(lib.ones(2, dtype=lib.int64), lib.FloatTensor),
                isinstance(lib.ones(2, dtype=lib.int64), lib.LongTensor), repr(lib.FloatTensor))

    check_same(fn)
    for f in (lambda lib: lib.FloatTensor(lib.ones(2, dtype=lib.float64)),
              lambda lib: lib.Tensor([[1, 2], [3]]),
              lambda lib: lib.FloatTensor(2, "a")):
        check_error(f)


def test_seed_lab_patterns():
    def fn(lib):
        x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        y = x.new_ones(5, 3, dtype=lib.double)
        z = lib.randn_like(x, dtype=lib.float)
        return x.size(), y, z.shape, z.dtype, x.view(-1, 3).shape, x[:, 1], lib.zeros(5, 3, dtype=lib.long)

    check_same(fn)

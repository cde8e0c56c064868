"""Element-wise ops against PyTorch: values, dtypes (type promotion), grad_fn names,
gradients, float64 gradcheck, error messages; one table per family of ops."""
import operator
import os
import sys
import warnings

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from _optable import (torch, huoba, array, check_op, check_same, check_error, assert_same, run_both,  # noqa: E402
                      assert_same_error, DTYPES)

# NumPy's floating-point warnings (log(0), 1/0, ...) are silenced inside huoba, but pytest
# resets warning filters around each test
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402


# ---- unary math: (name, low, high) of the sampled domain ---------------------------------
UNARY = [
    ("abs", -2, 2), ("neg", -2, 2), ("exp", -2, 2), ("exp2", -2, 2), ("expm1", -2, 2), ("log", 0.1, 3),
    ("log2", 0.1, 3), ("log10", 0.1, 3), ("log1p", -0.9, 3), ("sqrt", 0.1, 3), ("rsqrt", 0.1, 3),
    ("sin", -3, 3), ("cos", -3, 3), ("tan", -1.2, 1.2), ("asin", -0.9, 0.9), ("acos", -0.9, 0.9),
    ("atan", -3, 3), ("sinh", -2, 2), ("cosh", -2, 2), ("tanh", -2, 2), ("asinh", -2, 2), ("acosh", 1.1, 3),
    ("atanh", -0.9, 0.9), ("sigmoid", -4, 4), ("erf", -2, 2), ("erfc", -2, 2), ("erfinv", -0.9, 0.9),
    ("lgamma", 0.2, 3), ("digamma", 0.2, 3), ("reciprocal", 0.3, 2), ("floor", -3, 3), ("ceil", -3, 3),
    ("trunc", -3, 3), ("frac", -3, 3), ("round", -3, 3), ("sign", -2, 2), ("sgn", -2, 2), ("relu", -2, 2),
    ("square", -2, 2), ("deg2rad", -90, 90), ("rad2deg", -2, 2), ("sinc", -2, 2), ("logit", 0.1, 0.9),
    ("nan_to_num", -2, 2), ("arcsin", -0.9, 0.9), ("arccos", -0.9, 0.9), ("arctan", -2, 2), ("fix", -3, 3),
    ("absolute", -2, 2), ("negative", -2, 2),
]


@pytest.mark.parametrize("name,low,high", UNARY, ids=[u[0] for u in UNARY])
def test_unary_function(name, low, high):
    x = array((3, 4), "float32", low, high)
    check_op(lambda lib, t: getattr(lib, name)(t), x)


@pytest.mark.parametrize("name,low,high", UNARY, ids=[u[0] for u in UNARY])
def test_unary_method_float64_and_0d(name, low, high):
    check_op(lambda lib, t: getattr(t, name)(), array((5,), "float64", low, high))
    check_op(lambda lib, t: getattr(t, name)(), array((), "float32", low, high, seed=3))


@pytest.mark.parametrize("name,low,high", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64", "float16"])
def test_unary_dtypes(name, low, high, dtype):
    """Integer and bool inputs: the result dtype (or PyTorch's refusal) matches."""
    if dtype == "float16" and name in ("erfinv", "lgamma", "digamma"):
        pytest.skip("PyTorch's float16 CPU kernels for these round differently")
    x = array((6,), dtype, low, high, seed=2)
    if dtype == "uint8":
        x = np.clip(x, 0, None)
    check_same(lambda lib, t: getattr(lib, name)(t), x)


def test_unary_special_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e30], dtype=np.float32)
    for name in ("abs", "exp", "log", "sqrt", "sign", "sigmoid", "tanh", "relu", "floor", "round", "reciprocal",
                 "rsqrt", "nan_to_num", "frac", "erf", "log1p", "expm1", "atan", "sinc"):
        check_same(lambda lib, t: getattr(lib, name)(t), x)
    check_same(lambda lib, t: lib.nan_to_num(t, nan=1.5, posinf=2.0, neginf=-3.0), x)
    check_same(lambda lib, t: t.round(), np.array([0.5, 1.5, 2.5, -0.5, -2.5], np.float32))


def test_round_decimals():
    x = np.array([1.25, 1.35, -2.675, 123.456, 0.05], dtype=np.float32)
    for d in (1, 2, -1):
        check_op(lambda lib, t: t.round(decimals=d), x, gradcheck_=False)
    check_error(lambda lib: lib.tensor([1, 2]).round(decimals=1))


def test_unary_out_argument():
    x = array((2, 3))
    for lib in (torch, huoba):
        out = lib.empty(2, 3)
        r = lib.exp(lib.tensor(x), out=out)
        assert r is out
    h = huoba.empty(2, 3)
    t = torch.empty(2, 3)
    huoba.sin(huoba.tensor(x), out=h)
    torch.sin(torch.tensor(x), out=t)
    np.testing.assert_allclose(h.numpy(), t.numpy(), rtol=1e-6)


# ---- binary arithmetic ---------------------------------------------------------------
BINARY = {
    "add": lambda lib, a, b: lib.add(a, b),
    "add_alpha": lambda lib, a, b: lib.add(a, b, alpha=2.5),
    "sub": lambda lib, a, b: lib.sub(a, b),
    "sub_alpha": lambda lib, a, b: a.sub(b, alpha=-3),
    "mul": lambda lib, a, b: lib.mul(a, b),
    "div": lambda lib, a, b: lib.div(a, b),
    "true_divide": lambda lib, a, b: lib.true_divide(a, b),
    "divide": lambda lib, a, b: a.divide(b),
    "rsub": lambda lib, a, b: lib.rsub(a, b),
    "remainder": lambda lib, a, b: lib.remainder(a, b),
    "fmod": lambda lib, a, b: lib.fmod(a, b),
    "pow": lambda lib, a, b: lib.pow(a.abs() + 0.5, b),
    "atan2": lambda lib, a, b: lib.atan2(a, b),
    "maximum": lambda lib, a, b: lib.maximum(a, b),
    "minimum": lambda lib, a, b: lib.minimum(a, b),
    "fmax": lambda lib, a, b: lib.fmax(a, b),
    "fmin": lambda lib, a, b: lib.fmin(a, b),
    "hypot": lambda lib, a, b: lib.hypot(a, b),
    "logaddexp": lambda lib, a, b: lib.logaddexp(a, b),
    "copysign": lambda lib, a, b: lib.copysign(a, b),
    "xlogy": lambda lib, a, b: lib.xlogy(a, b.abs() + 0.1),
    "op_add": lambda lib, a, b: a + b, "op_sub": lambda lib, a, b: a - b, "op_mul": lambda lib, a, b: a * b,
    "op_truediv": lambda lib, a, b: a / b, "op_mod": lambda lib, a, b: a % b,
    "op_pow": lambda lib, a, b: (a.abs() + 0.5) ** b,
}


@pytest.mark.parametrize("name", list(BINARY))
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (3,)),
                                    ((3,), ())], ids=str)
def test_binary(name, shapes):
    a = array(shapes[0], "float32", -2, 2, seed=1)
    b = array(shapes[1], "float32", 0.5, 2, seed=2)
    if name not in ("remainder", "fmod", "op_mod", "div", "true_divide", "divide", "op_truediv", "pow",
                    "op_pow", "xlogy"):
        b = b * np.where(array(shapes[1], "float32", -1, 1, seed=5) < 0, -1, 1).astype(np.float32)
    check_op(BINARY[name], a, b)


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_float64(name):
    check_op(BINARY[name], array((2, 3), "float64", seed=3), array((2, 3), "float64", 0.5, 2, seed=4))


def test_maximum_minimum_ties_split_the_gradient():
    a = np.array([1.0, 2.0, 3.0, np.nan], np.float32)
    b = np.array([1.0, 3.0, 2.0, 1.0], np.float32)
    for name in ("maximum", "minimum", "fmax", "fmin"):
        check_op(lambda lib, x, y: getattr(lib, name)(x, y), a, b, gradcheck_=False)


def test_floor_divide_has_no_gradient():
    a, b = array((3,), seed=1), array((3,), low=0.5, seed=2)
    check_op(lambda lib, x, y: x // y, a, b, backward=False)
    check_op(lambda lib, x, y: lib.floor_divide(x, 2), a, b, backward=False)
    for lib in (torch, huoba):
        x = lib.tensor(a, requires_grad=True)
        y = lib.tensor(b)
        with pytest.raises(RuntimeError) as info:
            (x // y).sum().backward()
        if lib is torch:
            expected = str(info.value)
    assert str(info.value) == expected


def test_div_rounding_modes():
    a = np.array([5.5, -5.5, 7.0, -7.0, 0.3], np.float32)
    b = np.array([2.0, 2.0, -2.0, -2.0, 0.1], np.float32)
    for mode in ("trunc", "floor"):
        check_op(lambda lib, x, y: lib.div(x, y, rounding_mode=mode), a, b, gradcheck_=False)
        check_op(lambda lib, x, y: x.div(2.5, rounding_mode=mode), a, b, gradcheck_=False)
        ia, ib = np.array([7, -7, 7, -7, 0]), np.array([2, 2, -2, -2, 3])
        check_same(lambda lib, x, y: lib.div(x, y, rounding_mode=mode), ia, ib)
        check_same(lambda lib, x, y: lib.div(x, 3, rounding_mode=mode), ia, ib)
        check_same(lambda lib, x, y: lib.div(x, 2.5, rounding_mode=mode), ia, ib)
    check_error(lambda lib: lib.ones(2).div(2, rounding_mode="bad"))


def test_integer_division_by_zero():
    for f in (lambda lib: lib.tensor([5, -5]) // lib.tensor([0, 2]),
              lambda lib: lib.tensor([5, -5]) % 0,
              lambda lib: lib.tensor([5, -5]).fmod(0),
              lambda lib: lib.tensor([5, -5]).div(0, rounding_mode="trunc")):
        check_error(f)
    check_same(lambda lib: lib.tensor([5.0, -5.0, 0.0]) // 0)
    check_same(lambda lib: lib.tensor([5.0, -5.0, 0.0]) / 0)
    check_same(lambda lib: lib.tensor([5, -5, 0]) / 0)


def test_python_semantics_of_floor_division_and_remainder():
    a = np.array([7, -7, 7, -7, 3, -3], np.int64)
    b = np.array([2, 2, -2, -2, 5, 5], np.int64)
    for f in (operator.floordiv, operator.mod):
        check_same(lambda lib, x, y: f(x, y), a, b)
        check_same(lambda lib, x, y: f(x.float(), y.float()), a, b)
        check_same(lambda lib, x, y: f(x, 3), a, b)
        check_same(lambda lib, x, y: f(x, -2.5), a, b)
    check_same(lambda lib, x, y: lib.fmod(x, y), a, b)
    check_same(lambda lib, x, y: lib.fmod(x.double(), -2.5), a, b)


# ---- reflected operators and Python scalars -------------------------------------------------
SCALAR_OPS = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
    "floordiv": operator.floordiv, "mod": operator.mod, "pow": operator.pow,
}


@pytest.mark.parametrize("name", list(SCALAR_OPS))
@pytest.mark.parametrize("scalar", [2, 2.5, -1, True, 0.5])
def test_scalar_and_reflected_forms(name, scalar):
    op = SCALAR_OPS[name]
    x = array((2, 3), "float32", 0.5, 2)
    grad = name not in ("floordiv",)
    check_op(lambda lib, t: op(t, scalar), x, backward=grad, gradcheck_=grad)
    rgrad = grad and name != "mod"
    if name != "pow" or (scalar is not True and scalar > 0):  # torch: True ** t fails; (-1) ** t is nan
        check_op(lambda lib, t: op(scalar, t), x, backward=rgrad, gradcheck_=rgrad)
    xi = array((2, 3), "int64", 1, 4)
    check_same(lambda lib, t: op(t, scalar), xi)
    if name != "pow" or scalar is not True:
        check_same(lambda lib, t: op(scalar, t), xi)


def test_scalar_grad_fn_names():
    x = array((3,), low=0.5)
    for f in (lambda lib, t: 1 - t, lambda lib, t: 2 / t, lambda lib, t: 2 ** t, lambda lib, t: t ** 2,
              lambda lib, t: t ** 0.5, lambda lib, t: t ** -1, lambda lib, t: t ** 3, lambda lib, t: t % 2,
              lambda lib, t: t.fmod(2), lambda lib, t: t * True, lambda lib, t: t + True,
              lambda lib, t: t.rsub(2), lambda lib, t: lib.rsub(t, 2, alpha=3)):
        check_op(f, x)


# ---- the dtype promotion matrix ----------------------------------------------------------
PROMOTION_OPS = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
    "floordiv": operator.floordiv, "mod": operator.mod, "pow": operator.pow, "and": operator.and_,
    "or": operator.or_, "xor": operator.xor, "eq": operator.eq, "lt": operator.lt, "ge": operator.ge,
    "maximum": lambda a, b: (torch if isinstance(a, torch.Tensor) else huoba).maximum(a, b),
    "atan2": lambda a, b: (torch if isinstance(a, torch.Tensor) else huoba).atan2(a, b),
    "where": lambda a, b: (torch if isinstance(a, torch.Tensor) else huoba).where(
        (torch if isinstance(a, torch.Tensor) else huoba).ones(a.shape, dtype=torch.bool if isinstance(
            a, torch.Tensor) else huoba.bool), a, b),
}
_BASE = np.array([[1, 2, 3], [0, 5, 7]])


def _typed(lib, dt, zero_dim):
    a = np.array(3) if zero_dim else _BASE
    a = (a % 2 == 1) if dt == "bool" else a
    return lib.tensor(np.asarray(a).astype(dt))


def _compare(name, ht, tt):
    h, t = run_both(lambda lib: ht(), (), ())
    if isinstance(t, Exception):
        assert_same_error(h, t)
    else:
        assert_same(h, t, check_grad_fn=False, where=name)


@pytest.mark.parametrize("name", list(PROMOTION_OPS))
def test_dtype_promotion_matrix(name):
    """Every pair of dtypes, dimensioned and zero-dimensional, and every kind of Python scalar:
    same result dtype and values as PyTorch, or the same error."""
    op = PROMOTION_OPS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for d1 in DTYPES:
            for d2 in DTYPES:
                for z1, z2 in ((False, False), (False, True), (True, False), (True, True)):
                    h1, h2 = _typed(huoba, d1, z1), _typed(huoba, d2, z2)
                    t1, t2 = _typed(torch, d1, z1), _typed(torch, d2, z2)
                    h, t = run_both(lambda lib, a, b: op(a, b), (h1, h2), (t1, t2))
                    where = f"{name}({d1}{'()' if z1 else ''}, {d2}{'()' if z2 else ''})"
                    if isinstance(t, Exception):
                        assert_same_error(h, t)
                    else:
                        assert_same(h, t, check_grad_fn=False, where=where)
            if name in ("maximum", "atan2", "where"):
                continue
            for scalar in (True, False, 2, -1, 0, 300, 2.5, -0.0):
                for z in (False, True):
                    h1, t1 = _typed(huoba, d1, z), _typed(torch, d1, z)
                    for args_h, args_t, where in (((h1, scalar), (t1, scalar), f"{name}({d1}, {scalar!r})"),
                                                  ((scalar, h1), (scalar, t1), f"{name}({scalar!r}, {d1})")):
                        h, t = run_both(lambda lib, a, b: op(a, b), args_h, args_t)
                        if isinstance(t, Exception):
                            assert_same_error(h, t)
                        else:
                            assert_same(h, t, check_grad_fn=False, where=where)


def test_default_dtype_changes_promotion():
    huoba.set_default_dtype(huoba.float64)
    torch.set_default_dtype(torch.float64)
    try:
        for f in (lambda lib: lib.tensor([1, 2]) * 2.5, lambda lib: lib.tensor([1, 2]) / 2,
                  lambda lib: lib.tensor([1, 2]).exp(), lambda lib: lib.tensor([1.0, 2.0]),
                  lambda lib: lib.tensor([1, 2], dtype=lib.float32) + 1.5, lambda lib: lib.arange(0.0, 1, 0.25)):
            check_same(f)
    finally:
        torch.set_default_dtype(torch.float32)


def test_float16_arithmetic():
    a = array((4,), "float16", -3, 3, seed=1)
    b = array((4,), "float16", 0.5, 3, seed=2)
    for f in (operator.add, operator.mul, operator.truediv, operator.sub):
        check_same(lambda lib, x, y: f(x, y), a, b)
        check_same(lambda lib, x, y: f(x, 1.5), a, b)
        check_same(lambda lib, x, y: f(x, y.float()), a, b)
    check_same(lambda lib, x, y: x + 100000, a, b)
    check_same(lambda lib, x, y: x * lib.tensor(3), a, b)


def test_uint8_int8_mixing_and_wraparound():
    u = np.array([0, 1, 200, 255], np.uint8)
    i = np.array([-128, -1, 5, 127], np.int8)
    for f in (operator.add, operator.sub, operator.mul, operator.floordiv):
        check_same(lambda lib, x, y: f(x, y), u, np.where(i == 0, 1, i).astype(np.int8))
    check_same(lambda lib, x, y: x + 300, u, i)
    check_same(lambda lib, x, y: x - 1, u, i)
    check_same(lambda lib, x, y: y * 2, u, i)
    check_same(lambda lib, x, y: x == -1, u, i)
    check_same(lambda lib, x, y: -x, u, i)


def test_alpha_rules():
    check_error(lambda lib: lib.tensor([1, 2]).add(lib.tensor([1, 2]), alpha=2.5))
    check_same(lambda lib: lib.tensor([1.0, 2.0]).add(lib.tensor([1, 2]), alpha=2.5))
    check_same(lambda lib: lib.tensor([1, 2]).sub(1, alpha=2))


# ---- comparisons, logic, bitwise ---------------------------------------------------------------
COMPARE = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "less_equal", "not_equal"]


@pytest.mark.parametrize("name", COMPARE)
def test_comparisons(name):
    a = np.array([[1.0, 2.0, np.nan], [3.0, -1.0, 2.0]], np.float32)
    b = np.array([1.0, 3.0, np.nan], np.float32)
    check_same(lambda lib, x, y: getattr(lib, name)(x, y), a, b)
    check_same(lambda lib, x, y: getattr(x, name)(2), a, b)
    check_same(lambda lib, x, y: getattr(x.long(), name)(1.5), a, b)
    check_op(lambda lib, x, y: getattr(x, name)(y), a, b)  # no grad_fn, no requires_grad


def test_comparison_operators_and_item():
    p = np.array([1, 2, 3, 2])
    q = np.array([1, 0, 3, 2])
    check_same(lambda lib, x, y: ((x == y).sum().item(), (x != y).any().item(), (x < 2).tolist()), p, q)
    t = huoba.tensor([1, 2])
    assert (t == None) is False and (t != None) is True  # noqa: E711
    assert (t == "a") is False


LOGIC = ["logical_and", "logical_or", "logical_xor"]


@pytest.mark.parametrize("name", LOGIC)
def test_logical(name):
    a = np.array([0.0, 1.5, -2.0, 0.0], np.float32)
    b = np.array([0, 0, 3, 1])
    check_same(lambda lib, x, y: getattr(lib, name)(x, y), a, b)
    check_same(lambda lib, x, y: getattr(x, name)(y.bool()), a, b)
    check_error(lambda lib: getattr(lib, name)(lib.ones(2), 1))
    check_same(lambda lib, x: lib.logical_not(x), a)


@pytest.mark.parametrize("op", [operator.and_, operator.or_, operator.xor])
def test_bitwise(op):
    a = np.array([0b1100, 7, -3, 0], np.int32)
    b = np.array([0b1010, 1, 5, -1], np.int64)
    check_same(lambda lib, x, y: op(x, y), a, b)
    check_same(lambda lib, x, y: op(x, 6), a, b)
    check_same(lambda lib, x, y: op(6, x), a, b)
    check_same(lambda lib, x, y: op(x > 0, y > 0), a, b)
    check_same(lambda lib, x, y: op(x > 0, True), a, b)
    check_error(lambda lib: op(lib.ones(2), lib.ones(2)))
    check_error(lambda lib: op(lib.ones(2, dtype=lib.int64), 1.5))


def test_bitwise_not_and_shifts():
    a = np.array([0, 1, -2, 127], np.int8)
    check_same(lambda lib, x: ~x, a)
    check_same(lambda lib, x: ~(x > 0), a)
    check_same(lambda lib, x: x << 1, a)
    check_same(lambda lib, x: x.long() >> 1, a)
    check_same(lambda lib, x: lib.bitwise_not(x.to(lib.uint8)), a)
    check_error(lambda lib: lib.ones(2).bitwise_not())


def test_isnan_family_and_closeness():
    x = np.array([1.0, np.nan, np.inf, -np.inf, -0.0, 1e-9], np.float32)
    y = np.array([1.0, np.nan, np.inf, np.inf, 0.0, 0.0], np.float32)
    for name in ("isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit"):
        check_same(lambda lib, a: getattr(lib, name)(a), x)
        check_same(lambda lib, a: getattr(lib, name)(a), np.array([1, 2]))
    check_same(lambda lib, a, b: lib.isclose(a, b), x, y)
    check_same(lambda lib, a, b: lib.isclose(a, b, equal_nan=True), x, y)
    check_same(lambda lib, a, b: lib.isclose(a, b, rtol=0.1, atol=0.5), x, y)
    check_same(lambda lib, a, b: lib.allclose(a[:1], b[:1]), x, y)
    check_same(lambda lib, a, b: lib.allclose(a, b, equal_nan=True), x, y)
    check_same(lambda lib: lib.isclose(lib.tensor([1, 2]), lib.tensor([1, 3])))
    check_error(lambda lib: lib.isclose(lib.ones(2), lib.ones(2, dtype=lib.float64)))


def test_equal_is_tensor_numel():
    for f in (lambda lib: lib.equal(lib.tensor([1.0, 2.0]), lib.tensor([1, 2])),
              lambda lib: lib.equal(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0, 3.0])),
              lambda lib: lib.equal(lib.ones(2, 3), lib.ones(2, 3)),
              lambda lib: lib.equal(lib.tensor([float("nan")]), lib.tensor([float("nan")])),
              lambda lib: lib.is_tensor(lib.ones(1)), lambda lib: lib.is_tensor([1]),
              lambda lib: lib.numel(lib.ones(2, 3)), lambda lib: lib.ones(2, 3).numel(),
              lambda lib: lib.ones(4, 3).nelement()):
        check_same(f)


# ---- where / clamp / lerp / addcmul / addcdiv ----------------------------------------------------
def test_where():
    c = np.array([[True, False, True], [False, False, True]])
    a = array((2, 3), seed=1)
    b = array((3,), seed=2)
    check_op(lambda lib, m, x, y: lib.where(m, x, y), c, a, b)
    check_op(lambda lib, m, x, y: lib.where(m, x, 0.0), c, a, b)
    check_op(lambda lib, m, x, y: lib.where(m, 2.5, y), c, a, b)
    check_op(lambda lib, m, x, y: x.where(m, y), c, a, b)
    check_same(lambda lib, m: lib.where(m, 1, 0), c)
    check_same(lambda lib, m: lib.where(m, 1.0, 0), c)
    check_same(lambda lib, m: lib.where(m, lib.tensor([1, 2, 3]), 2.5), c)
    check_same(lambda lib, m, y: lib.where(m, lib.ones(3, dtype=lib.float64), y), c, b)
    check_same(lambda lib, m: lib.where(m), c)
    check_error(lambda lib: lib.where(lib.ones(2), lib.ones(2), lib.ones(2)))
    check_error(lambda lib: lib.where(lib.ones(2, dtype=lib.bool), lib.ones(3), lib.ones(2)))


def test_clamp():
    x = array((3, 4), seed=1)
    lo = array((4,), low=-1, high=0, seed=2)
    hi = array((3, 1), low=0, high=1, seed=3)
    for f in (lambda lib, t, a, b: t.clamp(-0.5, 0.5), lambda lib, t, a, b: lib.clamp(t, min=0.1),
              lambda lib, t, a, b: lib.clamp(t, max=0.3), lambda lib, t, a, b: lib.clip(t, -1, 1),
              lambda lib, t, a, b: t.clamp_min(0.2), lambda lib, t, a, b: t.clamp_max(0.2),
              lambda lib, t, a, b: t.clamp(a, b), lambda lib, t, a, b: t.clamp(min=a),
              lambda lib, t, a, b: t.clamp(max=b), lambda lib, t, a, b: t.clamp(1.0, -1.0)):
        check_op(f, x, lo, hi)
    check_same(lambda lib: lib.tensor([1, 2, 3]).clamp(0.5))
    check_same(lambda lib: lib.tensor([1, 2, 3]).clamp(0, 2))
    check_same(lambda lib: lib.tensor([1, 2, 3]).clamp(lib.tensor(1.5)))
    check_same(lambda lib: lib.tensor([float("nan"), 2.0]).clamp(0, 1))
    check_error(lambda lib: lib.clamp(lib.ones(2)))


def test_lerp_addcmul_addcdiv():
    a, b, w = array((2, 3), seed=1), array((2, 3), seed=2), array((3,), low=0, high=1, seed=3)
    check_op(lambda lib, x, y, z: lib.lerp(x, y, 0.3), a, b, w)
    check_op(lambda lib, x, y, z: x.lerp(y, 0.8), a, b, w)
    check_op(lambda lib, x, y, z: lib.lerp(x, y, z), a, b, w)
    check_error(lambda lib: lib.lerp(lib.ones(2), lib.ones(2, dtype=lib.float64), 0.5))
    check_error(lambda lib: lib.lerp(lib.ones(2, dtype=lib.int64), lib.ones(2, dtype=lib.int64), 0.5))
    c = array((2, 3), low=0.5, high=2, seed=4)
    check_op(lambda lib, x, y, z: lib.addcmul(x, y, z), a, b, w)
    check_op(lambda lib, x, y, z: x.addcmul(y, z, value=-2), a, b, w)
    check_op(lambda lib, x, y, z: lib.addcdiv(x, y, z), a, b, c)
    check_op(lambda lib, x, y, z: x.addcdiv(y, z, value=0.5), a, b, c)
    check_error(lambda lib: lib.addcdiv(lib.tensor([1, 2]), lib.tensor([1, 2]), lib.tensor([1, 2])))
    check_same(lambda lib: lib.addcmul(lib.tensor([1, 2]), lib.tensor([3, 4]), lib.tensor([5, 6]), value=2))


# ---- errors --------------------------------------------------------------------------------
def test_error_messages():
    for f in (lambda lib: lib.ones(2) + lib.ones(3),
              lambda lib: lib.ones(2, 3) * lib.ones(4, 1, 2),
              lambda lib: lib.ones(2, dtype=lib.bool) - lib.ones(2, dtype=lib.bool),
              lambda lib: lib.ones(2, dtype=lib.bool) - 1,
              lambda lib: 1 - lib.ones(2, dtype=lib.bool),
              lambda lib: -lib.ones(2, dtype=lib.bool),
              lambda lib: lib.ones(2, dtype=lib.bool).abs(),
              lambda lib: lib.ones(2, dtype=lib.bool).relu(),
              lambda lib: lib.ones(2, dtype=lib.int64).frac(),
              lambda lib: lib.ones(2, dtype=lib.bool).floor(),
              lambda lib: lib.tensor([1, 2]) ** -1,
              lambda lib: lib.maximum(lib.ones(2), 1),
              lambda lib: lib.atan2(lib.ones(2), 2.0),
              lambda lib: lib.exp([1.0]),
              lambda lib: lib.tensor([1, 2]) + 2 ** 70):
        check_error(f)


# ---- in-place arithmetic operators ---------------------------------------------------------------
INPLACE = [("iadd", operator.iadd), ("isub", operator.isub), ("imul", operator.imul),
           ("itruediv", operator.itruediv), ("ipow", operator.ipow)]


@pytest.mark.parametrize("name,op", INPLACE, ids=[i[0] for i in INPLACE])
@pytest.mark.parametrize("other", ["tensor", "row", "int", "float", "double_tensor"])
def test_inplace_operators(name, op, other):
    def fn(lib, x, y):
        x = x.clone()
        version = x._version
        alias = x
        operand = {"tensor": y, "row": y[0], "int": 2, "float": 0.5, "double_tensor": y.double()}[other]
        x = op(x, operand)
        assert x is alias and x._version == version + 1
        return x

    check_same(fn, array((2, 3), low=0.5), array((2, 3), low=0.5, seed=2))


def test_inplace_dtype_rules():
    for f in (lambda lib: lib.ones(2, dtype=lib.int64).add_(1.5),
              lambda lib: lib.ones(2, dtype=lib.int64).mul_(lib.ones(2)),
              lambda lib: lib.ones(2, dtype=lib.bool).add_(1),
              lambda lib: lib.ones(2, dtype=lib.int64).div_(2),
              lambda lib: lib.ones(2).add_(lib.ones(3)),
              lambda lib: lib.ones(2).add_(lib.ones(2, 2)),
              lambda lib: lib.ones(1, 3).expand(2, 3).add_(1)):
        check_error(f)

    def ok(lib):
        a = lib.ones(3, dtype=lib.int64)
        a += 2
        a *= lib.tensor([1, 2, 3], dtype=lib.int32)
        b = lib.ones(3)
        b += lib.tensor([1, 2, 3])
        b /= 4
        c = lib.ones(3, dtype=lib.uint8)
        c -= 2
        d = lib.ones(3, dtype=lib.float16)
        d += lib.ones(3, dtype=lib.float64) / 3
        e = lib.tensor([7, -7])
        e.div_(2, rounding_mode="floor")
        f = lib.zeros(2, 3)
        f.add_(lib.arange(3.0))
        return a, b, c, d, e, f

    check_same(ok)


def test_inplace_method_family():
    x = array((2, 3), low=0.2, high=0.9)
    for name in ("exp_", "sqrt_", "neg_", "abs_", "sigmoid_", "tanh_", "floor_", "round_", "relu_", "sin_",
                 "reciprocal_", "log_", "square_", "sign_", "trunc_", "frac_"):
        check_same(lambda lib, t: getattr(t.clone(), name)(), x)
    check_same(lambda lib, t: t.clone().clamp_(0.3, 0.6), x)
    check_same(lambda lib, t: t.clone().pow_(2), x)
    check_same(lambda lib, t: t.clone().lerp_(lib.zeros(3), 0.25), x)
    check_same(lambda lib, t: t.clone().addcmul_(t, t, value=2), x)
    check_same(lambda lib, t: t.clone().fill_(3), x)
    check_same(lambda lib, t: t.clone().zero_(), x)
    check_same(lambda lib, t: t.long().fill_(2.7), x)
    check_same(lambda lib, t: t.clone().fill_(lib.tensor(1.5)), x)
    check_error(lambda lib: lib.ones(2).fill_(lib.ones(2)))
    check_same(lambda lib, t: t.clone().eq_(t), x)
    check_same(lambda lib, t: (t > 0.5).logical_not_(), x)


# ---- hypothesis: shapes and broadcasting for the core ops -----------------------------------------
_FAST = settings(max_examples=25, deadline=None)


@_FAST
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       name=st.sampled_from(["add", "sub", "mul", "div", "maximum", "pow", "atan2", "op_sub", "op_mul"]),
       dtype=st.sampled_from(["float32", "float64"]), seed=st.integers(0, 1000))
def test_hypothesis_binary_broadcasting(shapes, name, dtype, seed):
    a = array(shapes.input_shapes[0], dtype, -2, 2, seed=seed)
    b = array(shapes.input_shapes[1], dtype, 0.5, 2, seed=seed + 1)
    check_op(BINARY[name], a, b, gradcheck_=seed % 5 == 0)


@_FAST
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
       name=st.sampled_from(["exp", "tanh", "sigmoid", "sin", "abs", "relu", "neg", "square", "log1p"]),
       dtype=st.sampled_from(["float32", "float64", "int32", "int64", "bool"]), seed=st.integers(0, 1000))
def test_hypothesis_unary(shape, name, dtype, seed):
    x = array(shape, dtype, -0.9, 2, seed=seed)
    if dtype in ("float32", "float64"):
        check_op(lambda lib, t: getattr(lib, name)(t), x, gradcheck_=False)
    else:
        check_same(lambda lib, t: getattr(lib, name)(t), x)


@_FAST
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       d1=st.sampled_from(DTYPES), d2=st.sampled_from(DTYPES),
       name=st.sampled_from(["add", "mul", "truediv", "eq", "lt", "maximum", "where"]))
def test_hypothesis_mixed_dtypes(shapes, d1, d2, name):
    op = PROMOTION_OPS[name]
    a = array(shapes.input_shapes[0], d1, 1, 3, seed=1)
    b = array(shapes.input_shapes[1], d2, 1, 3, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_same(lambda lib, x, y: op(x, y), a, b)


def test_second_order_gradients():
    x = array((2, 3), low=0.5, high=1.5)
    y = array((2, 3), low=0.5, high=1.5, seed=2)
    for f in (lambda lib, a, b: a * b, lambda lib, a, b: a / b, lambda lib, a, b: a ** b,
              lambda lib, a, b: (a.exp() + b.sin()).tanh(), lambda lib, a, b: lib.atan2(a, b),
              lambda lib, a, b: a.sqrt() * b.rsqrt(), lambda lib, a, b: lib.maximum(a, b) * a,
              lambda lib, a, b: lib.where(a > 1, a * a, b.log())):
        check_op(f, x, y, gradgradcheck_=True)

"""Element-wise ops: arithmetic, math functions, comparisons, logic.

Binary ops promote their operands with PyTorch's rules (`dtypes.result_type`):
Python scalars and zero-dimensional tensors only count when they raise the
category (bool < integer < float), integer true division gives the default
float dtype, and a Python int is cast (wrapping) to an integer tensor's dtype.
The operands are brought to the result dtype before NumPy sees them, so NumPy's
own promotion never decides anything.  Broadcasting gradients are summed back
by the engine, so each backward here only states the calculus.
"""
import builtins
import math
import warnings

import numpy as np

from .. import dtypes
from ..autograd.function import Function
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor, _wrap
from ._util import array_module, check_same_device

_PROMOTE = dtypes._PROMOTE
_FROM_NUMPY = dtypes._FROM_NUMPY
_LABEL = dtypes.LABEL
_ndarray = np.ndarray
_generic = np.generic
_INT_RANGE = {np.dtype(t): (np.iinfo(t).min, np.iinfo(t).max)
              for t in (np.uint8, np.int8, np.int16, np.int32, np.int64)}


def _arr(x):
    """NumPy returns scalars for some 0-d results; a Tensor always holds an array."""
    return np.asarray(x) if isinstance(x, _generic) else x


def _typename(value):
    """A value's type as PyTorch's argument errors print it (`int`, `numpy.float32`)."""
    t = type(value)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _type_error(name, arg, pos, value):
    return TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not {_typename(value)}")


# ---- operand preparation -------------------------------------------------------
def _promote_pair(a, b):
    """Arrays of Tensors `a` and `b` converted to their PyTorch result dtype."""
    ad, bd = a._data, b._data
    if type(ad) is not type(bd):
        check_same_device(a, b)
    if ad.ndim and bd.ndim:
        rt = _PROMOTE[_FROM_NUMPY[ad.dtype], _FROM_NUMPY[bd.dtype]].np
    else:
        rt = dtypes.result_type((a, b)).np
    return (ad if ad.dtype == rt else ad.astype(rt)), (bd if bd.dtype == rt else bd.astype(rt))


def _scalar_operand(ad, s):
    """(array, scalar) for an op of array `ad` with Python scalar `s`, in PyTorch's result dtype.

    The scalar stays a Python number: NumPy then treats it as 'weak' and keeps the
    array's dtype, which is what PyTorch does once the array has the right category.
    """
    t = type(s)
    kind = ad.dtype.kind
    if t is float:
        if kind != "f":
            ad = ad.astype(dtypes._default_float.np)
        return ad, s
    if t is int:
        if kind == "b":
            ad = ad.astype(np.int64)
            kind = "i"
        if kind != "f":
            lo, hi = _INT_RANGE[ad.dtype]
            if not lo <= s <= hi:
                s = _wrap_int(s, ad.dtype)
        return ad, s
    if t is bool:
        return ad, s
    if isinstance(s, (_generic, np.ndarray)) and np.ndim(s) == 0:
        return _scalar_operand(ad, s.item())
    if isinstance(s, (int, float)):  # subclasses (numbers from other libraries)
        return _scalar_operand(ad, (float if isinstance(s, float) else int)(s))
    raise TypeError(f"unsupported operand type(s) for Tensor and '{t.__name__}'")


def _wrap_int(s, np_dtype):
    """An out-of-range Python int cast to an integer dtype with wraparound, as PyTorch does."""
    if not -2 ** 63 <= s < 2 ** 64:
        raise OverflowError("int too big to convert")
    return np.array(s & 0xFFFFFFFFFFFFFFFF, dtype=np.uint64).astype(np_dtype)[()]


def _operands(a, b):
    """(array a, array-or-scalar b) promoted for an op on Tensor `a` and `b`."""
    if isinstance(b, Tensor):
        ad, bd = a._data, b._data
        if ad.dtype == bd.dtype:
            if type(ad) is not type(bd):
                check_same_device(a, b)
            return ad, bd
        return _promote_pair(a, b)
    if isinstance(b, np.ndarray) and b.ndim:
        return _operands(a, _wrap(b))
    return _scalar_operand(a._data, b)


def _result_dtype(a, b):
    """The huoba dtype of a binary op on Tensor `a` and `b` (tensor or scalar)."""
    if isinstance(b, Tensor):
        return dtypes.result_type((a, b))
    return dtypes.result_type((a,), (b,))


def result_type(tensor1, tensor2):
    """`torch.result_type`: the dtype of an arithmetic op on these operands (Tensors or numbers)."""
    tensors = [t for t in (tensor1, tensor2) if isinstance(t, Tensor)]
    scalars = [s for s in (tensor1, tensor2) if not isinstance(s, Tensor)]
    return dtypes.result_type(tensors, scalars)


def can_cast(from_, to):
    """`torch.can_cast`: whether PyTorch's in-place ops may cast `from_` into `to`."""
    return not ((from_.is_floating_point and not to.is_floating_point) or (
        from_ is not dtypes.bool and to is dtypes.bool))


def _broadcast_error(*shapes):
    """PyTorch's message for shapes that do not broadcast (it scans from the last dim)."""
    nd = max(len(s) for s in shapes)
    padded = [(1,) * (nd - len(s)) + tuple(s) for s in shapes]
    for d in range(nd - 1, -1, -1):
        sizes = [p[d] for p in padded]
        big = [s for s in sizes if s != 1]
        if len(set(big)) > 1:
            a = sizes[0] if sizes[0] != 1 else big[0]
            b = next(s for s in sizes[1:] if s != 1 and s != a) if sizes[0] != 1 else big[1]
            return RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                                f"non-singleton dimension {d}")
    return RuntimeError("shapes cannot be broadcast")


def _shape_of(x):
    return getattr(x, "shape", ())


def _call(ufunc, ad, bd):
    try:
        return ufunc(ad, bd)
    except ValueError:
        raise _broadcast_error(_shape_of(ad), _shape_of(bd)) from None


def _check_cast(out_dtype, self):
    """In-place ops keep `self`'s dtype; a result of a higher category can't be cast into it."""
    sk, ok = self._data.dtype.kind, out_dtype.kind
    if (ok == "f" and sk != "f") or (ok in "iu" and sk == "b"):
        raise RuntimeError(f"result type {_LABEL[out_dtype]} can't be cast to the desired output type "
                           f"{_LABEL[self._data.dtype]}")


def _label(np_dtype):
    return _LABEL[np.dtype(np_dtype)]


def _not_implemented(kernel, np_dtype):
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_LABEL[np.dtype(np_dtype)]}'")


def _out(out, result):
    """Write `result` into a user-given `out=` tensor (PyTorch resizes it if needed)."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if result._data.dtype != out._data.dtype:
        _check_cast(result._data.dtype, out)
    if out._data.shape != result._data.shape:
        out._data = result._data.astype(out._data.dtype, copy=True)
    else:
        out._data[...] = result._data
    out._bump_version()
    return out


def _cast_view(t, array):
    """`t` converted to `array`'s dtype, differentiably (ToCopyBackward0)."""
    if t._data is array or t._data.dtype == array.dtype:
        return t
    return ToCopy.apply(t, array.dtype)


class ToCopy(Function):
    _name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, a, np_dtype):
        ctx.src = a.dtype
        return a.astype(np_dtype)

    @staticmethod
    def backward(ctx, g):
        return g.to(_FROM_NUMPY[ctx.src]), None


def _recording(a, b=None):
    return GradMode.enabled and (a._requires_grad or (isinstance(b, Tensor) and b._requires_grad))


def _apply_binary(node_t, node_s, a, b, ad, bd, *extra):
    """Record node_t(a, b) (two tensors) or node_s(a, scalar), casting inputs differentiably."""
    if isinstance(b, Tensor):
        return node_t.apply(_cast_view(a, ad), _cast_view(b, bd), *extra)
    return node_s.apply(_cast_view(a, ad), bd, *extra)


# ---- add / sub / mul / div -----------------------------------------------------------
class Add(Function):
    _name = "AddBackward0"

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        return _arr(_call(np.add, a, b) if alpha == 1 else a + b * alpha)

    @staticmethod
    def backward(ctx, g):
        return g, (g if ctx.alpha == 1 else g * ctx.alpha), None


class Sub(Function):
    _name = "SubBackward0"

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        return _arr(_call(np.subtract, a, b) if alpha == 1 else a - b * alpha)

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.alpha == 1 else g * -ctx.alpha), None


class Rsub(Function):
    """other - alpha * self, for a tensor `other` (`torch.rsub(self, other)`)."""
    _name = "RsubBackward0"

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        return _arr(_call(np.subtract, b, a if alpha == 1 else a * alpha))

    @staticmethod
    def backward(ctx, g):
        return (-g if ctx.alpha == 1 else g * -ctx.alpha), g, None


class RsubScalar(Function):
    """scalar - alpha * tensor"""
    _name = "RsubBackward1"

    @staticmethod
    def forward(ctx, a, s, alpha=1):
        ctx.alpha = alpha
        return _arr(s - a if alpha == 1 else s - a * alpha)

    @staticmethod
    def backward(ctx, g):
        return (-g if ctx.alpha == 1 else g * -ctx.alpha), None, None


class Mul(Function):
    _name = "MulBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _arr(_call(np.multiply, a, b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g * b if need[0] else None), (g * a if need[1] else None)


class MulScalar(Function):
    _name = "MulBackward0"

    @staticmethod
    def forward(ctx, a, s):
        ctx.scalar = s
        return _arr(a * s)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.scalar, None


class Div(Function):
    _name = "DivBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _arr(_call(np.true_divide, a, b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = g / b if need[0] else None
        gb = -g * a / (b * b) if need[1] else None
        return ga, gb


class DivScalar(Function):
    _name = "DivBackward0"

    @staticmethod
    def forward(ctx, a, s):
        ctx.scalar = s
        return _arr(a / s)

    @staticmethod
    def backward(ctx, g):
        return g / ctx.scalar, None


def _binary(a, b, ufunc, node_t, node_s):
    """The shared body of add/sub/mul/div: promote, then compute directly or record a node."""
    if isinstance(b, Tensor):
        ad, bd = a._data, b._data
        if ad.dtype != bd.dtype or type(ad) is not type(bd):
            ad, bd = _promote_pair(a, b)
        if GradMode.enabled and (a._requires_grad or b._requires_grad):
            return node_t.apply(_cast_view(a, ad), _cast_view(b, bd))
        try:
            out = ufunc(ad, bd)
        except ValueError:
            raise _broadcast_error(ad.shape, bd.shape) from None
    else:
        ad, bd = _operands(a, b)
        if GradMode.enabled and a._requires_grad:
            return node_s.apply(_cast_view(a, ad), bd)
        out = ufunc(ad, bd)
    return _wrap(out if type(out) is _ndarray else _arr(out))


def _check_alpha(a, b, alpha):
    kind = _result_dtype(a, b).np.kind
    if isinstance(alpha, float) and kind != "f":
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    if isinstance(alpha, bool) and kind != "b":
        raise RuntimeError("Boolean alpha only supported for Boolean results.")


def add(input, other, *, alpha=1, out=None):
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            raise _type_error("add", "input", 1, input)
        input, other = other, input
    if alpha == 1 and type(alpha) is int:
        result = _binary(input, other, np.add, Add, Add)
    else:
        _check_alpha(input, other, alpha)
        ad, bd = _operands(input, other)
        if _recording(input, other):
            result = _apply_binary(Add, Add, input, other, ad, bd, alpha)
        else:
            result = _wrap(Add.forward(_SCRATCH, ad, bd, alpha))
    return result if out is None else _out(out, result)


def _check_bool_sub(a, b):
    a_bool = isinstance(a, bool) or (isinstance(a, Tensor) and a._data.dtype == np.bool_)
    b_bool = isinstance(b, bool) or (isinstance(b, Tensor) and b._data.dtype == np.bool_)
    if a_bool and b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if a_bool or b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def sub(input, other, *, alpha=1, out=None):
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            raise _type_error("sub", "input", 1, input)
        return _out(out, rsub(other, input, alpha=alpha))
    if input._data.dtype == np.bool_ or isinstance(other, bool) or (
            isinstance(other, Tensor) and other._data.dtype == np.bool_):
        _check_bool_sub(input, other)
    if alpha == 1 and type(alpha) is int:
        result = _binary(input, other, np.subtract, Sub, Sub)
    else:
        _check_alpha(input, other, alpha)
        ad, bd = _operands(input, other)
        if _recording(input, other):
            result = _apply_binary(Sub, Sub, input, other, ad, bd, alpha)
        else:
            result = _wrap(Sub.forward(_SCRATCH, ad, bd, alpha))
    return result if out is None else _out(out, result)


subtract = sub


def rsub(input, other, *, alpha=1):
    """`other - alpha * input` (what `scalar - tensor` computes)."""
    if input._data.dtype == np.bool_ or isinstance(other, bool) or (
            isinstance(other, Tensor) and other._data.dtype == np.bool_):
        _check_bool_sub(other, input)
    if alpha != 1:
        _check_alpha(input, other, alpha)
    ad, bd = _operands(input, other)
    if _recording(input, other):
        return _apply_binary(Rsub, RsubScalar, input, other, ad, bd, alpha)
    return _wrap(Rsub.forward(_SCRATCH, ad, bd, alpha))


def mul(input, other, *, out=None):
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            raise _type_error("mul", "input", 1, input)
        input, other = other, input
    result = _binary(input, other, np.multiply, Mul, MulScalar)
    return result if out is None else _out(out, result)


multiply = mul


def _to_float(a, b):
    """Integer (and bool) operands of a true division become the default float dtype."""
    if a._data.dtype.kind in "biu":
        fd = dtypes._default_float
        if isinstance(b, Tensor):
            if b._data.dtype.kind in "biu":
                a, b = a.to(fd), b.to(fd)
        elif not isinstance(b, float):
            a = a.to(fd)
    return a, b


def div(input, other, *, rounding_mode=None, out=None):
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            raise _type_error("div", "input", 1, input)
        if rounding_mode is None and other._data.dtype.kind != "f" and not isinstance(input, float):
            other = other.to(dtypes._default_float)
        sd, od = _reflected(input, other)
        input = _wrap(sd)
        if od is not other._data:
            other = _cast_view(other, od)
    if rounding_mode is None:
        input, other = _to_float(input, other)
        result = _binary(input, other, np.true_divide, Div, DivScalar)
    elif rounding_mode == "trunc" or rounding_mode == "floor":
        result = _rounding_div(input, other, rounding_mode)
    else:
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")
    return result if out is None else _out(out, result)


divide = div
true_divide = div


def _check_int_zero_div(bd):
    if getattr(bd, "dtype", None) is not None:
        if bd.dtype.kind in "biu" and not array_module(bd).all(bd):
            raise RuntimeError("ZeroDivisionError")
    elif not isinstance(bd, float) and bd == 0:
        raise RuntimeError("ZeroDivisionError")


def _reflected(s, t):
    """(scalar as a 0-d array, t's array), both in the dtype of `s op t` (s a Python number)."""
    if not isinstance(s, (int, float, bool, np.number, np.bool_)):
        raise _type_error("input", "input", 1, s)
    td, s2 = _scalar_operand(t._data, s)
    return array_module(td).asarray(s2, dtype=td.dtype), td


def _scalar_tensor_like(s, t):
    from .creation import tensor
    return tensor(s, device=t.device)


def rdiv(self, other):
    """`other / self` for a Python scalar `other`: PyTorch computes reciprocal(self) * other."""
    return mul(reciprocal(self), other)


class _ZeroGradBinary(Function):
    """Rounding ops: piecewise constant, so the gradient is zero wherever it exists."""
    _name = "DivBackward2"

    @staticmethod
    def forward(ctx, a, b, fn):
        return _arr(fn(a, b))

    @staticmethod
    def backward(ctx, g):
        return g * 0, (g * 0 if ctx.needs_input_grad[1] else None), None


class _ZeroGradScalar(_ZeroGradBinary):
    _name = "DivBackward2"

    @staticmethod
    def backward(ctx, g):
        return g * 0, None, None


def _trunc_div(a, b):
    xp = array_module(a)
    if a.dtype.kind == "f":
        return xp.trunc(a / b)
    q = xp.floor_divide(a, b)
    # floor and trunc differ where the exact quotient is negative and not whole
    fix = (xp.remainder(a, b) != 0) & ((a < 0) != (xp.asarray(b) < 0))
    return q + fix.astype(q.dtype)


def _floor_div(a, b):
    return array_module(a).floor_divide(a, b)


def _rounding_div(a, b, mode):
    fn = _trunc_div if mode == "trunc" else _floor_div
    ad, bd = _operands(a, b)
    if ad.dtype.kind in "iu":
        _check_int_zero_div(bd)
    elif ad.dtype.kind == "b":
        raise _not_implemented("div_trunc_cpu" if mode == "trunc" else "div_floor_cpu", ad.dtype)
    if _recording(a, b):
        return _apply_binary(_ZeroGradBinary, _ZeroGradScalar, a, b, ad, bd, fn)
    return _wrap(_arr(_call(fn, ad, bd)))


class _NotImplementedGrad(Function):
    """Forward works; backward raises: PyTorch's `NotImplemented` node."""
    _name = "NotImplemented"

    @staticmethod
    def forward(ctx, a, b, fn, opname):
        ctx.opname = opname
        return _arr(_call(fn, a, b))

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(f"derivative for aten::{ctx.opname} is not implemented")


def floor_divide(input, other, *, out=None):
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            raise _type_error("floor_divide", "input", 1, input)
        ad, bd = _reflected(input, other)
        input = _wrap(ad)
        if bd is not other._data:
            other = _cast_view(other, bd)
    ad, bd = _operands(input, other)
    kind = ad.dtype.kind
    if kind in "iu":
        _check_int_zero_div(bd)
    elif kind == "b":
        raise _not_implemented("div_floor_cpu", ad.dtype)
    if _recording(input, other):
        result = _NotImplementedGrad.apply(_cast_view(input, ad), _cast_view(other, bd) if isinstance(
            other, Tensor) else bd, _floor_div, "floor_divide")
    else:
        result = _wrap(_arr(_call(_floor_div, ad, bd)))
    return result if out is None else _out(out, result)


class Remainder(Function):
    _name = "RemainderBackward1"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _arr(_call(array_module(a).remainder, a, b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        gb = -g * floor_divide(a, b) if ctx.needs_input_grad[1] else None
        return g, gb


class RemainderScalar(Function):
    _name = "RemainderBackward0"

    @staticmethod
    def forward(ctx, a, s):
        return _arr(array_module(a).remainder(a, s))

    @staticmethod
    def backward(ctx, g):
        return g, None


def remainder(input, other, *, out=None):
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            raise _type_error("remainder", "input", 1, input)
        ad, bd = _reflected(input, other)
        if ad.dtype.kind in "iu":
            _check_int_zero_div(bd)
        elif ad.dtype.kind == "b":
            raise _not_implemented("remainder_cpu", ad.dtype)
        if _recording(other):
            return _out(out, _NotImplementedGrad.apply(ad, _cast_view(other, bd), np.remainder, "remainder"))
        return _out(out, _wrap(_arr(np.remainder(ad, bd))))
    ad, bd = _operands(input, other)
    if ad.dtype.kind in "iu":
        _check_int_zero_div(bd)
    elif ad.dtype.kind == "b":
        raise _not_implemented("remainder_cpu", ad.dtype)
    if _recording(input, other):
        return _out(out, _apply_binary(Remainder, RemainderScalar, input, other, ad, bd))
    return _out(out, _wrap(_arr(_call(array_module(ad).remainder, ad, bd))))


class Fmod(Function):
    _name = "FmodBackward1"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _arr(_call(array_module(a).fmod, a, b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        gb = -g * div(a, b, rounding_mode="trunc") if ctx.needs_input_grad[1] else None
        return g, gb


class FmodScalar(Function):
    _name = "FmodBackward0"

    @staticmethod
    def forward(ctx, a, s):
        return _arr(array_module(a).fmod(a, s))

    @staticmethod
    def backward(ctx, g):
        return g, None


def fmod(input, other, *, out=None):
    if not isinstance(input, Tensor):
        raise _type_error("fmod", "input", 1, input)
    ad, bd = _operands(input, other)
    if ad.dtype.kind in "iu":
        _check_int_zero_div(bd)
    elif ad.dtype.kind == "b":
        raise _not_implemented("fmod_cpu", ad.dtype)
    if _recording(input, other):
        return _out(out, _apply_binary(Fmod, FmodScalar, input, other, ad, bd))
    return _out(out, _wrap(_arr(_call(array_module(ad).fmod, ad, bd))))


# ---- pow --------------------------------------------------------------------------------
_C_INT_NAMES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t"}


def _pow_scalar_array(a, e):
    """a ** e for a Python number e, with the special cases PyTorch's kernel takes."""
    xp = array_module(a)
    if a.dtype.kind in "iu" or a.dtype.kind == "b":
        if a.dtype.kind == "b":
            a = a.astype(np.int64)
        return _arr(xp.power(a, e))
    if e == 2:
        return _arr(a * a)
    if e == 3:
        return _arr(a * a * a)
    if e == 0.5:
        return _arr(xp.sqrt(a))
    if e == -0.5:
        return _arr(1 / xp.sqrt(a))
    if e == -1:
        return _arr(1 / a)
    if e == -2:
        return _arr(1 / (a * a))
    return _arr(xp.power(a, e))


def _int_pow(a, b):
    """Integer power with PyTorch's answers for negative exponents (1, -1 or 0; never an error)."""
    xp = array_module(a)
    b = xp.asarray(b)
    neg = b < 0
    if not neg.any():
        return xp.power(a, b)
    safe = xp.power(a, xp.where(neg, 0, b))
    one = a == 1
    minus_one = a == -1
    odd = (b % 2) != 0
    neg_result = xp.where(one, 1, xp.where(minus_one, xp.where(odd, -1, 1), 0)).astype(safe.dtype)
    return xp.where(neg, neg_result, safe)


class PowScalar(Function):
    """tensor ** number"""
    _name = "PowBackward0"

    @staticmethod
    def forward(ctx, a, e):
        ctx.exponent = e
        ctx.save_for_backward(a)
        return _pow_scalar_array(a, e)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        e = ctx.exponent
        if e == 0:
            return g * 0, None
        if e == 2:
            return g * (a * 2), None
        return g * (a ** (e - 1) * e), None


class Pow(Function):
    """tensor ** tensor"""
    _name = "PowBackward1"

    @staticmethod
    def forward(ctx, a, b):
        out = _arr(_call(array_module(a).power, a, b))
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = g * (b * a ** (b - 1)) if need[0] else None
        gb = None
        if need[1]:
            gb = g * where((a == 0) & (b >= 0), 0.0, out * a.log())
        return ga, gb


class RPowScalar(Function):
    """number ** tensor"""
    _name = "PowBackward2"

    @staticmethod
    def forward(ctx, a, base):
        xp = array_module(a)
        out = _arr(xp.power(xp.asarray(base, dtype=a.dtype), a))
        ctx.base = base
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        base = ctx.base
        if base == 0:
            return g * where(a >= 0, 0.0, out * float("-inf")), None
        return g * (out * math.log(base)) if base > 0 else g * (out * float("nan")), None


def pow(input, exponent, *, out=None):
    if not isinstance(input, Tensor):
        if not isinstance(exponent, Tensor):
            raise _type_error("pow", "input", 1, input)
        return _out(out, _rpow(input, exponent))
    if isinstance(exponent, Tensor):
        ad, bd = _operands(input, exponent)
        if ad.dtype.kind == "b":
            raise _not_implemented("pow", ad.dtype)
        if _recording(input, exponent):
            return _out(out, Pow.apply(_cast_view(input, ad), _cast_view(exponent, bd)))
        if ad.dtype.kind in "iu":
            return _out(out, _wrap(_arr(_call(_int_pow, ad, bd))))
        return _out(out, _wrap(_arr(_call(np.power, ad, bd))))
    ad, e = _operands(input, exponent)
    kind = ad.dtype.kind
    if kind in "iub":
        if kind == "b" and type(e) is bool:
            return _out(out, _wrap(_arr(ad | (not e))))
        if exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if kind != "b" and type(exponent) is int and e != exponent:
            raise RuntimeError(f"value cannot be converted to type {_C_INT_NAMES[ad.dtype.name]} without overflow")
    if _recording(input):
        return _out(out, PowScalar.apply(_cast_view(input, ad), e))
    return _out(out, _wrap(_pow_scalar_array(ad, e)))


def _rpow(base, t):
    """number ** tensor"""
    kind = t._data.dtype.kind
    if isinstance(base, float) and kind != "f":
        t = t.to(dtypes._default_float)
    elif kind == "b" and type(base) is int:
        t = t.to(dtypes.int64)
    td = t._data
    if td.dtype.kind == "b":
        raise _not_implemented("pow", td.dtype)
    if td.dtype.kind in "iu":
        base_arr = array_module(td).asarray(_scalar_operand(td, base)[1], dtype=td.dtype)
        return _wrap(_arr(_int_pow(base_arr, td)))
    if _recording(t):
        return RPowScalar.apply(t, base)
    return _wrap(RPowScalar.forward(_SCRATCH, td, base))


def float_power(input, exponent, *, out=None):
    a = input.double() if isinstance(input, Tensor) else float(input)
    e = exponent.double() if isinstance(exponent, Tensor) else float(exponent)
    return _out(out, pow(a, e))


def square(input, *, out=None):
    if input._data.dtype == np.bool_:
        input = input.to(dtypes.int64)
    return pow(input, 2, out=out)


# ---- unary math -----------------------------------------------------------------------
class _Scratch:
    """A throwaway ctx for calling a forward without recording."""

    def save_for_backward(self, *args):
        pass

    def __setattr__(self, name, value):
        pass


_SCRATCH = _Scratch()


def _unary(name, node_name, fwd, grad_of, kind="float", save="input", kernel=None):
    """Build a one-input op from its forward array function and its backward formula.

    `grad_of(g, x, y)` gets the incoming gradient, the input and the output as Tensors.
    kind: "float" - integer and bool inputs become the default float dtype first;
          "same"  - the result keeps the input's dtype;
          "float_only" - integer and bool inputs are rejected (PyTorch has no kernel).
    """

    class Unary(Function):
        _name = node_name

        @staticmethod
        def forward(ctx, x):
            y = _arr(fwd(x))
            if save == "input":
                ctx.save_for_backward(x)
            elif save == "output":
                ctx.save_for_backward(y)
            elif save == "both":
                ctx.save_for_backward(x, y)
            return y

        @staticmethod
        def backward(ctx, g):
            if save is None:
                return grad_of(g, None, None)
            saved = ctx.saved_tensors
            if save == "input":
                return grad_of(g, saved[0], None)
            if save == "output":
                return grad_of(g, None, saved[0])
            return grad_of(g, saved[0], saved[1])

    Unary.__name__ = Unary.__qualname__ = node_name
    kernel_name = kernel or f"{name}_cpu"

    def op(input, *, out=None):
        if not isinstance(input, Tensor):
            raise _type_error(name, "input", 1, input)
        data = input._data
        dk = data.dtype.kind
        if dk != "f":
            if kind == "float":
                data = data.astype(dtypes._default_float.np)
            elif kind == "float_only" or (kind == "nobool" and dk == "b"):
                raise _not_implemented(kernel_name, data.dtype)
        if GradMode.enabled and input._requires_grad:
            result = Unary.apply(input if data is input._data else _cast_view(input, data))
        else:
            result = _wrap(_arr(fwd(data)))
        return result if out is None else _out(out, result)

    op.__name__ = op.__qualname__ = name
    op.Function = Unary
    return op


def _xp(x):
    return array_module(x)


_LN2 = 0.6931471805599453
_LN10 = 2.302585092994046


def _zero_grad(g, x, y):
    return g * 0


exp = _unary("exp", "ExpBackward0", lambda x: _xp(x).exp(x), lambda g, x, y: g * y, save="output")
exp2 = _unary("exp2", "Exp2Backward0", lambda x: _xp(x).exp2(x), lambda g, x, y: g * (y * _LN2), save="output")
expm1 = _unary("expm1", "Expm1Backward0", lambda x: _xp(x).expm1(x), lambda g, x, y: g * (y + 1), save="output")
log = _unary("log", "LogBackward0", lambda x: _xp(x).log(x), lambda g, x, y: g / x)
log2 = _unary("log2", "Log2Backward0", lambda x: _xp(x).log2(x), lambda g, x, y: g / (x * _LN2))
log10 = _unary("log10", "Log10Backward0", lambda x: _xp(x).log10(x), lambda g, x, y: g / (x * _LN10))
log1p = _unary("log1p", "Log1PBackward0", lambda x: _xp(x).log1p(x), lambda g, x, y: g / (x + 1))
sqrt = _unary("sqrt", "SqrtBackward0", lambda x: _xp(x).sqrt(x), lambda g, x, y: g / (y * 2), save="output")
rsqrt = _unary("rsqrt", "RsqrtBackward0", lambda x: 1 / _xp(x).sqrt(x),
               lambda g, x, y: g * (y * y * y * -0.5), save="output")
sin = _unary("sin", "SinBackward0", lambda x: _xp(x).sin(x), lambda g, x, y: g * x.cos())
cos = _unary("cos", "CosBackward0", lambda x: _xp(x).cos(x), lambda g, x, y: g * -x.sin())
tan = _unary("tan", "TanBackward0", lambda x: _xp(x).tan(x), lambda g, x, y: g * (y * y + 1), save="output")
asin = _unary("asin", "AsinBackward0", lambda x: _xp(x).arcsin(x), lambda g, x, y: g * (1 - x * x).rsqrt())
acos = _unary("acos", "AcosBackward0", lambda x: _xp(x).arccos(x), lambda g, x, y: g * -(1 - x * x).rsqrt())
atan = _unary("atan", "AtanBackward0", lambda x: _xp(x).arctan(x), lambda g, x, y: g / (x * x + 1))
sinh = _unary("sinh", "SinhBackward0", lambda x: _xp(x).sinh(x), lambda g, x, y: g * x.cosh())
cosh = _unary("cosh", "CoshBackward0", lambda x: _xp(x).cosh(x), lambda g, x, y: g * x.sinh())
tanh = _unary("tanh", "TanhBackward0", lambda x: _xp(x).tanh(x), lambda g, x, y: g * (1 - y * y), save="output")
asinh = _unary("asinh", "AsinhBackward0", lambda x: _xp(x).arcsinh(x), lambda g, x, y: g * (x * x + 1).rsqrt())
acosh = _unary("acosh", "AcoshBackward0", lambda x: _xp(x).arccosh(x), lambda g, x, y: g * (x * x - 1).rsqrt())
atanh = _unary("atanh", "AtanhBackward0", lambda x: _xp(x).arctanh(x), lambda g, x, y: g / (1 - x * x))
deg2rad = _unary("deg2rad", "Deg2RadBackward0", lambda x: _xp(x).deg2rad(x),
                 lambda g, x, y: g * (math.pi / 180), save=None)
rad2deg = _unary("rad2deg", "Rad2DegBackward0", lambda x: _xp(x).rad2deg(x),
                 lambda g, x, y: g * (180 / math.pi), save=None)
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh


def _sigmoid_array(x):
    xp = _xp(x)
    return _arr(1 / (1 + xp.exp(-x))).astype(x.dtype, copy=False)


sigmoid = _unary("sigmoid", "SigmoidBackward0", _sigmoid_array, lambda g, x, y: g * (y * (1 - y)), save="output")


def _special(fn_name):
    def fwd(x):
        if type(x) is not np.ndarray:
            import cupyx.scipy.special as cs
            return getattr(cs, fn_name)(x).astype(x.dtype, copy=False)
        import scipy.special as ss
        return _arr(getattr(ss, fn_name)(x)).astype(x.dtype, copy=False)
    return fwd


_TWO_OVER_SQRT_PI = 1.1283791670955126
erf = _unary("erf", "ErfBackward0", _special("erf"),
             lambda g, x, y: g * ((-(x * x)).exp() * _TWO_OVER_SQRT_PI))
erfc = _unary("erfc", "ErfcBackward0", _special("erfc"),
              lambda g, x, y: g * ((-(x * x)).exp() * -_TWO_OVER_SQRT_PI))
erfinv = _unary("erfinv", "ErfinvBackward0", _special("erfinv"),
                lambda g, x, y: g * ((y * y).exp() * (math.sqrt(math.pi) / 2)), save="output")
lgamma = _unary("lgamma", "LgammaBackward0", _special("gammaln"), lambda g, x, y: g * digamma(x))


def _trigamma(x):
    if type(x) is not np.ndarray:
        import cupyx.scipy.special as cs
        return cs.polygamma(1, x)
    import scipy.special as ss
    return _arr(ss.polygamma(1, x)).astype(x.dtype, copy=False)


class _Trigamma(Function):
    _name = "PolygammaBackward0"
    once_differentiable = True

    @staticmethod
    def forward(ctx, x):
        return _trigamma(x)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("huoba: the derivative of polygamma(1, x) is not implemented")


digamma = _unary("digamma", "DigammaBackward0", _special("psi"), lambda g, x, y: g * _Trigamma.apply(x))
reciprocal = _unary("reciprocal", "ReciprocalBackward0", lambda x: 1 / x, lambda g, x, y: g * -(y * y),
                    save="output")


def _abs_array(x):
    if x.dtype.kind == "b":
        raise _not_implemented("abs_cpu", x.dtype)
    return _xp(x).abs(x)


abs = _unary("abs", "AbsBackward0", _abs_array, lambda g, x, y: g * x.sign(), kind="same")
absolute = abs


def _neg_array(x):
    if x.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")
    return -x


neg = _unary("neg", "NegBackward0", _neg_array, lambda g, x, y: -g, kind="same", save=None)
negative = neg


def positive(input):
    if input._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def _rounder(fn):
    def fwd(x):
        return fn(_xp(x))(x) if x.dtype.kind == "f" else x.copy()
    return fwd


floor = _unary("floor", "FloorBackward0", _rounder(lambda xp: xp.floor), _zero_grad, kind="nobool", save=None,
               kernel="floor_vml_cpu")
ceil = _unary("ceil", "CeilBackward0", _rounder(lambda xp: xp.ceil), _zero_grad, kind="nobool", save=None,
              kernel="ceil_vml_cpu")
trunc = _unary("trunc", "TruncBackward0", _rounder(lambda xp: xp.trunc), _zero_grad, kind="nobool", save=None,
               kernel="trunc_vml_cpu")
fix = trunc
frac = _unary("frac", "FracBackward0", lambda x: x - _xp(x).trunc(x), lambda g, x, y: g, kind="float_only",
              save=None)
def _sign_array(x):
    if x.dtype.kind == "b":
        return x.copy()
    xp = _xp(x)
    s = xp.sign(x)
    if x.dtype.kind == "f":
        s = _arr(xp.where(xp.isnan(x), x.dtype.type(0), s))  # PyTorch: sign(nan) == 0
    return s


sign = _unary("sign", "SignBackward0", _sign_array, _zero_grad, kind="same", save=None)
sgn = _unary("sgn", "SgnBackward0", _sign_array, _zero_grad, kind="same", save=None)
_round0 = _unary("round", "RoundBackward0", _rounder(lambda xp: xp.rint), _zero_grad, kind="nobool", save=None,
                 kernel="round_vml_cpu")


class _RoundDecimals(Function):
    _name = "RoundBackward1"

    @staticmethod
    def forward(ctx, x, decimals):
        return _round_decimals(x, decimals)

    @staticmethod
    def backward(ctx, g):
        return g * 0, None


def _round_decimals(x, decimals):
    xp = _xp(x)
    if decimals >= 0:
        scale = x.dtype.type(10.0 ** decimals)
        return _arr(xp.rint(x * scale) / scale)
    scale = x.dtype.type(10.0 ** -decimals)
    return _arr(xp.rint(x / scale) * scale)


def round(input, *, decimals=0, out=None):
    if decimals == 0:
        return _round0(input, out=out)
    if input._data.dtype.kind != "f":
        raise _not_implemented("round_cpu", input._data.dtype)
    if _recording(input):
        return _out(out, _RoundDecimals.apply(input, decimals))
    return _out(out, _wrap(_round_decimals(input._data, decimals)))


def _relu_array(x):
    if x.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    return _xp(x).maximum(x, x.dtype.type(0))


relu = _unary("relu", "ReluBackward0", _relu_array, lambda g, x, y: g * (y > 0), kind="same", save="output")


def _sinc_array(x):
    return _arr(_xp(x).sinc(x)).astype(x.dtype, copy=False)


def _sinc_grad(g, x, y):
    px = x * math.pi
    d = (px.cos() * px - px.sin()) / (px * x)
    return g * where(x == 0, 0.0, d)


sinc = _unary("sinc", "SincBackward0", _sinc_array, _sinc_grad)


class _Logit(Function):
    _name = "LogitBackward0"

    @staticmethod
    def forward(ctx, x, eps):
        xp = _xp(x)
        ctx.eps = eps
        ctx.save_for_backward(x)
        z = x if eps is None else xp.clip(x, eps, 1 - eps)
        return _arr(xp.log(z / (1 - z)))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        grad = g / (x * (1 - x))
        if ctx.eps is not None:
            grad = where((x < ctx.eps) | (x > 1 - ctx.eps), 0.0, grad)
        return grad, None


def logit(input, eps=None, *, out=None):
    x = input if input._data.dtype.kind == "f" else input.to(dtypes._default_float)
    if _recording(x):
        return _out(out, _Logit.apply(x, eps))
    return _out(out, _wrap(_Logit.forward(_SCRATCH, x._data, eps)))


class NanToNum(Function):
    _name = "NanToNumBackward0"

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        ctx.save_for_backward(x)
        return _nan_to_num_array(x, nan, posinf, neginf)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * isfinite(x), None, None, None


def _nan_to_num_array(x, nan, posinf, neginf):
    if x.dtype.kind != "f":
        return x.copy()
    return _xp(x).nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    if _recording(input):
        return _out(out, NanToNum.apply(input, nan, posinf, neginf))
    return _out(out, _wrap(_nan_to_num_array(input._data, nan, posinf, neginf)))


# ---- clamp ---------------------------------------------------------------------------
class Clamp(Function):
    _name = "ClampBackward1"

    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = _xp(x)
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        y = x
        if lo is not None:
            y = xp.maximum(y, lo)
        if hi is not None:
            y = xp.minimum(y, hi)
        return _arr(y if y is not x else x.copy())

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        mask = None
        if ctx.lo is not None:
            mask = x >= ctx.lo
        if ctx.hi is not None:
            m2 = x <= ctx.hi
            mask = m2 if mask is None else mask & m2
        return where(mask, g, 0.0), None, None


class _ClampMin(Clamp):
    _name = "ClampMinBackward0"


class _ClampMax(Clamp):
    _name = "ClampMaxBackward0"


class ClampT(Function):
    _name = "ClampBackward0"

    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = _xp(x)
        ctx.save_for_backward(x, lo, hi)
        y = x
        if lo is not None:
            y = xp.maximum(y, lo)
        if hi is not None:
            y = xp.minimum(y, hi)
        return _arr(y)

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        need = ctx.needs_input_grad
        mask = None
        if lo is not None:
            mask = x >= lo
        if hi is not None:
            m2 = x <= hi
            mask = m2 if mask is None else mask & m2
        g_x = where(mask, g, 0.0) if need[0] else None
        g_lo = g_hi = None
        if lo is not None and need[1]:
            below = x < lo
            if hi is not None:
                below = below & (lo <= hi)
            g_lo = where(below, g, 0.0)
        if hi is not None and need[2]:
            above = x > hi
            if lo is not None:
                above = above | (lo > hi)
            g_hi = where(above, g, 0.0)
        return g_x, g_lo, g_hi


def clamp(input, min=None, max=None, *, out=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        bounds = [b for b in (min, max) if isinstance(b, Tensor)]
        rt = dtypes.result_type([input] + bounds, [b for b in (min, max) if b is not None and not isinstance(
            b, Tensor)])
        x = input.to(rt)
        lo = min.to(rt) if isinstance(min, Tensor) else (None if min is None else _full_like_scalar(min, x))
        hi = max.to(rt) if isinstance(max, Tensor) else (None if max is None else _full_like_scalar(max, x))
        return _out(out, ClampT.apply(x, lo, hi))
    rt = dtypes.result_type((input,), [b for b in (min, max) if b is not None])
    if rt is not input.dtype:
        input = input.to(rt)
    data = input._data
    if data.dtype.kind == "b":
        raise _not_implemented("clamp_scalar_cpu", data.dtype)
    lo = None if min is None else _scalar_operand(data, min)[1]
    hi = None if max is None else _scalar_operand(data, max)[1]
    if _recording(input):
        return _out(out, Clamp.apply(input, lo, hi))
    return _out(out, _wrap(Clamp.forward(_SCRATCH, data, lo, hi)))


def _full_like_scalar(s, like):
    return _wrap(array_module(like._data).asarray(s, dtype=like._data.dtype))


clip = clamp


def clamp_min(input, min, *, out=None):
    if isinstance(min, Tensor):
        return clamp(input, min=min, out=out)
    rt = dtypes.result_type((input,), (min,))
    x = input if rt is input.dtype else input.to(rt)
    lo = _scalar_operand(x._data, min)[1]
    if _recording(x):
        return _out(out, _ClampMin.apply(x, lo, None))
    return _out(out, _wrap(Clamp.forward(_SCRATCH, x._data, lo, None)))


def clamp_max(input, max, *, out=None):
    if isinstance(max, Tensor):
        return clamp(input, max=max, out=out)
    rt = dtypes.result_type((input,), (max,))
    x = input if rt is input.dtype else input.to(rt)
    hi = _scalar_operand(x._data, max)[1]
    if _recording(x):
        return _out(out, _ClampMax.apply(x, None, hi))
    return _out(out, _wrap(Clamp.forward(_SCRATCH, x._data, None, hi)))


# ---- where / maximum / minimum / lerp / addcmul / addcdiv / atan2 ----------------------------
class Where(Function):
    _name = "WhereBackward0"

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        try:
            return _arr(_xp(a).where(cond, a, b))
        except ValueError:
            raise _broadcast_error(cond.shape, a.shape, b.shape) from None

    @staticmethod
    def backward(ctx, g):
        cond, = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (None, where(cond, g, 0.0) if need[1] else None, where(cond, 0.0, g) if need[2] else None)


def where(condition, input=None, other=None, *, out=None):
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor):
        raise _type_error("where", "condition", 1, condition)
    cd = condition._data
    if cd.dtype != np.bool_:
        if cd.dtype != np.uint8:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                               f"{_LABEL[cd.dtype]}")
        warnings.warn("where received a uint8 condition tensor. This behavior is deprecated and will be removed "
                      "in a future version of PyTorch. Use a boolean condition instead.", UserWarning, stacklevel=2)
        condition = _wrap(cd.astype(np.bool_))
    tensors = [t for t in (input, other) if isinstance(t, Tensor)]
    scalars = [s for s in (input, other) if not isinstance(s, Tensor)]
    rt = dtypes.result_type(tensors, scalars)
    xp = array_module(cd)
    a = input.to(rt) if isinstance(input, Tensor) else _wrap(xp.asarray(input, dtype=rt.np))
    b = other.to(rt) if isinstance(other, Tensor) else _wrap(xp.asarray(other, dtype=rt.np))
    if GradMode.enabled and (a._requires_grad or b._requires_grad):
        return _out(out, Where.apply(condition, a, b))
    return _out(out, _wrap(Where.forward(_SCRATCH, condition._data, a._data, b._data)))


class Maximum(Function):
    _name = "MaximumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _arr(_call(_xp(a).maximum, a, b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _split_ties(g, a, b, a < b, a > b, ctx.needs_input_grad)


class Minimum(Function):
    _name = "MinimumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _arr(_call(_xp(a).minimum, a, b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _split_ties(g, a, b, a > b, a < b, ctx.needs_input_grad)


def _split_ties(g, a, b, a_loses, b_loses, need):
    # PyTorch gives each side half the gradient where the two are equal
    shared = where(a == b, g / 2, g)
    ga = shared.masked_fill(a_loses, 0) if need[0] else None
    gb = shared.masked_fill(b_loses, 0) if need[1] else None
    return ga, gb


class Fmax(Function):
    _name = "FmaxBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _arr(_call(_xp(a).fmax, a, b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a_wins = (a >= b) | b.isnan()
        need = ctx.needs_input_grad
        return (g.masked_fill(~a_wins, 0) if need[0] else None, g.masked_fill(a_wins, 0) if need[1] else None)


class Fmin(Function):
    _name = "FminBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _arr(_call(_xp(a).fmin, a, b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a_wins = (a <= b) | b.isnan()
        need = ctx.needs_input_grad
        return (g.masked_fill(~a_wins, 0) if need[0] else None, g.masked_fill(a_wins, 0) if need[1] else None)


def _tensor_pair(name, node, input, other, out):
    if not isinstance(input, Tensor):
        raise _type_error(name, "input", 1, input)
    if not isinstance(other, Tensor):
        raise _type_error(name, "other", 2, other)
    ad, bd = _promote_pair(input, other) if input._data.dtype != other._data.dtype else (input._data, other._data)
    if ad.dtype.kind == "b" and name in ("fmax", "fmin"):
        raise _not_implemented(f"{name}_cpu", ad.dtype)
    if _recording(input, other):
        return _out(out, node.apply(_cast_view(input, ad), _cast_view(other, bd)))
    return _out(out, _wrap(node.forward(_SCRATCH, ad, bd)))


def maximum(input, other, *, out=None):
    return _tensor_pair("maximum", Maximum, input, other, out)


def minimum(input, other, *, out=None):
    return _tensor_pair("minimum", Minimum, input, other, out)


def fmax(input, other, *, out=None):
    return _tensor_pair("fmax", Fmax, input, other, out)


def fmin(input, other, *, out=None):
    return _tensor_pair("fmin", Fmin, input, other, out)


def _lerp_array(a, b, w):
    # PyTorch's formula: exact at both ends, from whichever end is nearer
    xp = _xp(a)
    diff = b - a
    if not hasattr(w, "shape"):
        return _arr(a + w * diff) if builtins.abs(w) < 0.5 else _arr(b - diff * (1 - w))
    return _arr(xp.where(xp.abs(w) < 0.5, a + w * diff, b - diff * (1 - w)))


class LerpScalar(Function):
    _name = "LerpBackward0"

    @staticmethod
    def forward(ctx, a, b, w):
        ctx.w = w
        return _lerp_array(a, b, w)

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        return (g * (1 - ctx.w) if need[0] else None), (g * ctx.w if need[1] else None), None


class LerpTensor(Function):
    _name = "LerpBackward1"

    @staticmethod
    def forward(ctx, a, b, w):
        ctx.save_for_backward(a, b, w)
        return _lerp_array(a, b, w)

    @staticmethod
    def backward(ctx, g):
        a, b, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g * (1 - w) if need[0] else None, g * w if need[1] else None,
                g * (b - a) if need[2] else None)


def lerp(input, end, weight, *, out=None):
    if not isinstance(end, Tensor):
        raise _type_error("lerp", "end", 2, end)
    cpp = dtypes.CPP_NAME
    if end.dtype is not input.dtype:
        raise RuntimeError(f"expected dtype {cpp[input._data.dtype]} for `end` but got dtype {cpp[end._data.dtype]}")
    if input._data.dtype.kind != "f":
        raise _not_implemented("lerp_kernel_scalar" if not isinstance(weight, Tensor) else "lerp_kernel_tensor",
                               input._data.dtype)
    if isinstance(weight, Tensor):
        if weight.dtype is not input.dtype:
            raise RuntimeError(f"expected dtype {cpp[input._data.dtype]} for `weight` but got dtype "
                               f"{cpp[weight._data.dtype]}")
        if GradMode.enabled and (input._requires_grad or end._requires_grad or weight._requires_grad):
            return _out(out, LerpTensor.apply(input, end, weight))
        return _out(out, _wrap(_lerp_array(input._data, end._data, weight._data)))
    if _recording(input, end):
        return _out(out, LerpScalar.apply(input, end, weight))
    return _out(out, _wrap(_lerp_array(input._data, end._data, weight)))


class Addcmul(Function):
    _name = "AddcmulBackward0"

    @staticmethod
    def forward(ctx, a, t1, t2, value):
        ctx.value = value
        ctx.save_for_backward(t1, t2)
        prod = t1 * t2 if value == 1 else (t1 * value) * t2
        return _arr(a + prod)

    @staticmethod
    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        need = ctx.needs_input_grad
        v = ctx.value
        g1 = (g * t2 if v == 1 else g * t2 * v) if need[1] else None
        g2 = (g * t1 if v == 1 else g * t1 * v) if need[2] else None
        return (g if need[0] else None), g1, g2, None


class Addcdiv(Function):
    _name = "AddcdivBackward0"

    @staticmethod
    def forward(ctx, a, t1, t2, value):
        ctx.value = value
        ctx.save_for_backward(t1, t2)
        q = t1 / t2 if value == 1 else (t1 * value) / t2
        return _arr(a + q)

    @staticmethod
    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        need = ctx.needs_input_grad
        v = ctx.value
        g1 = g * v / t2 if need[1] else None
        g2 = -g * v * t1 / (t2 * t2) if need[2] else None
        return (g if need[0] else None), g1, g2, None


def _three(name, node, input, tensor1, tensor2, value, out):
    for pos, (arg, t) in enumerate((("self", input), ("tensor1", tensor1), ("tensor2", tensor2))):
        if not isinstance(t, Tensor):
            raise _type_error(name, "input" if arg == "self" else arg, pos + 1, t)
    rt = dtypes.result_type((input, tensor1, tensor2))
    if name == "addcdiv" and rt.np.kind != "f":
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future  release "
                           "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
                           "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))."
                           "to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
                           "float inputs. The future addcdiv behavior is just the latter implementation: "
                           "(input + value * tensor1 / tensor2), for all dtypes.")
    a, t1, t2 = (t if t.dtype is rt else t.to(rt) for t in (input, tensor1, tensor2))
    if GradMode.enabled and (a._requires_grad or t1._requires_grad or t2._requires_grad):
        return _out(out, node.apply(a, t1, t2, value))
    try:
        return _out(out, _wrap(node.forward(_SCRATCH, a._data, t1._data, t2._data, value)))
    except ValueError:
        raise _broadcast_error(a._data.shape, t1._data.shape, t2._data.shape) from None


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    return _three("addcmul", Addcmul, input, tensor1, tensor2, value, out)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    return _three("addcdiv", Addcdiv, input, tensor1, tensor2, value, out)


class _Atan2(Function):
    _name = "Atan2Backward0"

    @staticmethod
    def forward(ctx, y, x):
        ctx.save_for_backward(y, x)
        return _arr(_call(_xp(y).arctan2, y, x))

    @staticmethod
    def backward(ctx, g):
        y, x = ctx.saved_tensors
        need = ctx.needs_input_grad
        denom = x * x + y * y
        return (g * (x / denom) if need[0] else None), (g * (-y / denom) if need[1] else None)


def _float_pair(name, node, a, b, out):
    if not isinstance(a, Tensor):
        raise _type_error(name, "input", 1, a)
    if not isinstance(b, Tensor):
        raise _type_error(name, "other", 2, b)
    ad, bd = _operands(a, b)
    if ad.dtype.kind != "f":
        fd = dtypes._default_float
        a, b = a.to(fd), b.to(fd)
        ad, bd = a._data, b._data
    if _recording(a, b):
        return _out(out, node.apply(_cast_view(a, ad), _cast_view(b, bd)))
    return _out(out, _wrap(node.forward(_SCRATCH, ad, bd)))


def atan2(input, other, *, out=None):
    return _float_pair("atan2", _Atan2, input, other, out)


arctan2 = atan2


class _Hypot(Function):
    _name = "HypotBackward0"

    @staticmethod
    def forward(ctx, a, b):
        out = _arr(_call(_xp(a).hypot, a, b))
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g * (a / out) if need[0] else None), (g * (b / out) if need[1] else None)


def hypot(input, other, *, out=None):
    return _float_pair("hypot", _Hypot, input, other, out)


class _LogAddExp(Function):
    _name = "LogaddexpBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _arr(_call(_xp(a).logaddexp, a, b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        return ((g / (1 + (b - a).exp())) if need[0] else None), ((g / (1 + (a - b).exp())) if need[1] else None)


def logaddexp(input, other, *, out=None):
    return _float_pair("logaddexp", _LogAddExp, input, other, out)


class _CopySign(Function):
    _name = "CopysignBackward0"

    @staticmethod
    def forward(ctx, a, b):
        out = _arr(_call(_xp(a).copysign, a, b))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        ratio = where(a == 0, 0.0, out / a)
        return g * ratio, (g * 0 if ctx.needs_input_grad[1] else None)


class _CopySignScalar(_CopySign):
    _name = "CopysignBackward1"

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        return g * where(a == 0, 0.0, out / a), None


def copysign(input, other, *, out=None):
    if not isinstance(other, Tensor):
        if not isinstance(input, Tensor):
            raise _type_error("copysign", "input", 1, input)
        x = input if input._data.dtype.kind == "f" else input.to(dtypes._default_float)
        s = float(other)
        if _recording(x):
            return _out(out, _CopySignScalar.apply(x, s))
        return _out(out, _wrap(_arr(_xp(x._data).copysign(x._data, x._data.dtype.type(s)))))
    return _float_pair("copysign", _CopySign, input, other, out)


class _Xlogy(Function):
    _name = "XlogyBackward0"

    @staticmethod
    def forward(ctx, x, y):
        xp = _xp(x)
        ctx.save_for_backward(x, y)
        out = _call(lambda a, b: xp.where(a == 0, 0.0, a * xp.log(b)).astype(a.dtype, copy=False), x, y)
        return _arr(xp.where(xp.isnan(y), y, out)).astype(out.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = xlogy(g, y).masked_fill((x == 0) & (y <= 0), 0) if need[0] else None
        gy = g * x / y if need[1] else None
        return gx, gy


def xlogy(input, other, *, out=None):
    if not isinstance(input, Tensor):
        input = _scalar_tensor_like(input, other)
    if not isinstance(other, Tensor):
        other = _scalar_tensor_like(other, input)
    return _float_pair("xlogy", _Xlogy, input, other, out)


# ---- comparisons and logic (no gradients) ---------------------------------------
def _compare(ufunc, name):
    def op(input, other, *, out=None):
        if not isinstance(input, Tensor):
            raise _type_error(name, "input", 1, input)
        ad, bd = _operands(input, other)
        try:
            result = ufunc(ad, bd)
        except ValueError:
            raise _broadcast_error(ad.shape, _shape_of(bd)) from None
        result = _wrap(result if type(result) is _ndarray else _arr(result))
        return result if out is None else _out(out, result)

    op.__name__ = op.__qualname__ = name
    return op


eq = _compare(np.equal, "eq")
ne = _compare(np.not_equal, "ne")
lt = _compare(np.less, "lt")
le = _compare(np.less_equal, "le")
gt = _compare(np.greater, "gt")
ge = _compare(np.greater_equal, "ge")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _logical(ufunc, name):
    def op(input, other, *, out=None):
        if not isinstance(input, Tensor):
            raise _type_error(name, "input", 1, input)
        if not isinstance(other, Tensor):
            raise _type_error(name, "other", 2, other)
        if type(input._data) is not type(other._data):
            check_same_device(input, other)
        return _out(out, _wrap(_arr(_call(ufunc, input._data, other._data))))

    op.__name__ = op.__qualname__ = name
    return op


logical_and = _logical(np.logical_and, "logical_and")
logical_or = _logical(np.logical_or, "logical_or")
logical_xor = _logical(np.logical_xor, "logical_xor")


def logical_not(input, *, out=None):
    return _out(out, _wrap(_arr(_xp(input._data).logical_not(input._data))))


def _bitwise(ufunc, name):
    def op(input, other, *, out=None):
        if not isinstance(input, Tensor):
            if not isinstance(other, Tensor):
                raise _type_error(name, "input", 1, input)
            input, other = other, input
        ad, bd = _operands(input, other)
        if ad.dtype.kind == "f":
            raise _not_implemented(f"{name}_cpu", ad.dtype)
        return _out(out, _wrap(_arr(_call(ufunc, ad, bd))))

    op.__name__ = op.__qualname__ = name
    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def _shift(ufunc, name):
    def op(input, other, *, out=None):
        if not isinstance(input, Tensor):
            input = _scalar_tensor_like(input, other)
        ad, bd = _operands(input, other)
        if ad.dtype.kind == "f":
            raise _not_implemented(f"{name}_cpu", ad.dtype)
        if ad.dtype.kind == "b":
            ad = ad.astype(np.int64) if not hasattr(bd, "dtype") else ad
        return _out(out, _wrap(_arr(_call(ufunc, ad, bd))))

    op.__name__ = op.__qualname__ = name
    return op


bitwise_left_shift = _shift(np.left_shift, "lshift")
bitwise_right_shift = _shift(np.right_shift, "rshift")


def bitwise_not(input, *, out=None):
    if input._data.dtype.kind == "f":
        raise _not_implemented("bitwise_not_cpu", input._data.dtype)
    return _out(out, _wrap(_arr(_xp(input._data).invert(input._data))))


def _predicate(fn_name):
    def op(input):
        if not isinstance(input, Tensor):
            raise _type_error(fn_name, "input", 1, input)
        data = input._data
        if data.dtype.kind != "f" and fn_name != "signbit":
            fill = fn_name == "isfinite"
            return _wrap(_xp(data).full(data.shape, fill, dtype=np.bool_))
        return _wrap(_arr(getattr(_xp(data), fn_name)(data)))

    op.__name__ = op.__qualname__ = fn_name
    return op


isnan = _predicate("isnan")
isinf = _predicate("isinf")
isfinite = _predicate("isfinite")
isposinf = _predicate("isposinf")
isneginf = _predicate("isneginf")
signbit = _predicate("signbit")


def isreal(input):
    return _wrap(_xp(input._data).ones(input._data.shape, dtype=np.bool_))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    if not isinstance(input, Tensor):
        raise _type_error("isclose", "input", 1, input)
    if not isinstance(other, Tensor):
        raise _type_error("isclose", "other", 2, other)
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{_LABEL[input._data.dtype]} did not match {_LABEL[other._data.dtype]}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    a, b = input._data, other._data
    xp = _xp(a)
    try:
        close = _arr(a == b)
    except ValueError:
        raise _broadcast_error(a.shape, b.shape) from None
    if equal_nan and a.dtype.kind == "f":
        close = close | (xp.isnan(a) & xp.isnan(b))
    if rtol == 0 and atol == 0:
        return _wrap(_arr(close))
    if a.dtype.kind != "f":
        a = a.astype(dtypes._default_float.np)
        b = b.astype(dtypes._default_float.np)
    error = xp.abs(a - b)
    close = close | (xp.isfinite(error) & (error <= atol + xp.abs(rtol * b)))
    return _wrap(_arr(close))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return builtins.bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other):
    """True when both tensors have the same shape and the same values."""
    if not isinstance(input, Tensor):
        raise _type_error("equal", "input", 1, input)
    if not isinstance(other, Tensor):
        raise _type_error("equal", "other", 2, other)
    if input._data.shape != other._data.shape:
        return False
    ad, bd = _operands(input, other)
    return builtins.bool(_xp(ad).array_equal(ad, bd))


methods = dict(
    add=add, sub=sub, subtract=sub, mul=mul, multiply=mul, div=div, divide=div, true_divide=div,
    floor_divide=floor_divide, remainder=remainder, fmod=fmod, pow=pow, float_power=float_power,
    exp=exp, exp2=exp2, expm1=expm1, log=log, log2=log2, log10=log10, log1p=log1p, sqrt=sqrt, rsqrt=rsqrt,
    sin=sin, cos=cos, tan=tan, asin=asin, acos=acos, atan=atan, arcsin=asin, arccos=acos, arctan=atan,
    sinh=sinh, cosh=cosh, tanh=tanh, asinh=asinh, acosh=acosh, atanh=atanh, arcsinh=asinh, arccosh=acosh,
    arctanh=atanh, deg2rad=deg2rad, rad2deg=rad2deg, sigmoid=sigmoid, erf=erf, erfc=erfc, erfinv=erfinv,
    lgamma=lgamma, digamma=digamma, sinc=sinc, logit=logit, reciprocal=reciprocal, abs=abs, absolute=abs,
    neg=neg, negative=neg, positive=positive, floor=floor, ceil=ceil, trunc=trunc, fix=trunc, frac=frac,
    sign=sign, sgn=sgn, square=square, round=round, relu=relu, clamp=clamp, clip=clamp, clamp_min=clamp_min,
    clamp_max=clamp_max, where=lambda self, condition, other: where(condition, self, other),
    maximum=maximum, minimum=minimum, fmax=fmax, fmin=fmin, lerp=lerp, addcmul=addcmul, addcdiv=addcdiv,
    atan2=atan2, arctan2=atan2, hypot=hypot, logaddexp=logaddexp, copysign=copysign, xlogy=xlogy,
    eq=eq, ne=ne, lt=lt, le=le, gt=gt, ge=ge, greater=gt, greater_equal=ge, less=lt, less_equal=le,
    not_equal=ne, logical_and=logical_and, logical_or=logical_or, logical_xor=logical_xor,
    logical_not=logical_not, bitwise_and=bitwise_and, bitwise_or=bitwise_or, bitwise_xor=bitwise_xor,
    bitwise_not=bitwise_not, bitwise_left_shift=bitwise_left_shift, bitwise_right_shift=bitwise_right_shift,
    isnan=isnan, isinf=isinf, isfinite=isfinite, isposinf=isposinf, isneginf=isneginf, signbit=signbit,
    isreal=isreal, nan_to_num=nan_to_num, isclose=isclose, allclose=allclose, equal=equal,
    __lshift__=bitwise_left_shift, __rshift__=bitwise_right_shift,
    __rlshift__=lambda self, other: bitwise_left_shift(other, self),
    __rrshift__=lambda self, other: bitwise_right_shift(other, self),
    __pos__=positive,
)

"""Element-wise ops: arithmetic, math functions, comparisons.

Binary ops promote their operands with PyTorch's rules (`dtypes.result_type`) and
broadcast; the engine un-broadcasts their gradients, so each backward here only
states the calculus.
"""
import builtins

import numpy as np

from .. import dtypes
from ..autograd.function import Function
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor, _wrap
from ._util import array_module, float_array, is_scalar, check_same_device

_result_type = dtypes.result_type
_PROMOTE = dtypes._PROMOTE


# ---- operand preparation -------------------------------------------------------
def _binary_operands(a, b):
    """(array a, array-or-scalar b, result dtype) for an op on Tensor `a` and `b`."""
    ad = a._data
    if isinstance(b, Tensor):
        bd = b._data
        if ad.dtype is bd.dtype or ad.dtype == bd.dtype:
            return ad, bd, None
        if ad.ndim and bd.ndim:
            rt = _PROMOTE[dtypes._FROM_NUMPY[ad.dtype], dtypes._FROM_NUMPY[bd.dtype]]
        else:
            rt = _result_type((a, b))
        if type(ad) is not type(bd):
            check_same_device(a, b)
        npd = rt.np
        return (ad if ad.dtype == npd else ad.astype(npd)), (bd if bd.dtype == npd else bd.astype(npd)), None
    if type(b) is float:
        if ad.dtype.kind == "f":
            return ad, b, None
        return ad.astype(dtypes.get_default_dtype().np), b, None
    if type(b) is int:
        if ad.dtype.kind in "iuf":
            return ad, b, None
        return ad.astype(np.int64), b, None
    if type(b) is bool:
        return ad, b, None
    if is_scalar(b):
        return _binary_operands(a, b.item())
    if isinstance(b, np.ndarray):
        return _binary_operands(a, _wrap(b))
    raise TypeError(f"unsupported operand type(s): 'Tensor' and '{type(b).__name__}'")


def _check_cast(out_dtype, self):
    """In-place ops keep `self`'s dtype; a result of a higher category can't be cast into it."""
    if out_dtype.kind == "f" and self._data.dtype.kind != "f" or (
            out_dtype.kind in "iu" and self._data.dtype.kind == "b"):
        names = {"f": "Float", "i": "Long", "u": "Long", "b": "Bool"}
        raise RuntimeError(f"result type {_label(out_dtype)} can't be cast to the desired output type "
                           f"{_label(self._data.dtype)}")


def _label(np_dtype):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}[np_dtype.name]


# ---- binary arithmetic ------------------------------------------------------------
class Add(Function):
    _name = "AddBackward0"

    @staticmethod
    def forward(ctx, a, b, alpha):
        ctx.alpha = alpha
        if alpha != 1:
            b = b * alpha
        return _as_array(a + b, a)

    @staticmethod
    def backward(ctx, g):
        return g, (g if ctx.alpha == 1 else g * ctx.alpha), None


class Sub(Function):
    _name = "SubBackward0"

    @staticmethod
    def forward(ctx, a, b, alpha):
        ctx.alpha = alpha
        if alpha != 1:
            b = b * alpha
        return _as_array(a - b, a)

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.alpha == 1 else g * -ctx.alpha), None


class Rsub(Function):
    """scalar - tensor"""
    _name = "RsubBackward1"

    @staticmethod
    def forward(ctx, a, b):
        return _as_array(b - a, a)

    @staticmethod
    def backward(ctx, g):
        return -g, None


class Mul(Function):
    _name = "MulBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _as_array(a * b, a)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = g * (b if b is not None else ctx.b_scalar) if need[0] else None
        gb = g * a if need[1] else None
        return ga, gb


class MulScalar(Function):
    _name = "MulBackward0"

    @staticmethod
    def forward(ctx, a, s):
        ctx.scalar = s
        return _as_array(a * s, a)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.scalar, None


class Div(Function):
    _name = "DivBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _as_array(a / b, a)

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
        return _as_array(a / s, a)

    @staticmethod
    def backward(ctx, g):
        return g / ctx.scalar, None


class RDivScalar(Function):
    """scalar / tensor"""
    _name = "MulBackward0"

    @staticmethod
    def forward(ctx, a, s):
        ctx.scalar = s
        out = _as_array(s / a, a)
        ctx.save_for_backward(a)
        return out

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return -g * ctx.scalar / (a * a), None


class PowScalar(Function):
    """tensor ** scalar"""
    _name = "PowBackward0"

    @staticmethod
    def forward(ctx, a, e):
        ctx.exponent = e
        ctx.save_for_backward(a)
        if e == 2:
            return a * a
        if e == 0.5:
            return array_module(a).sqrt(a)
        return _as_array(a ** e, a)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        e = ctx.exponent
        if e == 0:
            return g * 0, None
        if e == 2:
            return g * 2 * a, None
        return g * e * a ** (e - 1), None


class Pow(Function):
    """tensor ** tensor"""
    _name = "PowBackward1"

    @staticmethod
    def forward(ctx, a, b):
        out = _as_array(array_module(a).power(a, b), a)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = g * b * a ** (b - 1) if need[0] else None
        gb = g * out * a.log() if need[1] else None
        if gb is not None:
            gb = gb.masked_fill((a == 0) & (b >= 0), 0.0)
        return ga, gb


class RPowScalar(Function):
    """scalar ** tensor"""
    _name = "PowBackward2"

    @staticmethod
    def forward(ctx, a, base):
        ctx.base = base
        out = _as_array(array_module(a).power(a.dtype.type(base), a), a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        import math
        return g * out * math.log(ctx.base) if ctx.base > 0 else g * out * float("nan"), None


def _as_array(result, like):
    """Keep 0-d results as arrays (NumPy turns some into scalars)."""
    if type(result) is not np.ndarray and not hasattr(result, "__cuda_array_interface__"):
        return np.asarray(result, dtype=like.dtype if hasattr(like, "dtype") else None)
    return result


def _fast_binary(cls_tensor, cls_scalar, np_op, a, b):
    """Shared body of add/sub/mul/div: a fast path when nothing is recorded."""
    ad, bd, _ = _binary_operands(a, b)
    record = GradMode.enabled and (a._requires_grad or (isinstance(b, Tensor) and b._requires_grad))
    if not record:
        out = np_op(ad, bd)
        if type(out) is not np.ndarray:
            out = _as_array(out, ad)
        return _wrap(out)
    if isinstance(b, Tensor):
        if ad is not a._data or bd is not b._data:
            a = _cast_view(a, ad)
            b = _cast_view(b, bd)
        return cls_tensor.apply(a, b)
    if ad is not a._data:
        a = _cast_view(a, ad)
    return cls_scalar.apply(a, bd)


def _cast_view(t, array):
    """`t` converted to array's dtype, differentiably (ToCopyBackward0)."""
    if t._data is array:
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
        return g.to(dtypes._FROM_NUMPY[ctx.src]), None


# The public arithmetic functions ------------------------------------------------
def add(input, other, *, alpha=1, out=None):
    if not isinstance(input, Tensor):
        input, other = other, input
        if not isinstance(input, Tensor):
            raise TypeError("add(): argument 'input' must be Tensor")
    if alpha != 1:
        ad, bd, _ = _binary_operands(input, other)
        if isinstance(other, Tensor):
            return _out(out, Add.apply(_cast_view(input, ad), _cast_view(other, bd), alpha))
        return _out(out, Add.apply(_cast_view(input, ad), other, alpha))
    if isinstance(other, Tensor):
        result = _fast_binary(_AddT, _AddS, np.add, input, other)
    else:
        result = _fast_binary(_AddT, _AddS, np.add, input, other)
    return _out(out, result)


class _AddT(Add):
    @staticmethod
    def forward(ctx, a, b):
        ctx.alpha = 1
        return _as_array(a + b, a)

    @staticmethod
    def backward(ctx, g):
        return g, g


class _AddS(Function):
    _name = "AddBackward0"

    @staticmethod
    def forward(ctx, a, s):
        return _as_array(a + s, a)

    @staticmethod
    def backward(ctx, g):
        return g, None


class _SubT(Function):
    _name = "SubBackward0"

    @staticmethod
    def forward(ctx, a, b):
        return _as_array(a - b, a)

    @staticmethod
    def backward(ctx, g):
        return g, -g


class _SubS(Function):
    _name = "SubBackward0"

    @staticmethod
    def forward(ctx, a, s):
        return _as_array(a - s, a)

    @staticmethod
    def backward(ctx, g):
        return g, None


def _check_bool_sub(a, b):
    if a.dtype is dtypes.bool and (not isinstance(b, Tensor) or b.dtype is dtypes.bool) and (
            isinstance(b, (Tensor, bool))):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if a.dtype is dtypes.bool or (isinstance(b, Tensor) and b.dtype is dtypes.bool):
        if isinstance(b, Tensor) and (a.dtype is dtypes.bool or b.dtype is dtypes.bool) and (
                a.dtype is dtypes.bool) != (b.dtype is dtypes.bool) and False:
            pass


def sub(input, other, *, alpha=1, out=None):
    if not isinstance(input, Tensor):
        return rsub(other, input, alpha=alpha)
    _check_bool_sub(input, other)
    if alpha != 1:
        ad, bd, _ = _binary_operands(input, other)
        if isinstance(other, Tensor):
            return _out(out, Sub.apply(_cast_view(input, ad), _cast_view(other, bd), alpha))
        return _out(out, Sub.apply(_cast_view(input, ad), other, alpha))
    return _out(out, _fast_binary(_SubT, _SubS, np.subtract, input, other))


subtract = sub


def rsub(input, other, *, alpha=1):
    """other - alpha * input"""
    if isinstance(other, Tensor):
        return sub(other, input, alpha=alpha)
    ad, s, _ = _binary_operands(input, other)
    if alpha != 1:
        return neg(input) * alpha + other
    return Rsub.apply(_cast_view(input, ad), s)


def mul(input, other, *, out=None):
    if not isinstance(input, Tensor):
        input, other = other, input
    return _out(out, _fast_binary(Mul, MulScalar, np.multiply, input, other))


multiply = mul


def _true_div_operands(a, b):
    """Division of integers is true division into the default float dtype."""
    if a._data.dtype.kind != "f" and (not isinstance(b, Tensor) or b._data.dtype.kind != "f") and not (
            isinstance(b, float)):
        fd = dtypes.get_default_dtype()
        a = a.to(fd)
        if isinstance(b, Tensor):
            b = b.to(fd)
    return a, b


def div(input, other, *, rounding_mode=None, out=None):
    if not isinstance(input, Tensor):
        input = _scalar_tensor_like(input, other)
    if rounding_mode is None:
        input, other = _true_div_operands(input, other)
        return _out(out, _fast_binary(Div, DivScalar, np.true_divide, input, other))
    if rounding_mode == "trunc":
        if input.is_floating_point() or (isinstance(other, Tensor) and other.is_floating_point()) or isinstance(
                other, float):
            return _out(out, trunc(div(input, other)))
        ad, bd, _ = _binary_operands(input, other)
        _check_int_zero_div(bd)
        q = np.trunc(np.true_divide(ad, bd)).astype(ad.dtype)
        return _out(out, _wrap(_as_array(q, ad)))
    if rounding_mode == "floor":
        return _out(out, floor_divide(input, other))
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                       f"'{rounding_mode}'")


divide = div
true_divide = div


def _check_int_zero_div(bd):
    if getattr(bd, "dtype", np.dtype(np.float32)).kind in "iub" or isinstance(bd, int):
        if np.any(np.asarray(bd) == 0):
            raise RuntimeError("ZeroDivisionError")


def _scalar_tensor_like(s, t):
    from .creation import tensor
    return tensor(s, device=t.device if isinstance(t, Tensor) else None)


def rdiv(self, other):
    """other / self for a Python scalar `other`."""
    a, b = _true_div_operands(self, other)
    ad, s, _ = _binary_operands(a, b)
    if not (GradMode.enabled and a._requires_grad):
        return _wrap(_as_array(s / ad, ad))
    return RDivScalar.apply(_cast_view(a, ad), s)


class FloorDivide(Function):
    _name = "FloorDivideBackward0"

    @staticmethod
    def forward(ctx, a, b):
        return _as_array(array_module(a).floor_divide(a, b), a)

    @staticmethod
    def backward(ctx, g):
        return g * 0, None


def floor_divide(input, other, *, out=None):
    if not isinstance(input, Tensor):
        input = _scalar_tensor_like(input, other)
    ad, bd, _ = _binary_operands(input, other)
    if ad.dtype.kind in "iu":
        _check_int_zero_div(bd)
    result = _wrap(_as_array(array_module(ad).floor_divide(ad, bd), ad))
    return _out(out, result)


def remainder(input, other, *, out=None):
    if not isinstance(input, Tensor):
        input = _scalar_tensor_like(input, other)
    ad, bd, _ = _binary_operands(input, other)
    if ad.dtype.kind in "iu":
        _check_int_zero_div(bd)
    if GradMode.enabled and input._requires_grad:
        return _out(out, input - floor_divide(input, other) * other)
    return _out(out, _wrap(_as_array(array_module(ad).mod(ad, bd), ad)))


def fmod(input, other, *, out=None):
    ad, bd, _ = _binary_operands(input, other)
    if GradMode.enabled and input._requires_grad:
        return _out(out, input - div(input, other, rounding_mode="trunc") * other)
    return _out(out, _wrap(_as_array(array_module(ad).fmod(ad, bd), ad)))


def pow(input, exponent, *, out=None):
    if not isinstance(input, Tensor):
        base = input
        t = exponent
        if t._data.dtype.kind != "f" and isinstance(base, float):
            t = t.to(dtypes.get_default_dtype())
        ad, _, _ = _binary_operands(t, base)
        if not (GradMode.enabled and t._requires_grad):
            return _out(out, _wrap(_as_array(np.power(ad.dtype.type(base), ad), ad)))
        return _out(out, RPowScalar.apply(_cast_view(t, ad), base))
    if isinstance(exponent, Tensor):
        ad, bd, _ = _binary_operands(input, exponent)
        if ad.dtype.kind in "iu" and (bd < 0).any():
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if not (GradMode.enabled and (input._requires_grad or exponent._requires_grad)):
            return _out(out, _wrap(_as_array(np.power(ad, bd), ad)))
        return _out(out, Pow.apply(_cast_view(input, ad), _cast_view(exponent, bd)))
    ad, e, _ = _binary_operands(input, exponent)
    if ad.dtype.kind in "iu" and isinstance(e, int) and e < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if not (GradMode.enabled and input._requires_grad):
        if e == 2:
            return _out(out, _wrap(ad * ad))
        return _out(out, _wrap(_as_array(np.power(ad, e), ad)))
    return _out(out, PowScalar.apply(_cast_view(input, ad), e))


def float_power(input, exponent):
    a = input.double() if isinstance(input, Tensor) else input
    e = exponent.double() if isinstance(exponent, Tensor) else exponent
    return pow(a, e)


def _out(out, result):
    """Write `result` into a user-given `out=` tensor (PyTorch resizes it if needed)."""
    if out is None:
        return result
    if out.shape != result.shape:
        out._data = result._data.astype(out._data.dtype).copy()
    else:
        out._data[...] = result._data
    out._bump_version()
    return out


# ---- unary math -----------------------------------------------------------------------
def _unary(name, node_name, fwd, grad_of, float_only=True, save="input"):
    """Build a one-input Function from its forward array function and its backward formula.

    `grad_of(g, x, y)` gets the incoming gradient, the input and the output as Tensors.
    """

    class Unary(Function):
        _name = node_name

        @staticmethod
        def forward(ctx, x):
            y = fwd(x)
            if type(y) is not np.ndarray:
                y = _as_array(y, x)
            if save == "input":
                ctx.save_for_backward(x)
            elif save == "output":
                ctx.save_for_backward(y)
            elif save == "both":
                ctx.save_for_backward(x, y)
            return y

        @staticmethod
        def backward(ctx, g):
            saved = ctx.saved_tensors
            if save == "input":
                return grad_of(g, saved[0], None)
            if save == "output":
                return grad_of(g, None, saved[0])
            if save == "both":
                return grad_of(g, saved[0], saved[1])
            return grad_of(g, None, None)

    Unary.__name__ = Unary.__qualname__ = name.capitalize()

    def op(input, *, out=None):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
        data = float_array(input) if float_only else input._data
        if GradMode.enabled and input._requires_grad:
            x = input if data is input._data else _cast_view(input, data)
            return _out(out, Unary.apply(x))
        y = fwd(data)
        if type(y) is not np.ndarray:
            y = _as_array(y, data)
        return _out(out, _wrap(y))

    op.__name__ = op.__qualname__ = name
    op.Function = Unary
    return op


def _xp(x):
    return array_module(x)


exp = _unary("exp", "ExpBackward0", lambda x: _xp(x).exp(x), lambda g, x, y: g * y, save="output")
exp2 = _unary("exp2", "Exp2Backward0", lambda x: _xp(x).exp2(x), lambda g, x, y: g * y * 0.6931471805599453,
              save="output")
expm1 = _unary("expm1", "Expm1Backward0", lambda x: _xp(x).expm1(x), lambda g, x, y: g * (y + 1), save="output")
log = _unary("log", "LogBackward0", lambda x: _xp(x).log(x), lambda g, x, y: g / x)
log2 = _unary("log2", "Log2Backward0", lambda x: _xp(x).log2(x), lambda g, x, y: g / (x * 0.6931471805599453))
log10 = _unary("log10", "Log10Backward0", lambda x: _xp(x).log10(x), lambda g, x, y: g / (x * 2.302585092994046))
log1p = _unary("log1p", "Log1PBackward0", lambda x: _xp(x).log1p(x), lambda g, x, y: g / (x + 1))
sqrt = _unary("sqrt", "SqrtBackward0", lambda x: _xp(x).sqrt(x), lambda g, x, y: g / (2 * y), save="output")
rsqrt = _unary("rsqrt", "RsqrtBackward0", lambda x: 1 / _xp(x).sqrt(x), lambda g, x, y: g * -0.5 * y * y * y,
               save="output")
sin = _unary("sin", "SinBackward0", lambda x: _xp(x).sin(x), lambda g, x, y: g * x.cos())
cos = _unary("cos", "CosBackward0", lambda x: _xp(x).cos(x), lambda g, x, y: -g * x.sin())
tan = _unary("tan", "TanBackward0", lambda x: _xp(x).tan(x), lambda g, x, y: g * (1 + y * y), save="output")
asin = _unary("asin", "AsinBackward0", lambda x: _xp(x).arcsin(x), lambda g, x, y: g / (1 - x * x).sqrt())
acos = _unary("acos", "AcosBackward0", lambda x: _xp(x).arccos(x), lambda g, x, y: -g / (1 - x * x).sqrt())
atan = _unary("atan", "AtanBackward0", lambda x: _xp(x).arctan(x), lambda g, x, y: g / (1 + x * x))
sinh = _unary("sinh", "SinhBackward0", lambda x: _xp(x).sinh(x), lambda g, x, y: g * x.cosh())
cosh = _unary("cosh", "CoshBackward0", lambda x: _xp(x).cosh(x), lambda g, x, y: g * x.sinh())
tanh = _unary("tanh", "TanhBackward0", lambda x: _xp(x).tanh(x), lambda g, x, y: g * (1 - y * y), save="output")
asinh = _unary("asinh", "AsinhBackward0", lambda x: _xp(x).arcsinh(x), lambda g, x, y: g / (x * x + 1).sqrt())
acosh = _unary("acosh", "AcoshBackward0", lambda x: _xp(x).arccosh(x), lambda g, x, y: g / (x * x - 1).sqrt())
atanh = _unary("atanh", "AtanhBackward0", lambda x: _xp(x).arctanh(x), lambda g, x, y: g / (1 - x * x))


def _sigmoid_array(x):
    xp = _xp(x)
    # exp(-|x|) never overflows; the two branches put it where it belongs
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


sigmoid = _unary("sigmoid", "SigmoidBackward0", _sigmoid_array, lambda g, x, y: g * y * (1 - y), save="output")


def _erf_array(x):
    try:
        from scipy.special import erf as _erf
        return _erf(x).astype(x.dtype, copy=False)
    except ImportError:  # pragma: no cover - scipy is optional
        import math
        return np.vectorize(math.erf, otypes=[x.dtype])(x)


erf = _unary("erf", "ErfBackward0",
             _erf_array, lambda g, x, y: g * 1.1283791670955126 * (-(x * x)).exp())
reciprocal = _unary("reciprocal", "ReciprocalBackward0", lambda x: 1 / x, lambda g, x, y: -g * y * y, save="output")
abs = _unary("abs", "AbsBackward0", lambda x: _xp(x).abs(x), lambda g, x, y: g * x.sign(), float_only=False)
absolute = abs
neg = _unary("neg", "NegBackward0", lambda x: _neg_array(x), lambda g, x, y: -g, float_only=False, save=None)
negative = neg


def _neg_array(x):
    if x.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")
    return -x


def _zero_grad(g, x, y):
    return g * 0


floor = _unary("floor", "FloorBackward0", lambda x: _xp(x).floor(x) if x.dtype.kind == "f" else x.copy(),
               _zero_grad, float_only=False, save=None)
ceil = _unary("ceil", "CeilBackward0", lambda x: _xp(x).ceil(x) if x.dtype.kind == "f" else x.copy(),
              _zero_grad, float_only=False, save=None)
trunc = _unary("trunc", "TruncBackward0", lambda x: _xp(x).trunc(x) if x.dtype.kind == "f" else x.copy(),
               _zero_grad, float_only=False, save=None)
fix = trunc
frac = _unary("frac", "FracBackward0", lambda x: x - _xp(x).trunc(x), lambda g, x, y: g, save=None)
sign = _unary("sign", "SignBackward0", lambda x: _xp(x).sign(x), _zero_grad, float_only=False, save=None)
sgn = sign
square_ = None


def square(input):
    return pow(input, 2)


def _round_array(x, decimals=0):
    if x.dtype.kind != "f":
        return x.copy()
    if decimals == 0:
        return _xp(x).round(x)
    return _xp(x).round(x, decimals)


_round0 = _unary("round", "RoundBackward0", _round_array, _zero_grad, float_only=False, save=None)


def round(input, *, decimals=0, out=None):
    if decimals == 0:
        return _round0(input, out=out)
    result = _wrap(_round_array(input._data, decimals))
    return _out(out, result)


def _relu_array(x):
    return _xp(x).maximum(x, x.dtype.type(0)) if x.dtype.kind != "b" else x.copy()


relu = _unary("relu", "ReluBackward0", _relu_array, lambda g, x, y: g * (y > 0), float_only=False,
              save="output")


class Clamp(Function):
    _name = "ClampBackward1"

    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = _xp(x)
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        if lo is not None and hi is not None:
            return _as_array(xp.minimum(xp.maximum(x, lo), hi), x)
        if lo is not None:
            return _as_array(xp.maximum(x, lo), x)
        return _as_array(xp.minimum(x, hi), x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        mask = None
        if ctx.lo is not None:
            mask = x >= ctx.lo
        if ctx.hi is not None:
            m2 = x <= ctx.hi
            mask = m2 if mask is None else mask & m2
        return g * mask, None, None


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
        return _as_array(y, x)

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        mask = None
        if lo is not None:
            mask = x >= lo
        if hi is not None:
            m2 = x <= hi
            mask = m2 if mask is None else mask & m2
        return g * mask, None, None


def clamp(input, min=None, max=None, *, out=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return _out(out, ClampT.apply(input, min, max))
    data = input._data
    if data.dtype.kind != "f" and (isinstance(min, float) or isinstance(max, float)):
        input = input.to(dtypes.get_default_dtype())
    if GradMode.enabled and input._requires_grad:
        node = Clamp if min is not None and max is not None else (_ClampMin if min is not None else _ClampMax)
        return _out(out, node.apply(input, min, max))
    return _out(out, _wrap(Clamp.forward(_Scratch(), input._data, min, max)))


class _ClampMin(Clamp):
    _name = "ClampMinBackward0"


class _ClampMax(Clamp):
    _name = "ClampMaxBackward0"


class _Scratch:
    """A throwaway ctx for calling a forward without recording."""

    def save_for_backward(self, *args):
        pass


clip = clamp


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


class Where(Function):
    _name = "WhereBackward0"

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return _as_array(_xp(cond).where(cond, a, b), a)

    @staticmethod
    def backward(ctx, g):
        cond, = ctx.saved_tensors
        need = ctx.needs_input_grad
        zero = g * 0
        return (None, where(cond, g, zero) if need[1] else None, where(cond, zero, g) if need[2] else None)


def where(condition, input=None, other=None, *, out=None):
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError("where(): argument 'condition' must be Tensor")
    if condition._data.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_label(condition._data.dtype)}")
    tensors = [t for t in (input, other) if isinstance(t, Tensor)]
    scalars = [s for s in (input, other) if not isinstance(s, Tensor)]
    rt = _result_type(tensors, scalars)
    a = input.to(rt) if isinstance(input, Tensor) else _wrap(np.asarray(input, dtype=rt.np))
    b = other.to(rt) if isinstance(other, Tensor) else _wrap(np.asarray(other, dtype=rt.np))
    return _out(out, Where.apply(condition, a, b))


class Maximum(Function):
    _name = "MaximumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _as_array(_xp(a).maximum(a, b), a)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _split_ties(g, a > b, a == b)


class Minimum(Function):
    _name = "MinimumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _as_array(_xp(a).minimum(a, b), a)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _split_ties(g, a < b, a == b)


def _split_ties(g, a_wins, tie):
    # PyTorch gives each side half the gradient where the two are equal
    half = g * tie * 0.5
    ga = g * a_wins + half
    gb = g * (~a_wins & ~tie) + half
    return ga, gb


def maximum(input, other, *, out=None):
    ad, bd, _ = _binary_operands(input, other)
    return _out(out, Maximum.apply(_cast_view(input, ad), _cast_view(other, bd)))


def minimum(input, other, *, out=None):
    ad, bd, _ = _binary_operands(input, other)
    return _out(out, Minimum.apply(_cast_view(input, ad), _cast_view(other, bd)))


fmax = maximum
fmin = minimum


class LerpScalar(Function):
    _name = "LerpBackward0"

    @staticmethod
    def forward(ctx, a, b, w):
        ctx.w = w
        return _as_array(a + w * (b - a), a)

    @staticmethod
    def backward(ctx, g):
        return g * (1 - ctx.w), g * ctx.w, None


class LerpTensor(Function):
    _name = "LerpBackward1"

    @staticmethod
    def forward(ctx, a, b, w):
        ctx.save_for_backward(a, b, w)
        return _as_array(a + w * (b - a), a)

    @staticmethod
    def backward(ctx, g):
        a, b, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g * (1 - w) if need[0] else None, g * w if need[1] else None,
                g * (b - a) if need[2] else None)


def lerp(input, end, weight, *, out=None):
    if isinstance(weight, Tensor):
        return _out(out, LerpTensor.apply(input, end, weight))
    return _out(out, LerpScalar.apply(input, end, weight))


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    return _out(out, input + value * tensor1 * tensor2 if value != 1 else input + tensor1 * tensor2)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    return _out(out, input + value * (tensor1 / tensor2))


def atan2(input, other, *, out=None):
    y, x = input, other
    return _out(out, _Atan2.apply(*_float_pair(y, x)))


arctan2 = atan2


def _float_pair(a, b):
    ad, bd, _ = _binary_operands(a, b)
    if ad.dtype.kind != "f":
        fd = dtypes.get_default_dtype()
        return a.to(fd), b.to(fd)
    return _cast_view(a, ad), _cast_view(b, bd)


class _Atan2(Function):
    _name = "Atan2Backward0"

    @staticmethod
    def forward(ctx, y, x):
        ctx.save_for_backward(y, x)
        return _as_array(_xp(y).arctan2(y, x), y)

    @staticmethod
    def backward(ctx, g):
        y, x = ctx.saved_tensors
        denom = x * x + y * y
        return g * x / denom, -g * y / denom


# ---- comparisons and logic (no gradients) ---------------------------------------
def _compare(np_op, name):
    def op(input, other, *, out=None):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(input).__name__}")
        ad, bd, _ = _binary_operands(input, other)
        return _out(out, _wrap(_as_array(np_op(ad, bd), ad)))

    op.__name__ = op.__qualname__ = name
    return op


eq = _compare(np.equal, "eq")
ne = _compare(np.not_equal, "ne")
lt = _compare(np.less, "lt")
le = _compare(np.less_equal, "le")
gt = _compare(np.greater, "gt")
ge = _compare(np.greater_equal, "ge")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _logical(np_op, name):
    def op(input, other, *, out=None):
        od = other._data if isinstance(other, Tensor) else other
        return _out(out, _wrap(_as_array(np_op(input._data, od), input._data)))

    op.__name__ = name
    return op


logical_and = _logical(np.logical_and, "logical_and")
logical_or = _logical(np.logical_or, "logical_or")
logical_xor = _logical(np.logical_xor, "logical_xor")


def logical_not(input, *, out=None):
    return _out(out, _wrap(_as_array(np.logical_not(input._data), input._data)))


def _bitwise(np_op, name, symbol):
    def op(input, other, *, out=None):
        if not isinstance(input, Tensor):
            input, other = other, input
        ad, bd, _ = _binary_operands(input, other)
        if ad.dtype.kind == "f" or getattr(bd, "dtype", None) is not None and bd.dtype.kind == "f" or isinstance(
                bd, float):
            raise RuntimeError(f"\"{name}_cpu\" not implemented for 'Float'")
        return _out(out, _wrap(_as_array(np_op(ad, bd), ad)))

    op.__name__ = name
    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and", "&")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or", "|")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor", "^")


def bitwise_not(input, *, out=None):
    if input._data.dtype.kind == "f":
        raise RuntimeError("\"bitwise_not_cpu\" not implemented for 'Float'")
    return _out(out, _wrap(_as_array(np.invert(input._data), input._data)))


def isnan(input):
    return _wrap(_as_array(np.isnan(input._data), input._data))


def isinf(input):
    return _wrap(_as_array(np.isinf(input._data), input._data))


def isfinite(input):
    return _wrap(_as_array(np.isfinite(input._data), input._data))


def isposinf(input):
    return _wrap(_as_array(np.isposinf(input._data), input._data))


def isneginf(input):
    return _wrap(_as_array(np.isneginf(input._data), input._data))


def signbit(input):
    return _wrap(_as_array(np.signbit(input._data), input._data))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    return _out(out, _wrap(np.nan_to_num(input._data, nan=nan, posinf=posinf, neginf=neginf)))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    if input.dtype != other.dtype:
        raise RuntimeError(f"{input.dtype} did not match {other.dtype}")
    return _wrap(_as_array(np.isclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan),
                           input._data))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return builtins.bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other):
    """True when both tensors have the same shape and the same values."""
    if input.shape != other.shape:
        return False
    ad, bd, _ = _binary_operands(input, other)
    return builtins.bool((ad == bd).all())


methods = dict(
    add=add, sub=sub, subtract=sub, mul=mul, multiply=mul, div=div, divide=div, true_divide=div,
    floor_divide=floor_divide, remainder=remainder, fmod=fmod, pow=pow, float_power=float_power,
    exp=exp, exp2=exp2, expm1=expm1, log=log, log2=log2, log10=log10, log1p=log1p, sqrt=sqrt, rsqrt=rsqrt,
    sin=sin, cos=cos, tan=tan, asin=asin, acos=acos, atan=atan, arcsin=asin, arccos=acos, arctan=atan,
    sinh=sinh, cosh=cosh, tanh=tanh, asinh=asinh, acosh=acosh, atanh=atanh, sigmoid=sigmoid, erf=erf,
    reciprocal=reciprocal, abs=abs, absolute=abs, neg=neg, negative=neg, floor=floor, ceil=ceil, trunc=trunc,
    fix=trunc, frac=frac, sign=sign, sgn=sign, square=square, round=round, relu=relu, clamp=clamp, clip=clamp,
    clamp_min=clamp_min, clamp_max=clamp_max, where=lambda self, cond, other: where(cond, self, other),
    maximum=maximum, minimum=minimum, fmax=maximum, fmin=minimum, lerp=lerp, addcmul=addcmul, addcdiv=addcdiv,
    atan2=atan2, arctan2=atan2,
    eq=eq, ne=ne, lt=lt, le=le, gt=gt, ge=ge, greater=gt, greater_equal=ge, less=lt, less_equal=le,
    not_equal=ne, logical_and=logical_and, logical_or=logical_or, logical_xor=logical_xor,
    logical_not=logical_not, bitwise_and=bitwise_and, bitwise_or=bitwise_or, bitwise_xor=bitwise_xor,
    bitwise_not=bitwise_not, isnan=isnan, isinf=isinf, isfinite=isfinite, isposinf=isposinf,
    isneginf=isneginf, signbit=signbit, nan_to_num=nan_to_num, isclose=isclose, allclose=allclose,
    equal=equal, rsub=rsub,
)

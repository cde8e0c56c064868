"""In-place ops (`add_`, `mul_`, `zero_`, `uniform_`, ...).

Without gradient recording an in-place op simply writes into the tensor's
memory, so every view (and every NumPy array sharing it) sees the change.
While recording, it is the out-of-place op applied to a snapshot of the old
value, written back into the tensor, which then takes over the new graph node
(`_rebase_inplace`).  Either way the version counter is bumped, which lets
backward detect a saved value that was overwritten.
"""
import numpy as np

from .. import dtypes, random as _random
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor, _wrap
from . import pointwise as P
from . import indexing as I
from ._util import array_module

_LEAF_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."


def _check_writable(self):
    if not self._data.flags.writeable:
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                           "single memory location. Please clone() the tensor before performing the operation.")


def _write(self, array):
    """Copy `array` into self's memory, keeping self's dtype (PyTorch's rules for in-place casts)."""
    _check_writable(self)
    if array.dtype != self._data.dtype:
        P._check_cast(array.dtype, self)
    if array.shape != self._data.shape:
        try:
            np.broadcast_shapes(array.shape, self._data.shape) == self._data.shape or _raise_shape(self, array)
        except ValueError:
            _raise_shape(self, array)
        if np.broadcast_shapes(array.shape, self._data.shape) != self._data.shape:
            _raise_shape(self, array)
    self._data[...] = array
    self._version_counter[0] += 1


def _raise_shape(self, array):
    raise RuntimeError(f"output with shape [{', '.join(map(str, self._data.shape))}] doesn't match the broadcast "
                       f"shape [{', '.join(map(str, np.broadcast_shapes(array.shape, self._data.shape)))}]")


def _rebase_inplace(self, compute):
    """Apply out-of-place `compute(old)` and make self hold its value and graph node."""
    if self.grad_fn is None and self._requires_grad and GradMode.enabled:
        raise RuntimeError(_LEAF_ERROR)
    if self._base is not None and self._base._requires_grad and self._base.grad_fn is None and GradMode.enabled:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    old = _wrap(self._data.copy(), self._requires_grad)
    old.grad_fn, old._output_nr = self.grad_fn, self._output_nr
    if old.grad_fn is None and self._requires_grad:
        old._grad_accumulator = self._grad_accumulator
    result = compute(old)
    _write(self, result._data)
    if result._requires_grad:
        self._requires_grad = True
        self.grad_fn = result.grad_fn
        self._output_nr = result._output_nr
    return self


def _recording(self, other=None):
    return GradMode.enabled and (self._requires_grad or (isinstance(other, Tensor) and other._requires_grad))


def _inplace_from(op):
    """`name_` from out-of-place `name`: same arguments, result written into self."""

    def method(self, *args, **kwargs):
        if _recording(self, args[0] if args else None):
            return _rebase_inplace(self, lambda old: op(old, *args, **kwargs))
        prev = GradMode.enabled
        GradMode.enabled = False
        try:
            result = op(self, *args, **kwargs)
        finally:
            GradMode.enabled = prev
        _write(self, result._data)
        return self

    method.__name__ = op.__name__ + "_"
    return method


def _ufunc_inplace(ufunc, op):
    """Fast add_/mul_/... for the no-grad case: the ufunc writes straight into self."""
    slow = _inplace_from(op)

    def method(self, other, **kwargs):
        if kwargs or _recording(self, other):
            return slow(self, other, **kwargs)
        ad, bd, _ = P._binary_operands(self, other)
        if ad is not self._data:  # the result type is wider than self: check the cast
            P._check_cast(ad.dtype, self)
            ad = self._data
        _check_writable(self)
        try:
            ufunc(ad, bd, out=ad, casting="unsafe")
        except ValueError:
            _raise_shape(self, np.broadcast_to(bd, np.broadcast_shapes(np.shape(bd), ad.shape)))
        self._version_counter[0] += 1
        return self

    method.__name__ = op.__name__ + "_"
    return method


def add_(self, other, *, alpha=1):
    if alpha != 1:
        if _recording(self, other):
            return _rebase_inplace(self, lambda old: P.add(old, other, alpha=alpha))
        other = other * alpha
    return _add_(self, other)


def sub_(self, other, *, alpha=1):
    if alpha != 1:
        if _recording(self, other):
            return _rebase_inplace(self, lambda old: P.sub(old, other, alpha=alpha))
        other = other * alpha
    return _sub_(self, other)


_add_ = _ufunc_inplace(np.add, P.add)
_sub_ = _ufunc_inplace(np.subtract, P.sub)
mul_ = _ufunc_inplace(np.multiply, P.mul)


def div_(self, other, *, rounding_mode=None):
    if rounding_mode is None and not _recording(self, other) and self._data.dtype.kind == "f":
        return _ufunc_inplace(np.true_divide, P.div)(self, other)
    return _inplace_from(P.div)(self, other, rounding_mode=rounding_mode)


def zero_(self):
    _check_writable(self)
    if _recording(self) and self.grad_fn is None:
        raise RuntimeError(_LEAF_ERROR)
    self._data[...] = 0
    self._version_counter[0] += 1
    return self


def fill_(self, value):
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        value = value.item()
    if _recording(self) and self.grad_fn is None:
        raise RuntimeError(_LEAF_ERROR)
    _check_writable(self)
    self._data[...] = value
    self._version_counter[0] += 1
    return self


def copy_(self, src, non_blocking=False):
    """Copy `src` (broadcast and cast) into self."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not {type(src).__name__}")
    if _recording(self, src):
        return _rebase_inplace(self, lambda old: _Copy.apply(old, src))
    data = src._data
    if type(data) is not type(self._data):
        from .._backend import to_device
        data = to_device(data, self.device)
    try:
        shape = np.broadcast_shapes(data.shape, self._data.shape)
    except ValueError:
        shape = None
    if shape != self._data.shape:
        raise RuntimeError(f"The size of tensor a ({self._data.shape[-1] if self._data.ndim else 1}) must match the "
                           f"size of tensor b ({data.shape[-1] if data.ndim else 1}) at non-singleton dimension "
                           f"{max(self._data.ndim - 1, 0)}")
    _check_writable(self)
    self._data[...] = data
    self._version_counter[0] += 1
    return self


class _CopyFn(P.Function):
    _name = "CopyBackwards"

    @staticmethod
    def forward(ctx, old, src):
        ctx.src_dtype = src.dtype
        return array_module(old).broadcast_to(src.astype(old.dtype), old.shape).copy()

    @staticmethod
    def backward(ctx, g):
        return g * 0, g.to(dtypes._FROM_NUMPY[ctx.src_dtype])


_Copy = _CopyFn


# ---- random fills: values come from huoba's PyTorch-compatible generator --------------
def _random_fill(self, array):
    _check_writable(self)
    self._data[...] = array if type(self._data) is np.ndarray else array_module(self._data).asarray(array)
    self._version_counter[0] += 1
    return self


def uniform_(self, a=0.0, b=1.0, *, generator=None):
    return _random_fill(self, _random.uniform(self._data.shape, self.dtype, a, b, generator=generator))


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    return _random_fill(self, _random.normal(self._data.shape, self.dtype, mean, std, generator=generator))


def bernoulli_(self, p=0.5, *, generator=None):
    probs = p._data if isinstance(p, Tensor) else p
    return _random_fill(self, _random.bernoulli(probs, self._data.shape, self.dtype, generator=generator))


def random_(self, from_=None, to=None, *, generator=None):
    if from_ is None:
        return _random_fill(self, _random.random_(self._data.shape, self.dtype, generator=generator))
    if to is None:
        from_, to = 0, from_
    return _random_fill(self, _random.randint(from_, to, self._data.shape, self.dtype, generator=generator))


def exponential_(self, lambd=1.0, *, generator=None):
    return _random_fill(self, _random.exponential(self._data.shape, self.dtype, lambd, generator=generator))


# ---- in-place shape changes ------------------------------------------------------
def resize_(self, *sizes):
    from ._util import as_shape
    shape = as_shape(sizes)
    n = int(np.prod(shape))
    flat = self._data.reshape(-1)
    if flat.size >= n:
        self._data = flat[:n].reshape(shape)
    else:
        new = array_module(self._data).zeros(n, self._data.dtype)
        new[:flat.size] = flat
        self._data = new.reshape(shape)
    self._version_counter[0] += 1
    return self


def _shape_inplace(op):
    def method(self, *args):
        result = op(self, *args)
        self._data = result._data
        return self
    method.__name__ = op.__name__ + "_"
    return method


from . import shape as S  # noqa: E402

methods = dict(
    add_=add_, sub_=sub_, subtract_=sub_, mul_=mul_, multiply_=mul_, div_=div_, divide_=div_, true_divide_=div_,
    zero_=zero_, fill_=fill_, copy_=copy_, uniform_=uniform_, normal_=normal_, bernoulli_=bernoulli_,
    random_=random_, exponential_=exponential_, resize_=resize_,
    t_=_shape_inplace(S.t), transpose_=_shape_inplace(S.transpose), unsqueeze_=_shape_inplace(S.unsqueeze),
    squeeze_=_shape_inplace(S.squeeze), swapaxes_=_shape_inplace(S.transpose),
    masked_fill_=_inplace_from(I.masked_fill), scatter_=_inplace_from(I.scatter),
    scatter_add_=_inplace_from(I.scatter_add), index_add_=_inplace_from(I.index_add),
    index_copy_=_inplace_from(I.index_copy), index_fill_=_inplace_from(I.index_fill),
    index_put_=I.index_put_, masked_scatter_=_inplace_from(I.masked_scatter),
)
for _name in ("pow", "floor_divide", "remainder", "fmod", "exp", "exp2", "expm1", "log", "log2", "log10",
              "log1p", "sqrt", "rsqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
              "sigmoid", "erf", "reciprocal", "abs", "neg", "floor", "ceil", "trunc", "frac", "sign", "round",
              "relu", "clamp", "clamp_min", "clamp_max", "lerp", "addcmul", "addcdiv", "square", "atan2",
              "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or",
              "bitwise_xor", "bitwise_not", "nan_to_num", "eq", "ne", "lt", "le", "gt", "ge"):
    methods[_name + "_"] = _inplace_from(getattr(P, _name))
methods["clip_"] = methods["clamp_"]
methods["negative_"] = methods["neg_"]
methods["absolute_"] = methods["abs_"]
methods["fix_"] = methods["trunc_"]

pow_ = methods["pow_"]
bitwise_and_ = methods["bitwise_and_"]
bitwise_or_ = methods["bitwise_or_"]
bitwise_xor_ = methods["bitwise_xor_"]

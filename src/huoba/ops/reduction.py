"""Reductions and the ops that sort, scan or count along a dimension.

sum, mean, nansum, nanmean, prod, max/min (and their indices), amax/amin, argmax/argmin,
aminmax, var/std (and var_mean/std_mean), norm/vector_norm/dist/cdist, logsumexp,
all/any, cumsum/cumprod/cummax/cummin, sort/argsort/msort/topk/kthvalue, median/nanmedian,
mode, unique/unique_consecutive, bincount, histc, searchsorted/bucketize, diff, trace.

Each differentiable op is a Function whose backward is written with Tensor ops, so
higher-order gradients work.  When nothing is recorded the op runs on arrays only
(`_apply`), without building a graph node.

The ops that return (values, indices) give PyTorch's named tuples, `torch.return_types.*`;
they live in the module `huoba.return_types` made here.
"""
import builtins as _b
import math
import operator
import sys
import types
import warnings

import numpy as np

from .. import dtypes
from ..autograd.function import Function
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor, _wrap
from ._util import array_module, wrap_dim, wrap_dims
from . import pointwise as _pw
from . import shape as _sh
from . import indexing as _ix

__all__ = [
    "sum", "mean", "nansum", "nanmean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "aminmax",
    "var", "std", "var_mean", "std_mean", "norm", "dist", "cdist", "logsumexp", "all", "any",
    "cumsum", "cumprod", "cummax", "cummin", "sort", "argsort", "msort", "topk", "kthvalue", "median",
    "nanmedian", "mode", "unique", "unique_consecutive", "bincount", "histc", "searchsorted", "bucketize",
    "diff", "trace", "return_types",
]


# ---- named tuples: torch.return_types -----------------------------------------------
class _ReturnType(tuple):
    """Base of the `torch.return_types.*` structseqs: a tuple whose items have names."""

    __slots__ = ()
    _fields = ()
    n_sequence_fields = n_fields = 0
    n_unnamed_fields = 0

    def __new__(cls, sequence):
        seq = tuple(sequence)
        if len(seq) != len(cls._fields):
            raise TypeError(f"torch.return_types.{cls.__name__}() takes a {len(cls._fields)}-sequence "
                            f"({len(seq)}-sequence given)")
        return tuple.__new__(cls, seq)

    def __repr__(self):
        body = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
        return f"torch.return_types.{type(self).__name__}(\n{body})"

    __str__ = __repr__

    def __reduce__(self):
        return (type(self), (tuple(self),))


return_types = types.ModuleType("huoba.return_types", "PyTorch's named tuples (structseqs) of multi-output ops.")
return_types.__all__ = []


def make_return_type(name, fields):
    """The `torch.return_types.<name>` class with the given field names (made once)."""
    existing = return_types.__dict__.get(name)
    if existing is not None:
        return existing
    attrs = {"__slots__": (), "_fields": tuple(fields), "n_fields": len(fields),
             "n_sequence_fields": len(fields), "__module__": "huoba.return_types"}
    for i, f in enumerate(fields):
        attrs[f] = property(operator.itemgetter(i), doc=f"Alias for field number {i}")
    cls = type(name, (_ReturnType,), attrs)
    cls.__qualname__ = name
    setattr(return_types, name, cls)
    return_types.__all__.append(name)
    return cls


for _name, _fields in [
        ("max", ("values", "indices")), ("min", ("values", "indices")), ("sort", ("values", "indices")),
        ("topk", ("values", "indices")), ("kthvalue", ("values", "indices")), ("median", ("values", "indices")),
        ("nanmedian", ("values", "indices")), ("mode", ("values", "indices")), ("cummax", ("values", "indices")),
        ("cummin", ("values", "indices")), ("aminmax", ("min", "max")), ("histogram", ("hist", "bin_edges")),
        ("frexp", ("mantissa", "exponent")), ("slogdet", ("sign", "logabsdet")), ("qr", ("Q", "R")),
        ("svd", ("U", "S", "V")), ("geqrf", ("a", "tau")), ("triangular_solve", ("solution", "cloned_coefficient")),
        ("lu_unpack", ("P", "L", "U")), ("linalg_eigh", ("eigenvalues", "eigenvectors")),
        ("linalg_eig", ("eigenvalues", "eigenvectors")), ("linalg_slogdet", ("sign", "logabsdet")),
        ("linalg_qr", ("Q", "R")), ("linalg_svd", ("U", "S", "Vh")), ("linalg_inv_ex", ("inverse", "info")),
        ("linalg_cholesky_ex", ("L", "info")), ("linalg_lu_factor", ("LU", "pivots")),
        ("linalg_lu_factor_ex", ("LU", "pivots", "info")), ("linalg_lu", ("P", "L", "U")),
        ("linalg_lstsq", ("solution", "residuals", "rank", "singular_values")),
        ("linalg_solve_ex", ("result", "info")), ("linalg_ldl_factor", ("LD", "pivots"))]:
    make_return_type(_name, _fields)
return_types.make_return_type = make_return_type
sys.modules.setdefault("huoba.return_types", return_types)
_RT = return_types


# ---- helpers ---------------------------------------------------------------------------
def _arr(x):
    """NumPy hands back scalars for some 0-d results; keep an array."""
    return np.asarray(x) if isinstance(x, np.generic) else x


class _Ctx:
    """Stands in for a graph node when nothing is recorded."""

    def save_for_backward(self, *values):
        pass


def _apply(node, input, *args):
    """Run `node` on `input`: a graph node when recording, else arrays only."""
    if GradMode.enabled and input._requires_grad:
        return node.apply(input, *args)
    out = node.forward(_Ctx(), input._data, *args)
    if type(out) is tuple:
        return tuple(_wrap(_arr(o)) for o in out)
    return _wrap(_arr(out))


def _label(np_dtype):
    return _pw._label(np.dtype(np_dtype))


def _check_tensor(input, fn):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


def _is_int(x):
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _reduce_dims(dim, ndim):
    """dim=None/int/sequence -> tuple of non-negative dims; None and () mean all dims."""
    if dim is None:
        return tuple(range(ndim))
    if _is_int(dim):
        d = wrap_dim(dim, ndim)
        return (d,) if ndim else ()
    if isinstance(dim, Tensor):
        dim = dim.tolist()
        if _is_int(dim):
            return _reduce_dims(dim, ndim)
    dim = tuple(dim)
    if not dim:
        return tuple(range(ndim))
    dims = wrap_dims(dim, ndim)
    return dims if ndim else ()


def _dim_arg(dim, fn, ndim):
    """A single int dim (the ops that reduce one dimension)."""
    if not _is_int(dim):
        raise TypeError(f"{fn}(): argument 'dim' (position 2) must be int, not {type(dim).__name__}")
    return wrap_dim(dim, ndim)


def _count(shape, dims):
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def _keep_shape(shape, dims):
    shape = list(shape)
    for d in dims:
        shape[d] = 1
    return tuple(shape)


def _unsqueeze_back(t, in_shape, dims, keepdim):
    """A reduced Tensor reshaped to its keepdim form (it broadcasts against the input)."""
    if keepdim or not dims:
        return t
    return t.reshape(_keep_shape(in_shape, dims))


def _zeros_like(t, shape=None):
    a = t._data
    return _wrap(array_module(a).zeros(a.shape if shape is None else shape, dtype=a.dtype))


def _accumulate_dtype(a):
    """float16 reductions accumulate in float32, as PyTorch does."""
    return np.float32 if a.dtype == np.float16 else None


def _out(out, result):
    """Write `result` into a user-given `out=` tensor (or tuple of tensors)."""
    if out is None:
        return result
    if isinstance(result, tuple):
        for o, r in zip(out, result):
            _out(o, r)
        return type(result)(out) if isinstance(result, _ReturnType) else tuple(out)
    if out.shape != result.shape:
        out._data = result._data.astype(out._data.dtype, copy=True)
    else:
        out._data[...] = result._data
    out._bump_version()
    return out


def _cast(input, dtype):
    """`input` converted to `dtype` (a huoba dtype), differentiably."""
    if dtype is None or input._data.dtype == dtype.np:
        return input
    return input.to(dtype)


def _select_backward(g, index, dim, in_shape, keepdim):
    """Gradient of ops that pick one element per slice (max(dim), sort, topk, ...):
    `g` goes to the positions `index` along `dim`, zeros elsewhere."""
    if len(in_shape) == 0:
        return g.reshape(())
    if not keepdim:
        g = g.unsqueeze(dim)
        index = index.unsqueeze(dim)
    return _ix.scatter(_zeros_like(g, in_shape), dim, index, g)


def _evenly_distribute(g, x, y):
    """Gradient of a full max/min/median: shared evenly among the elements equal to the result."""
    mask = x.isnan() if bool(array_module(y._data).isnan(y._data).any()) else (x == y)
    return _pw.where(mask, g / mask.sum(), 0.0)


def _scale_by_count(g, x, y, dims, keepdim):
    """Gradient of amax/amin over `dims`: shared evenly among the ties of each slice."""
    g = _unsqueeze_back(g, x.shape, dims, keepdim)
    y = _unsqueeze_back(y, x.shape, dims, keepdim)
    mask = x == y
    return (g / mask.sum(dim=dims, keepdim=True)) * mask


def _take_along(x, index, dim):
    """`take_along_axis` with less overhead for the common 1-d and 2-d NumPy cases."""
    if type(x) is np.ndarray:
        if x.ndim == 1:
            return x[index]
        if x.ndim == 2:
            if dim == 1:
                return x[np.arange(x.shape[0])[:, None], index]
            return x[index, np.arange(x.shape[1])]
    return array_module(x).take_along_axis(x, index, axis=dim)


def _revcumsum(t, dim):
    return t.flip(dim).cumsum(dim).flip(dim)


# ---- sum / mean / nansum / nanmean / prod -------------------------------------------------
def _sum_dtype(np_dtype):
    # integer and bool sums accumulate in int64, as in PyTorch
    return np.dtype(np.int64) if np_dtype.kind in "biu" else np_dtype


def _sum_array(x, dims, keepdim, np_dtype):
    if np_dtype == np.float16:
        return _arr(x.sum(axis=dims, keepdims=keepdim, dtype=np.float32)).astype(np.float16)
    return x.sum(axis=dims, keepdims=keepdim, dtype=np_dtype)


class Sum(Function):
    _name = "SumBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim, np_dtype):
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return _sum_array(x, dims, keepdim, np_dtype)

    @staticmethod
    def backward(ctx, g):
        return _unsqueeze_back(g, ctx.in_shape, ctx.dims, ctx.keepdim).expand(ctx.in_shape), None, None, None


class SumDim(Sum):
    _name = "SumBackward1"


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Sum of the elements (over `dim` if given); integers and bools sum to int64."""
    data = input._data
    dims = _reduce_dims(dim, data.ndim)
    np_dtype = dtype.np if dtype is not None else _sum_dtype(data.dtype)
    if GradMode.enabled and input._requires_grad:
        result = (Sum if dim is None else SumDim).apply(input, dims, keepdim, np_dtype)
    else:
        r = _sum_array(data, dims, keepdim, np_dtype)
        result = _wrap(np.asarray(r) if isinstance(r, np.generic) else r)
    return result if out is None else _out(out, result)


def _mean_array(x, dims, keepdim):
    n = _count(x.shape, dims)
    s = _arr(x.sum(axis=dims, keepdims=keepdim, dtype=_accumulate_dtype(x)))
    if n == 0:
        return array_module(x).full(s.shape, np.nan, dtype=x.dtype)
    r = s / n
    return r.astype(x.dtype) if r.dtype != x.dtype else r


class Mean(Function):
    _name = "MeanBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return _mean_array(x, dims, keepdim)

    @staticmethod
    def backward(ctx, g):
        n = _count(ctx.in_shape, ctx.dims)
        g = _unsqueeze_back(g, ctx.in_shape, ctx.dims, ctx.keepdim).expand(ctx.in_shape)
        return (g / n if n else g), None, None


class MeanDim(Mean):
    _name = "MeanBackward1"


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Arithmetic mean (over `dim` if given); floating point inputs (or `dtype=`) only."""
    data = input._data
    if dtype is not None:
        if dtype.np.kind not in "fc":
            raise RuntimeError("mean(): could not infer output dtype. Optional dtype must be either a floating "
                               f"point or complex dtype. Got: {_label(dtype.np)}")
        input = _cast(input, dtype)
        data = input._data
    elif data.dtype.kind not in "fc":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {_label(data.dtype)}")
    dims = _reduce_dims(dim, data.ndim)
    if GradMode.enabled and input._requires_grad:
        result = (Mean if dim is None else MeanDim).apply(input, dims, keepdim)
    else:
        result = _wrap(_arr(_mean_array(data, dims, keepdim)))
    return result if out is None else _out(out, result)


class Nansum(Function):
    _name = "NansumBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim, np_dtype):
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        ctx.save_for_backward(x)
        xp = array_module(x)
        return _sum_array(xp.where(xp.isnan(x), 0, x), dims, keepdim, np_dtype)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        g = _unsqueeze_back(g, ctx.in_shape, ctx.dims, ctx.keepdim).expand(ctx.in_shape)
        return _pw.where(x.isnan(), 0.0, g), None, None, None


def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """sum() treating NaN as zero."""
    data = input._data
    if data.dtype.kind not in "fc":
        return sum(input, dim, keepdim, dtype=dtype, out=out)
    if dtype is not None and dtype.np.kind in "fc":
        input = _cast(input, dtype)
        data = input._data
    dims = _reduce_dims(dim, data.ndim)
    np_dtype = dtype.np if dtype is not None else data.dtype
    return _out(out, _apply(Nansum, input, dims, keepdim, np_dtype))


def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """mean() of the non-NaN elements (NaN where there are none)."""
    if input._data.dtype.kind not in "fc":
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype but got "
                           f"{_label(input._data.dtype)}")
    count = sum(_pw.logical_not(input.isnan()), dim, keepdim)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _out(out, _pw.div(nansum(input, dim, keepdim, dtype=dtype), count))


def _prod_safe_zeros_backward(g, x, dim):
    """d prod / d x_i = prod of the other elements, computed with exclusive cumulative
    products from both ends so that zeros in `x` need no division."""
    if x._data.size == 0:
        return g.expand(x.shape)
    n = x.shape[dim]
    ones_shape = list(x.shape)
    ones_shape[dim] = 1
    ones = _wrap(array_module(x._data).ones(ones_shape, dtype=g._data.dtype))
    before = _sh.cat([ones, x.narrow(dim, 0, n - 1)], dim).cumprod(dim)
    after = _sh.cat([ones, x.narrow(dim, 1, n - 1).flip(dim)], dim).cumprod(dim).flip(dim)
    return g * (before * after)


class Prod(Function):
    _name = "ProdBackward0"

    @staticmethod
    def forward(ctx, x, np_dtype):
        y = _arr(x.prod(dtype=np_dtype))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        if x.ndim == 0:
            return g, None
        if not bool((x._data == 0).any()):
            return g * (y / x), None
        return _prod_safe_zeros_backward(g, x.reshape(-1), 0).reshape(x.shape), None


class ProdDim(Function):
    _name = "ProdBackward1"

    @staticmethod
    def forward(ctx, x, dim, keepdim, np_dtype):
        ctx.dim, ctx.keepdim = dim, keepdim
        y = _arr(x.prod(axis=dim, keepdims=keepdim, dtype=np_dtype)) if x.ndim else x.astype(np_dtype)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        if x.ndim == 0:
            return g, None, None, None
        dim = ctx.dim
        if not ctx.keepdim:
            g, y = g.unsqueeze(dim), y.unsqueeze(dim)
        if not bool((x._data == 0).any()):
            return g * (y / x), None, None, None
        return _prod_safe_zeros_backward(g, x, dim), None, None, None


def prod(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Product of the elements (along one `dim` if given); integers and bools give int64."""
    data = input._data
    if dtype is not None:
        if dtype.np.kind in "fc":
            input = _cast(input, dtype)
            data = input._data
        np_dtype = dtype.np
    else:
        np_dtype = _sum_dtype(data.dtype)
    if dim is None:
        return _out(out, _apply(Prod, input, np_dtype))
    if not _is_int(dim):
        raise TypeError(f"prod() received an invalid combination of arguments - got (Tensor, "
                        f"{type(dim).__name__}), but expected one of:\n * (Tensor input, *, torch.dtype dtype = None)\n"
                        " * (Tensor input, int dim, bool keepdim = False, *, torch.dtype dtype = None)")
    d = wrap_dim(dim, data.ndim)
    return _out(out, _apply(ProdDim, input, d, keepdim, np_dtype))


# ---- max / min / amax / amin / argmax / argmin / aminmax ---------------------------------------
def _empty_full_error(fn):
    return RuntimeError(f"{fn}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                        "reduction dim with the 'dim' argument.")


def _empty_dim_error(fn, d):
    return IndexError(f"{fn}(): Expected reduction dim {d} to have non-zero size.")


class MaxAll(Function):
    _name = "MaxBackward1"
    _reduce = "max"

    @classmethod
    def forward(cls, ctx, x):
        y = _arr(x.max() if cls._reduce == "max" else x.min())
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _evenly_distribute(g, x, y)


class MinAll(MaxAll):
    _name = "MinBackward1"
    _reduce = "min"


class MaxDim(Function):
    _name = "MaxBackward0"
    _reduce = "max"

    @classmethod
    def forward(cls, ctx, x, dim, keepdim):
        ctx.in_shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        xp = array_module(x)
        if x.ndim == 0:
            values, index = x.copy(), xp.zeros((), dtype=np.int64)
        else:
            if cls._reduce == "max":
                index, values = x.argmax(axis=dim, keepdims=keepdim), x.max(axis=dim, keepdims=keepdim)
            else:
                index, values = x.argmin(axis=dim, keepdims=keepdim), x.min(axis=dim, keepdims=keepdim)
            index, values = _arr(index).astype(np.int64, copy=False), _arr(values)
        ctx.save_for_backward(index)
        return values, index

    @staticmethod
    def backward(ctx, g, g_index):
        index, = ctx.saved_tensors
        return _select_backward(g, index, ctx.dim, ctx.in_shape, ctx.keepdim), None, None


class MinDim(MaxDim):
    _name = "MinBackward0"
    _reduce = "min"


def _extreme(fn, full_node, dim_node, input, dim, keepdim, other, out):
    _check_tensor(input, fn)
    if isinstance(dim, Tensor) or other is not None:
        other = dim if other is None else other
        pair = _pw.maximum if fn == "max" else _pw.minimum
        return pair(input, other, out=out)
    data = input._data
    if dim is None:
        if data.size == 0:
            raise _empty_full_error(fn)
        return _out(out, _apply(full_node, input))
    if not _is_int(dim):
        raise TypeError(f"{fn}() received an invalid combination of arguments - got (Tensor, {type(dim).__name__}), "
                        "but expected one of:\n * (Tensor input, *, Tensor out = None)\n"
                        " * (Tensor input, Tensor other, *, Tensor out = None)\n"
                        " * (Tensor input, int dim, bool keepdim = False, *, tuple of Tensors out = None)")
    d = wrap_dim(dim, data.ndim)
    if data.ndim and data.shape[d] == 0:
        raise _empty_dim_error(fn, d)
    values, index = _apply(dim_node, input, d, keepdim)
    return _out(out, getattr(_RT, fn)((values, index)))


def max(input, dim=None, keepdim=False, *, other=None, out=None):
    """max(input) -> the largest element; max(input, dim, keepdim) -> (values, indices);
    max(input, other) -> elementwise maximum."""
    return _extreme("max", MaxAll, MaxDim, input, dim, keepdim, other, out)


def min(input, dim=None, keepdim=False, *, other=None, out=None):
    """min(input) -> the smallest element; min(input, dim, keepdim) -> (values, indices);
    min(input, other) -> elementwise minimum."""
    return _extreme("min", MinAll, MinDim, input, dim, keepdim, other, out)


def _check_extreme_dims(fn, data, dim, dims):
    if data.size == 0:
        if dim is None or (not _is_int(dim) and len(tuple(dim)) == 0):
            raise _empty_full_error(fn)
        for d in dims:
            if data.shape[d] == 0:
                raise _empty_dim_error(fn, d)


class Amax(Function):
    _name = "AmaxBackward0"
    _reduce = "max"

    @classmethod
    def forward(cls, ctx, x, dims, keepdim):
        ctx.dims, ctx.keepdim = dims, keepdim
        y = _arr(x.max(axis=dims, keepdims=keepdim) if cls._reduce == "max" else x.min(axis=dims, keepdims=keepdim))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _scale_by_count(g, x, y, ctx.dims, ctx.keepdim), None, None


class Amin(Amax):
    _name = "AminBackward0"
    _reduce = "min"


def amax(input, dim=(), keepdim=False, *, out=None):
    """Largest elements over `dim` (all dims by default); the gradient is shared among ties."""
    dims = _reduce_dims(dim, input._data.ndim)
    _check_extreme_dims("amax", input._data, dim, dims)
    return _out(out, _apply(Amax, input, dims, keepdim))


def amin(input, dim=(), keepdim=False, *, out=None):
    """Smallest elements over `dim` (all dims by default); the gradient is shared among ties."""
    dims = _reduce_dims(dim, input._data.ndim)
    _check_extreme_dims("amin", input._data, dim, dims)
    return _out(out, _apply(Amin, input, dims, keepdim))


def _arg_extreme(fn, input, dim, keepdim):
    data = input._data
    if data.dtype == np.bool_:
        raise RuntimeError(f"{fn}(): does not support bool input")
    if dim is None:
        if data.size == 0:
            raise IndexError(f"{fn}(): Expected reduction dim to be specified for input.numel() == 0.")
        r = data.argmax() if fn == "argmax" else data.argmin()
        r = _arr(r)
        if keepdim:
            r = r.reshape((1,) * data.ndim)
    else:
        d = _dim_arg(dim, fn, data.ndim)
        if data.ndim == 0:
            r = array_module(data).zeros((), dtype=np.int64)
        else:
            if data.shape[d] == 0:
                raise _empty_dim_error(fn, d)
            r = data.argmax(axis=d, keepdims=keepdim) if fn == "argmax" else data.argmin(axis=d, keepdims=keepdim)
    return _wrap(_arr(r).astype(np.int64, copy=False))


def argmax(input, dim=None, keepdim=False, *, out=None):
    """Index of the (first) largest element, of the flattened input or along `dim`."""
    return _out(out, _arg_extreme("argmax", input, dim, keepdim))


def argmin(input, dim=None, keepdim=False, *, out=None):
    """Index of the (first) smallest element, of the flattened input or along `dim`."""
    return _out(out, _arg_extreme("argmin", input, dim, keepdim))


class Aminmax(Function):
    _name = "AminmaxBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.dims, ctx.keepdim = dims, keepdim
        lo, hi = _arr(x.min(axis=dims, keepdims=keepdim)), _arr(x.max(axis=dims, keepdims=keepdim))
        ctx.save_for_backward(x, lo, hi)
        return lo, hi

    @staticmethod
    def backward(ctx, g_min, g_max):
        x, lo, hi = ctx.saved_tensors
        return (_scale_by_count(g_min, x, lo, ctx.dims, ctx.keepdim)
                + _scale_by_count(g_max, x, hi, ctx.dims, ctx.keepdim)), None, None


def aminmax(input, *, dim=None, keepdim=False, out=None):
    """(min, max) of the input, over all elements or along `dim`."""
    data = input._data
    if dim is None:
        if data.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                               "identity.")
        dims = tuple(range(data.ndim))
    else:
        if not _is_int(dim):
            raise TypeError(f"aminmax(): argument 'dim' must be int, not {type(dim).__name__}")
        d = wrap_dim(dim, data.ndim)
        if data.ndim and data.shape[d] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
        dims = (d,) if data.ndim else ()
    return _out(out, _RT.aminmax(_apply(Aminmax, input, dims, keepdim)))


# ---- var / std / var_mean / std_mean ----------------------------------------------------------
def _var_setup(fn, input, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):  # var(input, unbiased)
        unbiased, dim = dim, None
    data = input._data
    if data.dtype.kind not in "fc":
        what = "std and var" if fn in ("var", "std") else fn
        raise RuntimeError(f"{what} only support floating point and complex dtypes")
    if correction is None:
        correction = 0 if unbiased is False else 1
    elif unbiased is not None:
        raise TypeError(f"{fn}() received an invalid combination of arguments: can't specify both unbiased "
                        "and correction")
    dims = _reduce_dims(dim, data.ndim)
    n = _count(data.shape, dims)
    dof = n - correction
    if dof <= 0:
        warnings.warn(f"{fn}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction "
                      "factor (input numel divided by output numel).", UserWarning, stacklevel=3)
    return dims, n, _b.max(dof, 0)


def _var_arrays(x, dims, keepdim, n, dof):
    """(variance, mean) arrays of `x` over `dims`."""
    xf = x.astype(np.float32) if x.dtype == np.float16 else x
    with np.errstate(invalid="ignore", divide="ignore"):
        total = xf.sum(axis=dims, keepdims=True)
        m = total / n if n else total * np.nan
        d = xf - m
        v = _arr((d * d).sum(axis=dims, keepdims=keepdim))
        v = v / dof if dof else v / np.asarray(0, dtype=v.dtype)
    if not keepdim:
        m = m.reshape(v.shape)
    if xf is not x:
        v, m = v.astype(x.dtype), m.astype(x.dtype)
    return _arr(v), _arr(m)


def _var_backward(g, x, dims, keepdim, dof):
    g = _unsqueeze_back(g, x.shape, dims, keepdim)
    scale = 2.0 / dof if dof else math.inf
    return (g * scale) * (x - x.mean(dim=dims, keepdim=True))


def _std_to_var_grad(g, std):
    return _pw.where(std == 0, 0.0, g / (std * 2))


def _mean_backward(g, shape, dims, keepdim, n):
    g = _unsqueeze_back(g, shape, dims, keepdim).expand(shape)
    return g / n if n else g


class Var(Function):
    _name = "VarBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim, n, dof):
        ctx.dims, ctx.keepdim, ctx.dof = dims, keepdim, dof
        ctx.save_for_backward(x)
        return _var_arrays(x, dims, keepdim, n, dof)[0]

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return _var_backward(g, x, ctx.dims, ctx.keepdim, ctx.dof), None, None, None, None


class Std(Function):
    _name = "StdBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim, n, dof):
        ctx.dims, ctx.keepdim, ctx.dof = dims, keepdim, dof
        y = _arr(array_module(x).sqrt(_var_arrays(x, dims, keepdim, n, dof)[0]))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _var_backward(_std_to_var_grad(g, y), x, ctx.dims, ctx.keepdim, ctx.dof), None, None, None, None


class VarMean(Function):
    _name = "VarMeanBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim, n, dof):
        ctx.dims, ctx.keepdim, ctx.dof, ctx.n = dims, keepdim, dof, n
        ctx.save_for_backward(x)
        return _var_arrays(x, dims, keepdim, n, dof)

    @staticmethod
    def backward(ctx, g_var, g_mean):
        x, = ctx.saved_tensors
        return (_var_backward(g_var, x, ctx.dims, ctx.keepdim, ctx.dof)
                + _mean_backward(g_mean, x.shape, ctx.dims, ctx.keepdim, ctx.n)), None, None, None, None


class StdMean(Function):
    _name = "StdMeanBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim, n, dof):
        ctx.dims, ctx.keepdim, ctx.dof, ctx.n = dims, keepdim, dof, n
        v, m = _var_arrays(x, dims, keepdim, n, dof)
        s = _arr(array_module(x).sqrt(v))
        ctx.save_for_backward(x, s)
        return s, m

    @staticmethod
    def backward(ctx, g_std, g_mean):
        x, s = ctx.saved_tensors
        return (_var_backward(_std_to_var_grad(g_std, s), x, ctx.dims, ctx.keepdim, ctx.dof)
                + _mean_backward(g_mean, x.shape, ctx.dims, ctx.keepdim, ctx.n)), None, None, None, None


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Variance over `dim` (all by default) with Bessel's `correction` (1 unless unbiased=False)."""
    dims, n, dof = _var_setup("var", input, dim, unbiased, keepdim, correction)
    return _out(out, _apply(Var, input, dims, keepdim, n, dof))


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Standard deviation over `dim` (all by default); see var()."""
    dims, n, dof = _var_setup("std", input, dim, unbiased, keepdim, correction)
    return _out(out, _apply(Std, input, dims, keepdim, n, dof))


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """(var, mean) in one pass."""
    dims, n, dof = _var_setup("var_mean", input, dim, unbiased, keepdim, correction)
    return _out(out, _apply(VarMean, input, dims, keepdim, n, dof))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """(std, mean) in one pass."""
    dims, n, dof = _var_setup("std_mean", input, dim, unbiased, keepdim, correction)
    return _out(out, _apply(StdMean, input, dims, keepdim, n, dof))


# ---- norms -------------------------------------------------------------------------------------
def _vnorm_array(x, p, dims, keepdim):
    xp = array_module(x)
    xf = x.astype(np.float32) if x.dtype == np.float16 else x
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if p == 2:
            r = xp.sqrt(_arr((xf * xf).sum(axis=dims, keepdims=keepdim)))
        elif p == 1:
            r = xp.abs(xf).sum(axis=dims, keepdims=keepdim)
        elif p == math.inf:
            r = xp.abs(xf).max(axis=dims, keepdims=keepdim)
        elif p == -math.inf:
            r = xp.abs(xf).min(axis=dims, keepdims=keepdim)
        elif p == 0:
            r = (xf != 0).sum(axis=dims, keepdims=keepdim).astype(xf.dtype)
        else:
            r = _arr(_arr(xp.abs(xf) ** p).sum(axis=dims, keepdims=keepdim)) ** (1.0 / p)
    r = _arr(r)
    return r.astype(x.dtype) if r.dtype != x.dtype else r


def _norm_backward(g, x, y, p, dims, keepdim):
    """Gradient of the vector p-norm `y` of `x` over `dims` (PyTorch's formulas, zeros at 0)."""
    if p == 0:
        return x * 0
    g = _unsqueeze_back(g, x.shape, dims, keepdim)
    y = _unsqueeze_back(y, x.shape, dims, keepdim)
    if p == 1:
        return x.sign() * g
    if p == 2:
        return x * _pw.where(y == 0, 0.0, g / y)
    if math.isinf(p):
        a = x.abs()
        mask = _pw.logical_or(a == y, a.isnan())
        return x.sign() * ((g / mask.sum(dim=dims, keepdim=True)) * mask)
    a = x.abs()
    if p < 1:
        scaled = x.sign() * _ix.masked_fill(a.pow(p - 1), x == 0, 0.0)
        return scaled * g * y.pow(1 - p)
    scale = _pw.where(y == 0, 0.0, g / y.pow(p - 1))
    if p < 2:
        return x.sign() * a.pow(p - 1) * scale
    return x * a.pow(p - 2) * scale


class VectorNorm(Function):
    _name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        ctx.p, ctx.dims, ctx.keepdim = p, dims, keepdim
        y = _vnorm_array(x, p, dims, keepdim)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _norm_backward(g, x, y, ctx.p, ctx.dims, ctx.keepdim), None, None, None


def _ord_str(p):
    if isinstance(p, float) and p.is_integer() and not math.isinf(p):
        return str(int(p))
    return str(p)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """`torch.linalg.vector_norm`: the `ord`-norm of `x` seen as a vector over `dim` (all dims by default)."""
    data = x._data
    if data.dtype.kind not in "fc":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_label(data.dtype)}")
    if dtype is not None:
        x = _cast(x, dtype)
        data = x._data
    if isinstance(ord, Tensor):
        ord = ord.item()
    p = float(ord)
    dims = _reduce_dims(dim, data.ndim)
    if data.size == 0 and p < 0 or math.isinf(p) and data.size == 0:
        if dim is None:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {_ord_str(ord)} norm on an empty tensor "
                               "because the operation does not have an identity")
        for d in dims:
            if data.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {_ord_str(ord)} norm on the dimension "
                                   f"{d}because this dimension is empty and the operation does not have an identity")
    return _out(out, _apply(VectorNorm, x, p, dims, keepdim))


class _NuclearNorm(Function):
    _name = "SumBackward1"  # PyTorch sums the singular values
    once_differentiable = True

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        xp = array_module(x)
        moved = xp.moveaxis(x, dims, (-2, -1))
        u, s, vh = xp.linalg.svd(moved.astype(np.float64) if x.dtype == np.float16 else moved, full_matrices=False)
        ctx.uv = (u, vh)
        ctx.dims, ctx.keepdim, ctx.in_shape = dims, keepdim, x.shape
        r = s.sum(axis=-1).astype(x.dtype)
        if keepdim:
            for d in sorted(dims):
                r = xp.expand_dims(r, d)
        return r

    @staticmethod
    def backward(ctx, g):
        u, vh = ctx.uv
        xp = array_module(u)
        ga = g._data
        if ctx.keepdim:
            ga = ga.reshape([s for i, s in enumerate(ga.shape) if i not in ctx.dims])
        grad = (u @ vh) * ga[..., None, None]
        grad = xp.moveaxis(grad, (-2, -1), ctx.dims).astype(g._data.dtype)
        return _wrap(grad), None, None


def _matrix_norm(x, p, dim, keepdim, dtype):
    dims = list(dim) if not _is_int(dim) else [dim]
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(str(d) for d in dims)}")
    if p not in ("fro", "nuc"):
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    if x._data.dtype.kind not in "fc":
        raise RuntimeError("linalg.matrix_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_label(x._data.dtype)}")
    x = _cast(x, dtype)
    dims = wrap_dims(dims, x._data.ndim)
    if p == "fro":
        return vector_norm(x, 2, dims, keepdim)
    return _apply(_NuclearNorm, x, dims, keepdim)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """`torch.norm`: a vector p-norm (p a number, 'fro' = 2) over `dim`, or the nuclear norm ('nuc')."""
    if isinstance(p, str):
        if p == "fro" and (dim is None or _is_int(dim) or len(dim) <= 2):
            return vector_norm(input, 2, dim, keepdim, dtype=dtype, out=out)
        if dim is None:
            dim = list(range(input._data.ndim))
        return _out(out, _matrix_norm(input, p, dim, keepdim, dtype))
    return vector_norm(input, 2.0 if p is None else p, dim, keepdim, dtype=dtype, out=out)


class Dist(Function):
    _name = "DistBackward0"

    @staticmethod
    def forward(ctx, a, b, p):
        ctx.p = p
        y = _vnorm_array(a - b, p, None, False)
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        diff = a - b
        gd = _norm_backward(g, diff, y, ctx.p, tuple(range(diff.ndim)), False)
        need = ctx.needs_input_grad
        return (gd if need[0] else None), (-gd if need[1] else None), None


def _promote_pair(a, b):
    if a._data.dtype != b._data.dtype:
        rt = dtypes.promote_types(a.dtype, b.dtype)
        a, b = _cast(a, rt), _cast(b, rt)
    return a, b


def dist(input, other, p=2):
    """The p-norm of `input - other` (broadcast)."""
    input, other = _promote_pair(input, other)
    if input._data.dtype.kind not in "fc":
        raise RuntimeError("norm(): input dtype should be either floating point or complex. Got "
                           f"{_label(input._data.dtype)} instead.")
    p = float(p.item() if isinstance(p, Tensor) else p)
    if GradMode.enabled and (input._requires_grad or other._requires_grad):
        return Dist.apply(input, other, p)
    return _wrap(_arr(_vnorm_array(input._data - other._data, p, None, False)))


class Cdist(Function):
    _name = "CdistBackward0"

    @staticmethod
    def forward(ctx, x1, x2, p):
        ctx.p = p
        xp = array_module(x1)
        if p == 2 and (x1.shape[-2] > 25 or x2.shape[-2] > 25):
            # |a - b|^2 = |a|^2 - 2 a.b + |b|^2, by matrix products (as PyTorch does for large inputs)
            n1 = (x1 * x1).sum(-1)[..., :, None]
            n2 = (x2 * x2).sum(-1)[..., None, :]
            sq = n1 - 2 * xp.matmul(x1, xp.swapaxes(x2, -1, -2)) + n2
            y = xp.sqrt(xp.maximum(sq, 0))
        else:
            y = _vnorm_array(x1[..., :, None, :] - x2[..., None, :, :], p, (-1,), False)
        ctx.save_for_backward(x1, x2, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x1, x2, y = ctx.saved_tensors
        p = ctx.p
        if p == 2:
            w = _pw.where(y == 0, 0.0, g / y)
            g1 = x1 * w.sum(-1, keepdim=True) - w.matmul(x2)
            g2 = x2 * w.sum(-2).unsqueeze(-1) - w.mT.matmul(x1)
            return g1, g2, None
        diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
        gd = _norm_backward(g, diff, y, p, (diff.ndim - 1,), False)
        return gd.sum(-2), -gd.sum(-3), None


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Pairwise p-norm distances between the rows of `x1` (..., P, M) and `x2` (..., R, M)."""
    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {t._data.ndim}D")
    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.dtype.kind not in "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {_label(t._data.dtype)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    x1, x2 = _promote_pair(x1, x2)
    p = float(p)
    if GradMode.enabled and (x1._requires_grad or x2._requires_grad):
        return Cdist.apply(x1, x2, p)
    return _wrap(Cdist.forward(_Ctx(), x1._data, x2._data, p))


# ---- logsumexp / all / any -----------------------------------------------------------------------
def _logsumexp_array(x, dims, keepdim):
    xp = array_module(x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if x.size == 0 or _count(x.shape, dims) == 0:
            r = xp.log(_arr(xp.exp(x).sum(axis=dims, keepdims=keepdim)))
        else:
            m = x.max(axis=dims, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0)
            r = xp.log(_arr(xp.exp(x - m).sum(axis=dims, keepdims=True))) + m
            if not keepdim:
                r = r.reshape([s for i, s in enumerate(x.shape) if i not in dims])
    return _arr(r).astype(x.dtype, copy=False)


class Logsumexp(Function):
    _name = "LogsumexpBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.dims, ctx.keepdim = dims, keepdim
        y = _logsumexp_array(x, dims, keepdim)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        g = _unsqueeze_back(g, x.shape, ctx.dims, ctx.keepdim)
        y = _unsqueeze_back(y, x.shape, ctx.dims, ctx.keepdim)
        return g * (x - y).exp(), None, None


def logsumexp(input, dim, keepdim=False, *, out=None):
    """log(sum(exp(input))) over `dim`, computed stably; integers are promoted to float."""
    data = input._data
    if data.dtype.kind not in "fc":
        input = _wrap(data.astype(dtypes.get_default_dtype().np))
    dims = _reduce_dims(dim, data.ndim)
    return _out(out, _apply(Logsumexp, input, dims, keepdim))


def _logical_reduce(fn, input, dim, keepdim, out):
    data = input._data
    if dim is None:
        axis = None
        if keepdim:
            axis = tuple(range(data.ndim))
    elif _is_int(dim):
        d = wrap_dim(dim, data.ndim)
        axis = (d,) if data.ndim else ()
    else:
        axis = wrap_dims(tuple(dim), data.ndim) if data.ndim else ()
        if data.ndim == 0:
            wrap_dims(tuple(dim), 0)
    r = data.all(axis=axis, keepdims=keepdim) if fn == "all" else data.any(axis=axis, keepdims=keepdim)
    r = _arr(r)
    if data.dtype == np.uint8:
        r = r.astype(np.uint8)
    return _out(out, _wrap(r))


def all(input, dim=None, keepdim=False, *, out=None):
    """Whether all elements (over `dim`) are true; bool result (uint8 for uint8 input)."""
    return _logical_reduce("all", input, dim, keepdim, out)


def any(input, dim=None, keepdim=False, *, out=None):
    """Whether any element (over `dim`) is true; bool result (uint8 for uint8 input)."""
    return _logical_reduce("any", input, dim, keepdim, out)


# ---- cumulative ops ---------------------------------------------------------------------------------
def _scan_dtype(data, dtype):
    return dtype.np if dtype is not None else _sum_dtype(data.dtype)


class Cumsum(Function):
    _name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, x, dim, np_dtype):
        ctx.dim = dim
        if x.ndim == 0:
            return x.astype(np_dtype)
        if np_dtype == np.float16:
            return array_module(x).cumsum(x, axis=dim, dtype=np.float32).astype(np.float16)
        return array_module(x).cumsum(x, axis=dim, dtype=np_dtype)

    @staticmethod
    def backward(ctx, g):
        if g.ndim == 0:
            return g, None, None
        return _revcumsum(g, ctx.dim), None, None


class Cumprod(Function):
    _name = "CumprodBackward0"

    @staticmethod
    def forward(ctx, x, dim, np_dtype):
        ctx.dim = dim
        if x.ndim == 0:
            y = x.astype(np_dtype)
        else:
            y = array_module(x).cumprod(x, axis=dim, dtype=np_dtype)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        if x.ndim == 0:
            return g, None, None
        return _cumprod_backward(g, x, y, ctx.dim), None, None


def _cumprod_backward(g, x, y, dim):
    """d/dx_k of sum_j g_j prod_{i<=j} x_i, zeros included (no division by a zero)."""
    if x._data.size == 0:
        return g
    if not bool((x._data == 0).any()):
        return _revcumsum(g * y, dim) / x
    if GradMode.enabled:
        return _cumprod_backward_differentiable(g, x, dim)
    is_zero = x == 0
    zeros_so_far = is_zero.cumsum(dim)
    before = zeros_so_far == 0                 # k before the first zero of its slice
    first = _pw.logical_and(is_zero, zeros_so_far == 1)  # the first zero itself
    x_before = _pw.where(before, x, 1.0)
    part_before = _pw.where(before, _revcumsum(g * y, dim) / x_before, 0.0)
    # at the first zero z: prod_{i<z} x_i * sum_{j>=z} g_j prod_{z<i<=j} x_i
    after = _pw.logical_and(zeros_so_far >= 1, _pw.logical_not(first))
    tail = _pw.where(after, x, 1.0).cumprod(dim)
    reach = _pw.where(zeros_so_far >= 1, g * tail, 0.0).sum(dim, keepdim=True)
    head = x_before.prod(dim, keepdim=True)
    return part_before + _pw.where(first, reach * head, 0.0)


def _cumprod_backward_differentiable(g, x, dim):
    """The same gradient as an explicit sum over the products that omit x_k (O(n^2) memory
    along `dim`): its own derivative is right even where x has zeros (double backward)."""
    xp = array_module(x._data)
    xm, gm = x.movedim(dim, -1), g.movedim(dim, -1)
    n = xm.shape[-1]
    omit_k = _pw.where(_wrap(xp.eye(n, dtype=bool)), 1.0, xm.unsqueeze(-2))  # [.., k, i]: x_i, 1 at i=k
    products = omit_k.cumprod(-1)  # [.., k, j] = prod_{i<=j, i!=k} x_i
    reaches = _wrap(xp.triu(xp.ones((n, n), dtype=bool)))  # j >= k
    return _pw.where(reaches, products * gm.unsqueeze(-2), 0.0).sum(-1).movedim(-1, dim)


def _scan(node, input, dim, dtype, out):
    data = input._data
    d = wrap_dim(dim, data.ndim)
    if dtype is not None and dtype.np.kind in "fc":
        input = _cast(input, dtype)
        data = input._data
    return _out(out, _apply(node, input, d, _scan_dtype(data, dtype)))


def cumsum(input, dim, *, dtype=None, out=None):
    """Cumulative sum along `dim`; integers and bools accumulate in int64."""
    return _scan(Cumsum, input, dim, dtype, out)


def cumprod(input, dim, *, dtype=None, out=None):
    """Cumulative product along `dim`; integers and bools accumulate in int64."""
    return _scan(Cumprod, input, dim, dtype, out)


class Cummax(Function):
    _name = "CummaxBackward0"
    _reduce = "max"

    @classmethod
    def forward(cls, ctx, x, dim):
        ctx.dim = dim
        xp = array_module(x)
        if x.ndim == 0:
            values, index = x.copy(), xp.zeros((), dtype=np.int64)
        else:
            ufunc = xp.maximum if cls._reduce == "max" else xp.minimum
            values = ufunc.accumulate(x, axis=dim)
            update = x == values  # the running extreme moves here (ties: the later index wins)
            if x.dtype.kind == "f":
                update |= xp.isnan(x)
            shape = [1] * x.ndim
            shape[dim] = x.shape[dim]
            positions = xp.arange(x.shape[dim], dtype=np.int64).reshape(shape)
            index = xp.maximum.accumulate(xp.where(update, positions, 0), axis=dim)
        ctx.save_for_backward(index)
        return values, index

    @staticmethod
    def backward(ctx, g, g_index):
        index, = ctx.saved_tensors
        if g.ndim == 0:
            return g, None
        return _ix.scatter_add(_zeros_like(g), ctx.dim, index, g), None


class Cummin(Cummax):
    _name = "CumminBackward0"
    _reduce = "min"


def cummax(input, dim, *, out=None):
    """(running maximum, index where it was found) along `dim`."""
    d = wrap_dim(dim, input._data.ndim)
    return _out(out, _RT.cummax(_apply(Cummax, input, d)))


def cummin(input, dim, *, out=None):
    """(running minimum, index where it was found) along `dim`."""
    d = wrap_dim(dim, input._data.ndim)
    return _out(out, _RT.cummin(_apply(Cummin, input, d)))


# ---- sorting and selection ----------------------------------------------------------------------
def _argsort_array(x, dim, descending):
    """Stable argsort along `dim`; descending keeps equal elements in their original order."""
    xp = array_module(x)
    if not descending:
        return xp.argsort(x, axis=dim, kind="stable")
    n = x.shape[dim]
    idx = xp.argsort(xp.flip(x, axis=dim), axis=dim, kind="stable")
    return (n - 1) - xp.flip(idx, axis=dim)


class _SelectAlong(Function):
    """Base of the ops returning (values, indices) whose gradient goes back to `indices`."""

    @staticmethod
    def backward(ctx, g, g_index):
        index, = ctx.saved_tensors
        return (_select_backward(g, index, ctx.dim, ctx.in_shape, ctx.keepdim),) + (None,) * ctx.n_args


class Sort(_SelectAlong):
    _name = "SortBackward0"

    @staticmethod
    def forward(ctx, x, dim, descending):
        ctx.dim, ctx.in_shape, ctx.keepdim, ctx.n_args = dim, x.shape, True, 2
        xp = array_module(x)
        if x.ndim == 0:
            values, index = x.copy(), xp.zeros((), dtype=np.int64)
        else:
            index = _argsort_array(x, dim, descending).astype(np.int64, copy=False)
            values = _take_along(x, index, dim)
        ctx.save_for_backward(index)
        return values, index


class SortStable(Sort):
    _name = "SortBackward1"


def sort(input, dim=-1, descending=False, stable=None, *, out=None):
    """(sorted values, their indices) along `dim`. Always stable: ties keep their order."""
    d = wrap_dim(dim, input._data.ndim)
    return _out(out, _RT.sort(_apply(Sort if stable is None else SortStable, input, d, bool(descending))))


def argsort(input, dim=-1, descending=False, stable=False):
    """Indices that sort `input` along `dim` (stable)."""
    data = input._data
    d = wrap_dim(dim, data.ndim)
    if data.ndim == 0:
        return _wrap(array_module(data).zeros((), dtype=np.int64))
    return _wrap(_argsort_array(data, d, descending).astype(np.int64, copy=False))


def msort(input, *, out=None):
    """input sorted along its first dimension."""
    return _out(out, sort(input, 0).values)


def _topk_index(x, k, dim, largest):
    xp = array_module(x)
    n = x.shape[dim]
    if 0 < k and k * 4 <= n:
        # select the k elements first (NaN counts as the largest, as in PyTorch), then sort only them
        kth = n - k if largest else k - 1
        part = xp.argpartition(x, kth, axis=dim)
        part = xp.take(part, xp.arange(n - k, n) if largest else xp.arange(k), axis=dim)
        order = _argsort_array(_take_along(x, part, dim), dim, largest)
        return _take_along(part, order, dim)
    return xp.take(_argsort_array(x, dim, largest), xp.arange(k), axis=dim)


class Topk(_SelectAlong):
    _name = "TopkBackward0"

    @staticmethod
    def forward(ctx, x, k, dim, largest):
        ctx.dim, ctx.in_shape, ctx.keepdim, ctx.n_args = dim, x.shape, True, 3
        xp = array_module(x)
        if x.ndim == 0:
            values, index = x.copy(), xp.zeros((), dtype=np.int64)
            if k == 0:
                values, index = values.reshape(0), index.reshape(0)
        else:
            index = _topk_index(x, k, dim, largest).astype(np.int64, copy=False)
            values = _take_along(x, index, dim)
        ctx.save_for_backward(index)
        return values, index


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    """The `k` largest (or smallest) elements along `dim` and their indices, sorted."""
    data = input._data
    d = wrap_dim(dim, data.ndim)
    n = data.shape[d] if data.ndim else 1
    k = int(k)
    if k < 0 or k > n:
        raise RuntimeError("selected index k out of range")
    return _out(out, _RT.topk(_apply(Topk, input, k, d, bool(largest))))


class Kthvalue(_SelectAlong):
    _name = "KthvalueBackward0"

    @staticmethod
    def forward(ctx, x, k, dim, keepdim):
        ctx.dim, ctx.in_shape, ctx.keepdim, ctx.n_args = dim, x.shape, keepdim, 3
        xp = array_module(x)
        if x.ndim == 0:
            values, index = x.copy(), xp.zeros((), dtype=np.int64)
        else:
            order = xp.argpartition(x, k - 1, axis=dim)
            index = xp.take(order, xp.arange(k - 1, k), axis=dim).astype(np.int64, copy=False)
            values = _take_along(x, index, dim)
            if not keepdim:
                values, index = values.squeeze(dim), index.squeeze(dim)
        ctx.save_for_backward(index)
        return values, index


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    """(k-th smallest element along `dim`, its index)."""
    data = input._data
    d = wrap_dim(dim, data.ndim)
    n = data.shape[d] if data.ndim else 1
    if data.ndim and n == 0:
        raise _empty_dim_error("kthvalue", d)
    k = int(k)
    if k < 1 or k > n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    return _out(out, _RT.kthvalue(_apply(Kthvalue, input, k, d, keepdim)))


class MedianAll(Function):
    _name = "MedianBackward0"
    _ignore_nan = False

    @classmethod
    def forward(cls, ctx, x):
        xp = array_module(x)
        flat = x.reshape(-1)
        if flat.size == 0:
            y = xp.asarray(np.nan if x.dtype.kind == "f" else np.iinfo(x.dtype).min, dtype=x.dtype)
        elif x.dtype.kind == "f" and bool(xp.isnan(flat).any()):
            if cls._ignore_nan:
                kept = flat[~xp.isnan(flat)]
                y = xp.sort(kept)[(kept.size - 1) // 2] if kept.size else flat[0]
            else:
                y = xp.asarray(np.nan, dtype=x.dtype)
        else:
            pos = (flat.size - 1) // 2
            y = xp.partition(flat, pos)[pos]
        y = xp.asarray(y, dtype=x.dtype).reshape(())
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _evenly_distribute(g, x, y)


class NanmedianAll(MedianAll):
    _name = "NanmedianBackward0"
    _ignore_nan = True


class MedianDim(_SelectAlong):
    _name = "MedianBackward1"
    _ignore_nan = False

    @classmethod
    def forward(cls, ctx, x, dim, keepdim):
        ctx.dim, ctx.in_shape, ctx.keepdim, ctx.n_args = dim, x.shape, keepdim, 2
        xp = array_module(x)
        if x.ndim == 0:
            values, index = x.copy(), xp.zeros((), dtype=np.int64)
        else:
            n = x.shape[dim]
            if x.dtype.kind != "f" or not bool(xp.isnan(x).any()):
                pos = (n - 1) // 2
                order = xp.argpartition(x, pos, axis=dim)
                pos = xp.full([1 if i == dim else s for i, s in enumerate(x.shape)], pos, dtype=np.int64)
            else:
                order = xp.argsort(x, axis=dim, kind="stable")
                valid = (~xp.isnan(x)).sum(axis=dim, keepdims=True)
                if cls._ignore_nan:
                    pos = xp.maximum(valid - 1, 0) // 2
                else:  # a slice with a NaN has median NaN: the first NaN, sorted last
                    pos = xp.where(valid < n, valid, (n - 1) // 2)
            index = _take_along(order, pos, dim).astype(np.int64, copy=False)
            values = _take_along(x, index, dim)
            if not keepdim:
                values, index = values.squeeze(dim), index.squeeze(dim)
        ctx.save_for_backward(index)
        return values, index


class NanmedianDim(MedianDim):
    _name = "NanmedianBackward1"
    _ignore_nan = True


def _median(fn, full_node, dim_node, input, dim, keepdim, out):
    data = input._data
    if data.dtype == np.bool_:
        raise NotImplementedError("\"median_cpu\" not implemented for 'Bool'")
    if dim is None:
        return _out(out, _apply(full_node, input))
    d = _dim_arg(dim, fn, data.ndim)
    if data.ndim and data.shape[d] == 0:
        raise _empty_dim_error("median", d)
    return _out(out, getattr(_RT, fn)(_apply(dim_node, input, d, keepdim)))


def median(input, dim=None, keepdim=False, *, out=None):
    """The lower median (of all elements, or (values, indices) along `dim`); NaN if any NaN."""
    return _median("median", MedianAll, MedianDim, input, dim, keepdim, out)


def nanmedian(input, dim=None, keepdim=False, *, out=None):
    """median() ignoring NaNs."""
    return _median("nanmedian", NanmedianAll, NanmedianDim, input, dim, keepdim, out)


class Mode(_SelectAlong):
    _name = "ModeBackward0"

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.dim, ctx.in_shape, ctx.keepdim, ctx.n_args = dim, x.shape, keepdim, 2
        xp = array_module(x)
        if x.ndim == 0:
            values, index = x.copy(), xp.zeros((), dtype=np.int64)
        else:
            moved = xp.moveaxis(x, dim, -1)
            lead, n = moved.shape[:-1], moved.shape[-1]
            rows = moved.reshape(-1, n)
            if rows.shape[0] == 0:
                values, index = xp.zeros(lead, dtype=x.dtype), xp.zeros(lead, dtype=np.int64)
            else:
                order = xp.argsort(rows, axis=1, kind="stable")
                s = _take_along(rows, order, 1)
                starts = xp.ones(s.shape, dtype=bool)
                starts[:, 1:] = s[:, 1:] != s[:, :-1]
                pos = xp.arange(n)
                run_start = xp.maximum.accumulate(xp.where(starts, pos, 0), axis=1)
                # the end of the first longest run: the smallest most frequent value, last occurrence
                best = xp.argmax(pos - run_start, axis=1)[:, None]
                values = _take_along(s, best, 1).reshape(lead)
                index = _take_along(order, best, 1).reshape(lead).astype(np.int64)
            if keepdim:
                values, index = xp.expand_dims(values, dim), xp.expand_dims(index, dim)
        ctx.save_for_backward(index)
        return values, index


def mode(input, dim=-1, keepdim=False, *, out=None):
    """(most frequent value along `dim` — the smallest on ties — and its last index)."""
    data = input._data
    d = _dim_arg(dim, "mode", data.ndim)
    if data.ndim and data.shape[d] == 0:
        raise _empty_dim_error("mode", d)
    return _out(out, _RT.mode(_apply(Mode, input, d, keepdim)))


# ---- unique / counting / bucketing ---------------------------------------------------------------
def _unique_results(values, inverse, counts, return_inverse, return_counts):
    results = [_wrap(values)]
    if return_inverse:
        results.append(_wrap(inverse.astype(np.int64, copy=False)))
    if return_counts:
        results.append(_wrap(counts.astype(np.int64, copy=False)))
    return results[0] if len(results) == 1 else tuple(results)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements (sorted), with the inverse mapping and counts if asked for.
    With `dim`, the distinct slices along `dim`."""
    data = input._data
    xp = array_module(data)
    if dim is None:
        flat = data.reshape(-1)
        try:
            res = xp.unique(flat, return_inverse=True, return_counts=True, equal_nan=False)
        except TypeError:  # array modules without equal_nan
            res = xp.unique(flat, return_inverse=True, return_counts=True)
        values, inverse, counts = res
        inverse = inverse.reshape(data.shape)
    else:
        d = wrap_dim(dim, data.ndim)
        if data.ndim == 0:
            raise IndexError(f"Dimension out of range (expected to be in range of [-1, 0], but got {dim})")
        values, inverse, counts = xp.unique(data, return_inverse=True, return_counts=True, axis=d)
        inverse = inverse.reshape(-1)
    return _unique_results(values, inverse, counts, return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse runs of equal consecutive elements (or slices along `dim`) to one."""
    data = input._data
    xp = array_module(data)
    if dim is None:
        flat = data.reshape(-1)
        n = flat.size
        starts = xp.ones(n, dtype=bool)
        if n:
            starts[1:] = flat[1:] != flat[:-1]
        values = flat[starts]
        inverse = (xp.cumsum(starts) - 1).reshape(data.shape)
    else:
        d = wrap_dim(dim, data.ndim)
        n = data.shape[d]
        rows = xp.moveaxis(data, d, 0).reshape(n, -1)
        starts = xp.ones(n, dtype=bool)
        if n:
            starts[1:] = (rows[1:] != rows[:-1]).any(axis=1)
        values = xp.take(data, xp.nonzero(starts)[0], axis=d)
        inverse = xp.cumsum(starts) - 1
    first = xp.nonzero(starts)[0]
    counts = xp.diff(xp.concatenate([first, xp.asarray([n], dtype=first.dtype)])) if n else first
    return _unique_results(values, inverse, counts, return_inverse, return_counts)


def bincount(input, weights=None, minlength=0):
    """Count of each non-negative integer value (or the sum of its `weights`)."""
    data = input._data
    if data.dtype.kind not in "iu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{_label(data.dtype)}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if data.ndim != 1 or (data.size and bool((data < 0).any())):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    xp = array_module(data)
    if weights is None:
        return _wrap(xp.bincount(data, minlength=minlength).astype(np.int64, copy=False))
    w = weights._data
    if w.ndim != 1 or w.shape[0] != data.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    out_dtype = np.float32 if w.dtype == np.float32 else np.float64
    return _wrap(xp.bincount(data, weights=w.astype(np.float64), minlength=minlength).astype(out_dtype))


def histc(input, bins=100, min=0, max=0, *, out=None):
    """Histogram with `bins` equal-width bins over [min, max] (the data's range if min == max)."""
    data = input._data
    if data.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{_label(data.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histc: bins must be > 0, but got {bins} for dimension 0")
    xp = array_module(data)
    lo, hi = float(min), float(max)
    if lo == hi and data.size:
        lo, hi = float(data.min()), float(data.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    dt = data.dtype.type
    lo_t, hi_t = dt(lo), dt(hi)
    flat = data.reshape(-1)
    inside = flat[(flat >= lo_t) & (flat <= hi_t)]
    pos = ((inside - lo_t) * dt(bins) / (hi_t - lo_t)).astype(np.int64)
    pos = xp.minimum(pos, bins - 1)
    return _out(out, _wrap(xp.bincount(pos, minlength=bins).astype(data.dtype)))


def _batched_searchsorted(seq, values, right):
    """Row-wise searchsorted of `values` (R, M) in `seq` (R, N) with one lexsort."""
    xp = array_module(seq)
    r, n = seq.shape
    m = values.shape[1]
    dtype = np.result_type(seq.dtype, values.dtype)
    keys = xp.concatenate([seq.astype(dtype), values.astype(dtype)], axis=1)
    is_seq = xp.concatenate([xp.ones((r, n), dtype=bool), xp.zeros((r, m), dtype=bool)], axis=1)
    # ties: on the left side a value sorts before equal boundaries, on the right side after them
    tie = is_seq if not right else ~is_seq
    order = xp.lexsort(xp.stack([tie, keys]), axis=-1)
    seq_before = xp.cumsum(xp.take_along_axis(is_seq, order, axis=1), axis=1)
    result = xp.empty((r, m), dtype=np.int64)
    rows, cols = xp.nonzero(order >= n)
    result[rows, order[rows, cols] - n] = seq_before[rows, cols]
    return result


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None, out=None):
    """Indices where the elements of `input` would be inserted into `sorted_sequence` (along its last
    dim) to keep it sorted; `right`/`side='right'` puts them after equal elements."""
    seq = sorted_sequence._data
    xp = array_module(seq)
    scalar = not isinstance(input, Tensor)
    values = xp.asarray(input) if scalar else input._data
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    if sorter is not None:
        seq = xp.take_along_axis(seq, sorter._data, axis=-1)
    if seq.ndim > 1 and (values.ndim != seq.ndim or values.shape[:-1] != seq.shape[:-1]):
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           "dimensions of boundaries tensor and input value tensor must match, but we got "
                           f"boundaries tensor {list(seq.shape)} and input value tensor {list(values.shape)}")
    if seq.ndim <= 1:
        r = xp.searchsorted(seq.reshape(-1), values, side="right" if right else "left")
    else:
        n, m = seq.shape[-1], values.shape[-1]
        r = _batched_searchsorted(seq.reshape(-1, n), values.reshape(-1, m), right).reshape(values.shape)
    r = _arr(r).astype(np.int32 if out_int32 else np.int64, copy=False)
    return _out(out, _wrap(r))


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """Index of the bucket (defined by the 1-d `boundaries`) of each element of `input`."""
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """n-th forward difference along `dim` (bool: xor), after adding `prepend`/`append`."""
    if input._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, input._data.ndim)
    if prepend is not None or append is not None:
        parts = [t for t in (prepend, input, append) if t is not None]
        input = _sh.cat(parts, d)
    if not (GradMode.enabled and input._requires_grad):
        return _wrap(array_module(input._data).diff(input._data, n=n, axis=d))
    x = input
    for _ in range(n):
        length = x.shape[d]
        if length == 0:
            break
        x = x.narrow(d, 1, length - 1) - x.narrow(d, 0, length - 1)
    return x


class Trace(Function):
    _name = "TraceBackward0"

    @staticmethod
    def forward(ctx, x, np_dtype):
        ctx.in_shape = x.shape
        return _arr(array_module(x).trace(x, dtype=np_dtype))

    @staticmethod
    def backward(ctx, g):
        eye = array_module(g._data).eye(*ctx.in_shape, dtype=g._data.dtype)
        return g * _wrap(eye), None


def trace(input):
    """Sum of the main diagonal of a matrix."""
    data = input._data
    if data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {data.ndim}")
    if data.dtype == np.bool_:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    return _apply(Trace, input, _sum_dtype(data.dtype))


def _quiet(backward):
    """Backward formulas divide where a mask later discards the result (x / 0 at a zero norm,
    an infinite scale with no degrees of freedom): no RuntimeWarnings for those, as in PyTorch."""
    def quiet_backward(ctx, *grads):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return backward(ctx, *grads)
    quiet_backward.__name__ = backward.__name__
    return staticmethod(quiet_backward)


for _cls in list(globals().values()):
    if isinstance(_cls, type) and issubclass(_cls, Function) and _cls.__module__ == __name__ \
            and "backward" in _cls.__dict__:
        _cls.backward = _quiet(_cls.__dict__["backward"].__func__)


methods = dict(
    sum=sum, mean=mean, nansum=nansum, nanmean=nanmean, prod=prod, max=max, min=min, amax=amax, amin=amin,
    argmax=argmax, argmin=argmin, aminmax=aminmax, var=var, std=std, norm=norm, dist=dist, logsumexp=logsumexp,
    all=all, any=any, cumsum=cumsum, cumprod=cumprod, cummax=cummax, cummin=cummin, sort=sort, argsort=argsort,
    msort=msort, topk=topk, kthvalue=kthvalue, median=median, nanmedian=nanmedian, mode=mode, unique=unique,
    unique_consecutive=unique_consecutive, bincount=bincount, histc=histc, diff=diff, trace=trace,
)

"""Reductions: sum, mean, prod, max/min (with indices), var/std, norm, logsumexp, all/any, cumsum."""
import numpy as np

from .. import dtypes
from ..autograd.function import Function
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor, _wrap
from ._util import array_module, wrap_dims


def _sum_dtype(np_dtype):
    # integer and bool sums accumulate in int64, as in PyTorch
    return np.int64 if np_dtype.kind in "biu" else np_dtype


class Sum(Function):
    _name = "SumBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim, np_dtype):
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return x.sum(axis=dims, keepdims=keepdim, dtype=np_dtype)

    @staticmethod
    def backward(ctx, g):
        if not ctx.keepdim and ctx.dims:
            shape = list(ctx.in_shape)
            for d in ctx.dims:
                shape[d] = 1
            g = g.reshape(shape)
        return g.expand(ctx.in_shape), None, None, None


class SumDim(Sum):
    _name = "SumBackward1"


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    data = input._data
    dims = wrap_dims(dim, data.ndim) if data.ndim else ()
    if dim is not None and not isinstance(dim, int) and len(dim) == 0:
        dims = tuple(range(data.ndim))
    np_dtype = dtype.np if dtype is not None else _sum_dtype(data.dtype)
    node = Sum if dim is None else SumDim
    if GradMode.enabled and input._requires_grad:
        result = node.apply(input, dims, keepdim, np_dtype)
    else:
        out = data.sum(axis=dims, keepdims=keepdim, dtype=np_dtype)
        result = _wrap(np.asarray(out) if isinstance(out, np.generic) else out)
    return result if out is None else _copy_out(out, result)


def _copy_out(out, result):
    out._data = result._data.astype(out._data.dtype)
    out._bump_version()
    return out


methods = dict(sum=sum)

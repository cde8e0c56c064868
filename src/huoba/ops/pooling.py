"""Pooling and resampling: max/avg pooling (1-d, 2-d), adaptive pooling (1-d, 2-d,
3-d average), power-average pooling, and interpolate (nearest, nearest-exact,
linear, bilinear, bicubic, trilinear, area).

Public functions have torch.nn.functional's signatures and PyTorch's argument
checks and messages.  Each runs one node named as PyTorch names it
(`MaxPool2DWithIndicesBackward0`, `AvgPool2DBackward0`, ...); the 1-d variants
run as unsqueeze -> 2-d pool -> squeeze, as PyTorch does.  The array work is
done by `huoba.ops._conv_kernels`; backward works on raw arrays (these nodes are
once-differentiable).
"""
import math

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor, _wrap
from .._backend import array_module
from . import _conv_kernels as K

__all__ = ["max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices", "avg_pool1d",
           "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "lp_pool1d", "lp_pool2d", "interpolate"]

_INT_TYPES = (int, np.integer)
_SCALAR = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
           "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _fmt(shape):
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


def _ints(v, fname, name):
    """An int or a sequence of ints as a list."""
    if isinstance(v, Tensor):
        v = v.tolist()
    if isinstance(v, _INT_TYPES) and not isinstance(v, bool):
        return [int(v)]
    if isinstance(v, (tuple, list)):
        out = []
        for e in v:
            if isinstance(e, Tensor):
                e = e.item()
            if not isinstance(e, _INT_TYPES) or isinstance(e, bool):
                raise TypeError(f"{fname}(): argument '{name}' must be tuple of ints, but found element of type "
                                f"{type(e).__name__} at pos {len(out)}")
            out.append(int(e))
        return out
    raise TypeError(f"{fname}(): argument '{name}' must be tuple of ints, not {type(v).__name__}")


def _not_implemented(name, dtype):
    return NotImplementedError(f"\"{name}\" not implemented for '{_SCALAR.get(dtype.name, dtype.name)}'")


def _dim_error(dim, ndim):
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    return IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")


# ---- backward of the linear pooling ops, differentiable to any order ------------------------------------
class _Adjoint(Function):
    """grad_x = A^T g for an op that is linear in its input, A (pooling with fixed indices,
    averaging, interpolation).  forward applies A^T to raw arrays; backward applies A, as
    another _Adjoint node, so higher-order gradients (create_graph=True) work."""

    @staticmethod
    def forward(ctx, g, apply_t, apply, name):
        ctx.fns = (apply, apply_t, name)
        return apply_t(g)

    @staticmethod
    def backward(ctx, gg):
        apply, apply_t, name = ctx.fns
        return _adjoint(gg, apply, apply_t, name), None, None, None


_ADJOINT_NODES = {}


def _adjoint(g, apply_t, apply, name):
    """A^T g as a Tensor: raw arrays when nothing is recorded, else an `<name>Backward0` node."""
    if not GradMode.enabled:
        return _wrap(apply_t(g._data))
    node = name.replace("Backward0", "BackwardBackward0") if name.endswith("Backward0") else \
        name.replace("BackwardBackward0", "Backward0")
    cls = _ADJOINT_NODES.get(node)
    if cls is None:
        cls = _ADJOINT_NODES[node] = type(node, (_Adjoint,), {"_name": node})
    return cls.apply(g, apply_t, apply, node)


def _gather_planes(g, idx, out_shape):
    """The values of g (..., H, W) at flat per-plane positions idx (..., OH, OW)."""
    xp = array_module(g)
    lead = g.shape[:-2]
    P = 1
    for v in lead:
        P *= int(v)
    flat = g.reshape(P, -1)
    return xp.take_along_axis(flat, idx.reshape(P, -1), axis=1).reshape(out_shape)


# ---- shared 2-d pooling checks (PyTorch's pooling_output_shape and pool2d_shape_check) --------------
def _pool_out(size, k, pad, stride, dil, ceil_mode):
    if stride == 0:
        raise RuntimeError("stride should not be zero")
    if pad < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {pad}")
    if pad > ((k - 1) * dil + 1) // 2:
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pad}, "
                           f"kernel_size={k} and dilation={dil}")
    out = (size + 2 * pad - dil * (k - 1) - 1 + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _pool2d_params(fname, x, kernel_size, stride, padding, dilation, ceil_mode, max_pool):
    """(KH, KW, sh, sw, ph, pw, dh, dw, OH, OW) after PyTorch's checks, in its order."""
    k = _ints(kernel_size, fname, "kernel_size")
    if len(k) not in (1, 2):
        raise RuntimeError(f"{fname}: kernel_size must either be a single int, or a tuple of two ints")
    s = [] if stride is None else _ints(stride, fname, "stride")
    if len(s) not in (0, 1, 2):
        raise RuntimeError(f"{fname}: stride must either be omitted, a single int, or a tuple of two ints")
    p = _ints(padding, fname, "padding")
    if len(p) not in (1, 2):
        raise RuntimeError(f"{fname}: padding must either be a single int, or a tuple of two ints")
    d = _ints(dilation, fname, "dilation")
    if len(d) not in (1, 2):
        raise RuntimeError(f"{fname}: dilation must be either a single int, or a tuple of two ints")
    KH, KW = k[0], k[-1]
    sh, sw = (KH, KW) if not s else (s[0], s[-1])
    ph, pw = p[0], p[-1]
    dh, dw = d[0], d[-1]
    shape = x._data.shape
    nd = len(shape)
    if max_pool:
        if nd not in (3, 4):
            raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    elif nd < 3:
        raise _dim_error(-3, nd)
    H, W = shape[-2], shape[-1]
    OH = _pool_out(H, KH, ph, sh, dh, ceil_mode)
    OW = _pool_out(W, KW, pw, sw, dw, ceil_mode)
    if KH <= 0 or KW <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {KH} kW: {KW}")
    if sh <= 0 or sw <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {sh} dW: {sw}")
    if dh <= 0 or dw <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dh} dilationW: {dw}")
    valid = nd >= 3 and shape[1] != 0 and shape[2] != 0
    if not ((nd == 3 and shape[0] != 0 and valid) or (nd == 4 and valid and shape[3] != 0)):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
                           f"got:{_fmt(shape)}")
    if KW // 2 < pw or KH // 2 < ph:
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got padW = {pw}, "
                           f"padH = {ph}, kW = {KW}, kH = {KH}")
    if OW < 1 or OH < 1:
        C = shape[-3]
        raise RuntimeError(f"Given input size: ({C}x{H}x{W}). Calculated output size: ({C}x{OH}x{OW}). Output "
                           "size is too small")
    return KH, KW, sh, sw, ph, pw, dh, dw, OH, OW


# ---- max pooling ----------------------------------------------------------------------------------------
def _max_pool_backward(gy, idx, in_shape, disjoint):
    """grad_x of a max pool: grad_y scattered to the argmax positions."""
    if not disjoint:
        return K.max_pool2d_backward(gy, idx, in_shape)
    # windows do not overlap: every input position gets at most one gradient, so a plain
    # assignment does what a scatter-add would
    xp = array_module(gy)
    H, W = in_shape[-2], in_shape[-1]
    HW = H * W
    P = gy.size // max(1, gy.shape[-1] * gy.shape[-2]) if gy.ndim >= 2 else 1
    gx = xp.zeros(P * HW, dtype=gy.dtype)
    if gy.size:
        flat = idx.reshape(P, -1)
        if P > 1:
            flat = flat + xp.arange(0, P * HW, HW, dtype=flat.dtype)[:, None]
        gx[flat.reshape(-1)] = gy.reshape(-1)
    return gx.reshape(in_shape)


class _MaxPool2d(Function):
    """max_pool2d returning only the values (the indices stay on the node)."""

    _name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW):
        x3, lead = K._planes(x, 2)
        y, idx = K._max_pool_planes(array_module(x), x3, KH, KW, sh, sw, ph, pw, dh, dw, x.shape[-2],
                                    x.shape[-1], OH, OW)
        if ctx._edges:
            ctx.save_for_backward(idx)
            ctx.in_shape = x.shape
            ctx.disjoint = sh >= dh * (KH - 1) + 1 and sw >= dw * (KW - 1) + 1
        return y.reshape(lead + (OH, OW))

    @staticmethod
    def backward(ctx, g):
        idx, = ctx.saved_tensors
        idx = idx._data.reshape(g._data.shape)
        shape, disjoint = ctx.in_shape, ctx.disjoint
        gx = _adjoint(g, lambda a: _max_pool_backward(a, idx, shape, disjoint),
                      lambda a: _gather_planes(a, idx, idx.shape), "MaxPool2DWithIndicesBackward0")
        return (gx, None, None, None, None, None, None, None, None, None, None)


class _MaxPool2dWithIndices(Function):
    _name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW):
        x3, lead = K._planes(x, 2)
        y, idx = K._max_pool_planes(array_module(x), x3, KH, KW, sh, sw, ph, pw, dh, dw, x.shape[-2],
                                    x.shape[-1], OH, OW)
        idx = idx.reshape(lead + (OH, OW))
        if ctx._edges:
            ctx.save_for_backward(idx)
            ctx.in_shape = x.shape
            ctx.disjoint = sh >= dh * (KH - 1) + 1 and sw >= dw * (KW - 1) + 1
        ctx.mark_non_differentiable(idx)
        return y.reshape(lead + (OH, OW)), idx

    @staticmethod
    def backward(ctx, g, _gi=None):
        idx, = ctx.saved_tensors
        idx = idx._data
        shape, disjoint = ctx.in_shape, ctx.disjoint
        gx = _adjoint(g, lambda a: _max_pool_backward(a, idx, shape, disjoint),
                      lambda a: _gather_planes(a, idx, idx.shape), "MaxPool2DWithIndicesBackward0")
        return (gx, None, None, None, None, None, None, None, None, None, None)


def _max_pool2d_impl(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    params = _pool2d_params("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode, True)
    if input._data.dtype.kind == "b":
        raise _not_implemented("max_pool2d", input._data.dtype)
    if return_indices:
        return _MaxPool2dWithIndices.apply(input, *params)
    return _MaxPool2d.apply(input, *params)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-D max pooling over (N, C, H, W) or (C, H, W); with return_indices also the flat argmax per plane."""
    if (type(kernel_size) is int and (stride is None or type(stride) is int) and padding == 0 and dilation == 1
            and not return_indices and type(input) is Tensor):
        # the common case: kernel k, stride s, no padding
        shape = input._data.shape
        s = kernel_size if stride is None else stride
        if len(shape) == 4 and 0 < kernel_size and 0 < s and shape[1] and shape[2] and shape[3] \
                and input._data.dtype.kind == "f":
            OH = (shape[2] - kernel_size + (s - 1 if ceil_mode else 0)) // s + 1
            OW = (shape[3] - kernel_size + (s - 1 if ceil_mode else 0)) // s + 1
            if ceil_mode:
                if (OH - 1) * s >= shape[2]:
                    OH -= 1
                if (OW - 1) * s >= shape[3]:
                    OW -= 1
            if OH >= 1 and OW >= 1:
                return _MaxPool2d.apply(input, kernel_size, kernel_size, s, s, 0, 0, 1, 1, OH, OW)
    return _max_pool2d_impl(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return _max_pool2d_impl(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _check1d(fname, name, v):
    if len(v) != 1:
        raise RuntimeError(f"{fname}() argument '{name}' should contain one int (got {len(v)})")
    return v[0]


def _check_dim_range(fname, x, lo, hi):
    nd = x._data.ndim
    if not lo <= nd < hi:
        raise RuntimeError(f"Expected {lo} to {hi - 1} dimensions, but got {nd}-dimensional tensor for argument #1 "
                           f"'self' (while checking arguments for {fname})")


def _max_pool1d_impl(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    shape = input._data.shape
    nd = len(shape)
    if not ((nd == 2 and shape[0] != 0 and shape[1] != 0) or (nd == 3 and shape[1] != 0 and shape[2] != 0)):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{_fmt(shape)}")
    k = _check1d("max_pool1d", "kernel_size", _ints(kernel_size, "max_pool1d", "kernel_size"))
    s_list = [] if stride is None else _ints(stride, "max_pool1d", "stride")
    s = k if not s_list else _check1d("max_pool1d", "stride", s_list)
    p = _check1d("max_pool1d", "padding", _ints(padding, "max_pool1d", "padding"))
    d = _check1d("max_pool1d", "dilation", _ints(dilation, "max_pool1d", "dilation"))
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding={p} and "
                           f"kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    L = shape[-1]
    OL = (L + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (OL - 1) * s >= L + p:
        OL -= 1
    if OL <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {OL}")
    if input._data.dtype.kind == "b":
        raise _not_implemented("max_pool2d", input._data.dtype)
    x2 = input.unsqueeze(-2)
    if return_indices:
        y, idx = _MaxPool2dWithIndices.apply(x2, 1, k, 1, s, 0, p, 1, d, 1, OL)
        return y.squeeze(-2), idx.squeeze(-2)
    return _MaxPool2d.apply(x2, 1, k, 1, s, 0, p, 1, d, 1, OL).squeeze(-2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-D max pooling over (N, C, L) or (C, L)."""
    return _max_pool1d_impl(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return _max_pool1d_impl(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ---- average pooling ----------------------------------------------------------------------------------
class _AvgPool2d(Function):
    _name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, k, s, p, ceil_mode, count_include_pad, divisor_override):
        if ctx._edges:
            ctx.save_for_backward(x)
            ctx.args = (x.shape, k, s, p, ceil_mode, count_include_pad, divisor_override)
        if x.dtype.kind in "fc":
            return K.avg_pool2d_forward(x, k, s, p, ceil_mode, count_include_pad, divisor_override)
        # integer input: PyTorch sums and divides with integer (truncating) division
        xp = array_module(x)
        total = K.avg_pool2d_forward(x.astype(np.float64), k, s, p, ceil_mode, True, 1)
        H, W = x.shape[-2:]
        OH, OW = total.shape[-2:]
        div = K._avg_geometry(H, W, k[0], k[1], s[0], s[1], p[0], p[1], OH, OW, count_include_pad,
                              divisor_override, np.dtype(np.float64))
        return xp.trunc(total / xp.asarray(div)).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors  # raises after the graph was freed
        shape, k, s, p, ceil_mode, cip, div = ctx.args
        gx = _adjoint(g, lambda a: K.avg_pool2d_backward(a, shape, k, s, p, ceil_mode, cip, div),
                      lambda a: K.avg_pool2d_forward(a, k, s, p, ceil_mode, cip, div), "AvgPool2DBackward0")
        return gx, None, None, None, None, None, None


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling over (N, C, H, W) or (C, H, W)."""
    fname = "avg_pool2d"
    k = _ints(kernel_size, fname, "kernel_size")
    if len(k) not in (1, 2):
        raise RuntimeError("avg_pool2d: kernel_size must either be a single int, or a tuple of two ints")
    s = [] if stride is None else _ints(stride, fname, "stride")
    if len(s) not in (0, 1, 2):
        raise RuntimeError("avg_pool2d: stride must either be omitted, a single int, or a tuple of two ints")
    p = _ints(padding, fname, "padding")
    if len(p) not in (1, 2):
        raise RuntimeError("avg_pool2d: padding must either be a single int, or a tuple of two ints")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    KH, KW, sh, sw, ph, pw, _, _, OH, OW = _pool2d_params(fname, input, k, s or None, p, 1, ceil_mode, False)
    if input._data.dtype.kind == "b":
        raise _not_implemented("avg_pool2d", input._data.dtype)
    return _AvgPool2d.apply(input, (KH, KW), (sh, sw), (ph, pw), bool(ceil_mode), bool(count_include_pad),
                            None if divisor_override is None else int(divisor_override))


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling over (N, C, L) or (C, L)."""
    _check_dim_range("avg_pool1d", input, 2, 4)
    k = _check1d("avg_pool1d", "kernel_size", _ints(kernel_size, "avg_pool1d", "kernel_size"))
    s_list = [] if stride is None else _ints(stride, "avg_pool1d", "stride")
    s = k if not s_list else _check1d("avg_pool1d", "stride", s_list)
    p = _check1d("avg_pool1d", "padding", _ints(padding, "avg_pool1d", "padding"))
    return avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode, count_include_pad).squeeze(-2)


# ---- adaptive pooling ------------------------------------------------------------------------------------
def _list_with_default(out_size, defaults):
    if isinstance(out_size, _INT_TYPES):
        return out_size
    out_size = list(out_size)
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d for v, d in zip(out_size, defaults[-len(out_size):])]


class _AdaptiveAvgPool2d(Function):
    _name = "AdaptiveAvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, out):
        if ctx._edges:
            ctx.save_for_backward(x)
            ctx.in_shape = x.shape
        return K.adaptive_avg_pool2d_forward(x, out)

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors
        shape = ctx.in_shape
        out = g._data.shape[-2:]
        return _adjoint(g, lambda a: K.adaptive_avg_pool2d_backward(a, shape),
                        lambda a: K.adaptive_avg_pool2d_forward(a, out), "AdaptiveAvgPool2DBackward0"), None


def adaptive_avg_pool2d(input, output_size):
    """2-D adaptive average pooling to output_size (int or pair; None keeps that input size)."""
    shape = input._data.shape
    out = _list_with_default(output_size, list(shape))
    out = [out, out] if isinstance(out, _INT_TYPES) else [int(v) for v in out]
    if len(out) != 2:
        raise RuntimeError("adaptive_avg_pool2d: output_size must be 2")
    if out[0] < 0 or out[1] < 0:
        raise RuntimeError(f"adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but "
                           f"received {{{out[0]}, {out[1]}}}")
    if out[0] == 1 and out[1] == 1:
        return input.mean((-1, -2), keepdim=True)
    nd = len(shape)
    if nd not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {_fmt(shape)}")
    for i in range(1, nd):
        if shape[i] <= 0:
            raise RuntimeError("adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {_fmt(shape)} with dimension {i} being empty")
    if input._data.dtype.kind not in "fc":
        raise _not_implemented("adaptive_avg_pool2d", input._data.dtype)
    return _AdaptiveAvgPool2d.apply(input, (out[0], out[1]))


def adaptive_avg_pool1d(input, output_size):
    """1-D adaptive average pooling over (N, C, L) or (C, L)."""
    _check_dim_range("adaptive_avg_pool1d", input, 2, 4)
    o = _check1d("adaptive_avg_pool1d", "output_size", _ints(output_size, "adaptive_avg_pool1d", "output_size"))
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, o)).squeeze(-2)


class _AdaptiveMaxPool2d(Function):
    _name = "AdaptiveMaxPool2DBackward0"

    @staticmethod
    def forward(ctx, x, out):
        y, idx = K.adaptive_max_pool2d_forward(x, out)
        if ctx._edges:
            ctx.save_for_backward(idx)
            ctx.in_shape = x.shape
        ctx.mark_non_differentiable(idx)
        return y, idx

    @staticmethod
    def backward(ctx, g, _gi=None):
        idx, = ctx.saved_tensors
        idx = idx._data
        shape = ctx.in_shape
        return _adjoint(g, lambda a: K.adaptive_max_pool2d_backward(a, idx, shape),
                        lambda a: _gather_planes(a, idx, idx.shape), "AdaptiveMaxPool2DBackward0"), None


def _adaptive_max_pool2d(input, output_size):
    shape = input._data.shape
    out = _list_with_default(output_size, list(shape))
    out = [out, out] if isinstance(out, _INT_TYPES) else [int(v) for v in out]
    nd = len(shape)
    if nd not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {_fmt(shape)}")
    for i in range(1, nd):
        if shape[i] <= 0:
            raise RuntimeError("adaptive_max_pool2d(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {_fmt(shape)} with dimension {i} being empty")
    if len(out) != 2:
        raise RuntimeError("adaptive_max_pool2d(): internal error: output_size.size() must be 2")
    if out[0] < 0 or out[1] < 0:
        bad = next(v for v in out if v < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: {_fmt(list(shape[:-2]) + out)}")
    if input._data.dtype.kind not in "fc":
        raise _not_implemented("adaptive_max_pool2d", input._data.dtype)
    return _AdaptiveMaxPool2d.apply(input, (out[0], out[1]))


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """2-D adaptive max pooling; with return_indices also the flat argmax per plane."""
    y, idx = _adaptive_max_pool2d(input, output_size)
    return (y, idx) if return_indices else y


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return _adaptive_max_pool2d(input, output_size)


def _adaptive_max_pool1d(input, output_size):
    _check_dim_range("adaptive_max_pool1d", input, 2, 4)
    o = _check1d("adaptive_max_pool1d", "output_size", _ints(output_size, "adaptive_max_pool1d", "output_size"))
    y, idx = _adaptive_max_pool2d(input.unsqueeze(-2), (1, o))
    return y.squeeze(-2), idx.squeeze(-2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """1-D adaptive max pooling over (N, C, L) or (C, L)."""
    y, idx = _adaptive_max_pool1d(input, output_size)
    return (y, idx) if return_indices else y


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    return _adaptive_max_pool1d(input, output_size)


# adaptive average pooling in any number of dims: one averaging matrix per dim
def _avg_matrix(n, on, dt):
    m, lengths = K._window_matrix(n, on, dt)
    return m / lengths[:, None].astype(dt)


def _apply_axis(xp, a, m, axis):
    """Contract dim `axis` of a with matrix m (out, in): result has `out` there."""
    moved = xp.moveaxis(a, axis, -1)
    return xp.moveaxis(xp.matmul(moved, xp.asarray(m.T)), -1, axis)


def _apply_mats(a, mats):
    """Contract the last len(mats) dims of a with one matrix each."""
    xp = array_module(a)
    n = len(mats)
    for i, m in enumerate(mats):
        a = _apply_axis(xp, a, m, a.ndim - n + i)
    return xp.ascontiguousarray(a)


class _AdaptiveAvgPool3d(Function):
    _name = "AdaptiveAvgPool3DBackward0"

    @staticmethod
    def forward(ctx, x, out):
        mats = [_avg_matrix(n, o, x.dtype) for n, o in zip(x.shape[-3:], out)]
        ctx.mats = mats
        return _apply_mats(x, mats)

    @staticmethod
    def backward(ctx, g):
        mats = ctx.mats
        return _adjoint(g, lambda a: _apply_mats(a, [m.T for m in mats]), lambda a: _apply_mats(a, mats),
                        "AdaptiveAvgPool3DBackward0"), None


def adaptive_avg_pool3d(input, output_size):
    """3-D adaptive average pooling over (N, C, D, H, W) or (C, D, H, W)."""
    shape = input._data.shape
    out = _list_with_default(output_size, list(shape))
    out = [out] * 3 if isinstance(out, _INT_TYPES) else [int(v) for v in out]
    if len(out) != 3:
        raise RuntimeError("adaptive_avg_pool3d: output_size must be 3")
    if any(v < 0 for v in out):
        raise RuntimeError(f"adaptive_avg_pool3d: elements of output_size must be greater than or equal to 0 but "
                           f"received {{{out[0]}, {out[1]}, {out[2]}}}")
    if out == [1, 1, 1]:
        return input.mean((-1, -2, -3), keepdim=True)
    nd = len(shape)
    if nd not in (4, 5):
        raise RuntimeError(f"adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got {_fmt(shape)}")
    if input._data.dtype.kind not in "fc":
        raise _not_implemented("adaptive_avg_pool3d_cpu", input._data.dtype)
    return _AdaptiveAvgPool3d.apply(input, tuple(out))


# ---- power-average pooling (composed, as PyTorch does) ---------------------------------------------------
def _lp_tail(out, norm_type, n):
    from . import pointwise as _pw
    return (_pw.sign(out) * _pw.relu(_pw.abs(out))).mul(n).pow(1.0 / norm_type)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """2-D power-average pooling: (sum over the window of x^p)^(1/p)."""
    kw, kh = (kernel_size, kernel_size) if isinstance(kernel_size, _INT_TYPES) else tuple(kernel_size)
    if isinstance(norm_type, (int, float)):
        if norm_type == float("inf"):
            return max_pool2d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -float("inf"):
            return -max_pool2d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool2d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return _lp_tail(out, norm_type, kw * kh)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """1-D power-average pooling."""
    if isinstance(norm_type, (int, float)):
        if norm_type == float("inf"):
            return max_pool1d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -float("inf"):
            return -max_pool1d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool1d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return _lp_tail(out, norm_type, kernel_size)


# ---- interpolate -----------------------------------------------------------------------------------------
_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_CUBIC_A = -0.75


def _axis_taps(mode, n_in, n_out, scale, align_corners, dt):
    """Per output position along one dim: a list of (input indices, weights) taps.

    Follows PyTorch's CPU kernels (area_pixel_compute_scale /
    area_pixel_compute_source_index, guard_index_and_lambda, the cubic
    coefficients with A = -0.75), computed in the dtype's precision (float32
    arithmetic for float32 and float16 inputs, as PyTorch's opmath)."""
    ct = np.float64 if dt == np.float64 else np.float32
    i = np.arange(n_out).astype(ct)
    if mode in ("nearest", "nearest-exact"):
        sc = ct(1.0 / scale) if scale is not None and scale > 0 else ct(n_in) / ct(n_out)
        src = (i + ct(0.5)) * sc if mode == "nearest-exact" else i * sc
        idx = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        return [(idx, None)]
    if align_corners:
        sc = ct(n_in - 1) / ct(n_out - 1) if n_out > 1 else ct(0)
    else:
        sc = ct(1.0 / scale) if scale is not None and scale > 0 else ct(n_in) / ct(n_out)
    if align_corners:
        src = sc * i
    else:
        src = sc * (i + ct(0.5)) - ct(0.5)
    if mode == "bicubic":
        f = np.floor(src)
        t = (src - f).astype(ct)
        base = f.astype(np.int64)
        A = ct(_CUBIC_A)

        def conv1(x):
            return ((A + 2) * x - (A + 3)) * x * x + 1

        def conv2(x):
            return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
        ws = [conv2(t + 1), conv1(t), conv1(1 - t), conv2((1 - t) + 1)]
        return [(np.clip(base - 1 + k, 0, n_in - 1), ws[k].astype(dt)) for k in range(4)]
    src = np.maximum(src, ct(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam = np.clip(src - i0.astype(ct), 0, 1).astype(ct)
    i1 = i0 + (i0 < n_in - 1)
    return [(i0, (ct(1) - lam).astype(dt)), (i1, lam.astype(dt))]


def _taps_matrix(taps, n_in, n_out, dt):
    m = np.zeros((n_out, n_in), dtype=dt)
    rows = np.arange(n_out)
    for idx, w in taps:
        np.add.at(m, (rows, idx), 1 if w is None else w)
    return m


def _upsample_forward(x, axes):
    """Interpolate along each (axis, taps) in turn: a weighted sum of gathered slices."""
    xp = array_module(x)
    y = x
    for axis, taps, _, _ in axes:
        acc = None
        for idx, w in taps:
            v = xp.take(y, xp.asarray(idx), axis=axis)
            if w is not None:
                shape = [1] * y.ndim
                shape[axis] = -1
                v = v * xp.asarray(w).reshape(shape)
            acc = v if acc is None else acc + v
        y = acc
    return xp.ascontiguousarray(y)


def _upsample_backward(g, axes):
    xp = array_module(g)
    a = g
    for axis, taps, n_in, n_out in reversed(axes):
        a = _apply_axis(xp, a, _taps_matrix(taps, n_in, n_out, a.dtype).T, axis)
    return xp.ascontiguousarray(a)


class _Upsample(Function):
    once_differentiable = False

    @staticmethod
    def forward(ctx, x, mode, out_size, scales, align_corners):
        nd = len(out_size)
        axes = []
        # along the last dim first (W, then H, then D), as PyTorch's kernels interpolate
        for j in reversed(range(nd)):
            axis = x.ndim - nd + j
            taps = _axis_taps(mode, x.shape[axis], out_size[j], scales[j], align_corners, x.dtype)
            axes.append((axis, taps, x.shape[axis], out_size[j]))
        if ctx._edges:
            ctx.save_for_backward(x)
            ctx.axes = axes
        return _upsample_forward(x, axes)

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors
        axes = ctx.axes
        return (_adjoint(g, lambda a: _upsample_backward(a, axes), lambda a: _upsample_forward(a, axes),
                         type(ctx)._name), None, None, None, None)


_UPSAMPLE_NODES = {}


def _upsample_node(mode, nd):
    key = (mode, nd)
    cls = _UPSAMPLE_NODES.get(key)
    if cls is None:
        base = {"nearest": "UpsampleNearest", "nearest-exact": "UpsampleNearestExact", "linear": "UpsampleLinear",
                "bilinear": "UpsampleBilinear", "trilinear": "UpsampleTrilinear", "bicubic": "UpsampleBicubic"}[mode]
        name = f"{base}{nd}DBackward0"
        cls = _UPSAMPLE_NODES[key] = type(name, (_Upsample,), {"_name": name})
    return cls


def _is_integer(x):
    return isinstance(x, _INT_TYPES) and not isinstance(x, bool) or (isinstance(x, Tensor) and
                                                                      x._data.dtype.kind in "iu")


def _upsample(input, mode, out_size, scales, align_corners):
    nd = len(out_size)
    in_sp = input._data.shape[2:]
    names = ("W",) if nd == 1 else ("H", "W") if nd == 2 else ("D", "H", "W")
    if any(i <= 0 for i in in_sp) or any(o <= 0 for o in out_size):
        ins = ", ".join(f"{n}: {v}" for n, v in zip(names, in_sp))
        outs = ", ".join(f"{n}: {v}" for n, v in zip(names, out_size))
        sep = " and" if nd == 1 else ""
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({ins}){sep} output "
                           f"({outs})")
    dt = input._data.dtype
    if dt.kind not in "fc":
        if nd == 2 and mode in ("nearest", "nearest-exact", "bilinear"):
            kname = f"upsample_{'nearest' if mode != 'bilinear' else 'bilinear'}2d_channels_last"
        else:
            kname = "compute_indices_weights_" + {"nearest": "nearest", "nearest-exact": "nearest",
                                                  "bicubic": "cubic"}.get(mode, "linear")
        raise _not_implemented(kname, dt)
    return _upsample_node(mode, nd).apply(input, mode, tuple(int(o) for o in out_size), tuple(scales),
                                          bool(align_corners))


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize (N, C, *spatial) by interpolation, as torch.nn.functional.interpolate."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    ndim = input.dim()
    dim = ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    elif size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError("Input and output must have the same number of spatial dimensions, but got input "
                                 f"with spatial dimensions of {list(input.shape[2:])} and output size of {size}. "
                                 "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                                 "(o1, o2, ...,oK) format.")
            if not all(_is_integer(x) for x in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                                f"Tuple[int, int, int], but got size with types {[type(x) for x in size]}")
            output_size = [int(v) for v in size]
        else:
            output_size = [int(size) for _ in range(dim)]
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError("Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {list(input.shape[2:])} and scale_factor of shape "
                                 f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                                 "scale_factor in (s1, s2, ...,sK) format.")
            scale_factors = [float(s) for s in scale_factor]
        else:
            scale_factors = [float(scale_factor) for _ in range(dim)]
    else:
        raise ValueError("either size or scale_factor should be defined")

    if recompute_scale_factor is not None and recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor is not None and recompute_scale_factor:
        output_size = [math.floor(float(input.size(i + 2) * scale_factors[i])) for i in range(dim)]
        scale_factors = None

    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a "
                         "4-D tensor as input")
    if antialias:
        raise NotImplementedError("huoba: interpolate(antialias=True) is not supported")

    if output_size is None:
        output_size = [int(input.size(i + 2) * scale_factors[i]) for i in range(dim)]
        scales = scale_factors
    else:
        scales = [None] * dim

    if mode in ("nearest", "nearest-exact") and ndim in (3, 4, 5):
        return _upsample(input, mode, output_size, scales, False)
    if mode == "area" and ndim in (3, 4, 5):
        if ndim == 3:
            return adaptive_avg_pool1d(input, output_size)
        if ndim == 4:
            return adaptive_avg_pool2d(input, output_size)
        return adaptive_avg_pool3d(input, output_size)
    if (mode, ndim) in (("linear", 3), ("bilinear", 4), ("trilinear", 5), ("bicubic", 4)):
        return _upsample(input, mode, output_size, scales, align_corners)
    if ndim == 4 and mode == "lanczos":
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        raise ValueError("Lanczos mode requires antialias=True")
    for m, n, need in (("bilinear", 3, 4), ("trilinear", 3, 5), ("linear", 4, 3), ("trilinear", 4, 5),
                       ("linear", 5, 3), ("bilinear", 5, 4)):
        if ndim == n and mode == m:
            raise NotImplementedError(f"Got {n}D input, but {m} mode needs {need}D input")
    raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {ndim}D) for the modes: "
                              f"{_MODES} (got {mode})")


# functions of the torch namespace (torch.max_pool2d, torch.avg_pool1d, ...): PyTorch's signatures there
def _torch_max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return max_pool1d(input, kernel_size, stride if stride != () else None, padding, dilation, ceil_mode)


def _torch_max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return max_pool2d(input, kernel_size, stride if stride != () else None, padding, dilation, ceil_mode)


def _torch_max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return max_pool1d_with_indices(input, kernel_size, stride if stride != () else None, padding, dilation,
                                   ceil_mode)


def _torch_avg_pool1d(input, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True):
    return avg_pool1d(input, kernel_size, stride if stride != () else None, padding, ceil_mode, count_include_pad)


def _torch_adaptive_max_pool1d(input, output_size):
    return _adaptive_max_pool1d(input, output_size)


torch_functions = dict(max_pool1d=_torch_max_pool1d, max_pool2d=_torch_max_pool2d,
                       max_pool1d_with_indices=_torch_max_pool1d_with_indices, avg_pool1d=_torch_avg_pool1d,
                       adaptive_avg_pool1d=adaptive_avg_pool1d, adaptive_max_pool1d=_torch_adaptive_max_pool1d)

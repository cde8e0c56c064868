"""Convolutions and their relatives: conv1d/2d/3d, conv_transpose1d/2d/3d, unfold
(im2col), fold (col2im), pixel_shuffle / pixel_unshuffle.

The public functions have torch.nn.functional's signatures, check their
arguments as PyTorch does (same error types and messages), and run one
differentiable node each (`ConvolutionBackward0`, `Im2ColBackward0`, ...).  The
array work is done by `huoba.ops._conv_kernels` (im2col + one GEMM).

Conv backward computes only what is needed: the input gradient of a first layer
(an input that does not require grad) is skipped, and the column matrix that the
forward built is kept for the weight gradient when the weight requires grad.
With create_graph=True the conv gradients are built from recorded nodes (a
transposed conv for the input, `ConvolutionBackwardBackward0` for the weight), so
second derivatives work (gradient penalties); a third differentiation raises.

As in PyTorch, an unbatched input runs as unsqueeze -> conv -> squeeze, and
padding='same' with an even kernel pads the extra row/column with a
constant-pad node first (with PyTorch's warning).
"""
import warnings

import numpy as np

from ..autograd.function import Function, _NO_EDGE, _delay_error
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor, _wrap
from .._backend import array_module
from . import _conv_kernels as K

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "unfold", "fold", "pixel_shuffle", "pixel_unshuffle", "convolution"]

_INT_TYPES = (int, np.integer)

# torch's names for dtypes in conv error messages
_LEGACY = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor", "float16": "torch.HalfTensor",
           "bfloat16": "torch.BFloat16Tensor", "int64": "torch.LongTensor", "int32": "torch.IntTensor",
           "int16": "torch.ShortTensor", "int8": "torch.CharTensor", "uint8": "torch.ByteTensor",
           "bool": "torch.BoolTensor", "complex64": "torch.ComplexFloatTensor",
           "complex128": "torch.ComplexDoubleTensor"}
_SCALAR = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
           "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool", "complex64": "ComplexFloat",
           "complex128": "ComplexDouble"}
_CNAME = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
          "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _fmt(shape):
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


def _dims_list(v, n, name, fname):
    """An int or sequence argument as a list (an int repeats n times, as PyTorch's IntArrayRef[n])."""
    if isinstance(v, _INT_TYPES) and not isinstance(v, bool):
        return [int(v)] * n
    if isinstance(v, Tensor):
        v = v.tolist()
        if isinstance(v, int):
            return [v] * n
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


def _expand(values, name, dim):
    """PyTorch's expand_param_if_needed: one value repeats, else the length must match."""
    if len(values) == 1:
        return values * dim
    if len(values) != dim:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {dim} values to match the "
                           f"convolution dimensions, but got {name}={_fmt(values)}")
    return values


def _check_dtypes(x, w, b, transposed):
    xd, wd = x._data.dtype, w._data.dtype
    if xd != wd:
        if xd == np.float32:
            raise RuntimeError(f"Input type ({_LEGACY.get(xd.name, xd.name)}) and weight type "
                               f"({_LEGACY.get(wd.name, wd.name)}) should be the same or input should be a MKLDNN "
                               "tensor and weight is a dense tensor")
        raise RuntimeError(f"expected scalar type {_SCALAR.get(xd.name, xd.name)} but found "
                           f"{_SCALAR.get(wd.name, wd.name)}")
    if b is not None and b._data.dtype != xd:
        bd = b._data.dtype
        if transposed and xd == np.float32:
            raise RuntimeError(f"Input type ({_LEGACY.get(xd.name, xd.name)}) and bias type "
                               f"({_LEGACY.get(bd.name, bd.name)}) should be the same or input should be a MKLDNN "
                               "tensor and bias is a dense tensor")
        raise RuntimeError(f"Input type ({_CNAME.get(xd.name, xd.name)}) and bias type "
                           f"({_CNAME.get(bd.name, bd.name)}) should be the same")


def _batchify(input, nd, fname):
    """(input as batched, was it unbatched); PyTorch's batchify check."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{fname}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    n = input._data.ndim
    if n == nd + 2:
        return input, False
    if n == nd + 1:
        return input.unsqueeze(0), True
    raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {fname}, but got input of "
                       f"size: {_fmt(input._data.shape)}")


def _grads(gx, gw, gb, n_none):
    """The gradients a conv node returns (arrays wrapped; None where not needed)."""
    return (None if gx is None else _wrap(gx), None if gw is None else _wrap(gw),
            None if gb is None else _wrap(gb)) + (None,) * n_none


# ---- the nodes ---------------------------------------------------------------------------------------
class _ConvNd(Function):
    """y = conv(x, w, b) over 1, 2 or 3 spatial dims (x batched).

    forward(ctx, x, w, b, stride, padding, dilation, groups) with per-dim tuples;
    padding holds (before, after) pairs.  b may be None: PyTorch still shows an
    undefined edge (None, 0) for it.
    """

    _name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        edges = ctx._edges
        nd = x.ndim - 2
        ctx._params = (stride, padding, dilation, groups)
        if edges:
            if b is None:
                edges[2] = _NO_EDGE
            need_w = edges[1] is not None and edges[1][0] is not None
            ctx.save_for_backward(x, w)
        else:
            need_w = False
        ctx.cache = None
        if nd == 3:
            return _convnd_forward(x, w, b, stride, padding, dilation, groups)
        if need_w:
            y, ctx.cache = _raw_conv(x, w, b, stride, padding, dilation, groups, keep_cols=True)
            return y
        return _raw_conv(x, w, b, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, gy):
        needs = ctx.needs_input_grad
        if GradMode.enabled:          # create_graph=True: gradients that can be differentiated again
            ctx.cache = None
            return _conv_grads_graph(ctx, gy, needs, False) + (None,) * 4
        x, w = ctx.saved_tensors
        gx, gw, gb = _raw_conv_grads(gy._data, x._data, w._data, *ctx._params, needs[0], needs[1], needs[2],
                                     ctx.cache)
        ctx.cache = None
        return _grads(gx, gw, gb, 4)


def _raw_conv(x, w, b, stride, padding, dilation, groups, keep_cols=False):
    """conv on arrays, 1-3 spatial dims ((y, cache) with keep_cols, 1-d and 2-d only)."""
    nd = x.ndim - 2
    if nd == 2:
        return K.conv2d_forward(x, w, b, stride, padding, dilation, groups, keep_cols=keep_cols)
    if nd == 1:
        out = K.conv2d_forward(x[:, :, None, :], w[:, :, None, :], b, (1, stride[0]), ((0, 0), padding[0]),
                               (1, dilation[0]), groups, keep_cols=keep_cols)
        if keep_cols:
            return out[0][:, :, 0, :], out[1]
        return out[:, :, 0, :]
    return _convnd_forward(x, w, b, stride, padding, dilation, groups)


def _raw_conv_grads(g, x, w, stride, padding, dilation, groups, need_x, need_w, need_b, cache=None):
    """(grad_x, grad_w, grad_b) of a conv on arrays (None where not needed)."""
    nd = x.ndim - 2
    if nd == 2:
        return K.conv2d_backward(g, x, w, stride, padding, dilation, groups, need_x, need_w, need_b, cache)
    if nd == 1:
        gx, gw, gb = K.conv2d_backward(g[:, :, None, :], x[:, :, None, :], w[:, :, None, :], (1, stride[0]),
                                       ((0, 0), padding[0]), (1, dilation[0]), groups, need_x, need_w, need_b,
                                       cache)
        return (None if gx is None else gx[:, :, 0, :]), (None if gw is None else gw[:, :, 0, :]), gb
    return _convnd_backward(g, x, w, stride, padding, dilation, groups, need_x, need_w, need_b)


class _ConvWeight(Function):
    """grad_w of a conv as a function of its input and its output gradient: the weight
    gradient of a double backward (create_graph=True), itself differentiable once more."""

    _name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, x, gy, w_shape, stride, padding, dilation, groups):
        ctx._params = (stride, padding, dilation, groups)
        if ctx._edges:
            ctx.save_for_backward(x, gy)
        w = array_module(x).empty(w_shape, dtype=x.dtype)   # only its shape matters here
        return _raw_conv_grads(gy, x, w, stride, padding, dilation, groups, False, True, False)[1]

    @staticmethod
    def backward(ctx, ggw):
        x, gy = ctx.saved_tensors
        needs = ctx.needs_input_grad
        stride, padding, dilation, groups = ctx._params
        w = ggw._data
        gx = _raw_conv_grads(gy._data, x._data, w, stride, padding, dilation, groups, True, False, False)[0] \
            if needs[0] else None
        ggy = _raw_conv(x._data, w, None, stride, padding, dilation, groups) if needs[1] else None
        out = (None if gx is None else _wrap(gx), None if ggy is None else _wrap(ggy))
        if GradMode.enabled:
            out = _delay_error(out)
        return out + (None,) * 5


def _conv_grads_graph(ctx, gy, needs, transposed):
    """The gradients of a conv node as Tensor ops (recorded), for create_graph=True."""
    x, w = ctx.saved_tensors
    nd = x._data.ndim - 2
    gx = gw = gb = None
    if transposed:
        stride, padding, output_padding, groups, dilation = ctx._params
        if needs[0]:
            gx = _ConvNd.apply(gy, w, None, stride, padding, dilation, groups)
        if needs[1]:
            gw = _ConvWeight.apply(gy, x, w._data.shape, stride, padding, dilation, groups)
    else:
        stride, padding, dilation, groups = ctx._params
        if needs[0]:
            ws, xs, ys = w._data.shape, x._data.shape, gy._data.shape
            op = tuple(xs[2 + i] - ((ys[2 + i] - 1) * stride[i] - 2 * padding[i][0] + dilation[i] * (ws[2 + i] - 1)
                                    + 1) for i in range(nd))
            gx = _ConvTransposeNd.apply(gy, w, None, stride, padding, op, groups, dilation)
        if needs[1]:
            gw = _ConvWeight.apply(x, gy, w._data.shape, stride, padding, dilation, groups)
    if needs[2]:
        gb = gy.sum((0,) + tuple(range(2, 2 + nd)))
    return gx, gw, gb


class _ConvTransposeNd(Function):
    """y = conv_transpose(x, w, b) over 1, 2 or 3 spatial dims (x batched)."""

    _name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, output_padding, groups, dilation):
        if ctx._edges:
            if b is None:
                ctx._edges[2] = _NO_EDGE
            ctx.save_for_backward(x, w)
        ctx._params = (stride, padding, output_padding, groups, dilation)
        nd = x.ndim - 2
        if nd == 2:
            return K.conv_transpose2d_forward(x, w, b, stride, padding, output_padding, groups, dilation)
        if nd == 1:
            y = K.conv_transpose2d_forward(x[:, :, None, :], w[:, :, None, :], b, (1, stride[0]),
                                           ((0, 0), padding[0]), (0, output_padding[0]), groups, (1, dilation[0]))
            return y[:, :, 0, :]
        return _convnd_transpose_forward(x, w, b, stride, padding, output_padding, groups, dilation)

    @staticmethod
    def backward(ctx, gy):
        needs = ctx.needs_input_grad
        if GradMode.enabled:
            return _conv_grads_graph(ctx, gy, needs, True) + (None,) * 5
        x, w = ctx.saved_tensors
        x, w = x._data, w._data
        need_x, need_w, need_b = needs[0], needs[1], needs[2]
        stride, padding, output_padding, groups, dilation = ctx._params
        g = gy._data
        nd = x.ndim - 2
        if nd == 2:
            gx, gw, gb = K.conv_transpose2d_backward(g, x, w, stride, padding, output_padding, groups, dilation,
                                                     need_x, need_w, need_b)
        elif nd == 1:
            gx, gw, gb = K.conv_transpose2d_backward(g[:, :, None, :], x[:, :, None, :], w[:, :, None, :],
                                                     (1, stride[0]), ((0, 0), padding[0]), (0, output_padding[0]),
                                                     groups, (1, dilation[0]), need_x, need_w, need_b)
            gx = None if gx is None else gx[:, :, 0, :]
            gw = None if gw is None else gw[:, :, 0, :]
        else:
            gx, gw, gb = _convnd_transpose_backward(g, x, w, stride, padding, output_padding, groups, dilation,
                                                    need_x, need_w, need_b)
        return _grads(gx, gw, gb, 5)


# ---- generic N-d convolution (used for 3-d) ----------------------------------------------------------
def _pad_nd(xp, x, padding):
    if all(a == 0 and b == 0 for a, b in padding):
        return x
    out = xp.zeros(x.shape[:2] + tuple(s + a + b for s, (a, b) in zip(x.shape[2:], padding)), dtype=x.dtype)
    out[(slice(None), slice(None)) + tuple(slice(a, a + s) for s, (a, _) in zip(x.shape[2:], padding))] = x
    return out


def _cols_nd(x, ksize, stride, padding, dilation):
    """(xpad, view (N, C, *k, *o)) of the padded input."""
    xp = array_module(x)
    xpad = _pad_nd(xp, x, padding)
    nd = len(ksize)
    out = tuple((s - d * (k - 1) - 1) // st + 1
                for s, k, st, d in zip(xpad.shape[2:], ksize, stride, dilation))
    st = xpad.strides
    view = K.as_strided(xpad, xpad.shape[:2] + tuple(ksize) + out,
                        st[:2] + tuple(st[2 + i] * dilation[i] for i in range(nd))
                        + tuple(st[2 + i] * stride[i] for i in range(nd)))
    return view, out


def _col2im_nd(xp, gcols, in_shape, ksize, stride, padding, dilation, out):
    """Sum the (N, C, *k, *o) column gradients back into an (N, C, *in) input gradient."""
    nd = len(ksize)
    padded = tuple(s + a + b for s, (a, b) in zip(in_shape[2:], padding))
    gxp = xp.zeros(tuple(in_shape[:2]) + padded, dtype=gcols.dtype)
    for offs in np.ndindex(*ksize):
        sl = tuple(slice(o * d, o * d + st * (n - 1) + 1, st) for o, d, st, n in zip(offs, dilation, stride, out))
        gxp[(slice(None), slice(None)) + sl] += gcols[(slice(None), slice(None)) + offs]
    if all(a == 0 and b == 0 for a, b in padding):
        return gxp
    return xp.ascontiguousarray(
        gxp[(slice(None), slice(None)) + tuple(slice(a, a + s) for s, (a, _) in zip(in_shape[2:], padding))])


def _convnd_forward(x, w, b, stride, padding, dilation, groups):
    xp = array_module(x)
    N, C = x.shape[:2]
    O = w.shape[0]
    ksize = w.shape[2:]
    G = groups
    Cg, Og = C // G, O // G
    view, out = _cols_nd(x, ksize, stride, padding, dilation)
    nd = len(ksize)
    L = int(np.prod(out))
    kk = int(np.prod(ksize))
    # (G, Cg * k, N * L)
    perm = (1,) + tuple(range(2, 2 + nd)) + (0,) + tuple(range(2 + nd, 2 + 2 * nd))
    cols = xp.ascontiguousarray(view.transpose(perm)).reshape(G, Cg * kk, N * L)
    y = xp.matmul(w.reshape(G, Og, Cg * kk), cols).reshape(O, N, *out)
    y = xp.ascontiguousarray(xp.moveaxis(y, 0, 1))
    if b is not None:
        y += b.reshape((1, O) + (1,) * nd)
    return y


def _convnd_backward(gy, x, w, stride, padding, dilation, groups, need_x, need_w, need_b):
    xp = array_module(gy)
    N, C = x.shape[:2]
    O = w.shape[0]
    ksize = w.shape[2:]
    nd = len(ksize)
    G = groups
    Cg, Og = C // G, O // G
    kk = int(np.prod(ksize))
    out = gy.shape[2:]
    gyc = xp.ascontiguousarray(xp.moveaxis(gy, 1, 0)).reshape(G, Og, -1)   # (G, Og, N*L)
    gx = gw = gb = None
    if need_b:
        gb = gy.sum(axis=(0,) + tuple(range(2, 2 + nd)))
    if need_w:
        view, _ = _cols_nd(x, ksize, stride, padding, dilation)
        perm = (1,) + tuple(range(2, 2 + nd)) + (0,) + tuple(range(2 + nd, 2 + 2 * nd))
        cols = xp.ascontiguousarray(view.transpose(perm)).reshape(G, Cg * kk, -1)
        gw = xp.matmul(gyc, cols.transpose(0, 2, 1)).reshape(w.shape)
    if need_x:
        gcols = xp.matmul(w.reshape(G, Og, Cg * kk).transpose(0, 2, 1), gyc)      # (G, Cg*k, N*L)
        gcols = gcols.reshape((C,) + tuple(ksize) + (N,) + tuple(out))
        gcols = xp.moveaxis(gcols, 1 + nd, 0)                                        # (N, C, *k, *o)
        gx = _col2im_nd(xp, gcols, x.shape, ksize, stride, padding, dilation, out)
    return gx, gw, gb


def _transpose_out(in_sp, ksize, stride, padding, output_padding, dilation):
    return tuple((i - 1) * s - a - b + d * (k - 1) + op + 1
                 for i, k, s, (a, b), op, d in zip(in_sp, ksize, stride, padding, output_padding, dilation))


def _convnd_transpose_forward(x, w, b, stride, padding, output_padding, groups, dilation):
    # the input gradient of the conv (weight w) whose output has x's shape
    xp = array_module(x)
    N, Cin = x.shape[:2]
    G = groups
    Cout = w.shape[1] * G
    ksize = w.shape[2:]
    out = _transpose_out(x.shape[2:], ksize, stride, padding, output_padding, dilation)
    y, _, _ = _convnd_backward(x, xp.empty((N, Cout) + out, dtype=x.dtype), w, stride, padding, dilation, G,
                               True, False, False)
    if b is not None:
        y += b.reshape((1, Cout) + (1,) * len(ksize))
    return y


def _convnd_transpose_backward(gy, x, w, stride, padding, output_padding, groups, dilation, need_x, need_w,
                               need_b):
    nd = x.ndim - 2
    gx = gw = gb = None
    if need_b:
        gb = gy.sum(axis=(0,) + tuple(range(2, 2 + nd)))
    if need_x:
        gx = _convnd_forward(gy, w, None, stride, padding, dilation, groups)
    if need_w:
        # conv(gy; weight w) has x's shape: its weight gradient with grad_y = x
        _, gw, _ = _convnd_backward(x, gy, w, stride, padding, dilation, groups, False, True, False)
    return gx, gw, gb


# ---- argument handling shared by the conv functions ---------------------------------------------------
def _conv_params(fname, nd, input, weight, bias, stride, padding, dilation, groups):
    """Validated (stride, padding pairs, dilation) tuples, or raises as PyTorch does.
    `padding` may be a string here; 'same' may return pad_extra (x needs F.pad first)."""
    s = _dims_list(stride, nd, "stride", fname)
    d = _dims_list(dilation, nd, "dilation", fname)
    wd = weight._data.ndim
    if wd < 3:
        raise RuntimeError("weight should have at least three dimensions")
    k = wd - 2
    s = _expand(s, "stride", k)
    if isinstance(padding, str):
        p = None
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        p = _expand(_dims_list(padding, nd, "padding", fname), "padding", k)
    d = _expand(d, "dilation", k)
    return s, p, d, k


def _check_conv_shapes(x, w, b, s, p, d, groups, transposed=False, output_padding=None):
    """PyTorch's check_input_shape_forward (+ the positive-parameter checks)."""
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if any(v < 0 for v in p):
        raise RuntimeError("negative padding is not supported")
    if output_padding is not None and any(v < 0 for v in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(v <= 0 for v in s):
        raise RuntimeError("non-positive stride is not supported")
    if any(v <= 0 for v in d):
        raise RuntimeError("non-positive dilation is not supported")
    xs, ws = x._data.shape, w._data.shape
    if len(ws) != len(xs):
        raise RuntimeError(f"Expected {len(ws)}-dimensional input for {len(ws)}-dimensional weight {_fmt(ws)}, but "
                           f"got {len(xs)}-dimensional input of size {_fmt(xs)} instead")
    if ws[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                           f"weight of size {_fmt(ws)} instead")
    if ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{_fmt(ws)}] instead")
    if not transposed:
        if xs[1] != ws[1] * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {_fmt(ws)}, expected input{_fmt(xs)} to have "
                               f"{ws[1] * groups} channels, but got {xs[1]} channels instead")
        if b is not None and (b._data.ndim != 1 or b._data.shape[0] != ws[0]):
            raise RuntimeError(f"Given weight of size {_fmt(ws)}, expected bias to be 1-dimensional with {ws[0]} "
                               f"elements, but got bias of size {_fmt(b._data.shape)} instead")
        padded = [xs[2 + i] + 2 * p[i] for i in range(len(ws) - 2)]
        kernel = [d[i] * (ws[2 + i] - 1) + 1 for i in range(len(ws) - 2)]
        if any(a < k for a, k in zip(padded, kernel)):
            raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                               f"Kernel size: ({' x '.join(map(str, kernel))}). Kernel size can't be greater than "
                               "actual input size")
    else:
        if xs[1] != ws[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {_fmt(ws)}, expected input{_fmt(xs)} to have "
                               f"{ws[0]} channels, but got {xs[1]} channels instead")
        if b is not None and (b._data.ndim != 1 or b._data.shape[0] != ws[1] * groups):
            raise RuntimeError(f"Given transposed=1, weight of size {_fmt(ws)}, expected bias to be 1-dimensional "
                               f"with {ws[1] * groups} elements, but got bias of size {_fmt(b._data.shape)} instead")


_SAME_WARNING = ("Using padding='same' with even kernel lengths and odd dilation may require a zero-padded copy of "
                 "the input be created (Triggered internally at "
                 "/__w/pytorch/pytorch/aten/src/ATen/native/Convolution.cpp:1101.)")


def _conv(fname, nd, input, weight, bias, stride, padding, dilation, groups):
    if not isinstance(weight, Tensor):
        raise TypeError(f"{fname}(): argument 'weight' (position 2) must be Tensor, not {type(weight).__name__}")
    x, unbatched = _batchify(input, nd, fname)
    s, p, d, k = _conv_params(fname, nd, x, weight, bias, stride, padding, dilation, groups)
    if p is None:
        if padding == "valid":
            p = [0] * k
        else:
            if any(v != 1 for v in s):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            ws = weight._data.shape
            p, extra = [], []
            for i in range(k):
                total = d[i] * (ws[2 + i] - 1)
                left = total // 2
                p.append(left)
                extra.append(total - 2 * left)
            if any(extra):
                warnings.warn(_SAME_WARNING, UserWarning, stacklevel=3)
                if x._data.ndim == k + 2:
                    # PyTorch pads the odd extra row/column at the end with a constant-pad node
                    from .shape import constant_pad
                    widths = [(0, 0)] * (x._data.ndim - k) + [(0, e) for e in extra]
                    x = constant_pad(x, widths, 0)
    _check_conv_shapes(x, weight, bias, s, p, d, groups)
    _check_dtypes(x, weight, bias, False)
    y = _ConvNd.apply(x, weight, bias, tuple(s), tuple((v, v) for v in p), tuple(d), int(groups))
    return y.squeeze(0) if unbatched else y


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over (N, C, L) (or unbatched (C, L)) input; weight (O, C/groups, K)."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def _int2(v):
    """v as an (a, b) pair of plain ints, or None (the fast path's argument check)."""
    if type(v) is int:
        return v, v
    if type(v) is tuple and len(v) == 2 and type(v[0]) is int and type(v[1]) is int:
        return v
    return None


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over (N, C, H, W) (or unbatched (C, H, W)) input; weight (O, C/groups, kH, kW)."""
    if isinstance(input, Tensor) and isinstance(weight, Tensor) and type(groups) is int:
        # the common case (what nn.Conv2d passes), checked without building lists
        s, p, d = _int2(stride), _int2(padding), _int2(dilation)
        xs, ws = input._data.shape, weight._data.shape
        if (s is not None and p is not None and d is not None and len(xs) == 4 and len(ws) == 4 and groups > 0
                and s[0] > 0 and s[1] > 0 and d[0] > 0 and d[1] > 0 and p[0] >= 0 and p[1] >= 0
                and xs[1] == ws[1] * groups and ws[0] >= groups and ws[0] % groups == 0
                and input._data.dtype == weight._data.dtype
                and xs[2] + 2 * p[0] >= d[0] * (ws[2] - 1) + 1 and xs[3] + 2 * p[1] >= d[1] * (ws[3] - 1) + 1
                and (bias is None or (isinstance(bias, Tensor) and bias._data.shape == (ws[0],)
                                      and bias._data.dtype == input._data.dtype))):
            return _ConvNd.apply(input, weight, bias, s, ((p[0], p[0]), (p[1], p[1])), d, groups)
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over (N, C, D, H, W) (or unbatched) input; weight (O, C/groups, kD, kH, kW)."""
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose(fname, nd, input, weight, bias, stride, padding, output_padding, groups, dilation):
    if not isinstance(weight, Tensor):
        raise TypeError(f"{fname}(): argument 'weight' (position 2) must be Tensor, not {type(weight).__name__}")
    if isinstance(padding, str):
        raise TypeError(f"{fname}(): argument 'padding' must be tuple of ints, not str")
    x, unbatched = _batchify(input, nd, fname)
    s, p, d, k = _conv_params(fname, nd, x, weight, bias, stride, padding, dilation, groups)
    op = _expand(_dims_list(output_padding, nd, "output_padding", fname), "output_padding", k)
    _check_conv_shapes(x, weight, bias, s, p, d, groups, True, op)
    _check_dtypes(x, weight, bias, True)
    for i in range(k):
        if not (op[i] < s[i] or op[i] < d[i]):
            if k == 2:
                raise RuntimeError(
                    f"output padding must be smaller than either stride or dilation, but got output_padding_height: "
                    f"{op[0]} output_padding_width: {op[1]} stride_height: {s[0]} stride_width: {s[1]} "
                    f"dilation_height: {d[0]} dilation_width: {d[1]}")
            raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got "
                               f"output_padding={_fmt(op)}, stride={_fmt(s)}, dilation={_fmt(d)}")
    ws = weight._data.shape
    in_sp = x._data.shape[2:]
    out = _transpose_out(in_sp, ws[2:], s, [(v, v) for v in p], op, d)
    if any(o < 1 for o in out):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, in_sp))}). Calculated output size "
                           f"per channel: ({' x '.join(map(str, out))}). Output size is too small")
    y = _ConvTransposeNd.apply(x, weight, bias, tuple(s), tuple((v, v) for v in p), tuple(op), int(groups),
                               tuple(d))
    return y.squeeze(0) if unbatched else y


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution; weight (C_in, C_out/groups, K)."""
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution; weight (C_in, C_out/groups, kH, kW)."""
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution; weight (C_in, C_out/groups, kD, kH, kW)."""
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    """torch.convolution: the generic entry point (spatial dims from the weight)."""
    nd = weight._data.ndim - 2
    if transposed:
        return _conv_transpose(f"conv_transpose{nd}d", nd, input, weight, bias, stride, padding, output_padding,
                               groups, dilation)
    return _conv(f"conv{nd}d", nd, input, weight, bias, stride, padding, dilation, groups)


# ---- unfold / fold ------------------------------------------------------------------------------------
def _pair_arg(v):
    """torch.nn.functional's _pair: an iterable as a tuple, anything else twice."""
    if isinstance(v, Tensor):
        v = v.tolist()
    if isinstance(v, (tuple, list)):
        return tuple(v)
    return (v, v)


def _four(name, v):
    v = _pair_arg(v)
    if len(v) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(v)}")
    for e in v:
        if not isinstance(e, _INT_TYPES) or isinstance(e, bool):
            raise TypeError(f"im2col(): argument '{name}' must be tuple of ints, but found element of type "
                            f"{type(e).__name__} at pos {v.index(e)}")
    return int(v[0]), int(v[1])


def _not_implemented_for(name, dtype):
    return NotImplementedError(f"\"{name}\" not implemented for '{_SCALAR.get(dtype.name, dtype.name)}'")


class _Im2Col(Function):
    _name = "Im2ColBackward0"

    @staticmethod
    def forward(ctx, x, k, d, p, s):
        ctx.args = (tuple(x.shape[-2:]), k, d, p, s)
        return K.im2col(x, k, d, p, s)

    @staticmethod
    def backward(ctx, g):
        hw, k, d, p, s = ctx.args
        if GradMode.enabled:        # create_graph: col2im as a node of its own (double backward works)
            return _Col2Im.apply(g, hw, k, d, p, s), None, None, None, None
        return _wrap(K.col2im(g._data, hw, k, d, p, s)), None, None, None, None


class _Col2Im(Function):
    _name = "Col2ImBackward0"

    @staticmethod
    def forward(ctx, x, out, k, d, p, s):
        ctx.args = (k, d, p, s)
        return K.col2im(x, out, k, d, p, s)

    @staticmethod
    def backward(ctx, g):
        k, d, p, s = ctx.args
        if GradMode.enabled:
            return _Im2Col.apply(g, k, d, p, s), None, None, None, None, None
        return _wrap(K.im2col(g._data, k, d, p, s)), None, None, None, None, None


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding local blocks: (N, C, H, W) -> (N, C*kh*kw, L) (im2col)."""
    k = _four("kernel_size", kernel_size)
    d = _four("dilation", dilation)
    p = _four("padding", padding)
    s = _four("stride", stride)
    if k[0] <= 0 or k[1] <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: {k[0]} "
                           f"kernel_width: {k[1]}")
    if d[0] <= 0 or d[1] <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: {d[0]} "
                           f"dilation_width: {d[1]}")
    if p[0] < 0 or p[1] < 0:
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {p[0]} pad_width: {p[1]}")
    if s[0] <= 0 or s[1] <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: {s[0]} stride_width: {s[1]}")
    shape = input._data.shape
    nd = len(shape)
    if nd < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(nd, 1)}, {max(nd, 1) - 1}], "
                         f"but got {1 if nd < 2 else 2})")
    valid = shape[1] != 0 and shape[2] != 0
    if not ((nd == 3 and shape[0] != 0 and valid) or (nd == 4 and valid and shape[3] != 0)):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {_fmt(shape)}")
    H, W = shape[-2], shape[-1]
    oh = (H + 2 * p[0] - (d[0] * (k[0] - 1) + 1)) // s[0] + 1
    ow = (W + 2 * p[1] - (d[1] * (k[1] - 1) + 1)) // s[1] + 1
    if oh < 1 or ow < 1:
        raise RuntimeError(f"Given input with spatial size ({H}, {W}), kernel_size=({k[0]}, {k[1]}), "
                           f"dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), calculated shape of the array of "
                           f"sliding blocks as ({oh}, {ow}), but its components must be at least one.")
    if input._data.dtype.kind not in "fc":
        raise _not_implemented_for("im2col_out_cpu", input._data.dtype)
    return _Im2Col.apply(input, k, d, p, s)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combine sliding local blocks: (N, C*kh*kw, L) -> (N, C, H, W) (col2im, overlaps summed)."""
    o = _four("output_size", output_size)
    k = _four("kernel_size", kernel_size)
    d = _four("dilation", dilation)
    p = _four("padding", padding)
    s = _four("stride", stride)
    if k[0] <= 0 or k[1] <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: {k[0]} "
                           f"kernel_width: {k[1]}")
    if s[0] <= 0 or s[1] <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: {s[0]} stride_width: {s[1]}")
    if d[0] <= 0 or d[1] <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: {d[0]} "
                           f"dilation_width: {d[1]}")
    if p[0] < 0 or p[1] < 0:
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {p[0]} pad_width: {p[1]}")
    shape = input._data.shape
    nd = len(shape)
    valid = nd >= 2 and shape[-1] != 0 and shape[-2] != 0
    if not ((nd == 2 and valid) or (nd == 3 and valid and shape[0] >= 0)):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {_fmt(shape)}")
    planes, length = shape[-2], shape[-1]
    if planes % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={planes} and kernel_size=({k[0]}, {k[1]}).")
    bh = (o[0] + 2 * p[0] - (d[0] * (k[0] - 1) + 1)) // s[0] + 1
    bw = (o[1] + 2 * p[1] - (d[1] * (k[1] - 1) + 1)) // s[1] + 1
    head = (f"Given output_size=({o[0]}, {o[1]}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, {d[1]}), "
            f"padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), ")
    if length != bh * bw:
        raise RuntimeError(head + f"expected size of input's dimension 2 to match the calculated number of sliding "
                           f"blocks {bh} * {bw} = {bh * bw}, but got input.size(2)={length}.")
    if bh < 1 or bw < 1:
        raise RuntimeError(head + f"calculated shape of the array of sliding blocks as ({bh}, {bw}), which is too "
                           "small (non-positive)")
    if input._data.dtype.kind not in "fc":
        raise _not_implemented_for("col2im_out_cpu", input._data.dtype)
    return _Col2Im.apply(input, o, k, d, p, s)


# ---- pixel shuffle --------------------------------------------------------------------------------------
def _shuffle(a, r):
    """(..., C*r*r, H, W) -> (..., C, H*r, W*r)."""
    lead = a.shape[:-3]
    c, h, w = a.shape[-3:]
    oc = c // (r * r)
    n = len(lead)
    t = a.reshape(lead + (oc, r, r, h, w))
    t = t.transpose(tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return array_module(a).ascontiguousarray(t).reshape(lead + (oc, h * r, w * r))


def _unshuffle(a, r):
    """(..., C, H*r, W*r) -> (..., C*r*r, H, W)."""
    lead = a.shape[:-3]
    c, h, w = a.shape[-3:]
    oh, ow = h // r, w // r
    n = len(lead)
    t = a.reshape(lead + (c, oh, r, ow, r))
    t = t.transpose(tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return array_module(a).ascontiguousarray(t).reshape(lead + (c * r * r, oh, ow))


class _PixelShuffle(Function):
    _name = "PixelShuffleBackward0"

    @staticmethod
    def forward(ctx, x, r):
        ctx.r = r
        return _shuffle(x, r)

    @staticmethod
    def backward(ctx, g):
        return pixel_unshuffle(g, ctx.r), None


class _PixelUnshuffle(Function):
    _name = "PixelUnshuffleBackward0"

    @staticmethod
    def forward(ctx, x, r):
        ctx.r = r
        return _unshuffle(x, r)

    @staticmethod
    def backward(ctx, g):
        return pixel_shuffle(g, ctx.r), None


def pixel_shuffle(input, upscale_factor):
    """Rearrange (*, C*r^2, H, W) into (*, C, H*r, W*r)."""
    r = int(upscale_factor)
    shape = input._data.shape
    if len(shape) < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{len(shape)} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    if shape[-3] % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={shape[-3]} is not divisible by {r * r}")
    return _PixelShuffle.apply(input, r)


def pixel_unshuffle(input, downscale_factor):
    """Rearrange (*, C, H*r, W*r) into (*, C*r^2, H, W)."""
    r = int(downscale_factor)
    shape = input._data.shape
    if len(shape) < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{len(shape)} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    if shape[-2] % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but "
                           f"input.size(-2)={shape[-2]} is not divisible by {r}")
    if shape[-1] % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={shape[-1]} is not divisible by {r}")
    return _PixelUnshuffle.apply(input, r)


# functions of the torch namespace (torch.conv2d, torch.pixel_shuffle, ...)
torch_functions = dict(conv1d=conv1d, conv2d=conv2d, conv3d=conv3d, conv_transpose1d=conv_transpose1d,
                       conv_transpose2d=conv_transpose2d, conv_transpose3d=conv_transpose3d,
                       convolution=convolution, pixel_shuffle=pixel_shuffle, pixel_unshuffle=pixel_unshuffle)

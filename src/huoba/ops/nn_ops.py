"""Fused differentiable functions for huoba.nn.

These are the ops where composing smaller ones would be slow or numerically
poor: softmax / log_softmax (max-shifted, so no overflow), nll_loss (a gather
and a scatter), the activation functions, the normalisations (batch, layer,
group), embedding lookups, non-constant padding, vector norms, the
element-wise losses, and whole recurrent layers (RNN / LSTM / GRU over a
sequence, forward and back-propagation through time in one node each).

Each op is one `Function` whose forward works on raw arrays.  Backward has two
paths: with gradient recording off (the normal `loss.backward()`) it computes
on raw arrays; with `create_graph=True` it is written in Tensor ops, so that
double backward works, except where noted (`once_differentiable`).
"""
import math

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor, _wrap
from ._util import array_module, wrap_dim

__all__ = ["softmax", "log_softmax", "nll_loss", "mean_all", "batch_norm", "layer_norm", "group_norm",
           "embedding", "pad_nonconstant", "vector_norm", "prelu"]


# ---- small helpers ----------------------------------------------------------------------
def _label(np_dtype):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}.get(np.dtype(np_dtype).name,
                                                                                 str(np_dtype))


def _erf(a):
    xp = array_module(a)
    if xp is not np:
        from cupyx.scipy.special import erf as cerf
        return cerf(a)
    try:
        from scipy.special import erf
        return erf(a).astype(a.dtype, copy=False)
    except ImportError:  # pragma: no cover - scipy is optional
        return np.vectorize(math.erf, otypes=[a.dtype])(a)


def _erfinv(a):
    xp = array_module(a)
    if xp is not np:
        from cupyx.scipy.special import erfinv as cerfinv
        return cerfinv(a)
    try:
        from scipy.special import erfinv
        return erfinv(a).astype(a.dtype, copy=False)
    except ImportError:  # pragma: no cover - scipy is optional
        return _erfinv_newton(a)


def _erfinv_newton(a):
    """erfinv without scipy: Giles' single-precision approximation refined by Newton steps."""
    x = a.astype(np.float64)
    w = -np.log((1.0 - x) * (1.0 + x))
    small = w < 5.0
    ws = w - 2.5
    wl = np.sqrt(np.where(small, 5.0, w)) - 3.0
    p1 = np.full_like(x, 2.81022636e-08)
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503, -0.00417768164,
              0.246640727, 1.50140941):
        p1 = c + p1 * ws
    p2 = np.full_like(x, -0.000200214257)
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047,
              1.00167406, 2.83297682):
        p2 = c + p2 * wl
    y = np.where(small, p1, p2) * x
    erf = np.vectorize(math.erf, otypes=[np.float64])
    for _ in range(2):
        y = y - (erf(y) - x) / (2.0 / math.sqrt(math.pi) * np.exp(-y * y))
    y = np.where(np.abs(x) == 1, np.copysign(np.inf, x), y)
    return y.astype(a.dtype)


def _sigmoid(a):
    xp = array_module(a)
    e = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


def _softplus_arr(a):
    """log(1 + exp(a)) without overflow."""
    xp = array_module(a)
    return xp.maximum(a, 0) + xp.log1p(xp.exp(-xp.abs(a)))


class _Raw:
    """Math on raw arrays (the fast backward path)."""

    @staticmethod
    def exp(a):
        return array_module(a).exp(a)

    @staticmethod
    def tanh(a):
        return array_module(a).tanh(a)

    @staticmethod
    def sigmoid(a):
        return _sigmoid(a)

    @staticmethod
    def erf(a):
        return _erf(a)

    @staticmethod
    def mask(cond, like):
        """`cond` (a raw bool array) as 0/1 values of `like`'s dtype."""
        return cond.astype(like.dtype)

    @staticmethod
    def raw(a):
        return a


class _Ten:
    """The same math on Tensors (recorded, for double backward)."""

    @staticmethod
    def exp(a):
        return a.exp()

    @staticmethod
    def tanh(a):
        return a.tanh()

    @staticmethod
    def sigmoid(a):
        return a.sigmoid()

    @staticmethod
    def erf(a):
        return a.erf()

    @staticmethod
    def mask(cond, like):
        return _wrap(cond.astype(like._data.dtype if isinstance(like, Tensor) else like.dtype))

    @staticmethod
    def raw(a):
        return a._data


def _check_float(x, kernel):
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_label(x._data.dtype)}\'')


class _ReleasesExtras:
    """For nodes that keep large arrays on ctx besides save_for_backward: drop them too once backward
    has run without retain_graph (as PyTorch frees its saved buffers)."""

    _extras = ()

    def _release(self):
        Function._release(self)
        for name in self._extras:
            self.__dict__.pop(name, None)
        self.__dict__["_extras_freed"] = True

    def _check_extras(self):
        if self.__dict__.get("_extras_freed"):
            from ..autograd.function import _FREED_MESSAGE
            raise RuntimeError(_FREED_MESSAGE)


# ---- softmax / log_softmax ---------------------------------------------------------------
def _softmax_array(x, dim):
    xp = array_module(x)
    if x.size == 0:
        return x.copy()
    e = xp.exp(x - x.max(axis=dim, keepdims=True))
    e /= e.sum(axis=dim, keepdims=True)
    return e


def _log_softmax_array(x, dim):
    xp = array_module(x)
    if x.size == 0:
        return x.copy()
    y = x - x.max(axis=dim, keepdims=True)
    y -= xp.log(xp.exp(y).sum(axis=dim, keepdims=True))
    return y


class Softmax(Function):
    _name = "SoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        y = _softmax_array(x, dim)
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        dim = ctx.dim
        if GradMode.enabled:
            gy = g * y
            return gy - y * gy.sum(dim, keepdim=True), None
        ya = y._data
        gy = g._data * ya
        gy -= ya * gy.sum(axis=dim, keepdims=True)
        return _wrap(gy), None


class LogSoftmax(Function):
    _name = "LogSoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        y = _log_softmax_array(x, dim)
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        dim = ctx.dim
        if GradMode.enabled:
            return g - y.exp() * g.sum(dim, keepdim=True), None
        ga = g._data
        xp = array_module(ga)
        return _wrap(ga - xp.exp(y._data) * ga.sum(axis=dim, keepdims=True)), None


def _softmax_impl(node, array_fn, kernel, input, dim, dtype):
    if dtype is not None:
        input = input.to(dtype)
    _check_float(input, kernel)
    nd = input._data.ndim
    if nd == 0:
        wrap_dim(dim, 0)
        return _softmax_impl(node, array_fn, kernel, input.reshape(1), 0, None).reshape(())
    d = wrap_dim(dim, nd)
    if GradMode.enabled and input._requires_grad:
        return node.apply(input, d)
    return _wrap(array_fn(input._data, d))


def softmax(input, dim, dtype=None):
    return _softmax_impl(Softmax, _softmax_array, "softmax_lastdim_kernel_impl", input, dim, dtype)


def log_softmax(input, dim, dtype=None):
    return _softmax_impl(LogSoftmax, _log_softmax_array, "log_softmax_lastdim_kernel_impl", input, dim, dtype)


# ---- reductions used by the losses ------------------------------------------------------
class MeanAll(Function):
    _name = "MeanBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.shape = x.shape
        ctx.n = x.size
        return array_module(x).asarray(x.mean(dtype=x.dtype) if x.size else x.dtype.type(np.nan))

    @staticmethod
    def backward(ctx, g):
        return g.expand(ctx.shape) / ctx.n if ctx.n else g.expand(ctx.shape)


def mean_all(x):
    if GradMode.enabled and x._requires_grad:
        return MeanAll.apply(x)
    a = x._data
    return _wrap(array_module(a).asarray(a.mean(dtype=a.dtype) if a.size else a.dtype.type(np.nan)))


def apply_reduction(loss, reduction):
    """'none' | 'mean' | 'sum' of a Tensor of element-wise losses."""
    if reduction == "none":
        return loss
    if reduction == "mean":
        return mean_all(loss)
    return loss.sum()


# ---- nll_loss ----------------------------------------------------------------------------
def _nll_targets(logp, target, ignore_index):
    """Validated (safe target, valid mask or None when every target counts) for logp (N, C, ...)."""
    xp = array_module(logp)
    C = logp.shape[1]
    if target.size == 0:
        return target, None
    lo, hi = int(target.min()), int(target.max())
    if 0 <= lo and hi < C and not lo <= ignore_index <= hi:
        return target, None
    valid = target != ignore_index
    bad = valid & ((target < 0) | (target >= C))
    if bad.any():
        v = int(target[bad].reshape(-1)[0])
        raise IndexError(f"Target {v} is out of bounds.")
    return xp.where(valid, target, 0), valid


class NllLoss(_ReleasesExtras, Function):
    _name = "NllLossBackward0"
    _extras = ("coef", "tsafe")

    @staticmethod
    def forward(ctx, logp, target, weight, reduction, ignore_index):
        xp = array_module(logp)
        dt = logp.dtype
        tsafe, valid = _nll_targets(logp, target, ignore_index)
        if logp.ndim == 2:
            picked = logp[xp.arange(logp.shape[0]), tsafe]
        else:
            picked = xp.take_along_axis(logp, tsafe[:, None], axis=1)[:, 0]
        if weight is not None:
            w = weight.astype(dt, copy=False)[tsafe]
            if valid is not None:
                w = w * valid
        elif valid is not None:
            w = valid.astype(dt)
        else:
            w = None
        ctx.reduction = reduction
        ctx.shape = logp.shape
        ctx.tsafe = tsafe
        loss = -picked if w is None else -picked * w
        if reduction == "none":
            ctx.coef = -w if w is not None else xp.full(picked.shape, -1, dtype=dt)
            return loss
        if reduction == "sum":
            ctx.coef = -w if w is not None else xp.full(picked.shape, -1, dtype=dt)
            return xp.asarray(loss.sum(dtype=dt))
        total = w.sum(dtype=dt) if w is not None else dt.type(picked.size)
        with np.errstate(divide="ignore", invalid="ignore"):
            ctx.coef = -w / total if w is not None else xp.full(picked.shape, -1 / total, dtype=dt)
            return xp.asarray(loss.sum(dtype=dt) / total)

    @staticmethod
    def backward(ctx, g):
        ctx._check_extras()
        coef, tsafe, shape = ctx.coef, ctx.tsafe, ctx.shape
        xp = array_module(coef)
        none = ctx.reduction == "none"
        if GradMode.enabled:
            onehot = _scatter_class(xp, shape, tsafe, coef)
            return (_wrap(onehot) * (g.unsqueeze(1) if none else g)), None, None, None, None
        c = coef * g._data if none else coef * g._data.reshape(())
        return _wrap(_scatter_class(xp, shape, tsafe, c)), None, None, None, None


def _scatter_class(xp, shape, tsafe, values):
    """zeros(shape) with values[n, ...] put at class tsafe[n, ...] along dim 1."""
    out = xp.zeros(shape, dtype=values.dtype)
    if len(shape) == 2:
        out[xp.arange(shape[0]), tsafe] = values
    else:
        classes = xp.arange(shape[1]).reshape((1, shape[1]) + (1,) * (len(shape) - 2))
        out = (classes == tsafe[:, None]) * values[:, None]
    return out


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities `input` (N, C, ...) at class `target` (N, ...)."""
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    if target._data.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_label(target._data.dtype)}")
    nd = input.dim()
    squeeze = False
    if nd == 1:
        if target.dim() > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if target.dim() == 1 and target.shape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}")
        input = input.unsqueeze(0)
        squeeze = True
        target = target.reshape(1)
    elif nd == 2:
        if target.dim() != 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if input.shape[0] != target.shape[0]:
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                             f"({target.shape[0]}).")
    else:
        if input.shape[0] != target.shape[0]:
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                             f"({target.shape[0]}).")
        expected = (input.shape[0],) + tuple(input.shape[2:])
        if tuple(target.shape) != expected:
            raise RuntimeError(f"Expected target size [{', '.join(map(str, expected))}], got "
                               f"[{', '.join(map(str, target.shape))}]")
    C = input.shape[1]
    w = None
    if weight is not None:
        if weight.dim() != 1 or weight.shape[0] != C:
            raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no classes but got "
                               f"weight tensor of shape: [{', '.join(map(str, weight.shape))}]")
        w = weight._data
    tgt = target._data.astype(np.int64, copy=False)
    if GradMode.enabled and input._requires_grad:
        out = NllLoss.apply(input, tgt, w, reduction, ignore_index)
    else:
        ctx = NllLoss()
        out = _wrap(NllLoss.forward(ctx, input._data, tgt, w, reduction, ignore_index))
    if squeeze and reduction == "none":
        out = out.reshape(())
    return out


# ---- activations ----------------------------------------------------------------------------
def _activation(name, node_name, kernel, fwd, grad):
    """A one-input activation: `fwd(x, *params)` on arrays, `grad(ns, g, x, *params)` gives the input
    gradient with either raw arrays (`ns=_Raw`) or Tensors (`ns=_Ten`)."""

    class Act(Function):
        _name = node_name

        @staticmethod
        def forward(ctx, x, *params):
            ctx.params = params
            ctx.save_for_backward(x)
            return fwd(x, *params)

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            nones = (None,) * len(ctx.params)
            if GradMode.enabled:
                return (grad(_Ten, g, x, *ctx.params),) + nones
            gx = grad(_Raw, g._data, x._data, *ctx.params)
            return (_wrap(gx.astype(x._data.dtype, copy=False)),) + nones

    Act.__name__ = Act.__qualname__ = node_name.replace("Backward0", "")

    def op(input, *params):
        if kernel is not None:
            _check_float(input, kernel)
        if GradMode.enabled and input._requires_grad:
            return Act.apply(input, *params)
        return _wrap(fwd(input._data, *params))

    op.__name__ = name
    op.Function = Act
    return op


_SQRT1_2 = 0.7071067811865476
_2_SQRTPI = 1.1283791670955126
_SQRT_2_PI = 0.7978845608028654


def _gelu_fwd(x, approximate):
    xp = array_module(x)
    if approximate == "tanh":
        inner = _SQRT_2_PI * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + xp.tanh(inner))
    return x * 0.5 * (1 + _erf(x * _SQRT1_2))


def _gelu_grad(ns, g, x, approximate):
    if approximate == "tanh":
        x_sq = x * x
        inner = _SQRT_2_PI * (x + 0.044715 * x_sq * x)
        t = ns.tanh(inner)
        left = 0.5 * x
        right = 1 + t
        left_d = 0.5 * right
        d_inner = _SQRT_2_PI * (1 + 3 * 0.044715 * x_sq)
        return g * (left_d + left * (1 - t * t) * d_inner)
    cdf = 0.5 * (1 + ns.erf(x * _SQRT1_2))
    pdf = ns.exp(-0.5 * x * x) * (_2_SQRTPI * _SQRT1_2 * 0.5)
    return g * (cdf + x * pdf)


gelu = _activation("gelu", "GeluBackward0", "GeluKernelImpl", _gelu_fwd, _gelu_grad)


def _silu_fwd(x):
    return x * _sigmoid(x)


def _silu_grad(ns, g, x):
    s = ns.sigmoid(x)
    return g * (s * (1 + x * (1 - s)))


silu = _activation("silu", "SiluBackward0", "silu_cpu", _silu_fwd, _silu_grad)


def _elu_fwd(x, alpha, scale, input_scale):
    xp = array_module(x)
    neg = xp.expm1(xp.minimum(x, 0) * input_scale) * (alpha * scale)
    return xp.where(x > 0, x * scale, neg).astype(x.dtype, copy=False)


def _elu_grad(ns, g, x, alpha, scale, input_scale):
    pos = ns.mask(ns.raw(x) > 0, ns.raw(x))
    neg = 1 - pos
    xn = x * neg
    return g * (pos * scale + neg * (ns.exp(xn * input_scale) * (alpha * scale * input_scale)))


_elu = _activation("elu", "EluBackward0", "elu_cpu", _elu_fwd, _elu_grad)


def elu_op(input, alpha=1.0, scale=1.0, input_scale=1.0):
    return _elu(input, float(alpha), float(scale), float(input_scale))


def _celu_grad(ns, g, x, alpha, scale, input_scale):
    # PyTorch's derivative formula takes 1 / alpha in single precision
    return _elu_grad(ns, g, x, alpha, scale, 1.0 / float(np.float32(alpha)))


_celu = _activation("celu", "CeluBackward0", "elu_cpu", _elu_fwd, _celu_grad)


def celu_op(input, alpha=1.0):
    return _celu(input, float(alpha), 1.0, 1.0 / float(alpha))


def _softplus_fwd(x, beta, threshold):
    xp = array_module(x)
    bx = x * beta
    return xp.where(bx > threshold, x, _softplus_arr(bx) / beta).astype(x.dtype, copy=False)


def _softplus_grad(ns, g, x, beta, threshold):
    over = ns.mask(ns.raw(x) * beta > threshold, ns.raw(x))
    return g * (over + (1 - over) * ns.sigmoid(x * beta))


softplus_op = _activation("softplus", "SoftplusBackward0", "softplus_cpu", _softplus_fwd, _softplus_grad)


def _hardtanh_fwd(x, lo, hi):
    xp = array_module(x)
    if x.dtype.kind in "iu":
        return xp.clip(x, math.ceil(lo), math.floor(hi)).astype(x.dtype)
    return xp.clip(x, lo, hi).astype(x.dtype, copy=False)


def _hardtanh_grad(ns, g, x, lo, hi):
    xa = ns.raw(x)
    return g * ns.mask((xa > lo) & (xa < hi), xa)


hardtanh_op = _activation("hardtanh", "HardtanhBackward0", None, _hardtanh_fwd, _hardtanh_grad)


def _leaky_fwd(x, slope):
    xp = array_module(x)
    return xp.where(x > 0, x, x * slope).astype(x.dtype, copy=False)


def _leaky_grad(ns, g, x, slope):
    xa = ns.raw(x)
    pos = ns.mask(xa > 0, xa)
    return g * (pos + (1 - pos) * slope)


leaky_relu_op = _activation("leaky_relu", "LeakyReluBackward0", "leaky_relu_cpu", _leaky_fwd, _leaky_grad)


def _mish_fwd(x):
    return x * array_module(x).tanh(_softplus_arr(x))


def _mish_grad(ns, g, x):
    if ns is _Ten:
        tsp = softplus_op(x, 1.0, 20.0).tanh()
    else:
        tsp = np.tanh(_softplus_arr(x)) if array_module(x) is np else array_module(x).tanh(_softplus_arr(x))
    return g * (tsp + x * ns.sigmoid(x) * (1 - tsp * tsp))


mish = _activation("mish", "MishBackward0", "mish_cpu", _mish_fwd, _mish_grad)


def _hardswish_fwd(x):
    xp = array_module(x)
    return (x * xp.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False)


def _hardswish_grad(ns, g, x):
    xa = ns.raw(x)
    mid = ns.mask((xa >= -3) & (xa <= 3), xa)
    hi = ns.mask(xa > 3, xa)
    return g * (mid * (x * (1.0 / 3) + 0.5) + hi)


hardswish = _activation("hardswish", "HardswishBackward0", "hardswish_cpu", _hardswish_fwd, _hardswish_grad)


_ONE_SIXTH_F = float(np.float32(1.0) / np.float32(6.0))


def _hardsigmoid_fwd(x):
    xp = array_module(x)
    return (xp.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False)


def _hardsigmoid_grad(ns, g, x):
    xa = ns.raw(x)
    # PyTorch's kernel uses the float constant 1.0f / 6 for every dtype
    return g * (ns.mask((xa > -3) & (xa < 3), xa) * _ONE_SIXTH_F)


hardsigmoid = _activation("hardsigmoid", "HardsigmoidBackward0", "hardsigmoid_cpu", _hardsigmoid_fwd,
                          _hardsigmoid_grad)


def _logsigmoid_fwd(x):
    return -_softplus_arr(-x)


def _logsigmoid_grad(ns, g, x):
    return g * ns.sigmoid(-x)


logsigmoid = _activation("logsigmoid", "LogSigmoidBackward0", "log_sigmoid_cpu", _logsigmoid_fwd,
                         _logsigmoid_grad)


def _threshold_fwd(x, threshold, value):
    xp = array_module(x)
    return xp.where(x > threshold, x, xp.asarray(value, dtype=x.dtype)).astype(x.dtype, copy=False)


def _threshold_grad(ns, g, x, threshold, value):
    xa = ns.raw(x)
    return g * ns.mask(xa > threshold, xa)


threshold_op = _activation("threshold", "ThresholdBackward0", None, _threshold_fwd, _threshold_grad)


def _softshrink_fwd(x, lambd):
    xp = array_module(x)
    return xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, 0)).astype(x.dtype, copy=False)


def _softshrink_grad(ns, g, x, lambd):
    xa = ns.raw(x)
    return g * ns.mask((xa > lambd) | (xa < -lambd), xa)


softshrink_op = _activation("softshrink", "SoftshrinkBackward0", "softshrink_check", _softshrink_fwd,
                            _softshrink_grad)


def _hardshrink_fwd(x, lambd):
    xp = array_module(x)
    return xp.where((x > lambd) | (x < -lambd), x, 0).astype(x.dtype, copy=False)


hardshrink_op = _activation("hardshrink", "HardshrinkBackward0", "hardshrink_cpu", _hardshrink_fwd,
                            _softshrink_grad)


class Prelu(Function):
    _name = "PreluKernelBackward0"

    @staticmethod
    def forward(ctx, x, w, wshape):
        ctx.save_for_backward(x, w)
        ctx.wshape = wshape
        wb = w.reshape(wshape)
        return array_module(x).where(x > 0, x, x * wb).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        xa = x._data
        pos = (xa > 0).astype(xa.dtype)
        wshape = ctx.wshape
        need = ctx.needs_input_grad
        if GradMode.enabled:
            pos_t = _wrap(pos)
            wb = w.reshape(wshape)
            gx = g * (pos_t + (1 - pos_t) * wb) if need[0] else None
            gw = None
            if need[1]:
                prod = g * x * (1 - pos_t)
                gw = _sum_to(prod, wshape).reshape(w.shape)
            return gx, gw, None
        ga = g._data
        wb = w._data.reshape(wshape)
        gx = _wrap(ga * (pos + (1 - pos) * wb)) if need[0] else None
        gw = None
        if need[1]:
            prod = ga * xa * (1 - pos)
            gw = _wrap(_sum_to_array(prod, wshape).reshape(w._data.shape))
        return gx, gw, None


def _sum_axes(shape, target):
    lead = len(shape) - len(target)
    return tuple(range(lead)) + tuple(lead + i for i, s in enumerate(target) if s == 1 and shape[lead + i] != 1)


def _sum_to_array(a, target):
    axes = _sum_axes(a.shape, target)
    out = a.sum(axis=axes, keepdims=True) if axes else a
    return out.reshape(target)


def _sum_to(t, target):
    axes = _sum_axes(t.shape, target)
    out = t.sum(list(axes), keepdim=True) if axes else t
    return out.reshape(target)


def prelu(input, weight):
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {_label(input._data.dtype)} and "
                           f"{_label(weight._data.dtype)}")
    n = weight.numel()
    nd = input.dim()
    if n != 1:
        channels = input.shape[1] if nd >= 2 else (input.shape[0] if nd == 1 else 1)
        if channels != n:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{n} and channel size = {channels}.")
    if n == 1:
        wshape = (1,) * nd
    elif nd >= 2:
        wshape = (1, n) + (1,) * (nd - 2)
    else:
        wshape = (n,)
    if GradMode.enabled and (input._requires_grad or weight._requires_grad):
        return Prelu.apply(input, weight, wshape)
    return _wrap(Prelu.forward(Prelu(), input._data, weight._data, wshape))


# ---- normalisation ----------------------------------------------------------------------------
class BatchNorm(Function):
    _name = "NativeBatchNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, mean, invstd, training, eps):
        C = x.shape[1]
        ctx.eps = eps
        bshape = (1, C) + (1,) * (x.ndim - 2)
        scale = invstd if weight is None else invstd * weight
        shift = -mean * scale
        if bias is not None:
            shift = shift + bias
        y = x * scale.reshape(bshape) + shift.reshape(bshape)
        ctx.save_for_backward(x, weight)
        ctx.mean, ctx.invstd, ctx.training = mean, invstd, training
        ctx.bshape = bshape
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        bshape = ctx.bshape
        axes = (0,) + tuple(range(2, len(bshape)))
        mean = ctx.mean.reshape(bshape)
        invstd = ctx.invstd.reshape(bshape)
        if GradMode.enabled:
            return _batch_norm_backward_tensor(ctx, g, x, weight, need, axes, mean, invstd)
        ga, xa = g._data, x._data
        xhat = (xa - mean) * invstd
        gb = ga.sum(axis=axes)
        gw = (ga * xhat).sum(axis=axes)
        w = weight._data.reshape(bshape) if weight is not None else 1
        gx = None
        if need[0]:
            if ctx.training:
                m = xa.size // xa.shape[1]
                gx = (w * invstd) * (ga - (gb.reshape(bshape) + xhat * gw.reshape(bshape)) / m)
            else:
                gx = ga * (w * invstd)
            gx = _wrap(gx.astype(xa.dtype, copy=False))
        return (gx, _wrap(gw) if need[1] else None, _wrap(gb) if need[2] else None, None, None, None, None)


def _batch_norm_backward_tensor(ctx, g, x, weight, need, axes, mean, invstd):
    axes = list(axes)
    bshape = ctx.bshape
    mean_t, invstd_t = _wrap(mean), _wrap(invstd)
    if ctx.training:
        # the batch statistics depend on x: differentiate through them too
        m = x.numel() // x.shape[1]
        mu = x.sum(axes, keepdim=True) / m
        xc = x - mu
        var = (xc * xc).sum(axes, keepdim=True) / m
        invstd_t = (var + ctx.eps).rsqrt()
        xhat = xc * invstd_t
    else:
        xhat = (x - mean_t) * invstd_t
    w = weight.reshape(bshape) if weight is not None else 1
    gb = g.sum(axes)
    gw = (g * xhat).sum(axes)
    gx = None
    if need[0]:
        if ctx.training:
            m = x.numel() // x.shape[1]
            gx = (w * invstd_t) * (g - (gb.reshape(bshape) + xhat * gw.reshape(bshape)) / m)
        else:
            gx = g * (w * invstd_t)
    return gx, gw if need[1] else None, gb if need[2] else None, None, None, None, None


def batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps):
    """Batch normalisation over dims (0, 2, 3, ...); updates the running statistics in place when training."""
    x = input._data
    xp = array_module(x)
    C = x.shape[1]
    axes = (0,) + tuple(range(2, x.ndim))
    if training:
        n = x.size // C
        mean = x.mean(axis=axes, dtype=x.dtype)
        xc = x - mean.reshape((1, C) + (1,) * (x.ndim - 2))
        var = (xc * xc).mean(axis=axes, dtype=x.dtype)
        del xc
        invstd = (1 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
        if running_mean is not None:
            rm = running_mean._data
            rm *= (1 - momentum)
            rm += (momentum * mean).astype(rm.dtype, copy=False)
            running_mean._bump_version()
        if running_var is not None:
            rv = running_var._data
            unbiased = var * (n / (n - 1)) if n > 1 else var * np.inf
            rv *= (1 - momentum)
            rv += (momentum * unbiased).astype(rv.dtype, copy=False)
            running_var._bump_version()
    else:
        mean = running_mean._data.astype(x.dtype, copy=False)
        invstd = (1 / xp.sqrt(running_var._data.astype(x.dtype, copy=False) + eps)).astype(x.dtype, copy=False)
    w = weight._data if weight is not None else None
    b = bias._data if bias is not None else None
    if GradMode.enabled and (input._requires_grad or (weight is not None and weight._requires_grad)
                             or (bias is not None and bias._requires_grad)):
        return BatchNorm.apply(input, weight, bias, mean, invstd, training, eps)
    return _wrap(BatchNorm.forward(BatchNorm(), x, w, b, mean, invstd, training, eps))


class LayerNorm(Function):
    _name = "NativeLayerNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, n_norm, eps):
        xp = array_module(x)
        lead = x.shape[:x.ndim - n_norm]
        D = int(np.prod(x.shape[x.ndim - n_norm:], dtype=np.int64))
        x2 = x.reshape(-1, D)
        mean = x2.mean(axis=1, keepdims=True, dtype=x.dtype) if D else xp.zeros((x2.shape[0], 1), x.dtype)
        xc = x2 - mean
        var = (xc * xc).mean(axis=1, keepdims=True, dtype=x.dtype) if D else xp.zeros_like(mean)
        invstd = (1 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
        y = xc * invstd
        if weight is not None:
            y *= weight.reshape(1, D)
        if bias is not None:
            y += bias.reshape(1, D)
        ctx.save_for_backward(x, weight)
        ctx.mean, ctx.invstd, ctx.D, ctx.lead = mean, invstd, D, lead
        ctx.eps = eps
        return y.reshape(x.shape).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        D = ctx.D
        if GradMode.enabled:
            x2 = x.reshape(-1, D)
            mu = x2.sum(1, keepdim=True) / D
            xc = x2 - mu
            invstd = ((xc * xc).sum(1, keepdim=True) / D + ctx.eps).rsqrt()
            xhat = xc * invstd
            g2 = g.reshape(-1, D)
            gw = (g2 * xhat).sum(0).reshape(weight.shape) if need[1] else None
            gb = g2.sum(0).reshape(weight.shape) if need[2] else None
            gx = None
            if need[0]:
                gxh = g2 * weight.reshape(1, D) if weight is not None else g2
                gx = invstd * (gxh - gxh.sum(1, keepdim=True) / D - xhat * (gxh * xhat).sum(1, keepdim=True) / D)
                gx = gx.reshape(x.shape)
            return gx, gw, gb, None, None
        xa = x._data
        g2 = g._data.reshape(-1, D)
        xhat = (xa.reshape(-1, D) - ctx.mean) * ctx.invstd
        gw = _wrap((g2 * xhat).sum(axis=0).reshape(weight._data.shape)) if need[1] else None
        gb = _wrap(g2.sum(axis=0).reshape(weight._data.shape)) if need[2] else None
        gx = None
        if need[0]:
            gxh = g2 * weight._data.reshape(1, D) if weight is not None else g2
            gx = ctx.invstd * (gxh - gxh.mean(axis=1, keepdims=True)
                               - xhat * (gxh * xhat).mean(axis=1, keepdims=True))
            gx = _wrap(gx.reshape(xa.shape).astype(xa.dtype, copy=False))
        return gx, gw, gb, None, None


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if tuple(input.shape[input.dim() - k:]) != normalized_shape or input.dim() < k:
        raise RuntimeError(f"Given normalized_shape=[{', '.join(map(str, normalized_shape))}], expected input with "
                           f"shape [*, {', '.join(map(str, normalized_shape))}], but got input of size"
                           f"[{', '.join(map(str, input.shape))}]")
    if GradMode.enabled and (input._requires_grad or (weight is not None and weight._requires_grad)
                             or (bias is not None and bias._requires_grad)):
        return LayerNorm.apply(input, weight, bias, k, eps)
    return _wrap(LayerNorm.forward(LayerNorm(), input._data, None if weight is None else weight._data,
                                   None if bias is None else bias._data, k, eps))


class GroupNorm(Function):
    _name = "NativeGroupNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, groups, eps):
        xp = array_module(x)
        N, C = x.shape[0], x.shape[1]
        x3 = x.reshape(N, groups, -1)
        mean = x3.mean(axis=2, keepdims=True, dtype=x.dtype)
        xc = x3 - mean
        var = (xc * xc).mean(axis=2, keepdims=True, dtype=x.dtype)
        invstd = (1 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
        y = (xc * invstd).reshape(x.shape)
        bshape = (1, C) + (1,) * (x.ndim - 2)
        if weight is not None:
            y = y * weight.reshape(bshape)
        if bias is not None:
            y = y + bias.reshape(bshape)
        ctx.save_for_backward(x, weight)
        ctx.mean, ctx.invstd, ctx.groups, ctx.bshape, ctx.eps = mean, invstd, groups, bshape, eps
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        G, bshape = ctx.groups, ctx.bshape
        N, C = x.shape[0], x.shape[1]
        axes = (0,) + tuple(range(2, len(bshape)))
        if GradMode.enabled:
            x3 = x.reshape(N, G, -1)
            M = x3.shape[2]
            mu = x3.sum(2, keepdim=True) / M
            xc = x3 - mu
            invstd = ((xc * xc).sum(2, keepdim=True) / M + ctx.eps).rsqrt()
            xhat = (xc * invstd).reshape(x.shape)
            gw = (g * xhat).sum(list(axes)) if need[1] else None
            gb = g.sum(list(axes)) if need[2] else None
            gx = None
            if need[0]:
                gxh = (g * weight.reshape(bshape) if weight is not None else g).reshape(N, G, -1)
                xh3 = xhat.reshape(N, G, -1)
                gx = invstd * (gxh - gxh.sum(2, keepdim=True) / M - xh3 * (gxh * xh3).sum(2, keepdim=True) / M)
                gx = gx.reshape(x.shape)
            return gx, gw, gb, None, None
        xa, ga = x._data, g._data
        xhat3 = (xa.reshape(N, G, -1) - ctx.mean) * ctx.invstd
        xhat = xhat3.reshape(xa.shape)
        gw = _wrap((ga * xhat).sum(axis=axes)) if need[1] else None
        gb = _wrap(ga.sum(axis=axes)) if need[2] else None
        gx = None
        if need[0]:
            gxh = (ga * weight._data.reshape(bshape) if weight is not None else ga).reshape(N, G, -1)
            gx = ctx.invstd * (gxh - gxh.mean(axis=2, keepdims=True)
                               - xhat3 * (gxh * xhat3).mean(axis=2, keepdims=True))
            gx = _wrap(gx.reshape(xa.shape).astype(xa.dtype, copy=False))
        return gx, gw, gb, None, None


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    C = input.shape[1]
    if C % num_groups != 0:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape [{', '.join(map(str, input.shape))}] and num_groups={num_groups}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and (p.dim() != 1 or p.numel() != C):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape [{', '.join(map(str, p.shape))}] and input of shape "
                               f"[{', '.join(map(str, input.shape))}]")
    if GradMode.enabled and (input._requires_grad or (weight is not None and weight._requires_grad)
                             or (bias is not None and bias._requires_grad)):
        return GroupNorm.apply(input, weight, bias, num_groups, eps)
    return _wrap(GroupNorm.forward(GroupNorm(), input._data, None if weight is None else weight._data,
                                   None if bias is None else bias._data, num_groups, eps))


# ---- embedding ----------------------------------------------------------------------------------
def _index_add_rows(xp, target, idx, rows):
    """target[idx[i]] += rows[i] for every i (repeated indices accumulate)."""
    if idx.size == 0:
        return target
    if xp is not np:
        import cupyx
        cupyx.scatter_add(target, idx, rows)
        return target
    order = np.argsort(idx, kind="stable")
    sidx = idx[order]
    starts = np.flatnonzero(np.r_[True, sidx[1:] != sidx[:-1]])
    sums = np.add.reduceat(rows[order], starts, axis=0)
    target[sidx[starts]] += sums
    return target


class Embedding(_ReleasesExtras, Function):
    _name = "EmbeddingBackward0"
    _extras = ("idx",)

    @staticmethod
    def forward(ctx, weight, idx, padding_idx, scale_grad_by_freq):
        xp = array_module(weight)
        ctx.idx, ctx.padding_idx, ctx.scale = idx, padding_idx, scale_grad_by_freq
        ctx.wshape = weight.shape
        return xp.take(weight, idx, axis=0)

    @staticmethod
    def backward(ctx, g):
        ctx._check_extras()
        idx = ctx.idx.reshape(-1)
        V, D = ctx.wshape[0], int(np.prod(ctx.wshape[1:], dtype=np.int64))
        ga = g._data.reshape(-1, D)
        xp = array_module(ga)
        if ctx.padding_idx is not None:
            keep = idx != ctx.padding_idx
            if not keep.all():
                ga = ga * keep[:, None].astype(ga.dtype)
        if ctx.scale:
            counts = xp.bincount(idx, minlength=V)
            ga = ga / counts[idx][:, None].astype(ga.dtype)
        if GradMode.enabled:
            # linear in g: build the scatter as a one-hot product so it can be differentiated again
            onehot = (xp.arange(V)[:, None] == idx[None, :]).astype(ga.dtype)
            scale = 1
            if ctx.padding_idx is not None:
                scale = (idx != ctx.padding_idx).astype(ga.dtype)[:, None]
            if ctx.scale:
                counts = xp.bincount(idx, minlength=V)
                scale = scale / counts[idx][:, None].astype(ga.dtype)
            g2 = g.reshape(-1, D) * (_wrap(scale) if not isinstance(scale, int) else 1)
            return (_wrap(onehot) @ g2).reshape(ctx.wshape), None, None, None
        gw = xp.zeros((V, D), dtype=ga.dtype)
        _index_add_rows(xp, gw, idx, ga)
        return _wrap(gw.reshape(ctx.wshape)), None, None, None


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    if not isinstance(input, Tensor) or input._data.dtype not in (np.int64, np.int32):
        got = input.type() if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {got} instead (while checking arguments for embedding)")
    V = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < V, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -V, "Padding_idx must be within num_embeddings"
            padding_idx = V + padding_idx
    idx = input._data.astype(np.int64, copy=False)
    if idx.size and (bool((idx < 0).any()) or bool((idx >= V).any())):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _embedding_renorm(weight, idx, max_norm, norm_type)
    if GradMode.enabled and weight._requires_grad:
        return Embedding.apply(weight, idx, padding_idx, scale_grad_by_freq)
    return _wrap(array_module(weight._data).take(weight._data, idx, axis=0))


def _embedding_renorm(weight, idx, max_norm, norm_type):
    """Rows of `weight` used by `idx` whose norm exceeds max_norm are scaled down in place (no grad)."""
    w = weight._data
    xp = array_module(w)
    rows = xp.unique(idx.reshape(-1))
    sel = w[rows]
    if norm_type == math.inf:
        norms = xp.abs(sel).max(axis=1)
    else:
        norms = (xp.abs(sel) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    over = norms > max_norm
    if bool(over.any()):
        scale = (max_norm / (norms + 1e-7)).astype(w.dtype)
        w[rows[over]] = sel[over] * scale[over][:, None]
        weight._bump_version()


# ---- padding (reflect, replicate, circular) ---------------------------------------------------------
def _pad_index(n, before, after, mode):
    j = np.arange(-before, n + after)
    if mode == "reflect":
        period = 2 * (n - 1) if n > 1 else 1
        j = np.abs(j) % period if n > 1 else np.zeros_like(j)
        j = np.where(j >= n, period - j, j)
    elif mode == "replicate":
        j = np.clip(j, 0, n - 1)
    else:  # circular
        j = j % n
    return j


class PadIndex(Function):
    """Non-constant padding as a gather along each padded dim (backward scatters back)."""

    @staticmethod
    def forward(ctx, x, pads, mode):
        xp = array_module(x)
        ctx.steps = []
        for dim, (before, after) in pads:
            idx = _pad_index(x.shape[dim], before, after, mode)
            if xp is not np:
                idx = xp.asarray(idx)
            ctx.steps.append((dim, idx, x.shape[dim]))
            x = xp.take(x, idx, axis=dim)
        return x

    @staticmethod
    def backward(ctx, g):
        ga = g._data
        xp = array_module(ga)
        for dim, idx, n in reversed(ctx.steps):
            shape = list(ga.shape)
            shape[dim] = n
            out = xp.zeros(shape, dtype=ga.dtype)
            moved = xp.moveaxis(ga, dim, 0)
            tgt = xp.moveaxis(out, dim, 0)
            _index_add_rows(xp, tgt.reshape(n, -1) if tgt.flags.c_contiguous else tgt, idx,
                            moved.reshape(moved.shape[0], -1) if tgt.flags.c_contiguous else moved)
            ga = out
        return _wrap(ga), None, None

    once_differentiable = True


_PAD_SUPPORT = ("\nSupported combinations for non-constant padding:\n"
                "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def pad_nonconstant(input, pad, mode):
    nd = input.dim()
    k = len(pad) // 2
    if not ((k == 1 and nd in (2, 3)) or (k == 2 and nd in (3, 4)) or (k == 3 and nd in (4, 5))):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {nd}D input tensor." + _PAD_SUPPORT)
    pads = []
    for i in range(k):
        dim = nd - 1 - i
        before, after = int(pad[2 * i]), int(pad[2 * i + 1])
        n = input.shape[dim]
        if mode == "reflect":
            if before >= n or after >= n:
                raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input "
                                   f"dimension, but got: padding ({before}, {after}) at dimension {dim} of input "
                                   f"[{', '.join(map(str, input.shape))}]")
        elif mode == "circular":
            if before > n or after > n:
                raise RuntimeError("Padding value causes wrapping around more than once.")
        pads.append((dim, (before, after)))
    node_name = {"reflect": "ReflectionPad{}DBackward0", "replicate": "ReplicationPad{}DBackward0",
                 "circular": "CircularPad{}DBackward0"}[mode].format(k)
    node = _PAD_NODES.get(node_name)
    if node is None:
        node = _PAD_NODES[node_name] = type(node_name.replace("Backward0", ""), (PadIndex,), {"_name": node_name})
    if GradMode.enabled and input._requires_grad:
        return node.apply(input, tuple(pads), mode)
    return _wrap(PadIndex.forward(PadIndex(), input._data, tuple(pads), mode))


_PAD_NODES = {}


# ---- vector norm ----------------------------------------------------------------------------------
class VectorNorm(Function):
    _name = "NormBackward1"
    once_differentiable = True

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        xp = array_module(x)
        ax = xp.abs(x)
        if p == 2:
            n = xp.sqrt((x * x).sum(axis=dims, keepdims=True))
        elif p == 1:
            n = ax.sum(axis=dims, keepdims=True)
        elif p == math.inf:
            n = ax.max(axis=dims, keepdims=True)
        elif p == -math.inf:
            n = ax.min(axis=dims, keepdims=True)
        elif p == 0:
            n = (x != 0).sum(axis=dims, keepdims=True).astype(x.dtype)
        else:
            n = (ax ** p).sum(axis=dims, keepdims=True) ** (1.0 / p)
        n = n.astype(x.dtype, copy=False)
        ctx.save_for_backward(x)
        ctx.p, ctx.dims, ctx.keepdim, ctx.n = p, dims, keepdim, n
        return n if keepdim else n.reshape(tuple(s for i, s in enumerate(n.shape) if i not in dims))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        xa = x._data
        xp = array_module(xa)
        n = ctx.n
        ga = g._data.reshape(n.shape)
        p = ctx.p
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 2:
                gx = xp.where(n == 0, 0, xa / n) * ga
            elif p == 1:
                gx = xp.sign(xa) * ga
            elif p in (math.inf, -math.inf):
                hit = (xp.abs(xa) == n)
                gx = xp.sign(xa) * hit * ga / hit.sum(axis=ctx.dims, keepdims=True)
            elif p == 0:
                gx = xp.zeros_like(xa)
            else:
                gx = xp.where(n == 0, 0, xa * xp.abs(xa) ** (p - 2) / n ** (p - 1)) * ga
        return _wrap(gx.astype(xa.dtype, copy=False)), None, None, None


def vector_norm(input, p=2, dim=None, keepdim=False):
    nd = input.dim()
    if dim is None:
        dims = tuple(range(nd))
    elif isinstance(dim, int):
        dims = (wrap_dim(dim, nd),)
    else:
        dims = tuple(wrap_dim(d, nd) for d in dim)
    p = float(p)
    if GradMode.enabled and input._requires_grad:
        return VectorNorm.apply(input, p, dims, keepdim)
    return _wrap(VectorNorm.forward(VectorNorm(), input._data, p, dims, keepdim))


# ---- element-wise losses -----------------------------------------------------------------------------
def _loss_function(node_name, elem, grads):
    """A loss node: `elem(x, t, *extra)` gives element-wise losses (arrays, broadcast shape),
    `grads(ns, x, t, *extra)` gives (d/dx, d/dt) multipliers; the node reduces inside."""

    class Loss(Function):
        _name = node_name
        once_differentiable = True

        @staticmethod
        def forward(ctx, x, t, reduction, *extra):
            loss = elem(x, t, *extra)
            ctx.save_for_backward(x, t)
            ctx.reduction, ctx.extra, ctx.n = reduction, extra, loss.size
            xp = array_module(loss)
            if reduction == "none":
                return loss
            if reduction == "sum":
                return xp.asarray(loss.sum(dtype=loss.dtype))
            return xp.asarray(loss.mean(dtype=loss.dtype) if loss.size else loss.dtype.type(np.nan))

        @staticmethod
        def backward(ctx, g):
            x, t = ctx.saved_tensors
            need = ctx.needs_input_grad
            xa, ta = x._data, t._data
            ga = g._data
            if ctx.reduction == "mean":
                ga = ga / ctx.n
            gx, gt = grads(xa, ta, *ctx.extra, need_x=need[0], need_t=need[1])
            rx = _wrap((gx * ga).astype(xa.dtype, copy=False)) if need[0] and gx is not None else None
            rt = _wrap((gt * ga).astype(ta.dtype, copy=False)) if need[1] and gt is not None else None
            return (rx, rt, None) + (None,) * len(ctx.extra)

    Loss.__name__ = Loss.__qualname__ = node_name.replace("Backward0", "")
    return Loss


def _mse_elem(x, t):
    d = x - t
    return d * d


def _mse_grads(x, t, need_x, need_t):
    d = 2 * (x - t)
    return d, -d


MseLoss = _loss_function("MseLossBackward0", _mse_elem, _mse_grads)


def _smooth_l1_elem(x, t, beta):
    xp = array_module(x)
    d = xp.abs(x - t)
    if beta == 0:
        return d
    return xp.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta).astype(d.dtype, copy=False)


def _smooth_l1_grads(x, t, beta, need_x, need_t):
    xp = array_module(x)
    diff = x - t
    if beta == 0:
        gx = xp.sign(diff)
    else:
        gx = xp.where(xp.abs(diff) < beta, diff / beta, xp.sign(diff)).astype(diff.dtype, copy=False)
    return gx, -gx


SmoothL1Loss = _loss_function("SmoothL1LossBackward0", _smooth_l1_elem, _smooth_l1_grads)


def _huber_elem(x, t, delta):
    xp = array_module(x)
    d = xp.abs(x - t)
    return xp.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)).astype(d.dtype, copy=False)


def _huber_grads(x, t, delta, need_x, need_t):
    xp = array_module(x)
    diff = x - t
    gx = xp.where(xp.abs(diff) <= delta, diff, delta * xp.sign(diff)).astype(diff.dtype, copy=False)
    return gx, -gx


HuberLoss = _loss_function("HuberLossBackward0", _huber_elem, _huber_grads)


def _bce_elem(x, t, w):
    xp = array_module(x)
    with np.errstate(divide="ignore"):
        lx = xp.maximum(xp.log(x), -100)
        l1x = xp.maximum(xp.log1p(-x), -100)
    loss = -(t * lx + (1 - t) * l1x)
    if w is not None:
        loss = loss * w
    return loss.astype(x.dtype, copy=False)


def _bce_grads(x, t, w, need_x, need_t):
    xp = array_module(x)
    gx = gt = None
    if need_x:
        gx = (x - t) / xp.maximum((1 - x) * x, 1e-12)
        if w is not None:
            gx = gx * w
    if need_t:
        with np.errstate(divide="ignore"):
            gt = xp.maximum(xp.log1p(-x), -100) - xp.maximum(xp.log(x), -100)
        if w is not None:
            gt = gt * w
    return gx, gt


BinaryCrossEntropy = _loss_function("BinaryCrossEntropyBackward0", _bce_elem, _bce_grads)


def _bce_logits_elem(x, t, w, pw):
    xp = array_module(x)
    sp = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))   # softplus(-x) = -log(sigmoid(x))
    if pw is not None:
        lw = 1 + (pw - 1) * t
        loss = (1 - t) * x + lw * sp
    else:
        loss = (1 - t) * x + sp
    if w is not None:
        loss = loss * w
    return loss.astype(x.dtype, copy=False)


def _bce_logits_grads(x, t, w, pw, need_x, need_t):
    xp = array_module(x)
    gx = gt = None
    s = _sigmoid(x)
    if need_x:
        if pw is not None:
            lw = 1 + (pw - 1) * t
            gx = (1 - t) - lw * (1 - s)
        else:
            gx = s - t
        if w is not None:
            gx = gx * w
    if need_t:
        if pw is not None:
            sp = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))
            gt = -x + (pw - 1) * sp
        else:
            gt = -x
        if w is not None:
            gt = gt * w
    return gx, gt


BinaryCrossEntropyWithLogits = _loss_function("BinaryCrossEntropyWithLogitsBackward0", _bce_logits_elem,
                                              _bce_logits_grads)


def _kl_elem(x, t, log_target):
    xp = array_module(x)
    if log_target:
        return xp.exp(t) * (t - x)
    with np.errstate(divide="ignore", invalid="ignore"):
        xlogy = xp.where(t == 0, 0, t * xp.log(t)).astype(t.dtype, copy=False)
    return xlogy - t * x


def _kl_grads(x, t, log_target, need_x, need_t):
    xp = array_module(x)
    if log_target:
        et = xp.exp(t)
        return -et, et * (t - x + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        gt = xp.where(t == 0, 0, xp.log(t) + 1) - x if need_t else None
    return -t, gt


KlDiv = _loss_function("KlDivBackward0", _kl_elem, _kl_grads)


def elementwise_loss(node, input, target, reduction, *extra):
    """Run a loss node (see `_loss_function`); `extra` are arrays or plain values."""
    if GradMode.enabled and (input._requires_grad or target._requires_grad):
        return node.apply(input, target, reduction, *extra)
    return _wrap(node.forward(node(), input._data, target._data, reduction, *extra))


# ---- recurrent layers ------------------------------------------------------------------------------
def _addmm_bias(xp, a, w, b1, b2):
    out = a @ w.T
    if b1 is not None:
        out += b1
    if b2 is not None:
        out += b2
    return out


class RNNLayer(_ReleasesExtras, Function):
    """One direction of one layer of an Elman RNN over a whole sequence (T, B, I)."""
    _name = "RnnTanhBackward0"
    _extras = ("hs",)
    once_differentiable = True

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, relu, reverse):
        xp = array_module(x)
        T = x.shape[0]
        xw = _addmm_bias(xp, x.reshape(T * x.shape[1], -1), w_ih, b_ih, b_hh).reshape(T, x.shape[1], -1)
        hs = xp.empty((T,) + h0.shape, dtype=x.dtype)
        h = h0
        steps = range(T - 1, -1, -1) if reverse else range(T)
        for t in steps:
            pre = xw[t] + h @ w_hh.T
            h = xp.maximum(pre, 0) if relu else xp.tanh(pre)
            hs[t] = h
        ctx.save_for_backward(x, h0, w_ih, w_hh)
        ctx.hs, ctx.relu, ctx.reverse = hs, relu, reverse
        ctx.has_bias = b_ih is not None
        last = hs[0] if reverse else hs[T - 1]
        return hs, last.copy() if T else h0.copy()

    @staticmethod
    def backward(ctx, g_out, g_last):
        x, h0, w_ih, w_hh = ctx.saved_tensors
        xa, h0a, wih, whh = x._data, h0._data, w_ih._data, w_hh._data
        xp = array_module(xa)
        hs = ctx.hs
        T = xa.shape[0]
        gpre_all = xp.empty_like(hs)
        gh = g_last._data.copy()
        go = g_out._data
        steps = range(T) if ctx.reverse else range(T - 1, -1, -1)
        for t in steps:
            gh = gh + go[t]
            h = hs[t]
            gpre = gh * (h > 0) if ctx.relu else gh * (1 - h * h)
            gpre_all[t] = gpre
            gh = gpre @ whh
        prev = _prev_states(xp, hs, h0a, ctx.reverse)
        return _rnn_param_grads(ctx, xp, xa, gpre_all, prev, wih, gh)


def _prev_states(xp, hs, h0, reverse):
    """The hidden state each step started from."""
    if reverse:
        return xp.concatenate([hs[1:], h0[None]], axis=0)
    return xp.concatenate([h0[None], hs[:-1]], axis=0)


def _rnn_param_grads(ctx, xp, xa, gpre_all, prev, wih, gh0):
    T, B = xa.shape[0], xa.shape[1]
    gp2 = gpre_all.reshape(T * B, gpre_all.shape[-1])
    need = ctx.needs_input_grad
    has_b = ctx.has_bias
    gb = gp2.sum(axis=0) if has_b and (need[4] or need[5]) else None
    return (_wrap((gp2 @ wih).reshape(xa.shape)) if need[0] else None,
            _wrap(gh0) if need[1] else None,
            _wrap(gp2.T @ xa.reshape(T * B, -1)) if need[2] else None,
            _wrap(gp2.T @ prev.reshape(T * B, -1)) if need[3] else None,
            _wrap(gb) if has_b and need[4] else None,
            _wrap(gb.copy()) if has_b and need[5] else None,
            None, None)


class LSTMLayer(_ReleasesExtras, Function):
    """One direction of one LSTM layer over a sequence (T, B, I); gates ordered i, f, g, o."""
    _name = "LstmBackward0"
    _extras = ("hs", "cs", "gates")
    once_differentiable = True

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
        xp = array_module(x)
        T, B = x.shape[0], x.shape[1]
        H = w_hh.shape[1]
        xw = _addmm_bias(xp, x.reshape(T * B, -1), w_ih, b_ih, b_hh).reshape(T, B, 4 * H)
        hs = xp.empty((T, B, H), dtype=x.dtype)
        cs = xp.empty((T, B, H), dtype=x.dtype)
        gates_all = xp.empty((T, B, 4 * H), dtype=x.dtype)
        h, c = h0, c0
        steps = range(T - 1, -1, -1) if reverse else range(T)
        for t in steps:
            gates = xw[t] + h @ w_hh.T
            i = _sigmoid(gates[:, :H])
            f = _sigmoid(gates[:, H:2 * H])
            gg = xp.tanh(gates[:, 2 * H:3 * H])
            o = _sigmoid(gates[:, 3 * H:])
            c = f * c + i * gg
            h = o * xp.tanh(c)
            gates_all[t, :, :H] = i
            gates_all[t, :, H:2 * H] = f
            gates_all[t, :, 2 * H:3 * H] = gg
            gates_all[t, :, 3 * H:] = o
            hs[t] = h
            cs[t] = c
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh)
        ctx.hs, ctx.cs, ctx.gates, ctx.reverse = hs, cs, gates_all, reverse
        ctx.has_bias = b_ih is not None
        if T == 0:
            return hs, h0.copy(), c0.copy()
        last = 0 if reverse else T - 1
        return hs, hs[last].copy(), cs[last].copy()

    @staticmethod
    def backward(ctx, g_out, g_h, g_c):
        x, h0, c0, w_ih, w_hh = ctx.saved_tensors
        xa, h0a, c0a, wih, whh = x._data, h0._data, c0._data, w_ih._data, w_hh._data
        xp = array_module(xa)
        hs, cs, gates_all = ctx.hs, ctx.cs, ctx.gates
        T = xa.shape[0]
        H = whh.shape[1]
        gpre_all = xp.empty_like(gates_all)
        gh = g_h._data.copy()
        gc = g_c._data.copy()
        go = g_out._data
        prev_c = _prev_states(xp, cs, c0a, ctx.reverse)
        steps = range(T) if ctx.reverse else range(T - 1, -1, -1)
        for t in steps:
            gh = gh + go[t]
            gates = gates_all[t]
            i, f, gg, o = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
            tc = xp.tanh(cs[t])
            gc = gc + gh * o * (1 - tc * tc)
            gp = gpre_all[t]
            gp[:, :H] = gc * gg * i * (1 - i)
            gp[:, H:2 * H] = gc * prev_c[t] * f * (1 - f)
            gp[:, 2 * H:3 * H] = gc * i * (1 - gg * gg)
            gp[:, 3 * H:] = gh * tc * o * (1 - o)
            gc = gc * f
            gh = gp @ whh
        prev_h = _prev_states(xp, hs, h0a, ctx.reverse)
        need = ctx.needs_input_grad
        gp2 = gpre_all.reshape(-1, 4 * H)
        has_b = ctx.has_bias
        gb = gp2.sum(axis=0) if has_b and (need[5] or need[6]) else None
        return (_wrap((gp2 @ wih).reshape(xa.shape)) if need[0] else None,
                _wrap(gh) if need[1] else None,
                _wrap(gc) if need[2] else None,
                _wrap(gp2.T @ xa.reshape(-1, xa.shape[2])) if need[3] else None,
                _wrap(gp2.T @ prev_h.reshape(-1, H)) if need[4] else None,
                _wrap(gb) if has_b and need[5] else None,
                _wrap(gb.copy()) if has_b and need[6] else None,
                None)


class GRULayer(_ReleasesExtras, Function):
    """One direction of one GRU layer over a sequence (T, B, I); gates ordered r, z, n."""
    _name = "GruBackward0"
    _extras = ("hs", "saved")
    once_differentiable = True

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, reverse):
        xp = array_module(x)
        T, B = x.shape[0], x.shape[1]
        H = w_hh.shape[1]
        xw = _addmm_bias(xp, x.reshape(T * B, -1), w_ih, b_ih, None).reshape(T, B, 3 * H)
        hs = xp.empty((T, B, H), dtype=x.dtype)
        saved = xp.empty((T, B, 4 * H), dtype=x.dtype)   # r, z, n, (W_hn h + b_hn)
        h = h0
        steps = range(T - 1, -1, -1) if reverse else range(T)
        for t in steps:
            hw = h @ w_hh.T
            if b_hh is not None:
                hw = hw + b_hh
            r = _sigmoid(xw[t, :, :H] + hw[:, :H])
            z = _sigmoid(xw[t, :, H:2 * H] + hw[:, H:2 * H])
            n = xp.tanh(xw[t, :, 2 * H:] + r * hw[:, 2 * H:])
            h = (1 - z) * n + z * h
            saved[t, :, :H] = r
            saved[t, :, H:2 * H] = z
            saved[t, :, 2 * H:3 * H] = n
            saved[t, :, 3 * H:] = hw[:, 2 * H:]
            hs[t] = h
        ctx.save_for_backward(x, h0, w_ih, w_hh)
        ctx.hs, ctx.saved, ctx.reverse = hs, saved, reverse
        ctx.has_bias = b_ih is not None
        if T == 0:
            return hs, h0.copy()
        return hs, hs[0 if reverse else T - 1].copy()

    @staticmethod
    def backward(ctx, g_out, g_last):
        x, h0, w_ih, w_hh = ctx.saved_tensors
        xa, h0a, wih, whh = x._data, h0._data, w_ih._data, w_hh._data
        xp = array_module(xa)
        hs, saved = ctx.hs, ctx.saved
        T, B = xa.shape[0], xa.shape[1]
        H = whh.shape[1]
        prev_h = _prev_states(xp, hs, h0a, ctx.reverse)
        g_xpre = xp.empty((T, B, 3 * H), dtype=xa.dtype)   # grads of the input-side pre-activations
        g_hpre = xp.empty((T, B, 3 * H), dtype=xa.dtype)   # grads of W_hh h + b_hh
        gh = g_last._data.copy()
        go = g_out._data
        steps = range(T) if ctx.reverse else range(T - 1, -1, -1)
        for t in steps:
            gh = gh + go[t]
            s = saved[t]
            r, z, n, hn = s[:, :H], s[:, H:2 * H], s[:, 2 * H:3 * H], s[:, 3 * H:]
            hp = prev_h[t]
            gn = gh * (1 - z) * (1 - n * n)
            gz = gh * (hp - n) * z * (1 - z)
            gr = gn * hn * r * (1 - r)
            gx_t = g_xpre[t]
            gx_t[:, :H] = gr
            gx_t[:, H:2 * H] = gz
            gx_t[:, 2 * H:] = gn
            gh_t = g_hpre[t]
            gh_t[:, :H] = gr
            gh_t[:, H:2 * H] = gz
            gh_t[:, 2 * H:] = gn * r
            gh = gh * z + gh_t @ whh
        need = ctx.needs_input_grad
        gx2 = g_xpre.reshape(T * B, 3 * H)
        gh2 = g_hpre.reshape(T * B, 3 * H)
        has_b = ctx.has_bias
        return (_wrap((gx2 @ wih).reshape(xa.shape)) if need[0] else None,
                _wrap(gh) if need[1] else None,
                _wrap(gx2.T @ xa.reshape(T * B, -1)) if need[2] else None,
                _wrap(gh2.T @ prev_h.reshape(T * B, H)) if need[3] else None,
                _wrap(gx2.sum(axis=0)) if has_b and need[4] else None,
                _wrap(gh2.sum(axis=0)) if has_b and need[5] else None,
                None)


def rnn_layer(mode, x, hx, w_ih, w_hh, b_ih, b_hh, reverse):
    """Run one direction of one recurrent layer.  x: (T, B, I); hx: h0 or (h0, c0) of shape (B, H).
    Returns (output (T, B, H), h_n) or (output, h_n, c_n) for LSTM."""
    tensors = [x, w_ih, w_hh] + ([b_ih, b_hh] if b_ih is not None else []) + \
        (list(hx) if isinstance(hx, tuple) else [hx])
    record = GradMode.enabled and any(t._requires_grad for t in tensors)
    if mode == "LSTM":
        h0, c0 = hx
        if record:
            return LSTMLayer.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse)
        outs = LSTMLayer.forward(LSTMLayer(), x._data, h0._data, c0._data, w_ih._data, w_hh._data,
                                 None if b_ih is None else b_ih._data, None if b_hh is None else b_hh._data, reverse)
        return tuple(_wrap(o) for o in outs)
    if mode == "GRU":
        if record:
            return GRULayer.apply(x, hx, w_ih, w_hh, b_ih, b_hh, reverse)
        outs = GRULayer.forward(GRULayer(), x._data, hx._data, w_ih._data, w_hh._data,
                                None if b_ih is None else b_ih._data, None if b_hh is None else b_hh._data, reverse)
        return tuple(_wrap(o) for o in outs)
    relu = mode == "RNN_RELU"
    if record:
        return RNNLayer.apply(x, hx, w_ih, w_hh, b_ih, b_hh, relu, reverse)
    outs = RNNLayer.forward(RNNLayer(), x._data, hx._data, w_ih._data, w_hh._data,
                            None if b_ih is None else b_ih._data, None if b_hh is None else b_hh._data, relu, reverse)
    return tuple(_wrap(o) for o in outs)


methods = dict(softmax=lambda self, dim, dtype=None: softmax(self, dim, dtype),
               log_softmax=lambda self, dim, dtype=None: log_softmax(self, dim, dtype))

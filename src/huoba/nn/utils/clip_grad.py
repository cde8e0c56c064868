"""Gradient clipping: clip_grad_norm_ (global p-norm) and clip_grad_value_."""
import math
import types
import warnings

import numpy as np

from ...tensor import Tensor, _wrap
from ..._backend import array_module
from ...autograd.grad_mode import no_grad
from ..._devices import on_device_of_args, on_device

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _array_norm(a, p):
    xp = array_module(a)
    if a.size == 0:
        return xp.asarray(0, dtype=a.dtype)
    aa = xp.abs(a)
    if p == math.inf:
        return aa.max()
    if p == -math.inf:
        return aa.min()
    if p == 2:
        return xp.sqrt((a * a).sum(dtype=a.dtype))
    if p == 1:
        return aa.sum(dtype=a.dtype)
    if p == 0:
        return (a != 0).sum().astype(a.dtype)
    return ((aa ** p).sum(dtype=a.dtype) ** (1.0 / p)).astype(a.dtype)


@on_device_of_args
def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The p-norm of all `tensors` taken together (as if concatenated into one vector)."""
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    else:
        tensors = list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        from ...ops.creation import tensor
        return tensor(0.0)
    xp = array_module(tensors[0]._data)
    norms = [xp.asarray(_array_norm(t._data, norm_type)) for t in tensors]
    dt = np.result_type(*[n.dtype for n in norms])
    stacked = xp.stack([n.astype(dt) for n in norms])
    total = xp.asarray(_array_norm(stacked, norm_type))
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it "
                           "cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
                           "anyway, set `error_if_nonfinite=False`")
    return _wrap(total)


@on_device_of_args
def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale every gradient by min(max_norm / (total_norm + 1e-6), 1)."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    tn = total_norm._data
    coef = float(max_norm) / (tn + 1e-6)
    xp = array_module(tn)
    coef = xp.minimum(coef, 1.0).astype(tn.dtype)
    with no_grad():
        for g in grads:
            g._data *= coef.astype(g._data.dtype)
            g._bump_version()


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Rescale the gradients so that their total p-norm is at most max_norm; returns the norm before."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and len(parameters) == 0:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=3)
    grads = [p.grad for p in parameters if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element into [-clip_value, clip_value] in place."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    clip_value = float(clip_value)
    for p in parameters:
        g = p.grad
        if g is None:
            continue
        xp = array_module(g._data)
        with on_device(g._data):
            xp.clip(g._data, -clip_value, clip_value, out=g._data)
        g._bump_version()

"""huoba.autograd: the engine (backward, grad), grad modes and custom Functions."""
from .grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled,
                        is_inference_mode_enabled)
from .function import UserFunction as Function, Node, AccumulateGrad
from .function import UserFunction as _UserFunction
from .engine import backward, grad
from . import function, grad_mode, engine

__all__ = ["Function", "backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "gradcheck", "gradgradcheck", "Variable"]


def __getattr__(name):
    if name in ("gradcheck", "gradgradcheck"):
        from . import gradcheck as _gc
        return getattr(_gc, name)
    raise AttributeError(f"module 'huoba.autograd' has no attribute '{name}'")


def Variable(data, requires_grad=False, volatile=False):
    """The pre-0.4 wrapper: today a Variable is just a Tensor."""
    return data.requires_grad_(requires_grad) if requires_grad else data


def set_detect_anomaly(mode, check_nan=True):
    return _NullContext()


detect_anomaly = set_detect_anomaly


class _NullContext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def once_differentiable(fn):
    return fn

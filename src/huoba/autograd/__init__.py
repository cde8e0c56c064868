"""huoba.autograd: the engine (backward, grad), grad modes and custom Functions."""
from .grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled,
                        is_inference_mode_enabled, set_multithreading_enabled)
from .function import UserFunction as Function, Node, AccumulateGrad, once_differentiable, FunctionCtx
from .function import UserFunction as _UserFunction
from .engine import backward, grad
from .graph import draw, to_dot
from . import function, grad_mode, engine
from . import _gradcheck
from ._gradcheck import gradcheck, gradgradcheck
import sys as _sys

# `huoba.autograd.gradcheck` is the function, as in PyTorch; the module that defines it stays
# importable under PyTorch's name (`from huoba.autograd.gradcheck import GradcheckError`).
_sys.modules[__name__ + ".gradcheck"] = _gradcheck

__all__ = ["Function", "backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "gradcheck", "gradgradcheck", "Variable", "once_differentiable", "detect_anomaly",
           "set_detect_anomaly"]


def Variable(data, requires_grad=False, volatile=False):
    """The pre-0.4 wrapper: today a Variable is just a Tensor."""
    return data.requires_grad_(requires_grad) if requires_grad else data


class _AnomalyMode:
    enabled = False
    check_nan = True


def is_anomaly_enabled():
    return _AnomalyMode.enabled


def is_anomaly_check_nan_enabled():
    return _AnomalyMode.check_nan


class set_detect_anomaly:
    """Accepted for compatibility: records the flag (huoba keeps no forward traces)."""

    def __repr__(self):
        return f"<torch.autograd.anomaly_mode.set_detect_anomaly object at {hex(id(self))}>"

    def __init__(self, mode, check_nan=True):
        self.prev = (_AnomalyMode.enabled, _AnomalyMode.check_nan)
        _AnomalyMode.enabled, _AnomalyMode.check_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _AnomalyMode.enabled, _AnomalyMode.check_nan = self.prev
        return False


class detect_anomaly:
    def __init__(self, check_nan=True):
        import warnings
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", stacklevel=2)

    def __enter__(self):
        self.prev = (_AnomalyMode.enabled, _AnomalyMode.check_nan)
        _AnomalyMode.enabled, _AnomalyMode.check_nan = True, bool(self.check_nan)

    def __exit__(self, *exc):
        _AnomalyMode.enabled, _AnomalyMode.check_nan = self.prev
        return False

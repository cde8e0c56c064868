"""huoba.nn: layers (Module and friends), parameters, functional ops and initialisers."""
from .parameter import Parameter, Buffer, UninitializedParameter, UninitializedBuffer
from .modules import *  # noqa: F401,F403
from .modules.module import (register_module_forward_pre_hook, register_module_forward_hook,
                             register_module_full_backward_hook, register_module_full_backward_pre_hook,
                             register_module_buffer_registration_hook, register_module_module_registration_hook,
                             register_module_parameter_registration_hook)
from . import functional, init, utils, modules, parameter
from .. import ops as _ops
from ..ops import nn_ops as _nn_ops
from ..tensor import Tensor as _Tensor


def _install_tensor_methods():
    # Tensor.softmax / log_softmax live with the nn ops; add them unless the op families already did
    for name, fn in _nn_ops.methods.items():
        if not hasattr(_Tensor, name):
            setattr(_Tensor, name, fn)


_install_tensor_methods()

"""huoba (火把, "torch"): a deep learning framework on NumPy with PyTorch's API.

    import huoba as torch

This module is the torch-like namespace: it only re-exports.
"""
__version__ = "0.1.0"

from . import dtypes as _dtypes
from .dtypes import (dtype, float16, float32, float64, half, float, double, int8, int16, int32, int64, short,
                     int, long, uint8, bool, get_default_dtype, set_default_dtype, promote_types, finfo, iinfo)
from .device import device
from .tensor import Tensor, Size
from . import random
from .random import manual_seed, seed, initial_seed, Generator, default_generator
from .autograd import no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled
from .autograd import is_inference_mode_enabled, is_anomaly_enabled, is_anomaly_check_nan_enabled
from . import autograd
from . import ops as _ops
from .ops import *  # noqa: F401,F403
from .ops.random_ops import get_rng_state, set_rng_state  # uint8 Tensors, as in PyTorch
from .ops.creation import (FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor, CharTensor,
                           ByteTensor, BoolTensor)
from ._tensor_str import set_printoptions, get_printoptions
from .ops import reduction as _r
return_types = _r.return_types
from . import optim
from . import utils

import builtins as _builtins

# Names that the star-imports brought in from Python builtins' namesakes
abs = _ops.pointwise.abs
round = _ops.pointwise.round
pow = _ops.pointwise.pow
sum = _ops.reduction.sum
all = _ops.reduction.all
any = _ops.reduction.any
max = _ops.reduction.max
min = _ops.reduction.min
range = _ops.creation.range


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_storage(obj):
    return False


def is_floating_point(input):
    return input.is_floating_point()


def is_nonzero(input):
    if input.numel() != 1:
        raise RuntimeError(f"Boolean value of Tensor with {'no values' if input.numel() == 0 else 'more than one value'} is ambiguous")
    return _builtins.bool(input.item())


def numel(input):
    return input.numel()


def typename(obj):
    return obj.type() if isinstance(obj, Tensor) else type(obj).__name__


def get_default_device():
    return device("cpu")


def use_deterministic_algorithms(mode, *, warn_only=False):
    pass


def are_deterministic_algorithms_enabled():
    return True


from ._threads import set_num_threads, get_num_threads  # noqa: E402  (BLAS threads)


def compile(model=None, **kwargs):
    """No compiler here: returns the model (or a decorator) unchanged."""
    if model is None:
        return lambda m: m
    return model

from . import serialization  # noqa: E402
from .serialization import save, load  # noqa: E402
import importlib as _importlib  # noqa: E402
# submodules whose names the ops' star-import also defines as functions (Tensor.cuda)
cuda = _importlib.import_module(".cuda", __name__)
accelerator = _importlib.import_module(".accelerator", __name__)
from .summary import summary  # noqa: E402

version = type("version", (), {"cuda": None, "__version__": __version__, "debug": False})

from . import nn  # noqa: E402
from .ops.nn_ops import softmax, log_softmax  # noqa: E402
from .ops import conv as _conv, pooling as _pooling  # noqa: E402
globals().update(_conv.torch_functions, **_pooling.torch_functions)  # torch.conv2d, torch.max_pool2d, ...
from .nn.functional import (bilinear, channel_shuffle, cosine_similarity, pairwise_distance, pdist,  # noqa: E402
                            hardshrink, prelu, selu, celu, threshold, relu_, selu_, celu_, rrelu_, threshold_)

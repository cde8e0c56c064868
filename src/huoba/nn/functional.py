"""huoba.nn.functional: the functions behind the layers (`import huoba.nn.functional as F`).

Convolution, pooling, unfold/fold and interpolate live in `huoba.ops.conv` /
`huoba.ops.pooling` and are re-exported here.
"""
import math
import numbers
import warnings

import numpy as np

from .. import dtypes as _dtypes
from .._backend import array_module
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor, _wrap
from ..ops import nn_ops as _nn
from ..ops import linalg as _linalg
from ..ops import pointwise as _pw
from ..ops import shape as _shape
from ..ops import inplace as _inplace

__all__ = [
    "linear", "bilinear", "relu", "relu_", "relu6", "elu", "elu_", "selu", "selu_", "celu", "celu_",
    "leaky_relu", "leaky_relu_", "prelu", "rrelu", "rrelu_", "glu", "gelu", "logsigmoid", "hardshrink",
    "tanhshrink", "softsign", "softplus", "softmin", "softmax", "softshrink", "gumbel_softmax", "log_softmax", "tanh", "sigmoid",
    "hardsigmoid", "silu", "mish", "hardswish", "hardtanh", "hardtanh_", "threshold", "threshold_",
    "normalize", "batch_norm", "instance_norm", "layer_norm", "group_norm", "local_response_norm",
    "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
    "embedding", "one_hot", "pad", "cosine_similarity", "pairwise_distance", "pdist",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "kl_div",
    "l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "soft_margin_loss", "margin_ranking_loss",
    "hinge_embedding_loss", "cosine_embedding_loss", "triplet_margin_loss", "poisson_nll_loss",
    "gaussian_nll_loss", "multilabel_soft_margin_loss",
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "max_pool1d",
    "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices", "avg_pool1d", "avg_pool2d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices", "lp_pool1d", "lp_pool2d", "unfold", "fold", "interpolate", "upsample",
    "upsample_nearest", "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle",
    "scaled_dot_product_attention",
]


# ---- convolution and pooling: implemented in huoba.ops.conv / huoba.ops.pooling ---------------------
from ..ops.conv import (conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d,  # noqa: E402
                        unfold, fold, pixel_shuffle, pixel_unshuffle)
from ..ops.pooling import (max_pool1d, max_pool2d, max_pool1d_with_indices, max_pool2d_with_indices,  # noqa: E402
                           avg_pool1d, avg_pool2d, adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d,
                           adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool1d_with_indices,
                           adaptive_max_pool2d_with_indices, lp_pool1d, lp_pool2d, interpolate)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def channel_shuffle(input, groups):
    n, c = input.shape[0], input.shape[1]
    rest = tuple(input.shape[2:])
    return input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(n, c, *rest)


# ---- linear layers ----------------------------------------------------------------------------------
def _dtype_label(t):
    return _nn._label(t._data.dtype)


def _c_name(t):
    """The C++ scalar type name PyTorch prints in some matmul errors ('float', 'double', ...)."""
    return {"float64": "double", "float32": "float", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool"}.get(t._data.dtype.name, t._data.dtype.name)


def linear(input, weight, bias=None):
    """y = x W^T + b; 2-d input (and, folded into rows, any other rank) runs as one addmm."""
    nd = input._data.ndim
    if nd == 0 or weight._data.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {nd}D and "
                           f"{weight._data.ndim}D")
    if input._data.dtype != weight._data.dtype:
        if bias is not None:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_dtype_label(input)} and "
                               f"{_dtype_label(weight)}")
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_c_name(input)} != "
                           f"{_c_name(weight)}")
    wt = weight.t() if weight._data.ndim == 2 else weight
    if bias is not None:
        if nd == 2:
            return _linalg.addmm(bias, input, wt)
        k = input._data.shape[-1]
        lead = input._data.shape[:-1]
        out = _linalg.addmm(bias, input.reshape(-1, k), wt)
        return out.view(*lead, out._data.shape[-1])
    if nd == 2:
        return _linalg.mm(input, wt)
    return _linalg.matmul(input, wt)


def bilinear(input1, input2, weight, bias=None):
    """y_o = x1^T A_o x2 + b_o over the last dims of input1 (*, H1) and input2 (*, H2)."""
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, input1.shape[-1])
    x2 = input2.reshape(-1, input2.shape[-1])
    if weight.shape[1] != x1.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {x1.shape[1]} but expected "
                           f"{weight.shape[1]}")
    if weight.shape[2] != x2.shape[1]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {x2.shape[1]} but expected "
                           f"{weight.shape[2]}")
    O, H1, H2 = weight.shape
    # (B, H1) @ (H1, O*H2) -> (B, O, H2), then contract H2 with x2
    t = x1.matmul(weight.permute(1, 0, 2).reshape(H1, O * H2)).reshape(-1, O, H2)
    out = (t * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        out = out + bias
    return out.reshape(*lead, O)


# ---- activations ------------------------------------------------------------------------------------
def _inplace_version(op):
    return _inplace._inplace_from(op)


def relu(input, inplace=False):
    return input.relu_() if inplace else _pw.relu(input)


def relu_(input):
    return input.relu_()


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if inplace:
        return _inplace_version(_nn.hardtanh_op)(input, min_val, max_val)
    return _nn.hardtanh_op(input, min_val, max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def elu(input, alpha=1.0, inplace=False):
    if inplace:
        return _inplace_version(_nn.elu_op)(input, alpha)
    return _nn.elu_op(input, alpha)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    if inplace:
        return _inplace_version(_nn.elu_op)(input, _SELU_ALPHA, _SELU_SCALE)
    return _nn.elu_op(input, _SELU_ALPHA, _SELU_SCALE)


def selu_(input):
    return selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    if inplace:
        return _inplace_version(_nn.celu_op)(input, alpha)
    return _nn.celu_op(input, alpha)


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    if inplace:
        return _inplace_version(_nn.leaky_relu_op)(input, float(negative_slope))
    return _nn.leaky_relu_op(input, float(negative_slope))


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def prelu(input, weight):
    return _nn.prelu(input, weight)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    from .. import random as _random
    a = _random.uniform(input.shape, input.dtype, lower, upper, generator=_gpu_generator(input))
    slope = _wrap(array_module(input._data).asarray(a))
    neg = input < 0
    out = _pw.where(neg, input * slope, input)
    if inplace:
        input.copy_(out)
        return input
    return out


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


def glu(input, dim=-1):
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim % input.dim()
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {input.shape[d]}")
    a, b = input.chunk(2, d)
    return a * b.sigmoid()


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _nn.gelu(input, approximate)


def logsigmoid(input):
    return _nn.logsigmoid(input)


def hardshrink(input, lambd=0.5):
    return _nn.hardshrink_op(input, float(lambd))


def tanhshrink(input):
    return input - input.tanh()


def softsign(input):
    return input / (input.abs() + 1)


def softplus(input, beta=1.0, threshold=20.0):
    return _nn.softplus_op(input, float(beta), float(threshold))


def _get_softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return _nn.softmax(-input, dim)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return _nn.softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _nn.log_softmax(input, dim, dtype)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """Softmax of (logits + Gumbel noise) / tau; `hard=True` returns one-hot values with soft gradients."""
    from ..ops.creation import empty_like, zeros_like
    gumbels = -empty_like(logits).exponential_().log()
    y_soft = _nn.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def softshrink(input, lambd=0.5):
    return _nn.softshrink_op(input, float(lambd))


def tanh(input):
    return input.tanh()


def sigmoid(input):
    return input.sigmoid()


def hardsigmoid(input, inplace=False):
    if inplace:
        return _inplace_version(_nn.hardsigmoid)(input)
    return _nn.hardsigmoid(input)


def silu(input, inplace=False):
    if inplace:
        return _inplace_version(_nn.silu)(input)
    return _nn.silu(input)


def mish(input, inplace=False):
    if inplace:
        return _inplace_version(_nn.mish)(input)
    return _nn.mish(input)


def hardswish(input, inplace=False):
    if inplace:
        return _inplace_version(_nn.hardswish)(input)
    return _nn.hardswish(input)


def threshold(input, threshold, value, inplace=False):
    if inplace:
        return _inplace_version(_nn.threshold_op)(input, threshold, value)
    return _nn.threshold_op(input, threshold, value)


def threshold_(input, threshold, value):
    return globals()["threshold"](input, threshold, value, True)


# ---- normalisation ----------------------------------------------------------------------------------
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p over dim, eps)."""
    denom = _nn.vector_norm(input, p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    result = input / denom
    if out is not None:
        out.copy_(result)
        return out
    return result


def _verify_batch_size(size):
    n = size[0]
    for s in size[2:]:
        n *= s
    if n == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    if training:
        _verify_batch_size(input.shape)
    C = input.shape[1] if input.dim() > 1 else None
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and C is not None and t.numel() != C:
            raise RuntimeError(f"{name} should contain {C} elements not {t.numel()}")
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    return _nn.batch_norm(input, running_mean, running_var, weight, bias, training,
                          0.0 if momentum is None else float(momentum), float(eps))


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    if use_input_stats:
        n = 1
        for s in input.shape[2:]:
            n *= s
        if n == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape}")
    N, C = input.shape[0], input.shape[1]
    x = input.reshape(1, N * C, *input.shape[2:])
    rm = running_mean.repeat(N) if running_mean is not None else None
    rv = running_var.repeat(N) if running_var is not None else None
    w = weight.repeat(N) if weight is not None else None
    b = bias.repeat(N) if bias is not None else None
    out = _nn.batch_norm(x, rm, rv, w, b, use_input_stats, float(momentum), float(eps))
    if use_input_stats and running_mean is not None:
        with no_grad():
            running_mean.copy_(rm.view(N, C).mean(0) if hasattr(rm, "mean") else
                               _wrap(rm._data.reshape(N, C).mean(axis=0)))
            running_var.copy_(rv.view(N, C).mean(0) if hasattr(rv, "mean") else
                              _wrap(rv._data.reshape(N, C).mean(axis=0)))
    return out.reshape(input.shape)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    return _nn.layer_norm(input, normalized_shape, weight, bias, float(eps))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    return _nn.group_norm(input, num_groups, weight, bias, float(eps))


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input * input
    C = input.shape[1]
    # average of the squares over a window of `size` channels centred on each channel
    padded = _shape.constant_pad(div, [(0, 0), (size // 2, (size - 1) // 2)] + [(0, 0)] * (dim - 2))
    acc = None
    for i in range(size):
        part = padded.narrow(1, i, C)
        acc = part if acc is None else acc + part
    div = (acc * (alpha / size) + k) ** beta
    return input / div


# ---- dropout ----------------------------------------------------------------------------------------
def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _gpu_generator(input):
    """A CUDA tensor's random numbers come from its GPU's generator (see huoba.cuda)."""
    if type(input._data) is np.ndarray:
        return None
    from ..cuda import _generator_for
    return _generator_for(input)


def _noise(shape, input, p):
    from .. import random as _random
    mask = _random.dropout_mask(tuple(shape), input.dtype, p, generator=_gpu_generator(input))
    xp = array_module(input._data)
    return _wrap(mask if xp is np else xp.asarray(mask))


def _apply_noise(input, noise, inplace):
    if inplace:
        return input.mul_(noise)
    return input * noise


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p) (identity when not training)."""
    _check_p(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    return _apply_noise(input, _noise(input.shape, input, p), inplace)


def _feature_dropout(input, p, training, inplace):
    if not training or p == 0 or input.numel() == 0:
        return input
    shape = (input.shape[0], input.shape[1]) + (1,) * (input.dim() - 2)
    return _apply_noise(input, _noise(shape, input, p), inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    nd = input.dim()
    if nd not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. Note that dropout1d "
                           "exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           "dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    if nd == 2:
        out = _feature_dropout(input.unsqueeze(0), p, training, inplace)
        return out.squeeze(0) if out is not input else out
    return _feature_dropout(input, p, training, inplace)


def dropout2d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    nd = input.dim()
    if nd not in (3, 4):
        warnings.warn(f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will result in "
                      "an error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with "
                      "2 spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                      "inputs).", stacklevel=2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", stacklevel=2)
    return _feature_dropout(input, p, training, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    nd = input.dim()
    if nd not in (4, 5):
        warnings.warn(f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will result in "
                      "an error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs with "
                      "3 spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D "
                      "inputs).", stacklevel=2)
    if nd == 4:
        out = _feature_dropout(input.unsqueeze(0), p, training, inplace)
        return out.squeeze(0) if out is not input else out
    return _feature_dropout(input, p, training, inplace)


_ALPHA_PRIME = -_SELU_ALPHA * _SELU_SCALE


def _alpha_dropout(input, p, training, inplace, feature):
    _check_p(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:
        return input * 0 if not inplace else input.mul_(0)
    from .. import random as _random
    shape = ((input.shape[0], input.shape[1]) + (1,) * (input.dim() - 2)) if feature else tuple(input.shape)
    keep = _random.bernoulli(1 - p, shape, input.dtype, generator=_gpu_generator(input))
    xp = array_module(input._data)
    keep = keep if xp is np else xp.asarray(keep)
    a = 1.0 / math.sqrt((_ALPHA_PRIME ** 2 * p + 1) * (1 - p))
    b = -a * _ALPHA_PRIME * p
    mult = _wrap((keep * a).astype(keep.dtype))
    add = _wrap(((1 - keep) * (_ALPHA_PRIME * a) + b).astype(keep.dtype))
    if inplace:
        return input.mul_(mult).add_(add)
    return input * mult + add


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _alpha_dropout(input, p, training, inplace, False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _alpha_dropout(input, p, training, inplace, True)


# ---- sparse ----------------------------------------------------------------------------------------
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    return _nn.embedding(input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse)


def one_hot(tensor, num_classes=-1):
    """(..., ) int64 class indices -> (..., num_classes) int64 one-hot."""
    if not isinstance(tensor, Tensor) or tensor._data.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    a = tensor._data
    xp = array_module(a)
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size:
        if int(a.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(a.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = (a[..., None] == xp.arange(num_classes)).astype(np.int64)
    return _wrap(out)


# ---- padding and distances ---------------------------------------------------------------------------
def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad)//2 dims: pad = (left, right, top, bottom, ...) from the last dim backwards."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    nd = input.dim()
    if len(pad) // 2 > nd:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {nd}")
    if mode == "constant":
        widths = [(0, 0)] * nd
        for i in range(len(pad) // 2):
            widths[nd - 1 - i] = (pad[2 * i], pad[2 * i + 1])
        return _shape.constant_pad(input, widths, 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    return _nn.pad_nonconstant(input, pad, mode)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    nd = max(x1.dim(), x2.dim())
    return _nn.vector_norm(x1 - x2 + eps, p, nd - 1, keepdim)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    shape = _broadcast_shape(x1.shape, x2.shape)
    if tuple(x1.shape) != shape:
        x1 = x1.expand(*shape)
    if tuple(x2.shape) != shape:
        x2 = x2.expand(*shape)
    n1 = _nn.vector_norm(x1, 2, dim, keepdim=True).clone()
    n2 = _nn.vector_norm(x2, 2, dim, keepdim=True).clone()
    # clamp the norms without recording it: the gradient flows as through the plain norm
    xp = array_module(n1._data)
    n1._data = xp.maximum(n1._data, eps).astype(n1._data.dtype, copy=False)
    n2._data = xp.maximum(n2._data, eps).astype(n2._data.dtype, copy=False)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pdist(input, p=2):
    n = input.shape[0]
    rows, cols = np.triu_indices(n, 1)
    xp = array_module(input._data)
    from ..ops.indexing import index_select
    ri = _wrap(xp.asarray(rows.astype(np.int64)))
    ci = _wrap(xp.asarray(cols.astype(np.int64)))
    d = index_select(input, 0, ri) - index_select(input, 0, ci)
    return _nn.vector_norm(d, p, 1)


def _broadcast_shape(sa, sb):
    sa, sb = tuple(sa), tuple(sb)
    n = max(len(sa), len(sb))
    out = []
    for i in range(1, n + 1):
        a = sa[-i] if i <= len(sa) else 1
        b = sb[-i] if i <= len(sb) else 1
        if a != b and a != 1 and b != 1:
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at non-singleton "
                               f"dimension {n - i}")
        out.append(max(a, b) if a != 1 and b != 1 else (a if b == 1 else b))
    return tuple(reversed(out))


# ---- losses -------------------------------------------------------------------------------------------
_REDUCTIONS = ("none", "mean", "sum", "batchmean")


def _legacy_get_string(size_average, reduce, emit_warning=True):
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                      stacklevel=3)
    return ret


def _reduction(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        reduction = _legacy_get_string(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _check_size(input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=3)
        _broadcast_shape(input.shape, target.shape)


def _promote_pair(input, target):
    dt = _dtypes.promote_types(input.dtype, target.dtype)
    if not dt.is_floating_point:
        dt = _dtypes.get_default_dtype()
    if input.dtype != dt:
        input = input.to(dt)
    if target.dtype != dt:
        target = target.to(dt)
    return input, target


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _reduction(size_average, reduce, reduction)
    _check_size(input, target)
    loss = (input - target).abs()
    if weight is not None:
        loss = loss * weight
    return _nn.apply_reduction(loss, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _reduction(size_average, reduce, reduction)
    _check_size(input, target)
    if weight is not None:
        d = input - target
        return _nn.apply_reduction(d * d * weight, reduction)
    input, target = _promote_pair(input, target)
    return _nn.elementwise_loss(_nn.MseLoss, input, target, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = _reduction(size_average, reduce, reduction)
    _check_size(input, target)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    input, target = _promote_pair(input, target)
    return _nn.elementwise_loss(_nn.SmoothL1Loss, input, target, reduction, float(beta))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    _check_size(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    input, target = _promote_pair(input, target)
    if weight is not None:
        loss = _nn.elementwise_loss(_nn.HuberLoss, input, target, "none", float(delta)) * weight
        return _nn.apply_reduction(loss, reduction)
    return _nn.elementwise_loss(_nn.HuberLoss, input, target, reduction, float(delta))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    if target.dtype != input.dtype:
        raise RuntimeError(f"Found dtype {_dtype_label(target)} but expected {_dtype_label(input)}")
    x = input._data
    if x.size and (bool((x < 0).any()) or bool((x > 1).any())):
        raise RuntimeError("all elements of input should be between 0 and 1")
    w = None
    if weight is not None:
        shape = _broadcast_shape(target.shape, weight.shape)
        w = array_module(x).broadcast_to(weight._data.astype(x.dtype, copy=False), shape)
    return _nn.elementwise_loss(_nn.BinaryCrossEntropy, input, target, reduction, w)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    if not target.is_floating_point():
        raise RuntimeError(f"result type {_dtype_label(input)} can't be cast to the desired output type "
                           f"{_dtype_label(target)}")
    input, target = _promote_pair(input, target)
    dt = input._data.dtype
    w = None if weight is None else weight._data.astype(dt, copy=False)
    pw = None if pos_weight is None else pos_weight._data.astype(dt, copy=False)
    return _nn.elementwise_loss(_nn.BinaryCrossEntropyWithLogits, input, target, reduction, w, pw)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    if size_average is not None or reduce is not None:
        reduction = _legacy_get_string(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if not input.is_floating_point() or not target.is_floating_point():
        raise RuntimeError("kl_div: Integral inputs not supported.")
    input, target = _promote_pair(input, target)
    if reduction == "batchmean":
        loss = _nn.elementwise_loss(_nn.KlDiv, input, target, "sum", bool(log_target))
        return loss / input.shape[0] if input.dim() != 0 else loss
    return _nn.elementwise_loss(_nn.KlDiv, input, target, reduction, bool(log_target))


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    return _nn.nll_loss(input, target, weight, ignore_index, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """log_softmax over the class dim (1, or 0 for 1-d input) followed by nll_loss; a floating target of
    the input's shape holds class probabilities."""
    reduction = _reduction(size_average, reduce, reduction)
    class_dim = 0 if input.dim() == 1 else 1
    if tuple(input.shape) == tuple(target.shape):
        if not target.is_floating_point():
            raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                               f"{_dtype_label(target)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if label_smoothing < 0 or label_smoothing > 1:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing, class_dim)
    if target._data.dtype not in (np.int64, np.uint8) and input.dim() >= 1:
        if input.dim() == 2 and target.dim() != 1 or input.dim() == 1 and target.dim() > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_dtype_label(target)}")
    logp = _nn.log_softmax(input, class_dim)
    if label_smoothing > 0:
        if label_smoothing > 1:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
        return _cross_entropy_smoothing(logp, target, weight, ignore_index, reduction, label_smoothing, class_dim)
    return _nn.nll_loss(logp, target, weight, ignore_index, reduction)


def _class_view(weight, ndim, class_dim):
    shape = [1] * ndim
    shape[class_dim] = weight.shape[0]
    return weight.view(*shape)


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing, class_dim):
    C = input.shape[class_dim]
    logp = _nn.log_softmax(input, class_dim)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / C
    prod = logp * target
    if weight is not None:
        prod = prod * _class_view(weight, input.dim(), class_dim)
    if reduction == "mean":
        if input.numel() == 0:
            return -(prod.sum()) * float("nan")
        return -prod.sum() / (input.numel() // C)
    if reduction == "sum":
        return -prod.sum()
    return -prod.sum(class_dim)


def _cross_entropy_smoothing(logp, target, weight, ignore_index, reduction, label_smoothing, class_dim):
    C = logp.shape[class_dim]
    nll = _nn.nll_loss(logp, target, weight, ignore_index, reduction)
    if weight is not None:
        smooth = -(logp * _class_view(weight, logp.dim(), class_dim)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    ignore = target._data == ignore_index
    if ignore.any():
        smooth = smooth.masked_fill(_wrap(ignore.reshape(smooth._data.shape)), 0.0)
    if reduction == "mean":
        if weight is not None:
            t = target._data[~ignore]
            denom = weight._data[t].sum()
        else:
            denom = (~ignore).sum()
        ret = smooth.sum() / float(denom)
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth
    return nll * (1 - label_smoothing) + ret * (label_smoothing / C)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    loss = ((-input * target).exp() + 1).log()
    return _nn.apply_reduction(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    loss = (-target * (input1 - input2) + margin).clamp_min(0)
    return _nn.apply_reduction(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    zeros = input * 0
    margin_clamp = (-input + margin).clamp_min(0)
    out_margin = _pw.where(target != 1, margin_clamp, zeros)
    out_self = _pw.where(target != -1, input, zeros)
    return _nn.apply_reduction(out_margin + out_self, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    eps = 1e-12
    prod = (input1 * input2).sum(-1)
    m1 = (input1 * input1).sum(-1) + eps
    m2 = (input2 * input2).sum(-1) + eps
    cos = prod / (m1 * m2).sqrt()
    zeros = cos * 0
    pos = _pw.where(target == 1, 1 - cos, zeros)
    neg = _pw.where(target == -1, (cos - margin).clamp_min(0), zeros)
    return _nn.apply_reduction(pos + neg, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_swap = pairwise_distance(positive, negative, p, eps)
        d_neg = _pw.minimum(d_neg, d_swap)
    loss = (d_pos - d_neg + margin).clamp_min(0)
    return _nn.apply_reduction(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (target * (2 * math.pi)).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _nn.apply_reduction(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    with no_grad():
        var_c = var.clamp_min(eps)
    var = var + (var_c - var).detach()
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _nn.apply_reduction(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    C = input.shape[-1]
    loss = loss.sum(input.dim() - 1) / C
    return _nn.apply_reduction(loss, reduction)


# ---- attention ---------------------------------------------------------------------------------------
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    L, S = query.shape[-2], key.shape[-2]
    scale_factor = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = query.matmul(key.transpose(-2, -1)) * scale_factor
    xp = array_module(query._data)
    if is_causal:
        causal = xp.triu(xp.ones((L, S), dtype=bool), 1)
        scores = scores.masked_fill(_wrap(causal), float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype == _dtypes.bool:
            scores = scores.masked_fill(_wrap(~attn_mask._data), float("-inf"))
        else:
            scores = scores + attn_mask
    attn = _nn.softmax(scores, -1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, True)
    return attn.matmul(value)

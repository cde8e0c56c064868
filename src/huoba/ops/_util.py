"""Small helpers shared by the op families: argument checks, dims, dtype casts."""
import numbers

import numpy as np

from .. import dtypes
from .._backend import array_module
from ..tensor import Tensor, _wrap

__all__ = ["Tensor", "_wrap", "array_module", "np", "dtypes"]


def is_scalar(x):
    return isinstance(x, (numbers.Number, np.generic)) and not isinstance(x, Tensor)


def wrap_dim(dim, ndim):
    """A dim in [-ndim, ndim) as a non-negative index, PyTorch's IndexError otherwise."""
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    if not lo <= dim <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return int(dim) % ndim if ndim else 0


def wrap_dims(dim, ndim):
    """dim=None/int/sequence -> tuple of non-negative dims (None means all)."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        return (wrap_dim(dim, ndim),)
    dims = tuple(wrap_dim(d, ndim) for d in dim)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {dims[0]} appears multiple times in the list of dims")
    return dims


def as_shape(size):
    """Accept f(2, 3), f((2, 3)), f([2, 3]) and f(torch.Size([2, 3]))."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    shape = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, (int, np.integer)):
            raise TypeError(f"expected a sequence of integers or a single integer, got '{s}'")
        shape.append(int(s))
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
    return tuple(shape)


def to_tensor(x, like=None):
    """Scalars and arrays become Tensors (on `like`'s device for scalars)."""
    if isinstance(x, Tensor):
        return x
    from .creation import tensor
    return tensor(x, device=like.device if like is not None else None)


def float_array(t):
    """The array of `t`, converted to the default float dtype if it is integral or bool
    (what PyTorch does for exp, sqrt, ... of integer tensors)."""
    a = t._data
    if a.dtype.kind in "fc":
        return a
    return a.astype(dtypes.get_default_dtype().np)


def check_same_device(*tensors):
    first = None
    for t in tensors:
        if isinstance(t, Tensor) and t._data.ndim:
            d = t.device
            if first is None:
                first = d
            elif d != first:
                raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two "
                                   f"devices, {first} and {d}!")


def type_name(x):
    return "Tensor" if isinstance(x, Tensor) else type(x).__name__

"""Small helpers shared by the op families: argument checks, dims, dtype casts."""
import weakref

import numpy as np

from .. import dtypes
from .._backend import array_module
from ..tensor import Tensor, _wrap

__all__ = ["Tensor", "_wrap", "array_module", "np", "dtypes"]


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


def check_same_device(*tensors):
    """PyTorch's TensorIterator check: the first non-CPU device is the common one, a 0-d CPU
    tensor passes as a scalar."""
    devices = [t.device for t in tensors if isinstance(t, Tensor) and t._data.ndim]
    if not devices:
        return
    common = next((d for d in devices if d.type != "cpu"), devices[0])
    for d in devices:
        if d != common:
            raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two "
                               f"devices, {common} and {d}!")


def track_view(view):
    """Remember a view that records gradients on its base, so that an in-place op on the
    base (or another of its views) can rewire the view's history (see ops/inplace.py).
    Only views of non-leaf bases are tracked: a leaf's views can't be modified in place
    while recording, and leaves such as parameters live long."""
    base = view._base
    if base.grad_fn is None:
        return
    views = base.__dict__.get("_views")
    if views is None:
        base._views = [weakref.ref(view)]
    else:
        if len(views) > 64:
            views[:] = [r for r in views if r() is not None]
        views.append(weakref.ref(view))


def strided_view(x, shape, strides):
    """A view of x's memory with the given shape and (byte) strides: NumPy's as_strided,
    but about ten times faster when x's memory owner can be handed over as a buffer."""
    if type(x) is np.ndarray:
        root = x
        while type(root.base) is np.ndarray:
            root = root.base
        if root.flags.c_contiguous and root.flags.writeable == x.flags.writeable:
            if root is x:
                return np.ndarray(shape, x.dtype, x, 0, strides)
            offset = x.__array_interface__["data"][0] - root.__array_interface__["data"][0]
            return np.ndarray(shape, x.dtype, root, offset, strides)
    return array_module(x).lib.stride_tricks.as_strided(x, shape, strides)

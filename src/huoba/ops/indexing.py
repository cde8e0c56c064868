"""Indexing: t[...], t[...] = v, gather/scatter, index_select, masked_fill, nonzero, ...

Basic indexing (ints, slices, None, ...) returns a view that shares memory;
advanced indexing (integer or bool tensors and lists) returns a copy, as in
PyTorch (NumPy places advanced-index dimensions exactly as PyTorch does).
Gradients of indexing put the incoming gradient back where the values came
from, adding up repeated indices.

`t[i] = v` writes in place: with a basic index it is `t[i].copy_(v)` on a view
(so while recording, t's node becomes CopySlices); with an advanced index it is
`t.index_put_(...)`.
"""
import math
import warnings

import numpy as np

from .. import dtypes
from ..autograd.function import Function
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor, _wrap, _view_of
from ._util import array_module, wrap_dim, check_same_device, track_view, strided_view

_LABEL = dtypes.LABEL
_VALID_INDEX_MESSAGE = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                        "valid indices (got {})")



def _ufunc_at(xp, name, out, index, values):
    """`np.<name>.at(out, index, values)` on either device: CuPy scatters add/max/min with
    atomics (cupyx.scatter_*); a scattered product is computed on the host."""
    if xp is np:
        getattr(np, name).at(out, index, values)
        return
    import cupyx
    fn = {"add": "scatter_add", "maximum": "scatter_max", "minimum": "scatter_min"}.get(name)
    if fn is not None:
        getattr(cupyx, fn)(out, index, values)
        return
    host = out.get()
    getattr(np, name).at(host, _to_host(index), _to_host(values))
    out[...] = xp.asarray(host)


def _to_host(x):
    if isinstance(x, tuple):
        return tuple(_to_host(v) for v in x)
    return x.get() if type(x) is not np.ndarray and hasattr(x, "get") else x

def _shape_str(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


# ---- turning a Python index into an array index ---------------------------------------
def _sequence_as_tuple(index):
    """PyTorch reads a list holding slices, lists, tensors, None or ... as a tuple of indices."""
    for e in index:
        if e is None or e is Ellipsis or isinstance(e, (list, tuple, slice, Tensor, np.ndarray)):
            warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated and will be "
                          "changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this "
                          "will be interpreted as tensor index, x[torch.tensor(seq)], which will result either "
                          "in an error or a different result", UserWarning, stacklevel=4)
            return True
    return False


def _index_array(i):
    """An advanced index (tensor, list, array) as an int64/int32/bool array, validated."""
    if isinstance(i, Tensor):
        a = i._data
    else:
        a = np.asarray(i)
        if a.size == 0 and a.dtype.kind == "f":
            a = a.astype(np.int64)
    kind = a.dtype.kind
    if kind == "b":
        return a
    if a.dtype == np.uint8:
        warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool "
                      "instead.", UserWarning, stacklevel=4)
        return a.astype(np.bool_)
    if a.dtype != np.int64 and a.dtype != np.int32:
        if kind in "iu" and not isinstance(i, Tensor):
            return a.astype(np.int64)
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return a


def parse_index(index, shape):
    """(array index, is_basic, node name) for `t[index]` on a tensor of `shape`.

    Validates like PyTorch (bounds, mask shapes, types) and names the node PyTorch's
    chain of view ops would end with (SelectBackward0, SliceBackward0, ...)."""
    single = not isinstance(index, tuple)
    if single:
        if type(index) is list and _sequence_as_tuple(index):
            index = tuple(index)
            single = False
        else:
            index = (index,)
    ndim = len(shape)
    # how many dims the index consumes, to place an Ellipsis
    used = 0
    for i in index:
        if i is None or i is Ellipsis or isinstance(i, (bool, np.bool_)):
            continue
        if isinstance(i, Tensor):
            d = i._data
            if d.dtype.kind == "b" or d.dtype == np.uint8:
                used += d.ndim
            else:
                used += 1
        elif isinstance(i, np.ndarray) and i.dtype.kind == "b":
            used += i.ndim
        else:
            used += 1
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    out = []
    basic = True
    name = None
    dim = 0
    advanced = []  # (array, first dim it indexes)
    for i in index:
        t = type(i)
        if t is int or (isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))):
            size = shape[dim]
            if not -size <= i < size:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {size}")
            out.append(int(i))
            name = "SelectBackward0"
            dim += 1
        elif t is slice:
            start, stop, step = i.start, i.stop, i.step
            if isinstance(start, Tensor):
                start = start.item()
            if isinstance(stop, Tensor):
                stop = stop.item()
            if isinstance(step, Tensor):
                step = step.item()
            if step is not None:
                if step == 0:
                    raise ValueError("slice step cannot be zero")
                if step < 0:
                    raise ValueError("step must be greater than zero")
            s = slice(start, stop, step)
            if single:
                name = "SliceBackward0"
            elif s.indices(shape[dim]) != (0, shape[dim], 1):
                name = "SliceBackward0"
            out.append(s)
            dim += 1
        elif i is None:
            out.append(None)
            name = "UnsqueezeBackward0"
        elif i is Ellipsis:
            out.append(Ellipsis)
            dim += ndim - used
        elif isinstance(i, (bool, np.bool_)):
            basic = False
            out.append(np.bool_(i))
        elif isinstance(i, Tensor) and i._data.ndim == 0 and i._data.dtype.kind in "iu" and \
                i._data.dtype != np.uint8:
            v = int(i._data)
            size = shape[dim]
            if not -size <= v < size:
                raise IndexError(f"index {v} is out of bounds for dimension {dim} with size {size}")
            out.append(v)
            name = "SelectBackward0"
            dim += 1
        elif isinstance(i, (Tensor, list, tuple, np.ndarray)):
            a = _index_array(i)
            basic = False
            out.append(a)
            advanced.append((a, dim))
            dim += a.ndim if a.dtype.kind == "b" else 1
        elif isinstance(i, float):
            raise IndexError(_VALID_INDEX_MESSAGE.format("float"))
        elif isinstance(i, str):
            raise TypeError(f"new(): invalid data type '{t.__name__}'")
        else:
            raise IndexError(_VALID_INDEX_MESSAGE.format(t.__name__))
    if not basic:
        _check_advanced(advanced, shape)
        return tuple(out), False, "IndexBackward0"
    if Ellipsis not in out:
        out.append(Ellipsis)  # NumPy gives a view (not a scalar) even when every dim is indexed
    return tuple(out), True, name or "AliasBackward0"


def _check_advanced(advanced, shape):
    """Bounds, mask shapes and broadcasting of the advanced indices, with PyTorch's messages."""
    shapes = []
    ordinal = 0
    for a, dim in advanced:
        if a.dtype.kind == "b":
            target = tuple(shape[dim:dim + a.ndim])
            if a.shape != target:
                for k, (m, s) in enumerate(zip(a.shape, target)):
                    if m != s:
                        raise IndexError(f"The shape of the mask {_shape_str(a.shape)} at index {k} does not "
                                         f"match the shape of the indexed tensor {_shape_str(shape)} at index "
                                         f"{dim + k}")
            ordinal += max(a.ndim, 1)
            shapes.append((int(a.sum()),) if a.ndim else ())
            continue
        size = shape[dim]
        if a.size:
            hi = int(a.max())
            lo = int(a.min())
            if hi >= size or lo < -size:
                bad = hi if hi >= size else lo
                raise IndexError(f"index {bad} is out of bounds for dimension {ordinal} with size {size}")
        ordinal += 1
        shapes.append(a.shape)
    if len(shapes) > 1:
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            raise IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                             + ", ".join(_shape_str(s) for s in shapes)) from None


class Index(Function):
    _name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, index, name):
        ctx.index, ctx.in_shape, ctx._name = index, x.shape, name
        if name != "IndexBackward0" and None in index:
            return _index_with_none(x, index)
        return _as_array(x[index], x)

    @staticmethod
    def backward(ctx, g):
        from .creation import zeros
        grad = zeros(ctx.in_shape, dtype=g.dtype, device=g.device)
        return IndexPut.apply(grad, ctx.index, g, ctx._name == "IndexBackward0"), None, None


def _as_array(out, like):
    if isinstance(out, np.generic):
        return np.asarray(out)
    return out


def getitem(self, index):
    data = self._data
    if type(index) is int:  # the common x[i]: a view without the general parsing
        if data.ndim:
            size = data.shape[0]
            if -size <= index < size:
                if GradMode.enabled and self._requires_grad:
                    return _record_view(self, (index, Ellipsis), "SelectBackward0")
                return _view_of(self, data[index, ...])
            raise IndexError(f"index {index} is out of bounds for dimension 0 with size {size}")
    elif index is None and not (GradMode.enabled and self._requires_grad) and data.flags.c_contiguous:
        return _view_of(self, data.reshape((1,) + data.shape))  # NumPy's strides are PyTorch's here
    if data.ndim == 0 and _needs_dims(index):
        _raise_0d(index)
    array_index, basic, name = parse_index(index, data.shape)
    if GradMode.enabled and self._requires_grad:
        if basic:
            return _record_view(self, array_index, name)
        return Index.apply(self, array_index, name)
    if basic:
        if None in array_index:
            return _view_of(self, _index_with_none(data, array_index))
        return _view_of(self, data[array_index])
    out = data[array_index]
    if type(out) is not np.ndarray:
        out = _as_array(out, data)
    return _wrap(out)


def _index_with_none(src, index):
    """src[index] for a basic index holding None, with PyTorch's strides for the new dims
    (NumPy gives them 0; PyTorch's unsqueeze uses size * stride of the source dim that follows
    at the time, or 1 at the end).  Only the metadata differs."""
    out = src[tuple(i for i in index if i is not None)]
    ndim = src.ndim
    consumed = sum(1 for j in index if j is not None and j is not Ellipsis)
    shape = list(out.shape)
    strides = list(out.strides)
    k = 0    # source dims consumed so far
    pos = 0  # output dims produced so far
    for i in index:
        if i is None:
            shape.insert(pos, 1)
            strides.insert(pos, src.shape[k] * src.strides[k] if k < ndim else src.itemsize)
            pos += 1
        elif i is Ellipsis:
            n = ndim - consumed
            k += n
            pos += n
        elif type(i) is slice:
            k += 1
            pos += 1
        else:
            k += 1
    strides = tuple(strides)
    view = out.reshape(shape)  # usually already PyTorch's strides
    if view.strides == strides:
        return view
    return strided_view(out, tuple(shape), strides)


def _raise_0d(index):
    first = index[0] if isinstance(index, tuple) and index else index
    if type(first) is slice:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ "
                     "to convert a 0-dim tensor to a number")


def _needs_dims(index):
    """Does `index` consume a dimension (which a 0-d tensor does not have)?"""
    items = index if isinstance(index, tuple) else (index,)
    for i in items:
        if i is None or i is Ellipsis or isinstance(i, (bool, np.bool_)):
            continue
        if isinstance(i, Tensor) and (i._data.dtype.kind == "b" and i._data.ndim == 0):
            continue
        return True
    return False


def _record_view(self, array_index, name):
    result = Index.apply(self, array_index, name)
    result._version_counter = self._version_counter
    result._base = self if self._base is None else self._base
    track_view(result)
    return result


# ---- writing: index_put and t[...] = v ------------------------------------------------
def _scalar_value(value):
    return isinstance(value, (int, float, bool, np.number, np.bool_))


def _value_tensor(value, like, what):
    """`value` of `t[...] = value` as a Tensor of like's dtype and device."""
    if isinstance(value, Tensor):
        if type(value._data) is not type(like._data) or value.device != like.device:
            if value._data.ndim == 0 or what == "setitem-basic":
                return value.to(like.device)   # a scalar (TensorIterator), or copy_ across devices
            check_same_device(like, value)
        return value
    if _scalar_value(value):
        xp = array_module(like._data)
        if like._data.dtype.kind in "iu" and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            from .pointwise import _scalar_operand
            value = _scalar_operand(like._data, int(value))[1]
        return _wrap(xp.asarray(value).astype(like._data.dtype))
    t = type(value)
    name = t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
    raise TypeError(f"can't assign a {name} to a {like.type()}")


def _strip_leading_ones(shape, target_ndim):
    shape = tuple(shape)
    while len(shape) > target_ndim and shape and shape[0] == 1:
        shape = shape[1:]
    return shape


def _check_copy_shape(value_shape, target_shape, like):
    """`view.copy_(value)` of basic setitem: the value (its leading 1s dropped) must expand
    to the view's shape; PyTorch reports expand's error otherwise."""
    from .shape import expand_shape
    expand_shape(_strip_leading_ones(value_shape, len(target_shape)), tuple(target_shape), like)


class IndexPut(Function):
    _name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, x, index, value, accumulate):
        ctx.index, ctx.accumulate = index, accumulate
        ctx.value_shape = getattr(value, "shape", ())
        out = x.copy()
        if accumulate:
            _ufunc_at(array_module(x), "add", out, index, value)
        else:
            out[index] = value
        return out

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        g_x = None
        if need[0]:
            g_x = g if ctx.accumulate else IndexPut.apply(g, ctx.index, _zero_like_scalar(g), False)
        g_v = None
        if need[2]:
            g_v = Index.apply(g, ctx.index, "IndexBackward0")
            vs = tuple(ctx.value_shape)
            if g_v._data.shape != vs:
                if g_v._data.size == math.prod(vs):
                    g_v = g_v.reshape(vs)
                else:
                    g_v = _sum_to(g_v, vs)
        return g_x, None, g_v, None


def _sum_to(g, shape):
    """Sum `g` down to `shape` (the value was broadcast, possibly after dropping leading 1s)."""
    gs = g._data.shape
    stripped = _strip_leading_ones(shape, len(gs))
    lead = len(gs) - len(stripped)
    dims = list(range(lead)) + [lead + i for i, s in enumerate(stripped) if s == 1 and gs[lead + i] != 1]
    if dims:
        g = g.sum(dim=dims, keepdim=True)
    return g.reshape(shape)


def _zero_like_scalar(g):
    return _wrap(array_module(g._data).zeros((), g._data.dtype))


def _index_tuple(indices, shape):
    """index_put's `indices` (a tuple of tensors or None) as an array index."""
    if isinstance(indices, Tensor):
        indices = (indices,)
    conv = []
    for i in indices:
        conv.append(slice(None) if i is None else i)
    return parse_index(tuple(conv), shape)[0]


def index_put(input, indices, values, accumulate=False):
    """Out-of-place `input[indices] = values` (adding when `accumulate`)."""
    if isinstance(indices, list):
        indices = tuple(indices)
    if isinstance(indices, tuple) and all(not isinstance(i, Tensor) and i is not None for i in indices) and \
            any(isinstance(i, (np.ndarray, slice, int)) for i in indices):
        array_index = indices  # already an array index (internal callers)
    else:
        array_index = _index_tuple(indices, input._data.shape)
    if isinstance(values, Tensor):
        if values.dtype is not input.dtype:
            raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                               f"{_LABEL[input._data.dtype]} for the destination and {_LABEL[values._data.dtype]} "
                               "for the source.")
    else:
        values = _value_tensor(values, input, "index_put")
    _check_put_shape(input._data, array_index, values._data.shape)
    return IndexPut.apply(input, array_index, values, accumulate)


def _check_put_shape(data, array_index, value_shape):
    target = np.empty(data.shape, dtype=np.bool_)[array_index].shape if type(data) is np.ndarray else \
        array_module(data).empty(data.shape, dtype=np.bool_)[array_index].shape
    try:
        ok = np.broadcast_shapes(_strip_leading_ones(value_shape, len(target)), target) == target
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"shape mismatch: value tensor of shape {_shape_str(value_shape)} cannot be broadcast "
                           f"to indexing result of shape {_shape_str(target)}")
    return target


def setitem(self, index, value):
    data = self._data
    if data.ndim == 0 and _needs_dims(index):
        _raise_0d(index)
    array_index, basic, _ = parse_index(index, data.shape)
    value_requires = isinstance(value, Tensor) and value._requires_grad
    recording = GradMode.enabled and (self._requires_grad or value_requires)
    if basic and not recording and (type(value) is float or type(value) is int or type(value) is bool):
        # the common `t[i] = number`: NumPy casts the number as PyTorch does
        if type(value) is int and data.dtype.kind in "iu":
            from .pointwise import _scalar_operand
            value = _scalar_operand(data, value)[1]
        if not getattr(data.flags, "writeable", True):
            _assign(self, array_index, np.asarray(value))
            return
        data[array_index] = value
        self._version_counter[0] += 1
        return
    if basic:
        if recording:
            from .inplace import copy_, fill_
            # PyTorch writes into self directly when the index selects all of it
            view = self if _selects_all(array_index, data.shape) else getitem(self, index)
            if isinstance(value, Tensor):
                _check_copy_shape(value._data.shape, view._data.shape, value)
                copy_(view, value.reshape(_strip_leading_ones(value._data.shape, view._data.ndim)))
            else:
                fill_(view, _value_tensor(value, self, "setitem"))
            return
        target = data[array_index]
        v = _value_tensor(value, self, "setitem-basic")
        if v._data.ndim:
            _check_copy_shape(v._data.shape, np.shape(target), v)
            vd = v._data.reshape(_strip_leading_ones(v._data.shape, np.ndim(target)))
        else:
            vd = v._data
        if type(vd) is not type(data):
            from .._backend import to_device
            vd = to_device(vd, self.device)
        _assign(self, array_index, vd, target)
        return
    # advanced index: index_put_
    if isinstance(value, Tensor) and value.dtype is not self.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_LABEL[data.dtype]} for the destination and {_LABEL[value._data.dtype]} for "
                           "the source.")
    v = _value_tensor(value, self, "setitem")
    _check_put_shape(data, array_index, v._data.shape)
    if recording:
        from .inplace import _rebase_inplace
        _rebase_inplace(self, lambda old: IndexPut.apply(old, array_index, v, False))
        return
    vd = v._data
    target_nd = data[array_index].ndim if vd.ndim else 0
    if vd.ndim > target_nd:
        vd = vd.reshape(_strip_leading_ones(vd.shape, target_nd))
    _assign(self, array_index, vd)


def _selects_all(array_index, shape):
    dim = 0
    for i in array_index:
        if i is Ellipsis:
            continue
        if type(i) is not slice or i.indices(shape[dim]) != (0, shape[dim], 1):
            return False
        dim += 1
    return True


def _assign(self, array_index, vd, target=None):
    from .inplace import _overlaps
    data = self._data
    t = data if target is None else target
    if not getattr(data.flags, "writeable", True) or (vd.ndim and 0 in t.strides and _overlaps(t)):
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                           "single memory location. Please clone() the tensor before performing the operation.")
    self._data[array_index] = vd
    self._version_counter[0] += 1


# ---- flat gather / scatter (the views' side of in-place ops) -------------------------------
def take_flat(t, idx):
    """t.reshape(-1)[idx], differentiably (idx: an int array)."""
    return Index.apply(t.reshape(-1), (idx,), "IndexBackward0")


def put_flat(t, idx, values):
    """A copy of t with t.reshape(-1)[idx] = values, differentiably."""
    if not isinstance(values, Tensor):
        values = _wrap(array_module(t._data).asarray(values, dtype=t._data.dtype))
    shape = t._data.shape
    return IndexPut.apply(t.reshape(-1), (idx,), values, False).reshape(shape)


# ---- gather / scatter ---------------------------------------------------------------
def _check_index_dtype(index, name):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' (position 3) must be Tensor, not {type(index).__name__}")
    if index._data.dtype != np.int64 and index._data.dtype != np.int32:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")


def _index_grid(index, dim):
    """Full advanced-index tuple addressing `x[..., index, ...]` along `dim`."""
    xp = array_module(index)
    grids = list(xp.ix_(*[xp.arange(s) for s in index.shape])) if index.ndim else []
    if not index.ndim:
        return (index,) if dim == 0 else ()
    grids[dim] = index
    return tuple(grids)


def _gather_check(input, dim, index):
    nd = input._data.ndim
    ind = index._data.ndim
    if ind != nd and not (nd == 0 and ind <= 1) and not (ind == 0 and nd <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    ishape = input._data.shape
    jshape = index._data.shape
    for d in range(min(nd, ind)):
        if d != dim and jshape[d] > ishape[d]:
            raise RuntimeError(f"Size does not match at dimension {d} expected index {_shape_str(jshape)} to be "
                               f"no larger than self {_shape_str(ishape)} apart from dimension {dim}")
    _check_index_range(index, ishape[dim] if nd else 1, dim)


def _check_index_range(index, size, dim):
    d = index._data
    if d.size:
        hi, lo = int(d.max()), int(d.min())
        if hi >= size or lo < -size:
            raise RuntimeError(f"index {hi if hi >= size else lo} is out of bounds for dimension {dim} with size "
                               f"{size}")


def _scatter_check(input, dim, index, src):
    nd = input._data.ndim
    ind = index._data.ndim
    ishape, jshape = input._data.shape, index._data.shape
    if ind != nd and not (nd == 0 and ind <= 1) and not (ind == 0 and nd <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if src is not None and src._data.ndim != ind and not (ind == 0 and src._data.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    sshape = src._data.shape if src is not None else None
    for d in range(min(nd, ind)):
        too_big = (d != dim and jshape[d] > ishape[d]) or (sshape is not None and jshape[d] > sshape[d])
        if too_big:
            msg = (f"Expected index {_shape_str(jshape)} to be no larger than self {_shape_str(ishape)} apart "
                   f"from dimension {dim}")
            if sshape is not None:
                msg += f" and to be no larger size than src {_shape_str(sshape)}"
            raise RuntimeError(msg)
    _check_index_range(index, ishape[dim] if nd else 1, dim)


def _src_part(src, index_shape):
    """The part of src that scatter reads: its leading corner of index's shape."""
    if not hasattr(src, "shape") or src.shape == index_shape or src.ndim == 0:
        return src
    return src[tuple(slice(0, s) for s in index_shape)]


class _GatherNode(Function):
    _name = "GatherBackward0"

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.dim, ctx.in_shape = dim, x.shape
        ctx.save_for_backward(index)
        if x.ndim == 0:
            return x.reshape(index.shape).copy()
        return x[_index_grid(index, dim)]

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        from .creation import zeros
        return scatter_add(zeros(ctx.in_shape, dtype=g.dtype, device=g.device), ctx.dim, index, g), None, None


def gather(input, dim, index, *, sparse_grad=False, out=None):
    _check_index_dtype(index, "gather")
    dim = wrap_dim(dim, input._data.ndim)
    _gather_check(input, dim, index)
    result = _GatherNode.apply(input, dim, index)
    return _out(out, result)


def _out(out, result):
    if out is None:
        return result
    from .pointwise import _out as pw_out
    return pw_out(out, result)


class Scatter(Function):
    _name = "ScatterBackward0"

    @staticmethod
    def forward(ctx, x, src, dim, index, reduce):
        # the differentiable inputs come first, so that errors number them as PyTorch does
        ctx.dim = dim
        ctx.save_for_backward(index)
        out = x.copy()
        if x.ndim == 0:
            grid = ()
        else:
            grid = _index_grid(index, dim)
        vals = _src_part(src, index.shape)
        xp = array_module(x)
        if reduce is None:
            out[grid] = vals
        elif reduce == "add":
            _ufunc_at(xp, "add", out, grid, vals)
        else:
            _ufunc_at(xp, "multiply", out, grid, vals)
        return out

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        need = ctx.needs_input_grad
        g_x = scatter(g, ctx.dim, index, 0.0) if need[0] else None
        g_src = gather(g, ctx.dim, index) if need[1] else None
        return g_x, g_src, None, None, None


class _ScatterValue(Scatter):
    _name = "ScatterBackward1"

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        return scatter(g, ctx.dim, index, 0.0), None, None, None, None


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """Out-of-place scatter: `src` (tensor) or `value` (scalar) written at `index` along `dim`."""
    if src is None and value is None:
        raise TypeError("scatter() missing 1 required positional arguments: \"src\" or \"value\"")
    _check_index_dtype(index, "scatter")
    dim = wrap_dim(dim, input._data.ndim)
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if src is None or not isinstance(src, Tensor):
        scalar = value if src is None else src
        _scatter_check(input, dim, index, None)
        from .pointwise import _scalar_operand
        s = _scalar_operand(input._data, scalar)[1] if input._data.dtype.kind in "iu" else scalar
        src_arr = array_module(input._data).asarray(s).astype(input._data.dtype)
        return _ScatterValue.apply(input, src_arr, dim, index, reduce)
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if reduce is not None:
        warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in a "
                      "future PyTorch release. Use torch.scatter_reduce instead for more reduction options.",
                      UserWarning, stacklevel=2)
    _scatter_check(input, dim, index, src)
    return Scatter.apply(input, src, dim, index, reduce)


class ScatterAdd(Function):
    _name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.dim = dim
        ctx.save_for_backward(index)
        out = x.copy()
        grid = _index_grid(index, dim) if x.ndim else ()
        _ufunc_at(array_module(x), "add", out, grid, _src_part(src, index.shape))
        return out

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g if need[0] else None, None, None, gather(g, ctx.dim, index) if need[3] else None)


def scatter_add(input, dim, index, src):
    _check_index_dtype(index, "scatter_add")
    dim = wrap_dim(dim, input._data.ndim)
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' (position 4) must be Tensor, not {type(src).__name__}")
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    _scatter_check(input, dim, index, src)
    return ScatterAdd.apply(input, dim, index, src)


class ScatterReduce(Function):
    _name = "ScatterReduceBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, src, reduce, include_self):
        xp = array_module(x)
        grid = _index_grid(index, dim) if x.ndim else ()
        vals = _src_part(src, index.shape)
        out = x.copy()
        hit = xp.zeros(x.shape, dtype=np.int64)
        _ufunc_at(xp, "add", hit, grid, 1)
        if not include_self:
            fill = {"sum": 0, "mean": 0, "prod": 1, "amax": _lowest(x.dtype), "amin": _highest(x.dtype)}[reduce]
            out[hit > 0] = fill
        if reduce in ("sum", "mean"):
            _ufunc_at(xp, "add", out, grid, vals)
            if reduce == "mean":
                count = hit + (1 if include_self else 0)
                count = xp.maximum(count, 1)
                out = out // count if out.dtype.kind in "iu" else out / count.astype(out.dtype)
        elif reduce == "prod":
            _ufunc_at(xp, "multiply", out, grid, vals)
        elif reduce == "amax":
            _ufunc_at(xp, "maximum", out, grid, vals)
        else:
            _ufunc_at(xp, "minimum", out, grid, vals)
        ctx.dim, ctx.reduce, ctx.include_self = dim, reduce, include_self
        ctx.save_for_backward(x, index, src, out)
        ctx.hit = hit
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, index, src, out = ctx.saved_tensors
        need = ctx.needs_input_grad
        reduce, dim = ctx.reduce, ctx.dim
        hit = _wrap(ctx.hit) > 0
        g_x = g_src = None
        if reduce == "sum":
            g_x = g if ctx.include_self else g.masked_fill(hit, 0)
            g_src = gather(g, dim, index)
        elif reduce == "mean":
            count = _wrap(ctx.hit).to(g.dtype) + (1 if ctx.include_self else 0)
            count = count.clamp(min=1)
            gm = g / count
            g_x = gm if ctx.include_self else gm.masked_fill(hit, 0)
            g_src = gather(gm, dim, index)
        elif reduce in ("amax", "amin"):
            self_hit = (x == out)
            if not ctx.include_self:
                self_hit = self_hit & ~hit
            src_hit = gather(out, dim, index) == _src_view(src, index)
            n = scatter_add(self_hit.to(g.dtype), dim, index, src_hit.to(g.dtype))
            share = g / n.clamp(min=1)
            g_x = share.masked_fill(~self_hit, 0)
            g_src = gather(share, dim, index).masked_fill(~src_hit, 0)
        else:
            raise RuntimeError("huoba: the gradient of scatter_reduce with reduce='prod' is not implemented")
        return (g_x if need[0] else None, None, None, g_src if need[3] else None, None, None)


def _src_view(src, index):
    shape = index._data.shape
    if src._data.shape == shape:
        return src
    return src[tuple(slice(0, s) for s in shape)]


def _lowest(dt):
    return -np.inf if dt.kind == "f" else np.iinfo(dt).min


def _highest(dt):
    return np.inf if dt.kind == "f" else np.iinfo(dt).max


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    _check_index_dtype(index, "scatter_reduce")
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    dim = wrap_dim(dim, input._data.ndim)
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    _scatter_check(input, dim, index, src)
    return ScatterReduce.apply(input, dim, index, src, reduce, include_self)


class IndexSelect(Function):
    _name = "IndexSelectBackward0"

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.dim, ctx.in_shape = dim, x.shape
        ctx.save_for_backward(index)
        if x.ndim == 0:
            return x.reshape(1)[index].reshape(index.shape).copy()
        return array_module(x).take(x, index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        from .creation import zeros
        return index_add(zeros(ctx.in_shape, dtype=g.dtype, device=g.device), ctx.dim, index, g), None, None


def _check_vector_index(index, name):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' (position 2) must be Tensor, not {type(index).__name__}")
    if index._data.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    if index._data.dtype != np.int64 and index._data.dtype != np.int32:
        raise RuntimeError(f"{name}(): Expected dtype int32 or int64 for index")


def index_select(input, dim, index, *, out=None):
    _check_vector_index(index, "index_select")
    dim = wrap_dim(dim, input._data.ndim)
    idx = index.reshape(-1)
    size = input._data.shape[dim] if input._data.ndim else 1
    d = idx._data
    if d.size and (int(d.max()) >= size or int(d.min()) < -size):
        raise IndexError("index out of range in self")
    return _out(out, IndexSelect.apply(input, dim, idx))


def _dim_grid(ndim, dim, index):
    grid = [slice(None)] * ndim
    grid[dim] = index
    return tuple(grid)


class IndexAdd(Function):
    _name = "IndexAddBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, src, alpha):
        ctx.dim, ctx.alpha = dim, alpha
        ctx.save_for_backward(index)
        out = x.copy()
        _ufunc_at(array_module(x), "add", out, _dim_grid(x.ndim, dim, index), src * alpha if alpha != 1 else src)
        return out

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        need = ctx.needs_input_grad
        g_src = index_select(g, ctx.dim, index) if need[3] else None
        if g_src is not None and ctx.alpha != 1:
            g_src = g_src * ctx.alpha
        return (g if need[0] else None, None, None, g_src, None)


def _check_index_source(input, dim, index, source, name):
    _check_vector_index(index, name)
    if source.dtype is not input.dtype:
        raise RuntimeError(f"{name}(): self ({input.dtype.name}) and source ({source.dtype.name}) must have the "
                           "same scalar type")
    n = index._data.size
    if (source._data.shape[dim] if source._data.ndim else 1) != n:
        raise RuntimeError(f"{name}_(): Number of indices ({n}) should be equal to source.size(dim) "
                           f"({source._data.shape[dim] if source._data.ndim else 1})")
    size = input._data.shape[dim] if input._data.ndim else 1
    d = index._data
    if d.size and (int(d.max()) >= size or int(d.min()) < -size):
        raise IndexError("index out of range in self")


def index_add(input, dim, index, source, *, alpha=1):
    dim = wrap_dim(dim, input._data.ndim)
    _check_index_source(input, dim, index, source, "index_add")
    return IndexAdd.apply(input, dim, index.reshape(-1), source, alpha)


class IndexCopy(Function):
    _name = "IndexCopyBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.dim = dim
        ctx.save_for_backward(index)
        out = x.copy()
        out[_dim_grid(x.ndim, dim, index)] = src
        return out

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        need = ctx.needs_input_grad
        g_x = index_fill(g, ctx.dim, index, 0.0) if need[0] else None
        g_src = index_select(g, ctx.dim, index) if need[3] else None
        return g_x, None, None, g_src


def index_copy(input, dim, index, source):
    dim = wrap_dim(dim, input._data.ndim)
    _check_index_source(input, dim, index, source, "index_copy")
    return IndexCopy.apply(input, dim, index.reshape(-1), source)


class IndexFill(Function):
    _name = "IndexFillBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, value):
        ctx.dim = dim
        ctx.save_for_backward(index)
        out = x.copy()
        out[_dim_grid(x.ndim, dim, index)] = value
        return out

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        return index_fill(g, ctx.dim, index, 0.0), None, None, None


class _IndexFillTensor(IndexFill):
    _name = "IndexFillBackward1"

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        need = ctx.needs_input_grad
        g_v = index_select(g, ctx.dim, index).sum() if need[3] else None
        return index_fill(g, ctx.dim, index, 0.0), None, None, g_v


def index_fill(input, dim, index, value):
    dim = wrap_dim(dim, input._data.ndim)
    _check_vector_index(index, "index_fill")
    idx = index.reshape(-1)
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        return _IndexFillTensor.apply(input, dim, idx, value.to(input.dtype))
    return IndexFill.apply(input, dim, idx, value)


class MaskedFill(Function):
    _name = "MaskedFillBackward0"

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.save_for_backward(mask)
        xp = array_module(x)
        v = xp.asarray(value).astype(x.dtype)
        out = xp.where(mask, v, x)
        return out

    @staticmethod
    def backward(ctx, g):
        mask, = ctx.saved_tensors
        return g.masked_fill(mask, 0.0), None, None


class _MaskedFillTensor(MaskedFill):
    _name = "MaskedFillBackward1"

    @staticmethod
    def backward(ctx, g):
        mask, = ctx.saved_tensors
        need = ctx.needs_input_grad
        g_v = where_sum(g, mask) if need[2] else None
        return (g.masked_fill(mask, 0.0) if need[0] else None), None, g_v


def where_sum(g, mask):
    from .pointwise import where
    return where(mask, g, 0.0).sum()


def masked_fill(input, mask, value):
    if not isinstance(mask, Tensor):
        raise TypeError(f"masked_fill(): argument 'mask' (position 1) must be Tensor, not {type(mask).__name__}")
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_CPP_NAMES.get(mask._data.dtype.name, mask._data.dtype.name)}")
    ishape, mshape = input._data.shape, mask._data.shape
    try:
        np.broadcast_shapes(mshape, ishape)
    except ValueError:
        from .pointwise import _broadcast_error
        raise _broadcast_error(mshape, ishape) from None
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        if GradMode.enabled and (value._requires_grad or input._requires_grad):
            return _MaskedFillTensor.apply(input, mask, value.to(input.dtype))
        value = value.item()
    elif input._data.dtype.kind in "iu" and isinstance(value, int) and not isinstance(value, bool):
        from .pointwise import _scalar_operand
        value = _scalar_operand(input._data, value)[1]
    return MaskedFill.apply(input, mask, value)


_CPP_NAMES = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
              "uint8": "unsigned char", "float32": "float", "float64": "double", "float16": "c10::Half"}


class MaskedSelect(Function):
    _name = "MaskedSelectBackward0"

    @staticmethod
    def forward(ctx, x, mask):
        xp = array_module(x)
        shape = np.broadcast_shapes(x.shape, mask.shape)
        ctx.full_mask = xp.broadcast_to(mask, shape)
        return xp.broadcast_to(x, shape)[ctx.full_mask]

    @staticmethod
    def backward(ctx, g):
        from .creation import zeros
        grad = zeros(ctx.full_mask.shape, dtype=g.dtype, device=g.device)
        return IndexPut.apply(grad, (ctx.full_mask,), g, False), None


def masked_select(input, mask):
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask")
    try:
        np.broadcast_shapes(input._data.shape, mask._data.shape)
    except ValueError:
        from .pointwise import _broadcast_error
        raise _broadcast_error(input._data.shape, mask._data.shape) from None
    return MaskedSelect.apply(input, mask)


def nonzero(input, *, out=None, as_tuple=False):
    data = input._data
    xp = array_module(data)
    if data.ndim == 0:
        n = int(bool(data))
        if as_tuple:
            return (_wrap(xp.zeros(n, np.int64)),)
        return _wrap(xp.zeros((n, 0), np.int64))
    idx = xp.nonzero(data)
    if as_tuple:
        return tuple(_wrap(i.astype(np.int64, copy=False)) for i in idx)
    return _out(out, _wrap(xp.stack(idx, axis=1).astype(np.int64, copy=False)))


def argwhere(input):
    return nonzero(input)


def count_nonzero(input, dim=None):
    data = input._data
    axis = None if dim is None else (tuple(wrap_dim(d, data.ndim) for d in dim) if isinstance(dim, (
        tuple, list)) else wrap_dim(dim, data.ndim))
    return _wrap(np.asarray(array_module(data).count_nonzero(data, axis=axis), dtype=np.int64))


class Take(Function):
    _name = "TakeBackward0"

    @staticmethod
    def forward(ctx, x, index):
        ctx.in_shape = x.shape
        ctx.save_for_backward(index)
        return x.reshape(-1)[index]

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        from .creation import zeros
        flat = zeros(math.prod(ctx.in_shape), dtype=g.dtype, device=g.device)
        return IndexPut.apply(flat, (index._data,), g, True).reshape(ctx.in_shape), None


def take(input, index):
    if index._data.dtype != np.int64:
        raise RuntimeError("take(): Expected a long tensor for index, but got " + index.dtype.name.capitalize())
    n = input._data.size
    d = index._data
    if d.size:
        hi, lo = int(d.max()), int(d.min())
        if hi >= n or lo < -n:
            raise IndexError(f"out of range: tried to access index {hi if hi >= n else lo} on a tensor of {n} "
                             "elements.")
    return Take.apply(input, index)


def take_along_dim(input, indices, dim=None):
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    dim = wrap_dim(dim, input._data.ndim)
    ishape, jshape = input._data.shape, indices._data.shape
    shape = list(np.broadcast_shapes(tuple(s if i != dim else 1 for i, s in enumerate(ishape)),
                                     tuple(s if i != dim else 1 for i, s in enumerate(jshape))))
    shape_i = list(shape)
    shape_i[dim] = ishape[dim]
    shape_j = list(shape)
    shape_j[dim] = jshape[dim]
    return gather(input.expand(*shape_i), dim, indices.expand(*shape_j))


class MaskedScatter(Function):
    _name = "MaskedScatterBackward0"

    @staticmethod
    def forward(ctx, x, mask, source):
        xp = array_module(x)
        shape = np.broadcast_shapes(x.shape, mask.shape)
        full = xp.broadcast_to(mask, shape)
        n = int(full.sum())
        ctx.full_mask, ctx.n, ctx.source_shape = full, n, source.shape
        out = xp.broadcast_to(x, shape).copy()
        out[full] = source.reshape(-1)[:n]
        return out

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        mask = _wrap(ctx.full_mask)
        g_x = g.masked_fill(mask, 0.0) if need[0] else None
        g_src = None
        if need[2]:
            picked = g[mask]
            total = math.prod(ctx.source_shape)
            if total > ctx.n:
                from .shape import constant_pad
                picked = constant_pad(picked, [(0, total - ctx.n)])
            g_src = picked.reshape(ctx.source_shape)
        return g_x, None, g_src


def masked_scatter(input, mask, source):
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{_CPP_NAMES.get(mask._data.dtype.name, mask._data.dtype.name)}")
    shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    n = int(array_module(mask._data).broadcast_to(mask._data, shape).sum())
    if source._data.size < n:
        raise RuntimeError("masked_scatter: expected source to have at least as many elements as ones in mask")
    return MaskedScatter.apply(input, mask, source)


methods = dict(
    gather=gather, scatter=scatter, scatter_add=scatter_add, scatter_reduce=scatter_reduce,
    index_select=index_select, index_add=index_add, index_copy=index_copy, index_fill=index_fill,
    masked_fill=masked_fill, masked_select=masked_select, nonzero=nonzero, argwhere=argwhere,
    count_nonzero=count_nonzero, take=take, take_along_dim=take_along_dim, index_put=index_put,
    masked_scatter=masked_scatter,
)

"""Indexing: t[...], t[...] = v, gather/scatter, index_select, masked_fill, nonzero, ...

Basic indexing (ints, slices, None, ...) returns a view that shares memory;
advanced indexing (integer or bool tensors and lists) returns a copy, as in
PyTorch.  Gradients of indexing put the incoming gradient back where the
values came from, adding up repeated indices.
"""
import numpy as np

from .. import dtypes
from ..autograd.function import Function
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor, _wrap, _view_of
from ._util import array_module, wrap_dim, check_same_device


# ---- turning a Python index into an array index ---------------------------------------
def _convert_index(index, shape):
    """(array index, is_basic, node name): validate and convert tensors to arrays."""
    if not isinstance(index, tuple):
        index = (index,)
    converted = []
    basic = True
    name = None
    dim = 0
    n_real = sum(1 for i in index if i is not None and i is not Ellipsis and not (
        isinstance(i, Tensor) and i._data.dtype == np.bool_) and not (isinstance(i, bool)))
    n_real += sum(i._data.ndim for i in index if isinstance(i, Tensor) and i._data.dtype == np.bool_)
    if n_real > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    for i in index:
        if isinstance(i, Tensor):
            if i._data.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if i._data.ndim == 0 and i._data.dtype.kind in "iu":
                i = int(i._data)
            else:
                basic = False
                name = "IndexBackward0"
                converted.append(i._data)
                dim += max(i._data.ndim, 1) if i._data.dtype != np.bool_ else i._data.ndim
                continue
        if isinstance(i, (bool, np.bool_)):
            basic = False
            name = "IndexBackward0"
            converted.append(np.bool_(i))
            continue
        if isinstance(i, (int, np.integer)):
            size = shape[dim]
            if not -size <= i < size:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {size}")
            converted.append(int(i))
            if basic:
                name = "SelectBackward0"
            dim += 1
        elif isinstance(i, slice):
            if i.step is not None and i.step <= 0:
                raise ValueError("step must be greater than zero")
            start = i.start.item() if isinstance(i.start, Tensor) else i.start
            stop = i.stop.item() if isinstance(i.stop, Tensor) else i.stop
            s = slice(start, stop, i.step)
            converted.append(s)
            if basic and s != slice(None) and s.indices(shape[dim]) != (0, shape[dim], 1):
                name = "SliceBackward0"
            dim += 1
        elif i is None:
            converted.append(None)
            if basic:
                name = "UnsqueezeBackward0"
        elif i is Ellipsis:
            converted.append(Ellipsis)
            dim += len(shape) - n_real
        elif isinstance(i, (list, tuple, np.ndarray)):
            arr = np.asarray(i)
            if arr.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if arr.dtype.kind not in "biu" and arr.size:
                raise IndexError("too many indices for tensor")
            if arr.size == 0:
                arr = arr.astype(np.int64)
            basic = False
            name = "IndexBackward0"
            converted.append(arr)
            dim += max(arr.ndim, 1) if arr.dtype != np.bool_ else arr.ndim
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                             "valid indices (got " + type(i).__name__ + ")")
    if not basic:
        _check_bounds(converted, shape)
    return tuple(converted), basic, name or "AliasBackward0"


def _check_bounds(index, shape):
    dim = 0
    n_real = sum(1 for i in index if i is not None and i is not Ellipsis and not (
        isinstance(i, np.ndarray) and i.dtype == np.bool_))
    for i in index:
        if i is None:
            continue
        if i is Ellipsis:
            dim += len(shape) - n_real
            continue
        if isinstance(i, np.ndarray) and i.dtype.kind in "iu" and i.size:
            size = shape[dim]
            lo, hi = i.min(), i.max()
            if hi >= size or lo < -size:
                bad = hi if hi >= size else lo
                raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
        if isinstance(i, np.ndarray) and i.dtype == np.bool_:
            if i.shape != tuple(shape[dim:dim + i.ndim]):
                for k, (a, b) in enumerate(zip(i.shape, shape[dim:dim + i.ndim])):
                    if a != b:
                        raise IndexError(f"The shape of the mask [{', '.join(map(str, i.shape))}] at index {k} "
                                         f"does not match the shape of the indexed tensor "
                                         f"[{', '.join(map(str, shape))}] at index {dim + k}")
            dim += i.ndim
            continue
        dim += 1


class Index(Function):
    _name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, index, name):
        ctx.index, ctx.in_shape, ctx._name = index, x.shape, name
        out = x[index]
        if not isinstance(out, np.ndarray) and not hasattr(out, "__cuda_array_interface__"):
            out = array_module(x).asarray(out)
        return out

    @staticmethod
    def backward(ctx, g):
        from .creation import zeros
        grad = zeros(ctx.in_shape, dtype=g.dtype, device=g.device)
        return index_put(grad, ctx.index, g, accumulate=ctx._name == "IndexBackward0"), None, None


def getitem(self, index):
    if self._data.ndim == 0 and index not in (None, Ellipsis, ()) and not (
            isinstance(index, Tensor) and index._data.dtype == np.bool_) and not isinstance(index, tuple):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` "
                         "in C++ to convert a 0-dim tensor to a number")
    array_index, basic, name = _convert_index(index, self._data.shape)
    if GradMode.enabled and self._requires_grad:
        result = Index.apply(self, array_index, name)
        if basic:
            result._version_counter = self._version_counter
            result._base = self if self._base is None else self._base
        return result
    out = self._data[array_index]
    if basic:
        return _view_of(self, out)
    if not isinstance(out, np.ndarray) and not hasattr(out, "__cuda_array_interface__"):
        out = np.asarray(out)
    return _wrap(out)


# ---- writing: index_put and t[...] = v ------------------------------------------------
def _value_array(value, dtype, like):
    if isinstance(value, Tensor):
        check_same_device(like, value)
        return value._data if value._data.dtype == dtype.np else value._data.astype(dtype.np)
    return np.asarray(value, dtype=dtype.np) if type(like._data) is np.ndarray else array_module(
        like._data).asarray(value, dtype=dtype.np)


class IndexPut(Function):
    _name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, x, index, value, accumulate):
        ctx.index, ctx.accumulate = index, accumulate
        ctx.value_shape = value.shape if hasattr(value, "shape") else ()
        out = x.copy()
        if accumulate:
            array_module(x).add.at(out, index, value)
        else:
            out[index] = value
        return out

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        g_x = None
        if need[0]:
            g_x = g if ctx.accumulate else index_put(g, ctx.index, _zero_like_scalar(g), accumulate=False)
        g_v = None
        if need[2]:
            g_v = Index.apply(g, ctx.index, "IndexBackward0")
            if tuple(g_v.shape) != tuple(ctx.value_shape):
                from ..autograd.engine import _sum_to_shape
                g_v = _sum_to_shape(g_v, tuple(ctx.value_shape))
        return g_x, None, g_v, None


def _zero_like_scalar(g):
    return _wrap(array_module(g._data).zeros((), g._data.dtype))


def index_put(input, indices, values, accumulate=False):
    """Out-of-place `input[indices] = values` (adding when `accumulate`)."""
    if not isinstance(indices, tuple) or any(isinstance(i, Tensor) for i in indices):
        indices, _, _ = _convert_index(indices, input._data.shape)
    if isinstance(values, Tensor) and values.dtype != input.dtype:
        values = values.to(input.dtype)
    elif not isinstance(values, Tensor):
        values = _wrap(_value_array(values, input.dtype, input))
    return IndexPut.apply(input, indices, values, accumulate)


def setitem(self, index, value):
    array_index, basic, _ = _convert_index(index, self._data.shape)
    value_requires = isinstance(value, Tensor) and value._requires_grad
    if GradMode.enabled and (self._requires_grad or value_requires):
        from .inplace import _rebase_inplace
        _rebase_inplace(self, lambda old: index_put(old, array_index, value))
        return
    data = _value_array(value, self.dtype, self)
    if isinstance(value, Tensor) and value._data.ndim > 0:
        target_shape = self._data[array_index].shape
        try:
            np.broadcast_shapes(data.shape, target_shape)
        except ValueError:
            raise RuntimeError(f"shape mismatch: value tensor of shape [{', '.join(map(str, data.shape))}] cannot be "
                               f"broadcast to indexing result of shape [{', '.join(map(str, target_shape))}]") from None
    try:
        self._data[array_index] = data
    except ValueError as err:
        if "read-only" in str(err):
            raise RuntimeError("unsupported operation: some elements of the input tensor and the written-to tensor "
                               "refer to a single memory location. Please clone() the tensor before performing the "
                               "operation.") from None
        raise
    self._bump_version()


def index_put_(self, indices, values, accumulate=False):
    from .inplace import _rebase_inplace
    return _rebase_inplace(self, lambda old: index_put(old, indices, values, accumulate))


# ---- gather / scatter ---------------------------------------------------------------
def _check_index_tensor(index, name):
    if index._data.dtype != np.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")


def _take_along(x, index, dim):
    return array_module(x).take_along_axis(x, index, axis=dim)


def _gather_check(input, dim, index):
    nd = input._data.ndim
    if index._data.ndim != nd and not (nd == 0 or index._data.ndim == 0):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for d in range(nd):
        if d != dim and index._data.shape[d] > input._data.shape[d]:
            raise RuntimeError(f"Size does not match at dimension {d} expected index "
                               f"[{', '.join(map(str, index._data.shape))}] to be no larger than self "
                               f"[{', '.join(map(str, input._data.shape))}] apart from dimension {dim}")
    if index._data.size:
        hi, lo = index._data.max(), index._data.min()
        size = input._data.shape[dim] if nd else 1
        if hi >= size or lo < -size:
            raise RuntimeError(f"index {hi if hi >= size else lo} is out of bounds for dimension {dim} with size {size}")


def _index_grid(index, dim):
    """Full advanced-index tuple addressing `x[..., index, ...]` along `dim`."""
    xp = array_module(index)
    grids = list(xp.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


class Gather(Function):
    _name = "GatherBackward0"

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.dim, ctx.in_shape = dim, x.shape
        ctx.save_for_backward(index)
        return x[_index_grid(index, dim)]

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        from .creation import zeros
        return None if False else scatter_add(zeros(ctx.in_shape, dtype=g.dtype, device=g.device), ctx.dim, index,
                                                g), None, None


def gather(input, dim, index, *, sparse_grad=False, out=None):
    _check_index_tensor(index, "gather")
    dim = wrap_dim(dim, input._data.ndim)
    _gather_check(input, dim, index)
    return Gather.apply(input, dim, index)


class Scatter(Function):
    _name = "ScatterBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, src, reduce):
        ctx.dim = dim
        ctx.save_for_backward(index)
        out = x.copy()
        grid = _index_grid(index, dim)
        if reduce is None:
            out[grid] = src if not hasattr(src, "shape") or src.shape == index.shape else src[
                tuple(slice(0, s) for s in index.shape)]
        elif reduce in ("add", "sum"):
            vals = src if not hasattr(src, "shape") or src.shape == index.shape else src[
                tuple(slice(0, s) for s in index.shape)]
            array_module(x).add.at(out, grid, vals)
        elif reduce == "multiply":
            vals = src if not hasattr(src, "shape") else src[tuple(slice(0, s) for s in index.shape)]
            array_module(x).multiply.at(out, grid, vals)
        return out

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        need = ctx.needs_input_grad
        g_x = scatter(g, ctx.dim, index, 0.0) if need[0] else None
        g_src = gather(g, ctx.dim, index) if need[3] else None
        return g_x, None, None, g_src, None


class ScatterAdd(Function):
    _name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, src):
        ctx.dim = dim
        ctx.save_for_backward(index)
        out = x.copy()
        vals = src if src.shape == index.shape else src[tuple(slice(0, s) for s in index.shape)]
        array_module(x).add.at(out, _index_grid(index, dim), vals)
        return out

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g if need[0] else None, None, None, gather(g, ctx.dim, index) if need[3] else None)


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """Out-of-place scatter: `src` (tensor) or `value` (scalar) written at `index` along `dim`."""
    if src is None and value is None:
        raise TypeError("scatter() missing 1 required positional arguments: \"src\" or \"value\"")
    _check_index_tensor(index, "scatter")
    dim = wrap_dim(dim, input._data.ndim)
    if src is None or not isinstance(src, Tensor):
        scalar = value if src is None else src
        src_arr = np.asarray(scalar, dtype=input._data.dtype)
        node = Scatter
        node_name = "ScatterBackward1"
        res = _ScatterValue.apply(input, dim, index, src_arr, reduce)
        return res
    if src.dtype != input.dtype:
        raise RuntimeError(f"scatter(): Expected self.dtype to be equal to src.dtype")
    return Scatter.apply(input, dim, index, src, reduce)


class _ScatterValue(Scatter):
    _name = "ScatterBackward1"

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        return scatter(g, ctx.dim, index, 0.0), None, None, None, None


def scatter_add(input, dim, index, src):
    _check_index_tensor(index, "scatter_add")
    dim = wrap_dim(dim, input._data.ndim)
    return ScatterAdd.apply(input, dim, index, src)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    if reduce == "sum":
        return scatter_add(input, dim, index, src)
    raise NotImplementedError(f"scatter_reduce with reduce='{reduce}' is not supported by huoba yet")


class IndexSelect(Function):
    _name = "IndexSelectBackward0"

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.dim, ctx.in_shape = dim, x.shape
        ctx.save_for_backward(index)
        return array_module(x).take(x, index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        from .creation import zeros
        return index_add(zeros(ctx.in_shape, dtype=g.dtype, device=g.device), ctx.dim, index, g), None, None


def index_select(input, dim, index, *, out=None):
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index._data.dtype.kind not in "iu":
        raise IndexError(f"index_select(): Expected dtype int32/int64 for index but got: {index.dtype}")
    dim = wrap_dim(dim, input._data.ndim)
    idx = index.reshape(-1)
    size = input._data.shape[dim] if input._data.ndim else 1
    if idx._data.size and (idx._data.max() >= size or idx._data.min() < -size):
        bad = idx._data.max() if idx._data.max() >= size else idx._data.min()
        raise IndexError(f"index out of range in self")
    return IndexSelect.apply(input, dim, idx)


class IndexAdd(Function):
    _name = "IndexAddBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, src, alpha):
        ctx.dim, ctx.alpha = dim, alpha
        ctx.save_for_backward(index)
        out = x.copy()
        grid = [slice(None)] * x.ndim
        grid[dim] = index
        array_module(x).add.at(out, tuple(grid), src * alpha if alpha != 1 else src)
        return out

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        need = ctx.needs_input_grad
        g_src = index_select(g, ctx.dim, index) if need[3] else None
        if g_src is not None and ctx.alpha != 1:
            g_src = g_src * ctx.alpha
        return (g if need[0] else None, None, None, g_src, None)


def index_add(input, dim, index, source, *, alpha=1):
    dim = wrap_dim(dim, input._data.ndim)
    return IndexAdd.apply(input, dim, index, source, alpha)


def index_copy(input, dim, index, source):
    dim = wrap_dim(dim, input._data.ndim)
    idx = [slice(None)] * input._data.ndim
    idx[dim] = index
    return index_put(input, tuple(idx), source)


def index_fill(input, dim, index, value):
    dim = wrap_dim(dim, input._data.ndim)
    idx = [slice(None)] * input._data.ndim
    idx[dim] = index
    return index_put(input, tuple(idx), value)


class MaskedFill(Function):
    _name = "MaskedFillBackward0"

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.save_for_backward(mask)
        xp = array_module(x)
        v = value if not hasattr(value, "shape") else value.astype(x.dtype)
        return xp.where(mask, xp.asarray(v, dtype=x.dtype), x)

    @staticmethod
    def backward(ctx, g):
        mask, = ctx.saved_tensors
        need = ctx.needs_input_grad
        g_x = g.masked_fill(mask, 0.0) if need[0] else None
        g_v = (g * mask).sum() if len(need) > 2 and need[2] else None
        return g_x, None, g_v


def masked_fill(input, mask, value):
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.name if mask.dtype.name != 'uint8' else 'unsigned char'}")
    try:
        np.broadcast_shapes(mask._data.shape, input._data.shape)
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({input._data.shape[-1] if input._data.ndim else 1}) must match the "
                           f"size of tensor b ({mask._data.shape[-1]}) at non-singleton dimension "
                           f"{max(input._data.ndim, mask._data.ndim) - 1}") from None
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        if value._requires_grad:
            return MaskedFill.apply(input, mask, value.to(input.dtype))
        value = value.item()
    if isinstance(value, float) and input._data.dtype.kind in "biu":
        pass  # PyTorch truncates silently for integer tensors
    out = MaskedFill.apply(input, mask, value)
    if out._data.shape != input._data.shape:
        raise RuntimeError("masked_fill: mask broadcasts beyond the input's shape")
    return out


class MaskedSelect(Function):
    _name = "MaskedSelectBackward0"

    @staticmethod
    def forward(ctx, x, mask):
        xp = array_module(x)
        shape = np.broadcast_shapes(x.shape, mask.shape)
        ctx.in_shape = x.shape
        ctx.full_mask = xp.broadcast_to(mask, shape)
        return xp.broadcast_to(x, shape)[ctx.full_mask]

    @staticmethod
    def backward(ctx, g):
        from .creation import zeros
        grad = zeros(ctx.full_mask.shape, dtype=g.dtype, device=g.device)
        return index_put(grad, (ctx.full_mask,), g), None


def masked_select(input, mask):
    if mask._data.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    return MaskedSelect.apply(input, mask)


def nonzero(input, *, as_tuple=False):
    idx = array_module(input._data).nonzero(input._data)
    if as_tuple:
        if input._data.ndim == 0:
            return (_wrap(np.zeros(int(bool(input._data)), np.int64)),)
        return tuple(_wrap(i.astype(np.int64)) for i in idx)
    if input._data.ndim == 0:
        return _wrap(np.zeros((int(bool(input._data)), 0), np.int64))
    return _wrap(array_module(input._data).stack(idx, axis=1).astype(np.int64) if idx else
                 np.zeros((0, 0), np.int64))


def argwhere(input):
    return nonzero(input)


def count_nonzero(input, dim=None):
    return _wrap(np.asarray(np.count_nonzero(input._data, axis=dim), dtype=np.int64))


def take(input, index):
    flat = input.reshape(-1)
    return flat[index]


def take_along_dim(input, indices, dim=None):
    if dim is None:
        return take(input, indices.reshape(-1))
    return gather(input, dim, indices.expand(*[
        max(a, b) if i != wrap_dim(dim, input._data.ndim) else b
        for i, (a, b) in enumerate(zip(input._data.shape, indices._data.shape))]))


def masked_scatter(input, mask, source):
    n = int(mask._data.sum())
    return index_put(input, (mask._data,), source.reshape(-1)[:n])


methods = dict(
    gather=gather, scatter=scatter, scatter_add=scatter_add, scatter_reduce=scatter_reduce,
    index_select=index_select, index_add=index_add, index_copy=index_copy, index_fill=index_fill,
    masked_fill=masked_fill, masked_select=masked_select, nonzero=nonzero, argwhere=argwhere,
    count_nonzero=count_nonzero, take=take, take_along_dim=take_along_dim, index_put=index_put,
    masked_scatter=masked_scatter,
)

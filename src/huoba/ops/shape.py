"""Shape ops: views (view, reshape, transpose, permute, squeeze, expand, ...) and
copies that rearrange values (cat, stack, split, repeat, flip, roll, ...).

A view op returns a Tensor made with `_view_of`, so it shares both memory and
the version counter with its base, exactly where PyTorch's views do.
"""
import math

import numpy as np

from .. import dtypes
from ..autograd.function import Function
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor, _wrap, _view_of, Size
from .._backend import to_device, array_module
from ._util import wrap_dim, wrap_dims, check_same_device, track_view, strided_view


def _view_result(base, out_array, node_cls, *args):
    """Run a view Function so that the result also shares base's version counter."""
    result = node_cls.apply(base, *args)
    result._version_counter = base._version_counter
    result._base = base if base._base is None else base._base
    track_view(result)
    return result


def _infer_size(shape, numel):
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
    return tuple(shape)


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    out = []
    for s in shape:
        if isinstance(s, Tensor):
            s = s.item()
        out.append(int(s))
    return tuple(out)


class View(Function):
    _name = "ViewBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


class Reshape(View):
    _name = "UnsafeViewBackward0"


def view(input, *shape):
    if len(shape) == 1 and isinstance(shape[0], dtypes.dtype):
        return _view_dtype(input, shape[0])
    shape = _infer_size(_shape_args(shape), input._data.size)
    data = input._data
    if not data.flags.c_contiguous and data.size > 1:
        try:
            new = data.view()
            new.shape = shape  # raises if it would need a copy
        except AttributeError:
            raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                               "dimension spans across two contiguous subspaces). Use .reshape(...) instead.") from None
    if GradMode.enabled and input._requires_grad:
        return _view_result(input, None, View, shape)
    return _view_of(input, data.reshape(shape))


def _view_dtype(input, dtype):
    return _view_of(input, input._data.view(dtype.np))


def reshape(input, *shape):
    shape = _infer_size(_shape_args(shape), input._data.size)
    data = input._data
    is_view = data.flags.c_contiguous or data.size <= 1
    if not is_view:
        try:
            new = data.view()
            new.shape = shape
            is_view = True
        except AttributeError:
            pass
    if GradMode.enabled and input._requires_grad:
        if is_view:
            return _view_result(input, None, View, shape)
        return Reshape.apply(input, shape)
    if is_view:
        return _view_of(input, data.reshape(shape))
    return _wrap(data.reshape(shape))


def view_as(input, other):
    return view(input, other.shape)


def reshape_as(input, other):
    return reshape(input, other.shape)


def flatten(input, start_dim=0, end_dim=-1):
    nd = input._data.ndim
    if nd == 0:
        return reshape(input, 1)
    s, e = wrap_dim(start_dim, nd), wrap_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shape = input._data.shape
    new = shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:]
    return reshape(input, new)


def unflatten(input, dim, sizes):
    dim = wrap_dim(dim, input._data.ndim)
    shape = input._data.shape
    sizes = tuple(sizes)
    if -1 in sizes:
        sizes = _infer_size(sizes, shape[dim])
    elif math.prod(sizes) != shape[dim]:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({shape[dim]}) in the input tensor")
    return view(input, shape[:dim] + sizes + shape[dim + 1:])


class Permute(Function):
    _name = "PermuteBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        inverse = tuple(np.argsort(ctx.dims))
        return g.permute(inverse), None


class Transpose(Permute):
    _name = "TransposeBackward0"


class T(Permute):
    _name = "TBackward0"


def _permute_with(node, input, dims):
    if GradMode.enabled and input._requires_grad:
        return _view_result(input, None, node, dims)
    return _view_of(input, input._data.transpose(dims))


def permute(input, *dims):
    dims = _shape_args(dims)
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal to "
                           f"len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, nd) for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _permute_with(Permute, input, dims)


def transpose(input, dim0, dim1):
    nd = input._data.ndim
    if nd == 0:
        return _view_of(input, input._data)
    d0, d1 = wrap_dim(dim0, nd), wrap_dim(dim1, nd)
    dims = list(range(nd))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return _permute_with(Transpose, input, tuple(dims))


swapaxes = swapdims = transpose


def t(input):
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    if nd < 2:
        return _permute_with(T, input, tuple(range(nd)))
    return _permute_with(T, input, (1, 0))


def _T(self):
    nd = self._data.ndim
    return _permute_with(Permute, self, tuple(reversed(range(nd))))


def _mT(self):
    nd = self._data.ndim
    if nd < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return transpose(self, -2, -1)


def movedim(input, source, destination):
    nd = input._data.ndim
    src = wrap_dims(source, nd)
    dst = wrap_dims(destination, nd)
    order = [d for d in range(nd) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, order)


moveaxis = movedim


class Squeeze(Function):
    _name = "SqueezeBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.in_shape = x.shape
        return array_module(x).squeeze(x, axis=dims) if dims else x[...]

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


class SqueezeDim(Squeeze):
    _name = "SqueezeBackward1"


class SqueezeDims(Squeeze):
    _name = "SqueezeBackward2"


class Unsqueeze(Function):
    _name = "UnsqueezeBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return _unsqueeze_array(x, dim)

    @staticmethod
    def backward(ctx, g):
        return g.squeeze(ctx.dim), None


def squeeze(input, dim=None):
    data = input._data
    shape = data.shape
    if dim is None:
        node = Squeeze
        dims = tuple(i for i, s in enumerate(shape) if s == 1)
    else:
        node = SqueezeDim if isinstance(dim, int) else SqueezeDims
        dims = wrap_dims(dim, len(shape)) if shape else ((wrap_dim(dim, 0),) if isinstance(dim, int) else
                                                         tuple(wrap_dim(d, 0) for d in dim))
        dims = tuple(d for d in dims if shape and shape[d] == 1)
    if GradMode.enabled and input._requires_grad:
        return _view_result(input, None, node, dims)
    return _view_of(input, array_module(data).squeeze(data, axis=dims) if dims else data[...])


def unsqueeze(input, dim):
    data = input._data
    dim = wrap_dim(dim, data.ndim + 1)
    if GradMode.enabled and input._requires_grad:
        return _view_result(input, None, Unsqueeze, dim)
    if data.flags.c_contiguous:
        shape = data.shape
        return _view_of(input, data.reshape(shape[:dim] + (1,) + shape[dim:]))
    return _view_of(input, _unsqueeze_array(data, dim))


def _unsqueeze_array(x, dim):
    """x with a new size-1 dim at `dim`, strided as PyTorch's unsqueeze (size * stride of the
    dim after it, 1 at the end)."""
    strides = x.strides
    new = x.shape[dim] * strides[dim] if dim < x.ndim else x.itemsize
    shape = x.shape[:dim] + (1,) + x.shape[dim:]
    if x.flags.c_contiguous:
        return x.reshape(shape)  # NumPy's strides are PyTorch's here
    return strided_view(x, shape, strides[:dim] + (new,) + strides[dim:])


class Expand(Function):
    _name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        return _expand_array(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None  # the engine sums g back down to the input's shape


def expand_shape(shape, sizes, like):
    """The shape `expand(sizes)` gives a tensor of `shape`, with PyTorch's errors (which name
    the type of `like`, a Tensor or a type string)."""
    type_name = like.type() if isinstance(like, Tensor) else like
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand({type_name}{{[{', '.join(map(str, shape))}]}}, size=[{', '.join(map(str, sizes))}]): "
                           f"the number of sizes provided ({len(sizes)}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                                   f"non-existing dimension {i}")
            target.append(s)
        else:
            cur = shape[i - lead]
            if s == -1:
                target.append(cur)
            elif cur == 1 or cur == s:
                target.append(s)
            else:
                raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                                   f"non-singleton dimension {i}.  Target sizes: [{', '.join(map(str, sizes))}].  "
                                   f"Tensor sizes: [{', '.join(map(str, shape))}]")
    return tuple(target)


def expand(input, *sizes):
    sizes = _shape_args(sizes)
    shape = input._data.shape
    target = shape if sizes == shape else expand_shape(shape, sizes, input)
    if GradMode.enabled and input._requires_grad:
        return _view_result(input, None, Expand, target)
    return _view_of(input, _expand_array(input._data, target))


def _expand_array(x, shape):
    """x broadcast to `shape` as a view with zero strides; unlike NumPy's broadcast_to it stays
    writable, as PyTorch's expanded tensors are (fill_ works; ops that would write one element
    twice refuse, see ops/inplace.py)."""
    if x.shape == shape:
        return x[...]
    lead = len(shape) - x.ndim
    strides = (0,) * lead + tuple(0 if n == 1 and s != 1 else st
                                  for n, s, st in zip(x.shape, shape[lead:], x.strides))
    return strided_view(x, shape, strides)


def expand_as(input, other):
    return expand(input, other.shape)


def broadcast_to(input, shape):
    return expand(input, shape)


def broadcast_tensors(*tensors):
    shape = np.broadcast_shapes(*(t._data.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


def broadcast_shapes(*shapes):
    return Size(np.broadcast_shapes(*shapes))


class Clone(Function):
    _name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x, order="K"):
        # "K" keeps a dense tensor's layout (PyTorch's preserve_format), "C" makes it contiguous
        return x.copy(order=order)

    @staticmethod
    def backward(ctx, g):
        return g, None


def _dense(a):
    """Is array `a` non-overlapping and dense (a permutation of a contiguous layout)?"""
    if a.flags.c_contiguous or a.flags.f_contiguous:
        return True
    item = a.itemsize
    dims = sorted((abs(st), n) for st, n in zip(a.strides, a.shape) if n != 1)
    expected = item
    for st, n in dims:
        if st != expected:
            return False
        expected *= n
    return True


def clone(input, *, memory_format=None):
    data = input._data
    order = "K" if memory_format is None and (data.flags.c_contiguous or _dense(data)) else "C"
    if GradMode.enabled and input._requires_grad:
        return Clone.apply(input, order)
    return _wrap(data.copy(order))


def contiguous(input, memory_format=None):
    if input._data.flags.c_contiguous:
        return input
    if GradMode.enabled and input._requires_grad:
        return Clone.apply(input, "C")
    return _wrap(input._data.copy(order="C"))


class ToCopy(Function):
    _name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, np_dtype, device):
        ctx.src_dtype = x.dtype
        ctx.src_device = None if type(x) is np.ndarray else x.device.id
        y = x.astype(np_dtype) if np_dtype is not None and np_dtype != x.dtype else x
        if device is not None:
            y = to_device(y, device)
        return y.copy() if y is x else y

    @staticmethod
    def backward(ctx, g):
        from ..device import device as dev
        target = dev("cpu") if ctx.src_device is None else dev("cuda", ctx.src_device)
        return g.to(dtype=dtypes._FROM_NUMPY[ctx.src_dtype], device=target), None, None


def _parse_to(args, kwargs):
    from ..device import device as device_cls
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() received an invalid combination of arguments - got unexpected keyword "
                        f"'{next(iter(kwargs))}'")
    for a in args:
        if isinstance(a, dtypes.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, (str, device_cls, int)) and not isinstance(a, bool):
            device = a
        elif isinstance(a, bool):
            pass
        elif a is not None:
            raise TypeError(f"to() received an invalid combination of arguments - got ({type(a).__name__})")
    if device is not None and not isinstance(device, device_cls):
        device = device_cls(device)
    return dtype, device, copy


def to(input, *args, **kwargs):
    """`t.to(dtype)`, `t.to(device)`, `t.to(other)`: a converted copy, or `t` itself if nothing changes."""
    dtype, device, copy = _parse_to(args, dict(kwargs))
    same_dtype = dtype is None or dtype.np == input._data.dtype
    if device is not None:
        if device.type == "cuda":
            from .. import _backend
            _backend.module_for(device)
            if device.index is None:  # "cuda" is the current GPU, as in PyTorch
                from ..device import device as device_cls
                device = device_cls("cuda", _backend.current_device())
        same_device = device == input.device or (device.index is None and device.type == input.device.type)
    else:
        same_device = True
    if same_dtype and same_device and not copy:
        return input
    np_dtype = None if dtype is None else dtype.np
    if GradMode.enabled and input._requires_grad:
        return ToCopy.apply(input, np_dtype, None if same_device else device)
    data = input._data
    if not same_dtype:
        data = data.astype(np_dtype)
    if not same_device:
        data = to_device(data, device)
    elif data is input._data:
        data = data.copy()
    return _wrap(data)


def _typecast(name, dtype):
    def cast(self, memory_format=None):
        return to(self, dtype)
    cast.__name__ = name
    return cast


def type_as(input, other):
    return to(input, other.dtype)


def cpu(input, memory_format=None):
    if input.device.type == "cpu":
        return input
    from ..device import CPU
    return to(input, CPU)


def cuda(input, device=None, non_blocking=False, memory_format=None):
    from ..device import device as device_cls
    if device is None:
        device = device_cls("cuda")  # the current GPU
    elif isinstance(device, int):
        device = device_cls("cuda", device)
    else:
        device = device_cls(device)
    return to(input, device)


def _get_device(input):
    """The GPU index of a CUDA tensor, -1 for a CPU tensor."""
    data = input._data
    return -1 if type(data) is np.ndarray else data.device.id


def _pin_memory(input, device=None):
    """A copy in page-locked host memory (faster copies to the GPU); needs a GPU, as in PyTorch."""
    from .. import _backend
    if _backend.cupy() is None:
        raise RuntimeError("Cannot access accelerator device when none is available.")
    data = input._data
    if type(data) is not np.ndarray:
        raise RuntimeError(f"cannot pin '{input.type()}' only dense CPU tensors can be pinned")
    pinned = _backend.pinned(data)
    t = _wrap(pinned if pinned is not data else data.copy())
    t._requires_grad = input._requires_grad and input.grad_fn is None
    t.__dict__["_pinned"] = True
    return t


def _is_pinned(input, device=None):
    return bool(input.__dict__.get("_pinned", False))


# ---- joining and splitting ------------------------------------------------------------
class Cat(Function):
    _name = "CatBackward0"

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        ctx.sizes = [x.shape[dim] for x in xs]
        return array_module(xs[0]).concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        grads = []
        start = 0
        for size in ctx.sizes:
            grads.append(g.narrow(ctx.dim, start, size))
            start += size
        return (None, *grads)


def _promote_all(tensors):
    rt = dtypes.result_type([t for t in tensors if t._data.ndim] or tensors)
    if any(t.dtype is not rt for t in tensors):
        rt = tensors[0].dtype
        for t in tensors[1:]:
            rt = dtypes.promote_types(rt, t.dtype)
    return [t if t.dtype is rt else t.to(rt) for t in tensors]


def cat(tensors, dim=0, *, out=None):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    # PyTorch skips legacy 1-d empty tensors
    tensors = [t for t in tensors if not (t._data.ndim == 1 and t._data.shape[0] == 0)] or tensors[:1]
    check_same_device(*tensors)
    ref = tensors[0]
    nd = ref._data.ndim
    if nd == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    dim = wrap_dim(dim, nd)
    for i, t in enumerate(tensors):
        if t._data.ndim != nd:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and {t._data.ndim}")
        for d in range(nd):
            if d != dim and t._data.shape[d] != ref._data.shape[d]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. Expected size "
                                   f"{ref._data.shape[d]} but got size {t._data.shape[d]} for tensor number {i} "
                                   "in the list.")
    tensors = _promote_all(tensors)
    result = Cat.apply(dim, *tensors)
    return _out(out, result)


concat = concatenate = cat


def _out(out, result):
    if out is None:
        return result
    if out.shape != result.shape:
        out._data = result._data.astype(out._data.dtype).copy()
    else:
        out._data[...] = result._data
    out._bump_version()
    return out


def stack(tensors, dim=0, *, out=None):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"[{', '.join(map(str, shape))}] at entry 0 and "
                               f"[{', '.join(map(str, t._data.shape))}] at entry {i}")
    dim = wrap_dim(dim, len(shape) + 1)
    tensors = _promote_all(tensors)
    return _out(out, Stack.apply(dim, *tensors))


class Stack(Function):
    _name = "StackBackward0"

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        return array_module(xs[0]).stack(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return (None, *g.unbind(ctx.dim))


def hstack(tensors):
    tensors = [atleast_1d(t) for t in tensors]
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    return cat([atleast_2d(t) for t in tensors], 0)


row_stack = vstack


def dstack(tensors):
    return cat([atleast_3d(t) for t in tensors], 2)


def column_stack(tensors):
    return cat([t.reshape(-1, 1) if t._data.ndim <= 1 else t for t in tensors], 1)


def atleast_1d(t):
    return t.reshape(1) if t._data.ndim == 0 else t


def atleast_2d(t):
    if t._data.ndim >= 2:
        return t
    return t.reshape(1, -1)


def atleast_3d(t):
    nd = t._data.ndim
    if nd >= 3:
        return t
    if nd == 2:
        return t.unsqueeze(-1)
    return t.reshape(1, -1, 1)


class SplitWithSizes(Function):
    _name = "SplitWithSizesBackward0"

    @staticmethod
    def forward(ctx, x, sizes, dim):
        ctx.dim, ctx.shape, ctx.sizes = dim, x.shape, sizes
        outs = []
        start = 0
        index = [slice(None)] * x.ndim
        for s in sizes:
            index[dim] = slice(start, start + s)
            outs.append(x[tuple(index)])
            start += s
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        from .creation import zeros
        grads = [g if g is not None else zeros(*_chunk_shape(ctx.shape, ctx.dim, s), dtype=grads[0].dtype)
                 for g, s in zip(grads, ctx.sizes)]
        return cat(grads, ctx.dim), None, None


SplitWithSizes._multi_view = True


class Split(SplitWithSizes):
    _name = "SplitBackward0"


def _chunk_shape(shape, dim, size):
    shape = list(shape)
    shape[dim] = size
    return shape


def _split_views(input, sizes, dim, node):
    if GradMode.enabled and input._requires_grad:
        outs = node.apply(input, sizes, dim)
        for o in outs:
            o._version_counter = input._version_counter
            o._base = input if input._base is None else input._base
            track_view(o)
        return outs
    result = []
    start = 0
    index = [slice(None)] * input._data.ndim
    for s in sizes:
        index[dim] = slice(start, start + s)
        result.append(_view_of(input, input._data[tuple(index)]))
        start += s
    return tuple(result)


def split(tensor, split_size_or_sections, dim=0):
    nd = tensor._data.ndim
    dim = wrap_dim(dim, nd)
    length = tensor._data.shape[dim]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0 and length > 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {length}")
        sizes = [size] * (length // size) + ([length % size] if length % size else []) if size else [0]
        return _split_views(tensor, sizes, dim, Split)
    sizes = list(split_size_or_sections)
    if sum(sizes) != length:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {length} (input tensor's size at "
                           f"dimension {dim}), but got split_sizes=[{', '.join(map(str, sizes))}]")
    return _split_views(tensor, sizes, dim, SplitWithSizes)


def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    dim = wrap_dim(dim, input._data.ndim)
    length = input._data.shape[dim]
    size = -(-length // chunks) if length else 0
    if size == 0:
        return split(input, [0] * chunks if length == 0 else 1, dim)
    return split(input, size, dim)


def tensor_split(input, indices_or_sections, dim=0):
    """Views made by slicing (PyTorch's tensor_split is a sequence of `narrow`s)."""
    dim = wrap_dim(dim, input._data.ndim)
    length = input._data.shape[dim]
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        base, extra = divmod(length, n)
        sizes = [base + 1] * extra + [base] * (n - extra)
        starts = [sum(sizes[:i]) for i in range(n)]
    else:
        bounds = [0] + [min(max(int(i), 0), length) for i in indices_or_sections] + [length]
        starts, sizes = [], []
        for a, b in zip(bounds[:-1], bounds[1:]):
            starts.append(min(a, length))
            sizes.append(max(b - a, 0))
    return tuple(_slice_view(input, dim, st, sz) for st, sz in zip(starts, sizes))


def _slice_view(input, dim, start, length):
    if GradMode.enabled and input._requires_grad:
        return _view_result(input, None, Narrow, dim, start, length)
    return _view_of(input, input._data[(slice(None),) * dim + (slice(start, start + length),)])


class Unbind(Function):
    _name = "UnbindBackward0"
    _multi_view = True

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim, ctx.shape = dim, x.shape
        return tuple(x[(slice(None),) * dim + (i, Ellipsis)] for i in range(x.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        from .creation import zeros
        shape = list(ctx.shape)
        del shape[ctx.dim]
        grads = [g if g is not None else zeros(*shape, dtype=next(x for x in grads if x is not None).dtype)
                 for g in grads]
        return stack(grads, ctx.dim), None


def unbind(input, dim=0):
    dim = wrap_dim(dim, input._data.ndim)
    if GradMode.enabled and input._requires_grad:
        outs = Unbind.apply(input, dim)
        for o in outs:
            o._version_counter = input._version_counter
            o._base = input if input._base is None else input._base
            track_view(o)
        return outs
    data = input._data
    return tuple(_view_of(input, data[(slice(None),) * dim + (i, Ellipsis)]) for i in range(data.shape[dim]))


class Narrow(Function):
    _name = "SliceBackward0"

    @staticmethod
    def forward(ctx, x, dim, start, length):
        ctx.dim, ctx.start, ctx.shape = dim, start, x.shape
        return x[(slice(None),) * dim + (slice(start, start + length),)]

    @staticmethod
    def backward(ctx, g):
        before = ctx.start
        after = ctx.shape[ctx.dim] - ctx.start - g.shape[ctx.dim]
        widths = [(0, 0)] * len(ctx.shape)
        widths[ctx.dim] = (before, after)
        return constant_pad(g, widths), None, None, None


class ConstantPad(Function):
    """Pad with a constant; `widths` is one (before, after) pair per dim (negative crops)."""
    _name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.widths = widths
        xp = array_module(x)
        crop = tuple(slice(-b if b < 0 else 0, s + a if a < 0 else s)
                     for (b, a), s in zip(widths, x.shape))
        x = x[crop]
        pos = tuple((max(b, 0), max(a, 0)) for b, a in widths)
        out = xp.full(tuple(s + b + a for s, (b, a) in zip(x.shape, pos)), value, dtype=x.dtype)
        out[tuple(slice(b, b + s) for s, (b, _) in zip(x.shape, pos))] = x
        return out

    @staticmethod
    def backward(ctx, g):
        return constant_pad(g, [(-b, -a) for b, a in ctx.widths]), None, None


def constant_pad(input, widths, value=0):
    """Pad (or, with negative widths, crop) `input` by `widths[d] = (before, after)` for each dim."""
    return ConstantPad.apply(input, tuple(tuple(w) for w in widths), value)


def narrow(input, dim, start, length):
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, nd)
    if isinstance(start, Tensor):
        start = start.item()
    size = input._data.shape[dim]
    if start < 0:
        start += size
    if not 0 <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start + length > size or length < 0:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    if GradMode.enabled and input._requires_grad:
        return _view_result(input, None, Narrow, dim, start, length)
    return _view_of(input, input._data[(slice(None),) * dim + (slice(start, start + length),)])


class Repeat(Function):
    _name = "RepeatBackward0"

    @staticmethod
    def forward(ctx, x, repeats):
        ctx.in_shape = x.shape
        ctx.repeats = repeats
        lead = len(repeats) - x.ndim
        return array_module(x).tile(x.reshape((1,) * lead + x.shape), repeats)

    @staticmethod
    def backward(ctx, g):
        shape = ctx.in_shape
        lead = len(ctx.repeats) - len(shape)
        full = (1,) * lead + tuple(shape)
        # split every repeated dim into (repeat, size) and sum over the repeats
        split_shape = []
        for r, s in zip(ctx.repeats, full):
            split_shape += [r, s]
        g = g.reshape(split_shape).sum(dim=tuple(range(0, 2 * len(full), 2)))
        return g.reshape(shape), None


def repeat(input, *repeats):
    repeats = _shape_args(repeats)
    if len(repeats) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           "tensor")
    return Repeat.apply(input, repeats)


def tile(input, dims):
    dims = tuple(dims)
    nd = input._data.ndim
    if len(dims) < nd:
        dims = (1,) * (nd - len(dims)) + dims
    return repeat(input, dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:  # repeat_interleave(repeats_tensor): indices repeated by their counts
        counts = input._data
        xp = array_module(counts)
        return _wrap(xp.repeat(xp.arange(counts.shape[0], dtype=np.int64), counts))
    if dim is None:
        input = flatten(input)
        dim = 0
    dim = wrap_dim(dim, input._data.ndim)
    if isinstance(repeats, Tensor) and repeats._data.ndim == 0:
        repeats = repeats.item()
    if isinstance(repeats, int):
        # PyTorch: unsqueeze, expand, copy, then merge the two dims
        shape = input._data.shape
        expanded = unsqueeze(input, dim + 1).expand(*shape[:dim + 1], repeats, *shape[dim + 1:])
        return flatten(contiguous(expanded), dim, dim + 1)
    r = repeats._data
    xp = array_module(r)
    if r.shape[0] != input._data.shape[dim]:
        raise RuntimeError("repeats must have the same size as input along dim, but got repeats.size(0) = "
                           f"{r.shape[0]} and input.size({dim}) = {input._data.shape[dim]}")
    index = xp.repeat(xp.arange(input._data.shape[dim], dtype=np.int64), r)
    from .indexing import index_select
    return index_select(input, dim, _wrap(index))


class Flip(Function):
    _name = "FlipBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return array_module(x).flip(x, dims).copy()

    @staticmethod
    def backward(ctx, g):
        return g.flip(ctx.dims), None


def flip(input, *dims):
    dims = wrap_dims(_shape_args(dims), input._data.ndim)
    return Flip.apply(input, dims)


def fliplr(input):
    return flip(input, 1)


def flipud(input):
    return flip(input, 0)


class Roll(Function):
    _name = "RollBackward0"

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return array_module(x).roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, g):
        if ctx.dims is None:
            return g.roll(-ctx.shifts), None, None
        return g.roll(tuple(-s for s in ctx.shifts), ctx.dims), None, None


def roll(input, shifts, dims=None):
    if dims is None:
        if not isinstance(shifts, int):
            shifts = tuple(shifts)
            if len(shifts) != 1:
                raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
            shifts = shifts[0]
        return Roll.apply(input, shifts, None)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    dims = tuple(wrap_dim(d, input._data.ndim) for d in dims)
    return Roll.apply(input, shifts, dims)


class Tril(Function):
    _name = "TrilBackward0"

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return array_module(x).tril(x, k)

    @staticmethod
    def backward(ctx, g):
        return g.tril(ctx.k), None


class Triu(Function):
    _name = "TriuBackward0"

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return array_module(x).triu(x, k)

    @staticmethod
    def backward(ctx, g):
        return g.triu(ctx.k), None


def tril(input, diagonal=0):
    return Tril.apply(input, diagonal)


def triu(input, diagonal=0):
    return Triu.apply(input, diagonal)


def _diagonal_array(x, offset, dim1, dim2):
    """A writable view of the diagonal (NumPy's own is read-only), laid out as PyTorch's."""
    n1, n2 = x.shape[dim1], x.shape[dim2]
    length = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
    keep = [d for d in range(x.ndim) if d not in (dim1, dim2)]
    shape = tuple(x.shape[d] for d in keep) + (length,)
    strides = tuple(x.strides[d] for d in keep) + (x.strides[dim1] + x.strides[dim2],)
    origin = x
    if length and offset:
        idx = [slice(None)] * x.ndim
        if offset > 0:
            idx[dim2] = slice(offset, None)
        else:
            idx[dim1] = slice(-offset, None)
        origin = x[tuple(idx)]
    return strided_view(origin, shape, strides)


class Diagonal(Function):
    _name = "DiagonalBackward0"

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.args, ctx.in_shape = (offset, dim1, dim2), x.shape
        return _diagonal_array(x, offset, dim1, dim2)

    @staticmethod
    def backward(ctx, g):
        return DiagonalScatter.apply(g, ctx.in_shape, *ctx.args), None, None, None


class DiagonalScatter(Function):
    """zeros(shape) with `g` on the diagonal (the backward of diagonal, itself differentiable)."""
    _name = "DiagonalBackwardBackward0"

    @staticmethod
    def forward(ctx, g, shape, offset, dim1, dim2):
        ctx.args = (offset, dim1, dim2)
        out = array_module(g).zeros(shape, dtype=g.dtype)
        _diagonal_array(out, offset, dim1, dim2)[...] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return Diagonal.apply(gg, *ctx.args), None, None, None, None


class _DiagonalCopy(Diagonal):
    _name = "DiagonalBackward0_copy"

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.args, ctx.in_shape = (offset, dim1, dim2), x.shape
        return _diagonal_array(x, offset, dim1, dim2).copy()


def diagonal(input, offset=0, dim1=0, dim2=1):
    nd = input._data.ndim
    d1, d2 = wrap_dim(dim1, nd), wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    if GradMode.enabled and input._requires_grad:
        return _view_result(input, None, Diagonal, offset, d1, d2)
    return _view_of(input, _diagonal_array(input._data, offset, d1, d2))


diagonal_ = diagonal


class DiagEmbed(Function):
    _name = "DiagEmbedBackward0"

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        n = x.shape[-1] + builtins_abs(offset)
        nd = x.ndim + 1
        shape = list(x.shape[:-1])
        # the two new dims go to dim1 and dim2 (in the output's numbering)
        out_shape = []
        rest = iter(shape)
        for d in range(nd):
            out_shape.append(n if d in (dim1, dim2) else next(rest))
        out = array_module(x).zeros(out_shape, dtype=x.dtype)
        _diagonal_array(out, offset, dim1, dim2)[...] = x
        ctx.args = (offset, dim1, dim2)
        return out

    @staticmethod
    def backward(ctx, g):
        return Diagonal.apply(g, *ctx.args), None, None, None


def builtins_abs(v):
    return v if v >= 0 else -v


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    nd = input._data.ndim + 1
    d1, d2 = wrap_dim(dim1, nd), wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return DiagEmbed.apply(input, offset, d1, d2)


def diag(input, diagonal=0):
    nd = input._data.ndim
    if nd == 1:
        return DiagEmbed.apply(input, diagonal, 0, 1)
    if nd != 2:
        raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " + f"{nd}D")
    return _DiagonalCopy.apply(input, diagonal, 0, 1)


def select(input, dim, index):
    nd = input._data.ndim
    if nd == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, nd)
    if isinstance(index, Tensor):
        index = index.item()
    size = input._data.shape[dim]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"[{', '.join(map(str, input._data.shape))}] at dimension {dim}")
    from .indexing import getitem
    return getitem(input, (slice(None),) * dim + (index,))


methods = dict(
    view=view, reshape=reshape, view_as=view_as, reshape_as=reshape_as, flatten=flatten, unflatten=unflatten,
    permute=permute, transpose=transpose, swapaxes=transpose, swapdims=transpose, t=t, movedim=movedim,
    moveaxis=movedim, squeeze=squeeze, unsqueeze=unsqueeze, expand=expand, expand_as=expand_as,
    broadcast_to=broadcast_to, clone=clone, contiguous=contiguous, to=to, type_as=type_as, cpu=cpu, cuda=cuda,
    get_device=_get_device, pin_memory=_pin_memory, is_pinned=_is_pinned,
    float=_typecast("float", dtypes.float32), double=_typecast("double", dtypes.float64),
    half=_typecast("half", dtypes.float16), long=_typecast("long", dtypes.int64),
    int=_typecast("int", dtypes.int32), short=_typecast("short", dtypes.int16),
    char=_typecast("char", dtypes.int8), byte=_typecast("byte", dtypes.uint8), bool=_typecast("bool", dtypes.bool),
    split=split, chunk=chunk, tensor_split=tensor_split, unbind=unbind, narrow=narrow, repeat=repeat, tile=tile,
    repeat_interleave=repeat_interleave, flip=flip, fliplr=fliplr, flipud=flipud, roll=roll, tril=tril,
    triu=triu, diag=diag, diagonal=diagonal, diag_embed=diag_embed, select=select,
)
properties = dict(T=_T, mT=_mT, H=_T, mH=_mT)

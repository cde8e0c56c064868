"""Tensor: one backend array plus the fields autograd needs.

A Tensor holds `_data` (a NumPy or CuPy array: values, shape, dtype and memory),
`requires_grad`, `grad`, and `grad_fn` (the graph node that produced it, None for
leaves).  Views share `_data`'s memory with their base and also its version
counter, which in-place ops bump so that autograd can notice a saved value was
overwritten.  Ops are attached as methods by `huoba.ops`; this file keeps only
what makes a tensor a tensor.

Floating-point warnings: PyTorch computes 1/0 = inf, log(0) = -inf, 0/0 = nan and overflows
to inf silently; NumPy warns (RuntimeWarning) from inside huoba's ops, the autograd engine
and the optimizers.  Importing huoba therefore sets NumPy's error handling for division by
zero, overflow and invalid values to "ignore" (`np.seterr`, once, below).  That is a global
choice, made on purpose: it costs nothing per op (an `np.errstate` block would cost about
2 us per op) and, unlike a warnings filter, it holds under `python -W error`, pytest's
`filterwarnings = error` and `warnings.simplefilter("error")`.  It also silences those
warnings for the user's own NumPy code in the importing thread; code that wants them back
can wrap its NumPy code in `with np.errstate(all="warn"):` (or call `np.seterr(all="warn")`
after `import huoba`, after which huoba's ops warn again too).
"""
import weakref

import numpy as np

from . import dtypes as _dtypes
from .device import CPU, device as _device_cls

np.seterr(divide="ignore", over="ignore", invalid="ignore")

__all__ = ["Tensor", "Size"]


class Size(tuple):
    """`torch.Size`: a tuple of ints that prints as `torch.Size([2, 3])`.

    Slicing, `+` and `*` give Sizes again; `numel()` is the product.  Internal code
    builds Sizes from trusted shapes with `tuple.__new__(Size, shape)`, which skips
    the validation that `Size(...)` does.
    """

    __slots__ = ()

    def __new__(cls, sizes=()):
        items = []
        for i, s in enumerate(sizes):
            if type(s) is not int:
                index = getattr(type(s), "__index__", None)
                if index is None:
                    raise TypeError(f"torch.Size() takes an iterable of 'int' (item {i} is "
                                    f"'{type(s).__name__}')")
                try:
                    s = index(s)
                except TypeError:
                    raise TypeError(f"torch.Size() takes an iterable of 'int' (item {i} is "
                                    f"'{type(s).__name__}')") from None
            items.append(s)
        return tuple.__new__(cls, items)

    def __repr__(self):
        return f"torch.Size([{', '.join([str(s) for s in self])}])"

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, index):
        result = tuple.__getitem__(self, index)
        return tuple.__new__(Size, result) if type(index) is slice else result

    def __add__(self, other):
        if not isinstance(other, tuple):
            raise TypeError(f"can only concatenate tuple (not {type(other).__name__}) to torch.Size")
        return tuple.__new__(Size, tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return tuple.__new__(Size, tuple.__add__(other, self))

    def __mul__(self, n):
        result = tuple.__mul__(self, n)
        return result if result is NotImplemented else tuple.__new__(Size, result)

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))


_new = object.__new__
_size = tuple.__new__


def _wrap(array, requires_grad=False):
    """A new Tensor around `array` (no copy); the fast internal constructor."""
    t = _new(Tensor)
    t._data = array
    t._requires_grad = requires_grad
    t.grad_fn = None
    t._version_counter = [0]
    t._base = None
    return t


def _view_of(base, array):
    """A Tensor that views `base`'s memory: it shares base's version counter."""
    t = _new(Tensor)
    t._data = array
    t._requires_grad = False
    t.grad_fn = None
    t._version_counter = base._version_counter
    t._base = base if base._base is None else base._base
    return t


def _alias_of(tensor, array):
    """Same memory and version counter as `tensor`, but not a view (`_base` is None):
    what `detach()` returns."""
    t = _new(Tensor)
    t._data = array
    t._requires_grad = False
    t.grad_fn = None
    t._version_counter = tensor._version_counter
    t._base = None
    if tensor._base is not None or tensor._storage is not None:
        _share_storage(t, tensor)
    return t


def _share_storage(t, tensor):
    """Let `t`, which is no view, report the storage offset of `tensor`, whose memory it shares
    (`x[1:].detach().storage_offset()` is 1).  Only the root's array is kept, not the root
    Tensor, so a detached alias keeps no graph alive."""
    base = tensor._base
    t._storage = base._data if base is not None else tensor._storage
    if tensor._layout is not None:
        t._layout = tensor._layout


def _empty_view_layout(src, index):
    """(storage offset, strides) that PyTorch gives the empty view `src[index]` (None when
    `index` is not a basic index).

    NumPy drops the offset of an empty slice (and may zero its strides), so getitem asks for
    them here; the view then reports them from `_layout`."""
    items = index if type(index) is tuple else (index,)
    for i in items:
        if not (i is None or i is Ellipsis or type(i) is slice or (
                hasattr(type(i), "__index__") and not isinstance(i, (bool, np.bool_)))):
            return None  # not a basic index: the result is a copy
    shape = src._data.shape
    ndim = len(shape)
    strides = src.stride()
    offset = src.storage_offset()
    consumed = 0
    for i in items:
        if i is not None and i is not Ellipsis:
            consumed += 1
    out = []
    d = 0
    for i in items:
        if i is None:
            out.append(shape[d] * strides[d] if d < ndim else 1)
        elif i is Ellipsis:
            for _ in range(ndim - consumed):
                out.append(strides[d])
                d += 1
        elif type(i) is slice:
            start, _, step = i.indices(shape[d])
            offset += start * strides[d]
            out.append(strides[d] * step)
            d += 1
        else:
            i = i.__index__()
            offset += (i + shape[d] if i < 0 else i) * strides[d]
            d += 1
    out.extend(strides[d:])
    return offset, tuple(out)


_NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't "
    "be populated during autograd.backward(). If you indeed want the .grad field to be populated for a "
    "non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by "
    "mistake, make sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for "
    "more information. (Triggered internally at "
    "/__w/pytorch/pytorch/build/aten/src/ATen/core/TensorBody.h:493.)")

_LEAF_ONLY = ("you can only change requires_grad flags of leaf variables. If you want to use a computed "
              "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")

_DETACH_VIEW = (
    "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) for "
    "training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and hence "
    "detach_() cannot be called on these gradients. To fix this error, please refer to the "
    "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")

# autograd bookkeeping that lives in the instance __dict__ only when set (see Tensor)
_INTERNAL_KEYS = frozenset(("_grad", "_output_nr", "_hooks", "_grad_accumulator", "_retains_grad",
                            "_post_acc_hooks", "_storage", "_layout"))


class Tensor:
    """A multi-dimensional array that can record the ops applied to it.

    Slots hold what every op reads or writes (`_data`, `_requires_grad`, `grad_fn`,
    `_version_counter`, `_base`); the rarer autograd fields (`_grad`, `_output_nr`,
    hooks, the leaf's AccumulateGrad) default to class attributes and only land in
    the instance dict when set, which keeps `_wrap` cheap.
    """

    __slots__ = ("_data", "_requires_grad", "grad_fn", "_version_counter", "_base", "__weakref__",
                 "__dict__")

    _grad = None
    _output_nr = 0
    _hooks = None              # hooks of a leaf: run before its gradient is accumulated
    _grad_accumulator = None   # a leaf's AccumulateGrad node (which refers back weakly)
    _retains_grad = False
    _post_acc_hooks = None
    _storage = None            # not a view, but shares a view's memory: the root's array (detach, .data)
    _layout = None             # (storage offset, strides) where NumPy's pointer cannot tell (empty views)

    # `torch.Tensor(...)` is a legacy constructor: sizes give an uninitialised
    # float tensor, a sequence gives its values as the default float dtype.
    def __new__(cls, *args, **kwargs):
        from .ops.creation import _legacy_new
        data = _legacy_new(_dtypes.get_default_dtype(), args, kwargs.get("device"))
        if cls is Tensor:
            return _wrap(data)
        t = _new(cls)
        Tensor._init_from(t, data)
        return t

    def __init__(self, *args, **kwargs):
        pass

    @staticmethod
    def _init_from(t, array, requires_grad=False):
        t._data = array
        t._requires_grad = requires_grad
        t.grad_fn = None
        t._version_counter = [0]
        t._base = None

    # ---- metadata ------------------------------------------------------------
    @property
    def dtype(self):
        return _dtypes._FROM_NUMPY[self._data.dtype]

    @property
    def shape(self):
        return _size(Size, self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return _size(Size, self._data.shape)
        return self._data.shape[self._wrap_dim(dim)]

    def _wrap_dim(self, dim):
        n = self._data.ndim
        if n == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        lo, hi = (-1, 0) if n == 0 else (-n, n - 1)
        if not lo <= dim <= hi:
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
        return dim + n if dim < 0 else dim

    @property
    def device(self):
        if type(self._data) is np.ndarray:
            return CPU
        return _device_cls("cuda", self._data.device.id)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def is_cpu(self):
        return self.device.type == "cpu"

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_complex(self):
        return False

    def is_contiguous(self, memory_format=None):
        return self._data.flags.c_contiguous

    def stride(self, dim=None):
        data = self._data
        if self._layout is not None:
            strides = self._layout[1]
        elif data.size > 1 or (data.size == 1 and self._base is not None):
            item = data.itemsize
            strides = tuple([s // item for s in data.strides])
        else:  # NumPy's strides of empty and one-element arrays are arbitrary
            strides = _contiguous_strides(data.shape)
        return strides if dim is None else strides[self._wrap_dim(dim)]

    def storage_offset(self):
        if self._layout is not None:
            return self._layout[0]
        base = self._base
        if base is not None:  # a root; it may itself share a view's memory (x[1:].detach()[1:])
            b = base._storage
            if b is None:
                b = base._data
        else:
            b = self._storage
            if b is None:
                return 0
        data = self._data
        if type(b) is not np.ndarray:
            return (data.data.ptr - b.data.ptr) // data.itemsize
        return (data.__array_interface__["data"][0] - b.__array_interface__["data"][0]) // data.itemsize

    def data_ptr(self):
        data = self._data
        if not data.size:  # PyTorch: an empty tensor has no data (a null pointer)
            return 0
        if type(data) is np.ndarray:
            return data.__array_interface__["data"][0]
        return data.data.ptr

    def untyped_storage(self):
        base = self if self._base is None else self._base
        return _Storage(base)

    @property
    def _version(self):
        return self._version_counter[0]

    def _bump_version(self):
        self._version_counter[0] += 1

    # ---- autograd fields -----------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if self.grad_fn is not None and not value:
            raise RuntimeError(_LEAF_ONLY)
        if value and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad=True):
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(_LEAF_ONLY)
            return self
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def output_nr(self):
        return self._output_nr

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad:
            import warnings
            warnings.warn(_NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_CPP_NAMES[value.dtype]}' to a tensor with "
                    f"grad_dtype '{_LEGACY_NAMES[self.dtype][:-6]}'. The gradient must match the tensor's "
                    "grad_dtype (defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute "
                    "with a specific dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging "
                    "the dtypes of a tensor and its gradient may break downstream systems that assume they "
                    "match.")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '[{', '.join(map(str, value._data.shape))}]' to a "
                    f"tensor of size '[{', '.join(map(str, self._data.shape))}]'. Please ensure that the "
                    "gradient and the tensor are the same size")
            if value.device != self.device:
                raise RuntimeError("assigned grad has data located on a different device")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def retains_grad(self):
        return self._retains_grad

    def retain_grad(self):
        """Keep the gradient of this non-leaf tensor in `.grad` during backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        node = self.grad_fn
        retainers = node.__dict__.get("_retainers")
        if retainers is None:
            retainers = node._retainers = {}
        retainers[self._output_nr] = weakref.ref(self)

    def _edge(self):
        """(node, output_nr): where a gradient for this tensor goes in the graph."""
        if self.grad_fn is not None:
            return (self.grad_fn, self._output_nr)
        from .autograd.function import _grad_accumulator
        return (_grad_accumulator(self), 0)

    def register_hook(self, hook):
        """`hook(grad)` runs when this tensor's gradient is computed; it may return a new one."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from .autograd.function import _RemovableHandle
        if self.grad_fn is not None:
            node = self.grad_fn
            hooks = node.__dict__.get("_tensor_pre_hooks")
            if hooks is None:
                hooks = node._tensor_pre_hooks = []
            entry = (self._output_nr, hook)
        else:
            hooks = self._hooks
            if hooks is None:
                hooks = self._hooks = []
            entry = hook
        hooks.append(entry)
        return _RemovableHandle(hooks, entry)

    def register_post_accumulate_grad_hook(self, hook):
        """`hook(tensor)` runs after a gradient was accumulated into this leaf's `.grad`."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from .autograd.function import _RemovableHandle
        hooks = self._post_acc_hooks
        if hooks is None:
            hooks = self._post_acc_hooks = []
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute d(self)/d(leaf) for every leaf that requires grad and add it to `leaf.grad`."""
        from .autograd.engine import backward
        backward((self,), gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self):
        """The same values and memory (and version counter), cut off from the graph."""
        return _alias_of(self, self._data)

    def detach_(self):
        if self._base is not None:
            raise RuntimeError(_DETACH_VIEW)
        self.grad_fn = None
        self._requires_grad = False
        if "_output_nr" in self.__dict__:
            del self.__dict__["_output_nr"]
        return self

    @property
    def data(self):
        """The values without autograd: same memory, a version counter of its own."""
        t = _wrap(self._data)
        if self._base is not None or self._storage is not None:
            _share_storage(t, self)
        return t

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        self._data = value._data
        if self._storage is not None or self._layout is not None:
            self.__dict__.pop("_storage", None)
            self.__dict__.pop("_layout", None)
        if value._base is not None or value._storage is not None:
            _share_storage(self, value)

    def is_inference(self):
        return False

    def _is_view(self):
        return self._base is not None

    # ---- conversion ----------------------------------------------------------
    def item(self):
        data = self._data
        if data.size != 1:
            raise RuntimeError(f"a Tensor with {data.size} elements cannot be converted to Scalar")
        return data.item()

    def tolist(self):
        return _cpu_array(self._data).tolist()

    def numpy(self, *, force=False):
        if type(self._data) is not np.ndarray:
            if not force:
                raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() "
                                "to copy the tensor to host memory first.")
            return self._data.get()
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               "instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        array = _cpu_array(self._data)
        return array if dtype is None else array.astype(dtype, copy=False)

    # NumPy's operators defer to Tensor's (`np.float64(2) * t` is a Tensor of t's dtype), and
    # what NumPy computes from a Tensor comes back as one (`np.sin(t)`, `t + array`): PyTorch's
    # value and behaviour, bool results included (uint8).
    __array_priority__ = 1000

    def __array_wrap__(self, array, context=None, return_scalar=False):
        if array.dtype == np.bool_:
            array = array.astype(np.uint8)
        from .ops.creation import from_numpy
        return from_numpy(np.asarray(array))

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        unbind = getattr(self, "unbind", None)
        if unbind is None:
            return (self[i] for i in range(self._data.shape[0]))
        items = unbind(0)
        if items and isinstance(items[0]._data, np.generic):  # keep 0-d results arrays
            for t in items:
                t._data = np.asarray(t._data)
        return iter(items)

    def __bool__(self):
        n = self._data.size
        if n != 1:
            raise RuntimeError("Boolean value of Tensor with "
                               f"{'no values' if n == 0 else 'more than one value'} is ambiguous")
        return bool(self._data.item())

    def _scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.item()

    def __float__(self):
        if self._requires_grad:
            _warn_scalar_once()
        return float(self._scalar())

    def __int__(self):
        return int(self._scalar())

    def __complex__(self):
        return complex(self._scalar())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.item())

    def __hash__(self):
        return id(self)

    def __reduce_ex__(self, protocol):
        from .serialization import _reduce_tensor
        return _reduce_tensor(self)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment.  If you were attempting to deepcopy a "
                               "module, this may be because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        import copy
        new = _new(type(self))
        Tensor._init_from(new, self._data.copy(), self._requires_grad)
        memo[id(self)] = new
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        for k, v in self.__dict__.items():
            if k not in _INTERNAL_KEYS:
                new.__dict__[k] = copy.deepcopy(v, memo)
        return new

    def __repr__(self, *, tensor_contents=None):
        from ._tensor_str import tensor_repr
        return tensor_repr(self, tensor_contents=tensor_contents)

    def __format__(self, spec):
        if self._data.ndim == 0 and type(self) is Tensor:
            return self._data.item().__format__(spec)
        return object.__format__(self, spec)

    def type(self, dtype=None, non_blocking=False, **kwargs):
        if dtype is None:
            prefix = "torch." if self.device.type == "cpu" else "torch.cuda."
            return prefix + _LEGACY_NAMES[self.dtype]
        if isinstance(dtype, str):
            # a legacy type name also says where: "torch.cuda.FloatTensor" is on the GPU
            device = "cuda" if dtype.startswith("torch.cuda.") else "cpu"
            return self.to(_LEGACY_BY_NAME[dtype.replace("torch.cuda.", "torch.")], device=device)
        if isinstance(dtype, type) and isinstance(getattr(dtype, "dtype", None), _dtypes.dtype):
            return self.to(dtype.dtype, device="cuda" if dtype.is_cuda else "cpu")  # torch.cuda.FloatTensor
        return self.to(dtype)


_LEGACY_NAMES = {
    _dtypes.float32: "FloatTensor", _dtypes.float64: "DoubleTensor", _dtypes.float16: "HalfTensor",
    _dtypes.int64: "LongTensor", _dtypes.int32: "IntTensor", _dtypes.int16: "ShortTensor",
    _dtypes.int8: "CharTensor", _dtypes.uint8: "ByteTensor", _dtypes.bool: "BoolTensor",
}
_LEGACY_BY_NAME = {"torch." + v: k for k, v in _LEGACY_NAMES.items()}
# C++ type names, as PyTorch's messages spell them
_CPP_NAMES = {
    _dtypes.float32: "float", _dtypes.float64: "double", _dtypes.float16: "c10::Half", _dtypes.int64: "long int",
    _dtypes.int32: "int", _dtypes.int16: "short int", _dtypes.int8: "signed char", _dtypes.uint8: "unsigned char",
    _dtypes.bool: "bool",
}


_scalar_warned = []


def _warn_scalar_once():
    if not _scalar_warned:
        _scalar_warned.append(True)
        import warnings
        warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                      "Consider using tensor.detach() first. (Triggered internally at "
                      "/__w/pytorch/pytorch/torch/csrc/autograd/generated/python_variable_methods.cpp:822.)",
                      UserWarning, stacklevel=3)


def _contiguous_strides(shape):
    strides = []
    acc = 1
    for s in reversed(shape):
        strides.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(strides))


def _cpu_array(array):
    return array if type(array) is np.ndarray else array.get()


class _Storage:
    """A minimal `untyped_storage()`: enough to compare data pointers and sizes."""

    def __init__(self, base):
        self._base = base

    def data_ptr(self):
        return self._base.data_ptr()

    def nbytes(self):
        return self._base._data.nbytes

    def size(self):
        return self._base._data.nbytes

    def __len__(self):
        return self._base._data.nbytes

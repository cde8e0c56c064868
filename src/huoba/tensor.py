"""Tensor: one backend array plus the fields autograd needs.

A Tensor holds `_data` (a NumPy or CuPy array: values, shape, dtype and memory),
`requires_grad`, `grad`, and `grad_fn` (the graph node that produced it, None for
leaves).  Views share `_data`'s memory with their base and also its version
counter, which in-place ops bump so that autograd can notice a saved value was
overwritten.  Ops are attached as methods by `huoba.ops`; this file keeps only
what makes a tensor a tensor.
"""
import weakref

import numpy as np

from . import dtypes as _dtypes
from .device import CPU, device as _device_cls

__all__ = ["Tensor", "Size"]


class Size(tuple):
    """`torch.Size`: a tuple of ints that prints as `torch.Size([2, 3])`."""

    __slots__ = ()

    def __repr__(self):
        return f"torch.Size([{', '.join(str(s) for s in self)}])"

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, index):
        result = tuple.__getitem__(self, index)
        return Size(result) if isinstance(index, slice) else result

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __reduce__(self):
        return (Size, (tuple(self),))


def _wrap(array, requires_grad=False):
    """A new Tensor around `array` (no copy); the fast internal constructor."""
    t = object.__new__(Tensor)
    t._data = array
    t._requires_grad = requires_grad
    t._grad = None
    t.grad_fn = None
    t._output_nr = 0
    t._version_counter = [0]
    t._base = None
    t._hooks = None
    t._grad_accumulator = None
    return t


def _view_of(base, array):
    """A Tensor that views `base`'s memory: it shares base's version counter."""
    t = object.__new__(Tensor)
    t._data = array
    t._requires_grad = False
    t._grad = None
    t.grad_fn = None
    t._output_nr = 0
    t._version_counter = base._version_counter
    t._base = base if base._base is None else base._base
    t._hooks = None
    t._grad_accumulator = None
    return t


class Tensor:
    """A multi-dimensional array that can record the ops applied to it."""

    __slots__ = ("_data", "_requires_grad", "_grad", "grad_fn", "_output_nr", "_version_counter",
                 "_base", "_hooks", "_grad_accumulator", "__weakref__", "__dict__")

    # `torch.Tensor(...)` is a legacy constructor: sizes give an uninitialised
    # float tensor, a sequence gives its values as the default float dtype.
    def __new__(cls, *args, **kwargs):
        from .ops.creation import _legacy_new
        data = _legacy_new(_dtypes.get_default_dtype(), args, kwargs.get("device"))
        if cls is Tensor:
            return _wrap(data)
        t = object.__new__(cls)
        Tensor._init_from(t, data)
        return t

    def __init__(self, *args, **kwargs):
        pass

    @staticmethod
    def _init_from(t, array, requires_grad=False):
        t._data = array
        t._requires_grad = requires_grad
        t._grad = None
        t.grad_fn = None
        t._output_nr = 0
        t._version_counter = [0]
        t._base = None
        t._hooks = None
        t._grad_accumulator = None

    # ---- metadata ------------------------------------------------------------
    @property
    def dtype(self):
        return _dtypes._FROM_NUMPY[self._data.dtype]

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[self._wrap_dim(dim)]

    def _wrap_dim(self, dim):
        n = self._data.ndim
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
        item = self._data.itemsize
        strides = tuple(s // item for s in self._data.strides)
        if self._data.size <= 1 or 0 in self._data.shape:
            strides = _contiguous_strides(self._data.shape)
        return strides if dim is None else strides[self._wrap_dim(dim)]

    def storage_offset(self):
        base = self._base
        if base is None:
            return 0
        b = base._data
        if type(b) is not np.ndarray:
            return (self._data.data.ptr - b.data.ptr) // self._data.itemsize
        return (self._data.__array_interface__["data"][0] - b.__array_interface__["data"][0]) // self._data.itemsize

    def data_ptr(self):
        if type(self._data) is np.ndarray:
            return self._data.__array_interface__["data"][0]
        return self._data.data.ptr

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
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad=True):
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None and not self.retains_grad and self._requires_grad:
            import warnings
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
                "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
                "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
                "instead. See github.com/pytorch/pytorch/pull/30531 for more informations.", UserWarning,
                stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value.dtype != self.dtype:
                raise RuntimeError("assigned grad has data of a different type")
            if value.shape != self.shape:
                raise RuntimeError("assigned grad has data of a different size")
        self._grad = value

    @property
    def retains_grad(self):
        return bool(self.__dict__.get("_retains_grad"))

    def retain_grad(self):
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None and not self.retains_grad:
            self.__dict__["_retains_grad"] = True
            retainers = self.grad_fn.__dict__.setdefault("_retainers", {})
            retainers[self._output_nr] = weakref.ref(self)

    def _edge(self):
        """(node, output_nr): where a gradient for this tensor goes in the graph."""
        if self.grad_fn is not None:
            return (self.grad_fn, self._output_nr)
        acc = self._grad_accumulator() if self._grad_accumulator is not None else None
        if acc is None:
            from .autograd.function import AccumulateGrad
            acc = AccumulateGrad(self)
            self._grad_accumulator = weakref.ref(acc)
        return (acc, 0)

    def register_hook(self, hook):
        """`hook(grad)` runs when this tensor's gradient is computed; it may return a new one."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from .autograd.function import _RemovableHandle
        if self.grad_fn is not None:
            hooks = self.grad_fn.__dict__.setdefault("_tensor_pre_hooks", {}).setdefault(self._output_nr, [])
        else:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute d(self)/d(leaf) for every leaf that requires grad and add it to `leaf.grad`."""
        from .autograd.engine import backward
        backward((self,), None if gradient is None else (gradient,), retain_graph, create_graph,
                 inputs=inputs)

    def detach(self):
        """The same values and memory, cut off from the graph."""
        return _view_of(self, self._data)

    def detach_(self):
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self):
        t = _wrap(self._data)
        return t

    @data.setter
    def data(self, value):
        self._data = value._data

    # ---- conversion ----------------------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return _cpu_array(self._data).tolist()

    def numpy(self, *, force=False):
        if type(self._data) is not np.ndarray:
            raise TypeError("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy "
                            "the tensor to host memory first.")
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               "instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        array = _cpu_array(self._data)
        return array if dtype is None else array.astype(dtype, copy=False)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()).item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    def __hash__(self):
        return id(self)

    def __reduce_ex__(self, protocol):
        from .serialization import _reduce_tensor
        return _reduce_tensor(self)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment.  If you were attempting to deepcopy a "
                               "module, this may be because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        new = object.__new__(type(self))
        Tensor._init_from(new, self._data.copy(), self._requires_grad)
        import copy
        for k, v in self.__dict__.items():
            new.__dict__[k] = copy.deepcopy(v, memo)
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = new
        return new

    def __repr__(self, *, tensor_contents=None):
        from ._tensor_str import tensor_repr
        return tensor_repr(self, tensor_contents=tensor_contents)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def type(self, dtype=None, non_blocking=False, **kwargs):
        if dtype is None:
            prefix = "torch." if self.device.type == "cpu" else "torch.cuda."
            return prefix + _LEGACY_NAMES[self.dtype]
        if isinstance(dtype, str):
            dtype = _LEGACY_BY_NAME[dtype.replace("torch.cuda.", "torch.")]
        return self.to(dtype)


_LEGACY_NAMES = {
    _dtypes.float32: "FloatTensor", _dtypes.float64: "DoubleTensor", _dtypes.float16: "HalfTensor",
    _dtypes.int64: "LongTensor", _dtypes.int32: "IntTensor", _dtypes.int16: "ShortTensor",
    _dtypes.int8: "CharTensor", _dtypes.uint8: "ByteTensor", _dtypes.bool: "BoolTensor",
}
_LEGACY_BY_NAME = {"torch." + v: k for k, v in _LEGACY_NAMES.items()}


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

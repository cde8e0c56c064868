"""Factories: tensor, zeros, ones, arange, rand, randn, ... and their *_like / new_* forms."""
import math
import warnings

import numpy as np

from .. import dtypes, random as _random
from .._backend import module_for, to_device, array_module
from ..device import CPU, device as _device
from ..tensor import Tensor, _wrap
from ._util import as_shape

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "empty", "full", "arange", "range",
           "linspace", "logspace", "eye", "rand", "randn", "randint", "randperm", "normal", "zeros_like",
           "ones_like", "empty_like", "full_like", "rand_like", "randn_like", "randint_like", "scalar_tensor",
           "empty_strided", "bernoulli", "multinomial", "tril_indices", "triu_indices"]

_builtin_range = range


def _resolve(dtype, device):
    """(huoba dtype or None, device object)."""
    if device is None:
        dev = CPU
    elif isinstance(device, _device):
        dev = device
    else:
        dev = _device(device)
    if dtype is not None and not isinstance(dtype, dtypes.dtype):
        if dtype in (float,):
            dtype = dtypes.float64
        elif dtype in (int,):
            dtype = dtypes.int64
        elif dtype in (bool,):
            dtype = dtypes.bool
        else:
            raise TypeError(f"dtype must be a torch.dtype, got {dtype!r}")
    return dtype, dev


def _finish(array, dev, requires_grad):
    if dev.type != "cpu":
        array = to_device(array, dev)
    t = _wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_dtype(data):
    """The dtype torch.tensor() gives nested Python data (bool < int < float)."""
    category = -1
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, Tensor):
            d = x.dtype
            category = max(category, 3 + dtypes.ALL.index(d) if not d.is_floating_point else 10)
        elif isinstance(x, (bool, np.bool_)):
            category = max(category, 0)
        elif isinstance(x, (int, np.integer)):
            category = max(category, 1)
        elif isinstance(x, (float, np.floating)):
            category = max(category, 2)
        elif isinstance(x, np.ndarray):
            stack.append(_wrap(x) if x.dtype in dtypes._FROM_NUMPY else x.tolist())
        else:
            raise TypeError(f"Could not infer dtype of {type(x).__name__}")
    if category in (-1, 2, 10):
        return dtypes.get_default_dtype()
    if category == 0:
        return dtypes.bool
    return dtypes.int64


def _to_nested(data):
    if isinstance(data, Tensor):
        return data._data if type(data._data) is np.ndarray else data._data.get()
    if isinstance(data, (list, tuple)):
        return [_to_nested(x) for x in data]
    return data


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of `data` (nested lists, scalars, arrays or tensors)."""
    dtype, dev = _resolve(dtype, device)
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
                      "or sourceTensor.detach().clone().requires_grad_(True), rather than "
                      "torch.tensor(sourceTensor).", UserWarning, stacklevel=2)
        array = data._data if type(data._data) is np.ndarray else data._data.get()
        array = array.astype((dtype or data.dtype).np, copy=True)
    elif isinstance(data, np.ndarray):
        src = dtypes.from_numpy_dtype(data.dtype)
        array = np.array(data, dtype=(dtype or src).np, copy=True)
    else:
        if isinstance(data, (str, bytes)) or data is None:
            raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
        inferred = _infer_dtype(data)
        nested = _to_nested(data)
        try:
            array = np.array(nested, dtype=(dtype or inferred).np)
        except ValueError as err:
            if "inhomogeneous" in str(err) or "sequence" in str(err):
                raise ValueError(f"expected sequence of length {_first_len(nested)} at dim 1 (got "
                                 f"{_other_len(nested)})") from None
            raise
        except OverflowError:
            raise RuntimeError(f"value cannot be converted to type {(dtype or inferred).name} without "
                               "overflow") from None
    return _finish(array, dev, requires_grad)


def _first_len(nested):
    try:
        return len(nested[0])
    except TypeError:
        return 0


def _other_len(nested):
    first = _first_len(nested)
    for x in nested[1:]:
        n = len(x) if isinstance(x, (list, tuple)) else 0
        if n != first:
            return n
    return first


def as_tensor(data, dtype=None, device=None):
    """Like `tensor`, but shares memory with a NumPy array or Tensor when it can."""
    dtype, dev = _resolve(dtype, device)
    if isinstance(data, Tensor):
        if (dtype is None or dtype == data.dtype) and (device is None or data.device == dev):
            return data
        return data.to(dtype=dtype or data.dtype, device=dev)
    if isinstance(data, np.ndarray) and data.dtype in dtypes._FROM_NUMPY:
        if dtype is None or dtype.np == data.dtype:
            return _finish(data, dev, False)
        return _finish(data.astype(dtype.np), dev, False)
    return tensor(data, dtype=dtype, device=dev)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    if copy:
        return tensor(obj, dtype=dtype, device=device, requires_grad=requires_grad)
    t = as_tensor(obj, dtype=dtype, device=device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(array):
    """A tensor that shares memory with `array`: changes to either show in both."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtypes.from_numpy_dtype(array.dtype)
    if any(s < 0 for s in array.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors with negative "
                         "strides are not currently supported. (You can probably work around this by making a "
                         "copy of your array  with array.copy().) ")
    return _wrap(array)


def _fill(size, value, dtype, device, requires_grad, name):
    shape = as_shape(size)
    dtype, dev = _resolve(dtype, device)
    if dtype is None:
        dtype = dtypes.get_default_dtype() if name != "full" else dtypes.scalar_dtype(value)
    xp = module_for(dev)
    if value == 0:
        array = xp.zeros(shape, dtype.np)
    elif value is None:
        array = xp.empty(shape, dtype.np)
    else:
        array = xp.full(shape, value, dtype.np)
    return _finish(array, dev, requires_grad)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    t = _fill(size, 0, dtype, device, requires_grad, "zeros")
    return _into(out, t)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    return _into(out, _fill(size, 1, dtype, device, requires_grad, "ones"))


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None):
    # zero-filled rather than garbage: same cost with NumPy, and reproducible
    return _into(out, _fill(size, 0, dtype, device, requires_grad, "empty"))


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    return _fill((tuple(size),), 0, dtype, device, requires_grad, "empty")


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _into(out, _fill((size,) if isinstance(size, int) else (tuple(size),), fill_value, dtype, device,
                            requires_grad, "full"))


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    return tensor(float(s) if dtype is None else s, dtype=dtype, device=device, requires_grad=requires_grad)


def _into(out, t):
    if out is None:
        return t
    out.resize_(t.shape) if out.shape != t.shape else None
    out._data[...] = t._data
    out._bump_version()
    return out


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"upper bound and larger bound inconsistent with step sign")
    dtype, dev = _resolve(dtype, device)
    if dtype is None:
        is_float = any(isinstance(v, (float, np.floating)) for v in vals)
        dtype = dtypes.get_default_dtype() if is_float else dtypes.int64
    n = max(int(math.ceil((end - start) / step)), 0)
    if dtype.is_floating_point:
        # PyTorch computes start + i * step in double, then rounds to the dtype
        array = (start + np.arange(n, dtype=np.float64) * step).astype(dtype.np)
    else:
        array = (start + np.arange(n, dtype=np.int64) * int(step)).astype(dtype.np) if all(
            isinstance(v, (int, np.integer)) for v in vals) else np.floor(
            start + np.arange(n, dtype=np.float64) * step).astype(dtype.np)
    return _into(out, _finish(array, dev, requires_grad))


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior "
                  "is inconsistent with Python's range builtin. Instead, use torch.arange, which produces "
                  "values in [start, end).", UserWarning, stacklevel=2)
    if end is None:
        start, end = 0, start
    dtype, dev = _resolve(dtype, device)
    dtype = dtype or dtypes.get_default_dtype()
    n = int(math.floor((end - start) / step)) + 1
    return _finish((start + np.arange(n) * step).astype(dtype.np), dev, requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype, dev = _resolve(dtype, device)
    dtype = dtype or dtypes.get_default_dtype()
    start = start.item() if isinstance(start, Tensor) else start
    end = end.item() if isinstance(end, Tensor) else end
    # PyTorch fills the first half forward from start and the second half backward from end
    if steps == 1:
        values = np.array([start], dtype=np.float64)
    else:
        step = (end - start) / (steps - 1)
        idx = np.arange(steps, dtype=np.float64)
        half = steps // 2
        values = np.where(idx < half, start + idx * step, end - (steps - 1 - idx) * step)
    if dtype.is_floating_point:
        values = values.astype(dtype.np)
    else:
        values = np.trunc(values).astype(dtype.np)
    return _into(out, _finish(values, dev, requires_grad))


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    dtype, dev = _resolve(dtype, device)
    dtype = dtype or dtypes.get_default_dtype()
    exps = linspace(start, end, steps, dtype=dtypes.float64)._data
    return _finish(np.power(base, exps).astype(dtype.np), dev, requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    dtype, dev = _resolve(dtype, device)
    dtype = dtype or dtypes.get_default_dtype()
    return _into(out, _finish(np.eye(n, n if m is None else m, dtype=dtype.np), dev, requires_grad))


def _float_dtype(dtype, name):
    dtype = dtype or dtypes.get_default_dtype()
    if not dtype.is_floating_point:
        raise NotImplementedError(f"\"{name}\" not implemented for '{_type_label(dtype)}'")
    return dtype


def _type_label(dtype):
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool", "float32": "Float", "float64": "Double", "float16": "Half"}[dtype.name]


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    shape = as_shape(size)
    dtype, dev = _resolve(dtype, device)
    dtype = _float_dtype(dtype, "check_uniform_bounds")
    return _into(out, _finish(_random.uniform(shape, dtype, 0.0, 1.0, generator=generator), dev, requires_grad))


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    shape = as_shape(size)
    dtype, dev = _resolve(dtype, device)
    dtype = _float_dtype(dtype, "normal_kernel_cpu")
    return _into(out, _finish(_random.normal(shape, dtype, 0.0, 1.0, generator=generator), dev, requires_grad))


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False):
    if size is None:
        # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        raise TypeError("randint() missing required argument 'size'")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dtype, dev = _resolve(dtype, device)
    dtype = dtype or dtypes.int64
    shape = as_shape((size,)) if not isinstance(size, int) else (size,)
    return _into(out, _finish(_random.randint(low, high, shape, dtype, generator=generator), dev, requires_grad))


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    dtype, dev = _resolve(dtype, device)
    dtype = dtype or dtypes.int64
    return _into(out, _finish(_random.randperm(n, dtype, generator=generator), dev, requires_grad))


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    """`normal(mean, std, size)` with floats, or element-wise with tensor mean/std."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        if np.any(np.asarray(s) < 0):
            raise RuntimeError(f"normal expects all elements of std >= 0.0")
        array = _random.normal(shape, ref.dtype, m, s, generator=generator)
        return _into(out, _wrap(array))
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    if size is None:
        raise TypeError("normal() missing required argument 'size'")
    dtype, dev = _resolve(dtype, device)
    dtype = _float_dtype(dtype, "normal_kernel_cpu")
    return _into(out, _finish(_random.normal(as_shape((size,)), dtype, mean, std, generator=generator), dev,
                              requires_grad))


def bernoulli(input, p=None, *, generator=None, out=None):
    probs = input._data if p is None else p
    array = _random.bernoulli(probs, input._data.shape, input.dtype, generator=generator)
    return _into(out, _wrap(array))


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    if not replacement and num_samples > input.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    array = _random.multinomial(input._data, num_samples, replacement, generator=generator)
    return _into(out, _wrap(array))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    r, c = np.tril_indices(row, offset, col)
    return _wrap(np.stack([r, c]).astype((dtype or dtypes.int64).np))


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    r, c = np.triu_indices(row, offset, col)
    return _wrap(np.stack([r, c]).astype((dtype or dtypes.int64).np))


# ---- *_like ------------------------------------------------------------------
def _like(input, dtype, device):
    return (dtype or input.dtype), (device or input.device)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device)
    return zeros(input.shape, dtype=d, device=dev, requires_grad=requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device)
    return ones(input.shape, dtype=d, device=dev, requires_grad=requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device)
    return empty(input.shape, dtype=d, device=dev, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    d, dev = _like(input, dtype, device)
    return full(input.shape, fill_value, dtype=d, device=dev, requires_grad=requires_grad)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device)
    return rand(input.shape, dtype=d, device=dev, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device)
    return randn(input.shape, dtype=d, device=dev, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None):
    if high is None:
        low, high = 0, low
    d, dev = _like(input, dtype, device)
    return randint(low, high, input.shape, dtype=d, device=dev, requires_grad=requires_grad)


# ---- Tensor.new_* --------------------------------------------------------------
def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    return zeros(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    return ones(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    return empty(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                requires_grad=requires_grad)


# ---- legacy constructors: torch.FloatTensor(2, 3), torch.LongTensor([1, 2]) --------
def _legacy_new(dtype, args, device=None):
    """The array behind `torch.Tensor(*args)` / `torch.FloatTensor(*args)`."""
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        data = args[0]
        if isinstance(data, Tensor):
            return data._data.astype(dtype.np, copy=False)
        if isinstance(data, np.ndarray):
            return data.astype(dtype.np)
        if isinstance(data, tuple) and all(isinstance(s, int) for s in data) and False:
            pass
        return np.array(_to_nested(data), dtype=dtype.np)
    shape = as_shape(args) if args else (0,)
    return np.zeros(shape, dtype.np)


def _legacy_class(name, dtype):
    class _Meta(type):
        def __instancecheck__(cls, obj):
            return isinstance(obj, Tensor) and obj.dtype == dtype and obj.device.type == "cpu"

    def __new__(cls, *args, **kwargs):
        return _wrap(_legacy_new(dtype, args))

    return _Meta(name, (), {"__new__": __new__, "dtype": dtype, "is_cuda": False})


FloatTensor = _legacy_class("FloatTensor", dtypes.float32)
DoubleTensor = _legacy_class("DoubleTensor", dtypes.float64)
HalfTensor = _legacy_class("HalfTensor", dtypes.float16)
LongTensor = _legacy_class("LongTensor", dtypes.int64)
IntTensor = _legacy_class("IntTensor", dtypes.int32)
ShortTensor = _legacy_class("ShortTensor", dtypes.int16)
CharTensor = _legacy_class("CharTensor", dtypes.int8)
ByteTensor = _legacy_class("ByteTensor", dtypes.uint8)
BoolTensor = _legacy_class("BoolTensor", dtypes.bool)

methods = dict(new_tensor=new_tensor, new_zeros=new_zeros, new_ones=new_ones, new_empty=new_empty,
               new_full=new_full)

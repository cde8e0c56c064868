"""Factories: tensor, zeros, ones, arange, rand, randn, ... and their *_like / new_* forms."""
import math
import warnings

import numpy as np

from .. import dtypes, random as _random
from .._backend import module_for, to_device, array_module
from ..device import CPU, device as _device
from ..tensor import Tensor, _wrap

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "empty", "full", "arange", "range",
           "linspace", "logspace", "eye", "rand", "randn", "randint", "randperm", "normal", "zeros_like",
           "ones_like", "empty_like", "full_like", "rand_like", "randn_like", "randint_like", "scalar_tensor",
           "empty_strided", "bernoulli", "multinomial", "tril_indices", "triu_indices"]

_builtin_range = range


def _resolve(dtype, device, fn="tensor"):
    """(huoba dtype or None, device object)."""
    if device is None:
        dev = CPU
    elif isinstance(device, _device):
        dev = device
    else:
        dev = _device(device)
    if dtype is not None and not isinstance(dtype, dtypes.dtype):
        if dtype is float:
            dtype = dtypes.float64
        elif dtype is int:
            dtype = dtypes.int64
        elif dtype is bool:
            dtype = dtypes.bool
        else:
            raise TypeError(f"{fn}(): argument 'dtype' must be torch.dtype, not {_typename(dtype)}")
    return dtype, dev


def _typename(value):
    t = type(value)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _gen(dev, generator):
    """The generator for random numbers on `dev`: a GPU draws from its own (see huoba.cuda)."""
    if generator is not None or dev.type == "cpu":
        return generator
    module_for(dev)  # PyTorch's error when there is no GPU
    from ..cuda import _generator_for
    return _generator_for(dev)


def _host(t):
    """A tensor argument of a sampler as a host array (the sampling runs on the CPU)."""
    data = t._data if isinstance(t, Tensor) else t
    return data if type(data) is np.ndarray or not hasattr(data, "get") else data.get()


def _finish(array, dev, requires_grad):
    if dev.type != "cpu":
        array = to_device(array, dev)
    t = _wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


# ---- torch.tensor: dtype inference and shape checks for nested Python data ---------------------
_SEQ = (list, tuple)


def _leaf_dtype(x):
    """The dtype PyTorch infers for one scalar of nested data."""
    t = type(x)
    if t is float:
        return dtypes._default_float
    if t is int:
        return dtypes.int64
    if t is bool:
        return dtypes.bool
    if isinstance(x, (np.generic, np.ndarray)) and x.dtype in dtypes._FROM_NUMPY:
        return dtypes._FROM_NUMPY[x.dtype]
    if isinstance(x, Tensor):
        return x.dtype
    if isinstance(x, bool):
        return dtypes.bool
    if isinstance(x, int):
        return dtypes.int64
    if isinstance(x, float):
        return dtypes._default_float
    if isinstance(x, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{t.__name__}'")
    raise RuntimeError(f"Could not infer dtype of {t.__name__}")


def _scan(data, types):
    """Collect the types of the leaves of nested lists (C-speed per list)."""
    kinds = set(map(type, data))
    if kinds and kinds <= {list, tuple}:
        for x in data:
            _scan(x, types)
    else:
        types |= kinds


def _infer(data):
    """(huoba dtype, needs_slow_path) for nested Python data."""
    types = set()
    _scan(data, types)
    if not types:
        return dtypes._default_float, False
    if types <= {int, float, bool}:
        if float in types:
            return dtypes._default_float, False
        return (dtypes.int64 if int in types else dtypes.bool), False
    # numpy scalars, tensors, mixtures with lists, other objects: element by element
    result = None
    slow = False
    for x in _leaves(data):
        if isinstance(x, _SEQ):
            slow = True  # ragged: a list where a number was expected (reported later)
            continue
        d = _leaf_dtype(x)
        result = d if result is None else dtypes._PROMOTE[result, d]
        if isinstance(x, Tensor):
            slow = True
    return (result or dtypes._default_float), True if slow else any(
        t not in (int, float, bool, list, tuple) for t in types)


def _leaves(data):
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, _SEQ):
            if x and all(isinstance(e, _SEQ) for e in x) or not x:
                stack.extend(x)
                continue
            for e in x:
                if isinstance(e, _SEQ):
                    stack.append(e)
                else:
                    yield e
        else:
            yield x


def _shape_of(data):
    shape = []
    x = data
    while isinstance(x, _SEQ):
        shape.append(len(x))
        if not x:
            break
        x = x[0]
    return shape


def _check_nested(data, shape, dim, dtype):
    """Walk nested data against `shape`, raising PyTorch's errors for ragged input."""
    if dim == len(shape):
        if isinstance(data, _SEQ):
            if dtype.is_floating_point:
                raise TypeError(f"must be real number, not {type(data).__name__}")
            raise TypeError(f"'{type(data).__name__}' object cannot be interpreted as an integer")
        if isinstance(data, Tensor) and data._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return
    if not isinstance(data, _SEQ):
        raise TypeError("not a sequence")
    if len(data) != shape[dim]:
        raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(data)})")
    for x in data:
        _check_nested(x, shape, dim + 1, dtype)


def _plain(data):
    """Nested data with Tensors and 0-d arrays replaced by Python numbers."""
    if isinstance(data, _SEQ):
        return [_plain(x) for x in data]
    if isinstance(data, Tensor):
        return data._data.item()
    return data


_INT_LIMITS = {d: (np.iinfo(d.np).min, np.iinfo(d.np).max) for d in
               (dtypes.uint8, dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64)}


def _check_int_range(values, dtype):
    """PyTorch refuses integers that do not fit the target dtype (unsigned ones may wrap from -max)."""
    lo, hi = _INT_LIMITS[dtype]
    if dtype is dtypes.uint8:
        lo = -hi
    if values.size and (values.min() < lo or values.max() > hi):
        raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")


def _check_numpy_scalars(data, target):
    """PyTorch refuses NumPy float (and, for integer dtypes, bool) scalars as integers."""
    for x in (data,) if not isinstance(data, _SEQ) else _leaves(data):
        # (numpy.float64 is a Python float, and accepted as one)
        if (isinstance(x, np.floating) and not isinstance(x, float)) or (
                isinstance(x, np.bool_) and target is not dtypes.bool):
            raise TypeError(f"'numpy.{type(x).__name__}' object cannot be interpreted as an integer")


def _from_python(data, dtype):
    """A NumPy array of nested Python data, with PyTorch's inference and errors."""
    inferred, slow = _infer(data)
    target = dtype or inferred
    if slow:
        shape = _shape_of(data)
        _check_nested(data, shape, 0, target)
        if target.np.kind in "iub":
            _check_numpy_scalars(data, target)
        data = _plain(data)
    if target.np.kind in "iu" and inferred is not dtypes._default_float and not inferred.is_floating_point:
        try:
            values = np.array(data, dtype=np.int64)
        except OverflowError:
            raise ValueError("Overflow when unpacking long long") from None
        except (ValueError, TypeError):
            _check_nested(data, _shape_of(data), 0, target)
            raise
        if target is not dtypes.int64:
            _check_int_range(values, target)
        return values.astype(target.np, copy=False)
    try:
        if target.np.kind in "iu":
            values = np.array(data, dtype=np.float64)
            if values.size and not np.isfinite(values).all():
                raise RuntimeError(f"value cannot be converted to type {target.name} without overflow")
            _check_int_range(values, target)
            return values.astype(target.np)
        return np.array(data, dtype=target.np)
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None
    except (ValueError, TypeError):
        _check_nested(data, _shape_of(data), 0, target)
        raise


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of `data` (nested lists, scalars, arrays or tensors)."""
    dtype, dev = _resolve(dtype, device)
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
                      "or sourceTensor.detach().clone().requires_grad_(True), rather than "
                      "torch.tensor(sourceTensor).", UserWarning, stacklevel=2)
        if device is None:  # PyTorch keeps the source tensor's device
            return _finish(data._data.astype((dtype or data.dtype).np, copy=True), data.device, requires_grad)
        array = data._data if type(data._data) is np.ndarray else data._data.get()
        array = array.astype((dtype or data.dtype).np, copy=True)
    elif isinstance(data, np.ndarray):
        src = dtypes.from_numpy_dtype(data.dtype)
        array = np.array(data, dtype=(dtype or src).np, copy=True)
    elif isinstance(data, _SEQ):
        array = _from_python(data, dtype)
    elif isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    elif isinstance(data, np.generic):
        if dtype is not None and dtype.np.kind in "iub":
            _check_numpy_scalars(data, dtype)
        array = np.array(data, dtype=(dtype or _leaf_dtype(data)).np)
    elif isinstance(data, (int, float)):
        array = _from_python([data], dtype).reshape(())
    elif hasattr(data, "__len__") and hasattr(data, "__getitem__"):  # range and other sequences
        array = _from_python(list(data), dtype)
    else:
        _leaf_dtype(data)  # raises PyTorch's error for the type
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    return _finish(array, dev, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like `tensor`, but shares memory with a NumPy array or Tensor when it can."""
    dtype, dev = _resolve(dtype, device, "as_tensor")
    if isinstance(data, Tensor):
        if (dtype is None or dtype is data.dtype) and (device is None or data.device == dev):
            return data
        return data.to(dtype=dtype or data.dtype, device=dev)
    if isinstance(data, np.ndarray) and data.dtype in dtypes._FROM_NUMPY:
        if dtype is None or dtype.np == data.dtype:
            return _finish(data, dev, False)
        return _finish(data.astype(dtype.np), dev, False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tensor(data, dtype=dtype, device=dev)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    if copy:
        return tensor(obj, dtype=dtype, device=device, requires_grad=requires_grad)
    t = as_tensor(obj, dtype=dtype, device=device)
    if requires_grad:
        t.requires_grad_(True)
    return t


_NUMPY_TYPES_MESSAGE = ("The only supported types are: float64, float32, float16, complex64, complex128, int64, "
                        "int32, int16, int8, uint64, uint32, uint16, uint8, and bool.")


def from_numpy(array):
    """A tensor that shares memory with `array`: changes to either show in both."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {_typename(array)})")
    if array.dtype not in dtypes._FROM_NUMPY:
        raise TypeError(f"can't convert np.ndarray of type numpy.{array.dtype.type.__name__}. "
                        + _NUMPY_TYPES_MESSAGE)
    if any(s < 0 for s in array.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors with negative "
                         "strides are not currently supported. (You can probably work around this by making a "
                         "copy of your array  with array.copy().) ")
    if not array.flags.writeable:
        warnings.warn("The given NumPy array is not writable, and PyTorch does not support non-writable tensors. "
                      "This means writing to this tensor will result in undefined behavior. You may want to copy "
                      "the array to protect its data or make it writable before converting it to a tensor. This "
                      "type of warning will be suppressed for the rest of this program.", UserWarning, stacklevel=2)
    return _wrap(array)


# ---- factories of a given size --------------------------------------------------------------------
def _parse_size(name, size):
    """f(2, 3), f((2, 3)), f([2, 3]), f(torch.Size([2, 3])) -> (2, 3), with PyTorch's errors."""
    if len(size) == 1 and isinstance(size[0], tuple):
        size = size[0]
        if not size:
            return ()
    for s in size:  # the fast path: plain non-negative ints
        if type(s) is not int or s < 0:
            break
    else:
        return size if type(size) is tuple else tuple(size)
    if len(size) == 1:
        s = size[0]
        if isinstance(s, (tuple, list)):
            seq = s
        elif _is_int(s):
            seq = (s,)
        else:
            raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, not {_typename(s)}")
    else:
        seq = size
    shape = []
    for i, s in enumerate(seq):
        if not _is_int(s):
            raise TypeError(f"{name}(): argument 'size' failed to unpack the object at pos {i + 1} with error "
                            f"\"type must be tuple of ints,but got {_typename(s)}\"")
        shape.append(int(s))
    for s in shape:
        if s < 0:
            if name == "zeros" and len(shape) == 1:
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: [{', '.join(map(str, shape))}]")
    return tuple(shape)


def _is_int(s):
    if isinstance(s, Tensor):
        return s._data.dtype.kind in "iu" and s._data.size == 1
    return isinstance(s, (int, np.integer)) and not isinstance(s, (bool, np.bool_))


def _filled(name, size, value, dtype, device, requires_grad, out=None):
    shape = _parse_size(name, size)
    dtype, dev = _resolve(dtype, device, name)
    if dtype is None:
        dtype = dtypes._default_float if out is None else out.dtype
    xp = module_for(dev)
    if value == 0:
        array = xp.zeros(shape, dtype.np)
    else:
        array = xp.full(shape, value, dtype.np)
    return _into(out, _finish(array, dev, requires_grad))


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    return _filled("zeros", size, 0, dtype, device, requires_grad, out)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    return _filled("ones", size, 1, dtype, device, requires_grad, out)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None):
    # zero-filled rather than garbage: the same cost with NumPy, and reproducible
    return _filled("empty", size, 0, dtype, device, requires_grad, out)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    return _filled("empty_strided", (tuple(size),), 0, dtype, device, requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {_typename(size)}")
    shape = _parse_size("full", (size,))
    dtype, dev = _resolve(dtype, device, "full")
    if isinstance(fill_value, Tensor):
        if dtype is None:
            dtype = fill_value.dtype
        fill_value = fill_value.item()
    if dtype is None:
        dtype = dtypes.scalar_dtype(fill_value)
    if dtype.np.kind in "iu" and isinstance(fill_value, float):
        fill_value = int(fill_value)
    array = module_for(dev).full(shape, fill_value, dtype.np)
    return _into(out, _finish(array, dev, requires_grad))


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    dtype, dev = _resolve(dtype, device, "scalar_tensor")
    dtype = dtype or dtypes._default_float
    return _finish(np.array(s, dtype=dtype.np), dev, requires_grad)


def _into(out, t):
    if out is None:
        return t
    if out._data.shape != t._data.shape:
        out._data = t._data.astype(out._data.dtype)
    else:
        out._data[...] = t._data
    out._bump_version()
    return out


def _number(v):
    return v.item() if isinstance(v, Tensor) else (v.item() if isinstance(v, np.generic) else v)


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    dtype, dev = _resolve(dtype, device, "arange")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = dtypes._default_float if is_float else dtypes.int64
    if dtype is dtypes.bool:
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    if not dtype.is_floating_point:
        # start and step are converted to the integer dtype first
        if int(step) == 0 and step != 0:
            raise ValueError("step must be nonzero")
        start, step = int(start), int(step)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end > start and step < 0) or (end < start and step > 0):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = max(int(math.ceil((end - start) / step)), 0)
    if dtype.is_floating_point:
        array = _arange_float(start, step, n, dtype.np)
    else:
        array = (start + np.arange(n, dtype=np.int64) * step).astype(dtype.np)
    return _into(out, _finish(array, dev, requires_grad))


# PyTorch's CPU arange kernel fills pairs of SIMD vectors (AVX2 widths below) from a base
# value plus k * step, and the tail element by element, with fused multiply-adds; the
# formulas round differently, so both are reproduced.
_VECTOR = {np.dtype(np.float32): 8, np.dtype(np.float64): 4, np.dtype(np.float16): 16}


def _fma(a, b, c):
    """a * b + c with a single rounding (float64 arrays; error-free product and sum)."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    total = p + c
    bv = total - p
    err = (p - (total - bv)) + (c - bv)
    return total + (err + e)


def _split(x):
    t = 134217729.0 * x
    hi = t - (t - x)
    return hi, x - hi


def _arange_float(start, step, n, np_dtype):
    """start + i * step as PyTorch's arange kernel computes it."""
    np_dtype = np.dtype(np_dtype)
    idx = np.arange(n, dtype=np.float64)
    start64, step64 = np.float64(start), np.float64(step)
    if np_dtype == np.float16:
        start64, step64 = np.float64(np.float32(start)), np.float64(np.float32(step))
    # the accumulation type: double, or float for float16
    acc = np.float32 if np_dtype == np.float16 else np.float64
    out = _fma(np.full(n, step64), idx, np.full(n, start64)).astype(acc).astype(np_dtype)
    width = _VECTOR[np_dtype]
    vec_end = n - n % (2 * width)
    if vec_end:
        k = idx[:vec_end] % width
        base = _fma(np.full(vec_end, step64), idx[:vec_end] - k, np.full(vec_end, start64)).astype(acc)
        base = base.astype(np_dtype).astype(np.float64)
        out[:vec_end] = _fma(k, np.full(vec_end, step64), base).astype(acc).astype(np_dtype)
    return out


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior "
                  "is inconsistent with Python's range builtin. Instead, use torch.arange, which produces "
                  "values in [start, end).", UserWarning, stacklevel=2)
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    dtype, dev = _resolve(dtype, device, "range")
    dtype = dtype or dtypes._default_float
    n = int(math.floor((end - start) / step)) + 1
    return _into(out, _finish((start + np.arange(n, dtype=np.float64) * step).astype(dtype.np), dev,
                              requires_grad))


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if not _is_int(steps):
        raise TypeError(f"linspace() received an invalid combination of arguments - got ({_typename(start)}, "
                        f"{_typename(end)}, {_typename(steps)})")
    steps = int(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype, dev = _resolve(dtype, device, "linspace")
    dtype = dtype or dtypes._default_float
    return _into(out, _finish(_linspace_array(_number(start), _number(end), steps, dtype), dev, requires_grad))


def _linspace_array(start, end, steps, dtype):
    """PyTorch's kernel: the first half counts up from start, the second half down from end,
    element by element in the dtype's arithmetic (double for integer dtypes), with fused
    multiply-adds (float16 rounds after every operation)."""
    np_dtype = dtype.np
    if steps == 0:
        return np.zeros(0, np_dtype)
    integral = not dtype.is_floating_point
    if integral:
        s = float(np.array(start).astype(np_dtype))
        e = float(np.array(end).astype(np_dtype))
    else:
        s, e = float(np_dtype.type(start)), float(np_dtype.type(end))
    if steps == 1:
        return np.array([start]).astype(np_dtype)
    idx = np.arange(steps, dtype=np.float64)
    halfway = steps // 2
    if np_dtype == np.float16:
        h = np.float16
        step = h(h(h(e) - h(s)) / h(steps - 1))
        up = h(s) + (step * idx.astype(h)).astype(h)
        down = h(e) - (step * (steps - idx - 1).astype(h)).astype(h)
        return np.where(idx < halfway, up, down).astype(np_dtype)
    if integral:
        step = (e - s) / (steps - 1)
    else:
        calc = np_dtype.type
        step = float(calc(calc(e) - calc(s)) / calc(steps - 1))
    n = np.full(steps, step)
    up = _fma(n, idx, np.full(steps, s))
    down = _fma(-n, steps - idx - 1, np.full(steps, e))
    values = np.where(idx < halfway, up, down)
    if integral:
        values = np.trunc(values)
    return values.astype(np_dtype)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    dtype, dev = _resolve(dtype, device, "logspace")
    dtype = dtype or dtypes._default_float
    exps = _linspace_array(_number(start), _number(end), int(steps), dtypes.float64)
    return _into(out, _finish(np.power(float(base), exps).astype(dtype.np), dev, requires_grad))


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    dtype, dev = _resolve(dtype, device, "eye")
    dtype = dtype or dtypes._default_float
    return _into(out, _finish(np.eye(n, n if m is None else m, dtype=dtype.np), dev, requires_grad))


def _float_dtype(dtype, name):
    dtype = dtype or dtypes.get_default_dtype()
    if not dtype.is_floating_point:
        raise NotImplementedError(f"\"{name}\" not implemented for '{_type_label(dtype)}'")
    return dtype


def _type_label(dtype):
    return dtypes.label(dtype)


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    shape = _parse_size("rand", size)
    dtype, dev = _resolve(dtype, device)
    dtype = _float_dtype(dtype, "check_uniform_bounds")
    return _into(out, _finish(_random.uniform(shape, dtype, 0.0, 1.0, generator=_gen(dev, generator)), dev,
                              requires_grad))


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    shape = _parse_size("randn", size)
    dtype, dev = _resolve(dtype, device)
    dtype = _float_dtype(dtype, "normal_kernel_cpu")
    return _into(out, _finish(_random.normal(shape, dtype, 0.0, 1.0, generator=_gen(dev, generator)), dev,
                              requires_grad))


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
    shape = _parse_size("randint", (size,))
    return _into(out, _finish(_random.randint(low, high, shape, dtype, generator=_gen(dev, generator)), dev,
                              requires_grad))


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    dtype, dev = _resolve(dtype, device)
    dtype = dtype or dtypes.int64
    return _into(out, _finish(_random.randperm(n, dtype, generator=_gen(dev, generator)), dev, requires_grad))


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    """`normal(mean, std, size)` with floats, or element-wise with tensor mean/std."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        m = _host(mean) if isinstance(mean, Tensor) else mean
        s = _host(std) if isinstance(std, Tensor) else std
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        if np.any(np.asarray(s) < 0):
            raise RuntimeError(f"normal expects all elements of std >= 0.0")
        array = _random.normal(shape, ref.dtype, m, s, generator=_gen(ref.device, generator))
        return _into(out, _finish(array, ref.device, False))
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    if size is None:
        raise TypeError("normal() missing required argument 'size'")
    dtype, dev = _resolve(dtype, device)
    dtype = _float_dtype(dtype, "normal_kernel_cpu")
    return _into(out, _finish(_random.normal(_parse_size("normal", (size,)), dtype, mean, std,
                                             generator=_gen(dev, generator)), dev, requires_grad))


def bernoulli(input, p=None, *, generator=None, out=None):
    probs = _host(input) if p is None else _host(p)
    array = _random.bernoulli(probs, input._data.shape, input.dtype, generator=_gen(input.device, generator))
    return _into(out, _finish(array, input.device, False))


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    if not replacement and num_samples > input.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    array = _random.multinomial(_host(input), num_samples, replacement, generator=_gen(input.device, generator))
    return _into(out, _finish(array, input.device, False))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    r, c = np.tril_indices(row, offset, col)
    return _wrap(np.stack([r, c]).astype((dtype or dtypes.int64).np))


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    r, c = np.triu_indices(row, offset, col)
    return _wrap(np.stack([r, c]).astype((dtype or dtypes.int64).np))


# ---- *_like ------------------------------------------------------------------
def _like(input, dtype, device, name):
    dtype, dev = _resolve(dtype, device, name)
    return (dtype or input.dtype), (dev if device is not None else input.device)


def _like_filled(name, input, value, dtype, device, requires_grad):
    d, dev = _like(input, dtype, device, name)
    data = input._data
    if dev == input.device:
        xp = array_module(data)
        # the new tensor keeps input's layout (PyTorch's preserve_format) when it is dense
        order = "K" if _dense(data) else "C"
        array = xp.zeros_like(data, dtype=d.np, order=order) if value == 0 else \
            xp.full_like(data, value, dtype=d.np, order=order)
        return _finish(array, dev, requires_grad)
    return full(tuple(input.shape), value, dtype=d, device=dev, requires_grad=requires_grad)


def _dense(a):
    from .shape import _dense as dense
    return dense(a)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like_filled("zeros_like", input, 0, dtype, device, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like_filled("ones_like", input, 1, dtype, device, requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like_filled("empty_like", input, 0, dtype, device, requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    d, dev = _like(input, dtype, device, "full_like")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if d.np.kind in "iu" and isinstance(fill_value, float):
        fill_value = int(fill_value)
    return _like_filled("full_like", input, fill_value, d, dev, requires_grad)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device, "rand_like")
    return rand(tuple(input.shape), dtype=d, device=dev, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device, "randn_like")
    return randn(tuple(input.shape), dtype=d, device=dev, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None):
    if high is None:
        low, high = 0, low
    d, dev = _like(input, dtype, device, "randint_like")
    return randint(low, high, tuple(input.shape), dtype=d, device=dev, requires_grad=requires_grad)


# ---- Tensor.new_* --------------------------------------------------------------
def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
                      "or sourceTensor.detach().clone().requires_grad_(True), rather than "
                      "tensor.new_tensor(sourceTensor).", UserWarning, stacklevel=2)
        return data.detach().to(dtype=dtype or data.dtype, device=device or self.device, copy=True).requires_grad_(
            requires_grad)
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    return _filled("new_zeros", size, 0, dtype or self.dtype, device or self.device, requires_grad)


def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    return _filled("new_ones", size, 1, dtype or self.dtype, device or self.device, requires_grad)


def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    return _filled("new_empty", size, 0, dtype or self.dtype, device or self.device, requires_grad)


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                requires_grad=requires_grad)


# ---- legacy constructors: torch.FloatTensor(2, 3), torch.LongTensor([1, 2]) --------
def _options(dtype):
    return (f"TensorOptions(dtype={dtypes.CPP_NAME[dtype.np]}, device=cpu, layout=Strided, requires_grad=false "
            "(default), pinned_memory=false (default), memory_format=(nullopt))")


def _legacy_new(dtype, args, device=None, strict=False):
    """The array behind `torch.Tensor(*args)` / `torch.FloatTensor(*args)`: sizes give a new
    (zeroed) tensor, one sequence gives its values, a tensor gives its own memory."""
    if len(args) == 1 and not _is_int(args[0]):
        data = args[0]
        if isinstance(data, Tensor):
            if strict and data.dtype is not dtype:
                raise TypeError(f"expected {_options(dtype)} (got {_options(data.dtype)})")
            return data._data
        if isinstance(data, np.ndarray):
            return data.astype(dtype.np)
        if isinstance(data, (tuple, list)) or hasattr(data, "__len__"):
            return _from_python(list(data), dtype)
        raise TypeError(f"new(): data must be a sequence (got {_typename(data)})")
    shape = _parse_size("new", args) if args else (0,)
    return np.zeros(shape, dtype.np)


def _legacy_class(name, dtype):
    class _Meta(type):
        def __instancecheck__(cls, obj):
            return isinstance(obj, Tensor) and obj._data.dtype == dtype.np and obj.device.type == "cpu"

        def __repr__(cls):
            return f"<class 'torch.{name}'>"

    def __new__(cls, *args, **kwargs):
        return _wrap(_legacy_new(dtype, args, strict=True))

    return _Meta(name, (), {"__new__": __new__, "dtype": dtype, "is_cuda": False, "__module__": "torch"})


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

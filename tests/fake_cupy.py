"""A test-only stand-in for CuPy: a fake CUDA device whose arrays live in host memory.

CI has no GPU, so this module lets every commit exercise huoba's `cuda` code
path: device bookkeeping, transfers, the `xp` backend switch and the errors for
mixing devices.  Arrays are `FakeCudaArray`s (an ndarray subclass tagged with a
device id) that, like real CuPy arrays, refuse silent conversion to NumPy and
refuse to be combined with NumPy arrays or arrays on another device.
"""
import contextlib
import sys
import types

import numpy as np

N_DEVICES = 2
_current = [0]


class _DeviceTag:
    def __init__(self, id):
        self.id = id

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class FakeCudaArray(np.ndarray):
    """An ndarray that pretends to live on GPU `_device_id`."""

    def __array_finalize__(self, obj):
        self._device_id = getattr(obj, "_device_id", _current[0])

    @property
    def device(self):
        return _DeviceTag(self._device_id)

    def get(self):
        return np.array(self.view(np.ndarray), copy=True)

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct "
                        "a NumPy array explicitly.")

    def _unwrap(self, x, dev):
        if isinstance(x, FakeCudaArray):
            if dev[0] is None:
                dev[0] = x._device_id
            elif x._device_id != dev[0]:
                raise ValueError(f"The device where the array resides ({x._device_id}) is different from the "
                                 f"current device ({dev[0]}).")
            return x.view(np.ndarray)
        if type(x) is np.ndarray and x.ndim > 0:
            raise TypeError(f"Unsupported type {type(x)}")
        if isinstance(x, (list, tuple)):
            return type(x)(self._unwrap(v, dev) for v in x)
        return x

    def _wrap(self, x, dev):
        if type(x) is np.ndarray:
            out = x.view(FakeCudaArray)
            out._device_id = dev
            return out
        if isinstance(x, np.generic):
            out = np.asarray(x).view(FakeCudaArray)
            out._device_id = dev
            return out
        if isinstance(x, tuple):
            return tuple(self._wrap(v, dev) for v in x)
        if isinstance(x, list):
            return [self._wrap(v, dev) for v in x]
        return x

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        dev = [None]
        args = [self._unwrap(x, dev) for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(self._unwrap(o, dev) for o in kwargs["out"])
        result = getattr(ufunc, method)(*args, **kwargs)
        if method == "at":
            return None
        return self._wrap(result, dev[0])

    def __array_function__(self, func, types_, args, kwargs):
        dev = [None]
        args = self._unwrap(list(args), dev)
        kwargs = {k: self._unwrap(v, dev) for k, v in kwargs.items()}
        return self._wrap(func(*args, **kwargs), dev[0])

    def __reduce__(self):
        return (_from_host, (self.get(), self._device_id))


def _from_host(array, device_id):
    out = np.array(array, copy=True).view(FakeCudaArray)
    out._device_id = device_id
    return out


def _to_device(x, dtype=None):
    if isinstance(x, FakeCudaArray):
        if x._device_id == _current[0]:
            return x if dtype is None else x.astype(dtype, copy=False)
        return _from_host(x.get() if dtype is None else x.get().astype(dtype), _current[0])
    arr = np.array(x, dtype=dtype, copy=True)
    return _from_host(arr, _current[0])


class Device:
    def __init__(self, device=None):
        self.id = _current[0] if device is None else int(device)
        self._prev = []

    def use(self):
        _current[0] = self.id

    def synchronize(self):
        pass

    def __enter__(self):
        self._prev.append(_current[0])
        _current[0] = self.id
        return self

    def __exit__(self, *exc):
        _current[0] = self._prev.pop()


class _Pool:
    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0

    def free_all_blocks(self):
        pass


def _make_module():
    cp = types.ModuleType("fake_cupy")
    cp.ndarray = FakeCudaArray
    cp.asarray = _to_device
    cp.array = _to_device
    cp.asnumpy = lambda x: x.get() if isinstance(x, FakeCudaArray) else np.asarray(x)
    cp.get_array_module = lambda *arrays: cp if any(isinstance(a, FakeCudaArray) for a in arrays) else np
    cp.get_default_memory_pool = lambda: _Pool()
    runtime = types.SimpleNamespace(
        getDeviceCount=lambda: N_DEVICES,
        getDeviceProperties=lambda i: {"name": b"Fake CUDA Device", "major": 8, "minor": 0,
                                       "totalGlobalMem": 16 * 1024 ** 3, "multiProcessorCount": 108})
    cp.cuda = types.SimpleNamespace(Device=Device, runtime=runtime, get_device_id=lambda: _current[0])

    def _creator(name):
        fn = getattr(np, name)

        def create(*args, **kwargs):
            return _from_host(fn(*args, **kwargs), _current[0])
        return create

    for name in ("zeros", "ones", "empty", "full", "arange", "eye", "zeros_like", "ones_like", "empty_like",
                 "full_like", "linspace", "indices"):
        setattr(cp, name, _creator(name))

    def as_strided(x, shape=None, strides=None):
        out = np.lib.stride_tricks.as_strided(x.view(np.ndarray), shape, strides)
        return out.view(FakeCudaArray)

    cp.lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(as_strided=as_strided))

    def __getattr__(name):
        attr = getattr(np, name)
        return attr
    cp.__getattr__ = __getattr__
    return cp


fake = _make_module()


def _make_cupyx():
    cupyx = types.ModuleType("cupyx")

    def scatter_add(a, index, values):
        np.add.at(a, index, values)
    cupyx.scatter_add = scatter_add
    scipy = types.ModuleType("cupyx.scipy")
    special = types.ModuleType("cupyx.scipy.special")
    import scipy.special as sps
    special.erf = sps.erf
    special.erfinv = sps.erfinv
    scipy.special = special
    cupyx.scipy = scipy
    return {"cupyx": cupyx, "cupyx.scipy": scipy, "cupyx.scipy.special": special}


@contextlib.contextmanager
def installed():
    """Within this context huoba sees a 2-GPU machine backed by host memory."""
    from huoba import _backend, cuda
    saved = (_backend._cupy, _backend._cupy_checked, cuda._current)
    saved_modules = {k: sys.modules.get(k) for k in ("cupyx", "cupyx.scipy", "cupyx.scipy.special")}
    _backend._cupy, _backend._cupy_checked = fake, True
    sys.modules.update(_make_cupyx())
    _current[0] = 0
    try:
        yield fake
    finally:
        _backend._cupy, _backend._cupy_checked, cuda._current = saved
        for k, v in saved_modules.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v

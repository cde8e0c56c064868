"""A test-only stand-in for CuPy: a fake CUDA device whose arrays live in host memory.

CI has no GPU, so this module lets every commit exercise huoba's `cuda` code
path: device bookkeeping, transfers, the `xp` backend switch and the errors for
mixing devices.  Arrays are `FakeCudaArray`s (an ndarray subclass tagged with a
device id) that behave like real CuPy arrays where huoba could go wrong:

* no silent conversion to NumPy (`np.asarray(x)` raises CuPy's TypeError; `.get()`
  copies to the host);
* a NumPy array (of any dimension, 0-d included) given to a ufunc or a function
  raises CuPy's "Unsupported type" TypeError; NumPy and Python scalars are fine;
* kernels run on the *current* device: an array that lives on another device, in a
  ufunc, a function, `astype`, `__setitem__`, ... raises CuPy's ValueError "The device
  where the array resides (1) is different from the current device (0)" (CuPy does
  that unless peer access is enabled); views (slicing, reshape, transpose) are free;
* creation functions (`zeros`, `asarray`, ...) and `copy()` allocate on the current
  device, as in CuPy;
* `cupy.random` is not provided: huoba draws its random numbers on the CPU.

`installed()` makes `huoba._backend.cupy()` return this module, with two devices.
"""
import contextlib
import sys
import types

import numpy as np

N_DEVICES = 2
_current = [0]


def _peer_error(array_dev, current):
    return ValueError(f"The device where the array resides ({array_dev}) is different from the current device "
                      f"({current}). Peer access is unavailable between these devices.")


class _DeviceTag:
    """What `array.device` returns (CuPy returns a `cupy.cuda.Device`)."""

    def __init__(self, id):
        self.id = id

    def __eq__(self, other):
        return isinstance(other, (_DeviceTag, Device)) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class _Memory:
    """CuPy's `Memory`: one allocation (here: the host array that owns the bytes)."""

    def __init__(self, owner, device_id):
        self.owner, self.device_id = owner, device_id
        self.ptr = owner.__array_interface__["data"][0]
        self.size = owner.nbytes


class _MemoryPointer:
    """CuPy's `MemoryPointer` (what `array.data` returns): an allocation and an offset in it
    (worked out on first use: huoba mostly reads `device_id`)."""

    __slots__ = ("_array", "_mem", "_offset", "device_id")

    def __init__(self, mem, offset, array=None, device_id=None):
        self._array, self._mem, self._offset = array, mem, offset
        self.device_id = mem.device_id if mem is not None else device_id

    def _resolve(self):
        if self._mem is None:
            a = self._array
            root = a
            while isinstance(root.base, np.ndarray):
                root = root.base
            owner = root.view(np.ndarray) if isinstance(root, FakeCudaArray) else root
            self._mem = _Memory(owner, self.device_id)
            self._offset = a.__array_interface__["data"][0] - self._mem.ptr
        return self._mem

    @property
    def mem(self):
        return self._resolve()

    @property
    def offset(self):
        self._resolve()
        return self._offset

    @property
    def ptr(self):
        return self.mem.ptr + self._offset

    def __add__(self, offset):
        return _MemoryPointer(self.mem, self._offset + offset)

    @property
    def device(self):
        return _DeviceTag(self.device_id)


class _Flags:
    """CuPy's `ndarray.flags`: c_contiguous, f_contiguous and owndata only."""

    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, c, f, own):
        self.c_contiguous, self.f_contiguous, self.owndata = c, f, own

    def __getitem__(self, name):
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous,
                "OWNDATA": self.owndata}[name]


class FakeCudaArray(np.ndarray):
    """An ndarray that pretends to live on GPU `_device_id`."""

    def __array_finalize__(self, obj):
        dev = getattr(obj, "_device_id", None)
        if dev is None:
            self._device_id = _current[0]
            return
        self._device_id = dev
        # a new buffer computed from an array of another device: a kernel on the current device
        if dev != _current[0] and self.base is None:
            raise _peer_error(dev, _current[0])

    @property
    def device(self):
        return _DeviceTag(self._device_id)

    @property
    def flags(self):
        # CuPy's flags: no `writeable` (device memory always is)
        f = np.ndarray.flags.__get__(self)
        return _Flags(f.c_contiguous, f.f_contiguous, f.owndata)

    def __new__(cls, shape, dtype=float, memptr=None, strides=None, order="C"):
        """`cupy.ndarray(shape, dtype, memptr=..., strides=...)`: a view of existing device memory
        (or a new allocation on the current device)."""
        if memptr is None:
            out = np.ndarray(shape, dtype, order=order).view(cls)
            out._device_id = _current[0]
            return out
        out = np.ndarray(shape, dtype, buffer=memptr.mem.owner, offset=memptr.offset, strides=strides)
        out = out.view(cls)
        out._device_id = memptr.device_id
        return out

    @property
    def data(self):
        return _MemoryPointer(None, None, self, self._device_id)

    def get(self, stream=None, order="C", out=None):
        return np.array(self.view(np.ndarray), copy=True, order=order)

    def copy(self, order="C"):
        # CuPy copies into the current device, even from another device
        out = np.array(self.view(np.ndarray), copy=True, order=order).view(FakeCudaArray)
        out._device_id = _current[0]
        return out

    def __deepcopy__(self, memo):
        with Device(self._device_id):
            return self.copy()

    # methods NumPy implements in C that hand back NumPy scalars or plain arrays; CuPy's give
    # arrays on the device
    def argmax(self, *args, **kwargs):
        return self._method("argmax", args, kwargs)

    def argmin(self, *args, **kwargs):
        return self._method("argmin", args, kwargs)

    def nonzero(self):
        return self._method("nonzero", (), {})

    def _method(self, name, args, kwargs):
        if self._device_id != _current[0]:
            raise _peer_error(self._device_id, _current[0])
        return self._wrap(getattr(self.view(np.ndarray), name)(*args, **kwargs), self._device_id)

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct "
                        "a NumPy array explicitly.")

    def __setitem__(self, key, value):
        if self._device_id != _current[0]:
            raise _peer_error(self._device_id, _current[0])
        if isinstance(value, FakeCudaArray):
            if value._device_id != _current[0]:
                raise _peer_error(value._device_id, _current[0])
            value = value.view(np.ndarray)
        elif type(value) is np.ndarray:
            raise TypeError(f"Unsupported type {type(value)}")
        np.ndarray.__setitem__(self.view(np.ndarray), _host_index(key), value)

    def __getitem__(self, key):
        out = np.ndarray.__getitem__(self, _host_index(key))
        if isinstance(out, np.generic):  # CuPy gives a 0-d array, not a NumPy scalar
            return FakeCudaArray._wrap(out, self._device_id)
        return out

    @staticmethod
    def _unwrap(x, dev):
        if isinstance(x, FakeCudaArray):
            if x._device_id != _current[0]:
                raise _peer_error(x._device_id, _current[0])
            dev[0] = x._device_id
            return x.view(np.ndarray)
        if type(x) is np.ndarray:
            raise TypeError(f"Unsupported type {type(x)}")
        if isinstance(x, (list, tuple)):
            return type(x)(FakeCudaArray._unwrap(v, dev) for v in x)
        return x

    @staticmethod
    def _wrap(x, dev):
        if type(x) is np.ndarray:
            out = x.view(FakeCudaArray)
            out._device_id = dev
            return out
        if isinstance(x, np.generic):
            out = np.asarray(x).view(FakeCudaArray)
            out._device_id = dev
            return out
        if isinstance(x, tuple):
            return tuple(FakeCudaArray._wrap(v, dev) for v in x)
        if isinstance(x, list):
            return [FakeCudaArray._wrap(v, dev) for v in x]
        return x

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        dev = [_current[0]]
        if method == "at":
            # CuPy (13+) scatters add, subtract, maximum, minimum and bitwise ops only
            if ufunc.__name__ not in ("add", "subtract", "maximum", "minimum", "bitwise_and", "bitwise_or",
                                      "bitwise_xor"):
                raise NotImplementedError(f"`{ufunc.__name__}.at` is not supported yet")
            _scatter(ufunc, *inputs)
            return None
        args = [self._unwrap(x, dev) for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(self._unwrap(o, dev) for o in kwargs["out"])
            if ufunc is np.matmul and method == "__call__":
                # NumPy's matmul into a strided `out` skips BLAS (cuBLAS has no such problem): keep
                # the test suite fast
                out = kwargs.pop("out")[0]
                np.copyto(out, ufunc(*args, **kwargs))
                return self._wrap(out, dev[0])
        result = getattr(ufunc, method)(*args, **kwargs)
        return self._wrap(result, dev[0])

    def __array_function__(self, func, types_, args, kwargs):
        dev = [_current[0]]
        args = self._unwrap(list(args), dev)
        kwargs = {k: self._unwrap(v, dev) for k, v in kwargs.items()}
        return self._wrap(func(*args, **kwargs), dev[0])

    def __reduce__(self):
        return (_from_host, (self.get(), self._device_id))


def _scatter(ufunc, a, index, values=None):
    """CuPy's scatter ops: `a` on the current device; indices may be NumPy or CuPy arrays (CuPy
    converts them), values a CuPy array or a scalar."""
    dev = [_current[0]]
    a = FakeCudaArray._unwrap(a, dev)
    if isinstance(values, FakeCudaArray) or type(values) is np.ndarray:
        values = FakeCudaArray._unwrap(values, dev)
    ufunc.at(a, _host_index(index), values)


def _host_index(key):
    """An index as NumPy takes it: CuPy accepts NumPy, list and CuPy index arrays alike."""
    if isinstance(key, FakeCudaArray):
        if key._device_id != _current[0]:
            raise _peer_error(key._device_id, _current[0])
        return key.view(np.ndarray)
    if isinstance(key, tuple):
        return tuple(_host_index(k) for k in key)
    return key


def _from_host(array, device_id):
    out = np.array(array, copy=True).view(FakeCudaArray)
    out._device_id = device_id
    return out


def _to_device(x, dtype=None, copy=None, order=None, blocking=False):
    if isinstance(x, FakeCudaArray):
        if x._device_id == _current[0]:
            return x if dtype is None else x.astype(dtype, copy=False)
        raise _peer_error(x._device_id, _current[0])
    if isinstance(x, (list, tuple)) and any(isinstance(v, FakeCudaArray) for v in x):
        raise TypeError("Unsupported type: a sequence of CuPy arrays")
    arr = np.array(x, dtype=dtype, copy=True)
    return _from_host(arr, _current[0])


class Device:
    """`cupy.cuda.Device`: selects the current GPU (as a context manager or with `use()`)."""

    def __init__(self, device=None):
        self.id = _current[0] if device is None else int(device)
        if not 0 <= self.id < N_DEVICES:
            raise RuntimeError("cudaErrorInvalidDevice: invalid device ordinal")
        self._prev = []

    def use(self):
        _current[0] = self.id

    def synchronize(self):
        pass

    @property
    def compute_capability(self):
        return "80"

    @property
    def mem_info(self):
        return (15 * 1024 ** 3, 16 * 1024 ** 3)

    def __eq__(self, other):
        return isinstance(other, (_DeviceTag, Device)) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __enter__(self):
        self._prev.append(_current[0])
        _current[0] = self.id
        return self

    def __exit__(self, *exc):
        _current[0] = self._prev.pop()

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class _Pool:
    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0

    def free_all_blocks(self):
        pass


def _alloc_pinned(nbytes):
    """Page-locked host memory (here: plain host memory with a buffer interface)."""
    return bytearray(nbytes)


def _get_device():
    return _current[0]


def _set_device(i):
    Device(i).use()


def _make_module():
    cp = types.ModuleType("fake_cupy")
    cp.ndarray = FakeCudaArray
    cp.asarray = _to_device
    cp.array = _to_device
    cp.asnumpy = lambda x, stream=None: x.get() if isinstance(x, FakeCudaArray) else np.asarray(x)
    cp.get_array_module = lambda *arrays: cp if any(isinstance(a, FakeCudaArray) for a in arrays) else np
    _pool = _Pool()
    cp.get_default_memory_pool = lambda: _pool
    cp.get_default_pinned_memory_pool = lambda: _pool
    runtime = types.SimpleNamespace(
        getDeviceCount=lambda: N_DEVICES, getDevice=_get_device, setDevice=_set_device,
        deviceSynchronize=lambda: None, runtimeGetVersion=lambda: 12040, driverGetVersion=lambda: 12040,
        memGetInfo=lambda: (15 * 1024 ** 3, 16 * 1024 ** 3),
        getDeviceProperties=lambda i: {"name": b"Fake CUDA Device", "major": 8, "minor": 0,
                                       "totalGlobalMem": 16 * 1024 ** 3, "multiProcessorCount": 108,
                                       "uuid": bytes(range(16)), "pciBusID": 1 + i, "pciDeviceID": 0,
                                       "pciDomainID": 0, "l2CacheSize": 40 * 1024 ** 2})
    cp.cuda = types.SimpleNamespace(Device=Device, runtime=runtime, get_device_id=_get_device,
                                    MemoryPointer=_MemoryPointer, alloc_pinned_memory=_alloc_pinned,
                                    Stream=types.SimpleNamespace(null=types.SimpleNamespace(
                                        synchronize=lambda: None)))

    def _creator(name):
        fn = getattr(np, name)

        def create(*args, **kwargs):
            for a in list(args) + list(kwargs.values()):
                if isinstance(a, FakeCudaArray) and a._device_id != _current[0]:
                    raise _peer_error(a._device_id, _current[0])
            args = [a.view(np.ndarray) if isinstance(a, FakeCudaArray) else a for a in args]
            return _from_host(fn(*args, **kwargs), _current[0])
        return create

    for name in ("zeros", "ones", "empty", "full", "arange", "eye", "identity", "tri", "zeros_like", "ones_like",
                 "empty_like", "full_like", "linspace", "logspace", "indices"):
        setattr(cp, name, _creator(name))

    def as_strided(x, shape=None, strides=None):
        out = np.lib.stride_tricks.as_strided(x.view(np.ndarray), shape, strides).view(FakeCudaArray)
        out._device_id = x._device_id
        return out

    cp.lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(as_strided=as_strided))

    wrapped = {}

    def on_device(fn):
        """A NumPy function as CuPy's: arrays of the current device in, arrays on it out."""
        def call(*args, **kwargs):
            dev = [_current[0]]
            args = FakeCudaArray._unwrap(list(args), dev)
            kwargs = {k: FakeCudaArray._unwrap(v, dev) for k, v in kwargs.items()}
            return FakeCudaArray._wrap(fn(*args, **kwargs), _current[0])
        call.__name__ = getattr(fn, "__name__", "fn")
        return call

    def __getattr__(name):
        if name == "random":
            raise AttributeError("fake_cupy has no random module: huoba draws random numbers on the CPU")
        attr = getattr(np, name)
        if isinstance(attr, (type, np.ufunc, types.ModuleType)) or not callable(attr) or name.startswith("_"):
            return attr
        fn = wrapped.get(name)
        if fn is None:
            fn = wrapped[name] = on_device(attr)
        return fn
    cp.__getattr__ = __getattr__
    return cp


fake = _make_module()


def _make_cupyx():
    cupyx = types.ModuleType("cupyx")

    cupyx.scatter_add = lambda a, index, values: _scatter(np.add, a, index, values)
    cupyx.scatter_max = lambda a, index, values: _scatter(np.maximum, a, index, values)
    cupyx.scatter_min = lambda a, index, values: _scatter(np.minimum, a, index, values)
    scipy = types.ModuleType("cupyx.scipy")
    special = types.ModuleType("cupyx.scipy.special")
    import scipy.special as sps
    def special_fn(name):  # erf, erfinv, gammaln, psi, polygamma, ... computed on the host
        fn = getattr(sps, name)
        if isinstance(fn, np.ufunc) or not callable(fn) or name.startswith("__"):
            return fn

        def call(*args, **kwargs):
            dev = [_current[0]]
            args = FakeCudaArray._unwrap(list(args), dev)
            return FakeCudaArray._wrap(np.asarray(fn(*args, **kwargs)), dev[0])
        return call
    special.__getattr__ = special_fn
    scipy.special = special
    cupyx.scipy = scipy
    return {"cupyx": cupyx, "cupyx.scipy": scipy, "cupyx.scipy.special": special}


@contextlib.contextmanager
def installed():
    """Within this context huoba sees a 2-GPU machine backed by host memory."""
    from huoba import _backend
    saved = _backend._save_state()
    saved_modules = {k: sys.modules.get(k) for k in ("cupyx", "cupyx.scipy", "cupyx.scipy.special")}
    sys.modules.update(_make_cupyx())
    _current[0] = 0
    _backend._install(fake)
    try:
        yield fake
    finally:
        _current[0] = 0
        _backend._restore_state(saved)
        for k, v in saved_modules.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v

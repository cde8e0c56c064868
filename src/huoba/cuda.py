"""huoba.cuda: the GPU device, backed by CuPy when it is installed and a GPU is present.

Without CuPy or a GPU, `is_available()` is False and everything that needs a
GPU raises PyTorch's error for a build without CUDA.
"""
import contextlib

from . import _backend
from .device import device as _device

__all__ = ["is_available", "device_count", "current_device", "set_device", "device", "get_device_name",
           "get_device_capability", "get_device_properties", "synchronize", "empty_cache", "memory_allocated",
           "max_memory_allocated", "memory_reserved", "reset_peak_memory_stats", "manual_seed",
           "manual_seed_all", "seed", "seed_all", "is_initialized", "init", "current_stream", "Event"]

_current = 0
_peak = 0


def _cp():
    cp = _backend.cupy()
    if cp is None:
        _backend._raise_no_cuda()
    return cp


def is_available():
    """True when CuPy is installed and can see at least one GPU."""
    return _backend.cupy() is not None


def is_initialized():
    return _backend.cupy() is not None


def init():
    _cp()


def device_count():
    cp = _backend.cupy()
    return 0 if cp is None else cp.cuda.runtime.getDeviceCount()


def _index(dev):
    if dev is None:
        return _current
    if isinstance(dev, int):
        return dev
    dev = _device(dev)
    if dev.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {dev}")
    return _current if dev.index is None else dev.index


def _check_index(index):
    n = device_count()
    if not 0 <= index < n:
        raise RuntimeError("CUDA error: invalid device ordinal\nCUDA kernel errors might be asynchronously "
                           "reported at some other API call, so the stacktrace below might be incorrect.")


def current_device():
    _cp()
    return _current


def set_device(dev):
    global _current
    index = _index(dev)
    if index < 0:
        return
    cp = _cp()
    _check_index(index)
    _current = index
    cp.cuda.Device(index).use()


class device:
    """Context manager that makes `dev` the current GPU."""

    def __init__(self, device):
        self.idx = -1 if device is None else _index(device)
        self.prev_idx = -1

    def __enter__(self):
        global _current
        if self.idx >= 0:
            self.prev_idx = current_device()
            set_device(self.idx)
        return self

    def __exit__(self, *exc):
        if self.idx >= 0:
            set_device(self.prev_idx)
        return False


def _properties(dev):
    cp = _cp()
    index = _index(dev)
    _check_index(index)
    return cp.cuda.runtime.getDeviceProperties(index)


def get_device_name(device=None):
    name = _properties(device)["name"]
    return name.decode() if isinstance(name, bytes) else name


def get_device_capability(device=None):
    props = _properties(device)
    return props["major"], props["minor"]


class _DeviceProperties:
    def __init__(self, props):
        name = props["name"]
        self.name = name.decode() if isinstance(name, bytes) else name
        self.major, self.minor = props["major"], props["minor"]
        self.total_memory = props["totalGlobalMem"]
        self.multi_processor_count = props["multiProcessorCount"]

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // (1024 ** 2)}MB, "
                f"multi_processor_count={self.multi_processor_count})")


def get_device_properties(device=None):
    return _DeviceProperties(_properties(device))


def synchronize(device=None):
    cp = _cp()
    with cp.cuda.Device(_index(device)):
        cp.cuda.Device().synchronize()


def empty_cache():
    cp = _backend.cupy()
    if cp is not None:
        cp.get_default_memory_pool().free_all_blocks()


def memory_allocated(device=None):
    global _peak
    cp = _backend.cupy()
    if cp is None:
        return 0
    used = cp.get_default_memory_pool().used_bytes()
    _peak = max(_peak, used)
    return used


def max_memory_allocated(device=None):
    memory_allocated(device)
    return _peak


def memory_reserved(device=None):
    cp = _backend.cupy()
    return 0 if cp is None else cp.get_default_memory_pool().total_bytes()


def reset_peak_memory_stats(device=None):
    global _peak
    _peak = 0


# The GPU's random numbers come from huoba's (PyTorch-compatible CPU) generator and are
# copied over, so seeding the CPU generator seeds them too; these calls are accepted for
# scripts that seed the GPU explicitly.
def manual_seed(seed):
    pass


def manual_seed_all(seed):
    pass


def seed():
    pass


def seed_all():
    pass


def current_stream(device=None):
    return _Stream()


class _Stream:
    def synchronize(self):
        if is_available():
            synchronize()


class Event:
    """Timing events; with no asynchronous queue here they record wall-clock time."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        self._time = None

    def record(self, stream=None):
        import time
        if is_available():
            synchronize()
        self._time = time.perf_counter()

    def synchronize(self):
        if is_available():
            synchronize()

    def elapsed_time(self, end_event):
        return (end_event._time - self._time) * 1000.0


@contextlib.contextmanager
def _noop():
    yield


amp = type("amp", (), {"autocast": staticmethod(lambda *a, **k: _noop()), "GradScaler": None})

"""huoba.accelerator (PyTorch 2.x's `torch.accelerator`): the one accelerator this process can
use, if any.  In huoba that is CUDA (through CuPy, see huoba.cuda); without it every call
that needs a device raises PyTorch's "Cannot access accelerator device when none is
available." error."""
from . import cuda as _cuda
from . import dtypes as _dtypes
from .device import device as _device

__all__ = ["current_accelerator", "current_device_idx", "current_device_index", "current_stream", "device_count",
           "device_index", "empty_cache", "get_device_capability", "get_memory_info", "is_available",
           "max_memory_allocated", "max_memory_reserved", "memory_allocated", "memory_reserved", "memory_stats",
           "reset_accumulated_memory_stats", "reset_peak_memory_stats", "set_device_idx", "set_device_index",
           "set_stream", "synchronize"]

_NONE = "Cannot access accelerator device when none is available."


def _need():
    if not _cuda.is_available():
        raise RuntimeError(_NONE)


def _index(device):
    """A device index of the accelerator (None: the current one)."""
    if device is None:
        return _cuda.current_device()
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    dev = _device(device)
    if dev.type != "cuda":
        raise ValueError(f"{dev.type} doesn't match the current accelerator cuda.")
    return _cuda.current_device() if dev.index is None else dev.index


def is_available():
    """Whether an accelerator (a CUDA GPU usable through CuPy) is present."""
    return _cuda.is_available()


def current_accelerator(check_available=False):
    """`device(type='cuda')` when a GPU is usable, else None."""
    return _device("cuda") if _cuda.is_available() else None


def device_count():
    return _cuda.device_count()


def current_device_index():
    _need()
    return _cuda.current_device()


current_device_idx = current_device_index


def set_device_index(device):
    _need()
    _cuda.set_device(_index(device))


set_device_idx = set_device_index


class device_index:
    """Context manager: make accelerator device `device` current (None: do nothing)."""

    def __init__(self, device):
        self.idx = device
        self.prev_idx = -1

    def __enter__(self):
        if self.idx is not None:
            _need()
            self.prev_idx = _cuda.current_device()
            _cuda.set_device(self.idx)
        return self

    def __exit__(self, *exc):
        if self.idx is not None:
            _cuda.set_device(self.prev_idx)
        return False


def synchronize(device=None):
    _need()
    _cuda.synchronize(_index(device))


def current_stream(device=None):
    _need()
    return _cuda.current_stream(_index(device))


def set_stream(stream):
    _need()


def empty_cache():
    _need()
    _cuda.empty_cache()


def get_device_capability(device=None):
    """{'supported_dtypes': the dtypes huoba's CUDA tensors can have}."""
    _need()
    _index(device)
    return {"supported_dtypes": {d for d in (_dtypes.float16, _dtypes.float32, _dtypes.float64, _dtypes.uint8,
                                            _dtypes.int8, _dtypes.int16, _dtypes.int32, _dtypes.int64,
                                            _dtypes.bool)}}


def get_memory_info(device=None):
    _need()
    return _cuda.mem_get_info(_index(device))


def memory_allocated(device=None):
    _need()
    return _cuda.memory_allocated(device)


def max_memory_allocated(device=None):
    _need()
    return _cuda.max_memory_allocated(device)


def memory_reserved(device=None):
    _need()
    return _cuda.memory_reserved(device)


def max_memory_reserved(device=None):
    _need()
    return _cuda.max_memory_reserved(device)


def memory_stats(device=None):
    _need()
    return {"allocated_bytes.all.current": _cuda.memory_allocated(device),
            "allocated_bytes.all.peak": _cuda.max_memory_allocated(device),
            "reserved_bytes.all.current": _cuda.memory_reserved(device),
            "reserved_bytes.all.peak": _cuda.max_memory_reserved(device)}


def reset_peak_memory_stats(device=None):
    _need()
    _cuda.reset_peak_memory_stats(device)


def reset_accumulated_memory_stats(device=None):
    _need()

"""huoba.cuda: the GPU device, backed by CuPy when it is installed and a GPU is present.

Without CuPy or a GPU, `is_available()` is False and everything that needs a GPU
raises PyTorch's error for a build without CUDA.

* Which GPUs are seen: CuPy (the CUDA runtime) honours `CUDA_VISIBLE_DEVICES`, so
  `CUDA_VISIBLE_DEVICES=1 python train.py` makes the second GPU "cuda:0", as in
  PyTorch.  Set it before the first use of the GPU.
* The current device (`set_device`, `with huoba.cuda.device(i)`) is the CUDA runtime's,
  shared with CuPy.  As in PyTorch it only decides where "cuda" without an index goes;
  ops run on the device of their tensors.
* Random numbers for CUDA tensors (`randn(..., device="cuda")`, dropout, `uniform_`, ...)
  are drawn on the host by a generator of each GPU's own (PyTorch's CPU algorithm,
  MT19937) and copied to the GPU.  As in PyTorch the GPU's stream is separate from the
  CPU's (drawing on the GPU leaves the CPU stream, and so the DataLoader's shuffling,
  untouched), `huoba.manual_seed(s)` seeds both, and `huoba.cuda.manual_seed(_all)`
  seeds the GPUs only.  Seeded runs are reproducible, and right after the same seed a
  CUDA tensor gets the values a CPU tensor would, but not the values of PyTorch's CUDA
  generator (Philox), which huoba does not reimplement; `get_rng_state()` is likewise
  huoba's MT19937 state, not PyTorch's 16-byte Philox one.
* Memory statistics are those of CuPy's default memory pool (all GPUs together).
"""
import contextlib
import time as _time

import numpy as _np

from . import _backend
from .device import device as _device

__all__ = ["is_available", "device_count", "current_device", "set_device", "device", "device_of",
           "get_device_name", "get_device_capability", "get_device_properties", "synchronize", "empty_cache",
           "memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved",
           "reset_peak_memory_stats", "reset_max_memory_allocated", "mem_get_info", "manual_seed",
           "manual_seed_all", "seed", "seed_all", "initial_seed", "get_rng_state", "set_rng_state",
           "get_rng_state_all", "set_rng_state_all", "is_initialized", "init", "current_stream",
           "default_stream", "Stream", "Event", "stream", "is_bf16_supported", "get_arch_list",
           "get_device_arch"]

_peak = [0]
_peak_reserved = [0]


def _cp():
    cp = _backend.cupy()
    if cp is None:
        _backend._raise_no_cuda()
    return cp


def is_available():
    """True when CuPy is installed and can see at least one GPU."""
    return _backend.cupy() is not None


def is_initialized():
    return _backend.cupy() is not None and _backend.gpu_used[0]


def init():
    _cp()


def device_count():
    cp = _backend.cupy()
    return 0 if cp is None else cp.cuda.runtime.getDeviceCount()


def _index(dev, optional=True):
    """A device index from an int, a string, a device or None (the current device)."""
    if dev is None:
        return _backend.current_device()
    if isinstance(dev, int) and not isinstance(dev, bool):
        return dev
    if isinstance(dev, str):
        dev = _device(dev)
    if isinstance(dev, _device):
        if dev.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {dev}")
        return _backend.current_device() if dev.index is None else dev.index
    raise ValueError(f"Expected a torch.device with a specified index or an integer, but got:{dev}")


def current_device():
    """The index of the current GPU."""
    _cp()
    return _backend.current_device()


def set_device(device):
    """Make `device` the current GPU (where "cuda" without an index allocates)."""
    _cp()
    index = _index(device)
    if index < 0:
        return
    _backend.set_current_device(index)


class device:
    """Context manager that makes `device` the current GPU; restores the previous one on exit."""

    def __init__(self, device):
        self.idx = -1 if device is None else _index(device)
        self.prev_idx = -1

    def __enter__(self):
        if self.idx >= 0:
            self.prev_idx = current_device()
            if self.prev_idx != self.idx:
                set_device(self.idx)
        return self

    def __exit__(self, *exc):
        if self.idx >= 0 and self.prev_idx != self.idx:
            set_device(self.prev_idx)
        return False


class device_of(device):
    """Context manager that makes the GPU of tensor `obj` current (no-op for a CPU tensor)."""

    def __init__(self, obj):
        super().__init__(obj.device.index if obj.is_cuda else None)


def _properties(dev):
    cp = _cp()
    index = _index(dev)
    _backend._check_index(index)
    return cp.cuda.runtime.getDeviceProperties(index)


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def get_device_name(device=None):
    """The GPU's name, e.g. 'NVIDIA H100 80GB HBM3'."""
    return _text(_properties(device)["name"])


def get_device_capability(device=None):
    """(major, minor) CUDA compute capability."""
    props = _properties(device)
    return props["major"], props["minor"]


def get_arch_list():
    return [] if not is_available() else ["sm_%d%d" % get_device_capability()]


def get_device_arch(device=None):
    return "sm_%d%d" % get_device_capability(device)


def is_bf16_supported(including_emulation=True):
    return False


def _uuid(raw):
    if not isinstance(raw, (bytes, bytearray)) or len(raw) != 16:
        return str(raw)
    h = bytes(raw).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class _CudaDeviceProperties:
    """What `get_device_properties` returns (printed as PyTorch prints it)."""

    def __init__(self, props):
        self.name = _text(props["name"])
        self.major, self.minor = props["major"], props["minor"]
        self.total_memory = props["totalGlobalMem"]
        self.multi_processor_count = props["multiProcessorCount"]
        self.is_integrated = props.get("integrated", 0)
        self.is_multi_gpu_board = props.get("isMultiGpuBoard", 0)
        self.max_threads_per_multi_processor = props.get("maxThreadsPerMultiProcessor", 0)
        self.warp_size = props.get("warpSize", 32)
        self.regs_per_multiprocessor = props.get("regsPerMultiprocessor", 0)
        self.uuid = _uuid(props.get("uuid", b""))
        self.pci_bus_id = props.get("pciBusID", 0)
        self.pci_device_id = props.get("pciDeviceID", 0)
        self.pci_domain_id = props.get("pciDomainID", 0)
        self.L2_cache_size = props.get("l2CacheSize", 0)
        self.gcnArchName = self.name

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // (1024 ** 2)}MB, "
                f"multi_processor_count={self.multi_processor_count}, uuid={self.uuid}, "
                f"pci_bus_id={self.pci_bus_id}, pci_device_id={self.pci_device_id}, "
                f"pci_domain_id={self.pci_domain_id}, L2_cache_size={self.L2_cache_size // (1024 ** 2)}MB)")


def get_device_properties(device=None):
    return _CudaDeviceProperties(_properties(device))


def synchronize(device=None):
    """Wait for all kernels queued on the GPU to finish (timing GPU code needs this)."""
    cp = _cp()
    index = _index(device)
    _backend._check_index(index)
    with cp.cuda.Device(index) as d:
        d.synchronize()


def empty_cache():
    """Give the GPU memory that CuPy's pool holds but no tensor uses back to the driver."""
    cp = _backend.cupy()
    if cp is not None:
        cp.get_default_memory_pool().free_all_blocks()
        try:
            cp.get_default_pinned_memory_pool().free_all_blocks()
        except AttributeError:
            pass


def memory_allocated(device=None):
    """Bytes of GPU memory held by arrays (CuPy's memory pool, all GPUs)."""
    cp = _backend.cupy()
    if cp is None:
        return 0
    used = cp.get_default_memory_pool().used_bytes()
    if used > _peak[0]:
        _peak[0] = used
    return used


def max_memory_allocated(device=None):
    """The most `memory_allocated()` has been (as sampled by huoba's calls) since the last reset."""
    memory_allocated(device)
    return _peak[0]


def memory_reserved(device=None):
    cp = _backend.cupy()
    if cp is None:
        return 0
    total = cp.get_default_memory_pool().total_bytes()
    if total > _peak_reserved[0]:
        _peak_reserved[0] = total
    return total


def max_memory_reserved(device=None):
    memory_reserved(device)
    return _peak_reserved[0]


def reset_peak_memory_stats(device=None):
    _peak[0] = 0
    _peak_reserved[0] = 0


reset_max_memory_allocated = reset_peak_memory_stats


def mem_get_info(device=None):
    """(free, total) bytes on the GPU."""
    cp = _cp()
    with cp.cuda.Device(_index(device)):
        return tuple(cp.cuda.runtime.memGetInfo())


# ---- random numbers: CUDA tensors draw from CPU generators of their own (see the module doc) -----
_generators = {}      # GPU index -> huoba.random.Generator (MT19937 on the host)
_seed = [None]        # the last seed given to every GPU (applies to generators made later)


def _seed_all(seed):
    _seed[0] = seed
    for g in _generators.values():
        g.manual_seed(seed)


def _generator(index):
    """The default generator of GPU `index` (made on first use)."""
    g = _generators.get(index)
    if g is None:
        from .random import Generator, default_generator
        g = Generator()
        g.manual_seed(default_generator.initial_seed() if _seed[0] is None else _seed[0])
        _generators[index] = g
    return g


def _generator_for(where, generator=None):
    """The generator that draws random numbers for tensor or device `where`: `generator` when
    given, else the GPU's default generator for a CUDA tensor or device, else None (the CPU's)."""
    if generator is not None:
        return generator
    data = getattr(where, "_data", None)
    if data is not None:
        if type(data) is _np.ndarray or not _backend.gpu_used[0]:
            return None
        return _generator(_backend.device_index(data))
    if isinstance(where, _device) and where.type == "cuda":
        return _generator(_backend.current_device() if where.index is None else where.index)
    return None


def __getattr__(name):
    if name == "default_generators":
        return tuple(_generator(i) for i in range(device_count()))
    raise AttributeError(f"module 'huoba.cuda' has no attribute '{name}'")


def manual_seed(seed):
    """Seed the current GPU's generator (`manual_seed_all` seeds every GPU's)."""
    seed = int(seed)
    if not is_available():
        _seed[0] = seed  # PyTorch queues it until CUDA is initialised
        return
    _generator(_backend.current_device()).manual_seed(seed)


def manual_seed_all(seed):
    _seed_all(int(seed))


def seed():
    if is_available():
        _generator(_backend.current_device()).seed()


def seed_all():
    if is_available():
        s = _generator(_backend.current_device()).seed()
        _seed_all(s)


def initial_seed():
    _cp()
    return _generator(_backend.current_device()).initial_seed()


def get_rng_state(device="cuda"):
    """The state of a GPU's generator (huoba's layout: an MT19937 state, not PyTorch's Philox one)."""
    _cp()
    return _generator(_index(device)).get_state()


def set_rng_state(new_state, device="cuda"):
    _cp()
    _generator(_index(device)).set_state(new_state)


def get_rng_state_all():
    return [get_rng_state(i) for i in range(device_count())]


def set_rng_state_all(new_states):
    for i, state in enumerate(new_states):
        set_rng_state(state, i)


def _register_seed_hook():
    from . import random
    if _seed_all not in random._seed_hooks:
        random._seed_hooks.append(_seed_all)


_register_seed_hook()


# ---- streams and events: kernels run in order on CuPy's current stream ---------------------
class Stream:
    """A stand-in for `torch.cuda.Stream`: huoba queues all work on CuPy's current stream."""

    def __init__(self, device=None, priority=0, **kwargs):
        self.device = _device("cuda", _index(device)) if is_available() else None
        self.priority = priority

    def synchronize(self):
        if is_available():
            synchronize(self.device)

    def wait_stream(self, stream):
        pass

    def wait_event(self, event):
        pass

    def query(self):
        return True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def current_stream(device=None):
    return Stream(device)


default_stream = current_stream


@contextlib.contextmanager
def stream(s):
    yield s


class Event:
    """Timing events: `record()` synchronises and takes the wall-clock time."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        self._time = None

    def record(self, stream=None):
        if is_available():
            synchronize()
        self._time = _time.perf_counter()

    def synchronize(self):
        if is_available():
            synchronize()

    def wait(self, stream=None):
        pass

    def query(self):
        return True

    def elapsed_time(self, end_event):
        return (end_event._time - self._time) * 1000.0


# ---- legacy tensor types: torch.cuda.FloatTensor(...) and isinstance(t, torch.cuda.FloatTensor) -------
def _legacy_cuda_class(name, dtype):
    class _Meta(type):
        def __instancecheck__(cls, obj):
            from .tensor import Tensor
            return isinstance(obj, Tensor) and obj._data.dtype == dtype.np and obj.device.type == "cuda"

        def __repr__(cls):
            return f"<class 'torch.cuda.{name}'>"

    def __new__(cls, *args, **kwargs):
        if not is_available():
            raise TypeError(f"type torch.cuda.{name} not available. Torch not compiled with CUDA enabled.")
        from .ops.creation import _legacy_new
        from .ops.shape import to
        from .tensor import _wrap
        return to(_wrap(_legacy_new(dtype, args, strict=True)), _device("cuda"))

    return _Meta(name, (), {"__new__": __new__, "dtype": dtype, "is_cuda": True, "__module__": "torch.cuda"})


def _make_legacy_classes():
    from . import dtypes as d
    for name, dtype in (("FloatTensor", d.float32), ("DoubleTensor", d.float64), ("HalfTensor", d.float16),
                        ("LongTensor", d.int64), ("IntTensor", d.int32), ("ShortTensor", d.int16),
                        ("CharTensor", d.int8), ("ByteTensor", d.uint8), ("BoolTensor", d.bool)):
        globals()[name] = _legacy_cuda_class(name, dtype)
        __all__.append(name)


_make_legacy_classes()


@contextlib.contextmanager
def _noop(*args, **kwargs):
    yield


amp = type("amp", (), {"autocast": staticmethod(_noop), "GradScaler": None})

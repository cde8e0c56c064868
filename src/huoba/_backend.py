"""The array backend of each device: NumPy for "cpu", CuPy for "cuda".

Op code never imports numpy or cupy directly for computation; it asks
`array_module(x)` (Chainer's `get_array_module`) so one code path serves both.

CuPy is optional (`pip install huoba[cuda]`).  It is looked for the first time
something asks about the GPU (`huoba.cuda.is_available()`, `device="cuda"`, ...);
without it, or without a usable GPU, every use of "cuda" raises PyTorch's error for
a build without CUDA.  CuPy honours `CUDA_VISIBLE_DEVICES` itself: "cuda:0" is the
first *visible* GPU, as in PyTorch.

Devices of op inputs
--------------------
PyTorch runs an op on the device of its tensors, whatever the current device is, and
refuses tensors on two devices.  CuPy launches kernels on the *current* device and
allocates there.  `device_context(cls, args)` bridges the two for every op
(`Function.apply` calls it, and the autograd engine follows the device of the
gradients it runs): it checks that the tensors of one op share a device (raising
PyTorch's messages, see `_mismatch`), moves a CPU 0-d tensor to the device where
PyTorch accepts one as a scalar, and returns a context that makes the tensors' GPU
current when it is not already.  None of this runs before a tensor has been put on a
GPU (`gpu_used[0]` stays False), so a CPU-only process pays one list lookup per op.
"""
import numpy as np

_cupy = None
_cupy_checked = False
# [True once any array has been put on a GPU]: the cheap switch that op dispatch reads
gpu_used = [False]
_get_device = None    # cupy.cuda.runtime.getDevice: the CUDA runtime's current device
_Device = None        # cupy.cuda.Device
# PyTorch's current device (set_device, `with huoba.cuda.device(i)`): where "cuda" without an
# index goes.  The runtime's current device may differ while an op runs on another GPU.
_current = [0]


def cupy():
    """The cupy module if it is installed and a GPU is usable, else None."""
    global _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy as cp
            if cp.cuda.runtime.getDeviceCount() > 0:
                _install(cp)
        except Exception:  # no cupy, no driver or no device
            pass
    return _cupy


def _install(cp):
    """Use `cp` as the CUDA array module (CuPy, or the test suite's fake)."""
    global _cupy, _cupy_checked, _get_device, _Device
    _cupy, _cupy_checked = cp, True
    _get_device = cp.cuda.runtime.getDevice
    _Device = cp.cuda.Device
    _current[0] = _get_device()


def _save_state():
    return (_cupy, _cupy_checked, gpu_used[0], _get_device, _Device, _current[0])


def _restore_state(state):
    global _cupy, _cupy_checked, _get_device, _Device
    _cupy, _cupy_checked, gpu_used[0], _get_device, _Device, _current[0] = state
    if not gpu_used[0]:
        from . import _devices
        _devices.uninstall()


def array_module(array):
    """numpy or cupy, whichever owns `array`."""
    if type(array) is np.ndarray or _cupy is None:
        return np
    return _cupy.get_array_module(array)


def is_cpu_array(array):
    return type(array) is np.ndarray or _cupy is None or not isinstance(array, _cupy.ndarray)


def module_for(device):
    """The array module that holds tensors on `device`."""
    if device.type == "cpu":
        return np
    cp = cupy()
    if cp is None:
        _raise_no_cuda()
    if not gpu_used[0]:
        gpu_used[0] = True
        from . import _devices
        _devices.install()
    return cp


def _raise_no_cuda():
    raise AssertionError("Torch not compiled with CUDA enabled")


def device_index(array):
    """The GPU index of a CuPy array."""
    return array.data.device_id


def current_device():
    """PyTorch's current GPU (huoba.cuda.set_device)."""
    return _current[0]


def set_current_device(index):
    _check_index(index)
    _current[0] = index
    _Device(index).use()


def device_of(array):
    """A context manager that makes the GPU of CuPy array `array` current."""
    return _Device(device_index(array))


def _check_index(index):
    n = _cupy.cuda.runtime.getDeviceCount()
    if not 0 <= index < n:
        raise RuntimeError("CUDA error: invalid device ordinal\nCUDA kernel errors might be asynchronously "
                           "reported at some other API call, so the stacktrace below might be incorrect.\n"
                           "For debugging consider passing CUDA_LAUNCH_BLOCKING=1\nCompile with "
                           "`TORCH_USE_CUDA_DSA` to enable device-side assertions.\n")


def to_device(array, device):
    """Copy `array` into the memory of `device` (no copy if it is already there)."""
    xp = module_for(device)
    if xp is np:
        if type(array) is np.ndarray:
            return array
        if isinstance(array, np.generic):
            return np.asarray(array)
        return array.get()
    index = device.index
    if index is None:
        index = _current[0]
    if type(array) is not np.ndarray and isinstance(array, xp.ndarray):
        if device_index(array) == index:
            return array
        _check_index(index)
        with _Device(index):
            # CuPy copies from another device into the current one
            return array.copy()
    _check_index(index)
    with _Device(index):
        return xp.asarray(array)


def pinned(array):
    """`pin_memory()`: a CPU array in page-locked memory (speeds up host-to-GPU copies)."""
    cp = cupy()
    if cp is None or type(array) is not np.ndarray:
        return array
    try:
        mem = cp.cuda.alloc_pinned_memory(array.nbytes)
    except Exception:  # the fake backend, or no pinned memory left: plain memory works too
        return array
    out = np.frombuffer(mem, array.dtype, array.size).reshape(array.shape)
    out[...] = array
    return out


# ---- the device of an op --------------------------------------------------------------------
def _iter_error(common, other):
    return RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                        f"{common} and {other}!")


def device_context(cls, args):
    """For `cls.apply(*args)` once a GPU is in use: None when the op can run as is, a
    context manager selecting the GPU of its tensors, or a list of new args (CPU 0-d
    tensors moved to the GPU, as PyTorch's TensorIterator takes them).  Raises
    PyTorch's TensorIterator error for tensors on two devices, unless the op class says
    `_device_check = False` (copies between devices, indexing with CPU indices)."""
    Tensor = _tensor_class()
    index = None     # GPU of the tensors seen so far
    other = None     # device of the first tensor that is elsewhere
    scalars = None   # positions of 0-d CPU tensors
    cupy_nd = _cupy.ndarray
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            data = a._data
            if type(data) is np.ndarray or not isinstance(data, cupy_nd):
                if data.ndim == 0:
                    scalars = (scalars or []) + [i]
                elif other is None:
                    other = "cpu"
            else:
                d = device_index(data)
                if index is None:
                    index = d
                elif d != index and other is None:
                    other = f"cuda:{d}"
        elif type(a) in (list, tuple) and a and isinstance(a[0], Tensor):
            for t in a:
                data = t._data
                if type(data) is np.ndarray or not isinstance(data, cupy_nd):
                    if other is None:
                        other = "cpu"
                else:
                    d = device_index(data)
                    if index is None:
                        index = d
                    elif d != index and other is None:
                        other = f"cuda:{d}"
    if index is None:
        return None
    if getattr(cls, "_device_check", True):
        if other is not None:
            raise _iter_error(f"cuda:{index}", other)
        if scalars:
            from .device import device
            args = list(args)
            dev = device("cuda", index)
            for i in scalars:
                args[i] = args[i].to(dev)
            return args
    if index != _get_device():
        return _Device(index)
    return None


_TENSOR = []


def _tensor_class():
    if not _TENSOR:
        from .tensor import Tensor
        _TENSOR.append(Tensor)
    return _TENSOR[0]


def follow(tensors):
    """Make the GPU of the first CUDA tensor in `tensors` current (the autograd engine
    runs each node on the device of its gradients); returns the previous device or None."""
    for t in tensors:
        if t is not None:
            data = t._data
            if type(data) is not np.ndarray and isinstance(data, _cupy.ndarray):
                d = device_index(data)
                prev = _get_device()
                if d != prev:
                    _cupy.cuda.runtime.setDevice(d)
                    return prev
            return None
    return None

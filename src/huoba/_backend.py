"""The array backend of each device: NumPy for "cpu", CuPy for "cuda".

Op code never imports numpy or cupy directly for computation; it asks
`array_module(x)` (Chainer's `get_array_module`) so one code path serves both.
"""
import numpy as np

_cupy = None
_cupy_checked = False


def cupy():
    """The cupy module if it is installed and a GPU is usable, else None."""
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy as cp
            if cp.cuda.runtime.getDeviceCount() > 0:
                _cupy = cp
        except Exception:  # no cupy, no driver or no device
            _cupy = None
    return _cupy


def array_module(array):
    """numpy or cupy, whichever owns `array`."""
    if type(array) is np.ndarray or _cupy is None:
        return np
    return _cupy.get_array_module(array)


def module_for(device):
    """The array module that holds tensors on `device`."""
    if device.type == "cpu":
        return np
    cp = cupy()
    if cp is None:
        _raise_no_cuda()
    return cp


def _raise_no_cuda():
    raise AssertionError("Torch not compiled with CUDA enabled")


def to_device(array, device):
    """Copy `array` into the memory of `device` (no copy if it is already there)."""
    xp = module_for(device)
    if xp is np:
        if type(array) is np.ndarray:
            return array
        return array.get()
    with xp.cuda.Device(device.index or 0):
        return xp.asarray(array)

"""Thread control for the BLAS that NumPy runs on: `huoba.set_num_threads` / `get_num_threads`.

huoba's heavy CPU work is BLAS (matmul, the conv GEMMs); NumPy's element-wise ops are
single-threaded.  PyTorch's `set_num_threads(n)` sets its intra-op thread pool; the
equivalent here is OpenBLAS's thread count, which this module sets through the
library's own C entry points (found among the shared objects the process has loaded,
so no extra dependency), or through `threadpoolctl` when that is installed and the
BLAS is not OpenBLAS.

Nothing is changed at import: NumPy's BLAS keeps its own default (all cores, or
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS) until `set_num_threads` is called.  On a
loaded machine a multi-threaded BLAS can be many times slower than one thread for the
small GEMMs of small networks; `set_num_threads(1)` is then the remedy, as it is for
PyTorch.
"""
import ctypes
import os

__all__ = ["set_num_threads", "get_num_threads"]

_SETTERS = ("openblas_set_num_threads", "scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "openblas_set_num_threads64")
_GETTERS = ("openblas_get_num_threads", "scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
            "openblas_get_num_threads64_", "openblas_get_num_threads64")
_libs = None
_requested = None


def _loaded_openblas():
    """(setter, getter) C functions of every OpenBLAS the process has loaded."""
    global _libs
    if _libs is not None:
        return _libs
    import numpy  # noqa: F401  (make sure NumPy's BLAS is loaded)
    paths = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.rstrip("\n").split(" ")[-1]
                if "openblas" in os.path.basename(path).lower() and path not in paths:
                    paths.append(path)
    except OSError:  # not Linux
        paths = []
    libs = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        setter = next((getattr(lib, n) for n in _SETTERS if hasattr(lib, n)), None)
        getter = next((getattr(lib, n) for n in _GETTERS if hasattr(lib, n)), None)
        if setter is not None:
            setter.restype = None
            setter.argtypes = [ctypes.c_int]
            if getter is not None:
                getter.restype = ctypes.c_int
                getter.argtypes = []
            libs.append((setter, getter))
    _libs = libs
    return libs


def set_num_threads(n):
    """Use `n` threads for BLAS work (PyTorch's `torch.set_num_threads`)."""
    global _requested
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _requested = n
    libs = _loaded_openblas()
    for setter, _ in libs:
        setter(n)
    if not libs:
        try:
            import threadpoolctl
            threadpoolctl.threadpool_limits(n, user_api="blas")
        except ImportError:
            pass


def get_num_threads():
    """The number of threads BLAS work runs on."""
    for _, getter in _loaded_openblas():
        if getter is not None:
            return int(getter())
    if _requested is not None:
        return _requested
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        v = os.environ.get(var)
        if v and v.isdigit() and int(v) > 0:
            return int(v)
    return os.cpu_count() or 1

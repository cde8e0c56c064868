"""Device semantics of op calls once a GPU is in use: PyTorch's device guard and checks.

PyTorch runs every op on the device of its tensors (whatever the current device is)
and refuses tensors on two devices with messages that depend on how the op is
implemented.  CuPy, underneath, launches kernels and allocates on the *current*
device.  This module bridges the two at the op entry points:

* `install()` (run when the first array is put on a GPU, see `_backend.module_for`)
  wraps the public entry points: Tensor methods and operators, the functions of the
  `huoba`, `huoba.nn.functional`, `huoba.nn.init` (and `linalg`/`special`/`fft` when
  present) and `huoba.vision.transforms.functional`/`vision.utils` namespaces, and
  `Module.__call__`; `Optimizer.step`, gradient clipping and gradcheck select their
  parameters' GPU themselves (`on_device_of_args`, `on_device`).  A CPU-only process
  never pays for any of it.  A reference to an op taken before the first GPU use (say
  `from huoba import add` at import time) stays unwrapped: it still works on the
  current GPU, but not on tensors of another one.
* Python's `warnings.warn(..., stacklevel=2)` inside a wrapped op then names the wrapper
  as the caller (a cosmetic difference, only once a GPU is in use).
* The wrapper finds the GPU of the call's tensors, checks that they share a device the
  way PyTorch does for that op (`CHECKS`: PyTorch's TensorIterator message by default,
  the generated wrappers' message for ops such as `mm`, `cat`, `index_select`,
  `nll_loss`, conv's own message, ...), moves a CPU 0-d tensor to the GPU where
  PyTorch accepts one as a scalar, and runs the op with that GPU current.
* `Function.apply` (every differentiable op, also the ones called internally) and the
  autograd engine do the same for what runs below the entry points (see `_backend`).
"""
import functools
import types

import numpy as np

from . import _backend

__all__ = ["install", "uninstall", "CHECKS"]

# ---- message styles -------------------------------------------------------------------------
ITER = "iter"      # TensorIterator: CPU 0-d tensors allowed, "found at least two devices, A and B!"
SKIP = "skip"      # no check (transfers, copies, indexing with CPU indices): only select the GPU


class Same:
    """A generated wrapper's check: tensors in schema order, the first one gives the device."""

    __slots__ = ("method", "names")

    def __init__(self, method, *names):
        self.method, self.names = method, names


def _where(t):
    """-1 for a CPU tensor, else its GPU index."""
    data = t._data
    if type(data) is np.ndarray or not isinstance(data, _backend._cupy.ndarray):
        return -1
    return _backend.device_index(data)


def _name(where):
    return "cpu" if where < 0 else f"cuda:{where}"


def _dev(t):
    return _name(_where(t))


def _iter_error(common, other):
    return RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                        f"{common} and {other}!")


def _same_error(method, name, dev, common):
    return RuntimeError(f"Expected all tensors to be on the same device, but got {name} is on {dev}, different "
                        f"from other tensors on {common} (when checking argument in method {method})")


def _check_same(method, named):
    """named: [(argument name, tensor or None)] in schema order."""
    common = None
    for name, t in named:
        if t is None:
            continue
        d = _where(t)
        if common is None:
            common = d
        elif d != common:
            raise _same_error(method, name, _name(d), _name(common))


def _check_iter(tensors):
    """TensorIterator: the common device is the first non-CPU one; a 0-d CPU tensor is a
    scalar.  Returns whether there are CPU scalars to move."""
    wheres = [_where(t) for t in tensors]
    common = -1
    for d in wheres:
        if d >= 0:
            common = d
            break
    if common < 0:
        return False
    scalars = False
    for t, d in zip(tensors, wheres):
        if d != common:
            if d < 0 and t._data.ndim == 0:
                scalars = True
            else:
                raise _iter_error(_name(common), _name(d))
    return scalars


# ---- custom checks --------------------------------------------------------------------------
def _t(x):
    return x if isinstance(x, _Tensor[0]) else None


def _arg(args, kwargs, i, name):
    if i < len(args):
        return args[i]
    return kwargs.get(name)


def _matmul_check(a, b):
    """torch.matmul dispatches to dot / mv / mm / bmm by the operands' dims."""
    if _t(a) is None or _t(b) is None:
        return
    da, db = a.dim(), b.dim()
    if da == 1 and db == 1:
        _check_same("wrapper_CUDA__dot", [("self", a), ("tensor", b)])
    elif da == 2 and db == 1:
        # mv: the result is made on vec's device, then addmv_(result, mat, vec)
        _check_same("wrapper_CUDA_addmv_", [("self", b), ("mat", a), ("vec", b)])
    elif db <= 2:
        _check_same("wrapper_CUDA_mm", [("self", a), ("mat2", b)])
    elif da <= 2:
        _check_same("wrapper_CUDA_mm", [("self", b), ("mat2", a)])
    else:
        _check_same("wrapper_CUDA_bmm", [("self", a), ("mat2", b)])


def _check_matmul(args, kwargs):
    _matmul_check(_arg(args, kwargs, 0, "input"), _arg(args, kwargs, 1, "other"))


def _check_rmatmul(args, kwargs):
    _matmul_check(args[1], args[0])


def _check_linear(args, kwargs):
    x, w, b = _arg(args, kwargs, 0, "input"), _arg(args, kwargs, 1, "weight"), _arg(args, kwargs, 2, "bias")
    if _t(x) is None or _t(w) is None:
        return
    if _t(b) is not None and x.dim() == 2:
        _check_same("wrapper_CUDA_addmm", [("self", b), ("mat1", x), ("mat2", w)])
        return
    _matmul_check(x, w)
    if _t(b) is not None:
        _check_iter([x, b])


def _type_name(t):
    return t.type()


def _check_conv(args, kwargs):
    x, w, b = _arg(args, kwargs, 0, "input"), _arg(args, kwargs, 1, "weight"), _arg(args, kwargs, 2, "bias")
    if _t(x) is None or _t(w) is None:
        return
    on_cpu = _dev(x) == "cpu"
    for name, p in (("weight", w), ("bias", _t(b))):
        if p is None:
            continue
        if _dev(p) != _dev(x):
            if (_dev(p) == "cpu") != on_cpu:
                tail = (f" or input should be a MKLDNN tensor and {name} is a dense tensor" if on_cpu else "")
                raise RuntimeError(f"Input type ({_type_name(x)}) and {name} type ({_type_name(p)}) should be "
                                   f"the same{tail}")
            raise _iter_error(_dev(x), _dev(p))


def _check_batch_norm(args, kwargs):
    names = ("input", "running_mean", "running_var", "weight", "bias")
    vals = {n: _t(_arg(args, kwargs, i, n)) for i, n in enumerate(names)}
    training = _arg(args, kwargs, 5, "training")
    if training and vals["running_mean"] is not None:
        method = "wrapper_CUDA___batch_norm_with_update"
    else:
        method = "wrapper_CUDA__native_batch_norm"
    _check_same(method, [(n, vals[n]) for n in ("input", "weight", "bias", "running_mean", "running_var")])


def _check_layer_norm(args, kwargs):
    x = _t(_arg(args, kwargs, 0, "input"))
    w, b = _t(_arg(args, kwargs, 2, "weight")), _t(_arg(args, kwargs, 3, "bias"))
    _check_same("wrapper_CUDA__native_layer_norm", [("input", x), ("weight", w), ("bias", b)])


def _check_embedding(args, kwargs):
    idx, w = _t(_arg(args, kwargs, 0, "input")), _t(_arg(args, kwargs, 1, "weight"))
    _check_same("wrapper_CUDA__index_select", [("self", w), ("index", idx)])


def _check_nll(args, kwargs):
    x, target = _t(_arg(args, kwargs, 0, "input")), _t(_arg(args, kwargs, 1, "target"))
    weight = _t(_arg(args, kwargs, 2, "weight"))
    if x is None:
        return
    if target is not None and target.is_floating_point():  # cross_entropy with class probabilities
        _check_iter([t for t in (x, target, weight) if t is not None])
        return
    method = "wrapper_CUDA__nll_loss2d_forward" if x.dim() == 4 else "wrapper_CUDA_nll_loss_forward"
    _check_same(method, [("self", x), ("target", target), ("weight", weight)])


def _check_masked_fill(args, kwargs):
    x, mask = _t(_arg(args, kwargs, 0, "input")), _t(_arg(args, kwargs, 1, "mask"))
    if x is not None and mask is not None and _dev(x) != _dev(mask):
        raise RuntimeError(f"expected self and mask to be on the same device, but got mask on {_dev(mask)} and "
                           f"self on {_dev(x)}")
    value = _t(_arg(args, kwargs, 2, "value"))
    if x is not None and value is not None:
        return _check_iter([x, value])


def _check_index(args, kwargs):
    """x[indices]: index tensors may be on the CPU or on x's device."""
    x = args[0]
    key = args[1] if len(args) > 1 else None
    keys = key if isinstance(key, tuple) else (key,)
    xd = _dev(x)
    for k in keys:
        if _t(k) is not None:
            kd = _dev(k)
            if kd != "cpu" and kd != xd:
                raise RuntimeError(f"indices should be either on cpu or on the same device as the indexed tensor "
                                   f"({xd})")


def _check_cross_entropy(args, kwargs):
    return _check_nll(args, kwargs)


def _check_binary_cross_entropy(args, kwargs):
    x, y, w = (_t(_arg(args, kwargs, 0, "input")), _t(_arg(args, kwargs, 1, "target")),
               _t(_arg(args, kwargs, 2, "weight")))
    _check_same("wrapper_CUDA__binary_cross_entropy", [("self", x), ("target", y), ("weight", w)])


CHECKS = {
    # generated wrappers (argument names of the ATen schema, in order)
    "mm": Same("wrapper_CUDA_mm", "self", "mat2"),
    "bmm": Same("wrapper_CUDA_bmm", "self", "mat2"),
    "addmm": Same("wrapper_CUDA_addmm", "self", "mat1", "mat2"),
    "addmm_": Same("wrapper_CUDA_addmm_", "self", "mat1", "mat2"),
    "baddbmm": Same("wrapper_CUDA_baddbmm", "self", "batch1", "batch2"),
    "baddbmm_": Same("wrapper_CUDA_baddbmm_", "self", "batch1", "batch2"),
    "addmv": Same("wrapper_CUDA_addmv", "self", "mat", "vec"),
    "addmv_": Same("wrapper_CUDA_addmv_", "self", "mat", "vec"),
    "dot": Same("wrapper_CUDA__dot", "self", "tensor"),
    "vdot": Same("wrapper_CUDA__vdot", "self", "other"),
    "cat": Same("wrapper_CUDA_cat", "tensors"),
    "concat": Same("wrapper_CUDA_cat", "tensors"),
    "concatenate": Same("wrapper_CUDA_cat", "tensors"),
    "stack": Same("wrapper_CUDA_cat", "tensors"),
    "hstack": Same("wrapper_CUDA_cat", "tensors"),
    "vstack": Same("wrapper_CUDA_cat", "tensors"),
    "index_select": Same("wrapper_CUDA__index_select", "self", "dim", "index"),
    "gather": Same("wrapper_CUDA_gather", "self", "dim", "index"),
    "take_along_dim": Same("wrapper_CUDA_gather", "self", "indices", "dim"),
    "scatter": Same("wrapper_CUDA_scatter_src", "self", "dim", "index", "src"),
    "scatter_": Same("wrapper_CUDA_scatter__src", "self", "dim", "index", "src"),
    "scatter_add": Same("wrapper_CUDA_scatter_add", "self", "dim", "index", "src"),
    "scatter_add_": Same("wrapper_CUDA_scatter_add_", "self", "dim", "index", "src"),
    "scatter_reduce": Same("wrapper_CUDA_scatter_reduce_two", "self", "dim", "index", "src"),
    "scatter_reduce_": Same("wrapper_CUDA_scatter_reduce__two", "self", "dim", "index", "src"),
    "index_add": Same("wrapper_CUDA_index_add", "self", "dim", "index", "source"),
    "index_add_": Same("wrapper_CUDA_index_add_", "self", "dim", "index", "source"),
    "index_copy": Same("wrapper_CUDA_index_copy", "self", "dim", "index", "source"),
    "index_copy_": Same("wrapper_CUDA_index_copy_", "self", "dim", "index", "source"),
    "index_fill": Same("wrapper_CUDA_int_Tensor_index_fill_", "self", "dim", "index", "value"),
    "index_fill_": Same("wrapper_CUDA_int_Tensor_index_fill_", "self", "dim", "index", "value"),
    "take": Same("wrapper_CUDA__take", "self", "index"),
    "put": Same("wrapper_CUDA__put_", "self", "index", "source"),
    "put_": Same("wrapper_CUDA__put_", "self", "index", "source"),
    "masked_select": Same("wrapper_CUDA__masked_select", "self", "mask"),
    "masked_scatter": Same("wrapper_CUDA__masked_scatter_", "self", "mask", "source"),
    "masked_scatter_": Same("wrapper_CUDA__masked_scatter_", "self", "mask", "source"),
    "searchsorted": Same("wrapper_CUDA_Tensor_searchsorted", "sorted_sequence", "self"),
    "bucketize": Same("wrapper_CUDA_Tensor_bucketize", "self", "boundaries"),
    "histc": Same("wrapper_CUDA__histc", "self"),
    "bincount": Same("wrapper_CUDA__bincount", "self", "weights"),
    "binary_cross_entropy": _check_binary_cross_entropy,
    "nll_loss": _check_nll,
    "cross_entropy": _check_cross_entropy,
    "embedding": _check_embedding,
    "layer_norm": _check_layer_norm,
    "batch_norm": _check_batch_norm,
    "masked_fill": _check_masked_fill,
    "masked_fill_": _check_masked_fill,
    # composite dispatch
    "matmul": _check_matmul,
    "__matmul__": _check_matmul,
    "__rmatmul__": _check_rmatmul,
    "linear": _check_linear,
    "conv1d": _check_conv, "conv2d": _check_conv, "conv3d": _check_conv,
    "conv_transpose1d": _check_conv, "conv_transpose2d": _check_conv, "conv_transpose3d": _check_conv,
    "__getitem__": _check_index,
    # transfers and copies between devices are what these are for
    "to": SKIP, "cuda": SKIP, "cpu": SKIP, "type": SKIP, "type_as": SKIP, "copy_": SKIP, "__setitem__": SKIP,
    "new_tensor": SKIP, "new_zeros": SKIP, "new_ones": SKIP, "new_empty": SKIP, "new_full": SKIP,
    "zeros_like": SKIP, "ones_like": SKIP, "empty_like": SKIP, "full_like": SKIP, "rand_like": SKIP,
    "randn_like": SKIP, "randint_like": SKIP, "tensor": SKIP, "as_tensor": SKIP, "asarray": SKIP,
    "set_": SKIP, "__call__": SKIP, "__deepcopy__": SKIP, "__reduce_ex__": SKIP, "data": SKIP,
    "pin_memory": SKIP, "is_pinned": SKIP, "record_stream": SKIP, "__repr__": SKIP, "__format__": SKIP,
    "tolist": SKIP, "item": SKIP, "numpy": SKIP, "backward": SKIP,
}

# Tensor attributes that read metadata only (no kernel): not wrapped, so they stay as fast as on the CPU
_PLAIN = frozenset((
    "__init__", "__new__", "_init_from", "size", "dim", "ndimension", "numel", "nelement", "element_size",
    "is_floating_point", "is_complex", "is_contiguous", "stride", "storage_offset", "data_ptr",
    "untyped_storage", "_bump_version", "requires_grad_", "retain_grad", "_edge", "register_hook",
    "register_post_accumulate_grad_hook", "detach", "detach_", "is_inference", "_is_view", "__len__",
    "__hash__", "_wrap_dim", "__init_subclass__", "__getattr__", "__setattr__", "__delattr__", "__dir__",
    "__sizeof__", "__class__", "get_device", "is_shared", "share_memory_", "__bool__", "__index__", "__int__",
    "__float__", "__complex__", "_scalar", "__iter__", "__array__", "__reduce__", "is_pinned",
))

_Tensor = [None]
_installed = []     # [(owner, name, original)] to restore


def _first_gpu(args, kwargs):
    """The index of the first GPU tensor among the call's arguments, or -1."""
    tensor = _Tensor[0]
    cupy_nd = _backend._cupy.ndarray
    for a in args:
        if isinstance(a, tensor):
            data = a._data
            if type(data) is not np.ndarray and isinstance(data, cupy_nd):
                return _backend.device_index(data)
        elif type(a) in (list, tuple) and a:
            for t in a:
                if isinstance(t, tensor):
                    data = t._data
                    if type(data) is not np.ndarray and isinstance(data, cupy_nd):
                        return _backend.device_index(data)
    if kwargs:
        for a in kwargs.values():
            if isinstance(a, tensor):
                data = a._data
                if type(data) is not np.ndarray and isinstance(data, cupy_nd):
                    return _backend.device_index(data)
    return -1


def _named(check, args, kwargs):
    tensor = _Tensor[0]
    named = []
    for i, a in enumerate(args):
        name = check.names[i] if i < len(check.names) else check.names[-1]
        if isinstance(a, tensor):
            named.append((name, a))
        elif type(a) in (list, tuple):
            named.extend((name, t) for t in a if isinstance(t, tensor))
    for k, a in kwargs.items():
        if isinstance(a, tensor) and k != "out":
            named.append((k, a))
    return named


def _promote_scalars(args, kwargs, index):
    """Move the CPU 0-d tensor arguments of a TensorIterator op to GPU `index`."""
    from .device import device
    tensor = _Tensor[0]
    dev = device("cuda", index)

    def move(a):
        if isinstance(a, tensor) and type(a._data) is np.ndarray and a._data.ndim == 0:
            return a.to(dev)
        return a
    return [move(a) for a in args], {k: move(a) for k, a in kwargs.items()}


def _guard(fn, check):
    """`fn` run on the GPU of its tensors, after PyTorch's device check for it."""
    tensor = _Tensor[0]
    ndarray = np.ndarray

    def op(*args, **kwargs):
        # the tensors of the call and where they live (-1: CPU); the first GPU one decides
        index = -1
        wheres = None
        tensors = None
        for a in args:
            if isinstance(a, tensor):
                data = a._data
                d = -1 if type(data) is ndarray else _where(a)
                if tensors is None:
                    tensors, wheres = [a], [d]
                else:
                    tensors.append(a)
                    wheres.append(d)
                if index < 0:
                    index = d
            elif type(a) in (list, tuple) and a and isinstance(a[0], tensor):
                for t in a:
                    if isinstance(t, tensor):
                        d = _where(t)
                        if tensors is None:
                            tensors, wheres = [t], [d]
                        else:
                            tensors.append(t)
                            wheres.append(d)
                        if index < 0:
                            index = d
        if kwargs:
            for k, a in kwargs.items():
                if isinstance(a, tensor):
                    d = _where(a)
                    if k != "out":
                        if tensors is None:
                            tensors, wheres = [a], [d]
                        else:
                            tensors.append(a)
                            wheres.append(d)
                    if index < 0:
                        index = d
        if index < 0:
            return fn(*args, **kwargs)
        if check is not SKIP:
            if check is ITER:
                if len(tensors) > 1:
                    for t, d in zip(tensors, wheres):
                        if d != index:
                            if d < 0 and t._data.ndim == 0:
                                continue
                            raise _iter_error(_name(index), _name(d))
                    if -1 in wheres:
                        args, kwargs = _promote_scalars(args, kwargs, index)
            elif type(check) is Same:
                _check_same(check.method, _named(check, args, kwargs))
            else:
                check(args, kwargs)
        if index == _backend._get_device():
            return fn(*args, **kwargs)
        with _backend._Device(index):
            return fn(*args, **kwargs)

    functools.update_wrapper(op, fn)
    op.__wrapped_by_device_guard__ = fn
    return op


class _Nothing:
    __slots__ = ()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_NOTHING = _Nothing()


def on_device(array):
    """A context that makes the GPU of CuPy array `array` current if it is not (for code that
    works on raw arrays outside the op entry points); a no-op for a NumPy array."""
    if type(array) is np.ndarray or not _backend.gpu_used[0]:
        return _NOTHING
    index = _backend.device_index(array)
    return _NOTHING if index == _backend._get_device() else _backend._Device(index)


def on_device_of_args(fn):
    """Decorator for entry points outside the wrapped namespaces (gradcheck, ...): once a GPU
    is in use, run `fn` with the GPU of its first CUDA tensor argument current."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        if not _backend.gpu_used[0]:
            return fn(*args, **kwargs)
        if _Tensor[0] is None:
            from .tensor import Tensor
            _Tensor[0] = Tensor
        index = _first_gpu(args, kwargs)
        if index < 0 or index == _backend._get_device():
            return fn(*args, **kwargs)
        with _backend._Device(index):
            return fn(*args, **kwargs)
    return run


def _check_for(name):
    check = CHECKS.get(name)
    if check is None and name.endswith("_") and not name.endswith("__"):
        check = CHECKS.get(name[:-1])
    return ITER if check is None else check


def _wrap_attr(owner, name, obj):
    if getattr(obj, "__wrapped_by_device_guard__", None) is not None:
        return
    setattr(owner, name, _guard(obj, _check_for(name)))
    _installed.append((owner, name, obj))


def _wrap_namespace(module, prefixes):
    for name, obj in list(vars(module).items()):
        if name.startswith("__") or not isinstance(obj, types.FunctionType):
            continue
        if not (obj.__module__ or "").startswith(prefixes):
            continue
        _wrap_attr(module, name, obj)


def install():
    """Wrap the op entry points (once; undone by `uninstall`)."""
    if _installed:
        return
    import importlib
    from .tensor import Tensor
    _Tensor[0] = Tensor
    for name, obj in list(vars(Tensor).items()):
        if name in _PLAIN or not isinstance(obj, types.FunctionType):
            continue
        _wrap_attr(Tensor, name, obj)
    ops = ("huoba.ops", "huoba.nn.functional", "huoba.nn.init", "huoba.linalg", "huoba.special", "huoba.fft",
           "huoba.vision.transforms.functional", "huoba.vision.transforms._functional", "huoba.vision.utils")
    huoba = importlib.import_module("huoba")
    _wrap_namespace(huoba, ops)
    for sub in ("huoba.nn.functional", "huoba.nn.init", "huoba.linalg", "huoba.special", "huoba.fft",
                "huoba.vision.transforms.functional", "huoba.vision.utils"):
        try:
            module = importlib.import_module(sub)
        except ImportError:
            continue
        _wrap_namespace(module, ops)
    from .nn.modules.module import Module
    _wrap_attr(Module, "__call__", vars(Module)["__call__"])
    if not _installed:
        _installed.append((None, None, None))


def uninstall():
    while _installed:
        owner, name, obj = _installed.pop()
        if owner is not None:
            setattr(owner, name, obj)

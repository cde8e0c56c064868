"""The op-table test helper shared by the op-family tests (tinygrad's helper_test_op idea).

An op is written once as `fn(lib, *tensors)` and run with `lib=torch` and `lib=huoba` on
the same generated inputs.  `check_op` then compares what PyTorch and huoba give:

* the outputs: dtype, shape, values (tolerance per dtype), `requires_grad`, and the
  grad_fn's name (`type(t.grad_fn).__name__` in torch, `grad_fn.name()` in huoba);
* or, when PyTorch raises, the error type and message;
* the gradients of every floating input that requires grad, for the same random
  upstream gradient (`autograd.grad` in both);
* a float64 finite-difference check of huoba's gradients (`gradcheck`).
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import huoba  # noqa: E402
from huoba.autograd.gradcheck import gradcheck, gradgradcheck  # noqa: E402

# (rtol, atol) per dtype name
TOLERANCE = {"float16": (2e-3, 2e-3), "float32": (2e-6, 1e-6), "float64": (1e-9, 1e-12)}

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _rng(seed=0):
    return np.random.default_rng(seed)


def array(shape, dtype="float32", low=-2.0, high=2.0, seed=0):
    """Test data: uniform in [low, high) for floats, small integers otherwise."""
    r = _rng(seed)
    if dtype == "bool":
        return np.asarray(r.random(shape) < 0.5)
    if dtype in ("uint8", "int8", "int16", "int32", "int64"):
        lo = max(int(low), 0) if dtype == "uint8" else int(low)
        return np.asarray(r.integers(lo, max(int(high), lo + 1) + 1, size=shape)).astype(dtype)
    return np.asarray(r.uniform(low, high, size=shape)).astype(dtype)


def to_lib(lib, x, requires_grad=False):
    """A numpy array (or a scalar, passed through) as a tensor of `lib`."""
    if isinstance(x, np.ndarray):
        t = lib.tensor(x.copy())
        if requires_grad and x.dtype.kind == "f":
            t.requires_grad_(True)
        return t
    return x


def node_name(lib, fn):
    if fn is None:
        return None
    if lib is torch:
        # PyTorch's C++ nodes (CopySlices, NotImplemented, ...) are named with their namespace
        name, full = type(fn).__name__, fn.name()
        return full if full.endswith("::" + name) else name
    return fn.name()


def _numpy(t):
    return np.asarray(t.detach().cpu().numpy(force=True))


def assert_close_arrays(a, b, dtype_name, rtol=None, atol=None, msg=""):
    r, t = TOLERANCE.get(dtype_name, (0, 0))
    rtol = r if rtol is None else rtol
    atol = t if atol is None else atol
    if dtype_name in TOLERANCE:
        np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol, atol=atol,
                                   equal_nan=True, err_msg=msg)
    else:
        np.testing.assert_array_equal(a, b, err_msg=msg)


def assert_same(h, t, rtol=None, atol=None, check_grad_fn=True, where="output"):
    """huoba's `h` matches torch's `t` (tensors, tuples of them, Python values)."""
    if isinstance(t, torch.Tensor):
        assert isinstance(h, huoba.Tensor), f"{where}: expected a Tensor, got {type(h).__name__}"
        assert str(h.dtype) == str(t.dtype), f"{where}: dtype {h.dtype} != torch's {t.dtype}"
        assert tuple(h.shape) == tuple(t.shape), f"{where}: shape {tuple(h.shape)} != torch's {tuple(t.shape)}"
        assert h.requires_grad == t.requires_grad, f"{where}: requires_grad {h.requires_grad} != {t.requires_grad}"
        if check_grad_fn:
            assert node_name(huoba, h.grad_fn) == node_name(torch, t.grad_fn), \
                f"{where}: grad_fn {node_name(huoba, h.grad_fn)} != torch's {node_name(torch, t.grad_fn)}"
        assert_close_arrays(_numpy(h), _numpy(t), str(t.dtype).replace("torch.", ""), rtol, atol, where)
    elif isinstance(t, (tuple, list)):
        assert isinstance(h, (tuple, list)), f"{where}: expected a sequence, got {type(h).__name__}"
        assert len(h) == len(t), f"{where}: {len(h)} results != torch's {len(t)}"
        for i, (a, b) in enumerate(zip(h, t)):
            assert_same(a, b, rtol, atol, check_grad_fn, f"{where}[{i}]")
    elif isinstance(t, torch.dtype):
        assert str(h) == str(t), f"{where}: {h} != {t}"
    elif isinstance(t, torch.Size):
        assert isinstance(h, huoba.Size) and tuple(h) == tuple(t), f"{where}: {h} != {t}"
    elif isinstance(t, float):
        assert isinstance(h, float), f"{where}: {type(h).__name__} != float"
        assert h == pytest.approx(t, rel=1e-6, nan_ok=True), f"{where}: {h} != {t}"
    else:
        assert type(h) is type(t) and h == t, f"{where}: {h!r} != torch's {t!r}"


def run_both(fn, h_inputs, t_inputs):
    """(huoba result, torch result); an exception stands in for a result."""
    try:
        t_out = fn(torch, *t_inputs)
    except Exception as e:  # noqa: BLE001 - any error is a result to compare
        t_out = e
    try:
        h_out = fn(huoba, *h_inputs)
    except Exception as e:  # noqa: BLE001
        h_out = e
    return h_out, t_out


def assert_same_error(h, t):
    assert isinstance(h, BaseException), f"torch raised {type(t).__name__}: {t}; huoba returned {h!r}"
    assert type(h).__name__ == type(t).__name__ and str(h) == str(t), \
        f"\ntorch: {type(t).__name__}: {t}\nhuoba: {type(h).__name__}: {h}"


def _flat_tensors(out, lib):
    if isinstance(out, lib.Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [o for x in out for o in _flat_tensors(x, lib)]
    return []


def check_op(fn, *inputs, grad=True, backward=True, rtol=None, atol=None, grad_rtol=None, grad_atol=None,
             check_grad_fn=True, gradcheck_=True, gradgradcheck_=False, seed=1):
    """Run fn(lib, *tensors) with torch and huoba on `inputs` (numpy arrays or Python values)
    and compare outputs, errors, gradients; then gradcheck huoba in float64.

    grad: floating inputs require grad; backward: compare gradients (and gradcheck)."""
    t_in = [to_lib(torch, x, grad) for x in inputs]
    h_in = [to_lib(huoba, x, grad) for x in inputs]
    h_out, t_out = run_both(fn, h_in, t_in)
    if isinstance(t_out, Exception):
        assert_same_error(h_out, t_out)
        return
    if isinstance(h_out, Exception):
        raise h_out
    assert_same(h_out, t_out, rtol, atol, check_grad_fn)
    if not grad or not backward:
        return
    t_outs = [o for o in _flat_tensors(t_out, torch) if o.requires_grad]
    h_outs = [o for o in _flat_tensors(h_out, huoba) if o.requires_grad]
    t_leaves = [x for x in t_in if isinstance(x, torch.Tensor) and x.requires_grad]
    h_leaves = [x for x in h_in if isinstance(x, huoba.Tensor) and x.requires_grad]
    if not t_outs or not t_leaves:
        return
    r = _rng(seed)
    seeds = [r.uniform(-1, 1, size=tuple(o.shape)).astype(str(o.dtype).replace("torch.", "")) for o in t_outs]
    t_grads = torch.autograd.grad(t_outs, t_leaves, [torch.tensor(s) for s in seeds], allow_unused=True)
    h_grads = huoba.autograd.grad(h_outs, h_leaves, [huoba.tensor(s) for s in seeds], allow_unused=True)
    for i, (hg, tg) in enumerate(zip(h_grads, t_grads)):
        if tg is None:
            assert hg is None or not np.any(_numpy(hg)), f"grad {i}: torch gives None, huoba {hg}"
            continue
        assert hg is not None, f"grad {i}: huoba gives None, torch {tg}"
        assert_same(hg, tg, grad_rtol if grad_rtol is not None else rtol, grad_atol if grad_atol is not None
                    else atol, check_grad_fn=False, where=f"grad {i}")
    if gradcheck_:
        run_gradcheck(fn, inputs, gradgradcheck_)


def run_gradcheck(fn, inputs, second_order=False):
    """gradcheck huoba's fn at float64 copies of the floating inputs."""
    xs = []
    for x in inputs:
        if isinstance(x, np.ndarray) and x.dtype.kind == "f":
            xs.append(huoba.tensor(x.astype(np.float64), requires_grad=True))
        else:
            xs.append(to_lib(huoba, x))
    if not any(isinstance(x, huoba.Tensor) and x.requires_grad for x in xs):
        return
    outs = fn(huoba, *xs)
    if not any(o.requires_grad for o in _flat_tensors(outs, huoba)):
        return

    def f(*args):
        out = fn(huoba, *args)
        flat = tuple(o for o in _flat_tensors(out, huoba))
        return flat if len(flat) != 1 else flat[0]

    assert gradcheck(f, tuple(xs), eps=1e-6, atol=1e-5, rtol=1e-3)
    if second_order:
        assert gradgradcheck(f, tuple(xs), eps=1e-6, atol=1e-4, rtol=1e-3)


def check_same(fn, *inputs, check_grad_fn=True):
    """Forward-only comparison of fn(lib, ...) (values, dtypes, errors)."""
    check_op(fn, *inputs, grad=False, check_grad_fn=check_grad_fn)


def check_error(fn, *args):
    """fn(torch, ...) raises; fn(huoba, ...) must raise the same type with the same message."""
    h, t = run_both(fn, args, args)
    assert isinstance(t, Exception), "torch did not raise"
    assert_same_error(h, t)

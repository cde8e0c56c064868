"""Helpers for the nn tests: twin modules in huoba and PyTorch, compared value by value."""
import numpy as np

import huoba

torch = None

try:  # the oracle runs single-threaded: the suite itself runs in parallel workers on few cores
    import torch as _torch_mod
    _torch_mod.set_num_threads(1)
except ImportError:  # pragma: no cover
    pass


def _torch():
    global torch
    if torch is None:
        import torch as _t
        torch = _t
    return torch


def to_np(t):
    if t is None:
        return None
    if hasattr(t, "detach"):
        t = t.detach()
    return np.asarray(t.cpu().numpy() if hasattr(t, "cpu") else t.numpy())


def h(a, requires_grad=False):
    """A huoba tensor from a NumPy array."""
    t = huoba.tensor(np.asarray(a))
    if requires_grad:
        t.requires_grad_(True)
    return t


def t(a, requires_grad=False):
    """A torch tensor from a NumPy array."""
    T = _torch()
    x = T.tensor(np.asarray(a))
    if requires_grad:
        x.requires_grad_(True)
    return x


def copy_weights(src_torch, dst_huoba):
    """Copy a torch module's state into its huoba twin (same keys)."""
    sd = {k: huoba.tensor(to_np(v).copy()) for k, v in src_torch.state_dict().items()}
    dst_huoba.load_state_dict(sd)


def tol(dtype):
    return (1e-5, 1e-5) if dtype == np.float32 else (1e-10, 1e-10)


def assert_close(a, b, dtype=np.float64, rtol=None, atol=None, msg=""):
    r, at = tol(dtype)
    a, b = to_np(a), to_np(b)
    assert a.shape == b.shape, f"{msg} shape {a.shape} != {b.shape}"
    np.testing.assert_allclose(a, b, rtol=rtol if rtol is not None else r * 10,
                               atol=atol if atol is not None else at * 10, err_msg=msg)


def check_module(hmod, tmod, inputs, dtype=np.float64, grad_inputs=True, rtol=None, atol=None, seed=0,
                 output_index=None):
    """Run both modules on the same inputs (NumPy arrays), compare outputs, then backward a random
    grad_output and compare the input gradients and every parameter gradient."""
    copy_weights(tmod, hmod)
    rng = np.random.default_rng(seed)
    hin, tin = [], []
    for a in inputs:
        a = np.asarray(a)
        diff = grad_inputs and a.dtype.kind == "f"
        hin.append(h(a, diff))
        tin.append(t(a, diff))
    ho = hmod(*hin)
    to = tmod(*tin)
    if output_index is not None:
        ho, to = _pick(ho, output_index), _pick(to, output_index)
    if isinstance(ho, tuple):
        hos, tos = _flatten(ho), _flatten(to)
    else:
        hos, tos = [ho], [to]
    for i, (a, b) in enumerate(zip(hos, tos)):
        assert_close(a, b, dtype, rtol, atol, msg=f"output {i}")
    h_loss = None
    t_loss = None
    for a, b in zip(hos, tos):
        if not b.requires_grad:
            continue
        g = rng.standard_normal(tuple(b.shape)).astype(to_np(b).dtype)
        hl = (a * h(g)).sum()
        tl = (b * t(g)).sum()
        h_loss = hl if h_loss is None else h_loss + hl
        t_loss = tl if t_loss is None else t_loss + tl
    if t_loss is None:
        return ho, to
    h_loss.backward()
    t_loss.backward()
    for i, (a, b) in enumerate(zip(hin, tin)):
        if b.requires_grad:
            assert_close(a.grad, b.grad, dtype, rtol, atol, msg=f"input grad {i}")
    tparams = dict(tmod.named_parameters())
    for name, p in hmod.named_parameters():
        q = tparams[name]
        if q.grad is None:
            assert p.grad is None or not np.any(to_np(p.grad)), name
        else:
            assert p.grad is not None, f"missing grad for {name}"
            assert_close(p.grad, q.grad, dtype, rtol, atol, msg=f"param grad {name}")
    return ho, to


def _flatten(x):
    out = []
    for v in x:
        if isinstance(v, tuple):
            out.extend(_flatten(v))
        else:
            out.append(v)
    return out


def _pick(x, index):
    return x[index]


def check_function(hfn, tfn, inputs, dtype=np.float64, rtol=None, atol=None, seed=0, diff=None):
    """Compare a functional op (huoba vs torch) on NumPy inputs, values and gradients.
    `diff` lists which inputs get requires_grad (default: all floating ones)."""
    rng = np.random.default_rng(seed)
    hin, tin = [], []
    for i, a in enumerate(inputs):
        if not isinstance(a, np.ndarray):
            hin.append(a)
            tin.append(a)
            continue
        d = (a.dtype.kind == "f") if diff is None else (i in diff)
        hin.append(h(a, d))
        tin.append(t(a, d))
    ho = hfn(*hin)
    to = tfn(*tin)
    assert_close(ho, to, dtype, rtol, atol, msg="output")
    assert str(ho.dtype) == str(to.dtype), (ho.dtype, to.dtype)
    if not to.requires_grad:
        return ho, to
    g = rng.standard_normal(tuple(to.shape)).astype(to_np(to).dtype)
    (ho * h(g)).sum().backward()
    (to * t(g)).sum().backward()
    for i, (a, b) in enumerate(zip(hin, tin)):
        if hasattr(b, "requires_grad") and b.requires_grad and b.grad is not None:
            assert a.grad is not None, f"missing grad for input {i}"
            assert_close(a.grad, b.grad, dtype, rtol, atol, msg=f"grad {i}")
    return ho, to


def gradcheck(fn, arrays, eps=1e-6, atol=1e-5, rtol=1e-3):
    """float64 finite-difference check of fn over huoba tensors made from `arrays`."""
    import importlib
    gc = importlib.import_module("huoba.autograd.gradcheck").gradcheck
    ins = [h(np.asarray(a, dtype=np.float64), True) for a in arrays]
    assert gc(fn, tuple(ins), eps=eps, atol=atol, rtol=rtol)

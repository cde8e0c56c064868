"""gradcheck / gradgradcheck: compare autograd's gradients with finite differences.

`gradcheck(func, inputs)` builds, for every differentiable output and every input
that requires grad, two Jacobians of shape (input numel, output numel):

* numerical: each input element is nudged by +eps and -eps (in place) and the change of the outputs is divided by 2*eps;
* analytical: one `autograd.grad` call per output element, with a one-hot
  grad_output, gives one column.

They must agree within `atol + rtol * |numerical|` (`allclose`).  Inputs should
be float64: float32 rounding errors exceed the default tolerances.  With
`fast_mode=True` only the projections u^T J v onto random vectors are compared
(one pair of function evaluations per input instead of one per element).

`gradgradcheck` runs gradcheck on the function that maps (inputs, grad_outputs)
to the first-order gradients, built with `create_graph=True`.
"""
import warnings

import numpy as np

from ..tensor import Tensor, _wrap
from . import engine

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "get_numerical_jacobian", "get_analytical_jacobian"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck and gradgradcheck when a check fails."""


from .._devices import on_device_of_args as _on_device_of_inputs  # noqa: E402 (checks run on the inputs' GPU)


def _as_tuple(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _host(array):
    return array if type(array) is np.ndarray else array.get()


def _diff_inputs(inputs):
    return [t for t in inputs if isinstance(t, Tensor) and t._requires_grad]


def _check_inputs(inputs):
    found = False
    for i, t in enumerate(inputs):
        if not (isinstance(t, Tensor) and t._requires_grad):
            continue
        if t._data.dtype != np.float64:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or "
                          "complex. This check will likely fail if all the inputs are not of double precision "
                          "floating point or complex. ", stacklevel=3)
        if t._data.size and any(st == 0 and sz > 1 for st, sz in zip(t._data.strides, t._data.shape)):
            raise RuntimeError(f"The {i}th input has a dimension with stride 0. gradcheck only supports inputs "
                               "that are non-overlapping to be able to compute the numerical gradients "
                               "correctly. You should call .contiguous on the input before passing it to "
                               "gradcheck.")
        found = True
    if not found:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them "
                         "have requires_grad=True.")


def _evaluate(func, inputs):
    """func's tensor outputs as float64 host arrays (flattened)."""
    outs = _as_tuple(func(*inputs))
    return [_host(o._data).astype(np.float64).reshape(-1) for o in outs if isinstance(o, Tensor)]


def _numerical_jacobians(func, inputs, outputs, eps):
    """jac[i][j]: d output j / d input i as an (input numel, output numel) float64 array."""
    result = []
    for t in _diff_inputs(inputs):
        data = t._data
        cols = [np.zeros((data.size, o._data.size)) for o in outputs]
        for k in range(data.size):
            idx = np.unravel_index(k, data.shape)
            orig = data[idx].item()
            data[idx] = orig - eps
            lo = _evaluate(func, inputs)
            data[idx] = orig + eps
            hi = _evaluate(func, inputs)
            data[idx] = orig
            for j in range(len(outputs)):
                cols[j][k] = (hi[j] - lo[j]) / (2 * eps)
        result.append(cols)
    return result


def _analytical_jacobians(inputs, output):
    """One row block per differentiable input: d output / d input, built from one-hot vjps."""
    diff = _diff_inputs(inputs)
    n_out = output._data.size
    jacs = [np.zeros((t._data.size, n_out)) for t in diff]
    sizes_ok = types_ok = True
    for k in range(n_out):
        seed = np.zeros(n_out, dtype=output._data.dtype)
        seed[k] = 1
        seed = _wrap(_to_like(seed.reshape(output._data.shape), output._data))
        grads = engine.grad(output, diff, seed, retain_graph=True, allow_unused=True)
        for i, (g, t) in enumerate(zip(grads, diff)):
            if g is None:
                continue
            if g.shape != t.shape:
                sizes_ok = False
                continue
            if g.dtype != t.dtype:
                types_ok = False
            jacs[i][:, k] = _host(g._data).astype(np.float64).reshape(-1)
    return jacs, sizes_ok, types_ok


def _array_module(array):
    from .._backend import array_module
    return array_module(array)


def _to_like(array, like):
    if type(like) is np.ndarray:
        return array
    return _array_module(like).asarray(array)


def _fail(message, raise_exception):
    if raise_exception:
        raise GradcheckError(message)
    return False


def _mismatch_message(analytical, numerical, out_idx, in_idx):
    return (f"Jacobian mismatch for output {out_idx:d} with respect to input {in_idx:d},\n"
            f"numerical:{_wrap(numerical)}\nanalytical:{_wrap(analytical)}\n")


def _allclose(a, n, rtol, atol):
    return bool(np.all(np.abs(a - n) <= atol + rtol * np.abs(n)))


@_on_device_of_inputs
def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """True when the analytical gradients of `func` at `inputs` match finite differences.

    On a mismatch it raises GradcheckError (or returns False with raise_exception=False).
    """
    if check_forward_ad:
        raise NotImplementedError("huoba has no forward-mode AD: gradcheck(check_forward_ad=True)")
    inputs = _as_tuple(inputs)
    _check_inputs(inputs)
    out = _as_tuple(func(*inputs))
    tensors_out = [o for o in out if isinstance(o, Tensor)]
    outputs = [o for o in tensors_out if o._requires_grad]
    if not check_backward_ad:
        return True
    if not outputs:
        # nothing differentiable: the numerical gradient must then be zero
        for per_input in _numerical_jacobians(func, inputs, tensors_out, eps):
            for jac in per_input:
                if np.any(jac != 0):
                    return _fail("Numerical gradient for function expected to be zero", raise_exception)
        return True
    if fast_mode:
        ok = _fast_check(func, inputs, tensors_out, outputs, eps, atol, rtol, raise_exception)
    else:
        ok = _slow_check(func, inputs, tensors_out, outputs, eps, atol, rtol, nondet_tol, check_grad_dtypes,
                         raise_exception)
    if not ok:
        return False
    return _check_grad_output_scaling(outputs, inputs, raise_exception)


def _slow_check(func, inputs, tensors_out, outputs, eps, atol, rtol, nondet_tol, check_grad_dtypes,
                raise_exception):
    numerical = _numerical_jacobians(func, inputs, tensors_out, eps)
    diff_positions = [i for i, o in enumerate(tensors_out) if o._requires_grad]
    for oi, (pos, o) in enumerate(zip(diff_positions, outputs)):
        first, sizes_ok, types_ok = _analytical_jacobians(inputs, o)
        second, _, _ = _analytical_jacobians(inputs, o)
        if not types_ok and check_grad_dtypes:
            return _fail("Gradient has dtype mismatch", raise_exception)
        if not sizes_ok:
            return _fail("Analytical gradient has incorrect size", raise_exception)
        for a1, a2 in zip(first, second):
            if a1.size and np.max(np.abs(a1 - a2)) > nondet_tol:
                return _fail("Backward is not reentrant, i.e., running backward with same input and grad_output "
                             "multiple times gives different values, although analytical gradient matches "
                             f"numerical gradient.The tolerance for nondeterminism was {nondet_tol}.",
                             raise_exception)
        for ii, a in enumerate(first):
            n = numerical[ii][pos]
            if not _allclose(a, n, rtol, atol):
                return _fail(_mismatch_message(a, n, oi, ii), raise_exception)
    return True


def _fast_check(func, inputs, tensors_out, outputs, eps, atol, rtol, raise_exception):
    """Compare u^T J v computed both ways, for random unit vectors u (outputs) and v (inputs)."""
    rng = np.random.default_rng(0)
    diff = _diff_inputs(inputs)
    diff_positions = [i for i, o in enumerate(tensors_out) if o._requires_grad]
    vs = [rng.standard_normal(t._data.size) for t in diff]
    vs = [v / (np.linalg.norm(v) or 1.0) for v in vs]
    us = [rng.standard_normal(o._data.size) for o in outputs]
    us = [u / (np.linalg.norm(u) or 1.0) for u in us]
    for ii, (t, v) in enumerate(zip(diff, vs)):
        data = t._data
        orig = data.copy()
        step = _to_like((eps * v).reshape(data.shape).astype(data.dtype), data)
        data += step
        hi = _evaluate(func, inputs)
        data[...] = orig
        data -= step
        lo = _evaluate(func, inputs)
        data[...] = orig
        for oi, (pos, o, u) in enumerate(zip(diff_positions, outputs, us)):
            jv = (hi[pos] - lo[pos]) / (2 * eps)
            numerical = np.array(u @ jv)
            seed = _wrap(_to_like(u.reshape(o._data.shape).astype(o._data.dtype), o._data))
            g = engine.grad(o, [t], seed, retain_graph=True, allow_unused=True)[0]
            analytical = np.array(0.0 if g is None else _host(g._data).astype(np.float64).reshape(-1) @ v)
            if not _allclose(analytical, numerical, rtol, atol):
                return _fail(_mismatch_message(analytical, numerical, oi, ii) + "\nThe above quantities relating "
                             "the numerical and analytical jacobians are computed in fast mode. See: "
                             "https://github.com/pytorch/pytorch/issues/53876 for more background about fast "
                             "mode.", raise_exception)
    return True


def _check_grad_output_scaling(outputs, inputs, raise_exception):
    """Zero grad_outputs must give zero input gradients of the right dtype and size."""
    diff = _diff_inputs(inputs)
    zeros = [_wrap(_array_module(o._data).zeros_like(o._data)) for o in outputs]
    grads = engine.grad(outputs, diff, zeros, retain_graph=True, allow_unused=True)
    for g, t in zip(grads, diff):
        if g is None:
            continue
        if np.any(_host(g._data) != 0):
            return _fail("backward not multiplied by grad_output", raise_exception)
        if g.dtype != t.dtype:
            return _fail("grad is incorrect type", raise_exception)
        if g.shape != t.shape:
            return _fail("grad is incorrect size", raise_exception)
    return True


@_on_device_of_inputs
def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False):
    """gradcheck of the first-order gradients of `func` (backward of backward)."""
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        outs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o._requires_grad]
        grad_outputs = []
        for o in outs:
            dt = o._data.dtype if o._data.dtype.kind == "f" else np.float64
            values = rng.uniform(-1, 1, o._data.shape).astype(dt)
            grad_outputs.append(_wrap(_to_like(values, o._data), requires_grad=True))
        grad_outputs = tuple(grad_outputs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    diff_idx = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t._requires_grad]

    def first_order(*args):
        ins, gouts = args[:n_in], args[n_in:]
        outs = [o for o in _as_tuple(func(*ins)) if isinstance(o, Tensor) and o._requires_grad]
        diff = [ins[i] for i in diff_idx]
        grads = engine.grad(outs, diff, gouts, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_order, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol, check_grad_dtypes=check_grad_dtypes,
                     fast_mode=fast_mode)


def get_numerical_jacobian(fn, inputs, target=None, eps=1e-3, grad_out=1.0):
    """Numerical Jacobians of fn's first output, one (input numel, output numel) tensor per input."""
    inputs = _as_tuple(inputs)
    outs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]
    jacs = _numerical_jacobians(fn, inputs, outs[:1], eps)
    return tuple(_wrap(j[0] * grad_out) for j in jacs)


def get_analytical_jacobian(inputs, output, nondet_tol=0.0, grad_out=1.0):
    """(jacobians, reentrant, correct_grad_sizes, correct_grad_types) as PyTorch's helper returns them."""
    inputs = _as_tuple(inputs)
    first, sizes_ok, types_ok = _analytical_jacobians(inputs, output)
    second, _, _ = _analytical_jacobians(inputs, output)
    reentrant = all(not a.size or np.max(np.abs(a - b)) <= nondet_tol for a, b in zip(first, second))
    return tuple(_wrap(j * grad_out) for j in first), reentrant, sizes_ok, types_ok

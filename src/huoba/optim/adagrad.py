"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""
import numpy as np

from ..tensor import Tensor, _wrap
from .._backend import array_module
from .optimizer import (Optimizer, _check_fused, _float, _get_scalar_dtype, _step_tensor,
                        _use_grad_for_differentiable)

__all__ = ["Adagrad", "adagrad"]


def _full_like(p, value):
    data = p._data
    xp = array_module(data)
    if xp is np:
        return _wrap(xp.full_like(data, value))
    from .._backend import device_of
    with device_of(data):   # made at construction, outside step's device guard
        return _wrap(xp.full_like(data, value))


class Adagrad(Optimizer):
    """Implements the Adagrad algorithm, as `torch.optim.Adagrad`."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
            self._need_device_dtype_check_for_fused = True
            self._step_supports_amp_scaling = True
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _step_tensor(p, bool(group["fused"]), group["fused"])
                state["sum"] = _full_like(p, initial_accumulator_value)

    def __setstate__(self, state):
        super().__setstate__(state)
        fused = None
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            fused = group.setdefault("fused", None)
            for p in group["params"]:
                p_state = self.state.get(p, [])
                if len(p_state) != 0 and not isinstance(p_state["step"], Tensor):
                    step = _step_tensor(p, bool(group["fused"]), fused)
                    step._data[...] = float(p_state["step"])
                    p_state["step"] = step
        state_values = list(self.state.values())
        step_is_tensor = len(state_values) != 0 and isinstance(state_values[0]["step"], Tensor)
        if not step_is_tensor:
            for s in state_values:
                s["step"] = _wrap(np.array(float(s["step"]), dtype=_get_scalar_dtype(fused).np))

    def share_memory(self):
        pass

    def _init_group(self, group, params_with_grad, grads, state_sums, state_steps):
        for p in group["params"]:
            grad = p._grad
            if grad is None:
                continue
            if group["fused"] and getattr(self, "_need_device_dtype_check_for_fused", True):
                _check_fused(p)
                self._need_device_dtype_check_for_fused = False
            params_with_grad.append(p)
            grads.append(grad)
            state = self.state[p]
            if len(state) == 0:
                if group["fused"]:
                    _check_fused(p)
                state["step"] = _step_tensor(p, bool(group["fused"]), group["fused"])
                state["sum"] = _full_like(p, self.defaults["initial_accumulator_value"])
            state_sums.append(state["sum"])
            state_steps.append(state["step"])
        return False, False

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            from ..autograd.grad_mode import enable_grad
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            params_with_grad, grads, state_sums, state_steps = [], [], [], []
            self._init_group(group, params_with_grad, grads, state_sums, state_steps)
            adagrad(params_with_grad, grads, state_sums, state_steps, lr=group["lr"],
                    weight_decay=group["weight_decay"], lr_decay=group["lr_decay"], eps=group["eps"],
                    foreach=group["foreach"], maximize=group["maximize"], differentiable=group["differentiable"],
                    fused=group["fused"])
        return loss


def adagrad(params, grads, state_sums, state_steps, fused=None, grad_scale=None, found_inf=None,
            has_sparse_grad=False, foreach=None, differentiable=False, has_complex=False, *, lr, weight_decay,
            lr_decay, eps, maximize):
    """Functional Adagrad: updates `params` and the squared-gradient sums in place."""
    if not all(isinstance(t, Tensor) for t in state_steps):
        raise RuntimeError("API has changed, `state_steps` argument must contain a list of singleton tensors")
    if grad_scale is not None or found_inf is not None:
        raise AssertionError("Expected grad_scale and found_inf to be None")
    _single_tensor_adagrad(params, grads, state_sums, state_steps, lr=lr, weight_decay=weight_decay,
                           lr_decay=lr_decay, eps=eps, maximize=maximize)


def _single_tensor_adagrad(params, grads, state_sums, state_steps, *, lr, weight_decay, lr_decay, eps, maximize):
    """The Adagrad update on each parameter's array, in place.

    s += g * g;  p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)
    """
    lr = _float(lr)
    weight_decay = _float(weight_decay)
    lr_decay = _float(lr_decay)
    eps = _float(eps)
    for param, grad, state_sum, step_t in zip(params, grads, state_sums, state_steps):
        p = param._data
        g = grad._data
        s = state_sum._data
        xp = array_module(p)
        step_t._data += 1
        step = float(step_t._data)

        if weight_decay != 0:
            d = xp.multiply(p, weight_decay, out=xp.empty_like(p))
            if maximize:
                xp.subtract(d, g, out=d)
            else:
                xp.add(d, g, out=d)
            g = d
        elif maximize:
            g = xp.negative(g, out=xp.empty_like(g))

        clr = lr / (1 + (step - 1) * lr_decay)
        t = xp.multiply(g, g, out=xp.empty_like(s))
        s += t
        xp.sqrt(s, out=t)
        t += eps
        u = xp.multiply(g, -clr, out=xp.empty_like(g))
        u /= t
        p += u
        param._version_counter[0] += 1

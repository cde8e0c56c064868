"""Adadelta: an adaptive learning rate from running averages of squared gradients and updates."""
from ..tensor import Tensor
from .._backend import array_module
from .optimizer import (Optimizer, _check_capturable, _float, _step_tensor, _use_grad_for_differentiable,
                        _zeros_like)

__all__ = ["Adadelta", "adadelta"]


class Adadelta(Optimizer):
    """Implements the Adadelta algorithm, as `torch.optim.Adadelta`."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize, capturable=capturable,
                        foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)
            for p in group["params"]:
                p_state = self.state.get(p, [])
                if len(p_state) != 0 and not isinstance(p_state["step"], Tensor):
                    step = _step_tensor(p, bool(group["capturable"]))
                    step._data[...] = float(p_state["step"])
                    p_state["step"] = step

    def _init_group(self, group, params_with_grad, grads, square_avgs, acc_deltas, state_steps):
        for p in group["params"]:
            grad = p._grad
            if grad is None:
                continue
            params_with_grad.append(p)
            grads.append(grad)
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _step_tensor(p, bool(group["capturable"]))
                state["square_avg"] = _zeros_like(p)
                state["acc_delta"] = _zeros_like(p)
            square_avgs.append(state["square_avg"])
            acc_deltas.append(state["acc_delta"])
            state_steps.append(state["step"])
        return False

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = None
        if closure is not None:
            from ..autograd.grad_mode import enable_grad
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            params_with_grad, grads, square_avgs, acc_deltas, state_steps = [], [], [], [], []
            self._init_group(group, params_with_grad, grads, square_avgs, acc_deltas, state_steps)
            adadelta(params_with_grad, grads, square_avgs, acc_deltas, state_steps, lr=group["lr"],
                     rho=group["rho"], eps=group["eps"], weight_decay=group["weight_decay"],
                     foreach=group["foreach"], maximize=group["maximize"], differentiable=group["differentiable"],
                     capturable=group["capturable"])
        return loss


def adadelta(params, grads, square_avgs, acc_deltas, state_steps, capturable=False, foreach=None,
             differentiable=False, has_complex=False, *, lr, rho, eps, weight_decay, maximize):
    """Functional Adadelta: updates `params` and the running averages in place."""
    if capturable:
        _check_capturable(params, state_steps, supports_xla=False)
    _single_tensor_adadelta(params, grads, square_avgs, acc_deltas, state_steps, lr=lr, rho=rho, eps=eps,
                            weight_decay=weight_decay, maximize=maximize)


def _single_tensor_adadelta(params, grads, square_avgs, acc_deltas, state_steps, *, lr, rho, eps, weight_decay,
                            maximize):
    """The Adadelta update on each parameter's array, in place.

    v = rho * v + (1 - rho) * g * g;  delta = sqrt(u + eps) / sqrt(v + eps) * g
    u = rho * u + (1 - rho) * delta * delta;  p -= lr * delta
    """
    lr = _float(lr)
    rho = _float(rho)
    eps = _float(eps)
    weight_decay = _float(weight_decay)
    w = 1 - rho
    for param, grad, square_avg, acc_delta, step_t in zip(params, grads, square_avgs, acc_deltas, state_steps):
        p = param._data
        g = grad._data
        v = square_avg._data
        u = acc_delta._data
        xp = array_module(p)
        step_t._data += 1

        if weight_decay != 0:
            d = xp.multiply(p, weight_decay, out=xp.empty_like(p))
            if maximize:
                xp.subtract(d, g, out=d)
            else:
                xp.add(d, g, out=d)
            g = d
        elif maximize:
            g = xp.negative(g, out=xp.empty_like(g))

        v *= rho
        t = xp.multiply(g, w, out=xp.empty_like(v))
        t *= g
        v += t
        std = xp.add(v, eps, out=t)
        xp.sqrt(std, out=std)
        delta = xp.add(u, eps, out=xp.empty_like(u))
        xp.sqrt(delta, out=delta)
        delta /= std
        delta *= g
        u *= rho
        xp.multiply(delta, w, out=t)
        t *= delta
        u += t
        delta *= -lr
        p += delta
        param._version_counter[0] += 1

"""RMSprop: divide the gradient by a running root mean square of recent gradients."""
from ..tensor import Tensor
from .._backend import array_module
from .optimizer import (Optimizer, _check_capturable, _float, _step_tensor, _use_grad_for_differentiable,
                        _zeros_like)

__all__ = ["RMSprop", "rmsprop"]


class RMSprop(Optimizer):
    """Implements the RMSprop algorithm, as `torch.optim.RMSprop`."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered, weight_decay=weight_decay,
                        capturable=capturable, foreach=foreach, maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
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

    def _init_group(self, group, params_with_grad, grads, square_avgs, momentum_buffer_list, grad_avgs,
                    state_steps):
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
                if group["momentum"] > 0:
                    state["momentum_buffer"] = _zeros_like(p)
                if group["centered"]:
                    state["grad_avg"] = _zeros_like(p)
            square_avgs.append(state["square_avg"])
            state_steps.append(state["step"])
            if group["momentum"] > 0:
                momentum_buffer_list.append(state["momentum_buffer"])
            if group["centered"]:
                grad_avgs.append(state["grad_avg"])
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
            params_with_grad, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps = [], [], [], [], [], []
            self._init_group(group, params_with_grad, grads, square_avgs, momentum_buffer_list, grad_avgs,
                             state_steps)
            rmsprop(params_with_grad, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps,
                    lr=group["lr"], alpha=group["alpha"], eps=group["eps"], weight_decay=group["weight_decay"],
                    momentum=group["momentum"], centered=group["centered"], foreach=group["foreach"],
                    maximize=group["maximize"], differentiable=group["differentiable"],
                    capturable=group["capturable"])
        return loss


def rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps, foreach=None, maximize=False,
            differentiable=False, capturable=False, has_complex=False, *, lr, alpha, eps, weight_decay, momentum,
            centered):
    """Functional RMSprop: updates `params` and the running averages in place."""
    if capturable:
        _check_capturable(params, state_steps)
    _single_tensor_rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps, lr=lr,
                           alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered,
                           maximize=maximize)


def _single_tensor_rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps, *, lr, alpha,
                           eps, weight_decay, momentum, centered, maximize):
    """The RMSprop update on each parameter's array, in place.

    v = alpha * v + (1 - alpha) * g * g;  (centered: a = lerp(a, g, 1 - alpha), v' = v - a * a)
    avg = sqrt(v') + eps;  p -= lr * g / avg   (momentum: buf = momentum * buf + g / avg; p -= lr * buf)
    """
    lr = _float(lr)
    alpha = _float(alpha)
    eps = _float(eps)
    weight_decay = _float(weight_decay)
    momentum = _float(momentum)
    w = 1 - alpha
    for i, param in enumerate(params):
        p = param._data
        g = grads[i]._data
        v = square_avgs[i]._data
        xp = array_module(p)
        state_steps[i]._data += 1

        if weight_decay != 0:
            d = xp.multiply(p, weight_decay, out=xp.empty_like(p))
            if maximize:
                xp.subtract(d, g, out=d)
            else:
                xp.add(d, g, out=d)
            g = d
        elif maximize:
            g = xp.negative(g, out=xp.empty_like(g))

        v *= alpha
        t = xp.multiply(g, w, out=xp.empty_like(v))
        t *= g
        v += t

        if centered:
            a = grad_avgs[i]._data
            xp.subtract(g, a, out=t)              # a.lerp_(g, w)
            if abs(w) < 0.5:
                t *= w
                a += t
            else:
                t *= 1 - w
                xp.subtract(g, t, out=a)
            xp.negative(a, out=t)                 # avg = v + (-1 * a) * a
            t *= a
            t += v
            xp.sqrt(t, out=t)
        else:
            xp.sqrt(v, out=t)
        t += eps

        if momentum > 0:
            buf = momentum_buffer_list[i]._data
            buf *= momentum
            u = xp.divide(g, t, out=t)
            buf += u
            p += xp.multiply(buf, -lr, out=t)
        else:
            u = xp.multiply(g, -lr, out=xp.empty_like(g))
            u /= t
            p += u
        param._version_counter[0] += 1

"""Stochastic gradient descent, optionally with momentum, dampening, Nesterov and weight decay."""
from ..tensor import Tensor, _wrap
from .._backend import array_module
from .optimizer import Optimizer, _check_fused, _float, _use_grad_for_differentiable

__all__ = ["SGD", "sgd"]


class SGD(Optimizer):
    """Implements stochastic gradient descent (optionally with momentum), as `torch.optim.SGD`."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize, foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        if fused:
            self._step_supports_amp_scaling = True
            self._need_device_dtype_check_for_fused = True
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    def _init_group(self, group, params, grads, momentum_buffer_list):
        use_momentum = group["momentum"] != 0
        state = self.state
        for p in group["params"]:
            grad = p._grad
            if grad is None:
                continue
            if group["fused"] and getattr(self, "_need_device_dtype_check_for_fused", True):
                _check_fused(p)
                self._need_device_dtype_check_for_fused = False
            params.append(p)
            grads.append(grad)
            if use_momentum:
                momentum_buffer_list.append(state[p].get("momentum_buffer"))
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
            params, grads, momentum_buffer_list = [], [], []
            self._init_group(group, params, grads, momentum_buffer_list)
            _single_tensor_sgd(params, grads, momentum_buffer_list, weight_decay=group["weight_decay"],
                               momentum=group["momentum"], lr=group["lr"], dampening=group["dampening"],
                               nesterov=group["nesterov"], maximize=group["maximize"])
            if group["momentum"] != 0:
                state = self.state
                for p, buf in zip(params, momentum_buffer_list):
                    state[p]["momentum_buffer"] = buf
        return loss


def sgd(params, d_p_list, momentum_buffer_list, has_sparse_grad=False, foreach=None, fused=None, grad_scale=None,
        found_inf=None, *, weight_decay, momentum, lr, dampening, nesterov, maximize):
    """Functional SGD: updates `params` in place (and fills `momentum_buffer_list`)."""
    if grad_scale is not None or found_inf is not None:
        raise AssertionError("Expected grad_scale and found_inf to be None")
    _single_tensor_sgd(params, d_p_list, momentum_buffer_list, weight_decay=weight_decay, momentum=momentum, lr=lr,
                       dampening=dampening, nesterov=nesterov, maximize=maximize)


def _single_tensor_sgd(params, grads, momentum_buffer_list, *, weight_decay, momentum, lr, dampening, nesterov,
                       maximize):
    """The SGD update on each parameter's array, in place.

    d = g (+ wd * p);  buf = d at the first step, else momentum * buf + (1 - dampening) * d;
    d = d + momentum * buf (Nesterov) or buf;  p -= lr * d.
    """
    lr = _float(lr)
    weight_decay = _float(weight_decay)
    momentum = _float(momentum)
    dampening = _float(dampening)
    neg_lr = -lr
    for i, param in enumerate(params):
        p = param._data
        g = grads[i]._data
        xp = array_module(p)
        owned = False                   # True when `g` is a temporary we may overwrite
        if weight_decay != 0:
            d = xp.multiply(p, weight_decay, out=xp.empty_like(p))
            if maximize:
                xp.subtract(d, g, out=d)
            else:
                xp.add(d, g, out=d)
            g, owned = d, True
        elif maximize:
            g, owned = xp.negative(g, out=xp.empty_like(g)), True

        if momentum != 0:
            buf = momentum_buffer_list[i]
            if buf is None:
                b = g if owned else g.copy(order="K")
                owned = False           # the buffer now owns that memory
                momentum_buffer_list[i] = _wrap(b)
            else:
                b = buf._data
                b *= momentum
                if dampening == 0:
                    b += g
                elif owned and not nesterov:
                    g *= 1 - dampening
                    b += g
                else:
                    b += xp.multiply(g, 1 - dampening, out=xp.empty_like(g))
                buf._version_counter[0] += 1
            if nesterov:
                t = xp.multiply(b, momentum, out=xp.empty_like(b))
                t += g
                g, owned = t, True
            else:
                g, owned = b, False

        if owned:
            g *= neg_lr
            p += g
        else:
            p += xp.multiply(g, neg_lr, out=xp.empty_like(g))
        param._version_counter[0] += 1

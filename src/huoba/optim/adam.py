"""Adam (and, with decoupled weight decay, AdamW)."""
from ..tensor import Tensor
from .._backend import array_module
from .optimizer import (Optimizer, _check_capturable, _check_fused, _float, _step_tensor, _to_scalar,
                        _use_grad_for_differentiable, _zeros_like)

__all__ = ["Adam", "adam"]


class Adam(Optimizer):
    """Implements the Adam algorithm, as `torch.optim.Adam`."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        if isinstance(lr, Tensor):
            if foreach and not capturable:
                raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
            if lr.numel() != 1:
                raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if isinstance(betas[i], Tensor):
                if not capturable and foreach:
                    raise ValueError(f"betas[{i}] as a Tensor is not supported for capturable=False and foreach=True")
                if betas[i].numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(map(_to_scalar, betas))

        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            self._step_supports_amp_scaling = True
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            fused = group.setdefault("fused", None)
            for p in group["params"]:
                p_state = self.state.get(p, [])
                if len(p_state) != 0 and not isinstance(p_state["step"], Tensor):
                    on_device = bool(group["capturable"] or group["fused"])
                    step = _step_tensor(p, on_device, fused if on_device else None)
                    step._data[...] = float(p_state["step"])
                    p_state["step"] = step

    def _init_group(self, group, params_with_grad, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps):
        amsgrad = group["amsgrad"]
        for p in group["params"]:
            grad = p._grad
            if grad is None:
                continue
            params_with_grad.append(p)
            grads.append(grad)
            state = self.state[p]
            if len(state) == 0:
                if group["fused"]:
                    _check_fused(p)
                on_device = bool(group["capturable"] or group["fused"])
                state["step"] = _step_tensor(p, on_device, group["fused"])
                state["exp_avg"] = _zeros_like(p)
                state["exp_avg_sq"] = _zeros_like(p)
                if amsgrad:
                    state["max_exp_avg_sq"] = _zeros_like(p)
            exp_avgs.append(state["exp_avg"])
            exp_avg_sqs.append(state["exp_avg_sq"])
            if amsgrad:
                max_exp_avg_sqs.append(state["max_exp_avg_sq"])
            if group["differentiable"] and state["step"].requires_grad:
                raise RuntimeError("`requires_grad` is not supported for `step` in differentiable mode")
            if group["foreach"] and isinstance(group["lr"], Tensor) and not group["capturable"]:
                raise RuntimeError("lr as a Tensor is not supported for capturable=False and foreach=True")
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
            params_with_grad, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps = [], [], [], [], [], []
            beta1, beta2 = group["betas"]
            self._init_group(group, params_with_grad, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps)
            adam(params_with_grad, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps,
                 amsgrad=group["amsgrad"], beta1=beta1, beta2=beta2, lr=group["lr"],
                 weight_decay=group["weight_decay"], eps=group["eps"], maximize=group["maximize"],
                 foreach=group["foreach"], capturable=group["capturable"], differentiable=group["differentiable"],
                 fused=group["fused"], decoupled_weight_decay=group["decoupled_weight_decay"])
        return loss


def adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, foreach=None, capturable=False,
         differentiable=False, fused=None, grad_scale=None, found_inf=None, has_complex=False,
         decoupled_weight_decay=False, *, amsgrad, beta1, beta2, lr, weight_decay, eps, maximize):
    """Functional Adam: updates `params` and the moment buffers in place."""
    if grad_scale is not None or found_inf is not None:
        raise AssertionError("Expected grad_scale and found_inf to be None")
    if capturable:
        _check_capturable(params, state_steps)
    _single_tensor_adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, amsgrad=amsgrad,
                        beta1=beta1, beta2=beta2, lr=lr, weight_decay=weight_decay, eps=eps, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)


def _single_tensor_adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, *, amsgrad, beta1,
                        beta2, lr, weight_decay, eps, maximize, decoupled_weight_decay):
    """The Adam update on each parameter's array, in place.

    m = lerp(m, g, 1 - b1);  v = b2 * v + (1 - b2) * g * g;  (amsgrad: vmax = max(vmax, v))
    p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    """
    lr = _float(lr)
    beta1 = _float(beta1)
    beta2 = _float(beta2)
    weight_decay = _float(weight_decay)
    eps = _float(eps)
    w1 = 1 - beta1
    w2 = 1 - beta2
    for i, param in enumerate(params):
        p = param._data
        g = grads[i]._data
        m = exp_avgs[i]._data
        v = exp_avg_sqs[i]._data
        step_t = state_steps[i]
        xp = array_module(p)

        step_t._data += 1
        step = float(step_t._data)

        if weight_decay != 0:
            if decoupled_weight_decay:
                p *= 1 - lr * weight_decay
            else:
                d = xp.multiply(p, weight_decay, out=xp.empty_like(p))
                if maximize:
                    xp.subtract(d, g, out=d)
                else:
                    xp.add(d, g, out=d)
                g = d
        if maximize and (weight_decay == 0 or decoupled_weight_decay):
            g = xp.negative(g, out=xp.empty_like(g))

        # m.lerp_(g, w1), with the two-branch formula that keeps lerp exact at both ends
        t = xp.subtract(g, m, out=xp.empty_like(m))
        if abs(w1) < 0.5:
            t *= w1
            m += t
        else:
            t *= 1 - w1
            xp.subtract(g, t, out=m)
        # v = v * b2 + (w2 * g) * g
        v *= beta2
        xp.multiply(g, w2, out=t)
        t *= g
        v += t

        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2 ** 0.5

        if amsgrad:
            vmax = max_exp_avg_sqs[i]._data
            xp.maximum(vmax, v, out=vmax)
            v = vmax
        # denom = sqrt(v) / bc2_sqrt + eps;  p += (-step_size * m) / denom
        xp.sqrt(v, out=t)
        t /= bias_correction2_sqrt
        t += eps
        u = xp.multiply(m, -step_size, out=xp.empty_like(m))
        u /= t
        p += u
        param._version_counter[0] += 1

"""The optimizer base class: parameter groups, per-parameter state, hooks, state dicts.

An optimizer keeps `defaults` (its hyperparameters), `param_groups` (a list of
dicts, each with a "params" list of leaf tensors plus its own hyperparameters)
and `state` (a defaultdict keyed by parameter tensor).  Subclasses validate their
hyperparameters in `__init__` and implement `step`; the update rule itself lives
in a plain function per optimizer that works on the backend arrays in place.
"""
import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from copy import deepcopy
from itertools import chain

import numpy as np

from .. import _backend, dtypes as _dtypes
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor, _wrap

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]

_global_optimizer_pre_hooks = OrderedDict()
_global_optimizer_post_hooks = OrderedDict()


class _RequiredParameter:
    """Marks a hyperparameter that every parameter group must set."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class RemovableHandle:
    """Handle returned by the `register_*_hook` methods; `remove()` unregisters the hook."""

    next_id = 0

    def __init__(self, hooks_dict):
        import weakref
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1

    def remove(self):
        hooks_dict = self.hooks_dict_ref()
        if hooks_dict is not None and self.id in hooks_dict:
            del hooks_dict[self.id]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register_optimizer_step_pre_hook(hook):
    """Register `hook(optimizer, args, kwargs)` to run before every optimizer's step."""
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook):
    """Register `hook(optimizer, args, kwargs)` to run after every optimizer's step."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


# ---- helpers shared by the optimizers -----------------------------------------------
def _use_grad_for_differentiable(func):
    """Run `step` with gradient recording set to the optimizer's `differentiable` flag."""

    @functools.wraps(func)
    def _use_grad(self, *args, **kwargs):
        prev = GradMode.enabled
        GradMode.enabled = bool(self.defaults["differentiable"])
        try:
            return func(self, *args, **kwargs)
        finally:
            GradMode.enabled = prev

    return _use_grad


def _get_value(x):
    return x.item() if isinstance(x, Tensor) else x


def _to_scalar(x):
    """A 1-element tensor hyperparameter as a 0-d tensor; anything else unchanged."""
    if isinstance(x, Tensor) and x.dim() != 0:
        return x.squeeze()
    return x


def _float(x):
    """A hyperparameter as a Python float for the array kernels (weak scalar: keeps the array dtype)."""
    if isinstance(x, Tensor):
        return float(x.item())
    return float(x)


def _get_scalar_dtype(is_fused=None):
    """The dtype of the `step` counters: float32 unless the default dtype is float64."""
    if is_fused:
        return _dtypes.float32
    return _dtypes.float64 if _dtypes.get_default_dtype() == _dtypes.float64 else _dtypes.float32


def _step_tensor(param, on_param_device=False, is_fused=None):
    """A fresh 0-d `step` counter: on the CPU, or on the parameter's device when capturable/fused."""
    dtype = _get_scalar_dtype(is_fused).np
    if on_param_device and type(param._data) is not np.ndarray:
        from .._backend import array_module
        return _wrap(array_module(param._data).zeros((), dtype=dtype))
    return _wrap(np.zeros((), dtype=dtype))


def _zeros_like(param):
    """State buffer with the parameter's shape, dtype, device and memory layout."""
    data = param._data
    if type(data) is np.ndarray:
        return _wrap(np.zeros_like(data))
    from .._backend import array_module
    return _wrap(array_module(data).zeros_like(data))


def _capturable_supported_devices(supports_xla=True):
    devices = ["cuda", "xpu", "hpu", "privateuseone"]
    if supports_xla:
        devices.append("xla")
    return devices


def _check_capturable(params, steps, supports_xla=True):
    supported = _capturable_supported_devices(supports_xla)
    for p, s in zip(params, steps):
        if not (p.device.type == s.device.type and p.device.type in supported):
            raise AssertionError(
                f"If capturable=True, params and state_steps must be on supported devices: {supported}.")


def _check_fused(p):
    supported = ["mps", "cuda", "xpu", "hpu", "cpu", "privateuseone"]
    if not (p.device.type in supported and p.is_floating_point()):
        raise RuntimeError("`fused=True` requires all the params to be floating point Tensors of "
                           f"supported devices: {supported} but {p.dtype} and {p.device.type}")


def _typename(obj):
    if isinstance(obj, Tensor):
        return obj.type()
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in ("builtins", None) else f"{module}.{name}"


def _params_gpu(optimizer):
    """A context selecting the GPU of the optimizer's parameters when it is not the current one."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            data = p._data
            if type(data) is not np.ndarray:
                index = _backend.device_index(data)
                return None if index == _backend._get_device() else _backend._Device(index)
    return None


def _hook_step(func):
    """Wrap a class's `step` so that the global and per-instance step hooks run around it."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        self = args[0]
        pre = self._optimizer_step_pre_hooks
        if _global_optimizer_pre_hooks or pre:
            for pre_hook in chain(_global_optimizer_pre_hooks.values(), pre.values()):
                result = pre_hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError(f"{func} must return None or a tuple of (new_args, new_kwargs), "
                                           f"but got {result}.")
        if _backend.gpu_used[0]:
            # the update runs on the arrays: make the parameters' GPU current (PyTorch's device guard)
            where = _params_gpu(self)
            if where is not None:
                with where:
                    out = func(*args, **kwargs)
            else:
                out = func(*args, **kwargs)
        else:
            out = func(*args, **kwargs)
        post = self._optimizer_step_post_hooks
        if post or _global_optimizer_post_hooks:
            for post_hook in chain(post.values(), _global_optimizer_post_hooks.values()):
                post_hook(self, args, kwargs)
        return out

    wrapper.hooked = True
    return wrapper


class Optimizer:
    """Base class for all optimizers.

    `params` is an iterable of tensors, of (name, tensor) pairs, or of dicts that
    define parameter groups; `defaults` holds the hyperparameters a group gets
    when it does not set them itself.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        self._patch_step_function()

        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + _typename(params))

        self.state = defaultdict(dict)
        self.param_groups = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)
        self._warned_capturable_if_run_uncaptured = True

    # ---- pickling / copying --------------------------------------------------
    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                     "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self._patch_step_function()
        self.defaults.setdefault("differentiable", False)

    def __repr__(self):
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"\nParameter Group {i}\n")
            for key in sorted(group.keys()):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}\n")
        lines.append(")")
        return "".join(lines)

    # ---- step hooks ------------------------------------------------------------
    def _patch_step_function(self):
        self._zero_grad_profile_name = f"Optimizer.zero_grad#{self.__class__.__name__}.zero_grad"
        cls = self.__class__
        if not getattr(cls.step, "hooked", None):
            cls.step = _hook_step(cls.step)

    def _optimizer_step_code(self):
        """Entry point for profilers (a no-op, as in PyTorch)."""

    @staticmethod
    def profile_hook_step(func):
        return _hook_step(func)

    def _accelerator_graph_capture_health_check(self):
        pass

    _cuda_graph_capture_health_check = _accelerator_graph_capture_health_check

    def register_step_pre_hook(self, hook):
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook):
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    def _register(self, hooks, hook, prepend):
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ---- state dicts -------------------------------------------------------------
    def state_dict(self):
        """{"state": {id: per-parameter state}, "param_groups": [group with "params" as ids]}.

        Ids number the parameters in group order; the state tensors are shared, not copied.
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)

        param_mappings = {}
        start_index = 0
        param_groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start_index):
                if id(p) not in param_mappings:
                    param_mappings[id(p)] = i
            packed["params"] = [param_mappings[id(p)] for p in group["params"]]
            start_index += len(packed["params"])
            param_groups.append(packed)
        packed_state = {(param_mappings[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}

        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    @staticmethod
    def _process_value_according_to_param_policy(param, value, param_id, param_groups, key=None):
        fused = capturable = False
        for pg in param_groups:
            if param_id in pg["params"]:
                fused = pg.get("fused", False)
                capturable = pg.get("capturable", False)
                break
        if key == "step":
            if capturable or fused:
                return value.to(dtype=_dtypes.float32, device=param.device)
            return value
        if param.is_floating_point():
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)

    def load_state_dict(self, state_dict):
        """Load a state dict from `state_dict()`: ids are matched to this optimizer's parameters in order."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result

        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")

        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        saved_param_groups = state_dict["param_groups"]

        def _cast(param, value, param_id=None, key=None):
            if isinstance(value, Tensor):
                return Optimizer._process_value_according_to_param_policy(param, value, param_id,
                                                                          saved_param_groups, key)
            if isinstance(value, dict):
                return {k: _cast(param, v, param_id, key=k) for k, v in value.items()}
            if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
                return type(value)(_cast(param, v, param_id) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast(param, v, param_id=k)
            else:
                state[k] = v

        param_groups = []
        for group, new_group in zip(groups, saved_groups):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            param_groups.append(new_group)
        self.__setstate__({"state": state, "param_groups": param_groups})

        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    # ---- gradients and steps -----------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Drop (default) or zero every parameter's gradient."""
        for group in self.param_groups:
            for p in group["params"]:
                grad = p._grad
                if grad is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if grad.grad_fn is not None:
                        grad.detach_()
                    else:
                        grad._requires_grad = False
                    grad._data.fill(0)
                    grad._version_counter[0] += 1

    def step(self, closure=None):
        """Perform one optimization step (implemented by each optimizer)."""
        raise NotImplementedError

    def add_param_group(self, param_group):
        """Add a group of parameters (a dict with "params" and optional hyperparameters)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")

        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) == len(tensors):
                param_group["param_names"] = names
            else:
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")

        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(param))
            if not self.defaults.get("differentiable", None) and not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        params = param_group["params"]
        if len(params) != len(set(params)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)

        param_set = set()
        for group in self.param_groups:
            param_set.update(set(group["params"]))
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {txt} to the optimizer")
        if not param_set.isdisjoint(set(param_group["params"])):
            raise ValueError("some parameters appear in more than one parameter group")

        self.param_groups.append(param_group)

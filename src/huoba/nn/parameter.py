"""nn.Parameter (a Tensor that a Module registers as a learnable weight) and nn.Buffer."""
from collections import OrderedDict

from ..tensor import Tensor
from .._tensor_str import parameter_repr

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "is_lazy"]


def _empty():
    from ..ops.creation import empty
    return empty(0)


class Parameter(Tensor):
    """A Tensor that, assigned as a Module attribute, becomes one of the module's parameters.

    `Parameter(t)` shares `t`'s memory (and its version counter) and is a leaf;
    `requires_grad` defaults to True, also inside `no_grad()`.
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _empty()
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter.__new__(): argument 'data' (position 1) must be Tensor, not "
                            f"{type(data).__name__}")
        p = object.__new__(cls)
        Tensor._init_from(p, data._data)
        p._version_counter = data._version_counter
        if requires_grad:
            if data._data.dtype.kind not in "fc":
                raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
            p._requires_grad = True
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return parameter_repr(self)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)
        if self._grad is not None:
            result._grad = self._grad.clone()
        for k, v in self.__dict__.items():
            if k != "_retains_grad":
                import copy
                result.__dict__[k] = copy.deepcopy(v, memo)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.data, self.requires_grad, OrderedDict()))


def _rebuild_parameter(data, requires_grad, backward_hooks):
    return Parameter(data, requires_grad)


class _BufferMeta(type):
    def __instancecheck__(cls, instance):
        if cls is Buffer:
            return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)
        return type.__instancecheck__(cls, instance)


class Buffer(metaclass=_BufferMeta):
    """`nn.Buffer(t, persistent=True)`: marks a tensor to be registered as a buffer on assignment."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = _empty()
        t = data.detach()
        if data.requires_grad:
            t.requires_grad_(True)
        t.__dict__["persistent"] = persistent
        t.__dict__["_is_buffer"] = True
        return t


class UninitializedParameter(Parameter):
    """Lazy modules are not supported; present so that `isinstance` checks work."""

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        raise NotImplementedError("huoba does not support lazy modules (UninitializedParameter)")


class UninitializedBuffer(Tensor):
    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        raise NotImplementedError("huoba does not support lazy modules (UninitializedBuffer)")


def is_lazy(param):
    return isinstance(param, (UninitializedParameter, UninitializedBuffer))

"""The differentiable ops, grouped by family, and their binding as Tensor methods.

Each family module lists the methods it adds to Tensor in a `methods` dict (and
`properties` for attributes such as `.T`); this package installs them, along
with the Python operators, so tensor.py stays free of op code.
"""
import builtins as _builtins
import operator as _operator

import numpy as _np

from ..tensor import Tensor, _empty_view_layout
from . import creation, pointwise, reduction, shape, indexing, linalg, inplace, random_ops
from .creation import *  # noqa: F401,F403
from .pointwise import *  # noqa: F401,F403
from .reduction import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .indexing import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403

_FAMILIES = (creation, pointwise, reduction, shape, indexing, linalg, inplace)


def _install():
    for family in _FAMILIES:
        for name, fn in getattr(family, "methods", {}).items():
            setattr(Tensor, name, fn)
        for name, fn in getattr(family, "properties", {}).items():
            setattr(Tensor, name, property(fn))

    p = pointwise
    T = Tensor
    T.__add__ = _forward(p.add)
    T.__radd__ = _forward(p.add)
    T.__sub__ = _forward(p.sub)
    T.__rsub__ = _forward(p.rsub)
    T.__mul__ = _forward(p.mul)
    T.__rmul__ = _forward(p.mul)
    T.__truediv__ = T.__div__ = _forward(p.div)
    T.__rtruediv__ = T.__rdiv__ = _rtruediv
    T.__floordiv__ = _forward(p.floor_divide)
    T.__rfloordiv__ = _reflected(p.floor_divide)
    T.__mod__ = _forward(p.remainder)
    T.__rmod__ = _reflected(p.remainder)
    T.__pow__ = _forward(p.pow)
    T.__rpow__ = _reflected(p.pow)
    T.__matmul__ = _forward(linalg.matmul, _TENSOR)
    T.__rmatmul__ = _reflected(linalg.matmul, _TENSOR)
    T.__and__ = T.__rand__ = _forward(p.bitwise_and)
    T.__or__ = T.__ror__ = _forward(p.bitwise_or)
    T.__xor__ = T.__rxor__ = _forward(p.bitwise_xor)
    T.__lshift__ = _forward(p.bitwise_left_shift)
    T.__rlshift__ = _reflected(p.bitwise_left_shift)
    T.__rshift__ = _forward(p.bitwise_right_shift)
    T.__rrshift__ = _reflected(p.bitwise_right_shift)
    T.__neg__ = lambda self: p.neg(self)
    T.__pos__ = lambda self: self
    T.__abs__ = lambda self: p.abs(self)
    T.__invert__ = _invert
    T.__eq__ = lambda self, other: p.eq(self, other) if isinstance(other, _EQ_OPERANDS) else NotImplemented
    T.__ne__ = _forward(p.ne)
    T.__lt__ = _forward(p.lt)
    T.__le__ = _forward(p.le)
    T.__gt__ = _forward(p.gt)
    T.__ge__ = _forward(p.ge)
    T.__hash__ = lambda self: id(self)
    T.__getitem__ = _getitem
    T.__setitem__ = indexing.setitem
    T.__iadd__ = _forward(inplace.add_)
    T.__isub__ = _forward(inplace.sub_)
    T.__imul__ = _forward(inplace.mul_)
    T.__itruediv__ = T.__idiv__ = _forward(inplace.div_)
    T.__ifloordiv__ = _forward(T.floor_divide_)
    T.__imod__ = _forward(T.remainder_)
    T.__ipow__ = _forward(inplace.pow_)
    T.__iand__ = _forward(inplace.bitwise_and_)
    T.__ior__ = _forward(inplace.bitwise_or_)
    T.__ixor__ = _forward(inplace.bitwise_xor_)
    T.__ilshift__ = _forward(T.bitwise_left_shift_)
    T.__irshift__ = _forward(T.bitwise_right_shift_)


# What PyTorch's operators take as the other operand: a Tensor or a number (Python's or NumPy's).
# For anything else they return NotImplemented, so Python raises its usual "unsupported operand
# type(s)" error or asks the other operand; a NumPy array then computes the result itself and
# hands it back through Tensor.__array_wrap__ (PyTorch's behaviour: `t + array` is a Tensor,
# `array + t` a TypeError).  As in PyTorch, a TypeError inside the op also means NotImplemented.
_OPERANDS = (Tensor, _builtins.int, _builtins.float, _builtins.complex, _np.generic)
_TENSOR = (Tensor,)
_EQ_OPERANDS = _OPERANDS + (_np.ndarray,)


def _forward(fn, accepted=_OPERANDS):
    def op(self, other):
        if isinstance(other, accepted):
            try:
                return fn(self, other)
            except TypeError:
                return NotImplemented
        return NotImplemented
    op.__name__ = op.__qualname__ = getattr(fn, "__name__", "op")
    return op


def _reflected(fn, accepted=_OPERANDS):
    def op(self, other):
        if isinstance(other, accepted):
            if isinstance(other, _np.generic):  # a NumPy scalar is a number, like Python's
                other = other.item()
            try:
                return fn(other, self)
            except TypeError:
                return NotImplemented
        return NotImplemented
    op.__name__ = op.__qualname__ = "r" + getattr(fn, "__name__", "op")
    return op


def _rtruediv(self, other):
    """`other / self` is reciprocal(self) * other in PyTorch, also for a NumPy array `other`."""
    if isinstance(other, _OPERANDS):
        try:
            return pointwise.rdiv(self, other)
        except TypeError:
            return NotImplemented
    if isinstance(other, _np.ndarray):
        return _operator.mul(pointwise.reciprocal(self), other)
    return NotImplemented


_indexing_getitem = indexing.getitem


def _getitem(self, index):
    out = _indexing_getitem(self, index)
    if out._data.size or out._base is None:
        return out
    # an empty view: NumPy kept no pointer into the storage; record PyTorch's offset and strides
    layout = _empty_view_layout(self, index)
    if layout is not None:
        out._layout = layout
    return out


def _invert(self):
    kind = self._data.dtype.kind
    if kind == "b":
        return pointwise.logical_not(self)
    if kind in "fc":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return pointwise.bitwise_not(self)


_install()

"""The differentiable ops, grouped by family, and their binding as Tensor methods.

Each family module lists the methods it adds to Tensor in a `methods` dict (and
`properties` for attributes such as `.T`); this package installs them, along
with the Python operators, so tensor.py stays free of op code.
"""
from ..tensor import Tensor
from . import creation, pointwise, reduction, shape, indexing, linalg, inplace
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
    Tensor.__add__ = lambda self, other: p.add(self, other)
    Tensor.__radd__ = lambda self, other: p.add(self, other)
    Tensor.__sub__ = lambda self, other: p.sub(self, other)
    Tensor.__rsub__ = lambda self, other: p.rsub(self, other)
    Tensor.__mul__ = lambda self, other: p.mul(self, other)
    Tensor.__rmul__ = lambda self, other: p.mul(self, other)
    Tensor.__truediv__ = lambda self, other: p.div(self, other)
    Tensor.__rtruediv__ = lambda self, other: p.rdiv(self, other)
    Tensor.__floordiv__ = lambda self, other: p.floor_divide(self, other)
    Tensor.__rfloordiv__ = lambda self, other: p.floor_divide(other, self)
    Tensor.__mod__ = lambda self, other: p.remainder(self, other)
    Tensor.__rmod__ = lambda self, other: p.remainder(other, self)
    Tensor.__pow__ = lambda self, other: p.pow(self, other)
    Tensor.__rpow__ = lambda self, other: p.pow(other, self)
    Tensor.__matmul__ = lambda self, other: linalg.matmul(self, other)
    Tensor.__rmatmul__ = lambda self, other: linalg.matmul(other, self)
    Tensor.__neg__ = lambda self: p.neg(self)
    Tensor.__pos__ = lambda self: self
    Tensor.__abs__ = lambda self: p.abs(self)
    Tensor.__invert__ = lambda self: p.bitwise_not(self) if self._data.dtype.kind != "b" else p.logical_not(self)
    Tensor.__and__ = lambda self, other: p.bitwise_and(self, other)
    Tensor.__rand__ = lambda self, other: p.bitwise_and(self, other)
    Tensor.__or__ = lambda self, other: p.bitwise_or(self, other)
    Tensor.__ror__ = lambda self, other: p.bitwise_or(self, other)
    Tensor.__xor__ = lambda self, other: p.bitwise_xor(self, other)
    Tensor.__rxor__ = lambda self, other: p.bitwise_xor(self, other)
    Tensor.__eq__ = lambda self, other: p.eq(self, other) if _comparable(other) else NotImplemented
    Tensor.__ne__ = lambda self, other: p.ne(self, other) if _comparable(other) else NotImplemented
    Tensor.__lt__ = lambda self, other: p.lt(self, other)
    Tensor.__le__ = lambda self, other: p.le(self, other)
    Tensor.__gt__ = lambda self, other: p.gt(self, other)
    Tensor.__ge__ = lambda self, other: p.ge(self, other)
    Tensor.__hash__ = lambda self: id(self)
    Tensor.__getitem__ = indexing.getitem
    Tensor.__setitem__ = indexing.setitem
    Tensor.__iadd__ = lambda self, other: inplace.add_(self, other)
    Tensor.__isub__ = lambda self, other: inplace.sub_(self, other)
    Tensor.__imul__ = lambda self, other: inplace.mul_(self, other)
    Tensor.__itruediv__ = lambda self, other: inplace.div_(self, other)
    Tensor.__ipow__ = lambda self, other: inplace.pow_(self, other)
    Tensor.__iand__ = lambda self, other: inplace.bitwise_and_(self, other)
    Tensor.__ior__ = lambda self, other: inplace.bitwise_or_(self, other)
    Tensor.__ixor__ = lambda self, other: inplace.bitwise_xor_(self, other)


def _comparable(other):
    import numbers
    import numpy as np
    return isinstance(other, (Tensor, numbers.Number, np.ndarray, np.generic))


_install()

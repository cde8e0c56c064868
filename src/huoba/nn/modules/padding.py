"""Padding layers: constant / zero / reflection / replication / circular."""
from .. import functional as F
from .module import Module
from ._utils import _pair, _quadruple, _ntuple

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d"]

_sextuple = _ntuple(6, "_sextuple")


class _PadNd(Module):
    __constants__ = ["padding"]
    _mode = "constant"

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(Module):
    __constants__ = ["padding", "value"]

    def __init__(self, value):
        super().__init__()
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    def __init__(self, padding, value):
        super().__init__(value)
        self.padding = _pair(padding)


class ConstantPad2d(_ConstantPadNd):
    def __init__(self, padding, value):
        super().__init__(value)
        self.padding = _quadruple(padding)


class ConstantPad3d(_ConstantPadNd):
    def __init__(self, padding, value):
        super().__init__(value)
        self.padding = _sextuple(padding)


class ZeroPad1d(ConstantPad1d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


def _make(name, mode, tup):
    def __init__(self, padding):
        _PadNd.__init__(self)
        self.padding = tup(padding)
    return type(name, (_PadNd,), {"__init__": __init__, "_mode": mode, "__module__": __name__})


ReflectionPad1d = _make("ReflectionPad1d", "reflect", _pair)
ReflectionPad2d = _make("ReflectionPad2d", "reflect", _quadruple)
ReflectionPad3d = _make("ReflectionPad3d", "reflect", _sextuple)
ReplicationPad1d = _make("ReplicationPad1d", "replicate", _pair)
ReplicationPad2d = _make("ReplicationPad2d", "replicate", _quadruple)
ReplicationPad3d = _make("ReplicationPad3d", "replicate", _sextuple)
CircularPad1d = _make("CircularPad1d", "circular", _pair)
CircularPad2d = _make("CircularPad2d", "circular", _quadruple)
CircularPad3d = _make("CircularPad3d", "circular", _sextuple)

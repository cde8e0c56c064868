"""The random-state functions of the torch namespace, with Tensors.

huoba.random (layer 2) keeps the generator and hands out its state as NumPy bytes;
importing this module makes `Generator.get_state()` and `huoba.random.get_rng_state()`
return them as a uint8 Tensor, as PyTorch does.  `set_rng_state` / `Generator.set_state`
take that Tensor back (or a NumPy uint8 array).
"""
from .. import random as _random
from ..tensor import _wrap

__all__ = ["get_rng_state", "set_rng_state"]


def _state_tensor(array):
    return _wrap(array)


_random._state_tensor = _state_tensor


def get_rng_state():
    """`torch.get_rng_state()`: the default generator's state as a uint8 tensor of 5056 values."""
    return _wrap(_random.default_generator._state_array())


def set_rng_state(new_state):
    """`torch.set_rng_state(state)`: restore the default generator from a `get_rng_state()` tensor."""
    _random.default_generator.set_state(new_state)

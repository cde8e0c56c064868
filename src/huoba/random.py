"""huoba.random: PyTorch's CPU random number generator, reproduced on NumPy.

After the same seed, every sampler here returns bit for bit what PyTorch's CPU
kernels return (see the notes on each function for the few exceptions).  The
module knows nothing about huoba's Tensor: samplers take a shape and a huoba
dtype (or a NumPy dtype) and return NumPy arrays; the Tensor layer wraps them.

How PyTorch's CPU generator works, and how it is mirrored here
---------------------------------------------------------------
* The engine is a 32-bit Mersenne Twister (MT19937).  `manual_seed(s)` keeps
  the full 64-bit `s` as the initial seed but initialises the twister with the
  classic `init_genrand(s & 0xffffffff)`.  NumPy's `MT19937` bit generator runs
  the very same recurrence, so the state is loaded into one and its
  `random_raw` yields PyTorch's 32-bit stream, vectorised.
* `random64()` is two 32-bit draws, the first one the high word.
* uniform floats take the low 24 bits (float32, float16) or the low 53 bits of a
  64-bit draw (float64) times 2**-digits, then `fma(u, to - from, from)`; a
  result that rounds up to `to` is replaced by `from`.
* `normal_` on 16 or more elements fills the tensor with uniforms and applies a
  Box-Muller transform to blocks of 16 (8 radii, 8 angles); when the size is
  not a multiple of 16 the last 16 values are drawn again and recomputed.
  float32 uses the AVX2 kernel (Cephes polynomial log/sincos with FMAs), which
  is emulated here operation by operation; float16 draws and transforms block
  by block in float32; float64 uses libm's log/sin/cos.  Fewer than 16
  elements use a scalar Box-Muller in double precision that caches its second
  value in the generator (`next_double_normal_sample`).
* The state bytes (`get_state`) follow PyTorch's 5056-byte
  `CPUGeneratorImplState` layout, so they round-trip with
  `torch.get_rng_state()` / `torch.set_rng_state()`.  Once huoba's ops are
  loaded (always, after `import huoba`), `get_state()` / `get_rng_state()`
  return them as a uint8 Tensor, as PyTorch does (see huoba.ops.random_ops).

What PyTorch 2.13 does is taken from its x86-64 build with AVX2 (the normal
kernel is the AVX2 one on AVX-512 machines too).  Known limits: fused
multiply-adds are emulated exactly (round-to-odd), except that float32 results
in the subnormal range are not guarded against double rounding; the float64
log/sin/cos/tan come from NumPy, i.e. from libm on x86-64 without AVX-512 (where
they agree with PyTorch's glibc calls; NumPy's own AVX-512 versions may differ
in the last bit); `multinomial` without replacement orders ties (zero-probability
categories) by index, not like PyTorch's top-k.  PyTorch builds for other CPUs
(ARM, no AVX2) use other normal kernels and are not matched.
"""
import builtins as _builtins
import contextlib as _contextlib
import math as _math
import operator as _operator
import os as _os
import warnings as _warnings

import numpy as np

from . import dtypes as _dtypes
from .device import device as _device

__all__ = [
    "Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
    "fork_rng",
    "uniform", "normal", "randint", "random_", "randperm", "bernoulli", "dropout_mask", "multinomial",
    "exponential", "cauchy", "log_normal", "geometric",
]

_N = 624
_DEFAULT_SEED = 67280421310721          # c10::default_rng_seed_val: what `Generator()` starts with
_STATE_SIZE = 5056                      # sizeof(at::CPUGeneratorImplState)
_OFF_STATE = 24
_OFF_NORMAL_Y = 5016 + 8
_OFF_NORMAL_VALID = 5040
_OFF_FLOAT_SAMPLE = 5048
_OFF_FLOAT_VALID = 5052
_U64 = 0xFFFFFFFFFFFFFFFF
_M24 = np.uint64(0xFFFFFF)
_M53 = np.uint64((1 << 53) - 1)
_F32_2M24 = np.float32(2.0 ** -24)
_TWO_PI = 2.0 * _math.pi
_builtin_int = _builtins.int
_builtin_float = _builtins.float


# --------------------------------------------------------------------------- MT19937 helpers

def _init_genrand(seed32):
    """MT19937 init_genrand: the 624-word key for a 32-bit seed."""
    key = [0] * _N
    s = seed32 & 0xFFFFFFFF
    key[0] = s
    for j in range(1, _N):
        s = (1812433253 * (s ^ (s >> 30)) + j) & 0xFFFFFFFF
        key[j] = s
    return np.array(key, dtype=np.uint32)


def _temper(y):
    y = y.astype(np.uint32)
    y ^= y >> np.uint32(11)
    y ^= (y << np.uint32(7)) & np.uint32(0x9D2C5680)
    y ^= (y << np.uint32(15)) & np.uint32(0xEFC60000)
    y ^= y >> np.uint32(18)
    return y


def _nondeterministic_seed():
    return int.from_bytes(_os.urandom(8), "little")


def _check_seed(seed):
    if isinstance(seed, _builtins.bool) or not isinstance(seed, (_builtins.int, np.integer)):
        raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
    seed = _builtin_int(seed)
    if seed >= 1 << 64 or seed < -(1 << 63):
        raise ValueError("Overflow when unpacking long long")
    return seed & _U64


# --------------------------------------------------------------------------- Generator

class Generator:
    """`torch.Generator` for the CPU: an MT19937 stream identical to PyTorch's.

    A new generator starts from PyTorch's default seed 67280421310721, like
    `torch.Generator()`.  The raw stream is available as `random_u32(n)` and
    `random_u64(n)`; the module-level samplers take a generator as their
    `generator=` argument.
    """

    def __init__(self, device="cpu"):
        dev = _device(device)
        if dev.type != "cpu":
            raise RuntimeError(f"huoba.random.Generator supports only the CPU device, got '{dev}'")
        self.device = dev
        self._bg = np.random.MT19937(0)
        self._set_seed(_DEFAULT_SEED)

    # -- seeding ---------------------------------------------------------
    def _set_seed(self, seed):
        self._seed = seed
        self._load(_init_genrand(seed), 624, tail_next=0)
        self._next_double = None          # next_double_normal_sample
        self._next_float = None           # next_float_normal_sample

    def _load(self, key, pos, tail_next=None, pending=None, pending_next=0):
        self._bg.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
        self._tail_next = tail_next       # torch's `next` while the key waits for its twist
        self._pending = pending           # outputs torch reads before its next twist (odd states only)
        self._pending_i = 0
        self._pending_next = pending_next

    def manual_seed(self, seed):
        """Seed the generator (any int in [-2**63, 2**64)); returns the generator."""
        self._set_seed(_check_seed(seed))
        return self

    def seed(self):
        """Seed from the operating system's entropy, like PyTorch; returns the seed."""
        s = _nondeterministic_seed()
        self._set_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    # -- state -----------------------------------------------------------
    def get_state(self):
        """The generator state as a uint8 tensor of 5056 values, laid out like `torch.Generator.get_state()`."""
        return _state_tensor(self._state_array())

    def _state_array(self):
        """The state bytes as a NumPy uint8 array (what `get_state` wraps)."""
        st = self._bg.state["state"]
        key, pos = st["key"], _builtin_int(st["pos"])
        if self._pending is not None:
            left = 1 + len(self._pending) - self._pending_i
            nxt = self._pending_next + self._pending_i
        elif self._tail_next is not None and pos == _N:
            left, nxt = 1, self._tail_next
        else:
            left, nxt = _N + 1 - pos, pos
        buf = np.zeros(_STATE_SIZE, dtype=np.uint8)
        buf[0:8] = np.frombuffer(np.uint64(self._seed).tobytes(), np.uint8)
        buf[8:12] = np.frombuffer(np.int32(left).tobytes(), np.uint8)
        buf[12:16] = np.frombuffer(np.int32(1).tobytes(), np.uint8)
        buf[16:24] = np.frombuffer(np.uint64(nxt).tobytes(), np.uint8)
        buf[_OFF_STATE:_OFF_STATE + 8 * _N] = key.astype("<u8").view(np.uint8)
        if self._next_double is not None:
            buf[_OFF_NORMAL_Y:_OFF_NORMAL_Y + 8] = np.frombuffer(np.float64(self._next_double).tobytes(), np.uint8)
            buf[_OFF_NORMAL_VALID:_OFF_NORMAL_VALID + 4] = np.frombuffer(np.int32(1).tobytes(), np.uint8)
        if self._next_float is not None:
            buf[_OFF_FLOAT_SAMPLE:_OFF_FLOAT_SAMPLE + 4] = np.frombuffer(
                np.float32(self._next_float).tobytes(), np.uint8)
            buf[_OFF_FLOAT_VALID] = 1
        return buf

    def set_state(self, new_state):
        """Restore a state from `get_state()` (or from `torch.get_rng_state()`); returns the generator.

        `new_state` is a uint8 tensor; NumPy arrays (anything with `__array__`) are accepted too."""
        if not hasattr(type(new_state), "__array__"):
            t = type(new_state)
            name = t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
            raise TypeError(f"expected a torch.ByteTensor, but got {name}")
        arr = np.asarray(new_state)
        if arr.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        arr = np.ascontiguousarray(arr).reshape(-1)
        if arr.size != _STATE_SIZE:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_SIZE} but found the input "
                               f"RNG state size to be {arr.size}")
        raw = arr.tobytes()
        seed = _builtin_int(np.frombuffer(raw, "<u8", 1, 0)[0])
        left = _builtin_int(np.frombuffer(raw, "<i4", 1, 8)[0])
        seeded = _builtin_int(np.frombuffer(raw, "<i4", 1, 12)[0])
        nxt = _builtin_int(np.frombuffer(raw, "<u8", 1, 16)[0]) & 0xFFFFFFFF
        key = np.frombuffer(raw, "<u8", _N, _OFF_STATE).astype(np.uint32)   # truncates like torch
        if not (seeded and 0 < left <= _N and nxt <= _N):
            raise RuntimeError("Invalid mt19937 state")
        if left == 1:
            self._load(key, _N, tail_next=nxt)
        elif left + nxt == _N + 1:
            self._load(key, nxt)
        else:
            # torch reads key[next : next + left - 1] (tempered) before it twists again
            if nxt + left - 1 > _N:
                raise RuntimeError("huoba: this mt19937 state reads past its key; PyTorch's result is undefined")
            self._load(key, _N, tail_next=nxt + left - 1, pending=_temper(key[nxt:nxt + left - 1]).astype(np.uint64),
                       pending_next=nxt)
        self._seed = seed
        normal_valid = _builtin_int(np.frombuffer(raw, "<i4", 1, _OFF_NORMAL_VALID)[0])
        self._next_double = _builtin_float(np.frombuffer(raw, "<f8", 1, _OFF_NORMAL_Y)[0]) if normal_valid else None
        self._next_float = (np.frombuffer(raw, "<f4", 1, _OFF_FLOAT_SAMPLE)[0] if raw[_OFF_FLOAT_VALID] else None)
        return self

    def clone_state(self):
        """A new generator in the same state (`torch.Generator.clone_state`)."""
        return _generator_from_state(str(self.device), self._state_array())

    def __reduce__(self):
        return (_generator_from_state, (str(self.device), self._state_array()))

    def __repr__(self):
        return f"<huoba.random.Generator object (device='{self.device}', initial_seed={self._seed})>"

    # -- raw stream --------------------------------------------------------
    def _raw(self, n):
        """n successive 32-bit outputs, as a uint64 array."""
        n = _builtin_int(n)
        if n <= 0:
            return np.empty(0, dtype=np.uint64)
        if self._pending is not None:
            p, i = self._pending, self._pending_i
            k = min(n, len(p) - i)
            head = p[i:i + k]
            self._pending_i = i + k
            if self._pending_i == len(p):
                self._pending = None
            if k == n:
                return head.copy()
            self._tail_next = None
            return np.concatenate([head, self._bg.random_raw(n - k)])
        self._tail_next = None
        return self._bg.random_raw(n)

    def _raw64(self, n):
        r = self._raw(2 * n)
        return (r[0::2] << np.uint64(32)) | r[1::2]

    def random_u32(self, n):
        """The next `n` 32-bit outputs (PyTorch's `generator->random()`), as uint32."""
        return self._raw(n).astype(np.uint32)

    def random_u64(self, n):
        """The next `n` 64-bit outputs (PyTorch's `generator->random64()`: high word drawn first)."""
        return self._raw64(_builtin_int(n))

    def _uniform_f32(self, n):
        """n float32 uniforms in [0, 1) from 24-bit draws (`uniform_real_distribution<float>`)."""
        r = self._raw(n) & _M24
        return r.astype(np.float32) * _F32_2M24

    def _uniform_f64(self, n):
        """n float64 uniforms in [0, 1) from 53-bit draws (`uniform_real_distribution<double>`)."""
        return (self._raw64(n) & _M53).astype(np.float64) * (2.0 ** -53)


def _state_tensor(array):
    """How `get_state()` hands out the state bytes: huoba.ops.random_ops replaces this with a
    function that wraps them in a uint8 Tensor (this module does not know Tensor)."""
    return array


def _generator_from_state(device, state):
    g = Generator(device)
    g.set_state(state)
    return g


default_generator = Generator()
default_generator.manual_seed(_nondeterministic_seed())   # PyTorch seeds its default generator from the OS


# called with the seed by manual_seed() and seed(): huoba.cuda seeds the GPUs' generators there,
# as torch.manual_seed seeds every device
_seed_hooks = []


def manual_seed(seed):
    """Seed the default generator (`torch.manual_seed`); returns it."""
    seed = _builtin_int(seed)
    for hook in _seed_hooks:
        hook(seed)
    return default_generator.manual_seed(seed)


def seed():
    """Seed the default generator non-deterministically; returns the seed."""
    s = default_generator.seed()
    for hook in _seed_hooks:
        hook(s)
    return s


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state: a uint8 tensor of 5056 values, PyTorch's layout."""
    return _state_tensor(default_generator._state_array())


def set_rng_state(new_state):
    default_generator.set_state(new_state)


@_contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type="cpu"):
    """`torch.random.fork_rng`: restore the default generator's state on exit."""
    if not enabled:
        yield
        return
    state = default_generator._state_array()
    try:
        yield
    finally:
        default_generator.set_state(state)


# --------------------------------------------------------------------------- argument helpers

def _gen(generator):
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"expected a huoba.random.Generator, got {type(generator).__name__}")
    return generator


def _shape(shape):
    if shape is None:
        return ()
    if isinstance(shape, (_builtins.int, np.integer)):
        return (_builtin_int(shape),)
    shape = tuple(_operator.index(s) for s in shape)
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
    return shape


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _np_dtype(dtype, default=None):
    if dtype is None:
        dtype = default if default is not None else _dtypes.get_default_dtype()
    if isinstance(dtype, _dtypes.dtype):
        return dtype.np
    return np.dtype(dtype)


def _type_name(npdt):
    return {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}.get(npdt.name, npdt.name)


def _is_float(npdt):
    return npdt.kind == "f"


def _to_half(x):
    """C++ `static_cast<c10::Half>(double)`: through float first."""
    return np.asarray(x, dtype=np.float64).astype(np.float32).astype(np.float16)


def _cast_from_f64(x, npdt):
    """Cast float64 results to `npdt` the way PyTorch's kernels do (double -> float -> half)."""
    if npdt == np.float16:
        return _to_half(x)
    return x.astype(npdt, copy=False)


# --------------------------------------------------------------------------- exact fused multiply-add

_TIE_MASK = np.uint64(0x1FFFFFFF)
_TIE_HALF = np.uint64(0x10000000)


def _fma32(a, b, c):
    """float32 fma(a, b, c) with a single rounding.

    a*b is exact in float64; the sum rounds once to float64 and once more to
    float32.  That double rounding can only go wrong when the float64 sum lands
    exactly halfway between two float32 values, so those (rare) elements are
    nudged towards the exact sum first (round-to-odd).
    """
    s = np.multiply(a, b, dtype=np.float64)
    s += c
    tie = (s.view(np.uint64) & _TIE_MASK) == _TIE_HALF
    if tie.any():
        p = np.multiply(np.broadcast_to(a, s.shape)[tie], np.broadcast_to(b, s.shape)[tie], dtype=np.float64)
        cc = np.broadcast_to(np.asarray(c, dtype=np.float64), s.shape)[tie]
        st = s[tie]
        bb = st - p
        err = (p - (st - bb)) + (cc - bb)
        s[tie] = np.where(err != 0, np.nextafter(st, np.copysign(np.inf, err)), st)
    return s.astype(np.float32)


def _split(a):
    t = a * 134217729.0                  # 2**27 + 1 (Veltkamp)
    hi = t - (t - a)
    return hi, a - hi


def _fma64(a, b, c):
    """float64 fma(a, b, c) with a single rounding (Boldo & Melquiond's round-to-odd emulation)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    if c.ndim == 0 and c == 0:
        return a * b + c
    big = 2.0 ** 900
    if np.any(np.abs(b) > big) or np.any(np.abs(c) > big):     # keep Veltkamp's split finite
        return _fma64(a, b * 2.0 ** -600, c * 2.0 ** -600) * 2.0 ** 600
    if np.any(np.abs(a) > big):
        return _fma64(a * 2.0 ** -600, b, c * 2.0 ** -600) * 2.0 ** 600
    with np.errstate(over="ignore", invalid="ignore"):
        uh = a * b
        ah, al = _split(a)
        bh, bl = _split(b)
        ul = ((ah * bh - uh) + ah * bl + al * bh) + al * bl
        th = c + uh
        z = th - c
        tl = (c - (th - z)) + (uh - z)
        v = tl + ul
        z = v - tl
        w = (tl - (v - z)) + (ul - z)
        inexact = (w != 0) & ((v.view(np.uint64) & np.uint64(1)) == 0)
        if np.any(inexact):
            v = np.where(inexact, np.nextafter(v, np.copysign(np.inf, w)), v)
        out = th + v
        bad = ~np.isfinite(out)
        if np.any(bad):        # the exact split overflows beyond ~1e300: plain multiply-add there
            out = np.where(bad, uh + c, out)
    return out


# --------------------------------------------------------------------------- uniform

def uniform(shape, dtype=None, low=0.0, high=1.0, generator=None):
    """`torch.rand(shape)` / `Tensor.uniform_(low, high)`: values in [low, high)."""
    shape = _shape(shape)
    npdt = _np_dtype(dtype)
    if not _is_float(npdt):
        raise RuntimeError(f"\"check_uniform_bounds\" not implemented for '{_type_name(npdt)}'")
    low, high = _builtin_float(low), _builtin_float(high)
    if not low <= high:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={low:g} > to={high:g}")
    fmax = _builtin_float(np.finfo(npdt).max)
    if npdt == np.float16 and (abs(low) > fmax or abs(high) > fmax):
        raise RuntimeError(f"{'from' if abs(low) > fmax else 'to'} is out of bounds for c10::Half")
    if high - low > fmax:
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{_type_name(npdt).lower()}>::max(), "
                           f"but found to={high:g} and from={low:g} which result in to-from to exceed the limit")
    g = _gen(generator)
    n = _numel(shape)
    if npdt == np.float64:
        u = g._uniform_f64(n)
        if low == 0.0 and high == 1.0:
            return u.reshape(shape)
        v = _fma64(u, high - low, low)
        v[v == high] = low
        return v.reshape(shape)
    u = g._uniform_f32(n)
    f, t = np.float32(low), np.float32(high)
    if f == 0 and t == 1:
        v = u
    else:
        v = _fma32(u, t - f, f)
        if npdt == np.float32:
            v[v == t] = f
    if npdt == np.float16:
        v = v.astype(np.float16)
        v[v >= np.float16(high)] = np.float16(low)
    return v.reshape(shape)


# --------------------------------------------------------------------------- normal

_LOG_P = [np.float32(v) for v in (0.07037683576345444, -0.11514610052108765, 0.11676998436450958,
                               -0.12420140951871872, 0.14249323308467865, -0.16668057441711426,
                               0.2000071406364441, -0.24999994039535522, 0.3333333134651184)]


def _normal16_f32(d, mean, std):
    """PyTorch's AVX2 `normal_fill_16` on (k, 16) float32 uniforms, operation for operation.

    The first 8 values of a block give the radius sqrt(-2 log(1 - u)), the last 8
    the angle 2*pi*u; Cephes-style polynomials (avx_mathfun's log256_ps and
    sincos256_ps, with the FMAs the compiler fused) stand in for log, sin and cos.
    Works on blocks of rows so that the float64 temporaries stay in cache.
    """
    out = np.empty_like(d)
    step = 4096
    for i in range(0, d.shape[0], step):
        out[i:i + step] = _normal16_f32_block(d[i:i + step], np.float32(mean), np.float32(std))
    return out


def _normal16_f32_block(d, mean, std):
    f32 = np.float32
    one = f32(1.0)
    x = one - d[:, :8]
    invalid = x <= 0
    x = np.maximum(x, np.array(0x00800000, np.uint32).view(f32))
    theta = f32(6.2831854820251465) * d[:, 8:]
    # -- log(x), log256_ps
    xi = x.view(np.uint32)
    e = ((xi >> np.uint32(23)).astype(np.int32) - 127).astype(f32) + one
    x = ((xi & np.uint32(0x807FFFFF)) | np.uint32(0x3F000000)).view(f32)
    mask = x < f32(0.7071067690849304)
    tmp = np.where(mask, x, f32(0.0))
    e -= np.where(mask, one, f32(0.0))
    x += f32(-1.0)
    x += tmp
    z = x * x
    y = _fma32(x, _LOG_P[0], _LOG_P[1])
    for p in _LOG_P[2:]:
        y = _fma32(y, x, p)
    t = e * f32(-0.00021219444170128554)
    y = x * y
    y = _fma32(y, z, t)
    y -= z * f32(0.5)                    # fma(-z, 0.5, y): z*0.5 is exact
    x += y
    lg = e * f32(0.693359375) + x        # fma(e, 0.693359375, x): e*0.693359375 is exact
    if invalid.any():
        lg[invalid] = np.nan
    radius = np.sqrt(lg * f32(-2.0))
    # -- sincos(theta), sincos256_ps
    ax = np.abs(theta)
    j1 = (ax * f32(1.2732394933700562)).astype(np.int32) + 1
    j = j1 & np.int32(~1)
    yj = j.astype(f32)
    sign_sin = (theta.view(np.uint32) & np.uint32(0x80000000)) ^ ((j1 & 4) << 29).astype(np.uint32)
    poly = (j1 & 2) == 0
    x = yj * f32(-0.78515625) + ax       # these two products are exact (yj is a small even integer)
    x = yj * f32(-0.00024187564849853516) + x
    x = _fma32(yj, f32(-3.774895063202166e-08), x)
    sign_cos = (((~(j - 2)) & 4) << 29).astype(np.uint32)
    z = x * x
    half_z = z * f32(0.5)
    yc = _fma32(z, f32(2.44331567955669e-05), f32(-0.0013887316454201937))
    yc = _fma32(yc, z, f32(0.04166664555668831))
    yc = z * yc
    yc = _fma32(z, yc, -half_z)
    yc += one
    ys = _fma32(z, f32(-0.00019515295571181923), f32(0.008332161232829094))
    ys = _fma32(ys, z, f32(-0.16666655242443085))
    ys = z * ys
    ys = _fma32(x, ys, x)
    zero = f32(0.0)
    ysin2 = np.where(poly, ys, zero)
    ysin1 = np.where(poly, zero, yc)
    s = ysin2 + ysin1
    c = (ys - ysin2) + (yc - ysin1)
    s = (s.view(np.uint32) ^ sign_sin).view(f32)
    c = (c.view(np.uint32) ^ sign_cos).view(f32)
    n1 = radius * c
    n2 = radius * s
    out = np.empty_like(d)
    if std == 1:                         # n*1 is exact: the fma is a plain add
        out[:, :8] = n1 + mean
        out[:, 8:] = n2 + mean
    else:
        out[:, :8] = _fma32(n1, std, mean)
        out[:, 8:] = _fma32(n2, std, mean)
    return out


def _normal16_f64(d, mean, std):
    """PyTorch's scalar `normal_fill_16<double>` on (k, 16) float64 uniforms."""
    radius = np.sqrt(np.log(1.0 - d[:, :8]) * -2.0)
    theta = _TWO_PI * d[:, 8:]
    out = np.empty_like(d)
    out[:, :8] = _fma64(radius * np.cos(theta), std, mean)
    out[:, 8:] = _fma64(radius * np.sin(theta), std, mean)
    return out


def _standard_normal_serial(g, n):
    """n draws of `normal_distribution<double>` (Box-Muller with the generator's cached spare)."""
    out = np.empty(n, dtype=np.float64)
    i = 0
    if n and g._next_double is not None:
        out[0] = g._next_double
        g._next_double = None
        i = 1
    m = n - i
    if m > 0:
        pairs = (m + 1) // 2
        u = g._uniform_f64(2 * pairs)
        u1, u2 = u[0::2], u[1::2]
        r = np.sqrt(-2.0 * np.log1p(-u2))
        theta = _TWO_PI * u1
        vals = np.empty(2 * pairs, dtype=np.float64)
        vals[0::2] = r * np.cos(theta)
        vals[1::2] = r * np.sin(theta)
        out[i:] = vals[:m]
        if m % 2:
            g._next_double = _builtin_float(vals[-1])
    return out


def _normal_fill(g, n, npdt, mean, std):
    """`Tensor.normal_(mean, std)` on a fresh contiguous tensor of n elements (flat array)."""
    if n >= 16 and npdt == np.float32:
        full = n - n % 16
        d = g._uniform_f32(n)
        out = _normal16_f32(d[:full].reshape(-1, 16), mean, std).reshape(-1)
        if n % 16:
            out = np.concatenate([out, np.empty(n - full, np.float32)])
            out[n - 16:] = _normal16_f32(g._uniform_f32(16).reshape(1, 16), mean, std).reshape(-1)
        return out
    if n >= 16 and npdt == np.float16:
        full = n - n % 16
        d = g._uniform_f32(full)
        out = _normal16_f32(d.reshape(-1, 16), mean, std).reshape(-1).astype(np.float16)
        if n % 16:
            out = np.concatenate([out, np.empty(n - full, np.float16)])
            out[n - 16:] = _normal16_f32(g._uniform_f32(16).reshape(1, 16), mean, std).reshape(-1).astype(np.float16)
        return out
    if n >= 16 and npdt == np.float64:
        full = n - n % 16
        d = g._uniform_f64(n)
        out = _normal16_f64(d[:full].reshape(-1, 16), mean, std).reshape(-1)
        if n % 16:
            out = np.concatenate([out, np.empty(n - full, np.float64)])
            out[n - 16:] = _normal16_f64(g._uniform_f64(16).reshape(1, 16), mean, std).reshape(-1)
        return out
    v = _fma64(_standard_normal_serial(g, n), std, mean)
    return _cast_from_f64(v, npdt)


def normal(shape, dtype=None, mean=0.0, std=1.0, generator=None, *, contiguous=True):
    """`torch.randn` / `Tensor.normal_(mean, std)` / `torch.normal(mean, std, size)`.

    `mean` and `std` may be floats or arrays (`torch.normal(mean_tensor,
    std_tensor)`); with arrays PyTorch draws standard normals for the
    broadcast shape and then computes `out * std + mean` (or `out + mean` when
    only the mean is an array), in the output dtype, and so does this function.
    `shape=None` then means the broadcast shape of mean and std.

    `contiguous=False` reproduces `normal_` on a non-contiguous tensor, which
    PyTorch fills element by element (scalar Box-Muller) whatever its size;
    the values come in the order PyTorch visits the elements, i.e. memory
    order for a permuted or sliced view (the same order every in-place random
    fill of a non-contiguous tensor uses).
    """
    mean_is_arr = isinstance(mean, np.ndarray) or (not np.isscalar(mean) and np.ndim(mean) > 0)
    std_is_arr = isinstance(std, np.ndarray) or (not np.isscalar(std) and np.ndim(std) > 0)
    if mean_is_arr or std_is_arr:
        return _normal_tensor(shape, dtype, mean, std, mean_is_arr, std_is_arr, generator)
    npdt = _np_dtype(dtype)
    if not _is_float(npdt):
        raise RuntimeError(f"\"normal_kernel_cpu\" not implemented for '{_type_name(npdt)}'")
    std = _builtin_float(std)
    mean = _builtin_float(mean)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    shape = _shape(shape)
    g = _gen(generator)
    if not contiguous:
        out = _cast_from_f64(_fma64(_standard_normal_serial(g, _numel(shape)), std, mean), npdt)
    else:
        out = _normal_fill(g, _numel(shape), npdt, mean, std)
    return out.reshape(shape)


def _normal_tensor(shape, dtype, mean, std, mean_is_arr, std_is_arr, generator):
    mean_a = np.asarray(mean)
    std_a = np.asarray(std)
    if std_is_arr and std_a.size and np.any(std_a < 0):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if dtype is None:
        if mean_is_arr and std_is_arr:
            npdt = np.promote_types(mean_a.dtype, std_a.dtype)
        else:
            npdt = (mean_a if mean_is_arr else std_a).dtype
    else:
        npdt = _np_dtype(dtype)
    if not _is_float(npdt):
        raise RuntimeError(f"\"normal_kernel_cpu\" not implemented for '{_type_name(npdt)}'")
    if shape is None:
        shape = np.broadcast_shapes(mean_a.shape if mean_is_arr else (), std_a.shape if std_is_arr else ())
    shape = _shape(shape)
    g = _gen(generator)
    if not std_is_arr:
        out = _normal_fill(g, _numel(shape), npdt, 0.0, _builtin_float(std)).reshape(shape)
    else:
        out = _normal_fill(g, _numel(shape), npdt, 0.0, 1.0).reshape(shape)
        out = (out * std_a.astype(npdt)).astype(npdt)
    if mean_is_arr:
        out = (out + mean_a.astype(npdt)).astype(npdt)
    else:
        out = (out + _cast_from_f64(np.asarray(mean, dtype=np.float64), npdt)).astype(npdt)
    return np.broadcast_to(out, shape).copy() if out.shape != shape else out


# --------------------------------------------------------------------------- integers

_FLOAT_DIGITS = {np.dtype(np.float16): 11, np.dtype(np.float32): 24, np.dtype(np.float64): 53}


_C_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double", "int64": "long", "int32": "int",
            "int16": "short", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _int_cast(v_u64, npdt):
    """`static_cast<T>(static_cast<int64_t>(value))` for values held in uint64."""
    v = v_u64.view(np.int64)
    if npdt == np.bool_:
        return v != 0
    if npdt == np.float16:
        return v.astype(np.float32).astype(np.float16)
    return v.astype(npdt)


def _round_trip_int(v, npdt):
    """`static_cast<int64_t>(static_cast<scalar_t>(v))` for a floating dtype."""
    x = np.array([v], dtype=np.int64)
    with np.errstate(over="ignore"):
        x = x.astype(np.float32).astype(np.float16) if npdt == np.float16 else x.astype(npdt)
    if not np.isfinite(x[0]):
        return -(1 << 63)         # what x86 makes of an infinite float -> int64; the bounds check reports it
    return _builtin_int(x[0])


def _update_from(low, npdt):
    """PyTorch's update_from: move `from` up when from + 1 is not representable in a float dtype."""
    from_plus_1 = _round_trip_int(low + 1, npdt)
    if from_plus_1 < low:
        nbits = abs(low + 1).bit_length() - 1
        low = from_plus_1 + (1 << (nbits - _FLOAT_DIGITS[npdt] + 1))
    return low


def _update_to(high, npdt):
    """PyTorch's update_to: move `to` down when to - 1 is not representable in a float dtype."""
    to_minus_1 = _round_trip_int(high - 1, npdt)
    if to_minus_1 >= high:
        nbits = abs(high - 1).bit_length() - 1
        high = to_minus_1 - (1 << (nbits - _FLOAT_DIGITS[npdt] + 1))
    return high


def _check_in_range(name, v, npdt):
    """PyTorch's check_from_to_in_range: an error outside the dtype, a warning outside 2**digits for floats."""
    if _is_float(npdt):
        fmax = _builtin_float(np.finfo(npdt).max)
        if not -fmax <= v <= fmax:
            raise RuntimeError(f"{name} is out of bounds for {_C_NAMES[npdt.name]}")
        d = _FLOAT_DIGITS[npdt]
        if not -(1 << d) <= v <= 1 << d:
            _warnings.warn(f"{name} is out of bounds [-(2^{d}), 2^{d}]. Due to precision limitations "
                           f"{_C_NAMES[npdt.name]} can support discrete uniform distribution only within this "
                           f"range. This warning will become an error in version 1.7 release, please fix the code "
                           f"in advance", UserWarning, stacklevel=3)
    else:
        lo, hi = (0, 1) if npdt == np.bool_ else (_builtin_int(np.iinfo(npdt).min), _builtin_int(np.iinfo(npdt).max))
        if not lo <= v <= hi:
            raise RuntimeError(f"{name} is out of bounds for {_C_NAMES[npdt.name]}")


def randint(low, high, shape, dtype=None, generator=None):
    """`torch.randint(low, high, shape)` / `Tensor.random_(low, high)`: integers in [low, high).

    `high=None` is `Tensor.random_(low, None)`: [low, largest value of the
    dtype] (for floating dtypes, up to 2**mantissa digits); `low=-2**63` with
    `high=None` is the full 64-bit range.  For floating dtypes the bounds are
    first moved to values the dtype can hold, as PyTorch does.
    """
    shape = _shape(shape)
    npdt = _np_dtype(dtype, _dtypes.int64)
    low = _operator.index(low)
    g = _gen(generator)
    n = _numel(shape)
    if high is None:
        if low == -(1 << 63):
            if npdt not in (np.int64, np.float32, np.float64):
                raise RuntimeError(f"\"random_full_64_bits_range_kernel_cpu\" not implemented for "
                                   f"'{_type_name(npdt)}'")
            return _int_cast(g._raw64(n), npdt).reshape(shape)
        if _is_float(npdt):
            to_inc = 1 << _FLOAT_DIGITS[npdt]
            low = _update_from(low, npdt)
            if not low < to_inc:
                raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' "
                                   f"casted to dtype, but got from={low} > to_inc={to_inc}")
        else:
            to_inc = 1 if npdt == np.bool_ else _builtin_int(np.iinfo(npdt).max)
        _check_in_range("from", low, npdt)
        _check_in_range("to_inc", to_inc, npdt)
        rng = to_inc - low + 1
    else:
        high = _operator.index(high)
        if low >= high:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
        if _is_float(npdt):
            low, high = _update_from(low, npdt), _update_to(high, npdt)
            if low >= high:
                raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, "
                                   f"but got from={low} >= to={high}")
        _check_in_range("from", low, npdt)
        _check_in_range("to - 1", high - 1, npdt)
        rng = high - low
    if rng >= 1 << 28:        # PyTorch 2.13 switches to 64-bit draws from a range of 2**28 on
        r = g._raw64(n)
    else:
        r = g._raw(n)
    v = (r % np.uint64(rng & _U64)) + np.uint64(low & _U64)
    return _int_cast(v, npdt).reshape(shape)


def random_(shape, dtype=None, generator=None):
    """`Tensor.random_()` with no bounds: [0, max] for integers, [0, 2**digits] for floats."""
    shape = _shape(shape)
    npdt = _np_dtype(dtype)
    g = _gen(generator)
    n = _numel(shape)
    if npdt == np.bool_:
        return ((g._raw(n) & np.uint64(1)) != 0).reshape(shape)
    if npdt in (np.int64, np.float64):
        r = g._raw64(n)
    else:
        r = g._raw(n)
    if _is_float(npdt):
        mod = (1 << _FLOAT_DIGITS[npdt]) + 1
    else:
        mod = _builtin_int(np.iinfo(npdt).max) + 1
    return _int_cast(r % np.uint64(mod), npdt).reshape(shape)


def _fisher_yates(z, n):
    """The permutation PyTorch's randperm builds: for i < n-1 swap a[i] and a[i + z[i]], a = arange(n).

    Vectorised: a[i] is final after step i and is whatever sat at position
    k_i = i + z_i at that time, i.e. the value that the last earlier step
    targeting k_i carried there (or k_i itself).  A step m carries the value at
    position m at time m, which resolves the same way; those chains point to
    earlier steps only and are collapsed by pointer jumping.
    """
    m = n - 1
    steps = np.arange(m, dtype=np.int64)
    k = steps + z.astype(np.int64)
    order = np.argsort(k, kind="stable")            # steps grouped by target, in step order
    ks = k[order]
    same = ks[1:] == ks[:-1]
    prev = np.full(m, -1, dtype=np.int64)           # previous step with the same target
    prev[order[1:][same]] = order[:-1][same]
    is_last = np.ones(m, dtype=bool)
    is_last[:-1] = ~same
    last = np.full(n, -1, dtype=np.int64)           # last step targeting each position
    last[ks[is_last]] = order[is_last]
    lj = last[:m]
    mj = np.where(lj == steps, prev, lj)            # last step before j that targeted j
    ptr = np.where(mj >= 0, mj, steps)
    while True:
        nxt = ptr[ptr]
        if np.array_equal(nxt, ptr):
            break
        ptr = nxt
    out = np.empty(n, dtype=np.int64)
    out[:m] = np.where(prev >= 0, ptr[np.maximum(prev, 0)], k)
    out[m] = ptr[last[m]] if last[m] >= 0 else m
    return out


def randperm(n, dtype=None, generator=None):
    """`torch.randperm(n)`: PyTorch's Fisher-Yates shuffle (one 32-bit draw per position)."""
    n = _operator.index(n)
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    npdt = _np_dtype(dtype, _dtypes.int64)
    if _is_float(npdt) and n > (1 << _FLOAT_DIGITS[npdt]) + 1:
        limit = {11: "2049", 24: "2^24+1", 53: "2^53+1"}[_FLOAT_DIGITS[npdt]]
        raise RuntimeError(f"n cannot be greater than {limit} for {_type_name(npdt)} type.")
    g = _gen(generator)
    if n <= 1:
        return np.arange(n).astype(npdt)
    if n < 0xFFFFFFFF // 20:
        z = g._raw(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)
        if n >= 2048:
            return _fisher_yates(z, n).astype(npdt)
        a = list(range(n))
        for i, k in enumerate(z.tolist()):
            k += i
            a[i], a[k] = a[k], a[i]
        return np.array(a, dtype=np.int64).astype(npdt)
    # n >= 214748364: PyTorch's "inside-out" variant with 64-bit draws (a Python loop here)
    z = (g._raw64(n) % np.arange(1, n + 1, dtype=np.uint64)).tolist()
    a = [0] * n
    for i, k in enumerate(z):
        a[i] = a[k]
        a[k] = i
    return np.array(a, dtype=np.int64).astype(npdt)


# --------------------------------------------------------------------------- bernoulli / dropout

def bernoulli(p, shape=None, dtype=None, generator=None):
    """`torch.bernoulli(p_tensor)` / `Tensor.bernoulli_(p)`.

    * `p` a float: `Tensor.bernoulli_(p)` on a tensor of `shape` and `dtype`
      (default dtype when None): one 53-bit uniform per element, `u < p`.
    * `p` an array: `torch.bernoulli(p)` (shape and dtype default to p's); p is
      broadcast to `shape`.  float64 p compares 53-bit uniforms, other float p
      24-bit ones.
    """
    g = _gen(generator)
    if np.isscalar(p) or (np.ndim(p) == 0 and not isinstance(p, np.ndarray)):
        p = _builtin_float(p)
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
        shape = _shape(shape)
        npdt = _np_dtype(dtype)
        keep = g._uniform_f64(_numel(shape)) < p
        return keep.reshape(shape).astype(npdt)
    pa = np.asarray(p)
    if not _is_float(pa.dtype):
        raise RuntimeError(f"\"bernoulli_tensor_cpu_p_\" not implemented for '{_type_name(pa.dtype)}'")
    shape = pa.shape if shape is None else _shape(shape)
    npdt = pa.dtype if dtype is None else _np_dtype(dtype)
    pb = np.broadcast_to(pa, shape)
    if pb.size and not (np.all(pb >= 0) and np.all(pb <= 1)):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message "
                           "be improved?  If so, please report an enhancement request to PyTorch.)")
    n = _numel(shape)
    if pa.dtype == np.float64:
        keep = g._uniform_f64(n).reshape(shape) < pb
    else:
        keep = g._uniform_f32(n).reshape(shape) < pb.astype(np.float32)
    return keep.astype(npdt)


def dropout_mask(shape, dtype=None, p=0.5, generator=None):
    """The noise `F.dropout(x, p, training=True)` multiplies `x` by on the CPU.

    PyTorch builds it as `empty_like(x).bernoulli_(1 - p).div_(1 - p)`, so it
    holds 0 or 1/(1-p) in x's dtype; p == 0 and p == 1 draw nothing (ones and
    zeros).  For feature dropout (`dropout2d` and friends) pass the noise
    shape, e.g. (N, C, 1, 1).
    """
    p = _builtin_float(p)
    if p < 0 or p > 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    shape = _shape(shape)
    npdt = _np_dtype(dtype)
    if p == 0:
        return np.ones(shape, dtype=npdt)
    if p == 1:
        return np.zeros(shape, dtype=npdt)
    q = 1.0 - p
    keep = bernoulli(q, shape, np.bool_, generator)
    if npdt == np.float64:
        scale = 1.0 / q
    elif _is_float(npdt):
        scale = np.float32(1.0) / np.float32(q)
    else:
        raise RuntimeError(f"dropout_mask needs a floating dtype, got {npdt}")
    return np.where(keep, scale, 0).astype(npdt)


# --------------------------------------------------------------------------- other distributions

def exponential(shape, dtype=None, lambd=1.0, generator=None):
    """`Tensor.exponential_(lambd)`: -1/lambd * log1p(-u) with 53-bit uniforms."""
    lambd = _builtin_float(lambd)
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    shape = _shape(shape)
    npdt = _np_dtype(dtype)
    if not _is_float(npdt):
        raise RuntimeError(f"\"exponential_cpu\" not implemented for '{_type_name(npdt)}'")
    u = _gen(generator)._uniform_f64(_numel(shape))
    v = (-1.0 / lambd) * np.log1p(-u)
    return _cast_from_f64(v, npdt).reshape(shape)


def cauchy(shape, dtype=None, median=0.0, sigma=1.0, generator=None):
    """`Tensor.cauchy_(median, sigma)`: median + sigma * tan(pi * (u - 0.5))."""
    shape = _shape(shape)
    npdt = _np_dtype(dtype)
    u = _gen(generator)._uniform_f64(_numel(shape))
    v = _builtin_float(median) + _builtin_float(sigma) * np.tan(_math.pi * (u - 0.5))
    return _cast_from_f64(v, npdt).reshape(shape)


def log_normal(shape, dtype=None, mean=1.0, std=2.0, generator=None):
    """`Tensor.log_normal_(mean, std)`: exp of the scalar Box-Muller normal, element by element."""
    shape = _shape(shape)
    npdt = _np_dtype(dtype)
    v = np.exp(_fma64(_standard_normal_serial(_gen(generator), _numel(shape)), _builtin_float(std),
                      _builtin_float(mean)))
    return _cast_from_f64(v, npdt).reshape(shape)


def geometric(shape, dtype=None, p=0.5, generator=None):
    """`Tensor.geometric_(p)`: ceil(log(u) / log(1 - p))."""
    p = _builtin_float(p)
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    shape = _shape(shape)
    npdt = _np_dtype(dtype)
    u = _gen(generator)._uniform_f64(_numel(shape))
    with np.errstate(divide="ignore"):
        v = np.ceil(np.log(u) / np.log(1.0 - p))
    if _is_float(npdt):
        return _cast_from_f64(v, npdt).reshape(shape)
    return v.astype(np.int64).astype(npdt).reshape(shape)


def multinomial(probs, num_samples, replacement=False, generator=None):
    """`torch.multinomial(probs, num_samples, replacement)` for 1-D or 2-D `probs` (int64 indices).

    Without replacement (and for a single sample) PyTorch divides the
    probabilities by exponential(1) noise and takes the arg-max / top-k; with
    replacement it binary-searches a normalised cumulative sum with one 53-bit
    uniform per sample.  Ties in the top-k (equal keys: only zero-probability
    categories, when num_samples exceeds the non-zero ones) are taken in index
    order, which may differ from PyTorch's heap/introselect order.
    """
    pa = np.asarray(probs)
    if pa.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim")
    if not _is_float(pa.dtype):
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{_type_name(pa.dtype)}")
    n_sample = _operator.index(num_samples)
    if n_sample <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n_cat = pa.shape[-1]
    if not replacement and n_sample > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rows = pa.reshape(-1, n_cat)
    if np.any(rows < 0) or not np.all(np.isfinite(rows)):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if np.any((rows > 0).sum(axis=1) == 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    g = _gen(generator)
    if not replacement or n_sample == 1:
        q = exponential(rows.shape, pa.dtype, 1.0, g)
        with np.errstate(divide="ignore", invalid="ignore"):
            keys = (rows / q).astype(pa.dtype)
        if n_sample == 1:
            idx = np.argmax(keys, axis=1)[:, None]
        else:
            idx = np.argsort(-keys.astype(np.float64), axis=1, kind="stable")[:, :n_sample]
        return idx.astype(np.int64).reshape(pa.shape[:-1] + (n_sample,))
    acc = np.float32 if pa.dtype == np.float16 else pa.dtype
    out = np.empty((rows.shape[0], n_sample), dtype=np.int64)
    for i in range(rows.shape[0]):
        cum = np.cumsum(rows[i].astype(acc), dtype=acc)
        cum = (cum / cum[-1]).astype(acc)
        cum[-1] = 1
        u = g._uniform_f64(n_sample)
        out[i] = np.searchsorted(cum.astype(np.float64), u, side="left")
    return out.reshape(pa.shape[:-1] + (n_sample,))

"""Array-level convolution and pooling kernels (no Tensor, no autograd).

Every function takes plain arrays (numpy.ndarray or cupy.ndarray) and works on
whatever array module owns its input, so the same code serves the CPU and the
GPU.  Layout is NCHW; conv weights are (out, in/groups, kH, kW) and transposed
conv weights are (in, out/groups, kH, kW), as in PyTorch.

Argument conventions
--------------------
* ``stride`` / ``dilation`` / ``kernel``: int or (h, w) pair.
* conv ``padding``: int, (ph, pw), or the asymmetric ((top, bottom), (left,
  right)) form (what :func:`same_padding` returns).  1-d functions take int,
  (p,), (before, after) or ((before, after),).
* pooling ``padding``: int or (ph, pw) (symmetric, as in PyTorch).
* pooling functions accept any number of leading dims: they work on the last
  two (2-d) or last one (1-d) dims; conv functions take (N, C, H, W) or the
  unbatched (C, H, W) (resp. (N, C, L) / (C, L) for 1-d).

Convolution: im2col + one BLAS GEMM
-----------------------------------
The column matrix has layout (C*kH*kW, N*L) so that the forward is the single
GEMM ``W(O, C*kH*kW) @ cols`` (a batch of ``groups`` GEMMs when grouped) and
the weight gradient the single GEMM ``grad_y(O, N*L) @ cols.T``.  By default
the columns are "extended" ("ext" layout): every output row gets
Wq = ceil(Wp / sw) columns instead of OW (Wp = padded width), the extra
Wq - OW being wrap-around garbage that is computed and thrown away (and meets
zero gradients in the backward).  In exchange, im2col copies long runs instead
of OW-long pieces (for stride 1 each (c, i, j, n) row is one contiguous run of
the padded plane), which is several times faster for small feature maps, and
col2im becomes a few long strided adds.  When Wq / OW exceeds
``_EXT_MAX_WASTE`` the exact layout (C, kH, kW, N, OH, OW) is used instead.
1x1 convolutions without padding skip im2col (batched GEMMs on x itself).
Large temporaries live in per-thread scratch buffers (NumPy only; see
:func:`clear_scratch`).

Cache convention: ``conv2d_forward(..., keep_cols=True)`` returns ``(y,
cache)`` (otherwise just ``y``); pass ``cache=`` to :func:`conv2d_backward`
to reuse the column matrix for the weight gradient instead of rebuilding it
from x.  The backward consumes the cache (its buffer is recycled for later
forwards; a second backward with the same cache rebuilds the columns).  The
cache is only a performance hint: a missing, consumed or mismatching cache is
ignored.  (In the extended layout the garbage columns hold real input values
that meet zero gradients, so an inf/NaN input can leak a NaN into a weight
gradient entry where PyTorch would not put one.)
"""
import threading

import numpy as np

from .._backend import array_module

__all__ = [
    "as_strided", "same_padding",
    "conv2d_forward", "conv2d_backward", "conv1d_forward", "conv1d_backward",
    "conv_transpose2d_forward", "conv_transpose2d_backward",
    "conv_transpose1d_forward", "conv_transpose1d_backward",
    "conv2d_output_size", "conv_transpose2d_output_size",
    "pool_output_size",
    "max_pool2d_forward", "max_pool2d_backward",
    "max_pool1d_forward", "max_pool1d_backward",
    "avg_pool2d_forward", "avg_pool2d_backward",
    "avg_pool1d_forward", "avg_pool1d_backward",
    "adaptive_avg_pool2d_forward", "adaptive_avg_pool2d_backward",
    "adaptive_max_pool2d_forward", "adaptive_max_pool2d_backward",
    "adaptive_avg_pool1d_forward", "adaptive_avg_pool1d_backward",
    "adaptive_max_pool1d_forward", "adaptive_max_pool1d_backward",
    "im2col", "col2im", "ConvCache", "clear_scratch",
]


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------

def as_strided(a, shape, strides):
    """numpy's / cupy's as_strided, whichever owns `a` (strides in bytes)."""
    xp = array_module(a)
    if xp is np:
        return np.lib.stride_tricks.as_strided(a, shape=shape, strides=strides)
    return xp.lib.stride_tricks.as_strided(a, shape=shape, strides=strides)


def _pair(v, name="argument"):
    if isinstance(v, (int, np.integer)):
        return int(v), int(v)
    v = tuple(int(e) for e in v)
    if len(v) == 1:
        return v[0], v[0]
    if len(v) != 2:
        raise ValueError(f"{name} must be an int or a pair, got {v}")
    return v


def _single(v, name="argument"):
    if isinstance(v, (int, np.integer)):
        return int(v)
    v = tuple(v)
    if len(v) != 1:
        raise ValueError(f"{name} must be an int or a 1-tuple, got {v}")
    return int(v[0])


def _pads2(padding):
    """int | (ph, pw) | ((t, b), (l, r)) -> (t, b, l, r)."""
    if isinstance(padding, (int, np.integer)):
        p = int(padding)
        return p, p, p, p
    padding = tuple(padding)
    if len(padding) == 1:
        padding = padding * 2
    if len(padding) != 2:
        raise ValueError(f"padding must be an int, a pair or a pair of pairs, got {padding}")
    out = []
    for p in padding:
        if isinstance(p, (int, np.integer)):
            out += [int(p), int(p)]
        else:
            a, b = p
            out += [int(a), int(b)]
    return tuple(out)


def _pads1(padding):
    """1-d padding: int | (p,) | (before, after) | ((before, after),) -> (before, after)."""
    if isinstance(padding, (int, np.integer)):
        return int(padding), int(padding)
    padding = tuple(padding)
    if len(padding) == 1:
        p = padding[0]
        if isinstance(p, (int, np.integer)):
            return int(p), int(p)
        a, b = p
        return int(a), int(b)
    if len(padding) == 2:
        return int(padding[0]), int(padding[1])
    raise ValueError(f"padding must be an int or a (before, after) pair, got {padding}")


def same_padding(kernel, dilation=1):
    """The (before, after) zero padding per spatial dim that PyTorch uses for
    padding='same' (stride 1): total d*(k-1), the odd extra one at the end.

    `kernel` is an int or a tuple (one entry per spatial dim); returns a tuple
    of (before, after) pairs, e.g. same_padding((4, 3)) == ((1, 2), (1, 1)).
    """
    if isinstance(kernel, (int, np.integer)):
        kernel = (int(kernel),)
    kernel = tuple(int(k) for k in kernel)
    if isinstance(dilation, (int, np.integer)):
        dilation = (int(dilation),) * len(kernel)
    dilation = tuple(int(d) for d in dilation)
    if len(dilation) == 1:
        dilation = dilation * len(kernel)
    out = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        out.append((total // 2, total - total // 2))
    return tuple(out)


def _lowest(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f" or dtype.kind == "c":
        return -np.inf
    if dtype.kind == "b":
        return False
    return np.iinfo(dtype).min


def _scatter_add(xp, target, index, values):
    """target[index] += values with repeated indices accumulated (1-d)."""
    if xp is np:
        np.add.at(target, index, values)
        return
    if values.dtype == np.float32:      # CUDA atomicAdd
        import cupyx
        cupyx.scatter_add(target, index, values)
        return
    target += xp.bincount(index, weights=values, minlength=target.size).astype(target.dtype)


def _small_int(n):
    """Smallest signed int dtype that holds 0..n."""
    if n < 127:
        return np.int8
    if n < 32767:
        return np.int16
    if n < 2 ** 31 - 1:
        return np.int32
    return np.int64


# Reusable scratch memory for big temporaries that never leave a kernel call
# (NumPy only; CuPy has its own memory pool).  Fresh multi-megabyte arrays
# come from mmap and pay a page fault per 4 KiB on first touch, which costs
# ~10% of a large convolution.  One buffer per name and thread.
_SCRATCH = threading.local()
_SCRATCH_MIN_BYTES = 1 << 20
_SCRATCH_MAX_BYTES = 1 << 28


def _raw(n):
    return np.empty(n + 63, np.uint8)


def _view_of(raw, n, shape, dtype):
    off = (-raw.ctypes.data) % 64            # 64-byte aligned start
    return raw[off:off + n].view(dtype).reshape(shape)


def _nbytes(shape, dtype):
    n = np.dtype(dtype).itemsize
    for s in shape:
        n *= int(s)
    return n


def _scratch(xp, name, shape, dtype, zero=False):
    """A temporary array that lives in this thread's buffer `name` (reused by the next call)."""
    n = _nbytes(shape, dtype)
    if xp is not np or not _SCRATCH_MIN_BYTES <= n <= _SCRATCH_MAX_BYTES:
        return xp.zeros(shape, dtype) if zero else xp.empty(shape, dtype)
    bufs = getattr(_SCRATCH, "bufs", None)
    if bufs is None:
        bufs = _SCRATCH.bufs = {}
    buf = bufs.get(name)
    if buf is None or buf.nbytes < n + 63:
        bufs[name] = None
        buf = bufs[name] = _raw(n)
    out = _view_of(buf, n, shape, dtype)
    if zero:
        out.fill(0)
    return out


# Column matrices kept from a forward for its backward are handed back by the
# backward and recycled by later forwards (up to _POOL_SIZE buffers per thread).
_POOL_SIZE = 4


def _take(xp, shape, dtype):
    """A fresh array the caller owns, from the recycled pool when possible."""
    n = _nbytes(shape, dtype)
    if xp is not np or not _SCRATCH_MIN_BYTES <= n <= _SCRATCH_MAX_BYTES:
        return xp.empty(shape, dtype), False
    pool = getattr(_SCRATCH, "pool", None)
    if pool is None:
        pool = _SCRATCH.pool = []
    best = None
    for k, raw in enumerate(pool):
        if raw.nbytes >= n + 63 and (best is None or raw.nbytes < pool[best].nbytes):
            best = k
    raw = _raw(n) if best is None else pool.pop(best)
    return _view_of(raw, n, shape, dtype), True


def _give(arr):
    """Return an array made by _take (and no longer referenced) to the pool."""
    raw = arr.base
    if type(raw) is not np.ndarray or raw.dtype != np.uint8 or raw.ndim != 1:
        return
    pool = getattr(_SCRATCH, "pool", None)
    if pool is None:
        pool = _SCRATCH.pool = []
    pool.append(raw)
    if len(pool) > _POOL_SIZE:
        # by index: list.remove would compare arrays with ==
        del pool[min(range(len(pool)), key=lambda i: pool[i].nbytes)]


def clear_scratch():
    """Free the scratch and recycled buffers this thread keeps for the conv kernels."""
    _SCRATCH.bufs = {}
    _SCRATCH.pool = []


# --------------------------------------------------------------------------
# convolution
# --------------------------------------------------------------------------

def conv2d_output_size(in_hw, kernel, stride=1, padding=0, dilation=1):
    """(OH, OW) of a conv2d."""
    (H, W), (KH, KW) = in_hw, _pair(kernel)
    sh, sw = _pair(stride)
    dh, dw = _pair(dilation)
    pt, pb, pl, pr = _pads2(padding)
    return ((H + pt + pb - dh * (KH - 1) - 1) // sh + 1,
            (W + pl + pr - dw * (KW - 1) - 1) // sw + 1)


def conv_transpose2d_output_size(in_hw, kernel, stride=1, padding=0, output_padding=0, dilation=1):
    """(Hout, Wout) of a conv_transpose2d."""
    (H, W), (KH, KW) = in_hw, _pair(kernel)
    sh, sw = _pair(stride)
    dh, dw = _pair(dilation)
    oph, opw = _pair(output_padding)
    pt, pb, pl, pr = _pads2(padding)
    return ((H - 1) * sh - pt - pb + dh * (KH - 1) + oph + 1,
            (W - 1) * sw - pl - pr + dw * (KW - 1) + opw + 1)


class _Geom:
    """Everything about one conv2d configuration."""
    __slots__ = ("N", "C", "H", "W", "O", "Cg", "KH", "KW", "G", "sh", "sw", "dh", "dw",
                 "pt", "pb", "pl", "pr", "Hp", "Wp", "OH", "OW", "mode", "Wq", "Rw", "R", "Lt", "key")

    def __init__(self, x_shape, w_shape, stride, padding, dilation, groups, mode=None):
        N, C, H, W = (int(s) for s in x_shape)
        O, Cg, KH, KW = (int(s) for s in w_shape)
        G = int(groups)
        if G < 1 or C != Cg * G or O % G:
            raise RuntimeError(
                f"Given groups={G}, weight of size {tuple(w_shape)}, expected input{tuple(x_shape)} "
                f"to have {Cg * G} channels, but got {C} channels instead")
        sh, sw = _pair(stride, "stride")
        dh, dw = _pair(dilation, "dilation")
        pt, pb, pl, pr = _pads2(padding)
        if min(sh, sw, dh, dw) < 1:
            raise RuntimeError("stride and dilation must be positive")
        if min(pt, pb, pl, pr) < 0:
            raise RuntimeError("negative padding is not supported")
        Hp, Wp = H + pt + pb, W + pl + pr
        OH = (Hp - dh * (KH - 1) - 1) // sh + 1
        OW = (Wp - dw * (KW - 1) - 1) // sw + 1
        if OH < 1 or OW < 1:
            raise RuntimeError(
                f"Calculated output size: ({O}x{max(OH, 0)}x{max(OW, 0)}). Output size is too small")
        self.N, self.C, self.H, self.W = N, C, H, W
        self.O, self.Cg, self.KH, self.KW, self.G = O, Cg, KH, KW, G
        self.sh, self.sw, self.dh, self.dw = sh, sw, dh, dw
        self.pt, self.pb, self.pl, self.pr = pt, pb, pl, pr
        self.Hp, self.Wp, self.OH, self.OW = Hp, Wp, OH, OW
        # extended layout: output row oh holds Wq >= OW columns, Wq*sw input columns per row
        Wq = -(-Wp // sw)
        self.Wq, self.Rw = Wq, Wq * sw
        self.R = OH * Wq                       # GEMM columns per sample
        self.Lt = N * OH * self.Rw + (KW - 1) * dw   # row length of the staging buffer
        if mode is None:
            if KH == 1 and KW == 1 and pt == pb == pl == pr == 0:
                mode = "1x1"
            elif Wq <= OW * _EXT_MAX_WASTE:
                mode = "ext"
            else:
                mode = "exact"
        self.mode = mode
        self.key = (N, C, H, W, O, Cg, KH, KW, G, sh, sw, dh, dw, pt, pb, pl, pr, mode)


# The extended layout computes Wq/OW times the needed GEMM columns; past this
# ratio the exact im2col is used instead.
_EXT_MAX_WASTE = 1.6


class ConvCache:
    """What conv2d_forward(keep_cols=True) keeps for conv2d_backward.

    conv2d_backward consumes it: the column buffer goes back to a pool for
    later forwards and `cols` becomes None (a second backward through the
    same cache, e.g. with retain_graph, rebuilds the columns from x).
    """
    __slots__ = ("key", "cols", "owned")

    def __init__(self, key, cols, owned=False):
        self.key, self.cols, self.owned = key, cols, owned

    def release(self):
        cols, self.cols = self.cols, None
        if cols is not None and self.owned:
            _give(cols)


def _padded(xp, x, g):
    """x zero-padded to (N, C, Hp, Wp) (x itself when there is no padding)."""
    if g.pt == g.pb == g.pl == g.pr == 0:
        return x
    xpad = xp.zeros((g.N, g.C, g.Hp, g.Wp), dtype=x.dtype)
    xpad[:, :, g.pt:g.pt + g.H, g.pl:g.pl + g.W] = x
    return xpad


def _build_cols(xp, x, g, dest="fresh"):
    """The column matrix (C*KH*KW, N*L) in the layout of g.mode ((N, C, L) for 1x1).

    ext: column (n, oh, q), q < Wq, of row (c, i, j) is input pixel
    (n, c, oh*sh + i*dh, q*sw + j*dw) of the padded input, i.e. the patch
    entry of output pixel (n, oh, q) for q < OW and a finite garbage value
    for q >= OW.  Stride 1: one copy, each (c, i, j, n) row a contiguous run
    of the padded plane.  Other strides: stage A copies, for every kernel row
    i, the input rows that kernel row meets into T (C, KH, N*OH*Rw + tail),
    one Rw-long row per output row; stage B reads T at offset j*dw with step
    sw, one long strided run per (c, i, j).
    """
    if g.mode == "1x1":
        xs = x
        if g.sh > 1 or g.sw > 1:
            xs = x[:, :, ::g.sh, ::g.sw]
        cols = xp.ascontiguousarray(xs).reshape(g.N, g.C, g.OH * g.OW)
        return (cols, False) if dest == "pool" else cols
    C, KH, KW, N, OH, OW = g.C, g.KH, g.KW, g.N, g.OH, g.OW
    if g.mode == "exact":
        xpad = _padded(xp, x, g)
        sN, sC, sH, sW = xpad.strides
        view = as_strided(xpad, (C, KH, KW, N, OH, OW),
                          (sC, g.dh * sH, g.dw * sW, sN, g.sh * sH, g.sw * sW))
        return _materialize(xp, view, dest, C * KH * KW)
    if g.sh == 1 and g.sw == 1:
        # one stage: every (c, i, j, n) row is a single run of R = OH*Wp
        # elements of the padded plane; the last wrap-around columns run
        # past the plane end by up to (KW-1)*dw, into the next plane or
        # into the zero tail of the buffer.
        Hp, Wp = g.Hp, g.Wp
        plane = Hp * Wp
        tail = (KW - 1) * g.dw
        buf = _scratch(xp, "xpad", (N * C * plane + tail,), x.dtype)
        buf[N * C * plane:] = 0
        xb = buf[:N * C * plane].reshape(N, C, Hp, Wp)
        if g.pt == g.pb == g.pl == g.pr == 0:
            xp.copyto(xb, x)
        else:
            xb.fill(0)
            xb[:, :, g.pt:g.pt + g.H, g.pl:g.pl + g.W] = x
        it = buf.itemsize
        view = as_strided(buf, (C, KH, KW, N, g.R),
                          (plane * it, g.dh * Wp * it, g.dw * it, C * plane * it, it))
        return _materialize(xp, view, dest, C * KH * KW)
    xpad = _padded(xp, x, g)
    it = xpad.itemsize
    sN, sC, sH, sW = xpad.strides
    Rw, Wp, Lt = g.Rw, g.Wp, g.Lt
    body = N * OH * Rw
    T = _scratch(xp, "T", (C, KH, Lt), xpad.dtype, zero=Rw > Wp)
    if Rw == Wp:
        T[:, :, body:] = 0
    rows = as_strided(xpad, (C, KH, N, OH, Wp), (sC, g.dh * sH, sN, g.sh * sH, sW))
    xp.copyto(as_strided(T, (C, KH, N, OH, Wp), (KH * Lt * it, Lt * it, OH * Rw * it, Rw * it, it)), rows)
    view = as_strided(T, (C, KH, KW, N * g.R), (KH * Lt * it, Lt * it, g.dw * it, g.sw * it))
    return _materialize(xp, view, dest, C * KH * KW)


def _materialize(xp, view, dest, rows):
    """Copy the strided column view into a contiguous (rows, -1) matrix."""
    if dest == "fresh":
        return xp.ascontiguousarray(view).reshape(rows, -1)
    if dest == "scratch":
        cols = _scratch(xp, "cols", view.shape, view.dtype)
        owned = False
    else:
        cols, owned = _take(xp, view.shape, view.dtype)
    xp.copyto(cols, view)
    cols = cols.reshape(rows, -1)
    return (cols, owned) if dest == "pool" else cols


def _output_view(y2, g):
    """The (N, O, OH, OW) view of the GEMM output y2 (O, N*L)."""
    N, O, OH, OW = g.N, g.O, g.OH, g.OW
    if g.mode == "ext":
        it = y2.itemsize
        return as_strided(y2, (N, O, OH, OW), (g.R * it, N * g.R * it, g.Wq * it, it))
    return y2.reshape(O, N, OH, OW).transpose(1, 0, 2, 3)


def _as4d(x, name="input"):
    if x.ndim == 4:
        return x, False
    if x.ndim == 3:
        return x[None], True
    raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) {name} to conv2d, "
                       f"but got input of size: {tuple(x.shape)}")


def _conv_apply(xp, w, cols, g, out=None, b=None):
    """Forward GEMM on ready columns: y (N, O, OH, OW) (+ bias)."""
    N, O, G, OH, OW = g.N, g.O, g.G, g.OH, g.OW
    Og = O // G
    dt = cols.dtype
    y = xp.empty((N, O, OH, OW), dtype=dt) if out is None else out
    if g.mode == "1x1":
        L = OH * OW
        if G == 1:
            xp.matmul(w.reshape(O, g.C), cols, out=y.reshape(N, O, L))
        else:
            xp.matmul(w.reshape(G, Og, g.Cg), cols.reshape(N, G, g.Cg, L), out=y.reshape(N, G, Og, L))
    else:
        K = g.Cg * g.KH * g.KW
        y2 = _scratch(xp, "y2", (O, cols.shape[-1]), dt)
        if G == 1:
            xp.matmul(w.reshape(O, K), cols, out=y2)
        else:
            xp.matmul(w.reshape(G, Og, K), cols.reshape(G, K, -1), out=y2.reshape(G, Og, -1))
        if b is not None:      # the bias add is fused into the copy out of the GEMM buffer
            xp.add(_output_view(y2, g), b.astype(dt, copy=False).reshape(1, O, 1, 1), out=y)
            return y
        xp.copyto(y, _output_view(y2, g))
    if b is not None:
        y += b.astype(dt, copy=False).reshape(1, O, 1, 1)
    return y


def conv2d_forward(x, w, b=None, stride=1, padding=0, dilation=1, groups=1, keep_cols=False):
    """y = conv2d(x, w, b).

    x (N, C, H, W) or (C, H, W); w (O, C/groups, KH, KW); b (O,) or None.
    Returns y (N, O, OH, OW), or (y, cache) when keep_cols is true (see the
    module docstring).
    """
    xp = array_module(x)
    x, unbatched = _as4d(x)
    dt = x.dtype
    if w.dtype != dt:
        w = w.astype(dt)
    g = _Geom(x.shape, w.shape, stride, padding, dilation, groups)
    if keep_cols:
        cols, owned = _build_cols(xp, x, g, "pool")
    else:
        cols = _build_cols(xp, x, g, "scratch")
    y = _conv_apply(xp, w, cols, g, b=b)
    if unbatched:
        y = y[0]
    if keep_cols:
        return y, ConvCache(g.key, cols, owned)
    return y


def _grad_y_cols(xp, gy, g):
    """grad_y as the (O, N*L) matrix matching the column layout (or (N, O, L) for 1x1).

    In the ext layout the garbage columns are zero, so they add nothing to the
    weight gradient and make exact zeros in the input-gradient columns.
    """
    N, O, OH, OW = g.N, g.O, g.OH, g.OW
    if g.mode == "1x1":
        return xp.ascontiguousarray(gy).reshape(N, O, OH * OW)
    if g.mode == "ext":
        if g.Wq == OW:
            return xp.ascontiguousarray(gy.transpose(1, 0, 2, 3)).reshape(O, -1)
        gye = _scratch(xp, "gye", (O, N * g.R), gy.dtype, zero=True)
        it = gye.itemsize
        real = as_strided(gye, (O, N, OH, OW), (N * g.R * it, g.R * it, g.Wq * it, it))
        xp.copyto(real, gy.transpose(1, 0, 2, 3))
        return gye
    return xp.ascontiguousarray(gy.transpose(1, 0, 2, 3)).reshape(O, -1)


def _matmul(xp, a, b, out):
    """matmul into out; an outer product (inner dim 1, e.g. depthwise conv
    gradients) is a broadcast multiply, much faster than batched GEMMs."""
    if a.shape[-1] == 1:
        return xp.multiply(a, b, out=out)
    return xp.matmul(a, b, out=out)


def _weight_grad(xp, gyc, cols, g):
    O, G = g.O, g.G
    Og = O // G
    if g.mode == "1x1":
        N, L = g.N, g.OH * g.OW
        if G == 1:
            if N == 1:
                gw = xp.matmul(gyc[0], cols[0].T)
            else:
                gw = xp.matmul(gyc, cols.transpose(0, 2, 1)).sum(0)
        else:
            gw = xp.matmul(gyc.reshape(N, G, Og, L),
                           cols.reshape(N, G, g.Cg, L).transpose(0, 1, 3, 2)).sum(0)
        return gw.reshape(O, g.Cg, 1, 1)
    K = g.Cg * g.KH * g.KW
    if G == 1:
        gw = xp.matmul(gyc, cols.T)
    else:
        gw = xp.matmul(gyc.reshape(G, Og, -1), cols.reshape(G, K, -1).transpose(0, 2, 1))
    return gw.reshape(O, g.Cg, g.KH, g.KW)


def _input_grad(xp, gyc, w, g):
    """dL/dx (N, C, H, W) from the grad_y matrix (col2im of W^T @ grad_y)."""
    O, G, C, N = g.O, g.G, g.C, g.N
    Og = O // G
    dt = gyc.dtype
    if g.mode == "1x1":
        L = g.OH * g.OW
        if G == 1:
            gxs = xp.matmul(w.reshape(O, C).T, gyc)
        else:
            gxs = xp.matmul(w.reshape(G, Og, g.Cg).transpose(0, 2, 1), gyc.reshape(N, G, Og, L))
        gxs = gxs.reshape(N, C, g.OH, g.OW)
        if g.sh == 1 and g.sw == 1:
            return gxs
        gx = xp.zeros((N, C, g.H, g.W), dtype=dt)
        gx[:, :, ::g.sh, ::g.sw] = gxs
        return gx
    K = g.Cg * g.KH * g.KW
    KH, KW, dh, dw, sh, sw = g.KH, g.KW, g.dh, g.dw, g.sh, g.sw
    OH, OW, Hp, Wp = g.OH, g.OW, g.Hp, g.Wp
    padded = not g.pt == g.pb == g.pl == g.pr == 0
    shape = (N, C, Hp, Wp)
    if g.mode == "ext":
        # reverse of _build_cols: stage B (over j) into T, stage A (over i) into x.
        # Stage B runs one GEMM per kernel column j, W[..., j]^T @ grad_y, and
        # adds it into T shifted by j*dw: the (C*KH*KW, N*L) matrix never exists.
        Rw, Lt, NR = g.Rw, g.Lt, N * g.R
        it = np.dtype(dt).itemsize
        T = _scratch(xp, "T", (C, KH, Lt), dt, zero=sw > 1)
        tmp = _scratch(xp, "gcols", (C * KH, NR), dt)
        w5 = w.reshape(G, Og, g.Cg, KH, KW)
        for j in range(KW):
            wj = w5[..., j].reshape(G, Og, g.Cg * KH)
            direct = j == 0 and sw == 1
            if direct:             # the first GEMM writes straight into T (row stride Lt)
                T[:, :, NR:] = 0
                out = as_strided(T, (G, g.Cg * KH, NR), (g.Cg * KH * Lt * it, Lt * it, it))
            else:
                out = tmp.reshape(G, g.Cg * KH, NR)
            if G == 1:
                _matmul(xp, wj[0].T, gyc, out[0])
            else:
                _matmul(xp, wj.transpose(0, 2, 1), gyc.reshape(G, Og, NR), out)
            if not direct:
                v = as_strided(T[:, :, j * dw:], (C, KH, NR), (KH * Lt * it, Lt * it, sw * it))
                xp.add(v, tmp.reshape(C, KH, NR), out=v)
        TA = as_strided(T, (C, KH, N, OH, Wp), (KH * Lt * it, Lt * it, OH * Rw * it, Rw * it, it))
        gxp = _scratch(xp, "gxp", shape, dt) if padded else xp.empty(shape, dt)
        gxt = gxp.transpose(1, 0, 2, 3)
        if sh == 1:
            xp.copyto(gxt[:, :, :OH], TA[:, 0])
            gxt[:, :, OH:] = 0
            i0 = 1
        else:
            gxp.fill(0)
            i0 = 0
        span_h = sh * (OH - 1) + 1
        for i in range(i0, KH):
            dst = gxt[:, :, i * dh:i * dh + span_h:sh]
            dst += TA[:, i]
    else:
        gcols = _scratch(xp, "gcols", (C * KH * KW, gyc.shape[-1]), dt)
        if G == 1:
            _matmul(xp, w.reshape(O, K).T, gyc, gcols)
        else:
            _matmul(xp, w.reshape(G, Og, K).transpose(0, 2, 1), gyc.reshape(G, Og, -1),
                    gcols.reshape(G, K, -1))
        gxp = _scratch(xp, "gxp", shape, dt, zero=True) if padded else xp.zeros(shape, dt)
        gxt = gxp.transpose(1, 0, 2, 3)
        gc = gcols.reshape(C, KH, KW, N, OH, OW)
        span_h = sh * (OH - 1) + 1
        span_w = sw * (OW - 1) + 1
        for i in range(KH):
            for j in range(KW):
                dst = gxt[:, :, i * dh:i * dh + span_h:sh, j * dw:j * dw + span_w:sw]
                dst += gc[:, i, j]
    if not padded:
        return gxp
    return xp.ascontiguousarray(gxp[:, :, g.pt:g.pt + g.H, g.pl:g.pl + g.W])


def conv2d_backward(grad_y, x, w, stride=1, padding=0, dilation=1, groups=1,
                    need_x=True, need_w=True, need_b=True, cache=None):
    """Gradients of conv2d: returns (grad_x or None, grad_w or None, grad_b or None).

    Only the gradients asked for are computed (e.g. need_x=False for the
    first layer).  `cache` is what conv2d_forward(keep_cols=True) returned;
    it is consumed (see the module docstring).
    """
    xp = array_module(grad_y)
    gy, unbatched = _as4d(grad_y, "grad_y")
    x4 = x[None] if unbatched else x
    dt = gy.dtype
    if w.dtype != dt:
        w = w.astype(dt)
    g = _Geom(x4.shape, w.shape, stride, padding, dilation, groups)
    if tuple(gy.shape) != (g.N, g.O, g.OH, g.OW):
        raise RuntimeError(f"grad_y has shape {tuple(gy.shape)}, expected {(g.N, g.O, g.OH, g.OW)}")
    gx = gw = gb = None
    if need_b and not (need_x or need_w):
        gb = gy.sum(axis=(0, 2, 3))
    if need_x or need_w:
        gyc = _grad_y_cols(xp, gy, g)
        if need_b:   # rows of gyc are contiguous; its wrap-around columns are zeros
            gb = gyc.sum(axis=(0, 2)) if g.mode == "1x1" else gyc.sum(axis=1)
        if need_w:
            if cache is not None and cache.key == g.key and cache.cols is not None:
                cols = cache.cols
            else:
                cols = _build_cols(xp, x4.astype(dt, copy=False), g, "scratch")
            gw = _weight_grad(xp, gyc, cols, g)
            del cols
        if need_x:
            gx = _input_grad(xp, gyc, w, g)
            if unbatched:
                gx = gx[0]
    if cache is not None:
        cache.release()
    return gx, gw, gb


def _conv1d_to_2d(stride, padding, dilation):
    return (1, _single(stride, "stride")), ((0, 0), _pads1(padding)), (1, _single(dilation, "dilation"))


def conv1d_forward(x, w, b=None, stride=1, padding=0, dilation=1, groups=1, keep_cols=False):
    """conv1d via conv2d on a unit height: x (N, C, L) or (C, L), w (O, C/groups, K)."""
    s, p, d = _conv1d_to_2d(stride, padding, dilation)
    out = conv2d_forward(x[..., None, :], w[:, :, None, :], b, s, p, d, groups, keep_cols)
    if keep_cols:
        return out[0][..., 0, :], out[1]
    return out[..., 0, :]


def conv1d_backward(grad_y, x, w, stride=1, padding=0, dilation=1, groups=1,
                    need_x=True, need_w=True, need_b=True, cache=None):
    s, p, d = _conv1d_to_2d(stride, padding, dilation)
    gx, gw, gb = conv2d_backward(grad_y[..., None, :], x[..., None, :], w[:, :, None, :],
                                 s, p, d, groups, need_x, need_w, need_b, cache)
    return (None if gx is None else gx[..., 0, :],
            None if gw is None else gw[:, :, 0, :], gb)


def _transpose_geom(x_shape, w_shape, stride, padding, output_padding, groups, dilation):
    N, Cin, H, W = x_shape
    Cin_w, Coutg, KH, KW = w_shape
    G = int(groups)
    if Cin_w != Cin or Cin % G:
        raise RuntimeError(
            f"Given transposed=1, weight of size {tuple(w_shape)}, expected input{tuple(x_shape)} "
            f"to have {Cin_w} channels, but got {Cin} channels instead")
    sh, sw = _pair(stride, "stride")
    dh, dw = _pair(dilation, "dilation")
    oph, opw = _pair(output_padding, "output_padding")
    if not (oph < sh or oph < dh) or not (opw < sw or opw < dw):
        raise RuntimeError("output padding must be smaller than either stride or dilation")
    Hout, Wout = conv_transpose2d_output_size((H, W), (KH, KW), stride, padding, output_padding, dilation)
    if Hout < 1 or Wout < 1:
        raise RuntimeError(f"Given input size per channel: ({H} x {W}). "
                           f"Calculated output size per channel: ({Hout} x {Wout}). Output size is too small")
    g = _Geom((N, Coutg * G, Hout, Wout), w_shape, stride, padding, dilation, G)
    if (g.OH, g.OW) != (H, W):  # pragma: no cover - guaranteed by the size formula
        raise RuntimeError("inconsistent conv_transpose2d geometry")
    return g


def conv_transpose2d_forward(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """conv_transpose2d: x (N, Cin, H, W) or unbatched, w (Cin, Cout/groups, KH, KW).

    It is the input-gradient of the conv2d whose weight is `w`.
    """
    xp = array_module(x)
    x, unbatched = _as4d(x)
    dt = x.dtype
    if w.dtype != dt:
        w = w.astype(dt)
    g = _transpose_geom(x.shape, w.shape, stride, padding, output_padding, groups, dilation)
    gyc = _grad_y_cols(xp, x, g)
    y = _input_grad(xp, gyc, w, g)
    if b is not None:
        y += b.astype(dt, copy=False).reshape(1, -1, 1, 1)
    return y[0] if unbatched else y


def conv_transpose2d_backward(grad_y, x, w, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                              need_x=True, need_w=True, need_b=True):
    """Gradients of conv_transpose2d: (grad_x or None, grad_w or None, grad_b or None)."""
    xp = array_module(grad_y)
    gy, unbatched = _as4d(grad_y, "grad_y")
    x4 = x[None] if unbatched else x
    dt = gy.dtype
    if w.dtype != dt:
        w = w.astype(dt)
    g = _transpose_geom(x4.shape, w.shape, stride, padding, output_padding, groups, dilation)
    if tuple(gy.shape) != (g.N, g.C, g.H, g.W):
        raise RuntimeError(f"grad_y has shape {tuple(gy.shape)}, expected {(g.N, g.C, g.H, g.W)}")
    gx = gw = gb = None
    if need_b:
        gb = gy.sum(axis=(0, 2, 3))
    if need_x or need_w:
        cols = _build_cols(xp, gy, g, "scratch")     # columns of the virtual conv's input
        if need_x:
            gx = _conv_apply(xp, w, cols, g)   # forward conv of grad_y with w
            if unbatched:
                gx = gx[0]
        if need_w:
            xc = _grad_y_cols(xp, x4.astype(dt, copy=False), g)
            gw = _weight_grad(xp, xc, cols, g)
    return gx, gw, gb


def _convT1d_to_2d(stride, padding, output_padding, dilation):
    return ((1, _single(stride, "stride")), ((0, 0), _pads1(padding)),
            (0, _single(output_padding, "output_padding")), (1, _single(dilation, "dilation")))


def conv_transpose1d_forward(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    s, p, op, d = _convT1d_to_2d(stride, padding, output_padding, dilation)
    return conv_transpose2d_forward(x[..., None, :], w[:, :, None, :], b, s, p, op, groups, d)[..., 0, :]


def conv_transpose1d_backward(grad_y, x, w, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                              need_x=True, need_w=True, need_b=True):
    s, p, op, d = _convT1d_to_2d(stride, padding, output_padding, dilation)
    gx, gw, gb = conv_transpose2d_backward(grad_y[..., None, :], x[..., None, :], w[:, :, None, :],
                                           s, p, op, groups, d, need_x, need_w, need_b)
    return (None if gx is None else gx[..., 0, :],
            None if gw is None else gw[:, :, 0, :], gb)


# --------------------------------------------------------------------------
# unfold / fold
# --------------------------------------------------------------------------

def im2col(x, kernel_size, dilation=1, padding=0, stride=1):
    """nn.functional.unfold: (N, C, H, W) or (C, H, W) -> (N, C*kh*kw, L) (or (C*kh*kw, L))."""
    xp = array_module(x)
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    if x.ndim != 4:
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got {x.ndim}D)")
    KH, KW = _pair(kernel_size, "kernel_size")
    g = _Geom(x.shape, (1, x.shape[1], KH, KW), stride, padding, dilation, 1)
    xpad = _padded(xp, x, g)
    sN, sC, sH, sW = xpad.strides
    view = as_strided(xpad, (g.N, g.C, KH, KW, g.OH, g.OW),
                      (sN, sC, g.dh * sH, g.dw * sW, g.sh * sH, g.sw * sW))
    cols = xp.ascontiguousarray(view).reshape(g.N, g.C * KH * KW, g.OH * g.OW)
    return cols[0] if unbatched else cols


def col2im(cols, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """nn.functional.fold: (N, C*kh*kw, L) or (C*kh*kw, L) -> (N, C, H, W) (or (C, H, W))."""
    xp = array_module(cols)
    unbatched = cols.ndim == 2
    if unbatched:
        cols = cols[None]
    if cols.ndim != 3:
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                           f"(got {cols.ndim}D)")
    H, W = _pair(output_size, "output_size")
    KH, KW = _pair(kernel_size, "kernel_size")
    N, CK, L = cols.shape
    if CK % (KH * KW):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of "
                           f"kernel_size, but got input.size(1)={CK} and kernel_size={(KH, KW)}")
    C = CK // (KH * KW)
    g = _Geom((N, C, H, W), (1, C, KH, KW), stride, padding, dilation, 1)
    if g.OH * g.OW != L:
        raise RuntimeError(f"Given output_size={(H, W)}, kernel_size={(KH, KW)}, dilation={(g.dh, g.dw)}, "
                           f"padding={padding}, stride={(g.sh, g.sw)}, expected size of input's "
                           f"dimension 2 to match the calculated number of sliding blocks "
                           f"{g.OH} * {g.OW} = {g.OH * g.OW}, but got input.size(2)={L}.")
    out = xp.zeros((N, C, g.Hp, g.Wp), dtype=cols.dtype)
    c6 = cols.reshape(N, C, KH, KW, g.OH, g.OW)
    for i in range(KH):
        for j in range(KW):
            out[:, :, i * g.dh:i * g.dh + g.sh * (g.OH - 1) + 1:g.sh,
                j * g.dw:j * g.dw + g.sw * (g.OW - 1) + 1:g.sw] += c6[:, :, i, j]
    if g.pt or g.pb or g.pl or g.pr:
        out = xp.ascontiguousarray(out[:, :, g.pt:g.pt + H, g.pl:g.pl + W])
    return out[0] if unbatched else out


# --------------------------------------------------------------------------
# pooling
# --------------------------------------------------------------------------

def pool_output_size(size, kernel, stride, pad, dilation=1, ceil_mode=False):
    """PyTorch's pooling_output_shape for one dim (pad on both sides)."""
    eff = dilation * (kernel - 1) + 1
    num = size + 2 * pad - eff + (stride - 1 if ceil_mode else 0)
    out = num // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _pool_params(x, kernel, stride, padding, dilation, ceil_mode, name):
    if x.ndim < 2:
        raise RuntimeError(f"{name}: expected an input with at least 2 dims, got {x.ndim}")
    KH, KW = _pair(kernel, "kernel_size")
    if stride is None or (not isinstance(stride, (int, np.integer)) and len(tuple(stride)) == 0):
        sh, sw = KH, KW
    else:
        sh, sw = _pair(stride, "stride")
    ph, pw = _pair(padding, "padding")
    dh, dw = _pair(dilation, "dilation")
    if min(KH, KW) < 1 or min(sh, sw) < 1 or min(dh, dw) < 1:
        raise RuntimeError(f"{name}: kernel_size, stride and dilation must be greater than zero")
    if ph < 0 or pw < 0 or ph > KH // 2 or pw > KW // 2:
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {pw}, padH = {ph}, kW = {KW}, kH = {KH}")
    H, W = int(x.shape[-2]), int(x.shape[-1])
    OH = pool_output_size(H, KH, sh, ph, dh, ceil_mode)
    OW = pool_output_size(W, KW, sw, pw, dw, ceil_mode)
    if OH < 1 or OW < 1:
        raise RuntimeError(f"Given input size: ({H}x{W}). Calculated output size: ({OH}x{OW}). "
                           f"Output size is too small")
    return KH, KW, sh, sw, ph, pw, dh, dw, H, W, OH, OW


def _pad_planes(xp, x3, top, bottom, left, right, value):
    if top == bottom == left == right == 0:
        return x3
    P, H, W = x3.shape
    out = xp.full((P, H + top + bottom, W + left + right), value, dtype=x3.dtype)
    out[:, top:top + H, left:left + W] = x3
    return out


def _first_valid(n_out, stride, pad, dil):
    """Per output position, the local tap index of the first tap inside the input."""
    start = np.arange(n_out) * stride - pad
    return np.where(start < 0, (-start + dil - 1) // dil, 0)


def _planes_last(P, OW):
    """Whether pooling should run with the planes as the innermost axis: NumPy
    pays per inner loop, so short output rows and many planes favour it."""
    return OW <= 6 and P >= 8


def _max_pool_planes(xp, x3, KH, KW, sh, sw, ph, pw, dh, dw, H, W, OH, OW):
    """Max pool over (P, H, W) planes: (y (P, OH, OW), idx int64 (P, OH, OW)).

    Separable: first the max over each window row (along W) for every input
    row, then the max over the rows of each window.  Both stages keep the
    first maximum with strict '>' and so together the first in row-major
    order, PyTorch's tie rule; a NaN always wins and the last NaN stays, as
    in PyTorch's `(val > maxval) || isnan(val)`.  Index updates are done
    with arithmetic (where/copyto with a mask are branchy and slow).  With
    short output rows the work runs on a (H, W, P) transposed copy.
    """
    dt = x3.dtype
    low = _lowest(dt)
    nan_aware = dt.kind == "f" and (xp is not np or bool(np.isnan(x3).any()))
    P = x3.shape[0]
    bottom = max(0, (OH - 1) * sh + dh * (KH - 1) + 1 - ph - H)
    right = max(0, (OW - 1) * sw + dw * (KW - 1) + 1 - pw - W)
    Hp, Wp = H + ph + bottom, W + pw + right
    last = _planes_last(P, OW)
    if last:
        # a[rows, cols, planes]
        xpad = xp.empty((Hp, Wp, P), dtype=dt)
        if ph or pw or bottom or right:
            xpad.fill(low)
        xp.copyto(xpad[ph:ph + H, pw:pw + W], x3.transpose(1, 2, 0))

        def rows(a, sl):
            return a[sl]

        def cols(a, sl):
            return a[:, sl]

        def per_col(v):       # (OW,) -> broadcastable against (.., OW, P)
            return v[:, None]

        def per_pos(v):       # (OH, OW) -> broadcastable
            return v[:, :, None]
        s1_shape, s2_shape = (Hp, OW, P), (OH, OW, P)
    else:
        xpad = _pad_planes(xp, x3, ph, bottom, pw, right, low)

        def rows(a, sl):
            return a[:, sl]

        def cols(a, sl):
            return a[:, :, sl]

        def per_col(v):
            return v

        def per_pos(v):
            return v
        s1_shape, s2_shape = (P, Hp, OW), (P, OH, OW)
    cdt = _small_int(KW)
    rdt = _small_int(KH)

    def greater(v, cur):
        m = v > cur
        if nan_aware:
            m |= xp.isnan(v)
        return m

    # stage 1: along W, for every padded row.  The tap index only grows, so
    # "ci = j where v wins" is ci = max(ci, m*j).  Starting from tap 0 even
    # where it lies in the padding is fine: padding (lowest value) never wins,
    # and an all-lowest window is fixed up to its first valid tap afterwards.
    span_w = sw * (OW - 1) + 1
    cur = cols(xpad, slice(0, span_w, sw)).copy()
    ci = None                          # all zeros so far
    for j in range(1, KW):
        v = cols(xpad, slice(j * dw, j * dw + span_w, sw))
        m = greater(v, cur)
        xp.maximum(cur, v, out=cur)
        if ci is None:
            ci = m.astype(cdt)
            if j != 1:
                ci *= cdt(j)
        else:
            xp.maximum(ci, m * cdt(j), out=ci)
    if ci is None:
        ci = xp.zeros(s1_shape, dtype=cdt)
    c0 = _first_valid(OW, sw, pw, dw)
    nfix = int(np.count_nonzero(c0))          # leading output columns starting in the padding
    if nfix:
        head = cols(ci, slice(0, nfix))
        xp.maximum(head, per_col(xp.asarray(c0[:nfix].astype(cdt))), out=head)

    # stage 2: along H over the window rows, the same way
    span_h = sh * (OH - 1) + 1
    best = rows(cur, slice(0, span_h, sh)).copy()
    cc = rows(ci, slice(0, span_h, sh)).copy()
    ri = None
    for i in range(1, KH):
        sl = slice(i * dh, i * dh + span_h, sh)
        r = rows(cur, sl)
        c = rows(ci, sl)
        m = greater(r, best)
        xp.maximum(best, r, out=best)
        if ri is None:
            ri = m.astype(rdt)
            if i != 1:
                ri *= rdt(i)
        else:
            xp.maximum(ri, m * rdt(i), out=ri)
        cc += m * (c - cc)             # cc = where(m, c, cc)
    r0 = _first_valid(OH, sh, ph, dh)
    nfix = int(np.count_nonzero(r0))
    if nfix:
        if ri is None:
            ri = xp.zeros(s2_shape, dtype=rdt)
        head = rows(ri, slice(0, nfix))
        fix = r0[:nfix].astype(rdt)[:, None]
        xp.maximum(head, xp.asarray(fix[:, :, None] if last else fix), out=head)
    # flat index into each H*W plane
    base = ((np.arange(OH) * sh - ph) * W)[:, None] + (np.arange(OW) * sw - pw)[None, :]
    span = KH * dh * W + KW * dw
    ldt = np.int32 if span < 2 ** 31 - 1 else np.int64
    if ri is None:
        loc = cc.astype(ldt)
        if dw != 1:
            loc *= ldt(dw)
    else:
        loc = ri.astype(ldt)
        loc *= ldt(dh * W)
        if dw == 1:
            loc += cc
        else:
            loc += cc.astype(ldt) * ldt(dw)
    if last:
        idx = xp.add(xp.asarray(base.astype(np.int64)), loc.transpose(2, 0, 1), dtype=np.int64)
        return best.transpose(2, 0, 1).copy(), idx
    idx = xp.add(xp.asarray(base.astype(np.int64)), loc, dtype=np.int64)
    return best, idx


def _planes(x, nd):
    """x (..., *spatial) -> (P, *spatial) view/copy plus the leading shape."""
    lead = tuple(x.shape[:x.ndim - nd])
    P = 1
    for s in lead:
        P *= int(s)
    return x.reshape((P,) + tuple(x.shape[x.ndim - nd:])), lead


def max_pool2d_forward(x, kernel, stride=None, padding=0, dilation=1, ceil_mode=False):
    """max_pool2d over the last two dims: returns (y, indices int64 into each H*W plane)."""
    xp = array_module(x)
    KH, KW, sh, sw, ph, pw, dh, dw, H, W, OH, OW = _pool_params(
        x, kernel, stride, padding, dilation, ceil_mode, "max_pool2d")
    x3, lead = _planes(x, 2)
    y, idx = _max_pool_planes(xp, x3, KH, KW, sh, sw, ph, pw, dh, dw, H, W, OH, OW)
    return y.reshape(lead + (OH, OW)), idx.reshape(lead + (OH, OW))


def max_pool2d_backward(grad_y, indices, input_shape):
    """Scatter-add grad_y to the argmax positions: grad_x of shape input_shape."""
    xp = array_module(grad_y)
    input_shape = tuple(int(s) for s in input_shape)
    HW = input_shape[-1] * input_shape[-2] if len(input_shape) >= 2 else input_shape[-1]
    return _index_backward(xp, grad_y, indices, input_shape, HW)


def _index_backward(xp, grad_y, indices, input_shape, plane):
    total = 1
    for s in input_shape:
        total *= s
    P = total // plane if plane else 0
    gx = xp.zeros(total, dtype=grad_y.dtype)
    if grad_y.size:
        idx = indices.reshape(P, -1)
        flat = idx + xp.arange(0, P * plane, plane, dtype=idx.dtype)[:, None]
        _scatter_add(xp, gx, flat.reshape(-1), xp.ascontiguousarray(grad_y).reshape(-1))
    return gx.reshape(input_shape)


def max_pool1d_forward(x, kernel, stride=None, padding=0, dilation=1, ceil_mode=False):
    """max_pool1d over the last dim: (y, indices into each row)."""
    k = _single(kernel, "kernel_size")
    s = k if stride is None or (not isinstance(stride, (int, np.integer)) and len(tuple(stride)) == 0) \
        else _single(stride, "stride")
    y, idx = max_pool2d_forward(x[..., None, :], (1, k), (1, s), (0, _single(padding, "padding")),
                                (1, _single(dilation, "dilation")), ceil_mode)
    return y[..., 0, :], idx[..., 0, :]


def max_pool1d_backward(grad_y, indices, input_shape):
    xp = array_module(grad_y)
    input_shape = tuple(int(s) for s in input_shape)
    return _index_backward(xp, grad_y, indices, input_shape, input_shape[-1])


def _avg_geometry(H, W, KH, KW, sh, sw, ph, pw, OH, OW, count_include_pad, divisor_override, dt):
    """Divisor (OH, OW) array, PyTorch's rule (window clipped to the padded input)."""
    def one(n, k, s, p, on):
        start = np.arange(on) * s - p
        end = np.minimum(start + k, n + p)
        pool = end - start
        valid = np.minimum(end, n) - np.maximum(start, 0)
        return pool, valid
    pool_h, valid_h = one(H, KH, sh, ph, OH)
    pool_w, valid_w = one(W, KW, sw, pw, OW)
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
        div = np.full((OH, OW), float(divisor_override))
    elif count_include_pad:
        div = (pool_h[:, None] * pool_w[None, :]).astype(np.float64)
    else:
        div = (np.maximum(valid_h, 0)[:, None] * np.maximum(valid_w, 0)[None, :]).astype(np.float64)
        div[div == 0] = 1.0   # empty windows: sum is 0 and stays 0
    return div.astype(dt)


def avg_pool2d_forward(x, kernel, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                       divisor_override=None):
    """avg_pool2d over the last two dims."""
    xp = array_module(x)
    KH, KW, sh, sw, ph, pw, dh, dw, H, W, OH, OW = _pool_params(
        x, kernel, stride, padding, 1, ceil_mode, "avg_pool2d")
    x3, lead = _planes(x, 2)
    dt = x3.dtype
    bottom = max(0, (OH - 1) * sh + KH - ph - H)
    right = max(0, (OW - 1) * sw + KW - pw - W)
    xpad = _pad_planes(xp, x3, ph, bottom, pw, right, 0)
    span_w = sw * (OW - 1) + 1
    span_h = sh * (OH - 1) + 1
    # stage 1: window sums along W for every row
    if KW == 1:
        s1 = xpad[:, :, 0:span_w:sw]
    else:
        s1 = xpad[:, :, 0:span_w:sw] + xpad[:, :, 1:1 + span_w:sw]
        for j in range(2, KW):
            s1 += xpad[:, :, j:j + span_w:sw]
    # stage 2: along H
    if KH == 1:
        s2 = s1[:, 0:span_h:sh].copy()
    else:
        s2 = s1[:, 0:span_h:sh] + s1[:, 1:1 + span_h:sh]
        for i in range(2, KH):
            s2 += s1[:, i:i + span_h:sh]
    div = _avg_geometry(H, W, KH, KW, sh, sw, ph, pw, OH, OW, count_include_pad, divisor_override, dt)
    if divisor_override is not None:
        s2 /= dt.type(divisor_override)
    else:
        s2 /= xp.asarray(div)
    return s2.reshape(lead + (OH, OW))


def avg_pool2d_backward(grad_y, input_shape, kernel, stride=None, padding=0, ceil_mode=False,
                        count_include_pad=True, divisor_override=None):
    """Gradient of avg_pool2d wrt its input (shape input_shape)."""
    xp = array_module(grad_y)
    input_shape = tuple(int(s) for s in input_shape)

    class _S:  # shape holder for _pool_params
        ndim = len(input_shape)
        shape = input_shape
    KH, KW, sh, sw, ph, pw, dh, dw, H, W, OH, OW = _pool_params(
        _S, kernel, stride, padding, 1, ceil_mode, "avg_pool2d")
    gy, _ = _planes(grad_y, 2)
    if tuple(gy.shape[1:]) != (OH, OW):
        raise RuntimeError(f"grad_y has spatial shape {tuple(gy.shape[1:])}, expected {(OH, OW)}")
    dt = gy.dtype
    P = gy.shape[0]
    if divisor_override is not None:
        gyd = gy / dt.type(divisor_override)
    else:
        div = _avg_geometry(H, W, KH, KW, sh, sw, ph, pw, OH, OW, count_include_pad, divisor_override, dt)
        gyd = gy / xp.asarray(div)
    bottom = max(0, (OH - 1) * sh + KH - ph - H)
    right = max(0, (OW - 1) * sw + KW - pw - W)
    Hp, Wp = H + ph + bottom, W + pw + right
    span_w = sw * (OW - 1) + 1
    span_h = sh * (OH - 1) + 1
    if KH == 1 and sh == 1 and OH == Hp:
        g1 = gyd
    else:
        g1 = xp.zeros((P, Hp, OW), dtype=dt)
        for i in range(KH):
            g1[:, i:i + span_h:sh] += gyd
    if KW == 1 and sw == 1 and OW == Wp:
        gxp = g1
    else:
        gxp = xp.zeros((P, Hp, Wp), dtype=dt)
        for j in range(KW):
            gxp[:, :, j:j + span_w:sw] += g1
    gx = gxp[:, ph:ph + H, pw:pw + W]
    return xp.ascontiguousarray(gx).reshape(input_shape)


def avg_pool1d_forward(x, kernel, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    k = _single(kernel, "kernel_size")
    s = k if stride is None or (not isinstance(stride, (int, np.integer)) and len(tuple(stride)) == 0) \
        else _single(stride, "stride")
    y = avg_pool2d_forward(x[..., None, :], (1, k), (1, s), (0, _single(padding, "padding")),
                           ceil_mode, count_include_pad)
    return y[..., 0, :]


def avg_pool1d_backward(grad_y, input_shape, kernel, stride=None, padding=0, ceil_mode=False,
                        count_include_pad=True):
    k = _single(kernel, "kernel_size")
    s = k if stride is None or (not isinstance(stride, (int, np.integer)) and len(tuple(stride)) == 0) \
        else _single(stride, "stride")
    input_shape = tuple(int(v) for v in input_shape)
    shape2 = input_shape[:-1] + (1, input_shape[-1])
    gx = avg_pool2d_backward(grad_y[..., None, :], shape2, (1, k), (1, s), (0, _single(padding, "padding")),
                             ceil_mode, count_include_pad)
    return gx.reshape(input_shape)


# adaptive pooling ----------------------------------------------------------

def _adaptive_out(output_size, in_sizes):
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * len(in_sizes)
    output_size = tuple(output_size)
    if len(output_size) == 1 and len(in_sizes) > 1:
        output_size = output_size * len(in_sizes)
    if len(output_size) != len(in_sizes):
        raise ValueError(f"output_size must have {len(in_sizes)} elements, got {output_size}")
    return tuple(int(n) if o is None else int(o) for o, n in zip(output_size, in_sizes))


def _adaptive_windows(n, on):
    i = np.arange(on)
    start = (i * n) // on
    end = -((-(i + 1) * n) // on)
    return start, end


def _window_matrix(n, on, dt):
    start, end = _adaptive_windows(n, on)
    pos = np.arange(n)
    m = (pos[None, :] >= start[:, None]) & (pos[None, :] < end[:, None])
    return m.astype(dt), (end - start)


def adaptive_avg_pool2d_forward(x, output_size):
    """adaptive_avg_pool2d over the last two dims (output_size int, pair, entries may be None)."""
    xp = array_module(x)
    H, W = int(x.shape[-2]), int(x.shape[-1])
    OH, OW = _adaptive_out(output_size, (H, W))
    if OH < 0 or OW < 0 or (x.size and (H == 0 or W == 0)):
        raise RuntimeError("adaptive_avg_pool2d: invalid output size or empty input")
    x3, lead = _planes(x, 2)
    dt = x3.dtype
    if OH == 1 and OW == 1:
        # a matrix-vector product sums short rows much faster than .sum(axis=1)
        y = xp.matmul(x3.reshape(x3.shape[0], H * W), xp.ones(H * W, dtype=dt))
        y /= dt.type(H * W)
        return y.reshape(lead + (1, 1))
    if OH and OW and H % OH == 0 and W % OW == 0:
        return avg_pool2d_forward(x, (H // OH, W // OW))
    P = x3.shape[0]
    Sh, lh = _window_matrix(H, OH, dt)
    Sw, lw = _window_matrix(W, OW, dt)
    t = xp.matmul(x3.reshape(P * H, W), xp.asarray(Sw.T))              # (P*H, OW)
    t = xp.ascontiguousarray(t.reshape(P, H, OW).transpose(1, 0, 2)).reshape(H, P * OW)
    u = xp.matmul(xp.asarray(Sh), t).reshape(OH, P, OW)               # (OH, P*OW)
    y = xp.ascontiguousarray(u.transpose(1, 0, 2))
    y /= xp.asarray((lh[:, None] * lw[None, :]).astype(dt))
    return y.reshape(lead + (OH, OW))


def adaptive_avg_pool2d_backward(grad_y, input_shape):
    xp = array_module(grad_y)
    input_shape = tuple(int(s) for s in input_shape)
    H, W = input_shape[-2], input_shape[-1]
    OH, OW = int(grad_y.shape[-2]), int(grad_y.shape[-1])
    gy, _ = _planes(grad_y, 2)
    dt = gy.dtype
    P = gy.shape[0]
    if OH == 1 and OW == 1:
        g = gy / dt.type(H * W)
        return xp.ascontiguousarray(xp.broadcast_to(g, (P, H, W))).reshape(input_shape)
    if OH and OW and H % OH == 0 and W % OW == 0:
        return avg_pool2d_backward(grad_y, input_shape, (H // OH, W // OW))
    Sh, lh = _window_matrix(H, OH, dt)
    Sw, lw = _window_matrix(W, OW, dt)
    g = gy / xp.asarray((lh[:, None] * lw[None, :]).astype(dt))              # (P, OH, OW)
    t = xp.matmul(g.reshape(P * OH, OW), xp.asarray(Sw))                      # (P*OH, W)
    t = xp.ascontiguousarray(t.reshape(P, OH, W).transpose(1, 0, 2)).reshape(OH, P * W)
    u = xp.matmul(xp.asarray(Sh.T), t).reshape(H, P, W)
    return xp.ascontiguousarray(u.transpose(1, 0, 2)).reshape(input_shape)


def _adaptive_max_planes(xp, x3, H, W, OH, OW):
    """Separable adaptive max over (P, H, W): (y, idx) with PyTorch's tie/NaN rule."""
    dt = x3.dtype
    nan_aware = dt.kind == "f" and (xp is not np or bool(np.isnan(x3).any()))
    sw_, ew_ = _adaptive_windows(W, OW)
    sh_, eh_ = _adaptive_windows(H, OH)
    it = np.int64

    def greater(v, cur):
        m = v > cur
        if nan_aware:
            m |= xp.isnan(v)
        return m

    # stage 1 along W: absolute column of the row-wise first max
    cols0 = xp.asarray(sw_.astype(it))
    cur = xp.take(x3, cols0, axis=2)
    ci = xp.empty(cur.shape, dtype=it)
    ci[...] = cols0
    for t in range(1, int((ew_ - sw_).max())):
        cols_t = xp.asarray(np.minimum(sw_ + t, ew_ - 1).astype(it))
        v = xp.take(x3, cols_t, axis=2)
        m = greater(v, cur)
        xp.maximum(cur, v, out=cur)
        xp.maximum(ci, m * cols_t, out=ci)       # cols_t only grows with t
    # stage 2 along H
    rows0 = xp.asarray(sh_.astype(it))
    best = xp.take(cur, rows0, axis=1)
    cc = xp.take(ci, rows0, axis=1)
    ri = xp.empty(best.shape, dtype=it)
    ri[...] = rows0[:, None]
    for t in range(1, int((eh_ - sh_).max())):
        rows_t = xp.asarray(np.minimum(sh_ + t, eh_ - 1).astype(it))
        r = xp.take(cur, rows_t, axis=1)
        c = xp.take(ci, rows_t, axis=1)
        m = greater(r, best)
        xp.maximum(best, r, out=best)
        xp.maximum(ri, m * rows_t[:, None], out=ri)
        cc += m * (c - cc)
    ri *= W
    ri += cc
    return best, ri


def adaptive_max_pool2d_forward(x, output_size):
    """adaptive_max_pool2d over the last two dims: (y, indices into each H*W plane)."""
    xp = array_module(x)
    H, W = int(x.shape[-2]), int(x.shape[-1])
    OH, OW = _adaptive_out(output_size, (H, W))
    if OH < 0 or OW < 0 or (x.size and (H == 0 or W == 0)):
        raise RuntimeError("adaptive_max_pool2d: invalid output size or empty input")
    x3, lead = _planes(x, 2)
    if OH and OW and H % OH == 0 and W % OW == 0:
        KH, KW = H // OH, W // OW
        y, idx = _max_pool_planes(xp, x3, KH, KW, KH, KW, 0, 0, 1, 1, H, W, OH, OW)
    else:
        y, idx = _adaptive_max_planes(xp, x3, H, W, OH, OW)
    return y.reshape(lead + (OH, OW)), idx.reshape(lead + (OH, OW))


def adaptive_max_pool2d_backward(grad_y, indices, input_shape):
    return max_pool2d_backward(grad_y, indices, input_shape)


def adaptive_avg_pool1d_forward(x, output_size):
    o = _single(output_size, "output_size")
    return adaptive_avg_pool2d_forward(x[..., None, :], (1, o))[..., 0, :]


def adaptive_avg_pool1d_backward(grad_y, input_shape):
    input_shape = tuple(int(v) for v in input_shape)
    shape2 = input_shape[:-1] + (1, input_shape[-1])
    return adaptive_avg_pool2d_backward(grad_y[..., None, :], shape2).reshape(input_shape)


def adaptive_max_pool1d_forward(x, output_size):
    o = _single(output_size, "output_size")
    y, idx = adaptive_max_pool2d_forward(x[..., None, :], (1, o))
    return y[..., 0, :], idx[..., 0, :]


def adaptive_max_pool1d_backward(grad_y, indices, input_shape):
    return max_pool1d_backward(grad_y, indices, input_shape)

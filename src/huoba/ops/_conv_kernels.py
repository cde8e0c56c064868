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
GEMM ``W(O, C*kH*kW) @ cols`` (a batch of ``groups`` GEMMs when grouped).  For
stride-1 convolutions the columns are "extended": for each (c, i, j, n) the
row is one *contiguous* run of the padded input plane of length
Lp = (OH-1)*Wp + OW (all output rows, plus the Wp-OW wrap-around columns
between them, which are computed and thrown away).  Copying long contiguous
runs is several times faster than gathering OW-long pieces, and col2im in the
backward becomes kH*kW contiguous adds.  Other strides use the exact layout
(C, kH, kW, N, OH, OW).  1x1 convolutions without padding skip im2col.

Cache convention: ``conv2d_forward(..., keep_cols=True)`` returns ``(y,
cache)`` (otherwise just ``y``); pass ``cache=`` to :func:`conv2d_backward`
to reuse the column matrix for the weight gradient instead of rebuilding it.
The cache is only a performance hint: an incompatible or missing cache is
ignored.  (In the extended layout the wrap-around columns hold real input
values that meet zero gradients, so a non-finite input can leak a NaN into
the weight gradient where PyTorch would not put one.)
"""
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
    "im2col", "col2im", "ConvCache",
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
    try:
        import cupyx
        cupyx.scatter_add(target, index, values)
    except (ImportError, AttributeError):  # pragma: no cover
        xp.add.at(target, index, values)


def _small_int(n):
    """Smallest signed int dtype that holds 0..n."""
    if n < 127:
        return np.int8
    if n < 32767:
        return np.int16
    if n < 2 ** 31 - 1:
        return np.int32
    return np.int64


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
                 "pt", "pb", "pl", "pr", "Hp", "Wp", "OH", "OW", "mode", "Lp", "key")

    def __init__(self, x_shape, w_shape, stride, padding, dilation, groups):
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
        if KH == 1 and KW == 1 and pt == pb == pl == pr == 0:
            mode = "1x1"
        elif sh == 1 and sw == 1 and (OH == 1 or _ext_worth_it(Wp, OW, O // G)):
            mode = "ext"
        else:
            mode = "exact"
        self.mode = mode
        self.Lp = (OH - 1) * Wp + OW
        self.key = (N, C, H, W, O, Cg, KH, KW, G, sh, sw, dh, dw, pt, pb, pl, pr)


def _ext_worth_it(Wp, OW, Og):
    """Extended columns cost Wp/OW times the GEMM work but make im2col and
    col2im run over long contiguous rows; the gather of short rows costs a
    roughly constant overhead per row, the GEMM waste grows with Og."""
    waste = (Wp - OW) / OW
    if waste <= 0.25:
        return True
    return waste * Og <= 24 or OW <= 16 and waste <= 1.0


class ConvCache:
    """What conv2d_forward(keep_cols=True) keeps for conv2d_backward."""
    __slots__ = ("key", "mode", "cols")

    def __init__(self, key, mode, cols):
        self.key, self.mode, self.cols = key, mode, cols


def _padded_planes(xp, x, g):
    """x zero-padded to (N, C, Hp, Wp) with each plane contiguous."""
    it = x.itemsize
    if g.pt == g.pb == g.pl == g.pr == 0:
        if x.strides[3] == it and x.strides[2] == g.W * it:
            return x
        return xp.ascontiguousarray(x)
    xpad = xp.zeros((g.N, g.C, g.Hp, g.Wp), dtype=x.dtype)
    xpad[:, :, g.pt:g.pt + g.H, g.pl:g.pl + g.W] = x
    return xpad


def _build_cols(xp, x, g):
    """The column matrix (C*KH*KW, N*L) in the layout of g.mode."""
    if g.mode == "1x1":
        xs = x
        if g.sh > 1 or g.sw > 1:
            xs = x[:, :, ::g.sh, ::g.sw]
        return xp.ascontiguousarray(xs).reshape(g.N, g.C, g.OH * g.OW)
    xpad = _padded_planes(xp, x, g)
    it = xpad.itemsize
    sN, sC, sH, sW = xpad.strides
    if g.mode == "ext":
        view = as_strided(xpad, (g.C, g.KH, g.KW, g.N, g.Lp),
                          (sC, g.dh * sH, g.dw * it, sN, it))
    else:
        view = as_strided(xpad, (g.C, g.KH, g.KW, g.N, g.OH, g.OW),
                          (sC, g.dh * sH, g.dw * sW, sN, g.sh * sH, g.sw * sW))
    return xp.ascontiguousarray(view).reshape(g.C * g.KH * g.KW, -1)


def _as4d(x, name="input"):
    if x.ndim == 4:
        return x, False
    if x.ndim == 3:
        return x[None], True
    raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) {name} to conv2d, "
                       f"but got input of size: {tuple(x.shape)}")


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
    N, O, G, OH, OW = g.N, g.O, g.G, g.OH, g.OW
    Og = O // G
    cols = _build_cols(xp, x, g)
    y = xp.empty((N, O, OH, OW), dtype=dt)
    if g.mode == "1x1":
        L = OH * OW
        if G == 1:
            y3 = xp.matmul(w.reshape(O, g.C), cols, out=y.reshape(N, O, L))
        else:
            y3 = xp.matmul(w.reshape(G, Og, g.Cg), cols.reshape(N, G, g.Cg, L),
                           out=y.reshape(N, G, Og, L))
        if b is not None:
            y += b.astype(dt, copy=False).reshape(1, O, 1, 1)
        del y3
    else:
        K = g.Cg * g.KH * g.KW
        if G == 1:
            y2 = xp.matmul(w.reshape(O, K), cols)
        else:
            y2 = xp.matmul(w.reshape(G, Og, K), cols.reshape(G, K, -1)).reshape(O, -1)
        if g.mode == "ext":
            it = y2.itemsize
            view = as_strided(y2, (N, O, OH, OW), (g.Lp * it, N * g.Lp * it, g.Wp * it, it))
        else:
            view = y2.reshape(O, N, OH, OW).transpose(1, 0, 2, 3)
        if b is not None:
            xp.add(view, b.astype(dt, copy=False).reshape(1, O, 1, 1), out=y)
        else:
            xp.copyto(y, view)
    if unbatched:
        y = y[0]
    if keep_cols:
        return y, ConvCache(g.key, g.mode, cols)
    return y


def _grad_y_cols(xp, gy, g):
    """grad_y as the (O, N*L) matrix matching the column layout (or (N, O, L) for 1x1)."""
    N, O, OH, OW = g.N, g.O, g.OH, g.OW
    if g.mode == "1x1":
        return xp.ascontiguousarray(gy).reshape(N, O, OH * OW)
    if g.mode == "ext":
        if OH == 1:
            return xp.ascontiguousarray(gy.transpose(1, 0, 2, 3)).reshape(O, -1)
        gye = xp.empty((O, N, g.Lp), dtype=gy.dtype)
        it = gye.itemsize
        # zero the wrap-around columns, then write the real ones
        gaps = as_strided(gye[:, :, OW:], (O, N, OH - 1, g.Wp - OW),
                          (N * g.Lp * it, g.Lp * it, g.Wp * it, it))
        gaps[...] = 0
        real = as_strided(gye, (O, N, OH, OW), (N * g.Lp * it, g.Lp * it, g.Wp * it, it))
        xp.copyto(real, gy.transpose(1, 0, 2, 3))
        return gye.reshape(O, -1)
    return xp.ascontiguousarray(gy.transpose(1, 0, 2, 3)).reshape(O, -1)


def _weight_grad(xp, gyc, cols, g):
    O, G = g.O, g.G
    Og = O // G
    if g.mode == "1x1":
        N, L = g.N, g.OH * g.OW
        if G == 1:
            if N == 1:
                gw = xp.matmul(gyc[0], cols[0].T)
            else:
                # one GEMM over (N*L): transposes are cheap next to the GEMM for big maps
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
    """dL/dx (N, C, H, W) from the grad_y matrix."""
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
    if G == 1:
        gcols = xp.matmul(w.reshape(O, K).T, gyc)
    else:
        gcols = xp.matmul(w.reshape(G, Og, K).transpose(0, 2, 1), gyc.reshape(G, Og, -1))
    KH, KW, dh, dw = g.KH, g.KW, g.dh, g.dw
    Hp, Wp = g.Hp, g.Wp
    gxp = xp.zeros((N, C, Hp, Wp), dtype=dt)
    if g.mode == "ext":
        Lp = g.Lp
        gc = gcols.reshape(C, KH, KW, N, Lp)
        flat = gxp.reshape(N, C, Hp * Wp).transpose(1, 0, 2)
        for i in range(KH):
            for j in range(KW):
                off = i * dh * Wp + j * dw
                flat[:, :, off:off + Lp] += gc[:, i, j]
    else:
        OH, OW, sh, sw = g.OH, g.OW, g.sh, g.sw
        gc = gcols.reshape(C, KH, KW, N, OH, OW)
        gxt = gxp.transpose(1, 0, 2, 3)
        for i in range(KH):
            for j in range(KW):
                gxt[:, :, i * dh:i * dh + sh * (OH - 1) + 1:sh,
                    j * dw:j * dw + sw * (OW - 1) + 1:sw] += gc[:, i, j]
    if g.pt == g.pb == g.pl == g.pr == 0:
        return gxp
    return xp.ascontiguousarray(gxp[:, :, g.pt:g.pt + g.H, g.pl:g.pl + g.W])


def conv2d_backward(grad_y, x, w, stride=1, padding=0, dilation=1, groups=1,
                    need_x=True, need_w=True, need_b=True, cache=None):
    """Gradients of conv2d: returns (grad_x or None, grad_w or None, grad_b or None).

    `x` may be None when need_w is false or a matching `cache` is given, but
    then `x_shape` must be deducible: pass x anyway when in doubt.
    """
    xp = array_module(grad_y)
    gy, unbatched = _as4d(grad_y, "grad_y")
    if x is not None:
        x4 = x[None] if unbatched else x
        x_shape = x4.shape
    else:
        raise ValueError("conv2d_backward needs x (for its shape at least)")
    dt = gy.dtype
    if w.dtype != dt:
        w = w.astype(dt)
    g = _Geom(x_shape, w.shape, stride, padding, dilation, groups)
    if tuple(gy.shape) != (g.N, g.O, g.OH, g.OW):
        raise RuntimeError(f"grad_y has shape {tuple(gy.shape)}, expected {(g.N, g.O, g.OH, g.OW)}")
    gx = gw = gb = None
    if need_b:
        gb = gy.sum(axis=(0, 2, 3))
    if need_x or need_w:
        gyc = _grad_y_cols(xp, gy, g)
        if need_w:
            if cache is not None and cache.key == g.key and cache.mode == g.mode:
                cols = cache.cols
            else:
                cols = _build_cols(xp, x4.astype(dt, copy=False), g)
            gw = _weight_grad(xp, gyc, cols, g)
            del cols
        if need_x:
            gx = _input_grad(xp, gyc, w, g)
            if unbatched:
                gx = gx[0]
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
        cols = _build_cols(xp, gy, g)     # columns of the virtual conv's input
        if need_x:
            K = g.Cg * g.KH * g.KW
            O, G, N = g.O, g.G, g.N
            Og = O // G
            # forward conv of grad_y with w
            if g.mode == "1x1":
                L = g.OH * g.OW
                if G == 1:
                    gx = xp.matmul(w.reshape(O, g.C), cols)
                else:
                    gx = xp.matmul(w.reshape(G, Og, g.Cg), cols.reshape(N, G, g.Cg, L))
                gx = gx.reshape(N, O, g.OH, g.OW)
            else:
                if G == 1:
                    y2 = xp.matmul(w.reshape(O, K), cols)
                else:
                    y2 = xp.matmul(w.reshape(G, Og, K), cols.reshape(G, K, -1)).reshape(O, -1)
                if g.mode == "ext":
                    it = y2.itemsize
                    view = as_strided(y2, (N, O, g.OH, g.OW),
                                      (g.Lp * it, N * g.Lp * it, g.Wp * it, it))
                else:
                    view = y2.reshape(O, N, g.OH, g.OW).transpose(1, 0, 2, 3)
                gx = xp.ascontiguousarray(view)
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
    xpad = _padded_planes(xp, x, g)
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
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={max(ph, pw)}, "
                           f"kernel_size={max(KH, KW)}")
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


def _max_pool_planes(xp, x3, KH, KW, sh, sw, ph, pw, dh, dw, H, W, OH, OW):
    """Max pool over (P, H, W) planes: (y (P, OH, OW), idx int64 (P, OH, OW)).

    Separable: first the max over each window row (along W) for every input
    row, then the max over the rows of each window.  Both stages keep the
    first maximum with strict '>' and so together the first in row-major
    order, PyTorch's tie rule; a NaN always wins and the last NaN stays, as
    in PyTorch's `(val > maxval) || isnan(val)`.
    """
    dt = x3.dtype
    low = _lowest(dt)
    nan_aware = dt.kind == "f" and (xp is not np or bool(np.isnan(x3).any()))
    bottom = max(0, (OH - 1) * sh + dh * (KH - 1) + 1 - ph - H)
    right = max(0, (OW - 1) * sw + dw * (KW - 1) + 1 - pw - W)
    xpad = _pad_planes(xp, x3, ph, bottom, pw, right, low)
    P, Hp, _ = xpad.shape
    cdt = _small_int(KW)
    rdt = _small_int(KH)

    def greater(v, cur):
        m = v > cur
        if nan_aware:
            m |= xp.isnan(v)
        return m

    # stage 1: along W, for every padded row
    span_w = sw * (OW - 1) + 1
    if pw == 0:
        cur = xp.array(xpad[:, :, 0:span_w:sw], copy=True)
        ci = None                      # all zeros so far
        j0 = 1
    else:
        cur = xp.full((P, Hp, OW), low, dtype=dt)
        ci = xp.empty((P, Hp, OW), dtype=cdt)
        ci[...] = xp.asarray(_first_valid(OW, sw, pw, dw).astype(cdt))
        j0 = 0
    for j in range(j0, KW):
        v = xpad[:, :, j * dw:j * dw + span_w:sw]
        m = greater(v, cur)
        xp.maximum(cur, v, out=cur)
        if ci is None:
            ci = m.astype(cdt)
            if j != 1:
                ci *= cdt(j)
        else:
            xp.copyto(ci, cdt(j), where=m)
    if ci is None:
        ci = xp.zeros((P, Hp, OW), dtype=cdt)

    # stage 2: along H over the window rows
    span_h = sh * (OH - 1) + 1
    if ph == 0:
        best = xp.array(cur[:, 0:span_h:sh], copy=True)
        cc = xp.array(ci[:, 0:span_h:sh], copy=True)
        ri = None
        i0 = 1
    else:
        best = xp.full((P, OH, OW), low, dtype=dt)
        ri = xp.empty((P, OH, OW), dtype=rdt)
        ri[...] = xp.asarray(_first_valid(OH, sh, ph, dh).astype(rdt))[:, None]
        cc = xp.empty((P, OH, OW), dtype=cdt)
        if pw == 0:
            cc[...] = 0
        else:
            cc[...] = xp.asarray(_first_valid(OW, sw, pw, dw).astype(cdt))
        i0 = 0
    for i in range(i0, KH):
        r = cur[:, i * dh:i * dh + span_h:sh]
        c = ci[:, i * dh:i * dh + span_h:sh]
        m = greater(r, best)
        xp.maximum(best, r, out=best)
        if ri is None:
            ri = m.astype(rdt)
            if i != 1:
                ri *= rdt(i)
        else:
            xp.copyto(ri, rdt(i), where=m)
        # cc = where(m, c, cc), as arithmetic (faster than where on strided views)
        cc += m * (c - cc)
    # flat index into each H*W plane
    base = ((np.arange(OH) * sh - ph) * W)[:, None] + (np.arange(OW) * sw - pw)[None, :]
    base = xp.asarray(base.astype(np.int64))
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
    idx = xp.add(base, loc, dtype=np.int64)
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
        s2 = xp.array(s1[:, 0:span_h:sh], copy=True)
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
        y = x3.reshape(x3.shape[0], H * W).sum(axis=1) / dt.type(H * W)
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
        xp.copyto(ci, xp.broadcast_to(cols_t, ci.shape), where=m)
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
        xp.copyto(ri, xp.broadcast_to(rows_t[:, None], ri.shape), where=m)
        xp.copyto(cc, c, where=m)
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

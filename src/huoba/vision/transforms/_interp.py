"""Resampling kernels for tensor images: resize and grid sampling on raw arrays.

These follow PyTorch's CPU kernels (`interpolate` and `grid_sample` with
`align_corners=False`), which is what torchvision's tensor transforms call:

* nearest / nearest-exact: source index `floor(dst * scale)` /
  `floor((dst + 0.5) * scale)` in float32, clipped to the last pixel;
* bilinear: source `scale * (dst + 0.5) - 0.5` clamped at 0, two taps;
* bicubic: the same source without the clamp, four taps of Keys' kernel with
  a = -0.75 and borders replicated;
* antialiased bilinear / bicubic (what `Resize` uses by default): PIL's
  separable filters (triangle, or Keys with a = -0.5) stretched by the scale
  when shrinking, weights normalised per output pixel.

Separable passes run along the width first, then the height, as PyTorch does;
every pass is a short loop over filter taps of whole-array operations.
Arrays are NumPy or CuPy, of shape (..., H, W) and a floating dtype.
"""
import math

import numpy as np

from ..._backend import array_module

__all__ = ["resize", "grid_sample"]


def _source_index_linear(in_size, out_size, ft, cubic):
    scale = ft(in_size) / ft(out_size)
    # PyTorch's compiled kernel fuses this multiply-add: one rounding to `ft`
    src = (np.float64(scale) * (np.arange(out_size, dtype=np.float64) + 0.5) - 0.5).astype(ft)
    if not cubic:
        src = np.maximum(src, ft(0))
    idx = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    lam = np.clip(src - idx.astype(ft), ft(0), ft(1)).astype(ft)
    return idx, lam


def _taps_nearest(in_size, out_size, exact):
    if out_size == in_size:
        return np.arange(out_size)
    scale = np.float32(in_size) / np.float32(out_size)
    dst = np.arange(out_size, dtype=np.float32)
    if exact:
        dst = dst + np.float32(0.5)
    elif out_size == 2 * in_size:
        return np.arange(out_size) >> 1
    return np.minimum(np.floor(dst * scale).astype(np.int64), in_size - 1)


def _taps_bilinear(in_size, out_size, ft):
    if in_size == out_size:
        idx = np.arange(out_size)[:, None]
        return idx, np.ones((out_size, 1), dtype=ft)
    i0, lam1 = _source_index_linear(in_size, out_size, ft, cubic=False)
    i1 = i0 + (i0 < in_size - 1)
    return np.stack([i0, i1], 1), np.stack([ft(1) - lam1, lam1], 1).astype(ft)


def _cubic1(x, a):
    return ((a + 2) * x - (a + 3)) * x * x + 1


def _cubic2(x, a):
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a


def _taps_bicubic(in_size, out_size, ft):
    i0, t = _source_index_linear(in_size, out_size, ft, cubic=True)
    a = ft(-0.75)
    one = ft(1)
    w = np.stack([_cubic2(t + one, a), _cubic1(t, a), _cubic1(one - t, a), _cubic2(one - t + one, a)], 1)
    idx = np.clip(i0[:, None] + np.arange(-1, 3)[None, :], 0, in_size - 1)
    return idx, w.astype(ft)


def _aa_filter(x, mode):
    x = np.abs(x)
    if mode == "bilinear":
        return np.maximum(1.0 - x, 0.0)
    a = -0.5
    return np.where(x < 1.0, _cubic1(x, a), np.where(x < 2.0, _cubic2(x, a), 0.0))


def _taps_antialias(in_size, out_size, mode, ft):
    # PIL-style filter weights, rounded where PyTorch's kernel rounds (its scalar type `ft`)
    interp_size = 2 if mode == "bilinear" else 4
    scale = ft(in_size) / ft(out_size)
    if scale >= 1.0:
        support, invscale = ft(interp_size * 0.5 * float(scale)), ft(1.0 / float(scale))
    else:
        support, invscale = ft(interp_size * 0.5), ft(1.0)
    max_size = int(math.ceil(float(support))) * 2 + 1
    center = (float(scale) * (np.arange(out_size, dtype=np.float64) + 0.5)).astype(ft)
    c64, s64 = center.astype(np.float64), float(support)
    xmin = np.maximum((c64 - s64 + 0.5).astype(np.int64), 0)
    xsize = np.minimum((c64 + s64 + 0.5).astype(np.int64), in_size) - xmin
    xsize = np.clip(xsize, 0, max_size)
    j = np.arange(max_size)
    rel = (j[None, :] + xmin[:, None]).astype(ft) - center[:, None]
    arg = ((rel.astype(np.float64) + 0.5) * float(invscale)).astype(ft).astype(np.float64)
    w = _aa_filter(arg, mode).astype(ft)
    w = np.where(j[None, :] < xsize[:, None], w, ft(0))
    total = np.cumsum(w, axis=1, dtype=ft)[:, -1:]
    w = np.where(total != 0, w / np.where(total != 0, total, ft(1)), w).astype(ft)
    idx = np.minimum(xmin[:, None] + j[None, :], in_size - 1)
    used = max(int(xsize.max()) if xsize.size else 0, 1)
    return idx[:, :used], w[:, :used]


def _apply_taps(x, idx, w, axis, xp):
    """sum_k x[idx[:, k]] * w[:, k] along `axis` (-1 or -2)."""
    if xp is not np:
        idx, w = xp.asarray(idx), xp.asarray(w)
    shape_w = (-1,) if axis == -1 else (-1, 1)
    out = None
    for k in range(idx.shape[1]):
        part = xp.take(x, idx[:, k], axis=axis) * w[:, k].reshape(shape_w)
        out = part if out is None else out + part
    return out


def resize(x, out_h, out_w, mode, antialias):
    """Resize the last two axes of floating array `x` to (out_h, out_w)."""
    xp = array_module(x)
    in_h, in_w = x.shape[-2:]
    ft = x.dtype.type
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        iy = _taps_nearest(in_h, out_h, exact)
        ix = _taps_nearest(in_w, out_w, exact)
        if xp is not np:
            iy, ix = xp.asarray(iy), xp.asarray(ix)
        return xp.take(xp.take(x, ix, axis=-1), iy, axis=-2)
    if mode not in ("bilinear", "bicubic"):
        raise ValueError(f"Interpolation mode '{mode}' is unsupported with Tensor input")
    if antialias:
        tw = _taps_antialias(in_w, out_w, mode, ft)
        th = _taps_antialias(in_h, out_h, mode, ft)
        out = x
        if out_w != in_w:
            out = _apply_taps(out, *tw, -1, xp)
        if out_h != in_h:
            out = _apply_taps(out, *th, -2, xp)
        return out if out is not x else x.copy()
    taps = _taps_bilinear if mode == "bilinear" else _taps_bicubic
    out = _apply_taps(x, *taps(in_w, out_w, ft), -1, xp)
    return _apply_taps(out, *taps(in_h, out_h, ft), -2, xp)


def grid_sample(x, grid, mode):
    """`F.grid_sample(x, grid, mode, padding_mode="zeros", align_corners=False)`.

    `x` is (N, C, H, W), `grid` (N or 1, OH, OW, 2) of normalised (x, y) in the
    same floating dtype.  Out-of-image taps read zeros.
    """
    xp = array_module(x)
    n, c, h, w = x.shape
    ft = x.dtype.type
    gx = ((grid[..., 0] + ft(1)) * ft(w) - ft(1)) / ft(2)
    gy = ((grid[..., 1] + ft(1)) * ft(h) - ft(1)) / ft(2)
    gx = xp.broadcast_to(gx, (n,) + gx.shape[1:])
    gy = xp.broadcast_to(gy, (n,) + gy.shape[1:])
    bidx = xp.arange(n).reshape(n, 1, 1)

    def gather(iy, ix):
        valid = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        vals = x[bidx, :, xp.clip(iy, 0, h - 1), xp.clip(ix, 0, w - 1)]    # (N, OH, OW, C)
        return xp.where(valid[..., None], vals, ft(0))

    if mode == "nearest":
        out = gather(xp.rint(gy).astype(np.int64), xp.rint(gx).astype(np.int64))
    else:
        x0 = xp.floor(gx)
        y0 = xp.floor(gy)
        x1, y1 = x0 + ft(1), y0 + ft(1)
        wnw = (x1 - gx) * (y1 - gy)
        wne = (gx - x0) * (y1 - gy)
        wsw = (x1 - gx) * (gy - y0)
        wse = (gx - x0) * (gy - y0)
        ix0, iy0 = x0.astype(np.int64), y0.astype(np.int64)
        ix1, iy1 = ix0 + 1, iy0 + 1
        out = (gather(iy0, ix0) * wnw[..., None] + gather(iy0, ix1) * wne[..., None]
               + gather(iy1, ix0) * wsw[..., None] + gather(iy1, ix1) * wse[..., None])
    return xp.moveaxis(out, -1, 1).astype(x.dtype, order="C")

"""`torchvision.utils`: `make_grid` and `save_image`."""
import math
import os

import numpy as np

from .._backend import array_module
from ..tensor import Tensor, _wrap

__all__ = ["make_grid", "save_image"]


def _as_batch(tensor):
    if not isinstance(tensor, Tensor):
        if isinstance(tensor, list):
            for t in tensor:
                if not isinstance(t, Tensor):
                    raise TypeError(f"tensor or list of tensors expected, got a list containing {type(t)}")
        else:
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if isinstance(tensor, list):
        xp = array_module(tensor[0]._data)
        return xp.stack([t.detach()._data for t in tensor], axis=0)
    return tensor.detach()._data


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """Tile a batch (B, C, H, W) (or a list of (C, H, W) images) into one (3 or C, H', W') image.

    Images go left to right, `nrow` per row, with `padding` pixels of
    `pad_value` around each; 1-channel images are repeated to 3 channels.
    `normalize=True` maps [min, max] (or `value_range`) to [0, 1], per image
    with `scale_each=True`.  A single image is returned as is (after the
    channel and normalisation steps).
    """
    a = _as_batch(tensor)
    xp = array_module(a)
    if a.ndim == 2:
        a = a[None]
    if a.ndim == 3:
        if a.shape[0] == 1:
            a = xp.concatenate((a, a, a), 0)
        a = a[None]
    if a.ndim == 4 and a.shape[1] == 1:
        a = xp.concatenate((a, a, a), 1)
    if normalize is True:
        a = a.copy()
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")

        def norm_ip(img, low, high):
            xp.clip(img, low, high, out=img)
            img -= img.dtype.type(low)
            img /= img.dtype.type(max(high - low, 1e-5))

        def norm_range(t):
            if value_range is not None:
                norm_ip(t, value_range[0], value_range[1])
            else:
                norm_ip(t, float(t.min()), float(t.max()))

        if scale_each is True:
            for t in a:
                norm_range(t)
        else:
            norm_range(a)
    if a.shape[0] == 1:
        return _wrap(a[0].copy() if a is not getattr(tensor, "_data", None) else a[0])
    nmaps = a.shape[0]
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(a.shape[2] + padding), int(a.shape[3] + padding)
    num_channels = a.shape[1]
    grid = xp.full((num_channels, height * ymaps + padding, width * xmaps + padding), pad_value, dtype=a.dtype)
    k = 0
    for y in range(ymaps):
        for x in range(xmaps):
            if k >= nmaps:
                break
            top, left = y * height + padding, x * width + padding
            grid[:, top:top + height - padding, left:left + width - padding] = a[k]
            k += 1
    return _wrap(grid)


def save_image(tensor, fp, format=None, **kwargs):
    """Save a tensor (or a batch, tiled with `make_grid(**kwargs)`) as an image file via Pillow."""
    from PIL import Image
    grid = make_grid(tensor, **kwargs)._data
    grid = grid.get() if hasattr(grid, "get") else grid
    g = grid.astype(np.float32, copy=False) if grid.dtype.kind != "f" else grid
    ft = g.dtype.type
    ndarr = np.clip(g * ft(255) + ft(0.5), 0, 255).transpose(1, 2, 0).astype(np.uint8)
    if ndarr.shape[2] == 1:
        ndarr = ndarr[:, :, 0]
    im = Image.fromarray(ndarr)
    if isinstance(fp, (str, os.PathLike)):
        fp = os.fspath(fp)
    im.save(fp, format=format)

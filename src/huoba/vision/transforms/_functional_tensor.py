"""Tensor-image kernels behind `huoba.vision.transforms.functional`.

A tensor image is a huoba Tensor of shape (..., C, H, W) (or (H, W)); leading
dimensions are batch dimensions.  The math is torchvision's (the same casts,
clamps and roundings), done on the backing NumPy/CuPy array; results are new
tensors without autograd history, except for the indexing transforms (crop,
flips) and `normalize`, which go through huoba ops when the input requires
grad so that gradients flow as they do in PyTorch.
"""
import numpy as np

from ... import dtypes as _dtypes
from ..._backend import array_module
from ...tensor import Tensor, _wrap
from . import _interp

_INT_DTYPES = (np.uint8, np.int8, np.int16, np.int32, np.int64)


def _is_tensor_a_torch_image(x):
    return x.ndim >= 2


def _assert_image_tensor(img):
    if not _is_tensor_a_torch_image(img):
        raise TypeError("Tensor is not a torch image.")


def get_dimensions(img):
    _assert_image_tensor(img)
    shape = img._data.shape
    channels = 1 if len(shape) == 2 else shape[-3]
    return [channels, shape[-2], shape[-1]]


def get_image_size(img):
    _assert_image_tensor(img)
    return [img._data.shape[-1], img._data.shape[-2]]


def get_image_num_channels(img):
    _assert_image_tensor(img)
    if img.ndim == 2:
        return 1
    return img._data.shape[-3]


_MAX = {np.dtype(np.uint8): 255, np.dtype(np.int8): 127, np.dtype(np.int16): 32767,
        np.dtype(np.int32): 2147483647, np.dtype(np.int64): 9223372036854775807}


def _max_value(dtype):
    npdt = dtype.np if isinstance(dtype, _dtypes.dtype) else np.dtype(dtype)
    return _MAX.get(npdt, 1)


def _assert_channels(img, permitted):
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but found {c}")


def _np_dtype(dtype):
    return dtype.np if isinstance(dtype, _dtypes.dtype) else np.dtype(dtype)


def _float_of(a):
    """The dtype torchvision computes in: the image's own float dtype, else float32."""
    return a.dtype if a.dtype.kind == "f" else np.dtype(np.float32)


def _to_dtype(a, npdt):
    """`Tensor.to(dtype)` on an array: float -> int truncates toward zero, like PyTorch."""
    return a.astype(npdt, copy=False)


def convert_image_dtype(image, dtype=_dtypes.float32):
    a = image._data
    npdt = _np_dtype(dtype)
    if a.dtype == npdt:
        return image
    xp = array_module(a)
    if a.dtype.kind == "f":
        if npdt.kind == "f":
            return _wrap(a.astype(npdt))
        if (a.dtype == np.float32 and npdt in (np.int32, np.int64)) or (a.dtype == np.float64 and npdt == np.int64):
            raise RuntimeError(f"The cast from {_dtypes.from_numpy_dtype(a.dtype)} to "
                               f"{_dtypes.from_numpy_dtype(npdt)} cannot be performed safely.")
        eps = 1e-3
        max_val = float(_max_value(npdt))
        return _wrap((a * a.dtype.type(max_val + 1.0 - eps)).astype(npdt))
    input_max = float(_max_value(a.dtype))
    if npdt.kind == "f":
        return _wrap(a.astype(npdt) / npdt.type(input_max))
    output_max = float(_max_value(npdt))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return _wrap(xp.floor_divide(a, a.dtype.type(factor)).astype(npdt))
    factor = int((output_max + 1) // (input_max + 1))
    return _wrap(a.astype(npdt) * npdt.type(factor))


def vflip(img):
    _assert_image_tensor(img)
    return img.flip(-2)


def hflip(img):
    _assert_image_tensor(img)
    return img.flip(-1)


def crop(img, top, left, height, width):
    _assert_image_tensor(img)
    _, h, w = get_dimensions(img)
    right = left + width
    bottom = top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding_ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                        max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        return pad(img[..., max(top, 0):bottom, max(left, 0):right], padding_ltrb, fill=0)
    return img[..., top:bottom, left:right]


def _grayscale_array(a):
    """0.2989 R + 0.587 G + 0.114 B in the float dtype, cast back to the image dtype; keeps the C axis."""
    ft = _float_of(a).type
    r, g, b = a[..., 0, :, :], a[..., 1, :, :], a[..., 2, :, :]
    if a.dtype.kind != "f":
        r, g, b = r.astype(ft), g.astype(ft), b.astype(ft)
    l_img = ft(0.2989) * r + ft(0.587) * g + ft(0.114) * b
    return _to_dtype(l_img, a.dtype)[..., None, :, :]


def rgb_to_grayscale(img, num_output_channels=1):
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    a = img._data
    xp = array_module(a)
    l_img = _grayscale_array(a) if a.shape[-3] == 3 else a.copy()
    if num_output_channels == 3:
        return _wrap(xp.broadcast_to(l_img, a.shape))
    return _wrap(l_img)


def _blend_arrays(a1, a2, ratio):
    """(ratio * img1 + (1 - ratio) * img2).clamp(0, bound).to(img1.dtype)."""
    ratio = float(ratio)
    xp = array_module(a1)
    ft = _float_of(a1).type
    bound = _max_value(a1.dtype)
    x1 = a1 if a1.dtype.kind == "f" else a1.astype(ft)
    x2 = a2 if a2.dtype.kind == "f" else a2.astype(ft)
    out = ft(ratio) * x1 + ft(1.0 - ratio) * x2
    xp.clip(out, 0, bound, out=out)
    return _to_dtype(out, a1.dtype)


def adjust_brightness(img, brightness_factor):
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    a = img._data
    return _wrap(_blend_arrays(a, array_module(a).zeros_like(a), brightness_factor))


def adjust_contrast(img, contrast_factor):
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [3, 1])
    a = img._data
    ft = _float_of(a)
    base = _grayscale_array(a) if a.shape[-3] == 3 else a
    mean = base.astype(ft).mean(axis=(-3, -2, -1), keepdims=True, dtype=ft)
    return _wrap(_blend_arrays(a, mean, contrast_factor))


def adjust_saturation(img, saturation_factor):
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:
        return img
    a = img._data
    return _wrap(_blend_arrays(a, _grayscale_array(a), saturation_factor))


def _rgb2hsv(a):
    xp = array_module(a)
    r, g, b = a[..., 0, :, :], a[..., 1, :, :], a[..., 2, :, :]
    maxc = a.max(axis=-3)
    minc = a.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    one = a.dtype.type(1)
    s = cr / xp.where(eqc, one, maxc)
    cr_divisor = xp.where(eqc, one, cr)
    rc = (maxc - r) / cr_divisor
    gc = (maxc - g) / cr_divisor
    bc = (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = (hr + hg + hb).astype(a.dtype)
    h = xp.fmod(h / a.dtype.type(6.0) + one, one)
    return xp.stack((h, s, maxc), axis=-3)


def _hsv2rgb(a):
    xp = array_module(a)
    ft = a.dtype.type
    h, s, v = a[..., 0, :, :], a[..., 1, :, :], a[..., 2, :, :]
    i = xp.floor(h * ft(6.0))
    f = h * ft(6.0) - i
    i = i.astype(np.int32) % 6
    p = xp.clip(v * (ft(1.0) - s), 0.0, 1.0)
    q = xp.clip(v * (ft(1.0) - s * f), 0.0, 1.0)
    t = xp.clip(v * (ft(1.0) - s * (ft(1.0) - f)), 0.0, 1.0)
    choices_r = (v, q, p, p, t, v)
    choices_g = (t, v, v, q, p, p)
    choices_b = (p, p, t, v, v, q)
    out = [xp.choose(i, c) for c in (choices_r, choices_g, choices_b)]
    return xp.stack(out, axis=-3).astype(a.dtype)


def adjust_hue(img, hue_factor):
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be Tensor image")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:
        return img
    orig_dtype = img.dtype
    a = convert_image_dtype(img, _dtypes.float32)._data
    hsv = _rgb2hsv(a)
    xp = array_module(a)
    h = xp.remainder(hsv[..., 0, :, :] + np.float32(hue_factor), np.float32(1.0))   # torch's `%`
    hsv = xp.stack((h, hsv[..., 1, :, :], hsv[..., 2, :, :]), axis=-3)
    return convert_image_dtype(_wrap(_hsv2rgb(hsv)), orig_dtype)


def adjust_gamma(img, gamma, gain=1):
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be a Tensor.")
    _assert_channels(img, [1, 3])
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    dtype = img.dtype
    result = img if img.is_floating_point() else convert_image_dtype(img, _dtypes.float32)
    a = result._data
    xp = array_module(a)
    a = xp.clip(a.dtype.type(gain) * xp.power(a, a.dtype.type(gamma)), 0, 1)
    return convert_image_dtype(_wrap(a), dtype)


def _parse_pad_padding(padding):
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return [padding[0], padding[2], padding[1], padding[3]]


def pad(img, padding, fill=0, padding_mode="constant"):
    _assert_image_tensor(img)
    if fill is None:
        fill = 0
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in [1, 2, 4]:
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, right, top, bottom = _parse_pad_padding(padding)
    a = img._data
    xp = array_module(a)
    if min(left, right, top, bottom) < 0:
        a = a[..., max(-top, 0):a.shape[-2] - max(-bottom, 0), max(-left, 0):a.shape[-1] - max(-right, 0)]
        left, right, top, bottom = max(left, 0), max(right, 0), max(top, 0), max(bottom, 0)
    if padding_mode == "reflect":
        h, w = a.shape[-2:]
        shape = ([1] if a.ndim < 4 else []) + list(a.shape)
        for pads, size, dim, arg in (((left, right), w, len(shape) - 1, 4), ((top, bottom), h, len(shape) - 2, 6)):
            if max(pads) >= size:
                raise RuntimeError(f"Argument #{arg}: Padding size should be less than the corresponding input "
                                   f"dimension, but got: padding ({pads[0]}, {pads[1]}) at dimension {dim} of input "
                                   f"{shape}")
    widths = [(0, 0)] * (a.ndim - 2) + [(top, bottom), (left, right)]
    if padding_mode == "constant":
        out = xp.pad(a, widths, mode="constant", constant_values=_fill_value(fill, a.dtype))
    else:
        out = xp.pad(a, widths, mode={"edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}[padding_mode])
    return _wrap(out)


def _fill_value(fill, npdt):
    """A Python number as the array dtype would store it (float -> int truncates)."""
    if npdt.kind in "iu":
        return int(float(fill))
    if npdt.kind == "b":
        return bool(fill)
    return float(fill)


def _cast_out(a, out_dtype):
    if out_dtype.kind in "iu" and a.dtype.kind == "f":
        a = array_module(a).rint(a)
    return a.astype(out_dtype, copy=False)


def resize(img, size, interpolation="bilinear", antialias=True):
    _assert_image_tensor(img)
    if isinstance(size, tuple):
        size = list(size)
    if antialias is None:
        antialias = False
    if antialias and interpolation not in ["bilinear", "bicubic"]:
        antialias = False
    a = img._data
    out_dtype = a.dtype
    x = a if a.dtype in (np.float32, np.float64) else a.astype(np.float32)
    out = _interp.resize(x, int(size[0]), int(size[1]), interpolation, antialias)
    if interpolation == "bicubic" and out_dtype == np.uint8:
        out = array_module(out).clip(out, 0, 255)
    if out_dtype != x.dtype:
        out = _cast_out(out, out_dtype)
    return _wrap(out)


def _assert_grid_transform_inputs(img, matrix, interpolation, fill, supported_interpolation_modes, coeffs=None):
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be Tensor")
    _assert_image_tensor(img)
    if matrix is not None and not isinstance(matrix, list):
        raise TypeError("Argument matrix should be a list")
    if matrix is not None and len(matrix) != 6:
        raise ValueError("Argument matrix should have 6 float values")
    if coeffs is not None and len(coeffs) != 8:
        raise ValueError("Argument coeffs should have 8 float values")
    num_channels = get_dimensions(img)[0]
    if fill is not None and isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != num_channels:
        msg = ("The number of elements in 'fill' cannot broadcast to match the number of channels of the image "
               "({} != {})")
        raise ValueError(msg.format(len(fill), num_channels))
    if interpolation not in supported_interpolation_modes:
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor input")


def _apply_grid_transform(img, grid, mode, fill):
    a = img._data
    xp = array_module(a)
    out_dtype = a.dtype
    lead = a.shape[:-3] if a.ndim >= 3 else ()
    x = a.reshape((-1,) + a.shape[-3:]) if a.ndim >= 3 else a[None, None]
    if x.dtype != grid.dtype:
        x = x.astype(grid.dtype)
    if fill is not None:
        mask = xp.ones((x.shape[0], 1) + x.shape[2:], dtype=x.dtype)
        x = xp.concatenate((x, mask), axis=1)
    out = _interp.grid_sample(x, grid, mode)
    if fill is not None:
        mask = out[:, -1:, :, :]
        out = out[:, :-1, :, :]
        fill_list = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_img = xp.asarray(np.asarray(fill_list, dtype=out.dtype).reshape(1, -1, 1, 1))
        if mode == "nearest":
            out = xp.where(mask < 0.5, fill_img, out)
        else:
            out = out * mask + (out.dtype.type(1.0) - mask) * fill_img
    oh, ow = out.shape[-2:]
    if a.ndim >= 3:
        out = out.reshape(lead + (out.shape[1], oh, ow))
    else:
        out = out.reshape(oh, ow)
    if out.dtype != out_dtype:
        out = _cast_out(out, out_dtype)
    return _wrap(out)


def _base_grid_times(x_grid, y_grid, m):
    """[x, y, 1] @ m for every (y, x) as PyTorch's bmm computes it: x*m0 + y*m1 + m2, in order, no FMA."""
    xs = x_grid[None, :, None]
    ys = y_grid[:, None, None]
    return (xs * m[0] + ys * m[1]) + m[2]


def _gen_affine_grid(theta, w, h, ow, oh):
    ft = theta.dtype.type
    x_grid = np.linspace(-ow * 0.5 + 0.5, ow * 0.5 + 0.5 - 1, ow).astype(ft)
    y_grid = np.linspace(-oh * 0.5 + 0.5, oh * 0.5 + 0.5 - 1, oh).astype(ft)
    rescaled = (theta.T / np.asarray([0.5 * w, 0.5 * h], dtype=ft)).astype(ft)
    return _base_grid_times(x_grid, y_grid, rescaled)[None].astype(ft)


def _grid_dtype(img):
    return img._data.dtype if img._data.dtype.kind == "f" else np.dtype(np.float32)


def affine(img, matrix, interpolation="nearest", fill=None):
    _assert_grid_transform_inputs(img, matrix, interpolation, fill, ["nearest", "bilinear"])
    theta = np.asarray(matrix, dtype=_grid_dtype(img)).reshape(2, 3)
    h, w = img._data.shape[-2:]
    grid = _gen_affine_grid(theta, w, h, w, h)
    return _apply_grid_transform(img, array_module(img._data).asarray(grid), interpolation, fill)


def _compute_affine_output_size(matrix, w, h):
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, -0.5 * h, 1.0]], dtype=np.float32)
    theta = np.asarray(matrix, dtype=np.float32).reshape(2, 3)
    new_pts = pts @ theta.T
    min_vals = new_pts.min(axis=0) + np.array([w * 0.5, h * 0.5], dtype=np.float32)
    max_vals = new_pts.max(axis=0) + np.array([w * 0.5, h * 0.5], dtype=np.float32)
    tol = np.float32(1e-4)
    cmax = np.ceil(np.trunc(max_vals / tol) * tol)
    cmin = np.floor(np.trunc(min_vals / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def rotate(img, matrix, interpolation="nearest", expand=False, fill=None):
    _assert_grid_transform_inputs(img, matrix, interpolation, fill, ["nearest", "bilinear"])
    h, w = img._data.shape[-2:]
    ow, oh = _compute_affine_output_size(matrix, w, h) if expand else (w, h)
    theta = np.asarray(matrix, dtype=_grid_dtype(img)).reshape(2, 3)
    grid = _gen_affine_grid(theta, w, h, ow, oh)
    return _apply_grid_transform(img, array_module(img._data).asarray(grid), interpolation, fill)


def _perspective_grid(coeffs, ow, oh, ft):
    ft = np.dtype(ft).type
    theta1 = np.array([[coeffs[0], coeffs[1], coeffs[2]], [coeffs[3], coeffs[4], coeffs[5]]], dtype=ft)
    theta2 = np.array([[coeffs[6], coeffs[7], 1.0], [coeffs[6], coeffs[7], 1.0]], dtype=ft)
    x_grid = np.linspace(0.5, ow * 1.0 + 0.5 - 1.0, ow).astype(ft)
    y_grid = np.linspace(0.5, oh * 1.0 + 0.5 - 1.0, oh).astype(ft)
    g1 = _base_grid_times(x_grid, y_grid, (theta1.T / np.asarray([0.5 * ow, 0.5 * oh], dtype=ft)).astype(ft))
    g2 = _base_grid_times(x_grid, y_grid, theta2.T.copy())
    return (g1 / g2 - ft(1.0))[None].astype(ft)


def perspective(img, perspective_coeffs, interpolation="bilinear", fill=None):
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be Tensor.")
    _assert_image_tensor(img)
    _assert_grid_transform_inputs(img, None, interpolation, fill, ["nearest", "bilinear"], coeffs=perspective_coeffs)
    h, w = img._data.shape[-2:]
    grid = _perspective_grid(perspective_coeffs, w, h, _grid_dtype(img))
    return _apply_grid_transform(img, array_module(img._data).asarray(grid), interpolation, fill)


def _gaussian_kernel1d(kernel_size, sigma, ft):
    ft = np.dtype(ft).type
    ksize_half = (kernel_size - 1) * 0.5
    x = np.linspace(-ksize_half, ksize_half, kernel_size).astype(ft)
    pdf = np.exp(ft(-0.5) * (x / ft(sigma)) ** 2)
    return (pdf / pdf.sum(dtype=ft)).astype(ft)


def gaussian_blur(img, kernel_size, sigma):
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor. Got {type(img)}")
    _assert_image_tensor(img)
    a = img._data
    xp = array_module(a)
    ft = _float_of(a)
    kx = _gaussian_kernel1d(kernel_size[0], sigma[0], ft)
    ky = _gaussian_kernel1d(kernel_size[1], sigma[1], ft)
    x = a.astype(ft, copy=False)
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    widths = [(0, 0)] * (x.ndim - 2) + [(py, py), (px, px)]
    x = xp.pad(x, widths, mode="reflect")
    h, w = a.shape[-2:]
    kx, ky = xp.asarray(kx), xp.asarray(ky)
    tmp = sum(x[..., :, j:j + w] * kx[j] for j in range(kernel_size[0]))
    out = sum(tmp[..., i:i + h, :] * ky[i] for i in range(kernel_size[1]))
    if out.dtype != a.dtype:
        out = _cast_out(out, a.dtype)
    return _wrap(out)


def invert(img):
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    a = img._data
    if a.dtype == np.bool_:
        return _wrap(~a)
    return _wrap((a.dtype.type(_max_value(a.dtype)) - a).astype(a.dtype))


def posterize(img, bits):
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    if img._data.dtype != np.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, [1, 3])
    mask = (-int(2 ** (8 - bits))) & 0xFF
    return _wrap(img._data & np.uint8(mask))


def solarize(img, threshold):
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    if threshold > _max_value(img._data.dtype):
        raise TypeError("Threshold should be less than bound of img.")
    a = img._data
    return _wrap(array_module(a).where(a >= threshold, invert(img)._data, a))


def _blurred_degenerate(a):
    ft = _float_of(a).type
    kernel = np.ones((3, 3), dtype=ft)
    kernel[1, 1] = 5.0
    kernel /= kernel.sum()
    x = a.astype(ft, copy=False)
    h, w = a.shape[-2:]
    acc = None
    for i in range(3):
        for j in range(3):
            part = x[..., i:i + h - 2, j:j + w - 2] * kernel[i, j]
            acc = part if acc is None else acc + part
    if a.dtype.kind != "f":
        acc = _cast_out(acc, a.dtype)
    result = a.copy()
    result[..., 1:-1, 1:-1] = acc
    return result


def adjust_sharpness(img, sharpness_factor):
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if img._data.shape[-1] <= 2 or img._data.shape[-2] <= 2:
        return img
    a = img._data
    return _wrap(_blend_arrays(a, _blurred_degenerate(a), sharpness_factor))


def autocontrast(img):
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    a = img._data
    xp = array_module(a)
    bound = _max_value(a.dtype)
    ft = _float_of(a)
    minimum = a.min(axis=(-2, -1), keepdims=True).astype(ft)
    maximum = a.max(axis=(-2, -1), keepdims=True).astype(ft)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = ft.type(bound) / (maximum - minimum)
    eq = ~xp.isfinite(scale)
    minimum = xp.where(eq, ft.type(0), minimum)
    scale = xp.where(eq, ft.type(1), scale)
    out = xp.clip((a.astype(ft) - minimum) * scale, 0, bound)
    return _wrap(_to_dtype(out, a.dtype))


def _scale_channel(chan):
    xp = array_module(chan)
    hist = xp.bincount(chan.reshape(-1), minlength=256)
    nonzero = hist[hist != 0]
    step = int(nonzero[:-1].sum()) // 255
    if step == 0:
        return chan
    lut = (xp.cumsum(hist) + step // 2) // step
    lut = xp.concatenate([xp.zeros(1, dtype=lut.dtype), lut[:-1]])
    lut = xp.clip(lut, 0, 255)
    return lut[chan.astype(np.int64)].astype(np.uint8)


def equalize(img):
    _assert_image_tensor(img)
    if not (3 <= img.ndim <= 4):
        raise TypeError(f"Input image tensor should have 3 or 4 dimensions, but found {img.ndim}")
    if img._data.dtype != np.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, [1, 3])
    a = img._data
    xp = array_module(a)
    flat = a.reshape((-1,) + a.shape[-2:])
    return _wrap(xp.stack([_scale_channel(c) for c in flat]).reshape(a.shape))


def normalize(tensor, mean, std, inplace=False):
    _assert_image_tensor(tensor)
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                         f"{tensor.size()}.")
    a = tensor._data
    xp = array_module(a)
    npdt = a.dtype
    m = _as_array(mean, npdt, xp)
    s = _as_array(std, npdt, xp)
    if bool((s == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero.")
    if m.ndim == 1:
        m = m.reshape(-1, 1, 1)
    if s.ndim == 1:
        s = s.reshape(-1, 1, 1)
    fast = not tensor.requires_grad
    if fast:
        try:
            fast = np.broadcast_shapes(a.shape, m.shape, s.shape) == a.shape
        except ValueError:
            fast = False
    if not fast:                      # autograd, or let huoba's ops raise PyTorch's broadcast error
        from ... import as_tensor
        t = tensor if inplace else tensor.clone()
        return t.sub_(as_tensor(m)).div_(as_tensor(s))
    if inplace:
        xp.subtract(a, m, out=a)
        xp.divide(a, s, out=a)
        tensor._bump_version()
        return tensor
    out = a - m
    xp.divide(out, s, out=out)
    return _wrap(out)


def _as_array(v, npdt, xp):
    if isinstance(v, Tensor):
        v = v._data
    if isinstance(v, (int, float)):
        return xp.asarray(np.asarray(v, dtype=npdt))
    if hasattr(v, "__array__") or isinstance(v, (list, tuple)):
        if isinstance(v, (list, tuple)):
            v = [float(e) if isinstance(e, Tensor) else e for e in v]
        arr = np.asarray(v if not hasattr(v, "get") else v.get())
        return xp.asarray(arr.astype(npdt))
    return xp.asarray(np.asarray(v, dtype=npdt))


def erase(img, i, j, h, w, v, inplace=False):
    _assert_image_tensor(img)
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img


def _create_identity_grid(size, ft):
    hw = [np.linspace((-s + 1) / s, (s - 1) / s, s).astype(ft) for s in size]
    gy, gx = np.meshgrid(hw[0], hw[1], indexing="ij")
    return np.stack([gx, gy], -1)[None]


def elastic_transform(img, displacement, interpolation="bilinear", fill=None):
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor. Got {type(img)}")
    size = list(img._data.shape[-2:])
    ft = _grid_dtype(img)
    disp = displacement.numpy(force=True) if isinstance(displacement, Tensor) else np.asarray(displacement)
    grid = _create_identity_grid(size, ft) + np.asarray(disp, dtype=ft)
    return _apply_grid_transform(img, array_module(img._data).asarray(grid.astype(ft)), interpolation, fill)


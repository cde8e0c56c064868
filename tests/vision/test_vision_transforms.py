"""torchvision.transforms on huoba: reprs, functional ops on PIL and tensor images, seeded random transforms.

References are PyTorch ops (interpolate, grid_sample, conv2d, plain arithmetic) following
torchvision's formulas, Pillow itself for PIL images, and colorsys for hue; the expected
reprs are torchvision 0.28's.
"""
import colorsys
import math
import os
import sys
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("PIL")
import torch.nn.functional as TF  # noqa: E402
from PIL import Image, ImageEnhance, ImageOps  # noqa: E402

import huoba  # noqa: E402
from huoba.vision import transforms as T  # noqa: E402
from huoba.vision.transforms import functional as F  # noqa: E402

RNG = np.random.default_rng(0)
RGB_ARR = RNG.integers(0, 256, (13, 17, 3), dtype=np.uint8)
GRAY_ARR = RNG.integers(0, 256, (28, 28), dtype=np.uint8)


def pil_rgb():
    return Image.fromarray(RGB_ARR)


def pil_gray():
    return Image.fromarray(GRAY_ARR)


def u8_pair(arr=RGB_ARR):
    chw = np.ascontiguousarray(arr.transpose(2, 0, 1))
    return huoba.from_numpy(chw.copy()), torch.from_numpy(chw.copy())


def f32_pair(arr=RGB_ARR, batch=False):
    chw = np.ascontiguousarray(arr.transpose(2, 0, 1)).astype(np.float32) / np.float32(255)
    if batch:
        chw = np.stack([chw, chw[:, ::-1, :], 1 - chw])
    return huoba.from_numpy(chw.copy()), torch.from_numpy(chw.copy())


def npy(x):
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


# ---------------------------------------------------------------------------------------------- reprs

REPRS = [
    ('T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])',
     'Compose(\n    ToTensor()\n    Normalize(mean=(0.1307,), std=(0.3081,))\n)'),
    ('T.ToTensor()',
     'ToTensor()'),
    ('T.PILToTensor()',
     'PILToTensor()'),
    ('T.ToPILImage()',
     'ToPILImage()'),
    ("T.ToPILImage(mode='RGB')",
     'ToPILImage(mode=RGB)'),
    ('T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))',
     'Normalize(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))'),
    ('T.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225], inplace=True)',
     'Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])'),
    ('T.Resize(32)',
     'Resize(size=32, interpolation=bilinear, max_size=None, antialias=True)'),
    ('T.Resize((32, 48), interpolation=T.InterpolationMode.BICUBIC, antialias=False)',
     'Resize(size=(32, 48), interpolation=bicubic, max_size=None, antialias=False)'),
    ('T.Resize([256], max_size=300)',
     'Resize(size=[256], interpolation=bilinear, max_size=300, antialias=True)'),
    ('T.Resize(64, interpolation=0)',
     'Resize(size=64, interpolation=nearest, max_size=None, antialias=True)'),
    ('T.CenterCrop(224)',
     'CenterCrop(size=(224, 224))'),
    ('T.CenterCrop((10, 20))',
     'CenterCrop(size=(10, 20))'),
    ('T.CenterCrop([7])',
     'CenterCrop(size=(7, 7))'),
    ('T.RandomCrop(32, padding=4)',
     'RandomCrop(size=(32, 32), padding=4)'),
    ('T.RandomCrop((28, 30))',
     'RandomCrop(size=(28, 30), padding=None)'),
    ("T.RandomCrop(32, padding=(1, 2), pad_if_needed=True, fill=3, padding_mode='edge')",
     'RandomCrop(size=(32, 32), padding=(1, 2))'),
    ('T.RandomResizedCrop(224)',
     'RandomResizedCrop(size=(224, 224), scale=(0.08, 1.0), ratio=(0.75, 1.3333), interpolation=bilinear, antialias=True)'),
    ('T.RandomResizedCrop((32, 16), scale=(0.5, 1.0), ratio=(1.0 / 3.0, 3.0), interpolation=T.InterpolationMode.NEAREST, antialias=False)',
     'RandomResizedCrop(size=(32, 16), scale=(0.5, 1.0), ratio=(0.3333, 3.0), interpolation=nearest, antialias=False)'),
    ('T.RandomHorizontalFlip()',
     'RandomHorizontalFlip(p=0.5)'),
    ('T.RandomHorizontalFlip(p=1.0)',
     'RandomHorizontalFlip(p=1.0)'),
    ('T.RandomVerticalFlip(0.25)',
     'RandomVerticalFlip(p=0.25)'),
    ('T.RandomRotation(10)',
     'RandomRotation(degrees=[-10.0, 10.0], interpolation=nearest, expand=False, fill=0)'),
    ('T.RandomRotation((-30, 45), interpolation=T.InterpolationMode.BILINEAR, expand=True, center=(3, 4), fill=(1, 2, 3))',
     'RandomRotation(degrees=[-30.0, 45.0], interpolation=bilinear, expand=True, center=(3, 4), fill=(1, 2, 3))'),
    ('T.ColorJitter()',
     'ColorJitter(brightness=None, contrast=None, saturation=None, hue=None)'),
    ('T.ColorJitter(brightness=0.5, contrast=0.4, saturation=0.3, hue=0.2)',
     'ColorJitter(brightness=(0.5, 1.5), contrast=(0.6, 1.4), saturation=(0.7, 1.3), hue=(-0.2, 0.2))'),
    ('T.ColorJitter(brightness=(0.5, 1.5), hue=[-0.1, 0.3])',
     'ColorJitter(brightness=(0.5, 1.5), contrast=None, saturation=None, hue=(-0.1, 0.3))'),
    ('T.Grayscale()',
     'Grayscale(num_output_channels=1)'),
    ('T.Grayscale(num_output_channels=3)',
     'Grayscale(num_output_channels=3)'),
    ('T.RandomGrayscale()',
     'RandomGrayscale(p=0.1)'),
    ('T.RandomGrayscale(p=0.3)',
     'RandomGrayscale(p=0.3)'),
    ('T.Pad(4)',
     'Pad(padding=4, fill=0, padding_mode=constant)'),
    ("T.Pad((1, 2), fill=255, padding_mode='reflect')",
     'Pad(padding=(1, 2), fill=255, padding_mode=reflect)'),
    ("T.Pad([1, 2, 3, 4], padding_mode='symmetric')",
     'Pad(padding=[1, 2, 3, 4], fill=0, padding_mode=symmetric)'),
    ('T.ConvertImageDtype(torch.float32)',
     'ConvertImageDtype()'),
    ('T.GaussianBlur(5)',
     'GaussianBlur(kernel_size=(5, 5), sigma=(0.1, 2.0))'),
    ('T.GaussianBlur((3, 5), sigma=(0.5, 1.5))',
     'GaussianBlur(kernel_size=(3, 5), sigma=(0.5, 1.5))'),
    ('T.GaussianBlur(3, sigma=2.0)',
     'GaussianBlur(kernel_size=(3, 3), sigma=(2.0, 2.0))'),
    ('T.Lambda(lambda x: x)',
     'Lambda()'),
    ('T.RandomApply([T.RandomHorizontalFlip(), T.ColorJitter(0.2)], p=0.3)',
     'RandomApply(\n    p=0.3\n    RandomHorizontalFlip(p=0.5)\n    ColorJitter(brightness=(0.8, 1.2), contrast=None, saturation=None, hue=None)\n)'),
    ('T.RandomChoice([T.ToTensor(), T.PILToTensor()])',
     'RandomChoice(\n    ToTensor()\n    PILToTensor()\n)(p=None)'),
    ('T.RandomOrder([T.ToTensor()])',
     'RandomOrder(\n    ToTensor()\n)'),
    ('T.RandomAffine(15)',
     'RandomAffine(degrees=[-15.0, 15.0])'),
    ('T.RandomAffine(degrees=(-5, 10), translate=(0.1, 0.2), scale=(0.9, 1.1), shear=5, interpolation=T.InterpolationMode.BILINEAR, fill=1)',
     'RandomAffine(degrees=[-5.0, 10.0], translate=(0.1, 0.2), scale=(0.9, 1.1), shear=[-5.0, 5.0], interpolation=bilinear, fill=1)'),
    ('T.RandomErasing()',
     'RandomErasing(p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False)'),
    ("T.RandomErasing(p=1.0, value='random')",
     'RandomErasing(p=1.0, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=random, inplace=False)'),
    ('T.RandomPerspective()',
     'RandomPerspective(p=0.5)'),
    ('T.FiveCrop(4)',
     'FiveCrop(size=(4, 4))'),
    ('T.TenCrop((4, 5), vertical_flip=True)',
     'TenCrop(size=(4, 5), vertical_flip=True)'),
    ('T.RandomInvert()',
     'RandomInvert(p=0.5)'),
    ('T.RandomPosterize(4)',
     'RandomPosterize(bits=4,p=0.5)'),
    ('T.RandomSolarize(128, p=0.2)',
     'RandomSolarize(threshold=128,p=0.2)'),
    ('T.RandomAdjustSharpness(2)',
     'RandomAdjustSharpness(sharpness_factor=2,p=0.5)'),
    ('T.RandomAutocontrast()',
     'RandomAutocontrast(p=0.5)'),
    ('T.RandomEqualize()',
     'RandomEqualize(p=0.5)'),
    ('T.Compose([T.Resize(256), T.CenterCrop(224), T.Compose([T.ToTensor()]), T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])',
     'Compose(\n    Resize(size=256, interpolation=bilinear, max_size=None, antialias=True)\n    CenterCrop(size=(224, 224))\n    Compose(\n    ToTensor()\n)\n    Normalize(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))\n)'),
]


@pytest.mark.parametrize("expr,expected", REPRS, ids=[e for e, _ in REPRS])
def test_repr_matches_torchvision(expr, expected):
    assert repr(eval(expr, {"T": T, "torch": huoba})) == expected


# ------------------------------------------------------------------------------------ conversions


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "LA", "1", "I", "F", "P"])
def test_to_tensor_pil_modes(mode):
    img = pil_rgb().convert(mode)
    out = F.to_tensor(img)
    nptype = {"I": np.int32, "F": np.float32}.get(mode, np.uint8)
    arr = np.array(img, nptype)
    if mode == "1":
        arr = arr * np.uint8(255)
    ref = torch.from_numpy(arr).view(img.size[1], img.size[0], len(img.getbands())).permute(2, 0, 1).contiguous()
    if ref.dtype == torch.uint8:
        ref = ref.to(torch.float32).div(255)
    assert str(out.dtype) == str(ref.dtype) and tuple(out.shape) == tuple(ref.shape)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    assert out.is_contiguous()


def test_to_tensor_numpy_and_default_dtype():
    out = T.ToTensor()(RGB_ARR)
    ref = torch.from_numpy(RGB_ARR.transpose(2, 0, 1).copy()).float().div(255)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    f = RNG.random((4, 5, 2)).astype(np.float64)
    out = F.to_tensor(f)
    assert out.dtype == huoba.float64
    np.testing.assert_array_equal(out.numpy(), f.transpose(2, 0, 1))
    assert tuple(F.to_tensor(GRAY_ARR).shape) == (1, 28, 28)
    huoba.set_default_dtype(huoba.float64)
    out = F.to_tensor(pil_gray())
    assert out.dtype == huoba.float64
    np.testing.assert_array_equal(out.numpy(), torch.from_numpy(GRAY_ARR).double().div(255)[None].numpy())
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray. Got <class 'list'>"):
        F.to_tensor([1, 2])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 1 dimensions."):
        F.to_tensor(np.zeros(3, np.uint8))


def test_pil_to_tensor_and_back():
    t = T.PILToTensor()(pil_rgb())
    assert t.dtype == huoba.uint8 and tuple(t.shape) == (3, 13, 17)
    np.testing.assert_array_equal(t.numpy(), RGB_ARR.transpose(2, 0, 1))
    back = T.ToPILImage()(t)
    assert back.mode == "RGB" and np.array_equal(np.asarray(back), RGB_ARR)
    g = F.to_pil_image(F.pil_to_tensor(pil_gray()))
    assert g.mode == "L" and np.array_equal(np.asarray(g), GRAY_ARR)
    x = huoba.from_numpy(RNG.random((3, 4, 5)).astype(np.float32))
    img = F.to_pil_image(x)
    np.testing.assert_array_equal(np.asarray(img), (x.numpy().transpose(1, 2, 0) * 255).astype(np.uint8))
    assert F.to_pil_image(x[:1], mode="F").mode == "F"
    assert F.to_pil_image(huoba.zeros(2, 3, 3, dtype=huoba.uint8)).mode == "LA"
    assert F.to_pil_image(huoba.zeros(4, 3, 3, dtype=huoba.uint8)).mode == "RGBA"
    assert F.to_pil_image(huoba.zeros(3, 3, dtype=huoba.int32)).mode == "I"
    with pytest.raises(ValueError, match=r"Incorrect mode \(RGB\) supplied for input type <class 'numpy.dtype'>. "
                                         r"Should be L"):
        F.to_pil_image(t[:1], mode="RGB")
    with pytest.raises(ValueError, match="pic should not have > 4 channels. Got 5 channels."):
        F.to_pil_image(huoba.zeros(5, 2, 2))
    with pytest.raises(TypeError, match="pic should be Tensor or ndarray. Got <class 'int'>."):
        F.to_pil_image(3)


def test_convert_image_dtype():
    h, t = u8_pair()
    for dt in ("float32", "float64", "int32", "int16", "int64"):
        out = T.ConvertImageDtype(getattr(huoba, dt))(h)
        ref = _tv_convert(t, getattr(torch, dt))
        assert str(out.dtype) == str(ref.dtype)
        np.testing.assert_array_equal(out.numpy(), ref.numpy())
    hf, tf = f32_pair()
    for dt in ("uint8", "int16", "float64"):
        out = F.convert_image_dtype(hf, getattr(huoba, dt))
        ref = _tv_convert(tf, getattr(torch, dt))
        np.testing.assert_array_equal(out.numpy(), ref.numpy())
    big = F.convert_image_dtype(h, huoba.int32)
    np.testing.assert_array_equal(F.convert_image_dtype(big, huoba.uint8).numpy(), h.numpy())
    with pytest.raises(RuntimeError, match="The cast from torch.float32 to torch.int32 cannot be performed safely."):
        F.convert_image_dtype(hf, huoba.int32)


def _max(dtype):
    return {torch.uint8: 255, torch.int16: 32767, torch.int32: 2147483647, torch.int64: 9223372036854775807}[dtype]


def _tv_convert(image, dtype):
    """torchvision's convert_image_dtype, spelled with torch ops."""
    if image.dtype == dtype:
        return image
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        return image.mul(_max(dtype) + 1.0 - 1e-3).to(dtype)
    if dtype.is_floating_point:
        return image.to(dtype) / _max(image.dtype)
    imax, omax = _max(image.dtype), _max(dtype)
    if imax > omax:
        return torch.div(image, (imax + 1) // (omax + 1), rounding_mode="floor").to(dtype)
    return image.to(dtype) * ((omax + 1) // (imax + 1))


# ------------------------------------------------------------------------------------------- normalize


@pytest.mark.parametrize("batch", [False, True])
def test_normalize_values_and_inplace(batch):
    h, t = f32_pair(batch=batch)
    mean, std = (0.485, 0.456, 0.406), [0.229, 0.224, 0.225]
    ref = t.clone().sub_(torch.tensor(mean).view(-1, 1, 1)).div_(torch.tensor(std).view(-1, 1, 1))
    out = T.Normalize(mean, std)(h)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    assert out is not h and not np.array_equal(h.numpy(), out.numpy())
    version = h._version
    same = F.normalize(h, mean, std, inplace=True)
    assert same is h and h._version > version
    np.testing.assert_array_equal(h.numpy(), ref.numpy())
    m = huoba.tensor(mean)
    np.testing.assert_array_equal(F.normalize(huoba.from_numpy(t.numpy()), m, 0.5).numpy(),
                                  (t - torch.tensor(mean).view(-1, 1, 1)).div(0.5).numpy())


def test_normalize_errors_and_autograd():
    h, t = f32_pair()
    with pytest.raises(ValueError, match="std evaluated to zero after conversion to torch.float32, leading to "
                                         "division by zero."):
        F.normalize(h, [0.5] * 3, [0.1, 0.0, 0.1])
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got torch.uint8."):
        F.normalize(u8_pair()[0], [0.5], [0.5])
    with pytest.raises(ValueError, match=r"Expected tensor to be a tensor image of size \(..., C, H, W\). Got "
                                         r"tensor.size\(\) = torch.Size\(\[4, 5\]\)"):
        F.normalize(huoba.zeros(4, 5), [0.5], [0.5])
    with pytest.raises(TypeError, match="img should be Tensor Image. Got <class 'PIL.Image.Image'>"):
        F.normalize(pil_rgb(), [0.5], [0.5])
    with pytest.raises(RuntimeError):
        F.normalize(h[:1], (0.5, 0.5, 0.5), (0.2, 0.2, 0.2))          # 1 channel, 3 means: torch's broadcast error
    x = h.clone().requires_grad_()
    y = F.normalize(x, (0.1, 0.2, 0.3), (0.5, 0.25, 2.0))
    y.sum().backward()
    tx = t.clone().requires_grad_()
    tx.sub(torch.tensor([0.1, 0.2, 0.3]).view(-1, 1, 1)).div(torch.tensor([0.5, 0.25, 2.0]).view(-1, 1, 1)).sum() \
        .backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


# ---------------------------------------------------------------------------------------------- resize


def _torch_resize(t, size, mode, antialias):
    """torchvision's tensor resize: float32 interpolate, round back to integer dtypes."""
    x = t if t.is_floating_point() else t.to(torch.float32)
    squeeze = x.ndim == 3
    if squeeze:
        x = x[None]
    out = TF.interpolate(x, size=size, mode=mode, align_corners=False if mode in ("bilinear", "bicubic") else None,
                         antialias=antialias and mode in ("bilinear", "bicubic"))
    if mode == "bicubic" and t.dtype == torch.uint8:
        out = out.clamp(0, 255)
    if squeeze:
        out = out[0]
    if not t.is_floating_point():
        out = torch.round(out).to(t.dtype)
    return out


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic", "nearest-exact"])
@pytest.mark.parametrize("antialias", [True, False])
@pytest.mark.parametrize("size", [(7, 9), (30, 41), (13, 8)])
def test_resize_tensor_matches_interpolate(mode, antialias, size):
    interp = T.InterpolationMode(mode)
    for h, t in (f32_pair(), f32_pair(batch=True), u8_pair()):
        out = F.resize(h, list(size), interp, antialias=antialias)
        ref = _torch_resize(t, size, mode, antialias)
        assert str(out.dtype) == str(ref.dtype) and tuple(out.shape) == tuple(ref.shape)
        if t.dtype == torch.uint8:
            diff = np.abs(out.numpy().astype(int) - ref.numpy().astype(int))
            assert diff.max() <= 1 and (diff > 0).mean() < 0.01
        else:
            np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=0, atol=2e-6 if mode != "bicubic" else 1e-5)


def test_resize_default_bilinear_antialias_to_the_last_bit_or_so():
    h, t = f32_pair(batch=True)
    for size in [(5, 6), (26, 40), (13, 4)]:
        np.testing.assert_allclose(F.resize(h, list(size)).numpy(),
                                   TF.interpolate(t, size=size, mode="bilinear", antialias=True).numpy(),
                                   rtol=0, atol=2.5e-7)


@pytest.mark.parametrize("interp,pil", [(T.InterpolationMode.BILINEAR, Image.BILINEAR),
                                        (T.InterpolationMode.NEAREST, Image.NEAREST),
                                        (T.InterpolationMode.BICUBIC, Image.BICUBIC),
                                        (T.InterpolationMode.LANCZOS, Image.LANCZOS),
                                        (T.InterpolationMode.BOX, Image.BOX)])
def test_resize_pil_uses_pil_filters(interp, pil):
    img = pil_rgb()
    out = T.Resize(8, interpolation=interp)(img)     # smaller edge (13) -> 8, other edge int(8 * 17 / 13) = 10
    assert out.size == (10, 8)
    assert np.array_equal(np.asarray(out), np.asarray(img.resize((10, 8), pil)))
    assert np.array_equal(np.asarray(F.resize(img, [20, 5], interp)), np.asarray(img.resize((5, 20), pil)))


def test_resize_sizes_and_errors():
    h, _ = f32_pair()
    assert tuple(T.Resize(26)(h).shape) == (3, 26, 34)
    assert tuple(T.Resize([26])(h).shape) == (3, 26, 34)
    assert tuple(T.Resize(26, max_size=30)(h).shape) == (3, 22, 30)
    assert T.Resize(13)(h) is h                            # already that size: returned as is
    assert tuple(T.Resize(5, interpolation=2)(h).shape) == (3, 5, 6)
    with pytest.raises(ValueError, match="max_size = 20 must be strictly greater than the requested size for the "
                                         r"smaller edge size = \[26\]"):
        F.resize(h, 26, max_size=20)
    with pytest.raises(TypeError, match="Size should be int or sequence. Got <class 'float'>"):
        T.Resize(2.5)
    with pytest.raises(ValueError, match="If size is a sequence, it should have 1 or 2 values"):
        T.Resize((1, 2, 3))
    with pytest.raises(ValueError, match="max_size should only be passed if size specifies the length of the smaller "
                                         "edge"):
        F.resize(h, [4, 5], max_size=10)
    with pytest.warns(UserWarning, match="Anti-alias option is always applied for PIL Image input"):
        F.resize(pil_rgb(), 5, antialias=False)


# ------------------------------------------------------------------------------------- crops, pads, flips


def test_crops_pil_and_tensor():
    img = pil_rgb()
    h, t = u8_pair()
    for top, left, hh, ww in [(2, 3, 5, 7), (0, 0, 13, 17), (-2, 10, 6, 9), (8, -3, 9, 5)]:
        ref = np.zeros((hh, ww, 3), np.uint8)
        ys, xs = np.arange(top, top + hh), np.arange(left, left + ww)
        inside = (ys[:, None] >= 0) & (ys[:, None] < 13) & (xs[None] >= 0) & (xs[None] < 17)
        ref[inside] = RGB_ARR[np.clip(ys, 0, 12)[:, None], np.clip(xs, 0, 16)[None]][inside]
        assert np.array_equal(np.asarray(F.crop(img, top, left, hh, ww)), ref)
        np.testing.assert_array_equal(F.crop(h, top, left, hh, ww).numpy(), ref.transpose(2, 0, 1))
    np.testing.assert_array_equal(T.CenterCrop(5)(h).numpy(), t[:, 4:9, 6:11].numpy())
    np.testing.assert_array_equal(np.asarray(T.CenterCrop((4, 6))(img)), RGB_ARR[4:8, 6:12])
    big = T.CenterCrop((16, 20))(h)                     # larger than the image: zero padding around it
    np.testing.assert_array_equal(big.numpy(), TF.pad(t, (1, 2, 1, 2)).numpy())
    assert T.CenterCrop((16, 20))(img).size == (20, 16)
    view = F.crop(h, 1, 1, 3, 3)
    view.zero_()
    assert h.numpy()[:, 1:4, 1:4].sum() == 0            # a crop of a tensor is a view, like torch slicing
    five = T.FiveCrop(4)(img)
    assert [np.asarray(c).tolist() for c in five] == [RGB_ARR[:4, :4].tolist(), RGB_ARR[:4, 13:].tolist(),
                                                      RGB_ARR[9:, :4].tolist(), RGB_ARR[9:, 13:].tolist(),
                                                      RGB_ARR[4:8, 6:10].tolist()]
    ten = T.TenCrop(4)(u8_pair()[0])
    np.testing.assert_array_equal(ten[5].numpy(), RGB_ARR[:4, ::-1][:, :4].transpose(2, 0, 1))
    with pytest.raises(ValueError, match=r"Requested crop size \(20, 20\) is bigger than input size \(13, 17\)"):
        F.five_crop(img, 20)


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("padding", [2, [1, 3], [1, 2, 3, 4], (0, -2, 3, 1)])
def test_pad(mode, padding):
    p = [padding] * 4 if isinstance(padding, int) else list(padding) * 2 if len(padding) == 2 else list(padding)
    left, top, right, bottom = p
    arr = RGB_ARR[max(-top, 0):13 - max(-bottom, 0), max(-left, 0):17 - max(-right, 0)]
    widths = ((max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0)), (0, 0))
    np_mode = {"edge": "edge", "reflect": "reflect", "symmetric": "symmetric", "constant": "constant"}[mode]
    kw = {"constant_values": 9} if mode == "constant" else {}
    ref = np.pad(arr, widths, mode=np_mode, **kw)
    out = T.Pad(padding, fill=9, padding_mode=mode)(pil_rgb())
    assert np.array_equal(np.asarray(out), ref)
    h, t = f32_pair(batch=True)
    out = F.pad(h, padding, fill=9, padding_mode=mode)
    ref_t = np.pad(t.numpy()[..., max(-top, 0):13 - max(-bottom, 0), max(-left, 0):17 - max(-right, 0)],
                   ((0, 0), (0, 0)) + widths[:2], mode=np_mode, **kw)
    np.testing.assert_array_equal(out.numpy(), ref_t)
    if mode in ("constant", "edge", "reflect") and min(p) >= 0:
        tmode = {"edge": "replicate"}.get(mode, mode)
        ref_torch = TF.pad(t, (left, right, top, bottom), mode=tmode, **({"value": 9.0} if mode == "constant" else {}))
        np.testing.assert_array_equal(out.numpy(), ref_torch.numpy())


def test_pad_errors():
    with pytest.raises(ValueError, match="Padding mode should be either constant, edge, reflect or symmetric"):
        T.Pad(1, padding_mode="wrap")
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple, not a 3 element tuple"):
        T.Pad((1, 2, 3))
    with pytest.raises(TypeError, match="Got inappropriate padding arg"):
        T.Pad("1")
    h, t = f32_pair()
    for padding, torch_pad in ((17, (17, 17, 17, 17)), ([1, 20], (1, 1, 20, 20))):
        with pytest.raises(RuntimeError) as theirs:
            TF.pad(t[None], torch_pad, mode="reflect")
        with pytest.raises(RuntimeError) as ours:
            F.pad(h, padding, padding_mode="reflect")
        assert str(ours.value) == str(theirs.value)


def test_flips():
    img = pil_rgb()
    h, t = f32_pair(batch=True)
    assert np.array_equal(np.asarray(F.hflip(img)), RGB_ARR[:, ::-1])
    assert np.array_equal(np.asarray(F.vflip(img)), RGB_ARR[::-1])
    np.testing.assert_array_equal(F.hflip(h).numpy(), t.flip(-1).numpy())
    np.testing.assert_array_equal(F.vflip(h).numpy(), t.flip(-2).numpy())
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(h).numpy(), t.flip(-1).numpy())
    assert T.RandomVerticalFlip(p=0.0)(h) is h


# ----------------------------------------------------------------------------------------------- color


def _blend(a, b, ratio):
    bound = 1.0 if a.is_floating_point() else 255
    return (ratio * a + (1.0 - ratio) * b).clamp(0, bound).to(a.dtype)


def _gray(t):
    r, g, b = t.unbind(dim=-3)
    return (0.2989 * r + 0.587 * g + 0.114 * b).to(t.dtype).unsqueeze(dim=-3)


@pytest.mark.parametrize("factor", [0.0, 0.3, 1.0, 1.7])
def test_color_adjustments_tensor(factor):
    for h, t in (f32_pair(), f32_pair(batch=True), u8_pair()):
        tol = 1 if t.dtype == torch.uint8 else 1e-6
        refs = {
            F.adjust_brightness: _blend(t, torch.zeros_like(t), factor),
            F.adjust_contrast: _blend(t, torch.mean(_gray(t).to(torch.float32 if t.dtype == torch.uint8 else t.dtype),
                                                    dim=(-3, -2, -1), keepdim=True), factor),
            F.adjust_saturation: _blend(t, _gray(t), factor),
        }
        for fn, ref in refs.items():
            out = fn(h, factor)
            assert str(out.dtype) == str(ref.dtype)
            np.testing.assert_allclose(out.numpy().astype(float), ref.numpy().astype(float), rtol=0, atol=tol)
    hg, tg = u8_pair()
    np.testing.assert_array_equal(F.rgb_to_grayscale(hg).numpy(), _gray(tg).numpy())
    g3 = T.Grayscale(3)(hg)
    assert tuple(g3.shape) == (3, 13, 17) and np.array_equal(g3.numpy()[0], g3.numpy()[2])


@pytest.mark.parametrize("hue", [-0.5, -0.2, 0.0, 0.15, 0.5])
def test_adjust_hue_tensor_matches_colorsys(hue):
    h, t = f32_pair()
    out = F.adjust_hue(h, hue).numpy()
    px = t.permute(1, 2, 0).reshape(-1, 3).double().numpy()
    ref = []
    for r, g, b in px:
        hh, s, v = colorsys.rgb_to_hsv(r, g, b)
        ref.append(colorsys.hsv_to_rgb((hh + hue) % 1.0, s, v))
    ref = np.array(ref).reshape(13, 17, 3).transpose(2, 0, 1)
    np.testing.assert_allclose(out, ref, rtol=0, atol=2e-6)
    hu, _ = u8_pair()
    assert F.adjust_hue(hu, hue).dtype == huoba.uint8
    with pytest.raises(ValueError, match=r"hue_factor \(0.7\) is not in \[-0.5, 0.5\]."):
        F.adjust_hue(h, 0.7)


def test_color_adjustments_pil_are_pillow():
    img = pil_rgb()
    assert np.array_equal(np.asarray(F.adjust_brightness(img, 1.3)),
                          np.asarray(ImageEnhance.Brightness(img).enhance(1.3)))
    assert np.array_equal(np.asarray(F.adjust_contrast(img, 0.6)), np.asarray(ImageEnhance.Contrast(img).enhance(0.6)))
    assert np.array_equal(np.asarray(F.adjust_saturation(img, 0.2)), np.asarray(ImageEnhance.Color(img).enhance(0.2)))
    assert np.array_equal(np.asarray(F.invert(img)), np.asarray(ImageOps.invert(img)))
    assert np.array_equal(np.asarray(F.rgb_to_grayscale(img)), np.asarray(img.convert("L")))
    hsv = np.array(img.convert("HSV"))
    hsv[..., 0] += np.uint8(int(0.25 * 255))
    expected = Image.fromarray(hsv, "HSV").convert("RGB")
    assert np.array_equal(np.asarray(F.adjust_hue(img, 0.25)), np.asarray(expected))
    assert F.adjust_hue(pil_gray(), 0.25) is not None


def test_gaussian_blur_tensor_matches_conv2d():
    h, t = f32_pair(batch=True)
    ksize, sigma = [5, 3], [1.3, 0.6]

    def k1(n, s):
        x = torch.linspace(-(n - 1) / 2, (n - 1) / 2, n)
        pdf = torch.exp(-0.5 * (x / s) ** 2)
        return pdf / pdf.sum()
    kernel = torch.mm(k1(3, 0.6)[:, None], k1(5, 1.3)[None, :]).expand(3, 1, 3, 5)
    ref = TF.conv2d(TF.pad(t, [2, 2, 1, 1], mode="reflect"), kernel, groups=3)
    np.testing.assert_allclose(F.gaussian_blur(h, ksize, sigma).numpy(), ref.numpy(), rtol=0, atol=1e-6)
    out = T.GaussianBlur(3, sigma=(0.1, 2.0))(pil_rgb())
    assert isinstance(out, Image.Image) and out.size == (17, 13)


# -------------------------------------------------------------------------------------- rotate / affine


def _tv_grid(theta, w, h, ow, oh):
    base = torch.empty(1, oh, ow, 3)
    base[..., 0].copy_(torch.linspace(-ow * 0.5 + 0.5, ow * 0.5 - 0.5, steps=ow))
    base[..., 1].copy_(torch.linspace(-oh * 0.5 + 0.5, oh * 0.5 - 0.5, steps=oh).unsqueeze_(-1))
    base[..., 2].fill_(1)
    return base.view(1, oh * ow, 3).bmm(theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h])).view(1, oh, ow, 2)


def _inverse_affine(angle, translate, scale, shear):
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
    m[2] += m[0] * -translate[0] + m[1] * -translate[1]
    m[5] += m[3] * -translate[0] + m[4] * -translate[1]
    return m


def _torch_warp(t, matrix, mode, fill, oh=None, ow=None):
    n, c, h, w = t.shape
    grid = _tv_grid(torch.tensor(matrix, dtype=torch.float32).reshape(1, 2, 3), w, h, ow or w, oh or h)
    x = torch.cat((t, torch.ones(n, 1, h, w)), 1)
    out = TF.grid_sample(x, grid.expand(n, -1, -1, -1), mode=mode, padding_mode="zeros", align_corners=False)
    mask, out = out[:, -1:], out[:, :-1]
    fill_img = torch.tensor(fill, dtype=torch.float32).view(1, -1, 1, 1).expand_as(out)
    if mode == "nearest":
        m = (mask < 0.5).expand_as(out)
        out = out.clone()
        out[m] = fill_img[m]
        return out
    return out * mask + (1.0 - mask) * fill_img


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("angle", [17.0, -60.5, 90.0])
def test_rotate_and_affine_tensor_match_grid_sample(mode, angle):
    h, t = f32_pair(batch=True)
    interp = T.InterpolationMode(mode)
    out = F.rotate(h, angle, interp, fill=[0.1, 0.2, 0.3])
    ref = _torch_warp(t, _inverse_affine(-angle, [0, 0], 1.0, [0, 0]), mode, [0.1, 0.2, 0.3])
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=0, atol=1e-5)
    out = F.affine(h, angle, [2, -1], 0.8, [10.0, 4.0], interp, fill=[0.5])
    ref = _torch_warp(t, _inverse_affine(angle, [2, -1], 0.8, [10.0, 4.0]), mode, [0.5] * 3)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=0, atol=1e-5)


def test_rotate_expand_and_pil():
    h, t = f32_pair()
    out = F.rotate(h, 90.0, expand=True)
    assert tuple(out.shape) == (3, 17, 13)
    np.testing.assert_array_equal(out.numpy(), t.rot90(1, (1, 2)).numpy())
    img = pil_rgb()
    assert np.array_equal(np.asarray(F.rotate(img, 30.0, T.InterpolationMode.BILINEAR, fill=[7, 8, 9])),
                          np.asarray(img.rotate(30.0, Image.BILINEAR, fillcolor=(7, 8, 9))))
    assert np.array_equal(np.asarray(T.RandomRotation((45, 45), expand=True)(img)),
                          np.asarray(img.rotate(45.0, Image.NEAREST, expand=True, fillcolor=(0, 0, 0))))


# ---------------------------------------------------------------------------- random transforms, seeded


def _draws(seed, fn):
    torch.manual_seed(seed)
    return fn()


@pytest.mark.parametrize("seed", [0, 1, 7, 42])
def test_random_flips_follow_the_generator(seed):
    h, t = f32_pair()
    flips = _draws(seed, lambda: [bool(torch.rand(1) < 0.5) for _ in range(6)])
    huoba.manual_seed(seed)
    hflip = T.RandomHorizontalFlip()
    outs = [hflip(h) for _ in range(6)]
    for flipped, out in zip(flips, outs):
        np.testing.assert_array_equal(out.numpy(), (t.flip(-1) if flipped else t).numpy())
    flips = _draws(seed, lambda: [bool(torch.rand(1) < 0.3) for _ in range(6)])
    huoba.manual_seed(seed)
    vflip = T.RandomVerticalFlip(0.3)
    assert [vflip(pil_rgb()).tobytes() != pil_rgb().tobytes() for _ in range(6)] == flips
    grays = _draws(seed, lambda: [bool(torch.rand(1) < 0.4) for _ in range(6)])
    huoba.manual_seed(seed)
    rg = T.RandomGrayscale(0.4)
    assert [len(set(np.asarray(rg(pil_rgb())).reshape(-1, 3)[5])) == 1 for _ in range(6)] == grays


@pytest.mark.parametrize("seed", [0, 3, 11])
def test_random_crop_follows_the_generator(seed):
    h, t = u8_pair()

    def ref():
        out = []
        for _ in range(4):
            padded = TF.pad(t, (2, 2, 2, 2))
            i = torch.randint(0, 17 - 8 + 1, size=(1,)).item()
            j = torch.randint(0, 21 - 10 + 1, size=(1,)).item()
            out.append(padded[:, i:i + 8, j:j + 10])
        return out
    expected = _draws(seed, ref)
    huoba.manual_seed(seed)
    crop = T.RandomCrop((8, 10), padding=2)
    for e in expected:
        np.testing.assert_array_equal(crop(h).numpy(), e.numpy())
    huoba.manual_seed(seed)
    out = T.RandomCrop(20, pad_if_needed=True, padding_mode="edge")(pil_rgb())
    assert out.size == (20, 20)


def _rrc_params(height, width, scale, ratio):
    """torchvision's RandomResizedCrop.get_params with torch's generator."""
    area = height * width
    log_ratio = torch.log(torch.tensor(ratio))
    for _ in range(10):
        target_area = area * torch.empty(1).uniform_(scale[0], scale[1]).item()
        aspect_ratio = torch.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1])).item()
        w = int(round(math.sqrt(target_area * aspect_ratio)))
        h = int(round(math.sqrt(target_area / aspect_ratio)))
        if 0 < w <= width and 0 < h <= height:
            i = torch.randint(0, height - h + 1, size=(1,)).item()
            j = torch.randint(0, width - w + 1, size=(1,)).item()
            return i, j, h, w
    in_ratio = float(width) / float(height)
    if in_ratio < min(ratio):
        w, h = width, int(round(width / min(ratio)))
    elif in_ratio > max(ratio):
        h, w = height, int(round(height * max(ratio)))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("scale,ratio", [((0.08, 1.0), (3 / 4, 4 / 3)), ((0.9, 1.0), (0.1, 10.0)),
                                         ((0.2, 0.5), (0.5, 0.6))])
def test_random_resized_crop_same_crops_as_torch(seed, scale, ratio):
    expected = _draws(seed, lambda: [_rrc_params(13, 17, scale, ratio) for _ in range(5)])
    huoba.manual_seed(seed)
    got = [T.RandomResizedCrop.get_params(pil_rgb(), scale, ratio) for _ in range(5)]
    assert got == expected
    h, t = f32_pair()
    huoba.manual_seed(seed)
    out = T.RandomResizedCrop((6, 7), scale=scale, ratio=ratio)(h)
    i, j, hh, ww = expected[0]
    ref = TF.interpolate(t[None, :, i:i + hh, j:j + ww], size=(6, 7), mode="bilinear", antialias=True)[0]
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=0, atol=2e-6)
    huoba.manual_seed(seed)
    out = T.RandomResizedCrop(5)(pil_rgb())
    i, j, hh, ww = expected[0] if scale == (0.08, 1.0) else _draws(seed, lambda: _rrc_params(13, 17, (0.08, 1.0),
                                                                                               (3 / 4, 4 / 3)))
    assert np.array_equal(np.asarray(out), np.asarray(pil_rgb().crop((j, i, j + ww, i + hh)).resize((5, 5),
                                                                                                     Image.BILINEAR)))


@pytest.mark.parametrize("seed", [0, 5, 9])
def test_color_jitter_draws_like_torch(seed):
    def ref():
        fn_idx = torch.randperm(4)
        b = float(torch.empty(1).uniform_(0.6, 1.4))
        c = float(torch.empty(1).uniform_(0.7, 1.3))
        s = float(torch.empty(1).uniform_(0.8, 1.2))
        hue = float(torch.empty(1).uniform_(-0.1, 0.1))
        return fn_idx.tolist(), b, c, s, hue
    order, b, c, s, hue = _draws(seed, ref)
    jitter = T.ColorJitter(0.4, 0.3, 0.2, 0.1)
    huoba.manual_seed(seed)
    fn_idx, *factors = jitter.get_params(jitter.brightness, jitter.contrast, jitter.saturation, jitter.hue)
    assert fn_idx.tolist() == order and factors == [b, c, s, hue]
    h, _ = f32_pair()
    expected = h
    fns = {0: (F.adjust_brightness, b), 1: (F.adjust_contrast, c), 2: (F.adjust_saturation, s), 3: (F.adjust_hue, hue)}
    for k in order:
        expected = fns[k][0](expected, fns[k][1])
    huoba.manual_seed(seed)
    np.testing.assert_array_equal(jitter(h).numpy(), expected.numpy())


@pytest.mark.parametrize("seed", [0, 2])
def test_random_rotation_and_apply_draws(seed):
    angles = _draws(seed, lambda: [float(torch.empty(1).uniform_(-25.0, 25.0).item()) for _ in range(3)])
    huoba.manual_seed(seed)
    assert [T.RandomRotation.get_params([-25.0, 25.0]) for _ in range(3)] == angles
    img = pil_rgb()
    huoba.manual_seed(seed)
    out = T.RandomRotation(25)(img)
    assert np.array_equal(np.asarray(out), np.asarray(img.rotate(angles[0], Image.NEAREST, fillcolor=(0, 0, 0))))
    def apply_draws():
        out = []
        for _ in range(5):
            out.append(not (0.5 < torch.rand(1)))
            if out[-1]:
                torch.rand(1)                              # the flip inside draws too
        return out
    applied = _draws(seed, apply_draws)
    huoba.manual_seed(seed)
    ra = T.RandomApply([T.RandomHorizontalFlip(p=1.0)], p=0.5)
    assert [ra(img) is not img for _ in range(5)] == applied


def test_random_erasing_draws_like_torch():
    h, t = f32_pair()

    def ref():
        if not torch.rand(1) < 0.9:
            return t
        log_ratio = torch.log(torch.tensor((0.3, 3.3)))
        for _ in range(10):
            erase_area = 13 * 17 * torch.empty(1).uniform_(0.02, 0.33).item()
            aspect = torch.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1])).item()
            hh, ww = int(round(math.sqrt(erase_area * aspect))), int(round(math.sqrt(erase_area / aspect)))
            if not (hh < 13 and ww < 17):
                continue
            v = torch.empty([3, hh, ww], dtype=torch.float32).normal_()
            i = torch.randint(0, 13 - hh + 1, size=(1,)).item()
            j = torch.randint(0, 17 - ww + 1, size=(1,)).item()
            out = t.clone()
            out[..., i:i + hh, j:j + ww] = v
            return out
        return t
    for seed in range(4):
        expected = _draws(seed, ref)
        huoba.manual_seed(seed)
        np.testing.assert_allclose(T.RandomErasing(p=0.9, value="random")(h).numpy(), expected.numpy(), atol=1e-6)


# ------------------------------------------------------------------------------------- composition, misc


def test_compose_lambda_one_hot_target():
    to_one_hot = T.Lambda(lambda y: huoba.zeros(10, dtype=huoba.float).scatter_(0, huoba.tensor(y), value=1))
    out = to_one_hot(3)
    assert out.dtype == huoba.float32
    np.testing.assert_array_equal(out.numpy(), torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(3),
                                                                                         value=1).numpy())
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        T.Lambda(3)
    pipeline = T.Compose([T.Resize(8), T.CenterCrop(6), T.ToTensor(), T.Normalize([0.5] * 3, [0.5] * 3)])
    x = pipeline(pil_rgb())
    ref = pil_rgb().resize((10, 8), Image.BILINEAR).crop((2, 1, 8, 7))
    ref_t = torch.from_numpy(np.asarray(ref).transpose(2, 0, 1).copy()).float().div(255).sub(0.5).div(0.5)
    np.testing.assert_array_equal(x.numpy(), ref_t.numpy())


def test_transforms_are_modules_and_compose_in_sequential():
    seq = huoba.nn.Sequential(T.CenterCrop(10), T.Normalize((0.5, 0.5, 0.5), (0.2, 0.2, 0.2)))
    h, t = f32_pair()
    ref = (t[:, 2:12, 4:14] - 0.5) / 0.2
    np.testing.assert_allclose(seq(h).numpy(), ref.numpy(), rtol=0, atol=1e-6)
    assert isinstance(T.RandomHorizontalFlip(), huoba.nn.Module) and not isinstance(T.ToTensor(), huoba.nn.Module)


def test_batched_tensor_transforms():
    h, t = f32_pair(batch=True)
    assert tuple(T.Resize(6)(h).shape) == (3, 3, 6, 7)
    assert tuple(T.CenterCrop(4)(h).shape) == (3, 3, 4, 4)
    assert tuple(T.Grayscale()(h).shape) == (3, 1, 13, 17)
    np.testing.assert_array_equal(F.adjust_brightness(h, 0.5)[1].numpy(), F.adjust_brightness(h[1], 0.5).numpy())


def test_misc_pil_and_uint8_ops():
    hu, tu = u8_pair()
    img = pil_rgb()
    np.testing.assert_array_equal(F.invert(hu).numpy(), (255 - tu).numpy())
    np.testing.assert_array_equal(F.posterize(hu, 3).numpy(), (tu & 0b11100000).numpy())
    np.testing.assert_array_equal(F.solarize(hu, 100).numpy(), torch.where(tu >= 100, 255 - tu, tu).numpy())
    assert np.array_equal(np.asarray(F.equalize(img)), np.asarray(ImageOps.equalize(img)))
    assert np.array_equal(np.asarray(F.autocontrast(img)), np.asarray(ImageOps.autocontrast(img)))
    assert np.array_equal(np.asarray(F.posterize(img, 2)), np.asarray(ImageOps.posterize(img, 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        T.RandomPerspective(p=1.0)(img)
        T.RandomAffine(10, translate=(0.1, 0.1))(hu)


def test_tensor_transforms_on_the_fake_cuda_device():
    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
    fake_cupy = pytest.importorskip("fake_cupy")
    from huoba.vision import utils
    x = huoba.from_numpy(np.stack([f32_pair()[0].numpy()] * 2))
    u = huoba.from_numpy(u8_pair()[0].numpy())
    ops = [
        (x, lambda t: T.Normalize((0.5, 0.4, 0.3), (0.2, 0.2, 0.2))(t)),
        (x, lambda t: F.resize(t, [7, 9])),
        (x, lambda t: F.resize(t, [17, 20], T.InterpolationMode.BICUBIC, antialias=False)),
        (x, lambda t: F.rotate(t, 30.0, T.InterpolationMode.BILINEAR, fill=[1.0, 2.0, 3.0])),
        (x, lambda t: F.affine(t, 10.0, [1, 2], 1.1, [3.0, 2.0])),
        (x, lambda t: F.pad(t, [1, 2, 3, 4], padding_mode="reflect")),
        (x, lambda t: F.center_crop(t, (14, 16))),
        (x, lambda t: F.adjust_hue(F.adjust_contrast(t, 0.7), 0.2)),
        (x, lambda t: F.gaussian_blur(t, [3, 5], [1.0, 0.5])),
        (x, lambda t: utils.make_grid(t, normalize=True, nrow=1)),
        (u, lambda t: F.equalize(F.posterize(t, 3))),
        (u, lambda t: F.resize(t, [7, 9])),
    ]
    with fake_cupy.installed():
        for inp, fn in ops:
            ref = fn(inp)
            out = fn(inp.to("cuda"))
            assert out.device.type == "cuda"
            np.testing.assert_allclose(out.cpu().numpy(), ref.numpy(), rtol=0, atol=1e-6)

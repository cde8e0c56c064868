"""`torchvision.io` image functions on huoba, decoded and encoded with Pillow.

Images come back as uint8 tensors of shape (C, H, W), C given by the file (or
by `mode`): 1 gray, 2 gray + alpha, 3 RGB, 4 RGB + alpha.  16-bit PNGs come
back as int32 tensors (huoba has no uint16).  Conversions to GRAY use
Pillow's ITU-R 601 luma, which may differ by one level from libpng/libjpeg.
"""
import io as _io
import os
from enum import Enum

import numpy as np

from .. import dtypes as _dtypes
from ..tensor import Tensor, _wrap

__all__ = ["ImageReadMode", "read_file", "write_file", "decode_image", "decode_png", "decode_jpeg", "encode_png",
           "encode_jpeg", "read_image", "write_png", "write_jpeg"]


class ImageReadMode(Enum):
    """How many channels to decode to (UNCHANGED keeps the file's)."""
    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = RGB_ALPHA


def _pil():
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover
        raise RuntimeError("huoba.vision.io needs Pillow to decode and encode images: pip install pillow") from None
    return Image


def read_file(path):
    """The bytes of a file as a 1-D uint8 tensor."""
    with open(os.fspath(path), "rb") as f:
        data = f.read()
    return _wrap(np.frombuffer(bytearray(data), dtype=np.uint8))


def write_file(filename, data):
    """Write a 1-D uint8 tensor of bytes to `filename`."""
    arr = np.ascontiguousarray(data.numpy(force=True) if isinstance(data, Tensor) else np.asarray(data))
    if arr.dtype != np.uint8 or arr.ndim != 1:
        raise RuntimeError(f"Input data should be a 1-dimensional uint8 tensor, got {arr.ndim} dims of {arr.dtype}")
    with open(os.fspath(filename), "wb") as f:
        f.write(arr.tobytes())


def _mode(mode):
    if isinstance(mode, str):
        mode = ImageReadMode[mode.upper()]
    if not isinstance(mode, ImageReadMode):
        raise TypeError(f"mode should be an ImageReadMode, got {type(mode).__name__}")
    return mode


def _to_tensor(img, mode):
    """A PIL image as a (C, H, W) tensor, converted for `mode`."""
    if mode == ImageReadMode.UNCHANGED:
        if img.mode == "P":
            img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        elif img.mode == "PA":
            img = img.convert("RGBA")
        elif img.mode == "1":
            img = img.convert("L")
        elif img.mode == "CMYK":
            img = img.convert("RGB")
        elif img.mode not in ("L", "LA", "RGB", "RGBA", "I;16", "I;16B", "I", "I;16L"):
            img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
    else:
        target = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA", ImageReadMode.RGB: "RGB",
                  ImageReadMode.RGB_ALPHA: "RGBA"}[mode]
        if img.mode != target:
            if img.mode.startswith("I") and target in ("L", "RGB"):
                img = img.point(lambda v: v / 256).convert("L")      # 16-bit to 8-bit, like libpng's strip
            img = img.convert(target)
    arr = np.array(img)
    if arr.dtype == np.uint16 or arr.dtype.kind == "i" and arr.dtype != np.uint8:
        arr = arr.astype(np.int32)
    elif arr.dtype == np.bool_:
        arr = arr.astype(np.uint8) * np.uint8(255)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return _wrap(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def _open_bytes(data, what):
    Image = _pil()
    if isinstance(data, Tensor):
        if data.dtype != _dtypes.uint8 or data.ndim != 1:
            raise RuntimeError(f"Expected a 1-dimensional uint8 tensor of encoded bytes, got shape "
                               f"{list(data.shape)} and dtype {data.dtype}")
        raw = data.numpy(force=True).tobytes()
    else:
        raw = bytes(data)
    try:
        img = Image.open(_io.BytesIO(raw))
        img.load()
    except Exception as err:
        raise RuntimeError(f"{what}: could not decode the image ({err})") from None
    return img


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Decode JPEG/PNG/GIF/WEBP/BMP bytes (a uint8 tensor) or a file path into a (C, H, W) uint8 tensor."""
    mode = _mode(mode)
    if not isinstance(input, Tensor):
        input = read_file(str(input))
    img = _open_bytes(input, "decode_image")
    if apply_exif_orientation:
        from PIL import ImageOps
        img = ImageOps.exif_transpose(img)
    return _to_tensor(img, mode)


def decode_png(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    return decode_image(input, mode, apply_exif_orientation)


def decode_jpeg(input, mode=ImageReadMode.UNCHANGED, device="cpu", apply_exif_orientation=False):
    if isinstance(input, list):
        return [decode_image(t, mode, apply_exif_orientation) for t in input]
    return decode_image(input, mode, apply_exif_orientation)


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Read an image file into a (C, H, W) uint8 tensor."""
    mode = _mode(mode)
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise RuntimeError(f"[Errno 2] No such file or directory: '{path}'")
    Image = _pil()
    try:
        with Image.open(path) as img:
            img.load()
            if apply_exif_orientation:
                from PIL import ImageOps
                img = ImageOps.exif_transpose(img)
            return _to_tensor(img, mode)
    except (OSError, SyntaxError, ValueError) as err:
        raise RuntimeError(f"read_image: could not decode '{path}' ({err})") from None


def _image_array(input, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name} expects a tensor, got {type(input).__name__}")
    if input.dtype != _dtypes.uint8:
        raise RuntimeError(f"Input tensor dtype should be uint8, got {input.dtype}")
    if input.ndim != 3:
        raise RuntimeError(f"Input data should be a 3-dimensional tensor, got {input.ndim} dims.")
    c = input.shape[0]
    allowed = (1, 3) if name == "encode_jpeg" else (1, 2, 3, 4)
    if c not in allowed:
        raise RuntimeError(f"The number of channels should be {' or '.join(map(str, allowed))}, got: {c}")
    arr = np.ascontiguousarray(input.numpy(force=True).transpose(1, 2, 0))
    return arr[:, :, 0] if c == 1 else arr


def _encode(arr, **save_kwargs):
    Image = _pil()
    buf = _io.BytesIO()
    Image.fromarray(arr).save(buf, **save_kwargs)
    return _wrap(np.frombuffer(bytearray(buf.getvalue()), dtype=np.uint8))


def encode_png(input, compression_level=6):
    """PNG bytes (uint8 tensor) of a (C, H, W) uint8 image."""
    if compression_level < 0 or compression_level > 9:
        raise RuntimeError("Compression level should be between 0 and 9")
    return _encode(_image_array(input, "encode_png"), format="PNG", compress_level=compression_level)


def encode_jpeg(input, quality=75):
    """JPEG bytes (uint8 tensor) of a (C, H, W) uint8 image with 1 or 3 channels."""
    if quality < 1 or quality > 100:
        raise ValueError("Image quality should be a positive number between 1 and 100")
    if isinstance(input, list):
        return [encode_jpeg(t, quality) for t in input]
    return _encode(_image_array(input, "encode_jpeg"), format="JPEG", quality=quality)


def write_png(input, filename, compression_level=6):
    write_file(filename, encode_png(input, compression_level))


def write_jpeg(input, filename, quality=75):
    write_file(filename, encode_jpeg(input, quality))

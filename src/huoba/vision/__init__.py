"""huoba.vision: torchvision on huoba (datasets, transforms, io, utils, models).

Under `huoba run` (or after `huoba.compat.install()`), `import torchvision`
gives this package, so `torchvision.datasets.MNIST`, `torchvision.transforms`
and friends run unchanged.
"""
from . import transforms  # noqa: F401
from . import datasets  # noqa: F401
from . import io  # noqa: F401
from . import utils  # noqa: F401
from . import models  # noqa: F401

__version__ = "0.28.0"

_image_backend = "PIL"
_video_backend = "pyav"


def set_image_backend(backend):
    """Only "PIL" is available (torchvision's optional "accimage" is not)."""
    global _image_backend
    if backend not in ["PIL", "accimage"]:
        raise ValueError(f"Invalid backend '{backend}'. Options are 'PIL' and 'accimage'")
    if backend == "accimage":
        raise ValueError("huoba.vision supports only the 'PIL' image backend")
    _image_backend = backend


def get_image_backend():
    return _image_backend


def set_video_backend(backend):
    raise RuntimeError("huoba.vision does not read videos")


def get_video_backend():
    return _video_backend

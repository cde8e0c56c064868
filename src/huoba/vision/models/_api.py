"""Weights enums, the model registry, and loading pretrained weights from PyTorch's hub cache.

Pretrained weights are the files torchvision uses (`resnet18-f37072fd.pth`,
...).  They are read from `$TORCH_HOME/hub/checkpoints/` (default
`~/.cache/torch/hub/checkpoints/`, the folder PyTorch itself fills), so a
file downloaded once by PyTorch, or copied there by hand, is used as is.  A
missing file is downloaded when the network allows; otherwise the error says
which file to put where.
"""
import fnmatch
import functools
import hashlib
import inspect
import os
import re
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from enum import Enum
from typing import Callable

__all__ = ["WeightsEnum", "Weights", "get_model", "get_model_builder", "get_model_weights", "get_weight",
           "list_models", "load_state_dict_from_url", "hub_checkpoint_dir"]


def _torch_home():
    return os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"), "torch")))


def hub_checkpoint_dir():
    """Where pretrained weights are looked for: `$TORCH_HOME/hub/checkpoints`."""
    return os.path.join(_torch_home(), "hub", "checkpoints")


_HASH_PREFIX = re.compile(r"-([a-f0-9]*)\.")


def _download(url, dst, check_hash):
    folder = os.path.dirname(dst)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(dst) + ".", suffix=".part", dir=folder)
    os.close(fd)
    try:
        print(f'Downloading: "{url}" to {dst}', file=sys.stderr)
        sha = hashlib.sha256()
        request = urllib.request.Request(url, headers={"User-Agent": "torch.hub"})
        with urllib.request.urlopen(request, timeout=60) as response, open(tmp, "wb") as f:
            while chunk := response.read(1 << 20):
                f.write(chunk)
                sha.update(chunk)
        if check_hash:
            m = _HASH_PREFIX.search(os.path.basename(dst))
            if m and not sha.hexdigest().startswith(m.group(1)):
                raise RuntimeError(f'invalid hash value (expected "{m.group(1)}", got "{sha.hexdigest()}")')
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True, check_hash=False,
                             file_name=None, weights_only=True):
    """The state dict stored at `url`, read from the hub cache (downloaded into it when missing)."""
    from ... import serialization
    model_dir = model_dir or hub_checkpoint_dir()
    filename = file_name or os.path.basename(url)
    cached = os.path.join(model_dir, filename)
    if not os.path.isfile(cached):
        try:
            _download(url, cached, check_hash)
        except (urllib.error.URLError, OSError, ValueError, RuntimeError) as err:
            reason = err.reason if isinstance(err, urllib.error.URLError) else err
            raise RuntimeError(
                f"Pretrained weights {filename} are not available offline and could not be downloaded from {url} "
                f"({reason}). Place {filename} in {model_dir} (or set TORCH_HOME) and run again, or build the model "
                "with weights=None.") from None
    return serialization.load(cached, map_location=map_location or "cpu", weights_only=weights_only)


@dataclass
class Weights:
    """Where a set of weights lives, the transforms its inputs need, and its metadata."""
    url: str
    transforms: Callable
    meta: dict

    def __eq__(self, other):
        if not isinstance(other, Weights):
            return NotImplemented
        if self.url != other.url or self.meta != other.meta:
            return False
        if isinstance(self.transforms, functools.partial) and isinstance(other.transforms, functools.partial):
            return (self.transforms.func == other.transforms.func and self.transforms.args == other.transforms.args
                    and self.transforms.keywords == other.transforms.keywords)
        return self.transforms == other.transforms


class WeightsEnum(Enum):
    """The pretrained weights of one model family, e.g. `ResNet18_Weights.IMAGENET1K_V1` / `.DEFAULT`."""

    @classmethod
    def verify(cls, obj):
        if obj is not None:
            if type(obj) is str:
                obj = cls[obj.replace(cls.__name__ + ".", "")]
            elif not isinstance(obj, cls):
                raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but received "
                                f"{obj.__class__.__name__}.")
        return obj

    def get_state_dict(self, *args, **kwargs):
        return load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self):
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self):
        return self.value.url

    @property
    def transforms(self):
        return self.value.transforms

    @property
    def meta(self):
        return self.value.meta


BUILTIN_MODELS = {}


def register_model(name=None):
    def wrapper(fn):
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        return fn
    return wrapper


def list_models(module=None, include=None, exclude=None):
    all_models = {k for k, v in BUILTIN_MODELS.items()
                  if module is None or v.__module__.rsplit(".", 1)[0] == module.__name__}
    if include:
        models = set()
        for pattern in [include] if isinstance(include, str) else include:
            models |= set(fnmatch.filter(all_models, pattern))
    else:
        models = all_models
    if exclude:
        for pattern in [exclude] if isinstance(exclude, str) else exclude:
            models -= set(fnmatch.filter(all_models, pattern))
    return sorted(models)


def get_model_builder(name):
    name = name.lower()
    try:
        return BUILTIN_MODELS[name]
    except KeyError:
        raise ValueError(f"Unknown model {name}") from None


def get_model(name, **config):
    return get_model_builder(name)(**config)


def get_model_weights(name):
    fn = get_model_builder(name) if isinstance(name, str) else name
    enum = getattr(fn, "_weights_enum", None)
    if enum is None:
        raise ValueError("The WeightsEnum class for the specific method couldn't be retrieved. Make sure the typing "
                         "info is correct.")
    return enum


def get_weight(name):
    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.") from None
    import importlib
    enum = getattr(importlib.import_module(__package__), enum_name, None)
    if not (inspect.isclass(enum) and issubclass(enum, WeightsEnum)):
        raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be retrieved.")
    return enum[value_name]


def _ovewrite_named_param(kwargs, param, new_value):
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got {kwargs[param]} instead.")
    else:
        kwargs[param] = new_value


def _make_divisible(v, divisor, min_value=None):
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def model_builder(weights_enum, legacy_default):
    """Decorate a builder `fn(*, weights=None, progress=True, **kwargs)`.

    Registers it, remembers its weights enum, and accepts the pre-0.13
    spelling `pretrained=True/False` (or a bool passed as `weights`), with
    torchvision's deprecation warnings.
    """
    import warnings

    def outer(builder):
        @functools.wraps(builder)
        def inner(*args, **kwargs):
            if args:                              # torchvision allows weights/progress positionally
                names = ["weights", "progress"]
                if len(args) > len(names):
                    raise TypeError(f"{builder.__name__}() takes at most {len(names)} positional arguments")
                for n, a in zip(names, args):
                    kwargs[n] = a
            sentinel = object()
            weights_arg = kwargs.get("weights", sentinel)
            if ("weights" in kwargs or "pretrained" in kwargs) and not (
                    isinstance(weights_arg, WeightsEnum) or (isinstance(weights_arg, str) and weights_arg != "legacy")
                    or weights_arg is None):
                pretrained_positional = weights_arg is not sentinel
                if pretrained_positional:
                    kwargs["pretrained"] = pretrained_arg = kwargs.pop("weights")
                else:
                    pretrained_arg = kwargs["pretrained"]
                default = legacy_default if pretrained_arg else None
                if not pretrained_positional:
                    warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be removed in the "
                                  "future, please use 'weights' instead.")
                msg = ("Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 and may "
                       f"be removed in the future. The current behavior is equivalent to passing `weights={default}`.")
                if pretrained_arg:
                    msg = (f"{msg} You can also use `weights={type(default).__name__}.DEFAULT` to get the most "
                           "up-to-date weights.")
                warnings.warn(msg)
                del kwargs["pretrained"]
                kwargs["weights"] = default
            return builder(**kwargs)

        inner._weights_enum = weights_enum
        register_model()(inner)
        return inner
    return outer


def _load_weights(model, weights, progress):
    model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))


"""The lab's networks, sized for whatever images the data has.

Each builder takes the input's channel count and side length and the number of
classes, so `--model lenet --dataset cifar10` works too; for the data each lab
used, the networks are exactly the labs' ones (same layers, same parameter
names, so a `model` state dict saved by `huoba train` loads into the lab's own
PyTorch class):

* lenet: the MNIST lab's CNN: conv 1->6 (5x5), max-pool, conv 6->12 (5x5),
  max-pool, fc 192->120->60->10, ReLU after every layer but the last.
* seven-layer: the FashionMNIST lab's network: the same two convolutions plus
  conv 12->24 (2x2, padding 1) and a third max-pool, fc 96->120->60->10.
* mlp: 784-512-512-10 after a Flatten.
* cifar-net: the 60-minute blitz CIFAR10 classifier: conv 3->6 (5x5),
  max-pool, conv 6->16 (5x5), max-pool, fc 400->120->84->10.
* resnet18: torchvision's ResNet-18 (huoba.vision.models); for images of 64
  pixels or less its stem is a 3x3 stride-1 convolution without the max-pool,
  as is usual for CIFAR-size inputs.
"""
import importlib
import os
import sys

from .. import nn
from ..nn import functional as F

__all__ = ["LeNet", "SevenLayerNet", "MLP", "CifarNet", "MODELS", "NATIVE_INPUT", "build_model", "load_model_spec"]


def _conv_out(size, kernel, padding=0):
    return size + 2 * padding - kernel + 1


def _too_small(name, size):
    raise ValueError(f"images of {size}x{size} pixels are too small for --model {name}")


class LeNet(nn.Module):
    """The MNIST lab's CNN (two 5x5 convolutions, three fully connected layers)."""

    def __init__(self, in_channels=1, image_size=28, num_classes=10):
        super().__init__()
        s = _conv_out(_conv_out(image_size, 5) // 2, 5) // 2
        if s < 1:
            _too_small("lenet", image_size)
        self.conv1 = nn.Conv2d(in_channels, 6, kernel_size=5)
        self.pool1 = nn.MaxPool2d(kernel_size=2, stride=2)
        self.conv2 = nn.Conv2d(6, 12, kernel_size=5)
        self.pool2 = nn.MaxPool2d(kernel_size=2, stride=2)
        self.fc1 = nn.Linear(12 * s * s, 120)
        self.fc2 = nn.Linear(120, 60)
        self.out = nn.Linear(60, num_classes)

    def forward(self, t):
        t = self.pool1(F.relu(self.conv1(t)))
        t = self.pool2(F.relu(self.conv2(t)))
        t = t.reshape(t.shape[0], -1)
        t = F.relu(self.fc1(t))
        t = F.relu(self.fc2(t))
        return self.out(t)


class SevenLayerNet(nn.Module):
    """The FashionMNIST lab's network: three convolutions (the last padded) and three fc layers."""

    def __init__(self, in_channels=1, image_size=28, num_classes=10):
        super().__init__()
        s = _conv_out(_conv_out(_conv_out(image_size, 5) // 2, 5) // 2, 2, padding=1) // 2
        if s < 1:
            _too_small("seven-layer", image_size)
        self.conv1 = nn.Conv2d(in_channels, 6, kernel_size=5)
        self.conv2 = nn.Conv2d(6, 12, kernel_size=5)
        self.conv3 = nn.Conv2d(12, 24, kernel_size=2, padding=1)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.fc1 = nn.Linear(24 * s * s, 120)
        self.fc2 = nn.Linear(120, 60)
        self.out = nn.Linear(60, num_classes)

    def forward(self, t):
        t = self.pool(F.relu(self.conv1(t)))
        t = self.pool(F.relu(self.conv2(t)))
        t = self.pool(F.relu(self.conv3(t)))
        t = t.reshape(t.shape[0], -1)
        t = F.relu(self.fc1(t))
        t = F.relu(self.fc2(t))
        return self.out(t)


class MLP(nn.Module):
    """A fully connected network: Flatten, 784-512-512-10 for MNIST."""

    def __init__(self, in_channels=1, image_size=28, num_classes=10):
        super().__init__()
        self.flatten = nn.Flatten()
        self.layers = nn.Sequential(
            nn.Linear(in_channels * image_size * image_size, 512), nn.ReLU(),
            nn.Linear(512, 512), nn.ReLU(),
            nn.Linear(512, num_classes))

    def forward(self, x):
        return self.layers(self.flatten(x))


class CifarNet(nn.Module):
    """The 60-minute blitz CIFAR10 classifier."""

    def __init__(self, in_channels=3, image_size=32, num_classes=10):
        super().__init__()
        s = _conv_out(_conv_out(image_size, 5) // 2, 5) // 2
        if s < 1:
            _too_small("cifar-net", image_size)
        self.conv1 = nn.Conv2d(in_channels, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * s * s, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.reshape(x.shape[0], -1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def _resnet18(in_channels=3, image_size=224, num_classes=10):
    try:
        from ..vision.models import resnet18
    except ImportError as err:
        raise ValueError(f"--model resnet18 needs huoba.vision.models ({err})") from None
    model = resnet18(num_classes=num_classes)
    if image_size <= 64:
        model.conv1 = nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
        model.maxpool = nn.Identity()
    elif in_channels != 3:
        model.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model


MODELS = {"lenet": LeNet, "seven-layer": SevenLayerNet, "mlp": MLP, "cifar-net": CifarNet, "resnet18": _resnet18}
# the input each network was written for: (channels, height, width)
NATIVE_INPUT = {"lenet": (1, 28, 28), "seven-layer": (1, 28, 28), "mlp": (1, 28, 28), "cifar-net": (3, 32, 32),
                "resnet18": (3, 224, 224)}


def build_model(name, in_channels=None, image_size=None, num_classes=10):
    """One of MODELS for images of `in_channels` x `image_size` x `image_size`."""
    if name not in MODELS:
        raise ValueError(f"unknown model '{name}' (expected one of {', '.join(MODELS)})")
    c, h, _ = NATIVE_INPUT[name]
    return MODELS[name](in_channels=in_channels or c, image_size=image_size or h, num_classes=num_classes)


def load_model_spec(spec):
    """A model from 'module.path:Name' or 'path/to/file.py:Name' (`Name` a class or a function
    called without arguments).  `import torch` in that code resolves to huoba."""
    target, sep, attr = spec.rpartition(":")
    if not sep or not target or not attr:
        raise ValueError(f"'{spec}' is neither a model name ({', '.join(MODELS)}) nor 'module.path:Class'")
    from .. import compat
    compat.install()
    if target.endswith(".py") or os.sep in target:
        if not os.path.exists(target):
            raise ValueError(f"no such file: '{target}'")
        import runpy
        folder = os.path.dirname(os.path.abspath(target))
        sys.path.insert(0, folder)
        try:
            namespace = runpy.run_path(target, run_name="__huoba_model__")
        finally:
            sys.path.remove(folder)
        if attr not in namespace:
            raise ValueError(f"'{target}' defines no '{attr}'")
        obj = namespace[attr]
    else:
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        try:
            module = importlib.import_module(target)
        except ImportError as err:
            raise ValueError(f"cannot import '{target}': {err}") from None
        if not hasattr(module, attr):
            raise ValueError(f"module '{target}' has no attribute '{attr}'")
        obj = getattr(module, attr)
    model = obj() if callable(obj) and not isinstance(obj, nn.Module) else obj
    if not isinstance(model, nn.Module):
        raise ValueError(f"'{spec}' did not give an nn.Module (got {type(model).__name__})")
    return model

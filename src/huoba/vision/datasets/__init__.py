"""`torchvision.datasets` on huoba."""
from .vision import VisionDataset, StandardTransform
from .mnist import MNIST, FashionMNIST, KMNIST
from .cifar import CIFAR10, CIFAR100
from .folder import DatasetFolder, ImageFolder
from .fakedata import FakeData
from . import utils  # noqa: F401

__all__ = ["VisionDataset", "StandardTransform", "MNIST", "FashionMNIST", "KMNIST", "CIFAR10", "CIFAR100",
           "DatasetFolder", "ImageFolder", "FakeData"]

"""Shared pieces of the model builders: the weights metadata and the conv-norm-activation block."""
from functools import partial

from ... import nn
from ..transforms._presets import ImageClassification
from ._meta import _IMAGENET_CATEGORIES

__all__ = ["Conv2dNormActivation", "classification", "_IMAGENET_CATEGORIES"]


def classification(**kwargs):
    """The `transforms` entry of ImageNet classification weights."""
    kwargs.setdefault("crop_size", 224)
    return partial(ImageClassification, **kwargs)


class Conv2dNormActivation(nn.Sequential):
    """Conv2d -> norm layer -> activation, as `torchvision.ops.misc.Conv2dNormActivation` (children 0, 1, 2)."""

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=None, groups=1,
                 norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU, dilation=1, inplace=True, bias=None):
        if padding is None:
            if isinstance(kernel_size, int) and isinstance(dilation, int):
                padding = (kernel_size - 1) // 2 * dilation
            else:
                ks = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size,) * 2
                dl = dilation if isinstance(dilation, (tuple, list)) else (dilation,) * 2
                padding = tuple((ks[i] - 1) // 2 * dl[i] for i in range(2))
        if bias is None:
            bias = norm_layer is None
        layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation=dilation,
                            groups=groups, bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            params = {} if inplace is None else {"inplace": inplace}
            layers.append(activation_layer(**params))
        super().__init__(*layers)
        self.out_channels = out_channels

"""`torchvision.models` on huoba: classification architectures with torchvision's module names.

State dicts have exactly torchvision's keys and shapes, so weights saved by
PyTorch load with `load_state_dict`, and `weights=...` / `pretrained=True`
read the standard checkpoint files from PyTorch's hub cache.
"""
from ._api import Weights, WeightsEnum, get_model, get_model_builder, get_model_weights, get_weight, list_models
from .alexnet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .mobilenetv2 import *  # noqa: F401,F403
from .squeezenet import *  # noqa: F401,F403

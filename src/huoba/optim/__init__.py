"""`torch.optim`: optimizers and learning-rate schedulers."""
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

# As in torch.optim, the submodules stay importable but are not attributes of the package.
del adadelta, adagrad, adam, adamw, optimizer, rmsprop, sgd  # noqa: F821

__all__ = ["Adadelta", "Adagrad", "Adam", "AdamW", "lr_scheduler", "Optimizer", "RMSprop", "SGD"]

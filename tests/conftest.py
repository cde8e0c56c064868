"""Shared test helpers: the PyTorch oracle and paths to optional real data."""
import os
import sys
import pathlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

# The real MNIST test set lives beside the project on developer machines and in CI only.
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _restore_global_state():
    """Tests may change the default dtype or print options; put them back."""
    import huoba
    dtype = huoba.get_default_dtype()
    opts = huoba.get_printoptions() if hasattr(huoba, "get_printoptions") else None
    grad = huoba.is_grad_enabled()
    yield
    huoba.set_default_dtype(dtype)
    if opts is not None:
        huoba.set_printoptions(**{k: v for k, v in opts.items() if k != "profile"} if isinstance(opts, dict) else {})
    huoba.autograd.grad_mode.GradMode.enabled = grad


def to_numpy(t):
    """Values of a huoba or torch tensor as a NumPy array."""
    if hasattr(t, "detach"):
        t = t.detach()
    if hasattr(t, "cpu"):
        t = t.cpu()
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t)

"""huoba.utils: data loading (huoba.utils.data)."""
from . import data  # noqa: F401

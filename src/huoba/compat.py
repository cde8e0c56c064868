"""Run unmodified PyTorch code on huoba: `import torch` resolves to `huoba`.

`install()` puts a finder on `sys.meta_path` that answers imports of `torch`,
`torch.*`, `torchvision` and `torchvision.*` with the matching huoba module
(the very same module object, so `torch.nn is huoba.nn`).  A PyTorch module
huoba does not have fails with an ImportError that names it.
"""
import importlib
import importlib.abc
import importlib.util
import sys

__all__ = ["install", "uninstall", "ALIASES"]

# PyTorch package prefix -> huoba package; longer prefixes win.
ALIASES = {
    "torch": "huoba",
    "torchvision": "huoba.vision",
}


def _target(fullname):
    for prefix in sorted(ALIASES, key=len, reverse=True):
        if fullname == prefix or fullname.startswith(prefix + "."):
            return ALIASES[prefix] + fullname[len(prefix):]
    return None


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, module):
        self.module = module

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        pass


class TorchAliasFinder(importlib.abc.MetaPathFinder):
    """Resolves `torch...` / `torchvision...` imports to huoba modules."""

    def find_spec(self, fullname, path=None, target=None):
        name = _target(fullname)
        if name is None:
            return None
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name and (err.name == name or name.startswith(err.name + ".")):
                raise ModuleNotFoundError(
                    f"huoba does not implement '{fullname}' (looked for '{name}'); this PyTorch module is not "
                    "available when running on huoba", name=fullname) from None
            raise
        return importlib.util.spec_from_loader(fullname, _AliasLoader(module),
                                               is_package=hasattr(module, "__path__"))


_finder = TorchAliasFinder()


def install():
    """Make `import torch` / `import torchvision` give huoba in this process."""
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    for name in list(sys.modules):
        if _target(name) is not None and not sys.modules[name].__name__.startswith("huoba"):
            del sys.modules[name]  # a real torch imported earlier must not shadow the alias


def uninstall():
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in list(sys.modules):
        if _target(name) is not None and getattr(sys.modules[name], "__name__", "").startswith("huoba"):
            del sys.modules[name]


def run_script(path, args):
    """Execute `path` as `__main__` with `sys.argv = [path, *args]`, torch aliased to huoba."""
    import os
    import runpy
    if not os.path.exists(path):
        print(f"huoba run: can't open file '{path}': No such file or directory", file=sys.stderr)
        return 2
    install()
    sys.argv = [path, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    runpy.run_path(path, run_name="__main__")
    return 0

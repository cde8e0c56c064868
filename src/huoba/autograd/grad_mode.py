"""Switching gradient recording on and off: no_grad, enable_grad, set_grad_enabled,
inference_mode.

Each is a context manager, a decorator (`@no_grad` and `@no_grad()` both work, and
generator functions keep the mode across their yields), and `set_grad_enabled(mode)`
also switches at once when simply called.  The mode is one global switch
(`GradMode.enabled`) that every op reads before it records a graph node.
"""
import functools
import inspect
import warnings

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled", "set_multithreading_enabled"]


class GradMode:
    """The one global switch that every op reads before it records a graph node."""
    enabled = True
    inference = False


def is_grad_enabled():
    return GradMode.enabled


def is_inference_mode_enabled():
    return GradMode.inference


class _DecoratorContextManager:
    """Base of the grad-mode contexts: `with`, decorator, clone()."""

    def __call__(self, orig_func):
        if inspect.isclass(orig_func):
            warnings.warn("Decorating classes is deprecated and will be disabled in future versions. You should "
                          "only decorate functions or methods. To preserve the current behavior of class "
                          "decoration, you can directly decorate the `__init__` method and nothing else.",
                          FutureWarning, stacklevel=2)
            cls = orig_func
            orig_func = lambda *args, **kwargs: cls(*args, **kwargs)  # noqa: E731
        return _wrap_function(self.clone, orig_func)

    def clone(self):
        return self.__class__()

    def __repr__(self):
        return f"<torch.autograd.grad_mode.{type(self).__name__} object at {hex(id(self))}>"


def _wrap_function(make_ctx, func):
    if inspect.isgeneratorfunction(func):
        @functools.wraps(func)
        def generator_wrapper(*args, **kwargs):
            gen = func(*args, **kwargs)
            try:
                with make_ctx():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with make_ctx():
                            gen.close()
                        raise
                    except BaseException as exc:
                        with make_ctx():
                            response = gen.throw(exc)
                    else:
                        with make_ctx():
                            response = gen.send(request)
            except StopIteration as e:
                return e.value
        return generator_wrapper

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with make_ctx():
            return func(*args, **kwargs)
    return wrapper


class _NoParamDecorator(_DecoratorContextManager):
    """Allows `@no_grad` without parentheses as well as `@no_grad()`."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)

    def __init__(self, orig_func=None):
        pass


class no_grad(_NoParamDecorator):
    """Ops inside record no graph: what evaluation and optimizer steps use."""

    def __enter__(self):
        self.prev = GradMode.enabled
        GradMode.enabled = False

    def __exit__(self, exc_type, exc_value, traceback):
        GradMode.enabled = self.prev


class enable_grad(_NoParamDecorator):
    """Ops inside record a graph again, even within no_grad."""

    def __enter__(self):
        self.prev = GradMode.enabled
        GradMode.enabled = True

    def __exit__(self, exc_type, exc_value, traceback):
        GradMode.enabled = self.prev


class set_grad_enabled(_DecoratorContextManager):
    """`set_grad_enabled(False)` switches at once (plain call) and restores on `with` exit."""

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'enabled' (position 1) must be bool, not "
                            f"{type(mode).__name__}")
        self.prev = GradMode.enabled
        self.mode = mode
        GradMode.enabled = mode

    def __call__(self, orig_func):
        GradMode.enabled = self.prev
        return super().__call__(orig_func)

    def __enter__(self):
        GradMode.enabled = self.mode

    def __exit__(self, exc_type, exc_value, traceback):
        GradMode.enabled = self.prev

    def clone(self):
        return self.__class__(self.mode)

    def __repr__(self):
        return f"torch.autograd.grad_mode.set_grad_enabled(mode={self.mode})"


class inference_mode(_DecoratorContextManager):
    """Like no_grad (huoba has no separate inference tensors), plus the
    `is_inference_mode_enabled()` flag."""

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)

    def __init__(self, mode=True):
        self.mode = mode

    def __enter__(self):
        self.prev = (GradMode.enabled, GradMode.inference)
        GradMode.enabled = not self.mode
        GradMode.inference = bool(self.mode)

    def __exit__(self, exc_type, exc_value, traceback):
        GradMode.enabled, GradMode.inference = self.prev

    def clone(self):
        return self.__class__(self.mode)


class set_multithreading_enabled(_DecoratorContextManager):
    """Accepted for compatibility: huoba's engine runs on one thread."""

    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        pass

    def clone(self):
        return self.__class__(self.mode)

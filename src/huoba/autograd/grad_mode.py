"""Switching gradient recording on and off: no_grad, enable_grad, set_grad_enabled."""
import functools

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled"]


class GradMode:
    """The one global switch that every op reads before it records a graph node."""
    enabled = True
    inference = False


def is_grad_enabled():
    return GradMode.enabled


def is_inference_mode_enabled():
    return GradMode.inference


class _GradModeContext:
    """Base for the grad-mode contexts: usable as `with`, as a decorator, and (for
    set_grad_enabled) as a plain call."""

    def _new_mode(self):
        raise NotImplementedError

    def __enter__(self):
        self._prev = (GradMode.enabled, GradMode.inference)
        self._apply()
        return None

    def _apply(self):
        GradMode.enabled = self._new_mode()

    def __exit__(self, *exc):
        GradMode.enabled, GradMode.inference = self._prev
        return False

    def clone(self):
        return self.__class__()

    def __call__(self, func):
        if isinstance(func, type):
            raise TypeError(f"{self.__class__.__name__} can only decorate functions, not classes")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Ops inside record no graph: what evaluation and optimizer steps use."""

    def __init__(self, orig_func=None):
        if orig_func is not None and callable(orig_func):
            raise TypeError("no_grad() takes no positional arguments; use @no_grad() or @no_grad")

    def __new__(cls, orig_func=None):
        # allow both @no_grad and @no_grad()
        if orig_func is not None and callable(orig_func):
            return cls()(orig_func)
        return super().__new__(cls)

    def _new_mode(self):
        return False


class enable_grad(_GradModeContext):
    def __new__(cls, orig_func=None):
        if orig_func is not None and callable(orig_func):
            return cls()(orig_func)
        return super().__new__(cls)

    def __init__(self, orig_func=None):
        pass

    def _new_mode(self):
        return True


class set_grad_enabled(_GradModeContext):
    """`set_grad_enabled(False)` switches at once (plain call) and restores on `with` exit."""

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'mode' must be bool, not {type(mode).__name__}")
        self._prev = (GradMode.enabled, GradMode.inference)
        self.mode = mode
        GradMode.enabled = mode

    def _new_mode(self):
        return self.mode

    def clone(self):
        prev = GradMode.enabled
        ctx = self.__class__(self.mode)
        GradMode.enabled = prev
        return ctx

    def __call__(self, func):
        GradMode.enabled = self._prev[0]
        return super().__call__(func)


class inference_mode(_GradModeContext):
    """Like no_grad; huoba has no separate inference tensors, so this is no_grad plus a flag."""

    def __new__(cls, mode=True):
        if callable(mode):
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        self.mode = mode

    def _apply(self):
        if self.mode:
            GradMode.enabled = False
            GradMode.inference = True

    def clone(self):
        return self.__class__(self.mode)

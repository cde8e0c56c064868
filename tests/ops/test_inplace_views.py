"""In-place ops and autograd, against PyTorch: errors on leaves and views of leaves, version
counters, the "modified by an inplace operation" error, in-place ops on non-leaf tensors and on
their views (CopySlices on the base, AsStridedBackward0 on the view), memory shared with NumPy."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from _optable import torch, huoba, array, check_op, check_same, check_error, assert_same, run_both  # noqa: E402

# NumPy's floating-point warnings (log(0), 1/0, ...) are silenced inside huoba, but pytest
# resets warning filters around each test
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _grads_of(fn):
    """fn(lib, x) -> output built from leaf x; returns (output, x.grad) per library after backward."""
    results = {}
    for lib in (torch, huoba):
        x = lib.tensor(array((3, 4), seed=7), requires_grad=True)
        out = fn(lib, x)
        seed = lib.tensor(array(tuple(out.shape), seed=8))
        out.backward(seed)
        results[lib] = (out, x.grad)
    return results


# in-place programs on tensors in the graph: fn(lib, x) with x a leaf that requires grad
PROGRAMS = {
    "add_on_non_leaf": lambda lib, x: (x * 2).add_(1),
    "mul_tensor": lambda lib, x: (x * 1).mul_(x),
    "chain": lambda lib, x: (x + 0).mul_(2).exp_().mul(1).sub_(x),
    "div_": lambda lib, x: (x * 3).div_(x.abs() + 1),
    "pow_": lambda lib, x: (x * 1).pow_(2),
    "clamp_": lambda lib, x: (x * 1).clamp_(-0.5, 0.5),
    "sigmoid_": lambda lib, x: (x * 1).sigmoid_(),
    "zero_": lambda lib, x: (x * 1).zero_() + x,
    "fill_": lambda lib, x: (x * 1).fill_(2.0) * x,
    "fill_tensor": lambda lib, x: (x * 1).fill_(x.sum()),
    "copy_": lambda lib, x: (x * 1).copy_(x.sin()),
    "copy_broadcast": lambda lib, x: (x * 1).copy_(x[0].double()),
    "masked_fill_": lambda lib, x: (x * 1).masked_fill_(x > 0, 0.0),
    "index_put_": lambda lib, x: (x * 1).index_put_((lib.tensor([0, 2]),), x[1] * 3),
    "scatter_": lambda lib, x: (x * 1).scatter_(1, lib.tensor([[0], [2], [1]]), 5.0),
    "setitem_row": lambda lib, x: _set(x * 1, 1, 0.0),
    "setitem_col_tensor": lambda lib, x: _set(x * 1, (slice(None), 0), x[:, 1] * 2),
    "setitem_advanced": lambda lib, x: _set(x * 1, [0, 2], x[1] ** 2),
    "setitem_mask": lambda lib, x: _set(x * 1, x > 0.5, 0.0),
    "setitem_all": lambda lib, x: _set(x * 1, Ellipsis, 3.0),
    "setitem_full_slices": lambda lib, x: _set(x * 1, (slice(None), slice(None)), x * 4),
    "view_mul_": lambda lib, x: _then(x * 1, lambda y: y[0].mul_(2)),
    "view_of_view": lambda lib, x: _then(x * 1, lambda y: y[1:][:, 1:3].mul_(x[1:, 1:3])),
    "transposed_view": lambda lib, x: _then(x * 1, lambda y: y.t()[0].add_(x[:, 1])),
    "reshaped_view": lambda lib, x: _then(x * 1, lambda y: y.view(12)[::5].exp_()),
    "diagonal_view": lambda lib, x: _then(x * 1, lambda y: y.diagonal().mul_(3)),
    "narrow_view": lambda lib, x: _then(x * 1, lambda y: y.narrow(1, 1, 2).zero_()),
    "two_views": lambda lib, x: _then(x * 1, lambda y: (y[0].mul_(2), y[:, 0].add_(x[:, 3]))),
    "view_into_plain_tensor": lambda lib, x: _then(lib.zeros(3, 4, dtype=x.dtype), lambda y: y[1].copy_(x[0])),
    "setitem_into_plain_tensor": lambda lib, x: _set(lib.zeros(3, 4, dtype=x.dtype), (slice(None), 2),
                                                     x[:, 0] * 5),
    "base_in_place_after_view": lambda lib, x: _base_then_view(x),
    "old_view_reads_new_base": lambda lib, x: _old_view(lib, x),
}


def _set(y, index, value):
    y[index] = value
    return y


def _then(y, action):
    action(y)
    return y


def _base_then_view(x):
    y = x * 1
    v = y[1:]
    y.mul_(x)
    return v * 1


def _old_view(lib, x):
    y = x * 1
    a = y[0]
    y[0].mul_(3)          # another view of the same row
    return a * 1          # `a` sees the new values, and its gradient follows them


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_in_place_programs(name):
    fn = PROGRAMS[name]
    res = _grads_of(fn)
    assert_same(res[huoba], res[torch], check_grad_fn=True)
    check_op(fn, array((3, 4), seed=7))  # values, grad_fn, gradients and gradcheck through the in-place ops


def test_view_and_base_grad_fn_after_in_place():
    def fn(lib, x):
        y = x * 1
        v = y[0]
        before = v.grad_fn.name() if lib is huoba else type(v.grad_fn).__name__
        v.mul_(2)
        names = [before]
        for t in (v, y):
            fn_ = t.grad_fn
            names.append(fn_.name() if lib is huoba else fn_.name())
        names.append([(None if f is None else (f.name() if lib is huoba else type(f).__name__), i)
                      for f, i in y.grad_fn.next_functions])
        return names

    h, t = run_both(fn, (huoba.ones(3, 3, requires_grad=True),), (torch.ones(3, 3, requires_grad=True),))
    assert h == t


def test_leaf_errors():
    for f in (lambda lib: lib.ones(2, requires_grad=True).add_(1),
              lambda lib: lib.ones(2, requires_grad=True).zero_(),
              lambda lib: lib.ones(2, requires_grad=True).fill_(1.0),
              lambda lib: lib.ones(2, requires_grad=True).copy_(lib.zeros(2)),
              lambda lib: lib.ones(2, requires_grad=True).__setitem__(0, 1.0),
              lambda lib: lib.ones(2, 2, requires_grad=True)[0].add_(1),
              lambda lib: lib.ones(2, 2, requires_grad=True)[:, 0].zero_(),
              lambda lib: lib.ones(2, 2, requires_grad=True).t().mul_(2),
              lambda lib: lib.ones(2, requires_grad=True).sigmoid_(),
              lambda lib: lib.ones(2, requires_grad=True).uniform_(),
              lambda lib: (lib.ones(4, requires_grad=True) * 1).split(2)[0].add_(1),
              lambda lib: (lib.ones(4, requires_grad=True) * 1).chunk(2)[1].mul_(2),
              lambda lib: (lib.ones(2, 2, requires_grad=True) * 1).unbind()[0].add_(1),
              lambda lib: lib.ones(2, requires_grad=True).resize_(3)):
        check_error(f)


def test_in_place_on_leaf_is_fine_without_grad():
    def fn(lib):
        w = lib.ones(2, 3, requires_grad=True)
        with lib.no_grad():
            w.mul_(2)
            w[0] = 5.0
            w[:, 1].zero_()
            w.add_(lib.ones(3))
        return w.detach(), w.requires_grad, w.is_leaf, w.grad_fn, w._version

    check_same(fn)


MODIFIED = [
    lambda lib, x: (lambda a: (lambda z: (a.add_(1), z.sum().backward()))(a * a))(x * 1),
    lambda lib, x: (lambda a: (lambda z: (z.add_(1), z.sum().backward()))(a.exp()))(x * 1),
    lambda lib, x: (lambda a: (lambda z: (a[0].add_(1), z.sum().backward()))(a.sin()))(x * 1),
    lambda lib, x: (lambda a: (lambda z: (a.mul_(2), z.sum().backward()))(a.sigmoid()))(x.sin()),
    lambda lib, x: (lambda a: (lambda z: (a.sigmoid_(), z.sum().backward()))(a.pow(2)))(x.sin()),
    lambda lib, x: (lambda z: (x.data.add_(1), z.sum().backward()))(x.exp()),
]


@pytest.mark.parametrize("i", range(len(MODIFIED)))
def test_modified_by_an_inplace_operation_error(i):
    fn = MODIFIED[i]
    h, t = run_both(fn, (huoba.ones(3, 3, requires_grad=True),), (torch.ones(3, 3, requires_grad=True),))
    if isinstance(t, Exception):
        assert isinstance(h, RuntimeError)
        assert str(h).split(" is at version")[0].split("operation: ")[0] == \
            str(t).split(" is at version")[0].split("operation: ")[0]
        assert str(h).split("[torch.")[1].split("]")[0] == str(t).split("[torch.")[1].split("]")[0]
    else:
        assert not isinstance(h, Exception), h


def test_modified_error_message_exact():
    def fn(lib):
        x = lib.ones(3, 3, requires_grad=True)
        a = x * 1
        z = a * a
        a.add_(1)
        z.sum().backward()

    check_error(fn)


def test_version_counter_shared_by_views():
    def fn(lib):
        x = lib.zeros(3, 4)
        v = x[1:]
        w = x.t()
        d = x.detach()
        versions = [x._version]
        x.add_(1)
        versions.append((x._version, v._version, w._version, d._version))
        v.mul_(2)
        versions.append((x._version, v._version, w._version, d._version))
        x[0, 0] = 5
        versions.append((x._version, v._version, w._version, d._version))
        y = x.clone()
        versions.append(y._version)
        return versions

    check_same(fn)


def test_numpy_shares_memory_both_ways():
    def fn(lib):
        x = lib.ones(5)
        a = x.numpy()
        np.add(a, 1, out=a)          # seen by the tensor
        x.add_(1)                    # seen by the array
        b = np.arange(4.0)
        t = lib.from_numpy(b)
        b[0] = 10                    # seen by the tensor
        t.mul_(2)                    # seen by the array
        v = t[1:]
        v.add_(100)
        return x, a.tolist(), t, b.tolist(), v

    check_same(fn)


def test_out_of_place_results_do_not_alias():
    def fn(lib):
        x = lib.ones(3)
        y = x + 0
        z = x.clone()
        c = x.contiguous()
        f = x.float()
        y.add_(1)
        z.add_(2)
        return x, y, z, c is x, f is x

    check_same(fn)


def test_multiple_in_place_on_views_and_second_backward():
    def fn(lib, x):
        y = x * 2
        y[0] = y[1].exp()
        y[:, 2].mul_(y[:, 3].clone())
        z = y.sum(0)
        z[1:].sub_(1)
        return z

    check_op(fn, array((3, 4), low=-1, high=1), gradgradcheck_=True)


def test_saved_views_invalidated_by_the_op_itself():
    """a.mul_(b) with b a view of a's base: the op's own write makes b's saved value stale."""
    def fn(lib, x):
        y = x.exp()
        y[:, 2].mul_(y[:, 3])
        y.sum().backward()

    def saved_output(lib, x):
        y = (x + 0).exp_()
        y.sub_(1)
        y.sum().backward()

    for f in (fn, saved_output):
        h, t = run_both(f, (huoba.ones(3, 4, requires_grad=True),), (torch.ones(3, 4, requires_grad=True),))
        assert isinstance(t, RuntimeError) and isinstance(h, RuntimeError)
        assert str(h).split(" is at version")[0].split("], which")[0] == \
            str(t).split(" is at version")[0].split("], which")[0]
        assert str(h).split("is at version")[1] == str(t).split("is at version")[1]


def test_in_place_with_requires_grad_other_on_plain_tensor():
    def fn(lib, w):
        y = lib.zeros(3, dtype=w.dtype)
        y.add_(w)
        y[0] = w[1] * 3
        return y

    check_op(fn, array((3,), seed=3))

"""Shape ops and views against PyTorch: which ops share memory (a write through one is seen
through the other, `add_` on the base is seen through views and through `numpy()`),
strides, contiguity, storage offsets, values, grad_fn names, gradients, errors."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from _optable import torch, huoba, array, check_op, check_same, check_error, assert_same  # noqa: E402

# NumPy's floating-point warnings (log(0), 1/0, ...) are silenced inside huoba, but pytest
# resets warning filters around each test
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

# ops that return views in PyTorch: fn(lib, x) on x of shape (2, 3, 4)
VIEWS = {
    "view": lambda lib, x: x.view(6, 4),
    "view_infer": lambda lib, x: x.view(-1, 8),
    "view_size": lambda lib, x: x.view(lib.Size([4, 6])),
    "view_as": lambda lib, x: x.view_as(lib.empty(24)),
    "reshape": lambda lib, x: x.reshape(4, -1),
    "reshape_tuple": lambda lib, x: x.reshape((3, 8)),
    "transpose": lambda lib, x: x.transpose(0, 2),
    "swapaxes": lambda lib, x: x.swapaxes(1, 2),
    "permute": lambda lib, x: x.permute(2, 0, 1),
    "permute_tuple": lambda lib, x: x.permute((1, 2, 0)),
    "movedim": lambda lib, x: lib.movedim(x, 0, -1),
    "t": lambda lib, x: x[0].t(),
    "T": lambda lib, x: x[0].T,
    "mT": lambda lib, x: x.mT,
    "squeeze": lambda lib, x: x[:, :1].squeeze(),
    "squeeze_dim": lambda lib, x: x[:, :1].squeeze(1),
    "squeeze_dims": lambda lib, x: x[:1, :1].squeeze((0, 1)),
    "squeeze_noop": lambda lib, x: x.squeeze(0),
    "unsqueeze": lambda lib, x: x.unsqueeze(1),
    "unsqueeze_neg": lambda lib, x: x.unsqueeze(-1),
    "flatten": lambda lib, x: x.flatten(),
    "flatten_range": lambda lib, x: x.flatten(1),
    "unflatten": lambda lib, x: x.unflatten(2, (2, 2)),
    "expand": lambda lib, x: x[:, :1].expand(2, 5, 4),
    "expand_new_dims": lambda lib, x: x[0, 0].expand(3, 4),
    "expand_as": lambda lib, x: x[:1].expand_as(x),
    "broadcast_to": lambda lib, x: lib.broadcast_to(x[:, :, :1], (2, 3, 5)),
    "narrow": lambda lib, x: x.narrow(2, 1, 2),
    "narrow_neg": lambda lib, x: lib.narrow(x, 1, -2, 2),
    "select": lambda lib, x: x.select(1, 2),
    "index_int": lambda lib, x: x[1],
    "index_col": lambda lib, x: x[:, 1],
    "slice_step": lambda lib, x: x[:, ::2, 1:],
    "ellipsis": lambda lib, x: x[..., 1],
    "none": lambda lib, x: x[None, :, None],
    "split": lambda lib, x: x.split(2, dim=2)[1],
    "chunk": lambda lib, x: x.chunk(2, 1)[0],
    "unbind": lambda lib, x: x.unbind(1)[2],
    "tensor_split": lambda lib, x: x.tensor_split(3, dim=2)[1],
    "diagonal": lambda lib, x: x.diagonal(0, 1, 2),
    "diagonal_offset": lambda lib, x: x.diagonal(1, -1, -2),
    "detach": lambda lib, x: x.detach(),
    "alias": lambda lib, x: x[...],
}


def _strided_facts(t):
    return (tuple(t.shape), tuple(t.stride()), t.is_contiguous(), t.storage_offset())


@pytest.mark.parametrize("name", list(VIEWS))
def test_view_values_strides_and_gradients(name):
    fn = VIEWS[name]
    x = array((2, 3, 4))
    check_op(fn, x, gradgradcheck_=name in ("view", "transpose", "expand", "index_col"))
    h = fn(huoba, huoba.tensor(x))
    t = fn(torch, torch.tensor(x))
    assert _strided_facts(h) == _strided_facts(t)


@pytest.mark.parametrize("name", list(VIEWS))
def test_view_shares_memory_both_ways(name):
    fn = VIEWS[name]
    x = array((2, 3, 4))
    results = {}
    for lib in (torch, huoba):
        base = lib.tensor(x)
        v = fn(lib, base)
        base.mul_(2)                  # the base's in-place op is seen through the view
        seen = v.clone()
        if not (name.startswith("expand") or name == "broadcast_to"):
            v.add_(1)                 # the view's in-place op is seen through the base
        arr = base.numpy()
        arr *= 10                     # and so is a write through numpy()
        results[lib] = (seen, v.clone(), base.clone(), v._version, base._version)
    assert_same(results[huoba], results[torch], check_grad_fn=False)


def test_expanded_view_in_place_writes():
    check_error(lambda lib: lib.ones(1, 3).expand(2, 3).add_(1))
    check_error(lambda lib: lib.ones(1, 3).expand(2, 3).copy_(lib.zeros(2, 3)))
    check_error(lambda lib: lib.ones(1, 3).expand(2, 3).exp_())

    def fills(lib):  # every copy of an element gets the same value: allowed
        x = lib.ones(1, 3)
        x.expand(2, 3).zero_()
        y = lib.ones(3)
        y.expand(4, 3).fill_(7)
        return x, y

    check_same(fills)


def test_reshape_copies_only_when_needed():
    for lib in (torch, huoba):
        x = lib.arange(12.0).view(3, 4)
        r = x.t().reshape(12)          # needs a copy
        r[0] = 100
        assert x[0, 0].item() == 0
        c = x.reshape(4, 3)            # a view
        c[0, 0] = 7
        assert x[0, 0].item() == 7
    check_op(lambda lib, x: x.t().reshape(-1), array((3, 4)))
    check_op(lambda lib, x: x.t().flatten(), array((3, 4)))
    check_error(lambda lib: lib.ones(3, 4).t().view(12))
    check_error(lambda lib: lib.ones(3, 4).view(5, -1))
    check_error(lambda lib: lib.ones(3, 4).view(-1, -1))
    check_error(lambda lib: lib.ones(3, 4).reshape(7))


def test_contiguous_and_strides_of_copies():
    x = array((2, 3, 4))
    for f in (lambda lib, t: t.transpose(0, 1).contiguous(), lambda lib, t: t.contiguous(),
              lambda lib, t: t[:, :1].expand(2, 3, 4).contiguous(), lambda lib, t: t.permute(2, 1, 0).clone()):
        check_op(f, x)
        h, t = f(huoba, huoba.tensor(x)), f(torch, torch.tensor(x))
        assert _strided_facts(h) == _strided_facts(t)
    for lib in (torch, huoba):
        a = lib.ones(2, 3)
        assert a.contiguous() is a


def test_detach_shares_memory_and_version():
    for lib in (torch, huoba):
        x = lib.ones(3, requires_grad=True)
        d = x.detach()
        assert not d.requires_grad and d.grad_fn is None
        d.add_(1)
        assert x._version == 1 and x[0].item() == 2.0
        dd = x.data
        dd.add_(1)
        assert x._version == 1 and x[0].item() == 3.0


# ---- joining and splitting -------------------------------------------------------------------
COPIES = {
    "cat0": lambda lib, a, b: lib.cat([a, b]),
    "cat1": lambda lib, a, b: lib.cat((a, b), dim=1),
    "cat_neg": lambda lib, a, b: lib.cat([a, a, b], -1),
    "concat": lambda lib, a, b: lib.concat([a, b]),
    "stack": lambda lib, a, b: lib.stack([a, b]),
    "stack_last": lambda lib, a, b: lib.stack((a, b), dim=-1),
    "hstack": lambda lib, a, b: lib.hstack([a, b]),
    "vstack": lambda lib, a, b: lib.vstack([a, b]),
    "split_sizes": lambda lib, a, b: a.split([1, 2], dim=1),
    "split": lambda lib, a, b: lib.split(a, 2, 1),
    "chunk": lambda lib, a, b: a.chunk(3, 1),
    "unbind": lambda lib, a, b: a.unbind(1),
    "repeat": lambda lib, a, b: a.repeat(2, 1, 3),
    "tile": lambda lib, a, b: a.tile((2,)),
    "flip": lambda lib, a, b: a.flip(0, 1),
    "fliplr": lambda lib, a, b: a.fliplr(),
    "flipud": lambda lib, a, b: lib.flipud(a),
    "roll": lambda lib, a, b: a.roll(1, 1),
    "roll_multi": lambda lib, a, b: a.roll((1, -1), (0, 1)),
    "roll_flat": lambda lib, a, b: lib.roll(a, 2),
    "tril": lambda lib, a, b: a.tril(),
    "triu": lambda lib, a, b: lib.triu(a, 1),
    "tril_neg": lambda lib, a, b: a.tril(-1),
    "repeat_interleave": lambda lib, a, b: a.repeat_interleave(2, dim=0),
    "diag_vector": lambda lib, a, b: lib.diag(a[0]),
    "diag_matrix": lambda lib, a, b: lib.diag(a, 1),
    "diag_embed": lambda lib, a, b: lib.diag_embed(a),
    "clone": lambda lib, a, b: a.clone(),
    "to_double": lambda lib, a, b: a.double(),
    "to_half": lambda lib, a, b: a.to(lib.float16),
    "type_as": lambda lib, a, b: a.type_as(b.double()),
    "atleast_3d": lambda lib, a, b: lib.atleast_3d(a),
    "column_stack": lambda lib, a, b: lib.column_stack([a[0], b[0]]),
    "dstack": lambda lib, a, b: lib.dstack([a, b]),
}


@pytest.mark.parametrize("name", list(COPIES))
def test_joining_splitting_and_copies(name):
    a, b = array((2, 3), seed=1), array((2, 3), seed=2)
    half = name == "to_half"
    check_op(COPIES[name], a, b, grad_atol=2e-3 if half else None, grad_rtol=2e-3 if half else None,
             gradcheck_=not half)


def test_split_views_share_memory():
    def fn(lib):
        x = lib.zeros(4, 3)
        parts = x.split(2)
        parts[1].fill_(1)
        chunks = x.chunk(2, dim=1)
        chunks[0].add_(5)
        rows = x.unbind(0)
        rows[0].add_(1)
        return x

    check_same(fn)


def test_cat_promotes_and_skips_empty():
    check_same(lambda lib: lib.cat([lib.ones(2, dtype=lib.int64), lib.ones(2)]))
    check_same(lambda lib: lib.cat([lib.ones(2, dtype=lib.uint8), lib.ones(1, dtype=lib.int8)]))
    check_same(lambda lib: lib.cat([lib.ones(2, 3), lib.tensor([])]))
    check_same(lambda lib: lib.stack([lib.ones(2, dtype=lib.float16), lib.ones(2, dtype=lib.float64)]))
    check_same(lambda lib: lib.cat([lib.ones(0, 3), lib.ones(2, 3)]))


def test_shape_errors():
    for f in (lambda lib: lib.cat([lib.ones(2, 3), lib.ones(2, 4)]),
              lambda lib: lib.cat([lib.ones(2, 3), lib.ones(3)], dim=0),
              lambda lib: lib.cat([]),
              lambda lib: lib.cat([lib.tensor(1.0), lib.tensor(2.0)]),
              lambda lib: lib.cat([lib.ones(2)], dim=1),
              lambda lib: lib.stack([lib.ones(2), lib.ones(3)]),
              lambda lib: lib.stack([]),
              lambda lib: lib.ones(2, 3).permute(0, 1, 2),
              lambda lib: lib.ones(2, 3).permute(0, 0),
              lambda lib: lib.ones(2, 3).transpose(0, 2),
              lambda lib: lib.ones(2, 3, 4).t(),
              lambda lib: lib.ones(2, 3).squeeze(3),
              lambda lib: lib.ones(2, 3).unsqueeze(3),
              lambda lib: lib.ones(2, 3).expand(3, 3),
              lambda lib: lib.ones(2, 3).expand(3),
              lambda lib: lib.ones(2, 3).expand(-1, 2, 3),
              lambda lib: lib.ones(2, 3).narrow(1, 2, 2),
              lambda lib: lib.ones(2, 3).narrow(1, 5, 1),
              lambda lib: lib.tensor(1.0).narrow(0, 0, 1),
              lambda lib: lib.ones(2, 3).flatten(1, 0),
              lambda lib: lib.ones(2, 3).unflatten(1, (2, 2)),
              lambda lib: lib.ones(2, 3).split([1, 1], 1),
              lambda lib: lib.ones(2, 3).chunk(0),
              lambda lib: lib.ones(2, 3).repeat(2),
              lambda lib: lib.ones(2, 3).roll((1, 2), (0,)),
              lambda lib: lib.ones(2, 3).view(2, 2),
              lambda lib: lib.ones(2, 3).movedim(0, 2),
              lambda lib: lib.ones(2, 3).flip(2)):
        check_error(f)


def test_chunk_and_split_sizes():
    for n in (1, 2, 3, 4, 6, 7):
        check_same(lambda lib: [t.shape for t in lib.arange(6).chunk(n)])
        check_same(lambda lib: [t.shape for t in lib.arange(6).split(n)])
        check_same(lambda lib: [t.tolist() for t in lib.arange(6).tensor_split(n)])
    check_same(lambda lib: [t.shape for t in lib.ones(0, 2).chunk(3)])
    check_same(lambda lib: [t.tolist() for t in lib.arange(7).tensor_split([2, 5])])


def test_size_and_dim_queries():
    for f in (lambda lib: lib.ones(2, 3, 4).size(), lambda lib: lib.ones(2, 3, 4).size(-1),
              lambda lib: lib.ones(2, 3, 4).shape[1:], lambda lib: lib.ones(2, 3).dim(),
              lambda lib: lib.ones(2, 3).ndim, lambda lib: len(lib.ones(5, 2)), lambda lib: lib.ones(2, 3).size(2),
              lambda lib: repr(lib.ones(2, 3).size()), lambda lib: lib.ones(2, 3).shape == (2, 3),
              lambda lib: lib.ones(2, 3).element_size(), lambda lib: lib.ones(2, dtype=lib.int16).element_size()):
        h, t = None, None
        try:
            t = f(torch)
        except Exception as e:  # noqa: BLE001
            t = e
        try:
            h = f(huoba)
        except Exception as e:  # noqa: BLE001
            h = e
        if isinstance(t, Exception):
            assert type(h) is type(t) and str(h) == str(t)
        else:
            assert h == t and type(h).__name__ == type(t).__name__


def test_in_place_shape_ops():
    def fn(lib, x):
        a = x.clone()
        b = a.t_()
        c = x.clone().unsqueeze_(0)
        d = x.clone()[:, :1].squeeze_()
        e = x.clone().transpose_(0, 1)
        return b is a, a, c, d, e

    check_same(fn, array((2, 3)))

    def grads(lib, x):
        y = x * 1
        y.t_()
        y.unsqueeze_(0)
        return y

    check_op(grads, array((2, 3)))

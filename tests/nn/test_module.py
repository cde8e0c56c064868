"""nn.Module, Parameter and the containers, compared with PyTorch as users see them."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import huoba
import huoba.nn as hnn
import huoba.nn.functional as HF

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional

from nn_helpers import to_np, copy_weights  # noqa: E402


def _both(fn):
    """Run fn(nn, F, lib) for huoba and torch; return both results."""
    return fn(hnn, HF, huoba), fn(tnn, TF, torch)


def _err(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return None


def _same_error(fn):
    """fn(nn, F, lib) raises the same exception type and message in huoba and torch."""
    a = _err(lambda: fn(hnn, HF, huoba))
    b = _err(lambda: fn(tnn, TF, torch))
    assert b is not None, "torch raised nothing"
    assert a == b


# ---- the networks of the seed labs ------------------------------------------------------------
def lenet(nn):
    class Network(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(in_channels=1, out_channels=6, kernel_size=5)
            self.conv2 = nn.Conv2d(in_channels=6, out_channels=12, kernel_size=5)
            self.fc1 = nn.Linear(in_features=12 * 4 * 4, out_features=120)
            self.fc2 = nn.Linear(in_features=120, out_features=60)
            self.out = nn.Linear(in_features=60, out_features=10)

        def forward(self, t):
            F = huoba.nn.functional if nn is hnn else torch.nn.functional
            t = F.max_pool2d(F.relu(self.conv1(t)), kernel_size=2, stride=2)
            t = F.max_pool2d(F.relu(self.conv2(t)), kernel_size=2, stride=2)
            t = t.reshape(-1, 12 * 4 * 4)
            t = F.relu(self.fc1(t))
            t = F.relu(self.fc2(t))
            return self.out(t)
    return Network()


def lenet_pool_layers(nn):
    class Network1(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(in_channels=1, out_channels=6, kernel_size=5)
            self.conv2 = nn.Conv2d(in_channels=6, out_channels=12, kernel_size=5)
            self.pool1 = nn.MaxPool2d(kernel_size=2, stride=2)
            self.pool2 = nn.MaxPool2d(kernel_size=2, stride=2)
            self.fc1 = nn.Linear(in_features=192, out_features=120)
            self.fc2 = nn.Linear(in_features=120, out_features=60)
            self.out = nn.Linear(in_features=60, out_features=10)
    return Network1()


def fashion_cnn(nn):
    class Network3(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(in_channels=1, out_channels=6, kernel_size=5)
            self.conv2 = nn.Conv2d(in_channels=6, out_channels=12, kernel_size=5)
            self.conv3 = nn.Conv2d(in_channels=12, out_channels=24, kernel_size=2, padding=1)
            self.fc1 = nn.Linear(in_features=96, out_features=120)
            self.fc2 = nn.Linear(in_features=120, out_features=60)
            self.out = nn.Linear(in_features=60, out_features=10)
    return Network3()


def mlp(nn):
    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10), nn.ReLU())

        def forward(self, x):
            return self.linear_relu_stack(self.flatten(x))
    return NeuralNetwork()


def cifar_net(nn):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)
    return Net()


def blitz_net(nn):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 3)
            self.conv2 = nn.Conv2d(6, 16, 3)
            self.fc1 = nn.Linear(16 * 6 * 6, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)
    return Net()


SEED_NETS = [lenet, lenet_pool_layers, fashion_cnn, mlp, cifar_net, blitz_net]


@pytest.mark.parametrize("make", SEED_NETS, ids=lambda f: f.__name__)
def test_seed_network_repr_params_and_state_dict(make):
    hm, tm = make(hnn), make(tnn)
    assert repr(hm) == repr(tm)
    assert str(hm) == str(tm)
    hp = [(n, tuple(p.shape)) for n, p in hm.named_parameters()]
    tp = [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
    assert hp == tp
    hs, ts = hm.state_dict(), tm.state_dict()
    assert type(hs) is OrderedDict
    assert [(k, str(v.shape)) for k, v in hs.items()] == [(k, str(v.shape)) for k, v in ts.items()]
    assert sum(p.numel() for p in hm.parameters()) == sum(p.numel() for p in tm.parameters())
    assert [type(m).__name__ for m in hm.modules()] == [type(m).__name__ for m in tm.modules()]
    assert [n for n, _ in hm.named_modules()] == [n for n, _ in tm.named_modules()]
    assert [n for n, _ in hm.named_children()] == [n for n, _ in tm.named_children()]


@pytest.mark.parametrize("make", SEED_NETS, ids=lambda f: f.__name__)
def test_seed_network_init_matches_torch_bit_for_bit(make):
    huoba.manual_seed(0)
    torch.manual_seed(0)
    hm, tm = make(hnn), make(tnn)
    for (k, a), (k2, b) in zip(hm.state_dict().items(), tm.state_dict().items()):
        assert k == k2
        assert np.array_equal(to_np(a), to_np(b)), k


def test_mlp_forward_backward_matches_torch():
    hm, tm = mlp(hnn), mlp(tnn)
    copy_weights(tm, hm)
    x = np.random.default_rng(0).standard_normal((3, 28, 28)).astype(np.float32)
    y = np.array([1, 2, 3])
    hl = HF.cross_entropy(hm(huoba.tensor(x)), huoba.tensor(y))
    tl = TF.cross_entropy(tm(torch.tensor(x)), torch.tensor(y))
    np.testing.assert_allclose(hl.item(), tl.item(), rtol=1e-5)
    assert hl.grad_fn.name() == tl.grad_fn.name() == "NllLossBackward0"
    hl.backward()
    tl.backward()
    for (n, p), (_, q) in zip(hm.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(to_np(p.grad), to_np(q.grad), rtol=1e-4, atol=1e-6, err_msg=n)


def test_mlp_prediction_softmax():
    hm = mlp(hnn)
    logits = hm(huoba.rand(1, 28, 28))
    prob = hnn.Softmax(dim=1)(logits)
    assert prob.shape == (1, 10)
    np.testing.assert_allclose(prob.sum().item(), 1.0, rtol=1e-6)


# ---- Parameter ------------------------------------------------------------------------------------
def test_parameter_basics():
    t = huoba.tensor([1.0, 2.0])
    p = hnn.Parameter(t)
    assert isinstance(p, huoba.Tensor) and isinstance(p, hnn.Parameter)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    p.data[0] = 5
    assert t[0].item() == 5  # shares memory
    assert not hnn.Parameter(t, requires_grad=False).requires_grad
    with huoba.no_grad():
        assert hnn.Parameter(t).requires_grad
    assert repr(hnn.Parameter(huoba.tensor([1.0, 2.0]))) == repr(tnn.Parameter(torch.tensor([1.0, 2.0])))
    assert repr(hnn.Parameter(huoba.ones(2, 2), False)) == repr(tnn.Parameter(torch.ones(2, 2), False))
    assert hnn.Parameter().shape == (0,)
    q = p * 2
    assert type(q) is huoba.Tensor
    assert type(p.detach()) is huoba.Tensor
    _same_error(lambda nn, F, lib: nn.Parameter(lib.tensor([1, 2])))


def test_parameter_deepcopy():
    p = hnn.Parameter(huoba.tensor([1.0, 2.0]))
    q = copy.deepcopy(p)
    assert type(q) is hnn.Parameter and q.requires_grad
    q.data[0] = 7
    assert p[0].item() == 1


# ---- registration and attribute errors ----------------------------------------------------------
def test_setattr_registration():
    m = hnn.Module()
    m.w = hnn.Parameter(huoba.ones(2))
    m.sub = hnn.Linear(2, 2)
    m.register_buffer("buf", huoba.zeros(3))
    m.register_buffer("tmp", huoba.zeros(1), persistent=False)
    m.plain = huoba.ones(1)
    assert list(m._parameters) == ["w"]
    assert list(m._modules) == ["sub"]
    assert list(m._buffers) == ["buf", "tmp"]
    assert "plain" in m.__dict__
    assert list(m.state_dict()) == ["w", "buf", "sub.weight", "sub.bias"]
    m.buf = huoba.ones(3)
    assert m._buffers["buf"][0].item() == 1
    m.w = None
    assert m._parameters["w"] is None and list(m.parameters())[0] is m.sub.weight
    del m.sub
    assert "sub" not in m._modules
    del m.buf
    assert "buf" not in m._buffers


@pytest.mark.parametrize("case", [
    lambda nn, F, lib: setattr(nn.Linear(2, 2), "weight", lib.ones(2, 2)),
    lambda nn, F, lib: setattr(nn.Sequential(nn.ReLU()), "0", 3),
    lambda nn, F, lib: nn.Linear(2, 2).foo,
    lambda nn, F, lib: nn.Linear(2, 2).register_buffer("weight", lib.ones(1)),
    lambda nn, F, lib: nn.Linear(2, 2).register_buffer("a.b", lib.ones(1)),
    lambda nn, F, lib: nn.Linear(2, 2).register_buffer("", lib.ones(1)),
    lambda nn, F, lib: nn.Linear(2, 2).register_buffer("x", 3),
    lambda nn, F, lib: nn.Linear(2, 2).register_buffer(1, lib.ones(1)),
    lambda nn, F, lib: nn.Linear(2, 2).register_parameter("x", lib.ones(1)),
    lambda nn, F, lib: nn.Linear(2, 2).register_parameter("in_features", nn.Parameter(lib.ones(1))),
    lambda nn, F, lib: nn.Linear(2, 2).register_parameter("x.y", None),
    lambda nn, F, lib: nn.Linear(2, 2).add_module("x", 3),
    lambda nn, F, lib: nn.Linear(2, 2).add_module("x.y", nn.ReLU()),
    lambda nn, F, lib: nn.Linear(2, 2).add_module("", nn.ReLU()),
    lambda nn, F, lib: nn.Linear(2, 2).add_module("weight", nn.ReLU()),
    lambda nn, F, lib: nn.Sequential(nn.ReLU()).get_submodule("0.foo"),
    lambda nn, F, lib: nn.Sequential(nn.Linear(1, 1)).get_submodule("0.weight"),
    lambda nn, F, lib: nn.Sequential(nn.Linear(1, 1)).get_parameter("0.foo"),
    lambda nn, F, lib: nn.Sequential(nn.Linear(1, 1)).get_parameter("0.in_features"),
    lambda nn, F, lib: nn.Linear(1, 1).train("yes"),
    lambda nn, F, lib: nn.Linear(1, 1).to(lib.int64),
    lambda nn, F, lib: nn.Module()(1),
    lambda nn, F, lib: nn.Module(3),
    lambda nn, F, lib: nn.Module(foo=3),
    lambda nn, F, lib: nn.ParameterList([lib.ones(1)])(),
    lambda nn, F, lib: nn.Linear(2, 2).load_state_dict([1, 2]),
])
def test_module_errors_match_torch(case):
    _same_error(case)


def test_assign_before_init_errors():
    def make(nn, lib, what):
        class Bad(nn.Module):
            def __init__(self):
                if what == "module":
                    self.fc = nn.Linear(1, 1)
                elif what == "param":
                    self.p = nn.Parameter(lib.ones(1))
                else:
                    self.register_buffer("b", lib.ones(1))
                super().__init__()
        return Bad()

    for what in ("module", "param", "buffer"):
        _same_error(lambda nn, F, lib: make(nn, lib, what))


def test_getattr_error_message():
    class Net(hnn.Module):
        pass
    with pytest.raises(AttributeError, match="^'Net' object has no attribute 'foo'$"):
        Net().foo


def test_dir_lists_members():
    m = hnn.Linear(2, 3)
    d = dir(m)
    for name in ("weight", "bias", "forward", "in_features", "training", "state_dict"):
        assert name in d
    s = hnn.Sequential(hnn.ReLU())
    assert "0" not in dir(s)


# ---- iteration -------------------------------------------------------------------------------------
def _net(nn):
    shared = nn.Linear(2, 2)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = shared
            self.b = nn.Sequential(shared, nn.ReLU(), nn.BatchNorm1d(2))
            self.register_buffer("steps", (huoba if nn is hnn else torch).zeros(1))
            self.empty = None
    return Net()


def test_named_members_recurse_prefix_duplicates():
    hm, tm = _net(hnn), _net(tnn)
    for kw in (dict(), dict(prefix="m"), dict(recurse=False), dict(remove_duplicate=False)):
        assert [n for n, _ in hm.named_parameters(**kw)] == [n for n, _ in tm.named_parameters(**kw)], kw
        assert [n for n, _ in hm.named_buffers(**kw)] == [n for n, _ in tm.named_buffers(**kw)], kw
    for kw in (dict(), dict(prefix="m"), dict(remove_duplicate=False)):
        assert [n for n, _ in hm.named_modules(**kw)] == [n for n, _ in tm.named_modules(**kw)], kw
    assert [n for n, _ in hm.named_children()] == [n for n, _ in tm.named_children()]
    assert len(list(hm.parameters())) == len(list(tm.parameters()))
    assert len(list(hm.buffers())) == len(list(tm.buffers()))
    assert len(list(hm.children())) == len(list(tm.children()))
    assert hm.get_submodule("b.2") is hm.b[2]
    assert hm.get_parameter("b.0.weight") is hm.a.weight
    assert hm.get_buffer("b.2.running_mean") is hm.b[2].running_mean
    assert list(hm.state_dict()) == list(tm.state_dict())


# ---- state_dict / load_state_dict -------------------------------------------------------------------
def test_state_dict_entries_are_detached_and_share_memory():
    m = hnn.Linear(3, 2)
    sd = m.state_dict()
    w = sd["weight"]
    assert type(w) is huoba.Tensor and not w.requires_grad and w.grad_fn is None
    w[0, 0] = 42.0
    assert m.weight[0, 0].item() == 42.0
    kv = m.state_dict(keep_vars=True)
    assert kv["weight"] is m.weight
    sd2 = m.state_dict(prefix="fc.")
    assert list(sd2) == ["fc.weight", "fc.bias"]
    assert sd._metadata[""] == {"version": 1}


def test_state_dict_metadata_matches_torch():
    hm, tm = _net(hnn), _net(tnn)
    assert dict(hm.state_dict()._metadata) == dict(tm.state_dict()._metadata)


def test_load_state_dict_roundtrip_and_result():
    src, dst = mlp(hnn), mlp(hnn)
    res = dst.load_state_dict(src.state_dict())
    assert repr(res) == "<All keys matched successfully>"
    assert str(res) == "<All keys matched successfully>"
    assert res.missing_keys == [] and res.unexpected_keys == []
    for a, b in zip(src.parameters(), dst.parameters()):
        assert np.array_equal(to_np(a), to_np(b))
        assert a is not b


def _load(nn, lib, sd_fn, strict=True, assign=False):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 2)
            self.bn = nn.BatchNorm1d(2)
    m = Net()
    sd = m.state_dict()
    sd = sd_fn(sd, lib)
    return repr(m.load_state_dict(sd, strict=strict, assign=assign))


@pytest.mark.parametrize("mutate", [
    lambda sd, lib: {k: v for k, v in sd.items() if k != "fc.bias"},
    lambda sd, lib: dict(sd, extra=lib.ones(1)),
    lambda sd, lib: dict(sd, **{"fc.extra": lib.ones(1), "other.weight": lib.ones(1)}),
    lambda sd, lib: dict({k: v for k, v in sd.items() if not k.startswith("bn")}, foo=lib.ones(1)),
    lambda sd, lib: dict(sd, **{"fc.weight": lib.ones(4, 3)}),
    lambda sd, lib: dict(sd, **{"fc.weight": lib.ones(4, 3), "fc.bias": lib.ones(3)}),
    lambda sd, lib: dict({k: v for k, v in sd.items() if k != "fc.bias"}, **{"fc.weight": lib.ones(4, 3)}),
    lambda sd, lib: dict(sd, **{"fc.weight": 3}),
])
@pytest.mark.parametrize("strict", [True, False])
def test_load_state_dict_errors_match_torch(mutate, strict):
    a = _err(lambda: _load(hnn, huoba, mutate, strict))
    b = _err(lambda: _load(tnn, torch, mutate, strict))
    if b is None:
        assert _load(hnn, huoba, mutate, strict) == _load(tnn, torch, mutate, strict)
    else:
        assert a == b


def test_load_state_dict_missing_num_batches_tracked_old_version():
    m = hnn.BatchNorm1d(3)
    sd = m.state_dict()
    del sd["num_batches_tracked"]
    sd._metadata[""]["version"] = 1
    assert repr(m.load_state_dict(sd)) == "<All keys matched successfully>"


def test_load_state_dict_assign():
    m = hnn.Linear(2, 2)
    new = {"weight": huoba.ones(2, 2), "bias": huoba.zeros(2)}
    m.load_state_dict(new, assign=True)
    assert isinstance(m.weight, hnn.Parameter) and m.weight.requires_grad
    new["weight"][0, 0] = 9
    assert m.weight[0, 0].item() == 9  # assigned, not copied
    m2 = hnn.Linear(2, 2)
    w = m2.weight
    m2.load_state_dict(new)
    assert m2.weight is w and w[0, 0].item() == 9


def test_load_state_dict_from_torch_checkpoint_values():
    tm = mlp(tnn)
    hm = mlp(hnn)
    copy_weights(tm, hm)
    x = np.random.default_rng(1).standard_normal((2, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(to_np(hm(huoba.tensor(x))), to_np(tm(torch.tensor(x))), rtol=1e-5, atol=1e-6)


def test_state_dict_hooks():
    m = hnn.Linear(2, 2)
    seen = []
    h1 = m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: seen.append(("pre", prefix)))
    h2 = m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: seen.append(("post", list(sd))))
    m.state_dict()
    assert seen == [("pre", ""), ("post", ["weight", "bias"])]
    h1.remove()
    h2.remove()
    m.state_dict()
    assert len(seen) == 2
    calls = []
    m.register_load_state_dict_post_hook(lambda mod, keys: calls.append(list(keys.missing_keys)))
    m.load_state_dict({"weight": huoba.ones(2, 2)}, strict=False)
    assert calls == [["bias"]]


# ---- hooks -----------------------------------------------------------------------------------------
def test_forward_hooks():
    for nn, lib in ((hnn, huoba), (tnn, torch)):
        m = nn.Linear(2, 2)
        log = []

        def pre(mod, args):
            log.append(("pre", len(args)))
            return (args[0] * 2,)

        def post(mod, args, out):
            log.append(("post", tuple(out.shape)))
            return out + 1

        h1 = m.register_forward_pre_hook(pre)
        h2 = m.register_forward_hook(post)
        x = lib.ones(1, 2)
        with lib.no_grad():
            out = m(x)
            ref = m.weight.sum(1) * 2 + m.bias + 1
        assert np.allclose(to_np(out)[0], to_np(ref))
        assert log == [("pre", 1), ("post", (1, 2))]
        h1.remove()
        h2.remove()
        with lib.no_grad():
            out = m(x)
        assert len(log) == 2


def test_forward_hooks_with_kwargs_prepend_and_always_call():
    m = hnn.Linear(2, 2)
    order = []
    m.register_forward_hook(lambda mod, a, o: order.append("second"))
    m.register_forward_hook(lambda mod, a, o: order.append("first"), prepend=True)
    m.register_forward_pre_hook(lambda mod, a, kw: (a, kw), with_kwargs=True)
    m.register_forward_hook(lambda mod, a, kw, o: order.append(("kw", kw)), with_kwargs=True)
    m(huoba.ones(1, 2))
    assert order == ["first", "second", ("kw", {})]

    class Boom(hnn.Module):
        def forward(self, x):
            raise ValueError("boom")
    b = Boom()
    called = []
    b.register_forward_hook(lambda mod, a, o: called.append(o), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        b(huoba.ones(1))
    assert called == [None]


def test_global_forward_hook():
    seen = []
    handle = hnn.modules.module.register_module_forward_hook(lambda m, a, o: seen.append(type(m).__name__))
    try:
        hnn.Sequential(hnn.ReLU())(huoba.ones(1))
    finally:
        handle.remove()
    assert seen == ["ReLU", "Sequential"]
    hnn.ReLU()(huoba.ones(1))
    assert len(seen) == 2


def test_full_backward_hook_matches_torch():
    results = {}
    for name, nn, lib in (("h", hnn, huoba), ("t", tnn, torch)):
        if name == "h":
            huoba.manual_seed(3)
        else:
            torch.manual_seed(3)
        m = nn.Linear(3, 2)
        got = []

        def hook(mod, gin, gout):
            got.append(([None if g is None else to_np(g).copy() for g in gin], [to_np(g).copy() for g in gout]))

        def pre(mod, gout):
            got.append(("pre", [to_np(g).copy() for g in gout]))

        m.register_full_backward_pre_hook(pre)
        m.register_full_backward_hook(hook)
        x = lib.tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3), requires_grad=True)
        (m(x) * lib.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
        results[name] = (got, to_np(x.grad))
    hg, hx = results["h"]
    tg, tx = results["t"]
    assert len(hg) == len(tg) == 2
    assert hg[0][0] == "pre"
    np.testing.assert_allclose(hg[0][1][0], tg[0][1][0])
    np.testing.assert_allclose(hg[1][0][0], tg[1][0][0], rtol=1e-6)
    np.testing.assert_allclose(hg[1][1][0], tg[1][1][0], rtol=1e-6)
    np.testing.assert_allclose(hx, tx, rtol=1e-6)


def test_full_backward_hook_can_replace_grad_input():
    m = hnn.Linear(2, 2)
    m.register_full_backward_hook(lambda mod, gin, gout: (gin[0] * 0,))
    x = huoba.ones(1, 2, requires_grad=True)
    m(x).sum().backward()
    assert np.all(to_np(x.grad) == 0)
    assert m.weight.grad is not None


def test_full_backward_hook_without_input_grad():
    m = hnn.Linear(2, 2)
    seen = []
    m.register_full_backward_hook(lambda mod, gin, gout: seen.append((gin, tuple(gout[0].shape))))
    m(huoba.ones(1, 2)).sum().backward()
    assert seen == [((None,), (1, 2))]


# ---- modes, gradients and conversion --------------------------------------------------------------
def test_train_eval():
    m = mlp(hnn)
    assert m.training and all(c.training for c in m.modules())
    assert m.eval() is m
    assert not any(c.training for c in m.modules())
    m.train()
    assert all(c.training for c in m.modules())
    m.linear_relu_stack.train(False)
    assert m.training and not m.linear_relu_stack[0].training


def test_zero_grad_and_requires_grad():
    m = hnn.Linear(2, 2)
    m(huoba.ones(1, 2)).sum().backward()
    assert m.weight.grad is not None
    m.zero_grad(set_to_none=False)
    assert np.all(to_np(m.weight.grad) == 0)
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None
    assert m.requires_grad_(False) is m
    assert not m.weight.requires_grad
    m.requires_grad_()
    assert m.weight.requires_grad


def test_apply_and_double_float_half():
    m = hnn.Sequential(hnn.Linear(2, 2), hnn.BatchNorm1d(2))
    names = []
    m.apply(lambda mod: names.append(type(mod).__name__))
    assert names == ["Linear", "BatchNorm1d", "Sequential"]
    w = m[0].weight
    m.double()
    assert m[0].weight is w and w.dtype == huoba.float64
    assert m[1].running_mean.dtype == huoba.float64
    assert m[1].num_batches_tracked.dtype == huoba.int64
    m.float()
    assert w.dtype == huoba.float32
    m.half()
    assert w.dtype == huoba.float16
    m.to(huoba.float64)
    assert w.dtype == huoba.float64
    m.to("cpu")
    m.to(device="cpu", dtype=huoba.float32)
    assert w.dtype == huoba.float32
    m.to(huoba.zeros(1, dtype=huoba.float64))
    assert w.dtype == huoba.float64
    assert m.cpu() is m
    m.type(huoba.float32)
    assert w.dtype == huoba.float32


def test_apply_keeps_grad_and_converts_it():
    m = hnn.Linear(2, 2)
    m(huoba.ones(1, 2)).sum().backward()
    m.double()
    assert m.weight.grad.dtype == huoba.float64


def test_deepcopy_and_pickle():
    m = _net(hnn)
    m2 = copy.deepcopy(m)
    assert repr(m2) == repr(m)
    assert m2.a is m2.b[0]  # sharing survives
    assert m2.a.weight is not m.a.weight
    assert np.array_equal(to_np(m2.a.weight), to_np(m.a.weight))
    x = huoba.ones(1, 2)
    m.eval()
    m2.eval()
    np.testing.assert_array_equal(to_np(m.b(x)), to_np(m2.b(x)))
    shared = hnn.Linear(2, 2)
    seq = hnn.Sequential(shared, hnn.ReLU(), shared, hnn.BatchNorm1d(2))
    seq(huoba.ones(3, 2)).sum().backward()
    try:
        data = pickle.dumps(seq)
    except Exception as e:  # serialization of tensors belongs to huoba.serialization
        pytest.skip(f"tensor pickling not available: {e}")
    m3 = pickle.loads(data)
    assert repr(m3) == repr(seq)
    assert isinstance(m3[0].weight, hnn.Parameter) and m3[0].weight.requires_grad
    assert m3[0] is m3[2]
    assert np.array_equal(to_np(m3[0].weight), to_np(seq[0].weight))
    assert np.array_equal(to_np(m3[3].running_mean), to_np(seq[3].running_mean))
    assert m3[3].num_batches_tracked.item() == 1


# ---- containers -------------------------------------------------------------------------------------
def test_sequential_behaviour_matches_torch():
    def build(nn):
        return nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid())
    hs, ts = build(hnn), build(tnn)
    assert repr(hs) == repr(ts)
    assert len(hs) == 4
    assert type(hs[0]).__name__ == "Linear" and type(hs[-1]).__name__ == "Sigmoid"
    assert repr(hs[1:3]) == repr(ts[1:3])
    assert isinstance(hs[1:3], hnn.Sequential)
    assert repr(hs[::-1]) == repr(ts[::-1])
    assert [type(m).__name__ for m in hs] == [type(m).__name__ for m in ts]
    _same_error(lambda nn, F, lib: build(nn)[4])
    _same_error(lambda nn, F, lib: build(nn)[-5])
    _same_error(lambda nn, F, lib: build(nn) + [1])
    _same_error(lambda nn, F, lib: build(nn).insert(9, nn.ReLU()))
    _same_error(lambda nn, F, lib: build(nn) * 0)
    _same_error(lambda nn, F, lib: build(nn) * 1.5)

    def ops(nn):
        s = build(nn)
        s.append(nn.Tanh())
        s.insert(1, nn.Dropout(0.1))
        s.insert(-1, nn.ELU())
        s.extend([nn.ReLU6()])
        popped = s.pop(0)
        del s[2]
        s[0] = nn.Identity()
        s2 = s + nn.Sequential(nn.Softmax(dim=1))
        s3 = nn.Sequential(nn.ReLU()) * 2
        s += nn.Sequential(nn.GELU())
        return repr(s) + repr(s2) + repr(s3) + repr(popped)
    assert ops(hnn) == ops(tnn)

    def od(nn):
        return nn.Sequential(OrderedDict([("conv", nn.Linear(1, 2)), ("act", nn.ReLU())]))
    assert repr(od(hnn)) == repr(od(tnn))
    assert od(hnn).act.__class__.__name__ == "ReLU"


def test_sequential_forward():
    s = hnn.Sequential(hnn.Linear(2, 3), hnn.ReLU(), hnn.Linear(3, 1))
    x = huoba.ones(4, 2)
    with huoba.no_grad():
        ref = s[2](s[1](s[0](x)))
        np.testing.assert_array_equal(to_np(s(x)), to_np(ref))


def test_modulelist_repr_collapses_repeats():
    def build(nn):
        return nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU(), nn.ReLU(), nn.Linear(1, 1)])
    assert repr(build(hnn)) == repr(build(tnn))

    def nested(nn):
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 4)
                self.act = nn.ReLU()

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks = nn.ModuleList([Block() for _ in range(3)])
                self.head = nn.Sequential(nn.Linear(4, 2), nn.LogSoftmax(dim=1))
        return Net()
    assert repr(nested(hnn)) == repr(nested(tnn))
    assert repr(hnn.ModuleList()) == repr(tnn.ModuleList()) == "ModuleList()"


def test_modulelist_ops_match_torch():
    def ops(nn):
        ml = nn.ModuleList([nn.Linear(1, 1), nn.ReLU()])
        ml.append(nn.Tanh())
        ml.extend([nn.Sigmoid(), nn.ELU()])
        ml.insert(1, nn.GELU())
        ml[0] = nn.Identity()
        del ml[2]
        p = ml.pop(-1)
        ml2 = ml + nn.ModuleList([nn.ReLU6()])
        ml += [nn.SiLU()]
        return repr(ml) + repr(ml2) + repr(ml[1:3]) + repr(p) + str(len(ml))
    assert ops(hnn) == ops(tnn)
    _same_error(lambda nn, F, lib: nn.ModuleList([nn.ReLU()])[3])
    _same_error(lambda nn, F, lib: nn.ModuleList(3))


def test_moduledict_matches_torch():
    def ops(nn):
        d = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Linear(1, 2)})
        d["c"] = nn.Tanh()
        d.update([("e", nn.ELU())])
        p = d.pop("b")
        return repr(d) + repr(p) + str(list(d.keys())) + str("a" in d) + str(len(d))
    assert ops(hnn) == ops(tnn)
    _same_error(lambda nn, F, lib: nn.ModuleDict([("a",)]))


def test_parameterlist_and_dict_match_torch():
    def ops(nn, lib):
        pl = nn.ParameterList([nn.Parameter(lib.ones(2, 3)), lib.zeros(4)])
        pl.append(nn.Parameter(lib.ones(1, dtype=lib.float64)))
        pd = nn.ParameterDict({"w": nn.Parameter(lib.ones(2)), "b": lib.zeros(3)})
        pd["c"] = nn.Parameter(lib.ones(1))

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.pl = pl
                self.pd = pd
        m = M()
        return (repr(m), [n for n, _ in m.named_parameters()], len(pl), list(pd.keys()),
                isinstance(pl[1], nn.Parameter), isinstance(pd["b"], nn.Parameter))
    assert ops(hnn, huoba) == ops(tnn, torch)


def test_identity_flatten_unflatten():
    assert repr(hnn.Identity(54, unused="x")) == repr(tnn.Identity(54, unused="x"))
    x = huoba.ones(2, 3, 4)
    assert hnn.Identity()(x) is x
    assert hnn.Flatten()(x).shape == (2, 12)
    assert hnn.Flatten(0, 1)(x).shape == (6, 4)
    assert hnn.Unflatten(1, (3, 1))(x).shape == (2, 3, 1, 4)
    assert repr(hnn.Unflatten(1, (2, 2))) == repr(tnn.Unflatten(1, (2, 2)))
    assert repr(hnn.Flatten(0, 2)) == repr(tnn.Flatten(0, 2))
    _same_error(lambda nn, F, lib: nn.Unflatten(1, 5))


def test_module_call_without_forward():
    _same_error(lambda nn, F, lib: nn.Module()(lib.ones(1)))


def test_extra_repr_custom_module():
    def build(nn):
        class MyLayer(nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = nn.Linear(1, 1)

            def extra_repr(self):
                return "scale=2\nshift=3"
        return nn.Sequential(MyLayer(), nn.ReLU())
    assert repr(build(hnn)) == repr(build(tnn))


def test_incompatible_keys_repr():
    hm, tm = hnn.Linear(2, 2), tnn.Linear(2, 2)
    hr = hm.load_state_dict({"weight": huoba.ones(2, 2), "extra": huoba.ones(1)}, strict=False)
    tr = tm.load_state_dict({"weight": torch.ones(2, 2), "extra": torch.ones(1)}, strict=False)
    assert repr(hr) == repr(tr)
    assert hr.missing_keys == ["bias"] and hr.unexpected_keys == ["extra"]
    missing, unexpected = hr
    assert missing == ["bias"]

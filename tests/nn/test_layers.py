"""Layers against their PyTorch twins: outputs, input gradients and parameter gradients."""
import warnings

import numpy as np
import pytest

import huoba
import huoba.nn as hnn
import huoba.nn.functional as HF

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional

from nn_helpers import check_module, assert_close, to_np, copy_weights  # noqa: E402

DTYPES = [np.float64, np.float32]
rng = np.random.default_rng(0)
X2 = rng.standard_normal((6, 5))
X3 = rng.standard_normal((4, 5, 7))
X4 = rng.standard_normal((3, 4, 5, 6))


def _run(make, inputs, dtype, train=True, **kw):
    hm, tm = make(hnn), make(tnn)
    if dtype == np.float64:
        hm.double()
        tm.double()
    hm.train(train)
    tm.train(train)
    ins = [a.astype(dtype) if a.dtype.kind == "f" else a for a in inputs]
    out = check_module(hm, tm, ins, dtype, **kw)
    for (k, a), (k2, b) in zip(hm.named_buffers(), tm.named_buffers()):
        assert k == k2
        assert_close(a, b, dtype, msg=k)
    return hm, tm, out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("make,inputs", [
    (lambda nn: nn.Linear(5, 3), [X2]),
    (lambda nn: nn.Linear(7, 3), [X3]),
    (lambda nn: nn.Linear(5, 3), [X2[0]]),
    (lambda nn: nn.Linear(5, 3, bias=False), [X2]),
    (lambda nn: nn.Linear(7, 3, bias=False), [X3]),
    (lambda nn: nn.Bilinear(5, 7, 3), [X2[:4], X3[:, 0, :]]),
    (lambda nn: nn.Bilinear(5, 7, 3, bias=False), [X2[:4], X3[:, 0, :]]),
    (lambda nn: nn.PReLU(), [X4]),
    (lambda nn: nn.PReLU(4), [X4]),
    (lambda nn: nn.PReLU(5), [X2]),
    (lambda nn: nn.Flatten(), [X4]),
    (lambda nn: nn.Unflatten(1, (2, 2)), [X4]),
], ids=["linear", "linear3d", "linear1d", "linear_nobias", "linear3d_nobias", "bilinear", "bilinear_nobias",
        "prelu", "prelu_channels", "prelu_2d", "flatten", "unflatten"])
def test_linear_family(make, inputs, dtype):
    _run(make, inputs, dtype)


def test_linear_grad_fn_names():
    m = hnn.Linear(3, 2)
    x = huoba.ones(4, 3, requires_grad=True)
    y = m(x)
    assert y.grad_fn.name() == "AddmmBackward0"
    assert [n[0].name() if n[0] else None for n in y.grad_fn.next_functions][2] == "TBackward0"
    assert m(huoba.ones(2, 4, 3)).grad_fn.name() == "ViewBackward0"
    assert hnn.Linear(3, 2, bias=False)(x).grad_fn.name() == "MmBackward0"


@pytest.mark.parametrize("case", [
    lambda nn, lib: nn.Linear(4, 3)(lib.ones(4, 5)),
    lambda nn, lib: nn.Linear(3, 2)(lib.ones(2, 4, 5)),
    lambda nn, lib: nn.Linear(3, 2)(lib.ones(4, 3, dtype=lib.float64)),
    lambda nn, lib: nn.Linear(3, 2, bias=False)(lib.ones(4, 3, dtype=lib.float64)),
    lambda nn, lib: nn.Linear(3, 2)(lib.tensor(5.0)),
])
def test_linear_errors(case):
    def err(nn, lib):
        try:
            case(nn, lib)
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
    assert err(hnn, huoba) == err(tnn, torch)


# ---- normalisation --------------------------------------------------------------------------------
NORM_CASES = [
    ("bn1d", lambda nn: nn.BatchNorm1d(5), [X2]),
    ("bn1d_3d", lambda nn: nn.BatchNorm1d(5), [X3]),
    ("bn2d", lambda nn: nn.BatchNorm2d(4), [X4]),
    ("bn2d_noaffine", lambda nn: nn.BatchNorm2d(4, affine=False), [X4]),
    ("bn2d_nobias", lambda nn: nn.BatchNorm2d(4, bias=False), [X4]),
    ("bn2d_notrack", lambda nn: nn.BatchNorm2d(4, track_running_stats=False), [X4]),
    ("bn2d_cma", lambda nn: nn.BatchNorm2d(4, momentum=None), [X4]),
    ("bn2d_eps_mom", lambda nn: nn.BatchNorm2d(4, eps=1e-3, momentum=0.3), [X4]),
    ("in2d", lambda nn: nn.InstanceNorm2d(4, affine=True), [X4]),
    ("ln", lambda nn: nn.LayerNorm(6), [X4]),
    ("ln2", lambda nn: nn.LayerNorm((5, 6)), [X4]),
    ("ln_noaffine", lambda nn: nn.LayerNorm(6, elementwise_affine=False), [X4]),
    ("ln_nobias", lambda nn: nn.LayerNorm(6, bias=False), [X4]),
    ("gn", lambda nn: nn.GroupNorm(2, 4), [X4]),
    ("gn_noaffine", lambda nn: nn.GroupNorm(4, 4, affine=False), [X4]),
    ("gn_3d", lambda nn: nn.GroupNorm(1, 5), [X3]),
]


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,make,inputs", NORM_CASES, ids=[c[0] for c in NORM_CASES])
def test_normalization(name, make, inputs, dtype, train):
    _run(make, inputs, dtype, train=train)


def test_batchnorm_running_stats_over_steps():
    for momentum in (0.1, None):
        hm, tm = hnn.BatchNorm1d(3, momentum=momentum), tnn.BatchNorm1d(3, momentum=momentum)
        for step in range(3):
            x = rng.standard_normal((8, 3)).astype(np.float32) * (step + 1) + step
            hm(huoba.tensor(x))
            tm(torch.tensor(x))
        for k in ("running_mean", "running_var"):
            np.testing.assert_allclose(to_np(getattr(hm, k)), to_np(getattr(tm, k)), rtol=1e-5, atol=1e-6)
        assert hm.num_batches_tracked.item() == tm.num_batches_tracked.item() == 3
        assert hm.num_batches_tracked.dtype == huoba.int64
        hm.eval()
        tm.eval()
        x = rng.standard_normal((2, 3)).astype(np.float32)
        np.testing.assert_allclose(to_np(hm(huoba.tensor(x))), to_np(tm(torch.tensor(x))), rtol=1e-5, atol=1e-6)


def test_batchnorm_state_dict_keys_and_reset():
    m = hnn.BatchNorm2d(3)
    assert list(m.state_dict()) == list(tnn.BatchNorm2d(3).state_dict())
    m(huoba.randn(4, 3, 2, 2))
    m.reset_running_stats()
    assert np.all(to_np(m.running_mean) == 0) and np.all(to_np(m.running_var) == 1)
    assert m.num_batches_tracked.item() == 0
    assert list(hnn.BatchNorm2d(3, track_running_stats=False).state_dict()) == ["weight", "bias"]


def test_batchnorm_grad_fn():
    m = hnn.BatchNorm1d(3)
    assert m(huoba.randn(4, 3, requires_grad=True)).grad_fn.name() == "NativeBatchNormBackward0"
    assert hnn.LayerNorm(3)(huoba.randn(4, 3)).grad_fn.name() == "NativeLayerNormBackward0"
    assert hnn.GroupNorm(1, 3)(huoba.randn(4, 3)).grad_fn.name() == "NativeGroupNormBackward0"


@pytest.mark.parametrize("case", [
    lambda nn, lib: nn.BatchNorm1d(5)(lib.randn(1, 5)),
    lambda nn, lib: nn.BatchNorm1d(3)(lib.randn(4, 5)),
    lambda nn, lib: nn.BatchNorm1d(3)(lib.randn(4, 3, 2, 2)),
    lambda nn, lib: nn.BatchNorm2d(3)(lib.randn(4, 3, 2)),
    lambda nn, lib: nn.LayerNorm(4)(lib.randn(4, 5)),
    lambda nn, lib: nn.GroupNorm(2, 5),
    lambda nn, lib: nn.GroupNorm(2, 4)(lib.randn(2, 6, 3)),
])
def test_normalization_errors(case):
    def err(nn, lib):
        try:
            case(nn, lib)
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
    assert err(hnn, huoba) == err(tnn, torch)


def test_batchnorm_eval_single_sample_ok():
    m = hnn.BatchNorm1d(5).eval()
    assert m(huoba.randn(1, 5)).shape == (1, 5)


# ---- embedding ------------------------------------------------------------------------------------
IDX = rng.integers(0, 10, (4, 3))
IDX[0, 0] = IDX[1, 1] = 2


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("make", [
    lambda nn: nn.Embedding(10, 3),
    lambda nn: nn.Embedding(10, 3, padding_idx=2),
    lambda nn: nn.Embedding(10, 3, padding_idx=-8),
    lambda nn: nn.Embedding(10, 3, padding_idx=2, scale_grad_by_freq=True),
    lambda nn: nn.Embedding(10, 3, max_norm=0.5),
], ids=["plain", "padding", "padding_neg", "freq", "max_norm"])
def test_embedding(make, dtype):
    hm, tm, _ = _run(make, [IDX], dtype)
    assert_close(hm.weight, tm.weight, dtype)


def test_embedding_int32_indices_and_from_pretrained():
    w = huoba.randn(5, 2)
    e = hnn.Embedding.from_pretrained(w)
    assert not e.weight.requires_grad
    out = e(huoba.tensor([0, 4], dtype=huoba.int32))
    np.testing.assert_array_equal(to_np(out), to_np(w)[[0, 4]])
    assert repr(hnn.Embedding.from_pretrained(w, freeze=False, padding_idx=1)) == \
        repr(tnn.Embedding.from_pretrained(torch.randn(5, 2), freeze=False, padding_idx=1))
    assert e(huoba.tensor([1])).grad_fn is None
    assert hnn.Embedding(5, 2)(huoba.tensor([1])).grad_fn.name() == "EmbeddingBackward0"


@pytest.mark.parametrize("case", [
    lambda nn, lib: nn.Embedding(3, 2)(lib.tensor([3])),
    lambda nn, lib: nn.Embedding(3, 2)(lib.tensor([-1])),
    lambda nn, lib: nn.Embedding(3, 2)(lib.tensor([1.0])),
    lambda nn, lib: nn.Embedding(3, 2, padding_idx=3),
    lambda nn, lib: nn.Embedding(3, 2, padding_idx=-4),
])
def test_embedding_errors(case):
    def err(nn, lib):
        try:
            case(nn, lib)
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
    assert err(hnn, huoba) == err(tnn, torch)


# ---- dropout ----------------------------------------------------------------------------------------
def test_dropout_train_eval_and_scaling():
    m = hnn.Dropout(0.4)
    x = huoba.ones(200, 50)
    y = m(x)
    vals = np.unique(to_np(y))
    assert np.all(np.isclose(vals, 0) | np.isclose(vals, 1 / 0.6))
    frac = (to_np(y) == 0).mean()
    assert 0.3 < frac < 0.5
    m.eval()
    assert m(x) is x
    assert hnn.Dropout(0.0)(x) is x
    assert np.all(to_np(hnn.Dropout(1.0)(x)) == 0)


def test_dropout_matches_torch_with_same_seed():
    x = rng.standard_normal((5, 7)).astype(np.float32)
    for p in (0.2, 0.5, 0.9):
        huoba.manual_seed(11)
        torch.manual_seed(11)
        a = hnn.Dropout(p)(huoba.tensor(x))
        b = tnn.Dropout(p)(torch.tensor(x))
        np.testing.assert_allclose(to_np(a), to_np(b), rtol=1e-6)
    x4 = rng.standard_normal((3, 4, 2, 2)).astype(np.float32)
    huoba.manual_seed(5)
    torch.manual_seed(5)
    np.testing.assert_allclose(to_np(hnn.Dropout2d(0.5)(huoba.tensor(x4))),
                               to_np(tnn.Dropout2d(0.5)(torch.tensor(x4))), rtol=1e-6)


def test_dropout_gradient_and_inplace():
    huoba.manual_seed(0)
    x = huoba.randn(4, 6, requires_grad=True)
    y = HF.dropout(x, 0.5)
    y.sum().backward()
    mask = (to_np(y) != 0)
    np.testing.assert_allclose(to_np(x.grad), mask * 2.0)
    z = huoba.ones(3, 3)
    out = HF.dropout(z, 0.5, inplace=True)
    assert out is z


def test_dropout2d_zeroes_channels():
    huoba.manual_seed(1)
    y = to_np(hnn.Dropout2d(0.5)(huoba.ones(8, 16, 3, 3)))
    per_channel = y.reshape(8, 16, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))


@pytest.mark.parametrize("case", [
    lambda nn, F, lib: nn.Dropout(-0.1),
    lambda nn, F, lib: nn.Dropout(1.5),
    lambda nn, F, lib: F.dropout(lib.ones(2), 1.5),
    lambda nn, F, lib: nn.Dropout2d(2),
])
def test_dropout_errors(case):
    def err(nn, F, lib):
        try:
            case(nn, F, lib)
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
    assert err(hnn, HF, huoba) == err(tnn, TF, torch)


def test_dropout2d_warnings_match_torch():
    for shape in ((4, 5), (2, 3, 4)):
        with warnings.catch_warnings(record=True) as hw:
            warnings.simplefilter("always")
            hnn.Dropout2d()(huoba.ones(*shape))
        with warnings.catch_warnings(record=True) as tw:
            warnings.simplefilter("always")
            tnn.Dropout2d()(torch.ones(*shape))
        assert [str(w.message) for w in hw] == [str(w.message) for w in tw]


# ---- activation modules ------------------------------------------------------------------------------
ACT_MODULES = [
    lambda nn: nn.ReLU(), lambda nn: nn.ReLU6(), lambda nn: nn.LeakyReLU(0.2), lambda nn: nn.ELU(0.7),
    lambda nn: nn.SELU(), lambda nn: nn.CELU(1.3), lambda nn: nn.GELU(), lambda nn: nn.GELU("tanh"),
    lambda nn: nn.SiLU(), lambda nn: nn.Sigmoid(), lambda nn: nn.Tanh(), lambda nn: nn.Softmax(dim=1),
    lambda nn: nn.LogSoftmax(dim=1), lambda nn: nn.Softmin(dim=0), lambda nn: nn.Softplus(2, 1.5),
    lambda nn: nn.Hardtanh(-0.5, 0.7), lambda nn: nn.Mish(), lambda nn: nn.Hardswish(), lambda nn: nn.Hardsigmoid(),
    lambda nn: nn.LogSigmoid(), lambda nn: nn.Softsign(), lambda nn: nn.Tanhshrink(), lambda nn: nn.Softshrink(0.3),
    lambda nn: nn.Hardshrink(0.3), lambda nn: nn.Threshold(0.1, 20.0), lambda nn: nn.GLU(), lambda nn: nn.Identity(),
    lambda nn: nn.Softmax2d(),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("i", range(len(ACT_MODULES)))
def test_activation_modules(i, dtype):
    make = ACT_MODULES[i]
    assert repr(make(hnn)) == repr(make(tnn))
    x = X4[:, :, :4, :]  # even last dim for GLU
    _run(make, [x], dtype)


@pytest.mark.parametrize("make", [
    lambda nn: nn.ReLU(inplace=True), lambda nn: nn.ReLU6(True), lambda nn: nn.LeakyReLU(0.1, True),
    lambda nn: nn.ELU(inplace=True), lambda nn: nn.SELU(True), lambda nn: nn.SiLU(True),
    lambda nn: nn.Hardtanh(inplace=True), lambda nn: nn.Hardswish(True), lambda nn: nn.Hardsigmoid(True),
    lambda nn: nn.Mish(True), lambda nn: nn.CELU(inplace=True),
])
def test_inplace_activations(make):
    assert repr(make(hnn)) == repr(make(tnn))
    x = X2.astype(np.float32)
    ha, ta = huoba.tensor(x.copy()), torch.tensor(x.copy())
    ho, to = make(hnn)(ha), make(tnn)(ta)
    assert ho is ha
    np.testing.assert_allclose(to_np(ha), to_np(ta), rtol=1e-6, atol=1e-7)
    # in the middle of a graph the in-place op is differentiated too
    hx = huoba.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    (make(hnn)(hx * 2) * 3).sum().backward()
    (make(tnn)(tx * 2) * 3).sum().backward()
    np.testing.assert_allclose(to_np(hx.grad), to_np(tx.grad), rtol=1e-5, atol=1e-6)


def test_activation_reprs():
    makes = [lambda nn: nn.Hardtanh(-2, 2, True), lambda nn: nn.Softplus(2, 10), lambda nn: nn.PReLU(3, 0.1),
             lambda nn: nn.Softmax(), lambda nn: nn.RReLU(), lambda nn: nn.Threshold(0.1, 20),
             lambda nn: nn.LeakyReLU(0.2, True), lambda nn: nn.ELU(0.5, True), lambda nn: nn.Softmin(1),
             lambda nn: nn.GLU(1), lambda nn: nn.MultiheadAttention(4, 2)]
    for make in makes:
        assert repr(make(hnn)) == repr(make(tnn))
    with pytest.raises(AssertionError, match=r"max_val \(1\) must be greater than min_val \(2\)"):
        hnn.Hardtanh(2, 1)


def test_prelu_init_and_error():
    assert to_np(hnn.PReLU(3, 0.1).weight).tolist() == pytest.approx([0.1] * 3)

    def err(nn, lib):
        try:
            nn.PReLU(3)(lib.randn(2, 4))
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
    assert err(hnn, huoba) == err(tnn, torch)


def test_multihead_attention_matches_torch():
    x = rng.standard_normal((3, 5, 6))
    for kw, idx in ((dict(), 0), (dict(batch_first=True), None)):
        _run(lambda nn: nn.MultiheadAttention(6, 2, **kw), [x, x + 0.5, x * 2], np.float64, output_index=idx)


# ---- modules over the conv / pool kernels -------------------------------------------------------------
CONV_POOL = [
    lambda nn: nn.Conv2d(1, 6, 5),
    lambda nn: nn.Conv2d(3, 6, (3, 5), stride=(2, 1), padding=(1, 2), dilation=2, groups=3, bias=False,
                         padding_mode="reflect"),
    lambda nn: nn.Conv2d(1, 2, 3, padding="same"),
    lambda nn: nn.Conv2d(2, 2, (3, 4), padding="same", dilation=(1, 2), padding_mode="circular"),
    lambda nn: nn.Conv2d(1, 2, 3, padding="valid"),
    lambda nn: nn.Conv1d(2, 4, 3, padding=1, padding_mode="replicate"),
    lambda nn: nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1),
    lambda nn: nn.ConvTranspose2d(4, 2, 3, groups=2, bias=False, dilation=2),
    lambda nn: nn.ConvTranspose1d(4, 2, 3),
    lambda nn: nn.MaxPool2d(2),
    lambda nn: nn.MaxPool2d((2, 3), stride=1, padding=1, dilation=2, return_indices=True, ceil_mode=True),
    lambda nn: nn.MaxPool1d(3),
    lambda nn: nn.AvgPool2d(2),
    lambda nn: nn.AvgPool2d(3, 2, 1, True, False, 2),
    lambda nn: nn.AvgPool1d(3, 2, 1),
    lambda nn: nn.AdaptiveAvgPool2d((1, 1)),
    lambda nn: nn.AdaptiveAvgPool2d((None, 3)),
    lambda nn: nn.AdaptiveMaxPool2d(2, True),
    lambda nn: nn.AdaptiveAvgPool1d(4),
    lambda nn: nn.AdaptiveMaxPool1d(4),
    lambda nn: nn.Fold((4, 5), 2),
    lambda nn: nn.Unfold(2, padding=1),
    lambda nn: nn.Upsample(scale_factor=2),
    lambda nn: nn.Upsample(size=3, mode="bilinear", align_corners=False),
    lambda nn: nn.UpsamplingNearest2d(scale_factor=2),
    lambda nn: nn.UpsamplingBilinear2d(size=(4, 4)),
    lambda nn: nn.PixelShuffle(2),
]


@pytest.mark.parametrize("i", range(len(CONV_POOL)))
def test_conv_pool_module_structure(i):
    make = CONV_POOL[i]
    huoba.manual_seed(i)
    torch.manual_seed(i)
    hm, tm = make(hnn), make(tnn)
    assert repr(hm) == repr(tm)
    assert [(n, tuple(p.shape)) for n, p in hm.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
    for (k, a), (k2, b) in zip(hm.state_dict().items(), tm.state_dict().items()):
        assert k == k2
        assert np.array_equal(to_np(a), to_np(b)), k  # same init, bit for bit
    for attr in ("kernel_size", "stride", "padding", "dilation", "groups", "output_padding", "padding_mode",
                 "_reversed_padding_repeated_twice", "ceil_mode", "return_indices", "output_size"):
        if hasattr(tm, attr):
            assert getattr(hm, attr) == getattr(tm, attr), attr


@pytest.mark.parametrize("case", [
    lambda nn: nn.Conv2d(1, 2, 3, stride=2, padding="same"),
    lambda nn: nn.Conv2d(1, 2, 3, padding="foo"),
    lambda nn: nn.Conv2d(3, 2, 3, groups=2),
    lambda nn: nn.Conv2d(4, 3, 3, groups=2),
    lambda nn: nn.Conv2d(4, 4, 3, padding_mode="foo"),
    lambda nn: nn.Conv2d(4, 4, 3, groups=0),
    lambda nn: nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"),
])
def test_conv_constructor_errors(case):
    import re

    def err(nn):
        try:
            case(nn)
        except Exception as e:  # noqa: BLE001
            # a set literal prints in hash order, which differs between processes: compare it as a set
            msg = str(e)
            m = re.search(r"\{[^}]*\}", msg)
            if m:
                msg = msg.replace(m.group(0), str(sorted(eval(m.group(0)))))
            return type(e).__name__, msg
    assert err(hnn) == err(tnn)


FORWARD_CASES = [
    (0, (2, 1, 12, 12)), (1, (2, 3, 9, 11)), (2, (1, 1, 6, 7)), (3, (1, 2, 6, 9)), (4, (1, 1, 5, 5)),
    (5, (2, 2, 7)), (6, (1, 4, 4, 5)), (7, (1, 4, 5, 5)), (8, (2, 4, 6)), (9, (2, 3, 6, 6)),
    (10, (1, 2, 7, 8)), (11, (2, 3, 9)), (12, (2, 3, 6, 6)), (13, (1, 2, 7, 7)), (14, (2, 3, 9)),
    (15, (2, 3, 5, 5)), (16, (2, 3, 6, 6)), (17, (2, 3, 6, 6)), (18, (2, 3, 9)), (19, (2, 3, 9)),
]


@pytest.mark.parametrize("i,shape", FORWARD_CASES)
def test_conv_pool_forward(i, shape):
    make = CONV_POOL[i]
    x = rng.standard_normal(shape)
    _run(make, [x], np.float64)  # (values, indices) outputs are compared as a tuple


def test_seed_lenet_forward_backward():
    from test_module import lenet
    hm, tm = lenet(hnn), lenet(tnn)
    copy_weights(tm, hm)
    x = rng.standard_normal((4, 1, 28, 28)).astype(np.float32)
    y = np.array([1, 0, 3, 9])
    hl = HF.cross_entropy(hm(huoba.tensor(x)), huoba.tensor(y))
    tl = TF.cross_entropy(tm(torch.tensor(x)), torch.tensor(y))
    np.testing.assert_allclose(hl.item(), tl.item(), rtol=1e-5)
    hl.backward()
    tl.backward()
    for (n, p), (_, q) in zip(hm.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(to_np(p.grad), to_np(q.grad), rtol=1e-4, atol=1e-5, err_msg=n)


# ---- padding modules ---------------------------------------------------------------------------------
PAD_MODULES = [
    (lambda nn: nn.ZeroPad2d(2), (1, 2, 3, 4)),
    (lambda nn: nn.ZeroPad2d((1, 0, 2, 1)), (1, 2, 3, 4)),
    (lambda nn: nn.ConstantPad1d(2, 3.5), (2, 3, 4)),
    (lambda nn: nn.ConstantPad2d((1, 2, 0, 1), -1.0), (1, 2, 3, 4)),
    (lambda nn: nn.ReflectionPad1d(2), (2, 3, 4)),
    (lambda nn: nn.ReflectionPad2d((1, 2, 2, 1)), (1, 2, 3, 4)),
    (lambda nn: nn.ReplicationPad1d((3, 1)), (2, 3, 4)),
    (lambda nn: nn.ReplicationPad2d(2), (1, 2, 3, 4)),
    (lambda nn: nn.ReplicationPad3d(1), (1, 2, 3, 4, 2)),
    (lambda nn: nn.CircularPad1d(2), (2, 3, 4)),
    (lambda nn: nn.CircularPad2d((1, 2, 3, 0)), (1, 2, 3, 4)),
]


@pytest.mark.parametrize("make,shape", PAD_MODULES)
def test_padding_modules(make, shape):
    assert repr(make(hnn)) == repr(make(tnn))
    _run(make, [rng.standard_normal(shape)], np.float64)


# ---- distance modules ---------------------------------------------------------------------------------
def test_distance_modules():
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    _run(lambda nn: nn.CosineSimilarity(), [a, b], np.float64)
    _run(lambda nn: nn.PairwiseDistance(p=1.5), [a, b], np.float64)
    _run(lambda nn: nn.PairwiseDistance(keepdim=True), [a, b], np.float32)


FORWARD_ONLY = FORWARD_CASES + [(20, (1, 8, 12)), (21, (2, 2, 4, 5)), (22, (1, 2, 3, 4)), (23, (1, 2, 5, 5)),
                                (24, (1, 1, 2, 3)), (25, (1, 1, 3, 3)), (26, (1, 8, 2, 3))]


@pytest.mark.parametrize("i,shape", FORWARD_ONLY)
def test_conv_pool_module_forward_values(i, shape):
    make = CONV_POOL[i]
    hm, tm = make(hnn), make(tnn)
    if list(tm.state_dict()):
        copy_weights(tm, hm)
    x = rng.standard_normal(shape).astype(np.float32)
    ho, to = hm(huoba.tensor(x)), tm(torch.tensor(x))
    if isinstance(to, tuple):
        for a, b in zip(ho, to):
            np.testing.assert_allclose(to_np(a), to_np(b), rtol=1e-5, atol=1e-5)
    else:
        np.testing.assert_allclose(to_np(ho), to_np(to), rtol=1e-5, atol=1e-5)


def test_conv_transpose_output_size():
    hm, tm = hnn.ConvTranspose2d(2, 3, 3, stride=2), tnn.ConvTranspose2d(2, 3, 3, stride=2)
    copy_weights(tm, hm)
    x = rng.standard_normal((1, 2, 4, 4)).astype(np.float32)
    for size in ((9, 9), (10, 10), [1, 3, 10, 9]):
        np.testing.assert_allclose(to_np(hm(huoba.tensor(x), output_size=size)),
                                   to_np(tm(torch.tensor(x), output_size=size)), rtol=1e-5, atol=1e-5)

    def err(m, lib):
        try:
            m(lib.tensor(x), output_size=(12, 12))
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
    assert err(hm, huoba) == err(tm, torch)

"""Loss functions and modules against PyTorch: values, gradients, reductions, errors, warnings."""
import warnings

import numpy as np
import pytest

import huoba
import huoba.nn as hnn
import huoba.nn.functional as HF

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional

from nn_helpers import check_function, gradcheck, to_np  # noqa: E402

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 5))
Y = rng.standard_normal((4, 5))
P = rng.uniform(0.05, 0.95, (4, 5))
Q = rng.random((4, 5))
T = rng.integers(0, 5, (4,))
W = rng.random(5) + 0.1
XK = rng.standard_normal((2, 5, 3, 4))
TK = rng.integers(0, 5, (2, 3, 4))
TK[0, 0, 0] = -100
TK1 = TK.copy()
TK1[1, 2, 3] = 1

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [np.float64, np.float32]


def _cast(arrays, dtype):
    return [a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in arrays]


def _cmp(name, kw, arrays, dtype, diff=None):
    hf = getattr(HF, name)
    tf = getattr(TF, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kl_div's reduction='mean' warns (tested separately)
        check_function(lambda *a: hf(*a, **kw), lambda *a: tf(*a, **kw), _cast(arrays, dtype), dtype, diff=diff)


CASES = [
    ("mse_loss", {}, [X, Y], None),
    ("l1_loss", {}, [X, Y], None),
    ("smooth_l1_loss", {"beta": 0.5}, [X, Y], None),
    ("smooth_l1_loss", {"beta": 0.0}, [X, Y], None),
    ("huber_loss", {"delta": 0.7}, [X, Y], None),
    ("binary_cross_entropy", {}, [P, Q], None),
    ("binary_cross_entropy", {"weight": None}, [P, Q], None),
    ("binary_cross_entropy_with_logits", {}, [X * 3, Q], None),
    ("kl_div", {}, [X, Q], None),
    ("kl_div", {"log_target": True}, [X, Y], None),
    ("nll_loss", {}, [X, T], None),
    ("nll_loss", {"ignore_index": 2}, [X, T], None),
    ("cross_entropy", {}, [X, T], None),
    ("cross_entropy", {"ignore_index": 1}, [X, T], None),
    ("cross_entropy", {"label_smoothing": 0.2}, [X, T], None),
    ("cross_entropy", {"label_smoothing": 0.3, "ignore_index": 1}, [X, T], None),
    ("cross_entropy", {}, [X, Q], None),
    ("cross_entropy", {"label_smoothing": 0.1}, [X, Q], None),
    ("cross_entropy", {}, [XK, TK], None),
    ("cross_entropy", {"label_smoothing": 0.25}, [XK, TK], None),
    ("cross_entropy", {}, [X[0], np.array(3)], None),
    ("nll_loss", {}, [XK, TK], None),
    ("poisson_nll_loss", {}, [X, Q], None),
    ("poisson_nll_loss", {"log_input": False, "full": True}, [P, Q * 3], None),
    ("gaussian_nll_loss", {}, [X, Y, Q + 0.1], None),
    ("multilabel_soft_margin_loss", {}, [X, (Q > 0.5).astype(np.float64)], None),
    ("soft_margin_loss", {}, [X, np.sign(Y)], [0]),
    ("hinge_embedding_loss", {}, [X, np.sign(Y)], [0]),
    ("triplet_margin_loss", {}, [X, Y, P], None),
    ("cosine_embedding_loss", {"margin": 0.1}, [X, Y, np.sign(Y[:, 0])], [0, 1]),
    ("margin_ranking_loss", {"margin": 0.2}, [X[:, 0], Y[:, 0], np.sign(Y[:, 1])], [0, 1]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kw,arrays,diff", CASES, ids=[f"{c[0]}{i}" for i, c in enumerate(CASES)])
def test_loss_functional(name, kw, arrays, diff, reduction, dtype):
    _cmp(name, dict(kw, reduction=reduction), arrays, dtype, diff)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weighted_losses(reduction, dtype):
    w = W.astype(dtype)
    hw, tw = huoba.tensor(w), torch.tensor(w)
    for name, arrays in (("cross_entropy", [X, T]), ("nll_loss", [X, T]), ("cross_entropy", [XK, TK])):
        for extra in ({}, {"ignore_index": 2}, {"label_smoothing": 0.15}):
            if arrays[1] is TK and "ignore_index" in extra:
                continue
            if name == "nll_loss" and "label_smoothing" in extra:
                continue
            check_function(lambda a, b: getattr(HF, name)(a, b, weight=hw, reduction=reduction, **extra),
                           lambda a, b: getattr(TF, name)(a, b, weight=tw, reduction=reduction, **extra),
                           _cast(arrays, dtype), dtype)
    check_function(lambda a, b: HF.cross_entropy(a, b, weight=hw, reduction=reduction, label_smoothing=0.2),
                   lambda a, b: TF.cross_entropy(a, b, weight=tw, reduction=reduction, label_smoothing=0.2),
                   _cast([X, Q], dtype), dtype)
    bw = Q[0].astype(dtype)
    check_function(lambda a, b: HF.binary_cross_entropy(a, b, weight=huoba.tensor(bw), reduction=reduction),
                   lambda a, b: TF.binary_cross_entropy(a, b, weight=torch.tensor(bw), reduction=reduction),
                   _cast([P, Q], dtype), dtype)
    pw = (P[0] + 0.5).astype(dtype)
    check_function(lambda a, b: HF.binary_cross_entropy_with_logits(a, b, huoba.tensor(bw), reduction=reduction,
                                                                    pos_weight=huoba.tensor(pw)),
                   lambda a, b: TF.binary_cross_entropy_with_logits(a, b, torch.tensor(bw), reduction=reduction,
                                                                    pos_weight=torch.tensor(pw)),
                   _cast([X, Q], dtype), dtype)


def test_kl_div_batchmean():
    _cmp("kl_div", {"reduction": "batchmean"}, [X, Q], np.float64)
    _cmp("kl_div", {"reduction": "batchmean", "log_target": True}, [X, Y], np.float32)


def test_cross_entropy_all_ignored_is_nan():
    t = np.full(4, -100)
    h = HF.cross_entropy(huoba.tensor(X), huoba.tensor(t))
    tt = TF.cross_entropy(torch.tensor(X), torch.tensor(t))
    assert np.isnan(h.item()) and np.isnan(tt.item())


def test_cross_entropy_is_stable_for_huge_logits():
    x = np.array([[1000.0, -1000.0, 0.0], [-5000.0, 5000.0, 1.0]], dtype=np.float32)
    t = np.array([0, 0])
    h = HF.cross_entropy(huoba.tensor(x, requires_grad=True), huoba.tensor(t))
    tt = TF.cross_entropy(torch.tensor(x), torch.tensor(t))
    np.testing.assert_allclose(h.item(), tt.item(), rtol=1e-6)
    assert np.isfinite(h.item())


def test_grad_fn_names():
    x = huoba.tensor(X, requires_grad=True)
    t = huoba.tensor(T)
    ce = HF.cross_entropy(x, t)
    assert ce.grad_fn.name() == "NllLossBackward0"
    assert ce.grad_fn.next_functions[0][0].name() == "LogSoftmaxBackward0"
    assert HF.nll_loss(x, t).grad_fn.name() == "NllLossBackward0"
    assert HF.mse_loss(x, huoba.tensor(Y)).grad_fn.name() == "MseLossBackward0"
    assert HF.binary_cross_entropy(huoba.tensor(P, requires_grad=True), huoba.tensor(Q)).grad_fn.name() == \
        "BinaryCrossEntropyBackward0"
    assert HF.binary_cross_entropy_with_logits(x, huoba.tensor(Q)).grad_fn.name() == \
        "BinaryCrossEntropyWithLogitsBackward0"
    assert HF.smooth_l1_loss(x, huoba.tensor(Y)).grad_fn.name() == "SmoothL1LossBackward0"
    assert HF.huber_loss(x, huoba.tensor(Y)).grad_fn.name() == "HuberLossBackward0"
    assert HF.l1_loss(x, huoba.tensor(Y)).grad_fn.name() == "MeanBackward0"


@pytest.mark.parametrize("name,kw,arrays", [
    ("nll", {}, [X, T]),
    ("nll_w", {"weight": True}, [X, T]),
    ("nll_kdim", {}, [XK, TK1]),
    ("mse", {}, [X, Y]),
    ("smooth_l1", {}, [X, Y * 0.3]),
    ("huber", {}, [X, Y * 0.3]),
    ("bce", {}, [P, Q]),
    ("bce_logits", {}, [X, Q]),
    ("kl", {}, [X, Q]),
])
def test_fused_losses_gradcheck(name, kw, arrays):
    if name.startswith("nll"):
        t = huoba.tensor(arrays[1])
        w = huoba.tensor(W) if kw.get("weight") else None
        for red in REDUCTIONS:
            gradcheck(lambda x: HF.nll_loss(x, t, weight=w, reduction=red), [arrays[0]])
        return
    fn = {"mse": HF.mse_loss, "smooth_l1": HF.smooth_l1_loss, "huber": HF.huber_loss,
          "bce": HF.binary_cross_entropy, "bce_logits": HF.binary_cross_entropy_with_logits, "kl": HF.kl_div}[name]
    for red in ("sum", "none"):
        gradcheck(lambda x, y: fn(x, y, reduction=red), arrays)


def test_cross_entropy_gradcheck_all_paths():
    t = huoba.tensor(T)
    gradcheck(lambda x: HF.cross_entropy(x, t), [X])
    gradcheck(lambda x: HF.cross_entropy(x, t, label_smoothing=0.3, weight=huoba.tensor(W)), [X])
    gradcheck(lambda x, q: HF.cross_entropy(x, q), [X, Q])
    gradcheck(lambda x: HF.cross_entropy(x, huoba.tensor(TK1)), [XK])


def test_cross_entropy_double_backward():
    x = huoba.tensor(X, requires_grad=True)
    tx = torch.tensor(X, requires_grad=True)
    (g,) = huoba.autograd.grad(HF.cross_entropy(x, huoba.tensor(T)), x, create_graph=True)
    (tg,) = torch.autograd.grad(TF.cross_entropy(tx, torch.tensor(T)), tx, create_graph=True)
    (g * g).sum().backward()
    (tg * tg).sum().backward()
    np.testing.assert_allclose(to_np(x.grad), to_np(tx.grad), rtol=1e-9, atol=1e-12)


# ---- errors and warnings users hit ---------------------------------------------------------------------
def _err(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
    return None


ERROR_CASES = [
    lambda F, lib: F.cross_entropy(lib.randn(4, 5), lib.randint(0, 5, (4,)).float()),
    lambda F, lib: F.cross_entropy(lib.randn(4, 5), lib.zeros(4, 5, dtype=lib.long)),
    lambda F, lib: F.cross_entropy(lib.randn(4, 5), lib.zeros(4, 2, dtype=lib.long)),
    lambda F, lib: F.cross_entropy(lib.randn(4, 5), lib.zeros(3, dtype=lib.long)),
    lambda F, lib: F.cross_entropy(lib.randn(4, 5), lib.tensor([0, 1, 2, 7])),
    lambda F, lib: F.cross_entropy(lib.randn(4, 5), lib.tensor([0, 1, 2, -3])),
    lambda F, lib: F.cross_entropy(lib.randn(4, 5), lib.tensor([0, 1, 2, 3], dtype=lib.int32)),
    lambda F, lib: F.cross_entropy(lib.randn(2, 3, 4), lib.zeros(2, 5, dtype=lib.long)),
    lambda F, lib: F.cross_entropy(lib.randn(4, 5), lib.tensor([0, 1, 2, 3]), weight=lib.ones(3)),
    lambda F, lib: F.cross_entropy(lib.randn(4, 5), lib.rand(4, 4)),
    lambda F, lib: F.nll_loss(lib.randn(2, 3, 4), lib.zeros(2, dtype=lib.long)),
    lambda F, lib: F.nll_loss(lib.randn(()), lib.zeros((), dtype=lib.long)),
    lambda F, lib: F.nll_loss(lib.randn(5), lib.tensor([2, 3])),
    lambda F, lib: F.mse_loss(lib.randn(4, 3), lib.randn(4)),
    lambda F, lib: F.binary_cross_entropy(lib.rand(4, 1), lib.rand(4)),
    lambda F, lib: F.binary_cross_entropy(lib.randn(4) * 5, lib.rand(4)),
    lambda F, lib: F.binary_cross_entropy(lib.rand(4), lib.ones(4, dtype=lib.long)),
    lambda F, lib: F.binary_cross_entropy_with_logits(lib.rand(4, 1), lib.rand(4)),
    lambda F, lib: F.binary_cross_entropy_with_logits(lib.rand(4), lib.ones(4, dtype=lib.long)),
    lambda F, lib: F.mse_loss(lib.randn(4), lib.randn(4), reduction="bad"),
    lambda F, lib: F.cross_entropy(lib.randn(4, 5), lib.tensor([0, 1, 2, 3]), reduction="avg"),
    lambda F, lib: F.kl_div(lib.randn(4, 5), lib.ones(4, 5, dtype=lib.long)),
    lambda F, lib: F.smooth_l1_loss(lib.randn(3), lib.randn(3), beta=-1),
    lambda F, lib: F.huber_loss(lib.randn(3), lib.randn(3), delta=0),
]


@pytest.mark.parametrize("i", range(len(ERROR_CASES)))
def test_loss_errors_match_torch(i):
    case = ERROR_CASES[i]
    b = _err(lambda: case(TF, torch))
    assert b is not None
    assert _err(lambda: case(HF, huoba)) == b


def _warns(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fn()
    return [(x.category.__name__, str(x.message)) for x in w]


@pytest.mark.parametrize("case", [
    lambda F, nn, lib: F.mse_loss(lib.randn(4, 5), lib.randn(5)),
    lambda F, nn, lib: F.mse_loss(lib.randn(4, 1), lib.randn(4)),
    lambda F, nn, lib: F.l1_loss(lib.randn(4, 1), lib.randn(4)),
    lambda F, nn, lib: nn.MSELoss()(lib.randn(4, 1), lib.randn(4)),
    lambda F, nn, lib: F.kl_div(lib.randn(4, 5), lib.rand(4, 5)),
    lambda F, nn, lib: F.mse_loss(lib.randn(4), lib.randn(4), size_average=False),
    lambda F, nn, lib: nn.CrossEntropyLoss(reduce=False),
    lambda F, nn, lib: nn.MSELoss(size_average=True, reduce=True),
])
def test_loss_warnings_match_torch(case):
    assert _warns(lambda: case(HF, hnn, huoba)) == _warns(lambda: case(TF, tnn, torch))


def test_mse_broadcast_value():
    a, b = rng.standard_normal((4, 1)), rng.standard_normal(4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_function(HF.mse_loss, TF.mse_loss, [a, b])
        check_function(HF.l1_loss, TF.l1_loss, [a, b])


def test_legacy_reduction_args():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for sa, rd in ((None, None), (False, None), (True, False), (None, False), (False, True)):
            h = HF.mse_loss(huoba.tensor(X), huoba.tensor(Y), size_average=sa, reduce=rd)
            t = TF.mse_loss(torch.tensor(X), torch.tensor(Y), size_average=sa, reduce=rd)
            np.testing.assert_allclose(to_np(h), to_np(t))
            assert hnn.MSELoss(sa, rd).reduction == tnn.MSELoss(sa, rd).reduction


def test_mse_integer_target_promotes():
    h = HF.mse_loss(huoba.tensor(X.astype(np.float32)), huoba.ones(4, 5, dtype=huoba.long))
    t = TF.mse_loss(torch.tensor(X.astype(np.float32)), torch.ones(4, 5, dtype=torch.long))
    assert str(h.dtype) == str(t.dtype)
    np.testing.assert_allclose(h.item(), t.item(), rtol=1e-6)


# ---- modules ------------------------------------------------------------------------------------------
MODULES = [
    (lambda nn, lib: nn.CrossEntropyLoss(), [X, T]),
    (lambda nn, lib: nn.CrossEntropyLoss(weight=lib.tensor(W), ignore_index=1, label_smoothing=0.1), [X, T]),
    (lambda nn, lib: nn.CrossEntropyLoss(reduction="sum"), [XK, TK]),
    (lambda nn, lib: nn.NLLLoss(reduction="none"), [X, T]),
    (lambda nn, lib: nn.MSELoss(), [X, Y]),
    (lambda nn, lib: nn.L1Loss(reduction="sum"), [X, Y]),
    (lambda nn, lib: nn.SmoothL1Loss(beta=0.3), [X, Y]),
    (lambda nn, lib: nn.HuberLoss(delta=0.4), [X, Y]),
    (lambda nn, lib: nn.BCELoss(weight=lib.tensor(Q[0])), [P, Q]),
    (lambda nn, lib: nn.BCEWithLogitsLoss(pos_weight=lib.tensor(W)), [X, Q]),
    (lambda nn, lib: nn.KLDivLoss(reduction="batchmean"), [X, Q]),
    (lambda nn, lib: nn.KLDivLoss(reduction="sum", log_target=True), [X, Y]),
]


@pytest.mark.parametrize("i", range(len(MODULES)))
def test_loss_modules(i):
    make, arrays = MODULES[i]
    hm, tm = make(hnn, huoba), make(tnn, torch)
    assert repr(hm) == repr(tm)
    assert list(hm.state_dict()) == list(tm.state_dict())
    check_function(hm, tm, arrays)


def test_loss_module_reprs():
    for make in (lambda nn: nn.CrossEntropyLoss(), lambda nn: nn.MSELoss(reduction="sum"), lambda nn: nn.BCELoss(),
                 lambda nn: nn.NLLLoss(), lambda nn: nn.KLDivLoss(), lambda nn: nn.BCEWithLogitsLoss()):
        assert repr(make(hnn)) == repr(make(tnn))
    assert hnn.CrossEntropyLoss().reduction == "mean"
    assert hnn.CrossEntropyLoss().ignore_index == -100


def test_second_backward_needs_retain_graph():
    for lib, F in ((huoba, HF), (torch, TF)):
        x = lib.tensor(X, requires_grad=True)
        loss = F.cross_entropy(x, lib.tensor(T))
        loss.backward(retain_graph=True)
        loss.backward()
        g2 = to_np(x.grad).copy()
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
            loss.backward()
        x.grad = None
        F.cross_entropy(x, lib.tensor(T)).backward()
        np.testing.assert_allclose(g2, 2 * to_np(x.grad))
    y = huoba.tensor(X, requires_grad=True)
    nll = HF.nll_loss(y, huoba.tensor(T))
    nll.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        nll.backward()

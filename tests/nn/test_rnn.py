"""RNN, LSTM, GRU and the cells against PyTorch: outputs, hidden states and every gradient."""
import warnings

import numpy as np
import pytest

import huoba
import huoba.nn as hnn

torch = pytest.importorskip("torch")
tnn = torch.nn

from nn_helpers import check_module, to_np, copy_weights, gradcheck  # noqa: E402

rng = np.random.default_rng(0)
T, B, I, H = 5, 3, 4, 6
XS = rng.standard_normal((T, B, I))

OPTIONS = [dict(), dict(num_layers=2), dict(bidirectional=True), dict(num_layers=2, bidirectional=True, bias=False),
           dict(batch_first=True), dict(num_layers=3, batch_first=True, bidirectional=True)]


def _run(make, inputs, dtype=np.float64, **kw):
    hm, tm = make(hnn), make(tnn)
    if dtype == np.float64:
        hm.double()
        tm.double()
    ins = [a.astype(dtype) for a in inputs]
    return check_module(hm, tm, ins, dtype, **kw)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kw", OPTIONS, ids=[str(o) for o in OPTIONS])
@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_recurrent_layers(mode, kw, dtype):
    ho, to = _run(lambda nn: getattr(nn, mode)(I, H, **kw), [XS], dtype)
    out = ho[0]
    D = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1)
    assert tuple(out.shape) == XS.shape[:2] + (D * H,)
    batch = XS.shape[0] if kw.get("batch_first") else XS.shape[1]
    hidden = ho[1][0] if mode == "LSTM" else ho[1]
    assert tuple(hidden.shape) == (L * D, batch, H)


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_unbatched_input(mode):
    ho, to = _run(lambda nn: getattr(nn, mode)(I, H, num_layers=2), [XS[:, 0]])
    assert tuple(ho[0].shape) == (T, H)


def test_rnn_relu_and_initial_state():
    _run(lambda nn: nn.RNN(I, H, nonlinearity="relu", num_layers=2), [XS])
    _run(lambda nn: nn.RNN(I, H, 2, "relu"), [XS])
    _run(lambda nn: nn.RNN(I, H, num_layers=2), [XS, rng.standard_normal((2, B, H))])
    _run(lambda nn: nn.GRU(I, H, bidirectional=True), [XS, rng.standard_normal((2, B, H))])

    def lstm_with_state(nn):
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(I, H, 2, batch_first=True)

            def forward(self, x, h, c):
                return self.lstm(x, (h, c))
        return M()
    _run(lstm_with_state, [XS.transpose(1, 0, 2), rng.standard_normal((2, B, H)), rng.standard_normal((2, B, H))])


def test_lstm_projection():
    _run(lambda nn: nn.LSTM(I, H, proj_size=3, num_layers=2), [XS])
    _run(lambda nn: nn.LSTM(I, H, proj_size=2, bidirectional=True), [XS])


def test_dropout_between_layers_only_in_training():
    m = hnn.LSTM(I, H, num_layers=2, dropout=0.5)
    m.eval()
    x = huoba.tensor(XS.astype(np.float32))
    a = m(x)[0]
    b = m(x)[0]
    np.testing.assert_array_equal(to_np(a), to_np(b))
    m.train()
    huoba.manual_seed(0)
    c = m(x)[0]
    huoba.manual_seed(1)
    d = m(x)[0]
    assert not np.array_equal(to_np(c), to_np(d))


def test_dropout_matches_torch_with_seed():
    huoba.manual_seed(0)
    torch.manual_seed(0)
    hm, tm = hnn.GRU(I, H, num_layers=2, dropout=0.3), tnn.GRU(I, H, num_layers=2, dropout=0.3)
    x = XS.astype(np.float32)
    huoba.manual_seed(5)
    torch.manual_seed(5)
    np.testing.assert_allclose(to_np(hm(huoba.tensor(x))[0]), to_np(tm(torch.tensor(x))[0]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells(cell):
    _run(lambda nn: getattr(nn, cell)(I, H), [XS[0]])
    _run(lambda nn: getattr(nn, cell)(I, H, bias=False), [XS[0]])
    _run(lambda nn: getattr(nn, cell)(I, H), [XS[0, 0]])
    if cell != "LSTMCell":
        _run(lambda nn: getattr(nn, cell)(I, H), [XS[0], rng.standard_normal((B, H))])
    _run(lambda nn: nn.RNNCell(I, H, nonlinearity="relu"), [XS[0]])


def test_names_shapes_and_reprs():
    for make in (lambda nn: nn.LSTM(3, 4, 2, bidirectional=True), lambda nn: nn.GRU(3, 4, bias=False),
                 lambda nn: nn.RNN(3, 4, nonlinearity="relu", batch_first=True, dropout=0.5, num_layers=2),
                 lambda nn: nn.LSTM(3, 4, proj_size=2), lambda nn: nn.RNNCell(3, 4, nonlinearity="relu"),
                 lambda nn: nn.GRUCell(3, 4, bias=False), lambda nn: nn.LSTMCell(3, 4)):
        hm, tm = make(hnn), make(tnn)
        assert repr(hm) == repr(tm)
        assert [(n, tuple(p.shape)) for n, p in hm.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
    m = hnn.LSTM(3, 4, 2)
    assert [[tuple(w.shape) for w in ws] for ws in m.all_weights] == \
        [[tuple(w.shape) for w in ws] for ws in tnn.LSTM(3, 4, 2).all_weights]


def _err(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("case", [
    lambda nn, lib: nn.LSTM(3, 4)(lib.randn(2, 5, 4)),
    lambda nn, lib: nn.LSTM(3, 4)(lib.randn(2, 5, 3, 1)),
    lambda nn, lib: nn.RNN(3, 4)(lib.randn(2, 5, 3, 1)),
    lambda nn, lib: nn.GRU(3, 4)(lib.randn(2, 5, 3), lib.randn(1, 5, 3)),
    lambda nn, lib: nn.GRU(3, 4)(lib.randn(2, 5, 3), lib.randn(5, 4)),
    lambda nn, lib: nn.LSTM(3, 4)(lib.randn(2, 5, 3), (lib.randn(1, 5, 3), lib.randn(1, 5, 4))),
    lambda nn, lib: nn.LSTM(3, 4)(lib.randn(2, 5, 3), (lib.randn(1, 5, 4), lib.randn(1, 4, 4))),
    lambda nn, lib: nn.LSTM(3, 4)(lib.randn(2, 5, 3, dtype=lib.float64)),
    lambda nn, lib: nn.RNN(3, 4, nonlinearity="foo"),
    lambda nn, lib: nn.RNN(3, 4, dropout=1.5),
    lambda nn, lib: nn.RNN(3, 0),
    lambda nn, lib: nn.RNN(3, 4, num_layers=0),
    lambda nn, lib: nn.GRU(3, 4, proj_size=2),
    lambda nn, lib: nn.LSTM(3, 4, proj_size=4),
    lambda nn, lib: nn.RNN(3.0, 4),
])
def test_errors_match_torch(case):
    b = _err(lambda: case(tnn, torch))
    assert b is not None
    assert _err(lambda: case(hnn, huoba)) == b


def test_dropout_warning():
    def w(nn):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            nn.RNN(3, 4, dropout=0.5)
        return [str(x.message) for x in rec]
    assert w(hnn) == w(tnn)


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_gradcheck_layers(mode):
    huoba.manual_seed(0)
    m = getattr(hnn, mode)(2, 3, bidirectional=True).double()
    x = rng.standard_normal((3, 2, 2))
    gradcheck(lambda inp: m(inp)[0], [x])
    if mode == "LSTM":
        h0 = rng.standard_normal((2, 2, 3))
        c0 = rng.standard_normal((2, 2, 3))
        gradcheck(lambda inp, h, c: m(inp, (h, c))[1][1], [x, h0, c0])
    else:
        h0 = rng.standard_normal((2, 2, 3))
        gradcheck(lambda inp, h: m(inp, h)[1], [x, h0])


def test_training_step_matches_torch():
    hm, tm = hnn.LSTM(I, H, 2), tnn.LSTM(I, H, 2)
    copy_weights(tm, hm)
    hfc, tfc = hnn.Linear(H, 2), tnn.Linear(H, 2)
    copy_weights(tfc, hfc)
    x = XS.astype(np.float32)
    for _ in range(3):
        hl = hfc(hm(huoba.tensor(x))[0][-1]).pow(2).sum()
        tl = tfc(tm(torch.tensor(x))[0][-1]).pow(2).sum()
        hl.backward()
        tl.backward()
        with huoba.no_grad():
            for p in list(hm.parameters()) + list(hfc.parameters()):
                p -= 0.1 * p.grad
                p.grad = None
        with torch.no_grad():
            for p in list(tm.parameters()) + list(tfc.parameters()):
                p -= 0.1 * p.grad
                p.grad = None
        np.testing.assert_allclose(hl.item(), tl.item(), rtol=1e-5)

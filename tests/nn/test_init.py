"""nn.init and the layers' reset_parameters: bit for bit PyTorch's after the same seed."""
import math
import warnings

import numpy as np
import pytest

import huoba
import huoba.nn as hnn

torch = pytest.importorskip("torch")
tnn = torch.nn

from nn_helpers import to_np  # noqa: E402


def _pair(fn, shape=(6, 5), dtype="float32", seed=0):
    huoba.manual_seed(seed)
    torch.manual_seed(seed)
    a = huoba.empty(*shape, dtype=getattr(huoba, dtype))
    b = torch.empty(*shape, dtype=getattr(torch, dtype))
    ra = fn(hnn.init, a)
    rb = fn(tnn.init, b)
    assert ra is a
    return to_np(a), to_np(b)


INITS = [
    lambda init, t: init.uniform_(t),
    lambda init, t: init.uniform_(t, -0.3, 2.0),
    lambda init, t: init.normal_(t),
    lambda init, t: init.normal_(t, 1.5, 0.2),
    lambda init, t: init.constant_(t, 0.3),
    lambda init, t: init.ones_(t),
    lambda init, t: init.zeros_(t),
    lambda init, t: init.eye_(t),
    lambda init, t: init.xavier_uniform_(t),
    lambda init, t: init.xavier_uniform_(t, gain=init.calculate_gain("tanh")),
    lambda init, t: init.xavier_normal_(t, gain=2.0),
    lambda init, t: init.kaiming_uniform_(t),
    lambda init, t: init.kaiming_uniform_(t, a=math.sqrt(5)),
    lambda init, t: init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"),
    lambda init, t: init.kaiming_normal_(t),
    lambda init, t: init.kaiming_normal_(t, a=0.2, mode="fan_out", nonlinearity="leaky_relu"),
    lambda init, t: init.trunc_normal_(t),
    lambda init, t: init.trunc_normal_(t, mean=0.1, std=0.02, a=-0.04, b=0.04),
    lambda init, t: init.trunc_normal_(t, mean=0.0, std=1.0, a=0.0, b=0.2),
    lambda init, t: init.sparse_(t, 0.3),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("i", range(len(INITS)))
def test_init_functions_bit_exact(i, dtype):
    for shape in ((6, 5), (40, 3)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # case 17 warns (mean far from [a, b]) in both libraries
            a, b = _pair(INITS[i], shape, dtype, seed=i)
        assert a.dtype == b.dtype
        assert np.array_equal(a, b), (i, shape)


@pytest.mark.parametrize("shape", [(4, 3, 3, 3), (3, 2, 5), (2, 2, 2, 2, 2)])
def test_init_conv_shapes_bit_exact(shape):
    for fn in (lambda init, t: init.kaiming_uniform_(t, a=math.sqrt(5)), lambda init, t: init.xavier_normal_(t),
               lambda init, t: init.dirac_(t), lambda init, t: init.kaiming_normal_(t, mode="fan_out")):
        a, b = _pair(fn, shape)
        assert np.array_equal(a, b)
    a, b = _pair(lambda init, t: init.dirac_(t, groups=2), (4, 3, 3, 3))
    assert np.array_equal(a, b)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 2, 2)])
def test_orthogonal(shape):
    a, b = _pair(lambda init, t: init.orthogonal_(t, gain=1.5), shape, "float64")
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    flat = a.reshape(shape[0], -1)
    if flat.shape[0] <= flat.shape[1]:
        np.testing.assert_allclose(flat @ flat.T, 2.25 * np.eye(flat.shape[0]), atol=1e-10)


def test_calculate_gain_and_fans():
    for args in (("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",),
                 ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu",)):
        assert hnn.init.calculate_gain(*args) == tnn.init.calculate_gain(*args)
    for args in (("foo",), ("leaky_relu", "x"), ("leaky_relu", True)):
        with pytest.raises(ValueError) as h:
            hnn.init.calculate_gain(*args)
        with pytest.raises(ValueError) as t:
            tnn.init.calculate_gain(*args)
        assert str(h.value) == str(t.value)
    for shape in ((3, 4), (5, 2, 3, 3), (2, 7, 4)):
        assert hnn.init._calculate_fan_in_and_fan_out(huoba.empty(*shape)) == \
            tnn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


@pytest.mark.parametrize("case", [
    lambda init, lib: init._calculate_fan_in_and_fan_out(lib.empty(3)),
    lambda init, lib: init.kaiming_uniform_(lib.empty(3, 3), mode="fan_avg"),
    lambda init, lib: init.eye_(lib.empty(3, 3, 3)),
    lambda init, lib: init.dirac_(lib.empty(3, 3)),
    lambda init, lib: init.dirac_(lib.empty(3, 3, 3), groups=2),
    lambda init, lib: init.orthogonal_(lib.empty(3)),
    lambda init, lib: init.sparse_(lib.empty(3, 3, 3), 0.1),
])
def test_init_errors(case):
    def err(init, lib):
        try:
            case(init, lib)
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
    assert err(hnn.init, huoba) == err(tnn.init, torch)


def test_init_on_parameter_keeps_it_a_leaf():
    p = hnn.Parameter(huoba.empty(3, 4))
    hnn.init.kaiming_uniform_(p)
    assert p.is_leaf and p.requires_grad and p.grad_fn is None


def test_zero_element_warning_and_deprecated_names():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        hnn.init.kaiming_uniform_(huoba.empty(0, 3))
    assert "Initializing zero-element tensors is a no-op" in str(w[0].message)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        hnn.init.uniform(huoba.empty(2))
    assert w[0].category is FutureWarning
    assert str(w[0].message) == "`nn.init.uniform` is now deprecated in favor of `nn.init.uniform_`."


def test_init_with_generator():
    gh = huoba.Generator().manual_seed(7)
    gt = torch.Generator().manual_seed(7)
    a = hnn.init.normal_(huoba.empty(10), generator=gh)
    b = tnn.init.normal_(torch.empty(10), generator=gt)
    assert np.array_equal(to_np(a), to_np(b))


LAYERS = [
    lambda nn: nn.Linear(3, 2),
    lambda nn: nn.Linear(20, 7, bias=False),
    lambda nn: nn.Bilinear(3, 4, 2),
    lambda nn: nn.Conv2d(3, 8, 3),
    lambda nn: nn.Conv1d(2, 4, 5, groups=2),
    lambda nn: nn.ConvTranspose2d(4, 6, 3, groups=2),
    lambda nn: nn.Embedding(10, 4),
    lambda nn: nn.Embedding(10, 4, padding_idx=3),
    lambda nn: nn.BatchNorm1d(5),
    lambda nn: nn.BatchNorm2d(3, affine=False),
    lambda nn: nn.LayerNorm((2, 3)),
    lambda nn: nn.GroupNorm(2, 4),
    lambda nn: nn.PReLU(3),
    lambda nn: nn.RNN(3, 5, 2),
    lambda nn: nn.LSTM(3, 4, num_layers=2, bidirectional=True),
    lambda nn: nn.LSTM(3, 4, proj_size=2),
    lambda nn: nn.GRU(4, 3, bias=False),
    lambda nn: nn.RNNCell(3, 4),
    lambda nn: nn.LSTMCell(3, 4),
    lambda nn: nn.GRUCell(3, 4),
    lambda nn: nn.MultiheadAttention(8, 2),
    lambda nn: nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)),
]


@pytest.mark.parametrize("i", range(len(LAYERS)))
def test_layer_reset_parameters_bit_exact(i):
    huoba.manual_seed(i)
    torch.manual_seed(i)
    hm, tm = LAYERS[i](hnn), LAYERS[i](tnn)
    hs, ts = hm.state_dict(), tm.state_dict()
    assert list(hs) == list(ts)
    for k in hs:
        assert str(hs[k].dtype) == str(ts[k].dtype), k
        assert np.array_equal(to_np(hs[k]), to_np(ts[k])), k
    # the generator is left in the same state too
    assert np.array_equal(to_np(huoba.rand(3)), to_np(torch.rand(3)))


def test_reset_parameters_again_matches():
    huoba.manual_seed(1)
    torch.manual_seed(1)
    hm, tm = hnn.Linear(5, 3), tnn.Linear(5, 3)
    hm.reset_parameters()
    tm.reset_parameters()
    assert np.array_equal(to_np(hm.weight), to_np(tm.weight))
    assert np.array_equal(to_np(hm.bias), to_np(tm.bias))


def test_factory_kwargs():
    m = hnn.Linear(3, 2, dtype=huoba.float64)
    assert m.weight.dtype == huoba.float64 and m.bias.dtype == huoba.float64
    assert hnn.BatchNorm1d(3, dtype=huoba.float64).running_mean.dtype == huoba.float64
    assert hnn.LSTM(2, 3, dtype=huoba.float64).weight_ih_l0.dtype == huoba.float64
    assert hnn.Linear(3, 2, device="cpu").weight.device.type == "cpu"

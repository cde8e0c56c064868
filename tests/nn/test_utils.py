"""huoba.nn.utils: gradient clipping and parameter vectors, against PyTorch."""
import warnings

import numpy as np
import pytest

import huoba
import huoba.nn as hnn

torch = pytest.importorskip("torch")
tnn = torch.nn

from nn_helpers import copy_weights, to_np  # noqa: E402


def _twins():
    huoba.manual_seed(0)
    torch.manual_seed(0)
    hm = hnn.Sequential(hnn.Linear(4, 5), hnn.Tanh(), hnn.Linear(5, 2))
    tm = tnn.Sequential(tnn.Linear(4, 5), tnn.Tanh(), tnn.Linear(5, 2))
    copy_weights(tm, hm)
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    (hm(huoba.tensor(x)) * 10).sum().backward()
    (tm(torch.tensor(x)) * 10).sum().backward()
    return hm, tm


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm(norm_type, max_norm):
    hm, tm = _twins()
    hn = hnn.utils.clip_grad_norm_(hm.parameters(), max_norm, norm_type)
    tn = tnn.utils.clip_grad_norm_(tm.parameters(), max_norm, norm_type)
    assert str(hn.dtype) == str(tn.dtype) and hn.shape == tn.shape
    np.testing.assert_allclose(hn.item(), tn.item(), rtol=1e-5)
    for p, q in zip(hm.parameters(), tm.parameters()):
        np.testing.assert_allclose(to_np(p.grad), to_np(q.grad), rtol=1e-5, atol=1e-7)


def test_clip_grad_value_and_single_tensor():
    hm, tm = _twins()
    hnn.utils.clip_grad_value_(hm.parameters(), 0.3)
    tnn.utils.clip_grad_value_(tm.parameters(), 0.3)
    for p, q in zip(hm.parameters(), tm.parameters()):
        np.testing.assert_allclose(to_np(p.grad), to_np(q.grad))
    hm, tm = _twins()
    hn = hnn.utils.clip_grad_norm_(hm[0].weight, 0.1)
    tn = tnn.utils.clip_grad_norm_(tm[0].weight, 0.1)
    np.testing.assert_allclose(hn.item(), tn.item(), rtol=1e-5)
    np.testing.assert_allclose(to_np(hm[0].weight.grad), to_np(tm[0].weight.grad), rtol=1e-5)


def test_clip_grad_norm_edge_cases():
    assert hnn.utils.clip_grad_norm_([], 1.0).item() == 0.0
    p = hnn.Parameter(huoba.ones(2))
    p.grad = huoba.tensor([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        hnn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        hnn.utils.clip_grad_norm_((x for x in []), 1.0)
    assert "empty generator" in str(w[0].message)


def test_parameters_to_vector_roundtrip():
    hm, tm = _twins()
    hv = hnn.utils.parameters_to_vector(hm.parameters())
    tv = tnn.utils.parameters_to_vector(tm.parameters())
    np.testing.assert_allclose(to_np(hv), to_np(tv))
    hnn.utils.vector_to_parameters(hv * 2, hm.parameters())
    np.testing.assert_allclose(to_np(hm[0].bias), 2 * to_np(tm[0].bias), rtol=1e-6)
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        hnn.utils.vector_to_parameters([1], hm.parameters())


def test_pad_sequence():
    seqs = [np.random.default_rng(i).standard_normal((n, 3)) for i, n in enumerate((4, 2, 5))]
    for kw in (dict(), dict(batch_first=True), dict(batch_first=True, padding_value=-1.0),
               dict(padding_side="left")):
        a = hnn.utils.rnn.pad_sequence([huoba.tensor(s) for s in seqs], **kw)
        b = tnn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], **kw)
        np.testing.assert_array_equal(to_np(a), to_np(b))

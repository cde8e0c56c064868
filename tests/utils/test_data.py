"""huoba.utils.data against torch.utils.data: batches, order under a seed, workers, errors."""
import collections
import os
import signal
import time

import numpy as np
import pytest

import huoba
from huoba.utils import data as hdata

torch = pytest.importorskip("torch")
from torch.utils import data as tdata  # noqa: E402


def both(n=10):
    h = hdata.TensorDataset(huoba.arange(float(n)).view(n, 1), huoba.arange(n))
    t = tdata.TensorDataset(torch.arange(float(n)).view(n, 1), torch.arange(n))
    return h, t


def labels(loader):
    return [b[1].tolist() for b in loader]


@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (3, False), (3, True), (4, False), (10, True)])
@pytest.mark.parametrize("seed", [0, 7])
def test_shuffle_order_matches_torch(batch_size, drop_last, seed):
    h, t = both(10)
    huoba.manual_seed(seed)
    torch.manual_seed(seed)
    for _ in range(2):  # two epochs: the generator stream must stay in step
        assert labels(hdata.DataLoader(h, batch_size, shuffle=True, drop_last=drop_last)) == \
            labels(tdata.DataLoader(t, batch_size, shuffle=True, drop_last=drop_last))


def test_sequential_batches_and_dtypes():
    h, t = both(7)
    hb = list(hdata.DataLoader(h, batch_size=3))
    tb = list(tdata.DataLoader(t, batch_size=3))
    assert len(hb) == len(tb) == 3
    for (hx, hy), (tx, ty) in zip(hb, tb):
        np.testing.assert_array_equal(hx.numpy(), tx.numpy())
        assert str(hx.dtype) == str(tx.dtype) and str(hy.dtype) == str(ty.dtype)
        assert tuple(hx.shape) == tuple(tx.shape)


def test_explicit_generator_and_random_split():
    h, t = both(12)
    hg, tg = huoba.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert labels(hdata.DataLoader(h, 5, shuffle=True, generator=hg)) == \
        labels(tdata.DataLoader(t, 5, shuffle=True, generator=tg))
    hs = hdata.random_split(range(10), [0.7, 0.3], generator=huoba.Generator().manual_seed(1))
    ts = tdata.random_split(range(10), [0.7, 0.3], generator=torch.Generator().manual_seed(1))
    assert [list(s) for s in hs] == [list(s) for s in ts]
    huoba.manual_seed(5)
    torch.manual_seed(5)
    assert [s.indices for s in hdata.random_split(range(9), [4, 5])] == \
        [s.indices for s in tdata.random_split(range(9), [4, 5])]


def test_samplers_match_torch():
    huoba.manual_seed(2)
    torch.manual_seed(2)
    assert list(hdata.RandomSampler(range(20), replacement=True, num_samples=40)) == \
        list(tdata.RandomSampler(range(20), replacement=True, num_samples=40))
    assert list(hdata.SubsetRandomSampler([3, 5, 9, 11])) == list(tdata.SubsetRandomSampler([3, 5, 9, 11]))
    assert list(hdata.BatchSampler(range(10), 4, False)) == list(tdata.BatchSampler(range(10), 4, False))
    assert len(hdata.BatchSampler(range(10), 4, True)) == 2
    w = [0.1, 0.9, 0.4, 0.0, 2.0]
    assert list(hdata.WeightedRandomSampler(w, 30)) == list(tdata.WeightedRandomSampler(w, 30))


def test_default_collate_structures():
    Point = collections.namedtuple("Point", "x y")
    samples = [{"a": np.ones(2, np.float32) * i, "b": i, "c": float(i), "s": f"s{i}", "p": Point(i, True),
                "l": [i, (i, i)]} for i in range(3)]
    hb = hdata.default_collate(samples)
    tb = tdata.default_collate(samples)
    assert hb.keys() == tb.keys()
    np.testing.assert_array_equal(hb["a"].numpy(), tb["a"].numpy())
    assert str(hb["a"].dtype) == str(tb["a"].dtype) and str(hb["b"].dtype) == str(tb["b"].dtype)
    assert str(hb["c"].dtype) == str(tb["c"].dtype) == "torch.float64"
    assert hb["s"] == tb["s"]
    assert type(hb["p"]).__name__ == "Point" and hb["p"].y.tolist() == tb["p"].y.tolist()
    assert [x.tolist() if hasattr(x, "tolist") else [y.tolist() for y in x] for x in hb["l"]] == \
        [x.tolist() if hasattr(x, "tolist") else [y.tolist() for y in x] for x in tb["l"]]
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        hdata.default_collate([[1, 2], [1]])
    assert isinstance(hdata.default_convert(np.zeros(3)), huoba.Tensor)


class Squares(hdata.Dataset):
    def __len__(self):
        return 9

    def __getitem__(self, i):
        info = hdata.get_worker_info()
        return huoba.tensor([i * i]), -1 if info is None else info.id


def test_workers_keep_order_and_report_info():
    loader = hdata.DataLoader(Squares(), batch_size=2, num_workers=2)
    batches = list(loader)
    assert [b[0].view(-1).tolist() for b in batches] == [[0, 1], [4, 9], [16, 25], [36, 49], [64]]
    assert sorted({w for b in batches for w in b[1].tolist()}) == [0, 1]
    assert hdata.get_worker_info() is None


def test_worker_seeds_are_base_seed_plus_id():
    class Seeds(hdata.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            info = hdata.get_worker_info()
            return info.seed - info.id, huoba.initial_seed() - info.id

    huoba.manual_seed(0)
    out = list(hdata.DataLoader(Seeds(), batch_size=1, num_workers=2))
    bases = {int(b[0]) for b in out} | {int(b[1]) for b in out}
    assert len(bases) == 1
    torch.manual_seed(0)
    expected = int(torch.empty((), dtype=torch.int64).random_().item())
    assert bases == {expected}


class Failing(hdata.Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 3:
            raise KeyError("bad sample 3")
        return i


def test_worker_error_is_reraised_with_traceback_and_workers_stop():
    loader = hdata.DataLoader(Failing(), batch_size=1, num_workers=2)
    it = iter(loader)
    with pytest.raises(KeyError) as info:
        for _ in it:
            pass
    assert "Caught KeyError in DataLoader worker process" in str(info.value)
    assert "bad sample 3" in str(info.value) and "Traceback" in str(info.value)
    for w in it._workers:
        w.join(timeout=5)
        assert not w.is_alive()


def test_dropping_an_iterator_leaves_no_processes():
    it = iter(hdata.DataLoader(Squares(), batch_size=1, num_workers=2))
    next(it)
    workers = list(it._workers)
    it._shutdown_workers()
    for w in workers:
        assert not w.is_alive()


def test_iterable_dataset_with_workers_splits_by_worker_info():
    class Stream(hdata.IterableDataset):
        def __iter__(self):
            info = hdata.get_worker_info()
            start = 0 if info is None else info.id
            step = 1 if info is None else info.num_workers
            return iter(range(start, 8, step))

    assert sorted(sum((b.tolist() for b in hdata.DataLoader(Stream(), batch_size=2, num_workers=2)), [])) == \
        list(range(8))
    assert [b.tolist() for b in hdata.DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6, 7]]


def test_getitems_batched_fetch_is_used():
    class Batched(hdata.Dataset):
        calls = 0

        def __len__(self):
            return 5

        def __getitem__(self, i):
            raise AssertionError("should use __getitems__")

        def __getitems__(self, idx):
            Batched.calls += 1
            return [huoba.tensor(i) for i in idx]

    assert [b.tolist() for b in hdata.DataLoader(Batched(), batch_size=2)] == [[0, 1], [2, 3], [4]]
    assert Batched.calls == 3


@pytest.mark.parametrize("kwargs,message", [
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(shuffle=True, sampler=[0, 1]), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
])
def test_argument_errors_match_torch(kwargs, message):
    h, t = both(4)
    with pytest.raises(ValueError, match=message):
        hdata.DataLoader(h, **kwargs)
    with pytest.raises(ValueError, match=message):
        tdata.DataLoader(t, **kwargs)


def test_concat_and_subset():
    a = hdata.TensorDataset(huoba.arange(3))
    b = hdata.TensorDataset(huoba.arange(3, 5))
    c = a + b
    assert len(c) == 5 and c[3][0].item() == 3 and c[-1][0].item() == 4
    s = hdata.Subset(c, [4, 0])
    assert [s[i][0].item() for i in range(2)] == [4, 0]
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        hdata.TensorDataset(huoba.zeros(2), huoba.zeros(3))

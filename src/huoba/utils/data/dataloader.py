"""DataLoader: batches from a dataset, in the main process or in worker processes.

With `num_workers > 0` each worker is a separate process that receives batches
of indices, fetches and collates them, and sends the batch back; the main
process hands them out in order.  Workers are seeded `base_seed + worker_id`
like PyTorch's, an exception in a worker is re-raised in the main process with
the worker's traceback, and workers are shut down when the iterator ends, is
dropped, or fails.
"""
import itertools
import multiprocessing
import os
import queue
import random as _py_random
import sys
import threading
import traceback
import warnings

from ... import dtypes, random as _random
from ...ops.creation import empty
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info", "WorkerInfo"]


class WorkerInfo:
    """What `get_worker_info()` returns inside a worker process."""

    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self):
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
                f"dataset={self.dataset!r})")


_worker_info = None


def get_worker_info():
    """Inside a DataLoader worker: its WorkerInfo; in the main process: None."""
    return _worker_info


class _WorkerError:
    """An exception raised in a worker, carried to the main process as text."""

    def __init__(self, exc, where):
        self.exc_type = type(exc)
        self.message = (f"Caught {type(exc).__name__} {where}.\nOriginal "
                        + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))

    def reraise(self):
        try:
            err = self.exc_type(self.message)
        except Exception:
            err = RuntimeError(self.message)
        raise err


class _Fetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation, self.collate_fn, self.drop_last = (
            dataset, auto_collation, collate_fn, drop_last)
        self._iterable = isinstance(dataset, IterableDataset)
        self._iter = None
        self.ended = False

    def fetch(self, index):
        if self._iterable:
            if self._iter is None:
                self._iter = iter(self.dataset)
            if self.auto_collation:
                data = []
                for _ in index:
                    try:
                        data.append(next(self._iter))
                    except StopIteration:
                        self.ended = True
                        break
                if not data or (self.drop_last and len(data) < len(index)):
                    raise StopIteration
            else:
                data = next(self._iter)
            return self.collate_fn(data)
        if self.auto_collation:
            getitems = getattr(self.dataset, "__getitems__", None)
            data = getitems(index) if getitems else [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


def _worker_loop(dataset, index_queue, data_queue, done_event, auto_collation, collate_fn, drop_last, seed,
                 init_fn, worker_id, num_workers):
    global _worker_info
    try:
        _py_random.seed(seed)
        _random.manual_seed(seed)
        _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
        init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _Fetcher(dataset, auto_collation, collate_fn, drop_last)
        except Exception as exc:
            init_error = _WorkerError(exc, f"in DataLoader worker process {worker_id}")
        while not done_event.is_set():
            try:
                task = index_queue.get(timeout=0.1)
            except queue.Empty:
                continue
            if task is None:
                break
            batch_idx, index = task
            if init_error is not None:
                data_queue.put((batch_idx, init_error))
                init_error = None
                continue
            try:
                data = fetcher.fetch(index)
            except StopIteration:
                data = _IterableEnd(worker_id)
            except Exception as exc:
                data = _WorkerError(exc, f"in DataLoader worker process {worker_id}")
            data_queue.put((batch_idx, data))
    except KeyboardInterrupt:
        pass


class _IterableEnd:
    def __init__(self, worker_id):
        self.worker_id = worker_id


class _SingleProcessIter:
    def __init__(self, loader):
        self._loader = loader
        self._sampler_iter = iter(loader._index_sampler)
        self._fetcher = _Fetcher(loader.dataset, loader._auto_collation, loader.collate_fn, loader.drop_last)
        self._yielded = 0

    def __iter__(self):
        return self

    _pin = False

    def __next__(self):
        index = next(self._sampler_iter)
        data = self._fetcher.fetch(index)
        self._yielded += 1
        return _pin_batch(data) if self._pin else data

    def __len__(self):
        return len(self._loader)


class _MultiProcessIter:
    """Hands out batches fetched by worker processes, in sampler order."""

    _pin = False

    def __init__(self, loader, base_seed):
        self._loader = loader
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        ctx = loader.multiprocessing_context
        if ctx is None:
            ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        elif isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        self._done = ctx.Event()
        self._data_queue = ctx.Queue()
        self._index_queues = []
        self._workers = []
        for wid in range(self._num_workers):
            iq = ctx.Queue()
            w = ctx.Process(target=_worker_loop, daemon=True,
                            args=(loader.dataset, iq, self._data_queue, self._done, loader._auto_collation,
                                  loader.collate_fn, loader.drop_last, base_seed + wid, loader.worker_init_fn,
                                  wid, self._num_workers))
            w.start()
            self._index_queues.append(iq)
            self._workers.append(w)
        self._shutdown = False
        self._reset(loader)

    def _reset(self, loader):
        self._sampler_iter = iter(loader._index_sampler)
        self._send_idx = 0
        self._rcvd_idx = 0
        self._pending = {}   # batch index -> worker id, sent but not yet handed out
        self._buffer = {}
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        self._active = [True] * self._num_workers
        for _ in range(loader.prefetch_factor * self._num_workers):
            self._send()

    def _send(self):
        for _ in range(self._num_workers):
            wid = next(self._worker_cycle)
            if self._active[wid]:
                break
        else:
            return
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        self._index_queues[wid].put((self._send_idx, index))
        self._pending[self._send_idx] = wid
        self._send_idx += 1

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader)

    def _get(self):
        timeout = self._timeout if self._timeout > 0 else 5.0
        while True:
            try:
                return self._data_queue.get(timeout=timeout)
            except queue.Empty:
                if self._timeout > 0:
                    self._shutdown_workers()
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
                dead = [w for w in self._workers if not w.is_alive()]
                if dead:
                    self._shutdown_workers()
                    pids = ", ".join(str(w.pid) for w in dead)
                    raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly")

    def __next__(self):
        while True:
            if self._rcvd_idx >= self._send_idx and not self._pending:
                if not self._loader.persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if self._rcvd_idx in self._buffer:
                data = self._buffer.pop(self._rcvd_idx)
            elif self._rcvd_idx not in self._pending:
                self._rcvd_idx += 1
                continue
            else:
                idx, data = self._get()
                if idx != self._rcvd_idx:
                    self._buffer[idx] = data
                    continue
            wid = self._pending.pop(self._rcvd_idx, None)
            self._rcvd_idx += 1
            if isinstance(data, _IterableEnd):
                self._active[data.worker_id] = False
                continue
            if isinstance(data, _WorkerError):
                self._shutdown_workers()
                data.reraise()
            self._send()
            return _pin_batch(data) if self._pin else data

    def _shutdown_workers(self):
        if self._shutdown:
            return
        self._shutdown = True
        self._done.set()
        for q in self._index_queues:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for w in self._workers:
            w.join(timeout=5)
            if w.is_alive():
                w.terminate()
                w.join(timeout=1)
        for q in self._index_queues + [self._data_queue]:
            q.cancel_join_thread()
            q.close()

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:
            pass


class DataLoader:
    """Iterate a dataset in batches (PyTorch's arguments and defaults)."""

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers > 0 else prefetch_factor
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.generator = generator
        if isinstance(dataset, IterableDataset):
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 f"shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but got "
                                 f"sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, but "
                                 f"got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and "
                                 "drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")
        if sampler is None:
            if isinstance(dataset, IterableDataset):
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self._iterator = None

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _base_seed(self):
        # PyTorch draws one int64 from the (given or default) generator per iterator
        return int(empty((), dtype=dtypes.int64).random_(generator=self.generator).item())

    def __iter__(self):
        seed = self._base_seed()
        if self.num_workers == 0:
            return _pinning(self, _SingleProcessIter(self))
        if self.persistent_workers:
            if self._iterator is None:
                self._iterator = _MultiProcessIter(self, seed)
            else:
                self._iterator._reset(self)
            return _pinning(self, self._iterator)
        return _pinning(self, _MultiProcessIter(self, seed))

    def __len__(self):
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)
            if self.batch_size is not None:
                return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)


def _pinning(loader, iterator):
    """pin_memory=True: batches come in page-locked memory when a GPU is there (PyTorch warns
    and carries on without one)."""
    if loader.pin_memory:
        from ...cuda import is_available
        if not is_available():
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.")
        else:
            iterator._pin = True
    return iterator


def _pin_batch(data):
    from ...tensor import Tensor
    if isinstance(data, Tensor):
        return data.pin_memory() if data.is_cpu else data
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(_pin_batch(d) for d in data))
    if isinstance(data, (list, tuple)):
        return type(data)(_pin_batch(d) for d in data)
    if isinstance(data, dict):
        return type(data)((k, _pin_batch(v)) for k, v in data.items())
    return data


class _InfiniteConstantSampler:
    def __iter__(self):
        while True:
            yield None

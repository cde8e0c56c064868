"""`huoba.save` / `huoba.load`: checkpoints in PyTorch's own file format.

Files
-----
`save` writes what `torch.save` writes: a zip archive (entries stored, not
compressed, each payload 64-byte aligned through an "FB" padding extra field
and followed by a data descriptor, as PyTorch's miniz writer does) holding

    <archive>/data.pkl               the pickled object (protocol 2)
    <archive>/.format_version        "1"
    <archive>/.storage_alignment     "64"
    <archive>/byteorder              "little"
    <archive>/data/<key>             the raw bytes of each storage
    <archive>/version                "3\\n"
    <archive>/.data/serialization_id

and inside data.pkl the globals PyTorch uses (`torch._utils._rebuild_tensor_v2`,
`torch.FloatStorage`-style storage types in `('storage', type, key, location,
numel)` persistent ids, `torch.float32`, `torch.Size`, `torch.device`,
`collections.OrderedDict`, `torch._utils._rebuild_parameter`), so that
`torch.load(path, weights_only=True)` reads it.  torch is never imported: a
small pure-Python pickler writes those global names itself.  Tensors that
share memory are written once (one storage per NumPy/CuPy base buffer) with
their offsets and strides, so sharing survives a round trip.

`load` reads that format (from torch or from huoba) and PyTorch's legacy
pre-1.6 format, mapping torch's globals onto huoba's.

Safety and integrity
--------------------
* `weights_only=True` (the default) unpickles with an allowlist: tensor
  rebuild functions, storage types, dtypes, `torch.Size`, `torch.device`,
  `OrderedDict` and primitive containers, plus whatever `add_safe_globals`
  added.  Every other global is refused before it is imported, so a crafted
  pickle cannot run code.
* Saving to a path is atomic: the data goes to an unnamed (O_TMPFILE) or
  hidden temporary file in the target directory, is flushed and fsynced, and
  only then replaces the target.  A failure or a killed process leaves the
  previous file as it was.
* Damaged files (empty, truncated, random bytes, a zip without data.pkl, a
  CRC mismatch) raise `InvalidCheckpointError` (both a RuntimeError and a
  pickle.UnpicklingError) that says what is wrong.
"""
import builtins as _builtins
import codecs as _codecs
import collections
import contextlib
import ctypes
import io
import os
import pickle
import secrets
import struct
import sys
import warnings
import zipfile
import zlib
from collections import OrderedDict

import numpy as np

from . import _backend
from . import dtypes as _dtypes
from .device import device as _device
from . import tensor as _tensor_module
from .tensor import Tensor, Size, _wrap, _view_of

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals",
           "get_unsafe_globals_in_checkpoint", "InvalidCheckpointError", "DEFAULT_PROTOCOL", "MAGIC_NUMBER",
           "PROTOCOL_VERSION", "UntypedStorage"]

DEFAULT_PROTOCOL = 2
MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
_ALIGNMENT = 64
_CHUNK = 64 << 20            # bytes per write/read call for large storages
_ZIP64_LIMIT = 0xFFFFFFFF    # sizes and offsets from here on need zip64 records
_PARALLEL_CRC_BYTES = 1 << 20   # storages this large have their CRC checked on a worker thread

UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
    "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will likely succeed, "
    "but it can result in arbitrary code execution. Do it only if you got the file from a "
    "trusted source."
)
_DOCS_MESSAGE = (
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default with "
    "weights_only https://pytorch.org/docs/stable/generated/torch.load.html."
)


class InvalidCheckpointError(RuntimeError, pickle.UnpicklingError):
    """The file is not a readable checkpoint (empty, truncated, corrupted or of another kind)."""


class _WeightsOnlyError(pickle.UnpicklingError):
    """The allowlist refused something; `load` rewrites the message as torch does."""


# =============================================================================
# Names as PyTorch writes them
# =============================================================================

class _TorchGlobal:
    """Stands for a global of the torch package (`module.name`) inside a pickle being written."""

    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module = module
        self.name = name

    def __call__(self, *args):  # pickle's save_reduce insists on a callable
        raise TypeError(f"{self.module}.{self.name} is a placeholder for writing pickles")

    def __repr__(self):
        return f"<global {self.module}.{self.name}>"


_G_REBUILD_TENSOR_V2 = _TorchGlobal("torch._utils", "_rebuild_tensor_v2")
_G_REBUILD_PARAMETER = _TorchGlobal("torch._utils", "_rebuild_parameter")
_G_SIZE = _TorchGlobal("torch", "Size")
_G_DEVICE = _TorchGlobal("torch", "device")

# huoba dtype name -> the name of torch's legacy storage class
_STORAGE_NAMES = {
    "float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
    "int64": "LongStorage", "int32": "IntStorage", "int16": "ShortStorage", "int8": "CharStorage",
    "uint8": "ByteStorage", "bool": "BoolStorage",
}
# storages PyTorch has but huoba cannot hold: storage name -> torch dtype name
_FOREIGN_STORAGES = {
    "BFloat16Storage": "bfloat16", "ComplexFloatStorage": "complex64", "ComplexDoubleStorage": "complex128",
    "QInt8Storage": "qint8", "QUInt8Storage": "quint8", "QInt32Storage": "qint32", "QUInt4x2Storage": "quint4x2",
    "QUInt2x4Storage": "quint2x4", "Float8_e4m3fnStorage": "float8_e4m3fn", "Float8_e5m2Storage": "float8_e5m2",
    "UInt16Storage": "uint16", "UInt32Storage": "uint32", "UInt64Storage": "uint64",
}
_G_STORAGE = {name: _TorchGlobal("torch", s) for name, s in _STORAGE_NAMES.items()}


# =============================================================================
# Writing: which storage a tensor lives in
# =============================================================================

def _is_numpy(array):
    # not `isinstance(array, np.ndarray)`: the test suite's fake CUDA arrays subclass ndarray
    return isinstance(array, np.ndarray) and _backend.is_cpu_array(array)


def _data_ptr(array):
    if _is_numpy(array):
        return array.__array_interface__["data"][0]
    return array.data.ptr


def _byte_bounds(array, ptr):
    """[lo, hi): the bytes an array can touch (its shape and strides from `ptr`)."""
    lo = hi = ptr
    for n, s in zip(array.shape, array.strides):
        if n == 0:
            return ptr, ptr
        if s < 0:
            lo += (n - 1) * s
        else:
            hi += (n - 1) * s
    return lo, hi + array.itemsize


def _root_of(array):
    """The array at the bottom of `array`'s chain of views: it holds the whole buffer."""
    root = array
    while True:
        base = root.base
        if base is None:
            return root
        if isinstance(base, np.ndarray) or (not _is_numpy(root) and type(base) is type(root)):
            root = base
            continue
        # np.lib.stride_tricks.as_strided puts a DummyArray between a view and its base
        inner = getattr(base, "base", None)
        if type(base).__name__ == "DummyArray" and isinstance(inner, np.ndarray):
            root = inner
            continue
        return root


def _contiguous_strides(shape):
    strides = []
    acc = 1
    for s in reversed(shape):
        strides.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(strides))


class _StorageRecord:
    __slots__ = ("key", "root", "lo", "nbytes", "dtype", "location", "numel", "storage_type")


class _StorageRef:
    """Placed where a storage goes in the pickle; the pickler turns it into a persistent id."""

    __slots__ = ("record",)

    def __init__(self, record):
        self.record = record


class _StorageTable:
    """Assigns storage keys ('0', '1', ...) to the buffers behind the tensors being saved."""

    def __init__(self):
        self.records = {}     # id(root array) -> _StorageRecord
        self.ordered = []

    def _record(self, root, lo, nbytes, dtype, location):
        rec = self.records.get(id(root))
        if rec is None:
            rec = _StorageRecord()
            rec.key = str(len(self.ordered))
            rec.root = root          # keeps the memory alive until it is written
            rec.lo = lo
            rec.nbytes = nbytes
            rec.dtype = dtype
            rec.location = location
            rec.numel = nbytes // dtype.itemsize
            rec.storage_type = _G_STORAGE[dtype.name]
            self.records[id(root)] = rec
            self.ordered.append(rec)
        elif rec.dtype is not dtype:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same data as different types")
        return rec

    def locate(self, array, dtype):
        """(record, storage_offset, size, stride) of a tensor whose data is `array`."""
        if isinstance(array, np.generic):   # a NumPy scalar that slipped into a tensor
            array = np.asarray(array)
        location = "cpu" if _is_numpy(array) else f"cuda:{array.device.id}"
        shape = tuple(array.shape)
        itemsize = array.itemsize
        if array.size == 0:
            # an empty tensor gets an empty storage of its own
            empty = (np if _is_numpy(array) else _backend.cupy()).empty(0, dtype=array.dtype)
            rec = self._record(empty, 0, 0, dtype, location)
            return rec, 0, shape, _contiguous_strides(shape)
        ptr = _data_ptr(array)
        strides = array.strides
        ok = True
        vhi = ptr
        for n, s in zip(shape, strides):
            if n != 1:
                if s < 0 or s % itemsize:
                    ok = False
                    break
                vhi += (n - 1) * s
        vhi += itemsize
        if ok:
            root = _root_of(array)
            lo, hi = _byte_bounds(root, _data_ptr(root))
            ok = (lo <= ptr and vhi <= hi and (ptr - lo) % itemsize == 0 and (hi - lo) % itemsize == 0)
        if not ok:
            # a layout torch cannot describe (negative or odd strides): save a compact copy
            root = array.copy()
            ptr = lo = _data_ptr(root)
            hi = lo + root.nbytes
            strides = root.strides
        rec = self._record(root, lo, hi - lo, dtype, location)
        contiguous = _contiguous_strides(shape)
        stride = tuple(s // itemsize if n != 1 else c for n, s, c in zip(shape, strides, contiguous))
        return rec, (ptr - lo) // itemsize, shape, stride

    def reduce(self, tensor):
        """What a huoba Tensor becomes in the pickle: torch's reduce tuple."""
        if type(tensor) is not Tensor and _is_parameter(tensor):
            return (_G_REBUILD_PARAMETER, (_wrap(tensor._data), tensor._requires_grad, OrderedDict()))
        rec, offset, size, stride = self.locate(tensor._data, tensor.dtype)
        return (_G_REBUILD_TENSOR_V2, (_StorageRef(rec), offset, size, stride, tensor._requires_grad, OrderedDict()))


def _is_parameter(t):
    try:
        from .nn.parameter import Parameter
    except ImportError:  # pragma: no cover - nn not built
        return False
    return isinstance(t, Parameter)


def _storage_chunks(rec):
    """The bytes of a storage, in pieces of at most _CHUNK bytes (host memory)."""
    n = rec.nbytes
    if n == 0:
        return
    if _is_numpy(rec.root):
        buf = (ctypes.c_char * n).from_address(rec.lo)
        view = memoryview(buf).cast("B")
        for start in range(0, n, _CHUNK):
            yield view[start:start + _CHUNK]
    else:
        cp = _backend.cupy()
        mem = rec.root.data.mem
        flat = cp.ndarray((n,), cp.uint8, memptr=cp.cuda.MemoryPointer(mem, rec.lo - mem.ptr))
        for start in range(0, n, _CHUNK):
            yield memoryview(flat[start:start + _CHUNK].get())


# =============================================================================
# Writing: the pickler
# =============================================================================

class _Pickler(pickle._Pickler):
    """A pure-Python pickler that writes huoba objects under torch's global names."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, protocol, table, legacy=False):
        super().__init__(file, protocol)
        self._table = table
        self._legacy = legacy

    def persistent_id(self, obj):
        if type(obj) is _StorageRef:
            rec = obj.record
            if self._legacy:
                return ("storage", rec.storage_type, rec.key, rec.location, rec.numel, None)
            return ("storage", rec.storage_type, rec.key, rec.location, rec.numel)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._table.reduce(obj)
        return NotImplemented

    def _write_global(self, module, name, obj):
        if self.proto >= 4:
            self.save(module)
            self.save(name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode("utf-8"))
        self.memoize(obj)

    def _save_torch_global(self, obj):
        self._write_global(obj.module, obj.name, obj)

    def _save_dtype(self, obj):
        self._write_global("torch", obj.name, obj)

    def _save_size(self, obj):
        self.save_reduce(_G_SIZE, (tuple(obj),), obj=obj)

    def _save_device(self, obj):
        args = (obj.type,) if obj.index is None else (obj.type, obj.index)
        self.save_reduce(_G_DEVICE, args, obj=obj)

    dispatch[_TorchGlobal] = _save_torch_global
    dispatch[_dtypes.dtype] = _save_dtype
    dispatch[Size] = _save_size
    dispatch[_device] = _save_device


def _pickle_payload(obj, protocol, legacy):
    table = _StorageTable()
    buf = io.BytesIO()
    _Pickler(buf, protocol, table, legacy).dump(obj)
    return buf.getvalue(), table.ordered


# =============================================================================
# Writing: the zip container
# =============================================================================

class _ZipWriter:
    """Writes a zip archive the way PyTorch's writer does (stored, aligned, data descriptors)."""

    def __init__(self, file, archive_name):
        self.file = file
        self.prefix = archive_name + "/"
        self.pos = 0
        self.entries = []

    def _write(self, data):
        self.file.write(data)
        self.pos += len(data) if isinstance(data, bytes) else memoryview(data).nbytes

    def write_record(self, name, size, chunks):
        fname = (self.prefix + name).encode("utf-8")
        offset = self.pos
        zip64 = size >= _ZIP64_LIMIT or offset >= _ZIP64_LIMIT
        extra = b""
        if zip64:
            fields = b""
            if size >= _ZIP64_LIMIT:
                fields += struct.pack("<QQ", size, size)
            if offset >= _ZIP64_LIMIT:
                fields += struct.pack("<Q", offset)
            extra = struct.pack("<HH", 1, len(fields)) + fields
        start = offset + 30 + len(fname) + len(extra) + 4
        pad = (-start) % _ALIGNMENT
        extra += b"FB" + struct.pack("<H", pad) + b"Z" * pad
        flag = 0x0808 if size else 0x0800       # utf-8 names; sizes in a data descriptor
        version = 45 if zip64 else 0
        self._write(struct.pack("<IHHHHHIIIHH", 0x04034B50, version, flag, 0, 0, 0, 0, 0, 0, len(fname), len(extra)))
        self._write(fname)
        self._write(extra)
        crc = 0
        written = 0
        for chunk in chunks:
            crc = zlib.crc32(chunk, crc)
            self._write(chunk)
            written += memoryview(chunk).nbytes
        if written != size:
            raise RuntimeError(f"internal error: record {name} has {written} bytes, expected {size}")
        if size:
            if zip64:
                self._write(struct.pack("<IIQQ", 0x08074B50, crc, size, size))
            else:
                self._write(struct.pack("<IIII", 0x08074B50, crc, size, size))
        self.entries.append((fname, crc, size, offset, flag, version))

    def write_bytes(self, name, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.write_record(name, len(data), (data,) if data else ())

    def finish(self):
        cd_start = self.pos
        for fname, crc, size, offset, flag, version in self.entries:
            fields = b""
            csize = usize = size
            hoff = offset
            if size >= _ZIP64_LIMIT:
                fields += struct.pack("<QQ", size, size)
                csize = usize = 0xFFFFFFFF
            if offset >= _ZIP64_LIMIT:
                fields += struct.pack("<Q", offset)
                hoff = 0xFFFFFFFF
            extra = struct.pack("<HH", 1, len(fields)) + fields if fields else b""
            self._write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, version, version, flag, 0, 0, 0, crc, csize,
                                    usize, len(fname), len(extra), 0, 0, 0, 0, hoff))
            self._write(fname)
            self._write(extra)
        cd_size = self.pos - cd_start
        count = len(self.entries)
        if count >= 0xFFFF or cd_start >= _ZIP64_LIMIT or cd_size >= _ZIP64_LIMIT:
            eocd64 = self.pos
            self._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, cd_size, cd_start))
            self._write(struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1))
            self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(count, 0xFFFF), min(count, 0xFFFF),
                                    min(cd_size, 0xFFFFFFFF), min(cd_start, 0xFFFFFFFF), 0))
        else:
            self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, cd_size, cd_start, 0))


def _archive_name(path):
    """The folder name torch uses inside the zip: the file name without its extension."""
    if path is None:
        return "archive"
    name = os.path.basename(os.fspath(path))
    dot = name.rfind(".")
    if dot >= 0:
        name = name[:dot]
    if not name or not name.isascii():
        return "archive"
    return name


def _write_zip(file, archive_name, payload, storages, disable_byteorder):
    zw = _ZipWriter(file, archive_name)
    zw.write_bytes("data.pkl", payload)
    zw.write_bytes(".format_version", "1")
    zw.write_bytes(".storage_alignment", str(_ALIGNMENT))
    if not disable_byteorder:
        zw.write_bytes("byteorder", sys.byteorder)
    for rec in storages:
        zw.write_record(f"data/{rec.key}", rec.nbytes, _storage_chunks(rec))
    zw.write_bytes("version", "3\n")
    zw.write_bytes(".data/serialization_id", "".join(str(secrets.randbelow(10)) for _ in range(40)))
    zw.finish()


def _write_legacy(file, payload, storages, protocol):
    for header in (MAGIC_NUMBER, PROTOCOL_VERSION,
                   {"protocol_version": PROTOCOL_VERSION, "little_endian": sys.byteorder == "little",
                    "type_sizes": {"short": 2, "int": 4, "long": struct.calcsize("l")}}):
        pickle.dump(header, file, protocol=protocol)
    file.write(payload)
    by_key = {rec.key: rec for rec in storages}
    keys = sorted(by_key)
    pickle.dump(keys, file, protocol=protocol)
    for key in keys:
        rec = by_key[key]
        file.write(struct.pack("<q", rec.numel))
        for chunk in _storage_chunks(rec):
            file.write(chunk)


# =============================================================================
# Writing: atomic replacement of a path
# =============================================================================

def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


_AT_FDCWD = -100
_AT_EMPTY_PATH = 0x1000


def _link_fd_at_empty_path(fd, dest):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.linkat(fd, b"", _AT_FDCWD, os.fsencode(dest), _AT_EMPTY_PATH) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), dest)


def _link_fd_via_proc(fd, dest):
    os.link(f"/proc/self/fd/{fd}", dest, follow_symlinks=True)


_LINKERS = (_link_fd_at_empty_path, _link_fd_via_proc)
_linker_for_device = {}   # st_dev -> how an O_TMPFILE file is given a name there (None: it cannot)


def _temp_name(directory, base):
    return os.path.join(directory, f".{base}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def _anonymous_linker(directory):
    """How to name an unnamed (O_TMPFILE) file in `directory`, or None if that does not work there."""
    if not hasattr(os, "O_TMPFILE") or not sys.platform.startswith("linux"):
        return None
    dev = os.stat(directory).st_dev
    if dev in _linker_for_device:
        return _linker_for_device[dev]
    found = None
    try:
        fd = os.open(directory, os.O_TMPFILE | os.O_WRONLY, 0o600)
    except OSError:
        fd = None
    if fd is not None:
        try:
            for linker in _LINKERS:
                probe = _temp_name(directory, "huoba-probe")
                try:
                    linker(fd, probe)
                except (OSError, AttributeError):
                    continue
                os.unlink(probe)
                found = linker
                break
        finally:
            os.close(fd)
    _linker_for_device[dev] = found
    return found


def _remove_stale_temps(directory, base):
    """Delete temporary files that earlier saves to `base` left behind when their process was killed."""
    prefix = f".{base}."
    try:
        names = [n for n in os.listdir(directory) if n.startswith(prefix) and n.endswith(".tmp")]
    except OSError:
        return
    for n in names:
        parts = n[len(prefix):-len(".tmp")].split(".")
        if len(parts) != 2 or not parts[0].isdigit() or len(parts[1]) != 8:
            continue
        pid = int(parts[0])
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
            continue          # its writer is still running
        except ProcessLookupError:
            pass
        except (PermissionError, OSError):
            continue
        try:
            os.unlink(os.path.join(directory, n))
        except OSError:
            pass


@contextlib.contextmanager
def _atomic_file(path):
    """A binary file that becomes `path` only once everything was written and synced.

    The data goes to an unnamed O_TMPFILE file in the target's directory where the
    filesystem allows it (a killed process then leaves nothing behind), else to a
    hidden temporary file there; `os.replace` puts it in place at the end.
    """
    import stat as _stat
    path = os.fspath(path)
    if os.path.islink(path):
        path = os.path.realpath(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    if st is not None and _stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(21, "Is a directory", path)
    if st is not None and not _stat.S_ISREG(st.st_mode):
        # a device or a pipe: there is nothing to replace, write straight into it
        with open(path, "wb") as f:
            yield f
        return
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {os.path.dirname(path)} does not exist.")
    linker = _anonymous_linker(directory)
    fd = tmp_name = None
    if linker is not None:
        try:
            fd = os.open(directory, os.O_TMPFILE | os.O_WRONLY, 0o666)
        except OSError:
            fd = None
    _remove_stale_temps(directory, base)
    if fd is None:
        linker = None
        while fd is None:
            tmp_name = _temp_name(directory, base)
            try:
                fd = os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            except FileExistsError:
                continue
    try:
        if st is not None:   # keep the permissions of the file being replaced
            os.fchmod(fd, _stat.S_IMODE(st.st_mode))
        elif linker is not None:   # the mode argument of an O_TMPFILE open is not always applied
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb", closefd=False) as f:
            yield f
            f.flush()
        os.fsync(fd)
        if linker is not None:
            while True:
                tmp_name = _temp_name(directory, base)
                try:
                    linker(fd, tmp_name)
                    break
                except FileExistsError:
                    continue
        os.replace(tmp_name, path)
        tmp_name = None
        try:  # make the rename itself durable
            dfd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:  # pragma: no cover - directories that cannot be opened or synced
            pass
    finally:
        os.close(fd)
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except FileNotFoundError:
                pass


# =============================================================================
# save
# =============================================================================

def _is_path(f):
    return isinstance(f, (str, os.PathLike))


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """save(obj, f, pickle_module=pickle, pickle_protocol=2, _use_new_zipfile_serialization=True)

    Saves `obj` (tensors, state_dicts, nested containers, any picklable object)
    to the path or binary file object `f` in PyTorch's checkpoint format.
    Saving to a path replaces the file atomically.
    """
    if not _is_path(f) and not hasattr(f, "write"):
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a 'write' attribute")
    # pickle first: an unpicklable object fails before a single byte is written
    # (pickle_module is accepted for compatibility; torch's global names need huoba's own pickler)
    payload, storages = _pickle_payload(obj, pickle_protocol, not _use_new_zipfile_serialization)

    def write(file):
        if _use_new_zipfile_serialization:
            _write_zip(file, _archive_name(f if _is_path(f) else None), payload, storages,
                       _disable_byteorder_record)
        else:
            _write_legacy(file, payload, storages, pickle_protocol)

    if _is_path(f):
        with _atomic_file(f) as file:
            write(file)
    else:
        write(f)
        if hasattr(f, "flush"):
            f.flush()


# =============================================================================
# Reading: storages and where they go
# =============================================================================

class _StorageType:
    """What `torch.FloatStorage` & co. unpickle to: it only carries the dtype."""

    __slots__ = ("name", "dtype", "torch_dtype_name")

    def __init__(self, name, dtype, torch_dtype_name):
        self.name = name
        self.dtype = dtype
        self.torch_dtype_name = torch_dtype_name

    def __repr__(self):
        return f"StorageType(dtype=torch.{self.torch_dtype_name})"


class UntypedStorage:
    """A block of bytes on a device, as `map_location` callables receive and return it."""

    def __init__(self, array):
        self._array = array  # 1-D uint8 NumPy or CuPy array

    @property
    def device(self):
        if _is_numpy(self._array):
            return _device("cpu")
        return _device("cuda", self._array.device.id)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    def nbytes(self):
        return self._array.nbytes

    size = nbytes

    def __len__(self):
        return self._array.nbytes

    def data_ptr(self):
        return _data_ptr(self._array) if self._array.size else 0

    def cpu(self):
        if _is_numpy(self._array):
            return self
        return UntypedStorage(self._array.get())

    def cuda(self, device=None, non_blocking=False):
        if device is None:
            device = "cuda"
        dev = _device(device) if not isinstance(device, int) else _device("cuda", device)
        return UntypedStorage(_move(self._array, str(dev)))

    def to(self, device=None, non_blocking=False):
        return UntypedStorage(_move(self._array, str(_device(device))))

    def tolist(self):
        return _builtins.list(np.asarray(self._array if _is_numpy(self._array) else self._array.get()).tolist())

    def __repr__(self):
        return f"huoba.UntypedStorage(device={self.device}) of size {self.nbytes()}"


def _cuda_unavailable_error():
    return RuntimeError(
        "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. "
        "If you are running on a CPU-only machine, please use torch.load with "
        "map_location=torch.device('cpu') to map your storages to the CPU.")


def _move(array, location):
    """`array` (a 1-D uint8 array) moved to the device named by `location`."""
    if isinstance(location, bytes):
        location = location.decode("ascii")
    location = str(location)
    if location == "cpu":
        return array if _is_numpy(array) else array.get()
    if location == "cuda" or location.startswith("cuda:"):
        cp = _backend.cupy()
        if cp is None:
            raise _cuda_unavailable_error()
        dev = _device(location)
        index = dev.index or 0
        count = cp.cuda.runtime.getDeviceCount()
        if index >= count:
            raise RuntimeError(
                f"Attempting to deserialize object on CUDA device {index} but torch.cuda.device_count() is "
                f"{count}. Please use torch.load with map_location to map your storages to an existing device.")
        return _backend.to_device(array, _device("cuda", index))
    raise RuntimeError(f"don't know how to restore data location of torch.storage.UntypedStorage "
                       f"(tagged with {location})")


def _restore(array, location, map_location):
    """Where the storage saved at `location` goes, following torch's `map_location` rules."""
    if map_location is None:
        return _move(array, location)
    if isinstance(map_location, dict):
        target = map_location.get(location, location)
        return _move(array, str(target) if isinstance(target, _device) else target)
    if isinstance(map_location, (str, bytes, _device)):
        return _move(array, map_location if not isinstance(map_location, _device) else str(map_location))
    result = map_location(UntypedStorage(array), location)
    if result is None:
        return _move(array, location)
    if isinstance(result, UntypedStorage):
        return result._array
    if isinstance(result, _LoadedStorage):
        return result.u8
    raise TypeError(f"map_location must return None or a storage, but returned {type(result).__name__}")


class _LoadedStorage:
    """A storage read from a checkpoint: its bytes and a typed 1-D view of them."""

    __slots__ = ("u8", "array", "dtype", "numel", "_base")

    def __init__(self, u8, dtype):
        self.u8 = u8
        self.dtype = dtype
        self.array = u8.view(dtype.np)
        self.numel = self.array.shape[0]
        self._base = None

    def retype(self, dtype):
        if dtype is self.dtype:
            return self
        if self.u8.nbytes % dtype.itemsize:
            raise ValueError(f"storage of {self.u8.nbytes} bytes cannot hold {dtype} elements")
        return _LoadedStorage(self.u8, dtype)

    def base_tensor(self):
        if self._base is None:
            self._base = _wrap(self.array)
        return self._base

    def nbytes(self):
        return self.u8.nbytes

    def __len__(self):
        return self.numel

    def __repr__(self):
        return f"huoba storage(dtype={self.dtype}, size={self.numel})"


# =============================================================================
# Reading: the functions torch's pickles call
# =============================================================================

def _int_tuple(values, what):
    if isinstance(values, int) and not isinstance(values, bool):
        values = (values,)
    if not isinstance(values, (tuple, list)):
        raise TypeError(f"tensor {what} must be a tuple of ints, got {type(values).__name__}")
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"tensor {what} must be a tuple of ints, got an element of type {type(v).__name__}")
        out.append(int(v))
    return tuple(out)


def _rebuild_tensor(storage, storage_offset, size, stride):
    if not isinstance(storage, _LoadedStorage):
        raise TypeError(f"expected a storage to rebuild a tensor from, got {type(storage).__name__}")
    size = _int_tuple(size, "size")
    stride = _int_tuple(stride, "stride") if stride is not None else _contiguous_strides(size)
    if isinstance(storage_offset, bool) or not isinstance(storage_offset, int):
        raise TypeError(f"storage offset must be an int, got {type(storage_offset).__name__}")
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: {list(stride)}")
    if storage_offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {storage_offset}")
    arr = storage.array
    itemsize = storage.dtype.itemsize
    numpy = _is_numpy(arr)
    xp = np if numpy else _backend.cupy()
    if 0 in size:
        return _wrap(xp.empty(size, dtype=arr.dtype))
    required = storage_offset + 1
    for n, s in zip(size, stride):
        required += (n - 1) * s
    if required > storage.numel:
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {storage_offset}, and "
            f"itemsize {itemsize} requiring a storage size of {required * itemsize} are out of bounds for "
            f"storage of allocated size {storage.numel * itemsize}")
    byte_strides = tuple(s * itemsize for s in stride)
    if numpy:
        view = np.ndarray(size, dtype=arr.dtype, buffer=arr, offset=storage_offset * itemsize, strides=byte_strides)
    else:
        view = xp.ndarray(size, dtype=arr.dtype, memptr=arr.data + storage_offset * itemsize, strides=byte_strides)
    if storage_offset == 0 and view.size == storage.numel and view.flags.c_contiguous:
        return _wrap(view)
    return _view_of(storage.base_tensor(), view)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    t = _rebuild_tensor(storage, storage_offset, size, stride)
    if requires_grad:
        if t._base is not None:
            t = _wrap(t._data)   # a leaf that requires grad is nobody's view
        t.requires_grad_(_builtins.bool(requires_grad))
    return t


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
    if isinstance(storage, _LoadedStorage) and isinstance(dtype, _dtypes.dtype):
        storage = storage.retype(dtype)
    return _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata)


def _parameter_class():
    from .nn.parameter import Parameter
    return Parameter


def _rebuild_parameter(data, requires_grad, backward_hooks):
    if not isinstance(data, Tensor):
        raise TypeError(f"Parameter data must be a Tensor, got {type(data).__name__}")
    return _parameter_class()(data, _builtins.bool(requires_grad))


def _set_state(obj, state):
    if isinstance(state, tuple) and len(state) == 2:
        state = state[0]
    if isinstance(state, dict):
        for k, v in state.items():
            if isinstance(k, str):
                obj.__dict__[k] = v
    return obj


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_state(_rebuild_parameter(data, requires_grad, backward_hooks), state)


def _as_subclass(t, cls):
    if type(t) is cls:
        return t
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError(f"cannot rebuild a tensor as {cls!r}")
    new = object.__new__(cls)
    Tensor._init_from(new, t._data, t._requires_grad)
    new._version_counter = t._version_counter
    new._base = t._base
    return new


def _rebuild_from_type_v2(func, new_type, args, state):
    if not callable(func):
        raise TypeError(f"{func!r} is not a tensor rebuild function")
    if not isinstance(args, tuple):
        raise TypeError("rebuild arguments must be a tuple")
    return _set_state(_as_subclass(func(*args), new_type), state)


def _rebuild_device_tensor_from_numpy(data, dtype, device, requires_grad):
    if not isinstance(data, np.ndarray):
        raise TypeError(f"expected a NumPy array, got {type(data).__name__}")
    array = data.astype(dtype.np, copy=False) if isinstance(dtype, _dtypes.dtype) else data
    t = _wrap(_backend.to_device(np.array(array), _device(device)))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_device_tensor_from_cpu_tensor(data, dtype, device, requires_grad):
    if not isinstance(data, Tensor):
        raise TypeError(f"expected a Tensor, got {type(data).__name__}")
    t = _wrap(_backend.to_device(data._data, _device(device)))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_meta_tensor_no_storage(dtype, size, stride, requires_grad):
    raise RuntimeError("huoba has no 'meta' device: this checkpoint holds meta tensors, which carry no data")


def _get_layout(name):
    return name


_REBUILD_FUNCTIONS = (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3, _rebuild_parameter,
                      _rebuild_parameter_with_state, _rebuild_device_tensor_from_numpy,
                      _rebuild_device_tensor_from_cpu_tensor, _rebuild_meta_tensor_no_storage)


def _latin1_encode(obj, encoding="utf-8", errors="strict"):
    """`_codecs.encode` as protocol-2 pickles use it for bytes (latin-1 only)."""
    if encoding.lower().replace("_", "-") not in ("latin1", "latin-1", "iso-8859-1", "iso8859-1"):
        raise _WeightsOnlyError(f"_codecs.encode with encoding {encoding!r} is not allowed with weights_only=True")
    return _codecs.encode(obj, encoding, errors)


# =============================================================================
# Reading: which globals mean what
# =============================================================================

_TORCH_TABLE = None


def _torch_table():
    """torch global name -> the huoba object; every entry is in torch's weights-only allowlist."""
    global _TORCH_TABLE
    if _TORCH_TABLE is not None:
        return _TORCH_TABLE
    rc = {
        "collections.OrderedDict": OrderedDict,
        "collections.Counter": collections.Counter,
        "torch.Size": Size,
        "torch.Tensor": Tensor,
        "torch.device": _device,
        "torch.serialization._get_layout": _get_layout,
        "_codecs.encode": _latin1_encode,
        "builtins.bytearray": bytearray,
        "builtins.set": set,
        "builtins.complex": complex,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
    }
    for fn in _REBUILD_FUNCTIONS:
        rc["torch._utils." + fn.__name__] = fn
    try:
        rc["torch.nn.parameter.Parameter"] = _parameter_class()
    except ImportError:  # pragma: no cover
        pass
    # dtypes under all their torch names (torch.float, torch.half, torch.long ...)
    for name in dir(_dtypes):
        value = getattr(_dtypes, name)
        if isinstance(value, _dtypes.dtype) and not name.startswith("_"):
            rc["torch." + name] = value
    # storage classes
    for dname, sname in _STORAGE_NAMES.items():
        st = _StorageType(sname, getattr(_dtypes, dname), dname)
        rc["torch." + sname] = st
        rc["torch.cuda." + sname] = st
        rc["torch.storage." + sname] = st
    for sname, dname in _FOREIGN_STORAGES.items():
        st = _StorageType(sname, None, dname)
        rc["torch." + sname] = st
        rc["torch.cuda." + sname] = st
    untyped = _StorageType("UntypedStorage", _dtypes.uint8, "uint8")
    rc["torch.storage.UntypedStorage"] = untyped
    rc["torch.UntypedStorage"] = untyped
    rc["torch.storage.TypedStorage"] = untyped
    # the legacy tensor type names (torch.FloatTensor ...), when huoba has them
    import huoba as _huoba
    for tname in ("FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
                  "CharTensor", "ByteTensor", "BoolTensor"):
        if hasattr(_huoba, tname):
            rc["torch." + tname] = getattr(_huoba, tname)
    _TORCH_TABLE = rc
    return rc


# Python 2 names that protocol-2 pickles may hold (the subset torch's weights-only loader maps)
_IMPORT_MAPPING = {
    "__builtin__": "builtins", "copy_reg": "copyreg", "Queue": "queue", "repr": "reprlib",
    "_abcoll": "collections.abc", "UserDict": "collections", "UserList": "collections",
    "UserString": "collections", "whichdb": "dbm", "StringIO": "io", "cStringIO": "io",
}
_NAME_MAPPING = {
    ("__builtin__", "xrange"): ("builtins", "range"), ("__builtin__", "reduce"): ("functools", "reduce"),
    ("__builtin__", "intern"): ("sys", "intern"), ("__builtin__", "unichr"): ("builtins", "chr"),
    ("__builtin__", "unicode"): ("builtins", "str"), ("__builtin__", "long"): ("builtins", "int"),
    ("itertools", "izip"): ("builtins", "zip"), ("itertools", "imap"): ("builtins", "map"),
    ("itertools", "ifilter"): ("builtins", "filter"), ("itertools", "ifilterfalse"): ("itertools", "filterfalse"),
    ("itertools", "izip_longest"): ("itertools", "zip_longest"),
    ("UserDict", "IterableUserDict"): ("collections", "UserDict"),
    ("UserList", "UserList"): ("collections", "UserList"),
    ("UserString", "UserString"): ("collections", "UserString"), ("__builtin__", "basestring"): ("builtins", "str"),
    ("exceptions", "StandardError"): ("builtins", "Exception"), ("UserDict", "UserDict"): ("collections", "UserDict"),
}
_BLOCKED_MODULES = ("sys", "os", "posix", "nt")
# tensor kinds torch can save (and allows with weights_only) that huoba has no counterpart for
_UNSUPPORTED_TORCH = {
    "torch._utils._rebuild_qtensor": "quantized tensors",
    "torch._utils._rebuild_sparse_tensor": "sparse tensors",
    "torch._utils._rebuild_sparse_csr_tensor": "sparse tensors",
    "torch._utils._rebuild_nested_tensor": "nested tensors",
    "torch._utils._rebuild_wrapper_subclass": "wrapper tensor subclasses",
}


def _normalize_global(module, name):
    if (module, name) in _NAME_MAPPING:
        module, name = _NAME_MAPPING[(module, name)]
    elif module in _IMPORT_MAPPING:
        module = _IMPORT_MAPPING[module]
    if module == "torch.tensor":
        module = "torch._tensor"
    return module, name


# ---- the user's allowlist ---------------------------------------------------
_safe_globals_set = set()


def add_safe_globals(safe_globals):
    """Marks globals (functions, classes, or `(obj, "module.name")` pairs) as safe for `weights_only=True`."""
    global _safe_globals_set
    _safe_globals_set = _safe_globals_set.union(set(safe_globals))


def get_safe_globals():
    """The globals `add_safe_globals` added."""
    return list(_safe_globals_set)


def clear_safe_globals():
    """Forgets every global `add_safe_globals` added."""
    global _safe_globals_set
    _safe_globals_set = set()


def _remove_safe_globals(globals_to_remove):
    global _safe_globals_set
    _safe_globals_set = _safe_globals_set - set(globals_to_remove)


class safe_globals:
    """Context manager: `with huoba.serialization.safe_globals([MyClass]): huoba.load(...)`."""

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals

    def __enter__(self):
        add_safe_globals(self.safe_globals)

    def __exit__(self, type, value, tb):
        _remove_safe_globals(self.safe_globals)


def _user_allowed_globals():
    rc = {}
    for f in _safe_globals_set:
        if isinstance(f, tuple):
            if len(f) != 2:
                raise ValueError(f"Expected tuple of length 2 (global, str of callable full path), but got tuple "
                                 f"of length: {len(f)}")
            if type(f[1]) is not str:
                raise TypeError(f"Expected second item in tuple to be str of callable full path, but got: "
                                f"{type(f[1])}")
            rc[f[1]] = f[0]
        else:
            rc[f"{f.__module__}.{f.__qualname__}"] = f
    return rc


def _unsupported_global_message(full_path):
    if full_path.startswith("builtins"):
        rest = full_path[len("builtins"):]
        full_path = rest[1:] if rest.startswith(".") else "builtins" + rest
    return (f"Unsupported global: GLOBAL {full_path} was not an allowed global by default. "
            f"Please use `torch.serialization.add_safe_globals([{full_path}])` or the "
            f"`torch.serialization.safe_globals([{full_path}])` context manager to allowlist this global "
            "if you trust this class/function.")


def _weights_only_message(message):
    """torch's wording around an error of the weights-only unpickler."""
    if "was not an allowed global by default." in message:
        return ("Weights only load failed. This file can still be loaded, to do so you have two options, "
                "\033[1mdo those steps only if you trust the source of the checkpoint\033[0m. "
                f"\n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with `weights_only=True` please check "
                "the recommended steps in the following error message.\n\tWeightsUnpickler error: "
                + message + _DOCS_MESSAGE)
    updated = f"Weights only load failed. {UNSAFE_MESSAGE}\n"
    if "whose module" not in message or "is blocked" not in message:
        updated += ("Please file an issue with the following so that we can make "
                    "`weights_only=True` compatible with your use case: WeightsUnpickler error: ")
    return updated + "\n\n" + message + _DOCS_MESSAGE


def _huoba_global(module, name):
    """The huoba object that stands for torch's `module.name` (weights_only=False), or None."""
    import importlib
    if module == "torch" or module.startswith("torch."):
        target = "huoba" + module[len("torch"):]
    elif module == "torchvision" or module.startswith("torchvision."):
        target = "huoba.vision" + module[len("torchvision"):]
    else:
        return None
    try:
        obj = importlib.import_module(target)
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj
    except (ImportError, AttributeError):
        pass
    # the class may live elsewhere in huoba: try the package namespaces on the way up
    parts = target.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        if hasattr(obj, name):
            return getattr(obj, name)
    return None


class _UnpicklerMixin:
    """find_class and persistent_load for checkpoints (mixed into an Unpickler class)."""

    def _setup(self, weights_only, persistent_load):
        self._weights_only = weights_only
        self._persistent_load_fn = persistent_load

    def persistent_load(self, pid):
        return self._persistent_load_fn(pid)

    def find_class(self, module, name):
        module, name = _normalize_global(module, name)
        full = f"{module}.{name}"
        table = _torch_table()
        if full in _UNSUPPORTED_TORCH:
            raise RuntimeError(f"huoba cannot load {_UNSUPPORTED_TORCH[full]} (this checkpoint uses {full})")
        if self._weights_only:
            if module in _BLOCKED_MODULES:
                raise _WeightsOnlyError(f"Trying to load unsupported GLOBAL {full} whose module {module} is blocked.")
            if full in table:
                return table[full]
            user = _user_allowed_globals()
            if full in user:
                return user[full]
            raise _WeightsOnlyError(_unsupported_global_message(full))
        if full in table:
            obj = table[full]
            return _codecs.encode if obj is _latin1_encode else obj
        if "Storage" in name and (module == "torch" or module.startswith("torch.")):
            return _StorageType(name, None, name)
        obj = _huoba_global(module, name)
        if obj is not None:
            return obj
        if module == "torch" or module.startswith("torch.") or module.startswith("torchvision"):
            raise RuntimeError(f"huoba has no equivalent of {full}, which this checkpoint needs")
        return super().find_class(module, name)


class _Unpickler(_UnpicklerMixin, pickle.Unpickler):
    pass


def _make_unpickler(file, weights_only, persistent_load, pickle_module, pickle_load_args):
    if weights_only or pickle_module is None or pickle_module is pickle:
        cls = _Unpickler
        args = {"encoding": pickle_load_args.get("encoding", "utf-8")}
        if not weights_only:
            args = dict(pickle_load_args)
    else:
        cls = type("_Unpickler", (_UnpicklerMixin, pickle_module.Unpickler), {})
        args = dict(pickle_load_args)
    u = cls(file, **args)
    u._setup(weights_only, persistent_load)
    return u


def _check_pid(pid, weights_only, length):
    if weights_only:
        if type(pid) is not tuple:
            raise _WeightsOnlyError(f"persistent_load id must be tuple or int, but got {type(pid)}")
        if len(pid) > 0 and _ascii(pid[0]) != "storage":
            raise _WeightsOnlyError(f"Only persistent_load of storage is allowed, but got {type(pid[0])}")
    if not isinstance(pid, tuple) or not pid:
        raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
    if _ascii(pid[0]) != "storage":
        return False
    if len(pid) != length:
        raise pickle.UnpicklingError(f"malformed storage id {pid!r}")
    storage_type, key, location, numel = pid[1:5]
    if not isinstance(storage_type, _StorageType):
        raise pickle.UnpicklingError(f"malformed storage id {pid!r}: {storage_type!r} is not a storage type")
    if storage_type.dtype is None:
        raise RuntimeError(f"huoba does not support tensors of dtype torch.{storage_type.torch_dtype_name} "
                           f"(storage type {storage_type.name}) found in this checkpoint")
    if isinstance(numel, bool) or not isinstance(numel, int) or numel < 0:
        raise pickle.UnpicklingError(f"malformed storage id {pid!r}: bad element count")
    if not isinstance(key, (str, bytes, int)) or not isinstance(location, (str, bytes)):
        raise pickle.UnpicklingError(f"malformed storage id {pid!r}")
    return True


def _ascii(s):
    return s.decode("ascii") if isinstance(s, bytes) else s


# =============================================================================
# Reading: the zip format
# =============================================================================

def _readinto(file, out):
    """Fill the uint8 array `out` from `file`; returns the number of bytes read."""
    view = memoryview(out).cast("B") if out.nbytes else memoryview(b"")
    total = 0
    n = out.nbytes
    readinto = getattr(file, "readinto", None)
    while total < n:
        step = min(_CHUNK, n - total)
        if readinto is not None:
            got = readinto(view[total:total + step])
        else:
            data = file.read(step)
            got = len(data)
            view[total:total + got] = data
        if not got:
            break
        total += got
    return total


class _ZipCheckpoint:
    def __init__(self, file, mm=None):
        self.file = file
        self.zf = zipfile.ZipFile(file)
        self.mm = mm
        names = self.zf.namelist()
        self.infos = {info.filename: info for info in self.zf.infolist()}
        prefix = None
        if names and "/" in names[0] and names[0].split("/", 1)[0] + "/data.pkl" in self.infos:
            prefix = names[0].split("/", 1)[0] + "/"
        else:
            for n in names:
                if n.endswith("/data.pkl") and n.count("/") == 1:
                    prefix = n[:-len("data.pkl")]
                    break
        if prefix is None:
            if any(n.endswith("constants.pkl") for n in names):
                raise RuntimeError("huoba.load cannot read TorchScript archives (written by torch.jit.save)")
            raise _Corrupt("the zip archive has no data.pkl record")
        if prefix + "constants.pkl" in self.infos:
            raise RuntimeError("huoba.load cannot read TorchScript archives (written by torch.jit.save)")
        self.prefix = prefix
        self._pool = None
        self._pending = []
        file.seek(0, 2)
        self.file_size = file.tell()

    def has(self, name):
        return self.prefix + name in self.infos

    def _data_offset(self, info):
        self.file.seek(info.header_offset)
        header = self.file.read(30)
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise _Corrupt(f"bad local header for record {info.filename!r}")
        n, m = struct.unpack("<HH", header[26:30])
        return info.header_offset + 30 + n + m

    def read(self, name, size=None, crc=True):
        """A record's bytes as a 1-D uint8 array (memory-mapped when loading with mmap)."""
        full = self.prefix + name
        info = self.infos.get(full)
        if info is None:
            raise _Corrupt(f"record {full!r} is missing from the archive")
        if size is not None and info.file_size != size:
            raise _Corrupt(f"record {full!r} holds {info.file_size} bytes but {size} were expected")
        if info.compress_type != zipfile.ZIP_STORED:
            return np.frombuffer(bytearray(self.zf.read(full)), dtype=np.uint8)
        offset = self._data_offset(info)
        if offset + info.file_size > self.file_size:
            raise _Corrupt(f"record {full!r} runs past the end of the file")
        if self.mm is not None:
            if info.file_size == 0:
                return np.empty(0, dtype=np.uint8)
            return np.frombuffer(self.mm, dtype=np.uint8, count=info.file_size, offset=offset)
        out = np.empty(info.file_size, dtype=np.uint8)
        self.file.seek(offset)
        if _readinto(self.file, out) != info.file_size:
            raise _Corrupt(f"record {full!r} is cut short")
        if crc:
            if out.nbytes >= _PARALLEL_CRC_BYTES:
                # checked on another thread while the next record is read; `verify` waits for it
                if self._pool is None:
                    from concurrent.futures import ThreadPoolExecutor
                    self._pool = ThreadPoolExecutor(max_workers=max(1, min(4, (os.cpu_count() or 2) - 1)))
                self._pending.append((self._pool.submit(zlib.crc32, out), info))
            elif zlib.crc32(out) != info.CRC:
                raise _Corrupt(f"CRC-32 check failed for record {full!r}")
        return out

    def verify(self):
        """Wait for the CRC checks still running; raise if one failed."""
        try:
            for future, info in self._pending:
                if future.result() != info.CRC:
                    raise _Corrupt(f"CRC-32 check failed for record {info.filename!r}")
        finally:
            self.close()

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._pending = []


class _Corrupt(Exception):
    """Internal: a structural problem, turned into InvalidCheckpointError by `load`."""


def _load_zip(file, map_location, weights_only, pickle_module, pickle_load_args, mm):
    ckpt = _ZipCheckpoint(file, mm)
    swap = False
    if ckpt.has("byteorder"):
        order = ckpt.read("byteorder").tobytes()
        if order not in (b"little", b"big"):
            raise ValueError("Unknown endianness type: " + order.decode("utf-8", "replace"))
        swap = order.decode() != sys.byteorder
    payload = ckpt.read("data.pkl").tobytes()
    loaded = {}

    def persistent_load(pid):
        if not _check_pid(pid, weights_only, 5):
            raise pickle.UnpicklingError(f"Unknown typename for persistent_load, expected 'storage' but got "
                                         f"'{_ascii(pid[0])}'")
        storage_type, key, location, numel = pid[1:]
        key = str(_ascii(key))
        dtype = storage_type.dtype
        storage = loaded.get(key)
        if storage is None:
            u8 = ckpt.read(f"data/{key}", numel * dtype.itemsize)
            if swap and dtype.itemsize > 1:
                if mm is not None:
                    u8 = u8.copy()
                u8.view(dtype.np).byteswap(inplace=True)
            storage = _LoadedStorage(_restore(u8, _ascii(location), map_location), dtype)
            loaded[key] = storage
        return storage.retype(dtype)

    unpickler = _make_unpickler(io.BytesIO(payload), weights_only, persistent_load, pickle_module, pickle_load_args)
    try:
        result = unpickler.load()
    except BaseException:
        ckpt.close()
        raise
    ckpt.verify()
    return result


# =============================================================================
# Reading: the legacy (pre-1.6) format
# =============================================================================

def _load_legacy(file, map_location, weights_only, pickle_module, pickle_load_args, file_size):
    def header(what):
        u = _make_unpickler(file, True, _no_persistent, None, pickle_load_args)
        try:
            return u.load()
        except _WeightsOnlyError:
            raise _Corrupt(f"unexpected content in the {what}") from None

    try:
        magic = header("magic number")
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError, IndexError, struct.error) as e:
        raise _Corrupt(f"it is neither a zip archive nor a legacy torch.save file (unpickling its start failed: "
                       f"{type(e).__name__}: {e})") from None
    if magic != MAGIC_NUMBER:
        raise _Corrupt("invalid magic number (not a file written by torch.save)")
    version = header("protocol version")
    if version != PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {version}")
    sys_info = header("system information")
    little = sys_info.get("little_endian", True) if isinstance(sys_info, dict) else True
    swap = little != (sys.byteorder == "little")

    storages = {}    # root key -> (restored uint8 array, dtype)
    views = {}

    def persistent_load(pid):
        if not isinstance(pid, tuple) or not pid:
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        if _ascii(pid[0]) == "module":
            if weights_only:
                raise _WeightsOnlyError(f"Only persistent_load of storage is allowed, but got {type(pid[0])}")
            return pid[1]
        if not _check_pid(pid, weights_only, 6):
            raise RuntimeError(f"Unknown saved id type: {pid[0]}")
        storage_type, root_key, location, numel, view_metadata = pid[1:]
        dtype = storage_type.dtype
        root_key = str(_ascii(root_key))
        nbytes = numel * dtype.itemsize
        if file_size is not None and nbytes > file_size:
            raise _Corrupt(f"storage {root_key} claims {nbytes} bytes, more than the whole file")
        if root_key not in storages:
            u8 = _restore(np.empty(nbytes, dtype=np.uint8), _ascii(location), map_location)
            storages[root_key] = _LoadedStorage(u8, dtype)
        storage = storages[root_key].retype(dtype)
        if view_metadata is None:
            return storage
        view_key, offset, view_size = view_metadata
        view_key = str(_ascii(view_key))
        if view_key not in views:
            start = offset * dtype.itemsize
            stop = start + view_size * dtype.itemsize
            if offset < 0 or view_size < 0 or stop > storage.u8.nbytes:
                raise _Corrupt("storage view out of bounds")
            views[view_key] = _LoadedStorage(storage.u8[start:stop], dtype)
        return views[view_key]

    unpickler = _make_unpickler(file, weights_only, persistent_load, pickle_module, pickle_load_args)
    result = unpickler.load()
    keys = header("storage key list")
    if not isinstance(keys, list):
        raise _Corrupt("malformed storage key list")
    for key in keys:
        key = str(_ascii(key))
        storage = storages.get(key)
        if storage is None:
            raise _Corrupt(f"storage key {key!r} was not used by the pickled object")
        head = file.read(8)
        if len(head) < 8:
            raise _Corrupt(f"the data of storage {key} is cut short")
        (count,) = struct.unpack("<q" if little else ">q", head)
        if count * storage.dtype.itemsize != storage.u8.nbytes:
            raise _Corrupt(f"storage {key} holds {count} elements but {storage.numel} were expected")
        target = storage.u8
        host = target if _is_numpy(target) else np.empty(target.nbytes, dtype=np.uint8)
        if _readinto(file, host) != host.nbytes:
            raise _Corrupt(f"the data of storage {key} is cut short")
        if swap and storage.dtype.itemsize > 1:
            host.view(storage.dtype.np).byteswap(inplace=True)
        if host is not target:
            target.set(host)
    return result


def _no_persistent(pid):
    raise pickle.UnpicklingError("unsupported persistent id encountered")


# =============================================================================
# load
# =============================================================================

def _describe(f):
    if _is_path(f):
        return repr(os.fspath(f))
    name = getattr(f, "name", None)
    return repr(name) if isinstance(name, str) else f"the {type(f).__name__} object"


_TRUE = ("1", "y", "yes", "true")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """load(f, map_location=None, pickle_module=pickle, *, weights_only=True, mmap=None, **pickle_load_args)

    Loads an object saved with `huoba.save` or `torch.save` (zip or legacy format)
    from a path or binary file object.  With `weights_only=True` (the default)
    only tensors, primitive containers and allowlisted globals are accepted.
    `map_location` (str, device, dict or callable) remaps storage locations.
    """
    weights_only_not_set = weights_only is None
    if weights_only_not_set:
        weights_only = pickle_module is None
    force_wo = os.getenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in _TRUE
    force_no_wo = os.getenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0").lower() in _TRUE
    if force_wo and force_no_wo:
        raise RuntimeError("Only one of `TORCH_FORCE_WEIGHTS_ONLY_LOAD` or `TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD` "
                           "should be set, but both were set.")
    elif force_wo:
        weights_only = True
    elif force_no_wo and weights_only_not_set:
        warnings.warn("Environment variable TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD detected, since the`weights_only` "
                      "argument was not explicitly passed to `torch.load`, forcing weights_only=False.",
                      UserWarning, stacklevel=2)
        weights_only = False
    if weights_only:
        if pickle_module is not None:
            raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
        if pickle_load_args:
            warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=2)
    elif pickle_module is None:
        pickle_module = pickle
    pickle_load_args = dict(pickle_load_args)
    pickle_load_args.setdefault("encoding", "utf-8")
    if mmap and not _is_path(f):
        raise ValueError("f must be a file path in order to use the mmap argument")
    if not _is_path(f) and not hasattr(f, "read"):
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a 'read' attribute")

    name = _describe(f)
    with contextlib.ExitStack() as stack:
        if _is_path(f):
            file = stack.enter_context(open(f, "rb"))
        else:
            file = f
            seekable = getattr(file, "seekable", None)
            if seekable is None or not seekable() or file.tell() != 0:
                # read what is left into memory: the zip reader needs to seek from the start
                file = io.BytesIO(file.read())
        head = file.read(512)
        file.seek(0, 2)
        file_size = file.tell()
        file.seek(0)
        if not head:
            raise InvalidCheckpointError(f"{name} is not a valid checkpoint: the file is empty")
        is_zip = head[:4] == b"PK\x03\x04"
        if not is_zip and mmap:
            fname = "" if not isinstance(f, str) else f"{f}, "
            raise RuntimeError("mmap can only be used with files saved with "
                               f"`torch.save({fname}_use_new_zipfile_serialization=True), "
                               "please torch.save your checkpoint with this option in order to use mmap.")
        if not is_zip and len(head) >= 262 and head[257:262] == b"ustar":
            raise InvalidCheckpointError(f"{name} is a tar archive: the pre-0.4 PyTorch .tar checkpoint format "
                                         "is not supported")
        try:
            if is_zip:
                mm = None
                if mmap:
                    import mmap as _mmap
                    mm = _mmap.mmap(file.fileno(), 0, access=_mmap.ACCESS_COPY)
                return _load_zip(file, map_location, weights_only, pickle_module, pickle_load_args, mm)
            return _load_legacy(file, map_location, weights_only, pickle_module, pickle_load_args, file_size)
        except _WeightsOnlyError as e:
            raise pickle.UnpicklingError(_weights_only_message(str(e))) from None
        except InvalidCheckpointError:
            raise
        except _Corrupt as e:
            raise InvalidCheckpointError(f"{name} is not a valid checkpoint: {e} (truncated or corrupted)") from None
        except zipfile.BadZipFile as e:
            raise InvalidCheckpointError(
                f"{name} is not a valid checkpoint: the zip archive cannot be read: {e} "
                "(truncated or corrupted)") from None
        except (pickle.UnpicklingError, EOFError, struct.error, zlib.error) as e:
            what = "the zip archive's data.pkl" if is_zip else "the legacy checkpoint data"
            raise InvalidCheckpointError(
                f"{name} is not a valid checkpoint: {what} cannot be unpickled: {type(e).__name__}: {e} "
                "(truncated or corrupted)") from e
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as e:
            # with weights_only=True only huoba's own code runs, so these mean malformed input;
            # otherwise they may come from the user's classes and are left alone
            if not weights_only or str(e).startswith("Unknown endianness type"):
                raise
            raise InvalidCheckpointError(
                f"{name} is not a valid checkpoint: malformed content: {type(e).__name__}: {e} "
                "(truncated or corrupted)") from e


def get_unsafe_globals_in_checkpoint(f):
    """The `module.name` globals in a checkpoint that `weights_only=True` would refuse."""
    import pickletools
    with contextlib.ExitStack() as stack:
        file = stack.enter_context(open(f, "rb")) if _is_path(f) else f
        head = file.read(4)
        file.seek(0)
        if head != b"PK\x03\x04":
            raise ValueError("Expected input to be a checkpoint returned by torch.save")
        payload = _ZipCheckpoint(file).read("data.pkl").tobytes()
    found = []
    strings = []
    for op, arg, _ in pickletools.genops(payload):
        if op.name == "GLOBAL":
            module, name = arg.split(" ", 1)
            found.append(_normalize_global(module, name))
        elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
            found.append(_normalize_global(strings[-2], strings[-1]))
        if isinstance(arg, str):
            strings.append(arg)
    table = _torch_table()
    user = _user_allowed_globals()
    out = []
    for module, name in found:
        full = f"{module}.{name}"
        if full not in table and full not in user and full not in out:
            out.append(full)
    return out


# =============================================================================
# Plain pickling of tensors (pickle.dumps, copy.copy, multiprocessing)
# =============================================================================

def _reduce_tensor(tensor):
    """`Tensor.__reduce_ex__`: a NumPy array of the values plus what makes it a tensor."""
    array = tensor._data
    device = None
    if not _is_numpy(array):
        device = str(tensor.device)
        array = array.get()
    internal = getattr(_tensor_module, "_INTERNAL_KEYS", ("_retains_grad",))   # autograd bookkeeping
    state = {k: v for k, v in tensor.__dict__.items() if k not in internal} or None
    return (_rebuild_pickled_tensor, (type(tensor), array, tensor._requires_grad, device, state))


def _rebuild_pickled_tensor(cls, array, requires_grad, device=None, state=None):
    if device is not None and device != "cpu":
        array = _backend.to_device(array, _device(device))
    if cls is Tensor:
        t = _wrap(array)
    else:
        t = object.__new__(cls)
        Tensor._init_from(t, array)
    if requires_grad:
        t._requires_grad = True
    if state:
        t.__dict__.update(state)
    return t

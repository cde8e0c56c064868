"""Download, checksum and archive helpers for the datasets (`torchvision.datasets.utils`).

Downloads use urllib only.  Every file is written to a temporary name in its
destination folder and renamed into place once complete and verified, so an
interrupted or failed download or extraction never leaves a partial file
behind.
"""
import bz2
import gzip
import hashlib
import lzma
import os
import pathlib
import pickle
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib

__all__ = ["calculate_md5", "check_md5", "check_integrity", "download_url", "download_and_extract_archive",
           "extract_archive", "list_dir", "list_files", "verify_str_arg", "iterable_to_str", "DownloadError"]

USER_AGENT = "pytorch/vision"
_TIMEOUT = 60


class DownloadError(RuntimeError):
    """A download that could not be completed or verified."""


def calculate_md5(fpath, chunk_size=1024 * 1024):
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath, md5, **kwargs):
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath, md5=None):
    """The file exists and, when `md5` is given, has that checksum."""
    if not os.path.isfile(fpath):
        return False
    if md5 is None:
        return True
    return check_md5(fpath, md5)


def _temp_path(directory, name):
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=directory)
    os.close(fd)
    return tmp


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def _urlretrieve(url, filename, chunk_size=1024 * 32):
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=_TIMEOUT) as response, open(filename, "wb") as fh:
        while chunk := response.read(chunk_size):
            fh.write(chunk)


def download_url(url, root, filename=None, md5=None, max_redirect_hops=3):
    """Download `url` to `root/filename` unless a file with the right checksum is already there.

    The data goes to a temporary file that is checked against `md5` and then
    renamed into place; on any failure it is removed and a `DownloadError`
    says what went wrong.
    """
    root = os.path.expanduser(root)
    if not filename:
        filename = os.path.basename(url)
    fpath = os.fspath(os.path.join(root, filename))
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        return
    tmp = _temp_path(root, os.path.basename(fpath))
    try:
        print(f"Downloading {url} to {fpath}", file=sys.stderr)
        try:
            _urlretrieve(url, tmp)
        except (urllib.error.URLError, OSError, ValueError) as err:
            raise DownloadError(f"{url}: {_reason(err)}") from None
        if md5 is not None and not check_md5(tmp, md5):
            raise DownloadError(f"{url}: the downloaded file is corrupt (MD5 mismatch, expected {md5})")
        os.replace(tmp, fpath)
    finally:
        _remove(tmp)


def _reason(err):
    if isinstance(err, urllib.error.HTTPError):
        return f"HTTP Error {err.code}: {err.reason}"
    if isinstance(err, urllib.error.URLError):
        return str(err.reason)
    return str(err) or type(err).__name__


_ARCHIVE_SUFFIXES = (".tar", ".zip")
_COMPRESSED_OPENERS = {".bz2": bz2.open, ".gz": gzip.open, ".xz": lzma.open}
_ALIASES = {".tbz": (".tar", ".bz2"), ".tbz2": (".tar", ".bz2"), ".tgz": (".tar", ".gz")}


def _detect_file_type(file):
    suffixes = pathlib.Path(file).suffixes
    if not suffixes:
        raise RuntimeError(f"File '{file}' has no suffixes that could be used to detect the archive type and "
                           "compression.")
    suffix = suffixes[-1]
    if suffix in _ALIASES:
        return (suffix, *_ALIASES[suffix])
    if suffix in _ARCHIVE_SUFFIXES:
        return suffix, suffix, None
    if suffix in _COMPRESSED_OPENERS:
        if len(suffixes) > 1 and suffixes[-2] in _ARCHIVE_SUFFIXES:
            return suffixes[-2] + suffix, suffixes[-2], suffix
        return suffix, None, suffix
    valid = sorted(set(_ALIASES) | set(_ARCHIVE_SUFFIXES) | set(_COMPRESSED_OPENERS))
    raise RuntimeError(f"Unknown compression or archive type: '{suffix}'.\nKnown suffixes are: '{valid}'.")


_CORRUPT = (EOFError, OSError, zlib.error, lzma.LZMAError, tarfile.TarError, zipfile.BadZipFile)


def _decompress(from_path, to_path):
    """Decompress a single .gz/.bz2/.xz file to `to_path` atomically."""
    _, _, compression = _detect_file_type(from_path)
    tmp = _temp_path(os.path.dirname(os.path.abspath(to_path)), os.path.basename(to_path))
    try:
        try:
            with _COMPRESSED_OPENERS[compression](from_path, "rb") as rfh, open(tmp, "wb") as wfh:
                shutil.copyfileobj(rfh, wfh, 1024 * 1024)
        except _CORRUPT as err:
            raise RuntimeError(f"{from_path} is corrupt or truncated and cannot be decompressed ({err}); "
                               "delete it and run again") from None
        os.replace(tmp, to_path)
    finally:
        _remove(tmp)
    return to_path


def _safe_members(tar, dest):
    dest = os.path.realpath(dest)
    for member in tar.getmembers():
        target = os.path.realpath(os.path.join(dest, member.name))
        if not (target == dest or target.startswith(dest + os.sep)) or member.issym() or member.islnk() \
                or member.isdev():
            raise RuntimeError(f"refusing to extract '{member.name}' from the archive: it points outside the target "
                               "folder or is a link/device")
        yield member


def _extract_all(from_path, to_path, archive_type, compression):
    """Extract into a temporary folder inside `to_path`, then move the top-level entries into place."""
    os.makedirs(to_path, exist_ok=True)
    tmpdir = tempfile.mkdtemp(prefix=".extract-", dir=to_path)
    try:
        try:
            if archive_type == ".tar":
                mode = f"r:{compression[1:]}" if compression else "r"
                with tarfile.open(from_path, mode) as tar:
                    members = list(_safe_members(tar, tmpdir))
                    if hasattr(tarfile, "data_filter"):
                        tar.extractall(tmpdir, members=members, filter="data")
                    else:  # pragma: no cover - Python without extraction filters
                        tar.extractall(tmpdir, members=members)
            else:
                with zipfile.ZipFile(from_path, "r") as zf:
                    for name in zf.namelist():
                        target = os.path.realpath(os.path.join(tmpdir, name))
                        if not target.startswith(os.path.realpath(tmpdir) + os.sep):
                            raise RuntimeError(f"refusing to extract '{name}': it points outside the target folder")
                    zf.extractall(tmpdir)
        except _CORRUPT as err:
            raise RuntimeError(f"{from_path} is corrupt or truncated and cannot be extracted ({err}); "
                               "delete it and run again") from None
        for entry in os.listdir(tmpdir):
            dest = os.path.join(to_path, entry)
            src = os.path.join(tmpdir, entry)
            if os.path.isdir(dest) and os.path.isdir(src):
                for root, _, files in os.walk(src):
                    rel = os.path.relpath(root, src)
                    os.makedirs(os.path.join(dest, rel), exist_ok=True)
                    for f in files:
                        os.replace(os.path.join(root, f), os.path.join(dest, rel, f))
            else:
                os.replace(src, dest)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def extract_archive(from_path, to_path=None, remove_finished=False):
    """Extract a .tar(.gz/.bz2/.xz)/.tgz/.zip archive, or decompress a single .gz/.bz2/.xz file."""
    if to_path is None:
        to_path = os.path.dirname(from_path)
    suffix, archive_type, compression = _detect_file_type(from_path)
    if not archive_type:
        out = os.path.join(to_path, os.path.basename(os.fspath(from_path)).replace(suffix, ""))
        _decompress(from_path, out)
        if remove_finished:
            os.remove(from_path)
        return out if isinstance(from_path, str) else pathlib.Path(out)
    _extract_all(from_path, to_path, archive_type, compression)
    if remove_finished:
        os.remove(from_path)
    return to_path


def download_and_extract_archive(url, download_root, extract_root=None, filename=None, md5=None,
                                 remove_finished=False):
    download_root = os.path.expanduser(download_root)
    if extract_root is None:
        extract_root = download_root
    if not filename:
        filename = os.path.basename(url)
    download_url(url, download_root, filename, md5)
    extract_archive(os.path.join(download_root, filename), extract_root, remove_finished)


def list_dir(root, prefix=False):
    root = os.path.expanduser(root)
    directories = [p for p in os.listdir(root) if os.path.isdir(os.path.join(root, p))]
    return [os.path.join(root, d) for d in directories] if prefix else directories


def list_files(root, suffix, prefix=False):
    root = os.path.expanduser(root)
    files = [p for p in os.listdir(root) if os.path.isfile(os.path.join(root, p)) and p.endswith(suffix)]
    return [os.path.join(root, d) for d in files] if prefix else files


def iterable_to_str(iterable):
    return "'" + "', '".join([str(item) for item in iterable]) + "'"


def verify_str_arg(value, arg=None, valid_values=None, custom_msg=None):
    if not isinstance(value, str):
        msg = "Expected type str, but got type {type}." if arg is None else \
            "Expected type str for argument {arg}, but got type {type}."
        raise ValueError(msg.format(type=type(value), arg=arg))
    if valid_values is None:
        return value
    if value not in valid_values:
        if custom_msg is not None:
            msg = custom_msg
        else:
            msg = ("Unknown value '{value}' for argument {arg}. Valid values are {{{valid_values}}}.").format(
                value=value, arg=arg, valid_values=iterable_to_str(valid_values))
        raise ValueError(msg)
    return value


# ---------------------------------------------------------------- safe unpickling of dataset files

_NUMPY_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
}


class _DataUnpickler(pickle.Unpickler):
    """Unpickles plain containers and NumPy arrays only: a dataset file cannot run code."""

    def find_class(self, module, name):
        if (module, name) in _NUMPY_GLOBALS:
            import importlib
            if module.startswith("numpy.core"):
                import numpy as np
                if int(np.__version__.split(".")[0]) >= 2:
                    module = "numpy._core" + module[len("numpy.core"):]
            return getattr(importlib.import_module(module), name)
        raise pickle.UnpicklingError(f"global '{module}.{name}' is not allowed in a dataset file")


def load_pickle(path):
    """Load a Python 2/3 pickle of arrays and containers (CIFAR batches) without executing code."""
    with open(path, "rb") as f:
        try:
            return _DataUnpickler(f, encoding="latin1").load()
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError,
                KeyError) as err:
            raise RuntimeError(f"{path} is corrupt or truncated or not a dataset pickle ({err}); delete it and "
                               "run again") from None

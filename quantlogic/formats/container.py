"""The versioned file container of .qnet and .qlc files: a zip of .npy arrays plus meta.json.

Written byte-for-byte deterministically (fixed timestamps, sorted names) and atomically (a temporary
file renamed into place), so a failed write leaves no partial file.
"""
import io
import json
import os
import pathlib
import re
import tempfile
import zipfile
import zlib

import numpy as np

from ..arrays import check_zip_sizes, read_npy
from ..errors import QuantlogicError

FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def write_atomic(path, data):
    """Write bytes or str to path through a temporary file in the same folder (permissions as for a new
    file); an unwritable place is a QuantlogicError and leaves nothing behind."""
    path = pathlib.Path(path)
    if isinstance(data, str):
        data = data.encode()
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as exc:
        raise QuantlogicError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def check_output(path, suffixes, what, hint=""):
    """Refuse, before any work, an output path whose extension is not one of suffixes or whose folder
    does not exist or cannot be written."""
    path = pathlib.Path(path)
    if path.suffix.lower() not in suffixes:
        raise QuantlogicError(f"{path}: {what} must be a {' or '.join(suffixes)} file{hint}")
    folder = path.parent if str(path.parent) else pathlib.Path(".")
    if not folder.is_dir():
        raise QuantlogicError(f"cannot write {path}: no folder {folder}")
    if not os.access(folder, os.W_OK):
        raise QuantlogicError(f"cannot write {path}: the folder {folder} is not writable")
    if path.is_dir():
        raise QuantlogicError(f"cannot write {path}: it is a folder")


def pack(kind, version, meta, arrays):
    """Bytes of a container holding meta (JSON-able dict) and named numpy arrays."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        header = {"format": kind, "version": version, **meta}
        _add(archive, "meta.json", json.dumps(header, sort_keys=True, indent=1).encode())
        for name in sorted(arrays):
            array_bytes = io.BytesIO()
            np.lib.format.write_array(array_bytes, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            _add(archive, f"{name}.npy", array_bytes.getvalue())
    return buffer.getvalue()


def _add(archive, name, data):
    info = zipfile.ZipInfo(name, FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


MAX_MEMBERS = 4096
MAX_META_BYTES = 16 << 20
MEMBER_NAME = re.compile(r"[A-Za-z0-9_]{1,64}\.npy\Z")


def _check_members(archive, path, kind):
    """Refuse members a container never holds, before any is read: odd names, too many, encryption,
    compression other than stored or deflated, sizes beyond the limits."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise QuantlogicError(f"{path}: not a valid {kind} file ({len(infos)} members, limit {MAX_MEMBERS})")
    for info in infos:
        name = info.filename
        if name != "meta.json" and not MEMBER_NAME.match(name):
            raise QuantlogicError(f"{path}: not a valid {kind} file (unexpected member {name[:60]!r})")
        if name == "meta.json" and info.file_size > MAX_META_BYTES:
            raise QuantlogicError(f"{path}: not a valid {kind} file (member {name} declares {info.file_size} bytes)")
    try:
        check_zip_sizes(infos, path)
    except QuantlogicError as exc:
        raise QuantlogicError(f"{path}: not a valid {kind} file ({str(exc).removeprefix(f'{path}: ')})") from None


def unpack(path, kind, version):
    """Return (meta, arrays) of a container file, checking its members, kind and version."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise QuantlogicError(f"{path}: no such file")
    try:
        with zipfile.ZipFile(path) as archive:
            _check_members(archive, path, kind)
            meta = json.loads(archive.read("meta.json"))
            arrays = {name[:-4]: read_npy(archive.read(name), f"{path}: not a valid {kind} file: {name}")
                      for name in archive.namelist() if name.endswith(".npy")}
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, zlib.error, RuntimeError,
            NotImplementedError, RecursionError, TypeError, MemoryError) as exc:
        raise QuantlogicError(f"{path}: not a valid {kind} file ({type(exc).__name__}: {_short(exc)})") from None
    if not isinstance(meta, dict) or meta.get("format") != kind:
        raise QuantlogicError(f"{path}: not a {kind} file")
    if meta.get("version") != version:
        raise QuantlogicError(f"{path}: {kind} version {meta.get('version')!r} is not supported "
                              f"(this quantlogic reads version {version})")
    return meta, arrays


def _short(exc):
    text = str(exc).splitlines()[0] if str(exc) else ""
    return text[:120]


def require(arrays, names, path, kind):
    """Raise a clear error when a container lacks one of the named arrays."""
    missing = [n for n in names if n not in arrays]
    if missing:
        raise QuantlogicError(f"{path}: corrupt {kind} file, missing {', '.join(missing)}")

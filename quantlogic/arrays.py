"""Reading untrusted .npy data and zip archives: headers and declared sizes are checked before anything
is allocated or decompressed."""
import io

import numpy as np

from .errors import QuantlogicError

MAX_MEMBER_BYTES = 1 << 30  # uncompressed size of one zip member
MAX_TOTAL_BYTES = 4 << 30  # uncompressed size of all members
MAX_RATIO = 200  # uncompressed / compressed of a member over BOMB_SIZE: a zip bomb, not an array
BOMB_SIZE = 32 << 20


def _npy_header(stream, where):
    """(shape, fortran_order, dtype) of the .npy header at the stream's start, a numeric dtype; the stream is
    left at the first data byte."""
    try:
        version = np.lib.format.read_magic(stream)
        readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        if version not in readers:
            raise ValueError(f"unsupported .npy version {version}")
        shape, fortran, dtype = readers[version](stream)
    except Exception as exc:  # noqa: BLE001 - numpy's header parser raises tokenizer and syntax errors too
        raise QuantlogicError(f"{where}: not a valid .npy array ({_first_line(exc)})") from None
    if dtype.kind not in "biuf" or dtype.hasobject:
        raise QuantlogicError(f"{where}: holds an array of dtype {dtype}; numbers are expected")
    return shape, fortran, dtype


def read_npy(data, where):
    """The numeric array stored in .npy bytes; its header must declare no more data than the bytes hold."""
    stream = io.BytesIO(data)
    shape, _, dtype = _npy_header(stream, where)
    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if declared > len(data) - stream.tell():
        raise QuantlogicError(f"{where}: the array declares shape {shape} ({declared} bytes) but the file holds "
                              f"{len(data) - stream.tell()} bytes of data")
    stream.seek(0)
    return np.lib.format.read_array(stream, allow_pickle=False)


def npy_row_chunks(path, rows, where):
    """The rows of a 2-D (or 1-D: one row) numeric .npy file, `rows` at a time, read from disk as they are
    needed (its header checked as read_npy checks it; other layouts are read whole by read_npy)."""
    with open(path, "rb") as stream:
        shape, fortran, dtype = _npy_header(stream, where)
        if len(shape) not in (1, 2) or (fortran and len(shape) == 2 and min(shape) > 1):
            stream.seek(0)
            yield read_npy(stream.read(), where)
            return
        n_rows, n_cols = (1, shape[0]) if len(shape) == 1 else shape
        data_start = stream.tell()
        available = (stream.seek(0, 2) - data_start) // dtype.itemsize
        if n_rows * n_cols > available:
            raise QuantlogicError(f"{where}: the array declares shape {shape} but the file holds {available} values")
        stream.seek(data_start)
        for start in range(0, n_rows, rows):
            count = min(rows, n_rows - start) * n_cols
            yield np.fromfile(stream, dtype=dtype, count=count).reshape(-1, n_cols)


def check_zip_sizes(infos, where):
    """Refuse encrypted members, compression other than stored or deflated, and sizes beyond the limits
    (zip bombs included), before any member is read."""
    total = 0
    for info in infos:
        name = info.filename
        if info.flag_bits & 0x1:
            raise QuantlogicError(f"{where}: member {name[:60]} is encrypted")
        if info.compress_type not in (0, 8):  # stored, deflated
            raise QuantlogicError(f"{where}: member {name[:60]} uses compression method {info.compress_type}")
        bomb = info.file_size > BOMB_SIZE and info.file_size > MAX_RATIO * max(info.compress_size, 1)
        if info.file_size > MAX_MEMBER_BYTES or bomb:
            raise QuantlogicError(f"{where}: member {name[:60]} declares {info.file_size} bytes")
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise QuantlogicError(f"{where}: {total} bytes uncompressed, limit {MAX_TOTAL_BYTES}")


def _first_line(exc):
    text = str(exc).splitlines()
    return text[0][:120] if text else type(exc).__name__

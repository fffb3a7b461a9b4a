# SPDX-License-Identifier: BSD-3-Clause
"""The zip file: bounded reading and atomic writing.

Reading never inflates more than it has checked: ``header.json`` is capped
at :data:`MAX_HEADER_BYTES` and at 50 times the bytes it takes in the file
(past its first MiB), a member name appears once, and an array member must
be stored
uncompressed (as :func:`write` stores it) with exactly the size its dtype
and shape in the header imply, so loading needs no more memory than the
file's size. Writing goes to a temporary file next to the target, renamed
over it only once complete, so that a failed save leaves the old file.
"""

import io
import json
import os
import tempfile
import zipfile
import zlib

import numpy as np

HEADER = "header.json"
#: Largest ``header.json`` read, in bytes: about 4 M vocabulary words.
MAX_HEADER_BYTES = 64 * 2**20
# An .npy header is at most 64 kB long (numpy's own reading limit is lower).
_MAX_NPY_HEADER = 2**16
_READ_ERRORS = (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error)
# The most ``header.json`` may inflate per byte it takes in the file (past
# its first MiB): JSON of parameters and vocabularies deflates a few times,
# a "bomb" (a repeated ``[],``, say) a thousand times, and its parsed objects
# would take far more memory than the file.
_MAX_HEADER_RATIO = 50


def open_archive(path):
    """Open ``path`` as a zip file, or raise a ValueError saying why not."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(
            f"Cannot read the model file: it is truncated or not a sklearn_rnn "
            f"file ({exc})."
        ) from None
    names = archive.namelist()
    if len(set(names)) < len(names):
        # Tools reading the first of them would see another model than load.
        twice = next(n for n in names if names.count(n) > 1)
        archive.close()
        raise ValueError(
            f"The file holds the member {twice!r} twice: the file is corrupted "
            "or crafted."
        )
    return archive


def _member(archive, name):
    try:
        return archive.getinfo(name)
    except KeyError:
        return None


def read_header(archive):
    """The parsed ``header.json``, read with a bounded amount of memory."""
    info = _member(archive, HEADER)
    if info is None:
        raise ValueError(
            "This is not a file written by sklearn_rnn.persistence.save: it "
            f"has no {HEADER}."
        )
    if info.file_size > MAX_HEADER_BYTES:
        raise ValueError(
            f"The file's {HEADER} says it holds {info.file_size} bytes, more than "
            f"the {MAX_HEADER_BYTES} a model header may hold; the file is "
            "corrupted or crafted."
        )
    limit = min(MAX_HEADER_BYTES, max(2**20, _MAX_HEADER_RATIO * info.compress_size))
    try:
        with archive.open(info) as stream:
            raw = stream.read(limit + 1)
    except (*_READ_ERRORS, UnicodeDecodeError) as exc:
        raise ValueError(f"The file's header is corrupted ({exc}).") from None
    if len(raw) > limit:
        raise ValueError(
            f"The file's {HEADER} inflates to more than {limit} bytes from "
            f"{info.compress_size} in the file: the file is corrupted or crafted "
            "(a compression bomb)."
        )
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError(f"The file's {HEADER} is nested too deeply.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"The file's header is not valid JSON ({exc}).") from None


def npy_header(raw, key):
    """The ``(dtype, shape)`` an ``.npy`` member announces, read from its
    header only."""
    stream = io.BytesIO(raw[:_MAX_NPY_HEADER])
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    except (ValueError, SyntaxError, TypeError, OverflowError) as exc:
        raise ValueError(f"The array {key!r} has no valid .npy header: {exc}") from None
    return dtype, shape, fortran, stream.tell()


def read_member(archive, key, nbytes):
    """The bytes of the array member ``key``, which must hold ``nbytes`` of
    data plus an .npy header, checked before anything is read."""
    info = _member(archive, key)
    if info is None:
        raise ValueError(f"Cannot read {key!r} from the file: it has no such member.")
    if info.compress_type != zipfile.ZIP_STORED:
        raise ValueError(
            f"The array {key!r} is compressed in the file; sklearn_rnn stores "
            "arrays uncompressed, so that their size is known before reading."
        )
    if not nbytes <= info.file_size <= nbytes + _MAX_NPY_HEADER:
        raise ValueError(
            f"The array {key!r} takes {info.file_size} bytes in the file, but the "
            f"header says it holds {nbytes} bytes of data."
        )
    try:
        return archive.read(info)
    except _READ_ERRORS as exc:
        raise ValueError(f"Cannot read {key!r} from the file: {exc}.") from None


def member_prefix(archive, key):
    """The first bytes of the member ``key`` (its .npy header), stored or not
    (version-1 files), without inflating more than that."""
    info = _member(archive, key)
    if info is None:
        raise ValueError(f"Cannot read {key!r} from the file: it has no such member.")
    try:
        with archive.open(info) as stream:
            return stream.read(_MAX_NPY_HEADER)
    except _READ_ERRORS as exc:
        raise ValueError(f"Cannot read {key!r} from the file: {exc}.") from None


def write(path, header, members):
    """Write the zip file; to a temporary file renamed over ``path`` when
    ``path`` names a file, so that a failure leaves the old file intact."""
    if not isinstance(path, (str, os.PathLike)):
        _write_zip(path, header, members)
        return
    # A symbolic link keeps pointing to the new file: its target is replaced.
    path = os.path.realpath(os.fspath(path))
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(
        dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "wb") as stream:
            _write_zip(stream, header, members)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        # Whatever happened (a full disk, Ctrl-C), the old file is untouched.
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _mode_for(path):
    """The old file's permissions, or those a new file gets."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        return 0o666 & ~_umask()


def _umask():
    """The process's umask, read without changing it (os.umask would, for a
    moment, for every thread)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


# Every member is dated the same, so that saving one model twice writes the
# same bytes (a clock time would differ between two saves a second apart).
_MEMBER_DATE = (1980, 1, 1, 0, 0, 0)


def _dated_info(name, compress_type):
    info = zipfile.ZipInfo(name, date_time=_MEMBER_DATE)
    info.compress_type = compress_type
    info.external_attr = 0o644 << 16
    return info


def _write_zip(stream, header, members):
    with zipfile.ZipFile(stream, "w") as archive:
        archive.writestr(_dated_info(HEADER, zipfile.ZIP_DEFLATED), json.dumps(header))
        # Weights hardly compress: storing them as they are is 4x faster,
        # and it lets load check each member's size before reading it.
        for key, raw in members.items():
            archive.writestr(_dated_info(key, zipfile.ZIP_STORED), raw)

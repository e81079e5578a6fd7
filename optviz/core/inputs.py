"""Untrusted input: files read safely, and user values quoted briefly in messages.

:func:`read_regular_file` reads a file the user named only if it is a regular
file, never blocks (a FIFO or a device is refused before it is read) and never
reads more than a cap. :func:`shown` is how every error message quotes a user's
value: its ``repr``, cut to :data:`SHOWN_CHARS` characters.
"""

from __future__ import annotations

import os
import reprlib
import stat
from typing import Any, BinaryIO

__all__ = ["InputFileError", "SHOWN_CHARS", "describe_bytes", "describe_file_type", "open_regular_file",
           "read_regular_file", "shown"]

#: The most characters of a user's value that a message quotes.
SHOWN_CHARS = 60

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 2 * SHOWN_CHARS
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 8
_REPR.maxlevel = 4


def shown(value: Any) -> str:
    """``repr(value)`` for a message, cut to :data:`SHOWN_CHARS` characters and "…" when longer.

    Cheap for any value: a 10 MB string or a long list is not formatted whole.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"<{'a negative' if value < 0 else 'an'} integer of about {round(value.bit_length() * 0.30103)} digits>"
    text = repr(value[: 2 * SHOWN_CHARS]) if isinstance(value, str) else _REPR.repr(value)
    return text if len(text) <= SHOWN_CHARS + 2 else text[:SHOWN_CHARS] + "…"  # + 2: the quotes


class InputFileError(ValueError):
    """A file that cannot be read as input; the message is ``"PATH: PROBLEM"`` (one line)."""

    def __init__(self, path: str, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def describe_file_type(mode: int) -> str:
    """What a ``st_mode`` that is not a regular file's is: "a folder", "a FIFO (named pipe)", ..."""
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def describe_bytes(n: int) -> str:
    """``1536`` -> ``"1.5 KiB"``: a size in the largest binary unit that keeps it >= 1."""
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{n} bytes" if unit == "bytes" else f"{size:.3g} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def open_regular_file(path: str | os.PathLike, max_bytes: int | None = None, what: str = "file") -> BinaryIO:
    """``path`` opened for reading in binary if it is a regular file (of at most ``max_bytes``);
    else InputFileError.

    The file is checked before it is opened (a FIFO is never opened, a device never read) and
    again after, through the open descriptor; the open itself does not block. ``what`` names
    the file in size messages, in the plural ("the limit for experiment files is 1 MiB").
    """
    name = os.fspath(path)
    try:
        before = os.stat(name)
        _check(name, before, max_bytes, what)
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise InputFileError(name, "no such file") from None
    except NotADirectoryError:
        raise InputFileError(name, "no such file (a part of the path is not a folder)") from None
    except PermissionError:
        raise InputFileError(name, "cannot read it (permission denied)") from None
    except OSError as error:
        raise InputFileError(name, f"cannot read it ({error.strerror or error})") from None
    try:
        _check(name, os.fstat(fd), max_bytes, what)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def _check(name: str, status: os.stat_result, max_bytes: int | None, what: str) -> None:
    if not stat.S_ISREG(status.st_mode):
        raise InputFileError(name, f"is {describe_file_type(status.st_mode)}, not a regular file")
    if max_bytes is not None and status.st_size > max_bytes:
        raise InputFileError(name, f"is {describe_bytes(status.st_size)}; the limit for {what}s is "
                                   f"{describe_bytes(max_bytes)}")


def read_regular_file(path: str | os.PathLike, max_bytes: int, what: str = "file") -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``max_bytes`` (see
    :func:`open_regular_file`); at most ``max_bytes + 1`` bytes are read, so a file that grows
    meanwhile is refused too."""
    name = os.fspath(path)
    with open_regular_file(name, max_bytes, what) as handle:
        try:
            data = handle.read(max_bytes + 1)
        except OSError as error:
            raise InputFileError(name, f"cannot read it ({error.strerror or error})") from None
    if len(data) > max_bytes:
        raise InputFileError(name, f"is larger than {describe_bytes(max_bytes)}, the limit for {what}s")
    return data

"""Atomic file writing: temporary files beside the targets, renamed over them when complete.

An interrupted or failed write leaves no half-written file and no temporary file, and an
existing file is only ever replaced by a complete one. Several files (an output and its
sidecar) are renamed together, with cancelling signals held until the renames are done
(:func:`optviz.interrupt.deferred`).

Standard library only and outside the layers (like :mod:`optviz.interrupt`): the code
cache of ``core``, the experiment and result files and the rendered outputs all write
through it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from optviz.interrupt import deferred

__all__ = ["atomic_paths", "atomic_write", "temporary_files"]


def _temporary_name(path: Path) -> tuple[str, str]:
    """(prefix, suffix) of the temporary files of ``path``."""
    return f".{path.name}.", ".part" + path.suffix


def temporary_files(path: str | os.PathLike) -> list[Path]:
    """Temporary files of ``path`` that a killed writer could not remove."""
    path = Path(path)
    prefix, suffix = _temporary_name(path)
    return sorted((path.parent if str(path.parent) else Path(".")).glob(f"{glob.escape(prefix)}*{suffix}"))


@contextlib.contextmanager
def atomic_paths(*paths: str | os.PathLike) -> Iterator[list[Path]]:
    """Yield a temporary path beside each of ``paths`` (``.NAME.XXXX.part.SUFFIX``); when the
    block completes, rename them over ``paths`` together. On any exception (of the block, or
    of creating or renaming) every temporary file is removed and ``paths`` are as they were."""
    temporary: list[Path] = []
    try:
        for path in map(Path, paths):
            prefix, suffix = _temporary_name(path)
            fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent if str(path.parent) else ".")
            os.close(fd)
            temporary.append(Path(name))
        yield temporary
        with deferred():
            for tmp, path in zip(temporary, paths, strict=True):
                os.chmod(tmp, 0o644)
                os.replace(tmp, path)
    except BaseException:
        for tmp in temporary:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Yield a binary file handle; the file appears at ``path`` only if the block completes."""
    with atomic_paths(path) as (tmp,), open(tmp, "wb") as handle:
        yield handle

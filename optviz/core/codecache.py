"""Generated Python modules on disk, so that Numba's ``cache=True`` keeps their machine code.

Typed expressions and the specialized particle kernels are generated source. Each
distinct source is written once, atomically, to ``<cache>/generated/<name>.py``
(an existing file is never rewritten: its mtime keys Numba's cache) and imported
from there. The cache is ``$OPTVIZ_CACHE_DIR``, else ``$XDG_CACHE_HOME/optviz``,
else ``~/.cache/optviz``; when it cannot be written a private temporary folder is
used (Numba then compiles again in each process).

Compiling into a shared cache is serialized across processes and threads by
:func:`compile_lock`: Numba names a function's cache entries by their position in
its index, so two processes saving different signatures of one function at once
could pair one's index with the other's machine code.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from optviz.atomic import atomic_write

_lock = threading.Lock()
_fallback_dir: Path | None = None


def cache_root() -> Path:
    """The folder under which optviz keeps generated modules (see the module docstring)."""
    root = os.environ.get("OPTVIZ_CACHE_DIR")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "optviz")
    return Path(root)


def generated_dir() -> Path:
    return cache_root() / "generated"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (never half-written)."""
    with atomic_write(path) as handle:
        handle.write(text.encode("utf-8"))


def _module_path(name: str, source: str) -> Path:
    """Path of the module file holding exactly ``source`` (written if missing)."""
    global _fallback_dir
    for directory in (generated_dir(), _fallback_dir):
        if directory is None:
            continue
        path = directory / f"{name}.py"
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                current = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                current = None
            if current != source:
                write_atomic(path, source)
            return path
        except OSError:
            continue
    _fallback_dir = Path(tempfile.mkdtemp(prefix="optviz-generated-"))
    path = _fallback_dir / f"{name}.py"
    write_atomic(path, source)
    return path


def load_module(source: str, prefix: str = "_optviz_gen_"):
    """Import generated ``source`` as a module (one per distinct source per process)."""
    name = prefix + hashlib.sha256(source.encode()).hexdigest()[:32]
    with _lock:
        module = sys.modules.get(name)
        if module is not None:
            return module
        path = _module_path(name, source)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
        return module


_thread_locks: dict[str, threading.Lock] = {}


@contextlib.contextmanager
def compile_lock(module) -> Iterator[None]:
    """Hold the lock of a generated module's cache entries, across threads and processes."""
    name = module.__name__
    with _lock:
        thread_lock = _thread_locks.setdefault(name, threading.Lock())
    with thread_lock:
        lock_path = Path(module.__file__).with_suffix(".lock")
        try:
            handle = open(lock_path, "a+b")  # noqa: SIM115 - held for the duration of the block
        except OSError:
            yield
            return
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

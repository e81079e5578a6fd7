"""Cancellation by SIGINT and SIGTERM, safe around code that must not be interrupted.

The ``optviz`` command runs ``run``, ``figure`` and ``export`` inside
:func:`cancel_on_signals`. A signal then raises :class:`Interrupted` (a
``KeyboardInterrupt`` carrying the signal number) at once, unless the main
thread is inside a :func:`deferred` region: there it only records the signal,
and the region raises when it ends. Qt work (building a scene, drawing a
frame, closing widgets) runs deferred, because an exception raised inside Qt's
``paint`` callbacks is swallowed by pyqtgraph or crashes
``GraphicsView.render`` (PLATFORM.md). So does code that takes a lock another
thread or a later cleanup also takes (the encoder thread's queue, tqdm's write
locks): a signal raised as the lock's ``acquire`` returns, before the ``with``
block has begun, leaves the lock taken for good. Everything else (imports, Numba
compilation, the gaps between kernel calls, encoding) sees the signal at once.
One signal raises once: a signal that arrives while the first is being handled
(cleanup) is only recorded.

Pure standard library and outside the layers (cli -> app -> render -> models ->
experiment -> core), so every layer can use it and importing it loads nothing:
the command installs its handlers before the heavy imports. Outside
:func:`cancel_on_signals` (the desktop app, library use) :func:`deferred` and
:func:`raise_if_cancelled` have no effect.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["Interrupted", "cancel_on_signals", "deferred", "raise_if_cancelled", "cancel_requested"]

#: The signals that cancel a command: Ctrl-C and ``kill``.
CANCEL_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """A cancelling signal arrived. ``exit_status`` is the shell's convention, 128 + signal number."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


class _State:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.pending: int | None = None  # the first signal received
        self.raised = False  # Interrupted was raised for it
        self.depth = 0  # nesting of deferred() regions in the main thread


_state = _State()


def _on_signal(signum: int, _frame) -> None:
    if _state.pending is None:
        _state.pending = signum
    if _state.depth == 0 and not _state.raised:
        _state.raised = True
        raise Interrupted(signum)


@contextlib.contextmanager
def cancel_on_signals(signums: tuple[int, ...] = CANCEL_SIGNALS) -> Iterator[None]:
    """Make ``signums`` raise :class:`Interrupted` in the main thread while the block runs.

    A signal that the process inherited as ignored (a background job of a
    non-interactive shell) stays ignored. Previous handlers are restored on exit.
    Outside the main thread (where Python cannot install handlers) it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    _state.reset()
    try:
        for signum in signums:
            if signal.getsignal(signum) is signal.SIG_IGN:
                continue
            previous[signum] = signal.signal(signum, _on_signal)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _state.reset()


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold a cancelling signal until the block ends, then raise :class:`Interrupted`.

    For code that calls back into Python from C++ (Qt painting and event
    processing): there the signal only sets the flag. Blocks nest; the
    outermost one raises. Has no effect outside the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
    raise_if_cancelled()


def raise_if_cancelled() -> None:
    """Raise :class:`Interrupted` now if a signal arrived and was not raised yet (outside deferred regions)."""
    if _state.pending is not None and not _state.raised and _state.depth == 0 and (
        threading.current_thread() is threading.main_thread()
    ):
        _state.raised = True
        raise Interrupted(_state.pending)


def cancel_requested() -> bool:
    """Whether a cancelling signal arrived (raised or still held)."""
    return _state.pending is not None

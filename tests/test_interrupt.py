"""Cancellation as a contract: SIGINT and SIGTERM during `optviz run`, `figure`, `export` and `map`.

The command exits with 128 + the signal number (130, 143) soon after the signal,
prints one line, leaves the previous output byte-identical and no temporary file
behind. The subprocess tests wait for the command's own progress output before
signalling, so that the signal lands in the phase under test, and allow 10 s for
the exit (measured: well under a second) so that a loaded machine does not fail them.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import SMALL_EXPERIMENT

from optviz.interrupt import Interrupted, cancel_on_signals, deferred, raise_if_cancelled

ROOT = Path(__file__).resolve().parents[1]
EXIT_DEADLINE = 10.0  # seconds from the signal to the exit (the contract says 1 s; generous under load)
START_DEADLINE = 120.0  # seconds until the phase under test shows (imports, a cold kernel compile)

# A simulation of several seconds: 1,000,000 particles x 2,000 steps, few frames recorded.
LONG = """
title = "long run"
seed = 0
[landscape]
name = "rosenbrock"
[run]
steps = 2000
record_every = 1000
[[groups]]
optimizer = "adam"
hyper = { lr = 0.01 }
init = { kind = "uniform", low = [-2, -1], high = [2, 3], count = 1000000 }
"""

# Python code that runs the command as a terminal would: with SIGINT's default
# handler even when pytest was started with SIGINT ignored (a background job).
LAUNCH = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
          "sys.argv[0] = 'optviz'; runpy.run_module('optviz', run_name='__main__')")


class Command:
    """`optviz ARGS` in a subprocess, its stderr collected as it comes."""

    def __init__(self, args: list[str], cwd: Path):
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONFAULTHANDLER": "1"}  # see _stop_stuck
        self.proc = subprocess.Popen([sys.executable, "-c", LAUNCH, *args], cwd=cwd, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._err = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        while chunk := os.read(self.proc.stderr.fileno(), 65536):
            self._err += chunk

    @property
    def stderr(self) -> str:
        return self._err.decode("utf-8", "replace")

    def wait_for(self, pattern: str) -> None:
        """Wait until stderr matches ``pattern`` (fails if the command ends first)."""
        deadline = time.monotonic() + START_DEADLINE
        while not re.search(pattern, self.stderr):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                rc = self._stop()
                pytest.fail(f"never saw {pattern!r}; exit {rc}; stderr:\n{self.stderr[-2000:]}")
            time.sleep(0.02)

    def _stop(self) -> int:
        self.proc.kill()
        rc = self.proc.wait()
        self._reader.join(5)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc

    def _stop_stuck(self) -> str:
        """Stop a command that hangs; its stderr, ending with every thread's stack (faulthandler, on SIGABRT)."""
        self.proc.send_signal(signal.SIGABRT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        self._stop()
        return self.stderr[-6000:]

    def interrupt(self, signum: int) -> int:
        """Send ``signum``; the exit status (fails if the command is still running after EXIT_DEADLINE)."""
        self.proc.send_signal(signum)
        try:
            self.proc.wait(EXIT_DEADLINE)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {EXIT_DEADLINE} s after {signal.Signals(signum).name}; stderr:\n"
                        f"{self._stop_stuck()}")
        return self._stop()


def _last_line(text: str) -> str:
    return re.split(r"[\r\n]", text.strip())[-1]


def _check_cancelled(cmd: Command, rc: int, signum: int, folder: Path, kept: dict[str, bytes]) -> None:
    assert rc == 128 + signum, cmd.stderr[-2000:]
    assert _last_line(cmd.stderr) == f"optviz: cancelled ({signal.Signals(signum).name})"
    assert "Traceback" not in cmd.stderr and "Error" not in cmd.stderr
    assert sorted(os.listdir(folder)) == sorted(kept), "no temporary or new file is left behind"
    for name, content in kept.items():
        assert (folder / name).read_bytes() == content, f"{name} is left as it was"


# ------------------------------------------------------------- subprocess contract
def _cancelled_in_phase(folder: Path, signum: int, experiment: str, args: list[str], output: str, phase: str):
    """`optviz ARGS` on ``experiment`` (as exp.toml) over an earlier ``output``, sent ``signum``
    once its stderr matches ``phase``: exits as the contract says and leaves both files as they were."""
    (folder / "exp.toml").write_text(experiment)
    old = f"the previous {output}".encode()
    (folder / output).write_bytes(old)
    cmd = Command([*args, "exp.toml", "-o", output], folder)
    cmd.wait_for(phase)
    rc = cmd.interrupt(signum)
    _check_cancelled(cmd, rc, signum, folder, {"exp.toml": experiment.encode(), output: old})


@pytest.mark.parametrize("fmt, signum", [("mp4", signal.SIGINT), ("gif", signal.SIGINT), ("webp", signal.SIGINT),
                                         ("mp4", signal.SIGTERM), ("gif", signal.SIGTERM)])
def test_export_cancelled_while_drawing_frames(tmp_path, fmt, signum):
    _cancelled_in_phase(tmp_path, signum, SMALL_EXPERIMENT, ["export", "--frames", "300"], f"out.{fmt}",
                        r"optviz export:\s+\d+%\|[^|]*\|\s*([2-9]|\d{2,})/300")  # frames are being drawn


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_run_cancelled_while_simulating(tmp_path, signum):
    _cancelled_in_phase(tmp_path, signum, LONG, ["run"], "out.npz",
                        r"optviz run:\s+\d+%\|[^|]*\|\s*[1-9]\d*/2000")  # past the first kernel call


def test_figure_cancelled_while_simulating(tmp_path):
    _cancelled_in_phase(tmp_path, signal.SIGTERM, LONG, ["figure"], "out.png", r"optviz figure: simulating:\s+\d+%")


# A basin map of several seconds: 1,000 x 1,000 Adam particles x 3,000 steps, in chunks on threads.
LONG_MAP = """
title = "long basin map"
[landscape]
name = "himmelblau"
[run]
steps = 3000
[[groups]]
optimizer = "adam"
hyper = { lr = 0.01 }
[map]
kind = "basin"
x = { low = -5, high = 5, n = 1000 }
y = { low = -5, high = 5, n = 1000 }
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_map_cancelled_while_its_chunks_run_on_threads(tmp_path, signum):
    _cancelled_in_phase(tmp_path, signum, LONG_MAP, ["map"], "out.npz",
                        r"optviz map:\s+\d+%\|[^|]*\|\s*[1-9]\d*/1000000")  # chunks done, more running


# ------------------------------------------------------------------ the mechanism
@pytest.fixture(autouse=True)
def terminal_signal_handlers():
    """SIGINT and SIGTERM as in a terminal, even when pytest runs with them ignored (a
    background job of a non-interactive shell starts with SIGINT ignored, and
    cancel_on_signals rightly leaves an ignored signal ignored)."""
    previous = {signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
                signal.SIGTERM: signal.signal(signal.SIGTERM, signal.SIG_DFL)}
    yield
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def test_signal_outside_deferred_code_raises_at_once():
    reached = False
    with pytest.raises(Interrupted) as caught, cancel_on_signals():
        signal.raise_signal(signal.SIGTERM)
        reached = True
    assert not reached
    assert caught.value.signum == signal.SIGTERM and caught.value.exit_status == 143
    assert isinstance(caught.value, KeyboardInterrupt)


def test_signal_inside_deferred_code_waits_for_the_end_of_the_region():
    steps = []
    with pytest.raises(Interrupted) as caught, cancel_on_signals():
        with deferred():
            with deferred():
                signal.raise_signal(signal.SIGINT)
                steps.append("inner region finished")
            steps.append("outer region finished")
        steps.append("after the regions")
    assert steps == ["inner region finished", "outer region finished"]
    assert caught.value.exit_status == 130


def test_one_signal_raises_once_so_cleanup_is_not_interrupted():
    cleaned = []
    with cancel_on_signals():
        with pytest.raises(Interrupted):
            signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)  # a second Ctrl-C while cleaning up
        raise_if_cancelled()
        with deferred():
            cleaned.append(True)
    assert cleaned == [True]


def test_handlers_are_restored_and_an_ignored_signal_stays_ignored():
    before_int = signal.getsignal(signal.SIGINT)
    previous_term = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with cancel_on_signals():
            signal.raise_signal(signal.SIGTERM)  # ignored, as the process was told
            raise_if_cancelled()
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGINT) is before_int
    finally:
        signal.signal(signal.SIGTERM, previous_term)


def test_deferred_and_checks_do_nothing_without_handlers():
    with deferred():
        pass
    raise_if_cancelled()


class LockASignalHits:
    """A lock that a cancelling signal hits just after it is taken, in the main thread: the
    moment a Ctrl-C can land in any ``with lock:`` (the signal is raised as the lock's
    acquire returns, before the ``with`` block that would release it has begun)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.armed = False

    def acquire(self, blocking=True, timeout=-1):
        taken = self._lock.acquire(blocking, timeout)
        if taken and self.armed and threading.current_thread() is threading.main_thread():
            self.armed = False
            signal.raise_signal(signal.SIGINT)
        return taken

    __enter__ = acquire

    def release(self):
        self._lock.release()

    def __exit__(self, *exc):
        self.release()

    def locked(self):
        return self._lock.locked()


def _finishes(work, seconds=10.0) -> bool:
    """Whether ``work()`` returns within ``seconds`` (run on a thread, so a deadlock fails the test, not the run)."""
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(seconds)
    return not thread.is_alive()


def test_a_signal_as_the_encoder_queue_takes_its_lock_cancels_and_the_export_can_still_abort(monkeypatch):
    """Ctrl-C while a frame is handed to the encoder thread: Interrupted, and the writer then
    aborts (before, the signal could leave the queue's lock taken and abort waited for ever)."""
    import queue

    from optviz.render.writers import ThreadedWriter

    class QueueASignalHits(queue.Queue):
        def __init__(self, maxsize=0):
            super().__init__(maxsize)
            self.mutex = LockASignalHits()
            self.not_empty = threading.Condition(self.mutex)
            self.not_full = threading.Condition(self.mutex)
            self.all_tasks_done = threading.Condition(self.mutex)

    encoded = []

    class Encoder:
        def setup(self, *args):
            pass

        def grab_frame(self, frame):
            encoded.append(frame)

        def finish(self):
            pass

        def abort(self):
            encoded.append("aborted")

    monkeypatch.setattr(queue, "Queue", QueueASignalHits)
    writer = ThreadedWriter(Encoder())
    writer.setup("unused", (2, 2), 30, "")
    writer.grab_frame("frame 0")
    writer._q.mutex.armed = True
    with pytest.raises(Interrupted), cancel_on_signals():
        writer.grab_frame("frame 1")
    assert not writer._q.mutex.locked()
    assert _finishes(writer.abort)
    assert encoded[-1] == "aborted"


def test_a_signal_as_the_progress_bar_takes_its_lock_cancels_and_the_bars_still_close():
    from tqdm import tqdm

    from optviz.cli import _ProgressBars

    previous = tqdm.get_lock()
    lock = LockASignalHits()
    tqdm.set_lock(lock)
    try:
        bars = _ProgressBars(quiet=False)
        progress = bars.callback("optviz export", "frame")
        with cancel_on_signals():
            lock.armed = True
            with pytest.raises(Interrupted):
                progress(1, 10)  # the first report creates the bar, under tqdm's lock
            assert not lock.locked()
            assert _finishes(bars.close)
    finally:
        tqdm.set_lock(previous)


# ------------------------------------------------------- simulation granularity
def test_run_returns_to_python_between_slices_with_the_same_result():
    """The headless run calls the kernels in slices (a signal is seen between them); slicing changes nothing."""
    from optviz.experiment import Experiment, build_simulation, result_of, run_frames
    from optviz.experiment.runner import advance_in_slices

    exp = Experiment.from_toml("""
        seed = 3
        [landscape]
        model = "logistic"
        data = { size = 200, noise = 0.5, seed = 1 }
        [run]
        steps = 300
        record_every = 7
        [[groups]]
        optimizer = "adam"
        hyper = { lr = 0.05 }
        batch_size = 16
        sampling = "epoch"
        schedule = { kind = "step", step_size = 100, gamma = 0.5 }
        init = { kind = "normal", mean = [0, 0], std = [1, 1], count = 100 }
        [[groups]]
        optimizer = "momentum"
        hyper = { lr = { log = [1e-4, 1e-1], n = 3 } }
        batch_size = 1
        sampling = "replacement"
        init = { kind = "normal", mean = [0, 0], std = [1, 1], count = 20 }
    """)
    whole = build_simulation(exp, run_frames(exp))
    whole.advance(exp.run.steps, record_last=True)
    sliced = build_simulation(exp, run_frames(exp))
    calls = []
    advance_in_slices(sliced, exp.run.steps, record_last=True, seconds=1e-9,
                      progress=lambda done, total: calls.append((done, total)))
    assert len(calls) == exp.run.steps, "with a tiny time budget every call is one step"
    assert calls[-1] == (300, 300)
    a, b = result_of(whole, exp), result_of(sliced, exp)
    for name in ("positions", "loss", "grad", "lr_preconditioned", "lr_realized", "step", "diverged_at"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name

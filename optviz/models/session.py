"""The live session (Qt-free): the run being computed, what the window holds of it, replay and
the one time cursor.

:class:`Session` owns the :class:`~optviz.models.live.LiveRun` (driven by the app's compute
thread), the :class:`~optviz.models.live.DisplayBuffer` of recorded frames and the
:class:`~optviz.models.playback.Playback` (playing, speed, live step, cursor). The window's
screen timer calls :meth:`Session.tick` (never waits on the kernels); whenever the frame to draw
changes (new frames, replay, a scrub, a step back) the session publishes a :class:`Frame` on
:attr:`Session.frame_changed`, and views draw it.

Contracts a person sees:

* the cursor never shows a step after the computed one (``cursor_step <= playback.step``);
* scrubbing back shows the recorded step of that frame, and the run stops computing;
* playing from a scrubbed-back cursor replays the recorded frames, then computes again;
* reset goes back to step 0 and pauses.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from psygnal import Signal

from optviz.models.live import DisplayBuffer, LiveRun
from optviz.models.playback import Playback

__all__ = ["Frame", "Session", "SIDE_PLOT_INTERVAL"]

#: Seconds between side-plot updates while a run plays (every new frame when paused or stepping).
SIDE_PLOT_INTERVAL = 0.25


@dataclass(frozen=True)
class Frame:
    """What to draw: recorded frame ``index`` of the display buffer, at optimizer ``step``.

    ``new_data``: the buffer took new frames (views hand ``display.result()`` to the scene again);
    ``side_plots``: recompute the side plots' curves too; ``density``: (request, step, counts)
    splatted by the compute thread for the density image, or None.
    """

    index: int
    step: int
    new_data: bool = False
    side_plots: bool = False
    density: tuple | None = None


class Session:
    """The live run, its display buffer, replay and the time cursor (GUI thread only)."""

    #: A :class:`Frame` to draw: the cursor moved or the held frames changed.
    frame_changed = Signal(object)
    #: The inspected particle's recorded history and optimizer state (a dict, see LiveRun).
    inspected = Signal(object)
    #: The simulation stopped with this one-line message (the run is paused).
    error = Signal(str)

    def __init__(self, live: LiveRun | None = None, display: DisplayBuffer | None = None,
                 playback: Playback | None = None, clock: Callable[[], float] = time.perf_counter):
        self.live = live if live is not None else LiveRun()
        self.display = display if display is not None else DisplayBuffer()
        self.playback = playback if playback is not None else Playback()
        self.clock = clock
        self.experiment = None
        #: the last frame published (None before the first)
        self.frame: Frame | None = None
        #: particles diverged so far in the live run
        self.n_diverged = 0
        #: the particle being inspected (global index) and its latest inspection
        self.inspected_particle: int | None = None
        self.inspection: dict | None = None
        self._pumping = False
        self._side_t = -float("inf")
        self._density_req = None
        self._frame_times: deque[float] = deque(maxlen=120)
        #: milliseconds each recent :meth:`tick` took, drawing included
        self.tick_ms: deque[float] = deque(maxlen=120)
        pb = self.playback
        pb.events.playing.connect(self._on_playing)
        pb.events.speed.connect(self.live.set_speed)
        pb.events.frame.connect(self._on_cursor_moved)

    # ------------------------------------------------------------------ commands
    def load(self, experiment, keep_playing: bool = False) -> None:
        """Start over with ``experiment`` at step 0 (its kernels compile in the compute thread)."""
        self.experiment = experiment
        self.n_diverged = 0
        self.playback.reset(experiment.run.steps, keep_playing=keep_playing)
        self.live.load(experiment)
        self.display.invalidate()

    def toggle_play(self) -> None:
        """Play or pause; Play at the end of a finished run starts it again from step 0."""
        pb = self.playback
        if not pb.playing and pb.finished and pb.follow:
            self.reset()
        pb.playing = not pb.playing

    def set_speed(self, steps_per_frame: int) -> None:
        self.playback.set_speed(steps_per_frame)

    def step(self, n: int = 1) -> None:
        """Pause and move ``n`` steps on: through the recorded frames when the cursor is behind
        the newest one, else computing ``n`` new steps."""
        pb = self.playback
        pb.playing = False
        if not pb.follow and pb.frame < pb.n_frames - 1:
            self.scrub_by(n)
            return
        pb.follow = True
        self.live.step(n)

    def scrub(self, frame: int) -> None:
        """Move the cursor to recorded frame ``frame`` (clamped)."""
        self.playback.scrub(frame)

    def scrub_by(self, k: int) -> None:
        """Pause and move the cursor ``k`` recorded frames (negative: back)."""
        pb = self.playback
        pb.playing = False
        pb.scrub(pb.frame + k)

    def scrub_to_newest(self) -> None:
        self.playback.scrub(self.playback.n_frames - 1)

    def reset(self) -> None:
        """Pause and go back to step 0 of the same experiment."""
        pb = self.playback
        pb.playing = False
        total = self.experiment.run.steps if self.experiment is not None else pb.total_steps
        pb.reset(total)
        self.live.reset()

    def inspect(self, particle: int | None) -> None:
        """Follow ``particle`` (None: no one): :attr:`inspected` publishes its history and state."""
        self.inspected_particle = None if particle is None else int(particle)
        self.inspection = None
        self.live.inspect(self.inspected_particle)

    def set_density_view(self, request) -> None:
        """The density image's request of the view (None: not drawn as density); the compute
        thread splats new frames for it."""
        if request != self._density_req:
            self._density_req = request
            self.live.set_density_view(request)

    # ------------------------------------------------------------------ the frame pump
    def tick(self) -> Frame | None:
        """Take what the compute thread published and move the cursor (screen timer, ~60 Hz).
        Returns the frame published in this tick, or None when nothing is to be drawn anew."""
        t0 = self.clock()
        self._frame_times.append(t0)
        pb = self.playback
        snap = self.live.take()
        changed = fresh = False
        density = None
        if snap is not None:
            if snap.error:
                pb.playing = False
                self.error.emit(snap.error)
            added = self.display.add(snap)
            if snap.density is not None and snap.generation == self.display.generation:
                density = snap.density
            fresh = snap.fresh
            changed = added > 0 or fresh
            pb.step = snap.step
            pb.total_steps = snap.total_steps
            pb.finished = snap.finished
            if snap.n_diverged is not None:
                self.n_diverged = int(snap.n_diverged)
            elif snap.diverged_at is not None:
                self.n_diverged = int((snap.diverged_at >= 0).sum())
            info = snap.inspect
            if info is not None and "steps" in info and self.inspected_particle == info.get("particle"):
                self.inspection = info
                self.inspected.emit(info)
            if snap.finished and pb.playing and pb.follow:
                pb.playing = False
        frame = None
        self._pumping = True
        try:
            if changed and self.display.n:
                pb.n_frames = self.display.n
                index = self.display.n - 1 if pb.follow else self.display.frame_for_step(pb.cursor_step)
                # side plots: a few times per second while playing (their statistics are kept per frame)
                side = fresh or not pb.playing or (t0 - self._side_t) > SIDE_PLOT_INTERVAL
                if side:
                    self._side_t = t0
                pb.frame = index
                frame = self._publish(index, new_data=True, side_plots=side, density=density)
            elif pb.playing and not pb.follow and self.display.n:
                frame = self._publish(self._replay_next())
        finally:
            self._pumping = False
        if pb.playing and pb.follow:
            self.live.request_frame()
        self.tick_ms.append((self.clock() - t0) * 1e3)
        return frame

    def _replay_next(self) -> int:
        """Replaying recorded frames: the cursor moves ``speed`` steps a tick; at the newest frame
        it follows the live run again (which computes on)."""
        pb = self.playback
        index = max(self.display.frame_for_step(pb.cursor_step + pb.speed), pb.frame + 1)
        if index >= self.display.n - 1:
            index = self.display.n - 1
            pb.follow = True
            self.live.play(True)
        pb.frame = index
        return index

    def _on_cursor_moved(self, index: int) -> None:
        """A scrub (not the pump): draw the recorded frame at once."""
        if self._pumping or not self.display.n:
            return
        self._publish(index)

    def _publish(self, index: int, **kw) -> Frame:
        step = int(self.display.steps[index]) if self.display.n else 0
        self.playback.cursor_step = step
        frame = Frame(index=int(index), step=step, **kw)
        self.frame = frame
        self.frame_changed.emit(frame)
        return frame

    def _on_playing(self, playing: bool) -> None:
        self.live.play(playing and self.playback.follow)

    # ------------------------------------------------------------------ figures
    @property
    def computed(self) -> tuple[int, int]:
        """(steps computed, steps of the run)."""
        return self.playback.step, self.playback.total_steps

    def frame_stats(self) -> tuple[float, float]:
        """(ticks per second over the last ~2 seconds, mean tick ms)."""
        ft = self._frame_times
        if len(ft) < 2:
            return 0.0, 0.0
        span = ft[-1] - ft[0]
        fps = (len(ft) - 1) / span if span > 0 else 0.0
        return fps, sum(self.tick_ms) / max(len(self.tick_ms), 1)

    def clear_frame_stats(self) -> None:
        self._frame_times.clear()
        self.tick_ms.clear()

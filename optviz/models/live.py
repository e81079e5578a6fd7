"""A simulation advanced by one worker thread, and what the window draws of it.

:class:`LiveRun` owns the engine's ``Simulation``. Only its worker loop
(:meth:`LiveRun.loop`, run by the app's one compute thread) touches the
simulation; the GUI thread talks to it with non-blocking commands (``load``,
``reset``, ``play``, ``step``, ``request_frame``, ``inspect``) and picks up the
newest :class:`Snapshot` with :meth:`take` (a pointer swap under a lock held for
microseconds: the GUI never waits on the kernels).

Loading an experiment publishes its start positions at once, then compiles (or
loads from the disk cache) the kernels it needs, reporting each one, and only
then records frame 0: a window draws the particles while their kernels compile,
and a Play pressed meanwhile takes effect as soon as they are ready.

A snapshot carries only what is new since the previous one: the recorded
frames (positions of every particle, and loss / learning rates of a bounded
sample of particles for the side plots), the divergence steps, and, when a
particle is inspected, its full recorded history and its optimizer state now.

:class:`DisplayBuffer` (GUI thread only) accumulates those frames in
preallocated arrays within a memory budget, thinning itself (every other
frame, in place) when full, and hands the scene result-like views of them.
Positions (8 MB a frame at 1e6) and the side plots' data (a few KB a frame)
have separate capacities, so the side plots keep a long history at any N.
It also keeps the side plots' per-frame group statistics (loss quantiles,
median learning rates), computed once for each frame as it arrives, so a
side-plot update never re-sorts the whole history.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["LiveRun", "Snapshot", "DisplayBuffer", "frame_for_step", "side_sample", "history_frames_for"]

#: Side plots use at most this many particles (evenly spread over each group).
SIDE_SAMPLE = 1000
#: Memory of the engine's history in the app (the experiment's budget if smaller).
APP_HISTORY_MB = 256.0
#: Memory of the window's display buffer (positions).
DISPLAY_MB = 96.0
#: Memory of the window's side-plot history (loss and learning rates of the sample, statistics).
SIDE_MB = 32.0
#: At most this many frames travel in one snapshot (evenly thinned, newest kept).
MAX_FRAMES_PER_SNAPSHOT = 64


def frame_for_step(steps: np.ndarray, step: int) -> int:
    """Index of the last frame of ``steps`` (ascending recorded steps) at or before optimizer step
    ``step``: 0 before the first frame, the last frame after it."""
    i = int(np.searchsorted(steps, step, side="right")) - 1
    return max(0, min(i, len(steps) - 1))


def side_sample(group: np.ndarray, n_groups: int, limit: int = SIDE_SAMPLE) -> np.ndarray:
    """Indices of at most ``limit`` particles, spread evenly over every group."""
    group = np.asarray(group)
    if len(group) <= limit:
        return np.arange(len(group))
    per = max(1, limit // max(n_groups, 1))
    out = []
    for g in range(n_groups):
        idx = np.flatnonzero(group == g)
        if len(idx) > per:
            idx = idx[np.linspace(0, len(idx) - 1, per).round().astype(np.int64)]
        out.append(idx)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def history_frames_for(n_particles: int, budget_mb: float) -> int:
    from optviz.core.history import bytes_per_frame

    return max(4, int(budget_mb * 2**20 // bytes_per_frame(max(n_particles, 1), np.float32)))


@dataclass
class Snapshot:
    generation: int  # increments on every rebuild or reset; frames of an older one are stale
    step: int
    total_steps: int
    n_particles: int
    group: np.ndarray | None = None  # (N,) set on the first snapshot of a generation
    side_index: np.ndarray | None = None  # (Ns,) particles of the side plots
    steps: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # (k,) new frames
    positions: np.ndarray | None = None  # (k, N, 2) float32
    loss: np.ndarray | None = None  # (k, Ns)
    lr_preconditioned: np.ndarray | None = None  # (k, Ns, 2)
    lr_realized: np.ndarray | None = None  # (k, Ns, 2)
    diverged_at: np.ndarray | None = None  # (N,)
    inspect: dict | None = None
    finished: bool = False
    error: str | None = None
    compute_ms: float = 0.0
    n_diverged: int | None = None  # particles diverged so far
    density: tuple | None = None  # (request, step, counts): density image counts of the newest frame
    diverged_index: np.ndarray | None = None  # (n_diverged,) which ones
    fresh: bool = False  # the display must start over (new generation)
    start_positions: np.ndarray | None = None  # (N, 2) float32, published before frame 0 (kernels compiling)


#: ``on_kernels(description, done, total)``: e.g. ("Adam on Rosenbrock", 1, 3) before the second of three.
KernelProgress = Callable[[str, int, int], None]


class LiveRun:
    """Commands from the GUI thread; :meth:`loop` runs in the one compute thread."""

    def __init__(self, side_limit: int = SIDE_SAMPLE, history_mb: float = APP_HISTORY_MB):
        self.side_limit = side_limit
        self.history_mb = history_mb
        self._cv = threading.Condition()
        self._stop = False
        self._pending_exp = None
        self._reset = False
        self._playing = False
        self._speed = 1
        self._step_requests = 0
        self._frame_wanted = True
        self._inspect: int | None = None
        self._inspect_dirty = False
        self._density_req = None
        self._out_lock = threading.Lock()
        self._out: Snapshot | None = None
        #: held by the worker while it computes; :meth:`result` callers take it too
        self.work_lock = threading.Lock()
        # worker-owned
        self.sim = None
        self.exp = None
        self.generation = 0
        self._published_step = -1
        self._group = None
        self._side = None
        self._div_cache = None
        self._on_kernels: KernelProgress | None = None
        self.busy = False

    # ------------------------------------------------------ GUI-thread commands
    def _notify(self):
        self._cv.notify_all()

    def load(self, experiment) -> None:
        """Rebuild the simulation for ``experiment`` (at step 0)."""
        with self._cv:
            self._pending_exp = experiment
            self._reset = False
            self._step_requests = 0
            self._notify()

    def reset(self) -> None:
        with self._cv:
            self._reset = True
            self._step_requests = 0
            self._notify()

    def play(self, playing: bool) -> None:
        with self._cv:
            self._playing = bool(playing)
            self._frame_wanted = True
            self._notify()

    def set_speed(self, steps_per_frame: int) -> None:
        with self._cv:
            self._speed = max(1, int(steps_per_frame))

    def step(self, n: int = 1) -> None:
        with self._cv:
            self._step_requests += max(0, int(n))
            self._notify()

    def request_frame(self) -> None:
        """The window drew a frame: while playing, compute the next chunk."""
        with self._cv:
            if not self._frame_wanted:
                self._frame_wanted = True
                if self._playing:
                    self._notify()

    def inspect(self, particle: int | None) -> None:
        with self._cv:
            self._inspect = None if particle is None else int(particle)
            self._inspect_dirty = True
            self._notify()

    def set_density_view(self, request) -> None:
        """Splat each new frame for this density request (see
        ``ParticleLayer.density_request``; None: no density) in the compute thread, so the
        window only colours it. Takes effect from the next published frame."""
        with self._cv:
            self._density_req = request

    def stop(self) -> None:
        with self._cv:
            self._stop = True
            self._notify()

    def take(self) -> Snapshot | None:
        """The snapshot published since the last call, or None (never blocks on compute)."""
        with self._out_lock:
            snap, self._out = self._out, None
        return snap

    @property
    def playing(self) -> bool:
        return self._playing

    # ------------------------------------------------------------ worker loop
    def _has_work(self) -> bool:
        if self._pending_exp is not None or self._reset or self._inspect_dirty:
            return True
        if self.sim is None:
            return False
        if self._step_requests > 0:
            return True
        return self._playing and self._frame_wanted and not self._finished()

    def _finished(self) -> bool:
        return self.sim is not None and self.sim.step >= self.exp.run.steps

    def loop(self, on_kernels: KernelProgress | None = None, idle_tasks: Iterable[Callable[[], Any]] = ()) -> None:
        """Run until :meth:`stop` (in the compute thread).

        ``on_kernels(description, done, total)`` is called (in this thread) before each kernel an
        opened experiment needs is compiled or loaded, and with ``done == total`` once all are
        ready. ``idle_tasks`` run once each, in order, while the run is paused and no command
        waits (e.g. compiling kernels that only some views use); their errors are published
        like the run's.
        """
        self._on_kernels = on_kernels
        idle = list(idle_tasks)
        while True:
            with self._cv:
                while not self._stop and not self._has_work() and not (idle and not self._playing):
                    self._cv.wait(0.25)
                if self._stop:
                    return
                if not self._has_work():
                    work = idle.pop(0)
                else:
                    work = self._take_commands()
            self._run_guarded(work)

    def _take_commands(self) -> Callable[[], None]:
        """The pending commands as one piece of work (call with ``_cv`` held)."""
        exp, self._pending_exp = self._pending_exp, None
        reset, self._reset = self._reset, False
        inspect_dirty, self._inspect_dirty = self._inspect_dirty, False
        n = 0
        if self._step_requests > 0:
            n, self._step_requests = self._step_requests, 0
        elif self._playing and self._frame_wanted:
            n = self._speed
            self._frame_wanted = False
        return lambda: self._work(exp, reset, n, inspect_dirty)

    def _run_guarded(self, work: Callable[[], Any]) -> None:
        """Run ``work`` holding :attr:`work_lock`; an error is published, never kills the thread."""
        self.busy = True
        try:
            with self.work_lock:
                work()
        except Exception as error:  # noqa: BLE001 - reported to the window
            self._publish_error(f"{type(error).__name__}: {error}", traceback.format_exc())
        finally:
            self.busy = False

    def run_blocking(self, experiment, steps: int) -> Snapshot:
        """Load and advance ``steps`` in the calling thread (tests, scripts)."""
        self._work(experiment, False, 0, False)
        self._work(None, False, steps, False)
        return self.take()

    def _work(self, exp, reset: bool, n: int, inspect_dirty: bool) -> None:
        fresh = False
        if exp is not None:
            self._build(exp)
            self.generation += 1
            self._published_step = -1
            self._publish_start_positions()
            self.sim.compile(progress=self._on_kernels)
            fresh = True
        elif reset and self.sim is not None:
            self.sim.reset()
            self.generation += 1
            self._published_step = -1
            fresh = True
        if self.sim is None:
            return
        if fresh:
            self.sim.start()
        t0 = time.perf_counter()
        if n > 0:
            n = min(n, self.exp.run.steps - self.sim.step)
            if n > 0:
                self.sim.advance(n, record_last=True)
        ms = (time.perf_counter() - t0) * 1e3
        if n > 0 or fresh or inspect_dirty:
            self._publish(fresh, ms)

    def _build(self, exp) -> None:
        from optviz.core.initial import particle_count
        from optviz.experiment import build_simulation

        n = sum(particle_count(g.init) for g in exp.groups)
        budget = min(float(exp.run.max_history_mb), self.history_mb)
        frames = min(history_frames_for(n, budget), exp.run.steps // exp.run.record_every + 2)
        self.sim = None  # free the old history first
        self.sim = build_simulation(exp, max_frames=max(frames, 4))
        self.exp = exp
        self._group = np.concatenate([np.full(g.size, k, dtype=np.int32)
                                      for k, g in enumerate(self.sim.groups)])
        self._group64 = self._group.astype(np.int64)
        self._side = side_sample(self._group, len(self.sim.groups), self.side_limit)
        self._starts = np.concatenate([[0], np.cumsum([g.size for g in self.sim.groups])]).astype(np.int64)
        # the side sample per group, as indices within the group (the sample is sorted by group)
        self._side_local = [self._side[(self._side >= self._starts[g]) & (self._side < self._starts[g + 1])]
                            - self._starts[g] for g in range(len(self.sim.groups))]
        self._div_cache = None

    def _publish_start_positions(self) -> None:
        """The particles where they start (no kernel needed): a window draws them at once."""
        sim = self.sim
        n = sim.n_particles
        starts = np.empty((n, 2), np.float32)
        for g in range(len(sim.groups)):
            starts[self._starts[g]: self._starts[g + 1]] = sim.positions(g)
        snap = Snapshot(generation=self.generation, step=0, total_steps=int(self.exp.run.steps), n_particles=n,
                        group=self._group, side_index=self._side, fresh=True, start_positions=starts,
                        diverged_at=np.full(n, -1, np.int64), diverged_index=np.zeros(0, np.int64), n_diverged=0)
        self._merge_out(snap)

    def _publish(self, fresh: bool, ms: float) -> None:
        sim = self.sim
        h = sim.history
        steps = h.steps[: h.n_frames]
        idx = np.flatnonzero(steps > self._published_step)
        if len(idx) > MAX_FRAMES_PER_SNAPSHOT:
            keep = np.linspace(0, len(idx) - 1, MAX_FRAMES_PER_SNAPSHOT).round().astype(np.int64)
            idx = idx[keep]
        G = len(sim.groups)
        snap = Snapshot(generation=self.generation, step=int(sim.step), total_steps=int(self.exp.run.steps),
                        n_particles=int(sim.n_particles), fresh=fresh, compute_ms=ms,
                        finished=self._finished())
        if fresh:
            snap.group = self._group
            snap.side_index = self._side
        if len(idx):
            snap.steps = steps[idx].copy()
            # copied frame by frame into one array (no per-group temporaries: 8 MB a frame at 1e6)
            pos = np.empty((len(idx), sim.n_particles, 2), np.float32)
            for g in range(G):
                view = h.view(g, "positions")
                a, b = self._starts[g], self._starts[g + 1]
                for j, f in enumerate(idx):
                    pos[j, a:b] = view[f]
            snap.positions = pos
            # the side-plot sample only: index each group's frames by its sampled particles
            for name in ("loss", "lr_preconditioned", "lr_realized"):
                parts = [h.view(g, name)[idx[:, None], self._side_local[g]] for g in range(G)]
                arr = np.concatenate(parts, axis=1) if G > 1 else parts[0]
                setattr(snap, name, np.ascontiguousarray(arr, dtype=np.float32))
            self._published_step = int(snap.steps[-1])
        # diverged particles: diverging is rare, so only look again when the count changed
        n_div = sum(len(g.alive) - int(np.count_nonzero(g.alive)) for g in sim.groups)
        if fresh or self._div_cache is None or self._div_cache[0] != n_div:
            div_at = np.concatenate([g.diverged_at for g in sim.groups])
            self._div_cache = (n_div, div_at, np.flatnonzero(div_at >= 0))
        _, snap.diverged_at, snap.diverged_index = self._div_cache
        snap.n_diverged = len(snap.diverged_index)
        req = self._density_req
        if req is not None and snap.positions is not None and len(req[3]) == G:
            from optviz.core.statistics import splat_density_live

            counts = splat_density_live(snap.positions[-1], self._group64, np.array(req[3], dtype=bool),
                                        snap.diverged_at, req[0], req[1], req[2])
            snap.density = (req, int(snap.steps[-1]), counts)
        if self._inspect is not None and self._inspect < sim.n_particles:
            snap.inspect = self._inspection(self._inspect)
        self._merge_out(snap)

    def _merge_out(self, snap: Snapshot) -> None:
        """Publish; frames of a snapshot the GUI has not taken yet are kept (concatenated)."""
        with self._out_lock:
            old = self._out
            if old is not None and old.generation == snap.generation and old.positions is not None:
                if snap.positions is None:
                    for k in ("steps", "positions", "loss", "lr_preconditioned", "lr_realized", "density"):
                        setattr(snap, k, getattr(old, k))
                else:
                    for k in ("steps", "positions", "loss", "lr_preconditioned", "lr_realized"):
                        both = np.concatenate([getattr(old, k), getattr(snap, k)])
                        if len(both) > MAX_FRAMES_PER_SNAPSHOT:
                            sel = np.linspace(0, len(both) - 1, MAX_FRAMES_PER_SNAPSHOT).round().astype(int)
                            both = both[sel]
                        setattr(snap, k, both)
                snap.fresh = snap.fresh or old.fresh
                if snap.group is None:
                    snap.group, snap.side_index = old.group, old.side_index
                if snap.inspect is None:
                    snap.inspect = old.inspect
            self._out = snap

    def _publish_error(self, message: str, details: str) -> None:
        snap = Snapshot(generation=self.generation, step=int(self.sim.step) if self.sim else 0,
                        total_steps=int(self.exp.run.steps) if self.exp else 0,
                        n_particles=int(self.sim.n_particles) if self.sim else 0, error=message)
        snap.inspect = {"traceback": details}
        with self._cv:
            self._playing = False
        with self._out_lock:
            self._out = snap

    def _inspection(self, particle: int) -> dict[str, Any]:
        """Everything the inspector shows about one particle (worker thread: history is quiet)."""
        sim = self.sim
        g = int(self._group[particle])
        start = sum(sim.groups[k].size for k in range(g))
        i = particle - start
        h = sim.history
        grp = sim.groups[g]
        spec = grp.spec.optimizer
        out: dict[str, Any] = {
            "particle": particle, "group": g, "index": i, "step": int(sim.step),
            "optimizer": spec.name, "hyper": dict(grp.spec.hyper),
            "steps": h.steps[: h.n_frames].copy(),
            "state": {name: grp.state[k][:, i].copy() for k, name in enumerate(spec.state)},
            "position_now": grp.theta[:, i].copy(),
            "alive": bool(grp.alive[i]), "diverged_at": int(grp.diverged_at[i]),
        }
        for name in ("positions", "loss", "grad", "lr_preconditioned", "lr_realized"):
            out[name] = np.asarray(h.view(g, name)[:, i], dtype=np.float64).copy()
        return out

    def result(self):
        """The whole recorded run as a RunResult (waits for the chunk being computed)."""
        from optviz.experiment import result_of

        with self.work_lock:
            if self.sim is None:
                return None
            return result_of(self.sim, self.exp)


class _View:
    """Result-like view for the Scene (attributes only)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


class FrameStack:
    """Recorded positions (F, N, 2) read through a slot table: logical frame ``f`` is
    ``store[slots[f]]``. Thinning the display buffer only rewrites the slot table, so
    at 1e6 particles it no longer moves tens of megabytes. Supports the indexing the
    scene and the window use: ``[f]``, ``[f, i]``, ``[f, idx]``, ``[a:b]``, ``[a:b, idx]``."""

    def __init__(self, store: np.ndarray, slots: np.ndarray):
        self.store = store
        self.slots = slots
        self.shape = (len(slots),) + store.shape[1:]
        self.dtype = store.dtype
        self.ndim = store.ndim

    def __len__(self) -> int:
        return len(self.slots)

    def __getitem__(self, key):
        if not isinstance(key, tuple):
            key = (key,)
        first, rest = key[0], key[1:]
        if isinstance(first, (int, np.integer)):
            f = int(first)
            if f < 0:
                f += len(self.slots)
            if not 0 <= f < len(self.slots):
                raise IndexError(f"frame {first} out of range for {len(self.slots)} frames")
            return self.store[(int(self.slots[f]),) + rest]
        sl = np.asarray(self.slots[first])
        if rest and isinstance(rest[0], (np.ndarray, list)):
            idx = np.asarray(rest[0])
            return self.store[(sl[:, None], idx[None, :]) + rest[1:]]
        return self.store[(sl,) + rest]

    def __array__(self, dtype=None, copy=None):
        out = self.store[self.slots]
        return out if dtype is None else out.astype(dtype, copy=False)


class DisplayBuffer:
    """The frames the window can show (GUI thread only), within a memory budget."""

    def __init__(self, budget_mb: float = DISPLAY_MB, max_frames: int = 4000, side_mb: float = SIDE_MB):
        self.budget_mb = budget_mb
        self.side_mb = side_mb
        self.max_frames = max_frames
        self.generation = -1
        self.n = 0  # frames of positions
        self.ns = 0  # frames of side-plot data (their own, longer history: a few KB a frame)
        self.group = np.zeros(0, np.int32)
        self.side_group = np.zeros(0, np.int32)
        self.side_index = np.zeros(0, np.int64)
        self.diverged_at = np.zeros(0, np.int64)
        self.diverged_index = np.zeros(0, np.int64)
        self.n_groups = 0
        #: the one frame held is the start positions, before frame 0 is recorded (kernels compiling)
        self.start_only = False
        self.capacity = 0
        self.side_capacity = 0
        self._alloc(0, 0, 0)

    def _alloc(self, N: int, Ns: int, G: int) -> None:
        cap = int(self.budget_mb * 2**20 // max(N * 8 + 8, 1))
        self.capacity = C = max(4, min(cap, self.max_frames))
        self.steps = np.zeros(C, np.int64)
        # only [:n] is ever read: no need to fill (filling 100 MB costs ~0.5 s)
        self._store = np.empty((C, N, 2), np.float32)
        self._slots = np.arange(C, dtype=np.int64)  # logical frame -> slot of _store
        cap = int(self.side_mb * 2**20 // max(Ns * 28 + G * 56 + 8, 1))
        self.side_capacity = S = max(4, min(cap, self.max_frames))
        self.side_steps = np.zeros(S, np.int64)
        self.side_positions = np.empty((S, Ns, 2), np.float32)  # the weight-decay plot needs θ
        self.loss = np.empty((S, Ns), np.float32)
        self.lr_pre = np.empty((S, Ns, 2), np.float32)
        self.lr_real = np.empty((S, Ns, 2), np.float32)
        # side-plot statistics per frame and group: loss 10/50/90 % quantiles, LR medians (x, y)
        self.loss_q = np.empty((S, G, 3), np.float64)
        self.lr_pre_med = np.empty((S, G, 2), np.float64)
        self.lr_real_med = np.empty((S, G, 2), np.float64)
        self.n = 0
        self.ns = 0
        self.start_only = False

    @property
    def positions(self) -> FrameStack:
        """Positions (n, N, 2) of the held frames (read through the slot table)."""
        return FrameStack(self._store, self._slots[: self.n])

    @property
    def n_particles(self) -> int:
        return self._store.shape[1]

    def start(self, generation: int, group: np.ndarray, side_index: np.ndarray) -> None:
        self.generation = generation
        self.group = np.asarray(group)
        self.side_index = np.asarray(side_index)
        self.side_group = self.group[self.side_index]
        self.diverged_at = np.full(len(group), -1, np.int64)
        self.diverged_index = np.zeros(0, np.int64)
        N, Ns = len(group), len(side_index)
        G = int(self.group.max()) + 1 if N else 0
        self.n_groups = G
        if self._store.shape[1] == N and self.loss.shape[1] == Ns and self.loss_q.shape[1] == G:
            self.n = 0
            self.ns = 0
            self.start_only = False
        else:
            self._store = None  # free before allocating
            self._alloc(N, Ns, G)

    def invalidate(self) -> None:
        """The held frames belong to a run that was replaced: frames are taken again only from the
        next fresh snapshot (a new generation)."""
        self.generation = -1

    def add(self, snap: Snapshot) -> int:
        """Take the frames of ``snap``; how many frames were added (0 if stale)."""
        if snap.fresh and snap.group is not None:
            self.start(snap.generation, snap.group, snap.side_index)
        if snap.generation != self.generation:
            return 0
        if snap.diverged_at is not None and len(snap.diverged_at) == len(self.diverged_at):
            self.diverged_at = snap.diverged_at
            self.diverged_index = snap.diverged_index if snap.diverged_index is not None \
                else np.flatnonzero(snap.diverged_at >= 0)
        if snap.positions is None or not len(snap.steps):
            if snap.start_positions is not None and self.n == 0:
                self._store[self._slots[0]] = snap.start_positions
                self.steps[0] = 0
                self.n = 1
                self.start_only = True
                return 1
            return 0
        if self.start_only:  # recorded frames replace the start positions
            self.n = 0
            self.start_only = False
        steps = snap.steps
        arrays = [snap.positions, snap.loss, snap.lr_preconditioned, snap.lr_realized]
        if self.n and steps[0] <= self.steps[self.n - 1]:  # overlap (should not happen)
            keep = steps > self.steps[self.n - 1]
            if not keep.any():
                return 0
            steps, arrays = steps[keep], [a[keep] for a in arrays]
        k = len(steps)
        # positions
        st, (pos,) = self._make_room("n", "capacity", self._thin, steps, arrays[:1])
        s = slice(self.n, self.n + len(st))
        self.steps[s] = st
        self._store[self._slots[s]] = pos
        self.n += len(st)
        # side-plot data
        side = [arrays[0][:, self.side_index], *arrays[1:]]
        st, (side_pos, loss, lr_pre, lr_real) = self._make_room("ns", "side_capacity", self._thin_side, steps, side)
        s = slice(self.ns, self.ns + len(st))
        self.side_steps[s] = st
        self.side_positions[s] = side_pos
        self.loss[s] = loss
        self.lr_pre[s] = lr_pre
        self.lr_real[s] = lr_real
        self._stats(s)
        self.ns += len(st)
        return k

    def _make_room(self, n_attr, cap_attr, thin, steps, arrays):
        """Thin the held frames (or the incoming ones, when they alone fill half) until the
        incoming frames fit; the incoming (steps, arrays) to store."""
        cap = getattr(self, cap_attr)
        while getattr(self, n_attr) + len(steps) > cap:
            if len(steps) >= cap // 2:
                sel = np.linspace(0, len(steps) - 1, cap // 2).round().astype(np.int64)
                steps, arrays = steps[sel], [a[sel] for a in arrays]
                continue
            thin()
        return steps, arrays

    def _stats(self, s: slice) -> None:
        """Side-plot statistics of the frames in ``s`` (their raw side data is stored)."""
        from optviz.core.statistics import group_quantiles

        G = self.n_groups
        if G == 0 or s.stop <= s.start:
            return
        g = self.side_group
        self.loss_q[s] = group_quantiles(self.loss[s], g, G).transpose(2, 0, 1)
        for src, dst in ((self.lr_pre, self.lr_pre_med), (self.lr_real, self.lr_real_med)):
            for axis in (0, 1):
                dst[s, :, axis] = group_quantiles(src[s, :, axis], g, G, qs=(0.5,))[:, 0].T

    @staticmethod
    def _keep(n: int) -> np.ndarray:
        """Frame 0, every other frame, and the newest one."""
        return np.unique(np.concatenate([np.arange(0, n, 2), [n - 1]]))

    def _thin(self) -> None:
        """Halve the position frames (they are not moved: only the slot table changes)."""
        keep = self._keep(self.n)
        self.steps[: len(keep)] = self.steps[keep]
        used = self._slots[keep]
        free = np.setdiff1d(self._slots, used, assume_unique=True)  # the dropped frames' slots
        self._slots = np.concatenate([used, free])
        self.n = len(keep)

    def _thin_side(self) -> None:
        """Halve the side-plot frames."""
        keep = self._keep(self.ns)
        for arr in (self.side_steps, self.side_positions, self.loss, self.lr_pre, self.lr_real,
                    self.loss_q, self.lr_pre_med, self.lr_real_med):
            arr[: len(keep)] = arr[keep]
        self.ns = len(keep)

    def frame_for_step(self, step: int) -> int:
        """Index of the last held frame at or before optimizer step ``step``."""
        return frame_for_step(self.steps[: self.n], step)

    def result(self):
        """Result-like views of the held frames for ``Scene.set_data`` (no copies)."""
        n = self.n
        return _View(positions=self.positions, loss=None, lr_preconditioned=None,
                     lr_realized=None, step=self.steps[:n], group=self.group,
                     diverged_at=self.diverged_at, diverged_index=self.diverged_index)

    def side_result(self):
        """The side-plot sample: positions, loss and learning rates of ``side_index`` with their
        statistics, over the side plots' own (longer) history of frames."""
        n = self.ns
        stats = {"loss_q": self.loss_q[:n].transpose(1, 2, 0), "lr_pre": self.lr_pre_med[:n].transpose(1, 2, 0),
                 "lr_real": self.lr_real_med[:n].transpose(1, 2, 0)}
        return _View(positions=self.side_positions[:n], loss=self.loss[:n], lr_preconditioned=self.lr_pre[:n],
                     lr_realized=self.lr_real[:n], step=self.side_steps[:n], group=self.side_group,
                     diverged_at=self.diverged_at[self.side_index], side_stats=stats)

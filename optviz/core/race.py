"""Race statistics of a run: who converged within eps, how fast, and where the rest ended.

The definitions are those of maps (optviz.core.maps), applied to a recorded history, so that
"converged" means the same in a race and in a map:

- **Within eps** at a recorded frame: with known minima (saddles left out), |f(θ) - f(m)| < eps
  for the known minimum m nearest to θ (Euclidean distance; ties to the first listed); without
  known minima, |∇f(θ)| < eps (the recorded gradient). A diverged particle (non-finite loss)
  never is.
- **steps_to_eps** (N,): the first recorded step from which the particle stayed within eps
  through the last recorded frame; -1 if it is not within eps at the last frame. Its
  resolution is the run's ``record_every``.
- **reached** (G, F): the fraction of the group's particles whose steps_to_eps is at or before
  each recorded step: the distribution of steps to eps as a curve (it never decreases; its
  last value is the fraction converged).
- **within** (G, F): the fraction within eps at each frame (known at that frame, unlike
  ``reached``, which needs the whole run: what a live plot can show).
- **converged** (G,): within eps at the last frame. **diverged** (G, F): the fraction diverged
  by each recorded step.
- **final_quantiles** (G, Q): quantiles :data:`QUANTILES` of the last frame's loss over the
  group's particles that did not diverge (NaN when all did).

NumPy only; the history is read in blocks of particles, so the temporaries stay small
whatever the run's size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BLOCK", "DEFAULT_EPS", "QUANTILES", "RaceStatistics", "minima_array", "race_statistics",
           "within_eps", "within_eps_sample"]

#: The eps of race statistics and maps unless an experiment gives one.
DEFAULT_EPS = 1e-6
#: Quantiles of the final loss (0 and 1 are the best and worst particle).
QUANTILES = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)
#: Particles read per block of the history.
BLOCK = 4096


def minima_array(minima) -> np.ndarray:
    """(M, 3) float64 rows x, y, f of known minima (``Minimum`` objects; saddles left out)."""
    rows = [(m.x, m.y, m.value) for m in minima if m.kind != "saddle"]
    return np.array(rows, dtype=np.float64).reshape(-1, 3)


def within_eps(loss: np.ndarray, positions: np.ndarray | None, grad: np.ndarray | None, minima: np.ndarray,
               eps: float) -> np.ndarray:
    """(F, n) bool: within eps (module docstring) for ``loss`` (F, n), ``positions`` (F, n, 2)
    and ``grad`` (F, n, 2) (only the one needed: positions with known minima, else grad) and
    ``minima`` (M, 3) from :func:`minima_array`."""
    loss = np.asarray(loss, dtype=np.float64)
    finite = np.isfinite(loss)
    if len(minima):
        pos = np.asarray(positions, dtype=np.float64)
        best = np.full(loss.shape, np.inf)
        value = np.zeros(loss.shape)
        with np.errstate(invalid="ignore", over="ignore"):
            for mx, my, mv in minima:
                d = (pos[..., 0] - mx) ** 2 + (pos[..., 1] - my) ** 2
                nearer = d < best  # ties keep the first listed; NaN never nearer
                best = np.where(nearer, d, best)
                value = np.where(nearer, mv, value)
            return finite & (np.abs(loss - value) < eps)
    g = np.asarray(grad, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        return finite & (np.hypot(g[..., 0], g[..., 1]) < eps)


@dataclass
class RaceStatistics:
    """See the module docstring. ``counts`` (G,) is each group's particle count."""

    eps: float
    step: np.ndarray
    counts: np.ndarray
    steps_to_eps: np.ndarray
    reached: np.ndarray
    within: np.ndarray
    diverged: np.ndarray
    final_quantiles: np.ndarray
    quantiles: tuple[float, ...] = QUANTILES

    @property
    def converged(self) -> np.ndarray:
        """(G,) the fraction of each group within eps at the last frame."""
        return self.within[:, -1] if self.within.shape[1] else np.full(len(self.counts), np.nan)

    def arrays(self, prefix: str = "race_") -> dict[str, np.ndarray]:
        """The statistics as named arrays (the keys ``optviz run`` writes into its .npz)."""
        return {
            f"{prefix}eps": np.array(self.eps),
            f"{prefix}steps_to_eps": self.steps_to_eps,
            f"{prefix}reached": self.reached,
            f"{prefix}within": self.within,
            f"{prefix}diverged": self.diverged,
            f"{prefix}converged": self.converged,
            f"{prefix}final_loss_quantiles": self.final_quantiles,
            f"{prefix}quantiles": np.array(self.quantiles),
        }


def race_statistics(loss, step, group, n_groups: int, eps: float, minima: np.ndarray, *, positions=None,
                    grad=None, diverged_at=None) -> RaceStatistics:
    """Race statistics of a history (module docstring): ``loss`` (F, N), ``step`` (F,) the recorded
    steps, ``group`` (N,) each particle's group, ``minima`` (M, 3) (:func:`minima_array`; empty:
    the gradient criterion), ``positions`` (F, N, 2) needed with minima, ``grad`` (F, N, 2)
    without; ``diverged_at`` (N,) the step each particle diverged at (-1 never; default: its
    first non-finite loss). Arrays may be anything indexable as NumPy arrays are."""
    step = np.asarray(step, dtype=np.int64)
    group = np.asarray(group, dtype=np.int64)
    n_frames, n = len(step), len(group)
    counts = np.bincount(group, minlength=n_groups)[:n_groups] if n else np.zeros(n_groups, np.int64)
    settled = np.full(n, -1, dtype=np.int64)  # frame index from which within eps to the end
    within = np.zeros((n_groups, n_frames))
    div_frame = np.full(n, n_frames, dtype=np.int64)  # first frame diverged (n_frames: never)
    final = np.full(n, np.nan)
    for lo in range(0, n, BLOCK):
        hi = min(lo + BLOCK, n)
        block = np.asarray(loss[:, lo:hi], dtype=np.float64)
        hit = within_eps(block, None if positions is None else positions[:, lo:hi],
                         None if grad is None else grad[:, lo:hi], minima, eps)
        if n_frames:
            tail = np.logical_and.accumulate(hit[::-1], axis=0)[::-1]  # within from this frame to the end
            settled[lo:hi] = np.where(tail[-1], tail.argmax(axis=0), -1)
            final[lo:hi] = block[-1]
        g = group[lo:hi]
        for k in np.unique(g):
            within[k] += hit[:, g == k].sum(axis=1)
        if diverged_at is None:
            bad = ~np.isfinite(block)
            div_frame[lo:hi] = np.where(bad.any(axis=0), bad.argmax(axis=0), n_frames)
    if diverged_at is not None:
        at = np.asarray(diverged_at, dtype=np.int64)
        div_frame = np.where(at >= 0, np.searchsorted(step, at, side="left"), n_frames)
    steps_to_eps = np.full(n, -1, dtype=np.int64)
    if n_frames:
        steps_to_eps = np.where(settled >= 0, step[np.maximum(settled, 0)], -1).astype(np.int64)
    reached = np.full((n_groups, n_frames), np.nan)
    diverged = np.full((n_groups, n_frames), np.nan)
    final_q = np.full((n_groups, len(QUANTILES)), np.nan)
    for k in range(n_groups):
        members = group == k
        if not counts[k]:
            within[k] = np.nan
            continue
        frames = settled[members]
        reached[k] = np.cumsum(np.bincount(frames[frames >= 0], minlength=n_frames)[:n_frames]) / counts[k]
        diverged[k] = np.cumsum(np.bincount(div_frame[members], minlength=n_frames + 1)[:n_frames]) / counts[k]
        within[k] /= counts[k]
        alive = final[members]
        alive = alive[np.isfinite(alive) & (div_frame[members] >= n_frames)]
        if alive.size:
            final_q[k] = np.quantile(alive, QUANTILES)
    return RaceStatistics(eps=float(eps), step=step, counts=counts, steps_to_eps=steps_to_eps, reached=reached,
                          within=within, diverged=diverged, final_quantiles=final_q)


def within_eps_sample(loss, positions, grad, group, n_groups: int, eps: float, minima: np.ndarray,
                      max_particles: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """(within, diverged), each (n_groups, F), for a viewer: the fraction of each group within eps
    at each frame and the fraction diverged by then (first non-finite loss), on an evenly spaced
    sample of at most ``max_particles`` particles per group (the same ones on every call).
    Arrays need only ``a[:, index_array]``. NaN rows for empty groups, and ``within`` all NaN
    when the arrays its criterion needs are missing (positions with minima, else grad)."""
    group = np.asarray(group, dtype=np.int64)
    n_frames = loss.shape[0]
    within = np.full((n_groups, n_frames), np.nan)
    diverged = np.full((n_groups, n_frames), np.nan)
    judged = positions is not None if len(minima) else grad is not None
    for k in range(n_groups):
        idx = np.flatnonzero(group == k)
        if not len(idx):
            continue
        if len(idx) > max_particles:
            idx = idx[np.linspace(0, len(idx) - 1, max_particles).round().astype(np.int64)]
        block = np.asarray(loss[:, idx], dtype=np.float64)
        if judged:
            hit = within_eps(block, None if positions is None else positions[:, idx],
                             None if grad is None else grad[:, idx], minima, eps)
            within[k] = hit.mean(axis=1)
        diverged[k] = np.maximum.accumulate(~np.isfinite(block), axis=0).mean(axis=1)
    return within, diverged

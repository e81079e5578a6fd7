"""Recorded frames of a run, in a bounded amount of memory.

A frame is recorded every ``record_every`` steps. The history holds at most
``capacity`` frames; when it is full it is decimated in place: every other frame
is dropped (frames at multiples of 2·record_every stay) and the recording
interval doubles. A long run therefore keeps its whole time span at a coarser
resolution, and memory stays at capacity × bytes_per_frame.
"""

from __future__ import annotations

import mmap

import numpy as np

#: The recorded quantities: name -> shape of one particle's entry.
RECORDED: dict[str, tuple[int, ...]] = {
    "positions": (2,),
    "loss": (),
    "grad": (2,),
    "lr_preconditioned": (2,),
    "lr_realized": (2,),
}


def bytes_per_frame(n_particles: int, dtype) -> int:
    """Memory of one frame for ``n_particles`` (all recorded quantities plus the step)."""
    values = sum(int(np.prod(shape, dtype=np.int64)) for shape in RECORDED.values())
    return n_particles * values * np.dtype(dtype).itemsize + 8


def history_capacity(n_particles: int, dtype, max_bytes: int, max_frames: int | None = None) -> int:
    """Frames a history holds: as many as fit in ``max_bytes``, at most ``max_frames``, never fewer than 2."""
    by_memory = max(2, int(max_bytes) // bytes_per_frame(n_particles, dtype))
    return max(2, int(min(by_memory, max_frames)) if max_frames else by_memory)


#: Arrays at least this large are allocated with their pages populated.
POPULATE_BYTES = 1 << 22


def allocate(shape: tuple[int, ...], dtype) -> np.ndarray:
    """An uninitialized array; a large one on an anonymous mapping populated in one go.

    Writing frames into fresh memory from the parallel kernels faulted every 4 KiB page in
    separately (1.9 s for 1 GiB here); mmap's MAP_POPULATE maps the same memory in 0.3 s.
    """
    dtype = np.dtype(dtype)
    size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    populate = getattr(mmap, "MAP_POPULATE", 0)
    if size < POPULATE_BYTES or not populate:
        return np.empty(shape, dtype=dtype)
    try:
        mapping = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | populate)
    except (OSError, ValueError):
        return np.empty(shape, dtype=dtype)
    return np.frombuffer(mapping, dtype=dtype).reshape(shape)


class GroupHistory:
    """The frames of one group: arrays of shape (capacity, n, ...) with ``n_frames`` valid.

    Frames are only read up to ``n_frames``. Large arrays are mapped with their pages
    populated up front (see ``allocate``).
    """

    def __init__(self, n_particles: int, capacity: int, dtype):
        self.arrays = {
            name: allocate((capacity, n_particles, *shape), dtype)
            for name, shape in RECORDED.items()
        }

    def keep(self, indices: np.ndarray) -> None:
        """Move frames ``indices`` (increasing) to the front, in place, one frame at a time (no temporary)."""
        for array in self.arrays.values():
            for target, source in enumerate(indices):
                if target != source:
                    array[target] = array[source]


class History:
    """Frames of all groups of a simulation, recorded at the same steps."""

    def __init__(self, group_sizes: list[int], capacity: int, record_every: int, dtype):
        if capacity < 2:
            raise ValueError("a history needs room for at least 2 frames")
        self.capacity = capacity
        self.record_every = record_every
        self.dtype = np.dtype(dtype)
        self.groups = [GroupHistory(n, capacity, dtype) for n in group_sizes]
        self.steps = np.zeros(capacity, dtype=np.int64)
        self.n_frames = 0

    @property
    def free(self) -> int:
        return self.capacity - self.n_frames

    def decimate(self) -> None:
        """Drop every other frame (keep steps that are multiples of 2·record_every); double the interval."""
        self.record_every *= 2
        steps = self.steps[: self.n_frames]
        keep = np.flatnonzero(steps % self.record_every == 0)
        for group in self.groups:
            group.keep(keep)
        self.steps[: len(keep)] = steps[keep]
        self.n_frames = len(keep)

    def view(self, group: int, name: str) -> np.ndarray:
        """The valid frames of one quantity of one group (a view, not a copy)."""
        return self.groups[group].arrays[name][: self.n_frames]

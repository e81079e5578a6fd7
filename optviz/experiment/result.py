"""The result of a run and its .npz format.

npz contents: positions (F, N, 2), loss (F, N), grad, lr_preconditioned,
lr_realized (F, N, 2), step (F,), group (N,), diverged_at (N, -1 if never),
labels (G,), optimizers (G,), record_every (), experiment (the TOML text).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from optviz.experiment.atomic import atomic_write
from optviz.experiment.errors import ExperimentError
from optviz.experiment.model import Experiment
from optviz.experiment.toml_io import experiment_from_toml, experiment_to_toml

ARRAYS = ("positions", "loss", "grad", "lr_preconditioned", "lr_realized", "step", "group", "diverged_at")


@dataclass
class RunResult:
    """Recorded frames of every particle of a run (frame 0 is the start)."""

    positions: np.ndarray
    loss: np.ndarray
    grad: np.ndarray
    lr_preconditioned: np.ndarray
    lr_realized: np.ndarray
    step: np.ndarray
    group: np.ndarray
    diverged_at: np.ndarray
    labels: list[str]
    experiment: Experiment
    record_every: int = 1

    @property
    def n_frames(self) -> int:
        return len(self.step)

    def group_slice(self, group: int) -> slice:
        """The particles of one group (groups are stored contiguously, in order)."""
        index = np.flatnonzero(self.group == group)
        return slice(int(index[0]), int(index[-1]) + 1) if len(index) else slice(0, 0)

    def save(self, path: str | os.PathLike, compress: bool = False) -> None:
        """Write the .npz atomically; ``compress`` deflates it (float trajectories shrink little, and
        compressing took 27 of the 40 s of a 1e6-particle run here)."""
        arrays = {name: getattr(self, name) for name in ARRAYS}
        with atomic_write(path) as handle:
            (np.savez_compressed if compress else np.savez)(
                handle,
                **arrays,
                labels=np.array(self.labels, dtype=str),
                optimizers=np.array([g.optimizer for g in self.experiment.groups], dtype=str),
                record_every=np.array(self.record_every),
                experiment=np.array(experiment_to_toml(self.experiment)),
            )


def load_result(path: str | os.PathLike) -> RunResult:
    """Read a .npz written by ``RunResult.save`` / ``optviz run``."""
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [name for name in (*ARRAYS, "experiment") if name not in data]
            if missing:
                raise ExperimentError(f"{path}: not an optviz result (missing {', '.join(missing)})")
            arrays = {name: data[name] for name in ARRAYS}
            experiment = experiment_from_toml(str(data["experiment"]), f"{path} (experiment)")
            labels = [str(x) for x in data["labels"]] if "labels" in data else []
            every = int(data["record_every"]) if "record_every" in data else 1
    except (OSError, ValueError) as error:
        if isinstance(error, ExperimentError):
            raise
        raise ExperimentError(f"{path}: cannot read result: {error}") from None
    return RunResult(**arrays, labels=labels, experiment=experiment, record_every=every)

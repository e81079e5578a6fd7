"""The result of a run and its .npz format.

npz contents: positions (F, N, 2), loss (F, N), grad, lr_preconditioned,
lr_realized (F, N, 2), step (F,), group (N,), diverged_at (N, -1 if never),
labels (G,), optimizers (G,), record_every (), experiment (the TOML text), the race statistics
(``race_*``, see optviz.experiment.race), and,
when the run's curvature was computed (``run_experiment(..., curvature=True)``),
sharpness and preconditioned_sharpness (F, N) (see optviz.experiment.runner.run_curvature).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optviz.atomic import atomic_write
from optviz.core.inputs import InputFileError, describe_file_type, open_regular_file
from optviz.experiment.errors import ExperimentError
from optviz.experiment.model import Experiment
from optviz.experiment.race import race_of
from optviz.experiment.toml_io import experiment_from_toml, experiment_to_toml

ARRAYS = ("positions", "loss", "grad", "lr_preconditioned", "lr_realized", "step", "group", "diverged_at")
#: Arrays a result holds only when its curvature was computed.
CURVATURE_ARRAYS = ("sharpness", "preconditioned_sharpness")


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
    #: Largest Hessian eigenvalue at each recorded position (F, N), NaN once diverged; None if not computed.
    sharpness: np.ndarray | None = None
    #: Largest eigenvalue of P^(-1/2) H P^(-1/2) (F, N), NaN without a preconditioner; None if not computed.
    preconditioned_sharpness: np.ndarray | None = None

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
        arrays.update({name: getattr(self, name) for name in CURVATURE_ARRAYS if getattr(self, name) is not None})
        arrays.update(race_of(self).arrays())
        with atomic_write(path) as handle:
            (np.savez_compressed if compress else np.savez)(
                handle,
                **arrays,
                labels=np.array(self.labels, dtype=str),
                optimizers=np.array([g.optimizer for g in self.experiment.groups], dtype=str),
                record_every=np.array(self.record_every),
                experiment=np.array(experiment_to_toml(self.experiment)),
            )


def check_output_path(path: str | os.PathLike, label: str = "") -> None:
    """Refuse, before any work, an output that cannot be written atomically: a folder or a device
    at ``path``, a missing folder, or one in which no file can be created (read-only, no permission).

    Creates and removes an empty temporary file in the folder. Messages start with ``label``
    and the path.
    """
    target = Path(path)
    where = f"{label}{os.fspath(path)}"
    try:
        status = os.stat(target)
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise ExperimentError(f"{where}: cannot write it ({error.strerror or error})") from None
    if status is not None and not stat.S_ISREG(status.st_mode):
        raise ExperimentError(f"{where}: is {describe_file_type(status.st_mode)}; give a file name")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ExperimentError(f"{where}: folder {folder} does not exist")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".check", dir=folder)
    except OSError as error:
        raise ExperimentError(f"{where}: cannot write in folder {folder} ({error.strerror or error})") from None
    os.close(fd)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(probe)


@contextlib.contextmanager
def read_npz(path: str | os.PathLike, noun: str, needed: tuple[str, ...]):
    """The arrays of an optviz .npz at ``path`` (a regular file; never blocks), for the ``with``
    block that reads them (``noun``: "result", "map", what the file is said to be).

    Every failure is an :class:`ExperimentError` of one line starting with the path: a file that
    cannot be opened, one that lacks a name of ``needed`` ("not an optviz NOUN (missing ...)"), one
    that the block cannot read ("cannot read NOUN: ..."). An ExperimentError of the block passes.
    """
    try:
        handle = open_regular_file(path, what=f"{noun} file")
    except InputFileError as error:
        raise ExperimentError(str(error)) from None
    try:
        with handle, np.load(handle, allow_pickle=False) as data:
            missing = [name for name in needed if name not in data]
            if missing:
                raise ExperimentError(f"{path}: not an optviz {noun} (missing {', '.join(missing)})")
            yield data
    except ExperimentError:
        raise
    except (OSError, ValueError, TypeError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise ExperimentError(f"{path}: cannot read {noun}: {error}") from None


def load_result(path: str | os.PathLike) -> RunResult:
    """Read a .npz written by ``RunResult.save`` / ``optviz run`` (a regular file; never blocks)."""
    with read_npz(path, "result", (*ARRAYS, "experiment")) as data:
        arrays = {name: data[name] for name in (*ARRAYS, *CURVATURE_ARRAYS) if name in data}
        experiment = experiment_from_toml(str(data["experiment"]), f"{path} (experiment)")
        labels = [str(x) for x in data["labels"]] if "labels" in data else []
        every = int(data["record_every"]) if "record_every" in data else 1
    return RunResult(**arrays, labels=labels, experiment=experiment, record_every=every)

"""Experiment files: TOML in (tomllib), TOML out (tomli-w), with clear errors."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import tomli_w

from optviz.experiment.atomic import atomic_write
from optviz.experiment.errors import ExperimentError
from optviz.experiment.model import Experiment


def experiment_from_toml(text: str, source: str = "<text>") -> Experiment:
    """Parse and validate TOML text; errors start with ``source``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ExperimentError(f"{source}: not valid TOML: {error}") from None
    try:
        return Experiment.from_dict(data)
    except ExperimentError as error:
        raise ExperimentError(f"{source}: {error}", error.field) from None


def load_experiment(path: str | os.PathLike) -> Experiment:
    """Read and validate an experiment file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExperimentError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise ExperimentError(f"{path}: not a text (UTF-8) file") from None
    except OSError as error:
        raise ExperimentError(f"{path}: cannot read: {error.strerror}") from None
    return experiment_from_toml(text, str(path))


def experiment_to_toml(experiment: Experiment) -> str:
    return tomli_w.dumps(experiment.to_dict())


def save_experiment(experiment: Experiment, path: str | os.PathLike) -> None:
    """Write the experiment as TOML, atomically."""
    data = experiment_to_toml(experiment).encode("utf-8")
    with atomic_write(path) as handle:
        handle.write(data)

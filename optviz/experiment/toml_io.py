"""Experiment files: TOML in (tomllib), TOML out (tomlkit, in the layout people write by hand)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import tomlkit

from optviz.experiment.atomic import atomic_write
from optviz.experiment.errors import ExperimentError
from optviz.experiment.model import Experiment


def experiment_from_toml(text: str, source: str = "<text>", base_dir: str = ".") -> Experiment:
    """Parse and validate TOML text; errors start with ``source``; data paths are relative to ``base_dir``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ExperimentError(f"{source}: not valid TOML: {error}") from None
    try:
        return Experiment.from_dict(data, base_dir)
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
    return experiment_from_toml(text, str(path), str(path.parent))


def experiment_to_toml(experiment: Experiment) -> str:
    """TOML text: one [table] per section, [[groups]], small tables inline (hyper = {lr = 0.05})."""
    data = experiment.to_dict()
    doc = tomlkit.document()
    for key, value in data.items():
        if key == "groups":
            groups = tomlkit.aot()
            for group in value:
                groups.append(_table(group))
            doc[key] = groups
        elif isinstance(value, dict):
            doc[key] = _table(value)
        else:
            doc[key] = value
    return tomlkit.dumps(doc)


def _table(values: dict):
    table = tomlkit.table()
    for key, value in values.items():
        table[key] = _inline(value) if isinstance(value, dict) else value
    return table


def _inline(values: dict):
    table = tomlkit.inline_table()
    for key, value in values.items():
        table[key] = _inline(value) if isinstance(value, dict) else value
    return table


def save_experiment(experiment: Experiment, path: str | os.PathLike) -> None:
    """Write the experiment as TOML, atomically."""
    data = experiment_to_toml(experiment).encode("utf-8")
    with atomic_write(path) as handle:
        handle.write(data)

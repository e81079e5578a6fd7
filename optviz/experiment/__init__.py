"""Experiments: the description of a run (dataclasses, TOML), running it, and its result."""

from optviz.experiment.errors import ExperimentError
from optviz.experiment.model import Experiment, GroupConfig, LandscapeConfig, RunConfig
from optviz.experiment.result import RunResult, check_output_path, load_result
from optviz.experiment.runner import build_simulation, memory_estimate, result_of, run_experiment, run_frames
from optviz.experiment.toml_io import (
    MAX_EXPERIMENT_BYTES,
    experiment_from_toml,
    experiment_to_toml,
    load_experiment,
    parse_toml,
    read_experiment_file,
    save_experiment,
)


def _from_toml(cls, text: str, source: str = "<text>") -> Experiment:
    return experiment_from_toml(text, source)


def _load(cls, path) -> Experiment:
    return load_experiment(path)


Experiment.from_toml = classmethod(_from_toml)
Experiment.load = classmethod(_load)
Experiment.to_toml = experiment_to_toml
Experiment.save = save_experiment

__all__ = [
    "MAX_EXPERIMENT_BYTES",
    "Experiment",
    "ExperimentError",
    "GroupConfig",
    "LandscapeConfig",
    "RunConfig",
    "RunResult",
    "build_simulation",
    "check_output_path",
    "experiment_from_toml",
    "experiment_to_toml",
    "load_experiment",
    "load_result",
    "memory_estimate",
    "parse_toml",
    "read_experiment_file",
    "result_of",
    "run_experiment",
    "run_frames",
    "save_experiment",
]

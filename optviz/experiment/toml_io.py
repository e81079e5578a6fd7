"""Experiment files: TOML in (tomllib), TOML out (tomlkit, in the layout people write by hand).

Reading is bounded: a file is read only if it is a regular file of at most
:data:`MAX_EXPERIMENT_BYTES` (never blocking on a FIFO), and text whose tables
and lists nest deeper than :data:`~optviz.experiment.model.MAX_NESTING` is
refused before the parser recurses into it.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import tomlkit

from optviz.atomic import atomic_write
from optviz.core.inputs import InputFileError, describe_bytes, read_regular_file
from optviz.experiment.errors import ExperimentError
from optviz.experiment.model import MAX_NESTING, Experiment

#: The largest experiment read, from a file or recorded in an output (bytes of UTF-8 text).
MAX_EXPERIMENT_BYTES = 1024 * 1024

# What opens or closes a bracket in TOML, and the strings and comments in which brackets do not count.
_BRACKET_TOKENS = re.compile(
    r'"""(?:[^\\]|\\.)*?"""'  # multi-line basic string
    r"|'''.*?'''"  # multi-line literal string
    r'|"(?:[^"\\\n]|\\.)*"'  # basic string
    r"|'[^'\n]*'"  # literal string
    r"|#[^\n]*"  # comment
    r"|[\[\]{}]",
    re.DOTALL,
)


def parse_toml(text: str, source: str = "<text>") -> dict:
    """TOML text as a plain table, or ExperimentError naming ``source`` (and the line where it can).

    Bounded before parsing: at most :data:`MAX_EXPERIMENT_BYTES` characters, brackets nested at
    most ``MAX_NESTING`` deep (the parser recurses once per level).
    """
    if len(text) > MAX_EXPERIMENT_BYTES:
        raise ExperimentError(f"{source}: is {describe_bytes(len(text))} of text; the limit for experiments is "
                              f"{describe_bytes(MAX_EXPERIMENT_BYTES)}")
    _check_nesting(text, source)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ExperimentError(f"{source}: not valid TOML: {error}") from None
    except ValueError:  # int() refuses more than 4300 digits
        raise ExperimentError(f"{source}: not valid TOML: an integer with too many digits") from None
    except RecursionError:  # a nesting the scan did not count: refused all the same
        raise ExperimentError(f"{source}: not valid TOML: nested too deeply") from None


def _check_nesting(text: str, source: str) -> None:
    depth = 0
    for token in _BRACKET_TOKENS.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth > MAX_NESTING:
                line = text.count("\n", 0, token.start()) + 1
                raise ExperimentError(f"{source}: line {line}: tables and lists nested more than {MAX_NESTING} "
                                      "deep; an experiment needs at most 6")
        elif bracket in ("]", "}"):
            depth = max(0, depth - 1)


def experiment_from_toml(text: str, source: str = "<text>", base_dir: str = ".") -> Experiment:
    """Parse and validate TOML text; errors start with ``source``; data paths are relative to ``base_dir``."""
    data = parse_toml(text, source)
    try:
        return Experiment.from_dict(data, base_dir)
    except ExperimentError as error:
        raise ExperimentError(f"{source}: {error}", error.field) from None


def read_experiment_file(path: str | os.PathLike) -> str:
    """The text of an experiment file: a regular UTF-8 file of at most :data:`MAX_EXPERIMENT_BYTES`.

    Never blocks (a FIFO or a device is refused before it is read); else ExperimentError.
    """
    try:
        raw = read_regular_file(path, MAX_EXPERIMENT_BYTES, "experiment file")
    except InputFileError as error:
        raise ExperimentError(str(error)) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ExperimentError(f"{os.fspath(path)}: not a text (UTF-8) file") from None


def load_experiment(path: str | os.PathLike) -> Experiment:
    """Read and validate an experiment file (see :func:`read_experiment_file`)."""
    path = Path(path)
    return experiment_from_toml(read_experiment_file(path), str(path), str(path.parent))


def experiment_to_toml(experiment: Experiment, render: dict | None = None) -> str:
    """TOML text: one [table] per section, [[groups]], small tables inline (hyper = {lr = 0.05}).

    ``render`` replaces the experiment's ``[render]`` table (the options an output was drawn with).
    """
    data = experiment.to_dict()
    if render is not None:
        data["render"] = dict(render)
    doc = tomlkit.document()
    for key, value in data.items():
        if key == "groups":
            groups = tomlkit.aot()
            for group in value:
                groups.append(_table(group))
            doc[key] = groups
        elif key == "translations":  # [translations.zh], one entry per line
            languages = tomlkit.table(is_super_table=True)
            for language, entries in value.items():
                languages[language] = _table(entries)
            doc[key] = languages
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

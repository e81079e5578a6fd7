"""Datasets for the data-backed losses: generated from a seed or loaded from CSV.

A dataset is a C-contiguous float64 array of shape (n, 2): column 0 is the
feature x, column 1 the target y (for logistic regression a label, 0 or 1).
This is the array the kernels read (``Dataset.values``).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from optviz.core.data.models import get_model
from optviz.core.inputs import InputFileError, read_regular_file, shown

__all__ = ["Dataset", "DatasetError", "MAX_ROWS", "make_dataset", "load_csv", "DEFAULT_TRUE_PARAMS"]

#: The most samples a dataset may have (keeps a full-batch step interactive-ish and
#: indices within the kernels' 32-bit range reduction).
MAX_ROWS = 1_000_000
#: The largest CSV file read (bytes): a million rows of two numbers with room for comments.
MAX_FILE_BYTES = 200 * 1024 * 1024

#: The longest row read (characters, without its comment): two numbers and separators.
MAX_ROW_CHARS = 1000

#: True parameters of generated data, per model name.
DEFAULT_TRUE_PARAMS = {
    "linear": {"w": 2.0, "b": -1.0},
    "logistic": {"w": 3.0, "b": 0.5},
    "tanh": {"a": 1.5, "b": 2.0},
}


class DatasetError(ValueError):
    """A dataset that cannot be used; for a file, the message names the file and line."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 problem: str | None = None):
        super().__init__(message)
        self.path = path
        self.line = line
        self.problem = problem if problem is not None else message


@dataclass(frozen=True, eq=False)
class Dataset:
    """Samples (x, y) as a float64 (n, 2) array, with a name for display."""

    values: np.ndarray
    name: str = "data"
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        v = np.ascontiguousarray(self.values, dtype=np.float64)
        if v.ndim != 2 or v.shape[1] != 2:
            raise DatasetError(f"{self.name}: a dataset is an (n, 2) array, got shape {v.shape}")
        if v.shape[0] == 0:
            raise DatasetError(f"{self.name}: no data rows")
        if v.shape[0] > MAX_ROWS:
            raise DatasetError(f"{self.name}: {v.shape[0]:,} rows; at most {MAX_ROWS:,} are allowed")
        if not np.all(np.isfinite(v)):
            raise DatasetError(f"{self.name}: values must be finite numbers")
        v.setflags(write=False)
        object.__setattr__(self, "values", v)

    @property
    def x(self) -> np.ndarray:
        return self.values[:, 0]

    @property
    def y(self) -> np.ndarray:
        return self.values[:, 1]

    @property
    def size(self) -> int:
        return int(self.values.shape[0])

    def __len__(self) -> int:
        return self.size

    def check_for_model(self, model: int | str) -> None:
        """Raise DatasetError if the data cannot feed ``model`` (logistic needs 0/1 labels)."""
        spec = get_model(model)
        if spec.labels_binary:
            bad = np.flatnonzero((self.y != 0.0) & (self.y != 1.0))
            if bad.size:
                raise DatasetError(
                    f"{self.name}: row {bad[0] + 1}: {spec.title} labels must be 0 or 1, "
                    f"got {self.y[bad[0]]:g}")


def make_dataset(model: int | str, size: int = 200, noise: float = 0.1, seed: int = 0,
                 **true_params: float) -> Dataset:
    """Samples from the model itself with known true parameters.

    x ~ Normal(0, 1), drawn with NumPy's PCG64 seeded by ``seed`` (reproducible).

    - linear: y = w x + b + noise * Normal(0, 1)
    - logistic: y ~ Bernoulli(sigmoid(w x + b)), then flipped with probability
      ``noise`` (clipped to [0, 0.5])
    - tanh: y = a tanh(b x) + noise * Normal(0, 1)

    ``true_params`` override :data:`DEFAULT_TRUE_PARAMS` (names as the model's
    parameter names); they are kept in ``Dataset.meta``.
    """
    spec = get_model(model)
    if not (isinstance(size, (int, float, np.integer)) and math.isfinite(size) and size == int(size)
            and 1 <= size <= MAX_ROWS):
        raise DatasetError(f"dataset size must be an integer from 1 to {MAX_ROWS:,}, got {shown(size)}")
    size = int(size)
    noise = float(noise)
    if not (math.isfinite(noise) and noise >= 0.0):
        raise DatasetError(f"noise must be a finite number >= 0, got {noise}")
    params = dict(DEFAULT_TRUE_PARAMS[spec.name])
    unknown = set(true_params) - set(params)
    if unknown:
        raise DatasetError(f"{spec.name} has parameters {spec.param_names}, not {sorted(unknown)}")
    params.update({k: float(v) for k, v in true_params.items()})
    for key, value in params.items():
        if not math.isfinite(value):
            raise DatasetError(f"{spec.name} parameter {key} must be a finite number, got {shown(value)}")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(size)
    if spec.name == "linear":
        y = params["w"] * x + params["b"] + noise * rng.standard_normal(size)
    elif spec.name == "logistic":
        p = 1.0 / (1.0 + np.exp(-(params["w"] * x + params["b"])))
        y = (rng.random(size) < p).astype(np.float64)
        flip = rng.random(size) < min(noise, 0.5)
        y = np.where(flip, 1.0 - y, y)
    else:
        y = params["a"] * np.tanh(params["b"] * x) + noise * rng.standard_normal(size)
    name = f"{spec.name} (n={size}, noise={noise:g}, seed={seed})"
    meta = {"model": spec.name, "size": size, "noise": noise, "seed": seed, "true_params": params}
    return Dataset(np.stack([x, y], axis=1), name=name, meta=meta)


def _parse_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value


_LINE = re.compile(r"[^\r\n]+")  # a line that is not empty; "\r\n", "\r" and "\n" end lines


def _split(line: str) -> list[str]:
    for sep in (",", ";", "\t"):
        if sep in line:
            return [f.strip() for f in line.split(sep)]
    return line.split()


def load_csv(path: str | os.PathLike, model: int | str | None = None) -> Dataset:
    """Read two numeric columns (x, y) from a text file.

    Format: one sample per line, fields separated by a comma (or semicolon, tab
    or spaces); an optional header row (a first row where no field is a number);
    ``#`` starts a comment; blank lines are skipped. Values must be finite.
    With ``model`` given, the data is also checked for it (logistic: labels 0/1).
    Any problem raises :class:`DatasetError` with the file name, line number and
    problem, e.g. ``data.csv, line 7: expected 2 numbers, got 3``.
    """
    p = Path(path)
    name = p.name

    def fail(problem: str, at: int | None = None):
        """Raise for the file, or for the line holding character ``at`` of the text."""
        line = None if at is None else text.count("\n", 0, at) + text.count("\r", 0, at) - text.count("\r\n", 0, at) + 1
        where = f"{name}, line {line}" if line is not None else name
        raise DatasetError(f"{where}: {problem}", path=str(p), line=line, problem=problem)

    try:
        raw = read_regular_file(p, MAX_FILE_BYTES, "CSV file")
    except InputFileError as error:
        fail(error.problem)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        fail("not a UTF-8 text file")
    spec = get_model(model) if model is not None else None
    rows: list[tuple[float, float]] = []
    seen_first = False
    for line in _LINE.finditer(text):  # lazily: a file of blank lines makes no list of them
        at = line.start()
        content = line.group().split("#", 1)[0].strip()
        if not content:
            continue
        if len(content) > MAX_ROW_CHARS:
            fail(f"the row is {len(content):,} characters long; a row is two numbers (at most "
                 f"{MAX_ROW_CHARS:,} characters)", at)
        fields = _split(content)
        values = [_parse_number(f) for f in fields]
        if not seen_first:
            seen_first = True
            if all(v is None for v in values):
                continue  # header row
        if len(fields) != 2:
            fail(f"expected 2 numbers, got {len(fields)}", at)
        for text_value, value in zip(fields, values, strict=True):
            if value is None:
                fail(f"{shown(text_value)} is not a number", at)
            if not math.isfinite(value):
                fail(f"{shown(text_value)} is not a finite number", at)
        if spec is not None and spec.labels_binary and values[1] not in (0.0, 1.0):
            fail(f"{spec.title} labels must be 0 or 1, got {shown(fields[1])}", at)
        if len(rows) >= MAX_ROWS:
            fail(f"more than {MAX_ROWS:,} data rows", at)
        rows.append((values[0], values[1]))
    if not rows:
        fail("no data rows")
    return Dataset(np.array(rows, dtype=np.float64), name=name,
                   meta={"path": str(p), "model": spec.name if spec else None})

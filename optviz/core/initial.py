"""Initial distributions of a group's particles: point, points, grid, uniform, normal.

Each returns float64 positions of shape (N, 2). Random kinds draw from the
generator they are given, so a seeded experiment always starts the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from optviz.core.inputs import shown
from optviz.core.optimizers.spec import HyperparameterError

#: Most particles one group may hold (memory: about 260 bytes per particle with history).
MAX_PARTICLES = 2_000_000

INIT_KINDS: dict[str, tuple[str, ...]] = {
    "point": ("point",),
    "points": ("points",),
    "grid": ("low", "high", "shape"),
    "uniform": ("low", "high", "count"),
    "normal": ("mean", "std", "count"),
}


def check_init(init: Mapping[str, Any], where: str = "init") -> dict[str, Any]:
    """Validate ``init`` without drawing anything; return its fields as arrays and ints.

    Errors name the field, the value and what is allowed.
    """
    if not isinstance(init, Mapping):
        raise HyperparameterError(where, f"{where} = {shown(init)} must be a table with a 'kind'")
    kind = init.get("kind")
    if not isinstance(kind, str) or kind not in INIT_KINDS:
        raise HyperparameterError(
            f"{where}.kind", f"{where}.kind = {shown(kind)} is not known; known: {', '.join(INIT_KINDS)}"
        )
    allowed = {"kind", *INIT_KINDS[kind]}
    for key in init:
        if key not in allowed:
            raise HyperparameterError(
                f"{where}.{key}",
                f"{where}.{key}: unknown field for init kind {kind!r}; allowed: {', '.join(sorted(allowed))}",
            )
    for key in INIT_KINDS[kind]:
        if key not in init:
            raise HyperparameterError(f"{where}.{key}", f"{where}.{key} is missing (needed by kind {kind!r})")
    out: dict[str, Any] = {"kind": kind}
    if kind == "point":
        out["point"] = _pair(init["point"], f"{where}.point")
    elif kind == "points":
        points = init["points"]
        if not isinstance(points, (list, tuple)) or not points:
            raise HyperparameterError(f"{where}.points", f"{where}.points must be a non-empty list of [x, y]")
        _check_count(len(points), f"{where}.points")
        out["points"] = np.stack([_pair(p, f"{where}.points[{k}]") for k, p in enumerate(points)])
    elif kind == "grid":
        out["low"], out["high"] = _box(init, where)
        shape = init["shape"]
        if not (isinstance(shape, (list, tuple)) and len(shape) == 2
                and all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in shape)):
            raise HyperparameterError(f"{where}.shape", f"{where}.shape = {shown(shape)} must be [nx, ny], each >= 1")
        _check_count(shape[0] * shape[1], f"{where}.shape")
        out["shape"] = (shape[0], shape[1])
    elif kind == "uniform":
        out["low"], out["high"] = _box(init, where)
        out["count"] = _count(init["count"], f"{where}.count")
    else:
        out["mean"] = _pair(init["mean"], f"{where}.mean")
        out["std"] = _pair(init["std"], f"{where}.std")
        if np.any(out["std"] < 0):
            raise HyperparameterError(f"{where}.std", f"{where}.std = {shown(init['std'])} must be >= 0")
        out["count"] = _count(init["count"], f"{where}.count")
    return out


def initial_positions(init: Mapping[str, Any], rng: np.random.Generator, where: str = "init") -> np.ndarray:
    """Positions (N, 2) described by ``init`` (validated by check_init)."""
    c = check_init(init, where)
    kind = c["kind"]
    if kind == "point":
        return c["point"].reshape(1, 2)
    if kind == "points":
        return c["points"]
    if kind == "grid":
        xs = np.linspace(c["low"][0], c["high"][0], c["shape"][0])
        ys = np.linspace(c["low"][1], c["high"][1], c["shape"][1])
        gx, gy = np.meshgrid(xs, ys, indexing="xy")
        return np.column_stack([gx.ravel(), gy.ravel()])
    if kind == "uniform":
        return rng.uniform(c["low"], c["high"], size=(c["count"], 2))
    return c["mean"] + c["std"] * rng.standard_normal((c["count"], 2))


def particle_count(init: Mapping[str, Any], where: str = "init") -> int:
    """How many particles ``init`` describes (validated)."""
    c = check_init(init, where)
    if c["kind"] == "point":
        return 1
    if c["kind"] == "points":
        return len(c["points"])
    if c["kind"] == "grid":
        return c["shape"][0] * c["shape"][1]
    return c["count"]


def _pair(value: Any, field_name: str) -> np.ndarray:
    ok = isinstance(value, (list, tuple)) and len(value) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) for v in value
    )
    if not ok:
        raise HyperparameterError(field_name, f"{field_name} = {shown(value)} must be a pair of finite numbers [x, y]")
    return np.array(value, dtype=np.float64)


def _box(init: Mapping[str, Any], where: str) -> tuple[np.ndarray, np.ndarray]:
    low = _pair(init["low"], f"{where}.low")
    high = _pair(init["high"], f"{where}.high")
    if np.any(high < low):
        raise HyperparameterError(
            f"{where}.high",
            f"{where}.high = {shown(init['high'])} must be >= low = {shown(init['low'])} in each coordinate",
        )
    return low, high


def _count(value: Any, field_name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise HyperparameterError(field_name, f"{field_name} = {shown(value)} must be an integer")
    _check_count(value, field_name)
    return value


def _check_count(n: int, field_name: str) -> None:
    if not 1 <= n <= MAX_PARTICLES:
        raise HyperparameterError(
            field_name, f"{field_name}: {n} particles is out of range: must be in [1, {MAX_PARTICLES}]"
        )

"""Small builders shared by the tests."""

from __future__ import annotations

from typing import Any

from optviz.experiment import Experiment


def experiment(groups: list[dict[str, Any]], landscape: str = "rosenbrock", steps: int = 50,
               **run: Any) -> Experiment:
    """An experiment on ``landscape`` with the given group tables."""
    return Experiment.from_dict({
        "title": "test",
        "landscape": {"name": landscape},
        "run": {"steps": steps, **run},
        "groups": [{"label": f"g{k}", **g} for k, g in enumerate(groups)],
    })

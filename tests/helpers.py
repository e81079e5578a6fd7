"""Small builders shared by the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from optviz.experiment import Experiment

FIXTURES = Path(__file__).parent / "fixtures"

#: The text of tests/fixtures/small.toml, an experiment file as a user writes it: titled "small test
#: experiment", 31 particles (30 Adam, 1 Momentum) on Himmelblau, 40 steps, a 320x240 picture.
SMALL_EXPERIMENT = (FIXTURES / "small.toml").read_text(encoding="utf-8")


def experiment(groups: list[dict[str, Any]], landscape: str = "rosenbrock", steps: int = 50,
               **run: Any) -> Experiment:
    """An experiment on ``landscape`` with the given group tables."""
    return Experiment.from_dict({
        "title": "test",
        "landscape": {"name": landscape},
        "run": {"steps": steps, **run},
        "groups": [{"label": f"g{k}", **g} for k, g in enumerate(groups)],
    })


def offscreen_scene(qtbot, exp: Experiment, result, options: dict | None = None, size=(400, 300)):
    """The Scene of ``result`` laid out for offscreen rendering at ``size``, closed with the test."""
    from optviz.render.options import resolve_options
    from optviz.render.scene import Scene

    scene = Scene(interactive=False, font_px=10)
    qtbot.addWidget(scene)
    scene.apply_options(resolve_options(options or {}))
    scene.set_experiment(exp)
    scene.set_data(result)
    scene.prepare_offscreen(size)
    return scene


"""Small builders shared by the tests."""

from __future__ import annotations

import threading
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


def hold_kernel_compiles(monkeypatch, announce: tuple[str, int, int] | None = None) -> threading.Event:
    """Make every ``Simulation.compile`` wait until the returned event is set (60 s at most), then
    compile as before: a compile that takes as long as the test wants. With ``announce`` (a kernel's
    name, done, total), each compile first reports that progress, as a slow kernel's compile does.
    The test sets the event, in a ``finally``, so that no thread is left waiting."""
    from optviz.core.engine import Simulation

    release = threading.Event()
    compile_kernels = Simulation.compile

    def held_compile(sim, progress=None):
        if announce is not None and progress is not None:
            progress(*announce)
        release.wait(60)
        compile_kernels(sim, progress)

    monkeypatch.setattr(Simulation, "compile", held_compile)
    return release


def local_dask_cluster():
    """A Dask LocalCluster of two single-threaded worker processes, as a context manager; skips the
    test where Dask's ``distributed`` is not installed. Without a dashboard, and with the scheduler's
    HTTP server on a free port: by default it takes 8787, and a second suite running at the same
    time then failed to start its cluster ("Port 8787 is already in use")."""
    import pytest

    distributed = pytest.importorskip("distributed")
    return distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                    scheduler_kwargs={"dashboard_address": ":0"}, death_timeout=120)

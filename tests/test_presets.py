"""The story presets (optviz/presets/): each loads, runs, says on screen what to look for and
brings its own side plots; the experiment's caption field; the gallery is made from them."""

from pathlib import Path

import numpy as np
import pytest

from optviz.experiment import Experiment, ExperimentError, load_experiment, run_experiment
from optviz.experiment.model import MAX_CAPTION_CHARS
from optviz.experiment.toml_io import save_experiment
from optviz.render.options import resolve_options

ROOT = Path(__file__).resolve().parent.parent
PRESETS = sorted((ROOT / "optviz" / "presets").glob("*.toml"))


def test_there_is_one_set_of_presets():
    assert len(PRESETS) >= 8
    assert not (ROOT / "resources" / "experiments").exists()
    gallery = (ROOT / "scripts" / "make_gallery.py").read_text(encoding="utf-8")
    assert '"optviz" / "presets"' in gallery


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_preset_loads_runs_and_says_what_to_look_for(path):
    exp = load_experiment(path)
    assert 40 <= len(exp.caption) <= MAX_CAPTION_CHARS, "a caption of one or two sentences"
    side = resolve_options(exp.render).side_plots
    assert side and side != "auto", "the preset names its own side plots in [render]"
    assert list(exp.view.get("side_plots", side)) == list(side), "[view] and [render] agree on the side plots"
    assert not any(g.color for g in exp.groups), "presets use the default colour-blind-safe palette"
    short = Experiment.from_dict({**exp.to_dict(), "run": {"steps": 3}}, exp.landscape.base_dir)
    result = run_experiment(short)
    assert np.isfinite(np.asarray(result.positions)).all()


def test_caption_round_trips_and_is_validated(tmp_path):
    data = {"title": "t", "caption": "Watch the blue cloud stall.", "landscape": {"name": "booth"},
            "groups": [{"optimizer": "sgd", "init": {"kind": "point", "point": [0.0, 0.0]}}]}
    exp = Experiment.from_dict(data)
    assert exp.caption == "Watch the blue cloud stall."
    save_experiment(exp, tmp_path / "e.toml")
    assert load_experiment(tmp_path / "e.toml").caption == exp.caption
    assert "caption" not in Experiment.from_dict({k: v for k, v in data.items() if k != "caption"}).to_dict()
    for bad in ("x" * (MAX_CAPTION_CHARS + 1), 3, ["a"]):
        with pytest.raises(ExperimentError, match=f"caption = .* must be a string of at most {MAX_CAPTION_CHARS}"):
            Experiment.from_dict({**data, "caption": bad})


def test_figure_shows_the_caption_under_the_title(tmp_path):
    """The caption is part of the scene (window and exports): the title row grows by its lines."""
    pytest.importorskip("PySide6")
    from optviz.render.qt import ensure_app
    from optviz.render.scene import Scene

    ensure_app()
    exp = load_experiment(PRESETS[0])
    scene = Scene(interactive=False)
    scene.resize(1280, 720)
    scene.set_experiment(exp)
    assert exp.caption.split()[0] in scene.title.item.toPlainText()
    with_caption = scene.title.item.boundingRect().height()
    exp.caption = ""
    scene.set_experiment(exp)
    assert exp.title in scene.title.item.toPlainText()
    assert scene.title.item.boundingRect().height() < with_caption
    assert scene.title.item.boundingRect().width() <= 1280


def test_a_preset_opened_after_another_shows_its_own_side_plots(qtbot, tmp_path):
    pytest.importorskip("pytestqt")
    from PySide6 import QtCore

    from optviz.app.main_window import MainWindow, presets
    from optviz.render.qt import ensure_app

    ensure_app()
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    settings.setValue("view/side_plots", ["loss", "lr"])  # saved preferences must not win either
    w = MainWindow(None, settings=settings, ask_to_save=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.ready, timeout=60_000)
    by_name = {p.stem: p for _title, p in presets()}
    for first, second in (("01_momentum_ravine", "04_adam_bias_correction"),
                          ("04_adam_bias_correction", "02_adagrad_vs_rmsprop")):
        assert w.open_path(by_name[first], as_preset=True)
        w.playback.playing = False
        assert w.open_path(by_name[second], as_preset=True)
        w.playback.playing = False
        wanted = tuple(resolve_options(load_experiment(by_name[second]).render).side_plots)
        assert tuple(w.view.side_plots) == wanted
        assert tuple(k for k, a in w.side_actions.items() if a.isChecked()) == wanted  # View menu agrees
    # a file naming its side plots only in [render] (as `optviz figure` reads them) gets them too
    exp = load_experiment(by_name["04_adam_bias_correction"])
    exp.view = {}
    save_experiment(exp, tmp_path / "render_only.toml")
    assert w.open_path(tmp_path / "render_only.toml")
    w.playback.playing = False
    assert tuple(w.view.side_plots) == ("loss", "bias_correction")
    w.close()

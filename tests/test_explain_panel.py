"""Explain mode in the window (the Explain dock, its keys, the arrows on the scene) and the overlay's geometry."""

from __future__ import annotations

import numpy as np
import pytest

from optviz.core.explain import explain_update
from optviz.core.optimizers import get_optimizer
from optviz.render.explain_overlay import (
    GRADIENT_FRACTION,
    MAX_STEP_FRACTION,
    MIN_STEP_PX,
    STEP_FRACTION,
    explain_shape,
    nice_down,
    plain,
)


def adam_update(theta=(0.5, -1.0), grad=(4.0, -0.5), t=5, lr=0.05, state=((0.3, -0.05), (2.0, 0.04), (0, 0))):
    spec = get_optimizer("adam")
    return explain_update(spec, spec.resolve({"lr": lr}), np.array(state, dtype=np.float64), np.array(theta),
                          np.array(grad), t, lr)


VIEW = ((-2.0, 2.0), (-3.0, 1.0))
PIXELS = (800, 400)


def _px(v):
    return float(np.hypot(v[0] / (4.0 / 800), v[1] / (4.0 / 400)))


def test_overlay_arrows_start_at_theta_and_end_at_theta_plus_the_scaled_vector():
    up = adam_update()
    last = len(up.substeps) - 1
    shape = explain_shape(up, last, VIEW, PIXELS)
    assert {a.kind for a in shape.arrows} == {"gradient", "momentum", "step"}
    for a in shape.arrows:
        np.testing.assert_array_equal(a.start, up.theta)
        np.testing.assert_allclose(a.end, up.theta + a.scale * a.vector, rtol=1e-15)
        np.testing.assert_array_equal(a.head[1], a.end)  # the head's tip is the arrow's end
    arrows = {a.kind: a for a in shape.arrows}
    np.testing.assert_allclose(arrows["gradient"].vector, -up.grad)
    np.testing.assert_allclose(arrows["step"].vector, up.new_theta - up.theta)
    # one gradient scale: the longest gradient-unit vector or bar fills at most GRADIENT_FRACTION of the view
    assert arrows["gradient"].scale == arrows["momentum"].scale == shape.gradient_scale
    longest = max(_px(arrows["gradient"].vector), _px(arrows["momentum"].vector),
                  *(abs(b.value) / (4.0 / PIXELS[b.axis]) for b in shape.bars))
    assert GRADIENT_FRACTION * 400 / 1.5 <= shape.gradient_scale * longest <= GRADIENT_FRACTION * 400 * (1 + 1e-9)
    # second-moment bars: √v̂ per axis, at the gradient's scale, on the side −g points to
    v_hat = up.substep("bias_correction").values[-1].value
    for bar in shape.bars:
        along = bar.end - bar.start
        assert along[1 - bar.axis] == 0.0
        np.testing.assert_allclose(abs(along[bar.axis]), shape.gradient_scale * np.sqrt(v_hat[bar.axis]))
        assert np.sign(along[bar.axis]) == np.sign(-up.grad[bar.axis])
    assert "drawn ×" in arrows["gradient"].label and plain("−m̂_{t}") in arrows["momentum"].label


def test_overlay_arrows_appear_at_their_substeps():
    up = adam_update()
    keys = [s.key for s in up.substeps]
    first = explain_shape(up, 0, VIEW, PIXELS)
    assert [a.kind for a in first.arrows] == ["gradient"] and first.bars == ()
    moment = explain_shape(up, keys.index("first_moment"), VIEW, PIXELS)
    assert [a.kind for a in moment.arrows] == ["gradient", "momentum"]
    assert [a.current for a in moment.arrows] == [False, True]
    corrected = explain_shape(up, keys.index("bias_correction"), VIEW, PIXELS)
    momentum = {a.kind: a for a in corrected.arrows}["momentum"]
    np.testing.assert_allclose(momentum.vector, -up.substep("bias_correction").values[-2].value)  # −m̂_t now
    assert len(corrected.bars) == 2
    assert corrected.gradient_scale == first.gradient_scale  # fixed for the whole update


def test_a_tiny_step_is_scaled_up_and_says_so_a_legible_one_is_true_size():
    tiny = adam_update(lr=1e-4)
    shape = explain_shape(tiny, len(tiny.substeps) - 1, VIEW, PIXELS)
    step = {a.kind: a for a in shape.arrows}["step"]
    true_px = _px(step.vector)
    assert true_px < MIN_STEP_PX and step.scale > 1
    assert step.scale * true_px <= STEP_FRACTION * 400 * (1 + 1e-12)
    assert f"drawn ×{step.scale:g}" in step.label
    sized = adam_update(lr=3.0)
    shape = explain_shape(sized, len(sized.substeps) - 1, VIEW, PIXELS)
    step = {a.kind: a for a in shape.arrows}["step"]
    assert MIN_STEP_PX <= _px(step.vector) <= MAX_STEP_FRACTION * 400
    assert step.scale == 1.0 and "true size" in step.label
    zh = explain_shape(sized, len(sized.substeps) - 1, VIEW, PIXELS, language="zh")
    assert "实际大小" in {a.kind: a for a in zh.arrows}["step"].label


def test_arrow_heads_keep_their_pixel_shape_in_an_unequally_scaled_view():
    up = adam_update()
    shape = explain_shape(up, len(up.substeps) - 1, VIEW, PIXELS)
    for a in shape.arrows:
        sides = [(a.head[k] - a.end) / np.array([4.0 / 800, 4.0 / 400]) for k in (0, 2)]
        length = min(12.0, 0.5 * _px(a.end - a.start))  # a short arrow gets a shorter head
        np.testing.assert_allclose([np.hypot(*s) for s in sides], np.hypot(length, 5.0), rtol=1e-9)


def test_nice_scales_and_plain_labels():
    assert [nice_down(x) for x in (0.07, 0.2, 0.99, 3.0, 7.5, 1e-5, 0.0095)] == [0.06, 0.2, 0.8, 3.0, 6.0, 1e-5,
                                                                                0.008]
    assert plain("√E[g^{2}]_{t}") == "√E[g²]ₜ" and plain("v̂_{t−1}") == "v̂ₜ₋₁"
    assert plain("ρ_{∞}") == "ρ_(∞)"
    with pytest.raises(ValueError, match="non-empty"):
        explain_shape(adam_update(), 0, ((0, 0), (0, 1)), PIXELS)


@pytest.mark.slow
def test_explain_dock_in_the_window(win, qtbot):
    from PySide6 import QtCore

    from optviz.render.explain_overlay import ExplainOverlay

    w = win
    panel = w.explain.panel
    assert w.actions_["explain"].shortcut().toString() == "E"
    assert not w.explain.dock.isVisible() and w.explain.model.explanation is None
    qtbot.keyClick(w, QtCore.Qt.Key.Key_E)
    qtbot.waitUntil(lambda: w.explain.dock.isVisible(), timeout=60_000)
    qtbot.waitUntil(lambda: panel.steps.count() > 0, timeout=120_000)
    e = w.explain.model.explanation
    assert (e.group, e.index) == (0, 0) and e.update is not None  # the selected group's first particle
    assert panel.steps.currentRow() == 0 and panel.steps.item(0).text() == "1. Gradient"
    assert "∇f" in panel.formula.text()
    before = [panel.values.item(r, 0).text() for r in range(panel.values.rowCount())]
    qtbot.keyClick(w, QtCore.Qt.Key.Key_N)
    assert panel.steps.currentRow() == 1 and w.explain.model.current.key == "momentum"
    after = [panel.values.item(r, 0).text() for r in range(panel.values.rowCount())]
    assert after != before and any(text.startswith("vₜ") for text in after)
    overlays = [item for item in w.scene.plot.items if isinstance(item, ExplainOverlay)]
    assert overlays == [w.explain.overlay] and w.explain.overlay.isVisible()
    assert {a.kind for a in w.explain.overlay.shape.arrows} == {"gradient", "momentum"}
    np.testing.assert_allclose(w.explain.overlay.shape.origin, e.update.theta)
    # Previous, and clicking a sub-step in the list
    panel.previous_btn.click()
    assert w.explain.model.substep == 0
    panel.steps.setCurrentRow(2)
    assert w.explain.model.substep == 2 and w.explain.model.current.key == "step"
    assert "step" in {a.kind for a in w.explain.overlay.shape.arrows}
    # Chinese sub-step texts
    panel.set_language("zh")
    step_label = w.explain.overlay.labels["step"].textItem.toPlainText()
    assert panel.steps.item(0).text() == "1. 梯度" and ("实际大小" in step_label or "绘制比例" in step_label)
    panel.set_language("en")
    # Next update moves the time cursor one step; the explained step follows, the sub-step stays
    step0 = w.explain.model.step
    qtbot.keyClick(w, QtCore.Qt.Key.Key_U)
    qtbot.waitUntil(lambda: w.explain.model.step == step0 + 1, timeout=60_000)
    assert w.explain.model.current.key == "step" and w.explain.model.explanation.update.t == step0 + 2
    # a clicked particle is explained
    w.selection.group = 1
    w.selection.particle = 150  # Adam's particle 50
    e = w.explain.model.explanation
    assert (e.group, e.index, e.label) == (1, 50, "Adam")
    assert "bias_correction" in [s.key for s in w.explain.model.substeps]
    # closing the dock hides the arrows and turns the keys off
    qtbot.keyClick(w, QtCore.Qt.Key.Key_E)
    qtbot.waitUntil(lambda: not w.explain.dock.isVisible(), timeout=60_000)
    assert not w.explain.overlay.isVisible() and not w.explain.actions["explain_next"].isEnabled()


def test_overlay_labels_do_not_overlap_in_a_plot(qtbot):
    import pyqtgraph as pg

    from optviz.render.explain_overlay import ExplainOverlay

    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.show()
    overlay = ExplainOverlay()
    widget.plotItem.addItem(overlay, ignoreBounds=True)
    widget.plotItem.setRange(xRange=VIEW[0], yRange=VIEW[1], padding=0)
    qtbot.wait(10)
    vb = widget.plotItem.vb
    for lr in (1e-4, 0.05, 3.0):  # the step's label near, at and beyond the gradient's
        up = adam_update(lr=lr)
        overlay.set_update(up, len(up.substeps) - 1, vb.viewRange(), (vb.width(), vb.height()))
        qtbot.wait(10)
        rects = [label.mapRectToScene(label.boundingRect()) for label in overlay.labels.values()
                 if label.isVisibleTo(overlay)]
        assert len(rects) == 5
        for i, a in enumerate(rects):
            for b in rects[i + 1:]:
                assert not a.intersects(b), (lr, a, b)
    overlay.clear_update()
    assert not overlay.isVisible() and overlay.shape is None


@pytest.mark.parametrize("optimizer, hyper", [
    ("sgd", {"lr": 1e-3, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("nesterov", {"lr": 1e-4, "momentum_form": "ema"}),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.01, "eps_placement": "inside"}),
    ("rmsprop", {"lr": 1e-3, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("adadelta", {}),
    ("adam", {"lr": 0.01, "amsgrad": True, "bias_correction": False}),
    ("adamw", {"lr": 0.01}),
    ("adamax", {"lr": 0.01}),
    ("nadam", {"lr": 0.01, "eps_placement": "inside"}),
    ("radam", {"lr": 1e-4}),
    ("lion", {"lr": 1e-3, "weight_decay": 0.1}),
])
@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_panel_shows_every_substep_of_every_optimizer(qtbot, optimizer, hyper, language):
    from optviz.app.explain_panel import ExplainPanel
    from optviz.experiment import Experiment
    from optviz.models.explain import ExplainModel

    exp = Experiment.from_dict({"landscape": {"name": "rosenbrock"}, "run": {"steps": 20},
                                "groups": [{"label": optimizer, "optimizer": optimizer, "hyper": hyper,
                                            "init": {"kind": "point", "point": [-1.0, 1.5]},
                                            "schedule": {"kind": "step", "step_size": 3, "gamma": 0.5}}]})
    model = ExplainModel()
    panel = ExplainPanel(model)
    qtbot.addWidget(panel)
    panel.set_language(language)
    model.set_experiment(exp)
    model.set_step(7)
    model.set_active(True)
    subs = model.substeps
    assert panel.steps.count() == len(subs) and subs[1].key == "schedule"
    for i, sub in enumerate(subs):
        assert model.go(i) or i == 0
        assert panel.steps.currentRow() == i and panel.steps.item(i).font().bold()
        assert panel.formula.text() and "_{" not in panel.formula.text()
        assert panel.values.rowCount() == len(sub.values)
        assert sub.title.get(language) in panel.text.text()
    with pytest.raises(ValueError, match="'fr'"):
        panel.set_language("fr")


def test_the_panel_says_why_there_is_no_update(qtbot):
    from optviz.app.explain_panel import ExplainPanel
    from optviz.experiment import Experiment
    from optviz.models.explain import ExplainModel

    exp = Experiment.from_dict({"landscape": {"name": "rosenbrock"}, "run": {"steps": 40},
                                "groups": [{"label": "too fast", "optimizer": "sgd", "hyper": {"lr": 0.5},
                                            "init": {"kind": "point", "point": [-1.5, 2.0]}}]})
    model = ExplainModel()
    panel = ExplainPanel(model)
    qtbot.addWidget(panel)
    model.set_experiment(exp)
    model.set_step(30)
    model.set_active(True)
    assert "diverged at step" in panel.head.text() and panel.steps.count() == 0
    assert not panel.next_btn.isEnabled() and not panel.previous_btn.isEnabled() and panel.values.rowCount() == 0
    panel.set_language("zh")
    assert "发散" in panel.head.text()

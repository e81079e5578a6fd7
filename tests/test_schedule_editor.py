"""The group editor offers every schedule with the right control for each parameter."""

import pytest
from PySide6 import QtWidgets

from optviz.app.panels.group_editor import GroupEditor
from optviz.models.document import DocumentModel


@pytest.fixture
def editor(qtbot):
    doc = DocumentModel()
    widget = GroupEditor(doc)
    qtbot.addWidget(widget)
    return doc, widget


def choose_schedule(widget, kind: str) -> None:
    combo = widget.fields["schedule"].editor
    combo.setCurrentIndex(combo.findData(kind))
    combo.activated.emit(combo.currentIndex())
    widget.set_group(widget.index)  # the window rebuilds the editor when the schedule's kind changes


def test_choosing_a_chain_starts_from_warm_up_then_cosine_over_the_run(editor):
    doc, widget = editor
    choose_schedule(widget, "sequential")
    steps = doc.experiment.run.steps
    schedule = doc.group(0).schedule
    assert schedule["milestones"] == (steps // 10,)
    assert [c["kind"] for c in schedule["schedules"]] == ["linear", "cosine"]
    assert schedule["schedules"][1]["T_max"] == steps - steps // 10
    summary = [w.text() for w in widget.findChildren(QtWidgets.QLabel) if w.text().startswith("Linear warm-up")]
    assert summary == [f"Linear warm-up (steps 0-{steps // 10}) → Cosine annealing (from step {steps // 10})"]


def test_cyclic_mode_is_a_list_and_a_fraction_is_refused_in_place(editor):
    doc, widget = editor
    choose_schedule(widget, "cyclic")
    mode = widget.fields["schedule.mode"].editor
    assert isinstance(mode, QtWidgets.QComboBox)
    mode.setCurrentText("triangular2")
    mode.activated.emit(mode.currentIndex())
    assert doc.group(0).schedule["mode"] == "triangular2"
    up = widget.fields["schedule.step_size_up"]
    up.editor.setText("2.5")
    up.editor.editingFinished.emit()
    assert "step_size_up = 2.5 must be a whole number" in up.error.text()
    assert doc.group(0).schedule["step_size_up"] == 2000  # unchanged


def test_onecycle_three_phase_is_a_check_box(editor):
    doc, widget = editor
    choose_schedule(widget, "onecycle")
    box = widget.fields["schedule.three_phase"].editor
    assert isinstance(box, QtWidgets.QCheckBox)
    box.setChecked(True)
    assert doc.group(0).schedule["three_phase"] is True

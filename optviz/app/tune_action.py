"""Run > Tune the race…: ``optviz tune`` in the window.

A small dialog asks what to tune (the hyperparameter, its candidates, the metric); the sweep of
every group runs in a background thread with a cancellable progress dialog; when it ends the
document takes the chosen values and the ``[tune]`` table (:meth:`DocumentModel.apply_tuning`),
and a box lists each group's choice. See :mod:`optviz.experiment.tune` for the metric.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from optviz.app.worker import CancellableJob, Cancelled
from optviz.experiment.tune import METRICS, SCALES, TuneTable, check_tune, parse_tune, tune

__all__ = ["TuneController", "TuneJob"]


class TuneJob(CancellableJob):
    """Tunes ``experiment`` by ``table`` in a thread: ``progress(done, total)`` steps, then
    ``ended(outcome, payload)``: the tuned experiment when "done", the one-line reason when "failed"."""

    def __init__(self, experiment, table: TuneTable, parent=None):
        super().__init__(parent)
        self.experiment, self.table = experiment, table

    def run(self) -> None:
        try:
            tuned = tune(self.experiment, self.table, progress=self._progress)
        except Cancelled:
            self.finish("cancelled", None)
        except Exception as error:  # noqa: BLE001 - reported in the window, never kills it
            self.finish("failed", str(error).splitlines()[0] if str(error) else type(error).__name__)
        else:
            self.finish("done", tuned)


class TuneDialog(QtWidgets.QDialog):
    """What to tune: the hyperparameter, its candidates (low, high, n, scale) and the metric."""

    def __init__(self, table: TuneTable, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Tune the race"))
        form = QtWidgets.QFormLayout(self)
        intro = QtWidgets.QLabel(self.tr(
            "Every group's hyperparameter is swept over the same candidates, on the same budget (the run's "
            "steps) from the group's own start points; each group keeps its best. The sweep is saved in "
            "the experiment's [tune] table."))
        intro.setWordWrap(True)
        form.addRow(intro)
        self.param = QtWidgets.QComboBox()
        self.param.setEditable(True)
        self.param.addItems(["lr", "momentum", "beta1", "beta2", "eps", "weight_decay", "alpha"])
        self.param.setCurrentText(table.param)
        form.addRow(self.tr("Hyperparameter"), self.param)
        self.low, self.high = QtWidgets.QLineEdit(f"{table.low:g}"), QtWidgets.QLineEdit(f"{table.high:g}")
        form.addRow(self.tr("Lowest candidate"), self.low)
        form.addRow(self.tr("Highest candidate"), self.high)
        self.n = QtWidgets.QSpinBox()
        self.n.setRange(2, 1000)
        self.n.setValue(table.n)
        form.addRow(self.tr("Candidates"), self.n)
        self.scale = QtWidgets.QComboBox()
        self.scale.addItems(list(SCALES))
        self.scale.setCurrentText(table.scale)
        form.addRow(self.tr("Spacing"), self.scale)
        self.metric_box = QtWidgets.QComboBox()
        for name, text in zip(METRICS, (self.tr("mean log loss over the run (rewards getting low fast)"),
                                        self.tr("final loss")), strict=True):
            self.metric_box.addItem(text, name)
        self.metric_box.setCurrentIndex(METRICS.index(table.metric))
        form.addRow(self.tr("Metric"), self.metric_box)
        self.error = QtWidgets.QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020")
        form.addRow(self.error)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def table(self) -> dict:
        """The entries as a ``[tune]`` table (numbers that do not parse are passed on as text, to be
        refused with the field's message)."""
        def number(text: str):
            try:
                return float(text)
            except ValueError:
                return text
        return {"param": self.param.currentText().strip(), "low": number(self.low.text()),
                "high": number(self.high.text()), "n": self.n.value(), "scale": self.scale.currentText(),
                "metric": self.metric_box.currentData()}


class TuneController(QtCore.QObject):
    """Owns the Run > Tune action, its dialog and the job."""

    def __init__(self, window: QtWidgets.QWidget, doc, status):
        super().__init__(window)
        self.window, self.doc, self.status = window, doc, status
        self.action = QtGui.QAction(window)
        self.action.triggered.connect(lambda: self.open_dialog())
        self.job: TuneJob | None = None
        self.progress_dialog: QtWidgets.QProgressDialog | None = None
        self.retranslate()

    def retranslate(self, _code: str = "") -> None:
        self.action.setText(self.tr("&Tune the race…"))
        self.action.setToolTip(self.tr("Sweep every group's learning rate (or another hyperparameter) on the same "
                                       "budget and keep each group's best"))

    def open_dialog(self) -> TuneJob | None:
        exp = self.doc.experiment
        dialog = TuneDialog(exp.tune or TuneTable(), self.window)
        while dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            try:
                table = parse_tune(dialog.table(), len(exp.groups))
                check_tune(exp, table)
            except ValueError as error:
                dialog.error.setText(str(error))
                continue
            return self.start(table)
        return None

    def start(self, table: TuneTable) -> TuneJob | None:
        """Tune the document's experiment by ``table`` in the background (None while a job runs)."""
        if self.job is not None and self.job.running:
            return None
        job = self.job = TuneJob(self.doc.experiment, table, self)
        dlg = self.progress_dialog = QtWidgets.QProgressDialog(self.tr("Tuning every group…"), self.tr("Cancel"),
                                                               0, 0, self.window)
        dlg.setWindowTitle(self.tr("Tune the race"))
        dlg.setAutoClose(False)
        dlg.setAutoReset(False)
        dlg.setMinimumDuration(0)
        dlg.canceled.connect(job.cancel)
        job.progress.connect(self._progress)
        job.ended.connect(self._ended)
        job.start()
        dlg.show()
        return job

    def _progress(self, done: int, total: int) -> None:
        if self.progress_dialog is not None:
            self.progress_dialog.setMaximum(total)
            self.progress_dialog.setValue(done)

    def _ended(self, outcome: str, payload) -> None:
        dlg, self.progress_dialog = self.progress_dialog, None
        if dlg is not None:
            dlg.close()
            dlg.deleteLater()
        if outcome == "cancelled":
            self.status.message(self.tr("Tuning cancelled; nothing changed."), 8000)
            return
        if outcome == "failed":
            self.status.warn(self.tr("Tuning failed"), payload)
            return
        tuned = payload
        try:
            self.doc.apply_tuning(tuned)
        except ValueError as error:  # the document changed meanwhile (a group added or removed)
            self.status.warn(self.tr("Tuning failed"), str(error))
            return
        self.status.message(self.summary(tuned), 15000)

    def summary(self, tuned) -> str:
        """One line: each tuned group's choice, e.g. "Tuned lr: GD 0.001, Adam 0.0316"."""
        table = tuned.tune
        parts = [f"{tuned.groups[r.group].label} {r.chosen:.3g}" for r in table.results]
        return self.tr("Tuned {param} ({metric}): {choices}").format(param=table.param, metric=table.metric,
                                                                     choices=", ".join(parts))


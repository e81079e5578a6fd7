"""File > New / Open / Open Recent / Save / Save As, presets, and "save the changes first?".

:class:`FileController` edits the :class:`~optviz.models.document.DocumentModel` (load, save,
replace); a file that cannot be opened or saved is said in a dialog, and the experiment on
screen stays. Recent files and the last folder live in the window's ``QSettings``.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6 import QtCore, QtWidgets

__all__ = ["FileController", "MAX_RECENT", "PRESET_DIR", "presets"]

PRESET_DIR = Path(__file__).resolve().parent.parent / "presets"
MAX_RECENT = 8


def presets(language: str = "en") -> list[tuple[str, Path]]:
    """(title, path) of every preset experiment, by file name; the title in ``language`` where the
    preset translates it (its ``[translations]`` table)."""
    import tomllib

    out = []
    for p in sorted(PRESET_DIR.glob("*.toml")):
        try:
            table = tomllib.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        title = table.get("title", p.stem)
        translated = table.get("translations", {}).get(language, {}).get(title) if language != "en" else None
        out.append((translated if isinstance(translated, str) else title, p))
    return out


def check_render(experiment) -> None:
    """An opened file's ``[render]`` table is checked as ``optviz figure`` reads it
    (RenderOptionError, a ValueError naming the option, the value and what is allowed), so the
    window never shows a table that the command line would refuse. (Its ``[view]`` table was
    checked when it was read, by the same validators for the options both tables hold.)"""
    from optviz.render.options import RenderOptionError, check_render_table

    try:
        check_render_table(experiment.render, experiment.run.steps)
    except RenderOptionError as error:
        raise RenderOptionError(f"[render] {error}") from None


class FileController(QtCore.QObject):
    """Opens and saves ``doc`` for ``window``; ``ask_to_save``: ask before unsaved changes are dropped.

    ``opened(as_preset)`` is emitted after a file became the document."""

    opened = QtCore.Signal(bool)

    def __init__(self, window: QtWidgets.QWidget, doc, settings: QtCore.QSettings, status,
                 ask_to_save: bool = True):
        super().__init__(window)
        self.window = window
        self.doc = doc
        self.settings = settings
        self.status = status
        self.ask_to_save = ask_to_save
        self.recent_menu: QtWidgets.QMenu | None = None

    # ------------------------------------------------------------------ asking
    def maybe_save(self) -> bool:
        """True when the current experiment may be replaced (saved, discarded, or unchanged)."""
        if not self.ask_to_save or not self.doc.dirty:
            return True
        button = QtWidgets.QMessageBox.StandardButton
        r = QtWidgets.QMessageBox.question(self.window, self.tr("Unsaved changes"),
                                           self.tr("Save the changes to this experiment first?"),
                                           button.Save | button.Discard | button.Cancel)
        if r == button.Cancel:
            return False
        if r == button.Save:
            return self.save()
        return True

    def last_dir(self) -> str:
        return str(self.settings.value("last_dir", str(Path.cwd())))

    # ------------------------------------------------------------------ commands
    def new_document(self) -> None:
        if self.maybe_save():
            self.doc.new()

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self.window, self.tr("Open experiment"), self.last_dir(),
                                                        self.tr("Experiments (*.toml)"))
        if path:
            self.open_path(path)

    def open_path(self, path, as_preset: bool = False) -> bool:
        """Open ``path`` (a preset: as a new, untitled experiment); False, said in a dialog, if refused."""
        from optviz.models.document import DocumentModel, EditError

        if as_preset and not self.maybe_save():
            return False
        try:
            if as_preset:
                preset = DocumentModel()
                preset.load(path, check=check_render)
                self.doc.replace(preset.experiment, None)
            else:
                self.doc.load(path, check=check_render)
        except EditError as error:
            QtWidgets.QMessageBox.warning(self.window, self.tr("Cannot open"), str(error))
            return False
        if not as_preset:
            self.add_recent(path)
        self.status.message(self.tr("Opened {name}").format(name=Path(path).name), 4000)
        self.opened.emit(as_preset)
        return True

    def open_at_start(self, path) -> None:
        """The file given on the command line: a refusal stays on screen until the user closes it."""
        from optviz.models.document import EditError

        try:
            self.doc.load(path, check=check_render)
        except EditError as error:
            QtCore.QTimer.singleShot(0, lambda e=str(error): self.status.warn(self.tr("Cannot open"), e))

    def save(self) -> bool:
        if self.doc.path is None:
            return self.save_as()
        return self.save_to(self.doc.path)

    def save_as(self) -> bool:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, self.tr("Save experiment"), self.last_dir(),
                                                        self.tr("Experiments (*.toml)"))
        if not path:
            return False
        if not path.endswith(".toml"):
            path += ".toml"
        return self.save_to(path)

    def save_to(self, path) -> bool:
        from optviz.models.document import EditError

        try:
            self.doc.save(path)
        except (EditError, OSError) as error:
            QtWidgets.QMessageBox.warning(self.window, self.tr("Cannot save"), str(error))
            return False
        self.add_recent(path)
        self.status.message(self.tr("Saved {name}").format(name=Path(path).name), 4000)
        return True

    # ------------------------------------------------------------------ recent files
    def recent(self) -> list[str]:
        recent = self.settings.value("recent", []) or []
        return [recent] if isinstance(recent, str) else list(recent)

    def add_recent(self, path) -> None:
        path = os.path.abspath(os.fspath(path))
        recent = [p for p in self.recent() if p != path]
        recent.insert(0, path)
        self.settings.setValue("recent", recent[:MAX_RECENT])
        self.settings.setValue("last_dir", os.path.dirname(path))
        self.update_recent_menu()

    def set_recent_menu(self, menu: QtWidgets.QMenu) -> None:
        self.recent_menu = menu
        self.update_recent_menu()

    def update_recent_menu(self) -> None:
        menu = self.recent_menu
        if menu is None:
            return
        menu.clear()
        recent = self.recent()
        for p in recent:
            act = menu.addAction(p)
            act.triggered.connect(lambda _=False, p=p: self.maybe_save() and self.open_path(p))
        menu.setEnabled(bool(recent))

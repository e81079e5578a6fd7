"""The interface's language: English or Simplified Chinese, switched live.

One object per application, :func:`language`, holds the current language and installs the Qt
translators (optviz's own ``translations/optviz_zh_CN.qm`` and Qt's ``qtbase_zh_CN.qm`` for
standard buttons and dialogs). Setting another language emits :attr:`Language.changed` with the
code ("en" or "zh") after the translators are in place; every panel connects a ``retranslate``
(or ``set_language(code)``) to it and sets its texts again.

The window starts in the language saved in its settings (View > Language), else in the system
locale's (:func:`system_language`: a Chinese locale gives "zh", any other "en").

Texts come from two places:

* the window's own strings: ``self.tr("...")`` / ``QCoreApplication.translate(context, "...")``
  in ``optviz/app``, extracted by ``pyside6-lupdate`` into ``translations/optviz_zh_CN.ts``;
* names defined below the app (landscapes, optimizers, hyperparameters, schedules) and what the
  scene draws: :func:`optviz.render.texts.localize`, reached here through :func:`core_text`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore

from optviz.render.texts import LANGUAGES, check_language, localize

__all__ = ["LANGUAGES", "SETTINGS_KEY", "TRANSLATIONS_DIR", "Language", "core_text", "language", "saved_language",
           "system_language"]

#: Where the compiled translations (.qm) and their sources (.ts) live (package data).
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
#: The QSettings key of the chosen language.
SETTINGS_KEY = "language"
#: Qt's locale name of each language that has a translation file.
QT_LOCALES = {"zh": "zh_CN"}


def system_language(locale: QtCore.QLocale | None = None) -> str:
    """"zh" when the (system) locale's interface language is Chinese, else "en"."""
    locale = locale or QtCore.QLocale.system()
    first = (locale.uiLanguages() or [locale.name()])[0]
    return "zh" if first.lower().startswith("zh") else "en"


def saved_language(settings: QtCore.QSettings) -> str:
    """The language saved in ``settings`` (View > Language), else the system's."""
    value = settings.value(SETTINGS_KEY)
    return value if isinstance(value, str) and value in LANGUAGES else system_language()


class Language(QtCore.QObject):
    """The application's current language and its translators."""

    #: The new language's code, emitted after its translators are installed.
    changed = QtCore.Signal(str)

    def __init__(self, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self._code = "en"
        self._translators: list[QtCore.QTranslator] = []

    @property
    def code(self) -> str:
        return self._code

    def set_language(self, code: str) -> None:
        """Switch to ``code`` ("en" or "zh"; ValueError otherwise) and tell every subscriber."""
        check_language(code)
        if code == self._code:
            return
        app = QtCore.QCoreApplication.instance()
        for translator in self._translators:
            app.removeTranslator(translator)
        self._translators = [] if code == "en" else self._load(code)
        for translator in self._translators:
            app.installTranslator(translator)
        self._code = code
        self.changed.emit(code)

    def _load(self, code: str) -> list[QtCore.QTranslator]:
        """optviz's translator and Qt's own for ``code`` (RuntimeError when optviz's is missing:
        the package is broken; Qt's may be absent, then its standard buttons stay English)."""
        name = QT_LOCALES[code]
        ours = QtCore.QTranslator(self)
        path = TRANSLATIONS_DIR / f"optviz_{name}.qm"
        if not ours.load(str(path)):
            raise RuntimeError(f"cannot load the translation {path}")
        out = [ours]
        qt = QtCore.QTranslator(self)
        qt_dir = QtCore.QLibraryInfo.path(QtCore.QLibraryInfo.LibraryPath.TranslationsPath)
        if qt.load(f"qtbase_{name}", qt_dir):
            out.append(qt)
        return out


_language: Language | None = None


def language() -> Language:
    """The application's one :class:`Language` (created on first use, owned by the application)."""
    global _language
    app = QtCore.QCoreApplication.instance()
    if _language is None or _language.parent() is not app:
        _language = Language(app)
    return _language


def core_text(text: str) -> str:
    """A name or description from the layers below the app (a landscape's title, a
    hyperparameter's meaning, ...) in the current language."""
    return localize(text, language().code)

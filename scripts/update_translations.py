"""Keep the window's Chinese translation in step with the code.

    .venv/bin/python scripts/update_translations.py           # refresh the .ts from the code, compile the .qm
    .venv/bin/python scripts/update_translations.py --check   # exit 1 and list what is missing or stale

The window's strings are ``self.tr("...")`` / ``translate(context, "...")`` calls in
``optviz/app``. ``pyside6-lupdate`` collects them into ``optviz/app/translations/optviz_zh_CN.ts``
(new ones marked unfinished, vanished ones dropped); translate the unfinished ones there (Qt
Linguist, ``pyside6-linguist``, or any text editor: the ``<translation>`` element, without
``type="unfinished"``), then run this again to compile ``optviz_zh_CN.qm`` (``pyside6-lrelease``),
which the package ships and :mod:`optviz.app.language` loads. Names from the layers below the app
and what the scene draws are in ``optviz/render/texts.py`` instead.

``--check`` (run by tests/test_i18n.py) reports every string of the code that the .ts lacks or
leaves unfinished, every translation whose ``{placeholders}`` differ from its source's, and a .qm
that is not what the .ts compiles to.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "optviz" / "app"
TS = APP / "translations" / "optviz_zh_CN.ts"
QM = TS.with_suffix(".qm")
LUPDATE_OPTIONS = ["-locations", "none", "-no-obsolete", "-source-language", "en", "-target-language", "zh_CN"]
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def tool(name: str) -> str:
    """The PySide6 tool ``name`` (``pyside6-lupdate``): beside this Python, else on PATH;
    FileNotFoundError when neither has it."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found beside {sys.executable} or on PATH (it comes with PySide6)")
    return found


def sources() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in APP.rglob("*.py"))


def lupdate(ts: Path) -> None:
    subprocess.run([tool("pyside6-lupdate"), *sources(), *LUPDATE_OPTIONS, "-ts", str(ts)], cwd=ROOT, check=True,
                   capture_output=True, text=True)


def lrelease(ts: Path, qm: Path) -> None:
    subprocess.run([tool("pyside6-lrelease"), str(ts), "-qm", str(qm)], check=True, capture_output=True, text=True)


def messages(ts: Path) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(context, source) -> (translation, its type: None when finished, else "unfinished"/"vanished"/...)."""
    out = {}
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            out[(name, message.findtext("source") or "")] = (
                translation.text or "" if translation is not None else "",
                translation.get("type") if translation is not None else "unfinished")
    return out


def problems() -> list[str]:
    """What keeps the committed .ts/.qm from matching the code (empty: nothing)."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "fresh.ts"
        lupdate(fresh)
        wanted = set(messages(fresh))
        have = messages(TS)
        for key in sorted(wanted):
            text, kind = have.get(key, ("", "missing"))
            if kind is not None or not text:
                out.append(f"{TS.name}: {kind or 'empty'} translation of [{key[0]}] {key[1]!r}")
            elif sorted(_PLACEHOLDER.findall(text)) != sorted(_PLACEHOLDER.findall(key[1])):
                out.append(f"{TS.name}: [{key[0]}] {key[1]!r}: the translation {text!r} has other placeholders")
        out += [f"{TS.name}: [{c}] {s!r} is no longer in the code (run scripts/update_translations.py)"
                for c, s in sorted(set(have) - wanted)]
        compiled = Path(tmp) / "fresh.qm"
        lrelease(TS, compiled)
        if not QM.exists() or QM.read_bytes() != compiled.read_bytes():
            out.append(f"{QM.name} is not what {TS.name} compiles to (run scripts/update_translations.py)")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 if the .ts or .qm is stale")
    args = ap.parse_args(argv)
    if args.check:
        found = problems()
        for line in found:
            print(line)
        print(f"{len(found)} problem(s)" if found else "translations up to date")
        return 1 if found else 0
    lupdate(TS)
    lrelease(TS, QM)
    unfinished = [key for key, (_text, kind) in messages(TS).items() if kind is not None]
    for context, source in unfinished:
        print(f"unfinished: [{context}] {source!r}")
    print(f"{TS.relative_to(ROOT)}: {len(messages(TS))} strings, {len(unfinished)} unfinished; "
          f"{QM.relative_to(ROOT)} compiled")
    return 0


if __name__ == "__main__":
    sys.exit(main())

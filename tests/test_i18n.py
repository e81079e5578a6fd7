"""Chinese and English: the window switched live, the choice remembered, the locale as default, the
translation files complete and compiled, the catalogue of names from the layers below, figures in
Chinese on request, and the presets' own translations."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
PRESETS = sorted((ROOT / "optviz" / "presets").glob("*.toml"))
CJK = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def _script():
    spec = importlib.util.spec_from_file_location("update_translations", ROOT / "scripts" / "update_translations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def english_after():
    """The application-wide language back to English after the test (other tests read English)."""
    yield
    from optviz.app.language import language

    language().set_language("en")


# ---------------------------------------------------------------- translation files
def test_the_ts_translates_every_string_of_the_window_and_the_qm_is_compiled_from_it():
    """Fails when a string in optviz/app has no finished translation, a translation's {placeholders}
    differ from its source's, the .ts keeps strings the code no longer has, or the .qm is stale."""
    script = _script()
    try:
        found = script.problems()
    except FileNotFoundError as error:  # PySide6 without its tools: nothing to compare with
        pytest.skip(str(error))
    assert found == [], "\n".join(found)


def test_the_check_notices_an_untranslated_string_and_a_stale_qm(tmp_path, monkeypatch):
    """The completeness check is not vacuous: an unfinished entry and a .qm of another .ts are found."""
    script = _script()
    try:
        script.tool("pyside6-lupdate")
    except FileNotFoundError as error:
        pytest.skip(str(error))
    ts = tmp_path / "optviz_zh_CN.ts"
    text = script.TS.read_text(encoding="utf-8")
    ts.write_text(text.replace("<translation>暂停</translation>", '<translation type="unfinished"></translation>', 1),
                  encoding="utf-8")
    qm = tmp_path / "optviz_zh_CN.qm"
    qm.write_bytes(script.QM.read_bytes())
    monkeypatch.setattr(script, "TS", ts)
    monkeypatch.setattr(script, "QM", qm)
    found = script.problems()
    assert any("unfinished translation of [TransportBar] 'Pause'" in line for line in found), found
    assert any(line.startswith("optviz_zh_CN.qm is not what") for line in found), found


def test_the_compiled_translation_is_package_data():
    table = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = table["tool"]["setuptools"]["package-data"]["optviz"]
    for path in ("app/translations/optviz_zh_CN.qm", "app/translations/optviz_zh_CN.ts", "presets/01.toml"):
        assert any(fnmatch(path, g) for g in globs), (path, globs)
    assert (ROOT / "optviz" / "app" / "translations" / "optviz_zh_CN.qm").stat().st_size > 1000


# ---------------------------------------------------------------- the catalogue (render/texts.py)
def _texts_from_below() -> list[str]:
    """Every name and description that the layers below the app define and the window shows."""
    from optviz.core.data import MODELS
    from optviz.core.landscapes import LANDSCAPES
    from optviz.core.optimizers import DECAY_TEXT, OPTIMIZERS
    from optviz.core.schedules import SCHEDULES
    from optviz.experiment import vocabulary
    from optviz.render.writer_registry import registry

    out = []
    for spec in LANDSCAPES.values():
        out += [spec.title, spec.description, *(p.doc for p in spec.params)]
    for m in MODELS:
        out += [m.title, m.description]
    for spec in OPTIMIZERS.values():
        out += [spec.title, spec.summary, *(h.doc for h in spec.hypers), *(d.label for d in spec.state_docs),
                *(f.meaning for f in spec.factors)]
    for spec in SCHEDULES.values():
        out += [spec.title, *(p.doc for p in spec.params)]
    out += list(vocabulary.SIDE_PLOTS.values()) + list(vocabulary.PARTICLE_MODES.values())
    out += [vocabulary.FUTURE_MODES["ghost"], *DECAY_TEXT.values()]
    out += [w.title for kind in ("figure", "animation") for w in registry.writers(kind)]
    return [t for t in out if t]


def test_the_catalogue_has_every_name_from_the_layers_below():
    from optviz.render.texts import ZH

    missing = sorted({t for t in _texts_from_below() if t not in ZH})
    assert not missing, "add to optviz/render/texts.py ZH:\n" + "\n".join(map(repr, missing))


def test_catalogue_entries_keep_their_placeholders_and_are_chinese():
    from optviz.render.texts import ZH

    for source, text in ZH.items():
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(source)), source
        # a proper name may stay as it is; a changed text with English words in it is Chinese
        if text != source and re.search(r"[A-Za-z]{2,}", PLACEHOLDER.sub("", source)):
            assert CJK.search(text), (source, text)


def _half_width_beside_chinese(text: str) -> list[str]:
    """ASCII , : ; ! ? ( ) touching a Chinese character (Chinese text takes the full-width forms,
    as in the lecture notes; a menu mnemonic "(&F)" and a file filter's ";;" keep Qt's ASCII forms)."""
    text = re.sub(r"\(&.\)|\);;", " ", text)
    return [text[max(0, m.start() - 8):m.end() + 8]
            for m in re.finditer(r"[\u4e00-\u9fff][,:;!?()]|[,:;!?()][\u4e00-\u9fff]", text)]


def test_chinese_texts_use_full_width_punctuation():
    import xml.etree.ElementTree as ET

    from optviz.render.texts import ZH

    texts = list(ZH.values())
    texts += [m.findtext("translation") or "" for m in ET.parse(_script().TS).getroot().iter("message")]
    for path in PRESETS:
        texts += tomllib.loads(path.read_text(encoding="utf-8")).get("translations", {}).get("zh", {}).values()
    found = [spot for text in texts for spot in _half_width_beside_chinese(text)]
    assert not found, found
    assert _half_width_beside_chinese("损失(中位数)") and not _half_width_beside_chinese("文件(&F)")


def test_localize_and_its_bad_language():
    from optviz.render.texts import check_language, localize, localize_format

    assert localize("Cosine annealing", "zh") == "余弦退火"
    assert localize("Cosine annealing", "en") == "Cosine annealing"
    assert localize("a text nobody translated", "zh") == "a text nobody translated"
    assert localize_format("step {step} / {total}", "zh", step="1,000", total="2,000") == "第 1,000 / 2,000 步"
    with pytest.raises(ValueError, match=r"language: 'fr' is not allowed; one of 'en', 'zh'"):
        check_language("fr")


# ---------------------------------------------------------------- experiments and presets
def _exp(**extra):
    from optviz.experiment import Experiment

    table = {"title": "Adam vs SGD", "caption": "Adam turns.", "run": {"steps": 20},
             "groups": [{"label": "Adam, lr = 0.05", "optimizer": "adam", "hyper": {"lr": 0.05}},
                        {"label": "SGD", "optimizer": "sgd", "hyper": {"lr": 0.001}}]}
    table.update(extra)
    return Experiment.from_dict(table)


def test_an_experiment_translates_its_title_caption_and_labels_and_saves_them():
    import dataclasses

    from optviz.experiment.toml_io import experiment_from_toml, experiment_to_toml

    exp = _exp(translations={"zh": {"Adam vs SGD": "Adam 对比 SGD", "Adam turns.": "Adam 转弯了。",
                                    "Adam, lr = 0.05": "Adam,lr = 0.05"}})
    assert exp.translated("Adam vs SGD", "zh") == "Adam 对比 SGD"
    assert exp.translated("SGD", "zh") == "SGD"  # not translated: as written
    assert exp.translated("Adam vs SGD", "en") == "Adam vs SGD"
    text = experiment_to_toml(exp)
    assert '[translations.zh]\n"Adam vs SGD" = "Adam 对比 SGD"\n' in text
    assert experiment_from_toml(text) == exp
    # a renamed title takes its old translation out of the saved file (it would no longer match)
    renamed = dataclasses.replace(exp, title="Adam against SGD")
    assert renamed.translated("Adam against SGD", "zh") == "Adam against SGD"
    assert "Adam vs SGD" not in renamed.to_dict()["translations"]["zh"]
    assert experiment_from_toml(experiment_to_toml(renamed)).translations["zh"]["Adam turns."] == "Adam 转弯了。"
    assert "translations" not in _exp().to_dict()  # none: no table (files stay as they were)


@pytest.mark.parametrize("table, message", [
    ({"fr": {}}, "unknown field 'fr' in translations; allowed: zh"),
    ({"zh": {"Adam vs. SGD": "x"}}, "translations.zh: 'Adam vs. SGD' is not the title, the caption or a group "
                                    "label of this experiment"),
    ({"zh": {"SGD": 1}}, "translations.zh: the translation of 'SGD' = 1 must be a string of at most 500"),
    ({"zh": "SGD"}, "translations.zh = 'SGD' must be a table"),
    ("zh", "translations = 'zh' must be a table"),
])
def test_bad_translations_are_refused_naming_the_field(table, message):
    from optviz.experiment import ExperimentError

    with pytest.raises(ExperimentError) as info:
        _exp(translations=table)
    assert message in str(info.value)


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_every_preset_has_its_title_and_caption_in_chinese(path):
    from optviz.experiment import load_experiment
    from optviz.experiment.toml_io import experiment_from_toml, experiment_to_toml

    exp = load_experiment(path)
    for text in (exp.title, exp.caption):
        assert CJK.search(exp.translated(text, "zh")), (path.name, text)
    # a label with an English word in it is translated too ("Momentum 0.9"; "Adam, lr = 0.1" is a name)
    words = {"Adam", "AdamW", "Adamax", "AdaGrad", "Adadelta", "RMSProp", "NAdam", "RAdam", "Lion", "SGD", "GD",
             "Nesterov", "lr", "weight_decay", "L2", "t", "B"}
    for g in exp.groups:
        if set(re.findall(r"[A-Za-z_]+[0-9]*", g.label)) - words:
            assert CJK.search(exp.translated(g.label, "zh")), (path.name, g.label)
    assert experiment_from_toml(experiment_to_toml(exp), base_dir=str(path.parent)) == exp


def test_the_presets_menu_titles_follow_the_language():
    from optviz.app.files import presets

    english = presets()
    chinese = presets("zh")
    assert [p for _t, p in english] == [p for _t, p in chinese] == PRESETS
    assert all(CJK.search(t) for t, _p in chinese)
    assert english[3][0] == "Why Adam corrects its bias" and chinese[3][0] == "Adam 为什么要做偏差修正"


# ---------------------------------------------------------------- the scene and headless figures
def test_the_scene_draws_in_chinese_when_asked_and_in_english_by_default():
    from optviz.experiment import run_experiment
    from optviz.render.options import resolve_options
    from optviz.render.qt import ensure_app, shutdown_widgets
    from optviz.render.scene import Scene

    ensure_app()
    exp = _exp(translations={"zh": {"Adam vs SGD": "Adam 对比 SGD", "Adam, lr = 0.05": "Adam,lr = 0.05"}})
    result = run_experiment(exp)
    scene = Scene(interactive=False)
    try:
        scene.set_experiment(exp)
        scene.set_side_plots(["loss", "lr", "bias_correction"])
        scene.set_data(result, frame=-1)
        english = dict(scene.side._titles)
        assert english["loss"] == "loss" or english["loss"].startswith("loss")
        assert "Adam vs SGD" in scene.title.text and scene.step_text.textItem.toPlainText() == "step 20 / 20"
        scene.apply_options(resolve_options({"language": "zh"}))
        assert scene.language == "zh"
        assert scene.side._titles["loss"].startswith("损失")
        assert scene.side._titles["bias"] == "偏差修正及其他随步数变化的因子，对数坐标"
        assert "Adam 对比 SGD" in scene.title.text and "Rosenbrock 函数" in scene.title.text
        assert scene.step_text.textItem.toPlainText() == "第 20 / 20 步"
        legend = [item[1].text.replace("<br>", " ") for item in scene.legend.items]  # lines joined
        assert "Adam,lr = 0.05" in legend and "SGD" in legend
        assert list(scene.side.plots.values())[-1].getAxis("bottom").labelText == "步数"
        scene.set_language("en")
        assert scene.side._titles == english
        scene.set_side_plots(["converged"])  # the race (maps' statistics), asked for
        assert scene.side._titles["converged"].startswith("% within ε = ")
        scene.set_language("zh")
        assert scene.side._titles["converged"].startswith("损失与最小值相差不到 ε = ")
    finally:
        shutdown_widgets(scene)


def test_render_option_language_is_checked():
    from optviz.render.options import RenderOptionError, resolve_options

    assert resolve_options({}).language is None
    assert resolve_options({"language": "zh"}).language == "zh"
    assert "language" not in resolve_options({}).to_table()
    with pytest.raises(RenderOptionError, match=r"language: 'de' is not allowed; one of 'en', 'zh'"):
        resolve_options({"language": "de"})


def test_a_headless_figure_is_english_unless_its_render_table_says_zh(tmp_path):
    """The command line's figures stay as they were; ``[render] language = "zh"`` draws Chinese
    (pixels differ) and is recorded with the figure."""
    from PIL import Image

    from optviz.render import figure

    exp = _exp()
    en = figure(exp, tmp_path / "en.png", size=(480, 320))
    exp.render["language"] = "zh"
    zh = figure(exp, tmp_path / "zh.png", size=(480, 320))
    assert 'language = "zh"' in zh.metadata and "language" not in en.metadata
    a = np.asarray(Image.open(en.path).convert("L"), dtype=np.int16)
    b = np.asarray(Image.open(zh.path).convert("L"), dtype=np.int16)
    assert a.shape == b.shape and np.count_nonzero(a != b) > 200


# ---------------------------------------------------------------- the language setting
def test_the_default_language_follows_the_system_locale():
    from PySide6 import QtCore

    from optviz.app.language import system_language

    assert system_language(QtCore.QLocale("zh_CN")) == "zh"
    assert system_language(QtCore.QLocale("zh_TW")) == "zh"
    assert system_language(QtCore.QLocale("en_GB")) == "en"
    assert system_language(QtCore.QLocale("de_DE")) == "en"
    code = "from optviz.app.language import system_language; print(system_language())"
    base = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    for lang, want in (("zh_CN.UTF-8", "zh"), ("en_US.UTF-8", "en"), ("C", "en")):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**base, "LANG": lang}, capture_output=True,
                             text=True, timeout=120)
        assert out.stdout.strip() == want, (lang, out.stdout, out.stderr)


def test_the_saved_choice_wins_over_the_locale(tmp_path):
    from PySide6 import QtCore

    from optviz.app.language import saved_language, system_language

    settings = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    assert saved_language(settings) == system_language()
    settings.setValue("language", "zh")
    assert saved_language(settings) == "zh"
    settings.setValue("language", "klingon")  # a damaged file: the locale's
    assert saved_language(settings) == system_language()


def _menu_texts(w) -> dict[str, str]:
    return {k: m.title() for k, m in w.menus_.items()}


def test_switching_the_language_retranslates_the_open_window(win, english_after):
    """View > Language: menus, actions, docks, transport, status bar, panels and scene change at once,
    and back; the choice is stored in the window's settings."""
    from PySide6 import QtWidgets

    w = win
    assert w.actions_["open"].text() == "&Open…" and w.actions_["play"].text() == "Play / Pause"
    assert w.docks["editor"].windowTitle() == "Group editor"
    assert w.transport.step_btn.text() == "Step" and w.status.kernel_label.text() == "kernels ready"
    assert w.language_actions["en"].isChecked() and not w.language_actions["zh"].isChecked()
    english_menus = _menu_texts(w)

    w.language_actions["zh"].trigger()
    assert w.settings.value("language") == "zh"
    assert w.language_actions["zh"].isChecked()
    assert _menu_texts(w)["file"] == "文件(&F)" and _menu_texts(w)["view"] == "视图(&V)"
    assert w.actions_["open"].text() == "打开(&O)…" and w.actions_["play"].text() == "播放 / 暂停"
    assert w.actions_["solo"].statusTip().startswith("只显示选中的组")
    assert w.docks["editor"].windowTitle() == "组编辑器"
    assert w.docks["inspector"].toggleViewAction().text() == "粒子检查器"
    assert w.transport.step_btn.text() == "单步" and w.transport.time_label.text().startswith("第 ")
    assert w.status.kernel_label.text() == "内核已就绪"
    assert w.status.particles_label.text().endswith("个粒子")
    assert w.view_controls.side_actions["loss"].text() == "损失"
    assert w.view_controls.menus["side"].title() == "侧边图"
    assert w.experiment_panel.labels["landscape"].text() == "损失曲面"
    assert w.experiment_panel.landscape.currentText() == "Rosenbrock 函数"
    labels = [lab.text() for lab in w.editor.findChildren(QtWidgets.QLabel)]
    assert "优化器" in labels and any("更新规则" in t for t in labels)
    assert w.inspector.head.text() == "在损失曲面上点击一个粒子来查看它。"
    assert w.scene.language == "zh" and all(CJK.search(t) for t in w.scene.side._titles.values())
    assert ("新建", "Ctrl+N") in w.shortcut_rows()

    w.language_actions["en"].trigger()
    assert w.settings.value("language") == "en"
    assert _menu_texts(w) == english_menus
    assert w.actions_["open"].text() == "&Open…" and w.docks["editor"].windowTitle() == "Group editor"
    assert w.status.kernel_label.text() == "kernels ready"
    assert w.experiment_panel.landscape.currentText() == "Rosenbrock"


def test_a_preset_opened_in_chinese_shows_its_chinese_title_caption_and_labels(win, english_after):
    from PySide6 import QtCore

    w = win
    w.set_language("zh")
    assert w.open_path(ROOT / "optviz" / "presets" / "04_adam_bias_correction.toml", as_preset=True)
    w.playback.playing = False
    assert "Adam 为什么要做偏差修正" in w.windowTitle()
    assert "m 和 v 从 0 开始" in w.scene.title.text
    shown = [w.group_list.list.item(i).text() for i in range(w.group_list.list.count())]
    assert shown == ["Adam（偏差修正），lr = 0.02", "Adam 无偏差修正，lr = 0.02"]
    # the document keeps the file's text; ticking a group's box does not rename it to its translation
    w.group_list.list.item(0).setCheckState(QtCore.Qt.CheckState.Unchecked)
    assert w.doc.group(0).label == "Adam (bias-corrected), lr = 0.02" and not w.doc.group(0).visible
    w.set_language("en")
    assert "Why Adam corrects its bias" in w.scene.title.text
    assert w.group_list.list.item(1).text() == "Adam without bias correction, lr = 0.02"


def _explain_and_3d_texts(w) -> dict[str, str]:
    panel, v = w.explain.panel, w.view3d
    return {"dock": w.docks["explain"].windowTitle(), "toggle": w.explain.actions["explain"].text(),
            "next_key": w.explain.actions["explain_next"].text(), "previous": panel.previous_btn.text(),
            "next": panel.next_btn.text(), "update": panel.update_btn.text(), "head": panel.head.text(),
            "value": panel.values.horizontalHeaderItem(0).text(), "first": panel.steps.item(0).text(),
            "text": panel.text.text(), "arrow": w.explain.overlay.labels["gradient"].textItem.toPlainText(),
            "dock3d": v.dock.windowTitle(), "action3d": v.action.text(), "reset": v.view3d.reset_button.text(),
            "height": v.view3d.height_label.text(), "header3d": v.view3d.header.text(),
            "message3d": v.view3d.message.text()}


def test_the_explain_panel_and_the_3d_view_switch_language_live(win, qtbot, english_after):
    """View > Language also retranslates the Explain dock (title, actions, header, buttons, sub-step
    texts, the arrows' labels) and the 3-D view (title, action, controls, header, the no-OpenGL
    message), and back."""
    from PySide6 import QtGui

    w = win
    w.explain.show()
    w.view3d.action.trigger()
    qtbot.waitUntil(lambda: w.explain.model.current is not None and w.explain.overlay.isVisible(), timeout=120_000)
    offscreen = QtGui.QGuiApplication.platformName() == "offscreen"
    if offscreen:  # no OpenGL there: the view shows its message instead
        qtbot.waitUntil(lambda: w.view3d.view3d.problem is not None, timeout=60_000)
    english = _explain_and_3d_texts(w)
    assert english["dock"] == "Explain" and english["next"] == "Next ▶" and english["reset"] == "Reset camera"
    assert english["head"].startswith("particle 0 of <b>") and english["first"] == "1. Gradient"

    w.set_language("zh")
    zh = _explain_and_3d_texts(w)
    assert zh["dock"] == "分步讲解" and zh["toggle"] == "逐步讲解一次更新(&E)"
    assert zh["next_key"] == "分步讲解：下一个子步骤"
    assert (zh["previous"], zh["next"], zh["update"]) == ("◀ 上一子步", "下一子步 ▶", "下一次更新 »")
    assert " 的粒子 #0<br>更新 t = 1：θ<sub>0</sub>" in zh["head"] and zh["value"] == "值"
    assert zh["first"] == "1. 梯度" and zh["text"].startswith("<b>梯度</b>：") and CJK.search(zh["text"][12:])
    assert re.fullmatch(r"−g\S*（(绘制比例 ×[0-9.e+-]+|实际大小)）", zh["arrow"]), zh["arrow"]
    assert (zh["dock3d"], zh["action3d"], zh["reset"], zh["height"]) == ("三维视图", "三维视图", "重置视角", "高度比例")
    assert ("三维视图", "3") in w.shortcut_rows() and ("分步讲解：下一次更新", "U") in w.shortcut_rows()
    if offscreen:
        assert zh["header3d"] == "<b>三维视图</b>"
        assert "三维视图需要 OpenGL，但这里没有" in zh["message3d"] and "平台无法创建 OpenGL 上下文" in zh["message3d"]
    else:
        assert CJK.search(zh["header3d"])

    w.set_language("en")
    assert _explain_and_3d_texts(w) == english


def test_the_window_opens_in_the_saved_language(win, qtbot, english_after):
    from optviz.app.main_window import MainWindow

    win.set_language("zh")
    win.settings.sync()
    second = MainWindow(None, settings=win.settings, ask_to_save=False)
    qtbot.addWidget(second)
    second.show()
    qtbot.waitUntil(lambda: second.ready, timeout=60_000)
    try:
        assert second.menus_["file"].title() == "文件(&F)"
        assert second.transport.play_btn.text() in ("播放", "暂停")
    finally:
        second.playback.playing = False
        qtbot.waitUntil(lambda: not second.live.busy, timeout=240_000)
        second.close()


def test_the_explained_sub_steps_chinese_uses_full_width_punctuation():
    """Explain mode's Chinese lives beside each optimizer's rule (core): every string literal there
    that holds Chinese typesets it as the lecture notes do."""
    import io
    import tokenize
    from pathlib import Path

    import optviz.core

    core = Path(optviz.core.__file__).parent
    found = []
    for path in [core / "explain.py", *sorted((core / "optimizers").glob("*.py"))]:
        for token in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
            if token.type == tokenize.STRING and re.search(r"[\u4e00-\u9fff]", token.string):
                found += [f"{path.name}: {spot}" for spot in _half_width_beside_chinese(token.string)]
    assert not found, found

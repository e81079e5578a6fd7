"""Draws the 3-D view with OpenGL and prints what the frames show, as one JSON line (run by
tests/test_view3d.py under xvfb-run with QT_QPA_PLATFORM=xcb; not a test module itself).

The landscape is Rosenbrock; three particles in two groups drawn in pure red and pure blue (no
colormap entry is either), particle 2 diverging at step 2. Reported per frame: the share of
pixels that are not background, the number of colours, the particles drawn, the pure red pixels
(group 0) and an MD5 of the image; then the same after the dock floated (a window of its own);
what a drag with the mouse did; how much a second 3-D view covers while the first lives and
after it is gone; and what it draws and says for 25,000 particles (more than it draws).
"""

from __future__ import annotations

import hashlib
import json
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's optviz

import numpy as np  # noqa: E402


def _covered(img) -> float:
    """The share of pixels of ``img`` (a QImage) that are not white."""
    from PySide6 import QtGui

    img = img.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    h, w = img.height(), img.width()
    arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(h, img.bytesPerLine())
    return float((arr[:, : 3 * w].reshape(h, w, 3) != 255).any(axis=-1).mean())


def main() -> int:
    from PySide6 import QtCore, QtGui, QtWidgets

    from optviz.app.view3d import View3D
    from optviz.core.surface import builtin_surface
    from optviz.render.qt import ensure_app, shutdown_widgets
    from optviz.render.value_scale import ValueScale

    app = ensure_app()
    caught = warnings.catch_warnings(record=True)
    seen = caught.__enter__()
    warnings.simplefilter("always")

    def pump(n: int = 10) -> None:
        for _ in range(n):
            app.processEvents()

    def exposed(*views, seconds: float = 60.0) -> None:
        """Events until each view's OpenGL window is on screen (an X server under load takes its
        time to map a new window; a fixed number of event rounds is not enough then)."""
        import time

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pump(1)
            if all(v.problem is not None or (v.gl is not None and v.gl.isExposed()) for v in views):
                break
            time.sleep(0.02)
        pump(5)

    window = QtWidgets.QMainWindow()
    window.setCentralWidget(QtWidgets.QLabel("2-D"))
    dock = QtWidgets.QDockWidget("3-D view", window)
    view = View3D()
    dock.setWidget(view)
    window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.resize(1000, 700)
    window.show()
    window.resizeDocks([dock], [600], QtCore.Qt.Orientation.Horizontal)
    pump(30)
    exposed(view)
    if view.problem is not None or view.gl is None:
        print(json.dumps({"problem": view.problem or "the OpenGL view was not made"}))
        return 0

    surface = builtin_surface("rosenbrock")
    (x0, x1), (y0, y1) = surface.bounds
    values = surface.evaluate_grid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
    scale = ValueScale.fit(values, log=True, f_min=0.0)
    t = np.linspace(0, 1, 5)[:, None, None]
    start = np.array([[-1.5, 2.0], [0.0, 0.0], [1.5, -0.5]])
    end = np.array([[1.0, 1.0], [0.9, 0.8], [1.4, -0.4]])

    class Run:
        positions = (start[None] * (1 - t) + end[None] * t).astype(np.float32)
        step = np.arange(5)
        group = np.array([0, 1, 1])
        diverged_at = np.array([-1, -1, 2])

    view.set_landscape(surface, (x0, x1), (y0, y1), scale, "viridis")
    view.set_groups([(255, 0, 0), (0, 0, 255)])
    view.set_trail_length(-1)

    def shot() -> dict:
        pump(5)
        img = view.render_image().convertToFormat(QtGui.QImage.Format.Format_RGB888)
        if len(sys.argv) > 1:  # a folder to keep the frames in, to look at them
            img.save(str(Path(sys.argv[1]) / f"frame{len(frames) + bool(dock.isFloating())}.png"))
        h, w = img.height(), img.width()
        arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(h, img.bytesPerLine())
        rgb = arr[:, : 3 * w].reshape(h, w, 3)
        red = (rgb[..., 0] == 255) & (rgb[..., 1] == 0) & (rgb[..., 2] == 0)
        return {"covered": float((rgb != 255).any(axis=-1).mean()),
                "colours": int(len(np.unique(rgb.reshape(-1, 3), axis=0))),
                "particles": int(view.n_drawn), "group_pixels": int(red.sum()),
                "hidden_group_pixels": int(red.sum()), "digest": hashlib.md5(rgb.tobytes()).hexdigest()}

    frames = []
    view.set_data(Run(), frame=0)
    frames.append(shot())
    view.show_frame(3)
    frames.append(shot())
    view.set_visible_groups([1])
    view.show_frame(4)
    frames.append(shot())
    # a drag with the left button turns the camera; the window keeps the keyboard (its shortcuts)
    from PySide6 import QtTest

    window.activateWindow()
    pump(10)
    azimuth = view.gl.opts["azimuth"]
    centre = QtCore.QPoint(view.gl.width() // 2, view.gl.height() // 2)
    QtTest.QTest.mousePress(view.gl, QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier, centre)
    for dx in range(10, 110, 10):
        QtTest.QTest.mouseMove(view.gl, centre + QtCore.QPoint(dx, 0))
        pump(2)
    QtTest.QTest.mouseRelease(view.gl, QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier,
                              centre + QtCore.QPoint(100, 0))
    pump(5)
    focus = app.focusWindow()
    drag = {"turned": float(view.gl.opts["azimuth"] - azimuth), "moved_by_user": bool(view.gl.moved_by_user),
            "focus_in_3d": focus is view.gl}
    dock.setFloating(True)
    dock.resize(500, 500)
    pump(30)
    exposed(view)
    after = shot()
    # a second 3-D view (another window), drawn while the first lives and after it is gone
    second = View3D()
    second.resize(400, 400)
    second.show()
    pump(20)
    exposed(second, view)
    second.set_landscape(surface, (x0, x1), (y0, y1), scale, "viridis")
    second.set_groups([(255, 0, 0), (0, 0, 255)])
    second.set_data(Run(), frame=0)
    both = [_covered(second.render_image()), _covered(view.render_image())]
    shutdown_widgets(window)
    pump(10)
    both.append(_covered(second.render_image()))
    # more particles than the view draws: an even sample, and the view says so
    rng = np.random.default_rng(0)

    class Crowd:
        positions = rng.uniform([-2.0, -1.0], [2.0, 3.0], (2, 25_000, 2)).astype(np.float32)
        step = np.arange(2)
        group = np.repeat([0, 1], [5_000, 20_000])
        diverged_at = np.full(25_000, -1)

    second.set_data(Crowd(), frame=1)
    crowd = {"drawn": int(second.n_drawn), "counts": second.counts.text()}
    # View > Language: the texts follow a switch, those drawn on the surface too
    from optviz.app.language import language

    language().set_language("zh")
    second.retranslate()
    zh = {"labels": [label.text for label in second._labels], "counts": second.counts.text(),
          "reset": second.reset_button.text(), "covered": _covered(second.render_image())}
    language().set_language("en")
    second.retranslate()
    zh["labels_after"] = [label.text for label in second._labels]
    caught.__exit__(None, None, None)
    errors = [str(w.message) for w in seen] + ([view.problem] if view.problem else [])
    print(json.dumps({"problem": None, "frames": frames, "after_float": after, "drag": drag,
                      "second_view": both, "crowd": crowd, "zh": zh, "errors": errors}))
    shutdown_widgets(second)
    return 0


if __name__ == "__main__":
    sys.exit(main())

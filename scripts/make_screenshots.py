"""Screenshots of the real window playing every preset (optviz/presets/), as a student sees it.

    QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1280x800x24" \\
        .venv/bin/python scripts/make_screenshots.py --size 1280x800 [--only NAME ...] [--language zh]

For each preset it opens ``MainWindow`` on the preset (fresh settings, so no
saved preference leaks in), waits until the window is built and the kernels
are compiled, clicks Play, and grabs the whole screen twice:

* ``FIVE_S`` seconds after Play: ``resources/screenshots/NAME_WxH.png`` (committed;
  what a student sees within five seconds);
* when the run has finished: ``--end-dir/NAME_WxH.png`` (default: a temporary
  folder; nothing hidden at the end?).

Then explain mode (:data:`EXPLAIN_SHOTS`): a preset stepped to a chosen step, the Explain dock
open on a group's first particle at a chosen sub-step, the window in English and in Chinese:
``resources/screenshots/NAME_LANG_WxH.png`` (``--only NAME`` takes these names too).

With ``--language zh`` the window is in Simplified Chinese (View > Language) and the files are
``NAME_zh_WxH.png``. PNGs are reduced to 256 colours without dithering to stay small. It prints,
per preset, the optimizer step reached at 5 s and the drawn frame rate.

Views beyond the presets' default window (``VIEWS``, chosen with ``--only NAME`` like a preset):

* ``view3d`` — "3-D view": preset 08 (the saddle point) with View > 3-D view on, paused mid-run
  (step 60), the camera turned to look from the north-west (down the side the particles escape
  to): ``resources/screenshots/view3d_WxH.png``.
* ``map_basins`` — the Map dock on preset 12 (GD's basins on Himmelblau, the race table filled after
  3 s of play): ``resources/screenshots/map_basins_WxH.png``.
* ``map_phase`` — the Map dock on preset 13 (heavy ball's phase diagram), zoomed onto the stability
  edge (lr 0.02 to 0.5): ``resources/screenshots/map_phase_WxH.png``.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's optviz, not an installed one
PRESETS = ROOT / "optviz" / "presets"
SHOTS = ROOT / "resources" / "screenshots"
FIVE_S = 5.0
READY_TIMEOUT = 600.0  # a cold kernel cache compiles for minutes
RUN_TIMEOUT = 300.0


class WindowDriver:
    """Everything this script knows about ``MainWindow``: keep window access here only."""

    def __init__(self, path: Path, settings_file: Path, language: str = "en"):
        from PySide6 import QtCore

        from optviz.app.language import SETTINGS_KEY
        from optviz.app.main_window import MainWindow

        settings = QtCore.QSettings(str(settings_file), QtCore.QSettings.Format.IniFormat)
        settings.setValue(SETTINGS_KEY, language)  # as if chosen in View > Language before
        self.window = MainWindow(path, ask_to_save=False, settings=settings)
        self.window.show()

    def ready(self) -> bool:
        """Built, the start positions shown and the kernels compiled (Play starts at once)."""
        w = self.window
        return bool(w.ready and w.playback.n_frames > 0 and not w.status.kernel_progress.isVisible()
                    and w.status.kernels_ready)

    def press_play(self) -> None:
        self.window.transport.play_btn.click()

    def pause(self) -> None:
        self.window.playback.playing = False

    def show_3d(self) -> None:
        """View > 3-D view, as its shortcut would."""
        self.window.view3d.action.trigger()

    def look_from_3d(self, azimuth: float, elevation: float) -> None:
        """Turn the 3-D view's camera to this direction (as a drag would), framing the surface."""
        self.window.view3d.view3d.look_from(azimuth, elevation)

    def view3d_state(self) -> str:
        v = self.window.view3d.view3d
        return "drawing" if v.drawing else f"not drawing: {v.problem}"

    def map_done(self) -> bool:
        """The Map dock shows its map at full resolution."""
        panel = self.window.map_view.panel
        return (self.window.map_view.dock.isVisible() and panel.result is not None and not panel._computing
                and len(panel.result.x) == panel.config.x.n)

    def map_state(self) -> str:
        panel = self.window.map_view.panel
        c = panel.config
        return (f"{c.kind} map {c.x.n} x {c.y.n}, {c.metric}, x {c.x.low:.4g}..{c.x.high:.4g}, "
                f"y {c.y.low:.4g}..{c.y.high:.4g}, {panel.seconds:.2f} s")

    def zoom_map(self, x_range, y_range) -> None:
        self.window.map_view.panel.set_extent(x_range, y_range)

    def step(self) -> int:
        return int(self.window.playback.step)

    def finished(self) -> bool:
        pb = self.window.playback
        return bool(pb.finished and pb.frame >= pb.n_frames - 1)

    def explain(self, group: int, step: int, substep: str) -> bool:
        """Step the run to ``step``, open the Explain dock on ``group``'s first particle at sub-step
        ``substep`` (in the window's language); whether it got there within the timeout."""
        w = self.window
        w.selection.group = group
        w.session.step(step)
        if not _pump(RUN_TIMEOUT, lambda: w.playback.cursor_step == step):
            return False
        w.explain.show()
        model = w.explain.model
        if not _pump(RUN_TIMEOUT, lambda: model.explanation is not None and model.explanation.step == step
                     and bool(model.substeps)):
            return False
        return model.go([s.key for s in model.substeps].index(substep))

    def close(self) -> None:
        from optviz.render.qt import shutdown_widgets

        shutdown_widgets(self.window)


def _pump(seconds: float, until=None) -> bool:
    """Process Qt events for ``seconds`` or until ``until()`` is true (returned)."""
    from PySide6 import QtCore, QtWidgets

    app = QtWidgets.QApplication.instance()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        if until is not None and until():
            return True
    return until is not None and until()


def _grab(out: Path, method: str = "MAXCOVERAGE") -> None:
    """The screen into ``out``, reduced to 256 colours by PIL's quantize ``method``."""
    from PIL import Image
    from PySide6 import QtCore, QtGui, QtWidgets

    app = QtWidgets.QApplication.instance()
    shot = app.primaryScreen().grabWindow(0).toImage().convertToFormat(QtGui.QImage.Format.Format_RGB888)
    buf = QtCore.QBuffer()
    buf.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    shot.save(buf, "PNG")
    img = Image.open(io.BytesIO(bytes(buf.data()))).convert("RGB")
    img = img.quantize(256, method=getattr(Image.Quantize, method), dither=Image.Dither.NONE)
    out.parent.mkdir(parents=True, exist_ok=True)
    img.save(out, optimize=True)


def warm_up(path: Path, settings_dir: Path) -> None:
    """Play one preset for a few seconds first: a process's first Play compiles and caches
    lazily (measured: 7 steps/s in the first 5 s against 40-60 later), which would make the
    first screenshot show less than a student sees once the app has run once."""
    driver = WindowDriver(path, settings_dir / "warm_up.ini")
    try:
        if _pump(READY_TIMEOUT, driver.ready):
            driver.press_play()
            _pump(FIVE_S)
    finally:
        driver.close()


def shoot(path: Path, size: str, out_dir: Path, end_dir: Path, settings_dir: Path, language: str = "en") -> str:
    driver = WindowDriver(path, settings_dir / f"{path.stem}.ini", language)
    name = f"{path.stem}_{size}.png" if language == "en" else f"{path.stem}_{language}_{size}.png"
    try:
        if not _pump(READY_TIMEOUT, driver.ready):
            raise RuntimeError(f"{path.name}: the window was not ready within {READY_TIMEOUT:.0f} s")
        _pump(0.5)  # let the first frame settle
        driver.press_play()
        t0 = time.perf_counter()
        _pump(FIVE_S)
        at = driver.step()
        fps = at / (time.perf_counter() - t0)
        _grab(out_dir / name)
        done = _pump(RUN_TIMEOUT, driver.finished)
        _pump(0.5)
        _grab(end_dir / name)
        return (f"{path.stem}: step {at} at {FIVE_S:.0f} s ({fps:.0f} steps/s), "
                f"end step {driver.step()}{'' if done else ' (not finished)'}")
    finally:
        driver.close()


#: Explain-mode screenshots: (name, preset, group, step, sub-step): a sub-step where the arrows say something.
EXPLAIN_SHOTS = (
    # the gradient already points back, the velocity still carries the particle on
    ("explain_momentum", "01_momentum_ravine", 1, 22, "step"),
    # the per-axis bars √E[g²] against the gradient: equal-sized steps from unequal gradients
    ("explain_rmsprop", "02_adagrad_vs_rmsprop", 1, 14, "step"),
    # m̂ (direction) over √v̂ (scale, per axis, as large as the gradient's components): a step of about
    # η in x and in y, tilted from −g, though g_x is three times g_y
    ("explain_adam", "04_adam_bias_correction", 0, 1, "step"),
)


def shoot_explain(name: str, preset: str, group: int, step: int, substep: str, size: str, out_dir: Path,
                  settings_dir: Path) -> str:
    lines = []
    for language in ("en", "zh"):
        driver = WindowDriver(PRESETS / f"{preset}.toml", settings_dir / f"{name}_{language}.ini", language)
        try:
            if not _pump(READY_TIMEOUT, driver.ready):
                raise RuntimeError(f"{preset}: the window was not ready within {READY_TIMEOUT:.0f} s")
            if not driver.explain(group, step, substep):
                raise RuntimeError(f"{name}: explain mode did not reach step {step}, sub-step {substep!r}")
            _pump(0.8)
            _grab(out_dir / f"{name}_{language}_{size}.png", method="FASTOCTREE")  # greys stay grey
            lines.append(f"{name} ({language}): {preset}, group {group}, step {step}, sub-step {substep}")
        finally:
            driver.close()
    return "\n".join(lines)


def shoot_view3d(size: str, out_dir: Path, settings_dir: Path, at_step: int = 60,
                 preset: str = "08_saddle_point", camera: tuple[float, float] | None = (125.0, 35.0)) -> str:
    """The "3-D view" entry: a preset with the 3-D view shown, paused at ``at_step``, the camera
    turned to (azimuth, elevation) in degrees (None: where it starts)."""
    path = PRESETS / f"{preset}.toml"
    driver = WindowDriver(path, settings_dir / "view3d.ini")
    try:
        if not _pump(READY_TIMEOUT, driver.ready):
            raise RuntimeError(f"{path.name}: the window was not ready within {READY_TIMEOUT:.0f} s")
        driver.show_3d()
        _pump(1.0)
        driver.press_play()
        _pump(RUN_TIMEOUT, lambda: driver.step() >= at_step)
        driver.pause()
        if camera is not None:
            driver.look_from_3d(*camera)
        _pump(1.0)
        _grab(out_dir / f"view3d_{size}.png")
        return f"view3d: {path.stem} paused at step {driver.step()}, 3-D view {driver.view3d_state()}"
    finally:
        driver.close()


def shoot_map(name: str, preset: str, size: str, out_dir: Path, settings_dir: Path, play_s: float = 3.0,
              zoom=None) -> str:
    """A map entry: ``preset`` opened (its Map dock opens by itself), played ``play_s`` seconds (the
    race table fills), paused; the map zoomed to ``zoom`` = (x_range, y_range) when given."""
    path = PRESETS / f"{preset}.toml"
    driver = WindowDriver(path, settings_dir / f"{name}.ini")
    try:
        if not _pump(READY_TIMEOUT, driver.ready):
            raise RuntimeError(f"{path.name}: the window was not ready within {READY_TIMEOUT:.0f} s")
        _pump(RUN_TIMEOUT, driver.map_done)
        driver.press_play()
        _pump(play_s)
        driver.pause()
        if zoom is not None:
            driver.zoom_map(*zoom)
            _pump(0.3)
            _pump(RUN_TIMEOUT, driver.map_done)
        _pump(1.0)
        _grab(out_dir / f"{name}_{size}.png")
        return f"{name}: {path.stem} at step {driver.step()}, {driver.map_state()}"
    finally:
        driver.close()


#: Views beyond the presets' default window, by the name ``--only`` takes.
VIEWS = {"view3d": shoot_view3d,
         # GD's four basins on Himmelblau beside the run, with the race table
         "map_basins": lambda size, out_dir, settings_dir: shoot_map("map_basins", "12_himmelblau_basins", size,
                                                                     out_dir, settings_dir),
         # heavy ball's phase diagram zoomed onto the stability edge: the dashed analytic boundary
         # lr · λmax = 2(1 + momentum) against the computed cells, lr on a log axis
         "map_phase": lambda size, out_dir, settings_dir: shoot_map("map_phase", "13_heavy_ball_phase", size,
                                                                    out_dir, settings_dir,
                                                                    zoom=((0.02, 0.5), (0.0, 0.99)))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", required=True, help="the screen's size, WxH (as given to xvfb-run)")
    ap.add_argument("--only", nargs="*", help="preset or view names (default: all); views: " + ", ".join(VIEWS))
    ap.add_argument("--out", type=Path, default=SHOTS, help="folder of the 5-s screenshots")
    ap.add_argument("--language", choices=("en", "zh"), default="en", help="the window's language (default en)")
    ap.add_argument("--end-dir", type=Path, default=Path(tempfile.gettempdir()) / "optviz-screenshots-end",
                    help="folder of the end-of-run screenshots")
    args = ap.parse_args(argv)
    if os.environ.get("QT_QPA_PLATFORM", "xcb") != "xcb":
        print("make_screenshots: run with QT_QPA_PLATFORM=xcb under xvfb-run (a real X screen)", file=sys.stderr)
        return 2
    os.environ.setdefault("NUMBA_THREADING_LAYER", "omp")
    from optviz.render.qt import ensure_app

    app = ensure_app()
    screen = app.primaryScreen().size()
    if f"{screen.width()}x{screen.height()}" != args.size:
        print(f"make_screenshots: --size {args.size} but the screen is {screen.width()}x{screen.height()}",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as settings_dir:
        warm_up(next(iter(sorted(PRESETS.glob("*.toml")))), Path(settings_dir))
        for path in sorted(PRESETS.glob("*.toml")):
            if args.only and path.stem not in args.only:
                continue
            print(shoot(path, args.size, args.out, args.end_dir, Path(settings_dir), args.language), flush=True)
        for name, preset, group, step, substep in EXPLAIN_SHOTS:
            if args.only and name not in args.only:
                continue
            print(shoot_explain(name, preset, group, step, substep, args.size, args.out, Path(settings_dir)),
                  flush=True)
        for name, shoot_view in VIEWS.items():
            if not args.only or name in args.only:
                print(shoot_view(args.size, args.out, Path(settings_dir)), flush=True)
    print(f"5-s screenshots in {args.out}, end-of-run ones in {args.end_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

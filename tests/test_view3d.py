"""The 3-D view: its geometry (Qt-free, render/surface3d.py and render/value_scale.py), its plain
words where OpenGL is missing, and, under Xvfb with Mesa, real frames drawn with OpenGL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from optviz.core.landscapes import LANDSCAPES
from optviz.core.surface import builtin_surface
from optviz.render.surface3d import (
    BASE_HEIGHT,
    HEADROOM,
    LIFT,
    Box3D,
    even_sample,
    height_unit,
    lift_points,
    particle_points,
    surface_mesh,
    trail_segments,
)
from optviz.render.value_scale import ValueScale

ROOT = Path(__file__).resolve().parent.parent


def _lut() -> np.ndarray:
    """A stand-in colormap table (256 x 4 uint8) whose entry k is (k, 255 - k, k // 2, 255)."""
    k = np.arange(256)
    return np.stack([k, 255 - k, k // 2, np.full(256, 255)], axis=1).astype(np.uint8)


def _fitted(name: str, n: int = 120):
    """A built-in landscape, its scale fitted as the 2-D image fits it (its bounds, its log hint,
    its lowest known minimum), and the grid it was fitted on."""
    surface = builtin_surface(name)
    (x0, x1), (y0, y1) = surface.bounds
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    values = surface.evaluate_grid(xs, ys)
    minima = [m.value for m in surface.minima() if m.kind == "global" and np.isfinite(m.value)]
    scale = ValueScale.fit(values, log=surface.log_scale, f_min=min(minima) if minima else None)
    return surface, scale, xs, ys, values


# ---------------------------------------------------------------------------- heights
@pytest.mark.parametrize("name", list(LANDSCAPES))
def test_heights_are_monotone_in_the_loss_and_finite_for_every_builtin_landscape(name):
    surface, scale, _xs, _ys, values = _fitted(name)
    rng = np.random.default_rng(0)
    (x0, x1), (y0, y1) = surface.bounds
    # the view and three times as far around it, where values leave the colour levels
    wx, wy = x1 - x0, y1 - y0
    px = rng.uniform(x0 - wx, x1 + wx, 4000)
    py = rng.uniform(y0 - wy, y1 + wy, 4000)
    f = np.concatenate([values.ravel(), surface.value_and_grad(px, py)[0], [np.nan, np.inf, -np.inf]])
    order = np.argsort(f[np.isfinite(f)], kind="stable")
    h = height_unit(scale, f[np.isfinite(f)][order])
    assert np.all(np.isfinite(height_unit(scale, f)))
    assert np.all(np.diff(h) >= 0), "a higher loss must never be drawn lower"
    assert h.min() >= -HEADROOM and h.max() <= 1 + HEADROOM
    # the view's colours span exactly the unit height: the lowest sampled value at 0; the highest
    # at 1 on a log scale (a linear one puts its 99th percentile there)
    inside = height_unit(scale, values[np.isfinite(values)])
    assert inside.min() == pytest.approx(0.0, abs=1e-12)
    if scale.log:
        assert inside.max() == pytest.approx(1.0, abs=1e-9)
    else:
        assert np.percentile(inside, 99.0) == pytest.approx(1.0, abs=1e-6)
    # and the colours are the same position, quantized to the colormap's 256 entries
    fin = values[np.isfinite(values)]
    quantized = np.floor(np.clip(scale.position(fin), 0, 1) * 255.0)
    assert np.abs(scale.colour_index(fin).astype(float) - quantized).max() <= 1.0


@pytest.mark.parametrize("log", [True, False])
def test_the_loss_at_a_height_is_the_inverse_of_the_height(log):
    values = np.geomspace(1e-3, 1e5, 500) - 2.0 if log else np.linspace(-3.0, 40.0, 500)
    scale = ValueScale.fit(values, log=log, f_min=-2.0 if log else None)
    f = values[::7]
    assert scale.value_at(scale.position(f)) == pytest.approx(f, rel=1e-9, abs=1e-9)
    lo, hi = scale.value_at(np.array([0.0, 1.0]))
    assert lo == pytest.approx(values.min(), rel=1e-9, abs=1e-9)
    if log:
        assert hi == pytest.approx(values.max(), rel=1e-9)


def test_a_scale_of_nothing_finite_is_still_a_scale():
    scale = ValueScale.fit(np.array([np.nan, np.inf]), log=True)
    assert np.all(np.isfinite(height_unit(scale, np.array([0.0, 1.0, np.nan]))))


def test_the_2d_image_uses_the_shared_scale(qapp):
    """One definition of the colour scale: the 2-D image's pixels are the colormap at the scale's
    colour index of the sampled landscape."""
    import pyqtgraph as pg

    from optviz.render.colors import colormap_lut
    from optviz.render.landscape_image import LandscapeLayer

    surface = builtin_surface("rosenbrock")
    layer = LandscapeLayer(pg.PlotItem())
    layer.set_landscape(surface.evaluate_grid, log_hint=True, minima=surface.minima())
    layer.resample((-2, 2), (-1, 3), (64, 48))
    xs = -2 + (np.arange(64) + 0.5) * 4 / 64
    ys = -1 + (np.arange(48) + 0.5) * 4 / 48
    expected = colormap_lut(layer.colormap)[layer.scale.colour_index(surface.evaluate_grid(xs, ys))]
    assert np.array_equal(layer.image.image, expected)
    assert layer.levels == (layer.scale.lo, layer.scale.hi)


# ---------------------------------------------------------------------------- the footprint
def test_the_view_becomes_a_square_footprint_of_side_two():
    box = Box3D.of_view((-4.0, 0.8), (-7.0, 5.0), exaggeration=2.0)
    assert box.scene_x([-4.0, 0.8]) == pytest.approx([-1, 1])
    assert box.scene_y([-7.0, 5.0]) == pytest.approx([-1, 1])
    assert box.half_extent == pytest.approx((1.0, 1.0))
    assert box.height == pytest.approx(2 * BASE_HEIGHT)
    assert list(box.inside(np.array([-4.0, 0.9, np.nan]), np.array([0.0, 0.0, 0.0]))) == [True, False, False]


@pytest.mark.parametrize("xr, yr, ex, field", [((1, 0), (0, 1), 1.0, "view"), ((0, 1), (0, 0), 1.0, "view"),
                                                ((0, 1), (0, 1), 0.0, "exaggeration")])
def test_a_bad_footprint_is_refused_with_its_field(xr, yr, ex, field):
    with pytest.raises(ValueError, match=f"^{field}: .* is not allowed"):
        Box3D.of_view(xr, yr, ex)


# ---------------------------------------------------------------------------- the mesh
def test_the_mesh_is_laid_out_as_glsurfaceplotitem_takes_it():
    xs, ys = np.linspace(-1, 3, 9), np.linspace(0, 1, 5)
    values = xs[None, :] + 10 * ys[:, None]  # rows at ys, as evaluate_grid gives them
    scale = ValueScale.fit(values, log=False)
    box = Box3D.of_view((-1, 3), (0, 1))
    mesh = surface_mesh(values, xs, ys, scale, box, _lut())
    assert mesh.x.shape == (9,) and mesh.y.shape == (5,)
    assert mesh.z.shape == (9, 5) and mesh.colors.shape == (9, 5, 4)
    assert mesh.z.dtype == np.float32 and mesh.colors.dtype == np.float32
    # z[i, j] is the value at (xs[i], ys[j])
    expect = box.scene_z(height_unit(scale, values.T))
    assert mesh.z == pytest.approx(expect.astype(np.float32))
    assert mesh.z[8, 0] < mesh.z[0, 4]  # f(3, 0) = 3 below f(-1, 1) = 9
    assert mesh.colors == pytest.approx(_lut()[scale.colour_index(values.T)] / 255.0)
    assert mesh.x[[0, -1]] == pytest.approx([-1, 1]) and mesh.y[[0, -1]] == pytest.approx([-1, 1])


def test_a_mesh_of_the_wrong_shape_is_refused():
    scale = ValueScale.fit(np.zeros((3, 4)), log=False)
    with pytest.raises(ValueError, match=r"^values: shape \(4, 3\) is not allowed"):
        surface_mesh(np.zeros((4, 3)), np.arange(4.0), np.arange(3.0), scale, Box3D.of_view((0, 3), (0, 2)), _lut())


def _triangle_faces(nx: int, ny: int) -> np.ndarray:
    """pyqtgraph's GLSurfacePlotItem.generateFaces for a (nx, ny) grid (vertex i * ny + j)."""
    faces = []
    for i in range(nx - 1):
        for j in range(ny - 1):
            a, b, c, d = i * ny + j, i * ny + j + 1, (i + 1) * ny + j, (i + 1) * ny + j + 1
            faces += [(a, b, c), (c, b, d)]
    return np.array(faces)


def test_the_height_under_a_point_follows_the_drawn_triangles():
    rng = np.random.default_rng(1)
    xs, ys = np.linspace(0, 1, 6), np.linspace(0, 2, 4)
    values = rng.uniform(0, 5, (4, 6))
    scale = ValueScale.fit(values, log=False)
    mesh = surface_mesh(values, xs, ys, scale, Box3D.of_view((0, 1), (0, 2)), _lut())
    # at the vertices: the vertices' heights
    gx, gy = np.meshgrid(mesh.x, mesh.y, indexing="ij")
    assert mesh.height_at(gx, gy) == pytest.approx(mesh.z, abs=1e-6)
    # inside: the plane of the triangle the point falls in, as the GPU draws it
    vx, vy, vz = gx.ravel().astype(float), gy.ravel().astype(float), mesh.z.ravel().astype(float)
    px, py = rng.uniform(-1, 1, 300), rng.uniform(-1, 1, 300)
    expect = np.full(300, np.nan)
    for tri in _triangle_faces(6, 4):
        (x1, x2, x3), (y1, y2, y3) = vx[tri], vy[tri]
        det = (y2 - y3) * (x1 - x3) + (x3 - x2) * (y1 - y3)
        la = ((y2 - y3) * (px - x3) + (x3 - x2) * (py - y3)) / det
        lb = ((y3 - y1) * (px - x3) + (x1 - x3) * (py - y3)) / det
        lc = 1 - la - lb
        hit = (la >= -1e-12) & (lb >= -1e-12) & (lc >= -1e-12) & np.isnan(expect)
        expect[hit] = (la * vz[tri[0]] + lb * vz[tri[1]] + lc * vz[tri[2]])[hit]
    assert mesh.height_at(px, py) == pytest.approx(expect, abs=1e-6)
    assert np.isnan(mesh.height_at(np.array([1.5, 0.0]), np.array([0.0, -1.01]))).all()


def test_our_triangles_are_pyqtgraphs():
    gl = pytest.importorskip("pyqtgraph.opengl", reason="PyOpenGL is not importable here")
    item = gl.GLSurfacePlotItem.__new__(gl.GLSurfacePlotItem)
    item._z = np.zeros((6, 4))
    gl.GLSurfacePlotItem.generateFaces(item)
    assert sorted(map(tuple, item._faces.tolist())) == sorted(map(tuple, _triangle_faces(6, 4).tolist()))


# ---------------------------------------------------------------------------- particles and trails
def test_particles_float_just_above_the_drawn_surface_and_leave_out_what_cannot_be_drawn():
    surface, scale, _xs, _ys, _values = _fitted("rosenbrock")
    box = Box3D.of_view(*surface.bounds)
    xs = np.linspace(*surface.bounds[0], 41)  # coarse: the valley floor is deeper than the mesh shows
    ys = np.linspace(*surface.bounds[1], 41)
    mesh = surface_mesh(surface.evaluate_grid(xs, ys), xs, ys, scale, box, _lut())
    xy = np.array([[1.0, 1.0], [-1.5, 2.5], [0.3, 0.1], [50.0, 0.0], [np.nan, 0.0], [0.0, 0.0]])
    loss = surface.value_and_grad(xy[:, 0], xy[:, 1])[0]
    loss[5] = np.nan  # a diverged particle's loss
    pts = lift_points(xy, loss, scale, box, mesh)
    drawable = np.array([True, True, True, False, False, False])
    assert np.isfinite(pts[drawable]).all() and np.isnan(pts[~drawable]).all()
    under = mesh.height_at(pts[drawable, 0], pts[drawable, 1])
    lift = LIFT * box.height
    assert np.all(pts[drawable, 2] >= under + lift - 1e-6)  # never inside the surface
    own = box.scene_z(height_unit(scale, loss[drawable]))
    assert np.all(pts[drawable, 2] >= own + lift - 1e-9)  # never below its own loss
    # the minimum (1, 1) sits in a well narrower than the mesh: on the mesh, not under it
    assert pts[0, 2] == pytest.approx(under[0] + lift, abs=1e-6)
    drawn, idx = particle_points(pts, keep=np.array([True, False, True, True, True, True]))
    assert list(idx) == [0, 2] and drawn.shape == (2, 3) and drawn.dtype == np.float32


def test_trails_connect_consecutive_drawn_frames_of_one_particle_only():
    rng = np.random.default_rng(2)
    T, K = 12, 7
    pts = rng.normal(size=(T, K, 3))
    hidden = rng.random((T, K)) < 0.25
    pts[hidden] = np.nan
    verts, owner = trail_segments(pts)
    both = ~hidden[:-1] & ~hidden[1:]
    assert len(verts) == 2 * both.sum() and len(owner) == len(verts)
    assert np.isfinite(verts).all()
    found = set()
    for s in range(len(verts) // 2):
        k = owner[2 * s]
        assert owner[2 * s + 1] == k
        ts = [t for t in range(T - 1) if np.allclose(pts[t, k], verts[2 * s]) and np.allclose(pts[t + 1, k],
                                                                                              verts[2 * s + 1])]
        assert len(ts) == 1, "each segment joins frame t and t + 1 of its own particle"
        found.add((ts[0], k))
    assert found == set(zip(*np.nonzero(both), strict=True))
    assert trail_segments(np.full((1, 3, 3), 0.0))[0].shape == (0, 3)
    with pytest.raises(ValueError, match=r"^points: shape \(4, 3\) is not allowed"):
        trail_segments(np.zeros((4, 3)))


def test_the_drawn_sample_takes_every_group_evenly():
    group = np.r_[np.zeros(5, int), np.ones(50_000, int), np.full(10_000, 2)]
    idx = even_sample(group, 3, 1000)
    assert len(idx) == 1000 and np.all(np.diff(idx) > 0)
    counts = np.bincount(group[idx], minlength=3)
    assert counts[0] == 5  # a small group is drawn whole, its share goes to the others
    assert abs(int(counts[1]) - int(counts[2])) <= 1
    assert list(even_sample(group[:40], 3, 1000)) == list(range(40))


# ---------------------------------------------------------------------------- without OpenGL
def test_offscreen_qt_has_no_opengl_and_the_probe_says_so_in_plain_words(qapp):
    from PySide6 import QtGui

    if QtGui.QGuiApplication.platformName() != "offscreen":
        pytest.skip("runs on Qt's offscreen platform (the test suite's default)")
    from optviz.app.view3d import _find_opengl_problem

    assert _find_opengl_problem() == "Qt's “offscreen” platform cannot create an OpenGL context"


def test_without_pyopengl_the_probe_names_the_package(qapp, monkeypatch):
    import builtins

    from optviz.app import view3d

    real_import = builtins.__import__

    def no_opengl(name, *args, **kwargs):
        if name == "OpenGL.GL" or name.startswith("OpenGL"):
            raise ImportError("No module named 'OpenGL'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_opengl)
    problem = view3d._find_opengl_problem()
    assert problem.startswith("PyOpenGL cannot be loaded (ImportError: No module named 'OpenGL')")
    assert "pip install PyOpenGL" in problem


class _Run:
    """Result-like frames of 3 particles in 2 groups on Rosenbrock (particle 2 diverges at step 2)."""

    def __init__(self):
        t = np.linspace(0, 1, 5)[:, None]
        start, end = np.array([[-1.5, 2.0], [0.0, 0.0], [1.5, -0.5]]), np.array([[1.0, 1.0], [0.9, 0.8], [1.4, -0.4]])
        self.positions = (start[None] * (1 - t[..., None]) + end[None] * t[..., None]).astype(np.float32)
        self.step = np.arange(5)
        self.group = np.array([0, 1, 1])
        self.diverged_at = np.array([-1, -1, 2])


def test_without_opengl_the_view_says_so_and_takes_every_input(qtbot):
    from optviz.app.view3d import View3D

    reason = "Qt's “offscreen” platform cannot create an OpenGL context"
    view = View3D(problem=lambda: reason)
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    qtbot.waitUntil(lambda: view.problem is not None, timeout=60_000)
    assert not view.drawing and view.gl is None
    assert view.stack.currentWidget() is view.message
    text = view.message.text()
    assert "The 3-D view needs OpenGL, which is not available here" in text and reason in text
    assert "The 2-D view and everything else work as usual" in text
    surface, scale, *_ = _fitted("rosenbrock")
    view.set_landscape(surface, (-2, 2), (-1, 3), scale, "viridis")
    view.set_groups([(255, 0, 0), (0, 0, 255)])
    view.set_data(_Run(), frame=3)
    view.set_visible_groups([1])
    view.set_trail_length(-1)
    view.show_frame(4)
    assert view.render_image().isNull()
    assert not view.controls.isEnabled()


def test_the_window_shows_the_3d_view_from_the_view_menu_and_keeps_working_without_opengl(win, qtbot):
    from PySide6 import QtGui

    if QtGui.QGuiApplication.platformName() != "offscreen":
        pytest.skip("runs on Qt's offscreen platform (no OpenGL there)")
    dock = win.view3d.dock
    assert not dock.isVisible()
    view_menu = next(a.menu() for a in win.menuBar().actions() if a.text() == "&View")
    assert win.view3d.action in view_menu.actions()
    assert ("3-D view", "3") in win.shortcut_rows()
    win.view3d.action.trigger()
    qtbot.waitUntil(dock.isVisible, timeout=60_000)
    qtbot.waitUntil(lambda: win.view3d.view3d.problem is not None, timeout=60_000)
    assert "cannot create an OpenGL context" in win.view3d.view3d.message.text()
    before = win.playback.step
    win.step(3)
    qtbot.waitUntil(lambda: win.playback.step >= before + 3, timeout=60_000)
    qtbot.waitUntil(lambda: win.scene.frame == win.display.n - 1, timeout=60_000)
    win.view3d.action.trigger()
    qtbot.waitUntil(lambda: not dock.isVisible(), timeout=60_000)


# ---------------------------------------------------------------------------- with OpenGL (Xvfb)
# Qt's offscreen platform has no OpenGL, so these draw in a child process under xvfb-run (Mesa's
# software OpenGL); tests/view3d_gl_check.py prints what its frames show.
def _run_under_xvfb() -> dict:
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed (scripts/setup.sh installs it): no OpenGL frame to check")
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", NUMBA_THREADING_LAYER="omp")
    env.pop("DISPLAY", None)
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1024x768x24", sys.executable, str(ROOT / "tests" / "view3d_gl_check.py")]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    assert proc.returncode == 0 and lines, f"the OpenGL check failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    report = json.loads(lines[-1])
    if report.get("problem"):
        pytest.skip(f"no OpenGL under Xvfb here: {report['problem']}")
    return report


@pytest.fixture(scope="module")
def gl_report():
    return _run_under_xvfb()


def test_under_xvfb_a_frame_is_drawn_with_the_surface_and_the_particles(gl_report):
    first = gl_report["frames"][0]
    assert first["covered"] > 0.1, "the surface covers a good part of the view"
    assert first["colours"] > 50, "a lit, colour-mapped surface has many colours"
    assert first["particles"] == 3 and first["group_pixels"] > 10, "the particles are drawn in their group colour"


def test_under_xvfb_the_particles_follow_the_frames_and_leave_out_the_diverged_one(gl_report):
    frames = gl_report["frames"]
    # frame 3: particle 2 diverged at step 2; frame 4 with only group 1 shown: particle 1
    assert [f["particles"] for f in frames] == [3, 2, 1]
    assert frames[0]["digest"] != frames[1]["digest"]
    assert frames[2]["hidden_group_pixels"] == 0, "a hidden group is not drawn"


def test_under_xvfb_a_floating_dock_still_draws(gl_report):
    assert gl_report["after_float"]["covered"] > 0.1 and gl_report["after_float"]["particles"] == 1
    assert gl_report["errors"] == [], "no item failed to draw"


def test_under_xvfb_a_drag_turns_the_camera_and_leaves_the_keyboard_to_the_window(gl_report):
    drag = gl_report["drag"]
    assert abs(drag["turned"]) > 20, "dragging sideways turns the camera about the vertical axis"
    assert drag["moved_by_user"], "the camera then stays where the user put it when the view is resized"
    assert not drag["focus_in_3d"], "Space and the arrow keys still reach the window's shortcuts"


def test_under_xvfb_a_second_3d_view_draws_too_while_and_after_the_first_lives(gl_report):
    assert gl_report["errors"] == []
    assert all(c > 0.1 for c in gl_report["second_view"]), gl_report["second_view"]


def test_under_xvfb_more_particles_than_it_draws_are_sampled_and_the_view_says_so(gl_report):
    from optviz.app.view3d import MAX_POINTS, MAX_TRAILS

    crowd = gl_report["crowd"]
    assert crowd["drawn"] == MAX_POINTS
    assert f"showing an even sample of {MAX_POINTS:,} of 25,000 particles" in crowd["counts"]
    assert f"trails of {MAX_TRAILS:,} of them" in crowd["counts"]


def test_under_xvfb_the_texts_on_the_surface_follow_the_language(gl_report):
    zh = gl_report["zh"]
    assert zh["labels"][0].startswith("x 从 ") and zh["labels"][2].strip().startswith("损失 ")
    assert zh["counts"].startswith("第 1 步") and "均匀抽取" in zh["counts"] and zh["reset"] == "重置视角"
    assert zh["covered"] > 0.1, "still drawn after the switch"
    assert zh["labels_after"][0].startswith("x from ") and zh["labels_after"][2].strip().startswith("loss ")

"""The 3-D view: the landscape as a lit surface, with the particles and their trails on it.

:class:`View3D` draws, with pyqtgraph's OpenGL items, what the 2-D scene shows at the same time
cursor: the view's region of the landscape as a surface whose height and colour are the 2-D
image's colour scale (:mod:`optviz.render.value_scale`; geometry in :mod:`optviz.render.surface3d`),
the particles of the shown groups slightly above it (diverged ones left out) and their trails
(as long as the 2-D trails). Drag to rotate, wheel to zoom, Ctrl+drag to pan; "Reset camera"
goes back to the first view. The camera is the widget's own and is never stored in experiments.

Costs: the surface is rebuilt only when the landscape, the view's region, the colormap or the
height exaggeration changes; a frame only replaces the data of three items (``setData``). At
most :data:`MAX_POINTS` particles (an even sample of every group) and :data:`MAX_TRAILS` trails of
at most :data:`MAX_TRAIL_POINTS` frames are drawn, and the header says so when it leaves some
out. Nothing is computed while the view is hidden, and OpenGL is first touched when it is shown.

Without OpenGL (Qt's ``offscreen`` platform has none; PyOpenGL or libGL missing; a driver older
than OpenGL 2.1; a shader that does not compile) the view says so in plain words instead, and
the rest of the window works as before (:func:`opengl_problem`).

Every text is a Qt translation (context "View3D"); :meth:`View3D.retranslate` sets them again
after a language switch (the dock calls it on :func:`optviz.app.language.language`'s ``changed``).

:class:`View3DDock` puts the view in a dock of the main window, toggled by View > 3-D view (3).
"""

from __future__ import annotations

import html

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from optviz.app.docks import side_dock
from optviz.app.language import language
from optviz.render.colors import THEMES, colormap_lut, group_colors, parse_color
from optviz.render.particles import trail_frames, visible_group_mask
from optviz.render.surface3d import (
    MESH_SAMPLES,
    Box3D,
    SurfaceMesh,
    even_sample,
    lift_points,
    particle_points,
    surface_mesh,
    trail_segments,
)
from optviz.render.value_scale import ValueScale

__all__ = ["View3D", "View3DDock", "opengl_problem", "MAX_POINTS", "MAX_TRAILS", "MAX_TRAIL_POINTS"]

#: Particles drawn at most (an even sample of every group).
MAX_POINTS = 20_000
#: Particles with a trail at most.
MAX_TRAILS = 300
#: Frames per trail at most (a long trail is thinned as in the 2-D view).
MAX_TRAIL_POINTS = 200
#: The camera's first direction (azimuth, elevation) in degrees: from above the front left corner.
FIRST_VIEW = (-115.0, 45.0)
#: Diameter of a particle in pixels (its dark rim adds 3).
POINT_PX = 9.0

translate = QtCore.QCoreApplication.translate

#: The probe's finding, once per process: None, or (English template, its values).
_problem_cache: list[tuple[str, dict] | None] = []


def opengl_problem() -> str | None:
    """None when this process can draw with OpenGL 2.1 or newer, else why not, in plain words in
    the current language (checked once: PyOpenGL and pyqtgraph.opengl import, and a context can be
    made current)."""
    if not _problem_cache:
        _problem_cache.append(_probe_opengl())
    return _problem_text(_problem_cache[0])


def _find_opengl_problem() -> str | None:
    """:func:`opengl_problem` without the cache (probes again)."""
    return _problem_text(_probe_opengl())


def _problem_text(found: tuple[str, dict] | None) -> str | None:
    return None if found is None else translate("View3D", found[0]).format(**found[1])


def _probe_opengl() -> tuple[str, dict] | None:
    """None, or what keeps OpenGL from drawing here as (untranslated template, its values)."""
    try:
        import OpenGL.GL  # noqa: F401  (loads libGL)
        import pyqtgraph.opengl  # noqa: F401
    except Exception as exc:  # noqa: BLE001  (ImportError, or OSError/NullFunctionError of a missing libGL)
        return (QtCore.QT_TRANSLATE_NOOP("View3D", "PyOpenGL cannot be loaded ({error}); install it with "
                                                   "“pip install PyOpenGL”"),
                {"error": f"{type(exc).__name__}: {exc}"})
    app = QtGui.QGuiApplication.instance()
    platform = app.platformName() if app is not None else "?"
    ctx = QtGui.QOpenGLContext()
    if not ctx.create():
        return (QtCore.QT_TRANSLATE_NOOP("View3D", "Qt's “{platform}” platform cannot create an OpenGL context"),
                {"platform": platform})
    surface = QtGui.QOffscreenSurface()
    surface.setFormat(ctx.format())
    surface.create()
    try:
        if not ctx.makeCurrent(surface):
            return QtCore.QT_TRANSLATE_NOOP("View3D", "an OpenGL context was created but cannot be used"), {}
        major, minor = ctx.format().version()
        if not ctx.isOpenGLES() and (major, minor) < (2, 1):
            return (QtCore.QT_TRANSLATE_NOOP("View3D", "OpenGL {version} is too old; the 3-D view needs 2.1 or "
                                                       "newer"), {"version": f"{major}.{minor}"})
    finally:
        ctx.doneCurrent()
        surface.destroy()
    return None


# The surface's shader: each fragment's colour is the colormap's, lit by a light at the camera's
# upper left (Lambert, both sides, plus ambient so the colours stay recognizable). The face normal
# comes from the screen-space derivatives of the position, turned into eye space with u_normal, so no
# normals are computed on the CPU when the surface is rebuilt; the shading is faceted at the mesh's
# resolution.
_VERTEX = """
uniform mat4 u_mvp;
attribute vec4 a_position;
attribute vec4 a_color;
varying vec4 v_color;
varying vec3 v_position;
void main() {
    v_color = a_color;
    v_position = a_position.xyz;
    gl_Position = u_mvp * a_position;
}
"""
_FRAGMENT = """
#ifdef GL_ES
#extension GL_OES_standard_derivatives : enable
precision mediump float;
#endif
uniform mat3 u_normal;
varying vec4 v_color;
varying vec3 v_position;
void main() {
    vec3 n = normalize(u_normal * cross(dFdx(v_position), dFdy(v_position)));
    float lambert = abs(dot(n, normalize(vec3(-0.35, 0.45, 0.82))));
    gl_FragColor = vec4(v_color.rgb * (0.4 + 0.65 * lambert), v_color.a);
}
"""


def _landscape_shader():
    from pyqtgraph.opengl import shaders

    prog = shaders.ShaderProgram.names.get("optviz_landscape")
    if prog is None:
        prog = shaders.ShaderProgram("optviz_landscape", [shaders.VertexShader(_VERTEX),
                                                          shaders.FragmentShader(_FRAGMENT)])
    return prog


def _compile_landscape_shader() -> None:
    """Compile the surface's shader as desktop GLSL, else (an OpenGL ES 2 compatible core profile,
    macOS) as GLSL ES 1.00; pyqtgraph then uses the compiled program. (Mesa compiles both, but its
    GLSL ES derivatives drew only the steep parts of the surface.)"""
    prog = _landscape_shader()
    if prog.prog not in (None, -1):
        return
    try:
        prog.prog = None
        prog.program()
    except Exception:  # noqa: BLE001
        prog.prog = None
        prog.program(es2_compat=True)


_share_group: list = []


def _share_context() -> QtGui.QOpenGLContext:
    """A context that lives as long as the process, which every 3-D view's context shares with:
    pyqtgraph keeps one compiled shader program per item class, and those stay valid only in
    contexts of one share group (a second window, or a 3-D view made again, has a new context)."""
    if not _share_group:
        ctx = QtGui.QOpenGLContext()
        ctx.setFormat(_surface_format())
        ctx.create()
        _share_group.append(ctx)
    return _share_group[0]


def _surface_format() -> QtGui.QSurfaceFormat:
    fmt = QtGui.QSurfaceFormat.defaultFormat()
    fmt.setDepthBufferSize(24)
    return fmt


def _label(font: QtGui.QFont, color: QtGui.QColor, fill: QtGui.QColor):
    """A pyqtgraph GLTextItem on a translucent box of ``fill``, readable over the surface."""
    import pyqtgraph.opengl as gl

    class Label(gl.GLTextItem):
        def paint(self):
            if not self.text:
                return
            self.setupGLState()
            at = self.align_text(self.compute_projection().map(QtGui.QVector3D(*self.pos)).toPointF())
            box = QtGui.QFontMetricsF(self.font).boundingRect(self.text).translated(at)
            view = self.view()
            # kept inside the view: a turned camera can put a label's anchor near its edge
            shift = QtCore.QPointF(max(4.0 - box.left(), min(0.0, view.width() - 4.0 - box.right())),
                                   max(4.0 - box.top(), min(0.0, view.height() - 4.0 - box.bottom())))
            at, box = at + shift, box.translated(shift)
            painter = QtGui.QPainter(view)
            painter.setRenderHints(QtGui.QPainter.RenderHint.Antialiasing
                                   | QtGui.QPainter.RenderHint.TextAntialiasing)
            painter.setFont(self.font)
            painter.fillRect(box.adjusted(-3, -1, 3, 1), fill)
            painter.setPen(self.color)
            painter.drawText(at, self.text)
            painter.end()

    return Label(font=font, color=color)


def _gl_view(on_failure, on_resize):
    """A pyqtgraph 3-D view as an OpenGL *window* (QOpenGLWindow with pyqtgraph's GLViewMixin, put
    in the widget tree by a window container; returned as (window, container)) that reports a
    failed initialization (``on_failure(message)``) and its resizing (``on_resize()``).

    Not a QOpenGLWidget: one of those makes Qt compose the whole main window through OpenGL for as
    long as the window lives, and with software OpenGL (Mesa llvmpipe under Xvfb) that halved the
    2-D scene's frame rate, even with the 3-D view hidden again. A native child window is composed
    by the window system instead, and keeps its one OpenGL context when its dock floats (a
    QOpenGLWidget gets a new one, which pyqtgraph's cached shader programs do not survive). It
    takes no keyboard focus, so the window's shortcuts (Space, arrows) keep working after a drag."""
    import pyqtgraph.opengl as gl
    from OpenGL import GL
    from pyqtgraph.opengl.GLViewWidget import GLViewMixin
    from PySide6 import QtOpenGL

    class GLView(GLViewMixin, QtOpenGL.QOpenGLWindow):
        def __init__(self):
            super().__init__(_share_context())
            self.setFormat(_surface_format())
            self.setFlag(QtCore.Qt.WindowType.WindowDoesNotAcceptFocus, True)
            #: the camera was rotated, zoomed or panned (else it keeps fitting the view's size)
            self.moved_by_user = False

        # what pyqtgraph's items ask of their view that a QWindow names differently
        def devicePixelRatioF(self):
            return self.devicePixelRatio()

        def rect(self):
            return QtCore.QRect(0, 0, self.width(), self.height())

        def initializeGL(self):
            try:
                super().initializeGL()
                _compile_landscape_shader()
                gl.GLScatterPlotItem.getShaderProgram()
                gl.GLLinePlotItem.getShaderProgram()
            except Exception as exc:  # noqa: BLE001  (any driver or shader failure: say it, do not crash)
                on_failure(f"{type(exc).__name__}: {exc}".splitlines()[0])

        def paintGL(self):
            GL.glViewport(0, 0, self.deviceWidth(), self.deviceHeight())
            super().paintGL()

        def resizeEvent(self, ev):
            super().resizeEvent(ev)
            on_resize()

        def mousePressEvent(self, ev):
            self.moved_by_user = True
            super().mousePressEvent(ev)

        def wheelEvent(self, ev):
            self.moved_by_user = True
            super().wheelEvent(ev)

    view = GLView()
    return view, QtWidgets.QWidget.createWindowContainer(view)


class View3D(QtWidgets.QWidget):
    """The 3-D view (see the module docstring). Feed it like the 2-D scene:
    :meth:`set_landscape`, :meth:`set_groups`, :meth:`set_data`, :meth:`show_frame`."""

    def __init__(self, parent=None, *, theme: str = "light", problem=opengl_problem):
        super().__init__(parent)
        self.theme = THEMES[theme]
        self._problem_fn = problem
        #: why the view cannot draw (None: it can, or it was not shown yet)
        self.problem: str | None = None
        #: the OpenGL view (None until first shown, or without OpenGL)
        self.gl = None
        self._items: dict = {}
        # what to draw
        self._surface = None
        self._range = ((0.0, 1.0), (0.0, 1.0))
        self._scale: ValueScale | None = None
        self._colormap = "viridis"
        self._axis_names = ("x", "y")
        self._mesh: SurfaceMesh | None = None
        self._box: Box3D | None = None
        self._mesh_key = None
        self._rgb = np.zeros((0, 3), np.float32)
        self._visible_groups = None
        self._trail_length = 30
        self._data = None
        self._group_src = None
        self._n_particles = 0
        self._angles = FIRST_VIEW
        self._pidx = self._pgroup = np.zeros(0, np.int64)  # the particles drawn, and their groups
        self._tidx = self._tgroup = np.zeros(0, np.int64)  # the particles with a trail, and their groups
        self._frame = 0
        #: particles drawn in the frame shown, and diverged by its step (not drawn)
        self.n_drawn = 0
        self.n_diverged = 0

        self.header = QtWidgets.QLabel()
        self.header.setWordWrap(True)
        self.header.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.header.setContentsMargins(6, 2, 6, 0)
        self.counts = QtWidgets.QLabel()
        self.counts.setWordWrap(True)
        self.counts.setContentsMargins(6, 0, 6, 0)
        self.exaggeration = QtWidgets.QDoubleSpinBox()
        self.exaggeration.setRange(0.25, 4.0)
        self.exaggeration.setSingleStep(0.25)
        self.exaggeration.setValue(1.0)
        self.exaggeration.setSuffix("×")
        self.exaggeration.valueChanged.connect(lambda _v: self._rebuild_surface())
        self.reset_button = QtWidgets.QPushButton()
        self.reset_button.clicked.connect(self.reset_camera)
        self.message = QtWidgets.QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.message.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setContentsMargins(24, 24, 24, 24)
        self.stack = QtWidgets.QStackedWidget()
        self.stack.addWidget(self.message)

        self.controls = QtWidgets.QWidget()
        row = QtWidgets.QHBoxLayout(self.controls)
        row.setContentsMargins(6, 0, 6, 0)
        self.height_label = QtWidgets.QLabel()
        row.addWidget(self.height_label)
        row.addWidget(self.exaggeration)
        row.addStretch(1)
        row.addWidget(self.reset_button)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.header)
        lay.addWidget(self.controls)
        lay.addWidget(self.stack, 1)
        lay.addWidget(self.counts)
        #: the step the counts line speaks of (None: no frame drawn yet)
        self._counts_step: int | None = None
        #: gives the problem's text again in the current language (None: the problem is not translatable)
        self._problem_again = None
        self.retranslate()

    def retranslate(self) -> None:
        """Every text of the view in the current Qt translation: controls, header, counts, the labels
        on the surface and the message of a missing OpenGL."""
        self.exaggeration.setToolTip(translate("View3D", "Vertical exaggeration: at 1× the whole range of the "
                                                         "colours spans 40 % of the landscape's width"))
        self.reset_button.setText(translate("View3D", "Reset camera"))
        self.reset_button.setToolTip(translate("View3D", "Back to the first view: looking north, from above "
                                                         "the front left corner"))
        self.height_label.setText(translate("View3D", "height scale"))
        if self.problem is not None:
            if self._problem_again is not None:
                self.problem = self._problem_again()
            self._show_problem()
        self._update_header()
        if self._counts_step is not None:
            self._update_counts(self._counts_step)
        if self.drawing and self._mesh is not None and self._box is not None:
            self._place_frame_and_labels(self._box, self._mesh)

    # ------------------------------------------------------------------ inputs
    def set_landscape(self, surface, xrange, yrange, scale: ValueScale, colormap: str) -> None:
        """Show ``surface`` (a :class:`~optviz.core.surface.Surface`) over this region, with the 2-D
        image's colour ``scale`` and ``colormap`` (rebuilt only when one of them changed)."""
        self._surface = surface
        self._range = ((float(xrange[0]), float(xrange[1])), (float(yrange[0]), float(yrange[1])))
        self._scale = scale
        self._colormap = colormap
        self._axis_names = tuple(getattr(surface, "axis_names", ("x", "y")))
        self._rebuild_surface()

    def set_groups(self, colors) -> None:
        """One RGB colour (0-255) per group, as the 2-D scene's (optviz.render.colors.group_colors)."""
        self._rgb = np.asarray(colors, dtype=np.float32).reshape(-1, 3) / 255.0
        self._draw()

    def set_visible_groups(self, groups) -> None:
        """Draw only the groups with these indices (None: all)."""
        self._visible_groups = None if groups is None else {int(g) for g in groups}
        self._draw()

    def set_trail_length(self, n: int) -> None:
        """Recorded frames per trail: -1 the whole path so far, 0 none (the 2-D view's resolved length)."""
        if int(n) != self._trail_length:
            self._trail_length = int(n)
            self._draw()

    def set_data(self, result, frame: int | None = None) -> None:
        """Result-like frames: ``positions`` (F, N, 2), ``step`` (F,), ``group`` (N,), ``diverged_at`` (N,);
        draws ``frame`` (default: the current one)."""
        self._data = result
        group = result.group
        if group is not self._group_src or len(group) != self._n_particles:
            self._group_src = group
            g = np.asarray(group, dtype=np.int64)
            n_groups = int(g.max()) + 1 if len(g) else 0
            self._pidx = even_sample(g, n_groups, MAX_POINTS)
            self._tidx = even_sample(g, n_groups, MAX_TRAILS)
            self._pgroup = g[self._pidx]
            self._tgroup = g[self._tidx]
            self._n_particles = len(g)
        if frame is not None:
            self._frame = int(frame)
        self._draw()

    def show_frame(self, index: int) -> None:
        """Draw recorded frame ``index`` (clamped)."""
        self._frame = int(index)
        self._draw()

    # ------------------------------------------------------------------ state
    @property
    def data(self):
        """The result-like frames drawn (None before :meth:`set_data`)."""
        return self._data

    @property
    def drawing(self) -> bool:
        """Whether the OpenGL view is up and drawing."""
        return self.gl is not None and self.problem is None and self.stack.currentWidget() is self._gl_widget

    def reset_camera(self) -> None:
        """The first view: from above the surface's front left corner (south-south-west, 45° up)."""
        self.look_from(*FIRST_VIEW)

    def look_from(self, azimuth: float, elevation: float) -> None:
        """Look at the whole surface from this direction (degrees: azimuth 0 from +x, -90 from -y;
        elevation above the horizon), as close as the view's width and height allow, and again when
        the view is resized, until the camera is moved with the mouse."""
        if self.gl is None:
            return
        import pyqtgraph as pg

        self._angles = (float(azimuth), float(elevation))
        self.gl.moved_by_user = False
        hx, hy = self._box.half_extent if self._box is not None else (1.0, 1.0)
        z0, z1 = (float(self._mesh.z.min()), float(self._mesh.z.max())) if self._mesh is not None else (0.0, 0.8)
        centre = pg.Vector(0.0, 0.0, 0.5 * (z0 + z1))
        fov = 40.0
        self.gl.opts["fov"] = fov
        points = [(x, y, z0) for x in (-hx, hx) for y in (-hy, hy)]  # the outline under the surface
        if self._mesh is not None:  # and the surface itself (every 8th vertex and the edges)
            m = self._mesh
            ix = np.unique(np.r_[np.arange(0, len(m.x), 8), len(m.x) - 1])
            iy = np.unique(np.r_[np.arange(0, len(m.y), 8), len(m.y) - 1])
            gx, gy = np.meshgrid(m.x[ix], m.y[iy], indexing="ij")
            points += list(zip(gx.ravel(), gy.ravel(), m.z[np.ix_(ix, iy)].ravel(), strict=True))
        self.gl.setCameraPosition(pos=centre, distance=_fit_distance(
            points, centre, elevation, azimuth, fov, self.gl.width() / max(self.gl.height(), 1)),
            elevation=elevation, azimuth=azimuth)

    def render_image(self) -> QtGui.QImage:
        """The OpenGL view drawn now, with the data it holds (a null image without OpenGL)."""
        if not self.drawing or not self.gl.isExposed():
            return QtGui.QImage()
        self.gl.makeCurrent()
        self.gl.paintGL()  # QOpenGLWindow.grabFramebuffer only reads back what is in the framebuffer
        return self.gl.grabFramebuffer()

    def _gl_resized(self) -> None:
        if not self.gl.moved_by_user:
            self.look_from(*self._angles)

    # ------------------------------------------------------------------ OpenGL on demand
    def showEvent(self, ev):
        super().showEvent(ev)
        self._ensure_gl()
        self._rebuild_surface()

    def _ensure_gl(self) -> None:
        if self.gl is not None or self.problem is not None:
            return
        problem = self._problem_fn()
        if problem is not None:
            self._problem_again = self._problem_fn
            self._fail(problem)
            return
        self.gl, self._gl_widget = _gl_view(self._fail_later, self._gl_resized)
        self.gl.setBackgroundColor(self.theme["background"])
        self._gl_widget.setMinimumSize(120, 120)
        self.stack.addWidget(self._gl_widget)
        self.stack.setCurrentWidget(self._gl_widget)
        self._build_items()
        self.reset_camera()

    def _fail_later(self, message: str) -> None:
        # called inside the OpenGL widget's initialization: change widgets once it has returned
        QtCore.QTimer.singleShot(0, lambda: self._fail(message))

    def _fail(self, problem: str) -> None:
        self.problem = problem
        self._show_problem()
        self.stack.setCurrentWidget(self.message)
        self.controls.setEnabled(False)
        self._update_header()

    def _show_problem(self) -> None:
        self.message.setText(translate(
            "View3D", "<b>The 3-D view needs OpenGL, which is not available here</b>: {problem}.<br><br>"
                      "The 2-D view and everything else work as usual. On a desktop the 3-D view works as it "
                      "is; without a screen, run optviz under Xvfb (xvfb-run) with Mesa's software OpenGL, "
                      "which scripts/setup.sh installs.").format(problem=html.escape(self.problem, quote=False)))

    def _build_items(self) -> None:
        import pyqtgraph.opengl as gl

        muted = parse_color(self.theme["muted"])
        it = self._items = {
            "surface": gl.GLSurfacePlotItem(shader=_landscape_shader(), computeNormals=False, glOptions="opaque"),
            "frame": gl.GLLinePlotItem(mode="lines", glOptions="translucent", width=1.0,
                                       color=(*(c / 255 for c in muted), 0.8)),
            "trails": gl.GLLinePlotItem(mode="lines", glOptions="translucent", width=1.5, antialias=True),
            "points": gl.GLScatterPlotItem(glOptions="opaque", pxMode=True, size=POINT_PX),
            # drawn after the points at the same depth: only the part around them passes the depth test
            "rims": gl.GLScatterPlotItem(glOptions="opaque", pxMode=True, size=POINT_PX + 3, color=(0, 0, 0, 1)),
            "minima": gl.GLScatterPlotItem(glOptions="opaque", pxMode=True, size=9.0, color=(1, 1, 1, 1)),
            "minima_rims": gl.GLScatterPlotItem(glOptions="opaque", pxMode=True, size=12.0, color=(0, 0, 0, 1)),
        }
        # drawn in this order; the labels (depth 2) over the surface, the particles and trails over them
        for depth, name in zip((0, 1, 3, 4, 5, 6, 7), ("surface", "frame", "trails", "points", "rims", "minima",
                                                       "minima_rims"), strict=True):
            it[name].setDepthValue(depth)
            self.gl.addItem(it[name])
        it["surface"].setVisible(False)  # until it has a mesh (pyqtgraph cannot draw an empty one)
        font = QtGui.QFont()
        font.setPixelSize(12)
        fg = QtGui.QColor(self.theme["foreground"])
        fill = QtGui.QColor(*self.theme["panel"])
        self._labels = []
        for _ in range(4):  # x range, y range, loss at the top and at the bottom
            label = _label(font, fg, fill)
            label.setDepthValue(2)
            self.gl.addItem(label)
            self._labels.append(label)

    # ------------------------------------------------------------------ the surface
    def _visible_now(self) -> bool:
        return self.drawing and self.isVisible()

    def _rebuild_surface(self) -> None:
        """The mesh of the current landscape, region, scale and colormap (only when one changed)."""
        if not self._visible_now() or self._surface is None or self._scale is None:
            return
        (x0, x1), (y0, y1) = self._range
        key = (id(self._surface), self._range, self._scale, self._colormap, self.exaggeration.value())
        if key == self._mesh_key:
            return
        box = Box3D.of_view((x0, x1), (y0, y1), self.exaggeration.value())
        hx, hy = box.half_extent
        nx = max(16, int(round(MESH_SAMPLES * hx / max(hx, hy))))
        ny = max(16, int(round(MESH_SAMPLES * hy / max(hx, hy))))
        xs = np.linspace(x0, x1, nx)
        ys = np.linspace(y0, y1, ny)
        with np.errstate(all="ignore"):
            values = np.asarray(self._surface.evaluate_grid(xs, ys), dtype=np.float64)
        mesh = surface_mesh(values, xs, ys, self._scale, box, colormap_lut(self._colormap))
        self._items["surface"].setData(x=mesh.x, y=mesh.y, z=mesh.z, colors=mesh.colors.reshape(-1, 4))
        self._items["surface"].setVisible(True)
        new_landscape = self._mesh_key is None or key[0] != self._mesh_key[0]
        self._mesh, self._box, self._mesh_key = mesh, box, key
        if new_landscape:  # a new landscape starts from the first view
            self.reset_camera()
        elif not self.gl.moved_by_user:
            self.look_from(*self._angles)
        self._place_frame_and_labels(box, mesh)
        self._place_minima()
        self._update_header()
        self._draw()

    def _place_frame_and_labels(self, box: Box3D, mesh: SurfaceMesh) -> None:
        """The footprint's outline under the surface and a vertical loss axis at its back left
        corner, labelled: the x range below the front edge, the y range beside the left edge, and
        the loss at the surface's lowest and highest point beside the axis (towards the inside, so
        that a narrow view does not cut them off; the particles and trails are drawn over them)."""
        hx, hy = box.half_extent
        z0, z1 = float(mesh.z.min()), float(mesh.z.max())
        corners = [(-hx, -hy), (hx, -hy), (hx, hy), (-hx, hy)]
        segs = []
        for a, b in zip(corners, corners[1:] + corners[:1], strict=True):
            segs += [(*a, z0), (*b, z0)]
        segs += [(-hx, hy, z0), (-hx, hy, z1)]
        self._items["frame"].setData(pos=np.array(segs, dtype=np.float32))
        (x0, x1), (y0, y1) = self._range
        xname, yname = self._axis_names
        f_bottom, f_top = (float(v) for v in self._scale.value_at(np.array([z0, z1]) / box.height))
        if self._scale.log and f_bottom - self._scale.floor < self._scale.offset:
            f_bottom = self._scale.floor  # 1e-13 above the minimum is the minimum, as far as a label goes
        span = translate("View3D", "{name} from {low} to {high}")
        loss = translate("View3D", "loss {value}")
        flag = QtCore.Qt.AlignmentFlag
        pad = 0.1
        below = flag.AlignHCenter | flag.AlignTop
        beside = flag.AlignLeft | flag.AlignVCenter
        texts = [
            ((0.0, -hy - pad, z0), span.format(name=xname, low=_short(x0), high=_short(x1)), below),
            ((-hx, 0.0, z0), " " + span.format(name=yname, low=_short(y0), high=_short(y1)), beside),
            ((-hx, hy, z1), "  " + loss.format(value=_short(f_top)), beside),
            ((-hx, hy, z0), "  " + loss.format(value=_short(f_bottom)), beside),
        ]
        for label, (pos, text, align) in zip(self._labels, texts, strict=True):
            label.setData(pos=np.array(pos, dtype=np.float64), text=text, alignment=align)

    def _place_minima(self) -> None:
        """White dots at the landscape's known minima and saddle points on the footprint."""
        pts = []
        for m in getattr(self._surface, "known_minima", ()):
            if np.isfinite(m.x) and np.isfinite(m.y) and np.isfinite(m.value):
                pts.append((m.x, m.y, m.value))
        if pts:
            arr = np.array(pts, dtype=np.float64)
            lifted = lift_points(arr[:, :2], arr[:, 2], self._scale, self._box, self._mesh)
            shown, _ = particle_points(lifted)
        else:
            shown = np.zeros((0, 3), np.float32)
        for name in ("minima", "minima_rims"):
            self._items[name].setData(pos=shown)

    # ------------------------------------------------------------------ frames
    def _draw(self) -> None:
        """The particles and trails of the current frame (data only: the items stay)."""
        d = self._data
        if not self._visible_now() or self._mesh is None or d is None or not len(d.step):
            return
        n_frames = len(d.step)
        f = max(0, min(self._frame, n_frames - 1))
        step = int(d.step[f])
        div = np.asarray(d.diverged_at)
        gv = self._group_visible()
        # particles
        pos = np.asarray(d.positions[f, self._pidx], dtype=np.float64)
        dp = div[self._pidx]
        alive = ~((dp >= 0) & (dp <= step))
        keep = alive & gv[self._pgroup]
        self.n_diverged = int(((div >= 0) & (div <= step)).sum())
        pts = np.full((len(pos), 3), np.nan)
        if keep.any():
            pts[keep] = lift_points(pos[keep], self._loss(pos[keep]), self._scale, self._box, self._mesh)
        drawn, idx = particle_points(pts)
        colors = np.ones((len(idx), 4), np.float32)
        colors[:, :3] = self._rgb[self._pgroup[idx]]
        self._items["points"].setData(pos=drawn, color=colors)
        self._items["rims"].setData(pos=drawn)
        self.n_drawn = len(drawn)
        self._draw_trails(d, f, div, gv)
        self._update_counts(step)

    def _draw_trails(self, d, f: int, div: np.ndarray, gv: np.ndarray) -> None:
        L = self._trail_length
        if L == 0 or f == 0 or not len(self._tidx):
            self._items["trails"].setData(pos=np.zeros((0, 3), np.float32))
            return
        frames = trail_frames(0 if L < 0 else max(0, f - L), f, MAX_TRAIL_POINTS)
        pos = d.positions
        if isinstance(pos, np.ndarray):
            xy = pos[frames[:, None], self._tidx[None, :]]
        else:  # the window's FrameStack: [frames, particles] gives (T, K, 2)
            xy = pos[frames, self._tidx]
        xy = np.asarray(xy, dtype=np.float64)  # (T, K, 2)
        steps = np.asarray(d.step)[frames]
        dt = div[self._tidx]
        gone = (dt[None, :] >= 0) & (dt[None, :] <= steps[:, None])
        keep = ~gone & gv[self._tgroup][None, :]
        pts = np.full(xy.shape[:2] + (3,), np.nan)
        if keep.any():
            pts[keep] = lift_points(xy[keep], self._loss(xy[keep]), self._scale, self._box, self._mesh)
        verts, owner = trail_segments(pts)
        counts = np.bincount(self._tgroup, minlength=len(self._rgb))
        alpha = np.where(counts <= 20, 0.9, np.where(counts <= 200, 0.5, 0.3)).astype(np.float32)
        colors = np.empty((len(verts), 4), np.float32)
        g = self._tgroup[owner]
        colors[:, :3] = self._rgb[g]
        colors[:, 3] = alpha[g]
        self._items["trails"].setData(pos=verts, color=colors)

    def _loss(self, xy: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(self._surface.value_and_grad(xy[:, 0], xy[:, 1])[0], dtype=np.float64)

    def _group_visible(self) -> np.ndarray:
        n = max(len(self._rgb), int(self._pgroup.max()) + 1 if len(self._pidx) else 1)
        if len(self._rgb) < n:  # more groups in the data than colours given: the palette's
            from optviz.render.colors import GROUP_PALETTE

            extra = [parse_color(GROUP_PALETTE[i % len(GROUP_PALETTE)]) for i in range(len(self._rgb), n)]
            self._rgb = np.vstack([self._rgb, np.asarray(extra, np.float32) / 255.0])
        return visible_group_mask(self._visible_groups, n)

    # ------------------------------------------------------------------ text
    def _update_header(self) -> None:
        if self.problem is not None:
            self.header.setText(translate("View3D", "<b>3-D view</b>"))
            return
        scale = self._scale
        if scale is not None and scale.log:
            mapping = translate("View3D", "height and colour: log₁₀(f − f<sub>min</sub> + d), the 2-D view's "
                                          "colour scale")
        else:
            mapping = translate("View3D", "height and colour: the loss f, the 2-D view's colour scale")
        hint = translate("View3D", "drag: rotate · wheel: zoom · Ctrl+drag: pan · white: minima, saddles")
        muted = self.theme["muted"]
        self.header.setText(f"<b>{mapping}</b><br><span style='color: {muted}'>{hint}</span>")

    def _update_counts(self, step: int) -> None:
        self._counts_step = step
        parts = [translate("View3D", "step {step}").format(step=f"{step:,}")]
        n_all = self._n_particles
        if len(self._pidx) < n_all:
            parts.append(translate("View3D", "showing an even sample of {shown} of {total} particles").format(
                shown=f"{len(self._pidx):,}", total=f"{n_all:,}"))
        if len(self._tidx) < n_all and self._trail_length != 0:
            parts.append(translate("View3D", "trails of {n} of them").format(n=f"{len(self._tidx):,}"))
        if self.n_diverged:
            parts.append(translate("View3D", "{n} diverged, not drawn").format(n=f"{self.n_diverged:,}"))
        self.counts.setText(" · ".join(parts))


def _fit_distance(points, centre, elevation: float, azimuth: float, fov: float, aspect: float,
                  fill: float = 0.86) -> float:
    """The camera distance at which ``points`` seen from (elevation, azimuth) around ``centre`` fill
    ``fill`` of a view of horizontal field of view ``fov`` (degrees) and width/height ``aspect``
    (pyqtgraph's GLViewWidget camera: the view matrix rotates by elevation - 90 about x, then by
    -(azimuth + 90) about z)."""
    rot = QtGui.QMatrix4x4()
    rot.rotate(elevation - 90.0, 1, 0, 0)
    rot.rotate(azimuth + 90.0, 0, 0, -1)
    tx = fill * np.tan(np.radians(fov / 2))
    ty = tx / max(aspect, 1e-6)
    need = 0.1
    for p in points:
        q = rot.map(QtGui.QVector3D(p[0] - centre.x(), p[1] - centre.y(), p[2] - centre.z()))
        need = max(need, q.z() + abs(q.x()) / tx, q.z() + abs(q.y()) / ty)  # depth = distance - q.z
    return float(need)


def _short(v: float) -> str:
    """A number for an axis label: 3 significant digits, no trailing zeros."""
    v = float(v)
    if v == 0 or not np.isfinite(v):
        return "0" if v == 0 else str(v)
    return f"{v:.3g}"


class View3DDock(QtCore.QObject):
    """The 3-D view in a dock of the main window, shown and hidden by :attr:`action` (View > 3-D view,
    shortcut 3). It follows the session's frames (play, scrub, step), the 2-D scene's landscape, view
    region and colormap, and the 2-D view's trail length; the window tells it which groups are shown
    (:meth:`set_visible_groups`)."""

    def __init__(self, window: QtWidgets.QMainWindow, session, scene, view_options):
        super().__init__(window)
        self.window = window
        self.session = session
        self.scene = scene
        self.view3d = View3D(theme=scene.theme_name)
        self.dock = side_dock(window, "view3d", self.view3d, "3")
        self._sized = False
        self.action = self.dock.toggleViewAction()
        self._retranslate_dock()
        language().changed.connect(self.retranslate)
        self.dock.visibilityChanged.connect(self._on_visibility)
        session.frame_changed.connect(self._on_frame)
        scene.sigViewChanged.connect(self._on_view)
        view_options.events.trail_length.connect(self._on_trail)

    def set_visible_groups(self, groups) -> None:
        self.view3d.set_visible_groups(groups)

    def retranslate(self, _code: str = "") -> None:
        """The dock's title, View > 3-D view and the view's own texts in the current language."""
        self._retranslate_dock()
        self.view3d.retranslate()

    def _retranslate_dock(self) -> None:
        # the title first: a dock's title change also renames its toggle action
        self.dock.setWindowTitle(translate("View3D", "3-D view"))
        self.action.setText(translate("View3D", "3-D view"))
        tip = translate("View3D", "The landscape as a surface with the particles on it, at the same step; "
                                  "drag to rotate")
        self.action.setToolTip(tip)
        self.action.setStatusTip(tip)

    # ------------------------------------------------------------------ following the window
    def _shown(self) -> bool:
        return self.dock.isVisible()

    def _on_visibility(self, visible: bool) -> None:
        if not visible:
            return
        if not self._sized:  # first shown: give it a good share of the window beside the 2-D scene
            self._sized = True
            self.window.resizeDocks([self.dock], [int(self.window.width() * 0.34)], QtCore.Qt.Orientation.Horizontal)
        self._on_view(self.scene.view_range())
        frame = self.session.frame
        if frame is not None and self.session.display.n:
            self._draw(frame, new_data=True)

    def _on_frame(self, frame) -> None:
        if self._shown():
            self._draw(frame, new_data=frame.new_data)

    def _draw(self, frame, new_data: bool) -> None:
        v = self.view3d
        v.set_trail_length(self.scene.particles.trail_length)  # "auto" is resolved by the 2-D scene
        if new_data or v.data is None:
            v.set_data(self.session.display.result(), frame=frame.index)
        else:
            v.show_frame(frame.index)

    def _on_view(self, view_range) -> None:
        exp = self.scene.experiment
        scale = self.scene.landscape.scale
        if not self._shown() or exp is None or scale is None:
            return
        (x0, x1), (y0, y1) = view_range
        self.view3d.set_groups(group_colors(exp.groups))
        self.view3d.set_landscape(exp.landscape_spec(), (x0, x1), (y0, y1), scale, self.scene.landscape.colormap)

    def _on_trail(self, *_):
        if self._shown():
            self.view3d.set_trail_length(self.scene.particles.trail_length)


"""The output writers, one class a format, behind one small protocol (as matplotlib.animation's).

A writer is used as::

    w = MP4Writer(crf=20)                                # or registry["mp4"].from_options(opts)
    w.setup(path, (width, height), fps, metadata_text)   # opens the output
    for frame in frames:                                 # (H, W, 4) uint8, BGRA
        w.grab_frame(frame)
    w.finish()                                           # flushes and closes
    # on error or cancel: w.abort() (closes, removes its own helper files; the caller deletes path)

Each class also says what the registry (:mod:`optviz.render.writer_registry`) lists:
``name``, ``label``, ``title``, ``extensions``, ``kind`` ("animation" or "figure"),
:meth:`Writer.unavailable_reason` (``None`` when it can write here) and, where the
format cannot hold the experiment, ``metadata_sidecar``.

Every animation writer encodes in this process through PyAV (FFmpeg's libraries)
and holds a bounded amount of memory whatever the number of frames; the same
frames give the same bytes (single-threaded encoders):

* :class:`MP4Writer` - H.264 (libx264, yuv420p, ``+faststart``); plays in
  browsers. The experiment goes into the container's ``comment``.
* :class:`GIFWriter` - FFmpeg's ``palettegen``/``paletteuse``: one palette
  for the whole animation, error-diffusion dithering (no banding), loops
  forever. The palette needs every frame before the first can be written, so
  frames go losslessly (H.264 in RGB at qp 0, about 30 KB a 720p frame) to a
  helper file beside the output while the palette is gathered, and are read
  back from it to write the GIF: disk, not memory, holds them.
* :class:`WebPWriter` - libwebp's animation encoder (``libwebp_anim``), which
  keeps only compressed frames; the experiment goes into an XMP chunk.

A figure writer (:class:`PNGWriter`, :class:`SVGWriter`) takes one frame, the
scene itself, laid out and showing its step (an SVG is drawn from the scene's
items, not from pixels).

:class:`ThreadedWriter` wraps any writer so that encoding runs on another
thread while the next frame renders (frames are handed over through a small
queue bounded in frames and bytes; an encoder error is re-raised in the
caller's thread).
"""

from __future__ import annotations

import contextlib
import queue
import struct
import threading
from fractions import Fraction
from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np

from optviz.interrupt import cancel_requested, deferred

__all__ = ["FrameWriter", "Writer", "MP4Writer", "GIFWriter", "WebPWriter", "PNGWriter", "SVGWriter",
           "ThreadedWriter", "pyav_lacks", "webp_with_xmp"]


class FrameWriter(Protocol):
    def setup(self, path, size: tuple[int, int], fps: float | None, metadata: str) -> None: ...
    def grab_frame(self, frame) -> None: ...
    def finish(self) -> None: ...
    def abort(self) -> None: ...


class Writer:
    """A registered writer: what the registry lists and asks of it (the protocol is :class:`FrameWriter`)."""

    #: Short name, the ``format=`` argument ("mp4").
    name: ClassVar[str]
    #: The format as a person names it ("MP4").
    label: ClassVar[str]
    #: The export dialog's and file chooser's text ("MP4 video (H.264)").
    title: ClassVar[str]
    #: File name endings, lower case with the dot; the first is the default.
    extensions: ClassVar[tuple[str, ...]]
    #: "animation" (``optviz export``) or "figure" (``optviz figure``).
    kind: ClassVar[str]
    #: Whether the experiment is recorded in a ``.toml`` file beside the output (the format has no room).
    metadata_sidecar: ClassVar[bool] = False

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """Why this writer cannot write here (a missing library or encoder), or ``None``."""
        return None

    @classmethod
    def is_available(cls) -> bool:
        return cls.unavailable_reason() is None

    @classmethod
    def size_problem(cls, size: tuple[int, int]) -> str | None:
        """Why the format cannot hold frames of ``size`` (width, height), or ``None``."""
        return None

    @classmethod
    def from_options(cls, opts) -> Writer:
        """The writer for render options ``opts`` (:class:`~optviz.render.options.RenderOptions`)."""
        return cls()

    def abort(self) -> None:
        """Stop after an error or cancel; the caller deletes the output."""


def pyav_lacks(encoders=(), filters=(), muxers=()) -> str | None:
    """Why PyAV cannot run the given FFmpeg encoders, filters and muxers here, or ``None``."""
    try:
        import av
        import av.filter
    except ImportError as error:
        return f"PyAV cannot be imported ({error})"
    build = f"this PyAV build (FFmpeg {av.ffmpeg_version_info})"
    for encoder in encoders:
        try:
            av.codec.Codec(encoder, "w")
        except av.codec.codec.UnknownCodecError:
            return f"{build} has no {encoder!r} encoder"
    for name in filters:
        if name not in av.filter.filters_available:
            return f"{build} has no {name!r} filter"
    for muxer in muxers:
        if muxer not in av.formats_available:
            return f"{build} cannot write {muxer!r} files"
    return None


def _rate(fps: float) -> Fraction:
    return Fraction(fps).limit_denominator(1001)


def _bgra_frame(frame: np.ndarray, pts: int):
    import av

    vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="bgra")
    vf.pts = pts
    return vf


def _encoder_stream(container, codec: str, size, rate: Fraction, pix_fmt: str, threads: int, options: dict):
    """A new ``codec`` video stream of ``container``: ``size`` (width, height) in ``pix_fmt``, ``rate``
    frames per second with frame times in 1/rate, ``threads`` encoder threads (1: the bytes depend only
    on the frames) and the encoder ``options``."""
    stream = container.add_stream(codec, rate=rate)
    stream.width, stream.height = size
    stream.pix_fmt = pix_fmt
    stream.codec_context.time_base = 1 / rate
    stream.codec_context.thread_count = threads
    stream.options = options
    return stream


def _close_quietly(container) -> None:
    if container is not None:
        with contextlib.suppress(Exception):  # the file is deleted anyway
            container.close()


class MP4Writer(Writer):
    """H.264 through PyAV. One encoder thread: x264's output then depends only on the frames."""

    name, label, title, extensions, kind = "mp4", "MP4", "MP4 video (H.264)", (".mp4",), "animation"

    @classmethod
    def unavailable_reason(cls):
        return pyav_lacks(encoders=("libx264",), muxers=("mp4",))

    @classmethod
    def size_problem(cls, size):
        if size[0] % 2 or size[1] % 2:
            return "MP4 (H.264, yuv420p) needs an even width and height"
        return None

    @classmethod
    def from_options(cls, opts):
        return cls(crf=opts.crf)

    def __init__(self, crf: int = 20, preset: str = "veryfast", threads: int = 1):
        self.crf = crf
        self.preset = preset
        self.threads = threads
        self._container = None
        self._stream = None
        self._i = 0

    def setup(self, path, size, fps, metadata):
        import av

        self._container = av.open(str(path), mode="w", format="mp4",
                                  options={"movflags": "+faststart"})
        self._container.metadata["comment"] = metadata
        self._stream = _encoder_stream(self._container, "libx264", size, _rate(fps), "yuv420p", self.threads,
                                       {"crf": str(self.crf), "preset": self.preset, "tune": "animation",
                                        "threads": str(self.threads)})
        self._i = 0

    def grab_frame(self, frame):
        vf = _bgra_frame(frame, self._i)
        self._i += 1
        for packet in self._stream.encode(vf):
            self._container.mux(packet)

    def finish(self):
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()
        self._container = None

    def abort(self):
        _close_quietly(self._container)
        self._container = None


class GIFWriter(Writer):
    """One palette for the whole animation, in two passes over a lossless helper file.

    Pass 1 (:meth:`grab_frame`) feeds each frame to ``palettegen`` and appends it to
    ``PATH.frames.nut`` (lossless H.264); pass 2 (:meth:`finish`) reads the frames back through
    ``paletteuse`` into the GIF. The result is byte-identical to FFmpeg's one-graph
    ``split,palettegen,paletteuse``, which holds every frame in memory.
    """

    name, label, title, extensions, kind = "gif", "GIF", "GIF (loops)", (".gif",), "animation"
    metadata_sidecar = True

    @classmethod
    def unavailable_reason(cls):
        return pyav_lacks(encoders=("libx264rgb", "gif"), filters=("format", "palettegen", "paletteuse"),
                          muxers=("nut", "gif"))

    def __init__(self, dither: str = "sierra2_4a"):
        self.dither = dither
        self._path: Path | None = None
        self._frames_path: Path | None = None
        self._frames = None  # the helper container being written
        self._frames_stream = None
        self._palette_graph = None
        self._palette_in = None
        self._palette_out = None
        self._gif = None
        self._i = 0

    def setup(self, path, size, fps, metadata):
        import av
        import av.filter

        w, h = size
        self._path = Path(path)
        self._size = (w, h)
        self._rate = _rate(fps)
        self._time_base = 1 / self._rate
        self._frames_path = self._path.with_name(self._path.name + ".frames.nut")
        self._frames = av.open(str(self._frames_path), mode="w", format="nut")
        self._frames_stream = _encoder_stream(self._frames, "libx264rgb", (w, h), self._rate, "bgr0", 1,
                                              {"qp": "0", "preset": "veryfast", "threads": "1"})  # qp 0: lossless
        graph = av.filter.Graph()
        graph.threads = 1
        source = graph.add_buffer(width=w, height=h, format="bgra", time_base=self._time_base)
        to_rgb = graph.add("format", "rgb24")
        palettegen = graph.add("palettegen", "stats_mode=full")
        sink = graph.add("buffersink")
        source.link_to(to_rgb)
        to_rgb.link_to(palettegen)
        palettegen.link_to(sink)
        graph.configure()
        self._palette_graph, self._palette_in, self._palette_out = graph, source, sink
        self._i = 0

    def grab_frame(self, frame):
        vf = _bgra_frame(frame, self._i)
        vf.time_base = self._time_base
        self._i += 1
        self._palette_in.push(vf)
        self._run_palettegen()
        for packet in self._frames_stream.encode(vf.reformat(format="bgr0")):
            self._frames.mux(packet)

    def _run_palettegen(self):
        """Let the graph take in the pushed frame (filters run only when their output is asked for)."""
        import av

        try:
            self._palette_out.pull()
        except av.BlockingIOError:  # expected: the palette comes after the last frame
            return
        raise RuntimeError("palettegen gave a palette before the last frame")

    def finish(self):
        import av

        for packet in self._frames_stream.encode():
            self._frames.mux(packet)
        self._frames.close()
        self._frames = None
        self._palette_in.push(None)
        palette = self._palette_out.pull()
        self._palette_graph = self._palette_in = self._palette_out = None
        _graph, source, palette_source, sink = self._paletteuse_graph(palette)  # the graph owns the rest
        palette.pts = 0
        palette.time_base = self._time_base
        palette_source.push(palette)
        palette_source.push(None)
        self._gif = av.open(str(self._path), mode="w", format="gif", options={"loop": "0"})
        stream = self._gif.add_stream("gif", rate=self._rate)
        stream.width, stream.height = self._size
        stream.pix_fmt = "pal8"
        stream.codec_context.time_base = self._time_base
        with av.open(str(self._frames_path)) as frames:
            for i, frame in enumerate(frames.decode(video=0)):
                frame.pts = i
                frame.time_base = self._time_base
                source.push(frame)
                self._write_gif_frames(sink, stream)
        source.push(None)
        self._write_gif_frames(sink, stream)
        for packet in stream.encode():
            self._gif.mux(packet)
        self._gif.close()
        self._gif = None
        self._frames_path.unlink()

    def _paletteuse_graph(self, palette):
        import av.filter

        w, h = self._size
        graph = av.filter.Graph()
        graph.threads = 1
        source = graph.add_buffer(width=w, height=h, format="bgr0", time_base=self._time_base)
        palette_source = graph.add_buffer(width=palette.width, height=palette.height,
                                          format=palette.format.name, time_base=self._time_base)
        to_rgb = graph.add("format", "rgb24")
        paletteuse = graph.add("paletteuse", f"dither={self.dither}:diff_mode=rectangle")
        sink = graph.add("buffersink")
        source.link_to(to_rgb)
        to_rgb.link_to(paletteuse, 0, 0)
        palette_source.link_to(paletteuse, 0, 1)
        paletteuse.link_to(sink)
        graph.configure()
        return graph, source, palette_source, sink

    def _write_gif_frames(self, sink, stream):
        import av

        while True:
            try:
                frame = sink.pull()
            except (av.BlockingIOError, av.EOFError):
                return
            for packet in stream.encode(frame):
                self._gif.mux(packet)

    def abort(self):
        _close_quietly(self._frames)
        _close_quietly(self._gif)
        self._frames = self._gif = None
        self._palette_graph = self._palette_in = self._palette_out = None
        if self._frames_path is not None:
            with contextlib.suppress(FileNotFoundError):
                self._frames_path.unlink()


class WebPWriter(Writer):
    """Animated WebP through libwebp's animation encoder (lossy, loops forever).

    The encoder keeps each frame compressed and hands out the whole file at the
    end; :meth:`finish` adds the experiment as an XMP chunk and writes it.
    """

    name, label, title, extensions, kind = "webp", "WebP", "WebP (loops)", (".webp",), "animation"

    @classmethod
    def unavailable_reason(cls):
        return pyav_lacks(encoders=("libwebp_anim",))

    def __init__(self, quality: int = 82, method: int = 4):
        self.quality = quality
        self.method = method
        self._codec = None

    def setup(self, path, size, fps, metadata):
        import av

        self._path = Path(path)
        self._meta = metadata
        self._rate = Fraction(fps)
        codec = av.CodecContext.create("libwebp_anim", "w")
        codec.width, codec.height = size
        codec.pix_fmt = "bgra"
        codec.time_base = Fraction(1, 1000)  # WebP frame times are milliseconds
        codec.thread_count = 1
        codec.options = {"quality": str(self.quality), "compression_level": str(self.method),
                         "lossless": "0"}
        codec.open()
        self._codec = codec
        self._packets = []
        self._i = 0

    def grab_frame(self, frame):
        vf = _bgra_frame(frame, round(Fraction(1000) * self._i / self._rate))
        self._i += 1
        self._packets.extend(self._codec.encode(vf))

    def finish(self):
        from optviz.render.metadata import xmp_packet

        self._packets.extend(self._codec.encode(None))
        data = b"".join(bytes(p) for p in self._packets)
        self._codec = None
        self._packets = []
        with open(self._path, "wb") as f:
            f.write(webp_with_xmp(data, xmp_packet(self._meta)))

    def abort(self):
        self._codec = None
        self._packets = []


def webp_with_xmp(webp: bytes, xmp: bytes) -> bytes:
    """An extended-format (VP8X) WebP file with an ``XMP `` chunk appended and flagged."""
    if webp[:4] != b"RIFF" or webp[8:16] != b"WEBPVP8X":
        raise ValueError("not an extended-format WebP file")
    flags = webp[20] | 0x04  # VP8X flag bit: XMP metadata present
    chunk = b"XMP " + struct.pack("<I", len(xmp)) + xmp + (b"\0" if len(xmp) % 2 else b"")
    body = webp[12:20] + bytes([flags]) + webp[21:] + chunk
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


class _FigureWriter(Writer):
    """One frame, the scene: ``grab_frame(scene)`` draws it to the file's bytes, :meth:`finish` writes them."""

    kind = "figure"

    def setup(self, path, size, fps, metadata):
        self._path, self._size, self._meta = Path(path), tuple(size), metadata
        self._data = b""

    def finish(self):
        with open(self._path, "wb") as f:
            f.write(self._data)


class PNGWriter(_FigureWriter):
    """The scene's pixels as PNG, the experiment in a text chunk (:data:`~optviz.render.metadata.PNG_KEY`)."""

    name, label, title, extensions = "png", "PNG", "PNG image", (".png",)

    def grab_frame(self, scene):
        from PySide6 import QtCore

        from optviz.render.metadata import PNG_KEY

        image = scene.render_image()
        image.setText(PNG_KEY, self._meta)
        buffer = QtCore.QBuffer()
        buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
        if not image.save(buffer, "PNG"):
            raise RuntimeError("Qt could not encode the figure as PNG")
        self._data = bytes(buffer.data())


class SVGWriter(_FigureWriter):
    """The scene's items as SVG (pyqtgraph's exporter, fixed), the experiment in its metadata."""

    name, label, title, extensions = "svg", "SVG", "SVG vector", (".svg",)

    def grab_frame(self, scene):
        from optviz.render.metadata import svg_with_metadata
        from optviz.render.svg_fix import export_svg_bytes

        self._data = svg_with_metadata(export_svg_bytes(scene.scene(), *self._size), self._meta)


_STOP = object()


class ThreadedWriter:
    """Runs ``writer.grab_frame`` on a worker thread; ``finish`` runs in the caller's thread.

    At most ``max_frames`` frames, and at most ``max_bytes`` of them (but always one),
    wait in the queue. The queue's operations run inside :func:`optviz.interrupt.deferred`:
    a cancelling signal raised just after ``queue.Queue`` took its lock would leave the
    lock taken, and :meth:`abort` (and the worker) would then wait on it for ever. A
    frame waiting for room gives up within 0.2 s of the signal.
    """

    def __init__(self, writer: FrameWriter, max_frames: int = 4, max_bytes: int = 64 * 2**20):
        self.writer = writer
        self.max_frames = max_frames
        self.max_bytes = max_bytes
        self._q: queue.Queue | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="optviz-encoder", daemon=True)

    def setup(self, path, size, fps, metadata):
        frame_bytes = 4 * size[0] * size[1]
        self._q = queue.Queue(maxsize=max(1, min(self.max_frames, self.max_bytes // frame_bytes)))
        self.writer.setup(path, size, fps, metadata)
        self._thread.start()

    def _run(self):
        while True:
            item = self._q.get()
            if item is _STOP:
                return
            if self._error is not None:
                continue
            try:
                self.writer.grab_frame(item)
            except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
                self._error = e

    def _check(self):
        if self._error is not None:
            raise self._error

    def grab_frame(self, frame):
        self._check()
        with deferred():  # see the class docstring; a signal ends the wait for room at once
            while not cancel_requested():
                try:
                    self._q.put(frame, timeout=0.2)
                    return
                except queue.Full:
                    self._check()

    def finish(self):
        with deferred():
            self._q.put(_STOP)
        self._thread.join()
        self._check()
        self.writer.finish()

    def abort(self):
        self._error = self._error or RuntimeError("aborted")
        try:
            if self._q is not None and self._thread.is_alive():
                with deferred():
                    with contextlib.suppress(queue.Empty):  # drain: the worker sees the stop marker at once
                        while True:
                            self._q.get_nowait()
                    self._q.put(_STOP)
                self._thread.join(timeout=10)
        finally:
            self.writer.abort()


"""Animation writers behind one small protocol (as matplotlib.animation's).

A writer is used as::

    w = make_writer("mp4", crf=20)
    w.setup(path, (width, height), fps, metadata_text)   # opens the output
    for frame in frames:                                 # (H, W, 4) uint8, BGRA
        w.grab_frame(frame)
    w.finish()                                           # flushes and closes
    # on error or cancel: w.abort() (closes, removes its own helper files; the caller deletes path)

Every writer encodes in this process through PyAV (FFmpeg's libraries) and
holds a bounded amount of memory whatever the number of frames; the same
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
from typing import Protocol

import numpy as np

__all__ = ["FrameWriter", "MP4Writer", "GIFWriter", "WebPWriter", "ThreadedWriter", "make_writer", "webp_with_xmp"]


class FrameWriter(Protocol):
    def setup(self, path, size: tuple[int, int], fps: float, metadata: str) -> None: ...
    def grab_frame(self, frame: np.ndarray) -> None: ...
    def finish(self) -> None: ...
    def abort(self) -> None: ...


def _rate(fps: float) -> Fraction:
    return Fraction(fps).limit_denominator(1001)


def _bgra_frame(frame: np.ndarray, pts: int):
    import av

    vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="bgra")
    vf.pts = pts
    return vf


def _close_quietly(container) -> None:
    if container is not None:
        with contextlib.suppress(Exception):  # the file is deleted anyway
            container.close()


class MP4Writer:
    """H.264 through PyAV. One encoder thread: x264's output then depends only on the frames."""

    def __init__(self, crf: int = 20, preset: str = "veryfast", threads: int = 1):
        self.crf = crf
        self.preset = preset
        self.threads = threads
        self._container = None
        self._stream = None
        self._i = 0

    def setup(self, path, size, fps, metadata):
        import av

        w, h = size
        self._container = av.open(str(path), mode="w", format="mp4",
                                  options={"movflags": "+faststart"})
        self._container.metadata["comment"] = metadata
        rate = _rate(fps)
        s = self._container.add_stream("libx264", rate=rate)
        s.width, s.height = w, h
        s.pix_fmt = "yuv420p"
        s.codec_context.time_base = 1 / rate
        s.codec_context.thread_count = self.threads
        s.options = {"crf": str(self.crf), "preset": self.preset, "tune": "animation",
                     "threads": str(self.threads)}
        self._stream = s
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


class GIFWriter:
    """One palette for the whole animation, in two passes over a lossless helper file.

    Pass 1 (:meth:`grab_frame`) feeds each frame to ``palettegen`` and appends it to
    ``PATH.frames.nut`` (lossless H.264); pass 2 (:meth:`finish`) reads the frames back through
    ``paletteuse`` into the GIF. The result is byte-identical to FFmpeg's one-graph
    ``split,palettegen,paletteuse``, which holds every frame in memory.
    """

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
        s = self._frames.add_stream("libx264rgb", rate=self._rate)
        s.width, s.height, s.pix_fmt = w, h, "bgr0"
        s.codec_context.time_base = self._time_base
        s.codec_context.thread_count = 1
        s.options = {"qp": "0", "preset": "veryfast", "threads": "1"}  # qp 0: lossless
        self._frames_stream = s
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


class WebPWriter:
    """Animated WebP through libwebp's animation encoder (lossy, loops forever).

    The encoder keeps each frame compressed and hands out the whole file at the
    end; :meth:`finish` adds the experiment as an XMP chunk and writes it.
    """

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


def make_writer(fmt: str, *, crf: int = 20) -> FrameWriter:
    if fmt == "mp4":
        return MP4Writer(crf=crf)
    if fmt == "gif":
        return GIFWriter()
    if fmt == "webp":
        return WebPWriter()
    raise ValueError(f"format: {fmt!r} is not allowed; one of mp4, gif, webp")


_STOP = object()


class ThreadedWriter:
    """Runs ``writer.grab_frame`` on a worker thread; ``finish`` runs in the caller's thread.

    At most ``max_frames`` frames, and at most ``max_bytes`` of them (but always one),
    wait in the queue.
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
        while True:
            try:
                self._q.put(frame, timeout=0.2)
                return
            except queue.Full:
                self._check()

    def finish(self):
        self._q.put(_STOP)
        self._thread.join()
        self._check()
        self.writer.finish()

    def abort(self):
        self._error = self._error or RuntimeError("aborted")
        if self._q is not None and self._thread.is_alive():
            with contextlib.suppress(queue.Empty):  # drain so the worker sees the stop marker at once
                while True:
                    self._q.get_nowait()
            self._q.put(_STOP)
            self._thread.join(timeout=10)
        self.writer.abort()


"""Animation writers behind one small protocol (as matplotlib.animation's).

A writer is used as::

    w = make_writer("mp4", crf=20)
    w.setup(path, (width, height), fps, metadata_text)   # opens the output
    for frame in frames:                                 # (H, W, 4) uint8, BGRA
        w.grab_frame(frame)
    w.finish()                                           # flushes and closes
    # on error or cancel: w.abort() (closes, kills helpers; the caller deletes the file)

* :class:`MP4Writer` — H.264 (libx264, yuv420p, ``+faststart``) through PyAV;
  plays in browsers. The experiment goes into the container's ``comment``.
* :class:`GIFWriter` — FFmpeg (imageio-ffmpeg's binary) with
  ``palettegen``/``paletteuse`` in one filter graph: one palette for the
  whole animation, error-diffusion dithering (no banding), loops forever.
* :class:`WebPWriter` — Pillow's animated WebP; the experiment goes into XMP.

:class:`ThreadedWriter` wraps any writer so that encoding runs on another
thread while the next frame renders (frames are handed over through a small
bounded queue; an encoder error is re-raised in the caller's thread).
"""

from __future__ import annotations

import queue
import subprocess
import threading
from fractions import Fraction
from typing import Protocol

import numpy as np

__all__ = ["FrameWriter", "MP4Writer", "GIFWriter", "WebPWriter", "ThreadedWriter", "make_writer"]


class FrameWriter(Protocol):
    def setup(self, path, size: tuple[int, int], fps: float, metadata: str) -> None: ...
    def grab_frame(self, frame: np.ndarray) -> None: ...
    def finish(self) -> None: ...
    def abort(self) -> None: ...


class MP4Writer:
    def __init__(self, crf: int = 20, preset: str = "veryfast", threads: int = 1):
        self.crf = crf
        self.preset = preset
        self.threads = threads  # the encoder gets one core; rendering keeps the other
        self._container = None
        self._stream = None
        self._i = 0

    def setup(self, path, size, fps, metadata):
        import av

        w, h = size
        self._container = av.open(str(path), mode="w", format="mp4",
                                  options={"movflags": "+faststart"})
        self._container.metadata["comment"] = metadata
        rate = Fraction(fps).limit_denominator(1001)
        s = self._container.add_stream("libx264", rate=rate)
        s.width, s.height = w, h
        s.pix_fmt = "yuv420p"
        s.codec_context.time_base = 1 / rate
        s.options = {"crf": str(self.crf), "preset": self.preset, "tune": "animation",
                     "threads": str(self.threads)}
        self._stream = s
        self._i = 0

    def grab_frame(self, frame):
        import av

        vf = av.VideoFrame.from_ndarray(frame, format="bgra")
        vf.pts = self._i
        self._i += 1
        for packet in self._stream.encode(vf):
            self._container.mux(packet)

    def finish(self):
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()
        self._container = None

    def abort(self):
        if self._container is not None:
            try:
                self._container.close()
            except Exception:  # noqa: BLE001 - the file is deleted anyway
                pass
            self._container = None


class GIFWriter:
    def __init__(self, dither: str = "sierra2_4a"):
        self.dither = dither
        self._proc = None

    def setup(self, path, size, fps, metadata):
        import imageio_ffmpeg

        w, h = size
        graph = (
            "[0:v]format=rgb24,split[a][b];[a]palettegen=stats_mode=full[p];"
            f"[b][p]paletteuse=dither={self.dither}:diff_mode=rectangle"
        )
        cmd = [
            imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
            "-f", "rawvideo", "-pix_fmt", "bgra", "-s", f"{w}x{h}", "-framerate", f"{fps:g}",
            "-i", "pipe:0", "-filter_complex", graph, "-loop", "0", "-f", "gif", str(path),
        ]
        # own session: Ctrl-C reaches Python, which then stops FFmpeg itself
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                                      start_new_session=True)

    def grab_frame(self, frame):
        self._proc.stdin.write(np.ascontiguousarray(frame).data)

    def finish(self):
        self._proc.stdin.close()
        err = self._proc.stderr.read().decode("utf-8", "replace")
        rc = self._proc.wait()
        self._proc = None
        if rc != 0:
            raise RuntimeError(f"ffmpeg failed to write the GIF: {err.strip()[-500:]}")

    def abort(self):
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None


class WebPWriter:
    def __init__(self, quality: int = 82, method: int = 4):
        self.quality = quality
        self.method = method
        self._frames = []

    def setup(self, path, size, fps, metadata):
        self._path = path
        self._fps = fps
        self._meta = metadata
        self._frames = []

    def grab_frame(self, frame):
        from PIL import Image

        self._frames.append(Image.fromarray(np.ascontiguousarray(frame[..., [2, 1, 0]])))

    def finish(self):
        from optviz.render.metadata import xmp_packet

        first, rest = self._frames[0], self._frames[1:]
        first.save(
            str(self._path), format="WEBP", save_all=True, append_images=rest,
            duration=int(round(1000 / self._fps)), loop=0, quality=self.quality,
            method=self.method, xmp=xmp_packet(self._meta),
        )
        self._frames = []

    def abort(self):
        self._frames = []


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
    """Runs ``writer.grab_frame`` (and ``finish``) on a worker thread."""

    def __init__(self, writer: FrameWriter, maxsize: int = 4):
        self.writer = writer
        self._q: queue.Queue = queue.Queue(maxsize=maxsize)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="optviz-encoder", daemon=True)

    def setup(self, path, size, fps, metadata):
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
        # drain so the worker sees the stop marker promptly
        try:
            while True:
                self._q.get_nowait()
        except queue.Empty:
            pass
        if self._thread.is_alive():
            self._q.put(_STOP)
            self._thread.join(timeout=10)
        self.writer.abort()

"""The output formats: one registration a writer, looked up by name or by the output's file ending.

Everything that lists or accepts formats asks :data:`registry`: ``optviz figure``
and ``optviz export`` (their help, the formats they accept, ``optviz list``), the
window's export dialog, and :func:`~optviz.render.figure` /
:func:`~optviz.render.export_animation`. Adding a format is one
:meth:`WriterRegistry.register` of a :class:`~optviz.render.writers.Writer` class.

A registered format whose writer cannot run here (PyAV built without its
encoder, say) stays listed, marked unavailable with the reason; asking for it
raises :class:`~optviz.render.options.RenderOptionError` in one line naming the
format and the reason, before anything is simulated or written.

Importing this module imports neither Qt nor PyAV (only
:meth:`~optviz.render.writers.Writer.unavailable_reason` imports PyAV), nor the
core: listing the formats is quick.
"""

from __future__ import annotations

from pathlib import Path

from optviz.render.writers import GIFWriter, MP4Writer, PNGWriter, SVGWriter, WebPWriter, Writer

__all__ = ["WriterRegistry", "registry", "spoken"]

KINDS = ("figure", "animation")


def spoken(words) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    words = list(words)
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else "".join(words)


class WriterRegistry:
    """The writers by name, in registration order (the first of a kind is its default)."""

    def __init__(self) -> None:
        self._writers: dict[str, type[Writer]] = {}

    def register(self, writer: type[Writer]) -> type[Writer]:
        """Add ``writer``; its name and file endings must be new. Returns it (usable as a decorator)."""
        if writer.kind not in KINDS:
            raise ValueError(f"kind: {writer.kind!r} is not allowed; one of {', '.join(KINDS)}")
        if writer.name in self._writers:
            raise ValueError(f"name: {writer.name!r} is registered already")
        taken = {ext: w.name for w in self._writers.values() for ext in w.extensions}
        for ext in writer.extensions:
            if ext != ext.lower() or not ext.startswith("."):
                raise ValueError(f"extensions: {ext!r} is not allowed; lower case, starting with a dot")
            if ext in taken:
                raise ValueError(f"extensions: {ext!r} is the {taken[ext]!r} writer's already")
        self._writers[writer.name] = writer
        return writer

    def __getitem__(self, name: str) -> type[Writer]:
        return self._writers[name]

    def writers(self, kind: str | None = None) -> list[type[Writer]]:
        """The registered writers (of ``kind``), in registration order."""
        return [w for w in self._writers.values() if kind is None or w.kind == kind]

    def names(self, kind: str | None = None) -> list[str]:
        return [w.name for w in self.writers(kind)]

    def extensions(self, kind: str | None = None) -> list[str]:
        """Every file ending accepted (for ``kind``), with the dot."""
        return [ext for w in self.writers(kind) for ext in w.extensions]

    def file_filter(self, kind: str) -> str:
        """A file dialog's filter of the available ``kind`` writers: "MP4 video (*.mp4);;GIF ..."."""
        return ";;".join(f"{w.title} ({' '.join('*' + ext for ext in w.extensions)})"
                         for w in self.writers(kind) if w.is_available())

    def default(self, kind: str) -> type[Writer]:
        """The first writer of ``kind`` (the CLI's default output ending)."""
        return self.writers(kind)[0]

    def for_output(self, path, kind: str, format: str | None = None) -> type[Writer]:
        """The writer of ``format`` (a name or ending), else of ``path``'s ending, if it can write here.

        RenderOptionError in one line otherwise: the ending is not a ``kind`` format (naming the
        allowed endings), or its writer is unavailable (naming the format and why).
        """
        from optviz.render.options import RenderOptionError  # loads the core (Numba): only when asked

        wanted = (format or Path(path).suffix).lower()
        dotted = wanted if wanted.startswith(".") else "." + wanted
        writer = next((w for w in self.writers(kind) if w.name == wanted or dotted in w.extensions), None)
        if writer is None:
            shown = format if format else str(path)
            raise RenderOptionError(f"output: {shown!r} is not allowed; {kind}s are written as "
                                    + ", ".join(self.extensions(kind)))
        reason = writer.unavailable_reason()
        if reason is not None:
            raise RenderOptionError(f"format: {writer.name!r} ({writer.label}) is not available; {reason}")
        return writer


#: The formats of optviz, figures first.
registry = WriterRegistry()
for _writer in (PNGWriter, SVGWriter, MP4Writer, GIFWriter, WebPWriter):
    registry.register(_writer)

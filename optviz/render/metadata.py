"""Every output records the experiment that made it, so it can be regenerated.

The record is the experiment's TOML text with a ``[render]`` table holding the
effective render options (size, step, fps, frames, ...):

=======  ================================================================
PNG      text chunk ``optviz-experiment``
SVG      ``<metadata><optviz:experiment>`` (CDATA) after the ``<desc>``
MP4      container metadata ``comment``
WebP     XMP packet with an ``optviz:experiment`` element
GIF      sidecar file ``OUT.gif.toml`` (GIF comments do not survive FFmpeg)
=======  ================================================================

:func:`read_experiment_text` reads it back from any of these.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = [
    "PNG_KEY",
    "experiment_text",
    "read_experiment_text",
    "sidecar_path",
    "svg_with_metadata",
    "xmp_packet",
    "MetadataError",
]

PNG_KEY = "optviz-experiment"
_NS = "https://github.com/optviz/optviz/ns/1.0/"


class MetadataError(ValueError):
    """The file records no experiment (or it cannot be read)."""


def experiment_text(exp, render_table: dict) -> str:
    """The experiment as TOML, with ``render_table`` as its ``[render]`` table."""
    from optviz.experiment import experiment_to_toml

    return experiment_to_toml(exp, render=render_table)


def sidecar_path(path) -> Path:
    p = Path(path)
    return p.with_name(p.name + ".toml")


def svg_with_metadata(svg: bytes, text: str) -> bytes:
    s = svg.decode("utf-8")
    block = (
        f'<metadata>\n<optviz:experiment xmlns:optviz="{_NS}"><![CDATA[\n'
        + text.replace("]]>", "]]]]><![CDATA[>")
        + "]]></optviz:experiment>\n</metadata>\n"
    )
    i = s.find("</desc>")
    if i < 0:
        i = s.find(">", s.find("<svg")) + 1
        s = s[:i] + "\n" + block + s[i:]
    else:
        i += len("</desc>")
        s = s[:i] + "\n" + block + s[i:]
    return s.encode("utf-8")


def xmp_packet(text: str) -> bytes:
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:optviz="{_NS}"><optviz:experiment>'
        + escape(text)
        + "</optviz:experiment></rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode("utf-8")


def _from_xml_element(data: str, tag: str = "experiment") -> str | None:
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return None
    for el in root.iter(f"{{{_NS}}}{tag}"):
        return (el.text or "").strip("\n") + "\n"
    return None


def read_experiment_text(path) -> str:
    """The experiment TOML recorded in (or beside) output file ``path``, validated as an experiment.

    Only the record is read, never more than its size limit: the PNG text chunk and the WebP
    XMP chunk are found by walking the chunk headers; an SVG is searched in its first few MiB;
    the file must be a regular file (a FIFO or a device is refused, without blocking).
    """
    from optviz.core.inputs import InputFileError, open_regular_file, read_regular_file
    from optviz.experiment import experiment_from_toml

    p = Path(path)
    ext = p.suffix.lower().lstrip(".")
    text = None
    try:
        with open_regular_file(p, what="output") as handle:
            if ext == "png":
                text = _png_text(handle, PNG_KEY)
            elif ext == "svg":
                text = _svg_text(handle)
            elif ext == "mp4":
                text = _mp4_comment(handle)
            elif ext == "webp":
                xmp = _riff_chunk(handle, b"XMP ")
                if xmp:
                    text = _from_xml_element(xmp.decode("utf-8"))
        side = sidecar_path(p)
        if text is None and os.path.lexists(side):
            text = read_regular_file(side, MAX_RECORD_BYTES, "experiment file").decode("utf-8")
    except InputFileError as e:
        raise MetadataError(f"--from {e}") from None
    except (OSError, ValueError, EOFError, zlib.error) as e:
        raise MetadataError(f"--from {path}: cannot read its metadata ({e})") from None
    if not text:
        raise MetadataError(f"--from {path}: records no optviz experiment")
    experiment_from_toml(text, f"--from {path}: its recorded experiment")  # ExperimentError, naming the field
    return text


#: The largest record read back (bytes, after decompression; XML escaping may double a TOML text).
MAX_RECORD_BYTES = 2 * 1024 * 1024
#: How far into an SVG the record is looked for (it is written right after the <desc>).
SVG_SEARCH_BYTES = 4 * 1024 * 1024
#: The most chunk headers walked in a PNG or WebP (a frame of an animation is one chunk).
MAX_CHUNKS = 1_000_000


def _png_text(handle, key: str) -> str | None:
    """The text chunk (tEXt, zTXt or iTXt) called ``key``, walking chunk headers (data skipped)."""
    if handle.read(8) != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    keyword = key.encode("latin-1") + b"\0"
    for _ in range(MAX_CHUNKS):
        header = handle.read(8)
        if len(header) < 8:
            return None
        length, kind = struct.unpack(">I4s", header)
        if kind == b"IEND":
            return None
        if kind in (b"tEXt", b"zTXt", b"iTXt") and length <= MAX_RECORD_BYTES:
            data = handle.read(length)
            handle.seek(4, os.SEEK_CUR)  # CRC
            if data.startswith(keyword):
                return _png_text_value(kind, data[len(keyword):])
        else:
            handle.seek(length + 4, os.SEEK_CUR)
    return None


def _png_text_value(kind: bytes, body: bytes) -> str:
    if kind == b"tEXt":
        return body.decode("latin-1")
    if kind == b"zTXt":  # compression method byte, then zlib data
        return _inflate(body[1:]).decode("latin-1")
    # iTXt: compression flag, method, language tag\0, translated keyword\0, text (UTF-8)
    compressed = body[:1] == b"\1"
    rest = body[2:].split(b"\0", 2)
    if len(rest) < 3:
        raise ValueError("a malformed iTXt chunk")
    return (_inflate(rest[2]) if compressed else rest[2]).decode("utf-8")


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, MAX_RECORD_BYTES + 1)
    if len(out) > MAX_RECORD_BYTES:
        raise ValueError(f"its recorded experiment is larger than {MAX_RECORD_BYTES // 2**20} MiB")
    return out


def _riff_chunk(handle, fourcc: bytes) -> bytes | None:
    """The data of the first RIFF (WebP) chunk ``fourcc``, walking chunk headers (data skipped)."""
    header = handle.read(12)
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WEBP":
        raise ValueError("not a WebP file")
    for _ in range(MAX_CHUNKS):
        chunk = handle.read(8)
        if len(chunk) < 8:
            return None
        kind, length = chunk[:4], struct.unpack("<I", chunk[4:])[0]
        if kind == fourcc:
            if length > MAX_RECORD_BYTES:
                raise ValueError(f"its recorded experiment is larger than {MAX_RECORD_BYTES // 2**20} MiB")
            return handle.read(length)
        handle.seek(length + (length & 1), os.SEEK_CUR)
    return None


def _mp4_comment(handle) -> str | None:
    import av

    try:
        with av.open(handle) as container:
            return container.metadata.get("comment")
    except av.error.FFmpegError as error:
        raise ValueError(str(error)) from None


def _svg_text(handle) -> str | None:
    """The record of an SVG: the whole document parsed if it is small, else the
    ``<optviz:experiment>`` element found in its first :data:`SVG_SEARCH_BYTES`."""
    data = handle.read(SVG_SEARCH_BYTES + 1)
    head = data[:SVG_SEARCH_BYTES].decode("utf-8", errors="replace")
    if len(data) <= SVG_SEARCH_BYTES:
        found = _from_xml_element(head)
        if found is not None:
            return found
    start = head.find("<optviz:experiment")
    end = head.find("</optviz:experiment>", start)
    if start < 0 or end < 0:
        return None
    return _from_xml_element(head[start:end + len("</optviz:experiment>")])

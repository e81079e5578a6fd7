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

import tomllib
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
    import tomli_w

    d = exp.to_dict()
    d["render"] = dict(render_table)
    return tomli_w.dumps(d)


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
    """The experiment TOML recorded in (or beside) output file ``path``."""
    p = Path(path)
    if not p.is_file():
        raise MetadataError(f"--from {path}: no such file")
    ext = p.suffix.lower().lstrip(".")
    text = None
    try:
        if ext == "png":
            from PIL import Image

            with Image.open(p) as im:
                text = getattr(im, "text", {}).get(PNG_KEY) or im.info.get(PNG_KEY)
        elif ext == "svg":
            text = _from_xml_element(p.read_text(encoding="utf-8"))
        elif ext == "mp4":
            import av

            with av.open(str(p)) as c:
                text = c.metadata.get("comment")
        elif ext == "webp":
            from PIL import Image

            with Image.open(p) as im:
                xmp = im.info.get("xmp")
            if xmp:
                text = _from_xml_element(xmp.decode("utf-8") if isinstance(xmp, bytes) else xmp)
        if text is None and sidecar_path(p).is_file():
            text = sidecar_path(p).read_text(encoding="utf-8")
    except (OSError, ValueError) as e:
        raise MetadataError(f"--from {path}: cannot read its metadata ({e})") from None
    if not text:
        raise MetadataError(f"--from {path}: records no optviz experiment")
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise MetadataError(f"--from {path}: its recorded experiment is not valid TOML ({e})") from None
    return text


"""Untrusted text made visible: characters that are not printable become escapes."""

from __future__ import annotations

import os
import sys


def escape_unprintable(text: str) -> str:
    """Show characters that are not printable as escapes (``\\x95``, ``\\u202e``): control
    characters, bidi overrides, lone surrogates from undecodable file names. Used for
    messages that quote bytes from a file, so that every output (terminal, CSV, HTML,
    PDF) shows what was there instead of drawing, hiding or choking on it."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "".join(out)


def printable_path(text: str) -> str:
    """A file name or path as shown in results and outputs: lossless and always encodable.

    On POSIX a name is bytes; Python carries the bytes that are not UTF-8 as lone
    surrogates, which no UTF-8 output can write. They are shown as ``\\xff`` escapes, as
    are control characters and bidi overrides (``invoice\\u202egnp.exe``)."""
    try:
        raw = os.fsencode(text)
    except UnicodeEncodeError:  # surrogates that did not come from the file system
        raw = text.encode("utf-8", "surrogatepass")
    return escape_unprintable(raw.decode("utf-8", "backslashreplace"))


def escape_lines(text: str) -> str:
    """``escape_unprintable`` for multi-line output (terminal, PDF): newlines and tabs stay,
    every other control character (ANSI escape sequences, OSC 52) becomes visible text."""
    return "\n".join(
        "\t".join(escape_unprintable(cell) for cell in line.split("\t")) for line in text.split("\n")
    )


def say(*parts: object, file=None) -> None:
    """``print`` for text that may hold names or values from files: escaped for a terminal."""
    print(escape_lines(" ".join(str(p) for p in parts)), file=file or sys.stdout)


def quote(value: object, limit: int = 80) -> str:
    """A value from a file inside a fixed sentence: on one line, escaped, shortened, in quotes."""
    text = escape_unprintable(str(value).replace("\n", " ").strip())
    return "“" + (text[:limit] + "…" if len(text) > limit else text) + "”"

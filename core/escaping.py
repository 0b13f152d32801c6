"""Untrusted text made visible: characters that are not printable become escapes."""

from __future__ import annotations


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

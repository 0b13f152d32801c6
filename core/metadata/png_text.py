"""PNG text chunks (tEXt, zTXt, iTXt; PNG specification, 3rd edition, section 11.3.3).

Read with a small chunk walker rather than Pillow's ``info`` because the chunk type,
language tag and order matter as evidence (AI tools write ``parameters``, ``prompt``
and ``workflow`` chunks), and because compressed text must be inflated under a hard
size limit: a 50 KB zTXt chunk can inflate to gigabytes.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

from core.intake.containers import MAX_PNG_CHUNKS, MAX_TEXT_BYTES, png_chunks
from core.jsonsafe import clean_text

TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
# Inflated text kept from all chunks of one file together: beyond it, later text chunks are
# left out with a notice (80 chunks of 16 MiB in a 1.3 MB file would make a 1.3 GB row).
MAX_TOTAL_TEXT_BYTES = 24 * 1024 * 1024


@dataclass
class PngTextRead:
    entries: list[dict[str, Any]] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)


def read_png_text(data: bytes) -> PngTextRead:
    out = PngTextRead()
    kept = skipped = walked = 0
    for pos, ctype, body, complete in png_chunks(data):
        walked += 1
        if not complete:
            out.problems.append(
                ("png_chunk_truncated", f"the {_ctype(ctype)} chunk at byte {pos} is cut short")
            )
            break
        if ctype in TEXT_CHUNKS and kept >= MAX_TOTAL_TEXT_BYTES:
            skipped += 1
        elif ctype in TEXT_CHUNKS:
            try:
                entry = _parse(ctype, body, MAX_TOTAL_TEXT_BYTES - kept)
                kept += len(entry["text"])
                out.entries.append(entry)
            except (ValueError, zlib.error) as exc:
                out.problems.append(
                    ("png_text_malformed", f"a {_ctype(ctype)} chunk is malformed: {str(exc)[:200]}")
                )
    for entry in out.entries:
        if entry.pop("_truncated", False):
            out.problems.append(
                (
                    "png_text_too_large",
                    f"the {entry['chunk']} chunk {entry['keyword']!r} inflates past the text kept "
                    f"({MAX_TEXT_BYTES:,} bytes a chunk, {MAX_TOTAL_TEXT_BYTES:,} a file); only the first part is kept",
                )
            )
    if walked >= MAX_PNG_CHUNKS:
        out.problems.append(
            (
                "png_text_too_large",
                f"the file has more than {MAX_PNG_CHUNKS:,} chunks; text after them was not read",
            )
        )
    if skipped:
        out.problems.append(
            (
                "png_text_too_large",
                f"{skipped} more text chunk(s) left out: the file's text passed "
                f"{MAX_TOTAL_TEXT_BYTES:,} bytes",
            )
        )
    return out


def _ctype(ctype: bytes) -> str:
    return ctype.decode("latin-1", "replace")


def _inflate(payload: bytes, limit: int) -> tuple[bytes, bool]:
    inflater = zlib.decompressobj()
    text = inflater.decompress(payload, limit)
    return text, bool(inflater.unconsumed_tail)


def _parse(ctype: bytes, body: bytes, room: int) -> dict[str, Any]:
    """One text chunk, keeping at most ``room`` bytes of text (the file's remaining allowance)."""
    limit = max(1, min(MAX_TEXT_BYTES, room))
    keyword, sep, rest = body.partition(b"\x00")
    if not sep or not 1 <= len(keyword) <= 79:
        raise ValueError("keyword missing or longer than 79 bytes")
    entry: dict[str, Any] = {"chunk": _ctype(ctype), "keyword": clean_text(keyword.decode("latin-1"))}
    truncated = False
    if ctype == b"tEXt":
        text = rest.decode("latin-1")
    elif ctype == b"zTXt":
        if not rest or rest[0] != 0:
            raise ValueError("unknown compression method")
        raw, truncated = _inflate(rest[1:], limit)
        text = raw.decode("latin-1")
    else:  # iTXt
        if len(rest) < 2:
            raise ValueError("compression fields missing")
        compressed, method, rest = rest[0], rest[1], rest[2:]
        language, _, rest = rest.partition(b"\x00")
        translated, _, payload = rest.partition(b"\x00")
        if compressed:
            if method != 0:
                raise ValueError("unknown compression method")
            payload, truncated = _inflate(payload, limit)
        text = payload.decode("utf-8", "replace")
        entry["language"] = clean_text(language.decode("latin-1")) or None
        entry["translated_keyword"] = clean_text(translated.decode("utf-8", "replace")) or None
    truncated = truncated or len(text) > limit
    entry["text"] = text[:limit].replace("\x00", "")
    entry["_truncated"] = truncated
    return entry

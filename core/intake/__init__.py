"""Safe intake: read a file's bytes once, hash them, sniff the real format, decode.

Order matters for the chain of custody: SHA-256 and MD5 are computed over the exact
original bytes before any parser sees them, and those bytes are never modified (the
decoded pixels are a separate copy with EXIF orientation applied). A failure to
decode still leaves the hashes and the sniffed format in the result.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from PIL import Image

from core.errors import (
    AnalysisError,
    DecodeFailed,
    EmptyFile,
    FileTooLarge,
    NotAnImage,
    NotARegularFile,
    ReadFailed,
    SizeAltered,
    UnsupportedFormat,
)
from core.schema import FileFacts, Notice

from .decode import Decoded, decode, full_resolution, pillow_format
from .second_opinion import notice_text, shown_elsewhere
from .sniff import EXTENSIONS, Sniffed, sniff

# Said in the error of a row whose picture a more lenient decoder shows (the notice says how).
SHOWN_ELSEWHERE = (
    "yet a more lenient decoder shows a picture in it, which readers may see (notice shown_elsewhere)"
)

# How many leading bytes the sniffer looks at (SVG/HTML detection wants a little text).
SNIFF_BYTES = 4096


@dataclass
class Intake:
    """One file as the analyzers see it: original bytes, facts, and decoded pixels if any."""

    path: str
    data: bytes
    facts: FileFacts
    sniffed: Sniffed
    decoded: Decoded | None = None
    error: AnalysisError | None = None  # why decoding failed; bytes and facts are still valid
    notices: list[Notice] = field(default_factory=list)  # what the row must say about its intake
    _full: Image.Image | None = field(default=None, repr=False)

    @property
    def pixels(self) -> Image.Image | None:
        """The working copy (oriented, reduced): None when no pixels were decoded."""
        return self.decoded.pixels if self.decoded is not None else None

    def full_pixels(self) -> Image.Image | None:
        """The first frame at full stored resolution, decoded once for every analyzer that needs it."""
        if self.pixels is None:
            return None
        if self._full is None:
            self._full = full_resolution(self.data, self.decoded)
        return self._full


def refuse_oversized(size: int, max_bytes: int) -> None:
    """Raise FileTooLarge before a file of ``size`` bytes is read, if it is over the limit."""
    if size > max_bytes:
        raise FileTooLarge(
            f"file is {size:,} bytes, more than the limit of {max_bytes:,} (setting max_file_mb)"
        )


_SPECIAL_FILES = (
    (stat.S_ISLNK, "a symbolic link (links are not followed)"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)


def _refuse_special(mode: int, path: str | os.PathLike) -> None:
    """Only regular files are opened: a FIFO would block the read for ever, a link could
    point anywhere (a reader's "photo" linking to a private key)."""
    if stat.S_ISREG(mode):
        return
    kind = next((text for test, text in _SPECIAL_FILES if test(mode)), "not a regular file")
    if stat.S_ISDIR(mode):
        try:
            os.listdir(path)
        except OSError as exc:
            kind = f"a folder that could not be listed: {exc.strerror or exc}"
    raise NotARegularFile(f"not read: {kind}")


@contextlib.contextmanager
def open_regular(path: str | os.PathLike) -> Iterator[tuple[BinaryIO, int]]:
    """Open a regular file for reading and give its handle and size; anything else is refused.

    The path is checked with ``lstat`` and opened without following a final symbolic link
    and without blocking, and the opened file is checked again (it may have been swapped)."""
    try:
        _refuse_special(os.lstat(path).st_mode, path)
        fd = os.open(
            path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        )
    except AnalysisError:
        raise
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # O_NOFOLLOW met a link created after the check
            raise NotARegularFile("not read: a symbolic link (links are not followed)") from exc
        raise ReadFailed(f"cannot read the file: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        _refuse_special(info.st_mode, path)
        try:
            yield fh, info.st_size
        except OSError as exc:
            raise ReadFailed(f"cannot read the file: {exc.strerror or exc}") from exc


def read_bytes(path: str | os.PathLike, max_bytes: int) -> bytes:
    """Read a regular file once (see ``open_regular``), refusing oversized files before reading them."""
    with open_regular(path) as (fh, size):
        refuse_oversized(size, max_bytes)
        # read(n) reserves n bytes up front: ask for the stated size (and one more byte,
        # to notice a file that grew), not for the whole limit.
        data = fh.read(size + 1)
        if len(data) > size:  # growing while being read (a log, a download): take the rest too
            data += fh.read(max_bytes + 1 - len(data))
    if len(data) > max_bytes:
        raise FileTooLarge(
            f"file grew past the limit of {max_bytes:,} bytes (setting max_file_mb) while read"
        )
    return data


# Bytes hashed per step: small enough to stay in the CPU cache between the two hashes.
HASH_CHUNK = 1 << 20


def hash_once(data: bytes) -> tuple[str, str]:
    """SHA-256 and MD5 of ``data`` in one pass over it, a cache-sized chunk at a time."""
    sha256, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    view = memoryview(data)
    for start in range(0, len(view), HASH_CHUNK):
        chunk = view[start : start + HASH_CHUNK]
        sha256.update(chunk)
        md5.update(chunk)
    return sha256.hexdigest(), md5.hexdigest()


def describe_bytes(data: bytes, name: str) -> tuple[FileFacts, Sniffed]:
    """Hashes first, then the format from magic bytes, and how the extension compares."""
    sha256, md5 = hash_once(data)
    sniffed = sniff(data[:SNIFF_BYTES])
    suffix = Path(name).suffix.lower().lstrip(".") or None
    matches = None
    if sniffed.format is not None and suffix is not None:
        matches = suffix in EXTENSIONS[sniffed.format]
    facts = FileFacts(
        name=name,
        size_bytes=len(data),
        sha256=sha256,
        md5=md5,
        format=sniffed.format,
        mime=sniffed.mime,
        extension=suffix,
        extension_matches_format=matches,
    )
    return facts, sniffed


def open_intake(
    data: bytes, name: str, path: str, max_pixels: int, pixels: bool = True, full: bool = False
) -> Intake:
    """Describe and decode one file's bytes. Never raises for bad input: see ``Intake.error``.

    ``pixels=False`` reads and checks the header only (see ``decode``): no perceptual hash.
    ``full=True``: the full-resolution pixels will be read too, so they are decoded at once.
    """
    facts, sniffed = describe_bytes(data, name)
    intake = Intake(path=path, data=data, facts=facts, sniffed=sniffed)
    try:
        if not data:
            raise EmptyFile("the file is empty (0 bytes)")
        if sniffed.kind == "not-image":
            article = (
                ""
                if sniffed.description.startswith("unrecognised")
                else "an "
                if sniffed.description[0] in "AEIOUaeiou"
                else "a "
            )
            raise NotAnImage(f"not an image: the content is {article}{sniffed.description}")
        if sniffed.format is None:
            raise UnsupportedFormat(f"{sniffed.description} is not a supported format")
        intake.decoded = decode(data, sniffed, max_pixels, pixels, full)
    except AnalysisError as exc:
        intake.error = exc
        # A picture this tool refused may still be shown to readers: the row must say so.
        damaged = isinstance(exc, DecodeFailed) and not isinstance(exc, SizeAltered)
        lenient = damaged and pixels and sniffed.format is not None
        if lenient and (how := shown_elsewhere(data, pillow_format(sniffed.format), max_pixels)):
            intake.notices.append(Notice("shown_elsewhere", notice_text(how)))
            intake.error = DecodeFailed(f"{exc.message}; {SHOWN_ELSEWHERE}")
        return intake
    d = intake.decoded
    facts.width, facts.height = d.width, d.height
    facts.stored_width, facts.stored_height = d.stored_width, d.stored_height
    facts.orientation, facts.mode = d.orientation, d.mode
    facts.frames, facts.animated = d.frames, d.animated
    if d.pixels is not None:
        import imagehash  # numpy and SciPy: in the file worker that decodes, not in every process

        facts.phash = str(imagehash.phash(d.pixels))
    return intake


def preview_jpeg(data: bytes, max_pixels: int, size: int) -> bytes | None:
    """A small JPEG of the image as displayed (orientation applied, pixel limit enforced),
    for tables and reports; None when the bytes hold no decodable image."""
    intake = open_intake(data, "", "", max_pixels)
    if intake.decoded is None:
        return None
    thumb = intake.decoded.pixels.copy()
    thumb.thumbnail((size, size))
    buf = io.BytesIO()
    thumb.save(buf, "JPEG", quality=80)
    return buf.getvalue()

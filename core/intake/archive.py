"""ZIP archives of submissions, listed and inflated only inside the file workers.

An archive is recognised by its content: a ZIP signature at its start, or (a self-extracting
archive, a ZIP after a script or a program) an end-of-directory record at its end that
points at a real central directory, as unzip tools find it. A picture with a ZIP appended
stays a picture (the trailing-data analyzer reports what follows it).

Member names are display names only: nothing is ever written to disk under them, so
``../`` paths cannot escape anywhere, but they are still reported. Limits stop ZIP
bombs before they inflate: the directory's declared entry count and size (read from its
end record before anything parses the directory), a member count, a total uncompressed
size, a per-member size, and a compression ratio (declared sizes are checked first, then
reading stops at the limit whatever the header claims). Nested archives are not opened.
The directory is listed (``list_archive``) and each member inflated (``read_member``) by a
worker process under its limits: the CLI's and the dashboard server's memory stay flat.
"""

from __future__ import annotations

import os
import posixpath
import struct
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from core.errors import AnalysisError, FileTooLarge

from . import open_regular
from .sniff import sniff

# Members read from one archive.
MAX_MEMBERS = 10_000
# Total uncompressed bytes read from one archive.
MAX_TOTAL_BYTES = 4 * 1024**3
# Largest compression ratio accepted for a member (real photos compress barely at all).
MAX_RATIO = 200
# Largest central directory parsed (10,000 entries with long names fit many times over).
MAX_DIRECTORY_BYTES = 16 * 1024**2
# The limits of the worker that lists one archive's directory (it never inflates a member).
LIST_TIMEOUT_S = 60.0
LIST_MEMORY_MB = 1024


class ArchiveRefused(AnalysisError):
    code = "archive_refused"


@dataclass
class Member:
    name: str  # "archive.zip/folder/photo.jpg", for display only (with a "stored as" note if cleaned)
    # Which entry of the archive's directory to read (its position: two entries can share a name).
    entry: int | None = None
    data: bytes | None = None
    error: AnalysisError | None = None
    stored: str = ""  # the member's name as the archive stores it

    @property
    def file_name(self) -> str:
        """The member's own file name, cleaned ("photo.jpg"), without the "stored as" note:
        its extension is compared with its content."""
        return posixpath.basename(_clean(self.stored))


def is_zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


@dataclass(frozen=True)
class Directory:
    """What a ZIP's end record declares: its entries, its central directory's size, and the
    bytes before the archive (a self-extracting stub; 0 for a plain ZIP)."""

    entries: int
    size: int
    prefix: int


# End-of-central-directory record, its ZIP64 locator, and the ZIP64 record.
_EOCD = struct.Struct("<4s4H2LH")
_LOCATOR = struct.Struct("<4sLQL")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")


def read_directory(fh: BinaryIO, size: int) -> Directory | None:
    """The archive's end record, read from the last 64 KiB of the file (never the directory
    itself), or None where there is no consistent one: its directory must lie inside the file
    and start with a directory entry."""
    tail_len = min(size, _EOCD.size + 0xFFFF + _LOCATOR.size + _EOCD64.size)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    while at >= 0:
        if at + _EOCD.size <= len(tail):
            _, _, _, _, entries, cd_size, cd_offset, _ = _EOCD.unpack_from(tail, at)
            end = size - tail_len + at  # where the end record starts in the file
            if (
                entries == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF
            ) and at >= _LOCATOR.size:
                zip64 = _zip64(fh, tail, at, size - tail_len)
                if zip64 is not None:
                    entries, cd_size, cd_offset, end = zip64
            prefix = end - cd_size - cd_offset
            if prefix >= 0 and 0 <= cd_offset + prefix <= end:
                fh.seek(cd_offset + prefix)
                if entries == 0 or fh.read(4) == b"PK\x01\x02":
                    return Directory(entries, cd_size, prefix)
        at = tail.rfind(b"PK\x05\x06", 0, at)
    return None


def _zip64(fh: BinaryIO, tail: bytes, at: int, tail_start: int) -> tuple[int, int, int, int] | None:
    """(entries, directory size, directory offset, record position) from a ZIP64 end record."""
    sig, _, record, _ = _LOCATOR.unpack_from(tail, at - _LOCATOR.size)
    if sig != b"PK\x06\x07":
        return None
    # The record sits just before the locator (its stated offset ignores any prefix).
    position = tail_start + at - _LOCATOR.size - _EOCD64.size
    if position < 0:
        return None
    fh.seek(position)
    raw = fh.read(_EOCD64.size)
    if len(raw) < _EOCD64.size or raw[:4] != b"PK\x06\x06":
        return None
    _, _, _, _, _, _, _, entries, cd_size, cd_offset = _EOCD64.unpack(raw)
    return entries, cd_size, cd_offset, position


def is_archive(fh: BinaryIO, size: int, head: bytes) -> bool:
    """Whether a file is read as a ZIP archive: a ZIP signature first, or no picture at its start
    and a consistent end record at its end (a self-extracting archive)."""
    if is_zip(head):
        return True
    if sniff(head).kind != "not-image":
        return False  # a picture with a ZIP appended is analysed as the picture it shows
    return read_directory(fh, size) is not None


def list_archive(path: str | os.PathLike, archive_name: str, max_member_bytes: int) -> list[Member]:
    """Every member of the archive at ``path`` (see ``list_members``), its declared directory
    checked first. Runs in a file worker: a hostile directory costs that worker, not the caller."""
    with open_regular(path) as (fh, size):
        directory = read_directory(fh, size)
        if directory is not None and directory.entries > MAX_MEMBERS:
            raise ArchiveRefused(
                f"the ZIP archive declares {directory.entries:,} entries, more than {MAX_MEMBERS:,}"
            )
        if directory is not None and directory.size > MAX_DIRECTORY_BYTES:
            raise ArchiveRefused(
                f"the ZIP archive's directory is {directory.size:,} bytes, more than {MAX_DIRECTORY_BYTES:,}"
            )
        fh.seek(0)
        return list_members(archive_name, open_zip(fh), max_member_bytes)


def _clean(member: str) -> str:
    """A member name as a path inside the archive: no ``..``, no leading slash, ``/`` only."""
    return posixpath.normpath("/" + member.replace("\\", "/")).lstrip("/")


def _display_name(archive: str, member: str, stored: str) -> str:
    """``archive.zip/folder/photo.jpg``, with the name as stored when it differs (a ``..``, a
    backslash, or a NUL after which zipfile stops reading the name: ``b.jpg\x00.exe``)."""
    clean = _clean(member)
    note = "" if clean == stored else f" (stored as {stored!r})"
    return f"{archive}/{clean}{note}"


def open_zip(fileobj: BinaryIO) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ArchiveRefused(f"the ZIP archive cannot be opened: {exc}") from exc


def list_members(archive_name: str, zf: zipfile.ZipFile, max_member_bytes: int) -> list[Member]:
    """One ``Member`` per file in the archive, from its directory alone (nothing is inflated):
    its name to read it by, or the reason it will not be read (declared size, ratio, total)."""
    infos = [(n, i) for n, i in enumerate(zf.infolist()) if not i.is_dir()]
    if len(infos) > MAX_MEMBERS:
        raise ArchiveRefused(f"the ZIP archive holds {len(infos):,} files, more than {MAX_MEMBERS:,}")
    members: list[Member] = []
    total = 0
    seen: dict[str, int] = {}
    for index, info in infos:
        stored = getattr(info, "orig_filename", info.filename)
        name = _display_name(archive_name, info.filename, stored)
        # Two entries under one name are two files (unzip tools keep the last, hiding the first):
        # each its own row, the second named "name (2)".
        seen[name] = seen.get(name, 0) + 1
        name = name if seen[name] == 1 else f"{name} ({seen[name]})"
        if info.file_size > min(max_member_bytes, MAX_TOTAL_BYTES - total):
            members.append(
                Member(
                    name,
                    error=FileTooLarge(f"the member declares {info.file_size:,} bytes, over the limit"),
                    stored=stored,
                )
            )
        elif info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
            members.append(
                Member(
                    name,
                    error=ArchiveRefused(
                        f"compression ratio {info.file_size // info.compress_size}:1 is above {MAX_RATIO}:1 (a ZIP bomb?)"
                    ),
                    stored=stored,
                )
            )
        else:
            total += info.file_size
            members.append(Member(name, entry=index, stored=stored))
    return members


def read_member(zf: zipfile.ZipFile, entry: int, max_member_bytes: int) -> bytes:
    """The bytes of the ``entry``-th entry of the directory; reading stops at its declared size,
    whatever the stream holds."""
    entries = zf.infolist()
    if not 0 <= entry < len(entries):
        raise ArchiveRefused("the member is no longer in the archive")
    info = entries[entry]
    if info.file_size > max_member_bytes:
        raise FileTooLarge(f"the member declares {info.file_size:,} bytes, over the limit")
    try:
        with zf.open(info) as fh:
            content = fh.read(info.file_size + 1)
    except Exception as exc:  # bad CRC, unsupported compression, encrypted member
        raise ArchiveRefused(f"the member cannot be extracted: {exc}") from exc
    if len(content) > info.file_size:
        raise FileTooLarge("the member inflates past its declared size (a ZIP bomb?)")
    return content  # a nested archive is read, hashed and reported as not an image; never opened

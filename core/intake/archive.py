"""ZIP archives of submissions, opened in memory under limits.

Member names are display names only: nothing is ever written to disk under them, so
``../`` paths cannot escape anywhere, but they are still reported. Limits stop ZIP
bombs before they inflate: a member count, a total uncompressed size, a per-member
size, and a compression ratio (declared sizes are checked first, then reading stops
at the limit whatever the header claims). Nested archives are not opened.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from core.errors import AnalysisError, FileTooLarge

# Members read from one archive.
MAX_MEMBERS = 10_000
# Total uncompressed bytes read from one archive.
MAX_TOTAL_BYTES = 4 * 1024**3
# Largest compression ratio accepted for a member (real photos compress barely at all).
MAX_RATIO = 200


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


def expand_zip(archive_name: str, data: bytes, max_member_bytes: int) -> list[Member]:
    """Every member of an archive held in memory (an upload), each with its bytes or its own error."""
    zf = open_zip(io.BytesIO(data))
    members = list_members(archive_name, zf, max_member_bytes)
    for member in members:
        if member.entry is not None:
            try:
                member.data = read_member(zf, member.entry, max_member_bytes)
            except AnalysisError as exc:
                member.error = exc
    return members

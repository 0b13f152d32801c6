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

from core.errors import AnalysisError, FileTooLarge, NotAnImage

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
    name: str  # "archive.zip/folder/photo.jpg", for display only
    data: bytes | None = None
    error: AnalysisError | None = None


def is_zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def _display_name(archive: str, member: str) -> str:
    clean = posixpath.normpath("/" + member.replace("\\", "/")).lstrip("/")
    note = "" if clean == member else f" (stored as {member!r})"
    return f"{archive}/{clean}{note}"


def expand_zip(archive_name: str, data: bytes, max_member_bytes: int) -> list[Member]:
    """One ``Member`` per file in the archive, each with its bytes or its own error."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ArchiveRefused(f"the ZIP archive cannot be opened: {exc}") from exc
    if len(infos) > MAX_MEMBERS:
        raise ArchiveRefused(f"the ZIP archive holds {len(infos):,} files, more than {MAX_MEMBERS:,}")
    members: list[Member] = []
    total = 0
    for info in infos:
        name = _display_name(archive_name, info.filename)
        limit = min(max_member_bytes, MAX_TOTAL_BYTES - total)
        if info.file_size > limit:
            members.append(
                Member(
                    name, error=FileTooLarge(f"the member declares {info.file_size:,} bytes, over the limit")
                )
            )
            continue
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
            members.append(Member(name, error=ArchiveRefused(
                f"compression ratio {info.file_size // info.compress_size}:1 is above {MAX_RATIO}:1 (a ZIP bomb?)")))  # fmt: skip
            continue
        try:
            with zf.open(info) as fh:
                content = fh.read(limit + 1)
        except Exception as exc:  # bad CRC, unsupported compression, encrypted member
            members.append(Member(name, error=ArchiveRefused(f"the member cannot be extracted: {exc}")))
            continue
        if len(content) > limit:
            members.append(
                Member(name, error=FileTooLarge("the member inflates past the size limit (a ZIP bomb?)"))
            )
            continue
        if is_zip(content):
            members.append(Member(name, error=NotAnImage("a ZIP archive inside a ZIP archive is not opened")))
            continue
        total += len(content)
        members.append(Member(name, data=content))
    return members

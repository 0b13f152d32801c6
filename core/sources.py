"""What to analyse: one ``Source`` per file, listed by one set of rules for the CLI, the case
store, the dashboard and the Ray engine.

- Paths: a file, a folder (walked recursively, sorted; links and special files get a row
  that says why they were not read), or a glob; a URI that pyarrow's filesystems read
  (``s3://``, ``gs://``, ``file://``...) for the Ray engine.
- ZIP archives, recognised by their content (never by their name), are expanded: each
  member is a source named ``archive.zip/folder/photo.jpg``, under the limits of
  ``core.intake.archive`` (member count, sizes, compression ratio; nested archives are
  not opened). An archive's directory is listed by a worker process under limits, and each
  member is inflated when it is read, inside the per-file worker: the listing process (the
  CLI, the dashboard server) never inflates anything. An uploaded archive is first written
  to a spool file (``spool_upload``) and then read like a local one.

Listing never decodes anything; a source is read (``Source.read``) by the worker that
analyses it.
"""

from __future__ import annotations

import contextlib
import fnmatch
import glob
import hashlib
import io
import os
import stat
import tempfile
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from core.errors import AnalysisError, ReadFailed
from core.escaping import printable_path
from core.intake import SNIFF_BYTES, open_regular, read_bytes, refuse_oversized
from core.intake.archive import (
    LIST_MEMORY_MB,
    LIST_TIMEOUT_S,
    ArchiveRefused,
    is_archive,
    list_archive,
    open_zip,
    read_member,
)
from core.isolation import run_limited

GLOB_CHARS = "*?["


@dataclass(frozen=True)
class Source:
    """One file to analyse. ``path`` is shown in the result as given and never used to write."""

    path: str
    file: Path | None = None  # a local file (or the local ZIP archive that holds ``member``)
    data: bytes | None = None  # bytes already in memory (uploads)
    uri: str | None = None  # a pyarrow filesystem URI (Ray)
    member: int | None = None  # the entry of the ZIP archive ``file`` (its position in the directory)
    error: AnalysisError | None = None  # known before analysis (e.g. a ZIP member that was refused)
    # The file's own name where ``path`` says more than its name (an archive member's "stored as" note).
    file_name: str | None = None

    @classmethod
    def from_path(cls, path: str | os.PathLike) -> Source:
        # The name taken before escaping: an escape's backslash must not read as a folder separator.
        return cls(path=printable_path(str(path)), file=Path(path), file_name=printable_path(Path(path).name))

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> Source:
        # An upload's name may be a Windows path; its last part, taken before escaping.
        base = name.replace("\\", "/").rsplit("/", 1)[-1]
        return cls(path=printable_path(name), data=data, file_name=printable_path(base))

    @classmethod
    def from_upload(cls, name: str, data: bytes, max_member_bytes: int) -> list[Source]:
        """An uploaded file, or each member of an uploaded ZIP archive: the archive is spooled
        to a file, listed by a worker and each member inflated by the worker that analyses it."""
        if not is_archive(io.BytesIO(data), len(data), data[:SNIFF_BYTES]):
            return [cls.from_bytes(name, data)]
        try:
            spooled = spool_upload(data)
        except OSError as exc:  # a full or unwritable temporary folder: this upload's row says so
            refused = ArchiveRefused(
                f"the archive could not be written to the spool folder: {exc.strerror or exc}"
            )
            return [cls(path=printable_path(name), data=data, error=refused)]
        return _archive_members(spooled, name, max_member_bytes)

    def read(self, max_bytes: int) -> bytes:
        """The file's bytes, under the size limit. Raises the error already known for this
        source, or the reading error."""
        if self.error is not None:
            raise self.error
        if self.data is not None:
            return self.data
        if self.uri is not None:
            return read_uri(self.uri, max_bytes)
        if self.member is not None:
            return read_member(_open_archive(self.file), self.member, max_bytes)
        return read_bytes(self.file, max_bytes)

    def read_isolated(self, max_bytes: int, timeout_s: float, memory_mb: int) -> bytes:
        """``read``, where reading means inflating an archive member, done by a worker process
        under the given limits (its bytes come back): the caller never inflates anything."""
        if self.member is None or self.error is not None:
            return self.read(max_bytes)
        outcome = run_limited(Source.read, (self, max_bytes), timeout_s, memory_mb)
        outcome.reraise()
        if outcome.status != "ok":
            raise ArchiveRefused(f"the member could not be extracted: {outcome.message}")
        return outcome.value

    @property
    def name(self) -> str:
        return self.file_name or Path(self.path.replace("\\", "/")).name


def list_sources(paths: Iterable[str | os.PathLike], max_file_bytes: int) -> list[Source]:
    """Every source under ``paths`` (see the module docstring), in a stable order.

    Raises FileNotFoundError for a plain path that does not exist: a usage error. A glob or
    a URI prefix that matches nothing is an empty scan.
    """
    found: list[Source] = []
    for raw in paths:
        text = str(raw)
        if "://" in text:
            found.extend(Source(path=uri, uri=uri) for uri in list_uri(text))
            continue
        if any(c in text for c in GLOB_CHARS) and not os.path.lexists(text):
            files = list_files(sorted(glob.glob(text, recursive=True)))
        else:
            files = list_files([raw])
        for path in files:
            found.extend(_local(path, max_file_bytes))
    return found


def _local(path: Path, max_file_bytes: int) -> list[Source]:
    """A local file, or the members of a local ZIP archive."""
    try:
        with open_regular(path) as (fh, size):
            if not is_archive(fh, size, fh.read(SNIFF_BYTES)):
                return [Source.from_path(path)]
    except AnalysisError:  # not readable (a link, a FIFO, no permission): its row will say why
        return [Source.from_path(path)]
    return _archive_members(path, str(path), max_file_bytes)


def _archive_members(path: Path, name: str, max_file_bytes: int) -> list[Source]:
    """One source per member of the archive at ``path`` (shown as ``name``), listed by a worker
    process; an archive that cannot be listed is one source carrying the reason."""
    outcome = run_limited(
        list_archive, (path, printable_path(name), max_file_bytes), LIST_TIMEOUT_S, LIST_MEMORY_MB
    )
    if outcome.status == "ok" and outcome.value:
        return [
            Source(
                path=printable_path(m.name),
                file=path,
                member=m.entry,
                error=m.error,
                file_name=printable_path(m.file_name) or None,
            )
            for m in outcome.value
        ]
    if outcome.status == "ok":  # every file gets a row, an empty archive too
        error: AnalysisError = ArchiveRefused("the ZIP archive holds no files")
    elif isinstance(outcome.value, AnalysisError):
        error = outcome.value
    else:
        error = ArchiveRefused(f"the ZIP archive's directory could not be listed: {outcome.message}")
    return [Source(path=printable_path(name), file=path, error=error)]


# The archive a worker read its last member from, kept open: an archive's members are read
# one after another, and parsing a 10,000-entry directory again for each would cost minutes.
_last_archive: dict[tuple, tuple[contextlib.ExitStack, zipfile.ZipFile]] = {}


def _open_archive(path: Path) -> zipfile.ZipFile:
    """The archive at ``path`` opened (``open_regular`` rules), reusing the last one while the
    file is the same one (same inode, size and modification time)."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise ReadFailed(f"cannot read the archive: {exc.strerror or exc}") from exc
    key = (str(path), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    if key not in _last_archive:
        for stack, _ in _last_archive.values():
            stack.close()
        _last_archive.clear()
        stack = contextlib.ExitStack()
        try:
            fh, _ = stack.enter_context(open_regular(path))
            _last_archive[key] = (stack, open_zip(fh))
        except BaseException:
            stack.close()
            raise
    return _last_archive[key][1]


# Uploaded archives are spooled here (one file per content) and removed after a day unused.
SPOOL_DIR = (
    Path(tempfile.gettempdir()) / f"image-forensics-uploads-{os.getuid() if hasattr(os, 'getuid') else 0}"
)
SPOOL_KEEP_S = 24 * 3600
_private_spool: list[Path] = []


def _spool_dir() -> Path:
    """The shared spool folder when it is this user's own and private; otherwise (another user
    made it, or made it a link) a folder private to this process."""
    SPOOL_DIR.mkdir(mode=0o700, exist_ok=True)
    info = SPOOL_DIR.lstat()
    if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077:
        return SPOOL_DIR
    if not _private_spool:
        _private_spool.append(Path(tempfile.mkdtemp(prefix="image-forensics-uploads-")))
    return _private_spool[0]


def spool_upload(data: bytes) -> Path:
    """The upload's bytes in a spool file named by their SHA-256 (written once, private to this
    user), so that workers read the archive's members from disk, one at a time."""
    folder = _spool_dir()
    _prune_spool(folder)
    path = folder / f"{hashlib.sha256(data).hexdigest()}.upload"
    try:
        if path.stat().st_size == len(data) and not path.is_symlink():
            os.utime(path)
            return path
    except FileNotFoundError:
        pass
    fd, temporary = tempfile.mkstemp(dir=folder, suffix=".part")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(temporary, path)
    return path


def _prune_spool(folder: Path) -> None:
    cutoff = time.time() - SPOOL_KEEP_S
    for old in folder.glob("*"):
        try:
            if old.lstat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass  # another server removed it first


def list_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Every entry under ``paths`` that gets a row: files (folders walked recursively, in
    sorted order), plus symbolic links, special files and folders that could not be listed,
    whose rows say why they were not read (links are never followed).

    Raises FileNotFoundError for a path that does not exist: that is a usage error.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir() and not path.is_symlink():
            unlisted: list[Path] = []

            def note(exc: OSError, unlisted: list[Path] = unlisted) -> None:
                unlisted.append(Path(exc.filename))

            for root, dirs, files in os.walk(path, onerror=note):
                dirs.sort()
                # A linked folder is listed (its row says it was not followed), never entered.
                links = [name for name in dirs if (Path(root) / name).is_symlink()]
                found.extend(Path(root) / name for name in sorted([*files, *links]))
            found.extend(unlisted)  # each gives an error row
        elif path.exists() or path.is_symlink():
            found.append(path)
        else:
            raise FileNotFoundError(f"no such file or folder: {raw}")
    return found


def list_uri(source: str) -> list[str]:
    """Every file under a pyarrow filesystem URI (a file, a folder, or a glob), sorted."""
    from pyarrow import fs as pafs  # an optional extra (requirements-ray.txt)

    scheme = source.split("://", 1)[0]
    cut = min((source.find(c) for c in GLOB_CHARS if c in source), default=-1)
    base_uri = source if cut < 0 else source[: source.rfind("/", 0, cut) + 1]
    filesystem, base = pafs.FileSystem.from_uri(base_uri)
    info = filesystem.get_file_info(base)
    if info.type == pafs.FileType.File:
        infos = [info]
    elif info.type == pafs.FileType.Directory:
        infos = filesystem.get_file_info(pafs.FileSelector(base, recursive=True))
    else:
        raise FileNotFoundError(f"no such file or folder: {source}")
    pattern = None if cut < 0 else filesystem.normalize_path(pafs.FileSystem.from_uri(source)[1])
    return [
        f"{scheme}://{entry.path}"
        for entry in sorted(infos, key=lambda i: i.path)
        if entry.type == pafs.FileType.File and not (pattern and not fnmatch.fnmatchcase(entry.path, pattern))
    ]


def read_uri(uri: str, max_bytes: int) -> bytes:
    """A file's bytes through pyarrow's filesystems, refusing oversized files before reading."""
    from pyarrow import fs as pafs

    try:
        filesystem, path = pafs.FileSystem.from_uri(uri)
        refuse_oversized(filesystem.get_file_info(path).size or 0, max_bytes)
        with filesystem.open_input_file(path) as fh:
            return fh.read()  # the size was checked above; objects do not grow while read
    except AnalysisError:
        raise
    except OSError as exc:
        raise ReadFailed(f"cannot read the file: {exc}") from exc

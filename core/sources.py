"""What to analyse: one ``Source`` per file, listed by one set of rules for the CLI, the case
store, the dashboard and the Ray engine.

- Paths: a file, a folder (walked recursively, sorted; links and special files get a row
  that says why they were not read), or a glob; a URI that pyarrow's filesystems read
  (``s3://``, ``gs://``, ``file://``...) for the Ray engine.
- ZIP archives, recognised by their content (never by their name), are expanded: each
  member is a source named ``archive.zip/folder/photo.jpg``, under the limits of
  ``core.intake.archive`` (member count, sizes, compression ratio; nested archives are
  not opened). A local archive is only listed here, from its directory; each member is
  inflated when it is read, inside the per-file worker. An uploaded archive is already in
  memory and is expanded at once, under the same limits.

Listing never decodes anything; a source is read (``Source.read``) by the worker that
analyses it.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import glob
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from core.errors import AnalysisError, ReadFailed
from core.escaping import printable_path
from core.intake import open_regular, read_bytes, refuse_oversized
from core.intake.archive import ArchiveRefused, expand_zip, is_zip, list_members, open_zip, read_member

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
        return cls(path=printable_path(str(path)), file=Path(path))

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> Source:
        return cls(path=printable_path(name), data=data)

    @classmethod
    def from_upload(cls, name: str, data: bytes, max_member_bytes: int) -> list[Source]:
        """An uploaded file, or each member of an uploaded ZIP archive."""
        if not is_zip(data):
            return [cls.from_bytes(name, data)]
        try:
            members = expand_zip(name, data, max_member_bytes)
        except AnalysisError as exc:
            return [cls(path=printable_path(name), data=data, error=exc)]
        return [
            cls(
                path=printable_path(m.name),
                data=m.data or b"",
                error=m.error,
                file_name=printable_path(m.file_name) or None,
            )
            for m in members
        ]

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
            with open_regular(self.file) as (fh, _):
                return read_member(open_zip(fh), self.member, max_bytes)
        return read_bytes(self.file, max_bytes)

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
    """A local file, or the members of a local ZIP archive (listed from its directory)."""
    try:
        with open_regular(path) as (fh, _):
            if not is_zip(fh.read(4)):
                return [Source.from_path(path)]
            fh.seek(0)
            members = list_members(printable_path(str(path)), open_zip(fh), max_file_bytes)
    except ArchiveRefused as exc:
        return [dataclasses.replace(Source.from_path(path), error=exc)]
    except AnalysisError:  # not readable (a link, a FIFO, no permission): its row will say why
        return [Source.from_path(path)]
    return [
        Source(
            path=printable_path(m.name),
            file=path,
            member=m.entry,
            error=m.error,
            file_name=printable_path(m.file_name) or None,
        )
        for m in members
    ]


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

"""Seen before: the desk's memory of every image it has handled (issue 24).

``fingerprint`` makes an image's fingerprint inside a file worker (an ISCC image code, ISO
24138, of the picture and of its mirror image, the pHash, and ORB local features);
``records`` keeps them in SQLite beside the case store with a usearch index over the codes
(rebuilt from the records when its file is missing); ``matching`` says how a new image
relates to each earlier one (same file, re-encoded, resized, mirrored, cropped).
"""

from pathlib import Path

# The desk's index lives beside its case store; the database file is what says it has one.
INDEX_FOLDER = "seen-index"
INDEX_DATABASE = "seen.sqlite3"


def folder_beside(store_root: str | Path) -> Path:
    return Path(store_root).expanduser() / INDEX_FOLDER


def has_index(store_root: str | Path) -> bool:
    """Whether the desk whose case store is at ``store_root`` has an index (nothing imported or
    opened: a scan asks this before loading NumPy and usearch for one)."""
    return (folder_beside(store_root) / INDEX_DATABASE).is_file()

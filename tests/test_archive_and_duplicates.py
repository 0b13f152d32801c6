"""ZIP uploads under limits, and near-duplicate groups by perceptual hash."""

from __future__ import annotations

import zipfile

from core.context import make_context
from core.pipeline import analyze_batch
from core.schema import FileFacts, ScanResult
from core.settings import Settings
from core.similarity import featureless_rows, near_duplicate_groups
from core.sources import Source
from tests.conftest import make_zip
from tests.images import encode, photo


def test_zip_members_become_rows_and_traversal_names_are_only_labels():
    data = make_zip(
        {
            "a.jpg": encode(photo(), "JPEG"),
            "../../etc/passwd.png": encode(photo(seed=2), "PNG"),
            "notes.txt": b"hi",
        }
    )
    sources = Source.from_upload("up.zip", data, 10**8)
    results = analyze_batch(sources, make_context(Settings(classifier=False, forensics=False)))
    assert [r.path for r in results] == [
        "up.zip/a.jpg",
        "up.zip/etc/passwd.png (stored as '../../etc/passwd.png')",
        "up.zip/notes.txt",
    ]
    assert [r.status for r in results] == ["ok", "ok", "error"]
    # The file's own name is the cleaned member name: no "stored as" note inside its name or extension.
    assert [(r.file.name, r.file.extension, r.file.extension_matches_format) for r in results] == [
        ("a.jpg", "jpg", True),
        ("passwd.png", "png", True),
        ("notes.txt", "txt", None),
    ]


def test_zip_bomb_and_nested_zip_are_refused_per_member():
    data = make_zip(
        {
            "bomb.png": b"\x00" * 5_000_000,
            "inner.zip": make_zip({"x.jpg": b"x"}),
            "ok.jpg": encode(photo(), "JPEG"),
        }
    )
    sources = Source.from_upload("up.zip", data, 10**8)
    codes = {s.path: (s.error.code if s.error else "ok") for s in sources}
    assert codes == {
        "up.zip/bomb.png": "archive_refused",
        "up.zip/inner.zip": "ok",  # read, then reported as not an image: its row has its hashes
        "up.zip/ok.jpg": "ok",
    }
    results = analyze_batch(sources, make_context(Settings(classifier=False)))
    inner = results[1]
    assert inner.error.code == "not_an_image" and "ZIP archive" in inner.error.message and inner.file.sha256
    (small_limit,) = Source.from_upload(
        "up.zip", make_zip({"big.jpg": b"\x01" * 5000}, zipfile.ZIP_STORED), 1000
    )
    assert small_limit.error.code == "file_too_large"


def test_broken_zip_is_one_error_row():
    sources = Source.from_upload("bad.zip", b"PK\x03\x04garbage", 10**8)
    (result,) = analyze_batch(sources, make_context(Settings(classifier=False)))
    assert (result.status, result.error.code) == ("error", "archive_refused")


def test_near_duplicate_groups():
    def row(phash):
        return ScanResult(path=phash or "none", status="ok", file=FileFacts(phash=phash))

    results = [
        row("ffff000000000000"),
        row("ffff000000000003"),
        row("0000ffff0000ffff"),
        row(None),
        row("ffff00000000000f"),
    ]
    assert near_duplicate_groups(results) == [[0, 1, 4]]
    assert near_duplicate_groups(results, max_bits=1) == []


def test_flat_images_are_not_near_duplicates():
    """Regression: flat and 1x1 images (hashes 0000... and 8000...) were grouped as look-alikes."""
    import imagehash
    from PIL import Image

    hashes = [
        str(imagehash.phash(Image.new("RGB", size, colour)))
        for size, colour in (((1, 1), (0, 0, 0)), ((64, 64), (200, 10, 10)), ((640, 480), (255, 255, 255)))
    ]
    results = [ScanResult(path=h, status="ok", file=FileFacts(phash=h)) for h in hashes]
    results.append(ScanResult(path="photo", status="ok", file=FileFacts(phash=str(imagehash.phash(photo())))))
    assert {h[1:] for h in hashes} == {"000000000000000"}
    assert near_duplicate_groups(results) == []
    assert featureless_rows(results) == [0, 1, 2]


def test_two_members_under_one_name_each_get_their_own_row_and_a_nul_name_shows_how_it_is_stored(tmp_path):
    """Regression: of two members named alike only the last was analysed (the first, an
    AI-declared PNG, stayed hidden from the desk), and ``b.jpg\\0.exe`` was shown as ``b.jpg``."""
    import io
    import warnings
    import zipfile

    from PIL.PngImagePlugin import PngInfo

    from core.sources import Source, list_sources
    from tests.images import encode, photo

    info = PngInfo()
    info.add_text("parameters", "a castle\\nSteps: 20, Sampler: Euler, Seed: 5, Model: sdxl")
    generated, plain = encode(photo(seed=1), "PNG", pnginfo=info), encode(photo(seed=2), "PNG")
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as zf:
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name, as it should
        zf.writestr("photo.png", generated)
        zf.writestr("photo.png", plain)
        zf.writestr("b.jpg#.exe", encode(photo(seed=3), "JPEG"))
    # zipfile will not write a NUL in a name: put it in both headers by hand, as an attacker would.
    crafted = buffer.getvalue().replace(b"b.jpg#.exe", b"b.jpg\x00.exe")
    archive = tmp_path / "upload.zip"
    archive.write_bytes(crafted)
    for sources in (
        list_sources([archive], 10_000_000),
        Source.from_upload("upload.zip", crafted, 10_000_000),
    ):
        names = [s.path.split("upload.zip/", 1)[1] for s in sources]
        assert names == ["photo.png", "photo.png (2)", "b.jpg (stored as 'b.jpg\\x00.exe')"], names
        first, second = (s.read(10_000_000) for s in sources[:2])
        assert (first, second) == (generated, plain)

"""Batch outliers: the files that break from a group claiming one device."""

from __future__ import annotations

from core.batch_outliers import batch_outliers
from core.context import make_context
from core.pipeline import analyze_batch
from core.settings import Settings
from core.sources import Source
from tests.images import camera_exif, encode, photo


def test_the_files_that_were_not_from_that_phone_at_that_event():
    files = [
        (
            f"protest_{i}.jpg",
            encode(
                photo((640, 480), seed=i),
                "JPEG",
                quality=90,
                exif=camera_exif(model="Pixel 8", make="Google", software="HDR+ 1.0"),
            ),
        )
        for i in range(6)
    ]
    files.append(
        (
            "edited.jpg",
            encode(
                photo((640, 480), seed=7),
                "JPEG",
                quality=90,
                exif=camera_exif(model="Pixel 8", make="Google", software="Adobe Photoshop 25.0"),
            ),
        )
    )
    files.append(
        (
            "resized.jpg",
            encode(
                photo((320, 240), seed=8),
                "JPEG",
                quality=90,
                exif=camera_exif(model="Pixel 8", make="Google", software="HDR+ 1.0"),
            ),
        )
    )
    files.append(
        (
            "last_year.jpg",
            encode(
                photo((640, 480), seed=9),
                "JPEG",
                quality=90,
                exif=camera_exif(
                    model="Pixel 8",
                    make="Google",
                    software="HDR+ 1.0",
                    datetime_original="2023:05:01 12:30:45",
                ),
            ),
        )
    )
    files.append(
        ("other_camera.jpg", encode(photo((640, 480), seed=10), "JPEG", quality=70, exif=camera_exif()))
    )
    results = analyze_batch(
        [Source.from_bytes(n, d) for n, d in files], make_context(Settings(classifier=False))
    )
    found = {
        o["path"]: [(d["what"], d["value"], d["group_value"]) for d in o["differs"]]
        for o in batch_outliers(results)
    }
    assert found == {
        "edited.jpg": [("software", "Adobe Photoshop 25.0", "HDR+ 1.0")],
        "resized.jpg": [("pixel size", "320 x 240", "640 x 480")],
        "last_year.jpg": [("capture day", "2023-05-01", "around 2024-05-01")],
    }
    edited = next(o for o in batch_outliers(results) if o["path"] == "edited.jpg")
    assert edited["device"] == "Google Pixel 8" and edited["differs"][0]["group_count"] == 8


def test_small_or_split_groups_give_no_outliers():
    files = [
        (f"{i}.jpg", encode(photo((320, 240), seed=i), "JPEG", exif=camera_exif(software=f"v{i % 2}")))
        for i in range(6)
    ]
    results = analyze_batch(
        [Source.from_bytes(n, d) for n, d in files], make_context(Settings(classifier=False))
    )
    assert batch_outliers(results) == []  # three and three: no version is the group's
    assert batch_outliers(results[:3]) == []

"""The seen-before index (issue 24, first part): a desk that verified a picture is told so when
a re-encoded, resized, cropped, mirrored or screenshotted copy arrives, with the earlier case,
item, date and verdict; unrelated pictures never match; the index survives restarts and
rebuilds its search files from its records."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from core.cli import main
from tests.test_corpus_replay import CORPUS

FORENSICS_OFF = ["--no-classifier"]


def scene(seed: int, size: tuple[int, int] = (1200, 800)) -> Image.Image:
    """A picture with structure (shapes, edges, text), as photos have: each seed a different one."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        w, h = rng.randrange(20, 240), rng.randrange(20, 240)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        if rng.random() < 0.5:
            draw.rectangle((x, y, x + w, y + h), fill=colour)
        else:
            draw.ellipse((x, y, x + w, y + h), fill=colour, outline=(0, 0, 0), width=3)
    for n in range(8):
        draw.text(
            (rng.randrange(size[0] - 100), rng.randrange(size[1] - 20)), f"sign {seed}-{n}", fill=(0, 0, 0)
        )
    return image.filter(ImageFilter.GaussianBlur(0.8))


def jpeg(image: Image.Image, quality: int = 92) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def variants(original: Image.Image) -> dict[str, tuple[bytes, str]]:
    """Each copy a desk meets, with the kind of match the index must name."""
    w, h = original.size
    shot = Image.new("RGB", (w + 160, h + 240), (250, 250, 250))
    shot.paste(original, (80, 80))
    ImageDraw.Draw(shot).text((80, h + 120), "BREAKING: this photo shows the flood today", fill=(0, 0, 0))
    left, top = int(w * 0.1), int(h * 0.12)
    return {
        "q50.jpg": (jpeg(original, 50), "same picture re-encoded"),
        "half.jpg": (jpeg(original.resize((w // 2, h // 2))), "resized"),
        "quarter.jpg": (jpeg(original.resize((w // 4, h // 4))), "resized"),
        "brighter.jpg": (jpeg(original.point(lambda v: min(255, int(v * 1.12)))), "same picture re-encoded"),
        "mirror.jpg": (jpeg(ImageOps.mirror(original)), "mirrored"),
        "crop.jpg": (jpeg(original.crop((left, top, left + int(w * 0.8), top + int(h * 0.75)))), "cropped"),
        "screenshot.jpg": (jpeg(shot), "contains it"),
    }


def search(store: Path, paths: list[Path], capsys) -> dict[str, dict]:
    assert main(["index", "--store", str(store), "--json", "search", *map(str, paths)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return {Path(r["path"]).name: r for r in rows}


@pytest.fixture(autouse=True)
def seen_before_on(monkeypatch):
    monkeypatch.setenv("FORENSICS_SEEN_BEFORE", "auto")  # the test session switches it off elsewhere


@pytest.fixture
def desk(tmp_path, capsys):
    """A desk whose case 'Flood rumours' holds one verified picture (item 1)."""
    store = tmp_path / "store"
    original = tmp_path / "verified.jpg"
    original.write_bytes(jpeg(scene(1)))
    args = ["--store", str(store), "--analyst", "ana"]
    assert main(["case", "new", "Flood rumours", *args]) == 0
    assert main(["case", "add", "Flood rumours", str(original), *args, *FORENSICS_OFF]) == 0
    capsys.readouterr()
    return store, tmp_path


def test_every_kind_of_copy_of_a_case_item_is_recognised_with_its_case(desk, capsys):
    store, folder = desk
    copies = variants(scene(1))
    paths = []
    for name, (data, _) in copies.items():
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    found = search(store, paths, capsys)
    for name, (_, kind) in copies.items():
        (match,) = found[name]["matches"]
        assert match["kind"] == kind, (name, match)
        (sighting,) = match["sightings"]
        assert (sighting["kind"], sighting["case_name"], sighting["item_id"], sighting["path"]) == (
            "case",
            "Flood rumours",
            1,
            "verified.jpg",
        )
        assert sighting["verdict"] == "no conclusion"  # the earlier verdict, as the case recorded it
    assert 0.5 < found["crop.jpg"]["matches"][0]["covers"] < 0.7  # 80% x 75% of the picture


def test_unrelated_pictures_never_match(desk, capsys):
    store, folder = desk
    others = []
    for seed in range(2, 14):
        others.append(folder / f"other{seed}.jpg")
        others[-1].write_bytes(jpeg(scene(seed)))
    found = search(store, others, capsys)
    assert {name: row["matches"] for name, row in found.items()} == {p.name: [] for p in others}


def test_the_index_survives_restarts_and_rebuilds_its_search_files(desk, capsys):
    store, folder = desk
    copy = folder / "copy.jpg"
    copy.write_bytes(jpeg(scene(1).resize((600, 400)), 70))
    index = store / "seen-index"
    for cache in ("seen-codes.usearch", "seen-features.usearch"):
        (index / cache).unlink()
    (index / "seen-features.usearch").write_bytes(b"damaged")
    assert [m["kind"] for m in search(store, [copy], capsys)["copy.jpg"]["matches"]] == ["resized"]
    assert (index / "seen-codes.usearch").stat().st_size > 0  # rebuilt from the records
    assert main(["index", "--store", str(store), "stats"]) == 0
    assert capsys.readouterr().out.startswith("1 image(s); sightings: 1 case; labels: none")


def test_a_reference_folder_is_indexed_with_its_label_and_bad_files_are_rows(tmp_path, capsys):
    store = tmp_path / "store"
    folder = tmp_path / "debunked"
    folder.mkdir()
    (folder / "fake-flood.jpg").write_bytes(jpeg(scene(5)))
    (folder / "notes\x1b[31m.txt").write_bytes(b"not a picture")
    assert main(["index", "--store", str(store), "add", str(folder), "--label", "debunked 2026"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("fake-flood.jpg: added (" + out[0].split("(")[-1])
    assert out[1].endswith(
        "notes\\x1b[31m.txt: not fingerprinted: not_an_image: not an image: the content is a text file"
    )
    crop = tmp_path / "crop.jpg"
    crop.write_bytes(jpeg(scene(5).crop((100, 100, 1100, 700)), 60))
    text = search_text(store, crop, capsys)
    assert "cropped (strong)" in text and "reference 'debunked 2026'" in text


def search_text(store: Path, path: Path, capsys) -> str:
    assert main(["index", "--store", str(store), "search", str(path)]) == 0
    return capsys.readouterr().out


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not here")
def test_real_camera_photos_crops_and_copies_are_found_and_not_confused(tmp_path, capsys):
    """Real files decide: camera photos from the corpus, indexed; a crop, a quarter-size copy and
    a mirror of one are found as such, and the other photos match nothing but themselves."""
    photos = sorted((CORPUS / "camera" / "exif-samples" / "jpg" / "mobile").glob("*.jpg"))
    store = tmp_path / "store"
    assert main(["index", "--store", str(store), "add", *map(str, photos), "--label", "archive"]) == 0
    capsys.readouterr()
    picture = ImageOps.exif_transpose(Image.open(photos[0])).convert("RGB")
    w, h = picture.size
    copies = {
        "crop.jpg": (picture.crop((w // 10, h // 10, w - w // 5, h - h // 6)), "cropped"),
        "quarter.jpg": (picture.resize((w // 4, h // 4)), "resized"),
        "mirror.jpg": (ImageOps.mirror(picture), "mirrored"),
    }
    for name, (image, _) in copies.items():
        (tmp_path / name).write_bytes(jpeg(image, 60))
    found = search(store, [tmp_path / n for n in copies], capsys)
    for name, (_, kind) in copies.items():
        assert [m["kind"] for m in found[name]["matches"]] == [kind], name
    themselves = search(store, photos, capsys)
    assert {n: [m["kind"] for m in r["matches"]] for n, r in themselves.items()} == {
        p.name: ["same file"] for p in photos
    }


def test_a_later_scan_is_told_the_desk_saw_the_picture_in_a_case(desk, capsys, monkeypatch):
    """Every analysis searches the index: a re-encoded crop scanned later gets ``seen_before``
    and a context line naming the case, the item, the day and the verdict then; with the setting
    seen_before = "remember" the scan is remembered too, and with "off" nothing is searched."""
    store, folder = desk
    crop = folder / "forwarded.jpg"
    crop.write_bytes(jpeg(scene(1).crop((150, 100, 1100, 750)), 55))
    env_store = ["--no-classifier"]
    monkeypatch.setenv("FORENSICS_CASE_STORE", str(store))
    out = folder / "rows.jsonl"
    assert main(["scan", str(crop), "--out", str(out), "--quiet", *env_store]) == 0
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    (seen,) = row["seen_before"]
    assert (seen["kind"], seen["sightings"][0]["case_name"], seen["sightings"][0]["item_id"]) == (
        "cropped",
        "Flood rumours",
        1,
    )
    (line,) = [f for f in row["findings"] if f["rule"] == "seen_before.match"]
    assert line["sentence"].startswith("The desk has handled this picture before: a crop of it")
    assert "in case “Flood rumours”, item 1 (verdict then: no conclusion)" in line["sentence"]
    assert line["sentence"].endswith("Earlier copies say where it has been, not whether it is authentic.")

    monkeypatch.setenv("FORENSICS_SEEN_BEFORE", "remember")
    assert main(["scan", str(crop), "--out", str(out), "--quiet", *env_store]) == 0
    assert main(["index", "--store", str(store), "stats"]) == 0
    assert "sightings: 1 case, 1 scan" in capsys.readouterr().out

    monkeypatch.setenv("FORENSICS_SEEN_BEFORE", "off")
    assert main(["scan", str(crop), "--out", str(out), "--quiet", *env_store]) == 0
    assert "seen_before" not in json.loads(out.read_text())


def test_strips_and_flat_pictures_get_a_fingerprint_without_features():
    """A 100,000 x 1 strip broke ORB's pyramid (found by the watermark tests' strips): such a
    picture gets its codes and no features, and a flat one has nothing to match by features."""
    from core.index.fingerprint import make_fingerprint

    for size in ((100_000, 1), (1, 65_500), (40, 40)):
        fp = make_fingerprint(Image.new("RGB", size, (120, 130, 140)), "x" * 64, "")
        assert (fp.width, fp.height, fp.descriptors, fp.points) == (*size, b"", b"")
        assert fp.iscc.startswith("ISCC:EE")


def test_the_batch_table_and_the_one_image_page_say_where_the_desk_saw_it(desk, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.test_dashboard import APP, BATCH

    store, _ = desk
    monkeypatch.setenv("FORENSICS_CASE_STORE", str(store))
    monkeypatch.setenv("FORENSICS_CLASSIFIER", "false")
    st.cache_resource.clear()  # a server started with this desk's store
    crop = jpeg(scene(1).crop((150, 100, 1100, 750)), 55)
    batch = AppTest.from_file(BATCH, default_timeout=180).run()
    batch.file_uploader(key="batch_uploads").set_value([("forwarded.jpg", crop, "image/jpeg")])
    batch.run()
    assert not batch.exception
    table = batch.dataframe[0].value
    assert list(table["seen"]) == ["cropped · case “Flood rumours”, item 1"]
    page = AppTest.from_file(APP, default_timeout=120).run()
    page.file_uploader(key="image_upload").set_value(("forwarded.jpg", crop, "image/jpeg"))
    page.run()
    assert not page.exception
    shown = " ".join(m.value for m in page.markdown)
    assert "The desk has handled this picture before\\: a crop of it" in shown  # (Markdown escaped)
    assert "in case “Flood rumours”, item 1" in shown
    st.cache_resource.clear()


def test_a_family_of_copies_names_the_one_closest_to_the_original_and_why(tmp_path, capsys):
    """The camera file (full size, camera metadata), a resized re-post, a crop and a screenshot
    with a caption: the camera file is the closest to the original, each copy made from it, and
    an unrelated picture stays apart."""
    from tests.images import camera_exif

    original = scene(3)
    w, h = original.size
    files = {
        "camera.jpg": jpeg_with(original, exif=camera_exif()),
        "repost.jpg": jpeg(original.resize((w // 2, h // 2)), 70),
        "crop.jpg": jpeg(original.crop((100, 80, 100 + int(w * 0.7), 80 + int(h * 0.7))), 80),
        "screenshot.jpg": jpeg(_framed(original.resize((w // 2, h // 2))), 75),
        "other.jpg": jpeg(scene(9)),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    paths = [
        str(tmp_path / n) for n in ("repost.jpg", "crop.jpg", "screenshot.jpg", "camera.jpg", "other.jpg")
    ]
    assert main(["index", "--json", "tree", *paths]) == 0
    found = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert len(found["trees"]) == 1
    tree = found["trees"][0]
    assert tree["closest"] == str(tmp_path / "camera.jpg")
    assert tree["why"].startswith("no other copy here contains it, and it keeps the most: 1200x800 pixels")
    assert "camera metadata" in tree["why"]
    assert {Path(e["child"]).name: Path(e["parent"]).name for e in tree["edges"]} == {
        "repost.jpg": "camera.jpg",
        "crop.jpg": "camera.jpg",
        "screenshot.jpg": "camera.jpg",
    }
    assert found["unrelated"] == [str(tmp_path / "other.jpg")]
    assert main(["index", "tree", *paths]) == 0
    text = capsys.readouterr().out
    assert f"family 1 (4 copies): closest to the original, of these copies: {tmp_path / 'camera.jpg'}" in text
    assert f"not related to the others: {tmp_path / 'other.jpg'}" in text


def jpeg_with(image: Image.Image, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, **params)
    return buffer.getvalue()


def _framed(image: Image.Image) -> Image.Image:
    w, h = image.size
    shot = Image.new("RGB", (w + 120, h + 200), (248, 248, 248))
    shot.paste(image, (60, 60))
    ImageDraw.Draw(shot).text((60, h + 100), "Viral: the flood this morning", fill=(20, 20, 20))
    return shot


def test_reports_say_seen_before_and_shared_reports_hide_where(desk, capsys):
    """A crop added to the case later carries its seen-before match into the case's reports; a
    redacted report keeps that it was seen before, not the desk's other cases or file names."""
    store, folder = desk
    crop = folder / "forwarded-crop.jpg"
    crop.write_bytes(jpeg(scene(1).crop((150, 100, 1100, 750)), 55))
    args = ["--store", str(store), "--analyst", "ana"]
    assert main(["case", "add", "Flood rumours", str(crop), *args, *FORENSICS_OFF]) == 0
    full, shared = folder / "full.html", folder / "shared.html"
    assert main(["case", "report", "Flood rumours", "--format", "html", "--out", str(full), *args]) == 0
    assert (
        main(["case", "report", "Flood rumours", "--format", "html", "--out", str(shared), "--redact", *args])
        == 0
    )
    text = full.read_text()
    assert "<th>Seen before</th>" in text
    assert "cropped (strong) of " in text and "in case “Flood rumours”, item 1" in text
    hidden = shared.read_text()
    assert "cropped (strong) of " in hidden and "in case “[redacted]”, item 1" in hidden
    assert "The desk has handled this picture before (where and when: [redacted])" in hidden
    import re

    (row,) = re.findall(r"<th>Seen before</th>\s*<td>(.*?)</td>", hidden, re.S)
    assert "[redacted]" in row and "Flood" not in row and "verified" not in row

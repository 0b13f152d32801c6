"""A bounded fuzz run (hypothesis) over intake, metadata and provenance: mutated real files
must give a row, never an exception. Crashes found here become regression tests elsewhere
(named after the bug, e.g. the MakerNote count in test_metadata.py)."""

from __future__ import annotations

from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL.PngImagePlugin import PngInfo

from core.pipeline import Source, analyze_batch, make_context
from core.settings import Settings
from tests.images import camera_exif, encode, photo, xmp_packet


@cache
def seeds() -> tuple[bytes, ...]:
    info = PngInfo()
    info.add_text("parameters", "a cat\nSteps: 20, Seed: 1")
    info.add_itxt(
        "workflow", '{"nodes": [{"type": "CheckpointLoaderSimple", "widgets_values": ["m"]}]}', zip=True
    )
    small = photo((48, 32))
    return (
        encode(small, "JPEG", exif=camera_exif(), xmp=xmp_packet("", 'xmp:CreatorTool="x"')),
        encode(small, "PNG", pnginfo=info),
        encode(small, "WEBP", exif=camera_exif()),
        encode(small, "TIFF"),
        encode(small.convert("P"), "GIF"),
    )


@cache
def context():
    return make_context(Settings(classifier=False))


mutation = st.tuples(st.integers(0, 10**9), st.integers(0, 255), st.sampled_from(["set", "delete", "insert"]))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 4),
    mutations=st.lists(mutation, min_size=1, max_size=12),
    cut=st.none() | st.integers(0, 10**9),
)
def test_mutated_files_never_raise(seed, mutations, cut):
    data = bytearray(seeds()[seed])
    for position, value, kind in mutations:
        at = position % max(1, len(data))
        if kind == "set" and data:
            data[at] = value
        elif kind == "delete":
            del data[at : at + value % 64 + 1]
        else:
            data[at:at] = bytes([value]) * (value % 8 + 1)
    if cut is not None and data:
        data = data[: cut % len(data)]
    (result,) = analyze_batch([Source.from_bytes("fuzz.bin", bytes(data))], context())
    assert result.status in ("ok", "error")
    assert result.error is None or result.error.code != "internal_error", result.error
    assert result.verdict is not None

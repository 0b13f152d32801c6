"""Decode pixels with Pillow under a pixel limit, orientation applied, original bytes untouched.

The pixel limit is checked on the header's declared size *before* any pixel is
decoded, so a 100,000 x 100,000 image in a 1 KB file is refused instantly (Pillow's
own ``DecompressionBombError`` is mapped to the same error as a second line of
defence). JPEGs are decoded in draft mode (DCT scaling) to the smallest size that is
still at least ``WORKING_MIN_SIDE`` on both sides: the classifier reads 256 px and the
perceptual hash 32 px, and full-size decoding of a 12 MP JPEG costs five times more.
The whole entropy-coded stream is still read, so truncation is still detected.
(``bench/`` measures the speed; a test checks that scores barely move.)
"""

from __future__ import annotations

import io
import re
import warnings
import zlib
from dataclasses import dataclass

from PIL import Image, ImageOps, PngImagePlugin
from PIL.JpegImagePlugin import JpegImageFile

from core.errors import DecodeFailed, DecompressionBomb, SizeAltered, UnsupportedFormat

from .containers import av1_coded_size, has_end_marker, png_chunks
from .sniff import Sniffed

# The working copy of the pixels keeps at least this many pixels on its short side (the
# classifier's 256 px input; the perceptual hash needs 32) and at most WORKING_MAX_SIDE on
# its long side. For a 12 MP JPEG this means DCT scaling by 1/8: about 5x faster than a
# full decode, and the classifier's score moves far less than its parity bound.
WORKING_MIN_SIDE = 256
WORKING_MAX_SIDE = 2048


_HEIF_READY: bool | None = None


def _enable_heif() -> bool:
    """Register pillow-heif's HEIF opener once; AVIF is built into Pillow 13."""
    global _HEIF_READY
    if _HEIF_READY is None:
        try:
            from pillow_heif import register_heif_opener

            register_heif_opener()
            _HEIF_READY = True
        except ImportError:
            _HEIF_READY = False
    return _HEIF_READY


@dataclass
class Decoded:
    image: Image.Image  # the opened file, header and info parsed (for metadata cross-checks)
    pixels: Image.Image | None  # RGB working copy, EXIF orientation applied, reduced in size;
    # None in a metadata-only scan (header read and checked, pixels never decoded)
    stored_width: int
    stored_height: int
    width: int  # after orientation
    height: int
    orientation: int | None
    mode: str
    frames: int
    animated: bool


# An animation's canvas may be at most this fraction of ``max_pixels``: decoders keep the canvas,
# the previous frame and the frame being decoded (an animated WebP of 13000x13000, within the
# still-image limit, took 2.8 GB).
ANIMATION_SHARE = 4


# Pillow's own limit is never raised above this many pixels (3 GB as RGB, more than a file
# worker's default memory limit), whatever the setting ``max_pixels`` says.
PILLOW_CEILING = 1_000_000_000


def allow_in_pillow(max_pixels: int) -> None:
    """Let the setting ``max_pixels`` decide, not Pillow's default hard limit (twice its
    ``MAX_IMAGE_PIXELS``: 178,956,970 pixels), which refused the 200 MP photos of Samsung's,
    Xiaomi's and Motorola's phones (16320 x 12240) as decompression bombs under the default
    setting of 200 million. Pillow's limit is raised to just above the setting (at most to
    ``PILLOW_CEILING``), never lowered (another caller may have set it higher), so its check
    stays a second line of defence."""
    needed = min(max_pixels, PILLOW_CEILING) // 2 + 1  # Pillow refuses above twice the value
    if Image.MAX_IMAGE_PIXELS is not None and needed > Image.MAX_IMAGE_PIXELS:
        Image.MAX_IMAGE_PIXELS = needed


def decode(
    data: bytes, sniffed: Sniffed, max_pixels: int, pixels: bool = True, full: bool = False
) -> Decoded:
    """Open and decode ``data`` (already sniffed as a supported image format).

    With ``pixels=False`` only the header is read and checked (size, pixel limit, and for
    JPEG and PNG that the image data reaches its end marker): a metadata-only scan skips
    the entropy decoding that dominates its cost.

    A JPEG's working copy is decoded with DCT scaling (draft mode: an eighth of the pixels
    or fewer), unless ``full``: its full-resolution pixels will be read too, so it is decoded
    whole once and the working copy reduced from it by the same factor (block averages, as
    the DCT scaling's), and ``full_resolution`` then decodes nothing more.
    """
    if sniffed.format == "heif" and not _enable_heif():
        raise UnsupportedFormat("HEIF/HEIC image, but the pillow-heif plugin is not installed")
    allow_in_pillow(max_pixels)
    with warnings.catch_warnings():
        # We enforce our own pixel limit below, and damage surfaces as errors or notices:
        # Pillow's warnings ("Corrupt EXIF data", ...) would only be noise on stderr.
        warnings.simplefilter("ignore")
        try:
            for_pillow = png_for_pixels(data) if sniffed.format == "png" else data
            image = Image.open(io.BytesIO(for_pillow), formats=[pillow_format(sniffed.format)])
        except Image.DecompressionBombError as exc:
            raise DecompressionBomb(f"refused before decoding: {exc}") from exc
        except Exception as exc:  # Pillow plugins raise many types for broken headers
            raise DecodeFailed(
                f"{sniffed.description} whose header cannot be read: {_describe(exc)}"
            ) from exc

        stored_w, stored_h = image.size
        if stored_w <= 0 or stored_h <= 0:
            raise DecodeFailed(f"{sniffed.description} declares an empty size {stored_w}x{stored_h}")
        coded = av1_coded_size(data) if sniffed.format == "avif" else None
        if coded and stored_w * stored_h > coded[0] * coded[1]:
            # libavif would scale the small coded picture up to the declared size: a few hundred
            # bytes then become hundreds of megabytes of pixels.
            raise SizeAltered(
                f"{sniffed.description} that declares {stored_w}x{stored_h} pixels, but its image data holds at "
                f"most {coded[0]}x{coded[1]}: the declared size was altered"
            )
        if stored_w * stored_h > max_pixels:
            raise DecompressionBomb(
                f"{sniffed.description} declares {stored_w}x{stored_h} = {stored_w * stored_h:,} pixels, "
                f"more than the limit of {max_pixels:,} (setting max_pixels); refused before decoding"
            )
        animated = getattr(image, "is_animated", False) and image.format != "MPO"
        if animated and stored_w * stored_h > max_pixels // ANIMATION_SHARE:
            raise DecompressionBomb(
                f"animated {sniffed.description} whose canvas is {stored_w}x{stored_h} = {stored_w * stored_h:,} "
                f"pixels, more than the limit for animations of {max_pixels // ANIMATION_SHARE:,} (a "
                f"{ANIMATION_SHARE}th of setting max_pixels: each frame is composed on a full canvas, in several "
                "buffers); refused before decoding"
            )
        try:
            frames = getattr(image, "n_frames", 1)
            mode = image.mode
            working = None
            if pixels:
                jpeg = isinstance(image, JpegImageFile)  # also MPO, a JPEG with extra images appended
                if jpeg and not full:
                    image.draft("RGB", _draft_request(stored_w, stored_h))
                # Before reading the orientation: Pillow's PNG getexif() loads the pixels itself,
                # and a damaged data stream must fail here, not inside a lookup that ignores errors.
                image.load()
                factor = _draft_factor(stored_w, stored_h) if jpeg and full else 1
                working = to_rgb(image.reduce(factor) if factor > 1 else image)
            orientation = _orientation(image)
        except Image.DecompressionBombError as exc:
            raise DecompressionBomb(f"refused while decoding: {exc}") from exc
        except MemoryError:  # a memory limit is reported as such, not as damage
            raise
        except Exception as exc:
            if _out_of_memory(exc):  # libavif, libwebp and others report a failed allocation as an error
                raise MemoryError(str(exc)) from exc
            raise DecodeFailed(
                f"{sniffed.description} whose pixel data is damaged: {_describe(exc)}"
            ) from exc

    if working is None:
        _check_complete(data, sniffed)
        return _decoded(image, None, (stored_w, stored_h), orientation, frames, mode)
    if orientation and orientation != 1:
        working = ImageOps.exif_transpose(working)
    if max(working.size) > WORKING_MAX_SIDE:
        working.thumbnail((WORKING_MAX_SIDE, WORKING_MAX_SIDE), Image.Resampling.BILINEAR)
    return _decoded(image, working, (stored_w, stored_h), orientation, frames, mode)


def png_for_pixels(data: bytes) -> bytes:
    """The PNG as Pillow needs it for pixels and ICC: text chunks left out (our own reader
    takes them, under its limits), and an ICC profile that inflates past Pillow's limit left
    out too. Text bombs and oversized profiles that browsers skip must not fail the image."""
    kept: list[bytes] = []
    last = 0
    for pos, ctype, body, complete in png_chunks(data):
        if not complete:
            break
        drop = ctype in (b"tEXt", b"zTXt", b"iTXt") or _oversized_icc(ctype, body)
        if drop:
            kept.append(data[last:pos])
            last = pos + 12 + len(body)
    if not kept:
        return data
    return b"".join(kept) + data[last:]


def png_icc_dropped(data: bytes) -> bool:
    """Whether the PNG holds an ICC profile that ``png_for_pixels`` leaves out (it inflates past
    Pillow's limit): the file's row must say so, since its colours are then read as sRGB."""
    return any(complete and _oversized_icc(ctype, body) for _, ctype, body, complete in png_chunks(data))


def _oversized_icc(ctype: bytes, body: bytes) -> bool:
    return ctype == b"iCCP" and _inflates_past(body.partition(b"\x00")[2][1:], PngImagePlugin.MAX_TEXT_CHUNK)


def _inflates_past(stream: bytes, limit: int) -> bool:
    inflater = zlib.decompressobj()
    try:
        inflater.decompress(stream, limit)
    except zlib.error:
        return False  # damaged: Pillow reports it
    return bool(inflater.unconsumed_tail)


def _decoded(
    image: Image.Image,
    pixels: Image.Image | None,
    stored: tuple[int, int],  # the header's size (draft mode shrinks image.size)
    orientation: int | None,
    frames: int,
    mode: str,
) -> Decoded:
    stored_w, stored_h = stored
    swaps = orientation in (5, 6, 7, 8)
    return Decoded(
        image=image,
        pixels=pixels,
        stored_width=stored_w,
        stored_height=stored_h,
        width=stored_h if swaps else stored_w,
        height=stored_w if swaps else stored_h,
        orientation=orientation,
        mode=mode,
        frames=frames,
        # Phones and cameras append previews or depth maps as MPF images: extra frames,
        # but not an animation.
        animated=frames > 1 and image.format != "MPO",
    )


def _check_complete(data: bytes, sniffed: Sniffed) -> None:
    """Without decoding, a cut-off JPEG or PNG is still caught: its end marker is missing."""
    if sniffed.format in ("jpeg", "png") and not has_end_marker(data, sniffed.format):
        raise DecodeFailed(
            f"{sniffed.description} that ends before its end-of-image marker (truncated); "
            "found without decoding pixels (metadata-only scan)"
        )


def pillow_format(fmt: str | None) -> str:
    return {
        "jpeg": "JPEG",
        "png": "PNG",
        "webp": "WEBP",
        "tiff": "TIFF",
        "gif": "GIF",
        "bmp": "BMP",
        "heif": "HEIF",
        "avif": "AVIF",
    }[fmt or ""]


def _draft_factor(width: int, height: int) -> int:
    """The reduction that draft mode's DCT scaling would apply (1, 2, 4 or 8)."""
    request = _draft_request(width, height)
    factor = 1
    while factor < 8 and width / (factor * 2) >= request[0] and height / (factor * 2) >= request[1]:
        factor *= 2
    return factor


def _draft_request(width: int, height: int) -> tuple[int, int]:
    """The size to ask draft mode for: DCT scaling keeps both sides at least this large."""
    scale = max(WORKING_MIN_SIDE / min(width, height), 1 / 8)
    return (max(1, int(width * scale)), max(1, int(height * scale)))


# EXIF orientation -> the transposition that shows the stored pixels upright (as exif_transpose).
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def upright(image: Image.Image, orientation: int | None) -> Image.Image:
    """An image in stored orientation (a forensic map, say) turned as the file says to display it."""
    method = UPRIGHT.get(orientation or 1)
    return image.transpose(method) if method is not None else image


def _orientation(image: Image.Image) -> int | None:
    try:
        value = image.getexif().get(0x0112)
    except Exception:
        return None  # a broken EXIF block is reported by the metadata stage, not here
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def to_rgb(image: Image.Image) -> Image.Image:
    """An RGB copy of the first frame (info kept, so exif_transpose still sees the orientation).

    High bit-depth greyscale is rescaled to 8 bits, not clipped.
    """
    rgb = _convert(image)
    rgb.info = dict(image.info)
    return rgb


def _convert(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        import numpy as np

        arr = np.asarray(image, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        arr = (arr - lo) * (255.0 / (hi - lo)) if hi > lo else arr * 0
        return Image.fromarray(arr.astype("uint8")).convert("RGB")
    if image.mode == "P" and "transparency" in image.info:
        return image.convert("RGBA").convert("RGB")
    return image.convert("RGB")


_OOM = re.compile(r"out of memory|memory allocation|failed to allocate|cannot allocate|allocation fail", re.I)


def _out_of_memory(exc: BaseException) -> bool:
    """A native decoder's way of saying that its allocation failed (under the worker's limit)."""
    return bool(_OOM.search(str(exc)))


def _describe(exc: BaseException) -> str:
    # Pillow names the in-memory buffer ("<_io.BytesIO object at 0x7f..>"): noise, and not stable.
    text = re.sub(r"\s*<_io\.BytesIO object at 0x[0-9a-f]+>", "", str(exc)).strip() or "no details"
    return f"{type(exc).__name__}: {text[:300]}"


def full_resolution(data: bytes, decoded: Decoded) -> Image.Image:
    """The first frame at full stored resolution (no orientation applied), for pixel forensics.

    Non-JPEG images were decoded at full size already; a JPEG decoded in draft mode is
    decoded once more, whole. The size was checked against the pixel limit before.
    """
    if decoded.image.size == (decoded.stored_width, decoded.stored_height):
        return decoded.image
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        image = Image.open(io.BytesIO(data), formats=["JPEG"])
        image.load()
    return image

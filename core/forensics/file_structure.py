"""File structure: data after the image's end marker, and the embedded thumbnail versus
the main image.

Bytes after the end of a JPEG (EOI), a PNG (IEND) or a WebP (RIFF size) are invisible
to viewers; they can be harmless (a phone's extra MPF images, an editor's trailer) or
a hidden archive (a polyglot file). An EXIF thumbnail that no longer matches the main
image means the picture was changed by software that did not refresh the thumbnail.
"""

from __future__ import annotations

from PIL import Image

from core.intake.containers import image_end
from core.intake.sniff import sniff
from core.metadata.thumbnail import open_thumbnail

# Mean absolute difference (0-255) between the thumbnail and the downscaled main image
# above which they are reported as different pictures.
THUMBNAIL_MISMATCH = 24.0


def trailing_data(data: bytes, fmt: str | None) -> dict | None:
    end = image_end(data, fmt)
    if end is None:
        return None
    extra = data[end:]
    # JPEG/PNG writers sometimes pad with a few zero bytes: not worth a finding.
    if not extra.strip(b"\x00"):
        return {"bytes": len(extra), "kind": "padding" if extra else "none"}
    if fmt == "jpeg" and extra.startswith(b"\xff\xd8"):
        kind = "appended JPEG images (MPF previews or depth maps, as phones and cameras write)"
    else:
        kind = sniff(extra[:4096]).description
    return {"bytes": len(extra), "kind": kind, "starts_with": extra[:16].hex()}


def thumbnail_mismatch(thumbnail: bytes | None, main: Image.Image) -> dict | None:
    import numpy as np

    if not thumbnail:
        return None
    try:
        with open_thumbnail(thumbnail) as im:
            thumb = im.convert("L")
    except Exception:  # describe_thumbnail already gave a notice
        return None
    tw, th = thumb.size
    mw, mh = main.size
    aspect_diff = abs(tw / th - mw / mh) / (mw / mh) if th and mh else 1.0
    resized = main.convert("L").resize((tw, th))
    mad = float(np.abs(np.asarray(thumb, dtype=np.float32) - np.asarray(resized, dtype=np.float32)).mean())
    return {
        "mean_abs_difference": round(mad, 2),
        "aspect_ratio_difference": round(aspect_diff, 3),
        "differs": mad > THUMBNAIL_MISMATCH or aspect_diff > 0.1,
    }

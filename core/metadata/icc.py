"""ICC colour profile (ICC.1:2010) description, read with Pillow's LittleCMS binding.

The profile name is a useful clue: cameras, phones and editors embed characteristic
profiles ("Display P3", "sRGB IEC61966-2.1", "Adobe RGB (1998)"); many AI pipelines
embed none.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageCms

from core.jsonsafe import clean_text


def read_icc(image: Image.Image | None) -> tuple[dict[str, Any] | None, str | None]:
    """``({"description", "size_bytes", ...}, None)``, ``(None, None)`` when absent, or an error."""
    raw = image.info.get("icc_profile") if image is not None else None
    if not raw:
        return None, None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(raw)).profile
        info = {
            "description": clean_text(profile.profile_description or "").strip() or None,
            "manufacturer": clean_text(profile.manufacturer or "").strip() or None,
            "model": clean_text(profile.model or "").strip() or None,
            "copyright": clean_text(profile.copyright or "").strip() or None,
            "color_space": (profile.xcolor_space or "").strip() or None,
            "size_bytes": len(raw),
        }
        return info, None
    except Exception as exc:  # LittleCMS rejects damaged profiles with assorted errors
        return {"size_bytes": len(raw)}, f"{type(exc).__name__}: {str(exc)[:200]}"

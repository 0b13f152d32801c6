"""Typed errors of the analysis core.

Every error that can end the analysis of one file carries a stable machine-readable
``code`` (documented in the README, parsed by other tools) and a human sentence.
Expected absence (no EXIF, no XMP) is never an error: parsers return ``None`` or an
empty result for it. Real malformation raises one of these, chained with ``from``
so that the cause is kept, and the pipeline turns it into one error row.
"""

from __future__ import annotations


class AnalysisError(Exception):
    """Base class: one file could not be analysed, for a reason with a stable code."""

    code = "analysis_failed"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ReadFailed(AnalysisError):
    code = "read_failed"


class NotARegularFile(AnalysisError):
    """A symbolic link, named pipe, socket, device or folder: never opened as a file."""

    code = "not_a_regular_file"


class EmptyFile(AnalysisError):
    code = "empty_file"


class FileTooLarge(AnalysisError):
    code = "file_too_large"


class NotAnImage(AnalysisError):
    """The bytes are a known non-image format (PDF, ZIP, text, ...) or unrecognisable."""

    code = "not_an_image"


class UnsupportedFormat(AnalysisError):
    """An image format we recognise but cannot decode here (e.g. HEIF without its plugin)."""

    code = "unsupported_format"


class DecompressionBomb(AnalysisError):
    """The header declares more pixels than the configured limit: refused before decoding."""

    code = "decompression_bomb"


class DecodeFailed(AnalysisError):
    """The file claims to be an image but its pixel data is truncated or corrupt."""

    code = "decode_failed"


class SizeAltered(DecodeFailed):
    """The header declares more pixels than the image data holds (a decoder would scale a tiny
    picture up to hundreds of megabytes): refused on purpose, not damage a viewer might forgive."""


class ClassifierUnavailable(Exception):
    """The classifier cannot run (no weights, unmappable labels, broken model folder).

    Not an :class:`AnalysisError`: the rest of the analysis still runs and the result
    carries this message as ``classifier_error``.
    """


class LabelMappingError(ClassifierUnavailable):
    """The model's ``id2label`` cannot be mapped to artificial/real by name."""

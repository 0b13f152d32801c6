"""Pixel and file forensics: the computations behind the ELA, noise, spectrum, JPEG and
file-structure analyzers (``core.analyzers``), each a pure function of pixels or bytes.

Each returns JSON-safe numbers, and where it makes sense a ``render`` function draws its
map from the same pixels (shown by the dashboard, never drawn during batch scans). Only
checks with a clear reading produce ledger findings (re-encoding, double compression, a
mismatched thumbnail, hidden trailing data: see their analyzers); ELA, noise and spectrum
stay numbers and maps, because their thresholds depend on content and are not calibrated here.

NumPy is imported inside the functions that compute, not at the top of these modules: the
analyzer registry imports them in every process, and a metadata-only scan (and its file
workers) never computes with pixels, so it never pays NumPy's start-up (a test holds it).
"""

"""Seen before: the desk's memory of every image it has handled (issue 24).

``fingerprint`` makes an image's fingerprint inside a file worker (an ISCC image code, ISO
24138, of the picture and of its mirror image, the pHash, and ORB local features);
``records`` keeps them in SQLite beside the case store with a usearch index over the codes
(rebuilt from the records when its file is missing); ``matching`` says how a new image
relates to each earlier one (same file, re-encoded, resized, mirrored, cropped).
"""

"""A result every output can carry: checked once, where it leaves the file worker.

Parsers hand over what files hold, and files hold anything: python-exiv2 gives a MakerNote
string written in Latin-1 ("Ren\\xe8") as lone surrogates, which no UTF-8 writer, JSON
reader, Parquet column, PDF or browser accepts; a damaged rational gives NaN, which JSON
has no word for. Instead of every writer, page and report guarding itself, ``repair``
makes a result well-formed once, in the worker (``core.pipeline``), and says in a notice
which fields it changed. The rules, documented in the README ("Well-formed results"):

- **Text is valid Unicode.** Bytes that are not UTF-8 (carried as the surrogates
  U+DC80-U+DCFF) are read as Latin-1 (ISO 8859-1): every byte is one character, so
  nothing is lost and encoding the text as Latin-1 gives the file's bytes back. Any other
  lone surrogate is shown as a ``\\udXXX`` escape. Notice ``text_not_utf8``.
- **Numbers are finite.** NaN and infinities become empty (null). Notice ``number_not_finite``.
- **Sizes are bounded.** A text over ``MAX_TEXT_CHARS`` is cut, saying so in the value; a list
  or mapping over ``MAX_ITEMS`` entries is cut; nesting deeper than ``MAX_DEPTH`` is
  replaced by a marker; a whole result over ``MAX_RESULT_CHARS`` of text loses its largest
  raw metadata blocks. Notice ``value_trimmed``.
- **Values are plain**: bytes become text or hex (``jsonsafe``), other objects text.

Writers still check each row as they write it (``core.output``): a row that cannot be written
becomes an ``output_failed`` row; it never ends a scan.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from enum import StrEnum
from numbers import Integral, Real
from typing import Any

from core.jsonsafe import MAX_TEXT_CHARS, cut_text, json_safe
from core.schema import Notice, ScanResult

# Entries kept per list or mapping (a MakerNote or XMP bag can claim millions).
MAX_ITEMS = 10_000
# Containers nested deeper than this are replaced by a marker (JSON readers have stack limits).
MAX_DEPTH = 32
# Characters of text in one whole result; beyond it the largest raw metadata blocks are dropped.
MAX_RESULT_CHARS = 16_000_000
# Fields named in one notice (the rest are counted).
MAX_FIELDS_NAMED = 12

TOO_DEEP = "(nested too deeply to show)"
_SURROGATES = range(0xD800, 0xE000)
_ESCAPED_BYTES = range(0xDC80, 0xDD00)  # how Python carries bytes that are not UTF-8

NOTICE_TEXT = {
    "text_not_utf8": "Text that was not valid UTF-8 was read as Latin-1 (each byte one character, so the file's "
    "bytes can be recovered; stray surrogates shown as \\u escapes) in",
    "number_not_finite": "Numbers that were not finite (NaN or infinite) are left empty in",
    "value_trimmed": "Values over the size limits were shortened (each says so) in",
    "value_not_plain": "Values of an unexpected type were turned into text in",
}


def repair(result: ScanResult) -> ScanResult:
    """Make ``result`` well-formed in place (see the module's rules) and add one notice per
    kind of change, naming the fields; returns it."""
    fixer = _Fixer()
    for f in dataclasses.fields(result):
        if f.name != "notices":
            setattr(result, f.name, fixer.fix(getattr(result, f.name), f.name, 0))
    if fixer.chars > MAX_RESULT_CHARS:
        _drop_largest_raw_blocks(result, fixer)
    result.notices.extend(fixer.notices())
    return result


def repaired_tree(value: Any, limits: bool = True) -> tuple[Any, dict[str, list[str]]]:
    """The same rules over a plain JSON-like tree (a stored result; a report model, with
    ``limits=False``: a case's item list is not one file's value): the repaired value and the
    fields changed, by kind. Returns ``value`` itself when nothing changed."""
    fixer = _Fixer(limits)
    return fixer.fix(value, "", 0), fixer.changed


def unwritable_field(value: Any, path: str = "") -> str | None:
    """The first field (dotted path) that no UTF-8 JSON writer can carry (lone surrogates,
    NaN, a type JSON does not know), or None: for naming the field of an ``output_failed`` row."""
    fixer = _Fixer()
    fixer.fix(value, path, 0)
    for kind in ("text_not_utf8", "number_not_finite", "value_not_plain"):
        if fixer.changed.get(kind):
            return fixer.changed[kind][0]
    return None


def text(value: str) -> str:
    """One string made valid Unicode by the rule above (no notice): for text that is shown
    or written outside a result (a stored note, a file name from an old store)."""
    return _unicode(value) if not value.isascii() and _has_surrogates(value) else value


class _Fixer:
    def __init__(self, limits: bool = True) -> None:
        self.changed: dict[str, list[str]] = {}
        self.chars = 0
        self.max_items = MAX_ITEMS if limits else None
        self.max_chars = MAX_TEXT_CHARS if limits else None

    def note(self, kind: str, path: str) -> None:
        self.changed.setdefault(kind, []).append(path or "(the value)")

    def notices(self) -> list[Notice]:
        out = []
        for kind, paths in self.changed.items():
            named = ", ".join(dict.fromkeys(paths[:MAX_FIELDS_NAMED]))
            more = f" and {len(paths) - MAX_FIELDS_NAMED} more" if len(paths) > MAX_FIELDS_NAMED else ""
            out.append(Notice(kind, f"{NOTICE_TEXT[kind]}: {named}{more}."))
        return out

    def fix(self, value: Any, path: str, depth: int) -> Any:
        kind = type(value)
        if kind is str:
            return self.fix_text(value, path)
        if value is None or kind is bool or kind is int:
            return value
        if isinstance(value, StrEnum):  # a closed vocabulary's word (core.vocabulary): plain text already
            return value
        if kind is float:
            if math.isfinite(value):
                return value
            self.note("number_not_finite", path)
            return None
        if depth >= MAX_DEPTH and (isinstance(value, dict | list | tuple) or dataclasses.is_dataclass(value)):
            self.note("value_trimmed", path)
            return TOO_DEEP
        if isinstance(value, dict):
            return self.fix_mapping(value, path, depth)
        if isinstance(value, list | tuple):
            return self.fix_sequence(value, path, depth)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                item = getattr(value, f.name)
                fixed = self.fix(item, f"{path}.{f.name}" if path else f.name, depth + 1)
                if fixed is not item:
                    setattr(value, f.name, fixed)
            return value
        if isinstance(value, bytes | bytearray | memoryview):
            return self.fix_text(json_safe(value), path)
        if isinstance(value, bool):  # numpy's bool
            return bool(value)
        if isinstance(value, Integral):  # numpy's integers: JSON cannot write them
            return int(value)
        if isinstance(value, Real):
            return self.fix(float(value), path, depth)
        self.note("value_not_plain", path)
        return self.fix_text(str(value), path)

    def fix_text(self, value: str, path: str) -> str:
        self.chars += len(value)
        if not value.isascii() and _has_surrogates(value):
            self.note("text_not_utf8", path)
            value = _unicode(value)
        if self.max_chars is not None and len(value) > self.max_chars:
            self.note("value_trimmed", path)
            value = cut_text(value, self.max_chars)
        return value

    def fix_mapping(self, value: dict, path: str, depth: int) -> dict:
        out: dict = {}
        changed = self.max_items is not None and len(value) > self.max_items  # cut: a new dict
        if changed:
            self.note("value_trimmed", path)
        for key, item in itertools.islice(value.items(), self.max_items if changed else None):
            new_key = key
            if type(key) is str:
                if not key.isascii() and _has_surrogates(key):
                    new_key = _unicode(key)
                    self.note("text_not_utf8", f"{path} (a key)")
            elif not (key is None or type(key) in (int, float, bool)):
                new_key = _unicode(str(key))
            fixed = self.fix(item, _child(path, new_key), depth + 1)
            changed = changed or fixed is not item or new_key is not key
            out[new_key] = fixed
        return out if changed else value

    def fix_sequence(self, value: list | tuple, path: str, depth: int) -> list | tuple:
        if self.max_items is not None and len(value) > self.max_items:
            self.note("value_trimmed", path)
            value = value[: self.max_items]
            changed = True
        else:
            changed = False
        out = []
        for n, item in enumerate(value):
            fixed = self.fix(item, f"{path}[{n}]", depth + 1)
            changed = changed or fixed is not item
            out.append(fixed)
        if not changed:
            return value
        return type(value)(*out) if hasattr(value, "_fields") else type(value)(out)


def _child(path: str, key: Any) -> str:
    """``metadata.raw.exif`` for keys that read as names, ``raw['Canon.OwnerName']`` for others."""
    key = str(key)
    if key.isidentifier():
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _unicode(text: str) -> str:
    """Bytes carried as U+DC80-U+DCFF read as Latin-1; other lone surrogates escaped."""
    out: list[str] = []
    raw = bytearray()
    for ch in text:
        code = ord(ch)
        if code in _ESCAPED_BYTES:
            raw.append(code - 0xDC00)
            continue
        if raw:
            out.append(raw.decode("latin-1"))
            raw.clear()
        out.append(f"\\u{code:04x}" if code in _SURROGATES else ch)
    if raw:
        out.append(raw.decode("latin-1"))
    return "".join(out)


def _drop_largest_raw_blocks(result: ScanResult, fixer: _Fixer) -> None:
    """Over the whole-result limit: the raw dump's largest blocks give way (the normalised
    facts, the ledger and the hashes stay), each replaced by a line that says what it held."""
    raw = result.metadata.raw
    sizes = sorted(((_chars(v), k) for k, v in raw.items()), reverse=True)
    total = fixer.chars
    for size, key in sizes:
        if total <= MAX_RESULT_CHARS:
            break
        raw[key] = (
            f"(left out: {size:,} characters of text, over the limit of {MAX_RESULT_CHARS:,} for one result)"
        )
        total -= size
        fixer.note("value_trimmed", f"metadata.raw.{key}")


def _chars(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(len(str(k)) + _chars(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return sum(_chars(v) for v in value)
    return 8

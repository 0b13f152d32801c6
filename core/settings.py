"""The one settings table.

Each setting has a name, a default, an environment variable and a help line. Values
are resolved in this order, later winning: defaults, a TOML file (``--config FILE`` or
``FORENSICS_CONFIG``), environment variables, then explicit CLI flags. The README's
settings table is checked against ``SETTINGS`` by a test, so nothing goes undocumented.
"""

from __future__ import annotations

import dataclasses
import getpass
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the case store's package is imported by what opens a store, not by every scan
    from core.cases.audit import AnchorKey

# ``bundle verify`` stops hashing after this many seconds unless told otherwise (here, not in
# core.reports.bundle, so that the CLI's parser does not import the report stack).
VERIFY_TIME_LIMIT_S = 900.0


@dataclass(frozen=True)
class Setting:
    name: str
    help: str  # what it does, in Markdown (docs/settings.md is made from these)
    default_text: str | None = None  # how an empty default reads, where it means more than "none"

    @property
    def env(self) -> str:
        return "FORENSICS_" + self.name.upper()

    @property
    def default(self) -> Any:
        return _DEFAULTS[self.name]


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "model",
        "Hub id or local folder of the classifier. The former id `XenArcAI/AIRealNet` works too.",
    ),
    Setting(
        "revision",
        "Hub branch, tag or commit; the resolved commit is recorded in every result.",
    ),
    Setting(
        "device",
        "`auto` (CUDA, then Apple MPS, then CPU), `cpu`, `cuda`, `cuda:N` or `mps`. GPUs run in float16.",
    ),
    Setting(
        "backend",
        "`auto` runs the classifier through OpenVINO on CPUs (exported once and cached, at the input size "
        "the model's own preprocessor makes, so 192, 224 or 384 px checkpoints work as AIRealNet's 256 px "
        "does; bfloat16 only where the CPU computes it natively; its error is measured against PyTorch "
        "at export, and a score that error could move by more than 0.01 is computed again in float32, so "
        "every score stays within 0.01 of PyTorch's; while most recent scores needed float32, images go "
        "to float32 first, which is then faster; the float32 copy is compiled the first time a score "
        "needs it and holds the weights again, about 0.9 GB for AIRealNet), PyTorch on GPUs and for "
        "models whose input size depends on the picture; `openvino` or `pytorch` force one. Results "
        "record the backend and the precision of each score.",
    ),
    Setting(
        "detectors",
        "More classifiers to run beside `model`, comma-separated Hub ids or local folders (e.g. "
        "`Modotte/AIRealNet-2`). Each is loaded the same way (labels mapped by name, revision recorded), "
        "scored on every image and shown on its own gauge; the ledger says whether they agree, and a "
        "disagreement makes a score-based verdict inconclusive instead of being averaged away. Stability "
        "is computed with `model` only.",
    ),
    Setting(
        "calibration",
        "A calibration profile written by `python -m core calibrate` (see [Calibration on your own "
        "photos](cli.md#calibration-on-your-own-photos)): the classifier's ledger line then says how many of the desk's verified photos scored "
        "as high. A profile made with another model or revision, changed after it was written, not "
        "signed with the desk's key (`case_key`), or unreadable is refused before any file is analysed.",
    ),
    Setting(
        "batch_size",
        "Images per classifier call, and files held in memory at once.",
    ),
    Setting(
        "classifier",
        "`false` skips the classifier (same as `--no-classifier`).",
    ),
    Setting(
        "pixels",
        "`false` is a metadata-only scan (same as `--metadata-only`): no pixel decoding, so no perceptual "
        "hash, classifier or pixel forensics.",
    ),
    Setting(
        "stability",
        "Re-score each image as JPEG q50, half size and WebP q80 (three more classifier runs, from the "
        "decoded working copy). `auto`: only where it can change what a person concludes (see [Verdict "
        "bands](result-schema.md#verdict-bands)); `always` (the one-image page uses it unless the setting is `never`); `never` "
        "(`--no-stability`). `true`/`false` still mean `always`/`never`.",
    ),
    Setting(
        "forensics",
        "Pixel and file forensics (about 0.3 s for a 12 MP JPEG; `--no-forensics`).",
    ),
    Setting(
        "max_pixels",
        "Images whose header declares more pixels are refused before decoding (`decompression_bomb`); an "
        "animation (GIF, WebP, APNG) may use a quarter of it, since each frame is composed on a full canvas. "
        "Pillow's own limit follows this setting up to a billion pixels, above which Pillow refuses whatever it says.",
    ),
    Setting(
        "max_file_mb",
        "Larger files are refused without being read (`file_too_large`).",
    ),
    Setting(
        "file_timeout_s",
        "Each file is parsed (read, decoded, metadata, provenance, forensics) in a worker process; one "
        "that takes longer is stopped (`time_limit`) and the scan goes on.",
    ),
    Setting(
        "file_memory_mb",
        "The memory one file's parsing may use in its worker process (an address-space limit); beyond it "
        "the file is stopped (`memory_limit`).",
    ),
    Setting(
        "trust_anchors",
        "The C2PA trust lists the desk trusts: `NAME=PATH` entries separated by `;` (a PEM file of trust "
        "anchors, or a folder with `anchors.pem` and/or `allowed.pem`; a bare `PATH` is named after it), "
        "e.g. `Newsroom=desk.pem;C2PA=c2pa-anchors.pem`. "
        "Nothing is downloaded. Each reading names the list that holds the signer, with its file's SHA-256. "
        'Without one, credentials that validate are "intact, signer not on a configured trust list", never '
        '"intact, signer on your trust list" ([content-credentials.md](content-credentials.md)).',
    ),
    Setting(
        "case_store",
        "Folder of the case store (`cases.sqlite3` and `originals/`); never inside the source tree.",
        default_text="a per-user data folder",
    ),
    Setting(
        "case_key",
        "The secret key (created with mode 0600 on first use) that anchors each case's audit log and signs "
        "calibration profiles; keep it where the people who handle the store cannot write. A store anchored "
        "with a key that is missing is never given a new one silently (see `case rekey`).",
        default_text="a per-user config folder",
    ),
    Setting(
        "analyst",
        "The name recorded in the chain of custody. The dashboard asks each person once per session "
        "instead (see [Who did what](cases.md#who-did-what)); set this only for a single-user installation, since every session "
        "would record it.",
        default_text="CLI: the operating-system user",
    ),
    Setting(
        "identity_header",
        "An HTTP header that a trusted reverse proxy sets to the signed-in user (e.g. "
        "`X-Forwarded-User`): the dashboard records that name and asks nobody. Honoured only together "
        "with `proxy_secret`: anyone can send any header to a server the proxy does not guard.",
    ),
    Setting(
        "proxy_secret",
        "A long random value that the sign-in proxy sends in the header `X-Desk-Proxy-Secret` with every "
        "request (see [Who did what](cases.md#who-did-what)): `identity_header` is believed only on requests "
        "that carry it, so a request that reached the dashboard around the proxy cannot name anyone. "
        "Without it `identity_header` is ignored, and the sidebar says so.",
    ),
    Setting(
        "seen_before",
        "The desk's memory of the images it has handled (see [Seen before](cli.md#seen-before)): `auto` "
        "searches every analysed image in the index beside the case store, once it exists (every case item is "
        "put in it; `index add` adds reference folders); `remember` also puts every scanned or uploaded image "
        "in it; `off` neither.",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def _parse(setting: Setting, raw: Any) -> Any:
    """Convert a raw value (from TOML, env or CLI) to the default's type, with a clear error."""
    kind = type(setting.default)
    text = str(raw).strip()
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"setting {setting.name!r} expects true or false, got {text!r}")
    if kind in (int, float):
        try:
            value = kind(text)
        except ValueError:
            what = "an integer" if kind is int else "a number"
            raise ValueError(f"setting {setting.name!r} expects {what}, got {text!r}") from None
        if value <= 0:
            raise ValueError(f"setting {setting.name!r} must be positive, got {value}")
        return value
    if setting.name == "seen_before" and text.lower() not in SEEN_BEFORE_MODES:
        raise ValueError(f"setting 'seen_before' expects one of {', '.join(SEEN_BEFORE_MODES)}, got {text!r}")
    if setting.name == "stability":  # true/false, as before, mean always/never
        text = {"true": "always", "false": "never", "1": "always", "0": "never"}.get(
            text.lower(), text.lower()
        )
        if text not in STABILITY_MODES:
            raise ValueError(f"setting 'stability' expects one of {', '.join(STABILITY_MODES)}, got {text!r}")
    return text


STABILITY_MODES = ("auto", "always", "never")
SEEN_BEFORE_MODES = ("auto", "remember", "off")


@dataclass(frozen=True)
class Settings:
    """The resolved settings: one field per entry of ``SETTINGS``, in the same order (a test keeps
    them in step), each with its default. Frozen and picklable: the file workers receive it."""

    model: str = "Modotte/AIRealNet"
    revision: str = "main"
    device: str = "auto"
    backend: str = "auto"
    detectors: str = ""
    calibration: str = ""
    batch_size: int = 8
    classifier: bool = True
    pixels: bool = True
    stability: str = "auto"
    forensics: bool = True
    max_pixels: int = 200_000_000
    max_file_mb: int = 512
    file_timeout_s: float = 60.0
    file_memory_mb: int = 4096
    trust_anchors: str = ""
    case_store: str = ""
    case_key: str = ""
    analyst: str = ""
    identity_header: str = ""
    proxy_secret: str = ""
    seen_before: str = "auto"

    def __post_init__(self) -> None:
        if isinstance(self.stability, bool):  # Settings(stability=False) as before: never
            object.__setattr__(self, "stability", "always" if self.stability else "never")

    def store_path(self) -> str:
        from core.cases import default_store_path

        return self.case_store or default_store_path()

    def open_store(self, read_only: bool = False):
        """The case store these settings name, with its anchor key."""
        from core.cases import CaseStore

        return CaseStore(self.store_path(), key_path=self.key_path(), read_only=read_only)

    def key_path(self) -> Path:
        from core.cases.store import default_key_path

        return Path(self.case_key).expanduser() if self.case_key else default_key_path()

    def desk_key(self, may_create: bool = False) -> AnchorKey:
        """The desk's secret (setting ``case_key``): it anchors every case's audit log and signs
        calibration profiles. ``may_create`` makes it where it is missing, unless a case store
        was anchored with a key (that one is lost, not replaced: see ``case rekey``)."""
        from core.cases.audit import AnchorKey
        from core.cases.store import anchored

        db = Path(self.store_path()).expanduser() / "cases.sqlite3"
        return AnchorKey(self.key_path(), may_create=lambda: may_create and not anchored(db))

    def detector_models(self) -> list[str]:
        """The extra classifiers of the setting ``detectors``, in order, each once, without ``model``."""
        names = [n.strip() for n in str(self.detectors).split(",") if n.strip()]
        return [n for n in dict.fromkeys(names) if n != self.model]

    def analyst_name(self) -> str:
        return self.analyst or getpass.getuser()

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **{k: _parse(_BY_NAME[k], v) for k, v in changes.items()})


_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Settings)}


def load_settings(
    config_file: str | Path | None = None,
    env: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """Resolve settings: defaults < TOML file < environment < explicit overrides (CLI flags)."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    config_file = config_file or env.get("FORENSICS_CONFIG")
    if config_file:
        with open(config_file, "rb") as fh:
            data = tomllib.load(fh)
        unknown = sorted(set(data) - set(_BY_NAME))
        if unknown:
            raise ValueError(f"unknown setting(s) in {config_file}: {', '.join(unknown)}")
        values.update(data)
    for s in SETTINGS:
        if s.env in env and env[s.env] != "":
            values[s.name] = env[s.env]
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = value
    return Settings().replace(**values)


def settings_table() -> str:
    """The settings as the Markdown table of ``docs/settings.md`` (a test keeps that file in step)."""
    lines = ["| setting | environment variable | default | meaning |", "|---|---|---|---|"]
    for s in SETTINGS:
        default = s.default_text or (
            "none"
            if s.default == ""
            else f"`{str(s.default).lower() if isinstance(s.default, bool) else s.default}`"
        )
        lines.append(f"| `{s.name}` | `{s.env}` | {default} | {s.help} |")
    return "\n".join(lines) + "\n"

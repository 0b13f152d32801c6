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
from typing import Any

from core.cases import CaseStore, default_store_path


@dataclass(frozen=True)
class Setting:
    name: str
    help: str

    @property
    def env(self) -> str:
        return "FORENSICS_" + self.name.upper()

    @property
    def default(self) -> Any:
        return _DEFAULTS[self.name]


SETTINGS: tuple[Setting, ...] = (
    Setting("model", "Hub id or local folder of the AI-vs-real image classifier."),
    Setting("revision", "Hub branch, tag or commit of the model; the resolved commit is recorded."),
    Setting("device", "auto (CUDA, then Apple MPS, then CPU), cpu, cuda, cuda:N or mps."),
    Setting("backend", "auto (OpenVINO on CPU when installed, else PyTorch), openvino or pytorch."),
    Setting(
        "detectors",
        "More classifiers to run beside model, each scored and shown on its own (comma-separated Hub ids "
        "or local folders, e.g. Modotte/AIRealNet-2). Their labels are mapped by name; disagreement is "
        "stated, never averaged.",
    ),
    Setting(
        "calibration",
        "A calibration profile written by `python -m core calibrate` from the desk's own verified photos:"
        " the ledger then says how many of them scored as high. Refused when made with another model "
        "revision.",
    ),
    Setting("batch_size", "Images per classifier call (CPU gains little above 1; GPUs gain a lot)."),
    Setting("classifier", "Run the classifier; false analyses metadata and files only."),
    Setting(
        "pixels",
        "Decode pixels (perceptual hash, classifier, pixel forensics, stability); false is a metadata-"
        "only triage scan, several times faster (see --metadata-only).",
    ),
    Setting(
        "stability",
        "Re-score images after re-compression and resizing (3 more classifier runs): auto (only where the"
        " verdict rests on the score, the score is not clearly low and the verdict is not inconclusive "
        "already), always, or never.",
    ),
    Setting(
        "forensics",
        "Pixel and file forensics (ELA, noise, spectrum, JPEG tables, thumbnail, trailing data).",
    ),
    Setting("max_pixels", "Images declaring more pixels than this are refused as decompression bombs."),
    Setting("max_file_mb", "Files larger than this many MiB are refused without being read."),
    Setting("file_timeout_s", "Seconds one file's parsing may take before it is stopped (time_limit)."),
    Setting(
        "file_memory_mb",
        "MiB of memory one file's parsing may use before it is stopped (memory_limit).",
    ),
    Setting("trust_anchors", "PEM file of C2PA trust anchors; without one no signer is reported as trusted."),
    Setting(
        "case_store",
        "Folder of the case store (default: a per-user data folder, never the source tree).",
    ),
    Setting(
        "case_key",
        "File of the secret key that anchors each case's audit log (default: a per-user config folder, "
        "outside the store; created with mode 0600 on first use).",
    ),
    Setting(
        "analyst",
        "Name recorded in the chain of custody. CLI default: the operating-system user. The dashboard "
        "asks each person once per session unless identity_header or a login names them; set this only "
        "for a single-user installation (every session would record this name).",
    ),
    Setting(
        "identity_header",
        "HTTP header that a trusted reverse proxy sets to the signed-in user (e.g. X-Forwarded-User); the"
        " dashboard then records that name and asks nobody. Only set it behind such a proxy.",
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
    if setting.name == "stability":  # true/false, as before, mean always/never
        text = {"true": "always", "false": "never", "1": "always", "0": "never"}.get(
            text.lower(), text.lower()
        )
        if text not in STABILITY_MODES:
            raise ValueError(f"setting 'stability' expects one of {', '.join(STABILITY_MODES)}, got {text!r}")
    return text


STABILITY_MODES = ("auto", "always", "never")


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

    def __post_init__(self) -> None:
        if isinstance(self.stability, bool):  # Settings(stability=False) as before: never
            object.__setattr__(self, "stability", "always" if self.stability else "never")

    def store_path(self) -> str:
        return self.case_store or default_store_path()

    def open_store(self):
        """The case store these settings name, with its anchor key."""
        return CaseStore(self.store_path(), key_path=self.case_key or None)

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

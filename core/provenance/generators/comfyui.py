"""ComfyUI: the node graph is saved with the image.

PNG carries a ``prompt`` chunk (the executed graph: ``{id: {class_type, inputs}}``) and
a ``workflow`` chunk (the editor's graph: ``{nodes: [...]}``). WebP and JPEG savers put
the same JSON in EXIF Make/Model/ImageDescription, prefixed ``workflow:`` or ``prompt:``.
The checkpoint is read from the loader nodes; prompts and seed from the sampler's inputs.
"""

from __future__ import annotations

from typing import Any

from core.schema import Generator

from .common import GeneratorSource, PayloadError, declared, load_json, short

_LOADER_INPUTS = ("ckpt_name", "unet_name", "model_name", "checkpoint")
_EXIF_KEYS = ("Image Make", "Image Model", "Image ImageDescription", "Image Software", "EXIF UserComment")


def _exif_payloads(src: GeneratorSource) -> dict[str, str]:
    found: dict[str, str] = {}
    for key in _EXIF_KEYS:
        value = src.exif.get(key)
        if isinstance(value, str):
            head, sep, rest = value.partition(":")
            if sep and head.strip().lower() in ("prompt", "workflow"):
                found.setdefault(head.strip().lower(), rest)
    return found


def _link(value: Any) -> str | None:
    return str(value[0]) if isinstance(value, list) and value else None


def _text_of(graph: dict[str, Any], node_id: str | None, depth: int = 0) -> str | None:
    """Follow a sampler's positive/negative link to the text of its encoder node."""
    node = graph.get(node_id or "") if depth < 8 else None
    if not isinstance(node, dict):
        return None
    inputs = node.get("inputs") or {}
    for key in ("text", "text_g", "prompt"):
        if isinstance(inputs.get(key), str):
            return inputs[key]
    for key in ("conditioning", "conditioning_1", "positive"):
        if _link(inputs.get(key)):
            return _text_of(graph, _link(inputs.get(key)), depth + 1)
    return None


def _from_prompt_graph(graph: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    nodes = [n for n in graph.values() if isinstance(n, dict)]
    for node in nodes:
        inputs = node.get("inputs") or {}
        for key in _LOADER_INPUTS:
            if isinstance(inputs.get(key), str) and "model" not in out:
                out["model"] = inputs[key]
    for node in nodes:
        inputs = node.get("inputs") or {}
        if "positive" in inputs or "seed" in inputs or "noise_seed" in inputs:
            seed = inputs.get("seed", inputs.get("noise_seed"))
            if isinstance(seed, int | str) and "seed" not in out:
                out["seed"] = seed
            if "prompt" not in out:
                out["prompt"] = _text_of(graph, _link(inputs.get("positive")))
                out["negative"] = _text_of(graph, _link(inputs.get("negative")))
            for key in ("steps", "cfg", "sampler_name", "scheduler", "denoise"):
                if key in inputs and not isinstance(inputs[key], list | dict):
                    out.setdefault("settings", {})[key] = inputs[key]
    return out


def _from_workflow(workflow: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for node in workflow.get("nodes") or []:
        if not isinstance(node, dict):
            continue
        kind = str(node.get("type", ""))
        widgets = node.get("widgets_values")
        if ("CheckpointLoader" in kind or "UNETLoader" in kind) and isinstance(widgets, list) and widgets:
            out.setdefault("model", widgets[0])
    return out


def detect(src: GeneratorSource) -> Generator | None:
    payloads = {k: v for k in ("prompt", "workflow") if (v := src.text(k))}
    where = "png:" + "+".join(payloads)
    if not payloads:
        payloads = _exif_payloads(src)
        where = "exif:" + "+".join(k for k in ("prompt", "workflow") if k in payloads)
    if not payloads:
        return None
    found: dict[str, Any] = {}
    errors = []
    for key in ("prompt", "workflow"):
        if key not in payloads:
            continue
        try:
            graph = load_json(payloads[key])
        except PayloadError as exc:
            errors.append(f"{key}: {exc}")
            continue
        if not isinstance(graph, dict):
            errors.append(f"{key}: not a JSON object")
            continue
        parsed = _from_prompt_graph(graph) if key == "prompt" else _from_workflow(graph)
        for k, v in parsed.items():
            found.setdefault(k, v)
    if _plain_text_prompt_only(payloads, found, errors):
        return None
    return declared(
        "comfyui",
        "ComfyUI",
        where,
        model=short(found.get("model")),
        prompt=short(found.get("prompt")),
        negative_prompt=short(found.get("negative")),
        seed=short(found.get("seed")),
        settings={str(k): str(v)[:300] for k, v in (found.get("settings") or {}).items()},
        error="; ".join(errors) or None,
    )


def _plain_text_prompt_only(payloads: dict[str, str], found: dict[str, Any], errors: list[str]) -> bool:
    """A lone PNG chunk called "prompt" holding plain text is not ComfyUI's graph."""
    return (
        set(payloads) == {"prompt"}
        and not found
        and bool(errors)
        and not payloads["prompt"].lstrip().startswith("{")
    )

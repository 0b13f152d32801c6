"""ComfyUI: the node graph is saved with the image.

PNG carries a ``prompt`` chunk (the executed graph, the "API" form: ``{id: {class_type,
inputs}}``) and a ``workflow`` chunk (the editor's graph: ``{nodes: [...], links: [...]}``).
WebP and JPEG savers put the same JSON in EXIF Make/Model/ImageDescription, prefixed
``workflow:`` or ``prompt:``.

The graph is walked backwards from its output nodes, whatever the node types: every
linked input is followed, and an input named ``negative`` turns what lies behind it into
the negative side. So a prompt is found behind ``KSampler``, behind ``SamplerCustomAdvanced
-> BasicGuider -> FluxGuidance``, behind ``ConditioningCombine`` or a custom node alike.
Nodes that pass both conditionings through (ControlNet, inpaint and instruct conditioning:
``positive`` and ``negative`` inputs, no ``model``) return them in that order, so the
output a link reads (0 or 1) says which of the two to follow. When a graph has several
outputs (a preview of the first pass and the final image), the one with the longest
history is read first; the others only fill what it lacks.
Text encoders are nodes with a text input (``text``, ``text_g``, ``t5xxl``...), or whose
text comes through a link from a string node. Settings (seed, steps, cfg, guidance,
sampler, scheduler, denoise, size), the checkpoint and LoRAs are taken from the nodes
nearest the output. The API graph is preferred; the editor's graph fills what it lacks
(its widget values are positional, so they are named for the common node types).
A ``ConditioningZeroOut`` node empties what passes through it, so the walk stops there.
"""

from __future__ import annotations

import heapq
from typing import Any

from core.schema import Generator

from .common import GeneratorSource, PayloadError, declared, load_json, short

_EXIF_KEYS = ("Image Make", "Image Model", "Image ImageDescription", "Image Software", "EXIF UserComment")
# Nodes visited in one walk (real graphs hold tens to a few hundred); a larger graph is cut.
MAX_VISITS = 100_000
# Subgraphs of an editor graph that are read.
MAX_SUBGRAPHS = 20
# Output nodes considered; the others of a graph with more are not walked from.
MAX_OUTPUTS = 50
# Depth given to the outputs after the first, so that they only fill what the first lacks.
LATER_OUTPUT_DEPTH = 1_000_000
# Text inputs of text-encoder nodes, in the order they are preferred.
TEXT_KEYS = (
    "text",
    "text_g",
    "t5xxl",
    "clip_l",
    "text_l",
    "clip_g",
    "prompt",
    "positive_prompt",
    "string",
    "value",
)
# Inputs that name the diffusion model (not upscalers, VAEs or text encoders).
MODEL_KEYS = ("ckpt_name", "unet_name", "checkpoint", "model_path")
# Inputs that mark a sampler or guider (which reads both conditionings), not a pass-through.
SAMPLER_INPUTS = frozenset(
    ("model", "seed", "noise_seed", "steps", "cfg", "latent_image", "sampler", "sigmas")
)
SETTING_KEYS = {
    "seed": "seed",
    "noise_seed": "seed",
    "steps": "steps",
    "cfg": "cfg",
    "guidance": "guidance",
    "sampler_name": "sampler_name",
    "scheduler": "scheduler",
    "denoise": "denoise",
}
# Positional widget names of common node types, for the editor's graph.
WIDGETS = {
    "CLIPTextEncode": ("text",),
    "CLIPTextEncodeFlux": ("clip_l", "t5xxl", "guidance"),
    "CLIPTextEncodeSDXL": (
        "width",
        "height",
        "crop_w",
        "crop_h",
        "target_width",
        "target_height",
        "text_g",
        "text_l",
    ),
    "CLIPTextEncodeSD3": ("clip_l", "clip_g", "t5xxl", "empty_padding"),
    "KSampler": ("seed", "control_after_generate", "steps", "cfg", "sampler_name", "scheduler", "denoise"),
    "KSamplerAdvanced": (
        "add_noise",
        "noise_seed",
        "control_after_generate",
        "steps",
        "cfg",
        "sampler_name",
        "scheduler",
        "start_at_step",
        "end_at_step",
        "return_with_leftover_noise",
    ),
    "SamplerCustom": ("add_noise", "noise_seed", "control_after_generate", "cfg"),
    "RandomNoise": ("noise_seed", "control_after_generate"),
    "BasicScheduler": ("scheduler", "steps", "denoise"),
    "KSamplerSelect": ("sampler_name",),
    "FluxGuidance": ("guidance",),
    "CheckpointLoaderSimple": ("ckpt_name",),
    "UNETLoader": ("unet_name", "weight_dtype"),
    "UnetLoaderGGUF": ("unet_name",),
    "LoraLoader": ("lora_name", "strength_model", "strength_clip"),
    "LoraLoaderModelOnly": ("lora_name", "strength_model"),
    "EmptyLatentImage": ("width", "height", "batch_size"),
    "EmptySD3LatentImage": ("width", "height", "batch_size"),
}


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
    """A link is ``[source node id, output index]``."""
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[1], int)
        and isinstance(value[0], str | int)
    ):
        return str(value[0])
    return None


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _nodes(graph: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The API graph's nodes with dict inputs; anything else in the payload is ignored."""
    out = {}
    for node_id, node in graph.items():
        if isinstance(node, dict) and isinstance(node.get("inputs", {}), dict):
            out[str(node_id)] = {
                "class_type": str(node.get("class_type", "")),
                "inputs": node.get("inputs") or {},
            }
    return out


def _outputs(nodes: dict[str, dict[str, Any]]) -> list[str]:
    """Where the walk starts: nodes nothing else reads (savers, previews), savers with the
    longest history first."""
    used = {src for n in nodes.values() for v in n["inputs"].values() if (src := _link(v))}
    sinks = [i for i in nodes if i not in used][:MAX_OUTPUTS]
    return sorted(sinks, key=lambda i: ("save" not in nodes[i]["class_type"].lower(), -_history(nodes, i)))


def _history(nodes: dict[str, dict[str, Any]], start: str) -> int:
    """How many nodes lie behind ``start`` (bounded)."""
    seen, stack = {start}, [start]
    while stack and len(seen) < MAX_VISITS // MAX_OUTPUTS:
        for value in nodes.get(stack.pop(), {"inputs": {}})["inputs"].values():
            if (src := _link(value)) and src not in seen:
                seen.add(src)
                stack.append(src)
    return len(seen)


def _slot(value: Any) -> int:
    return value[1] if _link(value) else 0


def _string_behind(nodes: dict[str, dict[str, Any]], node_id: str | None, hops: int = 0) -> str | None:
    """The text a string node (primitive, text box, concatenation input) feeds into a link."""
    node = nodes.get(node_id or "")
    if node is None or hops > 8:
        return None
    for key in TEXT_KEYS:
        value = node["inputs"].get(key)
        if isinstance(value, str):
            return value
        if _link(value):
            return _string_behind(nodes, _link(value), hops + 1)
    return None


def _encoder_text(nodes: dict[str, dict[str, Any]], node: dict[str, Any]) -> str | None:
    """The text of a text-encoder node, or None for any other node."""
    inputs = node["inputs"]
    kind = node["class_type"].lower()
    looks_like_encoder = "encode" in kind or "prompt" in kind or "clip" in inputs or "conditioning" in kind
    if not looks_like_encoder:
        return None
    for key in TEXT_KEYS:
        value = inputs.get(key)
        if isinstance(value, str) and value.strip():
            return value
        if _link(value) and (text := _string_behind(nodes, _link(value))):
            return text
    return None


def _named_prompts(node: dict[str, Any]) -> list[tuple[str, str]]:
    """Prompts typed straight into a loader or styler node (Efficiency Nodes' "Efficient
    Loader", prompt stylers): string inputs named positive/negative."""
    found = []
    for name, value in node["inputs"].items():
        lowered = str(name).lower()
        if isinstance(value, str) and value.strip() and ("positive" in lowered or "negative" in lowered):
            found.append(("negative" if "negative" in lowered else "positive", value))
    return found


def walk_prompt_graph(graph: dict[str, Any]) -> dict[str, Any]:
    """Prompts, model, LoRAs and settings of an executed (API) graph."""
    nodes = _nodes(graph)
    found: dict[str, Any] = {"settings": {}, "loras": []}
    texts: dict[str, list[tuple[int, str]]] = {"positive": [], "negative": []}
    # (depth, order, node id, role, output slot read): nearest to the output first.
    queue = [(k * LATER_OUTPUT_DEPTH, k, node_id, "positive", 0) for k, node_id in enumerate(_outputs(nodes))]
    order = len(queue)
    seen: set[tuple[str, str, int]] = set()
    while queue and len(seen) < MAX_VISITS:
        depth, _, node_id, role, slot = heapq.heappop(queue)
        if (node_id, role, slot) in seen or node_id not in nodes:
            continue
        seen.add((node_id, role, slot))
        node = nodes[node_id]
        if "zeroout" in node["class_type"].lower():
            continue  # an emptied conditioning: the text behind it was not used
        text = _encoder_text(nodes, node)
        if text is not None:
            texts[role].append((depth, text))
        for side, named in _named_prompts(node):
            texts[side].append((depth, named))
        _read_settings(node, found)
        inputs = node["inputs"]
        # positive/negative pass-through: output 0 carries the positive side, output 1 the negative.
        passthrough = (
            _link(inputs.get("positive"))
            and _link(inputs.get("negative"))
            and not SAMPLER_INPUTS.intersection(inputs)
        )
        for name, value in inputs.items():
            if not (src := _link(value)):
                continue
            lowered = str(name).lower()
            if (
                passthrough
                and lowered in ("positive", "negative")
                and lowered != ("positive", "negative")[min(slot, 1)]
            ):
                continue
            behind = "negative" if "negative" in lowered else role
            order += 1
            heapq.heappush(queue, (depth + 1, order, src, behind, _slot(value)))
    if len(seen) >= MAX_VISITS:
        found["error"] = f"the graph is larger than {MAX_VISITS:,} nodes; only part of it was read"
    for role, key in (("positive", "prompt"), ("negative", "negative")):
        if texts[role]:
            nearest = min(d for d, _ in texts[role])
            found[key] = "\n".join(dict.fromkeys(t for d, t in texts[role] if d == nearest))
    if "model" not in found:  # a loader the walk did not reach (a disconnected or partial graph)
        for node in nodes.values():
            _read_settings(node, found, model_only=True)
    return found


def _read_settings(node: dict[str, Any], found: dict[str, Any], model_only: bool = False) -> None:
    """Take each setting from the first node that has it (the walk goes outward from the output)."""
    inputs, kind = node["inputs"], node["class_type"].lower()
    if "upscale" not in kind:
        for key in MODEL_KEYS:
            if isinstance(inputs.get(key), str) and "model" not in found:
                found["model"] = inputs[key]
    if model_only:
        return
    if isinstance(inputs.get("lora_name"), str) and len(found["loras"]) < 20:
        strength = inputs.get("strength_model")
        found["loras"].append(inputs["lora_name"] + (f" ({strength})" if _scalar(strength) else ""))
    settings = found["settings"]
    for key, name in SETTING_KEYS.items():
        value = inputs.get(key)
        if _scalar(value) and name not in settings and not (name == "seed" and "seed" in found):
            if name == "seed":
                found["seed"] = value
            else:
                settings[name] = value
    width, height = inputs.get("width"), inputs.get("height")
    if isinstance(width, int) and isinstance(height, int) and "size" not in settings and "latent" in kind:
        settings["size"] = f"{width}x{height}"


def workflow_as_prompt_graph(workflow: dict[str, Any]) -> dict[str, Any]:
    """The editor's graph in the API form: links resolved, positional widgets named."""
    links: dict[int, tuple[str, int]] = {}
    for link in workflow.get("links") or []:
        if isinstance(link, list) and len(link) >= 3 and isinstance(link[0], int):
            links[link[0]] = (str(link[1]), link[2] if isinstance(link[2], int) else 0)
        elif isinstance(link, dict) and isinstance(link.get("id"), int):
            links[link["id"]] = (str(link.get("origin_id")), int(link.get("origin_slot") or 0))
    graph: dict[str, Any] = {}
    for node in workflow.get("nodes") or []:
        if not isinstance(node, dict) or node.get("id") is None:
            continue
        kind = str(node.get("type", ""))
        inputs: dict[str, Any] = {}
        widgets = node.get("widgets_values")
        if isinstance(widgets, dict):
            inputs.update({str(k): v for k, v in widgets.items() if _scalar(v)})
        elif isinstance(widgets, list):
            names = WIDGETS.get(kind)
            if names is None and ("encode" in kind.lower() or "prompt" in kind.lower()):
                names = ("text",)  # an unknown text encoder: its first widget is the text
            for name, value in zip(names or (), widgets, strict=False):
                if _scalar(value):
                    inputs[name] = value
        for slot in node.get("inputs") or []:
            if isinstance(slot, dict) and isinstance(slot.get("link"), int) and slot["link"] in links:
                inputs[str(slot.get("name"))] = list(links[slot["link"]])
        graph[str(node["id"])] = {"class_type": kind, "inputs": inputs}
    return graph


def _workflows(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    """The editor's graph, then its subgraphs (nodes grouped into one, kept under
    ``definitions.subgraphs``): their encoders and samplers fill what the outer graph lacks."""
    definitions = workflow.get("definitions")
    subgraphs = definitions.get("subgraphs") if isinstance(definitions, dict) else None
    inner = (
        [g for g in subgraphs if isinstance(g, dict)][:MAX_SUBGRAPHS] if isinstance(subgraphs, list) else []
    )
    return [workflow, *inner]


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
        graphs = [graph] if key == "prompt" else [workflow_as_prompt_graph(w) for w in _workflows(graph)]
        for one in graphs:
            parsed = walk_prompt_graph(one)
            if parsed.pop("error", None):
                errors.append(
                    f"{key}: the graph is larger than {MAX_VISITS:,} nodes; only part of it was read"
                )
            for k, v in parsed.items():
                if k == "settings":
                    for name, value in v.items():
                        found.setdefault("settings", {}).setdefault(name, value)
                elif v not in (None, [], ""):
                    found.setdefault(k, v)
    if _plain_text_prompt_only(payloads, found, errors):
        return None
    settings = {str(k): str(v)[:300] for k, v in (found.get("settings") or {}).items()}
    if found.get("loras"):
        settings["loras"] = "; ".join(str(x) for x in found["loras"])[:300]
    return declared(
        "comfyui",
        "ComfyUI",
        where,
        model=short(found.get("model")),
        prompt=short(found.get("prompt")),
        negative_prompt=short(found.get("negative")),
        seed=short(found.get("seed")),
        settings=settings,
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

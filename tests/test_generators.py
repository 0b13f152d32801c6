"""Generator signatures, one fixture per tool, written the way each tool writes them."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from core.context import make_context
from core.pipeline import analyze
from core.settings import Settings
from core.sources import Source
from tests.images import camera_exif, encode, insert_jpeg_segment, iptc_app13, photo, xmp_packet

INFOTEXT = (
    "a lighthouse at dusk, <lora:film:0.6>\n"
    "Negative prompt: blurry, lowres\n"
    "Steps: 28, Sampler: DPM++ 2M, CFG scale: 6.5, Seed: 1234567, Size: 832x1216, Model hash: 31e35c80fc, "
    'Model: sd_xl_base_1.0, Lora hashes: "film: 1a2b3c", Version: v1.9.4'
)


def png(**chunks: str) -> bytes:
    info = PngInfo()
    for key, value in chunks.items():
        info.add_text(key.replace("_", "-") if key == "sd_metadata" else key, value)
    return encode(photo((64, 48)), "PNG", pnginfo=info)


def provenance(data: bytes, name: str = "f.png"):
    r = analyze(Source.from_bytes(name, data), make_context(Settings(classifier=False)))
    return r.provenance, r


def test_automatic1111_png_parameters():
    p, r = provenance(png(parameters=INFOTEXT))
    g = p.generator
    assert (g.tool, g.name, g.where) == (
        "automatic1111",
        "Stable Diffusion web UI (AUTOMATIC1111)",
        "png:parameters",
    )
    assert (g.prompt, g.negative_prompt) == ("a lighthouse at dusk, <lora:film:0.6>", "blurry, lowres")
    assert (g.seed, g.model) == ("1234567", "sd_xl_base_1.0")
    assert g.settings["Lora hashes"] == "film: 1a2b3c"
    assert p.ai_declared is True
    assert r.verdict.band == "substantial evidence of AI generation"


@pytest.mark.parametrize(
    ("version", "name"),
    [
        ("f2.0.1v1.10.1-previous-313", "Stable Diffusion web UI Forge"),
        ("v1.10.1", "Stable Diffusion web UI (AUTOMATIC1111)"),
    ],
)
def test_forge_is_told_apart(version, name):
    p, _ = provenance(png(parameters=INFOTEXT.replace("v1.9.4", version)))
    assert (p.generator.tool, p.generator.name) == ("automatic1111", name)


def test_automatic1111_jpeg_user_comment_in_utf16():
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + INFOTEXT.encode("utf-16-be")
    p, _ = provenance(encode(photo(), "JPEG", exif=exif), "f.jpg")
    assert (p.generator.tool, p.generator.where, p.generator.seed) == (
        "automatic1111",
        "exif:UserComment",
        "1234567",
    )


COMFY_PROMPT = {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "juggernautXL_v9.safetensors"}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a red fox in snow", "clip": ["4", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "watermark", "clip": ["4", 1]}},
    "3": {
        "class_type": "KSampler",
        "inputs": {
            "seed": 987654321,
            "steps": 30,
            "cfg": 7.0,
            "sampler_name": "euler",
            "model": ["4", 0],
            "positive": ["6", 0],
            "negative": ["7", 0],
        },
    },
}
COMFY_WORKFLOW = {
    "nodes": [{"id": 4, "type": "CheckpointLoaderSimple", "widgets_values": ["juggernautXL_v9.safetensors"]}]
}


def test_comfyui_graph_gives_checkpoint_prompts_and_seed():
    p, _ = provenance(png(prompt=json.dumps(COMFY_PROMPT), workflow=json.dumps(COMFY_WORKFLOW)))
    g = p.generator
    assert (g.tool, g.where) == ("comfyui", "png:prompt+workflow")
    assert (g.model, g.prompt, g.negative_prompt, g.seed) == (
        "juggernautXL_v9.safetensors",
        "a red fox in snow",
        "watermark",
        "987654321",
    )
    assert g.settings["steps"] == "30"


def test_comfyui_broken_json_is_a_signature_with_an_error_note():
    p, r = provenance(png(workflow='{"nodes": [', prompt="{not json"))
    assert (p.generator.tool, p.ai_declared) == ("comfyui", True)
    assert "not valid" in p.generator.error
    assert "generator_payload_damaged" in [n.code for n in r.notices]


def test_comfyui_deeply_nested_workflow_does_not_crash():
    deep = "[" * 100_000 + "]" * 100_000
    p, r = provenance(png(workflow=deep))
    assert r.status == "ok"
    assert p.generator.tool == "comfyui"
    assert "nested too deeply" in p.generator.error


def test_comfyui_webp_exif():
    exif = Image.Exif()
    exif[0x010F] = "workflow:" + json.dumps(COMFY_WORKFLOW)
    exif[0x0110] = "prompt:" + json.dumps(COMFY_PROMPT)
    p, _ = provenance(encode(photo(), "WEBP", exif=exif), "f.webp")
    assert (p.generator.tool, p.generator.where, p.generator.model) == (
        "comfyui",
        "exif:prompt+workflow",
        "juggernautXL_v9.safetensors",
    )


def test_plain_prompt_chunk_is_not_comfyui():
    p, _ = provenance(png(prompt="just a note someone wrote"))
    assert p.generator.tool is None and p.ai_declared is False


def test_invokeai_metadata_sd_metadata_and_dream():
    meta = {
        "positive_prompt": "castle",
        "negative_prompt": "fog",
        "seed": 42,
        "steps": 30,
        "model": {"name": "dreamshaper-8", "base": "sd-1"},
    }
    p, _ = provenance(png(invokeai_metadata=json.dumps(meta)))
    assert (p.generator.tool, p.generator.model, p.generator.prompt, p.generator.seed) == (
        "invokeai",
        "dreamshaper-8",
        "castle",
        "42",
    )
    legacy = {
        "model_weights": "stable-diffusion-1.5",
        "image": {"prompt": [{"prompt": "a bridge", "weight": 1}], "seed": 7},
    }
    p, _ = provenance(png(sd_metadata=json.dumps(legacy)))
    assert (p.generator.tool, p.generator.model, p.generator.prompt, p.generator.seed) == (
        "invokeai",
        "stable-diffusion-1.5",
        "a bridge",
        "7",
    )
    p, _ = provenance(png(Dream='"a tiny robot" -s 50 -S 3357757885 -W 512 -H 512 -C 7.5 -A k_lms'))
    assert (p.generator.tool, p.generator.prompt, p.generator.seed) == (
        "invokeai",
        "a tiny robot",
        "3357757885",
    )


def test_novelai_software_and_comment():
    comment = {
        "prompt": "1girl, solo",
        "uc": "lowres",
        "seed": 3456,
        "steps": 28,
        "sampler": "k_euler_ancestral",
    }
    p, _ = provenance(
        png(Software="NovelAI", Source="NovelAI Diffusion V3 7BCCAA2C", Comment=json.dumps(comment))
    )
    g = p.generator
    assert (g.tool, g.model, g.prompt, g.negative_prompt, g.seed) == (
        "novelai",
        "NovelAI Diffusion V3 7BCCAA2C",
        "1girl, solo",
        "lowres",
        "3456",
    )


def hide_in_alpha(image: Image.Image, magic: bytes, payload: bytes) -> Image.Image:
    bits = np.unpackbits(
        np.frombuffer(magic + (len(payload) * 8).to_bytes(4, "big") + payload, dtype=np.uint8)
    )
    rgba = np.array(image.convert("RGBA"))
    alpha = rgba[:, :, 3].T.copy().reshape(-1)  # column-major, as NovelAI writes
    alpha[: bits.size] = (alpha[: bits.size] & 0xFE) | bits
    rgba[:, :, 3] = alpha.reshape(rgba.shape[1], rgba.shape[0]).T
    return Image.fromarray(rgba, "RGBA")


def test_novelai_stealth_alpha_payload():
    comment = {"prompt": "a knight", "uc": "text", "seed": 99}
    payload = gzip.compress(json.dumps({"Software": "NovelAI", "Comment": json.dumps(comment)}).encode())
    data = encode(hide_in_alpha(photo((120, 90)), b"stealth_pngcomp", payload), "PNG")
    p, _ = provenance(data)
    g = p.generator
    assert (g.tool, g.where, g.prompt, g.seed) == ("novelai", "pixels:stealth_pngcomp", "a knight", "99")
    assert p.ai_declared is True


def test_opaque_alpha_is_not_stealth():
    p, _ = provenance(encode(photo((120, 90)).convert("RGBA"), "PNG"))
    assert p.generator.tool is None and p.ai_declared is False


def test_fooocus_json_parameters():
    meta = {
        "prompt": "a cabin",
        "negative_prompt": "",
        "seed": "11",
        "base_model": "juggernautXL_v8Rundiffusion.safetensors",
        "version": "Fooocus v2.5.5",
    }
    p, _ = provenance(png(parameters=json.dumps(meta), fooocus_scheme="fooocus"))
    assert (p.generator.tool, p.generator.model, p.generator.seed) == (
        "fooocus",
        "juggernautXL_v8Rundiffusion.safetensors",
        "11",
    )


def test_swarmui_parameters():
    meta = {
        "sui_image_params": {
            "prompt": "a lake",
            "negativeprompt": "people",
            "model": "flux1-dev",
            "seed": 5,
            "steps": 20,
        }
    }
    p, _ = provenance(png(parameters=json.dumps(meta)))
    assert (p.generator.tool, p.generator.model, p.generator.prompt, p.generator.negative_prompt) == (
        "swarmui",
        "flux1-dev",
        "a lake",
        "people",
    )


def test_draw_things_xmp():
    comment = json.dumps({"c": "a teapot", "uc": "", "seed": 8, "model": "sd_xl_turbo_1.0_f16.ckpt"})
    attrs = 'xmp:CreatorTool="Draw Things"'
    body = f'<exif:UserComment><rdf:Alt><rdf:li xml:lang="x-default">{comment.replace("&", "&amp;").replace("<", "&lt;")}</rdf:li></rdf:Alt></exif:UserComment>'
    p, _ = provenance(encode(photo(), "JPEG", xmp=xmp_packet(body, attrs)), "f.jpg")
    assert (p.generator.tool, p.generator.prompt, p.generator.model) == (
        "drawthings",
        "a teapot",
        "sd_xl_turbo_1.0_f16.ckpt",
    )


def test_midjourney_job_id():
    desc = "a neon city at night --ar 16:9 --v 6.1 Job ID: 3f2c1a9b-1234-4cde-9abc-0123456789ab"
    p, _ = provenance(png(Description=desc, Author="someuser"))
    g = p.generator
    assert (g.tool, g.prompt, g.settings["job_id"], g.settings["author"]) == (
        "midjourney",
        "a neon city at night --ar 16:9 --v 6.1",
        "3f2c1a9b-1234-4cde-9abc-0123456789ab",
        "someuser",
    )


@pytest.mark.parametrize(
    ("credit", "generated", "edited"),
    [("Made with Google AI", True, False), ("Edited with Google AI", False, True)],
)
def test_google_credit_lines(credit, generated, edited):
    p, _ = provenance(encode(photo(), "JPEG", xmp=xmp_packet("", f'photoshop:Credit="{credit}"')), "f.jpg")
    assert (p.generator.tool, p.ai_declared, p.ai_edit_declared) == ("google", generated, edited)
    jpeg = insert_jpeg_segment(encode(photo(), "JPEG"), 0xED, iptc_app13({(2, 110): credit.encode()}))
    p, _ = provenance(jpeg, "f.jpg")
    assert (p.generator.tool, p.generator.where) == ("google", "iptc:Credit")


def test_known_software_name_is_declared_and_unknown_ai_words_are_possible():
    p, _ = provenance(
        encode(photo(), "JPEG", exif=camera_exif(make="", model="", software="Midjourney v6")), "f.jpg"
    )
    assert (p.generator.tool, p.generator.confidence, p.ai_declared) == ("midjourney", "declared", True)
    p, r = provenance(
        encode(photo(), "JPEG", exif=camera_exif(software="MyDiffusion Studio txt2img 2.1")), "f.jpg"
    )
    assert (p.generator.confidence, p.ai_declared) == ("possible", False)
    assert any(f.rule == "generator.possible" and f.strength == "context" for f in r.findings)


CAMERAS = [
    ("Canon", "Canon EOS R6m2", "Firmware Version 1.3.0"),
    ("NIKON CORPORATION", "NIKON Z 8", "Ver.02.00"),
    ("SONY", "ILCE-7RM5", "ILCE-7RM5 v2.00"),
    ("FUJIFILM", "X-T5", "Digital Camera X-T5 Ver2.10"),
    ("Apple", "iPhone 15 Pro", "17.4.1"),
    ("Google", "Pixel 8 Pro", "HDR+ 1.0.641377693zd"),
    ("samsung", "SM-S928B", "S928BXXU1AXB5"),
    ("OLYMPUS CORPORATION", "E-M1MarkIII", "Version 1.4"),
    ("Panasonic", "DC-GH6", "Ver.2.3"),
    ("LEICA CAMERA AG", "LEICA M11", "Adobe Photoshop Lightroom Classic 13.2 (Windows)"),
    ("HUAWEI", "ELS-NX9", "Adobe Photoshop 25.5 (Macintosh)"),
    ("DJI", "FC3582", "GIMP 2.10.36"),
]


@pytest.mark.parametrize(("make", "model", "software"), CAMERAS)
def test_camera_photos_are_never_ai_declared(make, model, software):
    data = encode(photo(), "JPEG", exif=camera_exif(make=make, model=model, software=software))
    p, r = provenance(data, "DSC_0001.JPG")
    assert (p.ai_declared, p.ai_edit_declared, p.generator.tool) == (False, False, None)
    assert r.verdict.band == "camera metadata present, no AI declaration"
    assert not any(f.direction == "synthesis" for f in r.findings)
    # Pillow wrote this JPEG with libjpeg's standard tables although EXIF names a camera:
    assert "jpeg.reencoded" in [f.rule for f in r.findings]


@pytest.mark.parametrize("software", ["Editor de Imagen 3.2", "Gemini Scanner Pro", "Photo Diffusion Filter"])
def test_ordinary_words_in_software_are_not_declarations(software):
    p, _ = provenance(encode(photo(), "JPEG", exif=camera_exif(software=software)), "f.jpg")
    assert p.ai_declared is False


def test_comfyui_workflow_larger_than_pillows_default_text_limit():
    """Regression: Pillow refuses compressed PNG text over 1 MB by default, which large workflows exceed."""
    nodes = [{"id": i, "type": "KSampler", "widgets_values": [i, "euler"]} for i in range(40_000)]
    nodes.append({"id": 0, "type": "CheckpointLoaderSimple", "widgets_values": ["big_model.safetensors"]})
    info = PngInfo()
    info.add_itxt("workflow", json.dumps({"nodes": nodes}), zip=True)
    p, r = provenance(encode(photo((64, 48)), "PNG", pnginfo=info))
    assert r.status == "ok", r.error
    assert (p.generator.tool, p.generator.model) == ("comfyui", "big_model.safetensors")


def test_credit_line_naming_a_generator_with_an_iptc_source_type():
    body = "<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>"
    p, r = provenance(encode(photo(), "JPEG", xmp=xmp_packet(body, 'photoshop:Credit="Midjourney"')), "f.jpg")
    assert (p.ai_declared, p.generator.tool, p.generator.where) == (
        True,
        "midjourney",
        "xmp:photoshop:Credit",
    )
    assert r.verdict.band == "substantial evidence of AI generation"


# The executed graph of ComfyUI's Flux example: the prompt sits behind
# SamplerCustomAdvanced -> BasicGuider -> FluxGuidance -> CLIPTextEncode.
FLUX_PROMPT = {
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a lighthouse in a storm", "clip": ["11", 0]}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["13", 0], "vae": ["10", 0]}},
    "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}},
    "10": {"class_type": "VAELoader", "inputs": {"vae_name": "ae.safetensors"}},
    "11": {
        "class_type": "DualCLIPLoader",
        "inputs": {
            "clip_name1": "t5xxl_fp16.safetensors",
            "clip_name2": "clip_l.safetensors",
            "type": "flux",
        },
    },
    "12": {
        "class_type": "UNETLoader",
        "inputs": {"unet_name": "flux1-dev.safetensors", "weight_dtype": "default"},
    },
    "13": {
        "class_type": "SamplerCustomAdvanced",
        "inputs": {
            "noise": ["25", 0],
            "guider": ["22", 0],
            "sampler": ["16", 0],
            "sigmas": ["17", 0],
            "latent_image": ["27", 0],
        },
    },
    "16": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
    "17": {
        "class_type": "BasicScheduler",
        "inputs": {"scheduler": "simple", "steps": 20, "denoise": 1.0, "model": ["30", 0]},
    },
    "22": {"class_type": "BasicGuider", "inputs": {"model": ["30", 0], "conditioning": ["26", 0]}},
    "25": {"class_type": "RandomNoise", "inputs": {"noise_seed": 219670278747233}},
    "26": {"class_type": "FluxGuidance", "inputs": {"guidance": 3.5, "conditioning": ["6", 0]}},
    "27": {"class_type": "EmptySD3LatentImage", "inputs": {"width": 1024, "height": 768, "batch_size": 1}},
    "30": {
        "class_type": "LoraLoaderModelOnly",
        "inputs": {"lora_name": "film.safetensors", "strength_model": 0.8, "model": ["12", 0]},
    },
}


def test_comfyui_flux_graph_through_guider_nodes():
    p, r = provenance(png(prompt=json.dumps(FLUX_PROMPT)))
    g = p.generator
    assert (g.model, g.prompt, g.negative_prompt, g.seed) == (
        "flux1-dev.safetensors",
        "a lighthouse in a storm",
        None,
        "219670278747233",
    )
    assert g.settings == {
        "sampler_name": "euler",
        "steps": "20",
        "scheduler": "simple",
        "denoise": "1.0",
        "size": "1024x768",
        "guidance": "3.5",
        "loras": "film.safetensors (0.8)",
    }


def test_comfyui_controlnet_conditioning_keeps_positive_and_negative_apart():
    graph = {
        "1": {"class_type": "CLIPTextEncode", "inputs": {"text": "a red fox", "clip": ["4", 1]}},
        "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["4", 1]}},
        "3": {
            "class_type": "ControlNetApplyAdvanced",
            "inputs": {"positive": ["1", 0], "negative": ["2", 0], "control_net": ["5", 0], "strength": 0.7},
        },
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sdxl.safetensors"}},
        "5": {"class_type": "ControlNetLoader", "inputs": {"control_net_name": "canny.safetensors"}},
        "6": {
            "class_type": "KSampler",
            "inputs": {
                "seed": 7,
                "steps": 30,
                "cfg": 6.0,
                "model": ["4", 0],
                "positive": ["3", 0],
                "negative": ["3", 1],
            },
        },
        "7": {"class_type": "ConditioningZeroOut", "inputs": {"conditioning": ["1", 0]}},
    }
    g = provenance(png(prompt=json.dumps(graph)))[0].generator
    assert (g.prompt, g.negative_prompt, g.model, g.seed) == ("a red fox", "blurry", "sdxl.safetensors", "7")
    # A negative that is the positive conditioning zeroed out holds no text.
    graph["6"]["inputs"]["negative"] = ["7", 0]
    g = provenance(png(prompt=json.dumps(graph)))[0].generator
    assert (g.prompt, g.negative_prompt) == ("a red fox", None)


def test_comfyui_prompt_from_a_string_node_and_from_the_editor_graph_alone():
    graph = {
        "1": {"class_type": "PrimitiveStringMultiline", "inputs": {"value": "misty harbour at dawn"}},
        "2": {"class_type": "CLIPTextEncode", "inputs": {"text": ["1", 0], "clip": ["3", 1]}},
        "3": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "base.safetensors"}},
        "4": {"class_type": "KSampler", "inputs": {"seed": 1, "model": ["3", 0], "positive": ["2", 0]}},
    }
    assert provenance(png(prompt=json.dumps(graph)))[0].generator.prompt == "misty harbour at dawn"
    workflow = {
        "nodes": [
            {
                "id": 3,
                "type": "KSampler",
                "widgets_values": [42, "fixed", 25, 7.5, "dpmpp_2m", "karras", 1.0],
                "inputs": [{"name": "positive", "link": 1}, {"name": "negative", "link": 2}],
            },
            {"id": 6, "type": "CLIPTextEncode", "widgets_values": ["a quiet street"]},
            {"id": 7, "type": "CLIPTextEncode", "widgets_values": ["text, watermark"]},
            {"id": 4, "type": "CheckpointLoaderSimple", "widgets_values": ["dreamshaper.safetensors"]},
        ],
        "links": [[1, 6, 0, 3, 1, "CONDITIONING"], [2, 7, 0, 3, 2, "CONDITIONING"]],
    }
    g = provenance(png(workflow=json.dumps(workflow)))[0].generator
    assert (g.prompt, g.negative_prompt, g.model, g.seed) == (
        "a quiet street",
        "text, watermark",
        "dreamshaper.safetensors",
        "42",
    )
    assert (g.settings["steps"], g.settings["sampler_name"], g.settings["scheduler"]) == (
        "25",
        "dpmpp_2m",
        "karras",
    )


def test_comfyui_prompts_typed_into_a_loader_node():
    graph = {
        "1": {
            "class_type": "Efficient Loader",
            "inputs": {
                "ckpt_name": "juggernaut.safetensors",
                "positive": "a harbour at night",
                "negative": "blurry",
            },
        },
        "2": {
            "class_type": "KSampler (Efficient)",
            "inputs": {"seed": 3, "steps": 12, "model": ["1", 0], "positive": ["1", 1], "negative": ["1", 2]},
        },
    }
    g = provenance(png(prompt=json.dumps(graph)))[0].generator
    assert (g.prompt, g.negative_prompt, g.model, g.seed) == (
        "a harbour at night",
        "blurry",
        "juggernaut.safetensors",
        "3",
    )


def test_comfyui_editor_subgraph_holds_the_prompt():
    workflow = {
        "nodes": [{"id": 9, "type": "5d6c-subgraph-uuid", "widgets_values": []}],
        "links": [],
        "definitions": {
            "subgraphs": [
                {
                    "nodes": [
                        {"id": 1, "type": "CLIPTextEncode", "widgets_values": ["red kite over a cliff"]},
                        {
                            "id": 2,
                            "type": "KSampler",
                            "widgets_values": [11, "fixed", 8, 2.0, "euler", "simple", 1.0],
                            "inputs": [{"name": "positive", "link": 5}],
                        },
                        {
                            "id": 3,
                            "type": "UNETLoader",
                            "widgets_values": ["flux1-schnell.safetensors", "default"],
                        },
                    ],
                    "links": [{"id": 5, "origin_id": 1, "origin_slot": 0, "target_id": 2, "target_slot": 1}],
                }
            ]
        },
    }
    g = provenance(png(workflow=json.dumps(workflow)))[0].generator
    assert (g.prompt, g.model, g.seed, g.settings["steps"]) == (
        "red kite over a cliff",
        "flux1-schnell.safetensors",
        "11",
        "8",
    )


def test_comfyui_cyclic_and_enormous_graphs_are_bounded():
    cyclic = {
        "1": {"class_type": "CLIPTextEncode", "inputs": {"text": "loop", "clip": ["2", 0]}},
        "2": {"class_type": "Weird", "inputs": {"a": ["1", 0]}},
        "3": {"class_type": "KSampler", "inputs": {"positive": ["1", 0], "seed": 5}},
    }
    p, r = provenance(png(prompt=json.dumps(cyclic)))
    assert (r.status, p.generator.prompt, p.generator.seed) == ("ok", "loop", "5")
    chain = {str(i): {"class_type": "Reroute", "inputs": {"x": [str(i + 1), 0]}} for i in range(150_000)}
    chain["150000"] = {"class_type": "CLIPTextEncode", "inputs": {"text": "far away"}}
    p, r = provenance(png(prompt=json.dumps(chain)))
    assert r.status == "ok"
    assert "only part of it was read" in p.generator.error
    assert "generator_payload_damaged" in [n.code for n in r.notices]

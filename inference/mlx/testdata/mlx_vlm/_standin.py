"""The stand-in's behaviour: recording, misbehaving on request, and the fake model objects."""
import base64
import json
import os
import sys
import time
from types import SimpleNamespace

DEFAULT_TEXT = "A person sits at a desk in front of a laptop."
EOS = 151645
OOM_LINE = ("libc++abi: terminating due to uncaught exception of type std::runtime_error: [METAL] Command "
            "buffer execution failed: Insufficient Memory (00000008:kIOGPUCommandBufferCallbackErrorOutOfMemory)")


class LocalEntryNotFoundError(Exception):
    pass


class IncompleteSnapshotError(Exception):
    pass


class RepositoryNotFoundError(Exception):
    pass


class GatedRepoError(Exception):
    pass


def known_error(name):
    """The exceptions users meet, with the messages mlx-vlm and huggingface_hub give them."""
    errors = {
        "coreml": lambda: KeyError("vision_tower.vision_model.patch_embed.blocks.1.reparam_conv.weight"),
        "too_old": lambda: ValueError("Model type llava_qwen2 not supported."),
        "fast_vlm": lambda: ValueError("Model type fast_vlm not supported."),
        # mlx.nn.Module.load_weights(strict=True) (ml-explore/mlx python/mlx/nn/layers/base.py):
        # "Received {n} parameters not in model: \n{names}." and "Missing {n} parameters: \n{names}."
        "mismatch": lambda: ValueError("Received 4 parameters not in model: \nmulti_modal_projector.linear_1.bias,\n"
                                       "multi_modal_projector.linear_1.weight."),
        "mismatch_reparam": lambda: ValueError(
            "Received 1 parameters not in model: \nvision_tower.vision_model.patch_embed.blocks.1.reparam_conv.weight."),
        "missing_params": lambda: ValueError("Missing 2 parameters: \nvision_tower.vision_model.patch_embed.blocks.1."
                                      "reparam_conv.bias,\nvision_tower.vision_model.patch_embed.blocks.1.reparam_conv.weight."),
        # mlx-vlm < 0.3.12 (or its FastVLM processor failing to load, mlx_vlm/models/base.py
        # install_auto_processor_patch falls back to the repository's own code) needs PyTorch and timm.
        "timm": lambda: ModuleNotFoundError("No module named 'timm'"),
        "torch": lambda: ImportError("This modeling file requires the following packages that were not found in "
                                     "your environment: timm, torch. Run `pip install timm torch`"),
        "uint32": lambda: ValueError("[conv] Invalid input array with type uint32."),
        "offline": lambda: LocalEntryNotFoundError(
            "Cannot find an appropriate cached snapshot folder for the specified revision on the local disk "
            "and outgoing traffic has been disabled. To enable repo look-ups and downloads online, set "
            "'HF_HUB_OFFLINE=0' as environment variable."),
        "incomplete": lambda: IncompleteSnapshotError("Snapshot folder for mlx-community/FastVLM-0.5B-bf16 is incomplete."),
        "not_found": lambda: RepositoryNotFoundError(
            "401 Client Error. Repository Not Found for url: https://huggingface.co/api/models/nobody/nothing."),
        "gated": lambda: GatedRepoError("403 Client Error. Cannot access gated repo for url https://huggingface.co/x/y."),
    }
    make = errors.get(name)
    return make() if make else RuntimeError(name)


def record(fn, **fields):
    path = os.environ.get("FAKE_MLX_VLM_RECORD")
    if not path:
        return
    fields["fn"] = fn
    fields["pid"] = os.getpid()
    line = (json.dumps(fields, default=repr) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def misbehave(mode):
    """Acts out MODE; returns the seconds to wait per piece for slow:S, else 0."""
    if mode == "hang":
        while True:
            time.sleep(60)
    if mode == "crash":
        sys.stderr.write("stand-in: crashing on request\n")
        sys.stderr.flush()
        os._exit(3)
    if mode == "oom":
        sys.stderr.write(OOM_LINE + "\n")
        sys.stderr.flush()
        os.abort()
    if mode == "print":
        print("stand-in: a library print that must not reach the protocol")
        sys.stdout.flush()
        os.write(1, b"stand-in: a native write to fd 1\n")
    if mode.startswith("slow:"):
        return float(mode[5:])
    if mode.startswith("error:"):
        raise known_error(mode[6:])
    return 0.0


def generate_mode():
    path = os.environ.get("FAKE_MLX_VLM_GENERATE_FILE")
    if not path or not os.path.exists(path):
        return ""
    with open(path) as f:
        mode = f.read().strip()
    if mode.startswith("once:"):
        with open(path, "w"):
            pass
        mode = mode[5:]
    return mode


class StoppingCriteria(object):
    def __init__(self):
        self.eos_token_ids = [EOS]
        self.used = False

    def reset(self, eos_token_ids=None):
        record("stopping_criteria.reset", eos_token_ids=eos_token_ids)
        self.eos_token_ids = eos_token_ids if isinstance(eos_token_ids, list) else [eos_token_ids]
        self.used = False


def load(path_or_hf_repo, adapter_path=None, lazy=False, revision=None, strict=True, **kwargs):
    record("load", path=str(path_or_hf_repo), revision=revision, kwargs=sorted(kwargs))
    mode = os.environ.get("FAKE_MLX_VLM_LOAD", "")
    wait = misbehave(mode) if mode else 0.0
    if wait:
        time.sleep(wait)
    if not os.path.exists(str(path_or_hf_repo)) and os.environ.get("HF_HUB_OFFLINE") == "1":
        raise known_error("offline")
    model_type = "llava_qwen2"
    config_path = os.path.join(str(path_or_hf_repo), "config.json")
    if os.path.isfile(config_path):
        with open(config_path) as f:
            model_type = json.load(f).get("model_type", model_type)
    model = SimpleNamespace(config=SimpleNamespace(model_type=model_type, eos_token_id=EOS))
    processor = SimpleNamespace(tokenizer=SimpleNamespace(stopping_criteria=StoppingCriteria()))
    return model, processor


class GenerationResult(object):
    def __init__(self, text="", token=None, prompt_tokens=0, generation_tokens=0, total_tokens=0, prompt_tps=0.0,
                 generation_tps=0.0, peak_memory=0.0, finish_reason=None):
        self.text = text
        self.token = token
        self.prompt_tokens = prompt_tokens
        self.generation_tokens = generation_tokens
        self.total_tokens = total_tokens
        self.prompt_tps = prompt_tps
        self.generation_tps = generation_tps
        self.peak_memory = peak_memory
        self.finish_reason = finish_reason


def describe_image(image):
    """What the recording says about the image argument; raises for inputs mlx-vlm cannot take."""
    info = {"image_type": type(image).__name__}
    if isinstance(image, list):
        raise TypeError("stand-in: the worker passes one image, not a list")
    if not isinstance(image, str):
        raise TypeError("stand-in: mlx-vlm's load_image takes str paths, URLs or data URIs; got %s" % type(image))
    if image.startswith("data:image/"):
        head, _, b64 = image.partition(",")
        data = base64.b64decode(b64)
        if not (data.startswith(b"\xff\xd8") or data.startswith(b"\x89PNG")):
            raise ValueError("stand-in: data URI is not a JPEG or PNG")
        info.update(image_form="data_uri", image_media=head, image_bytes=len(data))
    else:
        if not os.path.isfile(image):
            raise FileNotFoundError(image)
        info.update(image_form="path", image_path=image, image_bytes=os.path.getsize(image))
    return info


def stream_generate(model, processor, prompt, image=None, audio=None, **kwargs):
    criteria = processor.tokenizer.stopping_criteria
    info = describe_image(image)
    max_tokens = kwargs.get("max_tokens", 2048)  # mlx-vlm's default, far too long for narration
    record("stream_generate", prompt=prompt, max_tokens=kwargs.get("max_tokens"), kwargs=sorted(kwargs),
           temperature=kwargs.get("temperature"), top_p=kwargs.get("top_p"),
           stale_stopping_criteria=criteria.used, **info)
    criteria.used = True
    mode = generate_mode()
    wait = misbehave(mode) if mode else 0.0
    if mode == "garbage":
        print("stand-in: garbage printed during generation")
        os.write(1, b"\x00\xffnot json\n")
    # The memory this generation uses: the real stream_generate reports mx.get_peak_memory() / 1e9
    # (mlx_vlm/generate/dispatch.py), the peak since the process started or the last reset.
    import mlx.core as mx
    mx._use((float(mode[5:]) if mode.startswith("peak:") else 1.9) * 1e9)
    words = os.environ.get("FAKE_MLX_VLM_TEXT", DEFAULT_TEXT).split(" ")
    pieces = [w if i == 0 else " " + w for i, w in enumerate(words)][:max_tokens]
    for i, piece in enumerate(pieces):
        if wait:
            time.sleep(wait)
        last = i == len(pieces) - 1
        finish = None
        if last:
            finish = "length" if len(pieces) == max_tokens and len(words) > max_tokens else "stop"
        yield GenerationResult(text=piece, token=i, prompt_tokens=300, generation_tokens=i + 1,
                               total_tokens=301 + i, prompt_tps=3000.0, generation_tps=300.0,
                               peak_memory=mx.get_peak_memory() / 1e9, finish_reason=finish)


def generate(model, processor, prompt, image=None, verbose=False, **kwargs):
    text = ""
    last = GenerationResult()
    for last in stream_generate(model, processor, prompt, image=image, **kwargs):
        text += last.text
    last.text = text
    return last

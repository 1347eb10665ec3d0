#!/usr/bin/env python3
"""narrator's persistent FastVLM worker (mlx-vlm).

The narrator binary embeds this file, writes it into its data directory and runs it with the
Python environment `narrator setup` made. It loads the model once, warms it up, then answers
requests one at a time. docs/mlx.md documents the protocol; in short:

  stdin   one JSON object per line (requests):
          {"op":"generate","id":"..","image":"data:image/jpeg;base64,..","prompt":"..",
           "system":"..","max_tokens":64,"temperature":0.0,"top_p":1.0}
          {"op":"cancel","id":".."}
          {"op":"shutdown"}
  stdout  one JSON object per line (events), written to a private copy of the original stdout;
          sys.stdout and file descriptor 1 point at stderr, so prints by the libraries cannot
          corrupt the protocol:
          {"event":"ready",...} {"event":"delta","id":..,"text":..} {"event":"done",...}
          {"event":"error","id":..,"code":..,"message":..,"fatal":..}
  stderr  free-form logs (the parent logs each line).

Subcommands: serve (the worker), probe (versions from package metadata, for `narrator doctor`
and `narrator setup`), verify (imports mlx_vlm and mlx.core, for `narrator setup`: metadata alone
does not prove an install is complete), download (fetch a model snapshot into the hub cache, for
`narrator setup`).

The script uses only the standard library itself, and is written for old Pythons too so that
an unsupported interpreter gets a clear error instead of a syntax error.
"""

import argparse
import base64
import json
import os
import platform
import queue
import struct
import sys
import threading
import time
import traceback
import zlib

PROTOCOL_VERSION = 1
MIN_PYTHON = (3, 10)
# mlx-vlm 0.3.6 added FastVLM (model type llava_qwen2); 0.3.12 added its own FastVLM processor
# (mlx_vlm/models/fastvlm/processing.py, "without torch/timm dependency"). Before 0.3.12 the processor
# came from the model repository's own code, which imports PyTorch and timm.
MIN_MLX_VLM = (0, 3, 12)
MIN_MLX_VLM_TEXT = "0.3.12"
MAX_TOKENS_LIMIT = 4096
# Files a model snapshot needs (weights, configs, tokenizer, chat template, custom code).
ALLOW_PATTERNS = ["*.json", "*.jsonl", "*.safetensors", "*.py", "*.model", "*.tiktoken", "*.txt", "*.jinja"]


class Protocol(object):
    """Writes events as JSON lines on a private copy of the original stdout."""

    def __init__(self, stream):
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, event, **fields):
        fields["event"] = event
        line = json.dumps(fields, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            self._stream.write(line)
            self._stream.flush()


def take_stdout():
    """Keeps the real stdout for the protocol and sends everything else printed to stderr."""
    proto_fd = os.dup(1)
    os.dup2(2, 1)  # C-level writes to fd 1 (native libraries) now land on stderr
    sys.stdout = sys.stderr
    stream = os.fdopen(proto_fd, "w", encoding="utf-8", errors="replace")
    return Protocol(stream)


def log(msg):
    sys.stderr.write("narrator_worker: %s\n" % msg)
    sys.stderr.flush()


def check_python(version_info, system, machine):
    """Returns (code, message) when this interpreter cannot run MLX, else None."""
    if tuple(version_info[:2]) < MIN_PYTHON:
        return ("python_too_old", "Python %d.%d is too old: mlx-vlm needs Python 3.10 or newer"
                % (version_info[0], version_info[1]))
    if system == "Darwin" and machine != "arm64":
        return ("python_not_arm64", "this Python runs as %s (Rosetta): MLX needs a native arm64 Python"
                % machine)
    return None


def parse_version(text):
    """'0.6.15' -> (0, 6, 15); trailing non-numeric parts are ignored."""
    out = []
    for part in str(text).split("."):
        digits = ""
        for ch in part:
            if not ch.isdigit():
                break
            digits += ch
        if digits == "":
            break
        out.append(int(digits))
    return tuple(out)


def describe_exception(exc):
    """One line for the parent, never a traceback: 'KeyError: ...'."""
    text = str(exc).strip().replace("\n", " ")
    return "%s: %s" % (type(exc).__name__, text) if text else type(exc).__name__


def dist_version(name):
    try:
        from importlib import metadata
    except ImportError:  # Python < 3.8
        return None
    try:
        return metadata.version(name)
    except Exception:
        return None


def tiny_png_data_uri(size=64):
    """A plain grey PNG as a data URI, for the warm-up request (standard library only)."""
    raw = b"".join(b"\x00" + b"\x80\x80\x80" * size for _ in range(size))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


class BadRequest(Exception):
    pass


def validate_generate(req):
    """Checks a generate request and returns it with defaults filled in."""
    rid = req.get("id")
    if not isinstance(rid, str) or not rid:
        raise BadRequest("generate needs a non-empty string id")
    image = req.get("image")
    if not isinstance(image, str) or not image:
        raise BadRequest("generate needs an image: a data:image/... URI or an absolute file path")
    if not image.startswith("data:image/") and not os.path.isabs(image):
        raise BadRequest("image must be a data:image/... URI or an absolute file path")
    if not image.startswith("data:") and not os.path.isfile(image):
        raise BadRequest("image file %s does not exist" % image)
    prompt = req.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise BadRequest("generate needs a prompt")
    system = req.get("system") or ""
    if not isinstance(system, str):
        raise BadRequest("system must be a string")
    max_tokens = req.get("max_tokens")
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or not 1 <= max_tokens <= MAX_TOKENS_LIMIT:
        raise BadRequest("max_tokens must be an integer from 1 to %d" % MAX_TOKENS_LIMIT)
    out = {"id": rid, "image": image, "prompt": prompt, "system": system, "max_tokens": max_tokens}
    for key, default in (("temperature", 0.0), ("top_p", 1.0), ("repetition_penalty", None)):
        value = req.get(key, default)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
            raise BadRequest("%s must be a non-negative number" % key)
        out[key] = value
    return out


def build_prompt(prompt, system):
    """The chat input for apply_chat_template: the text alone, or a message list with a system prompt.
    A literal <image> in user text would add a second image slot, so it is removed."""
    prompt = prompt.replace("<image>", "").strip()
    if not system:
        return prompt
    return [{"role": "system", "content": system}, {"role": "user", "content": prompt}]


class Reader(threading.Thread):
    """Reads requests from stdin on its own thread, so a cancel arrives while a generation runs.
    It does no MLX work: generate requests go to the main thread through a queue."""

    def __init__(self, proto, stdin):
        threading.Thread.__init__(self, name="narrator-requests", daemon=True)
        self.proto = proto
        self.stdin = stdin
        self.requests = queue.Queue()
        self.lock = threading.Lock()
        self.current = None
        self.cancelled = set()

    def start_request(self, rid):
        with self.lock:
            self.current = rid
            return rid in self.cancelled

    def finish_request(self, rid):
        with self.lock:
            self.current = None
            self.cancelled.discard(rid)

    def is_cancelled(self, rid):
        with self.lock:
            return rid in self.cancelled

    def run(self):
        while True:
            line = self.stdin.readline()
            if not line:
                self.requests.put(None)  # the parent closed stdin or died: shut down
                return
            line = line.strip()
            if not line:
                continue
            try:
                req = json.loads(line.decode("utf-8"))
                if not isinstance(req, dict):
                    raise ValueError("not a JSON object")
            except ValueError as exc:
                self.proto.send("error", code="bad_request", message="unreadable request: %s" % exc, fatal=False)
                continue
            op = req.get("op")
            if op == "generate":
                self.requests.put(req)
            elif op == "cancel":
                with self.lock:
                    if len(self.cancelled) > 64:  # cancels that arrived after their request ended
                        self.cancelled = set(x for x in self.cancelled if x == self.current)
                    self.cancelled.add(req.get("id"))
            elif op == "shutdown":
                self.requests.put(None)
                return
            else:
                self.proto.send("error", id=req.get("id"), code="bad_request",
                                message="unknown op %r" % (op,), fatal=False)


class NoImageSlot(Exception):
    """The formatted prompt has no place for the image: the model would never see the frame."""


# mlx-vlm's MessageFormat values (mlx_vlm/prompt_utils.py) for which the model's processor places the
# image itself, so the formatted prompt has no image token even when all is well.
FORMATS_WITHOUT_IMAGE_TOKEN = ("prompt_only", "text_only")


def reset_peak_memory(mx):
    """Starts the peak-memory count afresh, so GenerationResult.peak_memory (mx.get_peak_memory(),
    the peak since the process started or since the last reset) is this request's peak.
    mlx >= 0.24 has mx.reset_peak_memory; older releases had it under mx.metal."""
    reset = getattr(mx, "reset_peak_memory", None) or getattr(getattr(mx, "metal", None), "reset_peak_memory", None)
    if reset is not None:
        reset()


class Model(object):
    """The loaded model and the one way it is called."""

    def __init__(self, mlx_vlm, model, processor, config, mx=None):
        self.mlx_vlm = mlx_vlm
        self.model = model
        self.processor = processor
        self.config = config
        self.mx = mx
        self.model_type = (config.get("model_type") if isinstance(config, dict) else None) or getattr(
            getattr(model, "config", None), "model_type", None)
        self._slot_checked = {}  # (prompt, system) -> None when the image has a slot, else the problem

    def reset_stopping(self):
        # stream_generate keeps stopping criteria between calls: reset them for every request.
        tokenizer = getattr(self.processor, "tokenizer", self.processor)
        criteria = getattr(tokenizer, "stopping_criteria", None)
        eos = getattr(getattr(self.model, "config", None), "eos_token_id", None)
        if criteria is not None and hasattr(criteria, "reset"):
            criteria.reset(eos)

    def format(self, chat, num_images):
        from mlx_vlm.prompt_utils import apply_chat_template
        return apply_chat_template(self.processor, self.config, chat, add_generation_prompt=True, num_images=num_images)

    def image_slot_problem(self, chat, formatted):
        """Says why the formatted prompt has no image slot, or None when it has one. mlx-vlm formats a
        model type missing from its MODEL_CONFIG table as text only (apply_chat_template ignores
        num_images), and a chat template may drop image entries: either way the frame would be silently
        ignored. The test is model-independent: the prompt formatted for one image must differ from
        the prompt formatted for none."""
        try:
            without = self.format(chat, 0)
        except Exception:
            return None  # cannot compare; the generation itself will tell
        if without != formatted:
            return None
        table = None
        try:
            from mlx_vlm.prompt_utils import MODEL_CONFIG as table
        except ImportError:
            pass
        kind = None
        if table is not None and self.model_type is not None:
            fmt = table.get(str(self.model_type).lower())
            kind = getattr(fmt, "value", fmt)
            if kind in FORMATS_WITHOUT_IMAGE_TOKEN:
                return None
        version = dist_version("mlx-vlm") or getattr(self.mlx_vlm, "__version__", "?")
        if table is not None and kind is None:
            return ("model type %r is not in mlx-vlm %s's prompt formats, so mlx-vlm formats its prompts as "
                    "text only and the model would never see the image" % (self.model_type, version))
        return ("the chat template of model type %r drops the image: the formatted prompt has no image "
                "token, so the model would never see it" % (self.model_type,))

    def stream(self, req):
        chat = build_prompt(req["prompt"], req["system"])
        formatted = self.format(chat, 1)
        key = (req["prompt"], req["system"])
        if key not in self._slot_checked:
            if len(self._slot_checked) >= 64:
                self._slot_checked.clear()
            self._slot_checked[key] = self.image_slot_problem(chat, formatted)
        if self._slot_checked[key] is not None:
            raise NoImageSlot(self._slot_checked[key])
        self.reset_stopping()
        if self.mx is not None:
            reset_peak_memory(self.mx)
        kwargs = {"max_tokens": req["max_tokens"], "temperature": float(req["temperature"]),
                  "top_p": float(req["top_p"])}
        if req.get("repetition_penalty") is not None:
            kwargs["repetition_penalty"] = float(req["repetition_penalty"])
        # The image goes in as a str (data URI or path): mlx-vlm's process_image applies EXIF
        # rotation (load_image) only to str inputs. No vision_cache= or prompt_cache_state= is
        # passed, so stream_generate caches nothing between requests.
        return self.mlx_vlm.stream_generate(self.model, self.processor, formatted, image=req["image"], **kwargs)


def generate(model, req, reader, proto):
    """Runs one request, streaming deltas, and always ends with a done or an error event."""
    rid = req["id"]
    started = time.monotonic()
    first = None
    text = []
    last = None
    finish = None
    if reader is not None and reader.start_request(rid):
        finish = "cancelled"
    try:
        if finish is None:
            for piece in model.stream(req):
                if first is None:
                    first = time.monotonic()
                last = piece
                if piece.text:
                    text.append(piece.text)
                    proto.send("delta", id=rid, text=piece.text)
                if reader is not None and reader.is_cancelled(rid):
                    finish = "cancelled"
                    break
    except NoImageSlot as exc:
        proto.send("error", id=rid, code="no_image_slot", message=str(exc), fatal=False)
        return
    except Exception as exc:
        traceback.print_exc()
        proto.send("error", id=rid, code="generation_failed", message=describe_exception(exc), fatal=False)
        return
    finally:
        if reader is not None:
            reader.finish_request(rid)
    elapsed = time.monotonic() - started
    if finish is None:
        finish = getattr(last, "finish_reason", None) or "stop"
    prompt_tokens = int(getattr(last, "prompt_tokens", 0) or 0)
    prompt_tps = float(getattr(last, "prompt_tps", 0.0) or 0.0)
    proto.send(
        "done", id=rid, text="".join(text), finish_reason=finish,
        prompt_tokens=prompt_tokens,
        generation_tokens=int(getattr(last, "generation_tokens", 0) or 0),
        prompt_tps=round(prompt_tps, 2),
        generation_tps=round(float(getattr(last, "generation_tps", 0.0) or 0.0), 2),
        peak_memory_gb=round(float(getattr(last, "peak_memory", 0.0) or 0.0), 3),
        ttft_s=round((first - started) if first is not None else elapsed, 4),
        model_ttft_s=round(prompt_tokens / prompt_tps, 4) if prompt_tps > 0 else None,
        total_s=round(elapsed, 4),
    )


def fatal(proto, code, message):
    proto.send("error", code=code, message=message, fatal=True)
    return 2


def import_mlx(proto):
    """Imports mlx_vlm and mlx.core, or sends the fatal error and returns None. Package metadata can
    say mlx-vlm is installed while its files or a dependency are missing (an interrupted install):
    only importing proves it."""
    bad = check_python(sys.version_info, platform.system(), platform.machine())
    if bad:
        fatal(proto, bad[0], bad[1])
        return None
    try:
        import mlx_vlm
        import mlx_vlm.utils
        import mlx_vlm.prompt_utils  # noqa: F401
        import mlx.core as mx
    except ImportError as exc:
        traceback.print_exc()
        fatal(proto, "mlx_vlm_missing", "%s (interpreter %s)" % (describe_exception(exc), sys.executable))
        return None
    except Exception as exc:  # a native library that does not load, a broken dependency
        traceback.print_exc()
        fatal(proto, "import_failed", "%s (interpreter %s)" % (describe_exception(exc), sys.executable))
        return None
    version = getattr(mlx_vlm, "__version__", None) or dist_version("mlx-vlm") or "0"
    if parse_version(version) < MIN_MLX_VLM:
        fatal(proto, "mlx_vlm_too_old", "mlx-vlm %s is installed; narrator needs %s or newer" % (version, MIN_MLX_VLM_TEXT))
        return None
    return mlx_vlm, mx, version


def serve(args, proto):
    imported = import_mlx(proto)
    if imported is None:
        return 2
    mlx_vlm, mx, version = imported

    started = time.monotonic()
    try:
        model, processor = mlx_vlm.load(args.model)
        config = mlx_vlm.utils.load_config(args.model)
    except Exception as exc:
        traceback.print_exc()
        return fatal(proto, "load_failed", describe_exception(exc))
    loaded = time.monotonic()
    m = Model(mlx_vlm, model, processor, config, mx)

    warm = {"id": "warm-up", "image": tiny_png_data_uri(), "prompt": "Describe the image.", "system": "",
            "max_tokens": 1, "temperature": 0.0, "top_p": 1.0, "repetition_penalty": None}
    try:
        for _ in m.stream(warm):
            pass
    except NoImageSlot as exc:
        return fatal(proto, "no_image_slot", str(exc))
    except Exception as exc:
        traceback.print_exc()
        return fatal(proto, "warmup_failed", describe_exception(exc))
    warmed = time.monotonic()

    model_type = m.model_type
    versions = {"python": platform.python_version(), "mlx_vlm": version,
                "mlx": dist_version("mlx") or "", "transformers": dist_version("transformers") or ""}
    proto.send("ready", protocol=PROTOCOL_VERSION, pid=os.getpid(), model=args.model, model_type=model_type,
               versions=versions, load_s=round(loaded - started, 3), warmup_s=round(warmed - loaded, 3))
    reader = Reader(proto, sys.stdin.buffer)
    reader.start()

    while True:
        req = reader.requests.get()
        if req is None:
            return 0
        try:
            req = validate_generate(req)
        except BadRequest as exc:
            proto.send("error", id=req.get("id"), code="bad_request", message=str(exc), fatal=False)
            continue
        generate(m, req, reader, proto)


def probe(args, proto):
    """Reports the interpreter and package versions without importing MLX (fast, safe)."""
    bad = check_python(sys.version_info, platform.system(), platform.machine())
    proto.send("probe", python=platform.python_version(), executable=sys.executable, system=platform.system(),
               machine=platform.machine(), problem=bad[1] if bad else None, problem_code=bad[0] if bad else None,
               mlx_vlm=dist_version("mlx-vlm"), mlx=dist_version("mlx"),
               huggingface_hub=dist_version("huggingface-hub") or dist_version("huggingface_hub"),
               transformers=dist_version("transformers"))
    return 0


def verify(args, proto):
    """Proves the environment can run the worker: imports mlx_vlm and mlx.core (no model is loaded)."""
    imported = import_mlx(proto)
    if imported is None:
        return 2
    _, mx, version = imported
    device = ""
    try:
        device = str(mx.default_device())
    except Exception as exc:
        log("no default MLX device: %s" % describe_exception(exc))
    proto.send("verified", python=platform.python_version(), executable=sys.executable, mlx_vlm=version,
               mlx=dist_version("mlx") or str(getattr(mx, "__version__", "")), device=device)
    return 0


def check_snapshot(path):
    """Returns what is missing from a model folder, or None when it looks complete. A sharded model
    is checked against its index: mlx-vlm's load_model reads only the shards that exist, so a missing
    shard would otherwise surface as "Missing N parameters". Snapshot files in the hub cache are
    links to blobs: a link whose blob is gone counts as missing."""
    if not os.path.isfile(os.path.join(path, "config.json")):
        return "no config.json in %s" % path
    index = os.path.join(path, "model.safetensors.index.json")
    if os.path.isfile(index):
        try:
            with open(index) as f:
                shards = set(json.load(f).get("weight_map", {}).values())
        except (ValueError, OSError, AttributeError) as exc:
            return "unreadable weight index %s: %s" % (index, describe_exception(exc))
        missing = sorted(s for s in shards if not os.path.isfile(os.path.join(path, s)))
        if missing:
            return "weight shards missing in %s: %s" % (path, ", ".join(missing))
        if shards:
            return None
    if not any(n.endswith(".safetensors") and os.path.isfile(os.path.join(path, n)) for n in os.listdir(path)):
        return "no .safetensors weights in %s" % path
    return None


def download(args, proto):
    if os.path.isdir(args.model):
        path = os.path.abspath(args.model)
    else:
        try:
            from huggingface_hub import snapshot_download
        except ImportError as exc:
            return fatal(proto, "hub_missing", describe_exception(exc))
        try:
            path = snapshot_download(repo_id=args.model, revision=args.revision or None,
                                     allow_patterns=ALLOW_PATTERNS)
        except Exception as exc:  # setup shows this process's stderr to the user: no traceback there
            return fatal(proto, "download_failed", describe_exception(exc))
    problem = check_snapshot(path)
    if problem:
        return fatal(proto, "incomplete_download", problem)
    proto.send("downloaded", model=args.model, revision=args.revision or None, path=path)
    return 0


def main(argv):
    proto = take_stdout()
    parser = argparse.ArgumentParser(prog="narrator_worker.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command")
    s = sub.add_parser("serve", help="load a model and answer requests on stdin")
    s.add_argument("--model", required=True, help="a local model folder (or a hub id already in HF_HOME)")
    sub.add_parser("probe", help="report interpreter and package versions")
    sub.add_parser("verify", help="import mlx_vlm and mlx.core and report their versions")
    d = sub.add_parser("download", help="download a model snapshot into HF_HOME")
    d.add_argument("--model", required=True, help="hub id (org/name) or local folder")
    d.add_argument("--revision", default="", help="commit, tag or branch (default: main)")
    args = parser.parse_args(argv)
    handlers = {"serve": serve, "probe": probe, "verify": verify, "download": download}
    if args.command not in handlers:
        parser.print_usage(sys.stderr)
        return fatal(proto, "bad_usage", "name a subcommand: serve, probe, verify or download")
    try:
        return handlers[args.command](args, proto)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Test stand-in for huggingface_hub.snapshot_download: makes a tiny snapshot folder. Not a hub client.

Where it puts the snapshot, whether it is offline and where it looks for a token follow
huggingface_hub's own constants.py (HF_HOME, HF_HUB_CACHE over the legacy HUGGINGFACE_HUB_CACHE,
HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE, HF_TOKEN over the file at HF_TOKEN_PATH, default
HF_HOME/token). It records whether a token was found, never the token."""
import json
import os
import sys

from mlx_vlm._standin import known_error, record

__version__ = "1.10.2"


def _is_true(value):
    return value is not None and value.upper() in ("1", "ON", "YES", "TRUE")


def _home():
    default = os.path.join(os.getenv("XDG_CACHE_HOME", os.path.join(os.path.expanduser("~"), ".cache")), "huggingface")
    return os.path.expanduser(os.getenv("HF_HOME", default))


def _hub_cache():
    return os.path.expanduser(os.getenv("HF_HUB_CACHE", os.getenv("HUGGINGFACE_HUB_CACHE", os.path.join(_home(), "hub"))))


def _token_found():
    if os.environ.get("HF_TOKEN"):
        return True
    path = os.path.expanduser(os.getenv("HF_TOKEN_PATH", os.path.join(_home(), "token")))
    return os.path.isfile(path) and os.path.getsize(path) > 0


def snapshot_download(repo_id, revision=None, allow_patterns=None, **kwargs):
    offline = _is_true(os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE"))
    cache = _hub_cache()
    record("snapshot_download", repo_id=repo_id, revision=revision, allow_patterns=allow_patterns,
           hf_home=os.environ.get("HF_HOME"), hub_cache=cache, offline=offline, token_found=_token_found(),
           kwargs=sorted(kwargs))
    mode = os.environ.get("FAKE_HF_DOWNLOAD", "")
    if mode.startswith("error:"):
        raise known_error(mode[6:])
    if offline:
        raise known_error("offline")
    if mode == "gated" and not _token_found():
        raise known_error("gated")
    commit = revision or "0123456789abcdef0123456789abcdef01234567"
    path = os.path.join(cache, "models--" + repo_id.replace("/", "--"), "snapshots", commit)
    os.makedirs(path, exist_ok=True)
    sys.stderr.write("Fetching 3 files: 100%|##########| 3/3 [00:00<00:00]\n")
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump({"model_type": "llava_qwen2", "eos_token_id": 151645}, f)
    if mode == "sharded_partial":
        # A sharded model whose second shard never arrived: the index names both.
        with open(os.path.join(path, "model.safetensors.index.json"), "w") as f:
            json.dump({"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}, f)
        with open(os.path.join(path, "model-00001-of-00002.safetensors"), "wb") as f:
            f.write(b"stand-in weights")
    elif mode != "incomplete":
        with open(os.path.join(path, "model.safetensors"), "wb") as f:
            f.write(b"stand-in weights")
    return path

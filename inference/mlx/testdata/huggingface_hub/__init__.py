"""Test stand-in for huggingface_hub.snapshot_download: makes a tiny snapshot folder. Not a hub client."""
import json
import os
import sys

from mlx_vlm._standin import known_error, record

__version__ = "1.10.2"


def snapshot_download(repo_id, revision=None, allow_patterns=None, **kwargs):
    record("snapshot_download", repo_id=repo_id, revision=revision, allow_patterns=allow_patterns,
           hf_home=os.environ.get("HF_HOME"), offline=os.environ.get("HF_HUB_OFFLINE"), kwargs=sorted(kwargs))
    mode = os.environ.get("FAKE_HF_DOWNLOAD", "")
    if mode.startswith("error:"):
        raise known_error(mode[6:])
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        raise known_error("offline")
    home = os.environ.get("HF_HOME") or os.path.expanduser("~/.cache/huggingface")
    commit = revision or "0123456789abcdef0123456789abcdef01234567"
    path = os.path.join(home, "hub", "models--" + repo_id.replace("/", "--"), "snapshots", commit)
    os.makedirs(path, exist_ok=True)
    sys.stderr.write("Fetching 3 files: 100%|##########| 3/3 [00:00<00:00]\n")
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump({"model_type": "llava_qwen2", "eos_token_id": 151645}, f)
    if mode != "incomplete":
        with open(os.path.join(path, "model.safetensors"), "wb") as f:
            f.write(b"stand-in weights")
    return path

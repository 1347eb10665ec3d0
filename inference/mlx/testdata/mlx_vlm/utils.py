"""Stand-in for mlx_vlm.utils."""
import json
import os

from ._standin import load, record  # noqa: F401


def load_config(model_path, **kwargs):
    record("load_config", model_path=str(model_path))
    path = os.path.join(str(model_path), "config.json")
    if os.path.isfile(path):
        with open(path) as f:
            return json.load(f)
    return {"model_type": "llava_qwen2", "eos_token_id": 151645}

"""Test stand-in for mlx-vlm 0.6.x: same signatures, fixed output, records calls. Not a model."""
import os

import mlx.core  # noqa: F401  (mlx-vlm 0.6.15 imports it on import: mlx_vlm/vision_cache.py)

from ._standin import GenerationResult, generate, load, stream_generate
from .prompt_utils import apply_chat_template
from . import utils  # noqa: F401

__version__ = os.environ.get("FAKE_MLX_VLM_VERSION", "0.6.15")

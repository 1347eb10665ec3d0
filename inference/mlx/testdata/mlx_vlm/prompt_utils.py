"""Stand-in for mlx_vlm.prompt_utils, written from mlx-vlm 0.6.15's mlx_vlm/prompt_utils.py
(apply_chat_template, MODEL_CONFIG, MessageFormatter): a few of its model types, the same default
num_images=0, and the same text-only path for model types missing from MODEL_CONFIG."""
from enum import Enum

from ._standin import record


class MessageFormat(Enum):
    LIST_WITH_IMAGE_FIRST = "list_with_image_first"
    IMAGE_TOKEN_NEWLINE = "image_token_newline"
    PROMPT_ONLY = "prompt_only"
    TEXT_ONLY = "text_only"


MODEL_CONFIG = {
    "qwen2_5_vl": MessageFormat.LIST_WITH_IMAGE_FIRST,
    "llava-qwen2": MessageFormat.IMAGE_TOKEN_NEWLINE,
    "llava_qwen2": MessageFormat.IMAGE_TOKEN_NEWLINE,  # fastvlm
    "florence2": MessageFormat.PROMPT_ONLY,
    "molmo": MessageFormat.TEXT_ONLY,
}


def _render(messages, add_generation_prompt):
    out = []
    for m in messages:
        content = m["content"]
        if isinstance(content, list):  # a list-with-image message, rendered as the Qwen templates do
            content = "".join("<|vision_start|><|image_pad|><|vision_end|>" if c.get("type") == "image"
                              else c.get("text", "") for c in content)
        out.append("<|im_start|>%s\n%s<|im_end|>\n" % (m["role"], content))
    if add_generation_prompt:
        out.append("<|im_start|>assistant\n")
    return "".join(out)


def _message(model_type, fmt, role, text, num_images):
    """MessageFormatter.format_message for the formats above; images go to the last user message."""
    if role != "user" or num_images == 0:
        return {"role": role, "content": text}
    if fmt == MessageFormat.IMAGE_TOKEN_NEWLINE:
        return {"role": role, "content": "<image>\n" * num_images + text}
    if fmt == MessageFormat.LIST_WITH_IMAGE_FIRST:
        return {"role": role, "content": [{"type": "image"}] * num_images + [{"type": "text", "text": text}]}
    return {"role": role, "content": text}  # PROMPT_ONLY, TEXT_ONLY: the processor places the image


def apply_chat_template(processor, config, prompt, add_generation_prompt=True, return_messages=False,
                        num_images=0, num_audios=0, **kwargs):
    # Like mlx-vlm >= 0.2.0, num_images defaults to 0: a caller that forgets it gets no image slot.
    config = config if isinstance(config, dict) else config.__dict__
    model_type = config["model_type"]
    messages = prompt if isinstance(prompt, list) else [{"role": "user", "content": prompt}]
    record("apply_chat_template", messages=messages, num_images=num_images, model_type=model_type,
           add_generation_prompt=add_generation_prompt, kwargs=sorted(kwargs))
    fmt = MODEL_CONFIG.get(model_type)
    if fmt is None:
        # "Use standard formatting for text-only models": num_images is ignored.
        return _render(messages, add_generation_prompt)
    last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
    formatted = [_message(model_type, fmt, m["role"], m["content"], num_images if i == last_user else 0)
                 for i, m in enumerate(messages)]
    if fmt == MessageFormat.PROMPT_ONLY:
        return formatted[-1]["content"]
    return _render(formatted, add_generation_prompt)

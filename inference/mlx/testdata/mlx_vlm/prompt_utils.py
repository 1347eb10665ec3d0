"""Stand-in for mlx_vlm.prompt_utils."""
from ._standin import record


def apply_chat_template(processor, config, prompt, add_generation_prompt=True, return_messages=False,
                        num_images=0, num_audios=0, **kwargs):
    # Like mlx-vlm >= 0.2.0, num_images defaults to 0: a caller that forgets it gets no image slot.
    if isinstance(prompt, list):
        messages = prompt
    else:
        messages = [{"role": "user", "content": prompt}]
    record("apply_chat_template", messages=messages, num_images=num_images,
           add_generation_prompt=add_generation_prompt, kwargs=sorted(kwargs))
    out = []
    for i, m in enumerate(messages):
        content = m["content"]
        if m["role"] == "user" and i == len(messages) - 1:
            content = "<image>\n" * num_images + content
        out.append("<|im_start|>%s\n%s<|im_end|>\n" % (m["role"], content))
    if add_generation_prompt:
        out.append("<|im_start|>assistant\n")
    return "".join(out)

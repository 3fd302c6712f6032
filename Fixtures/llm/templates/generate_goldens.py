"""Golden chat-template renders from Python's jinja2 (pinned: jinja2==3.1.6), rendered the way
Hugging Face transformers renders chat templates (sandboxed, trim_blocks, lstrip_blocks,
loopcontrols, raise_exception). Writes goldens.jsonl beside this script.

    python3 Fixtures/llm/templates/generate_goldens.py
"""
import json
import os

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

here = os.path.dirname(os.path.abspath(__file__))


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(value, indent=None):
    return json.dumps(value, ensure_ascii=False, indent=indent)


environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
environment.filters["tojson"] = tojson
environment.globals["raise_exception"] = raise_exception

conversations = [
    ([{"role": "user", "content": "What is the capital of France?"}], True),
    ([{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi!"}], True),
    ([{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}, {"role": "user", "content": "And 3+3?"}], True),
    ([{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi there."}], False),
    ([{"role": "user", "content": "  padded\ttext with\nnewlines  "}], True),
    ([{"role": "user", "content": "Ünïcödé — 日本語 🦙 \"quotes\" and 'apostrophes' {{ not a tag }}"}], False),
]

with open(os.path.join(here, "goldens.jsonl"), "w", encoding="utf-8") as out:
    for name in ["smollm2", "chatml", "llama3", "mistral", "qwen2"]:
        with open(os.path.join(here, name + ".jinja"), encoding="utf-8") as f:
            source = f.read()
        template = environment.from_string(source)
        for messages, add_generation_prompt in conversations:
            record = {"template": name, "messages": messages, "add_generation_prompt": add_generation_prompt,
                      "bos_token": "<s>", "eos_token": "</s>"}
            try:
                record["rendered"] = template.render(messages=messages, add_generation_prompt=add_generation_prompt,
                                                     bos_token="<s>", eos_token="</s>")
            except jinja2.exceptions.TemplateError as error:
                record["error"] = str(error)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")

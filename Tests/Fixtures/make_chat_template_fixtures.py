#!/usr/bin/env python3
"""Chat-template golden renderings for Lethe's Swift tests (run by hand, never by CI).

Reads the real chat templates that llama.cpp ships (vendor/llama.cpp/models/templates/*.jinja in the
llama-cpp-python source archive, `pip download --no-deps --no-binary :all: llama-cpp-python`) and renders
each with transformers' own `render_jinja_template` (the function `apply_chat_template` calls, so jinja2 is
configured exactly as transformers configures it) for every conversation below, with and without the
generation prompt. A rendering that raises records the error instead of the text.

Writes Tests/ModelTests/Fixtures/chat_templates/chat_templates.json.zst:
  {"transformers": version, "jinja2": version, "now": ISO date strftime_now sees,
   "special_tokens": {...}, "conversations": [[{"role", "content"}, ...], ...],
   "templates": [{"name", "source", "renders": [{"conversation": i, "add_generation_prompt": b,
                                                "text": s} or {..., "error": message}]}]}

strftime_now is pinned to NOW (transformers reads datetime.now(), patched here); the Swift test injects
the same date. Usage: python3 Tests/Fixtures/make_chat_template_fixtures.py [llama_cpp_python-*.tar.gz]
(default: the archive in /work/material).
"""

from __future__ import annotations

import datetime as real_datetime
import glob
import json
import sys
import tarfile
from pathlib import Path

import jinja2
import transformers
import zstandard
from transformers.utils import chat_template_utils

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT = REPO_ROOT / "Tests" / "ModelTests" / "Fixtures" / "chat_templates" / "chat_templates.json.zst"
NOW = real_datetime.datetime(2025, 3, 14, 9, 26, 53)

# Placeholder special tokens, the way a tokenizer's special_tokens_map hands them to the template.
SPECIAL_TOKENS = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}

CONVERSATIONS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [
        {"role": "system", "content": "You are a concise assistant. Answer in one sentence."},
        {"role": "user", "content": "Who wrote \"Le Petit Prince\"?"},
        {"role": "assistant", "content": "Antoine de Saint-Exupéry wrote it in 1943."},
        {"role": "user", "content": "  And where was he born?\nPlease be brief.  "},
    ],
    [
        {"role": "user", "content": "Say hi."},
        {"role": "assistant", "content": "Hi! 👋"},
        {"role": "user", "content": "Now in Japanese: こんにちは?"},
    ],
]


class PinnedDatetime(real_datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return NOW


def read_templates(archive: Path) -> dict[str, str]:
    templates = {}
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            parts = member.name.split("/")
            if member.isfile() and parts[-2:-1] == ["templates"] and member.name.endswith(".jinja") \
                    and "vendor/llama.cpp/models/templates" in member.name:
                templates[parts[-1][: -len(".jinja")]] = tar.extractfile(member).read().decode("utf-8")
    return dict(sorted(templates.items()))


def render(source: str, conversation: list[dict], add_generation_prompt: bool) -> dict:
    try:
        rendered, _ = chat_template_utils.render_jinja_template(
            conversations=[conversation],
            chat_template=source,
            add_generation_prompt=add_generation_prompt,
            **SPECIAL_TOKENS,
        )
        return {"text": rendered[0]}
    except Exception as error:  # the template raised: record what jinja2 said
        return {"error": f"{type(error).__name__}: {error}"}


def main() -> None:
    archives = sys.argv[1:] or glob.glob("/work/material/llama_cpp_python-*.tar.gz")
    assert len(archives) == 1, f"give exactly one llama-cpp-python archive, found {archives}"
    chat_template_utils.datetime = PinnedDatetime
    templates = read_templates(Path(archives[0]))
    assert len(templates) >= 50, f"only {len(templates)} templates found"
    document = {
        "transformers": transformers.__version__,
        "jinja2": jinja2.__version__,
        "now": NOW.isoformat(),
        "special_tokens": SPECIAL_TOKENS,
        "conversations": CONVERSATIONS,
        "templates": [],
    }
    errors = 0
    for name, source in templates.items():
        renders = []
        for index, conversation in enumerate(CONVERSATIONS):
            for add_generation_prompt in (False, True):
                outcome = render(source, conversation, add_generation_prompt)
                errors += "error" in outcome
                renders.append({"conversation": index, "add_generation_prompt": add_generation_prompt, **outcome})
        document["templates"].append({"name": name, "source": source, "renders": renders})
    raw = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    compressed = zstandard.ZstdCompressor(level=19).compress(raw)
    assert len(compressed) < 2_000_000, f"fixture is {len(compressed)} bytes"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(compressed)
    total = sum(len(t["renders"]) for t in document["templates"])
    print(f"{len(templates)} templates, {total} renders ({errors} raise), {len(raw)} bytes -> {len(compressed)} bytes")


if __name__ == "__main__":
    main()

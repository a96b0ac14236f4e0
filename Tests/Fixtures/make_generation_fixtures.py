#!/usr/bin/env python3
"""Greedy-generation reference for Lethe's InferenceSession (run by hand, never by CI).

Writes Tests/ModelTests/Fixtures/generation/greedy.json: for each committed Llama
fixture model (Tests/ModelTests/Fixtures/llama/{mha_tied,gqa_untied,gqa_headdim}) and
each prompt length, a prompt and the 40 tokens that

    model.generate(input_ids, do_sample=False, max_new_tokens=40)

produces in float32 (eager attention, transformers' KV cache), with EOS disabled so
that all 40 tokens come out.

Each path is checked to be robust: its smallest top-1 vs top-2 logit margin is at
least MIN_MARGIN (far above float32 noise, ~1e-5 here), and a float64 copy of the model
generates the same tokens. Prompts are BOS followed by tokens drawn from a seeded
torch.Generator; for each (model, length) the first candidate that passes and whose
continuation has at least MIN_DISTINCT different tokens (so the path is not one token
repeated) is kept. See Tests/Fixtures/README.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_llama_fixtures as llama  # noqa: E402  (its loader and version report)

OUT_DIR = llama.REPO_ROOT / "Tests" / "ModelTests" / "Fixtures" / "generation"
MAX_NEW_TOKENS = 40
PROMPT_LENGTHS = [2, 7, 13, 24]  # 24 + 40 = 64 = max_position_embeddings of every fixture model
MIN_MARGIN = 1e-3
MIN_DISTINCT = 4
CANDIDATES = 50
SEED = 3001


def greedy(model, prompt: list[int]) -> tuple[list[int], float]:
    """The greedy continuation and the smallest top-1 minus top-2 logit along it."""
    ids = torch.tensor([prompt])
    with torch.no_grad():
        out = model.generate(
            ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=MAX_NEW_TOKENS,
            return_dict_in_generate=True, output_logits=True,
        )
    tokens = out.sequences[0, len(prompt):].tolist()
    top2 = torch.stack(out.logits)[:, 0].topk(2, dim=-1).values
    return tokens, (top2[:, 0] - top2[:, 1]).min().item()


def load_without_eos(name: str, dtype=torch.float32):
    model = llama.load_hf(llama.LLAMA_DIR / name, dtype=dtype)
    model.generation_config.eos_token_id = None  # every run yields MAX_NEW_TOKENS tokens
    return model


def make_cases(name: str, seed: int) -> list[dict]:
    model, model64 = load_without_eos(name), load_without_eos(name, torch.float64)
    vocab = model.config.vocab_size
    generator = torch.Generator().manual_seed(seed)
    cases = []
    for length in PROMPT_LENGTHS:
        for _ in range(CANDIDATES):
            prompt = [llama.BOS_ID] + torch.randint(3, vocab, (length - 1,), generator=generator).tolist()
            tokens, margin = greedy(model, prompt)
            assert len(tokens) == MAX_NEW_TOKENS
            if margin >= MIN_MARGIN and len(set(tokens)) >= MIN_DISTINCT:
                assert greedy(model64, prompt)[0] == tokens, f"{name}: float64 path differs for {prompt}"
                cases.append({"model": name, "prompt": prompt, "tokens": tokens, "min_margin": round(margin, 6)})
                break
        else:
            raise AssertionError(f"{name}: no prompt of length {length} passed in {CANDIDATES} candidates")
    return cases


def main() -> int:
    llama.quiet_transformers()
    torch.set_num_threads(1)
    cases = [case for i, (name, *_) in enumerate(llama.LLAMA_SPECS) for case in make_cases(name, SEED + i)]
    document = {
        "max_new_tokens": MAX_NEW_TOKENS,
        "min_margin_required": MIN_MARGIN,
        "generate": "do_sample=False, eager attention, float32, generation_config.eos_token_id=None",
        "versions": llama.versions(),
        "cases": cases,
    }
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / "greedy.json"
    # One case per line: small diffs when regenerated.
    lines = ",\n".join("    " + json.dumps(case) for case in cases)
    header = json.dumps({k: v for k, v in document.items() if k != "cases"}, indent=2)[:-2]
    path.write_text(f'{header},\n  "cases": [\n{lines}\n  ]\n}}\n')
    assert json.loads(path.read_text()) == document
    for case in cases:
        print(f"{case['model']:12s} prompt {len(case['prompt']):2d} tokens, min margin {case['min_margin']:.2e}, "
              f"{len(set(case['tokens']))} distinct")
    print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

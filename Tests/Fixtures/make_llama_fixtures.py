#!/usr/bin/env python3
"""Reference fixtures for Lethe's Swift tests (run by hand, never by CI).

Default mode (no arguments) regenerates, deterministically:

  Tests/ModelTests/Fixtures/llama/<name>/{config.json, model.safetensors,
                                          inputs.json, reference.safetensors}
  Tests/UnlearningTests/Fixtures/adamw/adamw.safetensors

and then re-checks everything it wrote (reload with transformers, compare).
`--only NAME ...` regenerates just the named model fixtures (not adamw), so adding a
fixture leaves the committed ones (and the transformers version they record) alone.

Second mode:

  python3 Tests/Fixtures/make_llama_fixtures.py --check-lethe-output DIR FIXTURE_NAME

loads a model folder written by Lethe (config.json + model.safetensors) and
asserts that its logits on the fixture's inputs.json match the fixture's
reference logits within 1e-4 (max abs).  Prints "OK ..." or the error and
exits non-zero.

See Tests/Fixtures/README.md for the file formats.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import safetensors
import torch
import transformers
from safetensors.torch import load_file, save
from transformers import (AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM, MistralConfig,
                          MistralForCausalLM, PreTrainedModel, Qwen2Config, Qwen2ForCausalLM)
from transformers.modeling_rope_utils import dynamic_rope_update
from transformers.models.llama import modeling_llama
from transformers.models.mistral import modeling_mistral
from transformers.models.qwen2 import modeling_qwen2

REPO_ROOT = Path(__file__).resolve().parents[2]
LLAMA_DIR = REPO_ROOT / "Tests" / "ModelTests" / "Fixtures" / "llama"
ADAMW_DIR = REPO_ROOT / "Tests" / "UnlearningTests" / "Fixtures" / "adamw"

PAD_ID = 0
BOS_ID = 1
EOS_ID = 2
IGNORE_INDEX = -100
BATCH = 3
MATRIX_STD = 0.15  # embeddings, lm_head and all projection matrices
NORM_STD = 0.2  # RMSNorm weights are 1 + NORM_STD * N(0, 1)
CHECK_TOL = 1e-4  # --check-lethe-output: max abs logits difference

# The decoder families: config class, model class, modeling module, class-name prefix.
FAMILIES = {
    "llama": (LlamaConfig, LlamaForCausalLM, modeling_llama, "Llama"),
    "mistral": (MistralConfig, MistralForCausalLM, modeling_mistral, "Mistral"),
    "qwen2": (Qwen2Config, Qwen2ForCausalLM, modeling_qwen2, "Qwen2"),
}

# The small shape of the family fixtures (committed files well under 100 KB each):
# head_dim 8 so that rope scaling has frequencies in every band.
SMALL = dict(
    vocab_size=64,
    hidden_size=32,
    intermediate_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    rms_norm_eps=1e-6,
)

# Every configuration: (fixture name, seed, config kwargs, T). kwargs may name a
# "family" (default llama) and a "rope_scaling" (rope_parameters besides theta).
LLAMA_SPECS = [
    (
        "mha_tied",
        1001,
        dict(
            vocab_size=96,
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=4,
            rope_theta=10000.0,
            tie_word_embeddings=True,
            rms_norm_eps=1e-6,
        ),
        9,
    ),
    (
        "gqa_untied",
        1002,
        dict(
            vocab_size=80,
            hidden_size=48,
            intermediate_size=72,
            num_hidden_layers=2,
            num_attention_heads=6,
            num_key_value_heads=2,
            rope_theta=500000.0,
            tie_word_embeddings=False,
            rms_norm_eps=1e-5,
        ),
        8,
    ),
    (
        "gqa_headdim",
        1003,
        dict(
            vocab_size=64,
            hidden_size=32,
            intermediate_size=40,
            num_hidden_layers=3,
            num_attention_heads=4,
            num_key_value_heads=1,
            head_dim=16,  # != hidden_size / num_attention_heads (= 8)
            rope_theta=10000.0,
            tie_word_embeddings=True,
            rms_norm_eps=1e-6,
        ),
        7,
    ),
    (
        # Llama 3.1 scaling with original_max_position_embeddings 32 and theta 100: the
        # wavelengths 6.3, 20, 63, 199 fall in the kept, interpolated and divided bands.
        "llama3_rope",
        1004,
        dict(
            SMALL,
            rope_theta=100.0,
            rope_scaling=dict(rope_type="llama3", factor=4.0, low_freq_factor=1.0, high_freq_factor=4.0,
                              original_max_position_embeddings=32),
            tie_word_embeddings=True,
        ),
        9,
    ),
    (
        "linear_rope",
        1005,
        dict(SMALL, rope_theta=10000.0, rope_scaling=dict(rope_type="linear", factor=2.0), tie_word_embeddings=False),
        9,
    ),
    (
        # T = 9 > max_position_embeddings = 6: transformers stretches the base for seq_len 9.
        "dynamic_rope",
        1006,
        dict(SMALL, rope_theta=10000.0, rope_scaling=dict(rope_type="dynamic", factor=3.0), tie_word_embeddings=True,
             max_position_embeddings=6),
        9,
    ),
    (
        # Qwen2.5-0.5B's shape in miniature: q/k/v biases, tied embeddings, GQA.
        "qwen2_bias",
        1007,
        dict(SMALL, family="qwen2", rope_theta=1000000.0, tie_word_embeddings=True, use_sliding_window=False),
        9,
    ),
    (
        # A window of 3 keys over 9 positions: query i sees keys i-2, i-1, i.
        "mistral_window",
        1008,
        dict(SMALL, family="mistral", rope_theta=10000.0, tie_word_embeddings=False, sliding_window=3),
        9,
    ),
    (
        # Llama's attention_bias: biases on q, k, v and o.
        "llama_attention_bias",
        1009,
        dict(SMALL, rope_theta=10000.0, tie_word_embeddings=True, attention_bias=True),
        9,
    ),
]
COMMON_CONFIG = dict(
    max_position_embeddings=64,
    bos_token_id=BOS_ID,
    eos_token_id=EOS_ID,
    # pad_token_id deliberately left None: with pad_token_id=0, nn.Embedding
    # would get padding_idx=0 and silently zero the gradient of row 0.
    hidden_act="silu",
    attention_dropout=0.0,
)
LLAMA_ONLY_CONFIG = dict(attention_bias=False, mlp_bias=False)

ADAMW_SETTINGS = {
    # name: (lr, beta1, beta2, eps, weight_decay, seed)
    "a": (1e-3, 0.9, 0.999, 1e-8, 0.01, 2001),
    "b": (3e-2, 0.8, 0.95, 1e-6, 0.1, 2002),
}
ADAMW_N = 1000
ADAMW_STEPS = 3


def versions() -> dict[str, str]:
    return {
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "safetensors_version": safetensors.__version__,
    }


def save_file(tensors: dict[str, torch.Tensor], path: str, metadata: dict[str, str]) -> None:
    """safetensors.torch.save_file, but byte-for-byte reproducible.

    safetensors 0.8 serialises __metadata__ from a hash map, so its key order
    (and hence the file bytes) changes from run to run.  Re-emit the JSON header
    with sorted keys (same format: 8-byte little-endian length, JSON padded with
    spaces to a multiple of 8, then the unchanged data section).
    """
    raw = save(tensors, metadata=metadata)
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    ordered = {"__metadata__": dict(sorted(header.pop("__metadata__").items()))}
    ordered.update(sorted(header.items()))
    text = json.dumps(ordered, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    Path(path).write_bytes(len(text).to_bytes(8, "little") + text + raw[8 + n :])
    back = load_file(path)
    assert sorted(back) == sorted(tensors) and all(torch.equal(back[k], tensors[k]) for k in tensors)


def quiet_transformers():
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning)


# --------------------------------------------------------------------------
# Fully float64 evaluation of the Hugging Face Llama code.
#
# Stock transformers, even after model.double(), drops to float32 in four
# places: RMSNorm (casts the input to float32), the rotary embedding (inv_freq
# and cos/sin computed in float32), eager attention (softmax with
# dtype=float32) and the causal-LM loss (logits.float()).  For the reference
# we temporarily replace exactly those pieces with float64-preserving copies
# (same math, no casts) and compute the loss ourselves in float64.  The script
# then verifies that stock HF (float64 and float32) agrees with this reference.
# --------------------------------------------------------------------------
@contextlib.contextmanager
def full_float64_llama(family: str = "llama"):
    _, _, ml, prefix = FAMILIES[family]
    rms_class, rope_class = getattr(ml, f"{prefix}RMSNorm"), getattr(ml, f"{prefix}RotaryEmbedding")
    saved = (rms_class.forward, rope_class.forward, ml.eager_attention_forward)
    calls = {"rms": 0, "rope": 0, "attn": 0}

    def rms_forward(self, hidden_states):
        calls["rms"] += 1
        variance = hidden_states.pow(2).mean(-1, keepdim=True)
        return self.weight * (hidden_states * torch.rsqrt(variance + self.variance_epsilon))

    @dynamic_rope_update  # dynamic NTK scaling recomputes self.inv_freq for long sequences
    def rope_forward(self, x, position_ids):
        calls["rope"] += 1
        assert self.attention_scaling == 1.0
        if self.rope_type == "default":
            base = self.config.rope_parameters["rope_theta"]
            dim = self.inv_freq.shape[0] * 2  # = head_dim
            inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
        else:
            # Scaled frequencies exactly as transformers computes them (in float32).
            inv_freq = self.inv_freq.to(torch.float64)
        freqs = position_ids[..., None].to(torch.float64) * inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(x.dtype), emb.sin().to(x.dtype)

    def attn_forward(module, query, key, value, attention_mask, scaling, dropout=0.0, **kwargs):
        calls["attn"] += 1
        key_states = ml.repeat_kv(key, module.num_key_value_groups)
        value_states = ml.repeat_kv(value, module.num_key_value_groups)
        attn_weights = torch.matmul(query, key_states.transpose(2, 3)) * scaling
        if attention_mask is not None:
            attn_weights = attn_weights + attention_mask
        attn_weights = torch.nn.functional.softmax(attn_weights, dim=-1)
        attn_output = torch.matmul(attn_weights, value_states)
        return attn_output.transpose(1, 2).contiguous(), attn_weights

    rms_class.forward = rms_forward
    rope_class.forward = rope_forward
    ml.eager_attention_forward = attn_forward
    try:
        yield calls
    finally:
        rms_class.forward, rope_class.forward, ml.eager_attention_forward = saved


def causal_lm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """HF ForCausalLMLoss without its float32 cast: mean NLL over shifted, non-ignored targets."""
    vocab = logits.shape[-1]
    shift_logits = logits[:, :-1, :].reshape(-1, vocab)
    shift_labels = labels[:, 1:].reshape(-1)
    return torch.nn.functional.cross_entropy(
        shift_logits, shift_labels, ignore_index=IGNORE_INDEX, reduction="mean"
    )


# --------------------------------------------------------------------------
# Llama fixtures
# --------------------------------------------------------------------------
def family_of(spec_kwargs: dict) -> str:
    return spec_kwargs.get("family", "llama")


def expected_rope_parameters(spec_kwargs: dict) -> dict:
    return {"rope_type": "default", **spec_kwargs.get("rope_scaling", {}), "rope_theta": spec_kwargs["rope_theta"]}


def build_config(spec_kwargs: dict):
    family = family_of(spec_kwargs)
    kw = dict(COMMON_CONFIG, **(LLAMA_ONLY_CONFIG if family == "llama" else {}))
    kw.update(spec_kwargs)
    kw.pop("family", None)
    kw.pop("rope_scaling", None)
    kw.pop("rope_theta")
    # transformers 5.x: rope_theta and the scaling live inside rope_parameters.
    kw["rope_parameters"] = expected_rope_parameters(spec_kwargs)
    return FAMILIES[family][0](**kw)


def check_config(config, spec_kwargs: dict) -> None:
    # In transformers 5.x `config.rope_scaling` is a deprecated alias that returns
    # `config.rope_parameters`; "no RoPE scaling" means rope_type == "default".
    assert config.rope_parameters == expected_rope_parameters(spec_kwargs), config.rope_parameters
    family = family_of(spec_kwargs)
    assert config.model_type == family
    if family == "llama":
        assert config.attention_bias is spec_kwargs.get("attention_bias", False) and config.mlp_bias is False
        assert config.pretraining_tp == 1
    if family == "mistral":
        assert config.sliding_window == spec_kwargs["sliding_window"]
    if family == "qwen2":
        assert config.sliding_window is None and set(config.layer_types) == {"full_attention"}
    assert config.hidden_act == "silu"
    assert config.pad_token_id is None
    for key in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                "num_attention_heads", "num_key_value_heads", "tie_word_embeddings", "rms_norm_eps"):
        assert getattr(config, key) == spec_kwargs[key], key
    expected_head_dim = spec_kwargs.get("head_dim", spec_kwargs["hidden_size"] // spec_kwargs["num_attention_heads"])
    assert getattr(config, "head_dim", config.hidden_size // config.num_attention_heads) == expected_head_dim


def init_weights(model: PreTrainedModel, seed: int) -> None:
    """Deterministic, deliberately large init (HF default std 0.02 is too gentle for a parity test)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():  # tied lm_head appears once, as embed_tokens
            if name.endswith("norm.weight"):
                p.copy_(1.0 + NORM_STD * torch.randn(p.shape, generator=gen, dtype=torch.float32))
            else:
                p.copy_(MATRIX_STD * torch.randn(p.shape, generator=gen, dtype=torch.float32))


def make_inputs(vocab: int, T: int, seed: int, window: int | None = None) -> dict[str, list[list[int]]]:
    gen = torch.Generator().manual_seed(seed)
    # Under a sliding window, a padded query more than `window` past the last real token
    # sees no key at all; transformers' output there is undefined (NaN in float64, a
    # uniform average in float32), so the short sequence keeps every padded query in reach.
    lengths = [T, T - 2, 3 if window is None else max(3, T - window + 1)]
    input_ids, attention_mask, labels = [], [], []
    for L in lengths:
        # real tokens: BOS first, then ids in [3, vocab) (never pad/bos/eos)
        toks = [BOS_ID] + torch.randint(3, vocab, (L - 1,), generator=gen).tolist()
        input_ids.append(toks + [PAD_ID] * (T - L))
        attention_mask.append([1] * L + [0] * (T - L))
        labels.append(toks + [IGNORE_INDEX] * (T - L))
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


def write_inputs_json(path: Path, inputs: dict) -> None:
    # Compact, one sequence per line, for readable diffs.
    lines = ["{"]
    keys = ["input_ids", "attention_mask", "labels"]
    for ki, key in enumerate(keys):
        rows = ",\n    ".join(json.dumps(r, separators=(", ", ": ")) for r in inputs[key])
        lines.append(f'  "{key}": [\n    {rows}\n  ]' + ("," if ki < len(keys) - 1 else ""))
    lines.append("}")
    path.write_text("\n".join(lines) + "\n")
    assert json.loads(path.read_text()) == inputs


def load_inputs(path: Path) -> dict[str, torch.Tensor]:
    raw = json.loads(path.read_text())
    return {k: torch.tensor(raw[k], dtype=torch.long) for k in ("input_ids", "attention_mask", "labels")}


def load_hf(folder: Path, dtype=torch.float32) -> PreTrainedModel:
    model, info = AutoModelForCausalLM.from_pretrained(
        str(folder), attn_implementation="eager", dtype=dtype, output_loading_info=True
    )
    bad = {k: v for k, v in info.items() if v and k != "error_msgs"}
    if bad or info.get("error_msgs"):
        raise AssertionError(f"from_pretrained({folder}) loading problems: {info}")
    model.eval()
    return model


def reference_forward_backward(model: PreTrainedModel, inputs: dict[str, torch.Tensor]):
    """float64 logits, loss and parameter gradients."""
    model.zero_grad(set_to_none=True)
    with full_float64_llama(model.config.model_type) as calls:
        out = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])
        logits = out.logits
        assert logits.dtype == torch.float64
        loss = causal_lm_loss(logits, inputs["labels"])
        loss.backward()
    n_layers = model.config.num_hidden_layers
    assert calls == {"rms": 2 * n_layers + 1, "rope": 1, "attn": n_layers}, calls
    grads = {name: p.grad.detach().clone() for name, p in model.named_parameters()}
    return logits.detach(), loss.detach(), grads


def stock_forward_backward(model: PreTrainedModel, inputs: dict[str, torch.Tensor]):
    """Unmodified transformers, loss via labels=..."""
    model.zero_grad(set_to_none=True)
    out = model(**inputs)
    out.loss.backward()
    grads = {name: p.grad.detach().clone() for name, p in model.named_parameters()}
    return out.logits.detach(), out.loss.detach(), grads


def max_abs(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a.double() - b.double()).abs().max().item()


def max_rel(a: dict, b: dict) -> float:
    """max over tensors of max|a-b| / max|b| (relative to the tensor's scale)."""
    return max(max_abs(a[k], b[k]) / b[k].double().abs().max().item() for k in b)


def make_llama_fixture(name: str, seed: int, spec_kwargs: dict, T: int) -> dict:
    out_dir = LLAMA_DIR / name
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)

    # 1. config + float32 weights, written by transformers itself.
    config = build_config(spec_kwargs)
    check_config(config, spec_kwargs)
    torch.manual_seed(seed)
    model = FAMILIES[family_of(spec_kwargs)][1](config).to(torch.float32)
    init_weights(model, seed)
    if config.tie_word_embeddings:
        assert model.lm_head.weight is model.model.embed_tokens.weight
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        shutil.copyfile(Path(tmp) / "config.json", out_dir / "config.json")
        shutil.copyfile(Path(tmp) / "model.safetensors", out_dir / "model.safetensors")
        # generation_config.json is also written by save_pretrained; not needed, not kept.

    # 2. inputs
    inputs_raw = make_inputs(config.vocab_size, T, seed + 500, getattr(config, "sliding_window", None))
    write_inputs_json(out_dir / "inputs.json", inputs_raw)
    inputs = load_inputs(out_dir / "inputs.json")

    # 3. reference, from the files just written: float32 weights -> float64.
    weights = load_file(str(out_dir / "model.safetensors"))
    param_names = [n for n, _ in model.named_parameters()]
    assert sorted(weights) == sorted(param_names), (sorted(weights), sorted(param_names))
    assert ("lm_head.weight" in weights) == (not config.tie_word_embeddings)
    assert all(t.dtype == torch.float32 for t in weights.values())
    for n, p in model.named_parameters():
        assert torch.equal(weights[n], p.detach()), n

    ref_model = load_hf(out_dir).double()
    check_config(ref_model.config, spec_kwargs)
    if config.tie_word_embeddings:
        assert ref_model.lm_head.weight is ref_model.model.embed_tokens.weight
    logits, loss, grads = reference_forward_backward(ref_model, inputs)
    assert sorted(grads) == sorted(param_names)

    tensors = {"logits": logits.float().contiguous(), "loss": loss.float().reshape(1)}
    for n in param_names:
        tensors[f"grad.{n}"] = grads[n].float().contiguous()
    n_targets = int((inputs["labels"][:, 1:] != IGNORE_INDEX).sum())
    meta = {
        "fixture": name,
        "loss_reduction": "mean over shifted targets != -100",
        "loss_num_targets": str(n_targets),
        "computed_in": "float64 (HF eager with float32 casts in RMSNorm/RoPE/softmax/loss removed)",
        **versions(),
    }
    save_file(tensors, str(out_dir / "reference.safetensors"), metadata=meta)

    # 4. sanity checks against stock transformers.
    report = {"name": name, "loss": loss.item(), "n_targets": n_targets}
    # (a) stock HF in float64 (with its internal float32 casts) incl. HF's own loss
    s_logits, s_loss, s_grads = stock_forward_backward(ref_model, inputs)
    report["stock_f64_logits"] = max_abs(s_logits, logits)
    report["stock_f64_loss"] = abs(s_loss.item() - loss.item())
    report["stock_f64_grad_rel"] = max_rel(s_grads, grads)
    # (b) stock HF float32 reload: what --check-lethe-output compares against
    f32 = load_hf(out_dir)
    f_logits, f_loss, f_grads = stock_forward_backward(f32, inputs)
    report["stock_f32_logits"] = max_abs(f_logits, logits)
    report["stock_f32_loss"] = abs(f_loss.item() - loss.item())
    report["stock_f32_grad_rel"] = max_rel(f_grads, grads)
    # (c) stored float32 reference vs float64 values (storage rounding only)
    stored = load_file(str(out_dir / "reference.safetensors"))
    assert torch.equal(stored["logits"], logits.float())
    report["logits_absmax"] = logits.abs().max().item()
    report["min_grad_absmax"] = min(g.abs().max().item() for g in grads.values())
    assert report["stock_f64_logits"] < 1e-5 and report["stock_f32_logits"] < 1e-4, report
    assert report["stock_f64_loss"] < 1e-6 and report["stock_f32_loss"] < 1e-5, report
    assert report["stock_f64_grad_rel"] < 1e-5 and report["stock_f32_grad_rel"] < 1e-3, report
    # The padded query rows must not influence anything else: perturbing pad ids
    # changes neither valid-position logits nor the loss.
    with torch.no_grad(), full_float64_llama(config.model_type):
        alt = dict(inputs)
        alt["input_ids"] = torch.where(inputs["attention_mask"] == 1, inputs["input_ids"], 5)
        alt_logits = ref_model(input_ids=alt["input_ids"], attention_mask=alt["attention_mask"]).logits
    valid = inputs["attention_mask"].bool()
    assert max_abs(alt_logits[valid], logits[valid]) < 1e-12
    return report


def check_folder(folder: Path, fixture: Path) -> float:
    """Shared by --check-lethe-output and the self-test: max abs logits diff (float32 HF)."""
    tensors = load_file(str(folder / "model.safetensors"))
    model = load_hf(folder)
    # every tensor in the file must be a parameter the model actually uses, with the same values
    params = dict(model.named_parameters())
    expected = sorted(params)
    if sorted(tensors) != expected:
        raise AssertionError(
            f"tensor names differ: missing {sorted(set(expected) - set(tensors))}, "
            f"unexpected {sorted(set(tensors) - set(expected))}"
        )
    for n, t in tensors.items():
        if t.dtype != torch.float32:
            raise AssertionError(f"{n}: dtype {t.dtype}, expected float32")
        if not torch.equal(t, params[n].detach()):
            raise AssertionError(f"{n}: model parameter differs from model.safetensors")
    inputs = load_inputs(fixture / "inputs.json")
    ref = load_file(str(fixture / "reference.safetensors"))
    with torch.no_grad():
        logits = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]).logits
    if logits.shape != ref["logits"].shape:
        raise AssertionError(f"logits shape {tuple(logits.shape)} != reference {tuple(ref['logits'].shape)}")
    return max_abs(logits, ref["logits"])


# --------------------------------------------------------------------------
# AdamW fixture
# --------------------------------------------------------------------------
def adamw_inputs(s: str):
    lr, b1, b2, eps, wd, seed = ADAMW_SETTINGS[s]
    gen = torch.Generator().manual_seed(seed)
    param0 = torch.randn(ADAMW_N, generator=gen, dtype=torch.float32)
    grads = []
    for _ in range(ADAMW_STEPS):
        # magnitudes spread over 1e-4 .. 1 so that eps matters for some entries
        scale = 10.0 ** (-4.0 * torch.rand(ADAMW_N, generator=gen, dtype=torch.float32))
        grads.append(torch.randn(ADAMW_N, generator=gen, dtype=torch.float32) * scale)
    if s == "b":
        # zeros: entries 0..49 get exactly zero gradient at every step (exp_avg and
        # exp_avg_sq stay 0, the update is pure weight decay); entries 50..99 only
        # at step 2; plus every 7th entry at step 3.
        grads[0][:50] = 0.0
        grads[1][:100] = 0.0
        grads[2][:50] = 0.0
        grads[2][::7] = 0.0
        # a few tiny gradients, comparable to eps
        grads[0][100:110] = 1e-7
        grads[1][100:110] = -1e-7
    return param0, grads


def run_adamw(param0, grads, hp, foreach):
    lr, b1, b2, eps, wd = hp
    p = torch.nn.Parameter(param0.clone())
    opt = torch.optim.AdamW([p], lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd, foreach=foreach)
    params = []
    for g in grads:
        p.grad = g.clone()
        opt.step()
        params.append(p.detach().clone())
    st = opt.state[p]
    return params, st["exp_avg"].clone(), st["exp_avg_sq"].clone()


def adamw_float64(param0, grads, hp):
    """Textbook AdamW in float64, to report how far torch's float32 result is from it."""
    lr, b1, b2, eps, wd = hp
    p = param0.double().clone()
    m = torch.zeros_like(p)
    v = torch.zeros_like(p)
    out = []
    for t, g in enumerate(grads, start=1):
        g = g.double()
        p = p * (1 - lr * wd)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat = m / (1 - b1**t)
        p = p - lr * mhat / (torch.sqrt(v) / math.sqrt(1 - b2**t) + eps)
        out.append(p)
    return out, m, v


def make_adamw_fixture() -> dict:
    ADAMW_DIR.mkdir(parents=True, exist_ok=True)
    for f in ADAMW_DIR.iterdir():
        f.unlink()
    tensors, meta, report = {}, {}, {}
    probe = torch.nn.Parameter(torch.zeros(1))
    from torch.optim.optimizer import _default_to_fused_or_foreach

    _, default_foreach = _default_to_fused_or_foreach([probe], differentiable=False, use_fused=False)
    for s, (lr, b1, b2, eps, wd, seed) in ADAMW_SETTINGS.items():
        hp = (lr, b1, b2, eps, wd)
        param0, grads = adamw_inputs(s)
        params, exp_avg, exp_avg_sq = run_adamw(param0, grads, hp, foreach=None)  # torch default
        p_single, m_single, v_single = run_adamw(param0, grads, hp, foreach=False)
        p_multi, m_multi, v_multi = run_adamw(param0, grads, hp, foreach=True)
        assert all(torch.equal(a, b) for a, b in zip(params, p_single))
        assert torch.equal(exp_avg, m_single) and torch.equal(exp_avg_sq, v_single)
        p64, m64, v64 = adamw_float64(param0, grads, hp)
        tensors[f"{s}.param.0"] = param0
        for t in range(ADAMW_STEPS):
            tensors[f"{s}.grad.{t + 1}"] = grads[t]
            tensors[f"{s}.param.{t + 1}"] = params[t]
        tensors[f"{s}.exp_avg.3"] = exp_avg
        tensors[f"{s}.exp_avg_sq.3"] = exp_avg_sq
        meta.update({
            f"{s}.lr": repr(lr), f"{s}.beta1": repr(b1), f"{s}.beta2": repr(b2),
            f"{s}.eps": repr(eps), f"{s}.weight_decay": repr(wd),
            f"{s}.amsgrad": "false", f"{s}.maximize": "false",
            f"{s}.steps": str(ADAMW_STEPS), f"{s}.seed": str(seed),
        })
        step_mag = max((params[t] - (param0 if t == 0 else params[t - 1])).abs().max().item() for t in range(3))
        report[s] = {
            "zero_grad_entries": [int((g == 0).sum()) for g in grads],
            "foreach_vs_single_max_abs": max(max_abs(a, b) for a, b in zip(p_multi, params)),
            "float64_vs_torch_max_abs": max(max_abs(a, b) for a, b in zip(params, p64)),
            "max_step_abs": step_mag,
        }
        if s == "b":
            # entries with zero gradient at every step: pure decoupled weight decay
            decay = param0[:50].double() * (1 - lr * wd) ** 3
            report[s]["all_zero_grad_entries_vs_pure_decay"] = max_abs(params[2][:50], decay)
            assert torch.equal(exp_avg[:50], torch.zeros(50)) and torch.equal(exp_avg_sq[:50], torch.zeros(50))
    meta.update({
        "optimizer": "torch.optim.AdamW, float32 CPU tensors, default arguments otherwise",
        "implementation": "single-tensor (_single_tensor_adam)" if not default_foreach else "foreach",
        "grad_k_fed_before_step_k": "true",
        "n": str(ADAMW_N),
        **versions(),
    })
    assert not default_foreach, "expected torch to default to the single-tensor path on CPU"
    save_file(tensors, str(ADAMW_DIR / "adamw.safetensors"), metadata=meta)
    back = load_file(str(ADAMW_DIR / "adamw.safetensors"))
    assert all(torch.equal(back[k], v) for k, v in tensors.items())
    report["default_foreach"] = default_foreach
    return report


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------
def generate(only: list[str] | None = None) -> None:
    torch.set_num_threads(1)
    unknown = set(only or []) - {name for name, *_ in LLAMA_SPECS}
    assert not unknown, f"no fixture spec named {sorted(unknown)}"
    specs = [spec for spec in LLAMA_SPECS if only is None or spec[0] in only]
    reports = [make_llama_fixture(*spec) for spec in specs]
    for r in reports:
        print(
            f"{r['name']:12s} loss={r['loss']:.6f} targets={r['n_targets']} |logits|max={r['logits_absmax']:.3f} "
            f"min grad absmax={r['min_grad_absmax']:.2e}\n"
            f"{'':12s} stock HF f64 vs ref: logits {r['stock_f64_logits']:.1e}, loss {r['stock_f64_loss']:.1e}, "
            f"grads rel {r['stock_f64_grad_rel']:.1e}\n"
            f"{'':12s} stock HF f32 vs ref: logits {r['stock_f32_logits']:.1e}, loss {r['stock_f32_loss']:.1e}, "
            f"grads rel {r['stock_f32_grad_rel']:.1e}"
        )
    # self-test of the check mode on the fixture folders themselves
    for name, *_ in specs:
        err = check_folder(LLAMA_DIR / name, LLAMA_DIR / name)
        assert err < CHECK_TOL
        print(f"{name:12s} check-lethe-output self-test: max abs logits diff {err:.2e}")
    if only is None:
        ad = make_adamw_fixture()
        print(f"adamw: torch default foreach on CPU = {ad.pop('default_foreach')}")
        for s, r in ad.items():
            print(f"adamw {s}: {r}")
    total = sum(f.stat().st_size for d in (LLAMA_DIR, ADAMW_DIR) for f in d.rglob("*") if f.is_file())
    print(f"total bytes written: {total}")
    assert total < 2_000_000
    print(" ".join(f"{k}={v}" for k, v in versions().items()))


def check_lethe_output(folder: str, fixture_name: str) -> int:
    torch.set_num_threads(1)
    fixture = LLAMA_DIR / fixture_name
    try:
        if not (fixture / "reference.safetensors").is_file():
            raise AssertionError(f"no fixture named {fixture_name!r} in {LLAMA_DIR}")
        err = check_folder(Path(folder), fixture)
        if not err <= CHECK_TOL:
            raise AssertionError(f"logits differ from reference: max abs {err:.3e} > {CHECK_TOL:g}")
    except Exception as e:  # noqa: BLE001 -- report any failure as the error
        print(f"ERROR {folder} vs {fixture_name}: {type(e).__name__}: {e}")
        return 1
    print(f"OK {folder} vs {fixture_name}: max abs logits diff {err:.3e} (tol {CHECK_TOL:g})")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check-lethe-output", nargs=2, metavar=("DIR", "FIXTURE_NAME"),
                    help="compare a Lethe-written model folder against fixture FIXTURE_NAME")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="regenerate only these model fixtures (not adamw)")
    args = ap.parse_args(argv)
    quiet_transformers()
    if args.check_lethe_output:
        return check_lethe_output(*args.check_lethe_output)
    generate(args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())

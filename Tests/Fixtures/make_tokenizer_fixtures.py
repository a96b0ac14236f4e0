#!/usr/bin/env python3
"""Tokenizer parity fixtures for Lethe's Swift tests (run by hand, never by CI).

Writes, deterministically, under Tests/ModelTests/Fixtures/tokenizer/:

  corpus.txt          training text (generated here, no downloads)
  texts.json          the text set every tokenizer is checked on
  pretokenize.json    random strings and how tokenizers' Split/Digits pre-tokenizers cut them
  <name>/tokenizer.json, <name>/expected.json   one folder per fixture tokenizer:
    gpt2_trained         trained by tokenizers' BpeTrainer, GPT-2 byte-level setup
    gpt2_prefix_digits   the same model with add_prefix_space, Digits and a BOS/EOS template
    llama3_style         Llama 3's Split pattern, ignore_merges, a BOS template, added tokens
                         with lstrip/rstrip/single_word, tokenizer_config.json and config.json
    qwen2_style          Qwen2's pattern, NFC, special tokens after the vocabulary, a
                         normalized added token, merges in the legacy "a b" string form
    lethe_trained        written by Lethe's own BPETrainer (see below); only expected.json
                         is written here

expected.json holds tokenizers' ids for every text (with and without
add_special_tokens), its decode of them (with and without skip_special_tokens), decodes of
id lists that are not valid UTF-8, and summaries of very long inputs.

lethe_trained/tokenizer.json comes from the Swift test
  LETHE_WRITE_TOKENIZER_FIXTURE=1 swift test --filter TokenizerTrainerTests
which trains on corpus.txt. Run this script, then that test, then this script again (it
prints what is missing). See Tests/Fixtures/README.md.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import unicodedata
from pathlib import Path

import tokenizers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT = REPO_ROOT / "Tests" / "ModelTests" / "Fixtures" / "tokenizer"

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
LLAMA3_PATTERN = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
QWEN2_PATTERN = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""

WORDS = """the of and to a in is it you that he was for on are with as I his they be at one have this
from or had by hot word but what some we can out other were all there when up use your how said an
each she which do their time if will way about many then them write would like so these her long make
thing see him two has look more day could go come did number sound no most people my over know water
than call first who may down side been now find any new work part take get place made live where after
back little only round man year came show every good me give our under name very through just form
sentence great think say help low line differ turn cause much mean before move right boy old too same
tell does set three want air well also play small end put home read hand port large spell add even land
here must big high such follow act why ask men change went light kind off need house picture try us
again animal point mother world near build self earth father head stand own page should country found
answer school grow study still learn plant cover food sun four between state keep eye never last let
thought city tree cross farm hard start might story saw far sea draw left late run don't while press
close night real life few north open seem together next white children begin got walk example ease paper
group always music those both mark often letter until mile river car feet care second book carry took
science eat room friend began idea fish mountain stop once base hear horse cut sure watch color face wood
main enough plain girl usual young ready above ever red list though feel talk bird soon body dog family
direct pose leave song measure door product black short numeral class wind question happen complete ship
area half rock order fire south problem piece told knew pass since top whole king space heard best hour
better true during hundred five remember step early hold west ground interest reach fast verb sing listen
six table travel less morning ten simple several vowel toward war lay against pattern slow center love
person money serve appear road map rain rule govern pull cold notice voice unit power town fine certain
fly fall lead cry dark machine note wait plan figure star box noun field rest correct able pound done
beauty drive stood contain front teach week final gave green oh quick develop ocean warm free minute
strong special mind behind clear tail produce fact street inch multiply nothing course stay wheel full
force blue object decide surface deep moon island foot system busy test record boat common gold possible
plane stead dry wonder laugh thousand ago ran check game shape equate miss brought heat snow tire bring
yes distant fill east paint language among""".split()

EXTRA_WORDS = ["café", "naïve", "résumé", "Zürich", "São", "Paulo", "東京", "日本語", "你好", "世界", "한국어",
               "Москва", "привет", "Ελλάδα", "😀", "👍🏽", "🚀", "it's", "we're", "they've", "I'll", "she'd", "I'm",
               "1,000", "2024", "3.14", "42", "$5", "e-mail", "C++", "well-known"]

TEXTS = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "",
    " leading space",
    "trailing space ",
    "  two leading spaces and two trailing  ",
    "Ünïcödé àccents: café, naïve, résumé, Zürich, São Paulo, Ærøskøbing",
    "decomposed: cafe\u0301 nai\u0308ve A\u030a and precomposed: café naïve Å",
    "你好，世界！日本語のテキストです。한국어 텍스트도 있습니다.",
    "I \u2764\ufe0f Swift 👍🏽👍🏿 👨\u200d👩\u200d👧\u200d👦 🏳\ufe0f\u200d🌈 🇫🇷🇯🇵 😀😃😄",
    "mixed: Русский текст, Ελληνικά, العربية, עברית, हिन्दी, ไทย, 中文 and English",
    "digits 1234567890 3.14159 1,000,000 2024-01-15 007 ٣٤٥ ①② ½ Ⅻ",
    "a" + " " * 20 + "b",
    "\t\t\tindented with tabs\n\n\n",
    "x \r\n y\r\n\r\n  z\r\n",
    "    ",
    "\n",
    "\r\n",
    " \n \n x",
    "I'm you're he's she'd we'll they've it's DON'T I'M YOU'RE HE'S 'S 'Ll x'ſ",
    "before<|endoftext|>after",
    "<|endoftext|><|pad|>",
    " <|endoftext|> spaced out <|pad|> ",
    "<|endoftext|>",
    "<|begin_of_text|>Hello<|eot_id|> and <|end_of_text|>",
    "<|im_start|>user\nWhat's 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>",
    "lstrip/rstrip: a   <|reserved|>   b and single word: cat category the cat, cats",
    "normalized added token: hello world and cafe\u0301 vs café",
    "def f(x):\n    return x**2  # square\n",
    "!!! ??? ... --- *** ((( ))) [b] {c} <d> @#$%^&",
    "no-break\u00a0space, ideographic\u3000space, line\u2028separator, next\u0085line, zero\u200bwidth",
    "The price is $1,234.56 (approx. €1.100) — 15% off! «quoted» “curly” ‘single’",
    "\u0000\u0007bell\u001b[0m and tab\there",
    "Z\u0334\u0321a\u0336l\u0337g\u0338o\u0335 e\u0301\u0302",
    "Pneumonoultramicroscopicsilicovolcanoconiosis aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "https://example.com/path?q=1&r=2#frag user@example.org",
    "The the THE tHe thE, the. 'the' \"the\"",
    "unknown-ish: \ufffd \U0001F9EC \U000E0041 \u180e",
]

# Id lists whose bytes are not valid UTF-8 (built from byte tokens in make_decode_cases).
INVALID_BYTE_SEQUENCES = [
    [0xF0, 0x9F, 0x98],        # a truncated 4-byte character
    [0xED, 0xA0, 0x80],        # an encoded surrogate
    [0xC0, 0xAF],              # an overlong slash
    [0xE2, 0x82],              # truncated, then nothing
    [0xF5, 0x80],              # a byte that never occurs in UTF-8
    [0x80, 0x80, 0x41],        # lone continuation bytes, then "A"
    [0xE2, 0x28, 0xA1],        # a broken sequence with "(" inside
    [0xF4, 0x90, 0x80, 0x80],  # above U+10FFFF
    [0xFF],
]


def lcg(seed: int):
    """The generator the Swift tests reproduce: 64-bit LCG, high bits."""
    state = seed
    while True:
        state = (state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        yield state >> 33


def long_input(name: str) -> str:
    """The long inputs of Tests/ModelTests/TokenizerFixtures.swift, built the same way."""
    recipes = {
        "letters_1mb": (1, "etaoinshrdlu", 1_000_000, "", ""),
        "spaces_100kb": (2, " ", 100_000, "x", "y"),
        "whitespace_mix_100kb": (3, " \t\n\r\u3000", 100_000, "", "z"),
        "digits_100k": (4, "0123456789", 100_000, "", ""),
        "cjk_100k": (5, "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年", 100_000, "", ""),
    }
    seed, alphabet, count, prefix, suffix = recipes[name]
    numbers = lcg(seed)
    return prefix + "".join(alphabet[next(numbers) % len(alphabet)] for _ in range(count)) + suffix


LONG_INPUTS = ["letters_1mb", "spaces_100kb", "whitespace_mix_100kb", "digits_100k", "cjk_100k"]


def make_corpus() -> list[str]:
    rng = random.Random(20240615)
    weights = [1.0 / (rank + 1) for rank in range(len(WORDS))]
    lines = []
    for _ in range(420):
        words = []
        for _ in range(rng.randint(5, 14)):
            words.append(rng.choice(EXTRA_WORDS) if rng.random() < 0.08 else rng.choices(WORDS, weights)[0])
        words[0] = words[0][:1].upper() + words[0][1:]
        line = " ".join(words) + rng.choice([".", ".", ".", "!", "?", ",", ";", ":", "..."])
        if rng.random() < 0.1:
            line = "  " + line
        if rng.random() < 0.1:
            line += "\t(" + str(rng.randint(0, 99999)) + ")"
        lines.append(line)
    return lines


def byte_level_trainer(vocab_size, special_tokens, min_frequency=2):
    return trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=special_tokens,
                               initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)


def make_gpt2_trained(corpus):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.train_from_iterator(corpus, trainer=byte_level_trainer(400, ["<|endoftext|>", "<|pad|>"]))
    return tok


def make_gpt2_prefix_digits(gpt2):
    tok = Tokenizer.from_str(gpt2.to_str())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True),
    ])
    eot = tok.token_to_id("<|endoftext|>")
    pad = tok.token_to_id("<|pad|>")
    tok.post_processor = processors.TemplateProcessing(
        single="<|pad|> $A <|endoftext|>", pair="<|pad|> $A <|endoftext|> $B:1 <|endoftext|>:1",
        special_tokens=[("<|endoftext|>", eot), ("<|pad|>", pad)])
    return tok


def make_llama3_style(corpus):
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"]
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(corpus, trainer=byte_level_trainer(420, specials))
    tok.add_special_tokens([AddedToken("<|reserved|>", special=True, lstrip=True, rstrip=True, normalized=False)])
    tok.add_tokens([AddedToken("cat", single_word=True, special=False)])
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|>:1 $B:1",
                                      special_tokens=[("<|begin_of_text|>", bos)]),
    ])
    return tok


def make_qwen2_style(corpus):
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.train_from_iterator(corpus, trainer=byte_level_trainer(380, []))
    # As in Qwen2, the special tokens come after the whole vocabulary.
    tok.add_special_tokens(["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    tok.add_tokens([AddedToken("hello world", normalized=True), AddedToken("cafe\u0301", normalized=True)])
    return tok


def with_legacy_merges(text: str) -> str:
    """Older tokenizers wrote merges as "left right" strings; Lethe reads both forms."""
    document = json.loads(text)
    document["model"]["merges"] = [" ".join(pair) for pair in document["model"]["merges"]]
    return json.dumps(document, ensure_ascii=False, indent=2)


def id_checksum(ids) -> int:
    checksum = 0
    for token_id in ids:
        checksum = (checksum * 1_000_003 + token_id) & 0xFFFFFFFFFFFFFFFF
    return checksum


def expected(tok: Tokenizer, texts, long_inputs) -> dict:
    cases = []
    for text in texts:
        plain = tok.encode(text, add_special_tokens=False).ids
        special = tok.encode(text, add_special_tokens=True).ids
        case = {"ids": plain,
                "decoded": tok.decode(plain, skip_special_tokens=False),
                "decoded_skipping_special": tok.decode(plain, skip_special_tokens=True)}
        if special != plain:
            case["ids_with_special_tokens"] = special
        cases.append(case)

    byte_ids = [tok.token_to_id("".join(chr(c) for c in [alphabet_scalar(b)])) for b in range(256)]
    decode_cases = []
    for sequence in INVALID_BYTE_SEQUENCES:
        ids = [byte_ids[b] for b in sequence]
        decode_cases.append({"ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False)})
    specials = [token.content for _, token in sorted(tok.get_added_tokens_decoder().items()) if token.special]
    if specials:
        ids = [tok.token_to_id(specials[0])] + tok.encode("between", add_special_tokens=False).ids + [tok.token_to_id(specials[-1])]
        decode_cases.append({"ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False),
                             "decoded_skipping_special": tok.decode(ids, skip_special_tokens=True)})

    long = []
    for name in long_inputs:
        ids = tok.encode(long_input(name), add_special_tokens=False).ids
        long.append({"name": name, "count": len(ids), "head": ids[:8], "tail": ids[-8:], "checksum": id_checksum(ids)})
    return {"tokenizers_version": tokenizers.__version__, "cases": cases, "decode_cases": decode_cases,
            "long_inputs": long}


def alphabet_scalar(byte: int) -> int:
    printable = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    if byte in printable:
        return byte
    return 0x100 + [b for b in range(256) if b not in printable].index(byte)


def write_json(path: Path, value, one_case_per_line=False):
    if one_case_per_line:
        # Compact, one case per line: small files with readable diffs.
        lines = ["{"]
        items = list(value.items())
        for index, (key, entry) in enumerate(items):
            comma = "," if index < len(items) - 1 else ""
            if isinstance(entry, list):
                inner = ",\n".join("    " + json.dumps(element, ensure_ascii=False) for element in entry)
                lines.append(f'  {json.dumps(key)}: [\n{inner}\n  ]{comma}')
            else:
                lines.append(f"  {json.dumps(key)}: {json.dumps(entry, ensure_ascii=False)}{comma}")
        lines.append("}")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        path.write_text(json.dumps(value, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def pretokenize_cases() -> dict:
    """Random strings over the characters where the patterns' alternatives meet, cut by
    tokenizers' own Split and Digits pre-tokenizers; the pieces are stored as lengths in
    Unicode scalars."""
    pieces = (["a", "b", "Z", "é", "ж", "中", "ſ", "K", "s", "t", "m", "d", "re", "ve", "ll", "S", "T", "RE", "Ll", "'",
               "'", "'", " ", " ", " ", "  ", "\t", "\n", "\r", "\r\n", "\u00a0", "\u3000", "\u2028", "\u0085", "\u000b",
               "0", "7", "12", "345", "٣", "²", "Ⅻ", ".", ",", "!", "-", "\"", "(", "’", "\u0301", "👍", "\u200d",
               "🏽", "\u180e", "\u200b", "\ufffd", "😀", "_"])
    rng = random.Random(7)
    strings = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 20))) for _ in range(160)]
    splitters = {
        "gpt2": pre_tokenizers.Split(Regex(GPT2_PATTERN), behavior="isolated", invert=False),
        "llama3": pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        "qwen2": pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
        "digits_individual": pre_tokenizers.Digits(individual_digits=True),
        "digits_contiguous": pre_tokenizers.Digits(individual_digits=False),
    }
    cases = []
    for text in strings:
        case = {"text": text}
        for name, splitter in splitters.items():
            lengths = [len(piece) for piece, _ in splitter.pre_tokenize_str(text)]
            assert sum(lengths) == len(text), (name, text)
            case[name] = lengths
        cases.append(case)
    return {"tokenizers_version": tokenizers.__version__, "cases": cases}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    corpus = make_corpus()
    (OUT / "corpus.txt").write_text("\n".join(corpus) + "\n", encoding="utf-8")
    write_json(OUT / "texts.json", TEXTS)
    write_json(OUT / "pretokenize.json", pretokenize_cases(), one_case_per_line=True)

    gpt2 = make_gpt2_trained(corpus)
    fixtures = {
        "gpt2_trained": (gpt2, gpt2.to_str(pretty=True), LONG_INPUTS),
        "gpt2_prefix_digits": (make_gpt2_prefix_digits(gpt2), None, []),
        "llama3_style": (make_llama3_style(corpus), None, LONG_INPUTS),
        "qwen2_style": (make_qwen2_style(corpus), None, ["digits_100k"]),
    }
    for name, (tok, text, long_inputs) in fixtures.items():
        folder = OUT / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir()
        text = text or tok.to_str(pretty=True)
        if name == "qwen2_style":
            text = with_legacy_merges(text)
            tok = Tokenizer.from_str(text)
        (folder / "tokenizer.json").write_text(text, encoding="utf-8")
        write_json(folder / "expected.json", expected(tok, TEXTS, long_inputs), one_case_per_line=True)
        print(f"wrote {name}: vocab {tok.get_vocab_size()}")

    # The Llama-3-style folder is also a model folder: BOS/EOS from the two config files.
    llama = OUT / "llama3_style"
    write_json(llama / "tokenizer_config.json", {
        "bos_token": "<|begin_of_text|>", "eos_token": {"content": "<|eot_id|>", "special": True},
        "add_bos_token": True, "add_eos_token": False})
    write_json(llama / "config.json", {"model_type": "llama", "bos_token_id": 0, "eos_token_id": [1, 2]})

    # Lethe's trainer is checked twice: on corpus.txt with gpt2_trained's settings it must
    # learn the same vocabulary and merges (a Swift test); its own file, written by the Swift
    # test, must load in tokenizers and round-trip through it byte for byte.
    lethe = OUT / "lethe_trained" / "tokenizer.json"
    if not lethe.exists():
        print(f"missing {lethe}: run LETHE_WRITE_TOKENIZER_FIXTURE=1 swift test --filter TokenizerTrainerTests, "
              "then this script again", file=sys.stderr)
        return 1
    written = lethe.read_text(encoding="utf-8")
    tok = Tokenizer.from_file(str(lethe))
    assert tok.to_str(pretty=True) == written, "tokenizers does not save Lethe's tokenizer.json back byte for byte"
    write_json(lethe.parent / "expected.json", expected(tok, TEXTS, []), one_case_per_line=True)
    print(f"checked lethe_trained: tokenizers re-saves it byte for byte; vocab {tok.get_vocab_size()}")

    # Where nothing strips or adds spaces, decoding gives the text back (NFC-normalized for Qwen2).
    for name in ["gpt2_trained", "qwen2_style", "lethe_trained"]:
        tok = Tokenizer.from_file(str(OUT / name / "tokenizer.json"))
        for text in TEXTS:
            decoded = tok.decode(tok.encode(text, add_special_tokens=False).ids, skip_special_tokens=False)
            normalized = unicodedata.normalize("NFC", text) if name == "qwen2_style" else text
            if name == "qwen2_style" and "café" in normalized:
                # The added token "café" is all byte-level alphabet, so the ByteLevel decoder
                # reads "é" as the byte 0xE9: tokenizers decodes it to "caf\ufffd".
                assert decoded == normalized.replace("café", "caf\ufffd"), (name, text, decoded)
                continue
            assert decoded == normalized, (name, text, decoded)
    total = sum(path.stat().st_size for path in OUT.rglob("*") if path.is_file())
    print(f"total {total / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

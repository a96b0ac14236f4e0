#!/usr/bin/env python3
"""Hugging Face tokenizers' side of `lethe bench tokenize`, measured as Lethe measures itself
(Sources/Model/Text/Tokenizer/TokenizerBenchmark.swift): the tokenizer.json loaded once, the whole
text encoded REPETITIONS times (add_special_tokens=False), the median taken: as one string,
and line by line (each line with its "\n", through encode_batch on one thread). Prints one
JSON object with the same fields. Run by hand or by `lethe bench tokenize`:

  python3 scripts/bench/tokenize_peer.py TOKENIZER_JSON TEXT_FILE [REPETITIONS]

One thread, as Lethe's encode: RAYON_NUM_THREADS=1 (encode of a single string does not
parallelise anyway; this keeps it from spreading over the machine).
"""

import json
import os
import sys
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import tokenizers  # noqa: E402


def main() -> int:
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    path, text_path = sys.argv[1], sys.argv[2]
    repetitions = int(sys.argv[3]) if len(sys.argv) == 4 else 5
    # newline="": the text exactly as Lethe reads it (no "\r\n" to "\n" translation).
    with open(text_path, encoding="utf-8", newline="") as handle:
        text = handle.read()
    start = time.perf_counter()
    tok = tokenizers.Tokenizer.from_file(path)
    load_seconds = time.perf_counter() - start
    lines = [line + "\n" for line in text.split("\n")]
    last = lines.pop()
    if last != "\n":
        lines.append(last[:-1])

    def timed(encode):
        times, ids = [], []
        for _ in range(repetitions):
            start = time.perf_counter()
            ids = encode()
            times.append(time.perf_counter() - start)
        return ids, sorted(times)[len(times) // 2], times

    ids, median, times = timed(lambda: tok.encode(text, add_special_tokens=False).ids)
    line_ids, line_median, _ = timed(
        lambda: [i for e in tok.encode_batch(lines, add_special_tokens=False) for i in e.ids])
    size = len(text.encode("utf-8"))
    print(json.dumps({
        "tokenizers_version": tokenizers.__version__,
        "tokenizer": path,
        "text_bytes": size,
        "tokens": len(ids),
        "id_checksum": sum((i + 1) * t for i, t in enumerate(ids)) % 2**64,
        "repetitions": repetitions,
        "load_seconds": load_seconds,
        "encode_seconds": median,
        "megabytes_per_second": size / 1e6 / median,
        "tokens_per_second": len(ids) / median,
        "all_encode_seconds": times,
        "line_tokens": len(line_ids),
        "line_id_checksum": sum((i + 1) * t for i, t in enumerate(line_ids)) % 2**64,
        "line_encode_seconds": line_median,
        "line_megabytes_per_second": size / 1e6 / line_median,
        "line_tokens_per_second": len(line_ids) / line_median,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())

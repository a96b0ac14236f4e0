#!/usr/bin/env python3
"""Reference quantisations for Lethe's GGUF writer (run by hand, never by CI).

Writes Tests/ModelTests/Fixtures/gguf/quantization.gguf.zst, a GGUF file (gguf's GGUFWriter)
whose F32 tensor "input" holds a few rows of values of different kinds (weight-like, outliers,
one sign, zeros, tiny, large), and whose tensor named after each type Lethe writes holds the
bytes llama.cpp stores for those rows, in that type:

  Q8_0 Q4_0 Q5_0 Q4_K Q6_K   ggml's own `quantize_row_*_ref` (what llama-quantize runs without
                             an importance matrix), from ggml-quants.c compiled by this script
  F16                        numpy's float16 (round to nearest even, as ggml's conversion)
  BF16                       gguf.quants (ggml's rounding, in numpy)

ggml-quants.c comes from a llama.cpp source tree (--llama-cpp DIR, e.g. the one vendored in the
llama-cpp-python source archive); it is compiled into a scratch library with the system's cc.

Needs: numpy, gguf, zstandard, a C compiler.
"""

from __future__ import annotations

import argparse
import ctypes
import subprocess
import tempfile
from pathlib import Path

import gguf
import numpy as np
import zstandard
from gguf import GGMLQuantizationType as Q

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "Tests" / "ModelTests" / "Fixtures" / "gguf" / "quantization.gguf.zst"
ROW_LENGTH = 512  # two K-quant super-blocks, sixteen 32-value blocks

GGML_TYPES = ["Q8_0", "Q4_0", "Q5_0", "Q4_K", "Q6_K"]
# ggml-quants.c's few calls into the rest of ggml, none of them reached by the reference rows.
STUBS = """
#include <stdlib.h>
#include <stddef.h>
void ggml_abort(const char * file, int line, const char * fmt, ...) { abort(); }
const char * ggml_type_name(int type) { return "?"; }
size_t ggml_type_size(int type) { abort(); }
size_t ggml_row_size(int type, long long ne) { abort(); }
"""


def rows() -> np.ndarray:
    rng = np.random.default_rng(20261206)
    n = ROW_LENGTH
    weight_like = [rng.normal(0, 0.02, n) for _ in range(4)]
    outliers = rng.normal(0, 1, n)
    outliers[rng.integers(0, n, 6)] *= 40
    one_nonzero = np.zeros(n)
    one_nonzero[77] = -0.3
    return np.stack(weight_like + [
        outliers,
        rng.uniform(-1, 1, n),
        rng.uniform(0.1, 2, n),           # all positive: the K-quants' minimum is 0
        -rng.uniform(0.1, 2, n),          # all negative
        one_nonzero,
        np.zeros(n),
        rng.normal(0, 1e-6, n),           # scales in binary16's subnormal range
        rng.normal(0, 300, n),            # large values
    ]).astype(np.float32)


def ggml_library(llama_cpp: Path, scratch: Path) -> ctypes.CDLL:
    source = llama_cpp / "ggml" / "src"
    library, stubs = scratch / "libggml_quants.so", scratch / "stubs.c"
    stubs.write_text(STUBS)
    subprocess.run(["cc", "-O2", "-fPIC", "-shared", "-std=gnu11", f"-I{source}", f"-I{source / '..' / 'include'}",
                    f"-I{source / 'ggml-cpu'}", str(source / "ggml-quants.c"), str(stubs), "-lm", "-o", str(library)],
                   check=True)
    return ctypes.CDLL(str(library))


def ggml_quantize(lib: ctypes.CDLL, name: str, values: np.ndarray) -> np.ndarray:
    """The bytes ggml's `quantize_row_<type>_ref` writes for the rows."""
    name = name.lower().replace("_k", "_K")  # ggml spells them q8_0, q4_K
    function = getattr(lib, f"quantize_row_{name}_ref")
    function.restype = None
    function.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    block_size, block_bytes = gguf.GGML_QUANT_SIZES[Q[name.upper()]]
    out = np.zeros((values.shape[0], ROW_LENGTH // block_size * block_bytes), dtype=np.uint8)
    src = np.ascontiguousarray(values, dtype=np.float32)
    function(src.ctypes.data, out.ctypes.data, values.size)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--llama-cpp", type=Path, required=True, help="a llama.cpp source tree")
    args = parser.parse_args()
    values = rows()
    tensors = {"input": values}
    with tempfile.TemporaryDirectory() as scratch:
        lib = ggml_library(args.llama_cpp, Path(scratch))
        for name in GGML_TYPES:
            tensors[name] = ggml_quantize(lib, name, values)
    tensors["F16"] = values.astype(np.float16).view(np.uint8).reshape(values.shape[0], -1)
    tensors["BF16"] = gguf.quants.quantize(values, Q.BF16).view(np.uint8).reshape(values.shape[0], -1)
    # Self-check: gguf's numpy dequantisation of ggml's bytes stays near the input (except in
    # the row of tiny values, whose scales binary16 cannot hold).
    normal = np.abs(values).max(axis=1) > 1e-3
    for name in GGML_TYPES:
        restored = gguf.quants.dequantize(tensors[name], Q[name])
        scale = np.abs(values).max(axis=1, keepdims=True) + 1e-30
        assert (np.abs(restored - values) / scale)[normal].max() < 0.2, name
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "quantization.gguf"
        writer = gguf.GGUFWriter(str(path), "llama")
        writer.add_tensor("input", values)
        for name, data in tensors.items():
            if name != "input":
                writer.add_tensor(name, data, raw_dtype=Q[name])
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        OUT.write_bytes(zstandard.ZstdCompressor(level=19).compress(path.read_bytes()))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/seeds/<target>/), one file per known
bug class, so every fuzz run starts by replaying them. Standard library only; the seeds are
committed, so building and fuzzing never need Python. Re-run after adding a case:
    python3 tests/fuzz/make_seeds.py
"""
import json
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def safetensors(header, data=b"", length=None, pad=True):
    """8-byte little-endian header length, header bytes, data. `header` may be a dict or raw bytes."""
    text = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    if pad and not isinstance(header, bytes):
        text += b" " * ((8 - len(text) % 8) % 8)
    n = len(text) if length is None else length
    return struct.pack("<Q", n) + text + data


def entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def f32(*values):
    return struct.pack("<%df" % len(values), *values)


def crc32c(data):
    """CRC-32C (Castagnoli, reflected 0x82F63B78), bit by bit: crc32c(b"123456789") == 0xE3069283."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def safetensors_seeds():
    big = 1 << 32
    s = {}
    # Valid files: several dtypes, rank 0, zero-sized dims, metadata.
    s["valid-f32-2x3"] = safetensors({"w": entry("F32", [2, 3], 0, 24)}, f32(*range(6)))
    s["valid-mixed-with-metadata"] = safetensors(
        {"__metadata__": {"format": "pt", "step": "3"}, "a": entry("F64", [2], 0, 16), "b": entry("I64", [1, 1], 16, 24),
         "c": entry("F32", [], 24, 28)},
        struct.pack("<2d", 1.5, -2.0) + struct.pack("<q", 7) + f32(3.0))
    s["valid-rank0"] = safetensors({"s": entry("F32", [], 0, 4)}, f32(1.0))
    s["valid-zero-sized-dims"] = safetensors({"z": entry("F32", [0, 3], 0, 0), "y": entry("F64", [4, 0, 2], 0, 0),
                                              "x": entry("F32", [1], 0, 4)}, f32(2.0))
    s["valid-zero-dim-then-huge"] = safetensors({"z": entry("F32", [0, 1 << 62, 1 << 62], 0, 0)})
    s["valid-rank9"] = safetensors({"r": entry("F32", [1] * 9, 0, 4)}, f32(1.0))
    s["valid-empty-header"] = safetensors({})
    s["valid-nan-inf-payload"] = safetensors({"n": entry("F32", [3], 0, 12)}, f32(float("nan"), float("inf"), -0.0))
    # Huge declared shapes whose byte count wraps past 2^64 (to 0 or to a small number).
    s["wrap-to-zero"] = safetensors({"w": entry("F32", [big, big, 4], 0, 0)})
    s["wrap-to-small"] = safetensors({"w": entry("F32", [(1 << 62) + 1, 4], 0, 4)}, f32(1.0))
    s["wrap-i64-2^61"] = safetensors({"w": entry("I64", [1 << 61], 0, 0)})
    s["huge-then-zero-dim"] = safetensors({"w": entry("F64", [1 << 62, 1 << 62, 0], 0, 0)})
    s["dim-above-2^62"] = safetensors({"w": entry("F32", [(1 << 62) + 1], 0, 0)})
    s["dim-2^64"] = safetensors(b'{"w":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,0]}}')
    s["dim-negative"] = safetensors({"w": entry("F32", [-1, 4], 0, 16)}, f32(0, 0, 0, 0))
    s["dim-float"] = safetensors({"w": entry("F32", [2.0], 0, 8)}, f32(0, 0))
    s["dim-string"] = safetensors({"w": entry("F32", ["2"], 0, 8)}, f32(0, 0))
    s["rank-17"] = safetensors({"r": entry("F32", [1] * 17, 0, 4)}, f32(1.0))
    # Truncated data, offsets out of range, overlapping, gaps, trailing bytes.
    s["truncated-data"] = safetensors({"w": entry("F32", [4], 0, 16)}, f32(1, 2))
    s["offset-end-past-file"] = safetensors({"w": entry("F32", [1], 1 << 40, (1 << 40) + 4)}, f32(1))
    s["offset-wraps"] = safetensors({"w": entry("F32", [1], (1 << 64) - 5, (1 << 64) - 1)}, f32(1))
    s["offsets-begin-after-end"] = safetensors({"w": entry("F32", [0], 8, 4)}, f32(1, 2))
    s["offsets-overlap"] = safetensors({"a": entry("F32", [2], 0, 8), "b": entry("F32", [2], 4, 12)}, f32(1, 2, 3))
    s["offsets-same-range"] = safetensors({"a": entry("F32", [2], 0, 8), "b": entry("F32", [2], 0, 8)}, f32(1, 2))
    s["offsets-gap"] = safetensors({"a": entry("F32", [1], 0, 4), "b": entry("F32", [1], 8, 12)}, f32(1, 2, 3))
    s["trailing-bytes"] = safetensors({"a": entry("F32", [1], 0, 4)}, f32(1, 2))
    s["offsets-negative"] = safetensors({"a": entry("F32", [1], -4, 0)}, f32(1))
    s["offsets-three"] = safetensors(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}', f32(1, 2))
    s["size-mismatch"] = safetensors({"a": entry("F64", [2], 0, 8)}, f32(1, 2))
    # Header length beyond the file, over the limit, all ones; files shorter than the length prefix.
    s["header-length-beyond-file"] = safetensors({"a": entry("F32", [1], 0, 4)}, f32(1), length=4096)
    s["header-length-over-100MB"] = safetensors(b"{}", length=100_000_001)
    s["header-length-all-ones"] = b"\xff" * 8 + b"{}"
    s["header-length-2^63"] = struct.pack("<Q", 1 << 63) + b"{}"
    s["file-7-bytes"] = b"\x02\x00\x00\x00\x00\x00\x00"
    s["file-empty"] = b""
    s["header-length-zero"] = struct.pack("<Q", 0)
    # Invalid JSON, invalid UTF-8, nesting, duplicates, wrong types.
    s["json-truncated"] = safetensors(b'{"a":{"dtype":"F32","shape":[1],"data_off')
    s["json-not-object"] = safetensors(b"[1,2,3]  ")
    s["json-garbage"] = safetensors(b"\x00\x01\x02\x03garbage")
    s["utf8-invalid-in-name"] = safetensors(b'{"\xff\xfe":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}', f32(1))
    s["utf8-overlong-in-name"] = safetensors(b'{"\xc0\xaf":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}', f32(1))
    s["utf8-surrogate-escape"] = safetensors(b'{"\\ud800":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}', f32(1))
    s["utf8-valid-multibyte-name"] = safetensors('{"caf\u00e9.\u4e2d":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}'.encode(), f32(1))
    s["nesting-deep"] = safetensors(b"[" * 10000 + b"]" * 10000)
    s["nesting-in-string"] = safetensors(b'{"__metadata__":{"k":"[[[[[[[[[[[[[[[[[[[[\\"{{{{{{{{{{"}}')
    s["duplicate-name"] = safetensors(b'{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},'
                                      b'"a":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}', f32(1, 2))
    s["duplicate-field"] = safetensors(b'{"a":{"dtype":"F32","dtype":"F64","shape":[],"data_offsets":[0,4]}}', f32(1))
    s["dtype-bf16"] = safetensors({"a": entry("BF16", [2], 0, 4)}, b"\x00" * 4)
    s["dtype-number"] = safetensors({"a": entry(3, [1], 0, 4)}, f32(1))
    s["entry-missing-field"] = safetensors({"a": {"dtype": "F32", "shape": [1]}}, f32(1))
    s["entry-extra-field"] = safetensors({"a": dict(entry("F32", [1], 0, 4), extra=1)}, f32(1))
    s["entry-not-object"] = safetensors({"a": [1, 2]})
    s["metadata-not-string"] = safetensors({"__metadata__": {"k": 1}})
    s["metadata-not-object"] = safetensors({"__metadata__": "x"})
    s["name-is-metadata-key-tensor"] = safetensors({"__metadata__": entry("F32", [1], 0, 4)}, f32(1))
    # The data checksum xgrad records (xgrad.data_crc32c): right, wrong (one flipped bit), malformed.
    data = f32(1.0, -2.0, 3.5)
    right = "%08x" % crc32c(data)
    s["checksum-valid"] = safetensors({"__metadata__": {"xgrad.data_crc32c": right}, "w": entry("F32", [3], 0, 12)}, data)
    s["checksum-mismatch"] = safetensors({"__metadata__": {"xgrad.data_crc32c": right}, "w": entry("F32", [3], 0, 12)},
                                         data[:5] + bytes([data[5] ^ 1]) + data[6:])
    s["checksum-not-hex"] = safetensors({"__metadata__": {"xgrad.data_crc32c": "zzzzzzzz"}, "w": entry("F32", [3], 0, 12)},
                                        data)
    s["checksum-empty-data"] = safetensors({"__metadata__": {"xgrad.data_crc32c": "00000000"}})
    return s


def corpus(batch, seq, val_byte, draws, text):
    return bytes([batch, seq, val_byte, draws]) + text


def corpus_seeds():
    words = b"to be or not to be that is the question ROMEO: JULIET:\n" * 8
    s = {}
    s["valid-ascii"] = corpus(3, 7, 25, 40, words)
    s["valid-utf8-multibyte"] = corpus(1, 3, 127, 20, "caf\u00e9 \u4e2d\u6587 \U0001F600 na\u00efve ".encode() * 6)
    s["valid-single-symbol"] = corpus(0, 0, 127, 10, b"x" * 64)
    s["too-short"] = corpus(15, 15, 0, 5, b"tiny text")
    # An epoch boundary: windows_per_epoch divides the number of draws (resume from a checkpoint
    # taken right after the last window of a pass must work).
    s["regression-resume-at-epoch-boundary"] = corpus(0, 7, 127, 5, b"abcde fghij " * 8)
    # Huge --seq / --batch (the CLI accepts any positive value): no overflow while refusing them.
    s["regression-seq-int64-max"] = corpus(0, 0x80, 25, 3, words)
    s["batch-int64-max"] = corpus(0x80, 3, 25, 3, words)
    s["both-huge"] = corpus(0x8f, 0x8f, 25, 3, words)
    # Invalid UTF-8, one file per class (RFC 3629): bad lead bytes, truncated sequences, bad
    # continuation bytes, overlong forms, UTF-16 surrogates, code points above U+10FFFF.
    bad = {
        "latin1": b"caf\xe9 au lait",
        "continuation-alone": b"ab\x80cd",
        "lead-c0": b"ab\xc0\x80",
        "lead-c1": b"ab\xc1\xbf",
        "truncated-2": b"abc\xc3",
        "truncated-3": b"abc\xe2\x82",
        "truncated-4": b"abc\xf0\x9f\x98",
        "bad-continuation": b"ab\xe2\x28\xa1cd",
        "lead-ff": b"ab\xffcd",
        "regression-overlong-3byte": b"ab\xe0\x80\xafcd",
        "regression-overlong-4byte": b"ab\xf0\x80\x80\xafcd",
        "regression-surrogate": b"ab\xed\xa0\x80cd",
        "regression-above-10ffff": b"ab\xf4\x90\x80\x80cd",
        "regression-lead-f5": b"ab\xf5\x80\x80\x80cd",
    }
    for name, text in bad.items():
        s["utf8-" + name] = corpus(1, 2, 127, 3, text + words)
    s["empty-text"] = corpus(1, 1, 127, 3, b"")
    s["nul-bytes"] = corpus(1, 2, 127, 9, b"a\x00b\x00" * 20)
    return s


def write(target, seeds):
    folder = os.path.join(HERE, "seeds", target)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    print("%s: %d seeds" % (folder, len(seeds)))


if __name__ == "__main__":
    write("safetensors", safetensors_seeds())
    write("corpus", corpus_seeds())

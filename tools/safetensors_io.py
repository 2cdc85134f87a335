"""Minimal safetensors reader/writer for fixture scripts (Debian ships no python3-safetensors).

Same file format as the `safetensors` library: 8-byte little-endian header length N, N bytes of
JSON {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}
padded with spaces to a multiple of 8, then the raw little-endian row-major data.
Supports F32, F64 and I64 (what xgrad reads). Run with /usr/bin/python3 (numpy + torch).
"""
import json
import struct

import numpy as np
import torch

_TO_TAG = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}
_TO_NUMPY = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I64": np.dtype("<i8")}
_MAX_HEADER = 100_000_000


def save_file(tensors, path, metadata=None):
    """Writes {name: torch.Tensor} to `path`; data in the dict's order, JSON keys sorted."""
    header = {}
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise ValueError("metadata must map str to str")
        header["__metadata__"] = dict(metadata)
    blobs, offset = [], 0
    for name, t in tensors.items():
        if name == "__metadata__":
            raise ValueError("'__metadata__' is reserved")
        if t.dtype not in _TO_TAG:
            raise ValueError(f"{name}: dtype {t.dtype} is not supported (F32, F64, I64)")
        tag = _TO_TAG[t.dtype]
        blob = t.detach().cpu().contiguous().numpy().astype(_TO_NUMPY[tag], copy=False).tobytes()
        header[name] = {"dtype": tag, "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def load_file_with_metadata(path):
    """Returns ({name: torch.Tensor} in data-offset order, {str: str} metadata)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: shorter than 8 bytes")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > _MAX_HEADER or 8 + n > len(raw):
        raise ValueError(f"{path}: bad header length {n}")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    data = memoryview(raw)[8 + n:]
    entries = sorted(header.items(), key=lambda kv: tuple(kv[1]["data_offsets"]))
    covered, out = 0, {}
    for name, info in entries:
        dtype = _TO_NUMPY.get(info["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: {name}: dtype {info['dtype']} is not supported")
        shape = [int(d) for d in info["shape"]]
        begin, end = info["data_offsets"]
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if begin != covered or end - begin != count * dtype.itemsize or end > len(data):
            raise ValueError(f"{path}: {name}: bad data_offsets {info['data_offsets']}")
        array = np.frombuffer(data[begin:end], dtype=dtype, count=count).reshape(shape).copy()
        out[name] = torch.from_numpy(array)
        covered = end
    if covered != len(data):
        raise ValueError(f"{path}: {len(data) - covered} trailing bytes")
    return out, metadata


def load_file(path):
    """Returns {name: torch.Tensor} (like safetensors.torch.load_file)."""
    return load_file_with_metadata(path)[0]

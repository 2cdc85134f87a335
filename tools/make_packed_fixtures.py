"""Writes tests/fixtures/nn_packed/*.safetensors (run with /usr/bin/python3, PyTorch 1.13): PyTorch
parity fixtures for packed sequences and LSTM proj_size, replayed by tests/test_nn_packed.cpp.

Module families rnn, lstm, gru (each in float32 and float64), in tools/make_nn_fixtures.py's
layout (case<k>.param.*, .input, .h0, .c0, .out.*, .w.*, .grad.*). Each case packs the padded
"input" with the metadata "lengths" (comma-separated), "batch_first" and "enforce_sorted", runs the
module on the PackedSequence and pads the output back (total_length when "total_length" ≥ 0):
outputs "output" (padded), "h_n" (and "c_n"). The gradients are PyTorch's through all three steps.
lstm_proj holds LSTMs with proj_size, on padded ("packed" = 0) and packed input.

pack_float64 holds the pure data movement: per case the padded "input", the "lengths" (int64),
PyTorch's "data", "batch_sizes", "sorted_indices", "unsorted_indices" (the last two only without
enforce_sorted) and "padded" = pad_packed_sequence(…, batch_first, padding_value, total_length).
"""
import os
import sys

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_nn_fixtures import Writer, flag, randn  # noqa: E402
from safetensors_io import save_file  # noqa: E402

T, B, H_IN, H, P = 5, 4, 3, 4, 2
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "nn_packed")
SORTED, UNSORTED = [5, 4, 2, 1], [2, 5, 2, 4]  # the unsorted lengths have a tie


class PackedWriter(Writer):
    def save(self, family):
        tag = "float32" if self.dtype == torch.float32 else "float64"
        self.metadata["cases"] = str(self.count)
        path = os.path.join(OUT_DIR, f"{family}_{tag}.safetensors")
        save_file(self.tensors, path, self.metadata)
        print(f"{path}: {self.count} cases")


def module_case(wr, kind, layers=1, batch_first=False, bidirectional=False, bias=True, lengths=SORTED,
                enforce_sorted=True, given_state=True, dropout=0.0, training=True, total_length=-1,
                nonlinearity="tanh", proj_size=0, packed=True):
    dtype = wr.dtype
    wr.seed()
    extra = {}
    if kind == "RNN":
        extra["nonlinearity"] = nonlinearity
    if proj_size:
        extra["proj_size"] = proj_size
    m = getattr(torch.nn, kind)(H_IN, H, num_layers=layers, bias=bias, batch_first=batch_first, dropout=dropout,
                                bidirectional=bidirectional, **extra).to(dtype)
    m.train(training)
    D = 2 if bidirectional else 1
    steps = max(T, total_length)
    inputs = {"input": randn(*((B, steps, H_IN) if batch_first else (steps, B, H_IN)), dtype=dtype)}
    h_size = proj_size or H
    if given_state:
        inputs["h0"] = randn(D * layers, B, h_size, dtype=dtype) * 0.5
        if kind == "LSTM":
            inputs["c0"] = randn(D * layers, B, H, dtype=dtype) * 0.5
    opts = dict(module=kind, input_size=H_IN, hidden_size=H, num_layers=layers, bias=flag(bias),
                batch_first=flag(batch_first), bidirectional=flag(bidirectional), dropout=repr(dropout),
                training=flag(training), lengths=",".join(map(str, lengths)), enforce_sorted=flag(enforce_sorted),
                total_length=total_length, nonlinearity=nonlinearity, proj_size=proj_size, packed=flag(packed))

    def run(m, i):
        state = i.get("h0")
        if kind == "LSTM":
            state = (i["h0"], i["c0"]) if "h0" in i else None
        if packed:
            x = pack_padded_sequence(i["input"], torch.tensor(lengths), batch_first=batch_first,
                                     enforce_sorted=enforce_sorted)
            out, hidden = m(x, state)
            out, _ = pad_packed_sequence(out, batch_first=batch_first,
                                         total_length=None if total_length < 0 else total_length)
        else:
            out, hidden = m(i["input"], state)
        if kind == "LSTM":
            return {"output": out, "h_n": hidden[0], "c_n": hidden[1]}
        return {"output": out, "h_n": hidden}

    wr.add(opts, m, inputs, run, list(inputs))


def module_cases(dtype, kind):
    wr = PackedWriter(dtype)
    k = 0
    for layers in (1, 2):
        for batch_first in (False, True):
            for bidirectional in (False, True):
                unsorted = k % 2 == 1
                module_case(wr, kind, layers, batch_first, bidirectional, bias=k != 5,
                            lengths=UNSORTED if unsorted else SORTED, enforce_sorted=not unsorted,
                            given_state=k % 3 != 2)
                k += 1
    # Sorted lengths with enforce_sorted off, equal lengths, a single sequence, total_length,
    # and inter-layer dropout that eval() switches off.
    module_case(wr, kind, 1, False, True, lengths=SORTED, enforce_sorted=False)
    module_case(wr, kind, 2, True, True, lengths=[5, 5, 5, 5])
    module_case(wr, kind, 1, True, True, lengths=[1, 3, 1, 2], enforce_sorted=False, total_length=7)
    module_case(wr, kind, 2, False, False, lengths=UNSORTED, enforce_sorted=False, dropout=0.5, training=False)
    if kind == "RNN":
        module_case(wr, kind, 2, False, True, lengths=UNSORTED, enforce_sorted=False, nonlinearity="relu")
    wr.save(kind.lower())


def proj_cases(dtype):
    wr = PackedWriter(dtype)
    for layers in (1, 2):
        for bidirectional in (False, True):
            for packed in (False, True):
                module_case(wr, "LSTM", layers, batch_first=packed, bidirectional=bidirectional,
                            bias=layers == 1, lengths=UNSORTED, enforce_sorted=False, given_state=bidirectional,
                            proj_size=P if layers == 1 else 3, packed=packed)
    wr.save("lstm_proj")


def pack_cases():
    tensors, metadata, count = {}, {}, 0
    for batch_first in (False, True):
        for lengths, enforce in ((SORTED, True), (UNSORTED, False), ([3, 3, 3, 3], False), ([1, 4, 2, 4], False)):
            for total_length, padding_value in ((-1, 0.0), (7, -2.5)):
                torch.manual_seed(500 + count)
                steps = 5
                x = torch.randn(*((B, steps, 2, 3) if batch_first else (steps, B, 2, 3)), dtype=torch.float64)
                packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=batch_first,
                                              enforce_sorted=enforce)
                padded, _ = pad_packed_sequence(packed, batch_first=batch_first, padding_value=padding_value,
                                                total_length=None if total_length < 0 else total_length)
                pre = f"case{count}."
                tensors[pre + "input"] = x
                tensors[pre + "lengths"] = torch.tensor(lengths, dtype=torch.int64)
                tensors[pre + "data"] = packed.data
                tensors[pre + "batch_sizes"] = packed.batch_sizes
                if packed.sorted_indices is not None:
                    tensors[pre + "sorted_indices"] = packed.sorted_indices
                    tensors[pre + "unsorted_indices"] = packed.unsorted_indices
                tensors[pre + "padded"] = padded
                metadata.update({pre + "batch_first": flag(batch_first), pre + "enforce_sorted": flag(enforce),
                                 pre + "total_length": str(total_length), pre + "padding_value": repr(padding_value)})
                count += 1
    metadata["cases"] = str(count)
    path = os.path.join(OUT_DIR, "pack_float64.safetensors")
    save_file(tensors, path, metadata)
    print(f"{path}: {count} cases")


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    pack_cases()
    for dtype in (torch.float32, torch.float64):
        for kind in ("RNN", "LSTM", "GRU"):
            module_cases(dtype, kind)
        proj_cases(dtype)


if __name__ == "__main__":
    main()

"""Writes tests/fixtures/nn_lstm_gru/<family>_<dtype>.safetensors (run with /usr/bin/python3, PyTorch 1.13):
PyTorch parity fixtures for LSTMCell, LSTM, GRUCell and GRU, replayed by tests/test_nn_lstm_gru.cpp.

Families lstm_cell, lstm, gru_cell, gru, each in float32 and float64. Same layout as
tools/make_nn_fixtures.py (whose Writer this reuses): per case
  case<k>.param.<name>         the module's state_dict (PyTorch's names, checked by a strict load)
  case<k>.input, .h0, .c0      the forward's arguments (states only when given)
  case<k>.out.<o>              expected outputs: "output", "h_n", "c_n" (LSTM), "h", "c" (LSTMCell),
                               "output" (GRU also "h_n"; GRUCell only "output")
  case<k>.w.<o>                fixed random weights; the test backpropagates L = Σ_o Σ w.<o> ⊙ out.<o>
  case<k>.grad.<x>             dL/dx for every float input x (input, h0, c0)
  case<k>.grad.param.<name>    dL/dparameter for every parameter
Metadata "case<k>.<option>" describes the module; "cases" is the number of cases in the file.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_nn_fixtures import Writer, flag, randn  # noqa: E402
from safetensors_io import save_file  # noqa: E402

L, N, H_IN, H = 5, 3, 4, 6
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "nn_lstm_gru")


class LstmGruWriter(Writer):
    def save(self, family):
        tag = "float32" if self.dtype == torch.float32 else "float64"
        self.metadata["cases"] = str(self.count)
        path = os.path.join(OUT_DIR, f"{family}_{tag}.safetensors")
        save_file(self.tensors, path, self.metadata)
        print(f"{path}: {self.count} cases")


def cell_cases(dtype, kind):
    wr = LstmGruWriter(dtype)
    for bias in (True, False):
        for batched in (True, False):
            for given_state in (True, False):
                wr.seed()
                m = getattr(torch.nn, kind)(H_IN, H, bias=bias).to(dtype)
                x = randn(*((N, H_IN) if batched else (H_IN,)), dtype=dtype)
                s_shape = (N, H) if batched else (H,)
                inputs = {"input": x}
                if given_state:
                    inputs["h0"] = randn(*s_shape, dtype=dtype) * 0.5
                    if kind == "LSTMCell":
                        inputs["c0"] = randn(*s_shape, dtype=dtype) * 0.5
                opts = dict(module=kind, input_size=H_IN, hidden_size=H, bias=flag(bias))

                def run(m, i):
                    if kind == "GRUCell":
                        return {"output": m(i["input"], i.get("h0"))}
                    state = (i["h0"], i["c0"]) if "h0" in i else None
                    h, c = m(i["input"], state)
                    return {"h": h, "c": c}

                wr.add(opts, m, inputs, run, list(inputs))
    wr.save("lstm_cell" if kind == "LSTMCell" else "gru_cell")


def seq_case(wr, kind, layers, batch_first, bidirectional, bias, given_state=True, batched=True, dropout=0.0,
             training=True):
    dtype = wr.dtype
    wr.seed()
    m = getattr(torch.nn, kind)(H_IN, H, num_layers=layers, bias=bias, batch_first=batch_first, dropout=dropout,
                                bidirectional=bidirectional).to(dtype)
    m.train(training)
    D = 2 if bidirectional else 1
    if not batched:
        x_shape, h_shape = (L, H_IN), (D * layers, H)
    else:
        x_shape, h_shape = ((N, L, H_IN) if batch_first else (L, N, H_IN)), (D * layers, N, H)
    inputs = {"input": randn(*x_shape, dtype=dtype)}
    if given_state:
        inputs["h0"] = randn(*h_shape, dtype=dtype) * 0.5
        if kind == "LSTM":
            inputs["c0"] = randn(*h_shape, dtype=dtype) * 0.5
    opts = dict(module=kind, input_size=H_IN, hidden_size=H, num_layers=layers, bias=flag(bias),
                batch_first=flag(batch_first), bidirectional=flag(bidirectional), dropout=repr(dropout),
                training=flag(training))

    def run(m, i):
        if kind == "GRU":
            out, h_n = m(i["input"], i.get("h0"))
            return {"output": out, "h_n": h_n}
        state = (i["h0"], i["c0"]) if "h0" in i else None
        out, (h_n, c_n) = m(i["input"], state)
        return {"output": out, "h_n": h_n, "c_n": c_n}

    wr.add(opts, m, inputs, run, list(inputs))


def seq_cases(dtype, kind):
    wr = LstmGruWriter(dtype)
    for layers in (1, 2):
        for batch_first in (False, True):
            for bidirectional in (False, True):
                for bias in (True, False):
                    seq_case(wr, kind, layers, batch_first, bidirectional, bias)
    # Default (zero) state, unbatched input (batch_first has no effect on it), and inter-layer
    # dropout that eval() switches off.
    seq_case(wr, kind, 1, False, False, True, given_state=False)
    seq_case(wr, kind, 2, True, True, True, given_state=False)
    seq_case(wr, kind, 2, False, True, True, batched=False)
    seq_case(wr, kind, 1, True, False, False, batched=False, given_state=False)
    seq_case(wr, kind, 2, False, False, True, dropout=0.5, training=False)
    wr.save(kind.lower())


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for dtype in (torch.float32, torch.float64):
        cell_cases(dtype, "LSTMCell")
        cell_cases(dtype, "GRUCell")
        seq_cases(dtype, "LSTM")
        seq_cases(dtype, "GRU")


if __name__ == "__main__":
    main()

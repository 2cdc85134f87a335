"""Writes tests/fixtures/print/print.json (run with /usr/bin/python3, PyTorch 1.13): how PyTorch
prints tensors, for tests/test_print.cpp to compare with xg's operator<<.

Each case: name, dtype, shape, the values in row-major order (exact: float32 values widened to
double), requires_grad, an op applied to the tensor before printing ("" / "add" x + x / "mul"
x * x / "sum" x.sum() / "tanh"), and the expected str(tensor).
"""
import json
import math
import os

import torch

assert torch.__version__.startswith("1.13"), torch.__version__
torch.set_printoptions(profile="default")

cases = []


def case(name, t, requires_grad=False, op=""):
    values = [float(v) for v in t.reshape(-1).tolist()]
    x = t.clone().requires_grad_(requires_grad)
    y = {"": lambda: x, "add": lambda: x + x, "mul": lambda: x * x, "sum": lambda: x.sum(),
         "tanh": lambda: x.tanh()}[op]()
    cases.append({
        "name": name,
        "dtype": str(t.dtype).replace("torch.", ""),
        "shape": list(t.shape),
        # JSON has no NaN/inf: write them as strings
        "values": [v if math.isfinite(v) else repr(v) for v in values],
        "requires_grad": requires_grad,
        "op": op,
        "expected": str(y),
    })


f32, f64, i64 = torch.float32, torch.float64, torch.int64
case("scalar_float", torch.tensor(3.5))
case("scalar_integral_float", torch.tensor(3.0))
case("scalar_int", torch.tensor(-7))
case("scalar_float64", torch.tensor(0.1, dtype=f64))
case("vector_fixed", torch.tensor([1.0, 2.5, -3.25]))
case("vector_integral", torch.tensor([1.0, 2.0, -3.0]))
case("vector_zeros", torch.zeros(4))
case("vector_negative_zero", torch.tensor([-0.0, 1.5]))
case("vector_sci_small", torch.tensor([1e-5, 1.0, 100.0]))
case("vector_sci_ratio", torch.tensor([0.5, 1234.5]))
case("vector_sci_big", torch.tensor([1e9, 1.0], dtype=f64))
case("vector_integral_sci", torch.tensor([1.0, 2e5]))
case("vector_nonfinite", torch.tensor([float("nan"), float("inf"), -float("inf"), 1.5]))
case("vector_nonfinite_integral", torch.tensor([float("nan"), 2.0]))
case("vector_only_nonfinite", torch.tensor([float("nan"), float("inf")]))
case("vector_wraps", (torch.arange(30, dtype=f32) - 15) / 3.7)
case("vector_wraps_float64", (torch.arange(25, dtype=f64) - 12) / 7, requires_grad=True)
case("vector_summarised", torch.arange(1001, dtype=f32) / 3)
case("vector_at_threshold", torch.arange(1000, dtype=f32))
case("matrix", torch.arange(6, dtype=f32).reshape(2, 3))
case("matrix_fixed", torch.tensor([[-0.5, 0.125, 2.0], [3.75, -1.0, 0.0625]]))
case("matrix_float64", torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=f64))
case("matrix_int", torch.tensor([[1, -20], [300, 4]]))
case("matrix_column", torch.tensor([[1.5], [2.25], [3.0]]))
case("matrix_summarised", torch.arange(2000, dtype=f32).reshape(40, 50) / 7)
case("matrix_summarised_rows", torch.arange(1010, dtype=f32).reshape(1010, 1))
case("cube", torch.arange(24, dtype=f64).reshape(2, 3, 4))
case("cube_summarised", torch.arange(3000, dtype=f32).reshape(10, 10, 30) / 9)
case("rank4", torch.arange(16, dtype=f32).reshape(2, 2, 2, 2) - 8)
case("rank5_int", torch.arange(32, dtype=i64).reshape(2, 2, 2, 2, 2))
case("empty", torch.zeros(0))
case("empty_matrix", torch.zeros(2, 0))
case("empty_float64", torch.zeros(0, dtype=f64))
case("empty_int", torch.zeros(0, 3, dtype=i64))
case("requires_grad", torch.tensor([1.0, 2.0]), requires_grad=True)
case("requires_grad_float64", torch.tensor([[0.25, 0.5]], dtype=f64), requires_grad=True)
case("grad_fn_add", torch.tensor([1.0, 2.0]), requires_grad=True, op="add")
case("grad_fn_mul", torch.tensor([[1.5, -2.0]], dtype=f64), requires_grad=True, op="mul")
case("grad_fn_sum", torch.tensor([1.0, 2.0, 3.5]), requires_grad=True, op="sum")
case("grad_fn_tanh", torch.tensor([0.0, 1.0]), requires_grad=True, op="tanh")
case("suffix_wraps", torch.arange(10, dtype=f64) / 3 + 1000, requires_grad=True)

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "print", "print.json")
with open(out, "w") as f:
    json.dump({"generator": "tools/make_print_fixtures.py", "torch": torch.__version__, "cases": cases}, f, indent=1)
    f.write("\n")
print("wrote", len(cases), "cases to", os.path.normpath(out))

"""Writes the ONNX conformance suites for the engine's tests.

Node tests come from onnx's own case definitions (onnx.backend.test.case.node.collect_testcases:
each case is a model plus input and expected-output arrays); the model tests (simple,
pytorch-converted, pytorch-operator, light) are the directories that ship in the onnx wheel.
Layout written under OUT:

    OUT/node/<case>/model.onnx
    OUT/node/<case>/test_data_set_K/input_I.pb, output_I.pb   (TensorProto, SequenceProto or OptionalProto)
    OUT/node/<case>/tolerance.txt                               ("rtol atol", from the case)
    OUT/<suite>/<case>/...                                      (copied from onnx/backend/test/data/<suite>)

Usage: python generate.py OUT
"""
import os
import shutil
import sys
import warnings

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.backend.test.case.node import collect_testcases


def proto_for(value, type_proto):
    """A serialisable proto for one input or output value, guided by its declared type."""
    if isinstance(value, (onnx.TensorProto, onnx.SequenceProto, onnx.OptionalProto, onnx.MapProto)):
        return value
    which = type_proto.WhichOneof("value") if type_proto is not None else "tensor_type"
    if which == "sequence_type":
        return numpy_helper.from_list(list(value))
    if which == "optional_type":
        return numpy_helper.from_optional(value)
    if which == "map_type":
        return numpy_helper.from_dict(value)
    return numpy_helper.from_array(np.asarray(value) if not isinstance(value, np.ndarray) else value)


def write_node_cases(out):
    warnings.simplefilter("ignore")
    cases = collect_testcases()
    for case in cases:
        directory = os.path.join(out, "node", case.name)
        os.makedirs(directory, exist_ok=True)
        model = case.model
        with open(os.path.join(directory, "model.onnx"), "wb") as f:
            f.write(model.SerializeToString())
        with open(os.path.join(directory, "tolerance.txt"), "w") as f:
            f.write(f"{case.rtol} {case.atol}\n")
        inputs = [i for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
        for k, (ins, outs) in enumerate(case.data_sets):
            data_dir = os.path.join(directory, f"test_data_set_{k}")
            os.makedirs(data_dir, exist_ok=True)
            for i, value in enumerate(ins):
                type_proto = inputs[i].type if i < len(inputs) else None
                with open(os.path.join(data_dir, f"input_{i}.pb"), "wb") as f:
                    f.write(proto_for(value, type_proto).SerializeToString())
            for i, value in enumerate(outs):
                type_proto = model.graph.output[i].type if i < len(model.graph.output) else None
                with open(os.path.join(data_dir, f"output_{i}.pb"), "wb") as f:
                    f.write(proto_for(value, type_proto).SerializeToString())
    return len(cases)


def copy_model_suites(out):
    data = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")
    for suite in ["simple", "pytorch-converted", "pytorch-operator", "light"]:
        target = os.path.join(out, suite)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(os.path.join(data, suite), target)


def main():
    out = sys.argv[1]
    count = write_node_cases(out)
    copy_model_suites(out)
    print(f"generate.py: {count} node cases (onnx {onnx.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()

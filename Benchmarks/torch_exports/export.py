"""Exports real-size PyTorch models to ONNX, the way people do, and records onnxruntime's outputs.

Reference side of Benchmarks/torch_exports.sh (needs torch, torchvision, transformers,
onnxscript, onnx, onnxruntime; the driver pins them in a venv outside the repository).
Weights are random (torch.manual_seed(0)); normalisation statistics are perturbed so that
BatchNorm/LayerNorm/RMSNorm do real work. Each model is written in the ONNX backend-test layout:

    OUT/NAME/model.onnx
    OUT/NAME/test_data_set_K/input_I.pb   (graph-input order)
    OUT/NAME/test_data_set_K/output_I.pb  (graph-output order; onnxruntime 1.32, CPU provider)
    OUT/NAME/meta.json                    (exporter, opset, op census, torch-vs-onnxruntime diff)

Usage: python export.py OUT [NAME...]      (no names: every model; existing ones are kept)
"""
import collections
import json
import os
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import numpy_helper

OUT = sys.argv[1]
WANTED = set(sys.argv[2:])
torch.manual_seed(0)


def perturb_norms(model):
    """Random affine parameters and running statistics, so normalisations are not identities."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (torch.nn.BatchNorm2d, torch.nn.BatchNorm1d)):
                n = module.num_features
                module.running_mean.copy_(torch.randn(n, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(n, generator=generator) * 0.5 + 0.75)
                module.weight.copy_(torch.rand(n, generator=generator) * 0.5 + 0.75)
                module.bias.copy_(torch.randn(n, generator=generator) * 0.1)
            elif isinstance(module, torch.nn.LayerNorm) or type(module).__name__.endswith("RMSNorm"):
                if getattr(module, "weight", None) is not None:
                    module.weight.copy_(1 + torch.randn(module.weight.shape, generator=generator) * 0.1)
                if getattr(module, "bias", None) is not None:
                    module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.05)
    return model


def save_tensor(array, path):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(np.ascontiguousarray(array)).SerializeToString())


def write_case(name, model_path, sets, torch_outputs, meta):
    """Runs onnxruntime on every data set, writes inputs/outputs and meta.json."""
    folder = os.path.dirname(model_path)
    options = ort.SessionOptions()
    session = ort.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])
    graph_inputs = [i.name for i in session.get_inputs()]
    meta["sets"] = []
    for k, feeds in enumerate(sets):
        outputs = session.run(None, {n: feeds[n] for n in graph_inputs})
        data = os.path.join(folder, f"test_data_set_{k}")
        os.makedirs(data, exist_ok=True)
        for i, n in enumerate(graph_inputs):
            save_tensor(feeds[n], os.path.join(data, f"input_{i}.pb"))
        for i, value in enumerate(outputs):
            save_tensor(value, os.path.join(data, f"output_{i}.pb"))
        reference = torch_outputs[k]
        diff = max(float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) if a.size else 0.0
                   for a, b in zip(outputs, reference))
        meta["sets"].append({"inputs": {n: list(feeds[n].shape) for n in graph_inputs},
                             "outputs": [list(o.shape) for o in outputs],
                             "max_abs_diff_ort_vs_torch": diff})
    proto = onnx.load(model_path, load_external_data=False)
    meta["opset"] = {o.domain or "ai.onnx": o.version for o in proto.opset_import}
    meta["ir_version"] = proto.ir_version
    meta["nodes"] = len(proto.graph.node)
    meta["op_census"] = dict(collections.Counter(n.op_type for n in proto.graph.node).most_common())
    meta["file_mb"] = round(sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder)
                                if f.startswith("model.onnx")) / 1e6, 2)
    meta["torch"] = torch.__version__
    with open(os.path.join(folder, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"{name}: {meta['nodes']} nodes, {meta['file_mb']} MB, opset {meta['opset']}, "
          f"ort vs torch {[s['max_abs_diff_ort_vs_torch'] for s in meta['sets']]}", flush=True)


def export(module, args, path, legacy, input_names, output_names, dynamic, opset=None):
    """torch.onnx.export with the default (dynamo) path or the legacy TorchScript one."""
    start = time.time()
    if legacy:
        torch.onnx.export(module, args, path, dynamo=False, input_names=input_names,
                          output_names=output_names, dynamic_axes=dynamic["axes"],
                          opset_version=opset or 20)
    else:
        kwargs = {"opset_version": opset} if opset else {}
        program = torch.onnx.export(module, args, dynamo=True, input_names=input_names,
                                    output_names=output_names, dynamic_shapes=dynamic["shapes"],
                                    **kwargs)
        program.save(path)
    return round(time.time() - start, 1)


# ---------------------------------------------------------------------------------------------
# Image classifiers (torchvision)

def vision(name, builder, legacy):
    import torchvision
    model = perturb_norms(getattr(torchvision.models, builder)(weights=None)).eval()
    rng = np.random.RandomState(0)
    images = [rng.randn(1, 3, 224, 224).astype(np.float32), rng.randn(2, 3, 224, 224).astype(np.float32)]
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    batch = torch.export.Dim("batch_size", min=1, max=64)
    dynamic = {"axes": {"input": {0: "batch_size"}, "logits": {0: "batch_size"}},
               "shapes": {"x": {0: batch}}}
    seconds = export(model, (torch.from_numpy(images[1]),), path, legacy, ["input"], ["logits"], dynamic)
    with torch.no_grad():
        reference = [[model(torch.from_numpy(x)).numpy()] for x in images]
    write_case(name, path, [{"input": x} for x in images], reference,
               {"source": f"torchvision.models.{builder}(weights=None), seed 0, BatchNorm statistics perturbed",
                "exporter": "dynamo=False (TorchScript)" if legacy else "dynamo=True (default)",
                "export_seconds": seconds})


# ---------------------------------------------------------------------------------------------
# BERT encoder (transformers)

def bert(name, legacy):
    from transformers import BertConfig, BertModel
    model = perturb_norms(BertModel(BertConfig(), add_pooling_layer=True)).eval()
    rng = np.random.RandomState(0)
    sets = []
    for batch, length, real in ((1, 128, 40), (2, 14, 9)):
        ids = rng.randint(1000, 30000, size=(batch, length)).astype(np.int64)
        ids[:, 0] = 101
        mask = np.ones((batch, length), dtype=np.int64)
        mask[-1, real:] = 0
        ids[-1, real:] = 0
        sets.append({"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    batch = torch.export.Dim("batch_size", min=1, max=64)
    length = torch.export.Dim("sequence_length", min=2, max=512)
    dims = {0: "batch_size", 1: "sequence_length"}
    dynamic = {"axes": {n: dims for n in names + ["last_hidden_state"]} | {"pooler_output": {0: "batch_size"}},
               "shapes": {n: {0: batch, 1: length} for n in names}}

    class Encoder(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state, out.pooler_output

    wrapper = Encoder(model).eval()
    example = tuple(torch.from_numpy(sets[0][n]) for n in names)
    seconds = export(wrapper, example, path, legacy, names, ["last_hidden_state", "pooler_output"], dynamic,
                     opset=None if not legacy else 14)
    with torch.no_grad():
        reference = [[t.numpy() for t in wrapper(*(torch.from_numpy(s[n]) for n in names))] for s in sets]
    write_case(name, path, sets, reference,
               {"source": "transformers BertModel(BertConfig()) = bert-base-uncased shape, random weights, seed 0",
                "exporter": "dynamo=False (TorchScript), opset 14" if legacy else "dynamo=True (default)",
                "export_seconds": seconds})


# ---------------------------------------------------------------------------------------------
# Decoder-only LMs with past key/values (transformers), optimum's decoder-with-past contract

def decoder(name, family, legacy, opset=None):
    from transformers import DynamicCache, GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM
    if family == "gpt2":
        config = GPT2Config()  # GPT-2 small: 12 layers, 768 wide, 12 heads, vocab 50257
        model = GPT2LMHeadModel(config)
        layers, kv_heads, head_dim = config.n_layer, config.n_head, config.n_embd // config.n_head
    else:
        # SmolLM2-135M's shape: 30 layers, 576 wide, 9 heads over 3 KV heads (GQA), SwiGLU, RoPE
        config = LlamaConfig(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                             num_attention_heads=9, num_key_value_heads=3, rms_norm_eps=1e-5,
                             rope_theta=100000.0, max_position_embeddings=2048, tie_word_embeddings=True)
        model = LlamaForCausalLM(config)
        layers, kv_heads, head_dim = 30, 3, 64
    config._attn_implementation = "sdpa"
    model = perturb_norms(model).eval()

    class WithPast(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, position_ids, *past):
            cache = DynamicCache(ddp_cache_data=[(past[2 * i], past[2 * i + 1]) for i in range(layers)])
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                             cache=cache, use_cache=True)
            presents = []
            for layer in out.cache.layers:
                presents += [layer.keys, layer.values]
            return (out.logits, *presents)

    wrapper = WithPast(model).eval()
    past_names = [f"past_key_values.{i}.{kind}" for i in range(layers) for kind in ("key", "value")]
    present_names = [f"present.{i}.{kind}" for i in range(layers) for kind in ("key", "value")]
    names = ["input_ids", "attention_mask", "position_ids"] + past_names

    def feeds(ids, past):
        past_length = past[0].shape[2]
        length = ids.shape[1]
        feed = {"input_ids": ids, "attention_mask": np.ones((1, past_length + length), dtype=np.int64),
                "position_ids": np.arange(past_length, past_length + length, dtype=np.int64)[None]}
        feed.update(zip(past_names, past))
        return feed

    def run_torch(feed):
        with torch.no_grad():
            return [t.numpy() for t in wrapper(*(torch.from_numpy(feed[n]) for n in names))]

    rng = np.random.RandomState(0)
    prompt = rng.randint(3, config.vocab_size, size=(1, 32)).astype(np.int64)
    empty = [np.zeros((1, kv_heads, 0, head_dim), dtype=np.float32) for _ in past_names]
    prefill = feeds(prompt, empty)
    prefill_out = run_torch(prefill)
    step = feeds(np.array([[int(prefill_out[0][0, -1].argmax())]], dtype=np.int64), prefill_out[1:])
    step_out = run_torch(step)

    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    # Export with a non-empty past of 4 (an empty example past would specialise the dim to 0).
    example_past = [np.asarray(rng.randn(1, kv_heads, 4, head_dim), dtype=np.float32) for _ in past_names]
    example = feeds(prompt[:, :5], example_past)
    dynamic = torch.export.Dim.DYNAMIC
    shapes = {"input_ids": {0: dynamic, 1: dynamic}, "attention_mask": {0: dynamic, 1: dynamic},
              "position_ids": {0: dynamic, 1: dynamic}, "past": [{0: dynamic, 2: dynamic} for _ in past_names]}
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    axes |= {n: {0: "batch_size", 2: "past_sequence_length"} for n in past_names}
    axes |= {n: {0: "batch_size", 2: "total_sequence_length"} for n in present_names}
    seconds = export(wrapper, tuple(torch.from_numpy(example[n]) for n in names), path, legacy, names,
                     ["logits"] + present_names, {"axes": axes, "shapes": tuple(shapes[n] for n in names[:3]) + (tuple(shapes["past"]),)},
                     opset=opset)
    write_case(name, path, [prefill, step], [prefill_out, step_out],
               {"source": ("transformers GPT2LMHeadModel(GPT2Config()) = GPT-2 small shape" if family == "gpt2" else
                           "transformers LlamaForCausalLM with SmolLM2-135M's shape (30 layers, GQA 9:3, SwiGLU, RoPE)")
                + ", random weights, seed 0",
                "exporter": ("dynamo=False (TorchScript)" if legacy else "dynamo=True (default)")
                + (f", opset_version={opset}" if opset else ""),
                "export_seconds": seconds,
                "sets_note": "0: prefill of 32 tokens with empty past; 1: one decode step (past 32)"})


MODELS = {}
for builder in ("resnet18", "resnet50", "mobilenet_v2", "squeezenet1_1", "efficientnet_b0"):
    MODELS[builder] = (lambda b: lambda: vision(b, b, False))(builder)
    MODELS[builder + "_legacy"] = (lambda b: lambda: vision(b + "_legacy", b, True))(builder)
MODELS["bert"] = lambda: bert("bert", False)
MODELS["bert_legacy"] = lambda: bert("bert_legacy", True)
MODELS["gpt2_kv"] = lambda: decoder("gpt2_kv", "gpt2", False)
MODELS["gpt2_kv_legacy"] = lambda: decoder("gpt2_kv_legacy", "gpt2", True)
MODELS["llama_kv"] = lambda: decoder("llama_kv", "llama", False)
MODELS["llama_kv_legacy"] = lambda: decoder("llama_kv_legacy", "llama", True)
MODELS["llama_kv_op23"] = lambda: decoder("llama_kv_op23", "llama", False, opset=23)

for key, build in MODELS.items():
    if WANTED and key not in WANTED:
        continue
    if os.path.exists(os.path.join(OUT, key, "meta.json")):
        print(f"{key}: kept", flush=True)
        continue
    build()

// swift-tools-version:6.0
// libFuzzer harnesses, one per parser and interpreter that reads input from outside: built by
// scripts/fuzz with -sanitize=fuzzer,address (see there); each target's corpus seeds live in
// corpus/TARGET and every crash ever found stays in regressions/TARGET, replayed by the test suite.
import PackageDescription

let harnesses: [(String, [String])] = [
    ("FuzzONNX", ["OnnxLoader", "TensorCore"]),
    ("FuzzTensorFiles", ["OnnxLoader", "TensorCore"]),
    ("FuzzGGUF", ["GGUF", "Generation", "Tokenizers"]),
    ("FuzzTokenizerJSON", ["Tokenizers"]),
    ("FuzzJinja", ["Tokenizers"]),
    ("FuzzImages", ["Classification"]),
]

let package = Package(
    name: "infer-fuzz",
    dependencies: [.package(name: "infer", path: "..")],
    targets: [
        .target(name: "CFuzzerDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzerDriver"]),
    ]
        + harnesses.map { name, products in
            .executableTarget(
                name: name,
                dependencies: ["CFuzzerDriver", "FuzzSupport"] + products.map { .product(name: $0, package: "infer") })
        },
    swiftLanguageModes: [.v6]
)

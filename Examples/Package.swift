// swift-tools-version:6.0
// A package that uses infer the way any other package would: by version, from a git URL.
// `bash scripts/examples` (run by the test command) publishes the current commit as a git
// repository tagged with the library's version in .build-repository/infer; a project of your own
// names infer's repository URL instead (or sets INFER_PACKAGE_URL).
import PackageDescription

let inferURL = Context.environment["INFER_PACKAGE_URL"] ?? "file://\(Context.packageDirectory)/.build-repository/infer"

let package = Package(
    name: "infer-examples",
    dependencies: [
        .package(url: inferURL, from: "0.1.0")
    ],
    targets: [
        // (a) classify a photo with an ONNX image classifier.
        .executableTarget(
            name: "ClassifyPhoto",
            dependencies: [.product(name: "Classification", package: "infer")]
        ),
        // (b) tokenize text with a tokenizer.json or a GGUF vocabulary.
        .executableTarget(
            name: "TokenizeText",
            dependencies: [.product(name: "Tokenizers", package: "infer")]
        ),
        // (c) generate text with a GGUF model, streaming it as it comes.
        .executableTarget(
            name: "StreamText",
            dependencies: [
                .product(name: "Generation", package: "infer"),
                .product(name: "Tokenizers", package: "infer"),
            ]
        ),
        // Every library product imports: the package builds against all of them.
        .executableTarget(
            name: "ImportsEveryProduct",
            dependencies: [
                .product(name: "TensorCore", package: "infer"),
                .product(name: "OnnxLoader", package: "infer"),
                .product(name: "Classification", package: "infer"),
                .product(name: "Embeddings", package: "infer"),
                .product(name: "Tokenizers", package: "infer"),
                .product(name: "GGUF", package: "infer"),
                .product(name: "Generation", package: "infer"),
                .product(name: "Server", package: "infer"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

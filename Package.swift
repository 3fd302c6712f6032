// swift-tools-version:6.0
import PackageDescription

// No unsafe build flags: SwiftPM refuses them in a package that another package depends on by
// version. Kernels are written over SIMD types and build for any x86-64 or arm64 CPU; the
// repository's own scripts add the host's vector unit (`scripts/native-flags`: `-target-cpu` plus
// the AVX2/AVX512 conditions that select the intrinsic and 16-lane paths), as llama.cpp's default
// native build does. A consumer gets the same with
// `swift build -c release $(bash .build/checkouts/infer/scripts/native-flags)`.
let package = Package(
    name: "infer",
    products: [
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "OnnxLoader", targets: ["OnnxLoader"]),
        .library(name: "Classification", targets: ["Classification"]),
        .library(name: "Tokenizers", targets: ["Tokenizers"]),
        .library(name: "GGUF", targets: ["GGUF"]),
        .library(name: "Generation", targets: ["Generation"]),
        .library(name: "Embeddings", targets: ["Embeddings"]),
        .library(name: "Server", targets: ["Server"]),
        .executable(name: "infer-cli", targets: ["infer-cli"]),
        .executable(name: "kernel-bench", targets: ["KernelBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .target(name: "TensorCore", dependencies: ["CBLAS"]),
        .target(name: "OnnxLoader", dependencies: ["TensorCore"]),
        // PNG (libpng) and JPEG (libjpeg-turbo) decoding, with libjpeg's errors turned into messages.
        .target(name: "CImageCodecs", linkerSettings: [.linkedLibrary("png"), .linkedLibrary("jpeg")]),
        .target(name: "Classification", dependencies: ["OnnxLoader", "TensorCore", "CImageCodecs"]),
        .target(name: "GGUF", dependencies: ["TensorCore"]),
        .target(name: "Tokenizers", dependencies: ["GGUF"]),
        .target(name: "Generation", dependencies: ["TensorCore", "GGUF", "Tokenizers"]),
        .target(name: "Embeddings", dependencies: ["TensorCore", "GGUF", "OnnxLoader", "Tokenizers"]),
        // The HTTP server: OpenAI, /predict and KServe routes over the library, continuous batching.
        .target(
            name: "Server",
            dependencies: [
                "TensorCore",
                "OnnxLoader",
                "Classification",
                "Tokenizers",
                "GGUF",
                "Generation",
                "Embeddings",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "infer-cli",
            dependencies: [
                "TensorCore",
                "OnnxLoader",
                "Classification",
                "Tokenizers",
                "GGUF",
                "Generation",
                "Embeddings",
                "Server",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "KernelBench",
            dependencies: ["TensorCore", "CBLAS"],
            path: "Benchmarks/KernelBench"
        ),
        // Fixture paths and GGUF writers the test targets share.
        .target(name: "TestSupport", dependencies: ["GGUF"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
        .testTarget(name: "OnnxLoaderTests", dependencies: ["OnnxLoader"]),
        .testTarget(name: "ClassificationTests", dependencies: ["Classification", "TensorCore"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "GGUF", "TestSupport"]),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "TensorCore", "TestSupport"]),
        .testTarget(
            name: "GenerationTests", dependencies: ["GGUF", "Generation", "Tokenizers", "TensorCore", "TestSupport"]),
        .testTarget(name: "InferCLITests", dependencies: ["infer-cli", "TensorCore"]),
        .testTarget(name: "EmbeddingsTests", dependencies: ["Embeddings", "TensorCore", "TestSupport"]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "infer-cli", "OnnxLoader", "TensorCore", "Tokenizers", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            // The OpenAI Python client's script, run by the tests.
            exclude: ["openai_client.py"]),
        .testTarget(
            name: "HostileInputTests",
            dependencies: [
                "infer-cli", "OnnxLoader", "Classification", "GGUF", "Tokenizers", "Generation", "TensorCore",
                "TestSupport",
            ]),
    ],
    swiftLanguageModes: [.v6]
)

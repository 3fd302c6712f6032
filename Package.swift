// swift-tools-version:6.0
import PackageDescription

import Foundation

// Kernels are written with SIMD types; let the compiler use the vector units of the machine that
// builds (as llama.cpp's default native build does): AVX-512 where the CPU has it (the AVX512
// condition switches kernels to 16-lane registers), else AVX2/FMA/F16C, which every x86 machine
// this project targets has. INFER_TARGET_CPU overrides the choice (e.g. haswell for a binary that
// must run on older machines).
// Kernels are optimised in debug builds too: the test suite runs real models (a 135M-parameter
// generation test among them) and unoptimised SIMD code is a hundred times slower.
#if arch(x86_64)
let cpuFlags = Set(((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")
    .split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
let hasAVX512 = ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(cpuFlags.contains)
let targetCPU = ProcessInfo.processInfo.environment["INFER_TARGET_CPU"] ?? (hasAVX512 ? "skylake-avx512" : "haswell")
let kernelFlags: [SwiftSetting] = [.unsafeFlags(["-target-cpu", targetCPU]), .unsafeFlags(["-O"], .when(configuration: .debug))]
    + (targetCPU.contains("avx512") || ["sapphirerapids", "icelake-server", "cascadelake", "cooperlake"].contains(targetCPU) ? [.define("AVX512")] : [])
#else
let kernelFlags: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]
#endif

let package = Package(
    name: "infer",
    products: [
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "OnnxLoader", targets: ["OnnxLoader"]),
        .library(name: "Classification", targets: ["Classification"]),
        .library(name: "Tokenizers", targets: ["Tokenizers"]),
        .library(name: "GGUF", targets: ["GGUF"]),
        .library(name: "Generation", targets: ["Generation"]),
        .executable(name: "infer-cli", targets: ["infer-cli"]),
        .executable(name: "kernel-bench", targets: ["KernelBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .target(
            name: "TensorCore",
            dependencies: ["CBLAS"],
            swiftSettings: kernelFlags
        ),
        .target(name: "OnnxLoader", dependencies: ["TensorCore"]),
        // PNG (libpng) and JPEG (libjpeg-turbo) decoding, with libjpeg's errors turned into messages.
        .target(name: "CImageCodecs", linkerSettings: [.linkedLibrary("png"), .linkedLibrary("jpeg")]),
        .target(name: "Classification", dependencies: ["OnnxLoader", "TensorCore", "CImageCodecs"]),
        // Tokenizers' state is value types and per-call buffers: no dynamic exclusivity checks needed.
        .target(name: "Tokenizers", swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        .target(name: "GGUF", dependencies: ["TensorCore"]),
        .target(name: "Generation", dependencies: ["TensorCore", "GGUF", "Tokenizers"], swiftSettings: kernelFlags),
        .executableTarget(
            name: "infer-cli",
            dependencies: [
                "TensorCore",
                "OnnxLoader",
                "Classification",
                "Tokenizers",
                "GGUF",
                "Generation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "KernelBench",
            dependencies: ["TensorCore", "CBLAS"],
            path: "Benchmarks/KernelBench",
            swiftSettings: kernelFlags
        ),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
        .testTarget(name: "OnnxLoaderTests", dependencies: ["OnnxLoader"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers"]),
        .testTarget(name: "GenerationTests", dependencies: ["GGUF", "Generation", "Tokenizers", "TensorCore"]),
        .testTarget(name: "InferCLITests", dependencies: ["infer-cli"]),
    ],
    swiftLanguageModes: [.v6]
)

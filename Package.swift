// swift-tools-version:6.0
import Foundation
import PackageDescription

// The kernels are compiled for the CPU that builds them (AVX2/AVX-512 where present): their
// element-wise loops run 2–4× faster than with the x86-64 baseline (SSE2). A binary meant for
// other machines is built with LETHE_PORTABLE=1.
let kernelSettings: [SwiftSetting] = ProcessInfo.processInfo.environment["LETHE_PORTABLE"] == "1"
    ? [] : [.unsafeFlags(["-target-cpu", "native"])]

// Layers as in DESIGN.md; dependencies point down only.
let package = Package(
    name: "Lethe",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "lethe", targets: ["lethe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd"),
        .target(name: "Kernels", dependencies: ["CBLAS"], swiftSettings: kernelSettings),
        .target(name: "Model", dependencies: ["Kernels", "CZstd"]),
        // The fictitious-author corpus (TOFU-style): what the embedded default learned and is measured on.
        .target(name: "Corpus", dependencies: ["Model"]),
        .target(name: "Unlearning", dependencies: ["Model", "Kernels", "Corpus"]),
        .target(
            name: "Store",
            dependencies: [
                "Model", "CZstd",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "Daemon",
            dependencies: ["Store", "Unlearning", "Corpus", "Model", .product(name: "Logging", package: "swift-log")]
        ),
        // The embedded default's recipe: corpus, tokenizer and training from scratch.
        .target(name: "EmbeddedModel", dependencies: ["Unlearning", "Corpus", "Model", "Kernels"]),
        // What `lethe bench` measures, beside the product's code.
        .target(name: "Benchmarks", dependencies: ["Unlearning", "Corpus", "Store", "Model", "Kernels"]),
        .executableTarget(
            name: "lethe",
            dependencies: [
                "Model", "Unlearning", "Kernels", "Store", "Daemon", "Corpus", "EmbeddedModel", "Benchmarks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
        .target(name: "CAllocationCounter", path: "Tests/CAllocationCounter"),
        .testTarget(name: "ModelTests", dependencies: ["Model", "Kernels", "CAllocationCounter"], exclude: ["Fixtures"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "Model"]),
        .testTarget(name: "CLITests", dependencies: ["lethe", "Model", "Store", "Unlearning", "Corpus", "Daemon"], exclude: ["Fixtures"]),
        .testTarget(name: "CorpusTests", dependencies: ["Corpus"]),
        .testTarget(name: "UnlearningTests", dependencies: ["Unlearning", "Corpus", "EmbeddedModel", "Model"], exclude: ["Fixtures"]),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "Unlearning", "Corpus", "Model"]),
        .testTarget(name: "DaemonTests", dependencies: ["Daemon"], exclude: ["Fixtures"]),
    ]
)

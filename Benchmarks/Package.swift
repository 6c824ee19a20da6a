// swift-tools-version: 6.0
// Benchmarks live in their own package so that their dependencies never reach library users.
import PackageDescription

let package = Package(
    name: "SemblanceBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Semblance", path: "../"),
    ],
    targets: [
        // Seeded clustered vectors, the same in every benchmark process and run.
        .target(name: "BenchVectors"),
        // The external-program peer of ../shared/bench (protocol version 1).
        .executableTarget(
            name: "semblance-ann",
            dependencies: [.product(name: "Semblance", package: "Semblance")]
        ),
        // Durable storage: group commit, open versus build, incremental checkpoints.
        .executableTarget(
            name: "semblance-storage-bench",
            dependencies: [.product(name: "Semblance", package: "Semblance")]
        ),
        // Kernel ns/distance and the cost of copying (forking) a large index.
        .executableTarget(
            name: "semblance-microbench",
            dependencies: [.product(name: "Semblance", package: "Semblance")]
        ),
        // The C kernels over float32 and the compact encodings (bfloat16, float16, int8), per
        // variant; imports SemblanceKernels, which reaches it through Semblance.
        .executableTarget(
            name: "semblance-kernel-bench",
            dependencies: [.product(name: "Semblance", package: "Semblance")]
        ),
        // Versioning: branch creation, past commits, diff, merge, disk use with garbage collection.
        .executableTarget(
            name: "semblance-versioning-bench",
            dependencies: [.product(name: "Semblance", package: "Semblance")]
        ),
        // Readers beside a writer: reader processes' search throughput and their lag.
        .executableTarget(
            name: "semblance-readers-bench",
            dependencies: ["BenchVectors", .product(name: "Semblance", package: "Semblance")]
        ),
        // Replicas on object storage: push, cold and warm open from S3 against a local open,
        // and the lag of a following replica (moto's S3 server on loopback).
        .executableTarget(
            name: "semblance-replica-bench",
            dependencies: [
                "BenchVectors",
                .product(name: "Semblance", package: "Semblance"),
                .product(name: "SemblanceS3", package: "Semblance"),
            ]
        ),
        // The async API: batch search against one query at a time, and 1 / 2 / 4 shards.
        .executableTarget(
            name: "semblance-collection-bench",
            dependencies: [.product(name: "Semblance", package: "Semblance")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

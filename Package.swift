// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Semblance",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Semblance", targets: ["Semblance"]),
        // Object storage (S3-compatible) over AsyncHTTPClient: a separate product, so that
        // apps that do not use it do not build swift-nio.
        .library(name: "SemblanceS3", targets: ["SemblanceS3"]),
        .executable(name: "semblance", targets: ["semblance"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // The system liblz4, found by pkg-config (Debian: liblz4-dev).
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"]), .brew(["lz4"])]
        ),
        // Distance kernels in C: per-function target attributes and run-time dispatch,
        // so no unsafe flags reach the packages that depend on us.
        .target(name: "SemblanceKernels"),
        .target(
            name: "Semblance",
            dependencies: [
                "CLZ4",
                "SemblanceKernels",
                .product(name: "Collections", package: "swift-collections"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "SemblanceS3",
            dependencies: [
                "Semblance",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A small real-embedding data set shipped with the package: the demo and the tests use it.
        .target(
            name: "SemblanceFixtures",
            dependencies: ["Semblance"],
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "semblance",
            dependencies: [
                "Semblance",
                "SemblanceS3",
                "SemblanceFixtures",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The child process of the crash tests: a scripted workload that kills itself at the
        // n-th I/O call, through the public API.
        .executableTarget(name: "semblance-crash-worker", dependencies: ["Semblance"], path: "Sources/SemblanceCrashWorker"),
        // What the test targets share: temporary folders, finding a built executable.
        .target(name: "SemblanceTestSupport", path: "Tests/SemblanceTestSupport"),
        // Signing against the AWS test suite and botocore; the store against a real
        // S3-protocol server (moto) that scripts/test.sh starts on loopback.
        .testTarget(
            name: "SemblanceS3Tests",
            dependencies: ["Semblance", "SemblanceS3", "SemblanceTestSupport"]
        ),
        .testTarget(
            name: "SemblanceKernelsTests",
            dependencies: ["SemblanceKernels"]
        ),
        // Programs written the way the README and DocC teach, against the public API only.
        .testTarget(
            name: "SemblanceUsageTests",
            dependencies: ["Semblance"]
        ),
        .testTarget(
            name: "SemblanceTests",
            dependencies: ["Semblance", "SemblanceFixtures", "SemblanceKernels", "SemblanceTestSupport"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

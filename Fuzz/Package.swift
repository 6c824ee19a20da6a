// swift-tools-version: 6.0
// Coverage-guided fuzz targets (libFuzzer) for Semblance's decoders, in their own package
// so that nothing here reaches the library's users or its normal build. Build and run them
// with scripts/fuzz.sh (see docs/fuzzing.md): it builds into ../.build-fuzz with ASan and
// sanitizer coverage, and links libFuzzer's runtime without its `main`.
import PackageDescription

let package = Package(
    name: "SemblanceFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Semblance", path: "../"),
    ],
    targets: [
        // Declares libFuzzer's LLVMFuzzerRunDriver, which the toolchain's
        // libclang_rt.fuzzer_no_main defines (scripts/fuzz.sh links it).
        .target(name: "CFuzzerDriver"),
        // One program, every target: `semblance-fuzz <target> [libFuzzer flags] [corpus...]`,
        // or through a link named fuzz-<target>; `semblance-fuzz --seeds DIR` writes the
        // generated seed corpora. The targets reach the internal decoders through
        // `@testable import`, so the library is built with -enable-testing.
        .executableTarget(
            name: "semblance-fuzz",
            dependencies: ["CFuzzerDriver", .product(name: "Semblance", package: "Semblance")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

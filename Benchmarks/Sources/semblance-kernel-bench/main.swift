// semblance-kernel-bench: ns per distance of the C kernels over float32 and the compact
// encodings (bfloat16, float16, int8), per variant, at the common embedding sizes.
//
//   swift run -c release --package-path Benchmarks semblance-kernel-bench [--all-variants]
//
// Every table the CPU can run is measured with --all-variants (the fallbacks of a CPU without
// F16C, AVX512_BF16 or AVX512_VNNI included); by default the best table of each level.
// The kernels are not wired into the index yet (issue 12), so this calls the C tables directly.
import Foundation
import SemblanceKernels

func seconds(_ body: () -> Void) -> Double {
    let start = ContinuousClock.now
    body()
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// `count + 1` vectors of `dimension` elements in a 64-byte-aligned arena (the last one is the
/// query), each row starting on a 64-byte boundary as the index stores them.
final class Arena<Element> {
    let base: UnsafeMutablePointer<Element>
    let stride: Int
    let count: Int

    init(count: Int, dimension: Int, fill: () -> Element) {
        let bytesPerRow = (dimension * MemoryLayout<Element>.stride + 63) / 64 * 64
        stride = bytesPerRow / MemoryLayout<Element>.stride
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: (count + 1) * bytesPerRow, alignment: 64)
        base = raw.bindMemory(to: Element.self, capacity: (count + 1) * stride)
        for i in 0..<((count + 1) * stride) { (base + i).initialize(to: fill()) }
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }

    func row(_ i: Int) -> UnsafePointer<Element> { UnsafePointer(base + i * stride) }
    var query: UnsafePointer<Element> { row(count) }
}

/// ns per call of `kernel(query, row)` over every row: rounds of at least 20 ms (the
/// repetitions calibrated by a first pass), median of 7.
@inline(__always)
func measure<Element>(_ arena: Arena<Element>, _ kernel: (UnsafePointer<Element>, UnsafePointer<Element>) -> Float) -> Double {
    var sink: Float = 0
    let query = arena.query
    func pass(_ repetitions: Int) -> Double {
        seconds {
            for _ in 0..<repetitions {
                for v in 0..<arena.count { sink += kernel(query, arena.row(v)) }
            }
        }
    }
    let repetitions = max(1, Int((0.02 / max(pass(1), 1e-6)).rounded(.up)))
    let rounds = (0..<7).map { _ in pass(repetitions) / Double(repetitions * arena.count) * 1e9 }
    if sink == .infinity { print("") }
    return median(rounds)
}

let allVariants = CommandLine.arguments.contains("--all-variants")
let dimensions = [128, 384, 768]
let count = 1000

var tables: [sk_kernel_table] = []
for level in Int32(0)...Int32(3) where sk_level_supported(level) != 0 {
    for features in (allVariants ? Array(UInt32(0)..<8) : [~UInt32(0)]) {
        let table = sk_kernels_using(level, features)
        if !tables.contains(where: { String(cString: $0.variant) == String(cString: table.variant) }) {
            tables.append(table)
        }
    }
}

print("Distance kernels by encoding: ns per distance, 1 query × \(count) hot vectors (rows 64-byte aligned),")
print("median of 7 rounds of ≥ 20 ms; best on this CPU: \(String(cString: sk_kernels(sk_best_level()).variant))\n")
print("| kernel | variant | " + dimensions.map { "d=\($0)" }.joined(separator: " | ") + " |")
print("|---|---|" + dimensions.map { _ in "---:" }.joined(separator: "|") + "|")

let kernels = ["f32 l2sq", "f32 dot", "bf16 l2sq", "bf16 dot", "f16 l2sq", "f16 dot", "i8 l2sq", "i8 dot"]
var rng = SystemRandomNumberGenerator()
// results[kernel][table]: one cell per dimension
var results = [[[String]]](repeating: [[String]](repeating: [], count: tables.count), count: kernels.count)
for dimension in dimensions {
    let floats = Arena<Float>(count: count, dimension: dimension) { Float.random(in: -1...1, using: &rng) }
    let bf16 = Arena<UInt16>(count: count, dimension: dimension) { 0 }
    let f16 = Arena<UInt16>(count: count, dimension: dimension) { 0 }
    for i in 0...count {
        sk_f32_to_bf16(floats.row(i), bf16.base + i * bf16.stride, dimension)
        sk_f32_to_f16(floats.row(i), f16.base + i * f16.stride, dimension)
    }
    let codes = Arena<Int8>(count: count, dimension: dimension) { Int8.random(in: -127...127, using: &rng) }
    for (t, table) in tables.enumerated() {
        // The C tables fill every pointer.
        let l2sq = table.l2sq!, dot = table.dot!
        let l2sqBF16 = table.l2sq_bf16!, dotBF16 = table.dot_bf16!
        let l2sqF16 = table.l2sq_f16!, dotF16 = table.dot_f16!
        let l2sqI8 = table.l2sq_i8!, dotI8 = table.dot_i8!
        let times = [
            measure(floats) { l2sq($0, $1, dimension) },
            measure(floats) { dot($0, $1, dimension) },
            measure(bf16) { l2sqBF16($0, $1, dimension) },
            measure(bf16) { dotBF16($0, $1, dimension) },
            measure(f16) { l2sqF16($0, $1, dimension) },
            measure(f16) { dotF16($0, $1, dimension) },
            measure(codes) { Float(l2sqI8($0, $1, dimension)) },
            measure(codes) { Float(dotI8($0, $1, dimension)) },
        ]
        for (k, ns) in times.enumerated() { results[k][t].append(String(format: "%.1f", ns)) }
    }
}
for (k, kernel) in kernels.enumerated() {
    for (t, table) in tables.enumerated() {
        print("| \(kernel) | \(String(cString: table.variant)) | " + results[k][t].joined(separator: " | ") + " |")
    }
}
print("")

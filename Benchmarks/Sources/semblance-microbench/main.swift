// semblance-microbench: distance-kernel cost per variant and dimension, and the cost of
// copying a large index value and of the first write after the copy.
//
//   swift run -c release --package-path Benchmarks semblance-microbench [kernels] [copy] [--copy-count N]
import Foundation
import Semblance

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }


func randomVectors(_ count: Int, _ dimension: Int) -> [[Float]] {
    var rng = SystemRandomNumberGenerator()
    return (0..<count).map { _ in (0..<dimension).map { _ in Float.random(in: -1...1, using: &rng) } }
}

/// ns per distance over a hot set of 1,000 vectors in a 64-byte-aligned arena (as the index
/// stores them), called through the dispatched C function pointer; median of 7 rounds.
func benchmarkKernels() {
    let dimensions = [128, 384, 768, 1536]
    let variants = DistanceKernels.Variant.allCases.filter(\.isSupported)
    print("Distance kernels: ns per distance, 1 query × 1,000 hot vectors (64-byte aligned), median of 7 rounds")
    print("(best variant on this CPU: \(DistanceKernels.best.variant))\n")
    print("| kernel | variant | " + dimensions.map { "d=\($0)" }.joined(separator: " | ") + " |")
    print("|---|---|" + dimensions.map { _ in "---" }.joined(separator: "|") + "|")
    var rng = SystemRandomNumberGenerator()
    for kernel in ["l2sq", "dot", "cosine"] {
        for variant in variants {
            let kernels = DistanceKernels(variant: variant)
            var row: [String] = []
            for dimension in dimensions {
                let count = 1000
                let arena = UnsafeMutableRawPointer.allocate(byteCount: (count + 1) * dimension * 4, alignment: 64)
                    .bindMemory(to: Float.self, capacity: (count + 1) * dimension)
                defer { UnsafeMutableRawPointer(arena).deallocate() }
                for i in 0..<((count + 1) * dimension) { arena[i] = Float.random(in: -1...1, using: &rng) }
                let query = UnsafePointer(arena + count * dimension)
                let repetitions = max(1, 4_000_000 / (dimension * count) * (variant == .scalar ? 1 : 8))
                var sink: Float = 0
                var rounds: [Double] = []
                for _ in 0..<7 {
                    let t = seconds {
                        for _ in 0..<repetitions {
                            for v in 0..<count {
                                let p = UnsafePointer(arena + v * dimension)
                                switch kernel {
                                case "l2sq": sink += kernels.squaredEuclidean(query, p, count: dimension)
                                case "dot": sink += kernels.dotProduct(query, p, count: dimension)
                                default: sink += kernels.cosineDistance(query, p, count: dimension)
                                }
                            }
                        }
                    }
                    rounds.append(t / Double(repetitions * count) * 1e9)
                }
                if sink == .infinity { print("") }
                row.append(String(format: "%.1f", median(rounds)))
            }
            print("| \(kernel) | \(variant) | " + row.joined(separator: " | ") + " |")
        }
    }
    print("")
}

/// The cost of `var copy = index` for a large index, and what the first writes then copy.
func benchmarkCopy(count: Int) throws {
    let dimension = 128
    print("Copy-on-write: an index of \(count) × \(dimension) vectors (L2; built with efConstruction 16 to save time,")
    print("which does not change the layout being measured)\n")
    var index = try VectorIndex(IndexConfiguration(dimension: dimension, metric: .squaredEuclidean, efConstruction: 16))
    let batch = 100_000
    var rng = SystemRandomNumberGenerator()
    let buildTime = try seconds {
        var start = 0
        while start < count {
            let end = min(start + batch, count)
            let records = (start..<end).map { i in
                (id: "v\(i)", vector: (0..<dimension).map { _ in Float.random(in: 0...100, using: &rng) })
            }
            try index.insert(contentsOf: records, parallelism: ProcessInfo.processInfo.activeProcessorCount)
            start = end
        }
    }
    let stats = index.statistics
    print("built in \(String(format: "%.1f", buildTime)) s; \(stats.allocatedBytes / 1_048_576) MiB of pages\n")

    var copies: [VectorIndex] = []
    copies.reserveCapacity(1000)
    let copyTime = seconds { for _ in 0..<1000 { copies.append(index) } }
    print("| measure | value |")
    print("|---|---|")
    print("| `var copy = index` (mean of 1,000) | \(String(format: "%.0f", copyTime / 1000 * 1e9)) ns |")
    copies.removeAll()

    var fork = index
    let query = (0..<dimension).map { _ in Float.random(in: 0...100, using: &rng) }
    let firstInsert = try seconds { try fork.insert(id: "new-0", vector: query) }
    let firstCopied = fork.statistics.copiedBytes
    print("| first insert after the copy: time | \(String(format: "%.2f", firstInsert * 1e3)) ms |")
    print("| first insert after the copy: bytes copied | \(firstCopied) (\(String(format: "%.3f", Double(firstCopied) / Double(stats.allocatedBytes) * 100)) % of the index) |")
    let secondInsert = try seconds { try fork.insert(id: "new-1", vector: query.map { $0 + 1 }) }
    print("| second insert: time, bytes copied by it | \(String(format: "%.2f", secondInsert * 1e3)) ms, \(fork.statistics.copiedBytes - firstCopied) |")
    do {
        var deleteFork = index
        try deleteFork.delete("v12345")
        print("| first delete after a copy: bytes copied | \(deleteFork.statistics.copiedBytes) |")
    }
    fork = try VectorIndex(index.configuration)  // drop the fork: the original is uniquely held again
    let unique = try seconds { try index.insert(id: "unique", vector: query) }
    print("| insert into the uniquely held original: time, bytes copied | \(String(format: "%.2f", unique * 1e3)) ms, \(index.statistics.copiedBytes) |")
    print("")
}

let arguments = CommandLine.arguments.dropFirst()
let copyCount = arguments.firstIndex(of: "--copy-count").flatMap { Int(arguments[arguments.index(after: $0)]) } ?? 1_000_000
let selected = Set(arguments.filter { !$0.hasPrefix("--") && Int($0) == nil })
if selected.isEmpty || selected.contains("kernels") { benchmarkKernels() }
if selected.isEmpty || selected.contains("copy") { try benchmarkCopy(count: copyCount) }

// semblance-ann: Semblance behind the external-program protocol of ../shared/bench.
// Builds a VectorIndex from ANN_BASE, answers ANN_QUERY one query per call on one thread
// for every ef in ANN_EF_SEARCH, and prints the result JSON on the last stdout line.
// `--encoding f32|f16|bf16|int8` picks the vectors' encoding (float32 by default).
import Foundation
import Semblance

func log(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

func elapsedSeconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

let spec = try AnnProtocol()
let base = try FVecs.read(spec.base)
let queries = try FVecs.read(spec.query)
guard let dimension = base.first?.count else { throw AnnError("empty base file") }
let metric: DistanceMetric = spec.metric == "l2" ? .squaredEuclidean : .innerProduct
let encoding = try encodingArgument()
let configuration = IndexConfiguration(
    dimension: dimension, metric: metric, m: spec.m, efConstruction: spec.efConstruction, encoding: encoding)
log("semblance-ann: \(base.count) × \(dimension) \(metric), \(encoding), \(queries.count) queries, kernels \(DistanceKernels.best.variant)")

var builds: [[String: Any]] = []
var index = try VectorIndex(configuration)
for threads in spec.buildThreads {
    index = try VectorIndex(configuration)  // frees the previous build first
    let records = base.enumerated().map { (id: String($0.offset), vector: $0.element) }
    let before = residentMiB()
    let start = ContinuousClock.now
    try index.insert(contentsOf: records, parallelism: threads)
    let seconds = elapsedSeconds(since: start)
    let peak = peakResidentMiB()
    // The index's memory: after the build and one search pass (float32 originals included).
    for query in queries { _ = try index.search(query, k: spec.k, ef: spec.efSearch.first ?? 64) }
    let delta = residentMiB() - before
    log("built on \(threads) thread(s) in \(seconds) s, peak \(peak) MiB, index +\(delta) MiB")
    builds.append(["threads": threads, "build_seconds": seconds, "peak_rss_mib": peak, "index_rss_delta_mib": delta])
}

/// One timed pass over every query at one ef.
struct Pass {
    var seconds = 0.0
    var cpuSeconds = 0.0
    var latencies: [Float] = []
    var hits: [[SearchResult]] = []
}

func timedPass(_ index: VectorIndex, ef: Int) throws -> Pass {
    let queries = queries, k = spec.k
    var pass = Pass()
    pass.latencies.reserveCapacity(queries.count)
    pass.hits.reserveCapacity(queries.count)
    let cpuStart = clock()
    for query in queries {
        let start = ContinuousClock.now
        let found = try index.search(query, k: k, ef: ef)
        let seconds = elapsedSeconds(since: start)
        pass.seconds += seconds
        pass.latencies.append(Float(seconds * 1e6))
        pass.hits.append(found)
    }
    pass.cpuSeconds = Double(clock() - cpuStart) / Double(CLOCKS_PER_SEC)
    return pass
}

// Like the harness's built-in peers: `reps` timed passes per ef, interleaved across the ef
// values (so a slow moment of the shared machine is spread over all of them), median kept.
let reps = max(1, Int(ProcessInfo.processInfo.environment["ANN_REPS"] ?? "") ?? 5)
for ef in spec.efSearch {
    for query in queries.prefix(100) { _ = try index.search(query, k: spec.k, ef: ef) }  // warm-up
}
var passes = [[Pass]](repeating: [], count: spec.efSearch.count)
for _ in 0..<reps {
    for (i, ef) in spec.efSearch.enumerated() { passes[i].append(try timedPass(index, ef: ef)) }
}

var runs: [[String: Any]] = []
for (i, ef) in spec.efSearch.enumerated() {
    let median = passes[i].sorted { $0.seconds < $1.seconds }[passes[i].count / 2]
    let ids = median.hits.map { found -> [Int32] in
        var row = found.map { Int32($0.id)! }
        while row.count < spec.k { row.append(-1) }
        return row
    }
    let idsFile = "ef_\(ef).ivecs", latencyFile = "ef_\(ef).lat.fvecs"
    try TexmexWriter.writeIVecs(ids, to: spec.outDirectory.appendingPathComponent(idsFile))
    try TexmexWriter.writeFVecs([median.latencies], to: spec.outDirectory.appendingPathComponent(latencyFile))
    log("ef \(ef): \(Double(queries.count) / median.seconds) queries/s (median of \(reps) passes)")
    runs.append(["ef": ef, "search_seconds": median.seconds, "search_cpu_seconds": median.cpuSeconds,
                 "ids_file": idsFile, "latencies_file": latencyFile, "passes": reps])
}

let last = builds.last ?? [:]
// Peak memory as the harness tables show it for the built-in peers: the first build, in a
// fresh process (a second build runs after the first index was freed, on a used heap).
let first = builds.first ?? [:]
let stats = index.statistics
let result: [String: Any] = [
    "name": "semblance", "version": "0.1.0",
    "build_seconds": last["build_seconds"] ?? 0, "build_threads": last["threads"] ?? 1,
    "peak_rss_mib": first["peak_rss_mib"] ?? 0, "index_bytes": stats.allocatedBytes,
    "builds": builds, "runs": runs,
    "notes": "VectorIndex, \(encoding), kernels \(DistanceKernels.best.variant)",
]
let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))

// semblance-ann: Semblance behind the external-program protocol of ../shared/bench.
// Builds a VectorIndex from ANN_BASE, answers ANN_QUERY one query per call on one thread
// for every ef in ANN_EF_SEARCH, and prints the result JSON on the last stdout line.
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
let configuration = IndexConfiguration(
    dimension: dimension, metric: metric, m: spec.m, efConstruction: spec.efConstruction)
log("semblance-ann: \(base.count) × \(dimension) \(metric), \(queries.count) queries, kernels \(DistanceKernels.best.variant)")

var builds: [[String: Any]] = []
var index = try VectorIndex(configuration)
for threads in spec.buildThreads {
    index = try VectorIndex(configuration)
    let start = ContinuousClock.now
    try index.insert(contentsOf: base.enumerated().map { (id: String($0.offset), vector: $0.element) }, parallelism: threads)
    let seconds = elapsedSeconds(since: start)
    let peak = peakResidentMiB()
    log("built on \(threads) thread(s) in \(seconds) s, peak \(peak) MiB")
    builds.append(["threads": threads, "build_seconds": seconds, "peak_rss_mib": peak])
}

var runs: [[String: Any]] = []
for ef in spec.efSearch {
    for query in queries.prefix(50) { _ = try index.search(query, k: spec.k, ef: ef) }  // warm-up
    var ids: [[Int32]] = []
    var latencies: [Float] = []
    ids.reserveCapacity(queries.count)
    latencies.reserveCapacity(queries.count)
    var hits: [[SearchResult]] = []
    hits.reserveCapacity(queries.count)
    let cpuStart = clock()
    var total = 0.0
    for query in queries {
        let start = ContinuousClock.now
        let found = try index.search(query, k: spec.k, ef: ef)
        let seconds = elapsedSeconds(since: start)
        total += seconds
        latencies.append(Float(seconds * 1e6))
        hits.append(found)
    }
    let cpuSeconds = Double(clock() - cpuStart) / Double(CLOCKS_PER_SEC)
    for found in hits {
        var row = found.map { Int32($0.id)! }
        while row.count < spec.k { row.append(-1) }
        ids.append(row)
    }
    let idsFile = "ef_\(ef).ivecs", latencyFile = "ef_\(ef).lat.fvecs"
    try TexmexWriter.writeIVecs(ids, to: spec.outDirectory.appendingPathComponent(idsFile))
    try TexmexWriter.writeFVecs([latencies], to: spec.outDirectory.appendingPathComponent(latencyFile))
    log("ef \(ef): \(Double(queries.count) / total) queries/s")
    runs.append(["ef": ef, "search_seconds": total, "search_cpu_seconds": cpuSeconds,
                 "ids_file": idsFile, "latencies_file": latencyFile])
}

let last = builds.last ?? [:]
let stats = index.statistics
let result: [String: Any] = [
    "name": "semblance", "version": "0.1.0",
    "build_seconds": last["build_seconds"] ?? 0, "build_threads": last["threads"] ?? 1,
    "peak_rss_mib": last["peak_rss_mib"] ?? 0, "index_bytes": stats.allocatedBytes,
    "builds": builds, "runs": runs,
    "notes": "VectorIndex, kernels \(DistanceKernels.best.variant)",
]
let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))

// semblance-ann: Semblance behind the external-program protocol of ../shared/bench.
// Builds a VectorIndex from ANN_BASE (timed, once per ANN_BUILD_THREADS value), then serves
// the searches as a user's process would: the same records imported into a one-shard
// collection (in a temporary directory), checkpointed, and opened again, so that under a
// compact encoding the float32 originals are read from their page files. It answers
// ANN_QUERY one query per call on one thread for every ef in ANN_EF_SEARCH, and prints the
// result JSON on the last stdout line.
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
let rerankMultiple = try intArgument("--rerank-multiple") ?? IndexConfiguration(dimension: 1, encoding: encoding).rerankMultiple
let inMemory = CommandLine.arguments.contains("--in-memory")
let configuration = IndexConfiguration(
    dimension: dimension, metric: metric, m: spec.m, efConstruction: spec.efConstruction, encoding: encoding,
    rerankMultiple: rerankMultiple)
if let directory = stringArgument("--import-into") {
    // The child process of the served measure: the import, in a process of its own.
    try await importCollection(into: directory)
    exit(0)
}
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
    // The built index's memory, all in memory: after the build and one search pass.
    for query in queries { _ = try index.search(query, k: spec.k, ef: spec.efSearch.first ?? 64) }
    let delta = residentMiB() - before
    log("built on \(threads) thread(s) in \(seconds) s, peak \(peak) MiB, in memory +\(delta) MiB")
    builds.append(["threads": threads, "build_seconds": seconds, "peak_rss_mib": peak, "built_index_rss_delta_mib": delta])
}
if inMemory {
    // --in-memory (for comparison): the last build is searched as built, all in memory.
    for i in builds.indices { builds[i]["index_rss_delta_mib"] = builds[i]["built_index_rss_delta_mib"] }
} else {
    index = try VectorIndex(configuration)  // frees the last build
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("semblance-ann-\(UUID().uuidString)").path
    try importInChildProcess(into: directory)
    // What the builds freed goes back to the system, so the opened index's pages are counted.
    #if os(Linux)
    _ = mallocTrim(0)
    #endif
    let beforeServed = residentMiB()
    index = try await Client(directory: directory, access: .readOnly).collection("ann").snapshot().shards[0]
    for query in queries { _ = try index.search(query, k: spec.k, ef: spec.efSearch.first ?? 64) }
    let servedDelta = residentMiB() - beforeServed
    // The files stay open while the index reads them; the names can go.
    try? FileManager.default.removeItem(atPath: directory)
    log("opened from its files: +\(servedDelta) MiB (\(index.statistics.allocatedBytes >> 20) MiB of pages in memory)")
    for i in builds.indices { builds[i]["index_rss_delta_mib"] = servedDelta }
}

/// The records imported into a one-shard collection in `directory` and checkpointed, by a
/// child process: the served index is then opened by this process as a user's would open
/// it, and its memory (after opening and one search pass) is the index memory each build
/// entry reports, with none of the import's in this process.
func importInChildProcess(into directory: String) throws {
    let child = Process()
    child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    child.arguments = ["--import-into", directory, "--encoding", encoding.description, "--rerank-multiple", String(rerankMultiple)]
    try child.run()
    child.waitUntilExit()
    guard child.terminationStatus == 0 else { throw AnnError("the import into \(directory) failed (\(child.terminationStatus))") }
}

func importCollection(into directory: String) async throws {
    let client = try await Client(directory: directory)
    let collection = try await client.createCollection("ann", configuration: CollectionConfiguration(
        dimension: dimension, metric: metric, m: spec.m, efConstruction: spec.efConstruction, encoding: encoding,
        rerankMultiple: rerankMultiple))
    let start = ContinuousClock.now
    for first in stride(from: 0, to: base.count, by: 10_000) {
        try await collection.insert((first..<min(first + 10_000, base.count)).map { VectorRecord(id: String($0), vector: base[$0]) })
    }
    _ = try await collection.checkpoint()
    await client.close()
    log("imported into a collection and checkpointed in \(elapsedSeconds(since: start)) s")
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
    let best = passes[i].map(\.seconds).min()!
    log("ef \(ef): \(Double(queries.count) / median.seconds) queries/s (median of \(reps) passes; best \(Double(queries.count) / best))")
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
    "notes": "VectorIndex built in memory (timed), searched \(inMemory ? "as built" : "as opened from a checkpointed collection"), \(encoding), rerank \(rerankMultiple) × k, kernels \(DistanceKernels.best.variant)",
]
let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))

#if os(Linux)
/// glibc's malloc_trim, which the Glibc module does not export.
@_silgen_name("malloc_trim")
func mallocTrim(_ pad: Int) -> Int32
#endif

import Foundation
import Semblance
import Synchronization

// Readers beside a writer: search throughput of 1, 2 and 4 reader processes while another
// process imports, against the same searches inside the importing process; and the lag from
// a writer's acknowledged upsert to a following reader's first answer that includes it.
//
//   swift run -c release --package-path Benchmarks semblance-readers-bench [--vectors 40000] [--seconds 8] [--out FILE]
//
// The collection: `--vectors` clustered 128-d vectors (cosine, 2 shards), checkpointed; each
// measurement starts from a copy of it. Searches: k 10, the default ef, one query after
// another per process. Readers follow the writer every 0.1 s.

let arguments = Array(CommandLine.arguments.dropFirst())

if arguments.first == "--role" {
    let role = arguments[1]
    let directory = arguments[2]
    switch role {
    case "writer": try await Roles.writer(directory: directory, seconds: Double(arguments[3])!, first: Int(arguments[4])!)
    case "reader": try await Roles.reader(directory: directory, seconds: Double(arguments[3])!)
    case "lag-writer": try await Roles.lagWriter(directory: directory, count: Int(arguments[3])!)
    case "lag-reader": try await Roles.lagReader(directory: directory, count: Int(arguments[3])!, interval: Double(arguments[4])!)
    default: fatalError("unknown role \(role)")
    }
    exit(0)
}

func option(_ name: String, _ fallback: String) -> String {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return fallback }
    return arguments[i + 1]
}
let vectorCount = Int(option("--vectors", "40000"))!
let seconds = Double(option("--seconds", "8"))!
let output = option("--out", "")
/// How many reader processes to measure beside the writer (comma-separated).
let readerCounts = option("--readers", "1,2,4").split(separator: ",").map { Int($0)! }

func log(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

let work = NSTemporaryDirectory() + "semblance-readers-\(UUID().uuidString)"
let base = work + "/base"
defer { try? FileManager.default.removeItem(atPath: work) }

// The collection every measurement starts from.
do {
    let client = try await Client(directory: base)
    let collection = try await client.createCollection(BenchData.collection, configuration: CollectionConfiguration(
        dimension: BenchData.dimension, metric: .cosine, shardCount: 2))
    for start in stride(from: 0, to: vectorCount, by: 1000) {
        try await collection.upsert((start..<min(start + 1000, vectorCount)).map { VectorRecord(id: "v\($0)", vector: BenchData.vector($0)) })
    }
    try await collection.checkpoint()
    await client.close()
    log("built \(vectorCount) vectors")
}

func freshCopy() throws -> String {
    let path = work + "/copy-\(UUID().uuidString)"
    try FileManager.default.copyItem(atPath: base, toPath: path)
    return path
}

/// Tells the in-process importer to stop.
final class StopFlag: Sendable {
    private let flag = Mutex(false)
    var isSet: Bool { flag.withLock { $0 } }
    func set() { flag.withLock { $0 = true } }
}

/// A child process of this executable with its stdout in a file.
final class Child {
    let process = Process()
    let outputPath: String
    init(_ arguments: [String], output: String) throws {
        outputPath = output
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = ["--role"] + arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        try process.run()
    }
    var lines: [String] { ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
    func waitFor(_ prefix: String) {
        while !lines.contains(where: { $0.hasPrefix(prefix) }) && process.isRunning { usleep(1_000) }
    }
    func wait() -> [String] {
        process.waitUntilExit()
        return lines
    }
}

func number(_ lines: [String], _ key: String, field: Int = 1) -> Double {
    Double(lines.first { $0.hasPrefix(key + " ") }!.split(separator: " ")[field])!
}

struct Throughput: Codable {
    var readers: Int
    var queriesPerSecond: Double
    var perReader: [Double]
    var writerVectorsPerSecond: Double
}
var throughput: [Throughput] = []

// Searches alone, then inside the importing process.
for importing in [false, true] {
    let directory = try freshCopy()
    let client = try await Client(directory: directory)
    let collection = try await client.collection(BenchData.collection)
    let stop = StopFlag()
    let importer = Task { () -> Int in
        guard importing else { return 0 }
        var batches = 0
        while !stop.isSet {
            try? await Roles.importBatch(batches, from: 1_000_000, into: collection)
            batches += 1
        }
        return batches
    }
    let queries = try await Roles.searchLoop(collection, seconds: seconds)
    stop.set()
    let batches = await importer.value
    await client.close()
    let qps = Double(queries) / seconds
    throughput.append(Throughput(readers: 0, queriesPerSecond: qps, perReader: [qps], writerVectorsPerSecond: Double(batches * 100) / seconds))
    log(importing ? "in the importing process: \(Int(qps)) QPS, importing \(batches * 100 / Int(seconds)) vectors/s"
                  : "alone: \(Int(qps)) QPS")
}

// 1, 2 and 4 (or --readers) reader processes beside an importing writer process.
for readers in readerCounts {
    let directory = try freshCopy()
    let writer = try Child(["writer", directory, String(seconds + 3), "1000000"], output: work + "/writer-\(readers).out")
    usleep(500_000)
    let children = try (0..<readers).map { try Child(["reader", directory, String(seconds)], output: work + "/reader-\(readers)-\($0).out") }
    let perReader = children.map { number($0.wait(), "queries") / seconds }
    let batches = number(writer.wait(), "batches")
    let entry = Throughput(readers: readers, queriesPerSecond: perReader.reduce(0, +), perReader: perReader,
                           writerVectorsPerSecond: batches * 100 / (seconds + 3))
    throughput.append(entry)
    log("\(readers) reader process(es): \(Int(entry.queriesPerSecond)) QPS in all, writer \(Int(entry.writerVectorsPerSecond)) vectors/s")
}

struct Lag: Codable {
    var refreshInterval: Double
    var samples: Int
    var medianMilliseconds: Double
    var p90Milliseconds: Double
    var maxMilliseconds: Double
}
var lags: [Lag] = []
for interval in [0.01, 0.1] {
    let directory = try freshCopy()
    let count = 100
    let reader = try Child(["lag-reader", directory, String(count), String(interval)], output: work + "/lag-reader-\(interval).out")
    reader.waitFor("ready")
    let writer = try Child(["lag-writer", directory, String(count)], output: work + "/lag-writer-\(interval).out")
    let acks = writer.wait()
    let seen = reader.wait()
    func times(_ lines: [String], _ key: String) -> [Int: Double] {
        Dictionary(uniqueKeysWithValues: lines.filter { $0.hasPrefix(key + " ") }.map { line in
            let fields = line.split(separator: " ")
            return (Int(fields[1])!, Double(fields[2])!)
        })
    }
    let acked = times(acks, "ack")
    let answered = times(seen, "seen")
    let values = acked.keys.compactMap { i in answered[i].map { ($0 - acked[i]!) / 1e6 } }.sorted()
    let lag = Lag(refreshInterval: interval, samples: values.count, medianMilliseconds: values[values.count / 2],
                  p90Milliseconds: values[values.count * 9 / 10], maxMilliseconds: values.last!)
    lags.append(lag)
    log("lag, following every \(interval) s: median \(lag.medianMilliseconds) ms, p90 \(lag.p90Milliseconds) ms, max \(lag.maxMilliseconds) ms")
}

struct Report: Codable {
    var vectors: Int
    var dimension: Int
    var seconds: Double
    var cores: Int
    var throughput: [Throughput]
    var lag: [Lag]
}
let report = Report(vectors: vectorCount, dimension: BenchData.dimension, seconds: seconds,
                    cores: ProcessInfo.processInfo.activeProcessorCount, throughput: throughput, lag: lags)
let encoder = JSONEncoder()
encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
let json = try encoder.encode(report)
if output.isEmpty { print(String(decoding: json, as: UTF8.self)) } else { try json.write(to: URL(fileURLWithPath: output)) }

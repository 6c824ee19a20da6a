import Foundation
#if canImport(Glibc)
import Glibc
#endif
import BenchVectors
import Semblance
import SemblanceS3

// Replicas on object storage: pushing a collection, opening it from S3 cold (empty cache)
// and warm (cache filled) against opening it from the local directory, the bytes
// downloaded, and the lag from a writer's commit to a following replica's first answer that
// includes it, for S3 and for a local directory.
//
//   swift run -c release --package-path Benchmarks semblance-replica-bench [--vectors 100000] [--dimension 384] [--rounds 10] [--out FILE]
//
// The S3 server is moto's (`python3 -m pip install 'moto[server]'`), started on a free
// loopback port and stopped at the end: a real S3-protocol server on this machine, so the
// figures have no network latency in them and are a floor for a remote bucket. Vectors:
// clustered (64 centres), cosine, 2 shards, float32. Replicas follow every 0.1 s.

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, _ fallback: String) -> String {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return fallback }
    return arguments[i + 1]
}
let vectorCount = Int(option("--vectors", "100000"))!
let dimension = Int(option("--dimension", "384"))!
let rounds = Int(option("--rounds", "10"))!
let output = option("--out", "")
func log(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
func seconds(_ duration: Duration) -> Double { Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18 }

let vectors = ClusteredVectors(dimension: dimension)
func vector(_ n: Int) -> [Float] { vectors.vector(n) }

// The S3 server.
func freePort() -> Int {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
let port = freePort()
let server = Process()
server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
server.arguments = ["python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)]
server.standardOutput = FileHandle.nullDevice
server.standardError = FileHandle.nullDevice
try server.run()
defer { kill(server.processIdentifier, SIGKILL) }
let configuration = S3Configuration(endpoint: "http://127.0.0.1:\(port)", accessKeyID: "bench", secretAccessKey: "bench")
let store = try S3ObjectStore("s3://bench/db", configuration: configuration)
var ready = false
for _ in 0..<200 where !ready {
    ready = (try? await store.createBucket()) != nil
    if !ready { try await Task.sleep(for: .milliseconds(100)) }
}
guard ready else { fatalError("moto's server did not start: python3 -m pip install 'moto[server]'") }

let work = NSTemporaryDirectory() + "semblance-replica-\(UUID().uuidString)"
defer { try? FileManager.default.removeItem(atPath: work) }
let clock = ContinuousClock()

// The collection, committed and pushed.
let writer = try await Client(directory: work + "/db")
let docs = try await writer.createCollection("bench", configuration: CollectionConfiguration(dimension: dimension, metric: .cosine, shardCount: 2))
let buildStart = clock.now
for start in stride(from: 0, to: vectorCount, by: 2000) {
    try await docs.upsert((start..<min(start + 2000, vectorCount)).map { VectorRecord(id: "v\($0)", vector: vector($0)) })
}
try await docs.commit(message: "bench")
log("built and committed \(vectorCount) × \(dimension) in \(seconds(clock.now - buildStart)) s")
let pushStart = clock.now
let pushed = try await docs.push(to: store)
let pushSeconds = seconds(clock.now - pushStart)
log("pushed \(pushed.uploadedObjects) objects, \(pushed.uploadedBytes) bytes, in \(pushSeconds) s")

/// Seconds to open `open`'s collection and answer one search.
func timedOpen(_ open: () async throws -> Client) async throws -> (seconds: Double, count: Int) {
    let start = clock.now
    let client = try await open()
    let collection = try await client.collection("bench")
    _ = try await collection.search(vector(1), k: 10)
    let elapsed = seconds(clock.now - start)
    let count = collection.count
    await client.close()
    return (elapsed, count)
}
func folderBytes(_ path: String) -> Int64 {
    let files = (try? FileManager.default.subpathsOfDirectory(atPath: path)) ?? []
    return files.reduce(Int64(0)) { sum, file in
        sum + ((try? FileManager.default.attributesOfItem(atPath: path + "/" + file)[.size] as? NSNumber)?.int64Value ?? 0)
    }
}
let local = try await timedOpen { try await Client(directory: work + "/db", access: .readOnly) }
let cache = work + "/cache"
let cold = try await timedOpen { try await Client(objectStore: store, cacheDirectory: cache) }
let downloaded = folderBytes(cache + "/bench/objects")
let warm = try await timedOpen { try await Client(objectStore: store, cacheDirectory: cache) }
precondition(local.count == vectorCount && cold.count == vectorCount && warm.count == vectorCount)
log("open: local \(local.seconds) s, S3 cold \(cold.seconds) s (\(downloaded) bytes), S3 warm \(warm.seconds) s")

// Lag: a commit (pushed as it is made, for S3) until a following replica answers with it.
func lag(follower: Client, commitsPushed: Bool) async throws -> [Double] {
    let followed = try await follower.collection("bench")
    docs.pushCommits(to: commitsPushed ? store : nil)
    var lags: [Double] = []
    for round in 0..<rounds {
        let id = "lag-\(commitsPushed)-\(round)"
        try await docs.upsert(id: id, vector: vector(vectorCount + round))
        let start = clock.now
        try await docs.commit(message: id)
        while !followed.contains(id) { try await Task.sleep(for: .milliseconds(1)) }
        lags.append(seconds(clock.now - start))
    }
    await follower.close()
    return lags
}
let s3Lags = try await lag(follower: try await Client(objectStore: store, cacheDirectory: work + "/cache-lag", access: .following(every: 0.1)),
                           commitsPushed: true)
let localLags = try await lag(follower: try await Client(directory: work + "/db", access: .following(every: 0.1)), commitsPushed: false)
func summary(_ values: [Double]) -> [String: Double] {
    let sorted = values.sorted()
    return ["median": sorted[sorted.count / 2], "max": sorted.last!, "min": sorted.first!]
}
log("lag from commit: S3 \(summary(s3Lags)), local \(summary(localLags))")
await writer.close()

let result: [String: Any] = [
    "vectors": vectorCount, "dimension": dimension, "server": "moto (server mode) on loopback",
    "push": ["seconds": pushSeconds, "objects": pushed.uploadedObjects, "bytes": pushed.uploadedBytes],
    "open_seconds": ["local": local.seconds, "s3_cold": cold.seconds, "s3_warm": warm.seconds],
    "s3_cold_downloaded_bytes": downloaded,
    "lag_seconds_from_commit": ["s3_following_every_0.1s": summary(s3Lags), "local_following_every_0.1s": summary(localLags)],
]
let json = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
if output.isEmpty { print(String(decoding: json, as: UTF8.self)) } else { try json.write(to: URL(fileURLWithPath: output)) }

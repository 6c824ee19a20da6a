import Foundation
import Semblance

/// A TEXMEX dataset folder as written by ../shared/bench/make_datasets.py: base and query
/// vectors, the metric from meta.json, and the exact neighbours when the folder has them.
struct Dataset: Sendable {
    let name: String
    let base: [[Float]]
    let queries: [[Float]]
    let metric: DistanceMetric
    /// Per query, the exact nearest base ids (row numbers), nearest first; nil when the
    /// folder has no groundtruth.ivecs.
    let groundTruth: [[Int]]?

    var dimension: Int { base[0].count }

    init(name: String, in dataDirectory: URL) throws {
        let folder = dataDirectory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: folder.path) else {
            throw BenchError("no dataset folder \(folder.path) (set BENCH_DATA or --data)")
        }
        self.name = name
        base = try FVecs.read(folder.appendingPathComponent("base.fvecs"))
        queries = try FVecs.read(folder.appendingPathComponent("query.fvecs"))
        guard let first = base.first, let query = queries.first, first.count == query.count else {
            throw BenchError("\(name): empty files or base and queries of different dimensions")
        }
        metric = try Self.metric(of: folder)
        let truth = folder.appendingPathComponent("groundtruth.ivecs")
        groundTruth = FileManager.default.fileExists(atPath: truth.path) ? try Self.readIVecs(truth) : nil
        if let groundTruth, groundTruth.count != queries.count {
            throw BenchError("\(name): \(groundTruth.count) ground-truth rows for \(queries.count) queries")
        }
    }

    /// `cosine` -> .cosine, `l2` -> .squaredEuclidean (meta.json's "metric"; cosine when absent).
    private static func metric(of folder: URL) throws -> DistanceMetric {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("meta.json")),
              let meta = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let metric = meta["metric"] as? String else { return .cosine }
        switch metric {
        case "cosine": return .cosine
        case "l2": return .squaredEuclidean
        case "ip": return .innerProduct
        default: throw BenchError("unknown metric \(metric) in meta.json")
        }
    }

    /// `.ivecs`: per row, a little-endian Int32 count, then that many Int32 values.
    private static func readIVecs(_ url: URL) throws -> [[Int]] {
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        return try data.withUnsafeBytes { raw in
            var rows: [[Int]] = []
            var offset = 0
            while offset + 4 <= raw.count {
                let count = Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
                guard count >= 0, offset + 4 + 4 * count <= raw.count else {
                    throw BenchError("\(url.path): bad record at byte offset \(offset)")
                }
                rows.append((0..<count).map {
                    Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 + 4 * $0, as: Int32.self)))
                })
                offset += 4 + 4 * count
            }
            return rows
        }
    }
}

import Foundation

/// The figures `semblance demo` measures, as text for a person or JSON for a program.
struct DemoReport: Codable {
    struct Dataset: Codable {
        var name: String
        var model: String
        var vectors: Int
        var queries: Int
        var dimension: Int
        var metric: String
    }

    struct Index: Codable {
        var m: Int
        var efConstruction: Int
        var defaultEf: Int
        var buildSeconds: Double
        var vectorsPerSecond: Double
    }

    /// Where the vectors were stored, and what writing and reopening them took.
    struct Storage: Codable {
        var directory: String
        var collection: String
        var batchSize: Int
        var checkpointSeconds: Double
        var reopenSeconds: Double
    }

    struct Hit: Codable {
        var id: String
        var name: String
        var summary: String
        var distance: Double
    }

    struct Example: Codable {
        var query: String
        var summary: String
        var hits: [Hit]
    }

    /// Recall@k of every query at one beam width, and the mean latency on one thread.
    struct RecallRow: Codable {
        var ef: Int
        var recall: Double
        var meanLatencyMicroseconds: Double
        var queriesPerSecond: Double
        var isDefault: Bool
        var isRequested: Bool

        init(ef: Int, recall: Double, latency: Double, isDefault: Bool, isRequested: Bool) {
            self.ef = ef
            self.recall = DemoReport.rounded(recall, 4)
            meanLatencyMicroseconds = DemoReport.rounded(latency * 1e6, 1)
            queriesPerSecond = DemoReport.rounded(1 / latency, 0)
            self.isDefault = isDefault
            self.isRequested = isRequested
        }
    }

    /// The exact scan the recall is measured against.
    struct ExactScan: Codable {
        var meanLatencyMicroseconds: Double
        var queriesPerSecond: Double

        init(latency: Double) {
            meanLatencyMicroseconds = DemoReport.rounded(latency * 1e6, 1)
            queriesPerSecond = DemoReport.rounded(1 / latency, 0)
        }
    }

    /// The versioning step: a commit, a branch that drops 1 % of the packages, the diff of
    /// the two, and the commit read back as it was.
    struct Versioning: Codable {
        var commit: String
        var branch: String
        var deletedOnBranch: Int
        var diffRemoved: Int
        var diffMilliseconds: Double
        var mainCount: Int
        var branchCount: Int
        var commitCount: Int
    }

    var kernels: String
    var dataset: Dataset
    /// `buildSeconds` is the import: batched upserts, logged and linked into the graph.
    var index: Index
    var storage: Storage
    var k: Int
    var exampleEf: Int
    var examples: [Example]
    var recall: [RecallRow]
    var exactScan: ExactScan
    var versioning: Versioning

    static func rounded(_ value: Double, _ places: Int) -> Double {
        guard value.isFinite else { return 0 }
        let scale = pow(10, Double(places))
        return (value * scale).rounded() / scale
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The report for a terminal: at most 100 columns.
    func text() -> String {
        typealias T = Terminal
        var lines: [String] = []
        lines.append("Semblance demo: semantic search over \(T.grouped(dataset.vectors)) Debian package descriptions")
        lines.append("  embeddings  \(dataset.model), \(dataset.dimension)-d, \(dataset.metric); kernels \(kernels)")
        lines.append("  import      \(T.fixed(index.buildSeconds, 2)) s "
            + "(\(T.grouped(Int(index.vectorsPerSecond))) vectors/s, batches of \(T.grouped(storage.batchSize)), durable); "
            + "m \(index.m), efConstruction \(index.efConstruction)")
        lines.append("  stored      collection \"\(storage.collection)\" in \(storage.directory)")
        lines.append("  reopened    by a new client in \(T.fixed(storage.reopenSeconds, 2)) s, after a checkpoint of "
            + "\(T.fixed(storage.checkpointSeconds, 2)) s; the searches below run on it")

        let nameWidth = min(examples.flatMap(\.hits).map(\.id.count).max() ?? 0, 32)
        if !examples.isEmpty {
            lines.append("")
            let queries = examples.count == 1 ? "1 held-out query" : "\(examples.count) held-out queries"
            lines.append("Nearest packages to \(queries) (packages not in the collection), ef \(exampleEf):")
        }
        for example in examples {
            lines.append("")
            lines.append(T.truncate("\(example.query): \(example.summary)", to: 100))
            for hit in example.hits {
                let prefix = "  \(T.fixed(hit.distance, 3))  \(T.padRight(T.truncate(hit.id, to: nameWidth), nameWidth))  "
                lines.append(prefix + T.truncate(hit.summary, to: 100 - prefix.count))
            }
        }

        lines.append("")
        lines.append("Recall@\(k) of all \(dataset.queries) held-out queries against an exact scan; "
            + "latency on one thread:")
        lines.append("    ef   recall    latency     queries/s")
        func row(_ ef: String, _ recall: String, _ micros: Double, _ qps: Double, _ note: String) -> String {
            T.padLeft(ef, 6) + T.padLeft(recall, 9) + T.padLeft(T.fixed(micros, 1), 9) + " µs"
                + T.padLeft(T.grouped(Int(qps)), 14) + (note.isEmpty ? "" : "  " + note)
        }
        for r in recall {
            let notes = [r.isDefault ? "default" : nil, r.isRequested && !r.isDefault ? "--ef" : nil].compactMap { $0 }
            lines.append(row(String(r.ef), T.fixed(r.recall, 3), r.meanLatencyMicroseconds, r.queriesPerSecond,
                             notes.joined(separator: ", ")))
        }
        lines.append(row("exact", "1.000", exactScan.meanLatencyMicroseconds, exactScan.queriesPerSecond,
                         "full scan, same kernels"))

        let v = versioning
        lines.append("")
        lines.append("Versioning: commit \(v.commit.prefix(12)) of main; branch \"\(v.branch)\" deletes \(T.grouped(v.deletedOnBranch)) packages")
        lines.append("  diff main..\(v.branch): \(T.grouped(v.diffRemoved)) removed, found in \(T.fixed(v.diffMilliseconds, 1)) ms "
            + "from the pages that differ; main still holds \(T.grouped(v.mainCount)), the branch \(T.grouped(v.branchCount)), "
            + "the commit \(T.grouped(v.commitCount))")
        return lines.joined(separator: "\n")
    }
}

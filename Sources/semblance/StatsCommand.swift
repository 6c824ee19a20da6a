import ArgumentParser
import Foundation
import Semblance

/// `semblance stats NAME`: counts, graph and storage figures of a collection.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print a collection's figures: live and deleted vectors, links, memory, log, head commit."
    )

    @OptionGroup var options: DirectoryOptions
    @OptionGroup var read: ReadOptions

    @Argument(help: "The collection.")
    var name: String

    /// The statistics' fields, then the settings under `configuration`.
    struct Report: Encodable {
        var statistics: CollectionStatistics
        var configuration: CollectionDescription

        enum CodingKeys: CodingKey { case configuration }

        func encode(to encoder: any Encoder) throws {
            // Flat: `live`, `vectors`, ... at the top, where scripts look for them.
            try statistics.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(configuration, forKey: .configuration)
        }
    }

    func run() async throws {
        let report = try await Session.withClient(options, access: .readOnly) { client in
            let collection = try await client.collection(name, branch: read.branch ?? "main")
            let statistics = if let at = read.at {
                try await collection.statistics(at: at)
            } else {
                try await collection.statistics(includingBranchBytes: true)
            }
            return Report(statistics: statistics,
                          configuration: CollectionDescription(collection.configuration, name: name, directory: client.directory ?? ""))
        }
        if options.json {
            try Output.json(report)
            return
        }
        let s = report.statistics
        let c = report.configuration
        let rows: [(String, String)] = [
            ("collection", s.name),
            ("branch", s.branch),
            ("directory", c.directory),
            ("vectors", "\(c.dimension)-d, \(c.metric), \(c.encoding)"
                + (c.encoding == VectorEncoding.float32.rawValue ? "" : " (re-scoring \(c.rerankMultiple) × k with float32)")),
            ("live", Terminal.grouped(s.live)),
            ("deleted", Terminal.grouped(s.deleted) + " (\(Terminal.fixed(s.deletionRatio * 100, 1))%"
                + (s.needsCompaction ? ", needs compaction)" : ")")),
            ("shards", String(s.shards)),
            ("links", Terminal.grouped(s.edges) + " (\(Terminal.fixed(s.averageDegree, 1)) per vector; m \(c.m))"),
            ("memory", Terminal.bytes(Int64(s.memoryBytes))),
            ("log", Terminal.bytes(s.logBytes) + " since the last checkpoint"),
            ("head commit", s.headCommit ?? "none yet"),
            ("branches", (s.branchBytes ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) \(Terminal.bytes($0.value)) alone" }.joined(separator: ", ")),
            ("durability", c.durability + (c.syncIntervalSeconds.map { " (every \($0) s)" } ?? "")),
        ]
        for (key, value) in rows { Output.line(Terminal.padRight(key, 13) + value) }
    }
}

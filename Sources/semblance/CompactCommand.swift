import ArgumentParser
import Foundation
import Semblance

/// `semblance compact NAME`: rebuilds shards without their deleted vectors.
struct CompactCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Rebuild the shards that hold deleted vectors, without them; then checkpoint.",
        discussion: """
            On a terminal, a progress bar; with --json, a progress line about twice a second \
            ({"event": "progress", "linked", "total"}), then {"event": "done", "removed", ...}.
            """
    )

    @OptionGroup var options: DirectoryOptions
    @OptionGroup var branch: BranchOptions

    @Argument(help: "The collection.")
    var name: String

    @Flag(name: .customLong("only-when-needed"), help: "Compact only shards past the collection's compaction threshold.")
    var onlyWhenNeeded = false

    struct Done: Encodable {
        var event = "done"
        var collection: String
        var removed: Int
        var live: Int
        var elapsedSeconds: Double
        var headCommit: String?
    }

    func run() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let json = options.json
        let progress = RebuildProgress(label: "compacting", json: json)
        let done = try await Session.withClient(options) { client in
            let collection = try await branch.collection(client, name)
            defer { progress.clear() }
            let removed = try await collection.compact(onlyWhenNeeded: onlyWhenNeeded, progress: progress.report)
            let statistics = collection.statistics()
            return Done(collection: name, removed: removed, live: statistics.live,
                        elapsedSeconds: DemoReport.rounded((clock.now - start).seconds, 3), headCommit: statistics.headCommit)
        }
        if json {
            try Output.json(done)
        } else if done.removed == 0 {
            Output.line("nothing to compact in \(name)" + (onlyWhenNeeded ? " (no shard is past the threshold)" : " (no deleted vectors)"))
        } else {
            Output.line("compacted \(name): removed \(Terminal.grouped(done.removed)) deleted vectors in "
                + "\(Terminal.fixed(done.elapsedSeconds, 2)) s; \(Terminal.grouped(done.live)) live")
        }
    }
}

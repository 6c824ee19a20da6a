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

    struct Progress: Encodable {
        var event: String
        var linked: Int
        var total: Int
    }

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
        let bar = !json && Terminal.standardErrorIsTerminal ? ProgressBar(label: "compacting") : nil
        let throttle = Throttle(.milliseconds(500))
        let done = try await Session.withClient(options) { client in
            let collection = try await branch.collection(client, name)
            defer { bar?.clear() }
            // Called from the rebuilding thread with (linked, total) of the shard at work.
            let removed = try await collection.compact(onlyWhenNeeded: onlyWhenNeeded) { linked, total in
                if json {
                    if linked == total || throttle.isDue() {
                        try? Output.json(Progress(event: "progress", linked: linked, total: total))
                    }
                } else if let bar {
                    let elapsed = (clock.now - start).seconds
                    let fraction = total > 0 ? Double(linked) / Double(total) : 1
                    bar.show(fraction: fraction, detail: "\(Terminal.grouped(linked)) of \(Terminal.grouped(total)) vectors  "
                        + "\(Terminal.clock(fraction > 0 ? elapsed * (1 - fraction) / fraction : .infinity)) left")
                }
            }
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

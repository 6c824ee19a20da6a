import ArgumentParser
import Semblance

/// `semblance checkpoint NAME`: folds the write-ahead logs into a commit.
struct CheckpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Write a commit of the collection now, so the next open reads pages instead of replaying the log."
    )

    @OptionGroup var options: DirectoryOptions

    @Argument(help: "The collection.")
    var name: String

    struct Checkpointed: Encodable {
        var collection: String
        var headCommit: String?
        var live: Int
    }

    func run() async throws {
        let result = try await Session.withClient(options) { client in
            let collection = try await client.collection(name)
            try await collection.checkpoint()
            let statistics = collection.statistics()
            return Checkpointed(collection: name, headCommit: statistics.headCommit, live: statistics.live)
        }
        if options.json {
            try Output.json(result)
        } else {
            Output.line("checkpoint of \(name): commit \(result.headCommit ?? "none"), \(Terminal.grouped(result.live)) live vectors")
        }
    }
}

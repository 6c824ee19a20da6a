import ArgumentParser
import Semblance

/// `semblance checkpoint NAME`: folds the write-ahead logs into a commit.
struct CheckpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Write a commit of a branch now (an automatic one), so the next open reads pages instead of replaying the log."
    )

    @OptionGroup var options: DirectoryOptions
    @OptionGroup var branch: BranchOptions

    @Argument(help: "The collection.")
    var name: String

    struct Checkpointed: Encodable { var commit: String }

    func run() async throws {
        let (commit, live) = try await Session.withClient(options) { client in
            let collection = try await branch.collection(client, name)
            return (try await collection.checkpoint(), collection.count)
        }
        if options.json {
            try Output.json(Checkpointed(commit: commit?.id ?? ""))
        } else {
            Output.line("checkpoint of \(name) (\(branch.name)): commit \(commit?.id ?? "none"), \(Terminal.grouped(live)) live vectors")
        }
    }
}

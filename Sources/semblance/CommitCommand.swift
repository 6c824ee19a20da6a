import ArgumentParser
import Semblance

/// `semblance commit NAME -m MESSAGE [--branch B]`: a user commit of a branch.
struct CommitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commit",
        abstract: "Commit a branch's state with a message; prints the new commit id."
    )

    @OptionGroup var options: DirectoryOptions
    @OptionGroup var branch: BranchOptions

    @Argument(help: "The collection.")
    var name: String

    @Option(name: .shortAndLong, help: "The commit message.")
    var message: String

    struct Committed: Encodable { var commit: String }

    func run() async throws {
        let commit = try await Session.withClient(options) { client in
            try await branch.collection(client, name).commit(message: message)
        }
        if options.json { try Output.json(Committed(commit: commit.id)) } else { Output.line(commit.id) }
    }
}

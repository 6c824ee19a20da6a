import ArgumentParser
import Semblance

/// `semblance reset NAME REF [--branch B]`: moves a branch to a commit.
struct ResetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Move a branch to the commit REF names; what its log held since its head is dropped."
    )

    @OptionGroup var options: DirectoryOptions
    @OptionGroup var branch: BranchOptions

    @Argument(help: "The collection.")
    var name: String

    @Argument(help: "The commit: a branch, tag or commit id.")
    var ref: String

    func run() async throws {
        let commit = try await Session.withClient(options) { client in try await branch.collection(client, name).reset(to: ref) }
        if options.json { try Output.json(commit) } else { Output.line("\(branch.name) is now at \(commit.id)") }
    }
}

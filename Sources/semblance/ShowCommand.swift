import ArgumentParser
import Semblance

/// `semblance show NAME REF`: one commit's details.
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print one commit: id, branch, date, kind, counts, parents, message.",
        discussion: "REF is a branch (its head commit), a tag, or a commit id or a unique prefix of at least 8 hex digits."
    )

    @OptionGroup var options: DirectoryOptions

    @Argument(help: "The collection.")
    var name: String

    @Argument(help: "The commit: a branch, tag or commit id.")
    var ref: String

    func run() async throws {
        let commit = try await Session.withClient(options, access: .readOnly) { client in
            try await client.collection(name).commit(id: ref)
        }
        if options.json { try Output.json(commit) } else { CommitText.details(commit).forEach(Output.line) }
    }
}

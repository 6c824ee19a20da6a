import ArgumentParser
import Semblance

/// `semblance log NAME [--branch B] [--limit N]`: a branch's commits, newest first.
struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "List a branch's commits, newest first (following first parents): id, date, message, counts, parents."
    )

    @OptionGroup var options: DirectoryOptions
    @OptionGroup var branch: BranchOptions

    @Argument(help: "The collection.")
    var name: String

    @Option(help: "Show at most this many commits.")
    var limit: Int?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
    }

    func run() async throws {
        let commits = try await Session.withClient(options, access: .readOnly) { client in
            try await branch.collection(client, name).history(limit: limit ?? .max)
        }
        if options.json {
            try Output.json(commits)
        } else if commits.isEmpty {
            Output.line("branch \(branch.name) of \(name) has no commits yet")
        } else {
            for commit in commits { Output.line(CommitText.line(commit)) }
        }
    }
}

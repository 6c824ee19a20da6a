import ArgumentParser
import Semblance

extension MergeStrategy: ExpressibleByArgument {}

/// `semblance merge NAME SOURCE [--branch B] [--strategy fail|ours|theirs]`.
struct MergeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge SOURCE (a branch, tag or commit) into a branch: a fast-forward, or a three-way merge by id.",
        discussion: """
            A conflict is an id whose vector, or whose metadata, changed differently on both sides since \
            their common ancestor. --strategy fail (the default) lists them and writes nothing; ours keeps \
            the branch's record, theirs takes SOURCE's.
            """
    )

    @OptionGroup var options: DirectoryOptions
    @OptionGroup var branch: BranchOptions

    @Argument(help: "The collection.")
    var name: String

    @Argument(help: "What to merge: a branch, tag or commit id.")
    var source: String

    @Option(help: "fail, ours or theirs.")
    var strategy: MergeStrategy = .failOnConflict

    @Option(name: .shortAndLong, help: "The merge commit's message.")
    var message: String?

    func run() async throws {
        let commit = try await Session.withClient(options) { client in
            try await branch.collection(client, name).merge(source, strategy: strategy, message: message)
        }
        if options.json { try Output.json(commit) } else { Output.line("\(branch.name) is now at \(commit.id): \(commit.message)") }
    }
}

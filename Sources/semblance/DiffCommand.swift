import ArgumentParser
import Semblance

/// `semblance diff NAME FROM TO [--ids]`: what changed between two commits.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Count the ids added, removed, vector-changed and metadata-changed from one commit to another.",
        discussion: "FROM and TO are branches (their head commits), tags or commit ids. Pages equal in both are not read."
    )

    @OptionGroup var options: DirectoryOptions

    @Argument(help: "The collection.")
    var name: String

    @Argument(help: "The older commit: a branch, tag or commit id.")
    var from: String

    @Argument(help: "The newer commit.")
    var to: String

    @Flag(help: "List the ids too.")
    var ids = false

    struct Counts: Encodable {
        var added: Int
        var removed: Int
        var vectorChanged: Int
        var metadataChanged: Int
    }

    struct WithIDs: Encodable {
        var added: Int
        var removed: Int
        var vectorChanged: Int
        var metadataChanged: Int
        var addedIDs: [String]
        var removedIDs: [String]
        var vectorChangedIDs: [String]
        var metadataChangedIDs: [String]
    }

    func run() async throws {
        let diff = try await Session.withClient(options, access: .readOnly) { client in try await client.collection(name).diff(from: from, to: to) }
        if options.json {
            if ids {
                try Output.json(WithIDs(added: diff.added.count, removed: diff.removed.count, vectorChanged: diff.vectorChanged.count,
                                        metadataChanged: diff.metadataChanged.count, addedIDs: diff.added, removedIDs: diff.removed,
                                        vectorChangedIDs: diff.vectorChanged, metadataChangedIDs: diff.metadataChanged))
            } else {
                try Output.json(Counts(added: diff.added.count, removed: diff.removed.count, vectorChanged: diff.vectorChanged.count,
                                       metadataChanged: diff.metadataChanged.count))
            }
            return
        }
        Output.line("\(Terminal.grouped(diff.added.count)) added, \(Terminal.grouped(diff.removed.count)) removed, "
                    + "\(Terminal.grouped(diff.vectorChanged.count)) vector changed, \(Terminal.grouped(diff.metadataChanged.count)) metadata changed")
        if ids {
            for (sign, list) in [("+", diff.added), ("-", diff.removed), ("~", diff.vectorChanged), ("m", diff.metadataChanged)] {
                for id in list { Output.line("\(sign) \(id)") }
            }
        }
    }
}

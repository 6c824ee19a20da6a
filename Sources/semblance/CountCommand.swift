import ArgumentParser
import Semblance

/// `semblance count NAME [--filter JSON]`: how many live records (match a filter).
struct CountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "count",
        abstract: "Print how many live records a collection holds, or how many match --filter.",
        discussion: """
            The count comes from the metadata indexes, not from reading every record. \
            Filter example: '{"lang": "en", "year": {"$gte": 2020}}'.
            """
    )

    @OptionGroup var options: DirectoryOptions
    @OptionGroup var read: ReadOptions

    @Argument(help: "The collection.")
    var name: String

    @Option(help: ArgumentHelp("Count only records matching this JSON filter.", valueName: "json"))
    var filter: String?

    struct Report: Encodable {
        var collection: String
        var count: Int
    }

    func run() async throws {
        let filter = try FilterArgument.parse(self.filter)
        let count = try await Session.withClient(options, access: .readOnly) { client in
            let snapshot = try await read.snapshot(client, name)
            return filter.map { snapshot.count(where: $0) } ?? snapshot.count
        }
        if options.json {
            try Output.json(Report(collection: name, count: count))
        } else {
            Output.line(String(count))
        }
    }
}

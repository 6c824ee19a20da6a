import ArgumentParser
import Semblance

/// `semblance upsert NAME ID --vector '[...]' [--metadata JSON]`: adds or replaces one record.
struct UpsertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upsert",
        abstract: "Add a record, or replace the stored one with the same id.",
        discussion: """
            The record replaces the stored one whole: without --metadata it has none. \
            To change only the metadata, use set-metadata. Many records: import.
            """
    )

    @OptionGroup var options: DirectoryOptions
    @OptionGroup var branch: BranchOptions

    @Argument(help: "The collection.")
    var name: String

    @Argument(help: "The record's id.")
    var id: String

    @Option(help: ArgumentHelp("The vector as a JSON array: '[0.1, 0.2, ...]'.", valueName: "json"))
    var vector: String

    @Option(help: ArgumentHelp("The record's metadata as JSON: '{\"lang\": \"en\"}'.", valueName: "json"))
    var metadata: String?

    struct Upserted: Encodable {
        var collection: String
        var upserted: String
    }

    func run() async throws {
        if let problem = RecordCheck.problem(withID: id) { throw CommandFailure("\(id.debugDescription): \(problem)", code: .invalidID) }
        let vector = try VectorArgument.parse(self.vector)
        let metadata = try self.metadata.flatMap { try MetadataArgument.parse($0, option: "--metadata") }
        try await Session.withClient(options) { client in
            let collection = try await branch.collection(client, name)
            if let problem = RecordCheck.problem(with: vector, role: "--vector", configuration: collection.configuration) {
                throw CommandFailure(problem)
            }
            try await collection.upsert(id: id, vector: vector, metadata: metadata)
        }
        if options.json {
            try Output.json(Upserted(collection: name, upserted: id))
        } else {
            Output.line("upserted \(id) into \(name)")
        }
    }
}

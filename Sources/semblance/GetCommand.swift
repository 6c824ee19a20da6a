import ArgumentParser
import Semblance

/// `semblance get NAME ID`: one record's vector and metadata.
struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print a record: its id, its vector as a JSON array, then its metadata (if any) as JSON.",
        discussion: "Under the cosine metric the vector is stored, and printed, normalized to length 1."
    )

    @OptionGroup var options: DirectoryOptions
    @OptionGroup var read: ReadOptions

    @Argument(help: "The collection.")
    var name: String

    @Argument(help: "The record's id.")
    var id: String

    struct Record: Encodable {
        var id: String
        var vector: [Float]
        var metadata: Metadata?
    }

    func run() async throws {
        let record = try await Session.withClient(options, access: .readOnly) { client in
            try await read.snapshot(client, name).record(id)
        }
        guard let record else { throw CommandFailure("no record with id \(id.debugDescription) in collection \(name)", code: .unknownID) }
        if options.json {
            try Output.json(Record(id: record.id, vector: record.vector, metadata: record.metadata))
        } else {
            Output.line(record.id)
            Output.line(Output.vector(record.vector))
            if let metadata = record.metadata { Output.line(metadata.description) }
        }
    }
}

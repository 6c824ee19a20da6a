import ArgumentParser
import Semblance

/// `semblance set-metadata NAME ID JSON`: replaces one record's metadata, leaving its vector.
struct SetMetadataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-metadata",
        abstract: "Replace a stored record's metadata; its vector stays.",
        discussion: """
            The JSON replaces the metadata whole; null removes it. \
            An id that is not stored is an error (unknownID), and nothing is written.
            """
    )

    @OptionGroup var options: DirectoryOptions
    @OptionGroup var branch: BranchOptions

    @Argument(help: "The collection.")
    var name: String

    @Argument(help: "The record's id.")
    var id: String

    @Argument(help: ArgumentHelp("The new metadata as JSON: '{\"lang\": \"en\"}'; null removes it.", valueName: "json"))
    var metadata: String

    struct Changed: Encodable {
        var collection: String
        var id: String
        /// Absent when the metadata was removed.
        var metadata: Metadata?
    }

    func run() async throws {
        if let problem = RecordCheck.problem(withID: id) { throw CommandFailure("\(id.debugDescription): \(problem)", code: .invalidID) }
        let metadata = try MetadataArgument.parse(self.metadata, option: "the metadata")
        let stored = try await Session.withClient(options) { client in
            try await branch.collection(client, name).setMetadata(metadata, for: id)
        }
        guard stored else { throw CommandFailure("no record with id \(id.debugDescription) in collection \(name)", code: .unknownID) }
        if options.json {
            try Output.json(Changed(collection: name, id: id, metadata: metadata))
        } else {
            Output.line(metadata == nil ? "removed the metadata of \(id) in \(name)" : "set the metadata of \(id) in \(name)")
        }
    }
}

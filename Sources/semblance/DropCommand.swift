import ArgumentParser
import Semblance

/// `semblance drop NAME`: deletes a collection and its files.
struct DropCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drop",
        abstract: "Delete a collection and all its files.",
        discussion: "There is no confirmation and no undo."
    )

    @OptionGroup var options: DirectoryOptions

    @Argument(help: "The collection to delete.")
    var name: String

    struct Dropped: Encodable {
        var dropped: String
    }

    func run() async throws {
        try await Session.withClient(options) { client in try await client.dropCollection(name) }
        if options.json {
            try Output.json(Dropped(dropped: name))
        } else {
            Output.line("dropped collection \(name)")
        }
    }
}

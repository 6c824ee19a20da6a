import ArgumentParser
import Semblance

/// `semblance list`: the collections in the data directory.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the collections, one name per line."
    )

    @OptionGroup var options: DirectoryOptions

    struct Listing: Encodable {
        var directory: String
        var collections: [String]
    }

    func run() async throws {
        let listing = try await Session.withClient(options, access: .readOnly) { client in
            Listing(directory: client.directory ?? "", collections: try await client.listCollections())
        }
        if options.json {
            try Output.json(listing)
        } else {
            for name in listing.collections { Output.line(name) }
        }
    }
}

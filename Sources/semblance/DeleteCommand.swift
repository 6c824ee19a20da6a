import ArgumentParser
import Semblance

/// `semblance delete NAME ID...`: removes records.
struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete records by id.",
        discussion: "Ids that are not stored are not an error; the output says how many existed."
    )

    @OptionGroup var options: DirectoryOptions
    @OptionGroup var branch: BranchOptions

    @Argument(help: "The collection.")
    var name: String

    @Argument(help: "The ids to delete.")
    var ids: [String]

    struct Deleted: Encodable {
        var requested: Int
        var deleted: Int
    }

    func validate() throws {
        guard !ids.isEmpty else { throw ValidationError("give at least one id") }
    }

    func run() async throws {
        for id in ids {
            if let problem = RecordCheck.problem(withID: id) { throw CommandFailure("\(id.debugDescription): \(problem)", code: .invalidID) }
        }
        let unique = Array(Set(ids))
        let deleted = try await Session.withClient(options) { client in
            try await branch.collection(client, name).delete(unique)
        }
        if options.json {
            try Output.json(Deleted(requested: unique.count, deleted: deleted))
        } else {
            let missing = unique.count - deleted
            Output.line("deleted \(deleted) of \(unique.count) \(unique.count == 1 ? "id" : "ids")"
                + (missing > 0 ? " (\(missing) not stored)" : ""))
        }
    }
}

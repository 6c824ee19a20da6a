import ArgumentParser
import Semblance

/// `semblance drop NAME [--yes]`: deletes a collection and its files, after asking.
struct DropCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drop",
        abstract: "Delete a collection and all its files.",
        discussion: """
            On a terminal it asks first, naming the records it holds (or the damage that keeps \
            it from opening); --yes skips the question. \
            When standard input is not a terminal (a script), --yes is required. There is no undo.
            """
    )

    @OptionGroup var options: DirectoryOptions

    @Argument(help: "The collection to delete.")
    var name: String

    @Flag(name: [.short, .long], help: "Delete without asking.")
    var yes = false

    struct Dropped: Encodable {
        var dropped: String
    }

    func run() async throws {
        // Checked before opening anything: a script that forgot --yes deletes nothing.
        guard yes || Terminal.standardInputIsTerminal else {
            throw CommandFailure("drop deletes \(name) and all its branches and history: pass --yes to confirm "
                + "(standard input is not a terminal to ask on); nothing was deleted", code: "notConfirmed")
        }
        try await Session.withClient(options) { client in
            if !yes {
                // A damaged collection is named with its damage: that is often why it goes.
                let holding: String
                do {
                    holding = "\(Terminal.count(try await client.collection(name).count, "record")), all branches and history"
                } catch let error as SemblanceError where [.corruptFile, .unsupportedFormatVersion].contains(error.code) {
                    holding = "which does not open: \(error.message)"
                }
                guard Terminal.confirm("Drop collection \(name) (\(holding))?") else {
                    throw CommandFailure("not confirmed; nothing was deleted", code: "notConfirmed")
                }
            }
            try await client.dropCollection(name)
        }
        if options.json {
            try Output.json(Dropped(dropped: name))
        } else {
            Output.line("dropped collection \(name)")
        }
    }
}

import ArgumentParser
import Foundation

/// The `semblance` command-line tool. Each subcommand lives in its own file.
@main
struct SemblanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "semblance",
        abstract: "Semblance, an in-process vector database for Swift.",
        version: "0.1.0",
        subcommands: [
            CreateCommand.self, ListCommand.self, DropCommand.self, ImportCommand.self, ExportCommand.self, SearchCommand.self,
            CountCommand.self, GetCommand.self, UpsertCommand.self, SetMetadataCommand.self, DeleteCommand.self, StatsCommand.self,
            CompactCommand.self, ReencodeCommand.self, CheckpointCommand.self, CommitCommand.self, LogCommand.self, ShowCommand.self, BranchCommand.self,
            TagCommand.self, DiffCommand.self, MergeCommand.self, ResetCommand.self, GCCommand.self, VerifyCommand.self, PushCommand.self,
            DemoCommand.self,
        ]
    )

    /// ArgumentParser's `main`, except that a failure is reported as one line on stderr
    /// (no usage block; with `--json`, a JSON object: ``ErrorReport``) before the non-zero
    /// exit. Help and `--version` print as usual.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }
            let line = message(for: error)
                .split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .joined(separator: " ")
            ErrorReport.write(error, message: line, isUsage: code == .validationFailure, helpHint: helpHint())
            exit(withError: ExitCode(code.rawValue))
        }
    }

    /// `semblance` or `semblance <subcommand>`, whichever the arguments name.
    private static func helpHint() -> String {
        let names = Set(configuration.subcommands.map { $0._commandName })
        if let subcommand = CommandLine.arguments.dropFirst().first(where: names.contains) {
            return "semblance \(subcommand)"
        }
        return "semblance"
    }
}

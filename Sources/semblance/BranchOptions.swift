import ArgumentParser
import Semblance

/// `--branch B`: the branch a command reads or writes (default `main`).
struct BranchOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The branch to act on (default: main).", valueName: "branch"))
    var branch: String?

    var name: String { branch ?? "main" }

    /// The collection `name`, open on the chosen branch.
    func collection(_ client: Client, _ name: String) async throws -> VectorCollection {
        try await client.collection(name, branch: self.name)
    }
}

/// `--branch B` or `--at REF` (not both): what a read-only command reads, a branch as it is
/// now or a commit.
struct ReadOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The branch to read (default: main).", valueName: "branch"))
    var branch: String?

    @Option(help: ArgumentHelp("Read the commit a REF names instead: a branch's head commit, a tag, or a commit id (8 or more hex digits).",
                               valueName: "ref"))
    var at: String?

    func validate() throws {
        if branch != nil && at != nil { throw ValidationError("--at and --branch cannot be given together") }
    }

    /// The collection's state to read: the branch's latest, or the commit `--at` names.
    func snapshot(_ client: Client, _ name: String) async throws -> CollectionSnapshot {
        let collection = try await client.collection(name, branch: branch ?? "main")
        if let at { return try await collection.snapshot(at: at) }
        return collection.snapshot()
    }
}

/// A duration on the command line: a number and `s`, `m`, `h` or `d` (`90s`, `15m`, `7d`),
/// or `0`.
struct DurationArgument: ExpressibleByArgument {
    var seconds: Double

    init?(argument: String) {
        if argument == "0" { seconds = 0; return }
        guard let unit = argument.last, let number = Double(argument.dropLast()), number >= 0, number.isFinite else { return nil }
        switch unit {
        case "s": seconds = number
        case "m": seconds = number * 60
        case "h": seconds = number * 3600
        case "d": seconds = number * 86400
        default: return nil
        }
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

import ArgumentParser
import Semblance

/// `semblance branch NAME [NEW [--from REF]] [--delete B]`: lists, creates or deletes branches.
struct BranchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "branch",
        abstract: "List a collection's branches (* marks main), create one, or delete one.",
        discussion: """
            semblance branch NAME                    lists branches and their head commits
            semblance branch NAME NEW [--from REF]   creates NEW at REF (default: main); only a ref is written
            semblance branch NAME --delete B         deletes branch B (its log too; its commits stay until gc)
            Branching from a branch includes everything acknowledged on it.
            """
    )

    @OptionGroup var options: DirectoryOptions

    @Argument(help: "The collection.")
    var name: String

    @Argument(help: "A branch to create.")
    var new: String?

    @Option(help: ArgumentHelp("Where the new branch starts: a branch, tag or commit id (default: main).", valueName: "ref"))
    var from: String?

    @Option(help: ArgumentHelp("Delete this branch.", valueName: "branch"))
    var delete: String?

    func validate() throws {
        if new != nil && delete != nil { throw ValidationError("give a branch to create or --delete, not both") }
        if from != nil && new == nil { throw ValidationError("--from needs a branch to create") }
    }

    struct Deleted: Encodable { var deleted: String }

    func run() async throws {
        if let new {
            let ref = try await Session.withClient(options) { client in
                try await client.collection(name).createBranch(new, from: from ?? "main")
            }
            if options.json { try Output.json(ref) } else { Output.line("created branch \(ref.name) at \(ref.commit)") }
        } else if let delete {
            try await Session.withClient(options) { client in try await client.collection(name).deleteBranch(delete) }
            if options.json { try Output.json(Deleted(deleted: delete)) } else { Output.line("deleted branch \(delete)") }
        } else {
            let branches = try await Session.withClient(options, access: .readOnly) { client in try await client.collection(name).branches() }
            if options.json {
                try Output.json(branches)
            } else {
                for ref in branches { Output.line("\(ref.name == "main" ? "*" : " ") \(ref.name)  \(ref.commit.prefix(12))") }
            }
        }
    }
}

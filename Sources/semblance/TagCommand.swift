import ArgumentParser
import Semblance

/// `semblance tag NAME [TAG [--at REF]] [--delete TAG]`: lists, creates or deletes tags.
struct TagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag",
        abstract: "List a collection's tags, create one (it never moves), or delete one.",
        discussion: """
            semblance tag NAME                   lists tags and their commits
            semblance tag NAME TAG [--at REF]    creates TAG at REF (default: main, its log committed first)
            semblance tag NAME --delete TAG      deletes TAG
            """
    )

    @OptionGroup var options: DirectoryOptions

    @Argument(help: "The collection.")
    var name: String

    @Argument(help: "A tag to create.")
    var tag: String?

    @Option(help: ArgumentHelp("The commit to tag: a branch, tag or commit id (default: main).", valueName: "ref"))
    var at: String?

    @Option(help: ArgumentHelp("Delete this tag.", valueName: "tag"))
    var delete: String?

    func validate() throws {
        if tag != nil && delete != nil { throw ValidationError("give a tag to create or --delete, not both") }
        if at != nil && tag == nil { throw ValidationError("--at needs a tag to create") }
    }

    struct Deleted: Encodable { var deleted: String }

    func run() async throws {
        if let tag {
            let ref = try await Session.withClient(options) { client in try await client.collection(name).createTag(tag, at: at ?? "main") }
            if options.json { try Output.json(ref) } else { Output.line("created tag \(ref.name) at \(ref.commit)") }
        } else if let delete {
            try await Session.withClient(options) { client in try await client.collection(name).deleteTag(delete) }
            if options.json { try Output.json(Deleted(deleted: delete)) } else { Output.line("deleted tag \(delete)") }
        } else {
            let tags = try await Session.withClient(options, access: .readOnly) { client in try await client.collection(name).tags() }
            if options.json { try Output.json(tags) } else { for ref in tags { Output.line("\(ref.name)  \(ref.commit.prefix(12))") } }
        }
    }
}

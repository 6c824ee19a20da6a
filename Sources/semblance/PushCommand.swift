import ArgumentParser
import Semblance
import SemblanceS3

/// `semblance push NAME --to s3://BUCKET/PREFIX [--branch B] [--force]`.
struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Upload a branch's commits to object storage and move the remote branch; prints what was uploaded.",
        discussion: """
            Uploads the objects of the branch's history that the remote lacks, then moves the remote branch \
            (s3://BUCKET/PREFIX/NAME/refs/heads/BRANCH) with a conditional write: when another push moved it \
            meanwhile, or the remote branch is not an ancestor of the local head (without --force), nothing \
            changes there and the push fails. The tags naming commits of the pushed history go with it \
            (a remote tag naming another commit refuses the push, without --force). Writes logged after the head commit are not pushed: commit first. \
            Credentials and the server come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, \
            AWS_REGION and AWS_ENDPOINT_URL. Takes no lock: it runs beside a writer.
            """
    )

    @OptionGroup var options: DirectoryOptions

    @Argument(help: "The collection.")
    var name: String

    @Option(help: ArgumentHelp("The database root in object storage.", valueName: "s3://bucket/prefix"))
    var to: String

    @OptionGroup var branch: BranchOptions

    @Flag(help: "Replace a remote branch that is not an ancestor of the local head, and remote tags naming other commits.")
    var force = false

    func run() async throws {
        let remote = try S3ObjectStore(to, configuration: .fromEnvironment())
        let report = try await Session.withClient(options, access: .readOnly) { client in
            try await branch.collection(client, name).push(to: remote, force: force)
        }
        if options.json {
            try Output.json(report)
        } else if report.previousCommit == report.commit {
            Output.line("\(remote.location)/\(name): \(branch.name) is at \(report.commit.prefix(12)) already")
        } else {
            Output.line("\(remote.location)/\(name): \(branch.name) \(report.previousCommit.map { String($0.prefix(12)) } ?? "(new)") -> \(report.commit.prefix(12)); "
                        + "uploaded \(Terminal.grouped(report.uploadedObjects)) objects (\(Terminal.bytes(report.uploadedBytes))), "
                        + "\(Terminal.grouped(report.presentObjects)) there already")
        }
        if !options.json && !report.tags.isEmpty {
            Output.line("\(remote.location)/\(name): tag\(report.tags.count == 1 ? "" : "s") \(report.tags.joined(separator: ", "))")
        }
    }
}

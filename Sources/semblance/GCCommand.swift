import ArgumentParser
import Semblance
import SemblanceS3

/// `semblance gc NAME [--keep-last N] [--keep-for DURATION] [--grace DURATION] [--remote s3://BUCKET/PREFIX]`.
struct GCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete the pages and commits that no kept commit names; prints what was freed.",
        discussion: """
            Branch heads, tags and the commits that readers' live leases name are always kept. --keep-last N keeps each branch's last N user commits, \
            --keep-for keeps user commits newer than a DURATION (a number and s, m, h or d); with neither, \
            the collection's retention policy applies (by default every commit is kept). Objects become \
            garbage when nothing kept names them, and are deleted once they have been garbage for the \
            --grace period (default 10m); --grace 0 deletes them at once (readers in other processes \
            hold a lease on what they serve; readers that cannot write one, on read-only media, rely on the \
            grace period).
            """
    )

    @OptionGroup var options: DirectoryOptions

    @Argument(help: "The collection.")
    var name: String

    @Option(name: .customLong("keep-last"), help: "User commits to keep on each branch.")
    var keepLast: Int?

    @Option(name: .customLong("keep-for"), help: ArgumentHelp("Keep user commits newer than this.", valueName: "duration"))
    var keepFor: DurationArgument?

    @Option(help: ArgumentHelp("How long an object stays garbage before it is deleted (default 10m).", valueName: "duration"))
    var grace: DurationArgument?

    func validate() throws {
        if let keepLast, keepLast < 0 { throw ValidationError("--keep-last must be 0 or more, got \(keepLast)") }
    }

    @Option(help: ArgumentHelp("Collect the collection's garbage in object storage instead (what push uploaded there).",
                               valueName: "s3://bucket/prefix"))
    var remote: String?

    func run() async throws {
        let retention: RetentionPolicy? = keepLast == nil && keepFor == nil ? nil : RetentionPolicy(keepLast: keepLast, keepFor: keepFor?.seconds)
        let report: GarbageReport
        if let remote {
            let store = try S3ObjectStore(remote, configuration: .fromEnvironment())
            report = try await store.collectGarbage(collection: name, retention: retention, grace: grace?.seconds ?? 600)
        } else {
            report = try await Session.withClient(options) { client in
                try await client.collection(name).collectGarbage(retention: retention, grace: grace?.seconds ?? 600)
            }
        }
        if options.json {
            try Output.json(report)
        } else {
            Output.line("deleted \(Terminal.grouped(report.deletedObjects)) objects, freed \(Terminal.bytes(report.freedBytes)); "
                        + "kept \(Terminal.grouped(report.keptCommits)) commits, pruned \(Terminal.grouped(report.prunedCommits)); "
                        + "\(Terminal.grouped(report.pendingObjects)) objects wait out the grace period"
                        + (report.readerLeases > 0 ? "; \(Terminal.grouped(report.readerLeases)) reader leases hold \(Terminal.grouped(report.leasedCommits)) commits" : ""))
        }
    }
}

import ArgumentParser
import Semblance
import SemblanceS3

/// `semblance verify NAME`: checks every checksum and hash of a collection's files.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every hash and checksum of a collection's files, changing nothing.",
        discussion: """
            Checks the SHA-256 name of every object (the commits of every branch and tag through \
            their parents, their pages, and unreachable objects), decodes every page, reads each \
            branch head's shards as an open would, and reads every branch's write-ahead log \
            (CRC-32C of every frame, records replayed). Exits 0 only when everything holds; \
            otherwise lists each damaged file and exits 1. It takes no lock and changes nothing, \
            so it runs while another process writes to the collection (a garbage collection \
            deleting an object while it reads can make it report that object: run it again). With an \
            s3:// path it checks the collection there: every object the bucket holds is downloaded into the \
            cache ($SEMBLANCE_CACHE) unless already there, and checked; problems name the keys.
            """
    )

    @OptionGroup var options: DirectoryOptions

    @Argument(help: "The collection.")
    var name: String

    struct Verified: Encodable {
        var collection: String
        var sound: Bool
        var report: VerificationReport
    }

    func run() async throws {
        // No client for a directory: verify takes no lock, so it runs while another process
        // has the collection open. A bucket is read through a client's cache.
        let report = S3Location.isLocation(options.directory)
            ? try await Session.withClient(options, access: .readOnly) { client in try await client.verify(name) }
            : try await Client.verify(name, in: options.directory)
        if options.json {
            try Output.json(Verified(collection: name, sound: report.isSound, report: report))
        } else {
            for problem in report.problems { Output.line("damaged: \(problem.message)") }
            var summary = "\(report.isSound ? "ok" : "DAMAGED"): \(name): \(report.branches) branch\(report.branches == 1 ? "" : "es"), "
                + "\(Terminal.count(report.commits, "commit")), \(Terminal.count(report.vectors, "vector")) and \(Terminal.count(report.edges, "edge")) in the heads, "
                + "\(Terminal.count(report.objects, "object")) (\(Terminal.bytes(report.objectBytes))), "
                + "\(Terminal.count(report.pages, "page")), \(Terminal.count(report.logs, "log")) with "
                + Terminal.count(report.logRecords, "record")
            if report.unreachableObjects > 0 { summary += ", \(Terminal.count(report.unreachableObjects, "unreachable object"))" }
            if report.tornTailBytes > 0 { summary += ", a torn log tail of \(report.tornTailBytes) bytes (dropped at the next open)" }
            Output.line(summary)
        }
        guard let first = report.problems.first else { return }
        let more = report.problems.count - 1
        let what = first.message.contains(first.file) ? first.message : "\(first.file): \(first.message)"
        throw CommandFailure("collection \(name) is damaged: \(what)"
            + (more > 0 ? " (and \(more) more \(more == 1 ? "problem" : "problems"))" : ""), code: .corruptFile)
    }
}

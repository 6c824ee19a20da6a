import Foundation
import Semblance
import Testing
@testable import SemblanceS3

/// `semblance push` against a real S3-protocol server (moto), with the standard AWS
/// environment variables.
@Suite("semblance push")
struct CLIPushTests {
    static func run(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let output = TemporaryDirectory("semblance-push-run")
        let process = Process()
        process.executableURL = try BuiltProduct.url(named: "semblance", environmentVariable: "SEMBLANCE_CLI",
                                                     hint: "It is built with the tests (`swift build --build-tests`).")
        process.arguments = arguments
        var variables = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") && !$0.key.hasPrefix("SEMBLANCE_") }
        variables["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = variables.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: output.file("out"), contents: nil)
        _ = FileManager.default.createFile(atPath: output.file("err"), contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output.file("out")))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: output.file("err")))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOfFile: output.file("out"), encoding: .utf8),
                try String(contentsOfFile: output.file("err"), encoding: .utf8))
    }

    @Test("push uploads and moves the remote branch, then finds it up to date; read-only commands read s3:// (the head, --at an older commit or a pushed tag, verify); gc --remote keeps the tag; a write there, no credentials or a bad location is a one-line error")
    func push() async throws {
        let store = try await S3TestServer.bucket(prefix: "cli")
        let server = try S3TestServer.shared.get()
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await client.createCollection("docs", configuration: PushTests.configuration)
        try await docs.upsert(PushTests.records(0..<100))
        let commit = try await docs.commit(message: "first")
        try await docs.createTag("v1")
        await client.close()

        let aws = ["AWS_ENDPOINT_URL": server.endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"]
        let first = try Self.run(["push", "docs", "--to", store.location, "--path", folder.path], environment: aws)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("main (new) -> \(commit.id.prefix(12)); uploaded"), "\(first.stdout)")
        #expect(first.stdout.contains("tag v1"), "\(first.stdout)")
        #expect(try await store.get("docs/refs/heads/main")?.bytes == Array((commit.id + "\n").utf8))

        let again = try Self.run(["push", "docs", "--to", store.location, "--path", folder.path, "--json"], environment: aws)
        #expect(again.status == 0, "\(again.stderr)")
        let report = try JSONDecoder().decode(PushReport.self, from: Data(again.stdout.utf8))
        #expect(report.commit == commit.id && report.previousCommit == commit.id && report.uploadedObjects == 0)

        // The read-only commands read the pushed commits from the bucket.
        let cache = TemporaryDirectory()
        var replica = aws
        replica["SEMBLANCE_CACHE"] = cache.path
        let listed = try Self.run(["list", "--path", store.location], environment: replica)
        #expect(listed.status == 0 && listed.stdout == "docs\n", "\(listed.stdout) \(listed.stderr)")
        let counted = try Self.run(["count", "docs", "--path", store.location], environment: replica)
        #expect(counted.status == 0 && counted.stdout == "100\n", "\(counted.stdout) \(counted.stderr)")
        let found = try Self.run(["search", "docs", "--vector", "[42, 1, 0, 0]", "-k", "1", "--json", "--path", store.location], environment: replica)
        #expect(found.status == 0 && found.stdout.contains("\"r42\""), "\(found.stdout) \(found.stderr)")
        let logged = try Self.run(["log", "docs", "--path", store.location], environment: replica)
        #expect(logged.status == 0 && logged.stdout.contains(String(commit.id.prefix(12))), "\(logged.stdout) \(logged.stderr)")

        let writer = try await Client(directory: folder.path)
        let more = try await writer.collection("docs")
        try await more.upsert(PushTests.records(100..<150))
        try await more.commit(message: "second")
        await writer.close()
        #expect(try Self.run(["push", "docs", "--to", store.location, "--path", folder.path], environment: aws).status == 0)
        let now = try Self.run(["count", "docs", "--path", store.location], environment: replica)
        #expect(now.stdout == "150\n", "\(now.stdout) \(now.stderr)")
        let past = try Self.run(["count", "docs", "--at", commit.id, "--path", store.location], environment: replica)
        #expect(past.status == 0 && past.stdout == "100\n", "\(past.stdout) \(past.stderr)")
        let tagged = try Self.run(["count", "docs", "--at", "v1", "--path", store.location], environment: replica)
        #expect(tagged.status == 0 && tagged.stdout == "100\n", "\(tagged.stdout) \(tagged.stderr)")
        let verified = try Self.run(["verify", "docs", "--path", store.location], environment: replica)
        #expect(verified.status == 0 && verified.stdout.hasPrefix("ok: docs: 1 branch, 2 commits"), "\(verified.stdout) \(verified.stderr)")
        let written = try Self.run(["upsert", "docs", "x", "--vector", "[1, 2, 3, 4]", "--path", store.location], environment: replica)
        #expect(written.status != 0 && written.stderr.contains("written by push"), "\(written.stderr)")

        // A third commit, so that keeping the last one (and the tagged first) leaves the second to collect.
        let third = try await Client(directory: folder.path)
        try await third.collection("docs").upsert(PushTests.records(150..<160))
        try await third.collection("docs").commit(message: "third")
        await third.close()
        #expect(try Self.run(["push", "docs", "--to", store.location, "--path", folder.path], environment: aws).status == 0)
        let collected = try Self.run(["gc", "docs", "--remote", store.location, "--keep-last", "1", "--grace", "0", "--json"], environment: aws)
        #expect(collected.status == 0, "\(collected.stderr)")
        let gc = try JSONDecoder().decode(GarbageReport.self, from: Data(collected.stdout.utf8))
        #expect(gc.keptCommits == 2 && gc.deletedObjects > 0, "the head and the tagged commit: \(gc)")
        var fresh = aws
        let freshCache = TemporaryDirectory()
        fresh["SEMBLANCE_CACHE"] = freshCache.path
        #expect(try Self.run(["count", "docs", "--path", store.location], environment: fresh).stdout == "160\n", "a new replica after gc")
        #expect(try Self.run(["count", "docs", "--at", "v1", "--path", store.location], environment: fresh).stdout == "100\n", "the tagged commit, kept")

        let noCredentials = try Self.run(["push", "docs", "--to", store.location, "--path", folder.path], environment: [:])
        #expect(noCredentials.status != 0 && noCredentials.stderr.contains("AWS_ACCESS_KEY_ID"), "\(noCredentials.stderr)")
        let badLocation = try Self.run(["push", "docs", "--to", "bucket/x", "--path", folder.path], environment: aws)
        #expect(badLocation.status != 0 && badLocation.stderr.contains("s3://"), "\(badLocation.stderr)")
    }
}

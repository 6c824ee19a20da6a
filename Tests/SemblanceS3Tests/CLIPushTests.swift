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

    @Test("push uploads and moves the remote branch, then finds it up to date; --json; no credentials or a bad location is a one-line error")
    func push() async throws {
        let store = try await S3TestServer.bucket(prefix: "cli")
        let server = try S3TestServer.shared.get()
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await client.createCollection("docs", configuration: PushTests.configuration)
        try await docs.upsert(PushTests.records(0..<100))
        let commit = try await docs.commit(message: "first")
        await client.close()

        let aws = ["AWS_ENDPOINT_URL": server.endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"]
        let first = try Self.run(["push", "docs", "--to", store.location, "--path", folder.path], environment: aws)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("main (new) -> \(commit.id.prefix(12)); uploaded"), "\(first.stdout)")
        #expect(try await store.get("docs/refs/heads/main")?.bytes == Array((commit.id + "\n").utf8))

        let again = try Self.run(["push", "docs", "--to", store.location, "--path", folder.path, "--json"], environment: aws)
        #expect(again.status == 0, "\(again.stderr)")
        let report = try JSONDecoder().decode(PushReport.self, from: Data(again.stdout.utf8))
        #expect(report.commit == commit.id && report.previousCommit == commit.id && report.uploadedObjects == 0)

        let noCredentials = try Self.run(["push", "docs", "--to", store.location, "--path", folder.path], environment: [:])
        #expect(noCredentials.status != 0 && noCredentials.stderr.contains("AWS_ACCESS_KEY_ID"), "\(noCredentials.stderr)")
        let badLocation = try Self.run(["push", "docs", "--to", "bucket/x", "--path", folder.path], environment: aws)
        #expect(badLocation.status != 0 && badLocation.stderr.contains("s3://"), "\(badLocation.stderr)")
    }
}

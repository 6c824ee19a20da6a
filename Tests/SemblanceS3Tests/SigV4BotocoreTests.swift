import Foundation
import Semblance
import Testing
@testable import SemblanceS3

/// Every kind of request S3ObjectStore sends, signed by it and by botocore's S3 signer
/// (scripts/sigv4_reference.py, the signer boto3 uses): the test suite's vectors do not
/// cover S3's payload-hash header, its unnormalised paths or its conditional headers.
@Suite("SigV4 against botocore's S3 signer")
struct SigV4BotocoreTests {
    static let date = Date(timeIntervalSince1970: 1_733_305_530)

    static func requests(_ store: S3ObjectStore) -> [S3ObjectStore.Prepared] {
        let key = "docs/objects/ab/cd ef+g~h=é"
        let body = Array("a page's bytes".utf8)
        return [
            store.prepare("GET", key: key, at: date),
            store.prepare("PUT", key: key, headers: [("if-none-match", "*")], body: body, at: date),
            store.prepare("PUT", key: "docs/refs/heads/main", headers: [("if-match", "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"")], body: body, at: date),
            store.prepare("PUT", key: "docs/refs/grafts", body: [], at: date),
            store.prepare("GET", key: nil, query: [("list-type", "2"), ("prefix", "root/docs/objects/"), ("continuation-token", "1/a+b=c d"),
                                                   ("max-keys", "2")], at: date),
            store.prepare("DELETE", key: key, at: date),
            store.prepare("PUT", key: nil, at: date),
        ]
    }

    @Test("GET, PUT (plain, If-None-Match, If-Match, empty), LIST with a continuation token, DELETE, bucket PUT; path-style and virtual-hosted; with and without a session token")
    func matchesBotocore() throws {
        var stores: [S3ObjectStore] = []
        for endpoint in ["http://127.0.0.1:9000", nil] as [String?] {
            for token in [nil, "FQoGZXIvYXdzE//token+with/odd=chars"] as [String?] {
                stores.append(try S3ObjectStore("s3://vectors-bucket/root", configuration: S3Configuration(
                    endpoint: endpoint, region: "eu-central-1", accessKeyID: "AKIDEXAMPLE",
                    secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: token)))
            }
        }
        var ours: [S3ObjectStore.Prepared] = []
        var input: [[String: Any]] = []
        for store in stores {
            for prepared in Self.requests(store) {
                ours.append(prepared)
                var entry: [String: Any] = [
                    "kind": "s3", "method": prepared.method, "url": prepared.url,
                    "headers": Dictionary(prepared.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }),
                    "body_sha256": prepared.payloadHash, "region": store.configuration.region, "service": "s3",
                    "access_key": store.configuration.accessKeyID, "secret_key": store.configuration.secretAccessKey,
                    "time": SigV4Signer.amzDate(Self.date),
                ]
                if let token = store.configuration.sessionToken { entry["session_token"] = token }
                input.append(entry)
            }
        }
        let script = SigV4SuiteTests.root.appendingPathComponent("scripts/sigv4_reference.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script]
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: input))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "scripts/sigv4_reference.py failed (is botocore installed? scripts/test.sh installs it): \(errors)")
        let answers = try #require(try JSONSerialization.jsonObject(with: output) as? [[String: Any]])
        try #require(answers.count == ours.count)
        for (prepared, answer) in zip(ours, answers) {
            #expect(prepared.signature.canonicalRequest == answer["canonical_request"] as? String, "\(prepared.method) \(prepared.url)")
            #expect(prepared.signature.authorization == answer["authorization"] as? String, "\(prepared.method) \(prepared.url)")
        }
    }
}

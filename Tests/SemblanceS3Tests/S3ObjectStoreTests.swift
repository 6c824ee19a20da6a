import Foundation
import Semblance
import Testing
@testable import SemblanceS3

/// The store against a real S3-protocol server (moto, started by S3TestServer).
@Suite("S3ObjectStore against an S3 server")
struct S3ObjectStoreTests {
    @Test("get, put, list in pages, delete, and the conditional writes: If-None-Match: * and If-Match")
    func basics() async throws {
        var store = try await S3TestServer.bucket(prefix: "root/of/db")
        #expect(store.location.hasSuffix("/root/of/db"))
        #expect(try await store.get("docs/config.json") == nil)
        let first = try #require(try await store.put("docs/config.json", Array("one".utf8), if: .absent))
        #expect(try await store.get("docs/config.json") == RemoteObject(bytes: Array("one".utf8), etag: first))
        #expect(try await store.put("docs/config.json", Array("two".utf8), if: .absent) == nil, "If-None-Match: * on a key that exists")
        #expect(try await store.put("docs/config.json", Array("two".utf8), if: .matching("\"0000\"")) == nil, "If-Match with another tag")
        #expect(try await store.put("docs/missing", Array("x".utf8), if: .matching(first)) == nil, "If-Match on a key that does not exist")
        #expect(try await store.get("docs/missing") == nil)
        let second = try #require(try await store.put("docs/config.json", Array("two".utf8), if: .matching(first)))
        #expect(second != first)
        #expect(try await store.get("docs/config.json")?.bytes == Array("two".utf8))
        #expect(try await store.put("docs/config.json", [], if: .always) != nil, "an empty object")
        #expect(try await store.get("docs/config.json")?.bytes == [])

        let keys = (0..<7).map { "docs/objects/k\($0) with space+plus" }
        for key in keys { _ = try await store.put(key, Array(key.utf8), if: .always) }
        store.listPageSize = 2
        let listed = try await store.list(prefix: "docs/objects/")
        #expect(listed.map(\.key) == keys.sorted())
        #expect(listed.allSatisfy { $0.size == Int64($0.key.utf8.count) })
        #expect(listed.allSatisfy { abs($0.lastModified.timeIntervalSinceNow) < 600 })
        #expect(try await store.list(prefix: "docs/").count == 8)
        #expect(try await store.list(prefix: "nothing/").isEmpty)

        try await store.delete(keys[0])
        try await store.delete(keys[0])
        #expect(try await store.get(keys[0]) == nil)
        #expect(try await store.list(prefix: "docs/objects/").count == 6)
    }

    @Test("a bucket that does not exist is .objectStore naming S3's code; a bad location or missing credentials is .invalidArgument")
    func refusals() async throws {
        let server = try S3TestServer.shared.get()
        let store = try S3ObjectStore("s3://no-such-bucket-here/x", configuration: server.configuration)
        let error = await #expect(throws: SemblanceError.self) { try await store.put("k", [1], if: .always) }
        #expect(error?.code == .objectStore)
        #expect(error?.message.contains("NoSuchBucket") == true, "\(String(describing: error))")
        #expect(error?.path == "s3://no-such-bucket-here/x/k")
        for bad in ["http://x/y", "s3://", "s3://UPPER/x", "s3://ab"] {
            #expect(throws: SemblanceError.self) { try S3Location(bad) }
        }
        #expect(try S3Location("s3://bucket//a/b/").prefix == "a/b")
        let missing = #expect(throws: SemblanceError.self) { try S3Configuration.fromEnvironment(["AWS_ACCESS_KEY_ID": "x"]) }
        #expect(missing?.code == .invalidArgument)
        let configured = try S3Configuration.fromEnvironment(["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t",
                                                              "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:1"])
        #expect(configured.region == "eu-west-1" && configured.sessionToken == "t" && configured.endpoint == "http://127.0.0.1:1")
    }
}

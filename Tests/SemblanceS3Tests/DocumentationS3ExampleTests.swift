import Foundation
import Testing
// Not @testable: the documentation may only use the public API.
import Semblance
import SemblanceS3

/// The DocC catalog's examples that use object storage (ScalingOut.md), run against the
/// tests' S3 server; DocumentationExampleTests checks that they appear here line for line.
@Suite("Documentation examples with object storage", .serialized)
struct DocumentationS3ExampleTests {
    // MARK: ScalingOut.md

    // The writer: commit, then push the branch's commits.
    func publish(_ docs: VectorCollection) async throws -> PushReport {
        let bucket = try S3ObjectStore("s3://vectors/prod", configuration: .fromEnvironment())
        try await docs.commit(message: "nightly import")
        return try await docs.push(to: bucket)
    }

    // A replica, on any machine: follows what is pushed.
    func replicaSearch(_ query: [Float]) async throws -> [String] {
        let bucket = try S3ObjectStore("s3://vectors/prod", configuration: .fromEnvironment())
        let replica = try await Client(objectStore: bucket, access: .following(every: 5))
        let docs = try await replica.collection("docs")
        let hits = try await docs.search(query, k: 10)
        await replica.close()
        return hits.ids
    }

    @Test("Scaling Out: a writer publishes to a bucket, a replica searches what it pushed")
    func pushAndReplica() async throws {
        // The standard AWS settings, pointing at the tests' server; the bucket "vectors".
        let server = try S3TestServer.shared.get()
        for (name, value) in ["AWS_ENDPOINT_URL": server.endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"] {
            setenv(name, value, 1)
        }
        _ = try await S3TestServer.bucket(named: "vectors")
        let folder = TemporaryDirectory()
        let cache = TemporaryDirectory()
        setenv("XDG_CACHE_HOME", cache.path, 1)
        let client = try await Client(directory: folder.path)
        let docs = try await client.createCollection("docs", dimension: 3, metric: .cosine)
        try await docs.upsert(id: "apple", vector: [0.9, 0.1, 0.0])
        try await docs.upsert(id: "sky", vector: [0.0, 0.1, 0.9])
        let report = try await publish(docs)
        #expect(report.uploadedObjects > 0 && report.previousCommit == nil)
        #expect(try await replicaSearch([1.0, 0.2, 0.0]).first == "apple")
        await client.close()
    }
}

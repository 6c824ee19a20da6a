import Testing
@testable import Semblance

@Suite("Compactions that overlap")
struct ConcurrentCompactionTests {
    static func vector(_ i: Int) -> [Float] { [Float(i % 37), Float(i % 11), Float(i / 100), 1] }

    @Test("two compactions of one collection at once: the second waits its turn, neither fails, nothing is lost",
          arguments: [false, true])
    func overlapping(persistent: Bool) async throws {
        let folder = TemporaryDirectory()
        let client = persistent ? try await Client(directory: folder.path) : Client.inMemory()
        let docs = try await client.createCollection(
            "c", configuration: CollectionConfiguration(dimension: 4, metric: .squaredEuclidean, shardCount: 2))
        try await docs.upsert((0..<3000).map { VectorRecord(id: "v\($0)", vector: Self.vector($0)) })
        try await docs.delete((0..<1000).map { "v\($0)" })
        async let first = docs.compact()
        async let second = docs.compact()
        let removed = try await [first, second]
        #expect(removed.reduce(0, +) == 1000, "\(removed)")
        #expect(docs.count == 2000)
        #expect(docs.statistics().deleted == 0)
        #expect(docs.get("v2999")?.vector == Self.vector(2999))
        await client.close()
    }
}

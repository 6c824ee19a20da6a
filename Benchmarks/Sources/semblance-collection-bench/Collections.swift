import Foundation
import Semblance

/// An in-memory collection of the whole base set, built by one batch upsert; record ids are
/// the base row numbers, so answers can be graded against the ground truth. `metadata`, when
/// given, holds each base row's metadata.
struct BuiltCollection: Sendable {
    let shards: Int
    let collection: VectorCollection
    let buildSeconds: Double
}

func buildCollection(
    _ dataset: Dataset, shards: Int, client: Client, metadata: [Metadata]? = nil
) async throws -> BuiltCollection {
    let configuration = CollectionConfiguration(dimension: dataset.dimension, metric: dataset.metric, shardCount: shards)
    let collection = try await client.createCollection("\(dataset.name)-\(shards)-shards", configuration: configuration)
    let records = dataset.base.enumerated().map {
        VectorRecord(id: String($0.offset), vector: $0.element, metadata: metadata?[$0.offset])
    }
    let start = ContinuousClock.now
    try await collection.upsert(records)
    let built = BuiltCollection(shards: shards, collection: collection, buildSeconds: seconds(since: start))
    guard collection.count == dataset.base.count else {
        throw BenchError("collection holds \(collection.count) records, expected \(dataset.base.count)")
    }
    return built
}

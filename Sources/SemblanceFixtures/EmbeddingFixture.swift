import Foundation
import Semblance

/// A small set of real sentence embeddings shipped with the package, for the demo and the
/// tests: 3,000 all-MiniLM-L6-v2 vectors (384-d, unit length, cosine) of Debian package
/// descriptions, plus 100 held-out query vectors, with each one's package name and summary.
/// `scripts/make-fixture.py` made it; `meta.json` beside the files records how.
public struct EmbeddingFixture: Sendable {
    /// What a vector stands for.
    public struct Label: Sendable, Hashable, Codable {
        /// The Debian package name.
        public var name: String
        /// The first line of the package description.
        public var summary: String
    }

    public let dimension: Int
    public let metric: DistanceMetric
    public let base: [[Float]]
    public let baseLabels: [Label]
    public let queries: [[Float]]
    public let queryLabels: [Label]

    /// Loads the MiniLM Debian-descriptions fixture from the package's resources.
    public static func minilmDebian() throws -> EmbeddingFixture {
        guard let folder = Bundle.module.url(forResource: "minilm-debian", withExtension: nil, subdirectory: "Resources")
        else {
            throw SemblanceError(.invalidFile, "the minilm-debian fixture is missing from the SemblanceFixtures bundle")
        }
        let base = try FVecs.read(folder.appendingPathComponent("base.fvecs"))
        let queries = try FVecs.read(folder.appendingPathComponent("query.fvecs"))
        return EmbeddingFixture(
            dimension: base.first?.count ?? 0, metric: .cosine,
            base: base, baseLabels: try labels(folder.appendingPathComponent("base.jsonl")),
            queries: queries, queryLabels: try labels(folder.appendingPathComponent("query.jsonl")))
    }

    private static func labels(_ url: URL) throws -> [Label] {
        let decoder = JSONDecoder()
        return try String(contentsOf: url, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: true)
            .map { try decoder.decode(Label.self, from: Data($0.utf8)) }
    }
}

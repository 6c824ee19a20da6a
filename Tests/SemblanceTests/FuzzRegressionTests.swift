import Testing
@testable import Semblance

/// Inputs that the fuzz targets (Fuzz/, scripts/fuzz.sh) found to crash the library, each
/// reduced to the damage that did it; the crashing inputs themselves are in
/// Fuzz/corpus/<target>/regression-*.
@Suite("Fuzz regressions: damage found by the fuzz targets is an error, not a crash")
struct FuzzRegressionTests {
    /// A shard with several layers (m = 2), written to a simulated disk.
    static func tallIndex() throws -> VectorIndex {
        var index = try VectorIndex(IndexConfiguration(dimension: 2, metric: .squaredEuclidean, m: 2, efConstruction: 8))
        for i in 0..<40 { try index.insert(id: "n\(i)", vector: [Float(i % 7), Float(i / 7)]) }
        return index
    }

    static func reread(_ index: VectorIndex) throws(SemblanceError) -> VectorIndex {
        let store = ObjectStore(fs: SimulatedFileSystem(), directory: "/objects")
        var durable = Set<ObjectHash>()
        let (manifest, _) = try index.writePages(to: store, durable: &durable, appliedSequence: 0)
        return try VectorIndex.readPages(manifest, configuration: index.configuration, store: store)
    }

    @Test("a link on an upper layer to a node that does not reach that layer is corruptFile (fuzz: shard)")
    func upperLinkBelowItsLayer() throws {
        var index = try Self.tallIndex()
        // A node's first link on layer 1, pointed at a node of level 0: a search that
        // follows it reads that node's layer-1 row, which it does not have (past the end of
        // the upper-layer table, or another node's row).
        let linked = try #require((0..<index.nodes.count).first { node in
            let record = index.nodes.row(node).pointee
            return record.level >= 1 && index.upperLinks.row(Int(record.upperStart))[0] >= 1
        })
        let ground = try #require((0..<index.nodes.count).first { index.nodes.row($0).pointee.level == 0 })
        let links = index.upperLinks.mutableRow(Int(index.nodes.row(linked).pointee.upperStart))
        links[1] = UInt32(ground)

        #expect(throws: SemblanceError.self) { _ = try Self.reread(index) }
        do {
            _ = try Self.reread(index)
        } catch {
            #expect(error.code == .corruptFile)
            #expect(error.message.contains("does not reach"))
        }
        // Undamaged, the same shard reads back and searches.
        let sound = try Self.reread(try Self.tallIndex())
        #expect(try sound.search([3, 3], k: 5).count == 5)
    }
}

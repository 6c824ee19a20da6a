import Testing
import SemblanceFixtures
@testable import Semblance

/// Re-scoring under a compact encoding skips the candidates that the encoding's error bound
/// shows cannot reach the best k: the bound must hold for every pair, and the skips must
/// change no result.
@Suite("Re-scoring: the code distance error bound holds, skips change no result")
struct RescoringTests {
    /// Data sets that stress each encoding: real unit embeddings, clustered data far from the
    /// origin (where bfloat16 keeps few bits of the spread), tiny components (float16's
    /// subnormals), components of mixed magnitudes, and "aligned" ones: positive components
    /// just under a rounding midpoint of `encoding`'s 16-bit codes, so that every code errs
    /// the same way and a dot's error nears the worst case the bound allows.
    static func dataSets(_ encoding: VectorEncoding) throws -> [(name: String, vectors: [[Float]], queries: [[Float]])] {
        let fixture = try EmbeddingFixture.minilmDebian()
        let clustered = ClusteredData(count: 2000, queries: 20, dimension: 48, clusters: 20, seed: 20261204)
        var rng = SeededGenerator(seed: 0x5c0_7e5)
        func draw(_ count: Int, _ component: (inout SeededGenerator) -> Float) -> [[Float]] {
            (0..<count).map { _ in (0..<40).map { _ in component(&rng) } }
        }
        let tiny = draw(1020, { 3e-6 * $0.nextGaussian() })
        let mixed = draw(1020, { rng in
            rng.nextGaussian() * Float(sign: .plus, exponent: Int.random(in: -12...6, using: &rng), significand: 1)
        })
        // In [0.5, 1) a float16 step is 2⁻¹¹ and a bfloat16 step 2⁻⁸: a code plus 0.49 steps.
        let step: Float = encoding == .bfloat16 ? 0x1p-8 : 0x1p-11
        let aligned = draw(1020, { rng in
            (0.5 + Float(rng.next() % UInt64(0.5 / step)) * step) + 0.49 * step
        })
        return [
            ("minilm", Array(fixture.base.prefix(2000)), Array(fixture.queries.prefix(20))),
            ("aligned", Array(aligned.prefix(1000)), Array(aligned.suffix(20))),
            ("clustered", clustered.vectors, clustered.queries),
            ("tiny", Array(tiny.prefix(1000)), Array(tiny.suffix(20))),
            ("mixed", Array(mixed.prefix(1000)), Array(mixed.suffix(20))),
        ]
    }

    /// Calls `body` with the index's graph view and each query loaded and encoded as a search does.
    static func withEncodedQueries(
        _ index: VectorIndex, _ queries: [[Float]],
        _ body: (GraphView, SearchScratch, UnsafePointer<Float>, UnsafeRawPointer) throws -> Void
    ) throws {
        try index.scratchPool.withScratch(nodes: index.nodes.count) { scratch in
            try index.withGraphView { view in
                for query in queries {
                    let q = scratch.loadQuery(query, normalize: index.configuration.metric == .cosine)
                    let code = scratch.encodeQuery(q, codec: index.codec, centre: index.centre)
                    try body(view, scratch, q, code)
                }
            }
        }
    }

    @Test("|code distance − exact distance| ≤ errorBound for every query and node", arguments: EncodingTests.compact)
    func boundHolds(encoding: VectorEncoding) throws {
        for data in try Self.dataSets(encoding) {
            for metric in DistanceMetric.allCases {
                var index = try VectorIndex(IndexConfiguration(dimension: data.vectors[0].count, metric: metric, encoding: encoding))
                try index.insert(contentsOf: data.vectors.enumerated().map { (id: "v\($0.offset)", vector: $0.element) })
                var checked = 0, worst: Float = 0
                var failures: [String] = []
                try Self.withEncodedQueries(index, data.queries) { view, _, q, code in
                    let queryNorm = view.distance.codeNorm(code)
                    for node in 0..<UInt32(index.nodes.count) {
                        let codeDistance = view.distance(code, view.vector(node))
                        let exact = view.exactDistance(q, UnsafeRawPointer(index.vectors.row(Int(node))))
                        let bound = view.distance.errorBound(query: code, queryNorm: queryNorm, row: view.vector(node),
                                                             codeDistance: codeDistance)
                        checked += 1
                        if bound > 0 && bound.isFinite { worst = max(worst, abs(codeDistance - exact) / bound) }
                        if !(abs(codeDistance - exact) <= bound), failures.count < 5 {
                            failures.append("node \(node): code \(codeDistance), exact \(exact), bound \(bound)")
                        }
                    }
                }
                print("\(data.name), \(metric), \(encoding): \(checked) pairs, largest error \(worst) of the bound")
                #expect(failures.isEmpty, "\(data.name), \(metric), \(encoding): \(failures)")
                #expect(checked == data.queries.count * data.vectors.count)
                if data.name == "aligned" && metric == .innerProduct && encoding != .int8 {
                    // Errors all one way come near the bound: it is not loose by 2× or more
                    // (and a bound half as large as it must be would fail above).
                    #expect(worst > 0.5, "\(encoding): largest error \(worst) of the bound on aligned data")
                }
            }
        }
    }

    @Test("re-scoring with skips returns the best k that re-scoring all candidates returns, with fewer reads",
          arguments: EncodingTests.compact)
    func skipsChangeNothing(encoding: VectorEncoding) throws {
        var tiesAtK = 0
        defer { #expect(tiesAtK > 0, "\(encoding): no tie at the k-th place was tested") }
        for data in try Self.dataSets(encoding) {
            for metric in DistanceMetric.allCases {
                // The first 50 vectors twice: ties at every distance of theirs.
                let vectors = data.vectors + data.vectors.prefix(50)
                var index = try VectorIndex(IndexConfiguration(dimension: vectors[0].count, metric: metric, encoding: encoding))
                try index.insert(contentsOf: vectors.enumerated().map { (id: "v\($0.offset)", vector: $0.element) })
                let keep = 40
                var rescoredCount = 0, queries = 0
                try Self.withEncodedQueries(index, data.queries + data.vectors.prefix(3)) { view, scratch, q, code in
                    queries += 1
                    // Candidates ranked by code distance, as a search's hits are.
                    let hits = (0..<UInt32(index.nodes.count))
                        .map { HeapEntry(distance: view.distance(code, view.vector($0)), node: $0) }
                        .sorted(by: HeapEntry.nearerFirst)
                    let everyOne = hits.prefix(keep)
                        .map { HeapEntry(distance: view.exactDistance(q, UnsafeRawPointer(index.vectors.row(Int($0.node)))), node: $0.node) }
                        .sorted(by: HeapEntry.nearerFirst)
                    // k 1 (a query that is a stored vector ties with its copy there), 10, and
                    // 25, past the heap's first 16 places.
                    for k in [1, 10, 25] {
                        if everyOne[k - 1].distance == everyOne[k].distance { tiesAtK += 1 }
                        let skipping = try view.rescored(hits, query: q, code: code, k: k, keep: keep,
                                                         originals: index.vectors, scratch: scratch)
                        if k == 10 && queries <= data.queries.count { rescoredCount += skipping.count }
                        #expect(skipping.count >= k && skipping.count <= keep)
                        #expect(skipping.prefix(k).map(\.node) == everyOne.prefix(k).map(\.node),
                                "\(data.name), \(metric), \(encoding), k \(k)")
                        #expect(skipping.prefix(k).map(\.distance) == everyOne.prefix(k).map(\.distance))
                    }
                }
                print("\(data.name), \(metric), \(encoding): \(rescoredCount) of \(keep * data.queries.count) candidates re-scored")
                if data.name == "minilm" && metric == .cosine {
                    // The bound is tight enough on real embeddings to skip most of the 4 × k.
                    #expect(rescoredCount < keep * data.queries.count / 2, "\(encoding): \(rescoredCount) re-scored")
                }
            }
        }
    }

    @Test("a NaN exact distance (inf − inf) sorts last, and no finite hit is skipped after it",
          arguments: [VectorEncoding.bfloat16, .int8])
    func notANumber(encoding: VectorEncoding) throws {
        // Under inner product, q·huge = 1e60 − 1e60 overflows to inf − inf.
        let huge: [[Float]] = [[1e30, -1e30, 0, 0], [2e30, -2e30, 0, 0]]
        let plain: [[Float]] = (0..<30).map { [Float($0 % 7), 1, Float($0) / 8, 0.5] }
        var index = try VectorIndex(IndexConfiguration(dimension: 4, metric: .innerProduct, encoding: encoding))
        try index.insert(contentsOf: (huge + plain).enumerated().map { (id: "v\($0.offset)", vector: $0.element) })
        let query: [Float] = [1e30, 1e30, 1, 1]
        try Self.withEncodedQueries(index, [query]) { view, scratch, q, code in
            // The huge nodes (0 and 1) first, as if the codes had ranked them best.
            let hits = (0..<UInt32(index.nodes.count)).map { HeapEntry(distance: view.distance(code, view.vector($0)), node: $0) }
            let exact = hits.map { HeapEntry(distance: view.exactDistance(q, UnsafeRawPointer(index.vectors.row(Int($0.node)))), node: $0.node) }
            #expect(exact.prefix(2).allSatisfy { $0.distance.isNaN })
            let finite = exact.filter { !$0.distance.isNaN }.sorted(by: HeapEntry.nearerFirst)
            let found = try view.rescored(hits, query: q, code: code, k: 3, keep: hits.count, originals: index.vectors,
                                          scratch: scratch)
            #expect(found.prefix(3).map(\.node) == finite.prefix(3).map(\.node), "\(found.prefix(4))")
            #expect(found.last?.distance.isNaN == true)
        }
    }
}

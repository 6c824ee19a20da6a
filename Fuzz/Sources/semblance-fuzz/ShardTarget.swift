@testable import Semblance

/// A shard read back from its manifest and pages: `VectorIndex.readPages`, which promises
/// that damage is an error and never a crash of a later search.
///
/// The input is a manifest's fields and its pages (pages are named by index in the input,
/// and stored under their SHA-256 here, so that a mutated page is still found):
///
///     dimension u8 (1 + n % 32) | metric u8 (n % 3) | m u8 (2 + n % 31)
///     nodeCount u32 | upperRowCount u32 | liveCount u32 | entryPoint u32 (0xFFFFFFFF: none)
///     maxLevel u8 | levelGeneratorState u64 | appliedSequence u64 | hasMetadataList u8
///     then pages to the end: table u8 (n % 6: vectors, level-0 links, upper links,
///     node records, ids, metadata) | length u32 | bytes
///
/// When the shard reads: its counts are the manifest's; searches (plain and filtered)
/// return live ids, each once; and its pages written again read back to a shard whose
/// pages, written once more, are the same.
enum ShardTarget {
    static let target = FuzzTarget(
        name: "shard", summary: "a shard's manifest and pages (VectorIndex.readPages), then searches",
        run: { run($0) }, seeds: { try seeds() })

    static let tables: [PageObject.Kind] = [.vectors, .level0Links, .upperLinks, .nodeRecords, .ids, .metadata]

    static func run(_ input: [UInt8]) {
        var reader = InputReader(input)
        guard let dimension = reader.integer(UInt8.self), let metric = reader.integer(UInt8.self),
              let m = reader.integer(UInt8.self), let nodeCount = reader.integer(UInt32.self),
              let upperRowCount = reader.integer(UInt32.self), let liveCount = reader.integer(UInt32.self),
              let entryPoint = reader.integer(UInt32.self), let maxLevel = reader.integer(UInt8.self),
              let levelState = reader.integer(UInt64.self), let appliedSequence = reader.integer(UInt64.self),
              let hasMetadataList = reader.integer(UInt8.self)
        else { return }
        let configuration = IndexConfiguration(
            dimension: 1 + Int(dimension % 32), metric: DistanceMetric.allCases[Int(metric) % DistanceMetric.allCases.count],
            m: 2 + Int(m % 31), efConstruction: 16, defaultEf: 16)
        let fs = MemoryFileSystem()
        let store = ObjectStore(fs: fs, directory: "/objects")
        var pages: [PageObject.Kind: [ObjectHash]] = [:]
        while let table = reader.integer(UInt8.self), let length = reader.integer(UInt32.self) {
            let bytes = Array(reader.take(min(Int(length), reader.remaining)) ?? [])
            let hash = ObjectHash(of: bytes)
            fs[store.path(of: hash)] = bytes
            pages[tables[Int(table) % tables.count], default: []].append(hash)
        }
        let manifest = ShardManifest(
            nodeCount: Int(nodeCount), upperRowCount: Int(upperRowCount), liveCount: Int(liveCount),
            entryPoint: entryPoint == .max ? nil : entryPoint, maxLevel: Int(maxLevel),
            levelGeneratorState: levelState, appliedSequence: appliedSequence,
            vectors: pages[.vectors] ?? [], level0Links: pages[.level0Links] ?? [],
            upperLinks: pages[.upperLinks] ?? [], nodeRecords: pages[.nodeRecords] ?? [],
            ids: pages[.ids] ?? [], metadata: hasMetadataList & 1 != 0 || pages[.metadata] != nil ? pages[.metadata] ?? [] : nil)
        guard let index = try? VectorIndex.readPages(manifest, configuration: configuration, store: store) else { return }

        require(index.count == manifest.liveCount && index.nodeCount == manifest.nodeCount,
                "read \(index.count) live of \(index.nodeCount) nodes, the manifest says \(manifest.liveCount) of \(manifest.nodeCount)")
        search(index)

        // Written again, read again, written once more: the same pages.
        let first = written(index, appliedSequence: appliedSequence)
        require(first.manifest.nodeCount == manifest.nodeCount && first.manifest.liveCount == manifest.liveCount
                && first.manifest.upperRowCount == manifest.upperRowCount && first.manifest.entryPoint == manifest.entryPoint
                // An empty shard's level is 0 whatever its manifest said.
                && first.manifest.maxLevel == (manifest.entryPoint == nil ? 0 : manifest.maxLevel)
                && first.manifest.levelGeneratorState == manifest.levelGeneratorState
                && first.manifest.appliedSequence == manifest.appliedSequence,
                "the shard written again has other scalar fields: \(first.manifest) from \(manifest)")
        let reread: VectorIndex
        do {
            reread = try VectorIndex.readPages(first.manifest, configuration: configuration, store: first.store)
        } catch {
            fatalError("property violated: a shard written again from a shard that read does not read: \(error)")
        }
        let second = written(reread, appliedSequence: appliedSequence)
        require(second.manifest == first.manifest, "a shard written, read and written again has other pages")
    }

    /// Searches that must not trap, whatever the graph holds: one plain, one filtered.
    static func search(_ index: VectorIndex) {
        let dimension = index.configuration.dimension
        let query = (0..<dimension).map { Float($0 % 3) - 0.5 }
        for filter in [nil, Filter.exists("lang") || .greaterOrEqual("year", 2000)] as [Filter?] {
            let results: [SearchResult]
            do {
                results = try index.search(query, k: 4, filter: filter)
            } catch {
                fatalError("property violated: a valid search of a shard that read throws: \(error)")
            }
            require(results.count <= 4, "\(results.count) results for k = 4")
            require(Set(results.map(\.id)).count == results.count, "a search returns an id twice")
            for result in results {
                require(index.contains(result.id), "a search returns \(result.id.debugDescription), which is not live")
            }
        }
    }

    static func written(_ index: VectorIndex, appliedSequence: UInt64) -> (manifest: ShardManifest, store: ObjectStore) {
        let store = ObjectStore(fs: MemoryFileSystem(), directory: "/objects")
        var durable = Set<ObjectHash>()
        do {
            return (try index.writePages(to: store, durable: &durable, appliedSequence: appliedSequence).0, store)
        } catch {
            fatalError("property violated: writing the pages of a shard that read fails: \(error)")
        }
    }

    // MARK: Seeds

    /// `index` in this target's input form.
    static func input(_ index: VectorIndex, appliedSequence: UInt64) -> [UInt8] {
        let (manifest, store) = written(index, appliedSequence: appliedSequence)
        let configuration = index.configuration
        var bytes: [UInt8] = [
            UInt8(configuration.dimension - 1),
            UInt8(DistanceMetric.allCases.firstIndex(of: configuration.metric)!),
            UInt8(configuration.m - 2),
        ]
        bytes += littleEndianBytes(UInt32(manifest.nodeCount)) + littleEndianBytes(UInt32(manifest.upperRowCount))
        bytes += littleEndianBytes(UInt32(manifest.liveCount)) + littleEndianBytes(manifest.entryPoint ?? .max)
        bytes += [UInt8(manifest.maxLevel)] + littleEndianBytes(manifest.levelGeneratorState)
        bytes += littleEndianBytes(manifest.appliedSequence) + [manifest.metadata == nil ? 0 : 1]
        let lists = [manifest.vectors, manifest.level0Links, manifest.upperLinks, manifest.nodeRecords, manifest.ids, manifest.metadata ?? []]
        for (table, hashes) in lists.enumerated() {
            for hash in hashes {
                let page = (try? store.get(hash)) ?? []
                bytes += [UInt8(table)] + littleEndianBytes(UInt32(page.count)) + page
            }
        }
        return bytes
    }

    static func seeds() throws -> [(name: String, bytes: [UInt8])] {
        func vector(_ i: Int, _ dimension: Int) -> [Float] {
            (0..<dimension).map { Float((i * 7 + $0 * 3) % 11) - 4.5 }
        }
        let empty = try VectorIndex(IndexConfiguration(dimension: 4, metric: .cosine, m: 4))
        var one = try VectorIndex(IndexConfiguration(dimension: 3, metric: .squaredEuclidean, m: 2))
        try one.insert(id: "only", vector: [1, 2, 3])
        // m = 2 gives many levels: upper-layer links to follow.
        var tall = try VectorIndex(IndexConfiguration(dimension: 2, metric: .squaredEuclidean, m: 2, efConstruction: 8))
        for i in 0..<24 { try tall.insert(id: "n\(i)", vector: vector(i, 2)) }
        _ = try tall.delete("n3")
        var tagged = try VectorIndex(IndexConfiguration(dimension: 4, metric: .cosine, m: 3, efConstruction: 16))
        for i in 0..<16 {
            let metadata: Metadata = ["lang": .string(i % 2 == 0 ? "en" : "de"), "year": .int(Int64(1990 + i * 3)), "tags": [.string("t\(i % 3)")]]
            _ = try tagged.upsert(id: "doc-\(i)", vector: vector(i, 4), metadata: i % 5 == 4 ? nil : metadata)
        }
        _ = try tagged.delete("doc-1")
        var inner = try VectorIndex(IndexConfiguration(dimension: 5, metric: .innerProduct, m: 2))
        for i in 0..<6 { try inner.insert(id: "p\(i)", vector: vector(i, 5)) }
        return [
            ("seed-empty", input(empty, appliedSequence: 0)),
            ("seed-one-node", input(one, appliedSequence: 1)),
            ("seed-tall", input(tall, appliedSequence: 25)),
            ("seed-metadata", input(tagged, appliedSequence: 17)),
            ("seed-inner-product", input(inner, appliedSequence: 6)),
        ]
    }
}

@testable import Semblance

/// Page objects: `PageObject.decode` for every kind, `decodeIDs` and `decodeMetadata`, on
/// the bytes of one page. Whatever decodes is encoded again and must decode to the same
/// count and payload, ids or entries.
enum PageTarget {
    static let target = FuzzTarget(
        name: "page", summary: "page objects (PageObject.decode, decodeIDs, decodeMetadata)",
        run: { run($0) }, seeds: { seeds() })

    static func run(_ input: [UInt8]) {
        for kind in PageObject.Kind.allCases {
            guard let (count, payload) = try? PageObject.decode(input, kind: kind, file: "page") else { continue }
            let again = payload.withUnsafeBytes { PageObject.encode(kind: kind, count: count, payload: $0) }
            guard let (count2, payload2) = try? PageObject.decode(again, kind: kind, file: "page written again") else {
                fatalError("property violated: a \(kind) page written again from a decoded one does not decode")
            }
            require(count2 == count && payload2 == payload, "a \(kind) page written again decodes differently")
        }
        if let ids = try? PageObject.decodeIDs(input, file: "page") {
            guard let again = try? PageObject.decodeIDs(PageObject.encodeIDs(ids), file: "page written again") else {
                fatalError("property violated: an id page written again does not decode")
            }
            require(again == ids, "an id page written again holds other ids")
        }
        if let entries = try? PageObject.decodeMetadata(input, file: "page") {
            guard let again = try? PageObject.decodeMetadata(PageObject.encodeMetadata(entries), file: "page written again") else {
                fatalError("property violated: a metadata page written again does not decode")
            }
            require(again.count == entries.count, "a metadata page written again holds \(again.count) entries, not \(entries.count)")
            for (a, b) in zip(again, entries) {
                require(a.node == b.node && encoding(of: a.metadata) == encoding(of: b.metadata),
                        "a metadata page written again holds other entries")
            }
        }
    }

    static func seeds() -> [(name: String, bytes: [UInt8])] {
        func page(_ kind: PageObject.Kind, count: Int, _ payload: [UInt8]) -> [UInt8] {
            payload.withUnsafeBytes { PageObject.encode(kind: kind, count: count, payload: $0) }
        }
        func bytes<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }
        let vectors: [Float] = (0..<48).map { Float($0) * 0.37 - 5 }
        // Link rows: a count, then the neighbours, then zeros (which compress).
        var links = [UInt32](repeating: 0, count: 9 * 6)
        for row in 0..<6 {
            links[row * 9] = 2
            links[row * 9 + 1] = UInt32((row + 1) % 6)
            links[row * 9 + 2] = UInt32((row + 2) % 6)
        }
        let nodes = [NodeRecord(upperStart: 0, level: 1, flags: 0, reserved: 0),
                     NodeRecord(upperStart: 1, level: 0, flags: NodeRecord.deletedFlag, reserved: 0),
                     NodeRecord(upperStart: 1, level: 2, flags: 0, reserved: 0)]
        let rawIDs = page(.ids, count: 3, {
            var writer = ByteWriter()
            for id in ["a", "doc-2", "🙂"] { writer.appendShortString(id) }
            return writer.bytes
        }())
        // Version 1: a 24-byte header (no length field, never compressed).
        var version1 = ByteWriter()
        version1.append(bytes: PageObject.magic)
        version1.append(UInt32(1))
        version1.append(PageObject.Kind.ids.rawValue)
        version1.append(UInt32(2))
        version1.append(UInt32(0))
        version1.appendShortString("x")
        version1.appendShortString("yz")
        let metadataEntries: [(node: UInt32, metadata: Metadata)] = [
            (node: 0, metadata: ["lang": "en", "year": 2024]),
            (node: 5, metadata: ["tags": ["a", "b"], "score": 0.25, "nested": ["x": ["y": nil]]]),
            (node: 1023, metadata: [true, false, -7, "s"]),
        ]
        return [
            ("seed-vectors", page(.vectors, count: 3, bytes(vectors))),
            ("seed-level0-links", page(.level0Links, count: 6, bytes(links))),
            ("seed-upper-links", page(.upperLinks, count: 1, bytes(Array(links[0..<9])))),
            ("seed-node-records", page(.nodeRecords, count: 3, bytes(nodes))),
            ("seed-ids", rawIDs),
            ("seed-ids-compressed", PageObject.encodeIDs((0..<64).map { "document-\($0)" })),
            ("seed-ids-version1", version1.bytes),
            ("seed-metadata", PageObject.encodeMetadata(metadataEntries)),
        ]
    }
}

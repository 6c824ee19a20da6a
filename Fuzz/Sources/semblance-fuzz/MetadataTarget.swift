@testable import Semblance

/// The binary metadata form: `Metadata.decode(from:)`, as log records and metadata pages
/// call it. A value that decodes:
/// - encodes to as many bytes as it took, `encodedSize` of them, and decodes from them to
///   a value that encodes to the same bytes;
/// - when it passes `validate()` (as stored metadata must), goes through the JSON Lines
///   form (`JSONLines.encode`, then `JSONLines.parse`) unchanged, as export and import do.
enum MetadataTarget {
    static let target = FuzzTarget(
        name: "metadata", summary: "binary metadata values (Metadata.decode)",
        run: { run($0) }, seeds: { seeds() })

    static func run(_ input: [UInt8]) {
        var reader = ByteReader(input, file: "metadata")
        guard let value = try? Metadata.decode(from: &reader) else { return }
        let bytes = encoding(of: value)
        require(bytes.count == reader.position, "a value read from \(reader.position) bytes encodes to \(bytes.count)")
        require(bytes.count == value.encodedSize, "encodedSize \(value.encodedSize), encoded \(bytes.count) bytes")
        var again = ByteReader(bytes, file: "metadata written again")
        guard let decoded = try? Metadata.decode(from: &again), again.isAtEnd else {
            fatalError("property violated: a metadata value encoded again does not decode")
        }
        require(encoding(of: decoded) == bytes, "a metadata value encoded again decodes to another value")

        guard (try? value.validate()) != nil else { return }
        let line = Array("{\"vector\":[],\"metadata\":\(value)}".utf8)
        let parsed: JSONLines.Line
        do {
            parsed = try JSONLines.parse(line)
        } catch {
            fatalError("property violated: an exported line does not import (\(error)): \(String(decoding: line, as: UTF8.self))")
        }
        let expected: Metadata? = value == .null ? nil : value
        require(parsed.metadata == expected, "metadata exported and imported again differs: \(String(describing: parsed.metadata)), expected \(value)")
    }

    static func seeds() -> [(name: String, bytes: [UInt8])] {
        var deep: Metadata = ["leaf": 1]
        for i in 0..<15 { deep = i % 2 == 0 ? ["k": deep] : [deep] }
        let values: [(String, Metadata)] = [
            ("null", nil), ("true", true), ("int", .int(-9_223_372_036_854_775_808)), ("double", 2024.0),
            ("string", "héllo \u{0} \"wörld\" 🙂"),
            ("array", [1, 2.5, "three", nil, false, [4]]),
            ("object", ["lang": "en", "year": 2024, "score": -0.125, "tags": ["db", "swift"],
                        "author": ["name": "Ada", "born": 1815], "draft": false, "note": nil]),
            ("deep", deep),
            ("wide", .object(Dictionary(uniqueKeysWithValues: (0..<40).map { ("field\($0)", Metadata.int(Int64($0 * $0))) }))),
        ]
        return values.map { ("seed-\($0.0)", encoding(of: $0.1)) }
    }
}

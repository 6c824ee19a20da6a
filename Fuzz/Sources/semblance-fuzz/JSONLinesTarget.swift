@testable import Semblance

/// The JSON Lines record parser: `JSONLines.parse` on one line (the strict `RecordParser`
/// behind it). A record that parses with
/// an id and finite components, written again with `JSONLines.encode` (as export does),
/// parses to the same record, components bit for bit.
enum JSONLinesTarget {
    static let target = FuzzTarget(
        name: "jsonlines", summary: "JSON Lines records (JSONLines.parse, RecordParser)",
        run: { run($0) }, seeds: { seeds() })

    static func run(_ input: [UInt8]) {
        guard let line = try? JSONLines.parse(input) else { return }
        guard let id = line.id, line.vector.allSatisfy(\.isFinite) else { return }
        var written = JSONLines.encode(VectorRecord(id: id, vector: line.vector, metadata: line.metadata))
        require(written.last == UInt8(ascii: "\n"), "an exported line does not end with a newline")
        written.removeLast()
        let again: JSONLines.Line
        do {
            again = try JSONLines.parse(written)
        } catch {
            fatalError("property violated: an exported line does not parse (\(error)): \(String(decoding: written, as: UTF8.self))")
        }
        require(again.id == id, "id \(String(describing: again.id)) read back as \(id.debugDescription)")
        require(again.vector.map(\.bitPattern) == line.vector.map(\.bitPattern),
                "components \(again.vector) read back as \(line.vector)")
        require(again.metadata == line.metadata,
                "metadata \(String(describing: again.metadata)) read back as \(String(describing: line.metadata))")
    }

    static func seeds() -> [(name: String, bytes: [UInt8])] {
        var lines: [(String, [UInt8])] = [
            ("plain", JSONLines.encode(VectorRecord(id: "doc-1", vector: [0.1, -2, 3.5e-7, 1e20]))),
            ("metadata", JSONLines.encode(VectorRecord(
                id: "doc-\"2\"\n", vector: [1, 0, -0.0],
                metadata: ["lang": "en", "year": 2024, "score": 2.0, "tags": ["a", "b"], "nested": ["x": nil, "y": [true, false]]]))),
            ("query", Array("[0.5, -1, 2e3]".utf8)),
            ("integer-id", Array(#"{"id": 42, "vector": [1,2,3]}"#.utf8)),
            ("no-id", Array(#"{"vector": [], "metadata": null}"#.utf8)),
            ("escapes", Array(#"{"id": "\u00e9\ud83d\ude00\t\\\/", "vector": [1], "extra": {"k": [1, "s", null]}}"#.utf8)),
            ("repeated-field", Array(#"{"id": "a", "vector": [1], "vector": [2]}"#.utf8)),
            ("fractional-id", Array(#"{"id": 1.5, "vector": [1]}"#.utf8)),
        ]
        lines = lines.map { ($0.0, $0.1.last == UInt8(ascii: "\n") ? Array($0.1.dropLast()) : $0.1) }
        return lines.map { ("seed-\($0.0)", $0.1) }
    }
}

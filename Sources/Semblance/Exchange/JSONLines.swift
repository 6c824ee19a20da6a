/// The JSON Lines form of records: one object per line,
/// `{"id": "doc-1", "vector": [0.1, ...], "metadata": {...}}` (metadata optional), which
/// ``VectorCollection/exportJSONLines(to:progress:)-(String,_)`` writes and
/// ``VectorCollection/importJSONLines(from:batchSize:progress:)-(String,_,_)`` reads.
public enum JSONLines {
    /// One line as written: an id may be absent (a file of queries), and a line may be a
    /// bare array of numbers (a query).
    public struct Line: Sendable, Hashable {
        /// The record's id; nil when the line has none.
        public var id: String?
        /// The vector.
        public var vector: [Float]
        /// The record's metadata; nil when the line has none.
        public var metadata: Metadata?
    }

    /// Parses one line (without its newline), as strict JSON (RFC 8259).
    /// - Throws: `.invalidFile` whose message says what is wrong, naming the field or the
    ///   column (`missing field "vector"`, `not valid JSON: a trailing comma before the ']'
    ///   at column 27`), without the line's place; `.invalidMetadata` for metadata nested
    ///   deeper than ``MetadataLimits/maximumDepth``.
    public static func parse(_ line: [UInt8]) throws(SemblanceError) -> Line {
        try RecordParser.parse(line)
    }

    /// The line of `record`, ending with a newline: the shortest decimal forms that read back
    /// as the same floats, and the metadata as its `description` (keys sorted), so equal
    /// records give equal lines.
    public static func encode(_ record: VectorRecord) -> [UInt8] {
        var text = "{\"id\":"
        Metadata.appendJSON(record.id, to: &text)
        text += ",\"vector\":["
        for (i, x) in record.vector.enumerated() {
            if i > 0 { text += "," }
            text += x.description
        }
        text += "]"
        if let metadata = record.metadata {
            text += ",\"metadata\":"
            metadata.appendJSON(to: &text)
        }
        text += "}\n"
        return Array(text.utf8)
    }
}

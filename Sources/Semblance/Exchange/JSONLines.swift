/// The JSON Lines form of records: one object per line,
/// `{"id": "doc-1", "vector": [0.1, ...], "metadata": {...}}` (metadata optional), which
/// ``VectorCollection/exportJSONLines(to:progress:)`` writes and
/// ``VectorCollection/importJSONLines(from:batchSize:progress:)`` reads.
public enum JSONLines {
    /// One line as written: an id may be absent (a file of queries), and a line may be a
    /// bare array of numbers (a query).
    public struct Line: Sendable, Hashable {
        public var id: String?
        public var vector: [Float]
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
    /// as the same floats, and metadata keys sorted, so equal records give equal lines.
    public static func encode(_ record: VectorRecord) -> [UInt8] {
        var text = "{\"id\":"
        appendString(record.id, to: &text)
        text += ",\"vector\":["
        for (i, x) in record.vector.enumerated() {
            if i > 0 { text += "," }
            text += x.description
        }
        text += "]"
        if let metadata = record.metadata {
            text += ",\"metadata\":"
            append(metadata, to: &text)
        }
        text += "}\n"
        return Array(text.utf8)
    }

    /// `metadata` as compact JSON, keys sorted, doubles with their fraction (`2024.0`), as in
    /// an exported line.
    public static func encode(_ metadata: Metadata) -> String {
        var text = ""
        append(metadata, to: &text)
        return text
    }

    private static func append(_ value: Metadata, to text: inout String) {
        switch value {
        case .null: text += "null"
        case .bool(let flag): text += flag ? "true" : "false"
        case .int(let number): text += String(number)
        // `description` of a finite Double is valid JSON and reads back as the same Double;
        // a whole number keeps its ".0", so it comes back as a double, not an integer.
        case .double(let number): text += number.description
        case .string(let string): appendString(string, to: &text)
        case .array(let elements):
            text += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { text += "," }
                append(element, to: &text)
            }
            text += "]"
        case .object(let fields):
            text += "{"
            for (i, key) in fields.keys.sorted().enumerated() {
                if i > 0 { text += "," }
                appendString(key, to: &text)
                text += ":"
                append(fields[key]!, to: &text)
            }
            text += "}"
        }
    }

    private static func appendString(_ string: String, to text: inout String) {
        text += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                text += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}

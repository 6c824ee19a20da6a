import Foundation

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

    /// Parses one line (without its newline).
    /// - Throws: `.invalidFile` whose message says what is wrong, naming the field
    ///   (`missing field "vector"`, `field "metadata.year": ...`), without the line's place.
    public static func parse(_ line: [UInt8]) throws(SemblanceError) -> Line {
        if let fast = FastRecordParser.parse(line) {
            return Line(id: fast.id, vector: fast.vector, metadata: fast.metadata)
        }
        // Unusual lines (a repeated field, a fractional id) and malformed ones: `JSONDecoder`
        // reads the first and words the error of the second.
        do {
            let decoded = try JSONDecoder().decode(DecodedLine.self, from: Data(line))
            return Line(id: decoded.id, vector: decoded.vector, metadata: decoded.metadata)
        } catch let error as DecodingError {
            throw SemblanceError(.invalidFile, describe(error))
        } catch {
            throw SemblanceError(.invalidFile, "not valid JSON")
        }
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

    /// A decoding failure in a few words, naming the field.
    static func describe(_ error: DecodingError) -> String {
        func field(_ path: [any CodingKey]) -> String {
            var text = ""
            for key in path {
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return "\"\(text)\""
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field " + field(context.codingPath + [key])
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return "a line must be a JSON object (or, for queries, an array of numbers)" }
            return "field \(field(context.codingPath)) is not \(expected(type))"
        case .valueNotFound(let type, let context):
            if context.codingPath.isEmpty { return "a line must be a JSON object (or, for queries, an array of numbers)" }
            return "field \(field(context.codingPath)) is null, expected \(expected(type))"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "not valid JSON" }
            return "field \(field(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "not a valid record"
        }
    }

    private static func expected(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Float.Type, is Double.Type: "a number"
        case is [Float].Type: "an array of numbers"
        default: "of the expected kind"
        }
    }
}

/// A JSON line decoded by `JSONDecoder`: an object with `id` (a string or an integer),
/// `vector` and an optional `metadata`, or a bare array of numbers.
private struct DecodedLine: Decodable {
    var id: String?
    var vector: [Float]
    var metadata: Metadata?

    enum CodingKeys: String, CodingKey { case id, vector, metadata }

    init(from decoder: any Decoder) throws {
        if let vector = try? decoder.singleValueContainer().decode([Float].self) {
            self.vector = vector
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        vector = try container.decode([Float].self, forKey: .vector)
        if try !container.contains(.id) || container.decodeNil(forKey: .id) {
            id = nil
        } else if let number = try? container.decode(Int64.self, forKey: .id) {
            id = String(number)
        } else {
            id = try container.decode(String.self, forKey: .id)
        }
        if try container.contains(.metadata) && !container.decodeNil(forKey: .metadata) {
            metadata = try container.decode(Metadata.self, forKey: .metadata)
        }
    }
}

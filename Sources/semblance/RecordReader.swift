import ArgumentParser
import Foundation
import Semblance

/// The file formats vectors are read from.
enum RecordFormat: String, ExpressibleByArgument, CaseIterable {
    /// JSON Lines: one object per line, `{"id": "...", "vector": [...], "metadata": {...}}`,
    /// or (for queries) a bare array of numbers.
    case jsonl
    /// TEXMEX `.fvecs`: per vector a little-endian Int32 dimension and that many Float32s.
    case fvecs

    /// `.fvecs` by the file's extension; anything else is read as JSON Lines.
    static func of(path: String) -> RecordFormat {
        path.lowercased().hasSuffix(".fvecs") ? .fvecs : .jsonl
    }
}

/// One record read from a file.
struct ReadRecord {
    /// The 1-based line number (JSON Lines), or the 0-based row number (`.fvecs`).
    var number: Int
    /// The id the line gives; nil for a bare array and for `.fvecs` rows.
    var id: String?
    var vector: [Float]
    /// Whether the line had a `metadata` field other than null.
    var hasMetadata: Bool
}

/// A line or row that is not a valid record: where it is and why.
struct RecordError: Error {
    /// "data.jsonl line 17" or "data.fvecs row 16 (byte offset 24640)".
    var location: String
    var reason: String
    /// The line or row number, as in ``ReadRecord/number``.
    var number: Int
}

/// Reads records one at a time from a JSON Lines or `.fvecs` file, in constant memory.
final class RecordReader {
    let format: RecordFormat
    let stream: ByteStream
    /// Lines (JSON Lines) or rows (`.fvecs`) read so far.
    private(set) var position = 0
    private let decoder = JSONDecoder()

    /// Opens `path` (`-` for standard input); the format is the given one, else by extension.
    init(path: String, format: RecordFormat?) throws {
        stream = try ByteStream(path: path)
        self.format = format ?? RecordFormat.of(path: path)
    }

    /// The next record; nil at the end of the file. Blank lines are skipped.
    /// - Throws: ``RecordError`` for a malformed line or row; ``CommandFailure`` when the
    ///   file cannot be read.
    func next() throws -> ReadRecord? {
        switch format {
        case .jsonl: try nextLine()
        case .fvecs: try nextRow()
        }
    }

    private func nextLine() throws -> ReadRecord? {
        while let line = try stream.nextLine() {
            position += 1
            if line.allSatisfy({ $0 == 32 || $0 == 9 }) { continue }
            if let fast = FastRecordParser.parse(line) {
                return ReadRecord(number: position, id: fast.id, vector: fast.vector, hasMetadata: fast.hasMetadata)
            }
            do {
                let decoded = try decoder.decode(JSONRecord.self, from: Data(line))
                return ReadRecord(number: position, id: decoded.id, vector: decoded.vector, hasMetadata: decoded.hasMetadata)
            } catch let error as DecodingError {
                throw RecordError(location: "\(stream.name) line \(position)", reason: Self.describe(error), number: position)
            } catch {
                throw RecordError(location: "\(stream.name) line \(position)", reason: "not valid JSON", number: position)
            }
        }
        return nil
    }

    private func nextRow() throws -> ReadRecord? {
        let offset = stream.bytesConsumed
        let location = "\(stream.name) row \(position) (byte offset \(offset))"
        guard let header = try stream.next(4) else { return nil }
        let dimension = Int(Int32(littleEndian: header.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }))
        guard (1...IndexConfiguration.maximumDimension).contains(dimension) else {
            throw RecordError(location: location, reason: "invalid dimension \(dimension); is this an .fvecs file?", number: position)
        }
        guard let body = try stream.next(4 * dimension) else {
            throw RecordError(location: location, reason: "the file ends after the dimension", number: position)
        }
        let vector = body.withUnsafeBytes { raw in
            (0..<dimension).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        defer { position += 1 }
        return ReadRecord(number: position, id: nil, vector: vector, hasMetadata: false)
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
            return "field \(field(context.codingPath)) is not \(Self.expected(type))"
        case .valueNotFound(let type, let context):
            if context.codingPath.isEmpty { return "a line must be a JSON object (or, for queries, an array of numbers)" }
            return "field \(field(context.codingPath)) is null, expected \(Self.expected(type))"
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

/// A JSON line: an object with `id` (a string or an integer), `vector` and an optional
/// `metadata`, or a bare array of numbers.
private struct JSONRecord: Decodable {
    var id: String?
    var vector: [Float]
    var hasMetadata = false

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
        hasMetadata = try container.contains(.metadata) && !container.decodeNil(forKey: .metadata)
    }
}

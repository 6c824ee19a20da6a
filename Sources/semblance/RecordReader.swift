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
    /// The line's `metadata` (absent or null: nil).
    var metadata: Metadata?
}

/// A line or row that is not a valid record: where it is and why.
struct RecordError: Error {
    /// "data.jsonl line 17" or "data.fvecs row 16 (byte offset 24640)".
    var location: String
    var reason: String
    /// The line or row number, as in ``ReadRecord/number``.
    var number: Int
}

/// Reads records one at a time from a JSON Lines file (the library's ``JSONLinesReader``)
/// or an `.fvecs` file, in constant memory.
final class RecordReader {
    let format: RecordFormat
    let stream: ByteStream
    private let lines: JSONLinesReader?
    /// Rows (`.fvecs`) read so far.
    private var rows = 0

    /// Opens `path` (`-` for standard input); the format is the given one, else by extension.
    init(path: String, format: RecordFormat?) throws {
        self.format = format ?? RecordFormat.of(path: path)
        if self.format == .jsonl {
            let lines = try JSONLinesReader(path: path)
            self.lines = lines
            stream = lines.stream
        } else {
            lines = nil
            stream = try ByteStream(path: path)
        }
    }

    /// The next record; nil at the end of the file. Blank lines are skipped.
    /// - Throws: ``RecordError`` for a malformed line or row; `SemblanceError` (`.io`) when
    ///   the file cannot be read.
    func next() throws -> ReadRecord? {
        switch format {
        case .jsonl: try nextLine()
        case .fvecs: try nextRow()
        }
    }

    private func nextLine() throws -> ReadRecord? {
        guard let lines else { return nil }
        let parsed: JSONLines.Line?
        do {
            parsed = try lines.nextLine()
        } catch {
            guard error.code != .io else { throw error }
            throw lineError(error, line: lines.line)
        }
        return parsed.map { ReadRecord(number: lines.line, id: $0.id, vector: $0.vector, metadata: $0.metadata) }
    }

    /// The library's message starts with the place; the CLI words place and reason apart.
    private func lineError(_ error: SemblanceError, line: Int) -> RecordError {
        let location = "\(stream.name) line \(line)"
        let reason = error.message.hasPrefix(location + ": ") ? String(error.message.dropFirst(location.count + 2)) : error.message
        return RecordError(location: location, reason: reason, number: line)
    }

    private func nextRow() throws -> ReadRecord? {
        let offset = stream.bytesConsumed
        let location = "\(stream.name) row \(rows) (byte offset \(offset))"
        guard let header = try stream.next(4) else { return nil }
        guard header.count == 4 else {
            throw RecordError(location: location,
                reason: "the file ends at byte offset \(stream.bytesConsumed), inside this row's 4-byte dimension", number: rows)
        }
        let dimension = Int(Int32(littleEndian: header.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }))
        guard (1...IndexConfiguration.maximumDimension).contains(dimension) else {
            throw RecordError(location: location, reason: "invalid dimension \(dimension); is this an .fvecs file?", number: rows)
        }
        let body = try stream.next(4 * dimension) ?? []
        guard body.count == 4 * dimension else {
            throw RecordError(location: location, reason: "the file ends at byte offset \(stream.bytesConsumed), "
                + "\(4 + body.count) bytes into this row of \(4 + 4 * dimension) bytes", number: rows)
        }
        let vector = body.withUnsafeBytes { raw in
            (0..<dimension).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        defer { rows += 1 }
        return ReadRecord(number: rows, id: nil, vector: vector, metadata: nil)
    }
}

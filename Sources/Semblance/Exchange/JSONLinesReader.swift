/// Reads records from a JSON Lines file one line at a time, in constant memory.
///
/// ```swift
/// let reader = try JSONLinesReader(path: "docs.jsonl")
/// while let record = try reader.next() {
///     print(record.id, record.metadata ?? "no metadata")
/// }
/// ```
public final class JSONLinesReader {
    /// The file being read, and how far.
    public let stream: ByteStream
    /// The number of the last line read (from 1); blank lines count but give no record.
    public private(set) var line = 0

    /// Opens `path`; `-` is standard input.
    /// - Throws: `.io` when it cannot be opened.
    public init(path: String) throws(SemblanceError) {
        stream = try ByteStream(path: path)
    }

    /// The next line as written (id optional, bare arrays allowed); nil at the end.
    /// - Throws: `.invalidFile` naming the file and line (`docs.jsonl line 17: missing field
    ///   "vector"`), or `.invalidMetadata` for metadata nested past the limit; `.io` when
    ///   reading fails.
    public func nextLine() throws(SemblanceError) -> JSONLines.Line? {
        while let bytes = try stream.nextLine() {
            line += 1
            if bytes.allSatisfy({ $0 == 32 || $0 == 9 }) { continue }
            do {
                return try JSONLines.parse(bytes)
            } catch {
                throw SemblanceError(error.code, "\(stream.name) line \(line): \(error.message)")
            }
        }
        return nil
    }

    /// The next record; nil at the end of the file.
    /// - Throws: as ``nextLine()``, and `.invalidFile` for a line without an id.
    public func next() throws(SemblanceError) -> VectorRecord? {
        guard let parsed = try nextLine() else { return nil }
        guard let id = parsed.id else {
            throw SemblanceError(.invalidFile, "\(stream.name) line \(line): missing field \"id\"")
        }
        return VectorRecord(id: id, vector: parsed.vector, metadata: parsed.metadata)
    }
}

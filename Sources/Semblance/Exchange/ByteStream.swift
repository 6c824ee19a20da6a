import Foundation

/// A file read a chunk at a time, so that a file of any size is read in constant memory:
/// lines or fixed-size pieces, and how many bytes of it were consumed. The JSON Lines and
/// `.fvecs` readers are built on it.
public final class ByteStream {
    static let chunkSize = 1 << 20

    /// The file's name in messages.
    public let name: String
    /// The file's size, nil for standard input.
    public let totalBytes: Int64?
    /// Bytes handed out so far (lines with their newline).
    public private(set) var bytesConsumed: Int64 = 0
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false

    /// Opens `path`; `-` is standard input.
    /// - Throws: `.io` when the file is missing or cannot be read; `.invalidArgument` for a
    ///   directory.
    public init(path: String) throws(SemblanceError) {
        if path == "-" {
            name = "standard input"
            handle = .standardInput
            totalBytes = nil
            return
        }
        name = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw SemblanceError(.io, "\(path): no such file")
        }
        guard !isDirectory.boolValue else {
            throw SemblanceError(.invalidArgument, "\(path) is a directory, not a file")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SemblanceError(.io, "\(path): cannot be opened for reading")
        }
        self.handle = handle
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        totalBytes = (attributes?[.size] as? NSNumber)?.int64Value
    }

    deinit { if handle !== FileHandle.standardInput { try? handle.close() } }

    /// The next line without its line ending (`\n` or `\r\n`); nil at the end of the file.
    /// The last line needs no newline.
    public func nextLine() throws(SemblanceError) -> [UInt8]? {
        // Bytes after `position` already searched: a refill moves them but keeps their count.
        var scanned = 0
        while true {
            if let newline = buffer[(position + scanned)...].firstIndex(of: 10) {
                var end = newline
                if end > position && buffer[end - 1] == 13 { end -= 1 }
                let line = Array(buffer[position..<end])
                bytesConsumed += Int64(newline + 1 - position)
                position = newline + 1
                return line
            }
            scanned = buffer.count - position
            if try !refill() {
                guard position < buffer.count else { return nil }
                let line = Array(buffer[position...])
                bytesConsumed += Int64(line.count)
                position = buffer.count
                return line.last == 13 ? Array(line.dropLast()) : line
            }
        }
    }

    /// The next `count` bytes; fewer (the rest) when the file ends inside them, which the
    /// caller words for its format; nil at the end of the file.
    public func next(_ count: Int) throws(SemblanceError) -> [UInt8]? {
        while buffer.count - position < count {
            if try !refill() { break }
        }
        guard position < buffer.count else { return nil }
        let end = min(position + count, buffer.count)
        let piece = Array(buffer[position..<end])
        bytesConsumed += Int64(end - position)
        position = end
        return piece
    }

    /// Reads another chunk; false at the end of the file.
    private func refill() throws(SemblanceError) -> Bool {
        guard !atEnd else { return false }
        // Drop what was handed out, so the buffer holds about one chunk plus a partial record.
        if position > 0 {
            buffer.removeSubrange(0..<position)
            position = 0
        }
        let chunk: Data?
        do {
            chunk = try handle.read(upToCount: Self.chunkSize)
        } catch {
            throw SemblanceError(.io, "\(name): read failed after \(bytesConsumed) bytes: \(error.localizedDescription)")
        }
        guard let chunk, !chunk.isEmpty else {
            atEnd = true
            return false
        }
        buffer.append(contentsOf: chunk)
        return true
    }
}

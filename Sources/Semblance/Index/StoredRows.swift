/// A file that rows can be read from at any offset, from any thread.
protocol RowFile: Sendable {
    /// Fills `buffer` with the bytes at `offset`.
    /// - Throws: `.io` naming the file when it fails or the file ends first.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SemblanceError)
}

/// The rows of one page kept in a file instead of memory: the float32 originals of a
/// compact encoding, once their page object is durable, are read on demand from it (the
/// search re-scores a few rows per query; `get`, scans and rebuilds read the rest).
///
/// The file stays open as long as a page refers to it, so a garbage collection that deletes
/// the object meanwhile takes nothing from this value. The rows were checked against the
/// object's hash when it was read at open or written; they are not hashed again on each
/// read (`verify` reads every object again).
final class StoredRows: Sendable {
    let file: any RowFile
    /// Where row 0 starts in the file.
    let offset: Int64
    /// The object's name (its SHA-256), so that a checkpoint can name the page again
    /// without reading it.
    let name: String

    init(file: any RowFile, offset: Int64, name: String) {
        self.file = file
        self.offset = offset
        self.name = name
    }

    /// Reads `bytes` bytes from `start` bytes into the page.
    func read(into destination: UnsafeMutableRawPointer, bytes: Int, at start: Int) throws(SemblanceError) {
        try file.read(into: UnsafeMutableRawBufferPointer(start: destination, count: bytes), at: offset + Int64(start))
    }
}

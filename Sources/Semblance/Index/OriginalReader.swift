/// Reads the float32 originals of nodes, from memory or from stored pages
/// (``PagedRows/store(page:in:)``). A row on a stored page is read alone, or, for a scan
/// that reads many rows of one page, with its whole page, which is kept until the next.
final class OriginalReader {
    private let rows: PagedRows<Float>
    /// Buffers for rows read from files, allocated at the first such read: a reader of
    /// pages in memory allocates nothing.
    private var row: UnsafeMutablePointer<Float>?
    private var page: UnsafeMutablePointer<Float>?
    private var pageNumber = -1

    init(_ rows: PagedRows<Float>) {
        self.rows = rows
    }

    deinit {
        row?.deallocate()
        page?.deallocate()
    }

    /// Calls `body` with the original of `node` (the pointer is valid only during the call,
    /// while this reader is alive). `wholePage`: read the rest of a stored page with it (a
    /// scan in node order).
    func withOriginal<R>(_ node: Int, wholePage: Bool = false, _ body: (UnsafePointer<Float>) -> R) throws(SemblanceError) -> R {
        body(try original(node, wholePage: wholePage))
    }

    /// The original of `node`, valid until the next call and while this reader lives.
    private func original(_ node: Int, wholePage: Bool) throws(SemblanceError) -> UnsafePointer<Float> {
        let p = node >> rows.shift
        guard rows.isStored(page: p) else { return rows.row(node) }
        let offset = (node & rows.mask) * rows.stride
        if p == pageNumber, let page { return UnsafePointer(page + offset) }
        guard wholePage else {
            let buffer = row ?? .allocate(capacity: rows.stride)
            row = buffer
            try rows.read(row: node, into: buffer)
            return UnsafePointer(buffer)
        }
        let buffer = page ?? .allocate(capacity: rows.rowsPerPage * rows.stride)
        page = buffer
        pageNumber = -1
        try rows.readStoredPage(p, into: buffer)
        pageNumber = p
        return UnsafePointer(buffer + offset)
    }

    /// The first `count` components of `node`'s original, as an array.
    func vector(_ node: Int, count: Int, wholePage: Bool = false) throws(SemblanceError) -> [Float] {
        try withOriginal(node, wholePage: wholePage) { Array(UnsafeBufferPointer(start: $0, count: count)) }
    }

    /// ``withOriginal(_:wholePage:_:)`` for a caller that cannot throw: a stored page that
    /// can no longer be read (the disk failed under an open file) stops the process, naming
    /// the file.
    func withOriginalOrStop<R>(_ node: Int, wholePage: Bool = false, _ body: (UnsafePointer<Float>) -> R) -> R {
        do {
            return try withOriginal(node, wholePage: wholePage, body)
        } catch {
            fatalError("cannot read a stored vector: \(error)")
        }
    }
}

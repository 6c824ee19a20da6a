/// Reads the float32 originals of nodes, from memory or from stored pages
/// (``PagedRows/store(page:in:)``). A row on a stored page is read alone, or, for a scan
/// that reads many rows of one page, with its whole page, which is kept until the next.
final class OriginalReader {
    private let rows: PagedRows<Float>
    private let row: UnsafeMutablePointer<Float>
    private var page: UnsafeMutablePointer<Float>?
    private var pageNumber = -1

    init(_ rows: PagedRows<Float>) {
        self.rows = rows
        row = .allocate(capacity: rows.stride)
    }

    deinit {
        row.deallocate()
        page?.deallocate()
    }

    /// The original of `node`, valid until the next call. `wholePage`: read the rest of a
    /// stored page with it (a scan in node order).
    func original(_ node: Int, wholePage: Bool = false) throws(SemblanceError) -> UnsafePointer<Float> {
        let p = node >> rows.shift
        guard rows.isStored(page: p) else { return rows.row(node) }
        let offset = (node & rows.mask) * rows.stride
        if p == pageNumber, let page { return UnsafePointer(page + offset) }
        guard wholePage else {
            try rows.read(row: node, into: row)
            return UnsafePointer(row)
        }
        let elements = rows.rowsPerPage * rows.stride
        let buffer = page ?? .allocate(capacity: elements)
        page = buffer
        pageNumber = -1
        try rows.stored(page: p)!.read(into: UnsafeMutableRawPointer(buffer), bytes: elements * 4, at: 0)
        pageNumber = p
        return UnsafePointer(buffer + offset)
    }

    /// The first `count` components of `node`'s original, as an array.
    func vector(_ node: Int, count: Int) throws(SemblanceError) -> [Float] {
        Array(UnsafeBufferPointer(start: try original(node), count: count))
    }
}

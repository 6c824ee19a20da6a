/// An append-only table of fixed-width rows, stored in pages with copy-on-write per page.
///
/// Copying the table is O(1). The first write after a copy duplicates only the page it
/// touches (and the small array of page references); writes to a uniquely held table happen
/// in place. Readers on the hot path take raw page addresses through ``withPageBases(_:)``.
struct PagedRows<Element: BitwiseCopyable>: @unchecked Sendable {
    // Invariant (why @unchecked): `bases[p]` is always `pages[p].base`; rows are written only
    // by the mutating methods below, after making the page unique, so a value shared with
    // another thread never sees its rows change.

    /// Elements per row.
    let stride: Int
    /// log₂ of the rows per page.
    let shift: Int
    fileprivate(set) var pages: [RowPage<Element>] = []
    fileprivate(set) var bases: [UnsafeMutablePointer<Element>] = []
    /// Rows in use.
    fileprivate(set) var count = 0

    /// Rows in use on page `p`.
    func rowsInUse(onPage p: Int) -> Int { Swift.max(Swift.min(rowsPerPage, count - p * rowsPerPage), 0) }
    /// Bytes this value copied because a page it wrote was shared with another value.
    private(set) var copiedBytes = 0

    /// - Parameters:
    ///   - stride: elements per row.
    ///   - targetPageBytes: the page size to aim for; pages hold a power of two of rows,
    ///     between 16 and 4096.
    init(stride: Int, targetPageBytes: Int = 2 << 20) {
        precondition(stride > 0, "a row needs at least one element")
        self.stride = stride
        let rowBytes = stride * MemoryLayout<Element>.stride
        var rows = 16
        while rows < 4096 && rows * 2 * rowBytes <= targetPageBytes { rows *= 2 }
        shift = rows.trailingZeroBitCount
    }

    var rowsPerPage: Int { 1 << shift }
    var mask: Int { rowsPerPage - 1 }

    /// Bytes of row storage allocated in memory (stored pages take none).
    var allocatedBytes: Int { (pages.count - storedPageCount) * rowsPerPage * stride * MemoryLayout<Element>.stride }

    /// The row `i`, read-only. `i` must be below ``count`` and on a page in memory (see
    /// ``read(row:into:)`` for a table that may have stored pages).
    @inline(__always)
    func row(_ i: Int) -> UnsafePointer<Element> {
        UnsafePointer(bases[i >> shift] + (i & mask) * stride)
    }

    /// The row `i` for writing, after copying its page if another value shares it.
    @inline(__always)
    mutating func mutableRow(_ i: Int) -> UnsafeMutablePointer<Element> {
        let p = i >> shift
        if !isKnownUniquelyReferenced(&pages[p]) || pages[p].stored != nil { copyPage(p) }
        return bases[p] + (i & mask) * stride
    }

    /// Adds a zero-filled row (unless another value wrote it first; write it through
    /// ``mutableRow(_:)``) and returns its number. A stored last page must have been read
    /// back first (``loadLastPage()``).
    mutating func appendRow() -> Int {
        let i = count
        if i >> shift == pages.count {
            let page = RowPage<Element>(capacity: rowsPerPage * stride)
            pages.append(page)
            bases.append(page.base)
        }
        precondition(pages[i >> shift].stored == nil, "appending to stored page \(i >> shift): call loadLastPage first")
        count += 1
        return i
    }

    /// Calls `body` with the address of every page, for reads without reference counting.
    @inline(__always)
    func withPageBases<R>(_ body: (UnsafePointer<UnsafeMutablePointer<Element>>) throws -> R) rethrows -> R {
        try bases.withUnsafeBufferPointer { try body($0.baseAddress ?? UnsafePointer(bitPattern: 8)!) }
    }

    /// ``withPageBases(_:)`` with untyped page addresses.
    @inline(__always)
    func withRawPageBases<R>(_ body: (UnsafePointer<UnsafeMutableRawPointer>) throws -> R) rethrows -> R {
        try bases.withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: UnsafeMutableRawPointer.self) {
                try body($0.baseAddress ?? UnsafePointer(bitPattern: 8)!)
            }
        }
    }

    @inline(never)
    fileprivate mutating func copyPage(_ p: Int) {
        // Rows are written only when appended, and an append reads a stored page back first.
        precondition(pages[p].stored == nil, "page \(p) is stored in a file; its rows are never written")
        let used = rowsInUse(onPage: p) * stride
        let copy = RowPage(copying: used, of: pages[p])
        pages[p] = copy
        bases[p] = copy.base
        copiedBytes += used * MemoryLayout<Element>.stride
    }

    /// Reads a stored last page back into memory, where appends can write it; does nothing
    /// when the last page is in memory or full (the next append starts a new page). Writers
    /// call it before they change anything, so that a failing read leaves the value as it was.
    /// - Throws: `.io` naming the page's file.
    mutating func loadLastPage() throws(SemblanceError) {
        let p = count >> shift
        guard p < pages.count, pages[p].stored != nil else { return }
        let page = RowPage<Element>(capacity: rowsPerPage * stride)
        try readStoredPage(p, into: page.base)
        pages[p] = page
        bases[p] = page.base
    }
}

extension PagedRows {
    /// Copies every page this value shares, so that rows can then be written in place
    /// through raw pointers (a parallel build does, under per-node locks).
    mutating func makeAllPagesUnique() {
        for p in pages.indices where !isKnownUniquelyReferenced(&pages[p]) { copyPage(p) }
    }
}

extension PagedRows {
    /// A table of `count` rows rebuilt from its pages' used bytes (all rows of a full page,
    /// the rows in use of the last), which `page(p)` gives one at a time: each is copied in
    /// and let go before the next is read.
    /// - Throws: `.corruptFile` when the pages do not add up to `count` rows of this shape,
    ///   and what `page` throws.
    static func restore(like template: PagedRows, count: Int, pages: Int, source: String,
                        page: (Int) throws(SemblanceError) -> [UInt8]) throws(SemblanceError) -> PagedRows {
        var rows = template
        precondition(rows.count == 0, "restore into an empty table")
        let rowBytes = rows.stride * MemoryLayout<Element>.stride
        let expectedPages = (count + rows.rowsPerPage - 1) / rows.rowsPerPage
        guard pages == expectedPages else {
            throw SemblanceError(.corruptFile, "\(pages) pages for \(count) rows, expected \(expectedPages)", path: source, offset: 0)
        }
        for p in 0..<pages {
            let bytes = try page(p)
            let expectedRows = Swift.min(rows.rowsPerPage, count - p * rows.rowsPerPage)
            guard bytes.count == expectedRows * rowBytes else {
                throw SemblanceError(.corruptFile, "page \(p) holds \(bytes.count) bytes, expected \(expectedRows * rowBytes)", path: source, offset: 0)
            }
            let storage = RowPage<Element>(capacity: rows.rowsPerPage * rows.stride)
            bytes.withUnsafeBytes { UnsafeMutableRawPointer(storage.base).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            rows.pages.append(storage)
            rows.bases.append(storage.base)
        }
        rows.count = count
        return rows
    }
}

extension PagedRows {
    /// Whether page `p` is kept in a file rather than in memory.
    func isStored(page p: Int) -> Bool { pages[p].stored != nil }

    /// The file of page `p`, when it is stored.
    func stored(page p: Int) -> StoredRows? { pages[p].stored }

    /// The storage of page `p`: the same object later means the page was not replaced.
    func storage(ofPage p: Int) -> AnyObject { pages[p] }

    /// Pages kept in files.
    var storedPageCount: Int { pages.reduce(0) { $0 + ($1.stored == nil ? 0 : 1) } }

    /// Keeps page `p` in `stored` (which holds exactly its rows in use) instead of memory.
    /// The page's memory is freed once no other value shares it; an append to a stored last
    /// page reads it back first.
    mutating func store(page p: Int, in stored: StoredRows) {
        precondition(p < pages.count, "page \(p) of \(pages.count)")
        let page = RowPage<Element>(capacity: rowsPerPage * stride, stored: stored)
        pages[p] = page
        bases[p] = page.base
    }

    /// Copies row `i` (`stride` elements) to `destination`, from memory or from its file.
    func read(row i: Int, into destination: UnsafeMutablePointer<Element>) throws(SemblanceError) {
        let page = pages[i >> shift]
        let rowBytes = stride * MemoryLayout<Element>.stride
        if let stored = page.stored {
            try stored.read(into: UnsafeMutableRawPointer(destination), bytes: rowBytes, at: (i & mask) * rowBytes)
        } else {
            destination.update(from: page.base + (i & mask) * stride, count: stride)
        }
    }

    /// Calls `body` with the used rows of page `p`: in place when in memory, else read from
    /// its file into a buffer that lives for the call.
    func withRows<R>(ofPage p: Int, _ body: (UnsafePointer<Element>) throws(SemblanceError) -> R) throws(SemblanceError) -> R {
        guard isStored(page: p) else { return try body(bases[p]) }
        let buffer = UnsafeMutablePointer<Element>.allocate(capacity: Swift.max(rowsInUse(onPage: p) * stride, 1))
        defer { buffer.deallocate() }
        try readStoredPage(p, into: buffer)
        return try body(buffer)
    }

    /// Copies the rows in use of the stored page `p` from its file to `destination`.
    func readStoredPage(_ p: Int, into destination: UnsafeMutablePointer<Element>) throws(SemblanceError) {
        let bytes = rowsInUse(onPage: p) * stride * MemoryLayout<Element>.stride
        try pages[p].stored!.read(into: UnsafeMutableRawPointer(destination), bytes: bytes, at: 0)
    }
}

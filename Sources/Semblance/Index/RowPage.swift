#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One fixed-size block of rows in a ``PagedRows`` store: in memory, or (``stored``) in a
/// file, read on demand.
///
/// Pages of 128 KiB or more are mapped from the system directly, so that freeing one
/// returns its memory at once (a freed heap block of that size would raise the allocator's
/// mapping threshold and stay in the heap). Only a page of a whole number of 2 MiB is
/// 2 MiB-aligned and advised for transparent huge pages, which cut the TLB misses of random
/// access at scale: a smaller page on a huge page would cost the whole 2 MiB. Smaller pages
/// are 64-byte aligned, so that every row starts on a cache line.
final class RowPage<Element: BitwiseCopyable>: @unchecked Sendable {
    // Invariant: `base` is written only through PagedRows' mutating methods, and only after
    // isKnownUniquelyReferenced showed that this page belongs to one value alone; a page
    // that another value (and so another thread) can see is never written. A stored page
    // has no memory: its `base` is a placeholder that is never read.
    let base: UnsafeMutablePointer<Element>
    let capacity: Int
    /// Where the rows are when they are not in memory.
    let stored: StoredRows?
    /// The mapping of a mapped page (its start and length), else nil.
    private let mapping: (start: UnsafeMutableRawPointer, length: Int)?

    private static var hugePage: Int { 2 << 20 }
    private static var mappedFrom: Int { 128 << 10 }

    /// A zero-filled page of `capacity` elements.
    init(capacity: Int) {
        let bytes = capacity * MemoryLayout<Element>.stride
        stored = nil
        self.capacity = capacity
        if bytes >= Self.mappedFrom, let mapping = Self.map(bytes) {
            self.mapping = mapping
            base = mapping.start.bindMemory(to: Element.self, capacity: capacity)
            return  // mapped memory is zero-filled
        }
        mapping = nil
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        memset(raw, 0, bytes)
        base = raw.bindMemory(to: Element.self, capacity: capacity)
    }

    /// A page of `capacity` elements whose rows are read from `stored`.
    init(capacity: Int, stored: StoredRows) {
        self.capacity = capacity
        self.stored = stored
        mapping = nil
        base = UnsafeMutablePointer(bitPattern: UInt(MemoryLayout<Element>.alignment))!
    }

    /// A new page holding a copy of the first `elements` elements of `other`, a page in memory.
    convenience init(copying elements: Int, of other: RowPage) {
        precondition(other.stored == nil, "a stored page is read, not copied")
        self.init(capacity: other.capacity)
        base.update(from: other.base, count: elements)
    }

    /// Anonymous memory for `bytes` (whole 4 KiB pages): 2 MiB-aligned and advised for huge
    /// pages when `bytes` is a whole number of 2 MiB; its start and length, to unmap.
    private static func map(_ bytes: Int) -> (start: UnsafeMutableRawPointer, length: Int)? {
        let length = (bytes + 4095) / 4096 * 4096
        let huge = length % hugePage == 0
        let mapped = length + (huge ? hugePage : 0)
        guard let raw = mmap(nil, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), raw != MAP_FAILED else {
            return nil
        }
        guard huge else { return (raw, length) }
        // Trim the mapping to a 2 MiB-aligned start, giving back what lies before and after.
        let address = Int(bitPattern: raw)
        let start = (address + hugePage - 1) / hugePage * hugePage
        let lead = start - address
        if lead > 0 { munmap(raw, lead) }
        let tail = mapped - lead - length
        if tail > 0 { munmap(UnsafeMutableRawPointer(bitPattern: start + length)!, tail) }
        let aligned = UnsafeMutableRawPointer(bitPattern: start)!
        #if os(Linux)
        _ = madvise(aligned, length, MADV_HUGEPAGE)
        #endif
        return (aligned, length)
    }

    deinit {
        if let mapping {
            munmap(mapping.start, mapping.length)
        } else if stored == nil {
            UnsafeMutableRawPointer(base).deallocate()
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One fixed-size block of rows in a ``PagedRows`` store.
///
/// Pages of 1 MiB or more are 2 MiB-aligned and advised for transparent huge pages, which
/// cuts the TLB misses of random access at scale; smaller pages are 64-byte aligned so
/// that every row starts on a cache line.
final class RowPage<Element: BitwiseCopyable>: @unchecked Sendable {
    // Invariant: `base` is written only through PagedRows' mutating methods, and only after
    // isKnownUniquelyReferenced showed that this page belongs to one value alone; a page
    // that another value (and so another thread) can see is never written.
    let base: UnsafeMutablePointer<Element>
    let capacity: Int

    /// A zero-filled page of `capacity` elements.
    init(capacity: Int) {
        let bytes = capacity * MemoryLayout<Element>.stride
        let hugePage = 2 << 20
        let alignment = bytes >= hugePage / 2 ? hugePage : 64
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: alignment)
        #if os(Linux)
        if alignment == hugePage {
            _ = madvise(raw, (bytes + hugePage - 1) / hugePage * hugePage, MADV_HUGEPAGE)
        }
        #endif
        memset(raw, 0, bytes)
        base = raw.bindMemory(to: Element.self, capacity: capacity)
        self.capacity = capacity
    }

    /// A new page holding a copy of the first `elements` elements of `other`.
    convenience init(copying elements: Int, of other: RowPage) {
        self.init(capacity: other.capacity)
        base.update(from: other.base, count: elements)
    }

    deinit {
        UnsafeMutableRawPointer(base).deallocate()
    }
}

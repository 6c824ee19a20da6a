#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// An object file held open so that its rows can be read on demand (``StoredRows``); closed
/// when the last page that reads it is gone.
final class ObjectFile: RowFile {
    let fs: any FileSystem
    let handle: FileHandleID

    /// Opens `path`, or returns nil when the process's budget of files held open for
    /// stored pages is spent (the rows then stay in memory).
    static func openWithinBudget(fs: any FileSystem, path: String) throws(SemblanceError) -> ObjectFile? {
        guard openFiles.add(1, ordering: .relaxed).newValue <= budget else {
            openFiles.subtract(1, ordering: .relaxed)
            return nil
        }
        do {
            return try ObjectFile(fs: fs, handle: fs.open(path, .read))
        } catch {
            openFiles.subtract(1, ordering: .relaxed)
            throw error
        }
    }

    private init(fs: any FileSystem, handle: FileHandleID) {
        self.fs = fs
        self.handle = handle
    }

    deinit {
        fs.close(handle)
        Self.openFiles.subtract(1, ordering: .relaxed)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SemblanceError) {
        let read = try fs.read(handle, into: buffer, at: offset)
        guard read == buffer.count else {
            throw SemblanceError(.io, "the file ends \(read) bytes into the \(buffer.count) bytes read at offset \(offset)",
                                 path: handle.path, offset: Int(offset) + read)
        }
    }

    /// Files held open for stored pages, in this process.
    private static let openFiles = Atomic<Int>(0)

    /// How many files stored pages may hold open: half of the soft limit on open files,
    /// once that is raised (once per process) as far as the system allows, so that the
    /// rest stays for logs, objects being written and the application's own files.
    private static let budget: Int = {
        var limit = rlimit()
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0 else { return 0 }
        #if canImport(Darwin)
        // macOS refuses a soft limit above OPEN_MAX, whatever the hard limit says.
        let wanted = min(limit.rlim_max, rlim_t(OPEN_MAX))
        #else
        let wanted = limit.rlim_max
        #endif
        if limit.rlim_cur < wanted {
            var raised = limit
            raised.rlim_cur = wanted
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return Int(min(limit.rlim_cur, rlim_t(Int.max))) / 2
    }()
}

extension ObjectStore {
    /// The rows of table page `hash` of `kind` (read and checked at open, or written by this
    /// process), to be read from its file on demand; nil when its payload is compressed (or
    /// it is not a version-2 page of that kind), whose rows must stay in memory, or when the
    /// budget of open files is spent.
    func storedRows(of hash: ObjectHash, kind: PageObject.Kind) throws(SemblanceError) -> StoredRows? {
        guard let file = try ObjectFile.openWithinBudget(fs: fs, path: path(of: hash)) else { return nil }
        let header = UnsafeMutableRawBufferPointer.allocate(byteCount: PageObject.headerSize, alignment: 4)
        defer { header.deallocate() }
        try file.read(into: header, at: 0)
        guard PageObject.holdsRawRows(header: UnsafeRawBufferPointer(header), kind: kind) else { return nil }
        return StoredRows(file: file, offset: Int64(PageObject.headerSize), name: hash.hex)
    }
}

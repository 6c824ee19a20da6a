#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An object file held open so that its rows can be read on demand (``StoredRows``); closed
/// when the last page that reads it is gone.
final class ObjectFile: RowFile {
    let fs: any FileSystem
    let handle: FileHandleID

    init(fs: any FileSystem, path: String) throws(SemblanceError) {
        _ = Self.raisedOpenFileLimit
        self.fs = fs
        handle = try fs.open(path, .read)
    }

    deinit { fs.close(handle) }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SemblanceError) {
        let read = try fs.read(handle, into: buffer, at: offset)
        guard read == buffer.count else {
            throw SemblanceError(.io, "the file ends \(read) bytes into the \(buffer.count) bytes read at offset \(offset)",
                                 path: handle.path, offset: Int(offset) + read)
        }
    }

    /// Every stored page holds a file open: the soft limit on open files (often 1,024) is
    /// raised to the hard one, once per process, as runtimes that hold many files do.
    private static let raisedOpenFileLimit: Void = {
        var limit = rlimit()
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(resource, &limit)
    }()
}

extension ObjectStore {
    /// The rows of table page `hash` (read and checked at open, or written by this process),
    /// to be read from its file on demand; nil when its payload is compressed (or its header
    /// is not version 2's): those rows must stay in memory.
    func storedRows(of hash: ObjectHash) throws(SemblanceError) -> StoredRows? {
        let file = try ObjectFile(fs: fs, path: path(of: hash))
        let header = UnsafeMutableRawBufferPointer.allocate(byteCount: PageObject.headerSize, alignment: 4)
        defer { header.deallocate() }
        try file.read(into: header, at: 0)
        func word(_ at: Int) -> UInt32 { UInt32(littleEndian: header.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
        guard word(8) == PageObject.version, word(20) & PageObject.compressedFlag == 0 else { return nil }
        return StoredRows(file: file, offset: Int64(PageObject.headerSize), name: hash.hex)
    }
}

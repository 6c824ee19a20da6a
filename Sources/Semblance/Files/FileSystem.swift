/// A file opened through a ``FileSystem``: its descriptor, and the path it was opened at
/// (so that errors name the file, not a descriptor number).
package struct FileHandleID: Hashable, Sendable {
    package let raw: Int32
    package let path: String
    package init(raw: Int32, path: String) {
        self.raw = raw
        self.path = path
    }
}

/// What a path names, without following a symbolic link.
package enum FileKind: Sendable, Hashable {
    case file, directory, symbolicLink, other
}

/// How ``FileSystem/open(_:_:)`` opens a file.
package enum FileOpenMode: Sendable, Hashable {
    /// An existing file, for reading.
    case read
    /// An existing file, for reading and writing.
    case readWrite
    /// A new file for reading and writing; fails if the path exists.
    case createNew
    /// A file for reading and writing, created when missing.
    case createOrOpen
}

/// Every file-system operation Semblance's storage performs, and nothing else.
///
/// All storage code goes through this seam, so tests can replace the disk: a simulated one
/// that forgets what was never synced (power loss), or one that fails the n-th call
/// (ENOSPC, EIO, short writes). ``PosixFileSystem`` is the real one. Paths are absolute.
/// Implementations never follow a symbolic link in the last component of a path they open,
/// and create files and directories with owner-only permissions.
package protocol FileSystem: Sendable {
    func open(_ path: String, _ mode: FileOpenMode) throws(SemblanceError) -> FileHandleID
    /// Writes all of `bytes` at `offset`; a short write that cannot be completed throws.
    func write(_ file: FileHandleID, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SemblanceError)
    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    func read(_ file: FileHandleID, count: Int, at offset: Int64) throws(SemblanceError) -> [UInt8]
    /// Reads up to `buffer.count` bytes at `offset` into `buffer` and returns how many; fewer
    /// only at the end of the file.
    func read(_ file: FileHandleID, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SemblanceError) -> Int
    func size(_ file: FileHandleID) throws(SemblanceError) -> Int64
    /// Makes the file's data and size durable (fsync).
    func sync(_ file: FileHandleID) throws(SemblanceError)
    func truncate(_ file: FileHandleID, to size: Int64) throws(SemblanceError)
    func close(_ file: FileHandleID)
    /// Atomically replaces `destination` with `source` (rename(2)); durable only after
    /// ``syncDirectory(_:)`` of the parent.
    func rename(_ source: String, to destination: String) throws(SemblanceError)
    /// Removes a file, or an empty directory.
    func remove(_ path: String) throws(SemblanceError)
    /// Makes the directory's entries (creations, renames, removals) durable.
    func syncDirectory(_ path: String) throws(SemblanceError)
    /// Creates the directory (and missing parents) with owner-only permissions.
    func createDirectory(_ path: String) throws(SemblanceError)
    /// Names of the entries in a directory, without "." and "..".
    func contentsOfDirectory(_ path: String) throws(SemblanceError) -> [String]
    func fileExists(_ path: String) -> Bool
    /// What `path` is (a symbolic link is not followed), nil when nothing is there.
    func kind(_ path: String) -> FileKind?
    /// The absolute path with every symbolic link, `.` and `..` resolved; nil when it does
    /// not exist.
    func realPath(_ path: String) -> String?
    /// Takes an exclusive, non-blocking lock on the file at `path` (created if missing), held
    /// until the handle is closed; another holder makes it throw `.locked` at once.
    func lockExclusively(_ path: String) throws(SemblanceError) -> FileHandleID
    /// Gives the file at `source` a second name, `destination` (a hard link where the
    /// system has one, else a copy); not durable.
    func link(_ source: String, to destination: String) throws(SemblanceError)
}

extension FileSystem {
    /// Through ``read(_:count:at:)``, for file systems without a read into place.
    package func read(_ file: FileHandleID, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SemblanceError) -> Int {
        let bytes = try read(file, count: buffer.count, at: offset)
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
        return bytes.count
    }

    /// A copy, for file systems without links.
    package func link(_ source: String, to destination: String) throws(SemblanceError) {
        try writeFileAtomically(destination, try readFile(source))
    }

    /// Creates `directory` and any missing parents, fsyncing the parent of each folder it
    /// creates: a new folder's entry is durable only once its parent is synced.
    func createDirectoryDurably(_ directory: String) throws(SemblanceError) {
        var missing: [String] = []
        var path = directory
        while !fileExists(path) && path != "/" && path != "." && !path.isEmpty {
            missing.append(path)
            path = Path.directory(of: path)
        }
        try createDirectory(directory)
        for created in missing.reversed() { try syncDirectory(Path.directory(of: created)) }
    }

    /// Removes `path` and, for a directory, everything under it (symbolic links are removed,
    /// never followed).
    func removeTree(_ path: String) throws(SemblanceError) {
        if kind(path) == .directory {
            for name in try contentsOfDirectory(path) { try removeTree(path + "/" + name) }
        }
        try remove(path)
    }

    func write(_ file: FileHandleID, _ bytes: [UInt8], at offset: Int64) throws(SemblanceError) {
        try bytes.withUnsafeBytes { raw in Result { () throws(SemblanceError) in try write(file, raw, at: offset) } }.get()
    }

    /// The whole content of the file at `path`.
    func readFile(_ path: String) throws(SemblanceError) -> [UInt8] {
        let file = try open(path, .read)
        defer { close(file) }
        let length = try size(file)
        return try read(file, count: Int(length), at: 0)
    }

    /// Writes `bytes` as a new file at `path`, durably: temp file → fsync → rename → fsync
    /// of the directory. A reader sees the old content or the new, never a part.
    func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws(SemblanceError) {
        let directory = Path.directory(of: path)
        let temporary = directory + "/.tmp-" + Path.lastComponent(of: path) + "-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let file = try open(temporary, .createNew)
        do {
            try write(file, bytes, at: 0)
            try sync(file)
        } catch {
            close(file)
            try? remove(temporary)
            throw error
        }
        // Closed exactly once: a second close could close a descriptor number that another
        // thread has been given since.
        close(file)
        do {
            try rename(temporary, to: path)
        } catch {
            try? remove(temporary)
            throw error
        }
        try syncDirectory(directory)
    }
}

/// Small path helpers (POSIX, "/"-separated).
enum Path {
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func lastComponent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real file system, through POSIX calls: files opened with `O_NOFOLLOW | O_CLOEXEC`,
/// created `0600`, directories `0700`; `fsync` for files and directories; `flock` for the
/// exclusive lock. Interrupted calls are retried; every other failure is an `.io` error
/// naming the call, the path and the errno.
package struct PosixFileSystem: FileSystem {
    package init() {}

    private static func failure(_ call: String, _ path: String, _ code: Int32 = errno) -> SemblanceError {
        var error = SemblanceError(.io, "\(call) \(path): \(String(cString: strerror(code))) (errno \(code))")
        error.path = path
        error.errno = code
        return error
    }

    private static func retrying(_ body: () -> Int) -> Int {
        while true {
            let result = body()
            if result >= 0 || errno != EINTR { return result }
        }
    }

    package func open(_ path: String, _ mode: FileOpenMode) throws(SemblanceError) -> FileHandleID {
        var flags = O_CLOEXEC | O_NOFOLLOW
        switch mode {
        case .read: flags |= O_RDONLY
        case .readWrite: flags |= O_RDWR
        case .createNew: flags |= O_RDWR | O_CREAT | O_EXCL
        case .createOrOpen: flags |= O_RDWR | O_CREAT
        }
        let fd = Self.retrying { Int(systemOpen(path, flags, 0o600)) }
        guard fd >= 0 else { throw Self.failure("open", path) }
        return FileHandleID(raw: Int32(fd), path: path)
    }

    package func write(_ file: FileHandleID, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SemblanceError) {
        var done = 0
        while done < bytes.count {
            let n = Self.retrying {
                pwrite(file.raw, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            }
            guard n > 0 else { throw Self.failure("pwrite", file.path, n == 0 ? EIO : errno) }
            done += n
        }
    }

    package func read(_ file: FileHandleID, count: Int, at offset: Int64) throws(SemblanceError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let result = buffer.withUnsafeMutableBytes { raw in Result { () throws(SemblanceError) in try self.read(file, into: raw, at: offset) } }
        let done = try result.get()
        if done < count { buffer.removeLast(count - done) }
        return buffer
    }

    package func read(_ file: FileHandleID, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SemblanceError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = Self.retrying { pread(file.raw, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done)) }
            guard n >= 0 else { throw Self.failure("pread", file.path) }
            if n == 0 { break }
            done += n
        }
        return done
    }

    package func size(_ file: FileHandleID) throws(SemblanceError) -> Int64 {
        var info = stat()
        guard fstat(file.raw, &info) == 0 else { throw Self.failure("fstat", file.path) }
        return Int64(info.st_size)
    }

    package func sync(_ file: FileHandleID) throws(SemblanceError) {
        guard Self.retrying({ Int(fullSync(file.raw)) }) == 0 else { throw Self.failure("fsync", file.path) }
    }

    package func truncate(_ file: FileHandleID, to size: Int64) throws(SemblanceError) {
        guard Self.retrying({ Int(ftruncate(file.raw, off_t(size))) }) == 0 else {
            throw Self.failure("ftruncate", file.path)
        }
    }

    package func close(_ file: FileHandleID) {
        _ = systemClose(file.raw)
    }

    package func rename(_ source: String, to destination: String) throws(SemblanceError) {
        guard systemRename(source, destination) == 0 else { throw Self.failure("rename", "\(source) -> \(destination)") }
    }

    package func link(_ source: String, to destination: String) throws(SemblanceError) {
        guard systemLink(source, destination) != 0 else { return }
        // Another file system, or none that links: a copy.
        guard errno == EXDEV || errno == EPERM || errno == EMLINK else { throw Self.failure("link", "\(source) -> \(destination)") }
        try writeFileAtomically(destination, try readFile(source))
    }

    package func remove(_ path: String) throws(SemblanceError) {
        var info = stat()
        if lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR {
            guard rmdir(path) == 0 else { throw Self.failure("rmdir", path) }
            return
        }
        guard unlink(path) == 0 else { throw Self.failure("unlink", path) }
    }

    package func kind(_ path: String) -> FileKind? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        case S_IFLNK: return .symbolicLink
        default: return .other
        }
    }

    package func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    package func syncDirectory(_ path: String) throws(SemblanceError) {
        let fd = Self.retrying { Int(systemOpen(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)) }
        guard fd >= 0 else { throw Self.failure("open", path) }
        defer { _ = systemClose(Int32(fd)) }
        guard Self.retrying({ Int(fullSync(Int32(fd))) }) == 0 else { throw Self.failure("fsync", path) }
    }

    package func createDirectory(_ path: String) throws(SemblanceError) {
        var info = stat()
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw SemblanceError(.io, "mkdir: exists and is not a directory", path: path)
            }
            return
        }
        let parent = Path.directory(of: path)
        if parent != path && parent != "/" && parent != "." { try createDirectory(parent) }
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else { throw Self.failure("mkdir", path) }
    }

    package func contentsOfDirectory(_ path: String) throws(SemblanceError) -> [String] {
        guard let directory = opendir(path) else { throw Self.failure("opendir", path) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    package func fileExists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Tries before `.locked`, 20 ms apart: a second process is told within about 0.1 s.
    static let lockAttempts = 5

    package func lockExclusively(_ path: String) throws(SemblanceError) -> FileHandleID {
        let file = try open(path, .createOrOpen)
        // A few short retries: a lock this process just released can still be held for a
        // moment by a child between fork and exec (descriptors are shared until exec closes
        // them), which is not another user of the directory.
        var attempts = 0
        while flock(file.raw, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            attempts += 1
            if code == EWOULDBLOCK && attempts < Self.lockAttempts {
                usleep(20_000)
                continue
            }
            close(file)
            if code == EWOULDBLOCK {
                throw SemblanceError(.locked, "another process has this collection open for writing (readers take no lock)", path: path)
            }
            throw Self.failure("flock", path, code)
        }
        return file
    }
}

// The C library's calls, named apart from this type's methods of the same names.
private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
    #if canImport(Glibc)
    Glibc.open(path, flags, mode)
    #else
    Darwin.open(path, flags, mode)
    #endif
}

private func systemClose(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    Glibc.close(fd)
    #else
    Darwin.close(fd)
    #endif
}

private func systemLink(_ source: String, _ destination: String) -> Int32 {
    #if canImport(Glibc)
    Glibc.link(source, destination)
    #else
    Darwin.link(source, destination)
    #endif
}

private func systemRename(_ source: String, _ destination: String) -> Int32 {
    #if canImport(Glibc)
    Glibc.rename(source, destination)
    #else
    Darwin.rename(source, destination)
    #endif
}

/// fsync, or on Apple systems F_FULLFSYNC, since their fsync does not flush the drive's cache.
private func fullSync(_ fd: Int32) -> Int32 {
    #if canImport(Darwin)
    if fcntl(fd, F_FULLFSYNC) == 0 { return 0 }
    #endif
    return fsync(fd)
}

import Synchronization
@testable import Semblance

/// A file system in memory, just enough for the storage code the targets drive (a log
/// writer, an object store): files by path, directories implied. No durability to model;
/// every call succeeds unless the path or handle is wrong.
final class MemoryFileSystem: FileSystem {
    private struct State {
        var files: [String: [UInt8]] = [:]
        var directories: Set<String> = ["/"]
        var handles: [Int32: String] = [:]
        var nextHandle: Int32 = 3
    }

    private let state = Mutex(State())

    /// The content of `path`, or nil.
    subscript(path: String) -> [UInt8]? {
        get { state.withLock { $0.files[path] } }
        set { state.withLock { $0.files[path] = newValue } }
    }

    private static func failure(_ call: String, _ path: String, _ what: String) -> SemblanceError {
        SemblanceError(.io, "\(call) \(path): \(what)")
    }

    private func path(of file: FileHandleID, _ s: State, call: String) throws(SemblanceError) -> String {
        guard let path = s.handles[file.raw] else { throw Self.failure(call, "fd \(file.raw)", "bad file descriptor") }
        return path
    }

    func open(_ path: String, _ mode: FileOpenMode) throws(SemblanceError) -> FileHandleID {
        try state.withLock { (s) throws(SemblanceError) -> FileHandleID in
            let exists = s.files[path] != nil
            switch mode {
            case .read, .readWrite:
                guard exists else { throw Self.failure("open", path, "no such file") }
            case .createNew:
                guard !exists else { throw Self.failure("open", path, "file exists") }
                s.files[path] = []
            case .createOrOpen:
                if !exists { s.files[path] = [] }
            }
            let handle = s.nextHandle
            s.nextHandle += 1
            s.handles[handle] = path
            return FileHandleID(raw: handle, path: path)
        }
    }

    func write(_ file: FileHandleID, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SemblanceError) {
        try state.withLock { (s) throws(SemblanceError) in
            let path = try path(of: file, s, call: "pwrite")
            var content = s.files[path] ?? []
            let start = Int(offset)
            if content.count < start + bytes.count {
                content.append(contentsOf: repeatElement(0, count: start + bytes.count - content.count))
            }
            content.replaceSubrange(start..<(start + bytes.count), with: bytes)
            s.files[path] = content
        }
    }

    func read(_ file: FileHandleID, count: Int, at offset: Int64) throws(SemblanceError) -> [UInt8] {
        try state.withLock { (s) throws(SemblanceError) -> [UInt8] in
            let content = s.files[try path(of: file, s, call: "pread")] ?? []
            let start = min(Int(offset), content.count)
            return Array(content[start..<min(start + count, content.count)])
        }
    }

    func size(_ file: FileHandleID) throws(SemblanceError) -> Int64 {
        try state.withLock { (s) throws(SemblanceError) -> Int64 in
            Int64(s.files[try path(of: file, s, call: "fstat")]?.count ?? 0)
        }
    }

    func sync(_ file: FileHandleID) throws(SemblanceError) {
        _ = try state.withLock { (s) throws(SemblanceError) -> String in try path(of: file, s, call: "fsync") }
    }

    func truncate(_ file: FileHandleID, to size: Int64) throws(SemblanceError) {
        try state.withLock { (s) throws(SemblanceError) in
            let path = try path(of: file, s, call: "ftruncate")
            var content = s.files[path] ?? []
            let size = Int(size)
            if content.count > size { content.removeLast(content.count - size) }
            else { content.append(contentsOf: repeatElement(0, count: size - content.count)) }
            s.files[path] = content
        }
    }

    func close(_ file: FileHandleID) {
        state.withLock { _ = $0.handles.removeValue(forKey: file.raw) }
    }

    func rename(_ source: String, to destination: String) throws(SemblanceError) {
        try state.withLock { (s) throws(SemblanceError) in
            guard let content = s.files.removeValue(forKey: source) else { throw Self.failure("rename", source, "no such file") }
            s.files[destination] = content
        }
    }

    func remove(_ path: String) throws(SemblanceError) {
        try state.withLock { (s) throws(SemblanceError) in
            guard s.files.removeValue(forKey: path) != nil || s.directories.remove(path) != nil else {
                throw Self.failure("unlink", path, "no such file")
            }
        }
    }

    func syncDirectory(_ path: String) throws(SemblanceError) {}

    func createDirectory(_ path: String) throws(SemblanceError) {
        state.withLock { _ = $0.directories.insert(path) }
    }

    func contentsOfDirectory(_ path: String) throws(SemblanceError) -> [String] {
        let prefix = path.hasSuffix("/") ? path : path + "/"
        return state.withLock { s in
            Set((Array(s.files.keys) + Array(s.directories)).compactMap { name -> String? in
                guard name.hasPrefix(prefix) else { return nil }
                return name.dropFirst(prefix.count).split(separator: "/").first.map(String.init)
            }).sorted()
        }
    }

    func fileExists(_ path: String) -> Bool {
        state.withLock { $0.files[path] != nil || $0.directories.contains(path) }
    }

    func kind(_ path: String) -> FileKind? {
        state.withLock { $0.files[path] != nil ? .file : $0.directories.contains(path) ? .directory : nil }
    }

    func realPath(_ path: String) -> String? { fileExists(path) ? path : nil }

    func lockExclusively(_ path: String) throws(SemblanceError) -> FileHandleID {
        try open(path, .createOrOpen)
    }
}

import Foundation
import Synchronization
@testable import Semblance

/// An in-memory disk with a page cache that power loss empties: what `sync` and
/// `syncDirectory` made durable survives, the rest only partly or not at all.
///
/// The model, per inode:
/// - a file has its live bytes (what reads see) and its durable bytes (as of its last
///   `sync`), plus the ordered journal of the changes (writes, truncations) made since then;
/// - a directory has its live entries (name → inode) and its durable entries (as of its
///   last `syncDirectory`). Creating a file or a directory, `rename` and `remove` change only
///   the live entries until the parent directory is synced.
///
/// ``crashImage(using:)`` builds the disk as it is after a power loss at this moment:
/// - every directory holds its durable entries, so a file or directory reachable only
///   through unsynced entries is gone, and one unlinked or replaced since the last
///   directory sync comes back (with its own content, as below);
/// - every reachable file holds its durable bytes plus a random prefix of its journal,
///   applied in order; when the last change applied is a write, it may be torn: only a
///   random prefix of its bytes lands. Files lose their unsynced changes independently of
///   one another (the page cache writes back in any order).
/// - Size changes: a `truncate` is a journal entry like a write, and lands whole or not at
///   all, in its place in the order (a torn truncate does not exist: the size is one inode
///   field). A write past the end extends the file with zeros up to its offset, as on a
///   real file system; a torn write extends it only as far as the bytes that landed.
///
/// Open handles name inodes, so writes through a handle reach the file even after it was
/// renamed or unlinked. `lockExclusively` is an in-memory flag per path, released when its
/// handle is closed. Handle numbers are never reused, so a write or close through a stale
/// handle is caught (``misuses``) instead of reaching another file. Errors are `.io` with
/// the messages ``PosixFileSystem`` gives (call, path, strerror, errno).
///
/// Thread-safe: all state sits behind a `Mutex`; the mutation hook runs outside it.
final class SimulatedFileSystem: FileSystem {
    /// The whole disk as a value: cheap to copy (byte arrays are copy-on-write), so a test
    /// can keep one per crash point and build crash images from it later.
    struct Disk: Sendable {
        enum Change: Sendable, Equatable {
            case write(offset: Int, bytes: [UInt8])
            case truncate(size: Int)
        }

        struct File: Sendable {
            var live: [UInt8] = []
            var durable: [UInt8] = []
            /// Changes since the last sync, oldest first.
            var unsynced: [Change] = []
        }

        struct Directory: Sendable {
            var live: [String: Int] = [:]
            var durable: [String: Int] = [:]
        }

        static let rootInode = 0
        var files: [Int: File] = [:]
        var directories: [Int: Directory] = [rootInode: Directory()]
        var nextInode = 1

        /// What one crash image kept of one file's journal: the first `applied` changes, the
        /// last of them cut to `landedBytes` when it is a torn write.
        struct Choice: Hashable, Sendable {
            var inode: Int
            var applied: Int
            var landedBytes: Int?
        }

        /// Inodes reachable from the root through durable entries, in a stable order.
        func reachableInodes() -> (directories: [Int], files: [Int]) {
            var seenDirectories: [Int] = []
            var seenFiles = Set<Int>()
            var visited: Set<Int> = [Self.rootInode]
            var queue = [Self.rootInode]
            while let inode = queue.popLast() {
                seenDirectories.append(inode)
                for (_, child) in directories[inode]!.durable.sorted(by: { $0.key < $1.key }) {
                    if directories[child] != nil {
                        if visited.insert(child).inserted { queue.append(child) }
                    } else {
                        seenFiles.insert(child)
                    }
                }
            }
            return (seenDirectories.sorted(), seenFiles.sorted())
        }

        /// The disk after a power loss now (see ``SimulatedFileSystem``), and the random
        /// choices that made it: equal choices give equal images.
        func crashImage(using rng: inout some RandomNumberGenerator) -> (disk: Disk, choices: [Choice]) {
            var image = Disk()
            image.directories = [:]
            image.nextInode = nextInode
            var choices: [Choice] = []
            let (reachableDirectories, reachableFiles) = reachableInodes()
            for inode in reachableDirectories {
                let entries = directories[inode]!.durable
                image.directories[inode] = Directory(live: entries, durable: entries)
            }
            for inode in reachableFiles {
                let file = files[inode]!
                var bytes = file.durable
                if !file.unsynced.isEmpty {
                    let applied = Int.random(in: 0...file.unsynced.count, using: &rng)
                    var landed: Int?
                    for (position, change) in file.unsynced.prefix(applied).enumerated() {
                        switch change {
                        case .truncate(let size):
                            Self.resize(&bytes, to: size)
                        case .write(let offset, let data):
                            var count = data.count
                            if position == applied - 1 && data.count > 1 && Bool.random(using: &rng) {
                                count = Int.random(in: 1..<data.count, using: &rng)
                                landed = count
                            }
                            Self.write(&bytes, data[0..<count], at: offset)
                        }
                    }
                    choices.append(Choice(inode: inode, applied: applied, landedBytes: landed))
                }
                image.files[inode] = File(live: bytes, durable: bytes, unsynced: [])
            }
            return (image, choices)
        }

        static func write(_ bytes: inout [UInt8], _ data: ArraySlice<UInt8>, at offset: Int) {
            if bytes.count < offset { bytes.append(contentsOf: repeatElement(0, count: offset - bytes.count)) }
            let overlap = min(data.count, bytes.count - offset)
            bytes.replaceSubrange(offset..<(offset + overlap), with: data.prefix(overlap))
            bytes.append(contentsOf: data.dropFirst(overlap))
        }

        /// Writes the disk's durable tree (as a crash image holds it) under a new folder of the
        /// system's temporary directory, so a failing image can be opened and examined with
        /// the real tools; returns the folder.
        func save(label: String) -> String {
            let base = FileManager.default.temporaryDirectory.path + "/semblance-\(label)-\(UInt32.random(in: 0...UInt32.max))"
            func walk(_ inode: Int, _ path: String) {
                try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                for (name, child) in directories[inode]?.durable ?? [:] {
                    if directories[child] != nil {
                        walk(child, path + "/" + name)
                    } else if let file = files[child] {
                        _ = FileManager.default.createFile(atPath: path + "/" + name, contents: Data(file.durable))
                    }
                }
            }
            walk(Self.rootInode, base)
            return base
        }

        static func resize(_ bytes: inout [UInt8], to size: Int) {
            if size < bytes.count {
                bytes.removeLast(bytes.count - size)
            } else {
                bytes.append(contentsOf: repeatElement(0, count: size - bytes.count))
            }
        }
    }

    /// One state-changing call, reported to the hook after it returned (or threw).
    struct Mutation: Sendable {
        /// 1 for the first mutating call on this file system.
        var call: Int
        /// The call and its path, e.g. `write /c/wal/main/shard-0.log @64 +57`.
        var operation: String
        /// The disk right after the call: a crash point.
        var disk: Disk
    }

    private struct Handle {
        var inode: Int
        var path: String
        var writable: Bool
        /// The path this handle holds the lock of, if it came from `lockExclusively`.
        var lockPath: String?
    }

    private struct State {
        var disk: Disk
        var handles: [Int32: Handle] = [:]
        var nextHandle: Int32 = 3
        var lockedPaths = Set<String>()
        var mutatingCalls = 0
        var misuses: [String] = []
        var hook: (@Sendable (Mutation) -> Void)?
    }

    private let state: Mutex<State>

    init(disk: Disk = Disk()) {
        state = Mutex(State(disk: disk))
    }

    /// Calls `hook` after every mutating call (an open that may create, `lockExclusively`,
    /// write, sync, truncate, rename, remove, directory sync or creation), failed ones
    /// included, with the disk as that call left it: the crash points.
    func setMutationHook(_ hook: (@Sendable (Mutation) -> Void)?) { state.withLock { $0.hook = hook } }

    /// Mutating calls so far, failed ones included.
    var mutatingCalls: Int { state.withLock { $0.mutatingCalls } }

    /// Calls through closed or unknown handles, and writes through read-only ones: bugs in
    /// the caller (on a real disk they could reach another file).
    var misuses: [String] { state.withLock { $0.misuses } }

    /// Open handles (locks included).
    var openHandles: Int { state.withLock { $0.handles.count } }

    /// The disk as it is now.
    var disk: Disk { state.withLock { $0.disk } }

    /// A new file system holding what a power loss now would leave.
    func crashImage(using rng: inout some RandomNumberGenerator) -> SimulatedFileSystem {
        let disk = self.disk
        return SimulatedFileSystem(disk: disk.crashImage(using: &rng).disk)
    }

    // MARK: Paths

    private static func failure(_ call: String, _ path: String, _ code: Int32) -> SemblanceError {
        let text = switch code {
        case 2: "No such file or directory"
        case 9: "Bad file descriptor"
        case 17: "File exists"
        case 20: "Not a directory"
        case 21: "Is a directory"
        case 39: "Directory not empty"
        default: "Unknown error \(code)"
        }
        var error = SemblanceError(.io, "\(call) \(path): \(text) (errno \(code))")
        error.path = path
        error.errno = code
        return error
    }

    private static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
    }

    /// The inode at `path` in the live tree, or nil; throws ENOTDIR when a middle
    /// component is a file.
    private static func lookup(_ disk: Disk, _ path: String, call: String) throws(SemblanceError) -> Int? {
        var inode = Disk.rootInode
        for name in components(path) {
            guard let directory = disk.directories[inode] else { throw failure(call, path, 20) }
            guard let child = directory.live[name] else { return nil }
            inode = child
        }
        return inode
    }

    /// The live parent directory's inode and the last name of `path`.
    private static func parent(_ disk: Disk, _ path: String, call: String) throws(SemblanceError) -> (inode: Int, name: String) {
        let parts = components(path)
        guard let name = parts.last else { throw failure(call, path, 21) }
        guard let inode = try lookup(disk, "/" + parts.dropLast().joined(separator: "/"), call: call) else {
            throw failure(call, path, 2)
        }
        guard disk.directories[inode] != nil else { throw failure(call, path, 20) }
        return (inode, name)
    }

    // MARK: Mutations and the hook

    /// Runs `body` on the state as one mutating call, then reports it to the hook.
    private func mutating<T: Sendable>(_ describe: @autoclosure () -> String,
                             _ body: (inout State) throws(SemblanceError) -> T) throws(SemblanceError) -> T {
        let (result, mutation, hook) = state.withLock { s -> (Result<T, SemblanceError>, Mutation?, (@Sendable (Mutation) -> Void)?) in
            s.mutatingCalls += 1
            let result = Result { () throws(SemblanceError) in try body(&s) }
            guard let hook = s.hook else { return (result, nil, nil) }
            return (result, Mutation(call: s.mutatingCalls, operation: describe(), disk: s.disk), hook)
        }
        if let mutation, let hook { hook(mutation) }
        return try result.get()
    }

    private func handle(_ s: inout State, _ file: FileHandleID, call: String, writing: Bool = false) throws(SemblanceError) -> Handle {
        guard let handle = s.handles[file.raw] else {
            s.misuses.append("\(call) through closed or unknown handle \(file.raw)")
            throw Self.failure(call, file.path, 9)
        }
        if writing && !handle.writable {
            s.misuses.append("\(call) through read-only handle \(file.raw) (\(handle.path))")
            throw Self.failure(call, file.path, 9)
        }
        return handle
    }

    private static func newHandle(_ s: inout State, inode: Int, path: String, writable: Bool) -> FileHandleID {
        let raw = s.nextHandle
        s.nextHandle += 1
        s.handles[raw] = Handle(inode: inode, path: path, writable: writable)
        return FileHandleID(raw: raw, path: path)
    }

    /// Opens (or, for the create modes, creates) `path`.
    private static func open(_ s: inout State, _ path: String, _ mode: FileOpenMode) throws(SemblanceError) -> FileHandleID {
        if let inode = try lookup(s.disk, path, call: "open") {
            guard s.disk.files[inode] != nil else { throw failure("open", path, 21) }
            guard mode != .createNew else { throw failure("open", path, 17) }
            return newHandle(&s, inode: inode, path: path, writable: mode != .read)
        }
        guard mode == .createNew || mode == .createOrOpen else { throw failure("open", path, 2) }
        let (directory, name) = try parent(s.disk, path, call: "open")
        let inode = s.disk.nextInode
        s.disk.nextInode += 1
        s.disk.files[inode] = Disk.File()
        s.disk.directories[directory]!.live[name] = inode
        return newHandle(&s, inode: inode, path: path, writable: true)
    }

    // MARK: FileSystem

    func open(_ path: String, _ mode: FileOpenMode) throws(SemblanceError) -> FileHandleID {
        switch mode {
        case .read, .readWrite:
            try state.withLock { s throws(SemblanceError) in try Self.open(&s, path, mode) }
        case .createNew, .createOrOpen:
            try mutating("open \(path) (\(mode))") { s throws(SemblanceError) in try Self.open(&s, path, mode) }
        }
    }

    func write(_ file: FileHandleID, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SemblanceError) {
        let data = [UInt8](bytes)
        var path = "fd \(file.raw)"
        try mutating("write \(path) @\(offset) +\(data.count)") { s throws(SemblanceError) in
            let handle = try handle(&s, file, call: "pwrite", writing: true)
            path = handle.path
            guard offset >= 0 else { throw Self.failure("pwrite", "fd \(file.raw)", 22) }
            Disk.write(&s.disk.files[handle.inode]!.live, data[...], at: Int(offset))
            s.disk.files[handle.inode]!.unsynced.append(.write(offset: Int(offset), bytes: data))
        }
    }

    func read(_ file: FileHandleID, count: Int, at offset: Int64) throws(SemblanceError) -> [UInt8] {
        try state.withLock { s throws(SemblanceError) in
            let handle = try handle(&s, file, call: "pread")
            let bytes = s.disk.files[handle.inode]!.live
            let start = min(Int(offset), bytes.count)
            return Array(bytes[start..<min(start + count, bytes.count)])
        }
    }

    func size(_ file: FileHandleID) throws(SemblanceError) -> Int64 {
        try state.withLock { s throws(SemblanceError) in
            Int64(s.disk.files[try handle(&s, file, call: "fstat").inode]!.live.count)
        }
    }

    func sync(_ file: FileHandleID) throws(SemblanceError) {
        var path = "fd \(file.raw)"
        try mutating("sync \(path)") { s throws(SemblanceError) in
            let handle = try handle(&s, file, call: "fsync")
            path = handle.path
            s.disk.files[handle.inode]!.durable = s.disk.files[handle.inode]!.live
            s.disk.files[handle.inode]!.unsynced = []
        }
    }

    func truncate(_ file: FileHandleID, to size: Int64) throws(SemblanceError) {
        var path = "fd \(file.raw)"
        try mutating("truncate \(path) to \(size)") { s throws(SemblanceError) in
            let handle = try handle(&s, file, call: "ftruncate", writing: true)
            path = handle.path
            guard size >= 0 else { throw Self.failure("ftruncate", "fd \(file.raw)", 22) }
            Disk.resize(&s.disk.files[handle.inode]!.live, to: Int(size))
            s.disk.files[handle.inode]!.unsynced.append(.truncate(size: Int(size)))
        }
    }

    func close(_ file: FileHandleID) {
        state.withLock { s in
            guard let handle = s.handles.removeValue(forKey: file.raw) else {
                s.misuses.append("close of closed or unknown handle \(file.raw)")
                return
            }
            if let lockPath = handle.lockPath { s.lockedPaths.remove(lockPath) }
        }
    }

    func rename(_ source: String, to destination: String) throws(SemblanceError) {
        try mutating("rename \(source) -> \(destination)") { s throws(SemblanceError) in
            let call = "rename"
            let both = "\(source) -> \(destination)"
            let from = try Self.parent(s.disk, source, call: call)
            guard let inode = s.disk.directories[from.inode]!.live[from.name] else { throw Self.failure(call, both, 2) }
            let to = try Self.parent(s.disk, destination, call: call)
            if let existing = s.disk.directories[to.inode]!.live[to.name], existing != inode {
                let sourceIsDirectory = s.disk.directories[inode] != nil
                if let target = s.disk.directories[existing] {
                    guard sourceIsDirectory else { throw Self.failure(call, both, 21) }
                    guard target.live.isEmpty else { throw Self.failure(call, both, 39) }
                } else if sourceIsDirectory {
                    throw Self.failure(call, both, 20)
                }
            }
            s.disk.directories[from.inode]!.live[from.name] = nil
            s.disk.directories[to.inode]!.live[to.name] = inode
        }
    }

    func remove(_ path: String) throws(SemblanceError) {
        try mutating("remove \(path)") { s throws(SemblanceError) in
            let (directory, name) = try Self.parent(s.disk, path, call: "unlink")
            guard let inode = s.disk.directories[directory]!.live[name] else { throw Self.failure("unlink", path, 2) }
            if let folder = s.disk.directories[inode], !folder.live.isEmpty { throw Self.failure("rmdir", path, 39) }
            s.disk.directories[directory]!.live[name] = nil
        }
    }

    func syncDirectory(_ path: String) throws(SemblanceError) {
        try mutating("syncDirectory \(path)") { s throws(SemblanceError) in
            guard let inode = try Self.lookup(s.disk, path, call: "open") else { throw Self.failure("open", path, 2) }
            guard s.disk.directories[inode] != nil else { throw Self.failure("fsync", path, 20) }
            s.disk.directories[inode]!.durable = s.disk.directories[inode]!.live
        }
    }

    func createDirectory(_ path: String) throws(SemblanceError) {
        try mutating("createDirectory \(path)") { s throws(SemblanceError) in
            var inode = Disk.rootInode
            var walked = ""
            for name in Self.components(path) {
                walked += "/" + name
                if let child = s.disk.directories[inode]!.live[name] {
                    guard s.disk.directories[child] != nil else {
                        throw SemblanceError(.io, "mkdir \(walked): exists and is not a directory")
                    }
                    inode = child
                } else {
                    let child = s.disk.nextInode
                    s.disk.nextInode += 1
                    s.disk.directories[child] = Disk.Directory()
                    s.disk.directories[inode]!.live[name] = child
                    inode = child
                }
            }
        }
    }

    func contentsOfDirectory(_ path: String) throws(SemblanceError) -> [String] {
        try state.withLock { s throws(SemblanceError) in
            guard let inode = try Self.lookup(s.disk, path, call: "opendir") else { throw Self.failure("opendir", path, 2) }
            guard let directory = s.disk.directories[inode] else { throw Self.failure("opendir", path, 20) }
            return directory.live.keys.sorted()
        }
    }

    func fileExists(_ path: String) -> Bool {
        state.withLock { s in (try? Self.lookup(s.disk, path, call: "stat")) != nil }
    }

    func kind(_ path: String) -> FileKind? {
        state.withLock { s in
            guard let inode = try? Self.lookup(s.disk, path, call: "stat") else { return nil }
            return s.disk.directories[inode] != nil ? .directory : .file
        }
    }

    /// No symbolic links here: an existing absolute path is its own real path.
    func realPath(_ path: String) -> String? {
        kind(path) == nil ? nil : "/" + Self.components(path).joined(separator: "/")
    }

    func lockExclusively(_ path: String) throws(SemblanceError) -> FileHandleID {
        try mutating("lock \(path)") { s throws(SemblanceError) in
            guard !s.lockedPaths.contains(path) else {
                throw SemblanceError(.locked, "another process has this collection open for writing (readers take no lock)", path: path)
            }
            let file = try Self.open(&s, path, .createOrOpen)
            s.handles[file.raw]!.lockPath = path
            s.lockedPaths.insert(path)
            return file
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization
import Semblance

/// Wraps the real file system and kills its own process with SIGKILL at a chosen I/O call,
/// so that a parent process can test what survives a crash at exactly that point.
///
/// Counted calls (the same set as the tests' `FaultInjectingFileSystem`): `open` that may
/// create a file (`.createNew`, `.createOrOpen`), `write` (pwrite), `sync` (fsync of a
/// file), `truncate`, `rename`, `remove`, `syncDirectory` (fsync of a directory) and
/// `createDirectory`. Reads, `size`, `close`, `fileExists`, directory listings and the lock
/// are not counted.
///
/// - Plain (`torn` false): the kill comes at the `crashAt`-th counted call, before it takes
///   effect.
/// - Torn: the kill comes at the `crashAt`-th *write*, after a random prefix of its bytes
///   (1 to count−1, chosen from the seed and `crashAt`) was written, as a write interrupted
///   half-way leaves it. Writes are numbered on their own because their number does not
///   depend on the run, while the count of all calls varies by two per checkpoint: whether
///   the commit's fan-out folder `objects/<2 hex digits>` must be created depends on the
///   commit's hash, which depends on its time stamp. (The shards' parts of one group of
///   writes run on their actors in parallel, so the order of those calls may differ from
///   run to run; their number does not, and checkpoints write pages shard after shard.)
///
/// Before the kill it prints `crash <call> <kind> <bytes written>/<bytes> <path>` on stdout;
/// with `trace` set it prints `io <call> <kind> <bytes> <path>` for every counted call it lets
/// through, so a run with no crash point lists the crash points of the workload.
final class CrashingFileSystem: FileSystem {
    let base = PosixFileSystem()
    let crashAt: Int
    let torn: Bool
    let seed: UInt64
    let trace: Bool
    private let state = Mutex<(calls: Int, writes: Int, paths: [Int32: String])>((0, 0, [:]))

    init(crashAt: Int, torn: Bool, seed: UInt64, trace: Bool) {
        self.crashAt = crashAt
        self.torn = torn
        self.seed = seed
        self.trace = trace
    }

    /// Counted calls made so far.
    var calls: Int { state.withLock { $0.calls } }

    /// Counts a call; at the crash point, writes the torn prefix (if any) and dies.
    private func count(_ call: String, _ path: String, bytes: UnsafeRawBufferPointer? = nil, write: ((UnsafeRawBufferPointer) -> Void)? = nil) {
        let (n, writes) = state.withLock { s in
            s.calls += 1
            if bytes != nil { s.writes += 1 }
            return (s.calls, s.writes)
        }
        let size = bytes?.count ?? 0
        let crashNow = torn ? (bytes != nil && writes == crashAt) : n == crashAt
        guard crashNow else {
            if trace { Output.line("io \(n) \(call) \(size) \(path)") }
            return
        }
        var written = 0
        if torn, let bytes, bytes.count > 1, let write {
            var random = SplitMix64(seed: seed ^ (UInt64(crashAt) &* 0x9E37_79B9_7F4A_7C15))
            written = Int.random(in: 1..<bytes.count, using: &random)
            write(UnsafeRawBufferPointer(rebasing: bytes[0..<written]))
        }
        Output.line("crash \(n) \(call) \(written)/\(size) \(path)")
        kill(getpid(), SIGKILL)
        // SIGKILL cannot be caught; never get here.
        while true { pause() }
    }

    private func path(of file: FileHandleID) -> String {
        state.withLock { $0.paths[file.raw] } ?? "fd \(file.raw)"
    }

    func open(_ path: String, _ mode: FileOpenMode) throws(SemblanceError) -> FileHandleID {
        if mode == .createNew || mode == .createOrOpen { count("open", path) }
        let file = try base.open(path, mode)
        state.withLock { $0.paths[file.raw] = path }
        return file
    }

    func write(_ file: FileHandleID, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SemblanceError) {
        count("write", path(of: file), bytes: bytes) { prefix in try? self.base.write(file, prefix, at: offset) }
        try base.write(file, bytes, at: offset)
    }

    func read(_ file: FileHandleID, count: Int, at offset: Int64) throws(SemblanceError) -> [UInt8] {
        try base.read(file, count: count, at: offset)
    }

    func size(_ file: FileHandleID) throws(SemblanceError) -> Int64 { try base.size(file) }

    func sync(_ file: FileHandleID) throws(SemblanceError) {
        count("fsync", path(of: file))
        try base.sync(file)
    }

    func truncate(_ file: FileHandleID, to size: Int64) throws(SemblanceError) {
        count("truncate", path(of: file))
        try base.truncate(file, to: size)
    }

    func close(_ file: FileHandleID) {
        state.withLock { _ = $0.paths.removeValue(forKey: file.raw) }
        base.close(file)
    }

    func rename(_ source: String, to destination: String) throws(SemblanceError) {
        count("rename", destination)
        try base.rename(source, to: destination)
    }

    func remove(_ path: String) throws(SemblanceError) {
        count("unlink", path)
        try base.remove(path)
    }

    func syncDirectory(_ path: String) throws(SemblanceError) {
        count("fsync-dir", path)
        try base.syncDirectory(path)
    }

    func createDirectory(_ path: String) throws(SemblanceError) {
        count("mkdir", path)
        try base.createDirectory(path)
    }

    func contentsOfDirectory(_ path: String) throws(SemblanceError) -> [String] { try base.contentsOfDirectory(path) }
    func fileExists(_ path: String) -> Bool { base.fileExists(path) }
    func kind(_ path: String) -> FileKind? { base.kind(path) }
    func realPath(_ path: String) -> String? { base.realPath(path) }
    func lockExclusively(_ path: String) throws(SemblanceError) -> FileHandleID { try base.lockExclusively(path) }
}

/// SplitMix64, so the workload and the torn prefixes follow from the seed alone.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Lines on stdout through write(2) on descriptor 1: no buffering, so a line that was
/// printed before a kill is in the parent's file or pipe, whole.
enum Output {
    static func line(_ text: String) {
        let bytes = Array((text + "\n").utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(1, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            done += n
        }
    }
}

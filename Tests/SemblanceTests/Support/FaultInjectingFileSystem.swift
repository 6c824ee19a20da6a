import Synchronization
@testable import Semblance

/// Wraps a file system and fails chosen calls: the n-th mutating call (write, sync,
/// truncate, rename, remove, directory sync, create), once or from then on, with ENOSPC,
/// EIO, or a short write that stores only a prefix of the bytes before failing.
final class FaultInjectingFileSystem<Base: FileSystem>: FileSystem {
    enum Fault: String, Sendable, CaseIterable {
        case noSpace, ioError, shortWrite
    }

    struct Plan: Sendable {
        var failAt: Int
        var fault: Fault
        var persistent: Bool
    }

    let base: Base
    private let state = Mutex<(calls: Int, plan: Plan?, failures: Int)>((0, nil, 0))

    init(_ base: Base, plan: Plan? = nil) {
        self.base = base
        state.withLock { $0.plan = plan }
    }

    /// Mutating calls made so far (those that failed included).
    var calls: Int { state.withLock { $0.calls } }
    var failures: Int { state.withLock { $0.failures } }

    func setPlan(_ plan: Plan?) { state.withLock { $0.plan = plan; $0.calls = 0 } }

    /// The fault for this call, if it is to fail.
    private func nextFault() -> Fault? {
        state.withLock { s in
            s.calls += 1
            guard let plan = s.plan else { return nil }
            if s.calls == plan.failAt || (plan.persistent && s.calls > plan.failAt) {
                s.failures += 1
                return plan.fault
            }
            return nil
        }
    }

    /// The error PosixFileSystem gives for `call` on `path`, with the injected errno.
    private func error(_ fault: Fault, _ call: String, _ path: String) -> SemblanceError {
        let (text, code): (String, Int32) = fault == .noSpace ? ("No space left on device", 28) : ("Input/output error", 5)
        var error = SemblanceError(.io, "\(call) \(path): \(text) (errno \(code), injected)")
        error.path = path
        error.errno = code
        return error
    }

    func open(_ path: String, _ mode: FileOpenMode) throws(SemblanceError) -> FileHandleID {
        if mode == .createNew || mode == .createOrOpen, let fault = nextFault() { throw error(fault, "open", path) }
        return try base.open(path, mode)
    }

    func write(_ file: FileHandleID, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SemblanceError) {
        if let fault = nextFault() {
            if fault == .shortWrite && bytes.count > 1 {
                try base.write(file, UnsafeRawBufferPointer(rebasing: bytes[0..<(bytes.count / 2)]), at: offset)
            }
            throw error(fault, "pwrite", file.path)
        }
        try base.write(file, bytes, at: offset)
    }

    func read(_ file: FileHandleID, count: Int, at offset: Int64) throws(SemblanceError) -> [UInt8] {
        try base.read(file, count: count, at: offset)
    }

    func size(_ file: FileHandleID) throws(SemblanceError) -> Int64 { try base.size(file) }

    func sync(_ file: FileHandleID) throws(SemblanceError) {
        if let fault = nextFault() { throw error(fault, "fsync", file.path) }
        try base.sync(file)
    }

    func truncate(_ file: FileHandleID, to size: Int64) throws(SemblanceError) {
        if let fault = nextFault() { throw error(fault, "ftruncate", file.path) }
        try base.truncate(file, to: size)
    }

    func close(_ file: FileHandleID) { base.close(file) }

    func rename(_ source: String, to destination: String) throws(SemblanceError) {
        if let fault = nextFault() { throw error(fault, "rename", "\(source) -> \(destination)") }
        try base.rename(source, to: destination)
    }

    func remove(_ path: String) throws(SemblanceError) {
        if let fault = nextFault() { throw error(fault, "unlink", path) }
        try base.remove(path)
    }

    func syncDirectory(_ path: String) throws(SemblanceError) {
        if let fault = nextFault() { throw error(fault, "fsync", path) }
        try base.syncDirectory(path)
    }

    func createDirectory(_ path: String) throws(SemblanceError) {
        if let fault = nextFault() { throw error(fault, "mkdir", path) }
        try base.createDirectory(path)
    }

    func contentsOfDirectory(_ path: String) throws(SemblanceError) -> [String] { try base.contentsOfDirectory(path) }
    func fileExists(_ path: String) -> Bool { base.fileExists(path) }
    func kind(_ path: String) -> FileKind? { base.kind(path) }
    func realPath(_ path: String) -> String? { base.realPath(path) }
    func lockExclusively(_ path: String) throws(SemblanceError) -> FileHandleID { try base.lockExclusively(path) }
}

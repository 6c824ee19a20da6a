import Synchronization

/// The exclusive lock on a collection's directory (`LOCK`, flock). The collection store and
/// each of its shards hold it, so that it goes only when the last of them does: a
/// collection dropped without `close()` syncs and closes its logs before another process
/// can open the directory.
final class DirectoryLock: Sendable {
    private let fs: any FileSystem
    private let handle: Mutex<FileHandleID?>

    init(fs: any FileSystem, handle: FileHandleID) {
        self.fs = fs
        self.handle = Mutex(handle)
    }

    /// Releases the lock now (once; later calls do nothing).
    func release() {
        if let held = handle.withLock({ h -> FileHandleID? in defer { h = nil }; return h }) { fs.close(held) }
    }

    deinit { release() }
}

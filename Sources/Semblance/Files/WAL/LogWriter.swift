/// Appends frames to one shard's write-ahead log.
///
/// Not thread-safe: its owner serialises calls. After any failed write or fsync the writer
/// is poisoned: every later call throws `.storageUnavailable` until the log is reopened,
/// and a failed fsync is never retried (the kernel may have dropped the unsynced pages, so
/// a retry could report success for data that is gone). Reopening drops the torn tail.
final class LogWriter {
    let path: String
    private let fs: any FileSystem
    private var file: FileHandleID?
    private(set) var endOffset: Int64
    private(set) var nextSequence: UInt64
    private(set) var failure: SemblanceError?
    /// Whether bytes were written since the last fsync.
    private(set) var hasUnsyncedWrites = false

    /// Creates a new, empty log at `path` (durably: temp file, fsync, rename, directory fsync).
    static func create(_ fs: any FileSystem, path: String, shard: UInt32, startSequence: UInt64) throws(SemblanceError) -> LogWriter {
        let header = LogFormat.encode(LogFormat.FileHeader(shard: shard, startSequence: startSequence))
        try fs.writeFileAtomically(path, header)
        let file = try fs.open(path, .readWrite)
        return LogWriter(fs: fs, path: path, file: file, endOffset: Int64(header.count), nextSequence: startSequence)
    }

    /// Opens an existing log for appending after `contents` (as read by ``LogReader``),
    /// cutting off a torn tail first so that new frames never follow garbage.
    static func open(_ fs: any FileSystem, path: String, after contents: LogContents) throws(SemblanceError) -> LogWriter {
        let file = try fs.open(path, .readWrite)
        if contents.tornTailBytes > 0 {
            do {
                try fs.truncate(file, to: contents.validLength)
                try fs.sync(file)
            } catch {
                fs.close(file)
                throw error
            }
        }
        return LogWriter(fs: fs, path: path, file: file, endOffset: contents.validLength, nextSequence: contents.nextSequence)
    }

    private init(fs: any FileSystem, path: String, file: FileHandleID, endOffset: Int64, nextSequence: UInt64) {
        self.fs = fs
        self.path = path
        self.file = file
        self.endOffset = endOffset
        self.nextSequence = nextSequence
    }

    deinit { close() }

    /// Appends `records` as one frame, fsyncing it first when `sync` is set.
    /// - Returns: the sequence number of the first record.
    @discardableResult
    func append(_ records: [LogRecord], sync: Bool) throws(SemblanceError) -> UInt64 {
        let file = try usableFile()
        let first = nextSequence
        let frame = try LogFormat.encodeFrame(records, firstSequence: first)
        do {
            try fs.write(file, frame, at: endOffset)
            hasUnsyncedWrites = true
            if sync { try syncNow(file) }
        } catch {
            failure = SemblanceError(.storageUnavailable,
                "the write-ahead log \(path) failed (\(error.message)); it accepts no more writes until the collection is reopened")
            throw error
        }
        endOffset += Int64(frame.count)
        nextSequence += UInt64(records.count)
        return first
    }

    /// Makes every appended frame durable.
    func sync() throws(SemblanceError) {
        let file = try usableFile()
        guard hasUnsyncedWrites else { return }
        do {
            try syncNow(file)
        } catch {
            failure = SemblanceError(.storageUnavailable,
                "fsync of the write-ahead log \(path) failed (\(error.message)); it accepts no more writes until the collection is reopened")
            throw error
        }
    }

    func close() {
        if let file { fs.close(file) }
        file = nil
    }

    private func syncNow(_ file: FileHandleID) throws(SemblanceError) {
        try fs.sync(file)
        hasUnsyncedWrites = false
    }

    private func usableFile() throws(SemblanceError) -> FileHandleID {
        if let failure { throw failure }
        guard let file else { throw SemblanceError(.storageUnavailable, "the write-ahead log \(path) is closed") }
        return file
    }
}

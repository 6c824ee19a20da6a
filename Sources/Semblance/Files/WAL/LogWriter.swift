/// Appends frames to one shard's write-ahead log.
///
/// Not thread-safe: its owner serialises calls. After any failed write or fsync the writer
/// is poisoned: every later call throws `.storageUnavailable` until the log is reopened,
/// and a failed fsync is never retried (the kernel may have dropped the unsynced pages, so
/// a retry could report success for data that is gone). Reopening drops the torn tail.
final class LogWriter {
    /// Where the log is; a checkpoint's new log moves into place once its commit is the head.
    private(set) var path: String
    private let fs: any FileSystem
    private var file: FileHandleID?
    private(set) var endOffset: Int64
    private(set) var nextSequence: UInt64
    private(set) var failure: SemblanceError?
    /// Whether bytes were written since the last fsync.
    private(set) var hasUnsyncedWrites = false

    /// Creates a new, empty log at `path` (durably: temp file, fsync, rename, directory fsync).
    static func create(_ fs: any FileSystem, path: String, header: LogFormat.FileHeader) throws(SemblanceError) -> LogWriter {
        let bytes = LogFormat.encode(header)
        try fs.writeFileAtomically(path, bytes)
        let file = try fs.open(path, .readWrite)
        return LogWriter(fs: fs, path: path, file: file, endOffset: Int64(bytes.count), nextSequence: header.startSequence)
    }

    /// Opens an existing log for appending after its first `keptFrames` frames (as read by
    /// ``LogReader``), cutting off what follows them first (a torn tail, or the frames of a
    /// group that did not reach every shard), durably, so that new frames never follow them.
    static func open(_ fs: any FileSystem, path: String, after contents: LogContents, keptFrames: Int? = nil) throws(SemblanceError) -> LogWriter {
        let kept = keptFrames ?? contents.frames.count
        let end = kept == 0 ? Int64(LogFormat.fileHeaderSize) : contents.frames[kept - 1].end
        let next = kept == contents.frames.count ? contents.nextSequence : contents.frames[kept].firstSequence
        let file = try fs.open(path, .readWrite)
        if end < contents.validLength + contents.tornTailBytes {
            do {
                try fs.truncate(file, to: end)
                try fs.sync(file)
            } catch {
                fs.close(file)
                throw error
            }
        }
        return LogWriter(fs: fs, path: path, file: file, endOffset: end, nextSequence: next)
    }

    private init(fs: any FileSystem, path: String, file: FileHandleID, endOffset: Int64, nextSequence: UInt64) {
        self.fs = fs
        self.path = path
        self.file = file
        self.endOffset = endOffset
        self.nextSequence = nextSequence
    }

    deinit { close() }

    /// Appends `records` as one frame, this shard's part of `group`, fsyncing it first when
    /// `sync` is set.
    /// - Returns: the sequence number of the first record.
    @discardableResult
    func append(_ records: [LogRecord], group: WriteGroup, sync: Bool) throws(SemblanceError) -> UInt64 {
        let file = try usableFile()
        let first = nextSequence
        let frame = try LogFormat.encodeFrame(records, firstSequence: first, group: group)
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

    /// The log was renamed to `path` (its open descriptor follows it).
    func moved(to path: String) { self.path = path }

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

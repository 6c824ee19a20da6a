import Foundation

/// How far an import or export has got.
public struct ExchangeProgress: Sendable, Hashable {
    /// Records written (export) or acknowledged by the collection (import) so far.
    public var records: Int
    /// Records in all, when known (an export knows; an import does not).
    public var totalRecords: Int?
    /// Bytes of the file read (import) or written (export) so far.
    public var bytes: Int64
    /// The file's size, for an import from a file.
    public var totalBytes: Int64?
    /// For an import: the line of the last acknowledged record.
    public var line: Int?
}

extension CollectionSnapshot {
    /// Writes every live record of this snapshot as JSON Lines (see ``JSONLines``), shard by
    /// shard, handing `write` about a megabyte at a time: the output is never held whole.
    /// It throws only what `write` throws (nothing, for a closure that cannot throw).
    /// - Returns: the records written.
    @discardableResult
    public func exportJSONLines<WriteError: Error>(
        _ write: ([UInt8]) throws(WriteError) -> Void, progress: ((ExchangeProgress) -> Void)? = nil
    ) throws(WriteError) -> Int {
        let total = count
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20 + 64 << 10)
        var written = 0
        var bytes: Int64 = 0
        for record in records {
            buffer += JSONLines.encode(record)
            written += 1
            if buffer.count >= 1 << 20 {
                try write(buffer)
                bytes += Int64(buffer.count)
                buffer.removeAll(keepingCapacity: true)
                progress?(ExchangeProgress(records: written, totalRecords: total, bytes: bytes))
            }
        }
        if !buffer.isEmpty {
            try write(buffer)
            bytes += Int64(buffer.count)
        }
        progress?(ExchangeProgress(records: written, totalRecords: total, bytes: bytes))
        return written
    }
}

extension VectorCollection {
    /// Exports every live record (id, vector, metadata) to a JSON Lines file at `path`, from
    /// one snapshot: writes made meanwhile are not in it, and none waits for it. The file is
    /// written beside `path`, fsynced, then renamed over it, so `path` never holds a partial
    /// export. Under the cosine metric vectors are exported normalized.
    /// - Parameter path: the file to write, replaced if it exists.
    /// - Parameter progress: called after every megabyte, from the exporting thread.
    /// - Returns: the records exported.
    /// - Throws: `.invalidArgument`, writing nothing, when `path` is inside the client's
    ///   directory (after resolving `..` and symbolic links): the export must not replace
    ///   the files of this or another collection.
    @discardableResult
    public func exportJSONLines(to path: String, progress: (@Sendable (ExchangeProgress) -> Void)? = nil) async throws(SemblanceError) -> Int {
        try await exportJSONLines(snapshot(), to: path, progress: progress)
    }

    /// Exports `snapshot` (of this collection: its head, or a past commit from
    /// ``snapshot(at:)``) as ``exportJSONLines(to:progress:)-(String,_)`` does.
    @discardableResult
    public func exportJSONLines(
        _ snapshot: CollectionSnapshot, to path: String, progress: (@Sendable (ExchangeProgress) -> Void)? = nil
    ) async throws(SemblanceError) -> Int {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        try checkExportDestination(absolute)
        return try await runOnQueue(.global()) { () throws(SemblanceError) in
            let fs = PosixFileSystem()
            let directory = Path.directory(of: absolute)
            let temporary = directory + "/.tmp-" + Path.lastComponent(of: absolute) + "-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            let file = try fs.open(temporary, .createNew)
            let written: Int
            do throws(SemblanceError) {
                var offset: Int64 = 0
                written = try snapshot.exportJSONLines({ (bytes) throws(SemblanceError) in
                    try fs.write(file, bytes, at: offset)
                    offset += Int64(bytes.count)
                }, progress: progress)
                try fs.sync(file)
            } catch {
                fs.close(file)
                try? fs.remove(temporary)
                throw error
            }
            fs.close(file)
            do throws(SemblanceError) {
                try fs.rename(temporary, to: absolute)
            } catch {
                try? fs.remove(temporary)
                throw error
            }
            try fs.syncDirectory(directory)
            return written
        }
    }

    /// Refuses an export file inside the client's directory, where its temporary file and
    /// rename could replace a collection's own files. The folder is resolved (it must exist
    /// for the export to write anything), and the file itself when it exists: a link there
    /// leads to its target.
    private func checkExportDestination(_ path: String) throws(SemblanceError) {
        guard engine.isPersistent else { return }
        let clientDirectory = Path.directory(of: engine.directory)
        let root = PosixFileSystem().realPath(clientDirectory) ?? clientDirectory
        guard let folder = PosixFileSystem().realPath(Path.directory(of: path)) else { return }
        let places = [folder + "/" + Path.lastComponent(of: path), PosixFileSystem().realPath(path)].compactMap { $0 }
        for place in places where place == root || place.hasPrefix(root + "/") {
            throw SemblanceError(.invalidArgument,
                "cannot export to \(path)\(place == path ? "" : " (that is, \(place))"): it is inside the database directory \(root), whose files an export must not replace")
        }
    }

    /// Imports (upserts) the records of a JSON Lines file, streaming: `batchSize` records
    /// are read, checked and upserted as one batch at a time, so a file of any size needs
    /// constant memory. A record whose id comes again later is replaced by the later line.
    ///
    /// A malformed line or an invalid record (bad id, vector or metadata) stops the import:
    /// the records before it are stored, none after it, and the error names the line.
    /// - Parameters:
    ///   - path: the file; `-` reads standard input.
    ///   - batchSize: records per batch (≥ 1).
    ///   - progress: called after every acknowledged batch.
    /// - Returns: the records imported.
    @discardableResult
    public func importJSONLines(
        from path: String, batchSize: Int = 1000, progress: (@Sendable (ExchangeProgress) -> Void)? = nil
    ) async throws(SemblanceError) -> Int {
        guard batchSize > 0 else { throw .invalidArgument("batchSize must be at least 1, got \(batchSize)") }
        let reader = try JSONLinesReader(path: path)
        var batch: [VectorRecord] = []
        var batchIDs = Set<String>()
        var imported = 0
        var lastLine = 0
        func flush() async throws(SemblanceError) {
            guard !batch.isEmpty else { return }
            try await upsert(batch)
            imported += batch.count
            batch.removeAll(keepingCapacity: true)
            batchIDs.removeAll(keepingCapacity: true)
            progress?(ExchangeProgress(records: imported, bytes: reader.stream.bytesConsumed,
                                       totalBytes: reader.stream.totalBytes, line: lastLine))
        }
        while true {
            let record: VectorRecord
            do {
                guard let next = try reader.next() else { break }
                try check(next)
                record = next
            } catch {
                // What came before the bad line is stored; then the import stops.
                try await flush()
                let stored = imported == 1 ? "the 1 record before it is stored" : "the \(imported) records before it are stored"
                let place = error.message.hasPrefix(reader.stream.name) ? "" : "\(reader.stream.name) line \(reader.line): "
                throw SemblanceError(error.code, "\(place)\(error.message); \(stored), nothing after it")
            }
            // One batch may not hold an id twice; the later line must win, so the earlier goes first.
            if batchIDs.contains(record.id) { try await flush() }
            batch.append(record)
            batchIDs.insert(record.id)
            lastLine = reader.line
            if batch.count >= batchSize { try await flush() }
        }
        try await flush()
        return imported
    }

    /// Checks a record as an upsert would, so that an import's error names its line.
    private func check(_ record: VectorRecord) throws(SemblanceError) {
        if let error = WriteChecks.check([record], configuration: configuration.index) { throw error }
    }
}

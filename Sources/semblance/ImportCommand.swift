import ArgumentParser
import Foundation
import Semblance

/// `semblance import NAME FILE`: streams records from a JSON Lines or `.fvecs` file into a
/// collection, in batches.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import vectors from a JSON Lines or .fvecs file.",
        discussion: """
            JSON Lines: one object per line, {"id": "doc-1", "vector": [0.1, ...], "metadata": {...}} \
            (metadata optional; `semblance export` writes this form). .fvecs: the ids are --id-prefix plus the row \
            number (from 0). The file is read in batches, never whole; while one batch is written \
            (and acknowledged per the collection's durability), the next is read. A malformed line \
            (or an .fvecs file cut inside a row) stops the import: the records before it are \
            stored, none after it. Whatever stops it, the error says how many records are stored. \
            With --json, one line per acknowledged batch, then a summary line. Ends with a checkpoint.
            """
    )

    @OptionGroup var options: DirectoryOptions
    @OptionGroup var branch: BranchOptions

    @Argument(help: "The collection to import into.")
    var name: String

    @Argument(help: ArgumentHelp("The file to read; - reads standard input.", valueName: "file"))
    var file: String

    @Option(help: "The file's format (default: by extension, .fvecs or else JSON Lines).")
    var format: RecordFormat?

    @Option(name: .customLong("id-prefix"), help: "For .fvecs: ids are this prefix plus the row number.")
    var idPrefix = ""

    // Takes the next argument even when it starts with `-`: `--batch-size -1` is a range
    // error, not "missing value".
    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Records per acknowledged batch (1-100000).")
    var batchSize = 1000

    @Flag(name: .customLong("no-checkpoint"), help: "Leave the writes in the log instead of ending with a checkpoint.")
    var noCheckpoint = false

    func validate() throws {
        guard (1...100_000).contains(batchSize) else {
            throw ValidationError("--batch-size must be between 1 and 100000, got \(batchSize)")
        }
    }

    /// A progress line of `--json`: one per acknowledged batch, then one with `done`.
    struct Progress: Encodable {
        var event: String
        var collection: String
        var acknowledged: Int
        var batches: Int
        var bytesRead: Int64
        var totalBytes: Int64?
        var elapsedSeconds: Double
        var recordsPerSecond: Double
        /// The line (JSON Lines, from 1) or row (`.fvecs`, from 0) of the last record
        /// acknowledged: a script that is interrupted resumes after it.
        var line: Int?
        var row: Int?
        var headCommit: String?
    }

    func run() async throws {
        let reader = try RecordReader(path: file, format: format)
        let summary = try await Session.withClient(options) { client in
            let collection = try await branch.collection(client, name)
            var importer = Importer(command: self, collection: collection, reader: reader)
            return try await importer.run()
        }
        if options.json {
            try Output.json(summary)
        } else {
            var line = "imported \(Terminal.count(summary.acknowledged, "record")) into \(name) in "
                + "\(Terminal.fixed(summary.elapsedSeconds, 2)) s (\(Terminal.grouped(Int(summary.recordsPerSecond))) records/s)"
            if let head = summary.headCommit { line += "; checkpoint \(head.prefix(12))" }
            Output.line(line)
        }
    }
}

/// The import loop: reads, checks, batches, upserts, reports.
private struct Importer {
    let command: ImportCommand
    let collection: VectorCollection
    let reader: RecordReader
    let clock = ContinuousClock()
    let start: ContinuousClock.Instant
    let bar: ProgressBar?
    var batch: [VectorRecord] = []
    var batchIDs = Set<String>()
    /// The line (or row) of the last record in `batch`.
    var batchEnd = 0
    /// The batch being written: its task, size, and first and last line.
    var inFlight: (task: Task<Void, any Error>, count: Int, start: Int, end: Int)?
    /// The line (or row) of the last acknowledged record, nil before the first.
    var acknowledgedThrough: Int?
    /// The line (or row) of the first record in `batch`.
    var batchStart = 0
    var acknowledged = 0
    var batches = 0

    init(command: ImportCommand, collection: VectorCollection, reader: RecordReader) {
        self.command = command
        self.collection = collection
        self.reader = reader
        start = clock.now
        bar = !command.options.json && Terminal.standardErrorIsTerminal ? ProgressBar(label: "importing") : nil
        batch.reserveCapacity(command.batchSize)
    }

    var unit: String { reader.format == .jsonl ? "line" : "row" }

    mutating func run() async throws -> ImportCommand.Progress {
        defer { bar?.clear() }
        do {
            while let record = try reader.next() {
                try check(record)
                let id = record.id ?? command.idPrefix + String(record.number)
                // The library refuses an id twice in one batch; the later line must win, so the
                // earlier one goes first.
                if batchIDs.contains(id) { try await flush() }
                if batch.isEmpty { batchStart = record.number }
                batch.append(VectorRecord(id: id, vector: record.vector, metadata: record.metadata))
                batchEnd = record.number
                batchIDs.insert(id)
                if batch.count >= command.batchSize { try await flush() }
            }
            try await flush()
            try await settle()
        } catch let error as RecordError {
            // What came before the bad line (or row) is stored; then the import stops.
            try await flush()
            try await settle()
            bar?.clear()
            throw CommandFailure("\(error.location): \(error.reason); \(storedSoFar(before: "\(unit) \(error.number)"))", code: .invalidFile)
        } catch let failure as CommandFailure {
            throw failure  // a batch failed; settle() said what is stored
        } catch {
            // Reading failed: the batch in flight is settled first, so the count said is exact.
            try await settle()
            bar?.clear()
            throw CommandFailure("\(Self.describe(error)); \(storedSoFar(before: nil))", causedBy: error)
        }
        var head: String?
        if !command.noCheckpoint && acknowledged > 0 {
            bar?.show(fraction: 1, detail: "checkpoint...", force: true)
            do {
                try await collection.checkpoint()
            } catch {
                bar?.clear()
                throw CommandFailure("the checkpoint after the import failed: \(Self.describe(error)); \(storedSoFar(before: nil)) "
                    + "(in the write-ahead log, which the next open replays)", causedBy: error)
            }
            head = collection.statistics().headCommit
        }
        return progress(event: "done", head: head)
    }

    static func describe(_ error: any Error) -> String { (error as? SemblanceError)?.message ?? "\(error)" }

    /// Refuses a record the collection would refuse, naming its line.
    func check(_ record: ReadRecord) throws {
        let location = "\(reader.stream.name) \(unit) \(record.number)"
        if reader.format == .jsonl && record.id == nil {
            throw RecordError(location: location, reason: "missing field \"id\"", number: record.number)
        }
        if let id = record.id, let problem = RecordCheck.problem(withID: id) {
            throw RecordError(location: location, reason: problem, number: record.number)
        }
        if let problem = RecordCheck.problem(with: record.vector, configuration: collection.configuration) {
            throw RecordError(location: location, reason: problem, number: record.number)
        }
        do {
            try record.metadata?.validate()
        } catch {
            throw RecordError(location: location, reason: error.message, number: record.number)
        }
    }

    /// Sends the batch to the collection, after the batch before it is acknowledged: the
    /// next batch is read and parsed while this one is written.
    mutating func flush() async throws {
        try await settle()
        guard !batch.isEmpty else { return }
        let records = batch
        let collection = collection
        inFlight = (Task { try await collection.upsert(records) }, records.count, batchStart, batchEnd)
        batch.removeAll(keepingCapacity: true)
        batchIDs.removeAll(keepingCapacity: true)
    }

    /// Waits for the batch in flight to be acknowledged, and reports it.
    mutating func settle() async throws {
        guard let flight = inFlight else { return }
        inFlight = nil
        do {
            try await flight.task.value
        } catch {
            bar?.clear()
            throw CommandFailure("\(reader.stream.name) \(unit)s from \(flight.start): \(Self.describe(error)); "
                + storedSoFar(before: "\(unit) \(flight.start)"), causedBy: error)
        }
        acknowledged += flight.count
        acknowledgedThrough = flight.end
        batches += 1
        if command.options.json {
            try Output.json(progress(event: "batch", head: nil))
        } else if let bar {
            let elapsed = (clock.now - start).seconds
            let rate = Double(acknowledged) / max(elapsed, 1e-9)
            var detail = "\(Terminal.grouped(acknowledged)) records  \(Terminal.grouped(Int(rate)))/s"
            var fraction: Double?
            if let total = reader.stream.totalBytes, total > 0 {
                let done = Double(reader.stream.bytesConsumed) / Double(total)
                fraction = done
                detail += "  \(Terminal.clock(done > 0 ? elapsed * (1 - done) / done : .infinity)) left"
            }
            bar.show(fraction: fraction, detail: detail)
        }
    }

    /// "the 2,000 records before line 2001 are stored, nothing after it", or without a
    /// place, "the 2,000 records through line 2000 are stored"; or that nothing was.
    func storedSoFar(before place: String?) -> String {
        guard acknowledged > 0, let through = acknowledgedThrough else { return "nothing was imported" }
        let records = acknowledged == 1 ? "the 1 record" : "the \(Terminal.grouped(acknowledged)) records"
        let verb = acknowledged == 1 ? "is" : "are"
        guard let place else { return "\(records) through \(unit) \(through) \(verb) stored" }
        return "\(records) before \(place) \(verb) stored, nothing after it"
    }

    func progress(event: String, head: String?) -> ImportCommand.Progress {
        let elapsed = (clock.now - start).seconds
        return ImportCommand.Progress(
            event: event, collection: collection.name, acknowledged: acknowledged, batches: batches,
            bytesRead: reader.stream.bytesConsumed, totalBytes: reader.stream.totalBytes,
            elapsedSeconds: DemoReport.rounded(elapsed, 3),
            recordsPerSecond: DemoReport.rounded(Double(acknowledged) / max(elapsed, 1e-9), 0),
            line: reader.format == .jsonl ? acknowledgedThrough : nil, row: reader.format == .fvecs ? acknowledgedThrough : nil,
            headCommit: head)
    }
}

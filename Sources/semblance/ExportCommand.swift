import ArgumentParser
import Foundation
import Semblance

/// `semblance export NAME [FILE]`: every live record as JSON Lines, for `semblance import`.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a collection's records (id, vector, metadata) as JSON Lines.",
        discussion: """
            Writes one line per live record, {"id": ..., "vector": [...], "metadata": {...}}, from one \
            snapshot: writes made meanwhile are not included, and none waits for the export. The \
            file is written beside FILE, fsynced and renamed over it, so FILE never holds part of \
            an export; without FILE (or with -) the lines go to standard output. `semblance import` \
            reads the file back. Under the cosine metric the vectors are exported normalized. \
            A FILE inside the data directory (.. and symbolic links resolved) is refused.
            """
    )

    @OptionGroup var options: DirectoryOptions
    @OptionGroup var read: ReadOptions

    @Argument(help: "The collection.")
    var name: String

    @Argument(help: ArgumentHelp("The file to write; - (the default) writes standard output.", valueName: "file"))
    var file = "-"

    struct Progress: Encodable {
        var event: String
        var collection: String
        var exported: Int
        var total: Int?
        var bytes: Int64
        var elapsedSeconds: Double?
        var file: String?
    }

    func validate() throws {
        if options.json && file == "-" {
            throw ValidationError("--json needs a FILE: standard output carries the records")
        }
    }

    func run() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let json = options.json
        let name = name
        let bar = !json && Terminal.standardErrorIsTerminal ? ProgressBar(label: "exporting") : nil
        let throttle = Throttle(.milliseconds(500))
        let report = { @Sendable (progress: ExchangeProgress) in
            if json {
                if throttle.isDue() {
                    try? Output.json(Progress(event: "progress", collection: name, exported: progress.records,
                                              total: progress.totalRecords, bytes: progress.bytes))
                }
            } else if let bar, let total = progress.totalRecords, total > 0 {
                let fraction = Double(progress.records) / Double(total)
                let elapsed = (clock.now - start).seconds
                bar.show(fraction: fraction, detail: "\(Terminal.grouped(progress.records)) of \(Terminal.grouped(total)) records  "
                    + "\(Terminal.clock(fraction > 0 ? elapsed * (1 - fraction) / fraction : .infinity)) left")
            }
        }
        let file = file
        let exported = try await Session.withClient(options, access: .readOnly) { client in
            let collection = try await client.collection(name, branch: read.branch ?? "main")
            let snapshot = try await read.snapshot(client, name)
            defer { bar?.clear() }
            if file == "-" {
                return try snapshot.exportJSONLines({ (bytes) throws(SemblanceError) in
                    do {
                        try FileHandle.standardOutput.write(contentsOf: Data(bytes))
                    } catch {
                        throw SemblanceError(.io, "standard output: \(error.localizedDescription)")
                    }
                }, progress: report)
            }
            return try await collection.exportJSONLines(snapshot, to: file, progress: report)
        }
        let elapsed = (clock.now - start).seconds
        if json {
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value ?? 0
            try Output.json(Progress(event: "done", collection: name, exported: exported, total: exported, bytes: size,
                                     elapsedSeconds: DemoReport.rounded(elapsed, 3), file: file))
        } else if file != "-" {
            Output.line("exported \(Terminal.count(exported, "record")) of \(name) to \(file) in \(Terminal.fixed(elapsed, 2)) s")
        }
    }
}

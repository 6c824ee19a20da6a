import ArgumentParser
import Foundation
import Semblance

/// `semblance reencode NAME --encoding E`: changes the form of the vectors a collection's
/// graph search reads, and rebuilds its main branch on it.
struct ReencodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reencode",
        abstract: "Change a collection's encoding and rebuild its main branch on it, committing each rebuilt shard.",
        discussion: """
            The pages keep the float32 originals, so every commit stays readable; other \
            branches search under the new encoding from their next open. Run again with the \
            same encoding, it finishes an interrupted re-encoding. On a terminal, a \
            progress bar; with --json, a progress line about twice a second ({"event": \
            "progress", "linked", "total"}), then {"event": "done", "encoding", ...}.
            """
    )

    @OptionGroup var options: DirectoryOptions

    @Argument(help: "The collection.")
    var name: String

    @Option(help: ArgumentHelp(
        "The new form of the vectors for the graph search and build: float32, float16, bfloat16 or int8 (f32, f16, bf16, int8).",
        valueName: "encoding"))
    var encoding: VectorEncoding

    @Option(name: .customLong("rerank-multiple"), parsing: .unconditional, help: ArgumentHelp(
        "Re-score this many times k of a search's best candidates with the float32 originals (1-100); default: unchanged.",
        valueName: "n"))
    var rerankMultiple: Int?

    /// The library checks the setting; its message is reworded to name the option.
    func validate() throws {
        guard let rerankMultiple else { return }
        do {
            try CollectionConfiguration(dimension: 1, rerankMultiple: rerankMultiple).validate()
        } catch {
            throw ValidationError(CreateCommand.namingOptions(error.message))
        }
    }

    struct Done: Encodable {
        var event = "done"
        var collection: String
        var encoding: String
        var rerankMultiple: Int
        var live: Int
        var elapsedSeconds: Double
        var headCommit: String?
    }

    func run() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let progress = RebuildProgress(label: "re-encoding", json: options.json)
        let done = try await Session.withClient(options) { client in
            defer { progress.clear() }
            let collection = try await client.reencodeCollection(name, to: encoding, rerankMultiple: rerankMultiple, progress: progress.report)
            let statistics = collection.statistics()
            return Done(collection: name, encoding: collection.configuration.encoding.rawValue,
                        rerankMultiple: collection.configuration.rerankMultiple,
                        live: statistics.live, elapsedSeconds: DemoReport.rounded((clock.now - start).seconds, 3),
                        headCommit: statistics.headCommit)
        }
        if options.json {
            try Output.json(done)
        } else {
            let rescoring = done.encoding == VectorEncoding.float32.rawValue ? "" : " (re-scoring \(done.rerankMultiple) × k)"
            Output.line("re-encoded \(name) as \(done.encoding)\(rescoring): "
                + "\(Terminal.grouped(done.live)) live vectors in \(Terminal.fixed(done.elapsedSeconds, 2)) s")
        }
    }
}

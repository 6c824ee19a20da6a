import Foundation

extension VectorCollection {
    /// Exports every live record to the JSON Lines file at `url`, as the form taking a path
    /// does.
    /// - Throws: `.invalidArgument` when `url` is not a file URL.
    @discardableResult
    public func exportJSONLines(to url: URL, progress: (@Sendable (ExchangeProgress) -> Void)? = nil) async throws(SemblanceError) -> Int {
        try await exportJSONLines(snapshot(), to: try Self.filePath(url), progress: progress)
    }

    /// Exports `snapshot` to the JSON Lines file at `url`, as the form taking a path does.
    @discardableResult
    public func exportJSONLines(
        _ snapshot: CollectionSnapshot, to url: URL, progress: (@Sendable (ExchangeProgress) -> Void)? = nil
    ) async throws(SemblanceError) -> Int {
        try await exportJSONLines(snapshot, to: try Self.filePath(url), progress: progress)
    }

    /// Imports the JSON Lines file at `url`, as the form taking a path does.
    /// - Throws: `.invalidArgument` when `url` is not a file URL.
    @discardableResult
    public func importJSONLines(
        from url: URL, batchSize: Int = 1000, progress: (@Sendable (ExchangeProgress) -> Void)? = nil
    ) async throws(SemblanceError) -> Int {
        try await importJSONLines(from: try Self.filePath(url), batchSize: batchSize, progress: progress)
    }

    private static func filePath(_ url: URL) throws(SemblanceError) -> String {
        guard url.isFileURL else { throw .invalidArgument("\(url) is not a file URL: import and export read and write local files") }
        return url.path
    }
}

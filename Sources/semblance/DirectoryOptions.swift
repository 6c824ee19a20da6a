import ArgumentParser
import Foundation

/// The options every command that works on a data directory shares: where it is, and
/// whether to print JSON.
struct DirectoryOptions: ParsableArguments {
    static let environmentVariable = "SEMBLANCE_PATH"
    static let defaultDirectory = "./semblance-data"
    /// Where a replica of object storage keeps its downloads (default: the user's cache).
    static let cacheVariable = "SEMBLANCE_CACHE"

    @Option(help: ArgumentHelp(
        "The data directory (default: $SEMBLANCE_PATH, else ./semblance-data); read-only commands also take s3://bucket/prefix.",
        valueName: "dir"))
    var path: String?

    @Flag(help: "Print machine-readable JSON instead of text.")
    var json = false

    /// `--path`, else `$SEMBLANCE_PATH` (when set and not empty), else `./semblance-data`.
    var directory: String {
        if let path { return path }
        if let fromEnvironment = ProcessInfo.processInfo.environment[Self.environmentVariable], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return Self.defaultDirectory
    }
}

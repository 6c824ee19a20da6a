import Foundation
// Only to keep the library's log lines out of the tool's output.
import Logging
import Semblance
import SemblanceS3

/// One command's use of a data directory: a client opened for it and closed whatever
/// happens.
enum Session {
    /// Runs `body` with a client on the directory the options name.
    /// - Parameters:
    ///   - creating: create the directory when missing (`create`, `demo`); every other
    ///     command refuses a directory that does not exist, so a mistyped `--path` is an
    ///     error and not a new, empty directory.
    ///   - access: `.readOnly` for the commands that only read: they take no lock, so they
    ///     run while another process writes, and on read-only media.
    static func withClient<T>(
        _ options: DirectoryOptions, creating: Bool = false, access: ClientAccess = .readWrite, _ body: (Client) async throws -> T
    ) async throws -> T {
        let directory = options.directory
        if S3Location.isLocation(directory) {
            let store = try S3ObjectStore(directory, configuration: .fromEnvironment())
            let cache = ProcessInfo.processInfo.environment[DirectoryOptions.cacheVariable].flatMap { $0.isEmpty ? nil : $0 }
            let client = try await Client(objectStore: store, cacheDirectory: cache, access: access == .readWrite ? .readWrite : .readOnly, logger: logger())
            return try await run(body, on: client, directory: directory)
        }
        if !creating {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw CommandFailure("no Semblance data directory at \(directory) (set --path or $\(DirectoryOptions.environmentVariable), or create a collection first)")
            }
        }
        let client = try await Client(directory: directory, access: access, logger: logger())
        return try await run(body, on: client, directory: directory)
    }

    /// Runs `body` and closes `client`, whatever happens.
    private static func run<T>(_ body: (Client) async throws -> T, on client: Client, directory: String) async throws -> T {
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch let error as SemblanceError where error.code == .unknownCollection {
            await client.close()
            throw SemblanceError(error.code, "\(error.message) in \(client.directory ?? directory)")
        } catch {
            await client.close()
            throw error
        }
    }

    /// The library's logger: silent, unless `SEMBLANCE_LOG` names a level (trace, debug,
    /// info, ...), which is then written to standard error.
    static func logger() -> Logger {
        let variable = ProcessInfo.processInfo.environment["SEMBLANCE_LOG"]
        guard let level = variable.flatMap(Logger.Level.init(rawValue:)) else {
            return Logger(label: "semblance") { _ in SwiftLogNoOpLogHandler() }
        }
        var logger = Logger(label: "semblance") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level
        return logger
    }
}

import Foundation
import Semblance

/// The one line on standard error that reports a failed command: `semblance: error: ...`,
/// or with `--json` a JSON object, `{"error":{"code":"...","message":"...",...}}`.
struct ErrorReport: Encodable {
    struct Details: Encodable {
        /// A `SemblanceError.Code`'s name (`unknownCollection`), `usage` for a command line
        /// that does not parse or validate, or the tool's own code (``CommandFailure/code``).
        var code: String
        var message: String
        var path: String?
        var offset: Int64?
        var errno: Int32?
        /// Present only when not empty (the ids in conflict of a failed merge).
        var ids: [String]?
    }

    var error: Details

    /// - Parameters:
    ///   - message: the error's message on one line.
    ///   - isUsage: whether it is a usage error (ArgumentParser's validation failure).
    init(_ error: any Error, message: String, isUsage: Bool) {
        var details = Details(code: isUsage ? "usage" : "invalidArgument", message: message)
        if let failure = error as? CommandFailure { details.code = failure.code }
        if let error = error as? SemblanceError {
            details.code = error.code.description
            details.path = error.path
            details.offset = error.offset
            details.errno = error.errno
            details.ids = error.ids.isEmpty ? nil : error.ids
        }
        self.error = details
    }

    /// Whether the command line asks for JSON: `--json` before any `--`. Read from the
    /// arguments, not the parsed command, so that a line that does not parse is reported in
    /// JSON too.
    static var isJSONRequested: Bool {
        CommandLine.arguments.dropFirst().prefix { $0 != "--" }.contains("--json")
    }

    /// Writes the report of `error` to standard error; nothing when it has no message.
    static func write(_ error: any Error, message: String, isUsage: Bool, helpHint: @autoclosure () -> String) {
        guard !message.isEmpty else { return }
        guard isJSONRequested else {
            Terminal.writeError("semblance: error: \(message)" + (isUsage ? " (see '\(helpHint()) --help')" : ""))
            return
        }
        let report = ErrorReport(error, message: message, isUsage: isUsage)
        // Encoding strings and numbers cannot fail; the text line is the fallback all the same.
        Terminal.writeError((try? Output.encode(report)) ?? "semblance: error: \(message)")
    }
}

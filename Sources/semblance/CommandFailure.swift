import Semblance

/// A failure of a command, reported by the root command as its one-line message.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    /// The `code` of the `--json` error object: a `SemblanceError` code's name where one
    /// fits, so that scripts see one set of codes.
    var code: String

    init(_ description: String, code: SemblanceError.Code = .invalidArgument) {
        self.init(description, code: code.description)
    }

    /// A failure of the tool's own kind, which no `SemblanceError` code names.
    init(_ description: String, code: String) {
        self.description = description
        self.code = code
    }

    /// A failure caused by `error`: the code is that error's when it is a `SemblanceError`.
    init(_ description: String, causedBy error: any Error) {
        self.init(description, code: (error as? SemblanceError)?.code ?? .invalidArgument)
    }
}

/// A failure of a command, reported by the root command as its one-line message.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The rules for collection names: each name is a folder under the client's directory, so
/// only names that cannot reach outside it, or collide with its own files, are allowed.
enum CollectionName {
    static let maximumLength = 64
    /// Names taken by the client's own files, or special on some file systems.
    static let reserved = Set(["lock", "con", "prn", "aux", "nul"])
        .union((1...9).flatMap { ["com\($0)", "lpt\($0)"] })

    /// Throws `.invalidName` unless `name` is 1–64 ASCII letters, digits, `_` or `-`, not
    /// starting with a dot and not reserved.
    static func validate(_ name: String) throws(SemblanceError) {
        try FileNameRules.check(name, what: "collection name", punctuation: ["_", "-"], maximumLength: maximumLength, unit: "bytes")
        guard !reserved.contains(name.lowercased()) else {
            throw SemblanceError(.invalidName, "collection name \(name.debugDescription) is reserved")
        }
    }
}

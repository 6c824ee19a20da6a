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
        func fail(_ why: String) -> SemblanceError {
            SemblanceError(.invalidName, "collection name \(name.debugDescription) \(why)")
        }
        guard !name.isEmpty else { throw fail("is empty") }
        guard name.utf8.count <= maximumLength else { throw fail("is longer than \(maximumLength) bytes") }
        guard name.first != "." else { throw fail("starts with a dot") }
        for scalar in name.unicodeScalars {
            let allowed = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-")
            guard allowed else {
                throw fail("contains \(scalar == "\0" ? "a NUL character" : "the character \(String(scalar).debugDescription)"); use letters, digits, _ and -")
            }
        }
        guard !reserved.contains(name.lowercased()) else { throw fail("is reserved") }
    }
}

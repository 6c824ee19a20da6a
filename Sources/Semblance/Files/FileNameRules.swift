/// The shape shared by names that become file and folder names (collections, branches,
/// tags): 1 to `maximumLength` ASCII letters, digits and the given punctuation, not
/// starting with a dot, so that a name can neither leave its folder nor hide in it.
enum FileNameRules {
    /// Throws `.invalidName`, as "<what> "<name>" <why>", naming the first rule it breaks.
    static func check(_ name: String, what: String, punctuation: [Character], maximumLength: Int, unit: String) throws(SemblanceError) {
        func fail(_ why: String) -> SemblanceError {
            SemblanceError(.invalidName, "\(what) \(name.debugDescription) \(why)")
        }
        guard !name.isEmpty else { throw fail("is empty") }
        guard name.utf8.count <= maximumLength else { throw fail("is longer than \(maximumLength) \(unit)") }
        guard name.first != "." else { throw fail("starts with a dot") }
        for scalar in name.unicodeScalars {
            let allowed = scalar.isASCII
                && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || punctuation.contains(Character(scalar)))
            guard allowed else {
                let listed = punctuation.map(String.init)
                let marks = listed.dropLast().joined(separator: ", ") + " and " + listed.last!
                throw fail("contains \(scalar == "\0" ? "a NUL character" : "the character \(String(scalar).debugDescription)"); use letters, digits, \(marks)")
            }
        }
    }
}

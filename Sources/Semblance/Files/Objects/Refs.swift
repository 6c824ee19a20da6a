import Foundation

/// The rules for names of branches and tags: 1 to 64 ASCII letters, digits, `.`, `_` and
/// `-`, not starting with `.`. Two names that differ only in case are the same name (a
/// case-insensitive file system could not hold both).
enum RefName {
    static let maximumLength = 64

    /// Throws `.invalidName` naming what is wrong with `name`.
    static func validate(_ name: String, kind: Refs.Kind) throws(SemblanceError) {
        try FileNameRules.check(name, what: "\(kind) name", punctuation: [".", "_", "-"], maximumLength: maximumLength, unit: "characters")
    }
}

/// Branch heads and tags: `refs/heads/<branch>` and `refs/tags/<tag>` each hold a commit's
/// hash and a newline, and are replaced by an atomic rename (temp file, fsync, rename,
/// folder fsync). A tag is written once and never moved.
struct Refs {
    enum Kind: String, Sendable, CustomStringConvertible {
        case branch, tag
        var folder: String { self == .branch ? "heads" : "tags" }
        var description: String { rawValue }
    }

    let fs: any FileSystem
    /// `<collection>/refs`.
    let directory: String

    func path(_ kind: Kind, _ name: String) -> String { directory + "/" + kind.folder + "/" + name }

    /// The commit `name` points at, nil when there is no such ref.
    func read(_ kind: Kind, _ name: String) throws(SemblanceError) -> ObjectHash? {
        let path = path(kind, name)
        guard fs.kind(path) == .file else { return nil }
        let text = String(decoding: try fs.readFile(path), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let hash = ObjectHash(hex: text) else {
            throw SemblanceError(.corruptFile, "not a commit hash", path: path, offset: 0)
        }
        return hash
    }

    /// Points `name` at `hash`, durably.
    func write(_ kind: Kind, _ name: String, _ hash: ObjectHash) throws(SemblanceError) {
        let folder = directory + "/" + kind.folder
        if !fs.fileExists(folder) {
            // A collection created by format 3 has it; a copy without empty folders (git
            // keeps none) may not.
            try fs.createDirectory(folder)
            try fs.syncDirectory(directory)
        }
        try fs.writeFileAtomically(path(kind, name), Array((hash.hex + "\n").utf8))
    }

    /// Removes `name`, durably.
    func remove(_ kind: Kind, _ name: String) throws(SemblanceError) {
        try fs.remove(path(kind, name))
        try fs.syncDirectory(directory + "/" + kind.folder)
    }

    /// The names of every ref of `kind`, sorted (temp files of interrupted writes and
    /// names that break the rules are not refs).
    func names(_ kind: Kind) throws(SemblanceError) -> [String] {
        let folder = directory + "/" + kind.folder
        guard fs.kind(folder) == .directory else { return [] }
        return try fs.contentsOfDirectory(folder)
            .filter { (try? RefName.validate($0, kind: kind)) != nil && fs.kind(folder + "/" + $0) == .file }
            .sorted()
    }

    /// Throws `.refExists` when a branch or tag answers to `name` (without regard to case).
    func requireFree(_ name: String) throws(SemblanceError) {
        if let taken = try existing(name) {
            throw SemblanceError(.refExists, "a \(taken.kind) named \(taken.name.debugDescription) exists already", path: path(taken.kind, taken.name))
        }
    }

    /// The branch or tag whose name equals `name` without regard to case. `main` always
    /// exists, even before its first commit gives it a ref.
    func existing(_ name: String) throws(SemblanceError) -> (kind: Kind, name: String)? {
        let lowered = name.lowercased()
        if lowered == "main" { return (.branch, "main") }
        for kind in [Kind.branch, .tag] {
            if let match = try names(kind).first(where: { $0.lowercased() == lowered }) { return (kind, match) }
        }
        return nil
    }
}

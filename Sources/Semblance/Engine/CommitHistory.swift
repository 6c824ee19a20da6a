import Foundation

/// Reads a collection's history: resolves REFs, follows parents (through the grafts that
/// retention left where it cut history), finds merge bases.
struct CommitHistory {
    let files: CollectionFiles
    let grafts: HistoryGrafts

    init(_ files: CollectionFiles) throws(SemblanceError) {
        self.files = files
        grafts = try HistoryGrafts.read(files.fs, collection: files.directory)
    }

    /// The parents history follows from `hash`: its own, unless retention cut them.
    func parents(_ hash: ObjectHash, _ commit: CommitObject) -> [ObjectHash] { grafts.parents[hash] ?? commit.parents }

    /// Whether retention cut some of `hash`'s parents.
    func isCut(_ hash: ObjectHash, _ commit: CommitObject) -> Bool { parents(hash, commit) != commit.parents }

    /// The commit a REF names: a branch (its head commit), then a tag, then a commit id or a
    /// unique prefix of at least 8 hex digits of one.
    /// - Throws: `.unknownRef` naming the REF when nothing (or more than one commit) answers.
    func resolve(_ ref: String) throws(SemblanceError) -> ObjectHash {
        let refs = files.refs
        if (try? RefName.validate(ref, kind: .branch)) != nil {
            if let hash = try refs.read(.branch, ref) { return hash }
            if let hash = try refs.read(.tag, ref) { return hash }
            // Names are one without regard to case.
            if let match = try refs.existing(ref), let hash = try refs.read(match.kind, match.name) { return hash }
        }
        let digits = ref.lowercased()
        guard digits.utf8.count >= 8, digits.utf8.count <= 64, digits.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw SemblanceError(.unknownRef, "no branch, tag or commit named \(ref.debugDescription) (a commit id needs at least 8 hex digits)")
        }
        let objects = files.objects
        let folder = objects.directory + "/" + digits.prefix(2)
        let rest = String(digits.dropFirst(2))
        let names = files.fs.kind(folder) == .directory ? try files.fs.contentsOfDirectory(folder) : []
        let matches = names.filter { $0.hasPrefix(rest) && !$0.hasPrefix(".tmp-") }
            .compactMap { ObjectHash(hex: digits.prefix(2) + $0) }
            .filter { (try? files.commit($0)) != nil }
        guard matches.count == 1, let match = matches.first else {
            throw SemblanceError(.unknownRef, matches.isEmpty
                ? "no branch, tag or commit named \(ref.debugDescription)"
                : "commit id prefix \(ref.debugDescription) is ambiguous (\(matches.count) commits): give more digits")
        }
        return match
    }

    /// The commits reachable from `tips` (themselves included) through every parent history
    /// follows; `load` reads a commit (a caller may cache).
    func reachable(from tips: [ObjectHash], load: (ObjectHash) throws(SemblanceError) -> CommitObject) throws(SemblanceError) -> Set<ObjectHash> {
        var found = Set(tips)
        var pending = tips
        while let hash = pending.popLast() {
            for parent in parents(hash, try load(hash)) where found.insert(parent).inserted { pending.append(parent) }
        }
        return found
    }

    /// Commits from `head` back along first parents, newest first, at most `limit`.
    func log(from head: ObjectHash, limit: Int = .max) throws(SemblanceError) -> [(hash: ObjectHash, commit: CommitObject)] {
        var entries: [(hash: ObjectHash, commit: CommitObject)] = []
        var next: ObjectHash? = head
        while let hash = next, entries.count < limit {
            let commit = try files.commit(hash)
            entries.append((hash, commit))
            next = parents(hash, commit).first
        }
        return entries
    }

    /// The newest commit on the first-parent chain from `head` whose time is not after `date`.
    func commit(from head: ObjectHash, asOf date: Date) throws(SemblanceError) -> ObjectHash? {
        var next: ObjectHash? = head
        while let hash = next {
            let commit = try files.commit(hash)
            if commit.time <= date.timeIntervalSince1970 { return hash }
            next = parents(hash, commit).first
        }
        return nil
    }

    /// The nearest common ancestor of `a` and `b` (either itself when one contains the other),
    /// nil when their histories never meet.
    /// - Throws: `.historyPruned` when the way from `a` or from `b` to it crosses a place
    ///   where retention cut history (the true ancestor may be among the pruned commits, and
    ///   a merge against an older one would undo changes), or when the histories do not meet
    ///   but one of them was cut.
    func mergeBase(_ a: ObjectHash, _ b: ObjectHash) throws(SemblanceError) -> ObjectHash? {
        /// Ancestors breadth first (nearer ones first), and those reached without crossing a cut.
        func ancestors(of start: ObjectHash) throws(SemblanceError) -> (order: [ObjectHash], clean: Set<ObjectHash>) {
            var order = [start]
            var seen: Set<ObjectHash> = [start]
            var cutCommits = Set<ObjectHash>()
            var i = 0
            while i < order.count {
                let hash = order[i]
                i += 1
                let commit = try files.commit(hash)
                if isCut(hash, commit) { cutCommits.insert(hash) }
                for parent in parents(hash, commit) where seen.insert(parent).inserted { order.append(parent) }
            }
            // The ancestors reached by links retention did not replace.
            var clean: Set<ObjectHash> = [start]
            var pending = [start]
            while let hash = pending.popLast() {
                if cutCommits.contains(hash) { continue }
                for parent in parents(hash, try files.commit(hash)) where clean.insert(parent).inserted { pending.append(parent) }
            }
            return (order, clean)
        }
        let fromA = try ancestors(of: a)
        let fromB = try ancestors(of: b)
        let ofA = Set(fromA.order)
        let pruned = SemblanceError(.historyPruned,
            "the common ancestor of \(a.hex.prefix(12)) and \(b.hex.prefix(12)) may have been pruned by retention: a three-way merge needs it")
        guard let base = fromB.order.first(where: { ofA.contains($0) }) else {
            if fromA.clean.count < fromA.order.count || fromB.clean.count < fromB.order.count { throw pruned }
            return nil
        }
        guard fromA.clean.contains(base) && fromB.clean.contains(base) else { throw pruned }
        return base
    }
}

import Foundation

/// What a retention policy keeps of a collection's history, wherever its commits are (on
/// disk, or in object storage): the kept commits, and the grafts that make history skip
/// the others. docs/file-format.md, "Which commits are kept" and "Grafts".
struct RetentionPlan {
    /// Every commit kept.
    let kept: Set<ObjectHash>
    /// For each kept commit whose parents are not all kept, the parents history follows
    /// instead (the nearest kept ancestors).
    let grafts: HistoryGrafts

    /// - Parameters:
    ///   - branchHeads: each branch's head commit.
    ///   - otherTips: commits kept whatever the policy says (tags, readers' leases).
    ///   - grafts: the grafts history follows now.
    ///   - load: reads a commit.
    ///   - exists: whether a commit is still there (a chain can reach one already deleted).
    init(branchHeads: [ObjectHash], otherTips: [ObjectHash], retention: RetentionPolicy, now: Date, grafts current: HistoryGrafts,
         load: (ObjectHash) throws(SemblanceError) -> CommitObject, exists: (ObjectHash) -> Bool) throws(SemblanceError) {
        func parents(_ hash: ObjectHash, _ commit: CommitObject) -> [ObjectHash] { current.parents[hash] ?? commit.parents }
        let tips = otherTips + branchHeads
        var kept = Set(tips)
        if retention.keepsEverything {
            // Every commit reachable from a head or another tip.
            var pending = tips
            while let hash = pending.popLast() {
                for parent in parents(hash, try load(hash)) where kept.insert(parent).inserted { pending.append(parent) }
            }
        } else {
            for head in branchHeads {
                // The first-parent walk from the head: user commits by count and age, and the
                // newest automatic commit after each kept user commit.
                kept.insert(head)
                var userCommits = 0
                var newestAutomatic: ObjectHash?
                var next: ObjectHash? = head
                while let hash = next {
                    let commit = try load(hash)
                    if commit.automatic {
                        if newestAutomatic == nil { newestAutomatic = hash }
                    } else {
                        userCommits += 1
                        let byCount = retention.keepLast.map { userCommits <= $0 } ?? false
                        let byAge = retention.keepFor.map { now.timeIntervalSince1970 - commit.time <= $0 } ?? false
                        if byCount || byAge {
                            kept.insert(hash)
                            if let newestAutomatic { kept.insert(newestAutomatic) }
                        }
                        newestAutomatic = nil
                    }
                    next = parents(hash, commit).first
                }
            }
        }
        // `hash` when kept, else its nearest kept ancestor along first parents.
        func nearestKept(_ hash: ObjectHash) throws(SemblanceError) -> ObjectHash? {
            var next: ObjectHash? = hash
            while let candidate = next {
                if kept.contains(candidate) { return candidate }
                guard exists(candidate) else { return nil }
                next = parents(candidate, try load(candidate)).first
            }
            return nil
        }
        var grafts = HistoryGrafts()
        for hash in kept {
            let commit = try load(hash)
            var followed: [ObjectHash] = []
            for parent in parents(hash, commit) {
                if let nearest = try nearestKept(parent), !followed.contains(nearest) { followed.append(nearest) }
            }
            if followed != commit.parents { grafts.parents[hash] = followed }
        }
        self.kept = kept
        self.grafts = grafts
    }
}

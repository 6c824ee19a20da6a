/// How many bytes of stored objects each branch holds alone: the commits of its history
/// and the pages they name, less everything another branch or a tag also reaches. Deleting
/// the branch (and collecting garbage) frees about that much.
struct BranchStorage {
    let files: CollectionFiles

    func exclusiveBytes() throws(SemblanceError) -> [String: Int64] {
        guard files.persistent else { return [:] }
        let history = try CommitHistory(files)
        let refs = files.refs
        var reach: [String: Set<ObjectHash>] = [:]
        var commits: [ObjectHash: CommitObject] = [:]
        func load(_ hash: ObjectHash) throws(SemblanceError) -> CommitObject {
            if let known = commits[hash] { return known }
            let commit = try files.commit(hash)
            commits[hash] = commit
            return commit
        }
        /// The commits reachable from `tip` and every object they name.
        func reachable(from tip: ObjectHash) throws(SemblanceError) -> Set<ObjectHash> {
            var objects = try history.reachable(from: [tip], load: load)
            for hash in objects { objects.formUnion(try load(hash).shards.flatMap(\.allObjects)) }
            return objects
        }
        for branch in try refs.names(.branch) {
            if let head = try refs.read(.branch, branch) { reach["heads/" + branch] = try reachable(from: head) }
        }
        for tag in try refs.names(.tag) {
            if let commit = try refs.read(.tag, tag) { reach["tags/" + tag] = try reachable(from: commit) }
        }
        var bytes: [String: Int64] = [:]
        let objects = files.objects
        for (key, own) in reach where key.hasPrefix("heads/") {
            var alone = own
            for (other, theirs) in reach where other != key { alone.subtract(theirs) }
            var total: Int64 = 0
            for hash in alone {
                guard let file = try? files.fs.open(objects.path(of: hash), .read) else { continue }
                total += (try? files.fs.size(file)) ?? 0
                files.fs.close(file)
            }
            bytes[String(key.dropFirst("heads/".count))] = total
        }
        return bytes
    }
}

import HashTreeCollections

/// Indexes over the metadata of one shard's live nodes: for every field path, which nodes
/// hold which scalar value. Persistent trees, so a copy is O(1) and a write after a copy
/// copies O(log n), like the rest of the index value.
///
/// Every scalar leaf is indexed under its dotted path, and each element of an array under
/// the array's path. Integers and doubles share one numeric key (a huge integer may share a
/// key with a neighbour; candidates are always checked against the filter itself).
struct MetadataIndex: Sendable {
    enum Key: Hashable, Sendable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)

        init?(_ value: Metadata) {
            switch value {
            case .null: self = .null
            case .bool(let b): self = .bool(b)
            case .int(let i): self = .number(Double(i))
            case .double(let d): self = .number(d)
            case .string(let s): self = .string(s)
            case .array, .object: return nil
            }
        }

        var metadata: Metadata {
            switch self {
            case .null: .null
            case .bool(let b): .bool(b)
            case .number(let d): .double(d)
            case .string(let s): .string(s)
            }
        }
    }

    private(set) var fields = TreeDictionary<String, TreeDictionary<Key, TreeSet<UInt32>>>()
    /// Paths that name an object or array (for `exists` on them).
    private(set) var containers = TreeDictionary<String, TreeSet<UInt32>>()

    mutating func add(_ node: UInt32, _ metadata: Metadata) {
        Self.leaves(of: metadata, path: nil) { path, leaf in
            if let key = Key(leaf) {
                fields[path, default: [:]][key, default: []].insert(node)
            } else {
                containers[path, default: []].insert(node)
            }
        }
    }

    mutating func remove(_ node: UInt32, _ metadata: Metadata) {
        Self.leaves(of: metadata, path: nil) { path, leaf in
            if let key = Key(leaf) {
                fields[path]?[key]?.remove(node)
                if fields[path]?[key]?.isEmpty == true { fields[path]?[key] = nil }
                if fields[path]?.isEmpty == true { fields[path] = nil }
            } else {
                containers[path]?.remove(node)
                if containers[path]?.isEmpty == true { containers[path] = nil }
            }
        }
    }

    /// Calls `body` with (path, value) for every value under a path: objects' fields
    /// recursively, arrays' elements under the array's own path.
    private static func leaves(of value: Metadata, path: String?, _ body: (String, Metadata) -> Void) {
        switch value {
        case .object(let object):
            if let path { body(path, value) }
            for (key, field) in object { leaves(of: field, path: path.map { $0 + "." + key } ?? key, body) }
        case .array(let elements):
            guard let path else { return }
            body(path, value)
            for element in elements where Key(element) != nil { body(path, element) }
        default:
            if let path { body(path, value) }
        }
    }

    // MARK: Candidates

    /// The nodes that may match `filter`: a superset of the matches, from the indexes only;
    /// nil when the filter needs every live node (a negation at the top, for instance) —
    /// the caller then checks all of them. `idNodes` turns ids into live nodes.
    func candidates(for filter: Filter, idNodes: (Set<String>) -> Set<UInt32>) -> Set<UInt32>? {
        switch filter {
        case .equals(let path, let value):
            return nodes(path) { $0.metadata.sameValue(as: value) } ?? Set()
        case .in(let path, let options):
            return nodes(path) { key in options.contains { key.metadata.sameValue(as: $0) } } ?? Set()
        case .less(let path, let bound): return range(path, bound) { $0 < 0 }
        case .lessOrEqual(let path, let bound): return range(path, bound) { $0 <= 0 }
        case .greater(let path, let bound): return range(path, bound) { $0 > 0 }
        case .greaterOrEqual(let path, let bound): return range(path, bound) { $0 >= 0 }
        case .exists(let path):
            var all = nodes(path) { _ in true } ?? Set()
            if let inner = containers[path] { all.formUnion(inner) }
            return all
        case .ids(let ids): return idNodes(ids)
        case .and(let filters):
            // The smallest known set, intersected with the others that are known.
            let sets = filters.compactMap { candidates(for: $0, idNodes: idNodes) }.sorted { $0.count < $1.count }
            guard var result = sets.first else { return nil }
            for other in sets.dropFirst() { result.formIntersection(other) }
            return result
        case .or(let filters):
            var result = Set<UInt32>()
            for filter in filters {
                guard let part = candidates(for: filter, idNodes: idNodes) else { return nil }
                result.formUnion(part)
            }
            return result
        case .notEquals, .notIn, .not:
            return nil
        }
    }

    /// Nodes whose value at `path` has a key accepted by `accept`; nil when no node has the path.
    private func nodes(_ path: String, where accept: (Key) -> Bool) -> Set<UInt32>? {
        guard let values = fields[path] else { return nil }
        var result = Set<UInt32>()
        for (key, nodes) in values where accept(key) { result.formUnion(nodes) }
        return result
    }

    private func range(_ path: String, _ bound: Metadata, _ accept: (Int) -> Bool) -> Set<UInt32> {
        nodes(path) { key in key.metadata.compare(to: bound).map(accept) ?? false } ?? Set()
    }
}

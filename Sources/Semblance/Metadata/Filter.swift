/// A predicate over records' metadata (and ids), for filtered search and counting.
///
/// ```swift
/// let recent: Filter = .equals("lang", "en") && .greaterOrEqual("year", 2020)
/// let either: Filter = .in("lang", ["en", "de"]) || !.exists("draft")
/// ```
///
/// Fields are dotted paths into the metadata object (`"author.name"`). Numbers compare as
/// numbers whatever their kind (`2024 == 2024.0`); strings compare by their Unicode scalars;
/// a range comparison between different kinds (a string and a number) is false. An array
/// field matches `equals`, `in` and the ranges when any element does (as in MongoDB).
/// `notEquals` and `notIn` are the negations of `equals` and `in`: they also match records
/// without the field. The same filters have a JSON form: see ``Filter/init(json:)``.
public indirect enum Filter: Sendable, Hashable {
    /// The field equals the value (numbers by value).
    case equals(String, Metadata)
    /// The negation of `equals`: also matches records without the field.
    case notEquals(String, Metadata)
    /// The field equals one of the values.
    case `in`(String, [Metadata])
    /// The negation of `in`: also matches records without the field.
    case notIn(String, [Metadata])
    /// The field is less than the value (both numbers or both strings).
    case less(String, Metadata)
    /// The field is less than or equal to the value (both numbers or both strings).
    case lessOrEqual(String, Metadata)
    /// The field is greater than the value (both numbers or both strings).
    case greater(String, Metadata)
    /// The field is greater than or equal to the value (both numbers or both strings).
    case greaterOrEqual(String, Metadata)
    /// The field is present, whatever its value (`null` included).
    case exists(String)
    /// Every filter matches (true when there are none).
    case and([Filter])
    /// At least one filter matches (false when there are none).
    case or([Filter])
    /// The filter does not match.
    case not(Filter)
    /// Records whose id is in the set.
    case ids(Set<String>)

    /// Both filters: an `.and` of them, flattening `.and` operands.
    public static func && (lhs: Filter, rhs: Filter) -> Filter {
        switch (lhs, rhs) {
        case (.and(let a), .and(let b)): .and(a + b)
        case (.and(let a), _): .and(a + [rhs])
        case (_, .and(let b)): .and([lhs] + b)
        default: .and([lhs, rhs])
        }
    }

    /// Either filter: an `.or` of them, flattening `.or` operands.
    public static func || (lhs: Filter, rhs: Filter) -> Filter {
        switch (lhs, rhs) {
        case (.or(let a), .or(let b)): .or(a + b)
        case (.or(let a), _): .or(a + [rhs])
        case (_, .or(let b)): .or([lhs] + b)
        default: .or([lhs, rhs])
        }
    }

    /// The negation of `filter`: `.not(filter)`.
    public static prefix func ! (filter: Filter) -> Filter { .not(filter) }
}

extension Filter {
    /// Whether a record with this id and metadata satisfies the filter.
    public func matches(id: String, metadata: Metadata?) -> Bool {
        switch self {
        case .equals(let path, let value): return Self.anyValue(at: path, in: metadata) { $0.sameValue(as: value) }
        case .notEquals(let path, let value): return !Filter.equals(path, value).matches(id: id, metadata: metadata)
        case .in(let path, let options):
            return Self.anyValue(at: path, in: metadata) { found in options.contains { found.sameValue(as: $0) } }
        case .notIn(let path, let options): return !Filter.in(path, options).matches(id: id, metadata: metadata)
        case .less(let path, let bound): return Self.anyValue(at: path, in: metadata) { $0.compare(to: bound).map { $0 < 0 } ?? false }
        case .lessOrEqual(let path, let bound): return Self.anyValue(at: path, in: metadata) { $0.compare(to: bound).map { $0 <= 0 } ?? false }
        case .greater(let path, let bound): return Self.anyValue(at: path, in: metadata) { $0.compare(to: bound).map { $0 > 0 } ?? false }
        case .greaterOrEqual(let path, let bound): return Self.anyValue(at: path, in: metadata) { $0.compare(to: bound).map { $0 >= 0 } ?? false }
        case .exists(let path): return metadata?[path: path] != nil
        case .and(let filters): return filters.allSatisfy { $0.matches(id: id, metadata: metadata) }
        case .or(let filters): return filters.contains { $0.matches(id: id, metadata: metadata) }
        case .not(let filter): return !filter.matches(id: id, metadata: metadata)
        case .ids(let ids): return ids.contains(id)
        }
    }

    /// Whether the value a path names, or (for an array) one of its elements, passes `test`.
    /// Runs for every candidate of a filtered search, so it allocates nothing.
    static func anyValue(at path: String, in metadata: Metadata?, _ test: (Metadata) -> Bool) -> Bool {
        guard let value = metadata?[path: path] else { return false }
        if case .array(let elements) = value, elements.contains(where: test) { return true }
        return test(value)
    }
}

extension Metadata {
    /// Equality with numbers compared by value (`.int(2) == .double(2.0)`).
    func sameValue(as other: Metadata) -> Bool {
        if let order = compare(to: other) { return order == 0 }
        return self == other
    }

    /// -1, 0 or 1 when both are numbers or both strings; nil otherwise.
    func compare(to other: Metadata) -> Int? {
        switch (self, other) {
        case (.int(let a), .int(let b)): return a < b ? -1 : (a == b ? 0 : 1)
        case (.string(let a), .string(let b)):
            if a.unicodeScalars.elementsEqual(b.unicodeScalars) { return 0 }
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? -1 : 1
        default:
            guard let a = numericValue, let b = other.numericValue else { return nil }
            return a < b ? -1 : (a == b ? 0 : 1)
        }
    }

    var numericValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }
}

import Foundation

/// One slot per iteration of a `DispatchQueue.concurrentPerform`, each written by exactly
/// that iteration.
final class ConcurrentSlots<Element: Sendable>: @unchecked Sendable {  // every access holds `lock`
    private var slots: [Element]
    private let lock = NSLock()
    init(count: Int, initial: Element) { slots = Array(repeating: initial, count: count) }
    func set(_ i: Int, _ value: Element) { lock.lock(); slots[i] = value; lock.unlock() }
    var values: [Element] { lock.lock(); defer { lock.unlock() }; return slots }
}

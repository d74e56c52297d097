/// Hands finished items on in the order their connections started, as soon as no connection that started earlier
/// can still finish.
///
/// Connections end in any order; the output lists them by start. An item waits here until the caller says which
/// start is the oldest still open (``release(before:_:)``): everything that started before it goes, in start order.
/// Memory follows the connections that are open or waiting behind an old open one, not the size of the capture.
///
/// Releases cost a look at every waiting item, so they are paced: ``isDue(every:)`` says yes once per `every` steps,
/// or as soon as 256 more items wait than after the last release (a release blocked by one old open connection is
/// not retried on every packet).
package struct StartOrderReleaser<Item> {
    /// Waiting items, boxed so that sorting and removing them moves pointers, not items.
    private var waiting: [Waiting] = []
    /// Steps (packets, or connections at the end) since the last release.
    private var stepsSinceRelease = 0
    /// Waiting items that make a release due early.
    private var releaseAtWaiting = 256

    package init() {}

    /// Items waiting for an older connection.
    package var count: Int { self.waiting.count }

    package var isEmpty: Bool { self.waiting.isEmpty }

    /// The earliest start among the waiting items.
    package var earliestStart: Int? { self.waiting.lazy.map(\.start).min() }

    /// Adds a finished item; `start` orders it (the number of the packet that started its connection).
    package mutating func add(_ item: Item, start: Int) {
        self.waiting.append(Waiting(start: start, item: item))
    }

    /// Counts one step; true when a release is due: `every` steps have passed since the last, or the waiting list
    /// has grown by 256 since.
    package mutating func isDue(every steps: Int) -> Bool {
        guard !self.waiting.isEmpty else { return false }
        self.stepsSinceRelease += 1
        guard self.stepsSinceRelease >= steps || self.waiting.count >= self.releaseAtWaiting else { return false }
        self.stepsSinceRelease = 0
        return true
    }

    /// Starts the step count again (the caller switches from packets to connections).
    package mutating func resetSteps() {
        self.stepsSinceRelease = 0
    }

    /// Hands on, in start order, the items that started before `oldestOpen` (every item when nil). Items with the
    /// same start keep the order they were added in.
    package mutating func release(before oldestOpen: Int?, _ deliver: (Item) -> Void) {
        // A release that frees nothing (an old connection still open) is not retried until 256 more wait.
        defer { self.releaseAtWaiting = self.waiting.count + 256 }
        guard let earliest = self.earliestStart else { return }
        if let oldestOpen, earliest >= oldestOpen { return }
        // The standard library's sort is stable: equal starts keep the order they were added in.
        self.waiting.sort { $0.start < $1.start }
        let count = oldestOpen.map { bound in self.waiting.prefix { $0.start < bound }.count } ?? self.waiting.count
        for index in 0..<count {
            deliver(self.waiting[index].item)
        }
        self.waiting.removeFirst(count)
    }

    /// A waiting item and the packet that started its connection, by reference.
    private final class Waiting {
        let start: Int
        let item: Item

        init(start: Int, item: Item) {
            self.start = start
            self.item = item
        }
    }
}

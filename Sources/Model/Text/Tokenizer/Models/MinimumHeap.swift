/// A binary min-heap: `pop` returns the smallest element. Byte-pair encoding takes its
/// lowest-ranked merge from one, the trainer its most frequent pair.
struct MinimumHeap<Element: Comparable> {
    private var elements: [Element] = []

    init() {}

    var isEmpty: Bool { elements.isEmpty }

    mutating func push(_ element: Element) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard elements[child] < elements[parent] else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard let last = elements.popLast() else { return nil }
        guard !elements.isEmpty else { return last }
        let smallest = elements[0]
        elements[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var child = parent
            if left < elements.count, elements[left] < elements[child] { child = left }
            if right < elements.count, elements[right] < elements[child] { child = right }
            guard child != parent else { return smallest }
            elements.swapAt(parent, child)
            parent = child
        }
    }
}

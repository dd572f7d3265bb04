/// The candidate closest to `text` by edit distance, if it is within `maximumDistance` edits.
/// Used to turn typos into "did you mean …?" hints.
public func closestMatch(to text: String, among candidates: [String], maximumDistance: Int) -> String? {
    var best: (candidate: String, distance: Int)?
    let length = text.count
    // The distance is at least the difference in length: skip the quadratic work for hopeless (or hostile,
    // 64 KiB long) text.
    for candidate in candidates where abs(candidate.count - length) <= maximumDistance {
        let distance = editDistance(text, candidate)
        if distance <= maximumDistance, distance < (best?.distance ?? Int.max) {
            best = (candidate, distance)
        }
    }
    return best?.candidate
}

/// Levenshtein distance between two strings, over their characters.
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}

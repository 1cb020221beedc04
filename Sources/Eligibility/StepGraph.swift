/// The resident's application as an ordered list of steps (P3 steps 2–9). The furthest
/// step a household reached is stored explicitly; everything here is derived from it, so
/// the rules live in one place and are tested without a server.
public enum Step: String, CaseIterable, Sendable, Comparable, Codable {
    case getReady = "get-ready"
    case address
    case household
    case members
    case programs
    case documents
    case review

    /// 1-based position, for "Step n of N".
    public var number: Int { Self.allCases.firstIndex(of: self)! + 1 }
    public static var count: Int { allCases.count }

    public static func < (lhs: Step, rhs: Step) -> Bool { lhs.number < rhs.number }

    /// The step after this one; nil after review (the next action is submitting).
    public var next: Step? { number < Self.count ? Self.allCases[number] : nil }

    /// The step before this one, for the back link; nil on the first step.
    public var previous: Step? { number > 1 ? Self.allCases[number - 2] : nil }
}

/// What the step graph needs to know about one application.
public struct StepGraph: Sendable, Equatable {
    /// The furthest step the household has been allowed to reach.
    public let furthest: Step

    /// A household with no application yet may read "get ready" and start at the address.
    public static let start = StepGraph(furthest: .address)

    public init(furthest: Step) {
        self.furthest = max(furthest, .address)
    }

    /// Whether a step may be shown; unreachable steps redirect to `firstUnfinished`.
    public func isReachable(_ step: Step) -> Bool { step <= furthest }

    /// Where `/apply` resumes: the furthest step reached.
    public var firstUnfinished: Step { furthest }

    /// After saving `step`, the graph with the following step unlocked.
    public func completing(_ step: Step) -> StepGraph {
        guard let next = step.next else { return self }
        return StepGraph(furthest: max(furthest, next))
    }
}

/// The sections a renewal asks about (P11, `/apply/changes`): each is one step of the
/// application, prefilled from the last verified application.
public enum RenewalSection: String, CaseIterable, Sendable {
    case address, household, members, programs

    public var step: Step {
        switch self {
        case .address: .address
        case .household: .household
        case .members: .members
        case .programs: .programs
        }
    }
}

/// The way through a renewal: only the sections the resident said changed, in step order,
/// then the documents (to replace what staff rejected) and the review.
public struct RenewalPath: Sendable, Equatable {
    public let changed: Set<RenewalSection>

    public init(changed: Set<RenewalSection>) {
        self.changed = changed
    }

    /// The first step after answering "what has changed".
    public var first: Step { changed.map(\.step).min() ?? .documents }

    /// Where saving `step` leads: the next changed section after it, else the documents,
    /// else the review.
    public func next(after step: Step) -> Step {
        if let later = changed.map(\.step).filter({ $0 > step }).min() { return later }
        return step < .documents ? .documents : .review
    }
}
